"""`python -m engine`: train from a YAML file, evaluate, predict, list runs, and clean errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.__main__ import main
from engine.runs.store import RunStore

ROOT = Path(__file__).resolve().parents[2]


def _engine(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "engine", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory, tiny_model: str, reviews_csv: Path) -> dict[str, Any]:
    """A run trained by `python -m engine train CONFIG.yaml --runs-root ROOT` in a child process."""
    from engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig

    folder = tmp_path_factory.mktemp("cli")
    cfg = RunConfig(name="from the cli",
                    data=DataConfig(train_file=str(reviews_csv), validation_ratio=0.2, test_ratio=0.2),
                    model=ModelConfig(name_or_path=tiny_model, max_length=32),
                    train=TrainConfig(num_train_epochs=1.0, train_batch_size=8, learning_rate=1e-2, warmup=0,
                                      logging_steps=4, device="cpu"))
    config = folder / "config.yaml"
    cfg.save(config)
    root = folder / "runs"
    done = _engine("train", str(config), "--runs-root", str(root))
    return {"done": done, "root": root, "cfg": cfg}


@pytest.mark.slow
def test_train_from_yaml_exits_zero_and_prints_status(cli_run: dict[str, Any]) -> None:
    done = cli_run["done"]
    assert done.returncode == 0, done.stderr[-3000:]
    (record,) = RunStore(cli_run["root"]).list()
    assert f"run {record.id} in {record.run_dir}" in done.stdout
    status = json.loads(done.stdout.strip().splitlines()[-1])
    assert status["status"] == "finished"
    assert status["f1_macro"] == pytest.approx(record.best_metric)
    assert record.status == "finished" and record.name == "from the cli"


@pytest.mark.slow
def test_evaluate_prints_metrics_json(cli_run: dict[str, Any], capsys: pytest.CaptureFixture) -> None:
    (record,) = RunStore(cli_run["root"]).list()
    assert main(["--runs-root", str(cli_run["root"]), "evaluate", record.id]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["split"] == "test" and result["rows"] == 20
    assert 0.0 <= result["accuracy"] <= 1.0 and "f1_macro" in result
    # a run folder works as well as a run id, and the scores are the same
    assert main(["evaluate", record.run_dir]) == 0
    assert json.loads(capsys.readouterr().out) == result


@pytest.mark.slow
def test_predict_prints_one_json_line_per_text(cli_run: dict[str, Any], capsys: pytest.CaptureFixture) -> None:
    (record,) = RunStore(cli_run["root"]).list()
    texts = ["great superb", "awful poor", "中文也可以"]
    argv = ["predict", record.id, "--runs-root", str(cli_run["root"])]
    for text in texts:
        argv += ["--text", text]
    assert main(argv) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == len(texts)
    for text, line in zip(texts, lines):
        result = json.loads(line)
        assert result["text"] == text
        assert result["label"] in {"neg", "pos"}
        assert sum(result["probs"].values()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_runs_lists_the_run(cli_run: dict[str, Any], capsys: pytest.CaptureFixture) -> None:
    (record,) = RunStore(cli_run["root"]).list()
    assert main(["runs", "--runs-root", str(cli_run["root"])]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert line.split("\t")[:3] == [record.id, "finished", "text_classification"]


def test_unknown_run_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--runs-root", str(tmp_path), "predict", "no-such-run", "--text", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "no-such-run" in err


@pytest.mark.parametrize(("text", "message"), [
    ("train: [unclosed\n", "error: yaml: the file is not valid YAML"),
    ("train:\n  learning_rat: 0.1\n", "error: train.learning_rat: unknown setting"),
])
def test_bad_yaml_exits_2_without_traceback(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text, encoding="utf-8")
    done = _engine("train", str(config), "--runs-root", str(tmp_path / "runs"), timeout=60)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert RunStore(tmp_path / "runs").list() == []  # nothing was created for a config that cannot load


def test_options_lists_every_setting_with_its_help(capsys: pytest.CaptureFixture) -> None:
    from dataclasses import fields

    from engine.config import TrainConfig

    assert main(["options"]) == 0
    out = capsys.readouterr().out
    for f in fields(TrainConfig):
        assert f"  {f.name} (default " in out
    assert "learning_rate (default 0.0001): Peak learning rate." in out


def test_set_overrides_the_config_before_the_run_exists(tmp_path: Path, run_config: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.train

    trained: list[Path] = []
    monkeypatch.setattr(engine.train, "run_training", lambda run_dir, resume="": trained.append(Path(run_dir)) or
                        engine.train.Outcome("finished", 0.5, "f1_macro"))
    config = tmp_path / "config.yaml"
    run_config().save(config)
    root = tmp_path / "runs"
    assert main(["train", str(config), "--runs-root", str(root), "--set", "train.max_steps=3",
                 "--set", "train.learning_rate=2e-5"]) == 0
    (record,) = RunStore(root).list()
    from engine.config import RunConfig

    saved = RunConfig.load(Path(record.run_dir) / "config.yaml")
    assert (saved.train.max_steps, saved.train.learning_rate) == (3, 2e-5)
    assert trained == [Path(record.run_dir)]


def test_set_on_an_existing_run_or_with_a_typo_exits_2(tmp_path: Path, run_config: Any,
                                                        capsys: pytest.CaptureFixture) -> None:
    config = tmp_path / "config.yaml"
    run_config().save(config)
    assert main(["train", str(config), "--runs-root", str(tmp_path / "runs"), "--set", "train.lr=1"]) == 2
    assert "error: train.lr: unknown setting" in capsys.readouterr().err
    run_dir = tmp_path / "existing"
    run_dir.mkdir()
    run_config().save(run_dir / "config.yaml")
    assert main(["train", str(run_dir), "--set", "train.max_steps=3"]) == 2
    assert "--set changes a config file" in capsys.readouterr().err
    assert RunStore(tmp_path / "runs").list() == []
