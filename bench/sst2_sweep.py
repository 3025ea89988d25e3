"""SST-2 sweep: learning rate x epochs around the studio's adapted default recipe, on the full train split.

Each point is one bench.sst2 run (the recipe engine.recipes adapts to the data, with the learning rate and the
number of epochs replaced), scored on all 872 dev rows. A point takes 20 to 60 minutes per epoch on 2 shared
CPU cores, so the sweep saves after every point and, run again, skips the points already in its results file.

Run from the repo root:
    python -m bench.sst2_sweep [--train-rows 0] [--lrs 5e-5,1e-4,2e-4] [--epochs 1,2,3]
    python -m bench.sst2_sweep --points 1e-4:2,2e-4:1      # chosen points, in this order
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS_DIR, quiet_libraries, save_results, sst2_dir_or_skip, warm_up_torch
from bench.sst2 import run_sst2


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-rows", type=int, default=0, help="SST-2 training rows to sample (0 = all).")
    parser.add_argument("--lrs", default="5e-5,1e-4,2e-4", help="Learning rates, comma-separated.")
    parser.add_argument("--epochs", default="1,2,3", help="Epoch counts, comma-separated.")
    parser.add_argument("--points", default="", help="LR:EPOCHS pairs, comma-separated (instead of the grid).")
    parser.add_argument("--name", default="sst2_sweep", help="Results file name under bench/results/.")
    return parser.parse_args()


def grid(args: argparse.Namespace) -> list[tuple[float, float]]:
    if args.points:
        return [(float(lr), float(epochs)) for lr, epochs in (p.split(":") for p in args.points.split(","))]
    return [(float(lr), float(e)) for e in args.epochs.split(",") for lr in args.lrs.split(",")]


def done_points(name: str) -> list[dict[str, Any]]:
    path = RESULTS_DIR / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8"))["points"] if path.exists() else []


def print_grid(points: list[dict[str, Any]]) -> None:
    """Rows: learning rate; columns: epochs; cells: best-checkpoint dev accuracy (last evaluation's)."""
    lrs = sorted({p["learning_rate"] for p in points})
    epochs = sorted({p["epochs"] for p in points})
    cells = {(p["learning_rate"], p["epochs"]): p for p in points}
    print("lr \\ epochs  " + "  ".join(f"{e:>15g}" for e in epochs))
    for lr in lrs:
        shown = []
        for e in epochs:
            p = cells.get((lr, e))
            shown.append(f"{p['accuracy']:.4f} ({p['last_eval_accuracy']:.4f})" if p else "-")
        print(f"{lr:<12g} " + "  ".join(f"{c:>15}" for c in shown))


def main() -> None:
    args = parse_args()
    sst2_dir_or_skip("sst2_sweep")
    quiet_libraries()
    points = done_points(args.name)
    warm_up_torch()
    for lr, epochs in grid(args):
        if any(p["learning_rate"] == lr and p["epochs"] == epochs and p["train_rows_asked"] == args.train_rows
               for p in points):
            continue
        with tempfile.TemporaryDirectory(prefix="tunebench-sweep-") as tmp:
            row = run_sst2(args.train_rows, True, Path(tmp), learning_rate=lr, num_train_epochs=epochs)
        row["train_rows_asked"] = args.train_rows
        points.append(row)
        print(f"lr {lr:g}, {epochs:g} epochs: dev accuracy {row['accuracy']:.4f} (last eval "
              f"{row['last_eval_accuracy']:.4f}), {row['samples_per_s']:.1f} samples/s, load {row['load_avg_1m']}",
              flush=True)
        save_results(args.name, {"points": points})
    print_grid(points)


if __name__ == "__main__":
    main()
