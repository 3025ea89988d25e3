"""Methods benchmark: full fine-tuning against LoRA and head-only on the same SST-2 sample.

Every method gets the studio's default TrainConfig except the learning rate, which is the one the studio
sets when a person picks the method (engine.methods.RECOMMENDED_LR: adapters and a lone head train few
weights from scratch and need larger steps). --lr forces one rate on all methods instead.

Run from the repo root:  python -m bench.methods [--train-rows 2000] [--epochs 1] [--lr 1e-4]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (SEED, prepare_sst2, print_ratios, print_table, quiet_libraries, ratio, run_engine,
                          save_results, sst2_config, warm_up_torch)

METHODS = ("full", "lora", "head_only")
COLUMNS = [("method", "method", ""), ("learning_rate", "lr", "g"), ("trainable", "trainable", ","), ("total", "total", ","),
           ("trainable_pct", "trainable %", ".3f"), ("samples_per_s", "train samples/s", ".1f"),
           ("samples_per_s_excl_eval", "excl. eval", ".1f"), ("accuracy", "dev accuracy", ".4f"),
           ("f1_macro", "dev F1 macro", ".4f"), ("load_avg_1m", "load", ".1f")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-rows", type=int, default=2000, help="SST-2 training rows to sample (0 = all).")
    parser.add_argument("--epochs", type=float, default=1.0, help="Training epochs for every method.")
    parser.add_argument("--lr", type=float, default=None,
                        help="One learning rate for every method (default: each method's recommended rate).")
    return parser.parse_args()


def run_method(kind: str, sample: Any, epochs: float, lr: float | None, workdir: Path) -> dict[str, Any]:
    from engine.config import MethodConfig, TrainConfig
    from engine.methods import RECOMMENDED_LR

    lr = lr or RECOMMENDED_LR[kind]
    settings = TrainConfig(num_train_epochs=epochs, learning_rate=lr, seed=SEED)
    result = run_engine(sst2_config(sample, settings, MethodConfig(kind=kind)), workdir / kind)
    print(f"{kind} done: {result['samples_per_s']:.1f} samples/s, accuracy {result['accuracy']:.4f} "
          f"(load {result['load_avg_1m']})", flush=True)
    return {"method": kind, "learning_rate": lr, "trainable_pct": 100 * result["trainable"] / result["total"],
            **result}


def method_ratios(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Each method's training speed against full fine-tuning."""
    full = rows_by_method(rows)["full"]
    ratios: dict[str, float | None] = {}
    for kind, row in rows_by_method(rows).items():
        if kind != "full":
            ratios[f"speed {kind}/full"] = ratio(row["samples_per_s"], full["samples_per_s"])
            ratios[f"speed {kind}/full, excl. eval"] = ratio(row["samples_per_s_excl_eval"],
                                                             full["samples_per_s_excl_eval"])
    return ratios


def accuracy_points(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    """Each method's dev accuracy minus full fine-tuning's, in percentage points."""
    full = rows_by_method(rows)["full"]
    return {f"accuracy {kind} - full": round(100 * (row["accuracy"] - full["accuracy"]), 2)
            for kind, row in rows_by_method(rows).items() if kind != "full"}


def rows_by_method(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["method"]: row for row in rows}


def main() -> None:
    args = parse_args()
    quiet_libraries()
    with tempfile.TemporaryDirectory(prefix="tunebench-methods-") as tmp:
        sample = prepare_sst2("methods", args.train_rows, Path(tmp))
        warm_up_torch()
        rows = [run_method(kind, sample, args.epochs, args.lr, Path(tmp)) for kind in METHODS]
    ratios, points = method_ratios(rows), accuracy_points(rows)
    print(f"\nSST-2: {len(sample.train)} train rows, {len(sample.dev)} dev rows, {args.epochs:g} epoch(s), "
          f"lr {args.lr or 'per method'}, other settings the studio's defaults")
    print_table(rows, COLUMNS)
    print_ratios(ratios)
    print_ratios(points, unit=" points")
    save_results("methods", {"train_rows": len(sample.train), "dev_rows": len(sample.dev), "epochs": args.epochs,
                             "learning_rate": args.lr, "rows": rows, "ratios": ratios, "accuracy_points": points})


if __name__ == "__main__":
    main()
