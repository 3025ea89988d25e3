"""The rows of labeling projects: labels, notes, skips, the queue, bulk edits, progress and each row's history.

Every change of a row's label is one transaction that writes the row, the person's own label (for agreement)
and a history entry holding what it replaced. The last write wins, and the history shows whom it overwrote.
Undo takes back a person's latest batch of changes, row by row, unless someone has changed the row since.
"""
from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from engine.errors import LabelError
from engine.labeling.db import Database
from engine.labeling.sampling import get_order, shuffle_keys
from engine.messages import register_messages

LEASE_S = 300              # an item shown to someone stays out of the others' queues this long
RATE_WINDOW_S = 3600       # the labeling rate is measured over the last hour...
MIN_RATE_SPAN_S = 60       # ...and over at least a minute, so three quick labels do not read as 10,000 an hour
UNDOABLE = ("label", "accept", "bulk")
COUNTED = ("label", "accept")   # the rate per hour counts labels given one by one, not bulk edits
OVERLAP_PRIME = 1_000_003  # the overlap share is picked by a hash of each row's random key, whatever its import
OVERLAP_MIX = 2_654_435_761

register_messages({
    "labeling.no_item": ("The project has no row #{number}.", "项目中没有第 {number} 行。"),
    "labeling.nothing_to_undo": ("There is nothing of yours to undo.", "没有可以撤销的操作。"),
    "labeling.unknown_label": ("The project has no label '{label}'; its labels are: {known}.",
                               "项目中没有标签“{label}”；现有标签：{known}。"),
})


@dataclass
class Item:
    idx: int
    text: str
    label: str | None
    labeler: str | None        # an owner id: the desk shows names, never ids
    labeled_at: float | None
    accepted: bool             # the label is a model suggestion someone accepted
    note: str
    suggestion: str | None
    confidence: float | None
    double: bool               # in the overlap share: two people label it
    mine: str | None = None    # the asking person's own label of it


@dataclass(frozen=True)
class Change:
    at: float
    who: str
    action: str               # label, accept, bulk, import, merge, remove, undo
    label: str | None
    accepted: bool
    previous: str | None
    previous_labeler: str | None
    undone: bool


@dataclass
class Progress:
    total: int
    labeled: int
    per_label: dict[str, int]
    per_hour: float            # everyone's labels over the last hour
    mine_per_hour: float
    suggested: int             # rows holding a suggestion of the project's current model


@dataclass(frozen=True)
class ItemFilter:
    """Rows for the table view and bulk edits; the defaults select every row."""

    label: str = ""            # "" for any
    unlabeled: bool = False
    disagrees: bool = False    # the model's suggestion differs from the human label
    min_confidence: float = 0.0
    max_confidence: float = 1.0
    contains: str = ""         # a piece of text, case-insensitive

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = ["project = ?"], []
        if self.label:
            clauses.append("label = ?")
            params.append(self.label)
        if self.unlabeled:
            clauses.append("label IS NULL")
        if self.disagrees:
            clauses.append("suggestion IS NOT NULL AND label IS NOT NULL AND suggestion != label")
        if self.min_confidence > 0 or self.max_confidence < 1:
            clauses.append("confidence BETWEEN ? AND ?")
            params += [self.min_confidence, self.max_confidence]
        if self.contains.strip():
            clauses.append("instr(lower(text), ?) > 0")
            params.append(self.contains.strip().lower())
        return " AND ".join(clauses), params


class Items:
    def __init__(self, db: Database):
        self.db = db

    # rows in -----------------------------------------------------------------------------------------
    def add(self, project_id: str, texts: list[str], labels: list[str | None] | None, who: str, seed: int,
            overlap: float) -> int:
        """Append rows (with labels where given, recorded as imported by `who`); returns how many were labeled."""
        now = time.time()
        labels = labels or [None] * len(texts)
        with self.db.write() as db:
            start = db.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM items WHERE project = ?",
                               (project_id,)).fetchone()[0]
            keys = start + shuffle_keys(len(texts), seed + start)
            db.executemany(
                "INSERT INTO items (project, idx, text, shuffle, label, labeler, labeled_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                ((project_id, start + i, text, int(key), label, who if label else None, now if label else None)
                 for i, (text, key, label) in enumerate(zip(texts, keys, labels))))
            batch = _next_batch(db)
            db.execute("INSERT INTO history (project, idx, batch, who, action, label, at) SELECT project, idx, ?, ?, "
                       "'import', label, ? FROM items WHERE project = ? AND idx >= ? AND label IS NOT NULL",
                       (batch, who, now, project_id, start))
            db.execute("INSERT INTO annotations SELECT project, idx, labeler, label, labeled_at FROM items "
                       "WHERE project = ? AND idx >= ? AND label IS NOT NULL", (project_id, start))
            self.share_out(db, project_id, overlap)
        return sum(1 for label in labels if label)

    def label_texts(self, project_id: str, texts: list[str], labels: list[str], who: str) -> int:
        """Label the still unlabeled rows holding these texts (labels imported for rows already in the project)."""
        by_label: dict[str, list[str]] = {}
        for text, label in zip(texts, labels):
            by_label.setdefault(label, []).append(text)
        with self.db.write() as db:
            return sum(self._write(db, project_id, "label IS NULL AND text IN (SELECT value FROM json_each(?))",
                                   label, who, "import", time.time(), [json.dumps(group)])
                       for label, group in by_label.items())

    def share_out(self, db: sqlite3.Connection, project_id: str, overlap: float) -> None:
        """Mark the overlap share: the rows two people label, for agreement."""
        db.execute(f"UPDATE items SET double = ((shuffle * {OVERLAP_MIX}) % {OVERLAP_PRIME}) < ? WHERE project = ?",
                   (overlap * OVERLAP_PRIME, project_id))

    # one row -----------------------------------------------------------------------------------------
    def get(self, project_id: str, idx: int, who: str | None = None) -> Item:
        with self.db.read() as db:
            row = db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE project = ? AND idx = ?",
                             (project_id, int(idx))).fetchone()
            if row is None:
                raise LabelError("labeling.no_item", number=int(idx) + 1)
            mine = db.execute("SELECT label FROM annotations WHERE project = ? AND idx = ? AND who = ?",
                              (project_id, int(idx), who)).fetchone() if who else None
        return Item(**_item(row), mine=mine["label"] if mine else None)

    def label(self, project_id: str, idx: int, label: str, who: str, accepted: bool = False) -> None:
        now = time.time()
        with self.db.write() as db:
            row = db.execute("SELECT label, labeler, accepted FROM items WHERE project = ? AND idx = ?",
                             (project_id, int(idx))).fetchone()
            if row is None:
                raise LabelError("labeling.no_item", number=int(idx) + 1)
            require_label(db, project_id, label)
            if (row["label"], row["labeler"], bool(row["accepted"])) == (label, who, accepted):
                return  # a repeated key press: nothing changes, so no history entry either
            self._write(db, project_id, f"idx = {int(idx)}", label, who, "accept" if accepted else "label", now)

    def relabel(self, project_id: str, selection: ItemFilter | list[int], label: str, who: str) -> int:
        """Give every selected row `label` (one undoable batch); returns how many rows changed."""
        if isinstance(selection, ItemFilter):
            where, params = selection.where()
            where, params = f"idx IN (SELECT idx FROM items WHERE {where})", [project_id, *params]
        else:
            where, params = f"idx IN ({', '.join(str(int(i)) for i in selection) or 'NULL'})", []
        with self.db.write() as db:
            require_label(db, project_id, label)
            return self._write(db, project_id, where, label, who, "bulk", time.time(), params)

    def _write(self, db: sqlite3.Connection, project_id: str, where: str, label: str | None, who: str, action: str,
               now: float, params: list[Any] | None = None, own: bool = True) -> int:
        """Set the rows matching `where` to `label` by `who`: history first (with what each row held), then the
        rows from that batch of history, then (when it is `who`'s own judgement, `own`) the person's labels."""
        batch = _next_batch(db)
        accepted = int(action == "accept")
        db.execute(
            "INSERT INTO history (project, idx, batch, who, action, label, accepted, at, prev_label, prev_labeler, "
            "prev_at, prev_accepted, prev_mine) SELECT project, idx, ?, ?, ?, ?, ?, ?, label, labeler, labeled_at, "
            "accepted, (SELECT a.label FROM annotations a WHERE a.project = items.project AND a.idx = items.idx "
            f"AND a.who = ?) FROM items WHERE project = ? AND {where} "
            "AND (label IS NOT ? OR labeler IS NOT ? OR accepted != ?)",
            [batch, who, action, label, accepted, now, who, project_id, *(params or []), label, who, accepted])
        changed = db.execute("UPDATE items SET label = ?, labeler = ?, labeled_at = ?, accepted = ?, held_by = NULL "
                             "WHERE project = ? AND idx IN (SELECT idx FROM history WHERE project = ? AND who = ? "
                             "AND batch = ?)", (label, who if label else None, now if label else None, accepted,
                                                project_id, project_id, who, batch)).rowcount
        if own:
            db.execute("INSERT OR REPLACE INTO annotations SELECT project, idx, who, label, at FROM history "
                       "WHERE project = ? AND who = ? AND batch = ?", (project_id, who, batch))
        return changed

    def undo(self, project_id: str, who: str) -> list[int]:
        """Take back `who`'s latest labeling batch; returns the rows put back (rows someone changed since keep
        their newer label, and the batch counts as undone all the same)."""
        now = time.time()
        with self.db.write() as db:
            batch = db.execute(f"SELECT MAX(batch) FROM history WHERE project = ? AND who = ? AND undone = 0 "
                               f"AND action IN {UNDOABLE}", (project_id, who)).fetchone()[0]
            if batch is None:
                raise LabelError("labeling.nothing_to_undo")
            rows = db.execute("SELECT h.*, i.label AS now_label, i.labeler AS now_labeler, i.labeled_at AS now_at "
                              "FROM history h JOIN items i ON i.project = h.project AND i.idx = h.idx "
                              "WHERE h.project = ? AND h.who = ? AND h.batch = ?", (project_id, who, batch)).fetchall()
            db.execute("UPDATE history SET undone = 1 WHERE project = ? AND who = ? AND batch = ?",
                       (project_id, who, batch))
            restored = [row for row in rows if (row["now_label"], row["now_labeler"], row["now_at"])
                        == (row["label"], who, row["at"])]
            undo_batch = _next_batch(db)
            for row in restored:
                self._restore(db, row, undo_batch, now)
        return [row["idx"] for row in restored]

    def _restore(self, db: sqlite3.Connection, row: sqlite3.Row, batch: int, now: float) -> None:
        db.execute("UPDATE items SET label = ?, labeler = ?, labeled_at = ?, accepted = ? "
                   "WHERE project = ? AND idx = ?",
                   (row["prev_label"], row["prev_labeler"], row["prev_at"], row["prev_accepted"], row["project"],
                    row["idx"]))
        if row["prev_mine"] is None:
            db.execute("DELETE FROM annotations WHERE project = ? AND idx = ? AND who = ?",
                       (row["project"], row["idx"], row["who"]))
        else:
            db.execute("UPDATE annotations SET label = ? WHERE project = ? AND idx = ? AND who = ?",
                       (row["prev_mine"], row["project"], row["idx"], row["who"]))
        db.execute("INSERT INTO history (project, idx, batch, who, action, label, accepted, at, prev_label, "
                   "prev_labeler, prev_at, prev_accepted) VALUES (?, ?, ?, ?, 'undo', ?, ?, ?, ?, ?, ?, ?)",
                   (row["project"], row["idx"], batch, row["who"], row["prev_label"], row["prev_accepted"], now,
                    row["label"], row["who"], row["at"], row["accepted"]))

    def note(self, project_id: str, idx: int, note: str) -> None:
        with self.db.write() as db:
            if not db.execute("UPDATE items SET note = ? WHERE project = ? AND idx = ?",
                              (note.strip(), project_id, int(idx))).rowcount:
                raise LabelError("labeling.no_item", number=int(idx) + 1)

    def skip(self, project_id: str, idx: int, who: str) -> None:
        with self.db.write() as db:
            db.execute("INSERT OR IGNORE INTO skips VALUES (?, ?, ?)", (project_id, who, int(idx)))
            db.execute("UPDATE items SET held_by = NULL WHERE project = ? AND idx = ? AND held_by = ?",
                       (project_id, int(idx), who))

    # the queue ---------------------------------------------------------------------------------------
    def next(self, project_id: str, who: str, order: str, exclude: int | None = None) -> int | None:
        """The next row for `who` in `order`, held for them a while so two people are not shown the same row;
        skipped rows come back once nothing else is left. None when the queue is empty."""
        chosen, now = get_order(order), time.time()
        if chosen.labeled:
            wanted = ("label IS NOT NULL AND suggestion IS NOT NULL AND suggestion != label "
                      "AND labeled_at < suggested_at")
        else:  # unlabeled rows, and rows of the overlap share that still need a second person
            wanted = ("(label IS NULL OR (double = 1 AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.project = "
                      "i.project AND a.idx = i.idx AND a.who = :who) AND (SELECT COUNT(*) FROM annotations a WHERE "
                      "a.project = i.project AND a.idx = i.idx) < 2))")
        free = "(held_by IS NULL OR held_by = :who OR held_until < :now) AND idx != :exclude"
        unskipped = "NOT EXISTS (SELECT 1 FROM skips s WHERE s.project = :p AND s.who = :who AND s.idx = i.idx)"
        values = {"p": project_id, "who": who, "now": now, "exclude": -1 if exclude is None else int(exclude)}
        with self.db.write() as db:
            for extra in (f" AND {unskipped}", ""):
                row = db.execute(f"SELECT idx FROM items i WHERE project = :p AND {wanted} AND {free}{extra} "
                                 f"ORDER BY {chosen.sql} LIMIT 1", values).fetchone()
                if row is not None:
                    db.execute("UPDATE items SET held_by = ?, held_until = ? WHERE project = ? AND idx = ?",
                               (who, now + LEASE_S, project_id, row["idx"]))
                    return row["idx"]
        return None

    # many rows ---------------------------------------------------------------------------------------
    def page(self, project_id: str, selection: ItemFilter, offset: int, limit: int) -> tuple[list[Item], int]:
        """One page of the selected rows in file order, and how many rows are selected in all."""
        where, params = selection.where()
        with self.db.read() as db:
            total = db.execute(f"SELECT COUNT(*) FROM items WHERE {where}", [project_id, *params]).fetchone()[0]
            rows = db.execute(f"SELECT {_ITEM_COLUMNS} FROM items WHERE {where} ORDER BY idx LIMIT ? OFFSET ?",
                              [project_id, *params, int(limit), int(offset)]).fetchall()
        return [Item(**_item(row)) for row in rows], total

    def progress(self, project_id: str, who: str, suggest_run: str) -> Progress:
        now = time.time()
        with self.db.read() as db:
            total = db.execute("SELECT COUNT(*) FROM items WHERE project = ?", (project_id,)).fetchone()[0]
            per_label = {r[0]: r[1] for r in db.execute(
                "SELECT label, COUNT(*) FROM items WHERE project = ? AND label IS NOT NULL GROUP BY label",
                (project_id,))}
            suggested = db.execute("SELECT COUNT(*) FROM items WHERE project = ? AND suggested_by = ?",
                                   (project_id, suggest_run)).fetchone()[0] if suggest_run else 0
            recent = db.execute(f"SELECT who, COUNT(DISTINCT idx), MIN(at) FROM history WHERE project = ? AND at > ? "
                                f"AND action IN {COUNTED} AND undone = 0 GROUP BY who",
                                (project_id, now - RATE_WINDOW_S)).fetchall()
        rate = lambda count, since: count * 3600 / max(now - since, MIN_RATE_SPAN_S)  # noqa: E731
        mine = next((rate(r[1], r[2]) for r in recent if r[0] == who), 0.0)
        everyone = rate(sum(r[1] for r in recent), min(r[2] for r in recent)) if recent else 0.0
        return Progress(total, sum(per_label.values()), per_label, everyone, mine, suggested)

    def history(self, project_id: str, idx: int) -> list[Change]:
        """The row's changes, oldest first."""
        with self.db.read() as db:
            rows = db.execute("SELECT at, who, action, label, accepted, prev_label, prev_labeler, undone FROM history "
                              "WHERE project = ? AND idx = ? ORDER BY id", (project_id, int(idx))).fetchall()
        return [Change(r["at"], r["who"], r["action"], r["label"], bool(r["accepted"]), r["prev_label"],
                       r["prev_labeler"], bool(r["undone"])) for r in rows]

    def labeled(self, project_id: str) -> pd.DataFrame:
        """Every labeled row: idx, text, label, labeler (owner id), labeled_at, accepted, note."""
        with self.db.read() as db:
            rows = db.execute("SELECT idx, text, label, labeler, labeled_at, accepted, note FROM items "
                              "WHERE project = ? AND label IS NOT NULL ORDER BY idx", (project_id,)).fetchall()
        columns = ["idx", "text", "label", "labeler", "labeled_at", "accepted", "note"]
        return pd.DataFrame([tuple(r) for r in rows], columns=columns)

    def labeled_count(self, project_id: str) -> int:
        with self.db.read() as db:
            return db.execute("SELECT COUNT(*) FROM items WHERE project = ? AND label IS NOT NULL",
                              (project_id,)).fetchone()[0]

    def texts(self, project_id: str) -> set[str]:
        with self.db.read() as db:
            return {r[0] for r in db.execute("SELECT text FROM items WHERE project = ?", (project_id,))}

    def annotations(self, project_id: str) -> pd.DataFrame:
        """Each person's own label of each row they labeled: idx, who, label."""
        with self.db.read() as db:
            rows = db.execute("SELECT idx, who, label FROM annotations WHERE project = ?", (project_id,)).fetchall()
        return pd.DataFrame([tuple(r) for r in rows], columns=["idx", "who", "label"])

    # suggestions -------------------------------------------------------------------------------------
    def unsuggested(self, project_id: str, run_id: str, limit: int) -> list[tuple[int, str]]:
        """Rows without a suggestion from `run_id`: unlabeled rows first (they make the queue), in the random order,
        so that while a large project's suggestions are computed the uncertainty queue already spans the file."""
        with self.db.read() as db:
            rows = db.execute("SELECT idx, text FROM items WHERE project = ? AND suggested_by IS NOT ? "
                              "ORDER BY label IS NOT NULL, shuffle LIMIT ?",
                              (project_id, run_id, int(limit))).fetchall()
        return [(r["idx"], r["text"]) for r in rows]

    def suggest(self, project_id: str, run_id: str, rows: Iterable[tuple[int, str, float, float, float]]) -> None:
        """Store a model's suggestions: (idx, label, confidence, margin, entropy) per row."""
        now = time.time()
        with self.db.write() as db:
            db.executemany("UPDATE items SET suggestion = ?, confidence = ?, margin = ?, entropy = ?, "
                           "suggested_by = ?, suggested_at = ? WHERE project = ? AND idx = ?",
                           ((label, confidence, margin, entropy, run_id, now, project_id, idx)
                            for idx, label, confidence, margin, entropy in rows))

    # the label set, row side (called inside LabelStore's transactions) -------------------------------
    def rename(self, db: sqlite3.Connection, project_id: str, old: str, new: str) -> None:
        for table, column in (("items", "label"), ("items", "suggestion"), ("annotations", "label")):
            db.execute(f"UPDATE {table} SET {column} = ? WHERE project = ? AND {column} = ?", (new, project_id, old))

    def replace_label(self, db: sqlite3.Connection, project_id: str, old: str, new: str | None, who: str,
                      action: str) -> int:
        """Rows labeled `old` take `new` (None: unlabeled), each change in history; people's own labels and the
        model's suggestions follow."""
        changed = self._write(db, project_id, "label = ?", new, who, action, time.time(), [old], own=False)
        if new is None:
            db.execute("DELETE FROM annotations WHERE project = ? AND label = ?", (project_id, old))
        else:
            db.execute("UPDATE annotations SET label = ? WHERE project = ? AND label = ?", (new, project_id, old))
        db.execute("UPDATE items SET suggestion = ? WHERE project = ? AND suggestion = ?", (new, project_id, old))
        return changed


_ITEM_COLUMNS = "idx, text, label, labeler, labeled_at, accepted, note, suggestion, confidence, double"


def _item(row: sqlite3.Row) -> dict[str, Any]:
    values = dict(row)
    values["accepted"], values["double"] = bool(values["accepted"]), bool(values["double"])
    return values


def require_label(db: sqlite3.Connection, project_id: str, name: str) -> None:
    if db.execute("SELECT 1 FROM classes WHERE project = ? AND name = ?", (project_id, name)).fetchone() is None:
        known = [r["name"] for r in db.execute("SELECT name FROM classes WHERE project = ? ORDER BY position",
                                               (project_id,))]
        raise LabelError("labeling.unknown_label", label=name, known=", ".join(known))


def _next_batch(db: sqlite3.Connection) -> int:
    """The id the next history row will get: a batch is named by its first row (the caller holds the write lock)."""
    row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'history'").fetchone()
    return (row[0] if row else 0) + 1
