"""Turn a loaded table into clean train / validation / test splits.

Cleaning and splitting are separate steps so the UI can show what cleaning removed before any split,
and so separate validation/test files are cleaned exactly like the training file.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from engine.config import DataConfig
from engine.data.columns import require_plain
from engine.data.kinds import NESTED_KINDS, TEXT_KINDS, DataPlan, empty, hashable, normalise
from engine.data.loading import display_name, read_table
from engine.data.table import ReadOptions
from engine.errors import DataError
from engine.messages import Message, register_messages

register_messages({
    "data.missing_column": ("The {where} has no column {names}. Available columns: {available}. Choose the right "
                            "column, or rename the column in your file.",
                            "{where}中没有列 {names}。现有的列：{available}。请选择正确的列，或在文件中重命名该列。"),
    "data.missing_columns": ("The {where} has no columns {names}. Available columns: {available}. Choose the right "
                             "columns, or rename the columns in your file.",
                             "{where}中没有列 {names}。现有的列：{available}。请选择正确的列，或在文件中重命名这些列。"),
    "data.where_data": ("data", "数据"),
    "data.where_training": ("training file '{name}'", "训练文件“{name}”"),
    "data.where_validation": ("validation file '{name}'", "验证文件“{name}”"),
    "data.where_test": ("test file '{name}'", "测试文件“{name}”"),
    "data.no_data_rows": ("The data has no rows. Choose a file that contains your examples.",
                          "数据中没有行。请选择包含样本的文件。"),
    "data.empty_refused": ("{count} rows have an empty value in {columns} (the first is data row {first}). "
                           "Training cannot use them: fill them in, or turn on dropping empty rows.",
                           "{count} 行在 {columns} 中有空值（第一个是第 {first} 行数据）。训练无法使用它们：请补全，"
                           "或打开“删除空行”。"),
    "data.nothing_left": ("No rows are left after cleaning: all {rows} rows have an empty value in {columns}. "
                          "Check that the right columns are chosen.",
                          "清洗后没有剩下任何行：全部 {rows} 行在 {columns} 中有空值。请检查是否选对了列。"),
    "data.bad_shares": ("The validation and test shares must be 0 or more and add up to less than 1 (got "
                        "{validation} and {test}).",
                        "验证集和测试集比例必须不小于 0，且两者之和小于 1（现在是 {validation} 和 {test}）。"),
    "data.too_few_rows": ("Only {rows} rows are left after cleaning, too few to make training, validation and test "
                          "splits with these shares; at least {needed} rows are needed. Add more data, or lower "
                          "the validation and test shares.",
                          "清洗后只剩 {rows} 行，按这些比例不够划分出训练、验证和测试集；至少需要 {needed} 行。"
                          "请添加更多数据，或调低验证集和测试集比例。"),
    "data.part_test": ("test", "测试"),
    "data.split_grouped": ("The {part} split holds whole groups of rows that share their '{column}': none of its "
                           "'{column}' values is seen in training.",
                           "{part}集由“{column}”相同的整组行构成：其中的“{column}”在训练中都没有出现过。"),
    "data.split_group_few": ("The {part} split is random, not by '{column}': only {groups} different values, too "
                             "few to hold some out whole. The same '{column}' may appear in training and {part}.",
                             "{part}集按随机划分，而不是按“{column}”：只有 {groups} 个不同的值，太少，无法整组留出。"
                             "同一个“{column}”可能同时出现在训练集和{part}集中。"),
    "data.part_validation": ("validation", "验证"),
    "data.split_random": ("The {part} split is random, not stratified, because {reason}; label shares may differ "
                          "between splits.",
                          "{part}集按随机划分而不是分层划分，因为{reason}；各划分中的标签比例可能不同。"),
    "data.reason_single_row": ("label '{label}' has only 1 row (each label needs at least 2)",
                               "标签“{label}”只有 1 行（每个标签至少需要 2 行）"),
    "data.reason_too_small": ("a part of {size} rows cannot hold all {labels} labels",
                              "{size} 行的部分容纳不下全部 {labels} 个标签"),
    "data.reason_sklearn": ("scikit-learn refused it ({kind})", "scikit-learn 拒绝了分层划分（{kind}）"),
    "data.overlap_texts": ("{count} inputs of the {part} file also appear in the training data; {part} scores on "
                           "them will look better than they really are.",
                           "{part}文件中有 {count} 条输入也出现在训练数据中；{part}分数在这些样本上会比实际更好看。"),
    "data.unseen_labels": ("The {part} file has labels that the training data lacks ({labels}); the model can "
                           "never predict them.",
                           "{part}文件中有训练数据里没有的标签（{labels}）；模型永远无法预测它们。"),
})


@dataclass
class CleanReport:
    rows_before: int
    dropped_empty: int
    dropped_duplicates: int
    rows_after: int
    unescaped_html: int = 0  # texts whose HTML entities were turned into characters


@dataclass
class Splits:
    train: pd.DataFrame
    validation: pd.DataFrame
    test: pd.DataFrame
    notes: list[Message] = field(default_factory=list)


@dataclass
class PreparedData:
    splits: Splits
    clean: CleanReport  # of the training file
    source: str
    source_rows: int
    validation_clean: CleanReport | None = None  # set when a separate validation file was given
    test_clean: CleanReport | None = None  # set when a separate test file was given
    rejected_rows: int = 0  # rows of the training file left out while reading (see its LoadedTable)

    def summary(self) -> dict[str, Any]:
        """Split sizes, every row dropped and why, and the split's notes, for the Data tab and the run log."""
        splits = self.splits
        return {"rows": {"train": len(splits.train), "validation": len(splits.validation),
                         "test": len(splits.test)},
                "rejected_rows": self.rejected_rows, "dropped_empty": self.clean.dropped_empty,
                "dropped_duplicates": self.clean.dropped_duplicates, "unescaped_html": self.clean.unescaped_html,
                "notes": list(splits.notes)}


def require_columns(df: pd.DataFrame, columns: list[str], where: Message | None = None) -> None:
    """Raise a DataError naming every missing column and listing the ones the table does have."""
    missing = [name for name in columns if name not in df.columns]
    if not missing:
        return
    available = ", ".join(f"'{name}'" for name in df.columns) or "(none)"
    names = ", ".join(f"'{name}'" for name in missing)
    code = "data.missing_column" if len(missing) == 1 else "data.missing_columns"
    raise DataError(code, where=where or Message("data.where_data"), names=names, available=available)


def require_usable(df: pd.DataFrame, plan: DataPlan, where: Message | None = None) -> None:
    """Every role's column exists (an optional role's may be absent), and columns of plain kinds hold plain
    values (not lists or nested objects)."""
    plan = plan.for_frame(df)
    require_columns(df, plan.columns, where)
    for role in plan.roles:
        if role.kind not in NESTED_KINDS:
            require_plain(df, role.column, role.description)


def normalised(df: pd.DataFrame, plan: DataPlan, unescape_html: bool = False) -> tuple[pd.DataFrame, int]:
    """The role columns as the task reads them, and how many texts had HTML entities unescaped."""
    out, unescaped = df.copy(), 0
    for role in plan.roles:
        out[role.column], changed = normalise(df[role.column], role.kind, unescape_html and role.kind in TEXT_KINDS)
        unescaped += changed
    return out, unescaped


def empty_rows(df: pd.DataFrame, plan: DataPlan) -> pd.Series:
    """True where any required role's (normalised) cell is unusable (an optional role may be blank)."""
    mask = pd.Series(False, index=df.index)
    for role in plan.roles:
        if not role.optional:
            mask |= empty(df[role.column], role.kind)
    return mask


def repeated_inputs(df: pd.DataFrame, plan: DataPlan) -> pd.Series:
    """True where the model's input (every input role together, or the plan's duplicate roles) appeared in an
    earlier row."""
    keyed = [role for role in plan.roles if role.role in plan.duplicate_roles] if plan.duplicate_roles else \
        [role for role in plan.roles if role.input]
    inputs = {role.column: hashable(df[role.column], role.kind) for role in keyed}
    return pd.DataFrame(inputs, index=df.index).duplicated(keep="first")


def clean_frame(df: pd.DataFrame, plan: DataPlan, drop_empty: bool = True, drop_duplicates: bool = True,
                unescape_html: bool = False) -> tuple[pd.DataFrame, CleanReport]:
    """Normalise the role columns (unescaping HTML entities when asked), drop rows with an empty role and rows
    whose input repeats an earlier one, and report the counts."""
    require_usable(df, plan)
    plan = plan.for_frame(df)
    if len(df) == 0:
        raise DataError("data.no_data_rows")
    out, unescaped = normalised(df, plan, unescape_html)
    unusable = empty_rows(out, plan)
    columns = ", ".join(f"'{column}'" for column in plan.columns)
    if drop_empty:
        out = out[~unusable]
    elif unusable.any():
        first = int(unusable.to_numpy().argmax()) + 1
        raise DataError("data.empty_refused", count=int(unusable.sum()), first=first, columns=columns)
    # Duplicates are counted after empties go, so a blank row is never reported twice.
    repeated = repeated_inputs(out, plan) if drop_duplicates else pd.Series(False, index=out.index)
    out = out[~repeated].reset_index(drop=True)
    if len(out) == 0:
        raise DataError("data.nothing_left", rows=len(df), columns=columns)
    for role in plan.of_kind(*TEXT_KINDS, "label"):  # a blank optional text (no system prompt) is "", not "None"
        out[role.column] = out[role.column].fillna("").astype(str)
    report = CleanReport(rows_before=len(df), dropped_empty=int(unusable.sum()) if drop_empty else 0,
                         dropped_duplicates=int(repeated.sum()), rows_after=len(out), unescaped_html=unescaped)
    return out, report


def _holdout_size(ratio: float, rows: int) -> int:
    # At least one row whenever a ratio is asked for, so a small dataset still gets every split.
    return max(1, round(ratio * rows)) if ratio > 0 else 0


def _rows_needed(validation_ratio: float, test_ratio: float) -> int:
    rows = 1
    while rows - _holdout_size(validation_ratio, rows) - _holdout_size(test_ratio, rows) < 1:
        rows += 1
    return rows


def _stratify_problem(labels: pd.Series, holdout: int) -> Message | None:
    """Why a stratified split of `holdout` rows is impossible (sklearn's own rules), or None."""
    counts = labels.value_counts()
    if counts.min() < 2:
        return Message("data.reason_single_row", {"label": counts.idxmin()})
    if holdout < len(counts) or len(labels) - holdout < len(counts):
        return Message("data.reason_too_small", {"size": min(holdout, len(labels) - holdout), "labels": len(counts)})
    return None


def _class_codes(labels: pd.Series) -> np.ndarray:
    """Labels as indices into their sorted values: the classes sklearn would derive from the strings themselves
    (so the split is the same), without sorting 400,000 strings to find them."""
    return pd.Categorical(labels, categories=sorted(labels.unique())).codes


def _split_off(df: pd.DataFrame, label_column: str | None, size: int, seed: int, stratify: bool,
               part: str, notes: list[Message]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split `size` rows off `df`; returns (rest, held_out). Keeps the label column's shares when asked and
    possible, else falls back to a random split with a note."""
    if size == 0:
        return df, df.iloc[0:0]
    stratify = stratify and label_column is not None
    problem = _stratify_problem(df[label_column], size) if stratify else None
    if stratify and problem is None:
        try:
            rest, held = train_test_split(df, test_size=size, random_state=seed, shuffle=True,
                                          stratify=_class_codes(df[label_column]))
            return rest, held
        except ValueError as exc:  # a rule we did not foresee; the random split below still works
            problem = Message("data.reason_sklearn", {"kind": exc.__class__.__name__})
    if stratify:
        notes.append(Message("data.split_random", {"part": Message(f"data.part_{part}"), "reason": problem}))
    rest, held = train_test_split(df, test_size=size, random_state=seed, shuffle=True)
    return rest, held


def _split_off_groups(df: pd.DataFrame, group: str, size: int, seed: int, part: str,
                      notes: list[Message]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split whole groups (rows with the same `group` value) off `df` until at least `size` rows are held out;
    returns (rest, held_out). With fewer than 3 groups nothing whole can be held out and kept: a random split,
    with a note."""
    if size == 0:
        return df, df.iloc[0:0]
    groups = df[group].map(str)
    keys = pd.unique(groups)
    if len(keys) < 3:
        notes.append(Message("data.split_group_few", {"part": Message(f"data.part_{part}"), "column": group,
                                                      "groups": len(keys)}))
        return tuple(train_test_split(df, test_size=size, random_state=seed, shuffle=True))  # type: ignore
    sizes = groups.value_counts()
    chosen, held = [], 0
    for key in np.random.default_rng(seed).permutation(keys):
        if held >= size or len(chosen) == len(keys) - 1:  # training keeps at least one group
            break
        chosen.append(key)
        held += int(sizes[key])
    inside = groups.isin(set(chosen))
    notes.append(Message("data.split_grouped", {"column": group, "part": Message(f"data.part_{part}")}))
    return df[~inside], df[inside]


def split_frame(df: pd.DataFrame, label_column: str | None, validation_ratio: float, test_ratio: float, seed: int,
                stratify: bool = True, group: str | None = None) -> Splits:
    """Hold out validation and test rows (sizes relative to all rows), keeping the label column's shares when
    there is one and it is possible, or whole groups of rows when `group` names a column."""
    if label_column is not None:
        require_columns(df, [label_column])
    if validation_ratio < 0 or test_ratio < 0 or validation_ratio + test_ratio >= 1:
        raise DataError("data.bad_shares", validation=validation_ratio, test=test_ratio)
    rows = len(df)
    n_validation = _holdout_size(validation_ratio, rows)
    n_test = _holdout_size(test_ratio, rows)
    if rows - n_validation - n_test < 1:
        raise DataError("data.too_few_rows", rows=rows, needed=_rows_needed(validation_ratio, test_ratio))
    notes: list[Message] = []
    if group is not None:
        rest, test = _split_off_groups(df, group, n_test, seed, "test", notes)
        train, validation = _split_off_groups(rest, group, n_validation, seed, "validation", notes)
    else:
        rest, test = _split_off(df, label_column, n_test, seed, stratify, "test", notes)
        train, validation = _split_off(rest, label_column, n_validation, seed, stratify, "validation", notes)
    return Splits(train=train.reset_index(drop=True), validation=validation.reset_index(drop=True),
                  test=test.reset_index(drop=True), notes=notes)


def _load_clean(source: str, cfg: DataConfig, plan: DataPlan, role: str,
                uploads_dir: str | Path | None) -> tuple[pd.DataFrame, CleanReport, int, int]:
    """A file cleaned as the Data tab showed it: (rows, cleaning report, rows read, rows rejected reading)."""
    table = read_table(source, ReadOptions.of(cfg), uploads_dir, plan=plan)
    require_usable(table.frame, plan, Message(f"data.where_{role}", {"name": display_name(source)}))
    cleaned, report = clean_frame(table.frame, plan, cfg.drop_empty, cfg.drop_duplicates, cfg.unescape_html)
    return cleaned, report, len(table.frame), len(table.rejected)


def _overlap_notes(splits: Splits, plan: DataPlan, given: list[str]) -> list[Message]:
    """Warn about inputs shared with the training data and labels the model never sees, for separate files."""
    notes: list[Message] = []
    for part in given:
        frame: pd.DataFrame = getattr(splits, part)
        inputs = [role for role in plan.for_frame(splits.train).for_frame(frame).roles if role.input]
        name = Message(f"data.part_{part}")
        seen = set(zip(*(hashable(splits.train[r.column], r.kind) for r in inputs)))
        shared = sum(1 for key in zip(*(hashable(frame[r.column], r.kind) for r in inputs)) if key in seen)
        if shared:
            notes.append(Message("data.overlap_texts", {"count": shared, "part": name}))
        if plan.stratify:
            unseen = sorted(set(frame[plan.stratify]) - set(splits.train[plan.stratify]))
            if unseen:
                notes.append(Message("data.unseen_labels", {"part": name, "labels": ", ".join(unseen)}))
    return notes


def load_splits(cfg: DataConfig, plan: DataPlan, uploads_dir: str | Path | None = None) -> PreparedData:
    """Load, check and clean every file of `cfg` (read with its encoding and separator) for a task's `plan`, then
    split off only what no separate file provides. `uploads_dir` is the run owner's uploads folder, where
    `upload:` refs live."""
    train, clean, source_rows, rejected = _load_clean(cfg.train_file, cfg, plan, "training", uploads_dir)
    given: dict[str, tuple[pd.DataFrame, CleanReport]] = {}
    if cfg.validation_file:
        given["validation"] = _load_clean(cfg.validation_file, cfg, plan, "validation", uploads_dir)[:2]
    if cfg.test_file:
        given["test"] = _load_clean(cfg.test_file, cfg, plan, "test", uploads_dir)[:2]
    splits = split_frame(train, plan.stratify,
                         0.0 if "validation" in given else cfg.validation_ratio,
                         0.0 if "test" in given else cfg.test_ratio, cfg.split_seed, cfg.stratify, plan.group)
    for part, (frame, _) in given.items():
        setattr(splits, part, frame.reset_index(drop=True))
    splits.notes += _overlap_notes(splits, plan, list(given))
    return PreparedData(splits=splits, clean=clean, source=cfg.train_file, source_rows=source_rows,
                        validation_clean=given["validation"][1] if "validation" in given else None,
                        test_clean=given["test"][1] if "test" in given else None, rejected_rows=rejected)
