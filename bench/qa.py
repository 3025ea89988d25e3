"""Question answering benchmark: the packaged MiniLM through the studio's question answering task, end to end.

SQuAD v1.1: only the official dev set (48 articles, 10,570 questions) is here, so it is split by article: a
seeded shuffle of the articles, 40 to train on and 8 held out as the test file; no article is in both. The
studio's grouped split takes 10 % of the training questions' contexts off as validation (to pick the best
checkpoint), so the test articles are never seen before the final report. CMRC 2018 (Chinese): the dev set
trains and the trial set tests, with the coverage check's share of [UNK] (MiniLM's vocabulary has few Chinese
characters). Training runs through the engine's run_training, as the Start button would; settings are the
example config's (assets/configs/question_answering.yaml) unless --set names others.

Run from the repo root:  python -m bench.qa [squad|cmrc2018 ...] [--train-questions N] [--set section.key=value]
`--train-questions 500 --set train.max_steps=30` measures speed in a few minutes; the full SQuAD run with 2
epochs takes about 2 hours on 2 CPU cores.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (MODEL, eval_seconds, last_event, load_average, print_table, quiet_libraries,
                          save_results, shared_data_dir, speeds, train_in_process)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "assets" / "configs" / "question_answering.yaml"
SETS = {"squad": ("squad/dev-v1.1.json", None), "cmrc2018": ("cmrc2018/cmrc2018_dev.json",
                                                            "cmrc2018/cmrc2018_trial.json")}
TRAIN_ARTICLES = 40
COLUMNS = [("set", "set", ""), ("train", "train q", ","), ("test", "test q", ","), ("epochs", "epochs", "g"),
           ("dev_f1", "validation F1 by eval", ""), ("test_em", "test EM", ".2f"), ("test_f1", "test F1", ".2f"),
           ("samples_per_s", "samples/s", ".1f"), ("samples_per_s_excl_eval", "excl. eval", ".1f"),
           ("wall_s", "wall s", ".0f"), ("unk_percent", "[UNK] %", ".1f"), ("load_avg_1m", "load", ".1f")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", default=["squad"], metavar="SET", help=f"{', '.join(SETS)} (default squad)")
    parser.add_argument("--train-questions", type=int, default=0,
                        help="train on a seeded sample of N training questions only (0 = all), for a quick check")
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="SECTION.KEY=VALUE",
                        help="change one setting of the example config (repeatable), as the CLI's --set")
    return parser.parse_args()


def squad_files(path: Path, folder: Path, sample: int) -> tuple[Path, Path]:
    """SQuAD dev split by article (seeded): 40 articles to train on, the other 8 to test on."""
    document = json.loads(path.read_text(encoding="utf-8"))
    articles = list(document["data"])
    random.Random(0).shuffle(articles)
    train, test = articles[:TRAIN_ARTICLES], articles[TRAIN_ARTICLES:]
    return (write_squad(sampled(train, sample), folder / "train.json"), write_squad(test, folder / "test.json"))


def sampled(articles: list[dict], questions: int) -> list[dict]:
    """The articles with only a seeded sample of `questions` questions kept (all when 0)."""
    if questions <= 0:
        return articles
    keys = [(a, p, q) for a, article in enumerate(articles) for p, paragraph in enumerate(article["paragraphs"])
            for q in range(len(paragraph["qas"]))]
    keep = set(random.Random(0).sample(keys, min(questions, len(keys))))
    return [{**article, "paragraphs": [{**paragraph, "qas": [qa for q, qa in enumerate(paragraph["qas"])
                                                             if (a, p, q) in keep]}
                                      for p, paragraph in enumerate(article["paragraphs"])]}
            for a, article in enumerate(articles)]


def write_squad(articles: list[dict], path: Path) -> Path:
    path.write_text(json.dumps({"version": "1.1", "data": articles}, ensure_ascii=False), encoding="utf-8")
    return path


def set_files(name: str, folder: Path, sample: int) -> tuple[Path, Path]:
    train, test = SETS[name]
    base = shared_data_dir()
    if test is None:
        return squad_files(base / train, folder, sample)
    document = json.loads((base / train).read_text(encoding="utf-8"))
    return write_squad(sampled(document["data"], sample), folder / "train.json"), base / test


def run_config(train_file: Path, test_file: Path, overrides: list[str]) -> Any:
    """The example config with the bench's files (test file held out, 10 % validation split off by context)."""
    from engine.config import RunConfig

    settings = [f"data.train_file={train_file}", f"data.test_file={test_file}", "data.test_ratio=0.0",
                "data.validation_ratio=0.1", f"model.name_or_path={MODEL}", *overrides]
    return RunConfig.from_yaml(EXAMPLE.read_text(encoding="utf-8"), settings)


def coverage(train_file: Path) -> dict[str, Any]:
    """What the Model tab's check says: MiniLM's share of [UNK] on the training contexts."""
    from engine.models import load_tokenizer, resolve_model, tokenizer_coverage

    document = json.loads(train_file.read_text(encoding="utf-8"))
    contexts = [p["context"] for article in document["data"] for p in article["paragraphs"]]
    found = tokenizer_coverage(load_tokenizer(resolve_model(MODEL).path), contexts, sample=300)
    return {"unk_percent": found.percent, "readable": found.readable}


def train(cfg: Any, run_dir: Path) -> dict[str, Any]:
    """Train through the engine; one row of speeds, validation F1 by evaluation and the test report."""
    events, wall_s = train_in_process(cfg, run_dir)
    summary = last_event(events, "train_summary")["values"]
    evals = [e["values"] for e in events if e["kind"] == "eval"]
    ready = last_event(events, "data_ready")
    report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    return {"train": ready["rows"]["train"], "validation": ready["rows"]["validation"], "test": report["rows"],
            "notes": [note["en"] for note in ready["notes"]],
            "dev_f1": " ".join(f"{100 * values['eval_f1']:.1f}" for values in evals),
            "test_em": 100 * report["metrics"]["exact_match"], "test_f1": 100 * report["metrics"]["f1"],
            "by_type": next(t["rows"] for t in report["tables"] if t["name"] == "by_type"),
            **speeds(summary["train_samples_per_second"], summary["train_runtime"], eval_seconds(events)),
            "wall_s": round(wall_s, 1), "load_avg_1m": load_average()}


def main() -> None:
    args = parse_args()
    unknown = [name for name in args.sets if name not in SETS]
    if unknown:
        sys.exit(f"qa: unknown set(s) {', '.join(unknown)}; known: {', '.join(SETS)}")
    quiet_libraries()
    rows = []
    for name in args.sets:
        if not (shared_data_dir() / SETS[name][0]).exists():
            print(f"qa: {name} skipped, not found under {shared_data_dir()}.")
            continue
        with tempfile.TemporaryDirectory(prefix=f"tunebench-qa-{name}-") as tmp:
            train_file, test_file = set_files(name, Path(tmp), args.train_questions)
            cfg = run_config(train_file, test_file, args.overrides)
            print(f"qa: {name}: {cfg.train.num_train_epochs:g} epochs, batch {cfg.train.train_batch_size}, lr "
                  f"{cfg.train.learning_rate:g}, max length {cfg.model.max_length}, options {cfg.options}", flush=True)
            row = {"set": name, "epochs": cfg.train.num_train_epochs, "learning_rate": cfg.train.learning_rate,
                   "batch": cfg.train.train_batch_size, "max_length": cfg.model.max_length, "options": cfg.options,
                   **coverage(train_file)}
            row.update(train(cfg, Path(tmp) / "run"))
        rows.append(row)
        print_table([row], COLUMNS)
        for line in row["by_type"]:
            print(f"  {line['type']}: EM {100 * line['exact_match']:.1f} F1 {100 * line['f1']:.1f} "
                  f"({line['questions']})")
        suffix = f"-{args.train_questions}" if args.train_questions else ""
        save_results(f"qa{suffix}", {"overrides": args.overrides, "rows": rows})
    if rows:
        print()
        print_table(rows, COLUMNS)


if __name__ == "__main__":
    main()
