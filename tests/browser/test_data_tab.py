"""The Data tab in a real Chromium: what was detected is shown and can be overridden, broken rows can be
downloaded, and after a file fails nothing of the previous dataset stays on screen as if it were current."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser import LABEL_SLOT, TEXT_SLOT

pytestmark = pytest.mark.slow


def upload(page: Any, path: Path) -> None:
    """Upload into the main file box, clearing the file already there (a person clicks its ×)."""
    block = page.locator(".block").filter(has=page.locator("[data-testid=block-label]", has_text="upload a table"))
    clear = block.get_by_role("button", name="Clear")
    if clear.count():
        clear.first.click()
    block.locator("input[type=file]").set_input_files(str(path))


def choose(page: Any, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def plot_traces(page: Any) -> int:
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')]
                                    .reduce((n, plot) => n + ((plot.data || []).length), 0)""")


def european_csv(path: Path, rows: int = 40) -> Path:
    lines = ["avis;note"] + [f"Très bon produit n°{i}, c’est génial – vraiment;{'positif' if i % 2 else 'négatif'}"
                             for i in range(rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def test_detected_encoding_and_separator_are_shown_and_can_be_overridden(page: Any, tmp_path: Path) -> None:
    upload(page, european_csv(tmp_path / "avis.csv"))
    summary = page.locator("#data-summary")
    expect(page.get_by_label("Dataset in use")).to_have_value("avis.csv")  # the user's name, no server path
    expect(summary).to_contain_text("Encoding: cp1252 (detected)")
    expect(summary).to_contain_text("Separator: semicolon ; (detected)")
    expect(summary).to_contain_text("rows: 40")
    expect(page.get_by_label(TEXT_SLOT)).to_have_value("avis")
    expect(page.get_by_label(LABEL_SLOT)).to_have_value("note")
    expect(page.get_by_label("Separator", exact=True)).to_have_value("detected: semicolon ;")
    expect(page.get_by_role("gridcell", name=re.compile("c’est génial")).first).to_be_visible()

    choose(page, "Separator", "comma ,")  # wrong on purpose: the file is read again with commas
    expect(summary).to_contain_text("Choose ';' as the separator")
    expect(summary).not_to_contain_text("rows: 40")
    choose(page, "Encoding", "utf-8")
    expect(summary).to_contain_text("cannot be read as utf-8")
    choose(page, "Encoding", re.compile("detected: cp1252|detect automatically"))
    choose(page, "Separator", re.compile("detected: |detect automatically"))
    expect(summary).to_contain_text("rows: 40")
    expect(summary).to_contain_text("Separator: semicolon ; (detected)")


def test_a_failed_upload_leaves_nothing_of_the_previous_dataset(page: Any, tmp_path: Path) -> None:
    upload(page, european_csv(tmp_path / "good.csv"))
    summary = page.locator("#data-summary")
    expect(summary).to_contain_text("rows: 40")
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2")

    photo = tmp_path / "photo.csv"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    upload(page, photo)
    expect(summary).to_contain_text("'photo.csv' is a PNG image, not a table")
    expect(summary).not_to_contain_text("rows: 40")
    expect(page.get_by_label("Dataset in use")).to_have_value("photo.csv")
    expect(page.get_by_role("gridcell", name=re.compile("c’est génial"))).to_have_count(0)
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')]"
                           ".every(plot => !(plot.data || []).length)")
    assert plot_traces(page) == 0
    expect(page.locator("#data-split")).not_to_contain_text("train **")


def test_rows_left_out_are_named_and_can_be_downloaded(page: Any, tmp_path: Path) -> None:
    lines = ["text,label"] + [f"review {i} was fine,{'pos' if i % 2 else 'neg'}" for i in range(30)]
    lines[5:5] = ["junk,with,three", '"an unclosed quote,pos']
    path = tmp_path / "messy.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    upload(page, path)
    summary = page.locator("#data-summary")
    expect(summary).to_contain_text("rows left out while reading: 2")
    expect(summary).to_contain_text("left out: 1 (lines 6)")
    expect(summary).to_contain_text("(lines 7)")
    download = page.locator("#data-rejected")
    expect(download.get_by_role("cell", name="messy-rejected-rows.csv")).to_be_visible()
    with page.expect_download() as info:
        download.get_by_role("link").first.click()
    saved = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert saved.splitlines()[0] == "line,reason,raw" and "6,\"field count 3, the header has 2\"" in saved
