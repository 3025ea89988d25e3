"""NER benchmark: the packaged MiniLM through the studio's defaults for token classification, end to end.

Each set trains through the engine's own entry point (run_training) exactly as the Start button would with the
studio's defaults, adapted to the set's size by engine.recipes (the rule the app is to offer; its Start button does
not apply it yet), on the set's train file, with its dev file to pick the best checkpoint (MSRA has none: 10 % of train)
and its test file for the final report. The studio drops repeated sentences from every file it reads (about 8 %
of CoNLL-2003 test), so the published figures' test set is also scored in full, every sentence kept, with the
same model: that is the F1 to compare with BERT-base's 0.92 on CoNLL-2003.

Run from the repo root:  python -m bench.ner [SET ...] [--train-rows N] [--set section.key=value ...]
Sets: conll2003 (default), wnut17, weibo_ner, msra_ner. `--train-rows 1000 --set train.max_steps=60` measures
speed in a minute or two; the full CoNLL-2003 run takes about 40 minutes on 2 cores.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (MODEL, eval_seconds, last_event, load_average, print_table, quiet_libraries,
                          save_results, shared_data_dir, speeds, train_in_process)
from bench.ner_data import NER_SETS, available, load_split, split_path

TASK = "token_classification"
COVERAGE_SAMPLE = 500
COLUMNS = [("set", "set", ""), ("train", "train sents", ","), ("epochs", "epochs", "g"),
           ("dev_f1", "dev F1 by epoch", ""), ("test_f1", "test F1", ".4f"), ("test_precision", "P", ".4f"),
           ("test_recall", "R", ".4f"), ("test_accuracy", "token acc", ".4f"), ("full_test_f1", "full test F1", ".4f"),
           ("samples_per_s", "samples/s", ".1f"), ("samples_per_s_excl_eval", "excl. eval", ".1f"),
           ("wall_s", "wall s", ".0f"), ("unk_percent", "[UNK] %", ".1f"), ("load_avg_1m", "load", ".1f")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", default=["conll2003"], metavar="SET",
                        help=f"sets to train on: {', '.join(NER_SETS)} (default: conll2003)")
    parser.add_argument("--train-rows", type=int, default=0,
                        help="train on the first N training sentences only (0 = all), for a quick speed check")
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="SECTION.KEY=VALUE",
                        help="change one setting on top of the task's defaults (repeatable), as the CLI's --set")
    return parser.parse_args()


def recipe(overrides: list[str]) -> dict[str, Any]:
    """The command line's settings over the studio's defaults, as `section.key` -> value."""
    import yaml

    settings: dict[str, Any] = {}
    for item in overrides:
        key, _, value = item.partition("=")
        settings[key.strip()] = yaml.safe_load(value)
    return settings


def run_config(name: str, train_file: Path, settings: dict[str, Any]) -> Any:
    """A RunConfig for the set: its dev file validates (MSRA, which has none, splits 10 % of train off), its
    test file tests; every other setting is TrainConfig's default unless `settings` names it."""
    import yaml

    from engine.config import RunConfig

    has_dev = "dev" in NER_SETS[name].splits
    data = {"train_file": str(train_file), "test_file": str(split_path(name, "test")), "test_ratio": 0.0,
            "validation_file": str(split_path(name, "dev")) if has_dev else ""}
    raw = {"task": TASK, "name": f"bench-{name}", "data": data, "model": {"name_or_path": MODEL}}
    return RunConfig.from_yaml(yaml.safe_dump(raw), [f"{key}={json.dumps(value)}" for key, value in settings.items()])


def adapted(cfg: Any, train_rows: int) -> tuple[Any, list[str]]:
    """The config with engine.recipes' adaptation (not yet applied by the Start button): settings still at their
    defaults fitted to the training set's size (nothing, for sets under 20,000 sentences)."""
    import dataclasses

    from engine.recipes import suggest_recipe

    recipe = suggest_recipe(train_rows, cfg.train)
    summary = recipe.summary()
    notes = ([summary.text("en")] if summary else []) + [reason.text("en") for reason in recipe.reasons()]
    return dataclasses.replace(cfg, train=recipe.apply(cfg.train)), notes


def training_file(name: str, rows: int, folder: Path) -> Path:
    """The set's train file, or its first `rows` sentences written as token/tag JSON Lines."""
    if rows <= 0:
        return split_path(name, "train")
    frame = load_split(name, "train").frame.head(rows)
    path = folder / f"{name}-train-{rows}.jsonl"
    path.write_text("".join(json.dumps({"tokens": list(tokens), "tags": list(tags)}, ensure_ascii=False) + "\n"
                            for tokens, tags in zip(frame["tokens"], frame["tags"])), encoding="utf-8")
    return path


def coverage(name: str) -> dict[str, Any]:
    """What the Model tab's check says about the set: MiniLM's share of [UNK] on training sentences."""
    from engine.models import load_tokenizer, resolve_model, tokenizer_coverage
    from engine.tasks.token_classification.spans import join_words

    tokenizer = load_tokenizer(resolve_model(MODEL).path)
    texts = [join_words(list(tokens))[0] for tokens in load_split(name, "train").frame["tokens"]]
    found = tokenizer_coverage(tokenizer, texts, sample=COVERAGE_SAMPLE)
    return {"unk_percent": found.percent, "readable": found.readable, "coverage_texts": found.texts,
            "coverage_examples": found.examples[:2]}


def train(cfg: Any, run_dir: Path) -> dict[str, Any]:
    """Train through the engine and fold its events into one row (speeds, dev F1 per evaluation, test scores)."""
    events, wall_s = train_in_process(cfg, run_dir)
    summary = last_event(events, "train_summary")["values"]
    evals = [e["values"] for e in events if e["kind"] == "eval"]
    test = last_event(events, "test")["metrics"]
    ready = last_event(events, "data_ready")
    return {"train": ready["rows"]["train"], "validation": ready["rows"]["validation"], "test": ready["rows"]["test"],
            "notes": ready["notes"], "dev_f1": " ".join(f"{values['eval_f1']:.3f}" for values in evals),
            "test_f1": test["f1"], "test_precision": test["precision"], "test_recall": test["recall"],
            "test_accuracy": test["accuracy"],
            **speeds(summary["train_samples_per_second"], summary["train_runtime"], eval_seconds(events)),
            "wall_s": round(wall_s, 1), "load_avg_1m": load_average()}


def full_test(name: str, run_dir: Path) -> dict[str, Any]:
    """The trained model on every sentence of the test file, repeats kept, as published scores count them."""
    from engine.config import RunConfig
    from engine.inference import Predictor, evaluate_frame

    frame = load_split(name, "test").frame
    started = time.perf_counter()
    report = evaluate_frame(Predictor.from_run(run_dir), frame, RunConfig.load(run_dir / "config.yaml"), "test")
    return {"full_test_sentences": report.rows, "full_test_f1": report.metrics["f1"],
            "full_test_precision": report.metrics["precision"], "full_test_recall": report.metrics["recall"],
            "full_test_s": round(time.perf_counter() - started, 1),
            "per_type": report.table("per_type").rows}


def main() -> None:
    args = parse_args()
    unknown = [name for name in args.sets if name not in NER_SETS]
    if unknown:
        sys.exit(f"ner: unknown set(s) {', '.join(unknown)}; known: {', '.join(NER_SETS)}")
    quiet_libraries()
    settings = recipe(args.overrides)
    rows = []
    for name in args.sets:
        if not available(name):
            print(f"ner: {name} skipped, not found under {shared_data_dir()}.")
            continue
        with tempfile.TemporaryDirectory(prefix=f"tunebench-ner-{name}-") as tmp:
            train_file = training_file(name, args.train_rows, Path(tmp))
            sentences = args.train_rows or len(load_split(name, "train").frame)
            cfg, recipe_notes = adapted(run_config(name, train_file, settings), sentences)
            print(f"ner: {name}: {cfg.train.num_train_epochs:g} epochs, batch {cfg.train.train_batch_size}, "
                  f"lr {cfg.train.learning_rate:g}, max length {cfg.model.max_length}", flush=True)
            row = {"set": name, "epochs": cfg.train.num_train_epochs, "learning_rate": cfg.train.learning_rate,
                   "batch": cfg.train.train_batch_size, "max_length": cfg.model.max_length,
                   "recipe_notes": recipe_notes, **coverage(name)}
            row.update(train(cfg, Path(tmp) / "run"))
            row.update(full_test(name, Path(tmp) / "run"))
        rows.append(row)
        print_table([row], COLUMNS)
        for line in row["per_type"]:
            print(f"  {line['type']}: P {line['precision']:.3f} R {line['recall']:.3f} F1 {line['f1']:.3f} "
                  f"({line['support']})")
        save_results("ner" if not args.train_rows else f"ner-{args.train_rows}", {"settings": settings, "rows": rows})
    if rows:
        print()
        print_table(rows, COLUMNS)


if __name__ == "__main__":
    main()
