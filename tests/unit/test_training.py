"""engine.train in this process on the tiny model: events, loss, report, store, predictor, stop and failure."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from engine.errors import DataError, RunError
from engine.evaluation import REPORT_FILE
from engine.inference import LABELS_FILE, MODEL_DIR, Predictor
from engine.messages import pick_text
from engine.runs.events import EventLog, load_history
from engine.runs.store import RunStore
from engine.train import run_training

LABELS = ["neg", "pos"]


def _kinds(run_dir: str | Path) -> list[str]:
    return [e["kind"] for e in EventLog(run_dir).read()[0]]


def _events(run_dir: str | Path, kind: str) -> list[dict]:
    return [e for e in EventLog(run_dir).read()[0] if e["kind"] == kind]


def _frame(cfg: Any) -> Any:
    import pandas as pd

    return pd.read_csv(cfg.data.train_file).head(10)


@pytest.mark.slow
def test_events_come_in_order(trained_run: dict[str, Any]) -> None:
    kinds = [k for k in _kinds(trained_run["record"].run_dir) if k != "progress"]
    assert kinds[:4] == ["started", "data_ready", "model_ready", "train_begin"]
    assert kinds[-3:] == ["train_summary", "test", "finished"]
    middle = kinds[4:-3]
    assert set(middle) == {"log", "eval", "checkpoint"}
    assert middle[0] == "log"
    # epoch strategy: 4 epochs give 4 evaluations, each followed by its checkpoint
    assert middle.count("eval") == 4
    assert all(middle[i + 1] == "checkpoint" for i, k in enumerate(middle) if k == "eval")


@pytest.mark.slow
def test_loss_is_finite_and_decreases(trained_run: dict[str, Any]) -> None:
    history = load_history(trained_run["record"].run_dir)
    losses = [row["loss"] for row in history.train]
    steps = [row["step"] for row in history.train]
    assert len(losses) >= 10
    assert steps == sorted(set(steps))
    assert all(math.isfinite(v) for v in losses)
    first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
    assert last < 0.5 * first, f"loss did not fall: first {first:.3f}, last {last:.3f}"
    assert all(math.isfinite(row["eval_loss"]) for row in history.evals)


@pytest.mark.slow
def test_report_and_store_record_the_result(trained_run: dict[str, Any]) -> None:
    record, cfg, outcome = trained_run["record"], trained_run["cfg"], trained_run["outcome"]
    report = json.loads((Path(record.run_dir) / REPORT_FILE).read_text(encoding="utf-8"))
    (confusion,) = report["figures"]
    assert report["split"] == "test" and report["rows"] == 20 and confusion["data"]["x"] == LABELS
    assert sum(map(sum, confusion["data"]["z"])) == report["rows"]
    assert [table["name"] for table in report["tables"]] == ["per_class", "worst"]
    assert report["metrics"]["accuracy"] >= 0.8  # the classes are separable by a single word
    assert outcome.status == "finished" and outcome.metric_name == "f1_macro"
    history = load_history(record.run_dir)
    assert outcome.best_metric == pytest.approx(max(row["eval_f1_macro"] for row in history.evals))
    stored = RunStore(trained_run["root"]).get(record.id)
    assert stored.status == "finished" and stored.finished is not None
    assert (stored.best_metric, stored.best_metric_name) == (pytest.approx(outcome.best_metric), "f1_macro")
    (test_event,) = _events(record.run_dir, "test")
    assert test_event["metrics"] == pytest.approx(report["metrics"])
    assert history.status == "finished" and cfg.train.num_train_epochs == 4


@pytest.mark.slow
def test_predictor_loads_the_run_and_predicts(trained_run: dict[str, Any]) -> None:
    run_dir = Path(trained_run["record"].run_dir)
    assert json.loads((run_dir / MODEL_DIR / LABELS_FILE).read_text(encoding="utf-8")) == LABELS
    predictor = Predictor.from_run(run_dir)
    texts = ["great excellent superb", "awful terrible horrible", "quite"]
    results = predictor.predict(texts)
    assert len(results) == 3
    for result in results:
        assert result["label"] in LABELS
        assert set(result["probs"]) == set(LABELS)
        assert sum(result["probs"].values()) == pytest.approx(1.0, abs=1e-5)
        assert result["label"] == max(result["probs"], key=result["probs"].get)
    assert [r["label"] for r in results[:2]] == ["pos", "neg"]


@pytest.mark.slow
def test_predictor_refuses_empty_input_and_unfinished_runs(trained_run: dict[str, Any], tmp_path: Path) -> None:
    predictor = Predictor.from_run(trained_run["record"].run_dir)
    with pytest.raises(DataError, match="Type the text to classify first"):
        predictor.predict(["  ", ""])
    with pytest.raises(DataError, match="at least one text"):
        predictor.predict([])
    with pytest.raises(RunError, match="no trained model"):
        Predictor.from_run(tmp_path)


@pytest.mark.slow
def test_max_length_padding_trains(run_config, create_run, tmp_path: Path) -> None:
    from engine.models import load_tokenizer
    from engine.tasks import get_task

    cfg = run_config(padding="max_length", max_steps=6, logging_steps=1, eval_strategy="no", save_strategy="no",
                     load_best_model_at_end=False)
    encoded = get_task(cfg.task).preprocess(_frame(cfg), load_tokenizer(cfg.model.name_or_path), cfg, LABELS)
    assert {len(ids) for ids in encoded["input_ids"]} == {cfg.model.max_length}
    record = create_run(tmp_path / "runs", cfg)
    outcome = run_training(record.run_dir)
    assert outcome.status == "finished"
    losses = [row["loss"] for row in load_history(record.run_dir).train]
    assert len(losses) == 6 and all(math.isfinite(v) for v in losses)
    assert _kinds(record.run_dir)[-1] == "finished"


@pytest.mark.parametrize("option", [{"gradient_checkpointing": True}, {"gradient_accumulation_steps": 3},
                                    {"lr_scheduler": "cosine", "optim": "adafactor", "label_smoothing": 0.1}])
def test_training_options_train(run_config, create_run, tmp_path: Path, option: dict[str, Any]) -> None:
    cfg = run_config(max_steps=4, logging_steps=1, eval_strategy="no", save_strategy="no",
                     load_best_model_at_end=False, **option)
    record = create_run(tmp_path / "runs", cfg)
    assert run_training(record.run_dir).status == "finished"
    history = load_history(record.run_dir)
    assert [row["step"] for row in history.train] == [1, 2, 3, 4]
    assert all(math.isfinite(row["loss"]) for row in history.train)
    begin = next(e for e in EventLog(record.run_dir).read()[0] if e["kind"] == "train_begin")
    assert begin["effective_batch"] == cfg.train.train_batch_size * cfg.train.gradient_accumulation_steps


@pytest.mark.slow
def test_early_stopping_stops_when_the_metric_plateaus(run_config, create_run, tmp_path: Path) -> None:
    # A learning rate of 1e-8 leaves predictions unchanged, so the metric can never improve: with patience 1
    # the second evaluation must stop training, long before the 6 epochs.
    cfg = run_config(num_train_epochs=6.0, learning_rate=1e-8, early_stopping_patience=1)
    record = create_run(tmp_path / "runs", cfg)
    outcome = run_training(record.run_dir)
    history = load_history(record.run_dir)
    (begin,) = _events(record.run_dir, "train_begin")
    assert begin["max_steps"] == 6 * 8  # 60 training rows, batch 8
    assert [row["step"] for row in history.evals] == [8, 16]
    assert history.train[-1]["step"] == 16
    assert outcome.status == "finished"


@pytest.mark.slow
def test_stop_file_before_training_stops_after_one_step(run_config, create_run, tmp_path: Path) -> None:
    cfg = run_config(num_train_epochs=5.0)
    record = create_run(tmp_path / "runs", cfg)
    (Path(record.run_dir) / "STOP").touch()
    outcome = run_training(record.run_dir)
    assert outcome.status == "stopped"
    kinds = _kinds(record.run_dir)
    assert kinds[-1] == "stopped" and "stopping" in kinds
    (stopping,) = _events(record.run_dir, "stopping")
    assert stopping["step"] == 1
    assert [e["step"] for e in _events(record.run_dir, "checkpoint")] == [1]  # saved so it can resume
    assert (Path(record.run_dir) / MODEL_DIR / "config.json").is_file()
    assert (Path(record.run_dir) / MODEL_DIR / LABELS_FILE).is_file()
    assert RunStore(tmp_path / "runs").get(record.id).status == "stopped"
    assert load_history(record.run_dir).status == "stopped"


@pytest.mark.slow
def test_missing_column_fails_with_its_name(run_config, create_run, tmp_path: Path) -> None:
    cfg = run_config()
    cfg.data.columns["text"] = "review"
    record = create_run(tmp_path / "runs", cfg)
    with pytest.raises(DataError, match="'review'"):
        run_training(record.run_dir)
    assert _kinds(record.run_dir) == ["started", "failed"]
    (failed,) = _events(record.run_dir, "failed")
    english = pick_text(failed["message"], "en")
    assert "'review'" in english and "'text'" in english  # names the missing and the real ones
    assert set(failed["message"]) == {"en", "zh"}  # stored in every language, for the UI
    stored = RunStore(tmp_path / "runs").get(record.id)
    assert stored.status == "failed" and "'review'" in stored.message and stored.finished is not None
    history = load_history(record.run_dir)
    assert history.status == "failed" and "'review'" in pick_text(history.message, "en")


def test_a_test_label_unseen_in_training_fails_before_training(run_config, create_run, tmp_path: Path,
                                                              reviews_csv: Path) -> None:
    import pandas as pd

    test_file = tmp_path / "test.csv"
    pd.DataFrame({"text": ["so so", "fine i guess"], "label": ["pos", "meh"]}).to_csv(test_file, index=False)
    cfg = run_config()
    cfg.data.test_file = str(test_file)
    record = create_run(tmp_path / "runs", cfg)
    with pytest.raises(DataError, match="meh"):
        run_training(record.run_dir)
    assert _kinds(record.run_dir) == ["started", "failed"]  # no time was spent training


def test_an_unknown_best_metric_is_refused_before_training(run_config, create_run, tmp_path: Path) -> None:
    from engine.errors import ConfigError

    record = create_run(tmp_path / "runs", run_config(metric_for_best_model="f1"))
    with pytest.raises(ConfigError, match="f1_macro"):
        run_training(record.run_dir)
    assert _kinds(record.run_dir) == ["started", "failed"]


@pytest.mark.slow
def test_unreadable_config_fails_the_run(create_run, run_config, tmp_path: Path) -> None:
    from engine.errors import ConfigError

    record = create_run(tmp_path / "runs", run_config())
    (Path(record.run_dir) / "config.yaml").write_text("train:\n  learning_rate: fast\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="train.learning_rate"):
        run_training(record.run_dir)
    assert RunStore(tmp_path / "runs").get(record.id).status == "failed"
    reason = load_history(record.run_dir).message
    assert pick_text(reason, "en").startswith("train.learning_rate")
    assert pick_text(reason, "zh").startswith("train.learning_rate：")


def test_resume_picks_the_newest_complete_checkpoint(tmp_path: Path) -> None:
    from engine.train import _checkpoint_to_resume

    log = EventLog(tmp_path)
    with pytest.raises(RunError, match="saved no checkpoint"):
        _checkpoint_to_resume(tmp_path, "last", log)
    folder = tmp_path / "checkpoints"
    for step, complete in ((5, True), (10, True), (15, False)):  # 15: the process died while saving it
        (folder / f"checkpoint-{step}").mkdir(parents=True)
        if complete:
            (folder / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps({"global_step": step}))
    assert _checkpoint_to_resume(tmp_path, "", log) is None
    assert _checkpoint_to_resume(tmp_path, "last", log) == str(folder / "checkpoint-10")
    assert _checkpoint_to_resume(tmp_path, str(folder / "checkpoint-5"), log) == str(folder / "checkpoint-5")
    assert [e["from_step"] for e in _events(tmp_path, "resumed")] == [10, 5]
