"""Browser fixtures: one live app per module and a headless Debian Chromium (never a downloaded one)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from playwright.sync_api import expect

expect.set_options(timeout=20_000)  # a shared 2-core machine: answers can take seconds


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, serve_app: Callable[[Path], str]) -> str:
    return serve_app(tmp_path_factory.mktemp("browser-runs"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture()
def page(request: pytest.FixtureRequest, browser: Any, server: str, tmp_path: Path) -> Iterator[Any]:
    """A fresh English page on the app; a full-page screenshot lands in tmp_path only if the test failed."""
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(server)
    # Let the page-load events finish (the demo dataset is previewed and summarised) before the test acts,
    # as a person would: acting mid-load races those events (see the report of tests/browser).
    expect(page.locator("#data-summary")).to_contain_text("rows: 320")
    try:
        yield page
    finally:
        failed = getattr(request.node, "report_call", None)
        if failed is not None and failed.failed:
            shot = tmp_path / f"{request.node.name}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot: {shot}")
        context.close()
