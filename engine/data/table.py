"""What reading a file produced: the table, how it was read, and every row it could not use.

A file is never reshaped silently: each kind of structural problem is one `Problem` (how many rows, the
first line numbers, whether they were left out), and each row left out is a `RejectedRow` the user can
download with its line number, reason and raw text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pandas as pd

from engine.messages import Message, register_messages

SHOWN_LINES = 5  # line numbers named in a problem's sentence; the download has them all
Progress = Callable[[float], None]  # told the share of the file read so far, 0..1

register_messages({  # counts come last ("...: 1", "...: 40"), so one sentence reads right for any number
    "data.problem.wrong_width": (
        "Rows with a different number of fields than the header ({width}), left out: {count} (lines {lines}).",
        "字段数与表头（{width} 列）不同的行，已排除：{count} 行（第 {lines} 行）。"),
    "data.problem.broken_quote": (
        "Lines opening a quote that is never closed properly, left out (reading went on with the next line): "
        "{count} (lines {lines}).",
        "引号没有正确闭合的行，已排除（从下一行继续读取）：{count} 行（第 {lines} 行）。"),
    "data.problem.bare_cr": (
        "Rows with a lone carriage return (CR) inside a field, kept whole with a line break in the text: {count} "
        "(lines {lines}).",
        "字段中含有单独回车符（CR）的行，已完整保留，回车作为文本内的换行：{count} 行（第 {lines} 行）。"),
    "data.problem.extra_fields": (
        "Rows ending with extra empty fields beyond the header's {width}, which were ignored: {count} "
        "(lines {lines}).",
        "末尾有超出表头 {width} 列的空字段的行，空字段已忽略：{count} 行（第 {lines} 行）。"),
    "data.problem.bad_json": (
        "Lines that are not valid JSON, left out: {count} (lines {lines}).",
        "不是有效 JSON 的行，已排除：{count} 行（第 {lines} 行）。"),
    "data.problem.not_a_record": (
        "Lines that are not records with named fields, left out: {count} (lines {lines}).",
        "不是带字段名的记录的行，已排除：{count} 行（第 {lines} 行）。"),
    "data.reject.wrong_width": ("field count {found}, the header has {width}", "字段数 {found}，表头有 {width} 列"),
    "data.reject.broken_quote": ("a quote opens here and is never closed properly", "此处的引号没有正确闭合"),
    "data.reject.bad_json": ("not valid JSON", "不是有效的 JSON"),
    "data.reject.not_a_record": ("not a record with named fields", "不是带字段名的记录"),
})


@dataclass(frozen=True)
class ReadOptions:
    """How to read a text file; empty means detect. The same values as DataConfig.encoding / .separator."""

    encoding: str = ""
    separator: str = ""

    @classmethod
    def of(cls, config: Any) -> "ReadOptions":
        """The read options of a DataConfig (or anything with `encoding` and `separator`)."""
        return cls(encoding=config.encoding, separator=config.separator)


@dataclass(frozen=True)
class Problem:
    """One kind of structural problem: how many rows, their first line numbers, and whether they were dropped."""

    kind: str
    count: int
    lines: tuple[int, ...]
    dropped: bool
    width: int = 0

    @property
    def message(self) -> Message:
        return Message(f"data.problem.{self.kind}", {"count": self.count, "width": self.width,
                                                     "lines": format_lines(self.lines, self.count)})


@dataclass(frozen=True)
class RejectedRow:
    line: int      # physical line where the row starts (1-based; Excel's row number for workbooks)
    reason: Message
    raw: str       # the text of the line(s), as read


@dataclass
class LoadedTable:
    """A file read into a DataFrame. `frame` may be shared by every session (it is cached): copy, never mutate."""

    frame: pd.DataFrame
    name: str                      # what the user calls the file: never a server path
    format: str                    # "delimited", "lines" (.txt, one text per line), "json", "jsonl", "excel", "parquet"
    encoding: str = ""             # the codec text was decoded with; "" for binary formats
    encoding_detected: bool = False
    separator: str = ""            # for delimited text
    separator_detected: bool = False
    rows_read: int = 0             # data rows found in the file, kept or rejected
    problems: list[Problem] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)  # how it was read: a renamed workbook, flattened JSON...


def format_lines(lines: tuple[int, ...] | list[int], count: int) -> str:
    shown = ", ".join(str(n) for n in lines[:SHOWN_LINES])
    return shown + (" …" if count > SHOWN_LINES else "")


class ProblemLog:
    """Collects problems by kind while a reader walks a file; `rejected` keeps every dropped row."""

    def __init__(self, width: int = 0):
        self.width = width
        self.counts: dict[str, int] = {}
        self.lines: dict[str, list[int]] = {}
        self.dropped: dict[str, bool] = {}
        self.rejected: list[RejectedRow] = []

    def note(self, kind: str, line: int, dropped: bool = False) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        first = self.lines.setdefault(kind, [])
        if len(first) < SHOWN_LINES:
            first.append(line)
        self.dropped[kind] = dropped

    def reject(self, kind: str, line: int, raw: str, **params: Any) -> None:
        self.note(kind, line, dropped=True)
        self.rejected.append(RejectedRow(line, Message(f"data.reject.{kind}", params), raw))

    def problems(self) -> list[Problem]:
        return [Problem(kind, count, tuple(self.lines[kind]), self.dropped[kind], self.width)
                for kind, count in self.counts.items()]


def rejected_frame(rows: list[RejectedRow], lang: str = "en") -> pd.DataFrame:
    """The rejected rows as a table to download: line, reason (in `lang`) and the raw text."""
    return pd.DataFrame({"line": [row.line for row in rows], "reason": [row.reason.text(lang) for row in rows],
                         "raw": [row.raw for row in rows]})
