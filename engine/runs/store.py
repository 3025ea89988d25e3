"""RunStore: one SQLite table that records every run.

Both the app and the training child write to it (the child its final status), so every
connection is short-lived and SQLite's own locking keeps them apart.
"""
from __future__ import annotations

import sqlite3
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, fields
from pathlib import Path

from engine.errors import RunError
from engine.messages import register_messages
from engine.owners import LOCAL_OWNER

STATUSES = ("created", "queued", "running", "finished", "stopped", "failed", "interrupted", "cancelled")
ACTIVE = ("created", "running")   # a training process was started (or is about to be) for these
WAITING = ("queued",)             # waiting for a free training slot

register_messages({
    "runs.not_found": ("There is no run '{run_id}'.", "没有名为“{run_id}”的运行。"),
})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    method TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    finished REAL,
    best_metric REAL,
    best_metric_name TEXT,
    run_dir TEXT NOT NULL,
    pid INTEGER,
    message TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT 'local',
    resume_from TEXT NOT NULL DEFAULT ''
)"""
# Columns added after the first release, with their definitions: older runs.db files gain them on open.
_ADDED_COLUMNS = {"owner": "TEXT NOT NULL DEFAULT 'local'", "resume_from": "TEXT NOT NULL DEFAULT ''"}


@dataclass
class RunRecord:
    id: str
    name: str
    task: str
    model: str
    method: str
    status: str
    created: float
    finished: float | None
    best_metric: float | None
    best_metric_name: str | None
    run_dir: str
    pid: int | None
    message: str
    owner: str = LOCAL_OWNER
    resume_from: str = ""   # for a queued run: "" (a fresh start), "last" or a checkpoint folder to resume from


class RunStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "runs.db"
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)
            present = {row["name"] for row in db.execute("PRAGMA table_info(runs)")}
            for name, definition in _ADDED_COLUMNS.items():
                if name not in present:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {name} {definition}")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def create(self, name: str, task: str, model: str, method: str, owner: str = LOCAL_OWNER) -> RunRecord:
        run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        run_dir = self.root / run_id
        run_dir.mkdir(parents=True)
        record = RunRecord(id=run_id, name=name or run_id, task=task, model=model, method=method,
                           status="created", created=time.time(), finished=None, best_metric=None,
                           best_metric_name=None, run_dir=str(run_dir.resolve()), pid=None, message="",
                           owner=owner)
        columns = [f.name for f in fields(RunRecord)]
        with closing(self._connect()) as db, db:
            db.execute(f"INSERT INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                       [getattr(record, c) for c in columns])
        return record

    def get(self, run_id: str, owner: str | None = None) -> RunRecord:
        """The run; with `owner`, someone else's run answers exactly like a run that does not exist."""
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (str(run_id),)).fetchone()
        if row is None or (owner is not None and row["owner"] != owner):
            raise RunError("runs.not_found", run_id=run_id)
        return RunRecord(**dict(row))

    def list(self, owner: str | None = None) -> list[RunRecord]:
        """Runs newest first; with `owner`, only that owner's."""
        query, args = "SELECT * FROM runs", ()
        if owner is not None:
            query, args = query + " WHERE owner = ?", (owner,)
        with closing(self._connect()) as db:
            rows = db.execute(query + " ORDER BY created DESC", args).fetchall()
        return [RunRecord(**dict(r)) for r in rows]

    def queued(self) -> list[RunRecord]:
        """Runs waiting for a training slot, first come first served."""
        with closing(self._connect()) as db:
            rows = db.execute("SELECT * FROM runs WHERE status = 'queued' ORDER BY created").fetchall()
        return [RunRecord(**dict(r)) for r in rows]

    def claim(self, run_id: str) -> bool:
        """Move a queued run to running; False if another process (or a cancel) got there first."""
        with closing(self._connect()) as db, db:
            changed = db.execute("UPDATE runs SET status = 'running' WHERE id = ? AND status = 'queued'",
                                 (run_id,)).rowcount
        return changed == 1

    def update(self, run_id: str, **values: object) -> None:
        unknown = set(values) - {f.name for f in fields(RunRecord)}
        if unknown:  # a programming error, not a user's: no message code
            raise ValueError(f"unknown run fields: {', '.join(sorted(unknown))}")
        if "status" in values and values["status"] not in STATUSES:
            raise ValueError(f"unknown run status {values['status']!r}")
        assignments = ", ".join(f"{k} = ?" for k in values)
        with closing(self._connect()) as db, db:
            db.execute(f"UPDATE runs SET {assignments} WHERE id = ?", [*values.values(), run_id])

    def find_dir(self, run_dir: str | Path) -> RunRecord | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM runs WHERE run_dir = ?", (str(Path(run_dir).resolve()),)).fetchone()
        return RunRecord(**dict(row)) if row else None


def owner_of(run_dir: str | Path) -> str:
    """Who a run folder belongs to, as its store records it; a folder no store knows is the local user's."""
    root = Path(run_dir).resolve().parent
    record = RunStore(root).find_dir(run_dir) if (root / "runs.db").exists() else None
    return record.owner if record else LOCAL_OWNER
