"""Unit-test helpers: separable toy data, fast configs for the tiny model, and one shared trained run."""
from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

POSITIVE = ("good", "great", "excellent", "wonderful", "superb", "lovely")
NEGATIVE = ("bad", "awful", "terrible", "horrible", "poor", "dreadful")


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """A 32-wide model gains nothing from several threads, and on a shared 2-core machine two threads per
    process fight the neighbours: one thread trains the tiny model several times faster. Training children
    started by the tests inherit the environment variable."""
    import torch

    saved_env, saved_threads = os.environ.get("OMP_NUM_THREADS"), torch.get_num_threads()
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved_threads)
    if saved_env is None:
        os.environ.pop("OMP_NUM_THREADS", None)
    else:
        os.environ["OMP_NUM_THREADS"] = saved_env


def separable_rows(n_per_label: int = 50, seed: int = 0) -> list[dict[str, str]]:
    """Two classes a random 2-layer model separates within a few dozen steps: every text is 3 distinct words
    of its own sentiment in random order, and no text repeats (cleaning would drop repeats)."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    while len(rows) < 2 * n_per_label:
        label, words = (("pos", POSITIVE), ("neg", NEGATIVE))[len(rows) % 2]
        text = " ".join(rng.sample(words, 3))
        if text not in seen:
            seen.add(text)
            rows.append({"text": text, "label": label})
    return rows


@pytest.fixture(scope="session")
def reviews_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 rows (50 pos, 50 neg); 20 go to validation and 20 to test with the ratios of `run_config`."""
    import pandas as pd

    path = tmp_path_factory.mktemp("data") / "reviews.csv"
    pd.DataFrame(separable_rows()).to_csv(path, index=False)
    return path


def make_config(model: str, train_file: str | Path, **train: Any) -> Any:
    """A RunConfig that trains the tiny model in seconds; keyword arguments override TrainConfig fields."""
    from engine.config import DataConfig, MethodConfig, ModelConfig, RunConfig, TrainConfig

    method = train.pop("method", MethodConfig())
    settings: dict[str, Any] = dict(num_train_epochs=3.0, train_batch_size=8, eval_batch_size=32,
                                    learning_rate=1e-2, warmup=0, weight_decay=0.0, logging_steps=2,
                                    device="cpu", group_by_length=False, save_total_limit=2)
    settings.update(train)
    return RunConfig(name="unit", data=DataConfig(train_file=str(train_file), validation_ratio=0.2, test_ratio=0.2),
                     model=ModelConfig(name_or_path=model, max_length=32), method=method,
                     train=TrainConfig(**settings))


@pytest.fixture(scope="session")
def tokenizer() -> Any:
    """The packaged MiniLM's tokenizer, which the task tests line tags and answers up with."""
    from engine.models import PACKAGED_PREFIX, load_tokenizer, resolve_model

    return load_tokenizer(resolve_model(PACKAGED_PREFIX + "all-MiniLM-L6-v2").path)


@pytest.fixture(scope="session")
def run_config(tiny_model: str, reviews_csv: Path) -> Callable[..., Any]:
    return lambda **train: make_config(tiny_model, reviews_csv, **train)


def new_run(root: Path, cfg: Any) -> Any:
    """A run record and its dir with config.yaml, as RunManager.start writes them (without the child)."""
    from engine.runs.store import RunStore

    record = RunStore(root).create(cfg.name, cfg.task, cfg.model.name_or_path, cfg.method.kind)
    cfg.save(Path(record.run_dir) / "config.yaml")
    return record


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, tiny_model: str, reviews_csv: Path) -> dict[str, Any]:
    """One full fine-tuning run of the tiny model, trained in this process and shared by several tests."""
    from engine.train import run_training

    root = tmp_path_factory.mktemp("shared-runs")
    cfg = make_config(tiny_model, reviews_csv, num_train_epochs=4.0)
    record = new_run(root, cfg)
    started = time.monotonic()
    outcome = run_training(record.run_dir)
    return {"root": root, "record": record, "cfg": cfg, "outcome": outcome,
            "seconds": time.monotonic() - started}


def _wait_for(condition: Callable[[], Any], timeout: float, interval: float = 0.05, what: str = "condition") -> Any:
    """Poll until `condition()` is truthy; returns its value or fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture(scope="session")
def create_run() -> Callable[[Path, Any], Any]:
    """new_run as a fixture, so test modules need not import this conftest."""
    return new_run


@pytest.fixture(scope="session")
def wait_for() -> Callable[..., Any]:
    return _wait_for


def classification_plan(text: str = "text", label: str = "label") -> Any:
    """Text classification's data plan with these columns: what most data tests read, clean and inspect with."""
    from engine.config import DataConfig, RunConfig
    from engine.tasks import get_task

    return get_task("text_classification").data_plan(RunConfig(data=DataConfig(columns={"text": text,
                                                                                        "label": label})))


@pytest.fixture(scope="session")
def plan() -> Callable[..., Any]:
    return classification_plan
