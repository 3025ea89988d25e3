"""The Train tab keeps up with a run in a real Chromium: the log follows its newest line (also when it grew while
the tab was hidden), an ended run shows no ETA, and the Evaluate and Playground tabs show what they should."""
from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from playwright.sync_api import expect

from tests.browser.test_browser import TEXT_INPUT

pytestmark = pytest.mark.slow

RUN_TIMEOUT_MS = 150_000
LOG_AT_BOTTOM = """() => { const box = document.querySelector('#run-log textarea');
    return !!box && box.value.split('\\n').length > MIN_LINES && box.clientHeight > 0
        && box.scrollHeight > box.clientHeight && box.scrollTop + box.clientHeight >= box.scrollHeight - 2; }"""


def run_yaml(model: str, name: str) -> str:
    """Many log lines (a loss every step), evaluations and a test split, on the demo data."""
    return yaml.safe_dump({"name": name, "data": {"train_file": "demo:reviews_en"},
                           "model": {"name_or_path": model, "max_length": 32},
                           "train": {"max_steps": 40, "logging_steps": 1, "eval_strategy": "steps", "eval_steps": 20,
                                     "save_strategy": "steps", "save_steps": 20, "train_batch_size": 16,
                                     "learning_rate": 1e-3, "warmup": 0, "device": "cpu",
                                     "group_by_length": False}})


def started(server: str, model: str, name: str) -> tuple[Any, str]:
    from gradio_client import Client

    client = Client(server, verbose=False)
    return client, client.predict(run_yaml(model, name), api_name="/start_run")


def wait_for_status(client: Any, run_id: str, done: Any) -> dict:
    import time

    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while not done(status := client.predict(run_id, api_name="/run_status")):
        assert time.monotonic() < deadline, f"run still {status['status']}"
        time.sleep(0.3)
    return status


def log_at_bottom(page: Any, min_lines: int) -> None:
    page.wait_for_function(LOG_AT_BOTTOM.replace("MIN_LINES", str(min_lines)), timeout=30_000)


def test_the_log_follows_and_an_ended_run_shows_no_eta(page: Any, server: str, tiny_model: str) -> None:
    client, run_id = started(server, tiny_model, "followed")
    page.reload()   # the page watches the newest run: this one, from its first line
    expect(page.locator("#data-summary")).to_contain_text("rows: 320")
    # The log grows while its tab is hidden...
    wait_for_status(client, run_id, lambda s: s["progress"].get("step", 0) >= 8 or s["status"] != "running")
    page.get_by_role("tab", name="4 · Train", exact=True).click()
    log_at_bottom(page, 8)   # ...and shows its newest line when the tab opens
    # Then lines arrive while it is open, and the box keeps following them to the end.
    progress = page.locator("#progress .tb-progress")
    expect(progress).to_have_attribute("data-status", "finished", timeout=RUN_TIMEOUT_MS)
    log_at_bottom(page, 40)   # 40 losses and more: far more lines than the box shows, the newest in view
    details = progress.locator(".tb-details")
    expect(details).to_contain_text("step 40/40")
    expect(details).not_to_contain_text("ETA")
    expect(page.get_by_role("combobox", name="Run", exact=True)).to_have_value(
        re.compile(r"^followed · Finished · .* · validation F1 \(macro\) \d\.\d{3}$"))

    # Evaluate: the test split named, the verdict before the text, no merge for a full fine-tune.
    page.get_by_role("tab", name="5 · Evaluate", exact=True).click()
    expect(page.locator("#eval-summary")).to_contain_text("Scores on the held-out test split")
    mistakes = page.locator("#eval-table-1")  # the report's second table: its most confident mistakes
    headers = mistakes.get_by_role("columnheader")
    expect(headers.first).to_contain_text("True label")
    assert [h.strip() for h in headers.all_inner_texts()][:4] == ["True label", "Predicted", "Confidence", "Text"]
    expect(page.locator("#merge-adapter")).to_be_hidden()

    # Playground: the probability of each label as a number, for both models.
    page.get_by_role("tab", name="6 · Playground", exact=True).click()
    page.get_by_label(TEXT_INPUT, exact=True).fill("a lovely and superb film")
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.locator("#tuned-prediction")).to_contain_text(re.compile(r"Fine-tuned: \w+ · \d+\.\d%"),
                                                              timeout=60_000)
    expect(page.locator("#base-prediction")).to_contain_text(re.compile(r"Base model: \w+ · \d+\.\d%"))
