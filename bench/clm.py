"""Causal LM benchmark: the packaged SmolLM2-135M-Instruct with LoRA on WikiText-2, through the studio's causal_lm
task end to end.

WikiText-2's train split is not here, so the model trains on the first lines of `wiki.valid.tokens` (one paragraph
or heading a line, read as plain text: joined with the end token and cut into blocks) and is scored on the first
lines of `wiki.test.raw`. Perplexity is per SmolLM2 token, over blocks of the max length, base model and fine-tuned
alike, so the two compare; it is not WikiText's per-word perplexity. Also measured: the one-off GGUF conversion
(into a fresh cache), training tokens/s and samples/s, generation tokens/s on the playground's path (a finished
run's model streaming an answer), and the process's memory peak.

Run from the repo root:  python -m bench.clm [--train-lines N] [--test-lines N] [--set section.key=value]
The defaults take about 15 minutes on 2 CPU cores.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (last_event, load_average, print_table, quiet_libraries, save_results, shared_data_dir,
                          speeds, train_in_process)

MODEL = "packaged:SmolLM2-135M-Instruct"
PROMPT = "The history of the city begins"
COLUMNS = [("train_tokens", "train tokens", ","), ("test_tokens", "test tokens", ","),
           ("base_perplexity", "base ppl", ".2f"), ("perplexity", "fine-tuned ppl", ".2f"),
           ("tokens_per_s", "train tok/s", ".0f"), ("samples_per_s", "samples/s", ".2f"),
           ("generate_tokens_per_s", "generate tok/s", ".1f"), ("peak_rss_gb", "peak GB", ".2f"),
           ("convert_s", "GGUF convert s", ".1f"), ("wall_s", "wall s", ".0f"), ("load_avg_1m", "load", ".1f")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-lines", type=int, default=1200, help="lines of wiki.valid.tokens to train on")
    parser.add_argument("--test-lines", type=int, default=400, help="lines of wiki.test.raw to score")
    parser.add_argument("--set", action="append", default=[], dest="overrides", metavar="SECTION.KEY=VALUE",
                        help="change one setting (repeatable), as the CLI's --set")
    return parser.parse_args()


def conversion_seconds() -> float:
    """The one-off GGUF conversion, timed into a throwaway cache (the real cache is left as it is)."""
    from engine.gguf_models import convert_gguf
    from engine.models import PACKAGED

    source = PACKAGED[MODEL.split(":", 1)[1]].built
    with tempfile.TemporaryDirectory() as folder:
        return convert_gguf(source.gguf_folder(), source.filename, Path(folder) / "model", source.name)


def wikitext_files(folder: Path, train_lines: int, test_lines: int) -> tuple[Path, Path]:
    data = shared_data_dir() / "wikitext2"
    if not data.exists():
        sys.exit(f"skipped: {data} is not present")
    train = (data / "wiki.valid.tokens").read_text(encoding="utf-8").splitlines()[:train_lines]
    test = (data / "wiki.test.raw").read_text(encoding="utf-8").splitlines()[:test_lines]
    (folder / "train.txt").write_text("\n".join(train), encoding="utf-8")
    (folder / "test.txt").write_text("\n".join(test), encoding="utf-8")
    return folder / "train.txt", folder / "test.txt"


def config(train: Path, test: Path, overrides: list[str]) -> Any:
    """The text run: the training lines as one column of plain text (no prompt column), the test file held out."""
    import yaml

    from engine.config import RunConfig

    settings = {
        "task": "causal_lm", "name": "wikitext2-smollm2",
        "data": {"train_file": str(train), "test_file": str(test), "columns": {"response": "text"},
                 "validation_ratio": 0.05, "test_ratio": 0.0, "drop_duplicates": False},
        "model": {"name_or_path": MODEL, "max_length": 256},
        "method": {"kind": "lora", "lora_r": 8, "lora_alpha": 16},
        "options": {"report_prompts": 3, "report_tokens": 32},
        "train": {"num_train_epochs": 1, "learning_rate": 1e-3, "train_batch_size": 8, "eval_strategy": "epoch",
                  "save_strategy": "epoch", "save_total_limit": 1}}
    return RunConfig.from_yaml(yaml.safe_dump(settings), overrides)


def generation_speed(run_dir: Path) -> float:
    """Tokens per second of a finished run's model streaming 128 new tokens, as the playground's chat does."""
    from engine.generation import GenerationSettings
    from engine.inference import Predictor

    predictor = Predictor.from_run(run_dir)
    began = time.perf_counter()
    text = "".join(predictor.stream({"prompt": PROMPT}, GenerationSettings(max_new_tokens=128)))
    seconds = time.perf_counter() - began
    return len(predictor.tokenizer(text, add_special_tokens=False)["input_ids"]) / seconds


def main() -> None:
    args = parse_args()
    quiet_libraries()
    convert_s = conversion_seconds()
    with tempfile.TemporaryDirectory() as folder:
        train, test = wikitext_files(Path(folder), args.train_lines, args.test_lines)
        cfg = config(train, test, args.overrides)
        run_dir = Path(folder) / "run"
        events, wall_s = train_in_process(cfg, run_dir)
        summary = last_event(events, "train_summary")["values"]
        metrics = last_event(events, "test")["metrics"]
        # A sample is a block of max_length tokens (the last one of the split is shorter).
        blocks_per_epoch = summary["train_samples_per_second"] * summary["train_runtime"] / cfg.train.num_train_epochs
        row = {"train_tokens": int(blocks_per_epoch * cfg.model.max_length),
               "test_tokens": _test_tokens(test, run_dir), "base_perplexity": metrics["base_perplexity"],
               "perplexity": metrics["perplexity"],
               "tokens_per_s": summary["train_samples_per_second"] * cfg.model.max_length,
               **speeds(summary["train_samples_per_second"], summary["train_runtime"], 0.0),
               "generate_tokens_per_s": generation_speed(run_dir),
               "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2,
               "convert_s": convert_s, "wall_s": wall_s, "load_avg_1m": load_average(),
               "torch_threads": int(os.environ.get("OMP_NUM_THREADS", "0")) or None}
    print_table([row], COLUMNS)
    print(f"\nperplexity ratio (fine-tuned / base): {row['perplexity'] / row['base_perplexity']:.3f}")
    save_results("clm", {"args": vars(args), "rows": [row]})


def _test_tokens(test: Path, run_dir: Path) -> int:
    from engine.models import load_tokenizer

    tokenizer = load_tokenizer(str(run_dir / "model"))
    lines = [line for line in test.read_text(encoding="utf-8").splitlines() if line.strip()]
    return sum(len(ids) + 1 for ids in tokenizer(lines, add_special_tokens=False)["input_ids"])


if __name__ == "__main__":
    main()
