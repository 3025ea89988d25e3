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

STATUSES = ("created", "running", "finished", "stopped", "failed", "interrupted")
ACTIVE = ("created", "running")

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
    message TEXT NOT NULL DEFAULT ''
)"""


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


class RunStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.path = self.root / "runs.db"
        with closing(self._connect()) as db, db:
            db.execute(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.row_factory = sqlite3.Row
        return db

    def create(self, name: str, task: str, model: str, method: str) -> RunRecord:
        run_id = time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
        run_dir = self.root / run_id
        run_dir.mkdir(parents=True)
        record = RunRecord(id=run_id, name=name or run_id, task=task, model=model, method=method,
                           status="created", created=time.time(), finished=None, best_metric=None,
                           best_metric_name=None, run_dir=str(run_dir.resolve()), pid=None, message="")
        columns = [f.name for f in fields(RunRecord)]
        with closing(self._connect()) as db, db:
            db.execute(f"INSERT INTO runs ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                       [getattr(record, c) for c in columns])
        return record

    def get(self, run_id: str) -> RunRecord:
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunError(f"There is no run '{run_id}'.")
        return RunRecord(**dict(row))

    def list(self) -> list[RunRecord]:
        with closing(self._connect()) as db:
            rows = db.execute("SELECT * FROM runs ORDER BY created DESC").fetchall()
        return [RunRecord(**dict(r)) for r in rows]

    def update(self, run_id: str, **values: object) -> None:
        unknown = set(values) - {f.name for f in fields(RunRecord)}
        if unknown:
            raise RunError(f"Unknown run fields: {', '.join(sorted(unknown))}.")
        if "status" in values and values["status"] not in STATUSES:
            raise RunError(f"Unknown run status {values['status']!r}.")
        assignments = ", ".join(f"{k} = ?" for k in values)
        with closing(self._connect()) as db, db:
            db.execute(f"UPDATE runs SET {assignments} WHERE id = ?", [*values.values(), run_id])

    def find_dir(self, run_dir: str | Path) -> RunRecord | None:
        with closing(self._connect()) as db:
            row = db.execute("SELECT * FROM runs WHERE run_dir = ?", (str(Path(run_dir).resolve()),)).fetchone()
        return RunRecord(**dict(row)) if row else None
