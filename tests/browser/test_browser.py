"""The studio in a real Chromium: upload data, pick a local model, train, evaluate and try it; switch language.

Waits are event-driven (Playwright's auto-waiting `expect` and `wait_for_function`), never fixed sleeps.
"""
from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.slow

TRAIN_TIMEOUT_MS = 150_000
POSITIVE = ("good", "great", "excellent", "wonderful", "superb", "lovely")
NEGATIVE = ("bad", "awful", "terrible", "horrible", "poor", "dreadful")
NEUTRAL = ("the", "film", "phone", "service", "book", "meal", "was", "really", "very", "quite")
# Text classification's role slots on the Data tab and its input box in the Playground, named by its roles.
TEXT_SLOT, LABEL_SLOT = "Column with the text to classify", "Column with the class of each text"
TEXT_INPUT = "The text to classify"


def write_reviews(path: Path, n_per_label: int = 40) -> Path:
    """80 rows of two separable classes, under names the studio must map: review (text), sentiment (label)."""
    rng = random.Random(0)
    lines = ["review,sentiment"]
    for i in range(n_per_label):
        for label, words in (("positive", POSITIVE), ("negative", NEGATIVE)):
            lines.append(" ".join(rng.sample(NEUTRAL, 3) + rng.sample(words, 3)) + f" number {i},{label}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def upload_input(page: Any, label: str) -> Any:
    """The hidden <input type=file> of the gr.File whose label contains `label`."""
    block = page.locator(".block").filter(has=page.locator("[data-testid=block-label]", has_text=label))
    return block.locator("input[type=file]")


def plot_data(page: Any, elem_id: str) -> Any:
    return page.evaluate(
        """id => { const plot = document.querySelector(`#${id} .js-plotly-plot`);
                   return plot && plot.data ? plot.data.map(t => ({type: t.type || 'scatter', n: (t.x || t.z || []).length,
                                                                    name: t.name})) : null; }""", elem_id)


def wait_for_plot(page: Any, elem_id: str, condition: str, timeout: int) -> None:
    """Wait until the Plotly figure in #elem_id has traces that satisfy `condition` (a JS expression over `d`)."""
    page.wait_for_function(
        f"""() => {{ const plot = document.querySelector('#{elem_id} .js-plotly-plot');
                     const d = plot && plot.data; return !!(d && d.length && ({condition})); }}""",
        timeout=timeout)


def go_to(page: Any, tab: str) -> None:
    page.get_by_role("tab", name=tab, exact=True).click()


def toast_with(page: Any, pattern: str) -> Any:
    return page.locator("[data-testid=toast-body]").filter(has_text=re.compile(pattern))


def config_yaml(page: Any) -> Any:
    """The Hyperparameters tab's YAML of the whole form."""
    return page.locator(".block").filter(has=page.get_by_text("Config (YAML)", exact=True))


def start_training(page: Any) -> None:
    """Start a run from the Train tab and see it acknowledged."""
    go_to(page, "4 · Train")
    page.get_by_role("button", name="▶ Start training").click()
    expect(toast_with(page, "Training started")).to_be_visible()


def test_fine_tune_flow(page: Any, tmp_path: Path, tiny_model: str) -> None:
    csv = write_reviews(tmp_path / "reviews.csv")

    # 1 · Data: upload, columns guessed from names and contents, preview and summary shown.
    upload_input(page, "upload a table").set_input_files(str(csv))
    expect(page.get_by_label("Dataset in use")).to_have_value(re.compile(r"reviews\.csv$"))
    expect(page.get_by_label(TEXT_SLOT)).to_have_value("review")
    expect(page.get_by_label(LABEL_SLOT)).to_have_value("sentiment")
    expect(page.get_by_role("columnheader", name="sentiment")).to_be_visible()  # the preview table
    expect(page.get_by_role("gridcell", name="positive").first).to_be_visible()
    summary = page.locator("#data-summary")
    expect(summary).to_contain_text("rows: 80")
    expect(summary).to_contain_text("classes: 2")

    # 2 · Model: a local folder, confirmed with Enter.
    go_to(page, "2 · Model")
    page.get_by_label("local", exact=True).check()
    in_use = page.get_by_label("Model in use")
    expect(in_use).to_have_value("")  # switching source clears the choice before we type
    location = page.get_by_label("Folder or Hub id")
    location.fill(tiny_model)
    location.press("Enter")
    expect(in_use).to_have_value(tiny_model)

    # 3 · Hyperparameters: a short schedule; the YAML preview follows the form.
    go_to(page, "3 · Hyperparameters")
    epochs = page.get_by_label("Epochs", exact=True)
    epochs.fill("4")
    epochs.press("Tab")
    yaml_block = config_yaml(page)
    expect(yaml_block).to_contain_text(tiny_model)
    expect(yaml_block).to_contain_text("num_train_epochs: 4.0")
    expect(yaml_block).to_contain_text("train_file: ")
    expect(page.locator("#config-status")).to_contain_text("valid")

    # 4 · Train: start, then the loss chart fills and the status reaches finished.
    start_training(page)
    wait_for_plot(page, "loss-plot", "d[0].x && d[0].x.length > 0", TRAIN_TIMEOUT_MS)
    progress = page.locator("#progress .tb-progress")
    expect(progress).to_have_attribute("data-status", "finished", timeout=TRAIN_TIMEOUT_MS)
    expect(progress.locator(".tb-status")).to_have_text("Finished")  # the status word, translated
    loss = plot_data(page, "loss-plot")
    assert loss[0]["name"] == "train loss" and loss[0]["n"] >= 2, loss  # 16 steps, a log every 5
    expect(page.locator("#run-log textarea")).to_have_value(re.compile(r"finished"))

    # 5 · Evaluate: the finished run is selected; confusion matrix and metrics table.
    go_to(page, "5 · Evaluate")
    expect(page.get_by_role("combobox", name="Run", exact=True)).to_have_value(re.compile(r"· Finished ·"))
    wait_for_plot(page, "eval-figure-0", "d[0].type === 'heatmap'", 30_000)  # the confusion matrix
    expect(page.locator("#eval-summary")).to_contain_text("Scores on the held-out test split")
    metrics = page.locator(".block").filter(has=page.get_by_text("Metrics", exact=True))
    expect(metrics).to_contain_text("accuracy")
    expect(metrics).to_contain_text("F1 (macro)")

    # 6 · Playground: the fine-tuned model names a label of the data.
    go_to(page, "6 · Playground")
    expect(page.get_by_role("combobox", name="Run", exact=True)).to_have_value(re.compile(r"· Finished ·"))
    page.get_by_label(TEXT_INPUT, exact=True).fill("the meal was really lovely and superb")
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.locator("#tuned-prediction")).to_contain_text(re.compile(r"Fine-tuned: (positive|negative)"),
                                                              timeout=60_000)
    expect(page.locator("#base-prediction")).to_contain_text(re.compile(r"Base model: (positive|negative)"))


def test_empty_csv_shows_a_readable_error(page: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    upload_input(page, "upload a table").set_input_files(str(empty))
    toast = toast_with(page, r"empty\.csv' is empty \(0 bytes\)")
    expect(toast).to_be_visible()
    text = toast.inner_text()
    assert "Choose a file that contains your data" in text
    assert "Traceback" not in text and "File \"" not in text and "Error(" not in text
