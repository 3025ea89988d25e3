"""The task contract holds: a toy task defined only in tests/plugins registers by itself, trains through the CLI,
and reports and predicts through the same engine calls as the built-in tasks; the registry refuses a taken name;
text regression, the first task on the contract, scores as computed by hand."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from engine.data import demos_for, read_table
from engine.tasks import get_task, register_task, task_names
from engine.tasks.text_regression import regression_metrics
from tests.plugins import toy_task

SENTENCES = ["one", "one two", "one two three", "a b c d", "w x y z v", "red green", "blue sky is", "up"]


def toy_rows(n: int = 80) -> pd.DataFrame:
    sentences = [" ".join(f"w{i}" for i in range(1 + k % 6)) + f" n{k}" for k in range(n)]
    return pd.DataFrame({"sentence": sentences, "mood": ["even" if len(s.split()) % 2 == 0 else "odd"
                                                          for s in sentences]})


def test_a_task_outside_the_package_registers_and_a_taken_name_is_refused() -> None:
    assert toy_task.NAME in task_names()
    assert get_task(toy_task.NAME).output_kind == "label_probs"
    with pytest.raises(ValueError, match="already registered"):
        register_task(toy_task.ToyParity())


@pytest.mark.slow
def test_the_toy_task_trains_reports_and_predicts_through_the_cli(tmp_path: Path, tiny_model: str,
                                                                    capsys: pytest.CaptureFixture) -> None:
    from engine.__main__ import main
    from engine.runs.store import RunStore

    data = tmp_path / "toy.csv"
    toy_rows().to_csv(data, index=False)
    cfg = RunConfig(task=toy_task.NAME, data=DataConfig(train_file=str(data), validation_ratio=0.2, test_ratio=0.2),
                    model=ModelConfig(name_or_path=tiny_model, max_length=16),
                    train=TrainConfig(max_steps=6, train_batch_size=8, logging_steps=2, eval_strategy="steps",
                                      eval_steps=3, save_strategy="steps", save_steps=3, device="cpu",
                                      group_by_length=False, warmup=0))
    config = tmp_path / "toy.yaml"
    cfg.save(config)
    root = tmp_path / "runs"
    assert main(["--runs-root", str(root), "train", str(config)]) == 0
    status = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status["status"] == "finished" and "hits" in status
    (record,) = RunStore(root).list()
    report = json.loads((Path(record.run_dir) / "report.json").read_text(encoding="utf-8"))
    assert report["task"] == toy_task.NAME and set(report["metrics"]) == {"hits"}
    assert [t["name"] for t in report["tables"]] == ["sentences"] and report["figures"][0]["kind"] == "bar"
    assert main(["--runs-root", str(root), "predict", record.id, "--input", '{"sentence": "one two"}']) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["sentence"] == "one two" and line["label"] in toy_task.MOODS


def test_regression_metrics_match_hand_computation() -> None:
    y_true = np.array([1.0, 2.0, 3.0, 4.0])
    y_pred = np.array([1.0, 3.0, 2.0, 4.0])
    # errors 0, 1, -1, 0: MSE 0.5, RMSE sqrt(0.5); MAE 0.5
    # Pearson: both means are 2.5; deviations t = [-1.5, -0.5, 0.5, 1.5], p = [-1.5, 0.5, -0.5, 1.5];
    # sum(t*p) = 2.25 - 0.25 - 0.25 + 2.25 = 4
    # sum(t^2) = sum(p^2) = 5 -> r = 4/5 = 0.8; ranks are the values themselves -> Spearman 0.8 too
    metrics = regression_metrics(y_true, y_pred)
    assert metrics["rmse"] == pytest.approx(np.sqrt(0.5))
    assert metrics["mae"] == pytest.approx(0.5)
    assert metrics["pearson"] == pytest.approx(0.8) and metrics["spearman"] == pytest.approx(0.8)
    flat = regression_metrics(y_true, np.full(4, 2.0))
    assert flat["pearson"] == flat["spearman"] == 0.0  # a constant prediction has no correlation


def test_regression_is_lower_better_and_refuses_a_constant_target() -> None:
    from engine.errors import DataError

    task = get_task("text_regression")
    assert task.primary_metric == "rmse" and not task.higher_is_better("eval_rmse")
    assert task.higher_is_better("pearson") and not task.higher_is_better("loss")
    cfg = RunConfig(task="text_regression", data=DataConfig(columns={"value": "score"}))
    scale = task.label_space(pd.DataFrame({"text": ["a", "b"], "score": [2.0, 4.0]}), cfg)
    assert scale == {"mean": 3.0, "std": 1.0}
    with pytest.raises(DataError, match="same value"):
        task.label_space(pd.DataFrame({"text": ["a", "b"], "score": [5.0, 5.0]}), cfg)


@pytest.mark.slow
def test_regression_trains_on_its_demo_and_predicts_numbers(tmp_path: Path, tiny_model: str,
                                                            create_run: Any) -> None:
    from engine.inference import Predictor
    from engine.train import run_training

    cfg = RunConfig(task="text_regression", data=DataConfig(train_file="demo:ratings_en", columns={"value": "score"}),
                    model=ModelConfig(name_or_path=tiny_model, max_length=32),
                    train=TrainConfig(max_steps=8, train_batch_size=16, learning_rate=1e-3, eval_strategy="steps",
                                      eval_steps=4, save_strategy="steps", save_steps=4, device="cpu",
                                      group_by_length=False, warmup=0))
    record = create_run(tmp_path / "runs", cfg)
    outcome = run_training(record.run_dir)
    assert outcome.status == "finished" and outcome.metric_name == "rmse"
    report = json.loads((Path(record.run_dir) / "report.json").read_text(encoding="utf-8"))
    assert set(report["metrics"]) == {"rmse", "mae", "pearson", "spearman"}
    (scatter,) = report["figures"]
    assert scatter["kind"] == "scatter" and len(scatter["data"]["x"]) == report["rows"] == 26
    assert 1 <= min(scatter["data"]["x"]) and max(scatter["data"]["x"]) <= 10  # true values in the data's units
    (value,) = Predictor.from_run(record.run_dir).predict(["The sofa is a complete waste of money."])
    assert set(value) == {"value"} and np.isfinite(value["value"])


@pytest.mark.parametrize("name", ["text_classification", "text_regression", "token_classification"])
def test_each_built_in_task_has_an_example_config_on_its_own_demo(name: str) -> None:
    """assets/configs/<task>.yaml names the task, maps every role to a column of the task's own demo, and passes
    the task's checks: the file a new user copies works as it is."""
    cfg = RunConfig.load(Path(__file__).resolve().parents[2] / "assets" / "configs" / f"{name}.yaml")
    task = get_task(name)
    assert cfg.task == name and cfg.data.train_file in {f"demo:{demo.name}" for demo in demos_for(name)}
    assert set(cfg.data.columns) == {role.name for role in task.roles}
    task.check_config(cfg)
    columns = set(read_table(cfg.data.train_file, plan=task.data_plan(cfg)).frame.columns)
    assert set(cfg.data.columns.values()) <= columns, columns
