"""The Label tab in a real Chromium: a file of texts becomes a project, the keyboard labels, skips, goes back,
undoes and takes a note while the progress follows; one click trains on the labels and the model's suggestions
come back to the card; and the Data tab offers to label a file that has no labels.

Waits are event-driven (Playwright's auto-waiting `expect`), never fixed sleeps.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import expect

from engine.labeling.desk import LabelDesk, rows_of
from engine.labeling.store import LabelStore
from engine.studio import Studio
from tests.browser.test_browser import TRAIN_TIMEOUT_MS, go_to, upload_input
from tests.browser.test_sessions import choose_local_model, set_number
from tests.unit.conftest import separable_rows

pytestmark = pytest.mark.slow

TEXTS = ["loved every minute", "a dull, slow mess", "fine, nothing more", "the best film this year",
         "I want my money back", "sweet and clever"]


@pytest.fixture(scope="module")
def label_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("label-browser-runs")


@pytest.fixture(scope="module")
def server(label_runs: Path, serve_app: Callable[..., str]) -> str:
    """The app over a runs folder this module can read: the label store is checked behind the page's back."""
    return serve_app(label_runs)


@pytest.fixture()
def texts_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(TEXTS) + "\n", encoding="utf-8")
    yield path


def card_item(page: Any) -> str:
    return page.locator("#label-card [data-item]").get_attribute("data-item")


def press_and_wait(page: Any, key: str) -> str:
    """Press `key` and wait until the card shows another row; returns that row."""
    before = card_item(page)
    page.keyboard.press(key)
    expect(page.locator("#label-card [data-item]")).not_to_have_attribute("data-item", before)
    return card_item(page)


def test_label_with_the_keyboard_and_see_progress(page: Any, texts_file: Path, label_runs: Path) -> None:
    go_to(page, "7 · Label")
    page.get_by_text("New project, or add texts to this one").click()
    upload_input(page, "Texts to label").set_input_files(str(texts_file))
    expect(page.get_by_label("Project name")).to_have_value("reviews")
    expect(page.locator("#label-summary")).to_contain_text("rows: 6")
    page.get_by_label("Labels, separated by commas").fill("pos, neg")
    page.get_by_role("button", name="Create project").click()
    progress = page.locator("#label-progress")
    expect(progress).to_contain_text("0 of 6 labeled")
    expect(page.locator("#label-card")).to_contain_text(TEXTS[0])

    assert press_and_wait(page, "1") == "1"          # 1: pos, and the next row
    expect(progress).to_contain_text("1 of 6 labeled")
    assert press_and_wait(page, "2") == "2"          # 2: neg
    expect(progress).to_contain_text("2 of 6 labeled")
    expect(progress).to_contain_text(re.compile(r"pos 1 · .*neg 1"))
    assert press_and_wait(page, "s") == "3"          # skip row 3 for now
    assert press_and_wait(page, "b") == "2"          # back to it
    assert press_and_wait(page, "b") == "1"          # and back again, to the row labeled neg
    expect(page.locator("#label-card .tb-chosen")).to_contain_text("neg")
    page.keyboard.press("u")                         # undo the neg
    expect(progress).to_contain_text("1 of 6 labeled")
    page.keyboard.press("n")
    note = page.locator("#label-note textarea, #label-note input").first
    expect(note).to_be_focused()
    note.fill("sarcastic?")
    note.press("Enter")                              # saved; keys go to the card again once the box lets go
    note.blur()
    assert press_and_wait(page, "1") == "3"          # row 2 was skipped: it comes back last
    expect(progress).to_contain_text("2 of 6 labeled")

    store = LabelStore(label_runs / "labels.db")  # what the page acknowledged is on disk
    (project,) = store.list()
    item = store.items.get(project.id, 1)
    assert (item.label, item.note) == ("pos", "sarcastic?")
    assert [c.action for c in store.items.history(project.id, 1)] == ["label", "undo", "label"]


def test_the_data_tab_offers_to_label_a_file_without_labels(page: Any, texts_file: Path) -> None:
    upload_input(page, "upload a table").set_input_files(str(texts_file))
    expect(page.get_by_label("Dataset in use")).to_have_value(re.compile(r"reviews\.txt$"))
    offer = page.locator("#data-label-these")
    expect(offer).to_be_visible()
    offer.click()
    expect(page.get_by_label("Project name")).to_be_visible()  # the Label tab is open, at the new project
    expect(page.get_by_label("Project name")).to_have_value("reviews")
    expect(page.locator("#label-summary")).to_contain_text("rows: 6")


def test_train_in_one_click_and_accept_a_suggestion(page: Any, label_runs: Path, tiny_model: str) -> None:
    rows = separable_rows(20, seed=2)
    labels = [row["label"] if i < 24 else None for i, row in enumerate(rows)]  # 24 of 40 labeled already
    LabelDesk(Studio(label_runs)).create("sentiment", "local", ["pos", "neg"],
                                         rows_of([row["text"] for row in rows], labels))
    choose_local_model(page, tiny_model)
    go_to(page, "3 · Hyperparameters")
    set_number(page, "Learning rate", "0.01")
    go_to(page, "7 · Label")
    page.get_by_label("Labeling project").click()
    page.get_by_role("option", name="sentiment").click()
    expect(page.locator("#label-progress")).to_contain_text("24 of 40 labeled")
    page.get_by_role("button", name="Train on the labeled rows").click()
    model = page.locator("#label-model")
    expect(model).to_contain_text("trained on 24 labels")
    expect(model).to_contain_text("suggestions for 40 of 40 rows", timeout=TRAIN_TIMEOUT_MS)
    page.keyboard.press("s")  # the next row comes with the model's suggestion
    expect(page.locator("#label-card")).to_contain_text("Suggestion")
    page.keyboard.press("Enter")
    expect(page.locator("#label-progress")).to_contain_text("25 of 40 labeled")
    go_to(page, "4 · Train")  # the run is an ordinary run of the studio
    expect(page.get_by_role("combobox", name="Run", exact=True)).to_have_value(re.compile(r"sentiment · 24"))
