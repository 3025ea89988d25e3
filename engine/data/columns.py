"""Which column holds each of a task's roles: guessed for the Data tab's dropdowns, checked before use.

Names come first (a column called `review` or `sentiment` says what it is), then contents by the role's kind:
a text has the longest strings, a label few repeated values, a number is numeric, tokens and tags are lists.
No column is guessed for two roles; a one-column file gets a sentence that says why it cannot train, not a
broken mapping.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from engine.data.delimited import SEPARATOR_NAMES
from engine.data.kinds import ANSWER_KINDS, LIST_KINDS, RoleColumn
from engine.data.table import LoadedTable
from engine.errors import DataError
from engine.messages import Message, register_messages

GUESS_ROWS = 500
TEXT_NAMES = ("text", "sentence", "review", "content", "comment", "tweet", "body", "message", "document",
              "utterance", "question", "title", "description")
LABEL_NAMES = ("label", "labels", "sentiment", "class", "category", "target", "intent", "topic", "rating",
               "stars", "polarity", "emotion", "y")
# Names that say what a column holds, by kind; a role's own name always counts first.
KIND_NAMES = {
    "text": TEXT_NAMES, "label": LABEL_NAMES,
    "number": ("score", "rating", "stars", "value", "target", "price", "label", "y"),
    "tokens": ("tokens", "words"), "tags": ("tags", "ner_tags", "labels", "label"),
    "question": ("question", "query"), "context": ("context", "passage", "paragraph", "document"),
    "prompt": ("prompt", "instruction", "input", "question"), "response": ("response", "output", "answer", "completion"),
    "system": ("system", "system_prompt"), "history": ("history",),
    "source": ("source", "article", "document", "text", "input"),
    "target": ("target", "summary", "highlights", "headline", "translation", "output"),
    # The Hugging Face `squad` rows' answers object, flattened by the JSON reader, comes first.
    "answers": ("answers.text", "answers", "answer", "answer_text", "answer_texts", "answer text"),
    "answer_starts": ("answers.answer_start", "answer_start", "answer_starts", "start", "answer start", "start_char"),
}

register_messages({
    "data.one_column": ("'{name}' has only one column ('{column}'). A classifier needs a text column and a "
                        "label column: add the labels as a second column.",
                        "“{name}”只有一列（“{column}”）。分类器需要一个文本列和一个标签列：请把标签作为第二列加入。"),
    "data.one_column_separator": ("'{name}' was read as one column ('{column}') with the separator {used}, but "
                                  "its lines contain {other}. Choose {other} as the separator.",
                                  "“{name}”按分隔符 {used} 读成了一列（“{column}”），但它的行中含有 {other}。"
                                  "请把分隔符设为 {other}。"),
    "data.nested_column": ("Column '{column}' holds {kind} (the first in data row {row}), not plain values, so it "
                           "cannot hold {role}. Choose a column of plain values.",
                           "列“{column}”中是{kind}（第一个在第 {row} 行数据），不是普通的值，不能用作{role}。"
                           "请选择存放普通值的列。"),
    "data.kind_lists": ("lists", "列表"),
    "data.kind_objects": ("objects", "对象"),
})


def guess_roles(frame: pd.DataFrame, roles: Sequence[RoleColumn]) -> dict[str, str]:
    """{role: column} for each role, in the task's order; "" where no column is left for a role."""
    sample = frame.head(GUESS_ROWS)
    free = [str(c) for c in sample.columns]
    guesses: dict[str, str] = {}
    for role in roles:
        nested = role.kind in LIST_KINDS
        fits = free if role.kind in ANSWER_KINDS else \
            [c for c in free if (_nested_kind(sample[c]) is not None) == nested] or ([] if nested else free)
        column = _by_name(fits, (role.role, *KIND_NAMES.get(role.kind, ())))
        if not column and not role.optional:  # an optional role is left out rather than given a stranger's column
            column = _by_content(sample, fits, role.kind)
        guesses[role.role] = column
        if column:
            free.remove(column)
    return guesses


def _by_content(sample: pd.DataFrame, columns: list[str], kind: str) -> str:
    if not columns:
        return ""
    if kind == "label":
        return _fewest_values(sample, columns)
    if kind == "number":
        numeric = [c for c in columns if is_numeric_dtype(sample[c])]
        return max(numeric, key=lambda c: sample[c].nunique()) if numeric else ""
    if kind in LIST_KINDS:
        return columns[0]
    if kind in ANSWER_KINDS:  # answers are found by their names only: any text or number column could be one
        return ""
    return _longest(sample, columns)


def _by_name(columns: list[str], names: tuple[str, ...]) -> str:
    lowered = {column.lower(): column for column in columns}
    return next((lowered[name] for name in names if name in lowered), "")


def _longest(sample: pd.DataFrame, columns: list[str]) -> str:
    words = [c for c in columns if not is_numeric_dtype(sample[c])] or columns
    return max(words, key=lambda c: sample[c].dropna().astype(str).str.len().mean() if sample[c].notna().any() else 0)


def _fewest_values(sample: pd.DataFrame, columns: list[str]) -> str:
    if not columns:
        return ""
    rows = len(sample)
    # A column of ids (every value different) or of one value is no label.
    return min(columns, key=lambda c: (sample[c].nunique() < 2, rows > 20 and sample[c].nunique() == rows,
                                       sample[c].nunique()))


def one_column_problem(table: LoadedTable) -> Message | None:
    """Why a table with a single column cannot train, naming a likelier separator when its lines hold one."""
    if table.frame.shape[1] != 1:
        return None
    column = str(table.frame.columns[0])
    if table.format == "delimited":
        sample = [column] + table.frame[column].head(50).dropna().astype(str).tolist()
        for separator, shown in SEPARATOR_NAMES.items():
            if separator != table.separator and all(separator in line for line in sample[:20]):
                return Message("data.one_column_separator", {"name": table.name, "column": column, "other": shown,
                                                             "used": SEPARATOR_NAMES.get(table.separator, "','")})
    return Message("data.one_column", {"name": table.name, "column": column})


def require_plain(frame: pd.DataFrame, column: str, role: Message) -> None:
    """A DataError when `column` holds lists or objects (nested JSON, Parquet arrays) instead of values."""
    kind = _nested_kind(frame[column])
    if kind is None:
        return
    row = next(i for i, value in enumerate(frame[column], start=1) if _is_nested(value))
    raise DataError("data.nested_column", column=column, kind=Message(f"data.kind_{kind}"), row=row, role=role)


def _nested_kind(series: pd.Series) -> str | None:
    if series.dtype != object:  # numbers and strings only
        return None
    kinds = set(map(type, series.to_numpy()))  # one C-level pass; most columns hold str, float and None
    if any(issubclass(kind, dict) for kind in kinds):
        return "objects"
    if any(issubclass(kind, (list, tuple, set, np.ndarray)) for kind in kinds):
        return "lists"
    return None


def _is_nested(value: Any) -> bool:
    return isinstance(value, (list, tuple, dict, set, np.ndarray))
