"""Padding benchmark: the studio's batching against the tutorials' recipe, same data, model and settings.

  (a) engine        Tunebench's run_training with its defaults: dynamic padding + length-grouped batches
  (b) tutorial      a bare transformers Trainer as the tutorials write it: padding="max_length", random batches
  (c) bare dynamic  a bare Trainer with DataCollatorWithPadding (pad to each batch's longest), random batches

All three train MiniLM on the same SST-2 sample with the same hyperparameters (taken from one TrainConfig),
evaluate on the SST-2 dev set, and report the Trainer's train_samples_per_second. That figure covers the
whole train() loop, including the per-epoch evaluation and checkpoint save every variant does alike; the
"excl. eval" figure takes the evaluation time out. On a shared machine use --repeats: speeds become medians.

Run from the repo root:  python -m bench.padding [--train-rows 2000] [--epochs 1] [--repeats 1]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (MODEL, SEED, TEXT, Sst2Sample, accuracy_and_f1, load_average, prepare_sst2,
                          print_ratios, print_table, quiet_libraries, ratio, run_engine, save_results, speeds,
                          sst2_config, warm_up_torch)

MAX_LENGTH = 128
VARIANTS = (("(a) engine", "dynamic", "group_by_length"), ("(b) tutorial", "max_length", "random"),
            ("(c) bare dynamic", "dynamic", "random"))  # (name, padding, sampling)
COLUMNS = [("variant", "variant", ""), ("padding", "padding", ""), ("sampling", "sampling", ""),
           ("samples_per_s", "train samples/s", ".1f"), ("samples_per_s_excl_eval", "excl. eval", ".1f"),
           ("train_runtime_s", "train s", ".1f"), ("eval_s", "eval s", ".1f"),
           ("accuracy", "dev accuracy", ".4f"), ("f1_macro", "dev F1 macro", ".4f"), ("load", "load", "")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-rows", type=int, default=2000, help="SST-2 training rows to sample (0 = all).")
    parser.add_argument("--epochs", type=float, default=1.0, help="Training epochs for every variant.")
    parser.add_argument("--repeats", type=int, default=1,
                        help="Rounds of all three variants; speeds are the median (use 3 on a busy machine).")
    return parser.parse_args()


def train_settings(epochs: float) -> Any:
    """One TrainConfig feeds the engine and the baselines, so only padding and sampling differ."""
    from engine.config import TrainConfig

    return TrainConfig(num_train_epochs=epochs, train_batch_size=32, learning_rate=1e-4, seed=SEED)


def tokenize(frame: Any, tokenizer: Any, padding: str) -> Any:
    """The tutorials' datasets.map preprocessing; padding is "max_length" or False (the collator pads)."""
    from datasets import Dataset

    def encode(batch: dict) -> dict:
        return tokenizer(batch[TEXT], truncation=True, max_length=MAX_LENGTH, padding=padding)

    return Dataset.from_pandas(frame, preserve_index=False).map(encode, batched=True)


def baseline_arguments(t: Any, output_dir: Path) -> Any:
    """The tutorial Trainer setup (evaluate and save each epoch, keep the best) with the engine's values."""
    from transformers import TrainingArguments

    return TrainingArguments(
        output_dir=str(output_dir), num_train_epochs=t.num_train_epochs,
        per_device_train_batch_size=t.train_batch_size, per_device_eval_batch_size=t.eval_batch_size,
        learning_rate=t.learning_rate, weight_decay=t.weight_decay, warmup_steps=t.warmup,
        lr_scheduler_type=t.lr_scheduler, eval_strategy="epoch", save_strategy="epoch",
        save_total_limit=t.save_total_limit, load_best_model_at_end=True, metric_for_best_model="f1_macro",
        logging_steps=t.logging_steps, seed=t.seed, train_sampling_strategy="random", report_to="none",
        disable_tqdm=True, dataloader_num_workers=0)


def compute_metrics(eval_pred: Any) -> dict[str, float]:
    return accuracy_and_f1(eval_pred.label_ids, eval_pred.predictions.argmax(axis=-1))


def run_baseline(sample: Sst2Sample, padding: str, t: Any, workdir: Path) -> dict[str, Any]:
    """A bare Trainer; padding "max_length" pads every text to 128 tokens, "dynamic" pads each batch."""
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
    trainer = Trainer(model=model, args=baseline_arguments(t, workdir),
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


def run_variant(name: str, padding: str, sample: Sst2Sample, t: Any, workdir: Path) -> dict[str, Any]:
    if name.startswith("(a)"):
        result = run_engine(sst2_config(sample, t), workdir)
    else:
        result = run_baseline(sample, padding, t, workdir)
    print(f"{name} done: {result['samples_per_s']:.1f} samples/s (load {result['load_avg_1m']})", flush=True)
    return result


def measure(sample: Sst2Sample, t: Any, workdir: Path, repeats: int) -> list[dict[str, Any]]:
    """Rounds of a, b, c in turn, so a burst of outside load spreads over the variants instead of
    landing on one; each variant keeps its median speed and its first round's accuracy."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in VARIANTS}
    for round_ in range(repeats):
        for name, padding, _ in VARIANTS:
            runs[name].append(run_variant(name, padding, sample, t, workdir / f"{round_}-{name[1]}"))
    return [{"variant": name, "padding": padding, "sampling": sampling, **summarize(runs[name])}
            for name, padding, sampling in VARIANTS]


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary = dict(runs[0])
    for key in ("samples_per_s", "samples_per_s_excl_eval", "train_runtime_s", "eval_s"):
        summary[key] = statistics.median(run[key] for run in runs)
    summary["samples_per_s_runs"] = [run["samples_per_s"] for run in runs]
    summary["load_avg_1m"] = [run["load_avg_1m"] for run in runs]
    summary["load"] = " ".join(f"{load:.1f}" for load in summary["load_avg_1m"])
    return summary


def speed_ratios(engine: dict, tutorial: dict, dynamic: dict) -> dict[str, float | None]:
    ratios = {}
    for key, suffix in (("samples_per_s", ""), ("samples_per_s_excl_eval", ", excl. eval")):
        ratios[f"speed a/b (engine vs tutorial{suffix})"] = ratio(engine[key], tutorial[key])
        ratios[f"speed c/b (dynamic vs tutorial{suffix})"] = ratio(dynamic[key], tutorial[key])
        ratios[f"speed a/c (length grouping on dynamic{suffix})"] = ratio(engine[key], dynamic[key])
    return ratios


def main() -> None:
    args = parse_args()
    quiet_libraries()
    with tempfile.TemporaryDirectory(prefix="tunebench-padding-") as tmp:
        sample = prepare_sst2("padding", args.train_rows, Path(tmp))
        t = train_settings(args.epochs)
        warm_up_torch()
        rows = measure(sample, t, Path(tmp), max(1, args.repeats))
    engine, tutorial, dynamic = rows
    ratios = speed_ratios(engine, tutorial, dynamic)
    tokens = mean_tokens(sample.train)
    print(f"\nSST-2: {len(sample.train)} train rows, {len(sample.dev)} dev rows, {args.epochs:g} epoch(s), "
          f"batch {t.train_batch_size}, lr {t.learning_rate:g}, mean {tokens:.1f} tokens of {MAX_LENGTH}, "
          f"median of {max(1, args.repeats)} round(s)")
    print_table(rows, COLUMNS)
    print_ratios(ratios)
    save_results("padding", {"train_rows": len(sample.train), "dev_rows": len(sample.dev), "epochs": args.epochs,
                             "repeats": max(1, args.repeats), "batch_size": t.train_batch_size,
                             "learning_rate": t.learning_rate, "max_length": MAX_LENGTH,
                             "mean_train_tokens": round(tokens, 1), "rows": rows, "ratios": ratios})


if __name__ == "__main__":
    main()
