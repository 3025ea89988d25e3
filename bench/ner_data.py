"""The NER benchmark sets in ../shared/data (CoNLL-2003, WNUT-17, MSRA, Weibo), read by the studio's own reader.

Reading them through engine's formats module, not a bespoke parser, is the point: the benchmark then measures what
a user uploading these files would get, and the sentence counts the data README states are a check on the reader.
A clone without ../shared/data has none of them: `python -m bench.ner_data` says so and exits 0.

Run from the repo root:  python -m bench.ner_data [SET ...]   (prints sentences, tokens and entities per split)
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import print_table, shared_data_dir
from engine.data.table import LoadedTable
from engine.tasks.token_classification.formats import read_conll_text
from engine.tasks.token_classification.schemes import entity_counts, read_tags


@dataclass(frozen=True)
class NerSet:
    name: str
    splits: tuple[str, ...]
    sentences: dict[str, int]   # per split, as ../shared/data/README.md states them
    about: str


NER_SETS = {ner_set.name: ner_set for ner_set in (
    NerSet("conll2003", ("train", "dev", "test"), {"train": 14_041, "dev": 3_250, "test": 3_453},
           "English news; PER, ORG, LOC, MISC"),
    NerSet("wnut17", ("train", "dev", "test"), {"train": 3_394, "dev": 1_009, "test": 1_287},
           "English social media; six emerging-entity types"),
    NerSet("msra_ner", ("train", "test"), {"train": 45_000, "test": 3_442},
           "Chinese news, one token per character; PER, ORG, LOC"),
    NerSet("weibo_ner", ("train", "dev", "test"), {"train": 1_350, "dev": 270, "test": 270},
           "Chinese social media, one token per character; PER, ORG, LOC, GPE, each name or nominal"),
)}


def split_path(name: str, split: str) -> Path:
    return shared_data_dir() / name / f"{split}.txt"


def available(name: str) -> bool:
    return all(split_path(name, split).exists() for split in NER_SETS[name].splits)


def load_split(name: str, split: str) -> LoadedTable:
    """One split as the studio reads a CoNLL upload (the files are UTF-8; -DOCSTART- lines are skipped)."""
    path = split_path(name, split)
    return read_conll_text(path.read_text(encoding="utf-8"), f"{name}/{path.name}")


def describe(name: str, split: str, table: LoadedTable, seconds: float) -> dict:
    reading = read_tags(table.frame["tags"])
    counts = entity_counts(reading.sequences)
    return {"set": f"{name}/{split}", "sentences": len(table.frame),
            "expected": NER_SETS[name].sentences[split], "tokens": int(table.frame["tokens"].map(len).sum()),
            "left_out": len(table.rejected), "scheme": reading.scheme,
            "repairs": sum(reading.repairs.values()), "read_s": seconds,
            "entities": ", ".join(f"{kind} {count:,}" for kind, count in counts.items())}


COLUMNS = [("set", "set", ""), ("sentences", "sentences", ","), ("expected", "README", ","),
           ("tokens", "tokens", ","), ("left_out", "left out", ","), ("scheme", "scheme", ""),
           ("repairs", "repairs", ","), ("read_s", "read s", ".2f"), ("entities", "entities", "")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sets", nargs="*", metavar="SET", help=f"Sets to read: {', '.join(NER_SETS)} (default: all).")
    names = parser.parse_args().sets or list(NER_SETS)
    unknown = [name for name in names if name not in NER_SETS]
    if unknown:
        parser.error(f"unknown set(s) {', '.join(unknown)}; known: {', '.join(NER_SETS)}")
    rows = []
    for name in names:
        if not available(name):
            print(f"ner_data: {name} skipped, not found under {shared_data_dir()}.")
            continue
        for split in NER_SETS[name].splits:
            started = time.perf_counter()
            table = load_split(name, split)
            rows.append(describe(name, split, table, time.perf_counter() - started))
    if rows:
        print_table(rows, COLUMNS)


if __name__ == "__main__":
    main()
