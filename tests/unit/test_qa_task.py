"""The question answering task on its contract: reading SQuAD and tables, checking answers, windows, reading
answers back, the grouped split, a short run, and the example config."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from engine.data import load_splits
from engine.tasks import get_task
from engine.tasks.question_answering.answers import FOUND, MISSING, REPAIRED, UNANSWERABLE, locate
from engine.tasks.question_answering.windows import Decoding, make_windows, read_answers

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = ROOT / "assets" / "configs" / "question_answering.yaml"
CONTEXT = "The library in Millbrook was built in 1921 by Anna Park. It opens at nine."
ANNA = CONTEXT.index("Anna Park")  # 46


@pytest.fixture(scope="module")
def task() -> Any:
    return get_task("question_answering")


def qa_config(train_file: str | Path = "demo:qa_en", max_length: int = 64, **options: Any) -> RunConfig:
    return RunConfig(task="question_answering", options=options, data=DataConfig(train_file=str(train_file)),
                     model=ModelConfig(max_length=max_length))


def squad_file(path: Path, paragraphs: list[tuple[str, list[dict]]]) -> Path:
    data = [{"title": f"article {i}", "paragraphs": [{"context": context, "qas": qas}]}
            for i, (context, qas) in enumerate(paragraphs)]
    path.write_text(json.dumps({"version": "v2.0", "data": data}), encoding="utf-8")
    return path


# -- the contract ---------------------------------------------------------------------------------------------
def test_the_task_declares_its_roles_metrics_options_and_demos(task: Any) -> None:
    from engine.data.loading import demos_for

    assert [role.name for role in task.roles] == ["question", "context", "answers", "answer_start"]
    assert [role.name for role in task.input_roles] == ["question", "context"]
    assert task.live_metrics == ("f1", "exact_match") and task.primary_metric == "f1"
    assert (task.output_kind, task.peft_task_type) == ("answer", "QUESTION_ANS")
    assert [demo.name for demo in demos_for("question_answering")] == ["qa_en", "qa_zh"]


def test_the_demos_answers_are_all_where_the_files_say(task: Any) -> None:
    for demo in ("demo:qa_en", "demo:qa_zh"):
        splits = load_splits(qa_config(demo).data, task.data_plan(qa_config(demo)))
        frame = pd.concat([splits.splits.train, splits.splits.validation, splits.splits.test])
        counts = task.counts(frame, qa_config(demo))
        assert counts.found == len(frame) >= 120 and counts.repaired == counts.missing == 0


# -- reading ----------------------------------------------------------------------------------------------------
def test_squad_json_is_read_one_row_per_question_with_unanswerable_ones(task: Any, tmp_path: Path) -> None:
    from engine.data import read_table

    path = squad_file(tmp_path / "train.json", [
        ("  " + CONTEXT, [{"id": "a", "question": "Who built it?", "answers": [{"text": "Anna Park", "answer_start": ANNA + 2}]},
                          {"id": "b", "question": "Who paid?", "is_impossible": True, "answers": [],
                           "plausible_answers": [{"text": "Anna Park", "answer_start": ANNA + 2}]}]),
        ("", [{"id": "c", "question": "What?", "answers": []}])])
    table = read_table(str(path), plan=task.data_plan(qa_config(path)))
    frame = table.frame
    assert frame["question"].tolist() == ["Who built it?", "Who paid?"]
    # the context's leading spaces are cut and the offset moved with them
    assert frame["context"][0] == CONTEXT and frame["answer_start"][0] == [ANNA]
    assert frame["answers"][1] == [] and frame["answer_start"][1] == []
    notes = [note.text("en") for note in table.notes]
    assert "2 articles, 2 paragraphs, 2 questions, 1 of them marked unanswerable" in notes[0]
    assert "without a question or a context were left out: 1" in notes[1]


def test_a_flat_table_and_hugging_face_rows_are_read_and_their_columns_guessed(task: Any, tmp_path: Path) -> None:
    from engine.data import read_table
    from engine.data.columns import guess_roles

    plan = task.data_plan(qa_config())
    flat = tmp_path / "flat.csv"
    pd.DataFrame({"Question": ["Who built it?"], "Passage": [CONTEXT], "Answer": ["Anna Park"],
                  "answer_start": [ANNA]}).to_csv(flat, index=False)
    hf = tmp_path / "hf.jsonl"
    hf.write_text(json.dumps({"question": "Who built it?", "context": CONTEXT,
                              "answers": {"text": ["Anna Park"], "answer_start": [ANNA]}}) + "\n", encoding="utf-8")
    assert guess_roles(read_table(str(flat), plan=plan).frame, plan.roles) == {
        "question": "Question", "context": "Passage", "answers": "Answer", "answer_start": "answer_start"}
    assert guess_roles(read_table(str(hf), plan=plan).frame, plan.roles) == {
        "question": "question", "context": "context", "answers": "answers.text",
        "answer_start": "answers.answer_start"}


def test_answers_are_checked_repaired_or_reported_on_the_data_tab(task: Any, tmp_path: Path) -> None:
    from engine.studio import Studio

    assert locate(CONTEXT, ["Anna Park"], [ANNA]).status == FOUND
    repaired = locate(CONTEXT, ["Anna Park"], [3])
    assert (repaired.status, repaired.start) == (REPAIRED, ANNA)
    assert locate("a b a", ["a"], [3]).start == 4            # the occurrence nearest the given offset
    assert locate(CONTEXT, ["Anna Park"], []).status == REPAIRED  # no offset: found by text
    assert locate(CONTEXT, ["Tom Reed"], [ANNA]).status == MISSING
    assert locate(CONTEXT, [], []).status == UNANSWERABLE
    path = tmp_path / "mixed.csv"
    pd.DataFrame({"question": ["Who built it?", "When?", "Who owns it?", "Is it red?"],
                  "context": [CONTEXT] * 4, "answer": ["Anna Park", "1921", "Tom Reed", ""],
                  "answer_start": [ANNA, 0, 10, None]}).to_csv(path, index=False)
    cfg = RunConfig(task="question_answering", data=DataConfig(train_file=str(path)),
                    model=ModelConfig(max_length=16))
    notes = [note.text("en") for note in Studio(tmp_path / "runs").inspect(cfg).notes]
    assert "found by their text: 1." in notes[0]
    assert "do not occur in their context, left out of training and still scored: 1 (rows 3)" in notes[1]
    assert "no answer in their context" in notes[2] and notes[2].endswith(": 1.")
    assert "4 of 4 sampled questions (100%) need more than one window of 16 tokens" in notes[3]


def test_questions_about_one_context_stay_in_one_split(task: Any, tmp_path: Path) -> None:
    contexts = [f"Paragraph {i} says the answer is {i * 7}." for i in range(20)]
    rows = [{"question": f"Question {q} about {i}?", "context": c, "answers": [str(i * 7)], "answer_start": []}
            for i, c in enumerate(contexts) for q in range(3)]
    path = tmp_path / "grouped.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    cfg = qa_config(path)
    prepared = load_splits(cfg.data, task.data_plan(cfg))
    parts = [set(getattr(prepared.splits, part)["context"]) for part in ("train", "validation", "test")]
    assert all(parts) and not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert [note.text("en")[:20] for note in prepared.summary()["notes"][:2]] == ["The test split holds", "The validation split"]


def test_too_few_contexts_to_hold_out_whole_are_split_at_random_and_said_so() -> None:
    from engine.data.prepare import split_frame

    frame = pd.DataFrame({"context": ["one"] * 10 + ["two"] * 10, "question": [f"q{i}" for i in range(20)]})
    splits = split_frame(frame, None, 0.2, 0.2, seed=0, group="context")
    assert len(splits.validation) == len(splits.test) == 4 and len(splits.train) == 12
    assert all("only 2 different values" in note.text("en") for note in splits.notes) and len(splits.notes) == 2


# -- windows -----------------------------------------------------------------------------------------------------
def test_a_long_context_is_read_in_windows_and_an_answer_across_a_cut_is_whole_in_one(tokenizer: Any) -> None:
    words = [f"w{i}" for i in range(80)]
    context = " ".join(words)
    start = context.index("w40")
    answer = locate(context, ["w40 w41 w42"], [start])
    windows = make_windows(["Which words?"], [context], tokenizer, 48, 16, [answer])
    assert len(windows["input_ids"]) > 2 and set(windows["example"]) == {0}
    labelled = [i for i, s in enumerate(windows["start_positions"]) if s != windows["cls"][i]]
    assert labelled  # some window holds the whole answer...
    for i in labelled:  # ...and its positions map back to exactly the answer's characters
        offsets = windows["offsets"][i]
        first, last = windows["start_positions"][i], windows["end_positions"][i]
        assert context[offsets[first][0]:offsets[last][1]] == "w40 w41 w42"
    for i, offsets in enumerate(windows["offsets"]):  # a window that cuts the answer points at CLS
        inside = [span for span in offsets if span != [-1, -1]]
        if inside[0][0] > start or inside[-1][1] < answer.end:
            assert windows["start_positions"][i] == windows["end_positions"][i] == windows["cls"][i]


def test_offsets_are_characters_of_the_context_with_multi_byte_text(tokenizer: Any) -> None:
    context = "Café Ünïcode 🎉 opened in Zürich, 北京 1921."
    answer = locate(context, ["Zürich"], [context.index("Zürich")])
    windows = make_windows(["Where?"], [context], tokenizer, 64, 0, [answer])
    offsets = windows["offsets"][0]
    first, last = windows["start_positions"][0], windows["end_positions"][0]
    assert context[offsets[first][0]:offsets[last][1]] == "Zürich"
    assert context[offsets[-2][0]:offsets[-2][1]] == "."  # the last context token, before [SEP]


def test_answers_are_read_from_the_best_span_over_all_windows() -> None:
    # Two windows of one question: tokens are offsets into "aa bb cc dd" (CLS and question at NO_OFFSET).
    context = "aa bb cc dd"
    windows = {"example": [0, 0], "cls": [0, 0],
               "offsets": [[[-1, -1], [0, 2], [3, 5], [6, 8]], [[-1, -1], [3, 5], [6, 8], [9, 11]]]}
    starts = [np.array([0.0, 1.0, 0.0, 0.0]), np.array([0.0, 0.0, 5.0, 0.0])]
    ends = [np.array([0.0, 0.0, 2.0, 0.0]), np.array([0.0, 0.0, 0.0, 4.0])]
    (answer,) = read_answers(starts, ends, windows, [context], Decoding(0, 30, False))
    assert (answer["answer"], answer["start"], answer["end"]) == ("cc dd", 6, 11)  # 5 + 4 in window 2
    assert 0 < answer["score"] < 1 and len(answer["alternatives"]) == 3
    assert all(context[a["start"]:a["end"]] == a["answer"] for a in answer["alternatives"])
    (short,) = read_answers(starts, ends, windows, [context], Decoding(0, 1, False))
    assert len(short["answer"].split()) == 1  # at most one token
    null_wins = [np.array([20.0, 1.0, 0.0, 0.0])], [np.array([20.0, 0.0, 2.0, 0.0])]
    (nothing,) = read_answers(*null_wins, {k: v[:1] for k, v in windows.items()}, [context], Decoding(0, 30, True))
    assert nothing["answer"] == "" and nothing["start"] == -1 and nothing["score"] > 0.9
    (forced,) = read_answers(*null_wins, {k: v[:1] for k, v in windows.items()}, [context], Decoding(0, 30, False))
    assert forced["answer"] == "aa bb"  # a model never trained on unanswerable questions always answers


# -- end to end -----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_short_run_on_the_demo_trains_reports_and_answers_a_long_document(tmp_path: Path, tiny_model: str,
                                                                            create_run: Any) -> None:
    from engine.inference import Predictor
    from engine.runs.events import EventLog
    from engine.train import run_training

    cfg = RunConfig(task="question_answering", data=DataConfig(train_file="demo:qa_en"),
                    model=ModelConfig(name_or_path=tiny_model, max_length=64), options={"stride": 16},
                    train=TrainConfig(max_steps=6, train_batch_size=16, learning_rate=1e-3, eval_strategy="steps",
                                      eval_steps=3, save_strategy="steps", save_steps=3, device="cpu", warmup=0,
                                      logging_steps=2))
    record = create_run(tmp_path / "runs", cfg)
    outcome = run_training(record.run_dir)
    assert outcome.status == "finished" and outcome.metric_name == "f1"
    events = EventLog(record.run_dir).read()[0]
    ready = next(event for event in events if event["kind"] == "model_ready")
    assert ready["labels"] == {"stride": 16, "max_answer_tokens": 30, "allow_no_answer": False,
                               "null_threshold": 0.0}
    assert ready["live_metrics"] == ["f1", "exact_match"]
    evals = [event["values"] for event in events if event["kind"] == "eval"]
    assert len(evals) == 2 and all(0 <= v["eval_f1"] <= 1 and "eval_loss" in v for v in evals)
    report = json.loads((Path(record.run_dir) / "report.json").read_text(encoding="utf-8"))
    assert set(report["metrics"]) == {"exact_match", "f1"} and report["rows"] > 10
    by_type, worst = report["tables"]
    assert sum(row["questions"] for row in by_type["rows"]) == report["rows"]
    assert worst["columns"][1]["kind"] == "marked" and "<mark>" in worst["rows"][0]["context"]
    assert report["figures"][0]["kind"] == "bar"
    document = " ".join(f"Sentence {i} is filler." for i in range(200)) + " " + CONTEXT
    (answer,) = Predictor.from_run(record.run_dir).predict([{"question": "Who built it?", "context": document}])
    assert answer["context"] == document and document[answer["start"]:answer["end"]] == answer["answer"]
    # Batch mode: questions one per line about one context typed once.
    from engine.studio import Studio

    table = Studio(tmp_path / "runs").predict_lines(record.id, "local", ["Who built it?", "When was it built?"],
                                                   {"context": CONTEXT})
    assert list(table.columns) == ["question", "context", "answer", "score", "start", "end"]
    assert all(CONTEXT[row.start:row.end] == row.answer for row in table.itertuples())


def test_the_example_config_sets_the_options_it_documents(task: Any) -> None:
    cfg = RunConfig.load(EXAMPLE_CONFIG)
    assert (cfg.task, cfg.data.train_file, cfg.model.max_length) == ("question_answering", "demo:qa_en", 256)
    assert cfg.options == {"stride": 64, "max_answer_tokens": 30}
    task.check_config(cfg)
