"""The labeling desk over a studio: files in through the Data tab's readers, who may do what, one-click training on
the normal run path with the tiny model, suggestions and the queues they order, auto-retrain, export and the CLI."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest

from engine.__main__ import main
from engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from engine.errors import LabelError
from engine.labeling.desk import LabelDesk, rows_of
from engine.studio import Studio
from tests.unit.conftest import separable_rows

pytestmark = pytest.mark.slow
RUN_TIMEOUT_S = 180


def tiny_config(model: str) -> RunConfig:
    return RunConfig(data=DataConfig(validation_ratio=0.2, test_ratio=0.0, stratify=True),
                     model=ModelConfig(name_or_path=model, max_length=32),
                     train=TrainConfig(num_train_epochs=4.0, train_batch_size=8, learning_rate=1e-2, warmup=0,
                                       logging_steps=2, device="cpu", group_by_length=False, save_total_limit=1))


@pytest.fixture()
def desk(tmp_path: Path, tiny_model: str) -> LabelDesk:
    """A desk on a shared app, where owners are kept apart, that may load the tiny model."""
    return LabelDesk(Studio(tmp_path / "runs", shared=True, model_roots=(tiny_model,)))


def test_files_come_in_through_the_data_tabs_readers(desk: LabelDesk, tmp_path: Path) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("loved it, truly\n\nhated it\nloved it, truly\nso-so; fine\n", encoding="utf-8")
    reference = desk.studio.keep_upload(str(texts), "ann")
    rows = desk.read_rows(reference, "ann", "text")
    assert (rows.texts, rows.empty, rows.duplicates) == (["loved it, truly", "hated it", "so-so; fine"], 0, 1)
    table = tmp_path / "labeled.csv"
    table.write_text('review,stars\n"great",5\nbroken,row,here\n"poor",1\n"   ",3\n', encoding="utf-8")
    rows = desk.read_rows(desk.studio.keep_upload(str(table), "ann"), "ann", "review", "stars")
    assert (rows.texts, rows.labels, rows.empty) == (["great", "poor"], ["5", "1"], 1)
    assert len(rows.table.rejected) == 1  # the wrong-width row, named as the Data tab names it
    with pytest.raises(Exception, match="no uploaded file"):
        desk.read_rows(reference, "bob", "text")  # Ann's upload is not Bob's to read


def test_who_may_do_what(desk: LabelDesk) -> None:
    ann, bob = "user:ann", "browser:5f0c1d"
    with pytest.raises(LabelError, match="at least two labels"):
        desk.create("p", ann, ["only"], rows_of(["a text"]))
    project = desk.create("p", ann, ["pos"], rows_of(["good", "bad", "ok"], ["pos", "neg", None]), "Ann")
    assert project.labels == ["pos", "neg"]  # the imported label joined the set
    with pytest.raises(LabelError) as stranger:
        desk.next(project.id, bob, "file")
    assert "no labeling project" in str(stranger.value)
    desk.join(project.join_code, bob)
    assert desk.next(project.id, bob, "file").text == "ok"
    desk.label(project.id, 2, "neg", bob)
    for owner_only in (lambda: desk.add_label(project.id, bob, "mixed"),
                       lambda: desk.configure(project.id, bob, overlap=0.5),
                       lambda: desk.train(project.id, bob)):
        with pytest.raises(LabelError, match="Only the project's owner"):
            owner_only()
    with pytest.raises(LabelError, match="no suggestion yet"):
        desk.accept(project.id, 2, bob)
    with pytest.raises(LabelError, match="Label at least 8 rows"):
        desk.train(project.id, ann)
    frame = desk.export_frame(project.id, bob)
    assert frame.columns.tolist() == ["text", "label", "labeler", "labeled_at", "accepted_suggestion", "note"]
    names = frame["labeler"].tolist()
    assert names[:2] == ["Ann", "Ann"] and names[2].startswith("guest-") and "5f0c1d" not in names[2]


def wait_for_run(desk: LabelDesk, run_id: str, owner: str, wait_for: Callable[..., Any]) -> str:
    ended = ("finished", "stopped", "failed", "interrupted", "cancelled")
    return wait_for(lambda: desk.studio.run(run_id, owner).status in ended and desk.studio.run(run_id, owner).status,
                    RUN_TIMEOUT_S, 0.3, "the labeling run to end")


def test_train_suggest_accept_review_and_retrain(desk: LabelDesk, tiny_model: str,
                                                 wait_for: Callable[..., Any]) -> None:
    data = separable_rows(30, seed=4)
    project = desk.create("sentiment", "ann", ["pos", "neg"], rows_of([r["text"] for r in data]))
    for row in range(24):  # label 24 of 60 rows
        desk.label(project.id, row, data[row]["label"], "ann")
    record = desk.train(project.id, "ann", tiny_config(tiny_model))
    assert [r.id for r in desk.studio.runs("ann")] == [record.id]  # an ordinary run of the owner's
    cfg = desk.studio.config(record.id, "ann")
    assert cfg.data.train_file.startswith("upload:") and cfg.data.train_file.endswith("sentiment-labels.csv")
    assert wait_for_run(desk, record.id, "ann", wait_for) == "finished"

    assert desk.suggest(project.id, "ann") == 60
    state = desk.model_state(project.id, "ann")
    assert (state.run_id, state.status, state.suggested, state.total, state.trained_at) == (record.id, "finished",
                                                                                             60, 60, 24)
    shown = desk.next(project.id, "ann", "least_confident")
    assert shown.suggestion in ("pos", "neg") and 0.5 <= shown.confidence <= 1
    assert desk.accept(project.id, shown.idx, "ann") == shown.suggestion
    accepted = desk.export_frame(project.id, "ann")
    assert accepted["accepted_suggestion"].sum() == 1
    # A wrong human label is what the model disagrees with: flip one, and it heads the review queue.
    wrong = "neg" if data[0]["label"] == "pos" else "pos"
    desk.store.items.label(project.id, 0, wrong, "ann")
    desk.store.items.suggest(project.id, record.id, [(0, data[0]["label"], 0.99, 0.98, 0.05)])
    assert desk.next(project.id, "ann", "disagree").idx == 0

    desk.configure(project.id, "ann", retrain_every=2)
    shown = desk.next(project.id, "ann", "margin")
    desk.label(project.id, shown.idx, data[shown.idx]["label"], "ann")  # 26 labels now: 2 new since the run
    latest = desk.project(project.id, "ann")
    assert latest.run_id != record.id and latest.trained_at == 26
    desk.studio.stop(latest.run_id, "ann")  # no need to train it: it ends at its first step


def test_the_command_line_creates_imports_reports_and_exports(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    texts = tmp_path / "texts.txt"
    texts.write_text("good one\nbad one\nfine one\n", encoding="utf-8")
    labeled = tmp_path / "labeled.csv"
    labeled.write_text("text,label\ngood one,pos\nnew one,neg\n", encoding="utf-8")
    runs = ["--runs-root", str(tmp_path / "runs")]
    assert main([*runs, "label", "create", str(texts), "--name", "cli", "--labels", "pos,neg"]) == 0
    project = capsys.readouterr().out.split()[1]
    assert main([*runs, "label", "import", project, str(labeled), "--label-column", "label"]) == 0
    assert "added 1 texts" in capsys.readouterr().out
    assert main([*runs, "label", "status", project, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["progress"]["total"], status["progress"]["per_label"]) == (4, {"neg": 1, "pos": 1})
    out = tmp_path / "out.jsonl"
    assert main([*runs, "label", "export", project, "--format", "jsonl", "--out", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["text"], r["label"], r["accepted_suggestion"]) for r in rows] == [("good one", "pos", False),
                                                                                ("new one", "neg", False)]
    assert main([*runs, "label", "status", "nope"]) == 2
