"""Seq2seq benchmark: summarizing CNN/DailyMail offline, two ways, against the lead-3 baseline.

- seq2seq: the packaged MiniLM2MiniLM (an encoder-decoder warm-started from MiniLM, cross-attention untrained)
  fine-tuned in full through the studio's seq2seq task;
- causal_lm: the packaged SmolLM2-135M-Instruct instruction-tuned with LoRA to summarize ("Summarize this news
  article in three sentences" and the article as the prompt, the highlights as the answer), the modern alternative.

Both train on the 500 rows of `train_first500.csv` and are scored on the first 200 rows of
`validation_first1000.csv` (rows 200 to 231 are the runs' validation split). Articles are cut to their first
ARTICLE_WORDS words for both models, which keeps a CPU run short and keeps the lead (a chat that is too long loses
its prompt's beginning, which for news is what matters). Each model writes greedily, at most 80 new tokens, with no
3-gram repeated; ROUGE-1/2/L (engine.rouge, the `rouge-score` package, stemmed) is against the highlights, beside
lead-3 on the full articles. Also measured: training samples/s and generation seconds per article.

Run from the repo root:  python -m bench.s2s [--models seq2seq,causal_lm] [--set-seq2seq k=v] [--set-causal_lm k=v]
About an hour on 2 CPU cores.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import last_event, load_average, print_table, quiet_libraries, save_results, shared_data_dir, \
    train_in_process

ARTICLE_WORDS = 200
SCORED_ROWS, VALIDATION_ROWS = 200, 32
INSTRUCTION = "Summarize this news article in three sentences.\n\n"
COLUMNS = [("model", "model", ""), ("rouge1", "ROUGE-1", ".2f"), ("rouge2", "ROUGE-2", ".2f"),
           ("rougeL", "ROUGE-L", ".2f"), ("gap_rouge1", "vs lead-3 R-1", "+.2f"), ("gen_words", "words", ".1f"),
           ("samples_per_s", "train samples/s", ".2f"), ("generate_s", "generate s/article", ".2f"),
           ("train_s", "train s", ".0f"), ("load_avg_1m", "load", ".1f")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="seq2seq,causal_lm", help="which of seq2seq, causal_lm to run")
    parser.add_argument("--set-seq2seq", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--set-causal_lm", action="append", default=[], metavar="SECTION.KEY=VALUE")
    return parser.parse_args()


def data_files(folder: Path) -> dict[str, Any]:
    import pandas as pd

    data = shared_data_dir() / "cnn_dailymail"
    if not data.exists():
        sys.exit(f"skipped: {data} is not present")
    train = pd.read_csv(data / "train_first500.csv")
    validation = pd.read_csv(data / "validation_first1000.csv")
    scored = validation.head(SCORED_ROWS)
    held = validation.iloc[SCORED_ROWS:SCORED_ROWS + VALIDATION_ROWS]

    def written(frame: Any, name: str) -> str:
        cut = frame.assign(source=frame["article"].map(first_words), target=frame["highlights"],
                           prompt=INSTRUCTION + frame["article"].map(first_words), response=frame["highlights"])
        path = folder / f"{name}.csv"
        cut[["source", "target", "prompt", "response"]].to_csv(path, index=False)
        return str(path)

    return {"train": written(train, "train"), "validation": written(held, "validation"),
            "test": written(scored, "test"), "scored": scored}


def first_words(text: str) -> str:
    return " ".join(str(text).split()[:ARTICLE_WORDS])


def config(model: str, files: dict[str, Any], overrides: list[str]) -> Any:
    import yaml

    from engine.config import RunConfig

    data = {"train_file": files["train"], "validation_file": files["validation"], "test_file": files["test"]}
    if model == "seq2seq":
        settings = {"task": "seq2seq", "name": "cnndm-minilm2minilm",
                    "data": {**data, "columns": {"source": "source", "target": "target"}},
                    "model": {"name_or_path": "packaged:MiniLM2MiniLM", "max_length": 320},
                    "method": {"kind": "full"},
                    "options": {"max_target_length": 80, "eval_rows": 16, "num_beams": 1, "lead_sentences": 3},
                    "train": {"num_train_epochs": 3, "learning_rate": 3e-4, "train_batch_size": 8,
                              "eval_strategy": "epoch", "save_strategy": "epoch", "save_total_limit": 1}}
    else:
        settings = {"task": "causal_lm", "name": "cnndm-smollm2",
                    "data": {**data, "columns": {"prompt": "prompt", "response": "response"}},
                    "model": {"name_or_path": "packaged:SmolLM2-135M-Instruct", "max_length": 448},
                    "method": {"kind": "lora", "lora_r": 8, "lora_alpha": 16},
                    "options": {"report_prompts": 0},
                    "train": {"num_train_epochs": 1, "learning_rate": 1e-3, "train_batch_size": 8,
                              "eval_strategy": "epoch", "save_strategy": "epoch", "save_total_limit": 1}}
    return RunConfig.from_yaml(yaml.safe_dump(settings), overrides)


def scored(model: str, run_dir: Path, frame: Any) -> tuple[list[str], float]:
    """The run's model's summary of each scored article, and the seconds per article."""
    from engine.generation import GenerationSettings
    from engine.inference import Predictor

    predictor = Predictor.from_run(run_dir)
    role = "source" if model == "seq2seq" else "prompt"
    inputs = [{role: (INSTRUCTION if role == "prompt" else "") + first_words(a)} for a in frame["article"]]
    settings = GenerationSettings(max_new_tokens=80, no_repeat_ngram_size=3, repetition_penalty=1.0)
    began = time.perf_counter()
    texts = [p["text"] for p in predictor.predict(inputs, settings)]
    return texts, (time.perf_counter() - began) / len(inputs)


def main() -> None:
    from engine.rouge import mean_rouge
    from engine.tasks.seq2seq.scoring import lead

    args = parse_args()
    quiet_libraries()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        files = data_files(Path(folder))
        references = files["scored"]["highlights"].tolist()
        baseline = mean_rouge([lead(a, 3) for a in files["scored"]["article"]], references)
        rows.append({"model": "lead-3", **baseline, "gap_rouge1": 0.0,
                     "gen_words": _words([lead(a, 3) for a in files["scored"]["article"]])})
        for model in args.models.split(","):
            cfg = config(model, files, getattr(args, f"set_{model}"))
            run_dir = Path(folder) / model
            events, wall_s = train_in_process(cfg, run_dir)
            summary = last_event(events, "train_summary")["values"]
            texts, generate_s = scored(model, run_dir, files["scored"])
            score = mean_rouge(texts, references)
            rows.append({"model": f"{cfg.model.name_or_path.split(':')[-1]} ({model})", **score,
                         "gap_rouge1": score["rouge1"] - baseline["rouge1"], "gen_words": _words(texts),
                         "samples_per_s": summary["train_samples_per_second"], "generate_s": generate_s,
                         "train_s": summary["train_runtime"], "load_avg_1m": load_average(),
                         "examples": [{"reference": r, "summary": t} for r, t in zip(references[:3], texts[:3])]})
            print(f"{model}: ROUGE-1 {score['rouge1']:.2f} (lead-3 {baseline['rouge1']:.2f}) in {wall_s:.0f} s")
    print_table(rows, COLUMNS)
    save_results("s2s", {"args": vars(args), "article_words": ARTICLE_WORDS, "scored_rows": SCORED_ROWS,
                         "rows": rows})


def _words(texts: list[str]) -> float:
    return sum(len(text.split()) for text in texts) / max(len(texts), 1)


if __name__ == "__main__":
    main()
