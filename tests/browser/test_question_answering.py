"""Question answering in a real Chromium, as a user does it: upload a SQuAD file, train a few steps, read EM and
F1 and the worst answers, then ask a question about a long document and see the answer marked in it."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser import (TRAIN_TIMEOUT_MS, config_yaml, go_to, start_training, upload_input,
                                        wait_for_plot)
from tests.browser.test_data_tab import choose
from tests.browser.test_sessions import choose_local_model, set_number

pytestmark = pytest.mark.slow

QUESTION_SLOT, CONTEXT_SLOT = "Column with the question", "Column with the text that holds the answer (the context)"
QUESTION_INPUT, CONTEXT_INPUT = "The question", "The text that holds the answer (the context)"
TOWNS = ["Harrow Vale", "Pinecrest", "Eastmoor", "Lindqvist Bay", "Corran", "Mistle End", "Oakhurst", "Brennock"]


def write_squad(path: Path) -> Path:
    """A user's SQuAD file: one paragraph per town, three questions each, answers placed by their offsets; one
    offset is wrong on purpose (the Data tab must say it was found by its text)."""
    articles = []
    for i, town in enumerate(TOWNS):
        context = (f"The market in {town} opens at {6 + i} o'clock. It was founded by Mayor Ada Quill in {1900 + i}. "
                   f"Every Friday {10 + i} farmers sell apples there.")
        qas = [(f"Who founded the market in {town}?", "Mayor Ada Quill"), (f"When was it founded?", str(1900 + i)),
               (f"How many farmers sell apples?", str(10 + i))]
        articles.append({"title": town, "paragraphs": [{"context": context, "qas": [
            {"id": f"{i}-{n}", "question": q, "answers": [{"text": a, "answer_start": context.index(a) + (n == i == 0)}]}
            for n, (q, a) in enumerate(qas)]}]})
    path.write_text(json.dumps({"version": "1.1", "data": articles}), encoding="utf-8")
    return path


def test_question_answering_from_an_upload_to_an_answer_in_a_long_document(page: Any, tmp_path: Path,
                                                                           tiny_model: str) -> None:
    # 1 · Data: the SQuAD file is read as questions, its columns found, its answers checked.
    choose(page, "Task", "Question answering (extractive)")
    expect(page.locator("#data-summary")).to_contain_text("read as SQuAD JSON: 36 articles")  # the task's demo
    upload_input(page, "upload a table").set_input_files(str(write_squad(tmp_path / "markets.json")))
    expect(page.get_by_label("Dataset in use")).to_have_value("markets.json")
    expect(page.get_by_label(QUESTION_SLOT)).to_have_value("question")
    expect(page.get_by_label(CONTEXT_SLOT)).to_have_value("context")
    summary = page.locator("#data-summary")
    expect(summary).to_contain_text("was read as SQuAD JSON: 8 articles, 8 paragraphs, 24 questions")
    expect(summary).to_contain_text("found by their text: 1")
    expect(page.locator("#data-split")).to_contain_text("holds whole groups of rows that share their")

    # 2, 3 · A tiny model, a few steps.
    choose_local_model(page, tiny_model)
    go_to(page, "3 · Hyperparameters")
    set_number(page, "Epochs", "2")
    set_number(page, "Learning rate", "0.01")
    expect(config_yaml(page)).to_contain_text("task: question_answering")

    # 4 · Train: both live metrics are charted.
    start_training(page)
    expect(page.locator("#progress .tb-progress")).to_have_attribute("data-status", "finished",
                                                                      timeout=TRAIN_TIMEOUT_MS)
    wait_for_plot(page, "metrics-plot", "d.some(t => /exact match/i.test(t.name)) && d.some(t => /F1/.test(t.name))",
                  30_000)

    # 5 · Evaluate: EM and F1, F1 by question type, the worst answers with their spans marked in the context.
    go_to(page, "5 · Evaluate")
    metrics = page.locator("#eval-metrics")
    expect(metrics).to_contain_text("exact match")
    expect(metrics).to_contain_text("F1")
    wait_for_plot(page, "eval-figure-0", "d[0].type === 'bar'", 30_000)
    expect(page.locator("#eval-table-0")).to_contain_text("By question type")
    worst = page.locator("#eval-table-1")
    expect(worst).to_contain_text("Worst answers")
    expect(worst.locator("mark:visible").first).to_be_visible()

    # 6 · Playground: a question about a long document loaded from a text file; the answer is marked inside it,
    # with the next best.
    go_to(page, "6 · Playground")
    expect(page.get_by_role("combobox", name="Run", exact=True)).to_have_value(re.compile(r"· Finished ·"))
    document = " ".join(f"Line {n} of the town report is routine." for n in range(120)) + " The market in " \
        "Corran was founded by Mayor Ada Quill."
    report = tmp_path / "town-report.txt"
    report.write_text(document, encoding="utf-8")
    load = page.locator("#playground-document")
    expect(load).to_contain_text(f"Load a text file into “{CONTEXT_INPUT}”")
    with page.expect_file_chooser() as chooser:
        load.click()
    chooser.value.set_files(str(report))
    expect(page.get_by_label(CONTEXT_INPUT, exact=True)).to_have_value(document)
    page.get_by_label(QUESTION_INPUT, exact=True).fill("Who founded the market in Corran?")
    page.get_by_role("button", name="Predict", exact=True).click()
    verdict = page.locator("#tuned-prediction")
    expect(verdict).to_contain_text(re.compile(r"Fine-tuned: .+ · \d+\.\d%"), timeout=60_000)
    expect(verdict).to_contain_text("Next best")
    spans = page.locator("#tuned-spans")
    expect(spans).to_be_visible()
    text = spans.locator(".textfield .text").evaluate_all("els => els.map(e => e.textContent).join('')")
    assert text == document
    expect(spans.locator(".token .label")).to_have_text(["answer"])
