"""SST-2 benchmark: the studio's default recipe, end to end through the engine, scored on the full dev set.

The recipe is whatever TrainConfig() holds by default (epochs, batch, learning rate, warm-up, dynamic padding,
length grouping, best checkpoint at the end) on the packaged MiniLM; only the amount of training data is
chosen here, so the number tracks what a user gets by pressing Start.

Run from the repo root:  python -m bench.sst2 [--train-rows 8000] (0 = all 67k rows)
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (MODEL, prepare_sst2, print_table, quiet_libraries, run_engine, save_results,
                          sst2_config, warm_up_torch)

COLUMNS = [("model", "model", ""), ("train_rows", "train rows", "d"), ("epochs", "epochs", "g"),
           ("accuracy", "dev accuracy", ".4f"), ("f1_macro", "dev F1 macro", ".4f"),
           ("samples_per_s", "train samples/s", ".1f"), ("samples_per_s_excl_eval", "excl. eval", ".1f"),
           ("wall_s", "wall s", ".0f"), ("load_avg_1m", "load", ".1f")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-rows", type=int, default=8000,
                        help="SST-2 training rows to sample (0 = all); 8000 took 15 minutes on 2 shared cores.")
    return parser.parse_args()


def main() -> None:
    from engine.config import TrainConfig

    args = parse_args()
    quiet_libraries()
    settings = TrainConfig()  # the studio's defaults, untouched
    with tempfile.TemporaryDirectory(prefix="tunebench-sst2-") as tmp:
        sample = prepare_sst2("sst2", args.train_rows, Path(tmp))
        warm_up_torch()
        result = run_engine(sst2_config(sample, settings), Path(tmp) / "run")
    row = {"model": MODEL.split(":", 1)[1], "train_rows": len(sample.train), "dev_rows": len(sample.dev),
           "epochs": settings.num_train_epochs, **result}
    print(f"\nSST-2 dev ({len(sample.dev)} rows), default recipe: batch {settings.train_batch_size}, "
          f"lr {settings.learning_rate:g}, {settings.num_train_epochs:g} epochs, padding {settings.padding}, "
          f"group_by_length {settings.group_by_length}")
    print_table([row], COLUMNS)
    save_results("sst2", {"recipe": dataclasses.asdict(settings), "result": row})


if __name__ == "__main__":
    main()
