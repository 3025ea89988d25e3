"""Helpers shared by the benchmarks: where the real data lives, SST-2 samples, engine runs, tables, JSON.

The benchmarks use public data from ../shared/data, which a user's clone does not have; without it every
benchmark prints one line and exits 0, so they never break a checkout that lacks the data.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = REPO_ROOT / "bench" / "results"
SHARED_DATA_ENV = "TUNEBENCH_SHARED_DATA"
MODEL = "packaged:all-MiniLM-L6-v2"
TEXT, LABEL = "sentence", "label"  # SST-2's TSV header
SEED = 42


# ---- data -------------------------------------------------------------------------------------------------

def shared_data_dir() -> Path:
    """../shared/data beside the repo, unless TUNEBENCH_SHARED_DATA points elsewhere."""
    override = os.environ.get(SHARED_DATA_ENV)
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


def sst2_dir_or_skip(benchmark: str) -> Path:
    """The SST-2 folder; when it is missing, say so and end the process successfully (a skip, not a failure)."""
    folder = shared_data_dir() / "sst2"
    if not (folder / "train.tsv").exists() or not (folder / "dev.tsv").exists():
        print(f"{benchmark}: skipped, SST-2 not found under {folder} (set {SHARED_DATA_ENV} to the data folder).")
        sys.exit(0)
    return folder


def load_clean(path: Path) -> pd.DataFrame:
    """The table as the engine cleans it (stripped texts, no empties, no repeated texts).

    Cleaning here, before sampling, means the engine's own cleaning removes nothing, so the engine and the
    bare-Trainer baselines train on exactly the same rows.
    """
    from engine.data import load_table

    frame = load_table(path)[[TEXT, LABEL]].dropna()
    frame[TEXT] = frame[TEXT].astype(str).str.strip()
    frame = frame[frame[TEXT] != ""]
    return frame.drop_duplicates(subset=TEXT, keep="first").reset_index(drop=True)


def sample_rows(frame: pd.DataFrame, rows: int, seed: int = SEED) -> pd.DataFrame:
    """A fixed-seed random sample of `rows` rows; 0 (or more than there are) means all, shuffled the same way."""
    rows = len(frame) if rows <= 0 else min(rows, len(frame))
    return frame.sample(n=rows, random_state=seed).reset_index(drop=True)


def write_tsv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, sep="\t", index=False)
    return path


@dataclass
class Sst2Sample:
    train: pd.DataFrame
    dev: pd.DataFrame
    train_file: Path   # the sampled training rows, written for the engine to read
    dev_file: Path


def prepare_sst2(benchmark: str, train_rows: int, workdir: Path) -> Sst2Sample:
    """Sample SST-2 train into workdir and pair it with the full dev set (the split published scores use)."""
    folder = sst2_dir_or_skip(benchmark)
    train = sample_rows(load_clean(folder / "train.tsv"), train_rows)
    dev = load_clean(folder / "dev.tsv")
    return Sst2Sample(train, dev, write_tsv(train, workdir / "train.tsv"), write_tsv(dev, workdir / "dev.tsv"))


# ---- engine runs ------------------------------------------------------------------------------------------

def sst2_config(sample: Sst2Sample, train: Any, method: Any = None) -> Any:
    """A RunConfig for the engine on the sample: dev.tsv serves as both validation and test file."""
    from engine.config import DataConfig, MethodConfig, ModelConfig, RunConfig

    data = DataConfig(train_file=str(sample.train_file), validation_file=str(sample.dev_file),
                      test_file=str(sample.dev_file), columns={"text": TEXT, "label": LABEL})
    return RunConfig(task="text_classification", name="bench", data=data,
                     model=ModelConfig(name_or_path=MODEL, max_length=128),
                     method=method or MethodConfig(), train=train)


def train_in_process(cfg: Any, run_dir: Path) -> tuple[list[dict], float]:
    """Train `cfg` in this process through the engine's own entry point; its events and the wall time."""
    from transformers import set_seed

    from engine.train import run_training

    run_dir.mkdir(parents=True, exist_ok=True)
    cfg.save(run_dir / "config.yaml")
    # The engine builds the model (and its random head) before the Trainer seeds anything, so seed here:
    # otherwise each run in this process would start from a different head.
    set_seed(cfg.train.seed)
    start = time.perf_counter()
    run_training(run_dir)
    return read_events(run_dir), time.perf_counter() - start


def run_engine(cfg: Any, run_dir: Path) -> dict[str, Any]:
    """Train in-process through the engine and fold its events into one result row."""
    events, wall_s = train_in_process(cfg, run_dir)
    return {**engine_result(events), "wall_s": round(wall_s, 1), "load_avg_1m": load_average()}


def eval_seconds(events: list[dict]) -> float:
    """Time the run spent evaluating during training (the eval events' eval_runtime)."""
    return sum(e["values"].get("eval_runtime", 0.0) for e in events if e["kind"] == "eval")


def load_average() -> float:
    """The 1-minute load average right after a run: others share this machine, and a speed measured
    while they were busy is not comparable with one measured while they were idle."""
    return round(os.getloadavg()[0], 2)


def read_events(run_dir: Path) -> list[dict]:
    from engine.runs.events import EventLog

    return EventLog(run_dir).read()[0]


def last_event(events: list[dict], kind: str) -> dict:
    found = [e for e in events if e["kind"] == kind]
    if not found:
        raise RuntimeError(f"the run wrote no '{kind}' event; see its events.jsonl")
    return found[-1]


def engine_result(events: list[dict]) -> dict[str, Any]:
    summary = last_event(events, "train_summary")["values"]
    test = last_event(events, "test")["metrics"]
    ready = last_event(events, "model_ready")
    eval_s = eval_seconds(events)
    return {**speeds(summary["train_samples_per_second"], summary["train_runtime"], eval_s),
            "accuracy": test["accuracy"], "f1_macro": test["f1_macro"],
            "trainable": ready["trainable"], "total": ready["total"]}


def speeds(samples_per_s: float, runtime_s: float, eval_s: float) -> dict[str, float]:
    """The Trainer's samples/s covers the whole train() loop, evaluations included; the second figure
    takes the evaluation time out, because padding also changes how long evaluating the dev set takes."""
    train_s = runtime_s - eval_s
    return {"samples_per_s": samples_per_s, "train_runtime_s": runtime_s, "eval_s": round(eval_s, 1),
            "samples_per_s_excl_eval": round(samples_per_s * runtime_s / train_s, 2) if train_s > 0 else None}


def warm_up_torch() -> None:
    """One forward and backward pass before any timing, so the first variant does not pay for
    thread-pool and allocator start-up that later variants get for free."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from engine.models import resolve_model

    model = AutoModelForSequenceClassification.from_pretrained(resolve_model(MODEL).path, num_labels=2)
    ids = torch.randint(1000, 2000, (32, 64))
    model(input_ids=ids, labels=torch.zeros(32, dtype=torch.long)).loss.backward()


def quiet_libraries() -> None:
    """Progress bars and load reports of every Map and model load would bury the tables."""
    import datasets
    from transformers.utils import logging as hf_logging

    datasets.disable_progress_bars()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


# ---- metrics, tables, results -----------------------------------------------------------------------------

def accuracy_and_f1(y_true: Any, y_pred: Any) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "f1_macro": float(f1_score(y_true, y_pred, average="macro"))}


def print_table(rows: list[dict], columns: list[tuple[str, str, str]]) -> None:
    """Print rows as an aligned table; columns are (key, header, format spec)."""
    cells = [[h for _, h, _ in columns]]
    cells += [[format(row[key], spec) if row.get(key) is not None else "-" for key, _, spec in columns]
              for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for n, line in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def print_ratios(ratios: dict[str, float | None], unit: str = "x") -> None:
    for name, value in ratios.items():
        print(f"{name}: {value:.2f}{unit}" if value is not None else f"{name}: -")


def machine() -> dict[str, Any]:
    """What the numbers were measured on; speeds are meaningless without it."""
    import torch
    import transformers

    return {"platform": platform.platform(), "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "cuda": torch.cuda.is_available(), "python": platform.python_version(), "torch": torch.__version__,
            "transformers": transformers.__version__}


def save_results(name: str, payload: dict[str, Any]) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    document = {"benchmark": name, "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine(), **payload}
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    print(f"results written to {path.relative_to(REPO_ROOT)}")
    return path
