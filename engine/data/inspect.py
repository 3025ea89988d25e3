"""Look at a table before training: how it was read, size, empties, duplicates, and one summary per role of the
task (label balance, number ranges, text lengths in the model's tokens, entity counts), with warnings.

Counts use the same rules as cleaning (engine.data.prepare), so what the report says will be dropped
is exactly what cleaning drops; rows rejected while reading are counted beside them, with their reasons.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from engine.data.columns import guess_roles, one_column_problem
from engine.data.entities import entity_texts
from engine.data.kinds import TEXT_KINDS, DataPlan, RoleColumn, empty, normalise_texts
from engine.data.prepare import empty_rows, normalised, repeated_inputs, require_usable
from engine.data.table import LoadedTable, Problem
from engine.errors import DataError
from engine.messages import Message, register_messages

MIN_ROWS_PER_LABEL = 5
MAX_IMBALANCE = 10.0
MANY_SHARE = 0.05  # above this share of rows, empties or duplicates are worth a warning
STANDARD_LENGTHS = (32, 64, 128, 256, 384, 512, 1024, 2048, 4096, 8192)
MAX_SANE_LENGTH = 1_000_000  # tokenizers without a limit report a huge sentinel

register_messages({
    "data.no_usable_rows": ("No row has a value in every chosen column. Check that the right columns are chosen.",
                            "没有任何一行在所有选中的列中都有值。请检查是否选对了列。"),
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
    "data.many_empty": ("{count} of {rows} rows ({share}) have an empty value in a chosen column; they will be "
                        "dropped. Check that the right columns are chosen.",
                        "{rows} 行中有 {count} 行（{share}）在选中的列中有空值，将被删除。请检查是否选对了列。"),
    "data.many_duplicates": ("{count} of {rows} rows ({share}) repeat an input that appears earlier; duplicates are "
                             "dropped so they cannot leak into the test split.",
                             "{rows} 行中有 {count} 行（{share}）重复了前面出现过的输入；重复行会被删除，以免泄漏到测试集。"),
    "data.not_numbers": ("{count} values of column '{column}' are not numbers (such as {examples}); those rows will "
                         "be dropped.",
                         "列“{column}”中有 {count} 个值不是数字（例如 {examples}）；这些行会被删除。"),
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
class RoleSummary:
    """One role's column as the task will read it."""

    role: str
    column: str
    kind: str
    description: Message
    empty: int                       # rows where this column is unusable
    counts: dict[str, int] = field(default_factory=dict)   # labels: rows per label; tags: entities per type
    values: list[float] = field(default_factory=list)      # numbers: sampled values; texts: lengths; tokens: per row
    unit: str = ""                   # of `values`: tokens, characters, items or "" (the numbers themselves)
    stats: dict[str, float] = field(default_factory=dict)  # of `values`: min, mean, p50, p95, max


@dataclass
class DataReport:
    rows: int
    columns: list[str]
    roles: list[RoleSummary]
    empty_rows: int        # rows with an unusable role column: what cleaning drops as empty
    duplicate_rows: int    # usable rows whose input appeared earlier, as cleaning counts them
    warnings: list[Message] = field(default_factory=list)
    long_texts: int = 0    # sampled texts longer than max_length tokens
    max_length: int = 0
    html_texts: int = 0    # texts holding an HTML entity (before any unescaping)
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

    def role(self, kind_or_role: str) -> RoleSummary | None:
        """The first summary of a role with this name, else of this kind."""
        return next((r for r in self.roles if r.role == kind_or_role), None) or \
            next((r for r in self.roles if r.kind == kind_or_role), None)

    @property
    def target(self) -> RoleSummary | None:
        """What the model learns to predict (the label, the number, the tags)."""
        return next((r for r in self.roles if r.kind in ("label", "number", "tags")), None)

    @property
    def text_input(self) -> RoleSummary | None:
        """The first input the model reads as text or tokens, whose lengths matter."""
        return next((r for r in self.roles if r.kind in (*TEXT_KINDS, "tokens")), None)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """Everything but the per-row values, with sentences rendered in `lang`: for the CLI and the API."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "roles":
                value = [{"role": r.role, "column": r.column, "kind": r.kind, "empty": r.empty, "counts": r.counts,
                          "unit": r.unit, "stats": r.stats} for r in value]
            elif f.name == "problems":
                value = [{"kind": p.kind, "count": p.count, "lines": list(p.lines), "dropped": p.dropped,
                          "message": p.message.text(lang)} for p in value]
            elif isinstance(value, list) and value and isinstance(value[0], Message):
                value = [message.text(lang) for message in value]
            out[f.name] = value
        return out


def inspect_table(table: LoadedTable, plan: DataPlan, tokenizer: Any = None, max_length: int = 0,
                  unescape_html: bool = False) -> DataReport:
    """inspect_frame of a read file, with how it was read: encoding, separator, problems, rejected rows, notes.
    A one-column table is refused with the reason when the task needs more columns."""
    problem = one_column_problem(table) if len(plan.required) > 1 else None
    if problem is not None:
        raise DataError(problem.code, **problem.params)
    report = inspect_frame(table.frame, plan, tokenizer, max_length=max_length, unescape_html=unescape_html)
    report.name, report.format, report.rows_read = table.name, table.format, table.rows_read
    report.encoding, report.encoding_detected = table.encoding, table.encoding_detected
    report.separator, report.separator_detected = table.separator, table.separator_detected
    report.rejected_rows, report.problems, report.notes = len(table.rejected), list(table.problems), list(table.notes)
    return report


def guessed_plan(frame: pd.DataFrame, plan: DataPlan) -> DataPlan:
    """`plan` with every role whose column the table lacks mapped to the best guess instead (the Data tab shows
    a file before anyone has chosen its columns)."""
    guesses = guess_roles(frame, plan.roles)
    roles = tuple(role if role.column in frame.columns else replace(role, column=guesses.get(role.role, ""))
                  for role in plan.roles)
    stratify = next((r.column for r in roles if r.kind == "label"), None) if plan.stratify else None
    return replace(plan, roles=roles, stratify=stratify)


def inspect_frame(df: pd.DataFrame, plan: DataPlan, tokenizer: Any = None, sample_size: int = 2000, seed: int = 0,
                  max_length: int = 0, unescape_html: bool = False) -> DataReport:
    """Describe `df` for the data tab. Lengths come from a sample of at most `sample_size` rows; texts longer
    than `max_length` tokens are counted when a tokenizer is given."""
    require_usable(df, plan)
    plan = plan.for_frame(df)
    clean, _ = normalised(df, plan, unescape_html)
    unusable = empty_rows(clean, plan)
    usable = clean[~unusable]
    report = DataReport(rows=len(df), columns=[str(c) for c in df.columns],
                        roles=[_summary(role, clean, usable, tokenizer, sample_size, seed) for role in plan.roles],
                        empty_rows=int(unusable.sum()), duplicate_rows=int(repeated_inputs(usable, plan).sum()),
                        max_length=max_length)
    report.warnings = _warnings(report, df, clean, plan)
    text = report.text_input
    if text is not None and text.unit == "tokens" and max_length > 0:
        report.warnings += _length_warning(report, text.values, max_length, tokenizer)
    raw_texts = [normalise_texts(df[r.column])[~unusable] for r in plan.of_kind(*TEXT_KINDS) if r.input]
    if raw_texts:
        report.warnings += _html_warning(report, pd.concat(raw_texts), unescape_html)
    return report


def _summary(role: RoleColumn, clean: pd.DataFrame, usable: pd.DataFrame, tokenizer: Any, sample_size: int,
             seed: int) -> RoleSummary:
    summary = RoleSummary(role.role, role.column, role.kind, role.description,
                          empty=int(empty(clean[role.column], role.kind).sum()))
    values = usable[role.column]
    if role.kind == "label":
        counts = values.value_counts()
        summary.counts = {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))}
    elif role.kind == "tags":
        summary.counts = _entity_counts(values)
        summary.values, summary.unit = _sample(values, sample_size, seed).map(len).tolist(), "items"
    elif role.kind == "number":
        summary.values = _sample(values, sample_size, seed).astype(float).tolist()
    elif role.kind == "tokens":
        summary.values, summary.unit = _token_counts(values, tokenizer, sample_size, seed)
    elif role.kind in TEXT_KINDS:
        summary.values, summary.unit = _text_lengths(values, tokenizer, sample_size, seed)
    summary.stats = _stats(summary.values)
    return summary


def _sample(values: pd.Series, sample_size: int, seed: int) -> pd.Series:
    # Tokenizing millions of rows would stall the UI; a seeded sample gives the same picture every time.
    return values.sample(n=sample_size, random_state=seed) if len(values) > sample_size else values


def _text_lengths(texts: pd.Series, tokenizer: Any, sample_size: int, seed: int) -> tuple[list[float], str]:
    values = [str(t) for t in _sample(texts, sample_size, seed)]
    if tokenizer is None:
        return [float(len(t)) for t in values], "characters"
    if not values:
        return [], "tokens"
    ids = tokenizer(values, add_special_tokens=True)["input_ids"]
    return [float(len(row)) for row in ids], "tokens"


def _token_counts(tokens: pd.Series, tokenizer: Any, sample_size: int, seed: int) -> tuple[list[float], str]:
    """Pre-split words: their number per row, or the model's sub-word tokens when a tokenizer is given."""
    rows = [list(row) for row in _sample(tokens, sample_size, seed)]
    if tokenizer is None or not rows:
        return [float(len(row)) for row in rows], "items"
    ids = tokenizer(rows, is_split_into_words=True, add_special_tokens=True)["input_ids"]
    return [float(len(row)) for row in ids], "tokens"


def _entity_counts(tags: pd.Series) -> dict[str, int]:
    """Entities per type: a tag that opens an entity (B-, S-, U-, or an I- after another type or O, as IOB1
    writes a first word) counts once."""
    counts: dict[str, int] = {}
    for row in tags:
        previous = "O"
        for tag in row:
            prefix, _, kind = str(tag).partition("-")
            opens = prefix in ("B", "S", "U") or (prefix == "I" and previous.partition("-")[2] != kind)
            if kind and opens:
                counts[kind] = counts.get(kind, 0) + 1
            previous = str(tag)
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    array = np.asarray(values, dtype=float)
    return {"min": float(array.min()), "mean": round(float(array.mean()), 2), "p50": float(np.percentile(array, 50)),
            "p95": float(np.percentile(array, 95)), "max": float(array.max())}


def _percent(share: float) -> str:
    return "<1%" if 0 < share < 0.01 else f"{share:.0%}"


def _length_warning(report: DataReport, lengths: list[float], max_length: int, tokenizer: Any) -> list[Message]:
    """How many texts the model will cut at `max_length`, and the smallest usual length that would fit them."""
    report.long_texts = sum(1 for n in lengths if n > max_length)
    if not report.long_texts:
        return []
    longest = int(max(lengths))
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


def _warnings(report: DataReport, raw: pd.DataFrame, clean: pd.DataFrame, plan: DataPlan) -> list[Message]:
    rows = report.rows
    labels = report.role("label")
    found = _label_warnings(labels.counts, rows) if labels and labels.kind == "label" else []
    if not found and rows and report.empty_rows == rows:
        found.append(Message("data.no_usable_rows"))
    for role in plan.of_kind("number"):
        found += _number_warning(raw[role.column], clean[role.column], role.column)
    if rows and report.empty_rows / rows > MANY_SHARE and report.empty_rows < rows:
        found.append(Message("data.many_empty", {"count": report.empty_rows, "rows": rows,
                                                 "share": _percent(report.empty_rows / rows)}))
    if rows and report.duplicate_rows / rows > MANY_SHARE:
        found.append(Message("data.many_duplicates", {"count": report.duplicate_rows, "rows": rows,
                                                      "share": _percent(report.duplicate_rows / rows)}))
    return found


def _number_warning(raw: pd.Series, numbers: pd.Series, column: str) -> list[Message]:
    """Cells that hold something, but not a number ("n/a", "4 stars")."""
    given = ~raw.isna() & raw.astype(str).str.strip().ne("")
    bad = raw[given & numbers.isna()]
    if bad.empty:
        return []
    examples = ", ".join(f"'{value}'" for value in bad.astype(str).unique()[:3])
    return [Message("data.not_numbers", {"count": len(bad), "column": column, "examples": examples})]


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
