"""Data loading benchmark: how long a large upload takes to read and to summarise in the Data tab.

A user's 3 MB workbook of 400,000 rows took 66 s in the Data tab, because preview, inspection and the
split check each read it again (with openpyxl). This generates such a workbook, the same rows as CSV, and
a messy CSV (lone CRs, rows of the wrong width, an unclosed quote: the careful parser's slow path), then
times for each: the first read, a read served by the cache, and the Data tab's whole summary of a fresh
upload (preview, inspection with the packaged model's tokenizer at max length 128, and the split check),
plus openpyxl reading the workbook once, as the tab did before. Needs no shared data.

Run from the repo root:  python -m bench.data_loading [--rows 400000]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import MODEL, SEED, load_average, print_table, save_results

WORDS = ("good", "bad", "great", "awful", "film", "phone", "meal", "really", "quite", "the", "was", "not")
COLUMNS = [("file", "file", ""), ("rows", "rows", ","), ("mb", "MB", ".1f"), ("first_read_s", "first read s", ".2f"),
           ("cached_read_s", "cached read s", ".3f"), ("summary_s", "summary s", ".2f"),
           ("rejected", "rejected", ","), ("openpyxl_s", "openpyxl read s", ".2f")]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=400_000)
    return parser.parse_args()


def reviews(rows: int) -> list[tuple[str, str]]:
    rng = random.Random(SEED)
    return [(" ".join(rng.choices(WORDS, k=3)) + f" {i}", rng.choice(("pos", "neg"))) for i in range(rows)]


def write_xlsx(path: Path, rows: list[tuple[str, str]]) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("reviews")
    sheet.append(["text", "label"])
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def write_csv(path: Path, rows: list[tuple[str, str]], messy: bool = False) -> Path:
    """The rows as CSV; messy: a lone CR in every 100th text, a row of the wrong width every 1,000 rows, and
    one unclosed quote, the shapes real exports have."""
    lines = ["text,label"]
    for i, (text, label) in enumerate(rows):
        if messy and i % 100 == 7:
            text = text.replace(" ", "\r", 1)
        lines.append(f"{text},{label}" + (",extra,fields" if messy and i % 1000 == 11 else ""))
    if messy:
        lines[len(lines) // 2] = '"' + lines[len(lines) // 2]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def measure(path: Path, runs: Path) -> dict[str, Any]:
    from engine.config import DataConfig, ModelConfig, RunConfig
    from engine.data.cache import TABLES
    from engine.studio import Studio

    studio = Studio(runs)
    studio.tokenizer(MODEL)  # the Model tab has it loaded already; its load is not the data's cost
    ref = studio.keep_upload(str(path))
    TABLES.clear()
    table, first = timed(lambda: studio.table(ref))
    _, cached = timed(lambda: studio.table(ref))
    TABLES.clear()

    def summary() -> None:  # what the Data tab runs for a fresh upload
        shown = studio.preview(RunConfig(data=DataConfig(train_file=ref)))
        cfg = RunConfig(data=DataConfig(train_file=ref, columns=shown.guesses),
                        model=ModelConfig(name_or_path=MODEL, max_length=128))
        studio.inspect(cfg)
        studio.split_summary(cfg)

    _, summary_s = timed(summary)
    return {"file": path.name, "rows": len(table.frame), "mb": path.stat().st_size / 1024**2,
            "first_read_s": first, "cached_read_s": cached, "summary_s": summary_s, "rejected": len(table.rejected),
            "openpyxl_s": None, "load_avg_1m": load_average()}


def openpyxl_read(path: Path) -> float:
    import pandas as pd

    return timed(lambda: pd.read_excel(path, engine="openpyxl"))[1]


def main() -> None:
    args = parse_args()
    rows = reviews(args.rows)
    with tempfile.TemporaryDirectory(prefix="tunebench-data-") as folder:
        work = Path(folder)
        files = [write_xlsx(work / "reviews.xlsx", rows), write_csv(work / "reviews.csv", rows),
                 write_csv(work / "messy.csv", rows, messy=True)]
        results = [measure(path, work / "runs") for path in files]
        results[0]["openpyxl_s"] = openpyxl_read(files[0])
    print_table(results, COLUMNS)
    save_results("data_loading", {"rows": args.rows, "model": MODEL, "max_length": 128, "results": results})


if __name__ == "__main__":
    main()
