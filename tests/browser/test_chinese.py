"""A page whose browser asks for Chinese (Accept-Language) comes up in Chinese, Gradio's own words included,
whatever navigator.language says, and shows no visible English word outside the allow-list of
tests/app/untranslated.py.

The check reads what a person sees: the visible text of the page (charts and pop-ups included), and the values
and placeholders of visible inputs. Code blocks (the YAML and the command line) are code, the same in every
language, and are left out.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import pytest
from playwright.sync_api import expect

from engine.data import find_demo
from tests.app.untranslated import english_words, words_of
from tests.browser.test_browser import TRAIN_TIMEOUT_MS, go_to, toast_with, upload_input, wait_for_plot

pytestmark = pytest.mark.slow

SETTLE_MS = 30_000   # how long a page may take to redraw in Chinese on this busy machine
TABS = ["1 · 数据", "2 · 模型", "3 · 超参数", "4 · 训练", "5 · 评估", "6 · 试用", "7 · 标注"]

# Every visible text node (charts' SVG text and pop-ups included; code blocks left out) and every visible input's
# value and placeholder, each with where it is: the nearest element id and the label of its block.
COLLECT_JS = """() => {
  const found = [];
  const where = el => {
    const named = el.closest('[id]:not([id^=component])');
    const block = el.closest('.block');
    const label = block && block.querySelector('[data-testid=block-info], [data-testid=block-label]');
    return [named ? '#' + named.id : '', label ? '«' + label.textContent.trim().slice(0, 40) + '»' : '']
      .filter(Boolean).join(' ') || el.tagName.toLowerCase();
  };
  const shown = el => el.checkVisibility({visibilityProperty: true, opacityProperty: true});
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('script, style, .cm-editor') || !shown(el)) continue;
    found.push([where(el), node.textContent]);
  }
  for (const el of document.querySelectorAll('input, textarea')) {
    if (['file', 'hidden', 'checkbox', 'radio', 'range', 'color'].includes(el.type) || !shown(el)) continue;
    if (el.value) found.push([where(el) + ' (value)', el.value]);
    if (el.placeholder) found.push([where(el) + ' (placeholder)', el.placeholder]);
  }
  return found;
}"""
# Resolves at the page's next change (or after `ms`): the check looks again only when there is something new.
NEXT_CHANGE_JS = """ms => new Promise(resolve => {
  const observer = new MutationObserver(() => { observer.disconnect(); resolve(true); });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  setTimeout(() => { observer.disconnect(); resolve(false); }, ms);
})"""


def english_on(page: Any, extra: set[str]) -> list[tuple[str, str, str]]:
    """(word, where, its text) for each English word the page shows. The language switch names each language in
    itself, so that a reader of either finds it: its "English" is allowed there, and only there."""
    return [(word, where, text.strip()) for where, text in page.evaluate(COLLECT_JS)
            for word in english_words(text, extra | ({"English"} if where.startswith("#language") else set()))]


@dataclass
class Reader:
    """Reads the page as a Chinese reader would, noting each English word with the place and element it was seen
    in; the test fails at its end with all of them, so one run names everything left to translate."""
    page: Any
    findings: list[str] = field(default_factory=list)

    def check(self, place: str, extra: set[str] = frozenset(), timeout_ms: int = SETTLE_MS) -> None:
        """Wait until the page shows no English outside the allow-list (it may still be redrawing), else note it."""
        deadline = time.monotonic() + timeout_ms / 1000
        while (found := english_on(self.page, extra)) and (left := deadline - time.monotonic()) > 0:
            self.page.evaluate(NEXT_CHANGE_JS, int(left * 1000))
        if found:
            lines = sorted({f"    {word!r} in {where}: {text[:100]!r}" for word, where, text in found})
            self.findings.append(f"  {place}:\n" + "\n".join(lines))

    def verdict(self) -> None:
        if self.findings:
            pytest.fail("English on the Chinese page:\n" + "\n".join(self.findings))


def demo_words(name: str) -> set[str]:
    """The demo's columns, texts and labels (a NER demo's entity types too: LOC of B-LOC): the user's own data,
    shown as it is."""
    raw = find_demo(name).path.read_text(encoding="utf-8")
    return words_of([raw, re.sub(r"\b[BIES]-", " ", raw)])


@pytest.fixture()
def chinese_page(browser: Any, server: str) -> Iterator[Any]:
    """A page whose browser says en-US but asks for Chinese pages (Accept-Language): it comes up in Chinese."""
    context = browser.new_context(locale="en-US", extra_http_headers={"Accept-Language": "zh-CN,zh;q=0.9"},
                                  viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(server)
    yield page
    context.close()


def test_a_browser_that_asks_for_chinese_gets_a_chinese_page(chinese_page: Any, tmp_path: Path) -> None:
    page, reader = chinese_page, Reader(chinese_page)
    assert page.evaluate("navigator.language") == "en-US"
    expect(page.get_by_role("tab", name="1 · 数据")).to_be_visible(timeout=60_000)
    expect(page.locator("#data-summary")).to_contain_text("数据概况", timeout=60_000)
    expect(page.locator("[data-testid=upload-text]").first).to_contain_text("点击上传")  # Gradio's own words
    reader.check("a page that came up in Chinese", demo_words("reviews_en"))
    # A refused file: the pop-up, its title included (Gradio writes "Warning"), says why in Chinese.
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    upload_input(page, "上传表格").set_input_files(str(empty))
    expect(toast_with(page, "empty.csv")).to_contain_text("注意")
    reader.check("a refused file", {"empty", "csv"} | demo_words("reviews_en"))
    reader.verdict()


def model_words(folder: str) -> set[str]:
    """The tiny model's folder and architecture, which the Model tab's card names."""
    config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
    return words_of([folder, *config.get("architectures", []), config.get("model_type", "")]) | {"BertModel"}


def walk(reader: Reader, place: str, extra: set[str], tabs: Sequence[str] = ()) -> None:
    """Open each tab (by default every tab the page has) and every closed section in it, and check them."""
    page = reader.page
    for tab in tabs or page.get_by_role("tab").all_inner_texts():
        go_to(page, tab)
        for section in page.locator("button.label-wrap:not(.open)").all():
            if section.is_visible():
                section.click()
        reader.check(f"{place}, {tab}", extra)


@pytest.mark.walk
def test_the_chinese_interface_has_no_english(page: Any, tmp_path: Path, tiny_model: str) -> None:
    """Switch to 中文 and walk every tab through the states a person meets: the demo before any choice, a refused
    file, Chinese data, a model's card, the settings with every section open, an estimate, a run from start to
    finish, its report, predictions, the Label tab, and another task's Data tab. About 4 minutes, so run on its own
    (pytest -m walk); the suite's Chinese checks are the page above and tests/app/test_chinese_words.py."""
    reader, data, model = Reader(page), demo_words("reviews_zh"), model_words(tiny_model)
    page.get_by_label("中文", exact=True).check()
    expect(page.locator("#data-summary")).to_contain_text("数据概况", timeout=60_000)
    walk(reader, "before any choice (the English demo's own texts allowed)", demo_words("reviews_en"))

    # A refused file: the pop-up and the summary say why, in Chinese.
    go_to(page, TABS[0])
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    upload_input(page, "上传表格").set_input_files(str(empty))
    expect(toast_with(page, "empty.csv")).to_be_visible(timeout=60_000)
    refused = {"empty", "csv"}   # the file's name, as the upload box goes on showing it
    reader.check("a refused file", refused)

    # Chinese data, a local model and its card.
    page.get_by_label("示例数据集").click()
    page.get_by_role("option", name=re.compile("reviews_zh")).click()
    expect(page.locator("#data-summary")).to_contain_text("reviews_zh", timeout=60_000)
    reader.check("the Chinese demo", data | refused)
    go_to(page, TABS[1])
    page.get_by_label("本地文件夹", exact=True).check()
    location = page.get_by_label("文件夹路径或模型名")
    location.fill(tiny_model)
    location.press("Enter")
    expect(page.get_by_label("当前模型")).to_have_value(tiny_model, timeout=60_000)
    page.get_by_role("button", name="检查模型与数据").click()
    expect(page.locator("#model-coverage")).to_contain_text("未知词元", timeout=60_000)
    reader.check("the model's card", data | model)

    # Every method's options with every section open, the estimate; then a short LoRA run.
    go_to(page, TABS[2])
    for method in ("IA3", "提示微调", "训练顶部几层", "LoRA"):   # each shows its own options (full and head-only none)
        page.get_by_label(method, exact=True).check()
        walk(reader, f"the method {method}", data | model, tabs=TABS[2:3])
    epochs = page.get_by_label("训练轮数", exact=True)
    epochs.fill("1")
    epochs.press("Tab")
    expect(page.locator("#config-status")).to_contain_text("设置有效")
    page.get_by_role("button", name="估算参数量与内存").click()
    expect(page.locator("#plan")).to_contain_text("可训练参数")
    reader.check("the settings' estimate", data | model)

    go_to(page, TABS[3])
    expect(page.locator("#time-estimate")).to_contain_text("⏱")
    reader.check("before the run", data | model)
    start = page.get_by_role("button", name="▶ 开始训练")
    expect(start).to_be_enabled()
    start.click()
    expect(toast_with(page, "训练已开始")).to_be_visible()
    reader.check("a run that started", data | model)
    expect(page.locator("#progress .tb-progress")).to_have_attribute("data-status", "finished",
                                                                     timeout=TRAIN_TIMEOUT_MS)
    wait_for_plot(page, "loss-plot", "d[0].x && d[0].x.length > 0", 30_000)
    walk(reader, "a finished run", data | model, tabs=TABS[3:5])
    expect(page.locator("#merge-adapter")).to_be_visible()   # a LoRA run: its Evaluate tab offers the merge

    # Predictions, one text and many.
    go_to(page, TABS[5])
    page.locator("#playground-input-0 textarea").fill("这家店的菜很好吃，服务也很周到。")
    page.get_by_role("button", name="预测", exact=True).click()
    expect(page.locator("#tuned-prediction")).to_contain_text(re.compile("微调后：(正面|负面)"), timeout=60_000)
    walk(reader, "a prediction", data | model, tabs=TABS[5:6])
    page.get_by_label("每行一条文本").fill("质量很差，不推荐。\n物流很快，包装完好。")
    page.get_by_role("button", name="全部预测").click()
    expect(page.get_by_role("columnheader", name="置信度")).to_be_visible(timeout=60_000)
    reader.check("predictions of many texts", data | model)
    walk(reader, "the Label tab", data | model, tabs=TABS[6:])

    # Another task names its columns and shows its own demo in Chinese.
    go_to(page, TABS[0])
    page.get_by_label("任务", exact=True).click()
    page.get_by_role("option", name=re.compile("命名实体识别")).click()
    expect(page.locator("#data-summary")).to_contain_text("ner_en", timeout=60_000)
    reader.check("the NER task's Data tab (its English demo's words allowed)",
                 demo_words("ner_en") | model | refused)
    reader.verdict()
