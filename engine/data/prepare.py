"""Turn a loaded table into clean train / validation / test splits.

Cleaning and splitting are separate steps so the UI can show what cleaning removed before any split,
and so separate validation/test files are cleaned exactly like the training file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pandas.api.types import is_scalar
from sklearn.model_selection import train_test_split

from engine.config import DataConfig
from engine.data.loading import DEMO_PREFIX, load_table
from engine.errors import DataError


@dataclass
class CleanReport:
    rows_before: int
    dropped_empty: int
    dropped_duplicates: int
    rows_after: int


@dataclass
class Splits:
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@dataclass
class PreparedData:
    splits: Splits
    clean: CleanReport  # of the training file
    source: str
    source_rows: int
    labels: list[str]  # sorted labels of the training split: the classes the model will learn
    validation_clean: CleanReport | None = None  # set when a separate validation file was given
    test_clean: CleanReport | None = None  # set when a separate test file was given

    def summary(self) -> dict[str, Any]:
        """Split sizes, what cleaning dropped, and the split's notes, for the Data tab and the run log."""
        splits = self.splits
        return {"rows": {"train": len(splits.train), "validation": len(splits.validation),
                         "test": len(splits.test)},
                "dropped_empty": self.clean.dropped_empty, "dropped_duplicates": self.clean.dropped_duplicates,
                "notes": list(splits.notes)}


def require_columns(df: pd.DataFrame, columns: list[str], where: str) -> None:
    """Raise a DataError naming every missing column and listing the ones the table does have."""
    missing = [name for name in columns if name not in df.columns]
    if not missing:
        return
    available = ", ".join(f"'{name}'" for name in df.columns) or "(none)"
    names = ", ".join(f"'{name}'" for name in missing)
    noun = "column" if len(missing) == 1 else "columns"
    raise DataError(f"The {where} has no {noun} {names}. Available columns: {available}. "
                    "Choose the right column names, or rename the columns in your file.")


def _is_missing(value: Any) -> bool:
    # Cells can hold lists (JSON data); pd.isna on those returns an array, so only scalars are tested.
    return is_scalar(value) and bool(pd.isna(value))


def _as_text(value: Any) -> str | None:
    return None if _is_missing(value) else str(value).strip()


def _as_label(value: Any) -> str | None:
    # A CSV integer column with gaps is read as float; 1.0 must still mean the label "1".
    if isinstance(value, float) and not _is_missing(value) and value.is_integer():
        return str(int(value))
    return _as_text(value)


def normalise_texts(series: pd.Series) -> pd.Series:
    """Stripped strings; missing values stay None so they count as empty."""
    return pd.Series([_as_text(v) for v in series], index=series.index, dtype=object)


def normalise_labels(series: pd.Series) -> pd.Series:
    """Labels as stripped strings (1 and 1.0 both become "1"); missing values stay None."""
    return pd.Series([_as_label(v) for v in series], index=series.index, dtype=object)


def empty_mask(series: pd.Series) -> pd.Series:
    """True where a cell is missing or only whitespace."""
    return pd.Series([text is None or text == "" for text in map(_as_text, series)], index=series.index,
                     dtype=bool)


def clean_frame(df: pd.DataFrame, text_column: str, label_column: str, drop_empty: bool = True,
                drop_duplicates: bool = True) -> tuple[pd.DataFrame, CleanReport]:
    """Normalise texts and labels to stripped strings, drop empty and repeated rows, and report the counts."""
    require_columns(df, [text_column, label_column], "data")
    if len(df) == 0:
        raise DataError("The data has no rows. Choose a file that contains your examples.")
    out = df.copy()
    out[text_column] = normalise_texts(out[text_column])
    out[label_column] = normalise_labels(out[label_column])
    empty = empty_mask(out[text_column]) | empty_mask(out[label_column])
    if drop_empty:
        out = out[~empty]
    elif empty.any():
        first = int(empty.to_numpy().argmax()) + 1
        raise DataError(f"{int(empty.sum())} rows have an empty text or label (the first is data row {first}). "
                        "Training cannot use them: fill them in, or turn on dropping empty rows.")
    # Duplicates are counted after empties go, so a blank row is never reported twice.
    repeated = out[text_column].duplicated(keep="first") if drop_duplicates else pd.Series(False, index=out.index)
    out = out[~repeated].reset_index(drop=True)
    if len(out) == 0:
        raise DataError(f"No rows are left after cleaning: all {len(df)} rows have an empty text or label. "
                        "Check that the text and label columns are the right ones.")
    out[text_column] = out[text_column].astype(str)
    out[label_column] = out[label_column].astype(str)
    report = CleanReport(rows_before=len(df), dropped_empty=int(empty.sum()) if drop_empty else 0,
                         dropped_duplicates=int(repeated.sum()), rows_after=len(out))
    return out, report


def _holdout_size(ratio: float, rows: int) -> int:
    # At least one row whenever a ratio is asked for, so a small dataset still gets every split.
    return max(1, round(ratio * rows)) if ratio > 0 else 0


def _rows_needed(validation_ratio: float, test_ratio: float) -> int:
    rows = 1
    while rows - _holdout_size(validation_ratio, rows) - _holdout_size(test_ratio, rows) < 1:
        rows += 1
    return rows


def _stratify_problem(labels: pd.Series, holdout: int) -> str | None:
    """Why a stratified split of `holdout` rows is impossible (sklearn's own rules), or None."""
    counts = labels.value_counts()
    if counts.min() < 2:
        return f"label '{counts.idxmin()}' has only 1 row (each label needs at least 2)"
    if holdout < len(counts) or len(labels) - holdout < len(counts):
        return f"a part of {min(holdout, len(labels) - holdout)} rows cannot hold all {len(counts)} labels"
    return None


def _split_off(df: pd.DataFrame, label_column: str, size: int, seed: int, stratify: bool,
               part: str, notes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split `size` rows off `df`; returns (rest, held_out). Falls back to a random split with a note."""
    if size == 0:
        return df, df.iloc[0:0]
    labels = df[label_column]
    problem = _stratify_problem(labels, size) if stratify else None
    if stratify and problem is None:
        try:
            rest, held = train_test_split(df, test_size=size, random_state=seed, shuffle=True, stratify=labels)
            return rest, held
        except ValueError as exc:  # a rule we did not foresee; the random split below still works
            problem = f"sklearn refused it ({exc.__class__.__name__})"
    if stratify:
        notes.append(f"The {part} split is random, not stratified, because {problem}; "
                     "label shares may differ between splits.")
    rest, held = train_test_split(df, test_size=size, random_state=seed, shuffle=True)
    return rest, held


def split_frame(df: pd.DataFrame, label_column: str, validation_ratio: float, test_ratio: float, seed: int,
                stratify: bool = True) -> Splits:
    """Hold out validation and test rows (sizes relative to all rows), keeping label shares when possible."""
    require_columns(df, [label_column], "data")
    if validation_ratio < 0 or test_ratio < 0 or validation_ratio + test_ratio >= 1:
        raise DataError("The validation and test shares must be 0 or more and add up to less than 1 "
                        f"(got {validation_ratio} and {test_ratio}).")
    rows = len(df)
    n_validation = _holdout_size(validation_ratio, rows)
    n_test = _holdout_size(test_ratio, rows)
    if rows - n_validation - n_test < 1:
        needed = _rows_needed(validation_ratio, test_ratio)
        raise DataError(f"Only {rows} rows are left after cleaning, too few to make training, validation and "
                        f"test splits with these shares; at least {needed} rows are needed. "
                        "Add more data, or lower the validation and test shares.")
    notes: list[str] = []
    rest, test = _split_off(df, label_column, n_test, seed, stratify, "test", notes)
    train, validation = _split_off(rest, label_column, n_validation, seed, stratify, "validation", notes)
    return Splits(train=train.reset_index(drop=True), validation=validation.reset_index(drop=True),
                  test=test.reset_index(drop=True), notes=notes)


def _load_clean(source: str, cfg: DataConfig, role: str) -> tuple[pd.DataFrame, CleanReport, int]:
    frame = load_table(source)
    name = source if source.startswith(DEMO_PREFIX) else Path(source).name
    require_columns(frame, [cfg.text_column, cfg.label_column], f"{role} file '{name}'")
    cleaned, report = clean_frame(frame, cfg.text_column, cfg.label_column, cfg.drop_empty, cfg.drop_duplicates)
    return cleaned, report, len(frame)


def _overlap_notes(splits: Splits, text_column: str, label_column: str, given: list[str]) -> list[str]:
    """Warn about texts shared with training data and labels the model never sees, for separate files."""
    notes = []
    train_texts = set(splits.train[text_column])
    train_labels = set(splits.train[label_column])
    for part in given:
        frame: pd.DataFrame = getattr(splits, part)
        shared = int(frame[text_column].isin(train_texts).sum())
        if shared:
            notes.append(f"{shared} texts of the {part} file also appear in the training data; "
                         f"{part} scores on them will look better than they really are.")
        unseen = sorted(set(frame[label_column]) - train_labels)
        if unseen:
            notes.append(f"The {part} file has labels that the training data lacks ({', '.join(unseen)}); "
                         "the model can never predict them.")
    return notes


def load_splits(cfg: DataConfig) -> PreparedData:
    """Load, check and clean every file of `cfg`, then split off only what no separate file provides."""
    train, clean, source_rows = _load_clean(cfg.train_file, cfg, "training")
    given: dict[str, tuple[pd.DataFrame, CleanReport]] = {}
    if cfg.validation_file:
        given["validation"] = _load_clean(cfg.validation_file, cfg, "validation")[:2]
    if cfg.test_file:
        given["test"] = _load_clean(cfg.test_file, cfg, "test")[:2]
    splits = split_frame(train, cfg.label_column,
                         0.0 if "validation" in given else cfg.validation_ratio,
                         0.0 if "test" in given else cfg.test_ratio, cfg.split_seed, cfg.stratify)
    for part, (frame, _) in given.items():
        setattr(splits, part, frame.reset_index(drop=True))
    splits.notes += _overlap_notes(splits, cfg.text_column, cfg.label_column, list(given))
    return PreparedData(splits=splits, clean=clean, source=cfg.train_file, source_rows=source_rows,
                        labels=sorted(set(splits.train[cfg.label_column])),
                        validation_clean=given["validation"][1] if "validation" in given else None,
                        test_clean=given["test"][1] if "test" in given else None)
