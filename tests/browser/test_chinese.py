"""A page whose browser asks for Chinese (Accept-Language) comes up in Chinese, Gradio's own words included,
whatever navigator.language says, and shows no visible English word outside the allow-list of
tests/app/untranslated.py.

The check reads what a person sees: the visible text of the page (charts and pop-ups included), and the values
and placeholders of visible inputs. Code blocks (the YAML and the command line) are code, the same in every
language, and are left out.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
from playwright.sync_api import expect

from engine.data import find_demo
from tests.app.untranslated import english_words, words_of

pytestmark = pytest.mark.slow

SETTLE_MS = 30_000   # how long a page may take to redraw in Chinese on this busy machine

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
    """The demo's columns and texts: the user's own data, shown as it is."""
    return words_of([find_demo(name).path.read_text(encoding="utf-8")])


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


def test_a_browser_that_asks_for_chinese_gets_a_chinese_page(chinese_page: Any) -> None:
    page, reader = chinese_page, Reader(chinese_page)
    assert page.evaluate("navigator.language") == "en-US"
    expect(page.get_by_role("tab", name="1 · 数据")).to_be_visible(timeout=60_000)
    expect(page.locator("#data-summary")).to_contain_text("数据概况", timeout=60_000)
    expect(page.locator("[data-testid=upload-text]").first).to_contain_text("点击上传")  # Gradio's own words
    reader.check("a page that came up in Chinese", demo_words("reviews_en"))
    reader.verdict()

