"""Column kinds: how a task's column is read, checked and summarised, whatever the task.

A task names its columns by role (text, label, tokens, tags, question...) and gives each a kind; this module
knows what each kind means for the data: which values are empty, how they are normalised (stripped strings,
"1.0" read as the label "1", numbers, lists of tokens), and which kinds the model reads as text. Cleaning,
splitting, inspection and column guessing (engine.data) work from a task's DataPlan, never from task names.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from pandas.api.types import is_float_dtype, is_scalar

from engine.data.entities import unescape_texts
from engine.data.table import LoadedTable, ReadOptions
from engine.messages import Message

# A chat's system prompt and its earlier turns (JSON text) are texts with names of their own, so a column called
# `text` is never guessed as either.
TEXT_KINDS = ("text", "question", "context", "prompt", "response", "source", "target", "system", "history")
LIST_KINDS = ("tokens", "tags")
# A question's reference answers and where each starts in its context: lists, where an empty list is an answer too
# (the question has none in its context), so these columns are never "empty".
ANSWER_KINDS = ("answers", "answer_starts")
NESTED_KINDS = (*LIST_KINDS, *ANSWER_KINDS)
KINDS = (*TEXT_KINDS, "label", "number", *NESTED_KINDS)
NativeReader = Callable[[Path, str, ReadOptions], "LoadedTable | None"]


@dataclass(frozen=True)
class RoleColumn:
    role: str      # the task's name for it
    column: str    # the user's column
    kind: str      # one of KINDS
    input: bool    # the model reads it (else: what it learns to predict)
    description: Message   # what the column holds, in the reader's language
    optional: bool = False   # a file may lack it (a chat's system prompt): then the role is left out, not refused


@dataclass(frozen=True)
class DataPlan:
    """What a task needs of a table: its role columns, which column keeps label shares when splitting, and a
    reader for the task's own file formats (tried before the general readers)."""

    roles: tuple[RoleColumn, ...]
    stratify: str | None = None
    reader: NativeReader | None = None
    group: str | None = None   # a column whose rows stay together in one split (questions about one context)
    reader_key: str = ""   # names the reader in the table cache: a task's reading of a file is its own
    # The roles whose values together make a row a repeat of an earlier one; none named: the input roles (the
    # same text twice is one example, whatever its labels). A chat repeats only with its answer too.
    duplicate_roles: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        return [role.column for role in self.roles]

    @property
    def input_columns(self) -> list[str]:
        return [role.column for role in self.roles if role.input]

    def of_kind(self, *kinds: str) -> list[RoleColumn]:
        return [role for role in self.roles if role.kind in kinds]

    @property
    def required(self) -> list[RoleColumn]:
        return [role for role in self.roles if not role.optional]

    def for_frame(self, frame: pd.DataFrame) -> "DataPlan":
        """This plan without the optional roles whose column `frame` lacks."""
        from dataclasses import replace

        kept = tuple(role for role in self.roles if not role.optional or role.column in frame.columns)
        return self if len(kept) == len(self.roles) else replace(self, roles=kept)


# Column-wise, never value by value: a 400,000-row table is normalised several times per Data tab check.

def normalise(series: pd.Series, kind: str, unescape_html: bool = False) -> tuple[pd.Series, int]:
    """A role column as the task reads it (missing values stay missing, so they count as empty), and how many
    texts had their HTML entities unescaped."""
    if kind in TEXT_KINDS:
        texts = normalise_texts(series)
        return unescaped(texts) if unescape_html else (texts, 0)
    if kind == "label":
        return normalise_labels(series), 0
    if kind == "number":
        return pd.to_numeric(series, errors="coerce").astype(float), 0
    if kind in LIST_KINDS:
        return pd.Series([_as_list(value) for value in series], index=series.index, dtype=object), 0
    if kind == "answers":
        return pd.Series([_answer_texts(value) for value in series], index=series.index, dtype=object), 0
    if kind == "answer_starts":
        return pd.Series([_answer_starts(value) for value in series], index=series.index, dtype=object), 0
    return series, 0


def empty(series: pd.Series, kind: str) -> pd.Series:
    """True where a normalised cell cannot be used: missing, blank, not a number, or an empty list."""
    if kind in LIST_KINDS:
        return series.map(lambda value: not value)
    if kind in ANSWER_KINDS:
        return pd.Series(False, index=series.index)
    if kind == "number":
        return ~np.isfinite(series.to_numpy(dtype=float, na_value=np.nan))
    return empty_mask(series)


def hashable(series: pd.Series, kind: str) -> pd.Series:
    """Values that compare as the task sees them, for finding repeated inputs (lists become tuples)."""
    return series.map(tuple) if kind in NESTED_KINDS else series


def normalise_texts(series: pd.Series) -> pd.Series:
    """Stripped strings; missing values stay None so they count as empty."""
    return series.astype(str).str.strip().astype(object).where(series.notna(), None)


def unescaped(texts: pd.Series) -> tuple[pd.Series, int]:
    """Texts with HTML entities turned into characters (stripped again: &nbsp; can end a text), and how many changed."""
    changed_texts, changed = unescape_texts(texts)
    return normalise_texts(changed_texts), changed


def normalise_labels(series: pd.Series) -> pd.Series:
    """Labels as stripped strings (1 and 1.0 both become "1"); missing values stay None."""
    if is_float_dtype(series):
        finite = series.notna() & np.isfinite(series)
        whole = finite & (series == series.round()) & (series.abs() < 2**53)
        labels = normalise_texts(series)
        labels[whole] = series[whole].astype("int64").astype(str)
        return labels
    if series.dtype == object and float in set(map(type, series.to_numpy())):  # floats among words (a workbook)
        return pd.Series([_as_label(v) for v in series], index=series.index, dtype=object)
    return normalise_texts(series)


def empty_mask(series: pd.Series) -> pd.Series:
    """True where a cell is missing or only whitespace."""
    return series.isna() | series.astype(str).str.strip().eq("")


def is_missing(value: object) -> bool:
    # Cells can hold lists (JSON data); pd.isna on those returns an array, so only scalars are tested.
    return is_scalar(value) and bool(pd.isna(value))


def _as_label(value: object) -> str | None:
    # A CSV integer column with gaps is read as float; 1.0 must still mean the label "1".
    if isinstance(value, float) and not is_missing(value) and value.is_integer():
        return str(int(value))
    return None if is_missing(value) else str(value).strip()


def _as_list(value: object) -> list[str] | None:
    """Tokens or tags: a list as it is, a JSON list written into a cell, or words separated by spaces."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(item) for item in value]
    if is_missing(value):
        return None
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return [str(item) for item in parsed]
    return text.split()


def _json_list(value: object) -> list | None:
    """A list as it is, or one written into a cell as JSON; None for anything else."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return list(value)
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, list) else None
    return None


def _answer_texts(value: object) -> list[str]:
    """Reference answers: a list (or JSON list) of texts, or one answer in a plain cell; a blank cell is no
    answer. Texts are kept exactly as written: they are found in the context by their characters."""
    listed = _json_list(value)
    if listed is not None:
        return [str(item) for item in listed if not is_missing(item) and str(item).strip()]
    return [] if is_missing(value) or not str(value).strip() else [str(value)]


def _answer_starts(value: object) -> list[int]:
    """Character offsets of the answers: a list (or JSON list) of numbers, or one number; blanks, -1 (SQuAD v2's
    "no answer") and anything that is not a whole number become -1, which means "find the answer by its text"."""
    listed = _json_list(value)
    items = listed if listed is not None else ([] if is_missing(value) or not str(value).strip() else [value])
    return [_offset(item) for item in items]


def _offset(item: object) -> int:
    try:
        number = float(item)
    except (TypeError, ValueError):
        return -1
    return int(number) if np.isfinite(number) and number.is_integer() and number >= 0 else -1
