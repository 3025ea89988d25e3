"""Seq2seq in a real Chromium: an uploaded file of news and headlines, an encoder-decoder, ROUGE and sample
generations while it trains, the report against the lead baseline, and the playground with generation settings."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import expect

from tests.browser.test_browser import (TRAIN_TIMEOUT_MS, config_yaml, go_to, start_training, upload_input,
                                       wait_for_plot)
from tests.browser.test_data_tab import choose
from tests.browser.test_sessions import choose_local_model, set_number

pytestmark = pytest.mark.slow

SEQ2SEQ = "Seq2seq: summarization and translation (text to text)"
SOURCE_SLOT = "Column with the text to read (an article, a sentence to translate)"
TARGET_SLOT = "Column with the text to write from it (its summary, headline or translation)"
SOURCE_INPUT = "The text to read (an article, a sentence to translate)"


def write_news(path: Path) -> Path:
    """60 news items and headlines under names the studio must map: story (source), title (target)."""
    places = ["Riverside", "Oakdale", "Hillcrest", "Lakeview", "Mapleton", "Brookfield"]
    things = ["library", "bridge", "market", "school", "park", "clinic", "museum", "pool", "station", "garden"]
    rows = [{"id": i, "story": f"The {place} {thing} reopened on Monday after repairs. Visitors praised the work. "
                               f"Officials expect {10 * (i + 1)} people a day.",
             "title": f"{place} {thing} reopens after repairs"}
            for i, (place, thing) in enumerate((p, t) for p in places for t in things)]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_a_summarizer_from_an_upload_to_the_playground(page: Any, tmp_path: Path,
                                                       tiny_seq2seq: dict[str, str]) -> None:
    # 1 · Data: the task, then an upload whose columns are guessed by their contents; lengths and compression.
    choose(page, "Task", SEQ2SEQ)
    upload_input(page, "upload a table").set_input_files(str(write_news(tmp_path / "news.csv")))
    expect(page.get_by_label("Dataset in use")).to_have_value(re.compile(r"news\.csv$"))
    expect(page.get_by_label(SOURCE_SLOT)).to_have_value("story")
    expect(page.get_by_label(TARGET_SLOT)).to_have_value("title")
    expect(page.locator("#data-summary")).to_contain_text("Lengths in tokens (median, 95th percentile)",
                                                          timeout=60_000)

    # 2 · Model: the packaged encoder-decoder replaced MiniLM, and the tab says plainly what it is; a tiny one
    # trains here.
    go_to(page, "2 · Model")
    expect(page.get_by_label("Model in use")).to_have_value("packaged:MiniLM2MiniLM")
    expect(page.get_by_text("its cross-attention starts untrained")).to_be_visible()
    choose_local_model(page, tiny_seq2seq["bert2bert"])

    # 3 · Hyperparameters: the task's own settings, among them beams when evaluating.
    go_to(page, "3 · Hyperparameters")
    set_number(page, "Epochs", "1")
    set_number(page, "Learning rate", "0.001")
    expect(config_yaml(page)).to_contain_text("max_target_length: 64")

    # 4 · Train: ROUGE is charted beside the loss, and the log shows what the model writes for held-out news.
    start_training(page)
    expect(page.locator("#progress .tb-progress")).to_have_attribute("data-status", "finished",
                                                                      timeout=TRAIN_TIMEOUT_MS)
    log = page.locator("#run-log textarea")
    expect(log).to_have_value(re.compile("what the model writes now for held-out examples"))
    expect(log).to_have_value(re.compile("ROUGE-L"))

    # 5 · Evaluate: ROUGE of the model against the lead baseline, and each row worst first.
    go_to(page, "5 · Evaluate")
    wait_for_plot(page, "eval-figure-0", "d.length === 2 && d[0].type === 'bar'", 30_000)  # model and baseline
    expect(page.locator("#eval-metrics")).to_contain_text("ROUGE-1 of the lead baseline")
    expect(page.locator("#eval-table-0")).to_contain_text("against the lead-3 baseline")
    expect(page.locator("#eval-table-1")).to_contain_text("Held-out sources")

    # 6 · Playground: a text in, a text out from both models, with generation settings; batch lines to a CSV.
    go_to(page, "6 · Playground")
    expect(page.locator("#generation-settings")).to_be_visible()
    expect(page.locator("#chat-panel")).to_be_hidden()
    page.locator("#generation-settings").get_by_text("Generation settings").click()
    expect(page.locator("#gen-num_beams input[type=number]")).to_have_value("2")   # the run's own setting
    expect(page.locator("#gen-temperature")).to_be_hidden()                       # a chat's setting, not this one
    page.get_by_label(SOURCE_INPUT, exact=True).fill("The Lakeview pool reopened on Monday after repairs.")
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.locator("#tuned-generated textarea")).not_to_have_value("", timeout=60_000)
    expect(page.locator("#base-generated textarea")).not_to_have_value("")
    page.get_by_text("Many texts at once").click()
    page.get_by_label("One text per line").fill("The Oakdale bridge reopened.\nThe Mapleton clinic reopened.")
    page.get_by_role("button", name="Predict all").click()
    expect(page.get_by_role("button", name="Download predictions (CSV)")).to_be_visible(timeout=60_000)
