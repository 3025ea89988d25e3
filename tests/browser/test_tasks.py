"""The task contract in a real Chromium: choosing another task reshapes the page from the task alone (column
slots named for its roles, its own demo, its report's figures and tables, its input boxes and output view)."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser import (LABEL_SLOT, TEXT_SLOT, TRAIN_TIMEOUT_MS, config_yaml, go_to, start_training,
                                        upload_input, wait_for_plot)
from tests.browser.test_data_tab import choose
from tests.browser.test_sessions import choose_local_model, set_number

pytestmark = pytest.mark.slow

# Token classification's roles, as the Data tab's column slots and the Playground's input box name them.
TOKENS_SLOT = "Column with the words of each sentence (characters, for Chinese)"
TAGS_SLOT = "Column with the tag of each word: O, or B-/I- and an entity type such as B-PER"
TOKENS_INPUT = "The words of each sentence (characters, for Chinese)"
# Text regression's roles.
SCORED_SLOT, NUMBER_SLOT = "Column with the text to score", "Column with the number for each text"
SCORED_INPUT = "The text to score"
# Question answering's roles.
QUESTION_SLOT, CONTEXT_SLOT = "Column with the question", "Column with the text that holds the answer (the context)"
QUESTION_INPUT, CONTEXT_INPUT = "The question", "The text that holds the answer (the context)"
TOWNS = ["Harrow Vale", "Pinecrest", "Eastmoor", "Lindqvist Bay", "Corran", "Mistle End", "Oakhurst", "Brennock"]
# Words apart, so that no two entities touch (the view would merge two of one type into one highlight).
SENTENCE = "Maria Lopez joined Bluegate Bank in Lima last spring"


def test_token_classification_reshapes_every_tab(page: Any, tiny_model: str) -> None:
    # 1 · Data: the slots take the new task's roles and its English demo replaces the reviews.
    choose(page, "Task", "Token classification (NER)")
    expect(page.get_by_label("Dataset in use")).to_have_value("demo:ner_en")
    expect(page.get_by_label("Demo dataset")).to_have_value("demo:ner_en")
    expect(page.get_by_label(TOKENS_SLOT)).to_have_value("tokens")
    expect(page.get_by_label(TAGS_SLOT)).to_have_value("tags")
    expect(page.get_by_label(TEXT_SLOT)).to_have_count(0)   # renamed, not added beside the old ones
    expect(page.get_by_label(LABEL_SLOT)).to_have_count(0)
    summary = page.locator("#data-summary")
    expect(summary).to_contain_text("rows: 335")
    expect(summary).to_contain_text("entity types: 3")

    # 2, 3 · A tiny model and one epoch of 5 steps (268 training sentences, 64 a step).
    choose_local_model(page, tiny_model)
    go_to(page, "3 · Hyperparameters")
    set_number(page, "Epochs", "1")
    set_number(page, "Batch size", "64")
    set_number(page, "Learning rate", "0.01")
    yaml_block = config_yaml(page)
    expect(yaml_block).to_contain_text("task: token_classification")
    expect(yaml_block).to_contain_text("train_file: demo:ner_en")
    expect(page.locator("#config-status")).to_contain_text("valid")

    # 4 · Train.
    start_training(page)
    expect(page.locator("#progress .tb-progress")).to_have_attribute("data-status", "finished",
                                                                      timeout=TRAIN_TIMEOUT_MS)

    # 5 · Evaluate: the task's report, drawn from its kinds: the tag confusion heatmap and the per-type table.
    go_to(page, "5 · Evaluate")
    expect(page.get_by_role("combobox", name="Run", exact=True)).to_have_value(re.compile(r"· Finished ·"))
    wait_for_plot(page, "eval-figure-0", "d[0].type === 'heatmap' && d[0].x.includes('B-PER') "
                                         "&& d[0].y.includes('I-LOC')", 30_000)
    expect(page.locator("#eval-figure-0")).to_contain_text("Tag confusion (words)")
    per_type = page.locator("#eval-table-0")
    expect(per_type).to_contain_text("Per entity type")
    expect(per_type.get_by_role("columnheader").first).to_contain_text("Entity type")
    for kind in ("LOC", "ORG", "PER"):
        expect(per_type.get_by_role("gridcell", name=kind, exact=True)).to_be_visible()

    # 6 · Playground: the input box is named for the tokens role; each model's entities are highlighted in the
    # typed text. The base model's head is untrained (seeded, so repeatable): it tags words at random, so its view
    # always has spans to show; the briefly tuned one may find none, but then it says so.
    go_to(page, "6 · Playground")
    expect(page.get_by_role("combobox", name="Run", exact=True)).to_have_value(re.compile(r"· Finished ·"))
    page.get_by_label(TOKENS_INPUT, exact=True).fill(SENTENCE)
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.locator("#tuned-prediction")).to_contain_text(re.compile(r"Fine-tuned: \d+ entities found"),
                                                              timeout=60_000)
    found = {view: highlighted(page, view, who) for view, who in (("tuned", "Fine-tuned"), ("base", "Base model"))}
    assert found["base"], found
    expect(page.locator("#tuned-generated")).to_be_hidden()   # the spans view, not another kind's


def highlighted(page: Any, view: str, who: str) -> list[str]:
    """The entity types highlighted in a view's copy of SENTENCE, after checking they are as many as its verdict
    counts and that the highlighted text is the sentence as typed."""
    verdict = page.locator(f"#{view}-prediction")
    expect(verdict).to_contain_text(re.compile(rf"{who}: \d+ entities found"))
    count = int(re.search(r"(\d+) entities found", verdict.inner_text()).group(1))
    spans = page.locator(f"#{view}-spans")
    expect(spans).to_be_visible()
    assert spans.locator(".textfield .text").evaluate_all("els => els.map(e => e.textContent).join('')") == SENTENCE
    labels = spans.locator(".token .label").all_inner_texts()
    assert len(labels) == count and set(labels) <= {"LOC", "ORG", "PER"}, (view, count, labels)
    return labels


def write_ratings(path: Path) -> Path:
    """A user's file: reviews with a rating from 1 to 5, its columns named in the user's own words."""
    verdicts = {1: "awful, it broke at once", 2: "poor and flimsy", 3: "just average", 4: "good and solid",
                5: "excellent, I love it"}
    things = ["kettle", "lamp", "backpack", "phone case", "desk chair", "mug", "blender", "umbrella"]
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["review", "rating"])
        writer.writerows((f"The {thing} is {verdicts[stars]}.", stars) for thing in things for stars in verdicts)
    return path


def test_text_regression_from_an_upload_to_a_predicted_number(page: Any, tmp_path: Path, tiny_model: str) -> None:
    # 1 · Data: an uploaded file of reviews and ratings; the slots are named for the task and guess its columns.
    choose(page, "Task", "Text regression (a number per text)")
    upload_input(page, "upload a table").set_input_files(str(write_ratings(tmp_path / "ratings.csv")))
    expect(page.get_by_label("Dataset in use")).to_have_value("ratings.csv")
    expect(page.get_by_label(SCORED_SLOT)).to_have_value("review")
    expect(page.get_by_label(NUMBER_SLOT)).to_have_value("rating")
    expect(page.locator("#data-summary")).to_contain_text("range 1 – 5")

    choose_local_model(page, tiny_model)
    go_to(page, "3 · Hyperparameters")
    set_number(page, "Epochs", "1")
    expect(config_yaml(page)).to_contain_text("task: text_regression")
    start_training(page)
    expect(page.locator("#progress .tb-progress")).to_have_attribute("data-status", "finished",
                                                                      timeout=TRAIN_TIMEOUT_MS)
    wait_for_plot(page, "metrics-plot", "d.some(t => /RMSE/.test(t.name))", 30_000)   # its live metric

    # 5 · Evaluate: predicted against true, and the largest errors.
    go_to(page, "5 · Evaluate")
    wait_for_plot(page, "eval-figure-0", "d[0].type === 'scatter'", 30_000)
    expect(page.locator("#eval-figure-0")).to_contain_text("Predicted against true")
    expect(page.locator("#eval-table-0")).to_contain_text("Largest errors")

    # 6 · Playground: one box for the text to score; each model answers with a number.
    go_to(page, "6 · Playground")
    page.get_by_label(SCORED_INPUT, exact=True).fill("The toaster is excellent, I love it.")
    page.get_by_role("button", name="Predict", exact=True).click()
    expect(page.locator("#tuned-prediction")).to_contain_text(re.compile(r"Fine-tuned: -?\d"), timeout=60_000)
    expect(page.locator("#base-prediction")).to_contain_text(re.compile(r"Base model: -?\d"))


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


# Counts the page's requests to run a handler, by the handler's API name (the clock's is "tick").
COUNT_REQUESTS_JS = """
window.__asked = [];
const send = window.fetch;
window.fetch = function (url, options) {
  if (String(url).includes('queue/join') && options && options.body) {
    const fn = JSON.parse(options.body).fn_index;
    window.__asked.push(window.gradio_config.dependencies.find(d => d.id === fn)?.api_name ?? String(fn));
  }
  return send.apply(this, arguments);
};
"""
QUIET_S, SETTLE_TIMEOUT_S = 6, 120


def test_a_page_left_alone_asks_only_for_the_clock(page: Any) -> None:
    """A new task sets off a dozen handlers at once. Once they are done, an idle page sends only its clock's ticks:
    handlers that set each other off again (ui.events) kept a page busy forever and starved a training beside it."""
    page.add_init_script(COUNT_REQUESTS_JS)
    page.reload()
    expect(page.locator("#data-summary")).to_contain_text("rows: 320")
    choose(page, "Task", "Text regression (a number per text)")
    expect(page.locator("#data-summary")).to_contain_text("demo:ratings_en")
    waited = 0
    while True:  # a window of QUIET_S seconds with nothing but ticks; the old loop asked every 2 to 5 s
        page.evaluate("window.__asked = []")
        page.wait_for_timeout(QUIET_S * 1000)
        waited += QUIET_S
        asked = [name for name in page.evaluate("window.__asked") if name != "tick"]
        if not asked or waited >= SETTLE_TIMEOUT_S:
            break
    assert asked == [], f"still asking after {waited} s: {asked}"
