"""LabelDesk: labeling projects as the front ends use them (the Label tab, the API, the CLI).

It checks who is asking on every call: a project's members work on it, its owner also trains it, edits its
label set and settings, and to anyone else it does not exist. It reads files through the studio (the Data tab's
readers, checks and per-owner uploads), shows people by name and never by id, and hands trainings to the
normal run path (engine.labeling.assist).
"""
from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from engine.config import RunConfig
from engine.data import ReadOptions, empty_mask, normalise_labels
from engine.data.columns import require_plain
from engine.data.prepare import normalise_texts
from engine.data.table import LoadedTable
from engine.errors import DataError, LabelError
from engine.labeling.agreement import PairAgreement, agreements
from engine.labeling.assist import LABEL, TEXT, ModelAssist, ModelState
from engine.labeling.items import Change, Item, ItemFilter, Progress
from engine.labeling.store import LabelStore, Project
from engine.messages import register_messages
from engine.runs.store import RunRecord

if TYPE_CHECKING:
    from engine.studio import Studio

DB_FILE = "labels.db"
EXPORTS_DIR = "label-exports"
EXPORT_FORMATS = ("csv", "jsonl")
HISTORY_SHOWN = 8
WATCH_EVERY_S = 3.0

register_messages({
    "labeling.no_column": ("The file has no column '{column}'; choose the column that holds the texts.",
                           "文件中没有列“{column}”；请选择存放文本的列。"),
    "labeling.need_labels": ("Give the project at least two labels, or import rows labeled with two.",
                             "请为项目设置至少两个标签，或导入带有两个标签的已标注行。"),
    "labeling.no_texts": ("There are no texts to label: every row's text is empty or already in the project.",
                          "没有可标注的文本：每一行的文本都为空或已在项目中。"),
    "labeling.unknown_format": ("Export as {known}, not '{format}'.", "导出格式只能是 {known}，不能是“{format}”。"),
    "labeling.nothing_labeled": ("Nothing is labeled yet, so there is nothing to export.",
                                 "还没有任何标注，没有可导出的内容。"),
    "labeling.no_suggestion": ("Row #{number} has no suggestion yet; train a model on the labels first.",
                               "第 {number} 行还没有建议标签；请先用已有标注训练模型。"),
})


@dataclass
class Rows:
    """Texts to add to a project, cleaned as the Data tab cleans them (stripped; empty and repeated texts left
    out and counted), with how their file was read."""

    texts: list[str]
    labels: list[str | None] | None
    empty: int = 0
    duplicates: int = 0
    table: LoadedTable | None = None


@dataclass(frozen=True)
class ChangeView:
    at: float
    who: str                        # names, never owner ids
    action: str
    label: str | None
    previous: str | None
    previous_labeler: str | None
    accepted: bool
    undone: bool

    @property
    def overwrote(self) -> bool:
        """Whether this change replaced someone else's label (last write wins, and says so)."""
        return self.previous is not None and self.previous_labeler not in (None, self.who) and \
            self.action in ("label", "accept", "bulk")


@dataclass
class ItemView:
    idx: int
    number: int                     # 1-based, as people count rows
    text: str
    label: str | None
    labeler: str | None
    accepted: bool
    note: str
    suggestion: str | None
    confidence: float | None
    blind: bool                     # a second opinion in the overlap share: the first label stays hidden
    history: list[ChangeView] = field(default_factory=list)


class LabelDesk:
    def __init__(self, studio: "Studio", path: str | Path | None = None):
        self.studio = studio
        self.store = LabelStore(path or Path(studio.root) / DB_FILE)
        self.assist = ModelAssist(studio, self.store, self._export_csv)

    # projects ------------------------------------------------------------------------------------------
    def read_rows(self, source: str, who: str, text_column: str, label_column: str = "",
                  read: ReadOptions = ReadOptions()) -> Rows:
        """The texts (and labels, if a label column is named) of a file, through the Data tab's readers."""
        table = self.studio.table(source, who, read)
        for column, role in ((text_column, "text"), (label_column, "label")):
            if column and column not in table.frame.columns:
                raise DataError("labeling.no_column", column=column)
            if column:
                require_plain(table.frame, column, role)
        labels = table.frame[label_column] if label_column else None
        rows = clean_rows(table.frame[text_column], labels)
        rows.table = table
        return rows

    def create(self, name: str, who: str, labels: list[str], rows: Rows, who_name: str = "") -> Project:
        found = {label for label in rows.labels or [] if label}
        if len(set(labels) | found) < 2:
            raise LabelError("labeling.need_labels")
        if not rows.texts:
            raise LabelError("labeling.no_texts")
        project = self.store.create(name, who, labels, who_name)
        self._add(project, rows, who)
        return self.store.get(project.id)

    def add_rows(self, project_id: str, who: str | None, rows: Rows) -> tuple[int, int]:
        """Add texts to a project (the owner only). A text it already holds is not added again, but takes the
        imported label if it has none yet. Returns (rows added, rows already there that took a label)."""
        project = self._owned(project_id, who)
        who = who or project.owner
        known = self.store.items.texts(project.id)
        new = [i for i, text in enumerate(rows.texts) if text not in known]
        labeled_old = [(rows.texts[i], rows.labels[i]) for i in range(len(rows.texts))
                       if rows.labels and rows.labels[i] and rows.texts[i] in known]
        rows.duplicates += len(rows.texts) - len(new)
        rows.texts = [rows.texts[i] for i in new]
        rows.labels = [rows.labels[i] for i in new] if rows.labels else None
        if not rows.texts and not labeled_old:
            raise LabelError("labeling.no_texts")
        if rows.texts:
            self._add(project, rows, who)
        if labeled_old:
            self.store.ensure_labels(project.id, [label for _, label in labeled_old])
            texts, labels = zip(*labeled_old)
            return len(rows.texts), self.store.items.label_texts(project.id, list(texts), list(labels), who)
        return len(rows.texts), 0

    def _add(self, project: Project, rows: Rows, who: str) -> None:
        self.store.ensure_labels(project.id, [label for label in rows.labels or [] if label])
        self.store.items.add(project.id, rows.texts, rows.labels, who, project.seed, project.overlap)

    def project(self, project_id: str, who: str | None) -> Project:
        return self.store.get(project_id, who)

    def projects(self, who: str | None) -> list[Project]:
        return self.store.list(who)

    def join(self, code: str, who: str, name: str = "") -> Project:
        return self.store.join(code, who, name)

    def configure(self, project_id: str, who: str, *, overlap: float | None = None,
                  retrain_every: int | None = None) -> Project:
        """The owner's settings: the overlap share for agreement (0 to 1) and auto-retraining (0: off)."""
        self._owned(project_id, who)
        values = {"overlap": None if overlap is None else min(max(float(overlap), 0.0), 1.0),
                  "retrain_every": None if retrain_every is None else max(int(retrain_every), 0)}
        self.store.update(project_id, **{k: v for k, v in values.items() if v is not None})
        return self.store.get(project_id)

    # the label set (the owner only) --------------------------------------------------------------------
    def add_label(self, project_id: str, who: str, name: str, color: str = "") -> None:
        self.store.add_label(self._owned(project_id, who).id, name, color)

    def rename_label(self, project_id: str, who: str, old: str, new: str) -> None:
        self.store.rename_label(self._owned(project_id, who).id, old, new)

    def recolor_label(self, project_id: str, who: str, name: str, color: str) -> None:
        self.store.recolor_label(self._owned(project_id, who).id, name, color)

    def merge_labels(self, project_id: str, who: str, source: str, target: str) -> int:
        return self.store.merge_labels(self._owned(project_id, who).id, source, target, who)

    def remove_label(self, project_id: str, who: str, name: str) -> int:
        return self.store.remove_label(self._owned(project_id, who).id, name, who)

    # labeling --------------------------------------------------------------------------------------------
    def next(self, project_id: str, who: str, order: str, exclude: int | None = None) -> ItemView | None:
        project = self.project(project_id, who)
        idx = self.store.items.next(project.id, who, order, exclude)
        return None if idx is None else self._view(project, self.store.items.get(project.id, idx, who), who)

    def item(self, project_id: str, idx: int, who: str) -> ItemView:
        project = self.project(project_id, who)
        return self._view(project, self.store.items.get(project.id, idx, who), who)

    def label(self, project_id: str, idx: int, label: str, who: str) -> None:
        project = self.project(project_id, who)
        self.store.items.label(project.id, idx, label, who)
        self._after_label(project)

    def accept(self, project_id: str, idx: int, who: str) -> str:
        """Take the model's suggestion for the row as its label (marked as accepted); returns the label."""
        project = self.project(project_id, who)
        suggestion = self.store.items.get(project.id, idx).suggestion
        if suggestion is None:
            raise LabelError("labeling.no_suggestion", number=int(idx) + 1)
        self.store.items.label(project.id, idx, suggestion, who, accepted=True)
        self._after_label(project)
        return suggestion

    def _after_label(self, project: Project) -> None:
        if project.retrain_every:
            self.assist.after_label(project, self.store.items.labeled_count(project.id))

    def skip(self, project_id: str, idx: int, who: str) -> None:
        self.store.items.skip(self.project(project_id, who).id, idx, who)

    def undo(self, project_id: str, who: str) -> list[int]:
        """Take back the person's latest labeling action; returns the rows put back as they were."""
        return self.store.items.undo(self.project(project_id, who).id, who)

    def note(self, project_id: str, idx: int, note: str, who: str) -> None:
        self.store.items.note(self.project(project_id, who).id, idx, note)

    def relabel(self, project_id: str, who: str, selection: ItemFilter | list[int], label: str) -> int:
        return self.store.items.relabel(self.project(project_id, who).id, selection, label, who)

    def page(self, project_id: str, who: str, selection: ItemFilter, offset: int,
             limit: int) -> tuple[list[ItemView], int]:
        project = self.project(project_id, who)
        items, total = self.store.items.page(project.id, selection, offset, limit)
        return [self._view(project, item, who, with_history=False) for item in items], total

    def progress(self, project_id: str, who: str) -> Progress:
        project = self.project(project_id, who)
        return self.store.items.progress(project.id, who, project.suggest_run)

    def agreement(self, project_id: str, who: str) -> tuple[list[PairAgreement], dict[str, int]]:
        """Cohen's kappa for each pair of people with rows in common, and each person's number of labels, by name."""
        project = self.project(project_id, who)
        annotations = self.store.items.annotations(project.id)
        pairs = agreements(annotations)
        # Ordered by the names people see: ordered by owner id (a random session or browser id on a shared app),
        # the same two people would come out either way round, and the pairs in no order anyone can follow.
        for pair in pairs:
            pair.first, pair.second = sorted((project.name_of(pair.first), project.name_of(pair.second)))
        pairs.sort(key=lambda pair: (pair.first, pair.second))
        counts = annotations["who"].value_counts()
        return pairs, {project.name_of(person): int(n) for person, n in counts.items()}

    def _view(self, project: Project, item: Item, who: str, with_history: bool = True) -> ItemView:
        blind = item.double and item.mine is None and item.label is not None and item.labeler != who
        changes = self.store.items.history(project.id, item.idx)[-HISTORY_SHOWN:] if with_history and not blind \
            else []
        return ItemView(item.idx, item.idx + 1, item.text, None if blind else item.label,
                        None if blind or item.labeler is None else project.name_of(item.labeler),
                        item.accepted and not blind, item.note, item.suggestion, item.confidence, blind,
                        [self._change(project, change) for change in changes])

    @staticmethod
    def _change(project: Project, change: Change) -> ChangeView:
        previous = project.name_of(change.previous_labeler) if change.previous_labeler else None
        return ChangeView(change.at, project.name_of(change.who), change.action, change.label, change.previous,
                          previous, change.accepted, change.undone)

    # the model -------------------------------------------------------------------------------------------
    def train(self, project_id: str, who: str, base: RunConfig | None = None) -> RunRecord:
        return self.assist.train(self._owned(project_id, who), base)

    def model_state(self, project_id: str, who: str) -> ModelState:
        project = self.project(project_id, who)
        self.assist.refresh(project)
        return self.assist.state(self.store.get(project.id))

    def suggest(self, project_id: str, who: str | None, run_id: str = "") -> int:
        """Compute the suggestions of `run_id` (default: the project's latest run) in this thread."""
        project = self.project(project_id, who)
        return self.assist.suggest(project, run_id or project.run_id)

    def watch(self, every_s: float = WATCH_EVERY_S) -> threading.Event:
        """Start suggestions in the background whenever a project's run finishes, with or without an open page.
        Set the returned event to stop."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every_s):
                for project in self.store.list():
                    try:
                        self.assist.refresh(project)
                    except Exception:  # noqa: BLE001 - one project's trouble (a locked db) must not end the loop
                        continue

        threading.Thread(target=loop, name="tunebench-label-watch", daemon=True).start()
        return stop

    # export ----------------------------------------------------------------------------------------------
    def export_frame(self, project_id: str, who: str | None) -> pd.DataFrame:
        """The labeled rows with who labeled each, when (UTC), whether it was an accepted suggestion, and notes."""
        project = self.project(project_id, who)
        rows = self.store.items.labeled(project.id)
        if rows.empty:
            raise LabelError("labeling.nothing_labeled")
        when = pd.to_datetime(rows["labeled_at"], unit="s", utc=True).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        return pd.DataFrame({TEXT: rows["text"], LABEL: rows["label"],
                             "labeler": [project.name_of(person) for person in rows["labeler"]],
                             "labeled_at": when, "accepted_suggestion": rows["accepted"].astype(bool),
                             "note": rows["note"]})

    def export(self, project_id: str, who: str | None, fmt: str = "csv") -> Path:
        if fmt not in EXPORT_FORMATS:
            raise LabelError("labeling.unknown_format", format=fmt, known=", ".join(EXPORT_FORMATS))
        project, frame = self.project(project_id, who), self.export_frame(project_id, who)
        if fmt == "csv":
            text = frame.to_csv(index=False)
        else:
            text = frame.to_json(orient="records", lines=True, force_ascii=False)
        # Named by who asked and the content: the same export is one file, and two people never share one.
        folder = hashlib.sha256(f"{who}\n{text}".encode("utf-8")).hexdigest()[:16]
        path = Path(self.studio.root) / EXPORTS_DIR / folder / f"{_slug(project.name)}-labels.{fmt}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")  # Excel reads the BOM
        return path

    def to_data_tab(self, project_id: str, who: str) -> str:
        """The labeled rows kept as one of the asking person's uploads: an `upload:` reference for the Data tab."""
        return self.studio.keep_upload(str(self.export(project_id, who)), who)

    def _export_csv(self, project: Project) -> Path:
        return self.export(project.id, project.owner)

    def _owned(self, project_id: str, who: str | None) -> Project:
        project = self.project(project_id, who)
        if who is not None and project.owner != who:
            raise LabelError("labeling.owner_only")
        return project


def clean_rows(texts: pd.Series, labels: pd.Series | None = None) -> Rows:
    """Stripped texts without empties and repeats (the first of a repeated text is kept, with its label)."""
    texts = normalise_texts(texts)
    labels = normalise_labels(labels) if labels is not None else None
    empty = empty_mask(texts)
    kept = texts[~empty]
    repeated = kept.duplicated(keep="first")
    kept = kept[~repeated]
    kept_labels = labels[kept.index] if labels is not None else None
    return Rows([str(t) for t in kept], None if kept_labels is None else
                [None if pd.isna(label) or label == "" else str(label) for label in kept_labels],
                empty=int(empty.sum()), duplicates=int(repeated.sum()))


def rows_of(texts: list[str], labels: list[str | None] | None = None) -> Rows:
    """Rows from plain lists (the API's and tests' way in), cleaned like a file's."""
    return clean_rows(pd.Series(texts, dtype=object), None if labels is None else pd.Series(labels, dtype=object))


def _slug(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name, flags=re.UNICODE).strip("-")[:60] or "project"

