"""Look at a table before training: size, empties, duplicates, label balance, text lengths, warnings.

Counts use the same rules as cleaning (engine.data.prepare), so what the report says will be dropped
is exactly what cleaning drops.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from engine.data.prepare import empty_mask, normalise_labels, normalise_texts, require_columns

MIN_ROWS_PER_LABEL = 5
MAX_IMBALANCE = 10.0
MANY_SHARE = 0.05  # above this share of rows, empties or duplicates are worth a warning


@dataclass
class DataReport:
    rows: int
    columns: list[str]
    empty_text: int
    empty_label: int
    empty_rows: int  # rows with an empty text, label or both: what cleaning drops as empty
    duplicate_texts: int  # rows (with text and label) whose text appeared earlier, as cleaning counts them
    label_counts: dict[str, int]  # most common first
    lengths: list[int]  # per sampled usable text, in `length_unit`
    length_unit: str  # "tokens" or "characters"
    length_stats: dict[str, float] = field(default_factory=dict)  # mean, p50, p95, max
    warnings: list[str] = field(default_factory=list)


def inspect_frame(df: pd.DataFrame, text_column: str, label_column: str, tokenizer: Any = None,
                  sample_size: int = 2000, seed: int = 0) -> DataReport:
    """Describe `df` for the data tab. Lengths come from a sample of at most `sample_size` texts."""
    require_columns(df, [text_column, label_column], "data")
    texts = normalise_texts(df[text_column])
    labels = normalise_labels(df[label_column])
    text_empty = empty_mask(texts)
    label_empty = empty_mask(labels)
    usable = ~(text_empty | label_empty)
    kept_texts = texts[usable]  # what cleaning keeps before it drops duplicates
    counts = labels[usable].value_counts()
    label_counts = {str(k): int(v) for k, v in sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))}
    lengths, unit = _text_lengths(kept_texts, tokenizer, sample_size, seed)
    report = DataReport(rows=len(df), columns=[str(c) for c in df.columns], empty_text=int(text_empty.sum()),
                        empty_label=int(label_empty.sum()), empty_rows=int((~usable).sum()),
                        duplicate_texts=int(kept_texts.duplicated().sum()),
                        label_counts=label_counts, lengths=lengths, length_unit=unit,
                        length_stats=_length_stats(lengths))
    report.warnings = _warnings(report)
    return report


def _text_lengths(texts: pd.Series, tokenizer: Any, sample_size: int, seed: int) -> tuple[list[int], str]:
    # Tokenizing millions of rows would stall the UI; a seeded sample gives the same picture every time.
    if len(texts) > sample_size:
        texts = texts.sample(n=sample_size, random_state=seed)
    values = [str(t) for t in texts]
    if tokenizer is None:
        return [len(t) for t in values], "characters"
    if not values:
        return [], "tokens"
    ids = tokenizer(values, add_special_tokens=True)["input_ids"]
    return [len(row) for row in ids], "tokens"


def _length_stats(lengths: list[int]) -> dict[str, float]:
    if not lengths:
        return {"mean": 0.0, "p50": 0.0, "p95": 0.0, "max": 0.0}
    values = np.asarray(lengths, dtype=float)
    return {"mean": round(float(values.mean()), 1), "p50": float(np.percentile(values, 50)),
            "p95": float(np.percentile(values, 95)), "max": float(values.max())}


def _warnings(report: DataReport) -> list[str]:
    found = _label_warnings(report.label_counts, report.rows)
    empty_rows = report.empty_rows
    if report.rows and empty_rows / report.rows > MANY_SHARE:
        found.append(f"{empty_rows} of {report.rows} rows ({empty_rows / report.rows:.0%}) have an empty text or "
                     "label; they will be dropped. Check that the right columns are chosen.")
    if report.rows and report.duplicate_texts / report.rows > MANY_SHARE:
        found.append(f"{report.duplicate_texts} of {report.rows} rows ({report.duplicate_texts / report.rows:.0%}) "
                     "repeat a text that appears earlier; duplicates are dropped so they cannot leak into "
                     "the test split.")
    return found


def _label_warnings(counts: dict[str, int], rows: int) -> list[str]:
    if not counts:
        return ["No row has both a text and a label. Check that the text and label columns are the right ones."]
    if len(counts) == 1:
        only = next(iter(counts))
        return [f"Every row has the same label ('{only}'); a classifier needs at least two labels. "
                "Check the label column, or add examples of other labels."]
    found = []
    if rows >= 20 and len(counts) > rows / 2:
        found.append(f"There are {len(counts)} different labels for {rows} rows; most labels occur only once. "
                     "Is the label column the right one?")
    rare = [label for label, count in counts.items() if count < MIN_ROWS_PER_LABEL]
    if rare:
        shown = ", ".join(f"'{label}'" for label in rare[:10]) + (" ..." if len(rare) > 10 else "")
        found.append(f"{len(rare)} labels have fewer than {MIN_ROWS_PER_LABEL} rows ({shown}); the model can "
                     "hardly learn them. Add examples, or merge rare labels into others.")
    (top, most), (bottom, least) = next(iter(counts.items())), list(counts.items())[-1]
    if most / least > MAX_IMBALANCE:
        found.append(f"The labels are very unbalanced: '{top}' has {most} rows but '{bottom}' only {least} "
                     f"(more than {MAX_IMBALANCE:.0f} to 1). Add examples of the rare labels, or judge the model "
                     "by macro F1 rather than accuracy.")
    return found
