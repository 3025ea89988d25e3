"""Real browsers as people use them: a reload keeps the setup, a reload mid-run finds the run, the Evaluate tab
follows a run that ends, and two browsers on one shared app see only their own runs while the machine trains one
at a time."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser import TRAIN_TIMEOUT_MS, go_to, toast_with, wait_for_plot

pytestmark = pytest.mark.slow

RELOAD_TIMEOUT_MS = 60_000


def open_page(browser: Any, url: str, locale: str = "en-US") -> Any:
    """A fresh browser (its own local storage, so its own owner on a shared app) on the app, once loaded."""
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(url)
    expect(page.locator("#data-summary")).to_contain_text("320", timeout=RELOAD_TIMEOUT_MS)
    return page


def choose_local_model(page: Any, folder: str) -> None:
    go_to(page, "2 · Model")
    page.get_by_label("local", exact=True).check()
    location = page.get_by_label("Folder or Hub id")
    location.fill(folder)
    location.press("Enter")
    expect(page.get_by_label("Model in use")).to_have_value(folder)


def set_number(page: Any, label: str, value: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Tab")


def start_short_run(page: Any, model: str, epochs: str = "1") -> None:
    choose_local_model(page, model)
    go_to(page, "3 · Hyperparameters")
    set_number(page, "Epochs", epochs)
    expect(page.locator("#config-status")).to_contain_text("valid")
    go_to(page, "4 · Train")
    start = page.get_by_role("button", name="▶ Start training")
    expect(start).to_be_enabled()
    start.click()


def test_a_reload_keeps_the_setup_and_the_language_switches_back(page: Any, tiny_model: str) -> None:
    page.get_by_label("Demo dataset").click()
    page.get_by_role("option", name="demo:reviews_zh").click()
    expect(page.locator("#data-summary")).to_contain_text("reviews_zh")
    choose_local_model(page, tiny_model)
    go_to(page, "3 · Hyperparameters")
    set_number(page, "Epochs", "2")
    set_number(page, "Learning rate", "0.005")
    expect(page.locator("#config-status")).to_contain_text("valid")
    page.get_by_label("中文", exact=True).check()
    expect(page.get_by_role("tab", name="4 · 训练")).to_be_visible()

    page.reload()
    # A reload reruns the page's load events (data preview, restore): on a busy 2-core machine, seconds.
    expect(page.get_by_role("tab", name="3 · 超参数")).to_be_visible(timeout=RELOAD_TIMEOUT_MS)  # the language too
    expect(page.locator("#data-summary")).to_contain_text("reviews_zh")
    go_to(page, "3 · 超参数")
    expect(page.get_by_label("训练轮数", exact=True)).to_have_value("2")
    expect(page.get_by_label("学习率", exact=True)).to_have_value("0.005")
    go_to(page, "2 · 模型")
    expect(page.get_by_label("本地文件夹", exact=True)).to_be_checked()   # the source "local", named in Chinese
    expect(page.get_by_label("文件夹路径或模型名")).to_have_value(tiny_model)
    expect(page.get_by_label("当前模型")).to_have_value(tiny_model)
    go_to(page, "1 · 数据")
    expect(page.get_by_label("要分类的文本所在的列")).to_be_visible()  # the column slots follow the language
    # and switching back relabels the page in English
    page.get_by_label("English", exact=True).check()
    expect(page.get_by_role("tab", name="4 · Train")).to_be_visible()
    expect(page.get_by_label("Column with the text to classify")).to_be_visible()


def test_a_reload_mid_run_finds_it_and_evaluate_follows_its_end(page: Any, tiny_model: str) -> None:
    start_short_run(page, tiny_model, epochs="6")
    expect(toast_with(page, "Training started")).to_be_visible()
    wait_for_plot(page, "loss-plot", "d[0].x && d[0].x.length > 0", TRAIN_TIMEOUT_MS)

    page.reload()
    expect(page.locator("#data-summary")).to_contain_text("320", timeout=RELOAD_TIMEOUT_MS)
    # Straight to Evaluate, as someone waiting for the result would: it fills in when the run ends, with no
    # further reload and without the Train tab ever being opened on this page.
    go_to(page, "5 · Evaluate")
    expect(page.locator("#eval-summary")).to_contain_text("held-out", timeout=TRAIN_TIMEOUT_MS)
    wait_for_plot(page, "eval-figure-0", "d[0].type === 'heatmap'", 30_000)  # the confusion matrix
    go_to(page, "4 · Train")
    expect(page.locator("#progress .tb-progress")).to_have_attribute("data-status", "finished")
    wait_for_plot(page, "loss-plot", "d[0].x && d[0].x.length > 1", 10_000)  # the whole history, not the tail


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory, serve_app: Callable[..., str], tiny_model: str) -> str:
    return serve_app(tmp_path_factory.mktemp("shared-browser-runs"), shared=True, max_running=1,
                     model_roots=(tiny_model,))


@pytest.fixture()
def two_people(browser: Any, shared_server: str) -> Iterator[tuple[Any, Any]]:
    ann, bob = open_page(browser, shared_server), open_page(browser, shared_server)
    yield ann, bob
    for page in (ann, bob):
        page.context.close()


def _run_choices(page: Any) -> list[str]:
    go_to(page, "4 · Train")
    page.get_by_role("button", name="Refresh").click()
    page.get_by_label("Run", exact=True).click()
    options = page.get_by_role("option").all_inner_texts()
    page.keyboard.press("Escape")
    return options


def test_two_browsers_on_a_shared_app(two_people: tuple[Any, Any], tiny_model: str, tmp_path: Path) -> None:
    ann, bob = two_people
    start_short_run(ann, tiny_model, epochs="500")  # trains until Ann stops it
    progress = ann.locator("#progress .tb-progress")
    expect(progress).to_have_attribute("data-status", "running", timeout=TRAIN_TIMEOUT_MS)
    assert len(_run_choices(ann)) == 1
    assert _run_choices(bob) == []  # Ann's run is not Bob's to see

    start_short_run(bob, tiny_model)
    bobs = bob.locator("#progress .tb-progress")
    expect(bobs).to_have_attribute("data-status", "queued")  # the machine trains Ann's run first
    expect(bobs).to_contain_text(re.compile(r"number 1 of 1"))
    bob.get_by_role("button", name="■ Stop and keep best").click()
    expect(bobs).to_have_attribute("data-status", "cancelled")
    expect(progress).to_have_attribute("data-status", "running")  # Bob's stop touched only his own run
    ann.get_by_role("button", name="■ Stop and keep best").click()
    expect(progress).to_have_attribute("data-status", "stopped", timeout=TRAIN_TIMEOUT_MS)
