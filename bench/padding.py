"""Padding benchmark: the studio's batching against the tutorials' recipe, same data, model and settings.

  (a) engine        Tunebench's run_training with its defaults: dynamic padding + length-grouped batches
  (b) tutorial      a bare transformers Trainer as the tutorials write it: padding="max_length", random batches
  (c) bare dynamic  a bare Trainer with DataCollatorWithPadding (pad to each batch's longest), random batches
  (d) tuned bare    a bare Trainer tuned as well as the engine: DataCollatorWithPadding and
                    train_sampling_strategy="group_by_length". The engine's overhead is a/d.
  (u) engine before the engine as it was before issue 6's fix, for a before/after in one run: torch's
                    unfused AdamW loop (what "adamw_torch" ran as) and an fsync after every event

All four train MiniLM on the same SST-2 sample with the same hyperparameters (taken from one TrainConfig),
evaluate on the SST-2 dev set, and report the Trainer's train_samples_per_second. That figure covers the
whole train() loop, including the per-epoch evaluation and checkpoint save every variant does alike; the
"excl. eval" figure takes the evaluation time out. On a shared machine use --repeats: speeds become medians.

A burst of someone else's load halves a run's samples/s, so each run also clocks every training step (the time
between two steps' ends: data, forward, backward, optimizer, callbacks, logging). Every variant with the same
sampling trains on the same batches in the same order, so step i of (a) and step i of (d) are the same work:
"a/d paired" is the median over all rounds of (d's step i time / a's step i time), which a burst moves only
if it covers most of a run.

--side-by-side goes further: each round starts all its variants at once, each in its own process with an
equal share of the cores (1 torch thread each for two variants on 2 cores), so outside load falls on all of
them alike and their ratio within a round is fair even on a busy machine.

Run from the repo root:  python -m bench.padding [--train-rows 2000] [--epochs 1] [--repeats 1]
The engine's overhead against the tuned bare Trainer (issue 6: 4,000 rows, batch 32, 100 steps, no evaluation):
    python -m bench.padding --variants ad --no-eval --max-steps 100 --train-rows 4000 --batch 32 --repeats 5
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (MODEL, SEED, TEXT, Sst2Sample, accuracy_and_f1, load_average, prepare_sst2,
                          print_ratios, print_table, quiet_libraries, ratio, run_engine, save_results, speeds,
                          sst2_config, warm_up_torch)

MAX_LENGTH = 128
VARIANTS = (("(u) engine before", "dynamic", "group_by_length"),
            ("(a) engine", "dynamic", "group_by_length"), ("(b) tutorial", "max_length", "random"),
            ("(c) bare dynamic", "dynamic", "random"), ("(d) tuned bare", "dynamic", "group_by_length"))
# (name, padding, sampling); a variant's letter is name[1]
COLUMNS = [("variant", "variant", ""), ("padding", "padding", ""), ("sampling", "sampling", ""),
           ("samples_per_s", "train samples/s", ".1f"), ("samples_per_s_excl_eval", "excl. eval", ".1f"),
           ("samples_per_s_median_step", "at median step", ".1f"),
           ("train_runtime_s", "train s", ".1f"), ("eval_s", "eval s", ".1f"),
           ("accuracy", "dev accuracy", ".4f"), ("f1_macro", "dev F1 macro", ".4f"), ("load", "load", "")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-rows", type=int, default=2000, help="SST-2 training rows to sample (0 = all).")
    parser.add_argument("--epochs", type=float, default=1.0, help="Training epochs for every variant.")
    parser.add_argument("--max-steps", type=int, default=-1, help="Stop after this many steps (-1: use epochs).")
    parser.add_argument("--batch", type=int, default=32, help="Training batch size of every variant.")
    parser.add_argument("--no-eval", action="store_true",
                        help="No evaluation or checkpoint during training (the dev set is still scored after).")
    parser.add_argument("--variants", default="abcd",
                        help="Which variants to run, by letter (e.g. 'ad'; 'u' is the engine before issue 6).")
    parser.add_argument("--name", default="padding", help="Results file name under bench/results/.")
    parser.add_argument("--side-by-side", action="store_true",
                        help="Run each round's variants at once, one process each with an equal share of the cores.")
    parser.add_argument("--repeats", type=int, default=1,
                        help="Rounds of the variants; speeds are the median (use 3 or more on a busy machine).")
    args = parser.parse_args()
    known = "".join(name[1] for name, _, _ in VARIANTS)
    if not args.variants or set(args.variants) - set(known):
        parser.error(f"--variants takes letters among {known!r}")
    return args


def train_settings(args: argparse.Namespace) -> Any:
    """One TrainConfig feeds the engine and the baselines, so only padding and sampling differ."""
    from engine.config import TrainConfig

    no_eval = dict(eval_strategy="no", save_strategy="no", load_best_model_at_end=False) if args.no_eval else {}
    return TrainConfig(num_train_epochs=args.epochs, max_steps=args.max_steps, train_batch_size=args.batch,
                       learning_rate=1e-4, seed=SEED, **no_eval)


def tokenize(frame: Any, tokenizer: Any, padding: str) -> Any:
    """The tutorials' datasets.map preprocessing; padding is "max_length" or False (the collator pads)."""
    from datasets import Dataset

    def encode(batch: dict) -> dict:
        return tokenizer(batch[TEXT], truncation=True, max_length=MAX_LENGTH, padding=padding)

    return Dataset.from_pandas(frame, preserve_index=False).map(encode, batched=True)


def baseline_arguments(t: Any, output_dir: Path, sampling: str) -> Any:
    """The tutorial Trainer setup (by default: evaluate and save each epoch, keep the best) with the engine's
    values, including its logging cadence, so the Trainer does the same work apart from the engine's own."""
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=str(output_dir), num_train_epochs=t.num_train_epochs, max_steps=t.max_steps,
        per_device_train_batch_size=t.train_batch_size, per_device_eval_batch_size=t.eval_batch_size,
        learning_rate=t.learning_rate, weight_decay=t.weight_decay, warmup_steps=t.warmup,
        lr_scheduler_type=t.lr_scheduler, eval_strategy=t.eval_strategy, save_strategy=t.save_strategy,
        save_total_limit=t.save_total_limit, load_best_model_at_end=t.load_best_model_at_end,
        metric_for_best_model="f1_macro", logging_steps=t.logging_steps, seed=t.seed,
        train_sampling_strategy=sampling, report_to="none", disable_tqdm=True, dataloader_num_workers=0)


def compute_metrics(eval_pred: Any) -> dict[str, float]:
    return accuracy_and_f1(eval_pred.label_ids, eval_pred.predictions.argmax(axis=-1))


def run_baseline(sample: Sst2Sample, padding: str, sampling: str, t: Any, workdir: Path) -> dict[str, Any]:
    """A bare Trainer; padding "max_length" pads every text to 128 tokens, "dynamic" pads each batch;
    sampling "random" or "group_by_length" (batches of similar lengths)."""
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                              Trainer, set_seed)

    from engine.models import resolve_model

    path = resolve_model(MODEL).path
    set_seed(t.seed)  # before the model, so its new head starts from the same weights in every variant
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path, num_labels=2)
    pad = "max_length" if padding == "max_length" else False
    train, dev = tokenize(sample.train, tokenizer, pad), tokenize(sample.dev, tokenizer, pad)
    # With processing_class set and no collator the Trainer pads dynamically itself; the tutorials rely on
    # that too, and on max_length data it changes nothing. The dynamic variant names its collator anyway.
    collator = DataCollatorWithPadding(tokenizer) if padding == "dynamic" else None
    trainer = Trainer(model=model, args=baseline_arguments(t, workdir, sampling),
                      train_dataset=train, eval_dataset=dev, processing_class=tokenizer,
                      data_collator=collator, compute_metrics=compute_metrics)
    speed = trainer.train().metrics
    eval_s = sum(entry.get("eval_runtime", 0.0) for entry in trainer.state.log_history)
    scored = trainer.predict(dev)
    scores = accuracy_and_f1(scored.label_ids, scored.predictions.argmax(axis=-1))
    return {**speeds(speed["train_samples_per_second"], speed["train_runtime"], eval_s), **scores,
            "load_avg_1m": load_average()}


def mean_tokens(frame: Any) -> float:
    """Mean tokenized length of the training texts: how much of a 128-token row is padding."""
    from transformers import AutoTokenizer

    from engine.models import resolve_model

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(MODEL).path)
    encoded = tokenizer(frame[TEXT].tolist(), truncation=True, max_length=MAX_LENGTH)["input_ids"]
    return sum(map(len, encoded)) / len(encoded)


WARM_STEPS = 5  # the first steps pay for lazy initialisation; the step clock leaves them out


@contextmanager
def step_clock() -> Iterator[list[float]]:
    """When each training step of any Trainer in this process ends (the engine's Trainer included, with no
    change to the engine): the gap between two ends is everything one step costs, callbacks and logging too."""
    from transformers.trainer_callback import CallbackHandler

    ends: list[float] = []
    original = CallbackHandler.on_step_end

    def clocked(self: Any, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        ends.append(time.perf_counter())
        return original(self, args, state, control, **kwargs)

    CallbackHandler.on_step_end = clocked
    try:
        yield ends
    finally:
        CallbackHandler.on_step_end = original


@contextmanager
def engine_before_fix() -> Iterator[None]:
    """The engine with the two costs issue 6 removed put back: adamw_torch runs torch's unfused per-tensor
    loop, and every event (progress and loss too) is fsynced."""
    from engine import train
    from engine.runs import events

    saved = train.optimizer_name, events.NOT_FORCED
    train.optimizer_name, events.NOT_FORCED = (lambda optim: optim), ()
    try:
        yield
    finally:
        train.optimizer_name, events.NOT_FORCED = saved


def run_variant(name: str, padding: str, sampling: str, sample: Sst2Sample, t: Any,
                workdir: Path) -> dict[str, Any]:
    with step_clock() as ends:
        if name.startswith("(a)"):
            result = run_engine(sst2_config(sample, t), workdir)
        elif name.startswith("(u)"):
            with engine_before_fix():
                result = run_engine(sst2_config(sample, t), workdir)
        else:
            result = run_baseline(sample, padding, sampling, t, workdir)
    result["step_s"] = [round(b - a, 5) for a, b in zip(ends, ends[1:])][WARM_STEPS:]
    median_step = statistics.median(result["step_s"]) if result["step_s"] else None
    result["samples_per_s_median_step"] = round(t.train_batch_size / median_step, 1) if median_step else None
    print(f"{name} done: {result['samples_per_s']:.1f} samples/s, {result['samples_per_s_median_step']} at the "
          f"median step (load {result['load_avg_1m']})", flush=True)
    return result


def measure(sample: Sst2Sample, t: Any, workdir: Path, repeats: int, letters: str,
            side_by_side: bool = False) -> dict[str, dict[str, Any]]:
    """Rounds of the chosen variants in turn (a, b, c, d, a, b ...), so a burst of outside load spreads over
    the variants instead of landing on one, or side by side (see the module's docstring); each variant keeps
    its median speed, every round's speed, and its first round's accuracy. Keyed by letter."""
    chosen = [v for v in VARIANTS if v[0][1] in letters]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in chosen}
    for round_ in range(repeats):
        if side_by_side:
            for (name, _, _), result in zip(chosen, run_side_by_side(chosen, sample, t, workdir / str(round_))):
                runs[name].append(result)
            continue
        for name, padding, sampling in chosen:
            runs[name].append(run_variant(name, padding, sampling, sample, t, workdir / f"{round_}-{name[1]}"))
    return {name[1]: {"variant": name, "padding": padding, "sampling": sampling, **summarize(runs[name])}
            for name, padding, sampling in chosen}


def run_side_by_side(chosen: list[tuple[str, str, str]], sample: Sst2Sample, t: Any,
                     workdir: Path) -> list[dict[str, Any]]:
    """One round with every variant running at the same time, each in a fresh process."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    threads = max(1, (os.cpu_count() or 1) // len(chosen))
    with ProcessPoolExecutor(len(chosen), mp_context=multiprocessing.get_context("spawn"),
                             initializer=_worker_start, initargs=(threads,)) as pool:
        futures = [pool.submit(run_variant, name, padding, sampling, sample, t, workdir / name[1])
                   for name, padding, sampling in chosen]
        return [future.result() for future in futures]


def _worker_start(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    quiet_libraries()
    warm_up_torch()


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary = dict(runs[0])
    for key in ("samples_per_s", "samples_per_s_excl_eval", "train_runtime_s", "eval_s", "samples_per_s_median_step"):
        values = [run[key] for run in runs if run.get(key) is not None]
        summary[key] = statistics.median(values) if values else None
    summary["samples_per_s_runs"] = [run["samples_per_s"] for run in runs]
    summary["step_s_runs"] = [run.pop("step_s") for run in runs]
    summary.pop("step_s", None)
    summary["load_avg_1m"] = [run["load_avg_1m"] for run in runs]
    summary["load"] = " ".join(f"{load:.1f}" for load in summary["load_avg_1m"])
    return summary


PAIRS = (("a", "b", "engine vs tutorial"), ("c", "b", "dynamic vs tutorial"),
         ("a", "c", "length grouping on dynamic"), ("a", "d", "engine vs tuned bare Trainer"),
         ("u", "d", "engine before the fix vs tuned bare Trainer"))


def speed_ratios(rows: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Ratios of median speeds for every pair that ran; for the engine (before and after) against the tuned
    bare Trainer also the ratio within each round (minutes apart, so under the most similar load) and the
    paired per-step ratio (see the module's docstring)."""
    ratios: dict[str, Any] = {}
    for key, suffix in (("samples_per_s", ""), ("samples_per_s_excl_eval", ", excl. eval"),
                        ("samples_per_s_median_step", ", median step")):
        for x, y, what in PAIRS:
            if x in rows and y in rows:
                ratios[f"speed {x}/{y} ({what}{suffix})"] = ratio(rows[x][key], rows[y][key])
    for x in ("u", "a"):
        if x not in rows or "d" not in rows:
            continue
        per_round = [ratio(a, d) for a, d in zip(rows[x]["samples_per_s_runs"], rows["d"]["samples_per_s_runs"])]
        ratios[f"speed {x}/d per round"] = per_round
        ratios[f"speed {x}/d, median of rounds"] = round(statistics.median(per_round), 2)
        paired = [d / a for ra, rd in zip(rows[x]["step_s_runs"], rows["d"]["step_s_runs"])
                  for a, d in zip(ra, rd) if a > 0]
        if paired:
            ratios[f"speed {x}/d paired (median of per-step time ratios, all rounds)"] = round(
                statistics.median(paired), 3)
            ratios[f"{x}/d paired steps"] = len(paired)
    return ratios


def main() -> None:
    args = parse_args()
    quiet_libraries()
    with tempfile.TemporaryDirectory(prefix="tunebench-padding-") as tmp:
        sample = prepare_sst2("padding", args.train_rows, Path(tmp))
        t = train_settings(args)
        warm_up_torch()
        rows = measure(sample, t, Path(tmp), max(1, args.repeats), args.variants, args.side_by_side)
    ratios = speed_ratios(rows)
    tokens = mean_tokens(sample.train)
    length = f"{t.max_steps} steps" if t.max_steps > 0 else f"{args.epochs:g} epoch(s)"
    print(f"\nSST-2: {len(sample.train)} train rows, {len(sample.dev)} dev rows, {length}, "
          f"batch {t.train_batch_size}, lr {t.learning_rate:g}, evaluation {t.eval_strategy}, "
          f"mean {tokens:.1f} tokens of {MAX_LENGTH}, median of {max(1, args.repeats)} round(s)"
          f"{', variants side by side' if args.side_by_side else ''}")
    print_table(list(rows.values()), COLUMNS)
    for key, value in ratios.items():
        if isinstance(value, list):
            print(f"{key}: {', '.join(f'{v:.2f}' for v in value)}")
    print_ratios({key: value for key, value in ratios.items() if isinstance(value, float)})
    for key, value in ratios.items():
        if isinstance(value, int):
            print(f"{key}: {value}")
    save_results(args.name, {"train_rows": len(sample.train), "dev_rows": len(sample.dev), "epochs": args.epochs,
                             "max_steps": t.max_steps, "eval_strategy": t.eval_strategy,
                             "repeats": max(1, args.repeats), "side_by_side": args.side_by_side,
                             "batch_size": t.train_batch_size,
                             "learning_rate": t.learning_rate, "max_length": MAX_LENGTH,
                             "mean_train_tokens": round(tokens, 1), "rows": list(rows.values()), "ratios": ratios})


if __name__ == "__main__":
    main()
