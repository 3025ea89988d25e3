"""SST-2 benchmark: the studio's default recipe, end to end through the engine, scored on the full dev set.

The recipe is TrainConfig() adapted to the training set's size by engine.recipes (the rule the app is to
offer; its Start button trains TrainConfig() as the form shows it and does not apply the rule yet) (for all 67k rows: 2 epochs, evaluate and save every 1,000 steps, ...), on the packaged
MiniLM. --no-adapt trains the untouched TrainConfig() instead; --lr, --epochs and --batch override one
setting each (the sweep in bench/sst2_sweep.py uses them).

dev.tsv is both the validation file (picks the best checkpoint) and the test file (the reported score), so
the best-checkpoint score is slightly optimistic; the last evaluation's accuracy, which nothing picked, is
reported beside it.

Run from the repo root:  python -m bench.sst2 [--train-rows 0] [--no-adapt] [--lr 1e-4] [--epochs 2]
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (MODEL, prepare_sst2, print_table, quiet_libraries, read_events, run_engine, save_results,
                          sst2_config, warm_up_torch)

COLUMNS = [("model", "model", ""), ("train_rows", "train rows", ","), ("epochs", "epochs", "g"),
           ("learning_rate", "lr", "g"), ("batch", "batch", "d"),
           ("accuracy", "dev accuracy", ".4f"), ("f1_macro", "dev F1 macro", ".4f"),
           ("last_eval_accuracy", "last eval acc.", ".4f"),
           ("samples_per_s", "train samples/s", ".1f"), ("samples_per_s_excl_eval", "excl. eval", ".1f"),
           ("wall_s", "wall s", ".0f"), ("load_avg_1m", "load", ".1f")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-rows", type=int, default=0,
                        help="SST-2 training rows to sample (0 = all 67k; 8000 took 15 minutes on 2 shared cores).")
    parser.add_argument("--no-adapt", action="store_true",
                        help="Train TrainConfig() as it is, without engine.recipes' data-size adaptation.")
    parser.add_argument("--lr", type=float, default=None, help="Override the learning rate.")
    parser.add_argument("--epochs", type=float, default=None, help="Override the number of epochs.")
    parser.add_argument("--batch", type=int, default=None, help="Override the training batch size.")
    parser.add_argument("--name", default="sst2", help="Results file name under bench/results/.")
    return parser.parse_args()


def recipe_settings(train_rows: int, adapt: bool, batch: int | None = None,
                    **overrides: Any) -> tuple[Any, list[str]]:
    """The studio's TrainConfig for this many rows (adapted unless told not to) and the sentences the studio
    shows about the adaptation. A batch size is the user's choice before adapting (steps per epoch follow
    from it); the other overrides (learning rate, epochs: the sweep's axes) replace what the recipe chose."""
    from engine.config import TrainConfig
    from engine.recipes import suggest_recipe

    settings = TrainConfig(**({"train_batch_size": batch} if batch else {}))
    notes: list[str] = []
    if adapt:
        recipe = suggest_recipe(train_rows, settings)
        settings = recipe.apply(settings)
        summary = recipe.summary()
        notes = ([summary.text("en")] if summary else []) + [m.text("en") for m in recipe.reasons()]
    return dataclasses.replace(settings, **{k: v for k, v in overrides.items() if v is not None}), notes


def eval_curve(run_dir: Path) -> list[dict[str, float]]:
    """Step, epoch and dev accuracy of every evaluation during training."""
    return [{"step": e["values"]["step"], "epoch": e["values"]["epoch"],
             "accuracy": e["values"].get("eval_accuracy")}
            for e in read_events(run_dir) if e["kind"] == "eval"]


def run_sst2(train_rows: int, adapt: bool, workdir: Path, **overrides: Any) -> dict[str, Any]:
    """One engine run on SST-2; the result row, with the recipe it used and its evaluation curve."""
    sample = prepare_sst2("sst2", train_rows, workdir)
    rows = len(sample.train)
    settings, notes = recipe_settings(rows, adapt, **overrides)
    for line in notes:
        print(line, flush=True)
    result = run_engine(sst2_config(sample, settings), workdir / "run")
    curve = eval_curve(workdir / "run")
    return {"model": MODEL.split(":", 1)[1], "train_rows": rows, "dev_rows": len(sample.dev),
            "epochs": settings.num_train_epochs, "learning_rate": settings.learning_rate,
            "batch": settings.train_batch_size, "adapted": adapt, "recipe_notes": notes,
            "last_eval_accuracy": curve[-1]["accuracy"] if curve else None, "evals": curve,
            "settings": dataclasses.asdict(settings), **result}


def main() -> None:
    args = parse_args()
    quiet_libraries()
    with tempfile.TemporaryDirectory(prefix="tunebench-sst2-") as tmp:
        warm_up_torch()
        row = run_sst2(args.train_rows, not args.no_adapt, Path(tmp), learning_rate=args.lr,
                       num_train_epochs=args.epochs, batch=args.batch)
    s = row["settings"]
    print(f"\nSST-2 dev ({row['dev_rows']} rows), {'adapted' if row['adapted'] else 'untouched'} default recipe: "
          f"batch {s['train_batch_size']}, lr {s['learning_rate']:g}, {s['num_train_epochs']:g} epochs, "
          f"eval {s['eval_strategy']}{' every ' + str(s['eval_steps']) if s['eval_strategy'] == 'steps' else ''}, "
          f"padding {s['padding']}, group_by_length {s['group_by_length']}")
    print("dev accuracy during training: " + ", ".join(f"step {e['step']} {e['accuracy']:.4f}" for e in row["evals"]))
    print_table([row], COLUMNS)
    save_results(args.name, {"recipe": s, "result": row})


if __name__ == "__main__":
    main()
