"""LabelStore: labeling projects, who may work on them, and their label sets (the rows live in engine.labeling.items).

A project belongs to its owner. Others join it with its join code, a random secret the owner shares; to
anyone else a project answers exactly like one that does not exist, as another owner's run does.
"""
from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import LabelError
from engine.labeling.db import Database
from engine.labeling.items import Items, require_label
from engine.messages import register_messages
from engine.owners import LOCAL_OWNER

MAX_LABEL_CHARS = 60
MAX_NAME_CHARS = 80
PALETTE = ("#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#b07aa1", "#76b7b2", "#edc948", "#ff9da7", "#9c755f",
           "#bab0ac")
SETTINGS = ("name", "overlap", "retrain_every", "trained_at", "run_id", "suggest_run", "train_config")

register_messages({
    "labeling.not_found": ("There is no labeling project '{project}'.", "没有名为“{project}”的标注项目。"),
    "labeling.bad_code": ("No project has this join code; ask the project's owner for it again.",
                          "没有项目使用这个加入码；请向项目所有者重新索取。"),
    "labeling.owner_only": ("Only the project's owner can do this.", "只有项目所有者可以这样做。"),
    "labeling.label_empty": ("A label needs a name.", "标签需要一个名称。"),
    "labeling.label_too_long": ("Label names are at most {limit} characters.", "标签名称最多 {limit} 个字符。"),
    "labeling.label_exists": ("There is already a label '{label}'.", "已经有名为“{label}”的标签。"),
    "labeling.merge_same": ("Choose two different labels to merge.", "请选择两个不同的标签进行合并。"),
    "labeling.bad_color": ("'{color}' is not a colour; use #rrggbb.", "“{color}”不是颜色；请使用 #rrggbb 格式。"),
})


@dataclass(frozen=True)
class LabelClass:
    name: str
    color: str


@dataclass
class Project:
    id: str
    name: str
    owner: str
    join_code: str
    created: float
    source_name: str
    seed: int
    overlap: float
    retrain_every: int
    trained_at: int
    run_id: str
    suggest_run: str
    train_config: str
    classes: list[LabelClass] = field(default_factory=list)
    members: dict[str, str] = field(default_factory=dict)   # who -> the name shown to the others

    @property
    def labels(self) -> list[str]:
        return [c.name for c in self.classes]

    def name_of(self, who: str | None) -> str:
        return self.members.get(who or "", default_name(who or ""))


def default_name(who: str) -> str:
    """What co-labelers see of a person: their login where there is one, else a short name that does not reveal
    the private id (a browser's or an API session's)."""
    kind, _, name = who.partition(":")
    if kind in ("user", "hf") and name:
        return name
    if who == LOCAL_OWNER or not who:
        return who or "?"
    return "guest-" + hashlib.sha256(who.encode("utf-8")).hexdigest()[:6]


class LabelStore:
    def __init__(self, path: str | Path):
        self.db = Database(path)
        self.items = Items(self.db)

    # projects ------------------------------------------------------------------------------------------
    def create(self, name: str, owner: str, labels: list[str], owner_name: str = "") -> Project:
        """An empty project with its label set; add its rows with `items.add`."""
        project_id, code = secrets.token_hex(5), secrets.token_urlsafe(9)
        names = [_checked_name(label) for label in labels]
        with self.db.write() as db:
            db.execute("INSERT INTO projects (id, name, owner, join_code, created, seed) VALUES (?, ?, ?, ?, ?, ?)",
                       (project_id, name.strip()[:MAX_NAME_CHARS] or project_id, owner, code, time.time(),
                        secrets.randbelow(2**31)))
            db.execute("INSERT INTO members VALUES (?, ?, ?, ?)",
                       (project_id, owner, owner_name.strip() or default_name(owner), time.time()))
            for label in names:
                _add_class(db, project_id, label, "")
        return self.get(project_id)

    def get(self, project_id: str, who: str | None = None) -> Project:
        """The project; with `who`, only for its members (the owner is one): to anyone else it answers
        exactly like a project that does not exist."""
        with self.db.read() as db:
            row = db.execute("SELECT * FROM projects WHERE id = ?", (str(project_id),)).fetchone()
            members = {r["who"]: r["name"] for r in db.execute("SELECT who, name FROM members WHERE project = ?",
                                                                (str(project_id),))}
            if row is None or (who is not None and who not in members):
                raise LabelError("labeling.not_found", project=project_id)
            classes = [LabelClass(r["name"], r["color"]) for r in db.execute(
                "SELECT name, color FROM classes WHERE project = ? ORDER BY position", (project_id,))]
        return Project(**dict(row), classes=classes, members=members)

    def list(self, who: str | None = None) -> list[Project]:
        """Projects newest first; with `who`, those they own or joined."""
        query, args = "SELECT id FROM projects", ()
        if who is not None:
            query, args = query + " WHERE id IN (SELECT project FROM members WHERE who = ?)", (who,)
        with self.db.read() as db:
            ids = [r["id"] for r in db.execute(query + " ORDER BY created DESC", args)]
        return [self.get(project_id) for project_id in ids]

    def join(self, code: str, who: str, name: str = "") -> Project:
        with self.db.write() as db:
            row = db.execute("SELECT id FROM projects WHERE join_code = ?", (code.strip(),)).fetchone()
            if row is None:
                raise LabelError("labeling.bad_code")
            db.execute("INSERT OR IGNORE INTO members VALUES (?, ?, ?, ?)",
                       (row["id"], who, name.strip()[:MAX_NAME_CHARS] or default_name(who), time.time()))
        return self.get(row["id"])

    def update(self, project_id: str, **values: object) -> None:
        unknown = set(values) - set(SETTINGS)
        if unknown:  # a programming error, not a user's
            raise ValueError(f"unknown project settings: {', '.join(sorted(unknown))}")
        with self.db.write() as db:
            db.execute(f"UPDATE projects SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                       [*values.values(), project_id])
            if "overlap" in values:
                self.items.share_out(db, project_id, float(values["overlap"]))

    # the label set -------------------------------------------------------------------------------------
    def add_label(self, project_id: str, name: str, color: str = "") -> None:
        with self.db.write() as db:
            _add_class(db, project_id, _checked_name(name), color)

    def ensure_labels(self, project_id: str, names: list[str]) -> None:
        """Add the labels not in the set yet (labels found in imported rows)."""
        with self.db.write() as db:
            known = {r["name"] for r in db.execute("SELECT name FROM classes WHERE project = ?", (project_id,))}
            for name in dict.fromkeys(names):
                if name not in known:
                    _add_class(db, project_id, _checked_name(name), "")

    def recolor_label(self, project_id: str, name: str, color: str) -> None:
        with self.db.write() as db:
            require_label(db, project_id, name)
            db.execute("UPDATE classes SET color = ? WHERE project = ? AND name = ?",
                       (_checked_color(color), project_id, name))

    def rename_label(self, project_id: str, old: str, new: str) -> None:
        """Rename a label everywhere it is used: rows, people's own labels, suggestions. History keeps the names
        as they were."""
        new = _checked_name(new)
        with self.db.write() as db:
            require_label(db, project_id, old)
            if new != old and _has_label(db, project_id, new):
                raise LabelError("labeling.label_exists", label=new)
            db.execute("UPDATE classes SET name = ? WHERE project = ? AND name = ?", (new, project_id, old))
            self.items.rename(db, project_id, old, new)

    def merge_labels(self, project_id: str, source: str, target: str, who: str) -> int:
        """Fold `source` into `target`: its rows take the target label (each change in their history) and
        `source` leaves the set. Returns the number of rows relabeled."""
        if source == target:
            raise LabelError("labeling.merge_same")
        with self.db.write() as db:
            require_label(db, project_id, source)
            require_label(db, project_id, target)
            changed = self.items.replace_label(db, project_id, source, target, who, "merge")
            db.execute("DELETE FROM classes WHERE project = ? AND name = ?", (project_id, source))
        return changed

    def remove_label(self, project_id: str, name: str, who: str) -> int:
        """Take a label out of the set; its rows become unlabeled (each change in their history)."""
        with self.db.write() as db:
            require_label(db, project_id, name)
            changed = self.items.replace_label(db, project_id, name, None, who, "remove")
            db.execute("DELETE FROM classes WHERE project = ? AND name = ?", (project_id, name))
        return changed


def _checked_name(name: str) -> str:
    name = str(name).strip()
    if not name:
        raise LabelError("labeling.label_empty")
    if len(name) > MAX_LABEL_CHARS:
        raise LabelError("labeling.label_too_long", limit=MAX_LABEL_CHARS)
    return name


def _checked_color(color: str) -> str:
    text = str(color).strip().lower()
    if len(text) != 7 or not text.startswith("#") or any(c not in "0123456789abcdef" for c in text[1:]):
        raise LabelError("labeling.bad_color", color=color)
    return text


def _has_label(db: sqlite3.Connection, project_id: str, name: str) -> bool:
    return db.execute("SELECT 1 FROM classes WHERE project = ? AND name = ?", (project_id, name)).fetchone() is not None


def _add_class(db: sqlite3.Connection, project_id: str, name: str, color: str) -> None:
    if _has_label(db, project_id, name):
        raise LabelError("labeling.label_exists", label=name)
    position = db.execute("SELECT COALESCE(MAX(position) + 1, 0) FROM classes WHERE project = ?",
                          (project_id,)).fetchone()[0]
    color = _checked_color(color) if color else PALETTE[position % len(PALETTE)]
    db.execute("INSERT INTO classes VALUES (?, ?, ?, ?)", (project_id, name, color, position))
