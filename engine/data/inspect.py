"""Look at a table before training: how it was read, size, empties, duplicates, label balance, text lengths, warnings.

Counts use the same rules as cleaning (engine.data.prepare), so what the report says will be dropped
is exactly what cleaning drops; rows rejected while reading are counted beside them, with their reasons.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from engine.data.columns import guess_columns, one_column_problem
from engine.data.entities import entity_texts
from engine.data.prepare import empty_mask, normalise_labels, normalise_texts, require_usable
from engine.data.table import LoadedTable, Problem
from engine.errors import DataError
from engine.messages import Message, register_messages

MIN_ROWS_PER_LABEL = 5
MAX_IMBALANCE = 10.0
MANY_SHARE = 0.05  # above this share of rows, empties or duplicates are worth a warning
STANDARD_LENGTHS = (32, 64, 128, 256, 384, 512, 1024, 2048, 4096, 8192)
MAX_SANE_LENGTH = 1_000_000  # tokenizers without a limit report a huge sentinel

register_messages({
    "data.no_usable_rows": ("No row has both a text and a label. Check that the text and label columns are the "
                            "right ones.", "没有任何一行同时有文本和标签。请检查文本列和标签列是否选对。"),
    "data.single_label": ("Every row has the same label ('{label}'); a classifier needs at least two labels. Check "
                          "the label column, or add examples of other labels.",
                          "所有行的标签都相同（“{label}”）；分类器至少需要两个标签。请检查标签列，或添加其他标签的样本。"),
    "data.many_labels": ("There are {labels} different labels for {rows} rows; most labels occur only once. Is the "
                         "label column the right one?",
                         "{rows} 行数据中有 {labels} 种不同的标签，大多数标签只出现一次。标签列选对了吗？"),
    "data.rare_labels": ("{count} labels have fewer than {minimum} rows ({shown}); the model can hardly learn them. "
                         "Add examples, or merge rare labels into others.",
                         "{count} 个标签的行数少于 {minimum}（{shown}）；模型很难学会它们。请添加样本，或把少见的标签"
                         "合并到其他标签。"),
    "data.unbalanced": ("The labels are very unbalanced: '{top}' has {most} rows but '{bottom}' only {least} (more "
                        "than {ratio} to 1). Add examples of the rare labels, or judge the model by macro F1 rather "
                        "than accuracy.",
                        "标签非常不均衡：“{top}”有 {most} 行，而“{bottom}”只有 {least} 行（超过 {ratio} 比 1）。"
                        "请添加少见标签的样本，或用宏平均 F1 而不是准确率来评判模型。"),
    "data.many_empty": ("{count} of {rows} rows ({share}) have an empty text or label; they will be dropped. Check "
                        "that the right columns are chosen.",
                        "{rows} 行中有 {count} 行（{share}）的文本或标签为空，将被删除。请检查是否选对了列。"),
    "data.many_duplicates": ("{count} of {rows} rows ({share}) repeat a text that appears earlier; duplicates are "
                             "dropped so they cannot leak into the test split.",
                             "{rows} 行中有 {count} 行（{share}）重复了前面出现过的文本；重复行会被删除，以免泄漏到测试集。"),
    "data.long_texts": ("About {share} of texts are longer than {max_length} tokens (the longest {longest}) and will "
                        "be cut; raise max length to {suggest}, or accept it.",
                        "约 {share} 的文本超过 {max_length} 个词元（最长 {longest}），超出部分会被截断；"
                        "可把最大长度调到 {suggest}，或接受截断。"),
    "data.long_texts_capped": ("About {share} of texts are longer than {max_length} tokens (the longest {longest}) "
                               "and will be cut; this model reads at most {limit} tokens, so the rest of those "
                               "texts cannot be used.",
                               "约 {share} 的文本超过 {max_length} 个词元（最长 {longest}），超出部分会被截断；"
                               "这个模型最多读取 {limit} 个词元，所以这些文本的其余部分无法使用。"),
    "data.html_entities": ("{count} texts ({share}) contain HTML entities such as {examples}; turn on 'Unescape "
                           "HTML entities' under Split and cleaning to turn them into the characters they stand for.",
                           "{count} 条文本（{share}）含有 HTML 实体，例如 {examples}；可在“划分与清洗”中打开"
                           "“还原 HTML 实体”，把它们变成所代表的字符。"),
    "data.html_unescaped": ("{count} texts contain HTML entities such as {examples}; cleaning turns them into the "
                            "characters they stand for.",
                            "{count} 条文本含有 HTML 实体，例如 {examples}；清洗时会把它们还原为所代表的字符。"),
})


@dataclass
class DataReport:
    rows: int
    columns: list[str]
    text_column: str
    label_column: str
    empty_text: int
    empty_label: int
    empty_rows: int  # rows with an empty text, label or both: what cleaning drops as empty
    duplicate_texts: int  # rows (with text and label) whose text appeared earlier, as cleaning counts them
    label_counts: dict[str, int]  # most common first
    lengths: list[int]  # per sampled usable text, in `length_unit`
    length_unit: str  # "tokens" or "characters"
    length_stats: dict[str, float] = field(default_factory=dict)  # mean, p50, p95, max
    warnings: list[Message] = field(default_factory=list)
    long_texts: int = 0  # sampled texts longer than max_length tokens
    max_length: int = 0
    html_texts: int = 0  # texts holding an HTML entity (before any unescaping)
    # How the file was read (inspect_table; empty for a bare DataFrame):
    name: str = ""
    format: str = ""
    encoding: str = ""
    encoding_detected: bool = False
    separator: str = ""
    separator_detected: bool = False
    rows_read: int = 0
    rejected_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[Message] = field(default_factory=list)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """Everything but the per-text lengths, with sentences rendered in `lang`: for the CLI and the API."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "lengths":
                continue
            if f.name == "problems":
                value = [{"kind": p.kind, "count": p.count, "lines": list(p.lines), "dropped": p.dropped,
                          "message": p.message.text(lang)} for p in value]
            elif isinstance(value, list) and value and isinstance(value[0], Message):
                value = [message.text(lang) for message in value]
            out[f.name] = value
        return out


def inspect_table(table: LoadedTable, text_column: str = "", label_column: str = "", tokenizer: Any = None,
                  max_length: int = 0, unescape_html: bool = False) -> DataReport:
    """inspect_frame of a read file, with how it was read: encoding, separator, problems, rejected rows, notes.
    Columns default to the guesses; a one-column table is refused with the reason."""
    problem = one_column_problem(table)
    if problem is not None:
        raise DataError(problem.code, **problem.params)
    guessed_text, guessed_label = guess_columns(table.frame)
    report = inspect_frame(table.frame, text_column or guessed_text, label_column or guessed_label, tokenizer,
                           max_length=max_length, unescape_html=unescape_html)
    report.name, report.format, report.rows_read = table.name, table.format, table.rows_read
    report.encoding, report.encoding_detected = table.encoding, table.encoding_detected
    report.separator, report.separator_detected = table.separator, table.separator_detected
    report.rejected_rows, report.problems, report.notes = len(table.rejected), list(table.problems), list(table.notes)
    return report


def inspect_frame(df: pd.DataFrame, text_column: str, label_column: str, tokenizer: Any = None,
                  sample_size: int = 2000, seed: int = 0, max_length: int = 0,
                  unescape_html: bool = False) -> DataReport:
    """Describe `df` for the data tab. Lengths come from a sample of at most `sample_size` texts; texts longer
    than `max_length` tokens are counted when a tokenizer is given."""
    require_usable(df, text_column, label_column)
    raw_texts = normalise_texts(df[text_column])
    texts = normalise_texts(raw_texts, unescape_html) if unescape_html else raw_texts
    labels = normalise_labels(df[label_column])
    text_empty = empty_mask(texts)
    label_empty = empty_mask(labels)
    usable = ~(text_empty | label_empty)
    kept_texts = texts[usable]  # what cleaning keeps before it drops duplicates
    counts = labels[usable].value_counts()
    label_counts = {str(k): int(v) for k, v in sorted(counts.items(), key=lambda item: (-item[1], str(item[0])))}
    lengths, unit = _text_lengths(kept_texts, tokenizer, sample_size, seed)
    report = DataReport(rows=len(df), columns=[str(c) for c in df.columns], text_column=text_column,
                        label_column=label_column, empty_text=int(text_empty.sum()),
                        empty_label=int(label_empty.sum()), empty_rows=int((~usable).sum()),
                        duplicate_texts=int(kept_texts.duplicated().sum()),
                        label_counts=label_counts, lengths=lengths, length_unit=unit,
                        length_stats=_length_stats(lengths), max_length=max_length)
    report.warnings = _warnings(report)
    if unit == "tokens" and max_length > 0:
        report.warnings += _length_warning(report, lengths, max_length, tokenizer)
    report.warnings += _html_warning(report, raw_texts[usable], unescape_html)
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


def _percent(share: float) -> str:
    return "<1%" if 0 < share < 0.01 else f"{share:.0%}"


def _length_warning(report: DataReport, lengths: list[int], max_length: int, tokenizer: Any) -> list[Message]:
    """How many texts the model will cut at `max_length`, and the smallest usual length that would fit them."""
    report.long_texts = sum(1 for n in lengths if n > max_length)
    if not report.long_texts:
        return []
    longest = max(lengths)
    limit = getattr(tokenizer, "model_max_length", 0)
    limit = limit if isinstance(limit, int) and 0 < limit < MAX_SANE_LENGTH else 0
    suggest = next((n for n in STANDARD_LENGTHS if n >= longest), longest)
    suggest = min(suggest, limit) if limit else suggest
    params = {"share": _percent(report.long_texts / len(lengths)), "max_length": max_length, "longest": longest}
    if suggest <= max_length:
        return [Message("data.long_texts_capped", {**params, "limit": limit or max_length})]
    return [Message("data.long_texts", {**params, "suggest": suggest})]


def _html_warning(report: DataReport, texts: pd.Series, unescape_html: bool) -> list[Message]:
    count, examples = entity_texts(texts)
    report.html_texts = count
    if not count:
        return []
    shown = " ".join(examples)
    if unescape_html:
        return [Message("data.html_unescaped", {"count": count, "examples": shown})]
    return [Message("data.html_entities", {"count": count, "share": _percent(count / max(len(texts), 1)),
                                           "examples": shown})]


def _warnings(report: DataReport) -> list[Message]:
    found = _label_warnings(report.label_counts, report.rows)
    rows = report.rows
    if rows and report.empty_rows / rows > MANY_SHARE:
        found.append(Message("data.many_empty", {"count": report.empty_rows, "rows": rows,
                                                 "share": _percent(report.empty_rows / rows)}))
    if rows and report.duplicate_texts / rows > MANY_SHARE:
        found.append(Message("data.many_duplicates", {"count": report.duplicate_texts, "rows": rows,
                                                      "share": _percent(report.duplicate_texts / rows)}))
    return found


def _label_warnings(counts: dict[str, int], rows: int) -> list[Message]:
    if not counts:
        return [Message("data.no_usable_rows")]
    if len(counts) == 1:
        return [Message("data.single_label", {"label": next(iter(counts))})]
    found = []
    if rows >= 20 and len(counts) > rows / 2:
        found.append(Message("data.many_labels", {"labels": len(counts), "rows": rows}))
    rare = [label for label, count in counts.items() if count < MIN_ROWS_PER_LABEL]
    if rare:
        shown = ", ".join(f"'{label}'" for label in rare[:10]) + (" ..." if len(rare) > 10 else "")
        found.append(Message("data.rare_labels", {"count": len(rare), "minimum": MIN_ROWS_PER_LABEL, "shown": shown}))
    (top, most), (bottom, least) = next(iter(counts.items())), list(counts.items())[-1]
    if most / least > MAX_IMBALANCE:
        found.append(Message("data.unbalanced", {"top": top, "most": most, "bottom": bottom, "least": least,
                                                 "ratio": f"{MAX_IMBALANCE:.0f}"}))
    return found
