"""The labeling database: one SQLite file in WAL mode, every acknowledged action committed and synced.

WAL lets the page, API clients and the suggestion worker read while one of them writes; `synchronous=FULL`
syncs each commit to disk before the call returns, so a label the page showed as saved survives a closed tab,
a crash or a `kill -9` of the app (and a power cut). Connections are short-lived, as in the run store: the app's
worker threads, the CLI and tests may all open the same file.
"""
from __future__ import annotations

import sqlite3
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Iterator

BUSY_TIMEOUT_S = 30

SCHEMA = """
CREATE TABLE IF NOT EXISTS projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    join_code TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    source_name TEXT NOT NULL DEFAULT '',
    seed INTEGER NOT NULL,
    overlap REAL NOT NULL DEFAULT 0,           -- share of rows given to two labelers
    retrain_every INTEGER NOT NULL DEFAULT 0,  -- start a run every N new labels; 0: never
    trained_at INTEGER NOT NULL DEFAULT 0,     -- labeled rows when the latest run started
    run_id TEXT NOT NULL DEFAULT '',           -- the latest run trained on this project's labels
    suggest_run TEXT NOT NULL DEFAULT '',      -- the run whose suggestions the items hold
    train_config TEXT NOT NULL DEFAULT ''      -- YAML of the latest run's settings, reused by auto-retrain
);
CREATE TABLE IF NOT EXISTS members (
    project TEXT NOT NULL, who TEXT NOT NULL, name TEXT NOT NULL, joined REAL NOT NULL,
    PRIMARY KEY (project, who)
);
CREATE INDEX IF NOT EXISTS members_who ON members(who);
CREATE TABLE IF NOT EXISTS classes (
    project TEXT NOT NULL, name TEXT NOT NULL, color TEXT NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (project, name)
);
CREATE TABLE IF NOT EXISTS items (
    project TEXT NOT NULL,
    idx INTEGER NOT NULL,                 -- the row's place in the imported file(s), from 0
    text TEXT NOT NULL,
    shuffle INTEGER NOT NULL,             -- a fixed random key: the random order, and who gets the overlap
    double INTEGER NOT NULL DEFAULT 0,    -- in the overlap share: two people label it
    label TEXT, labeler TEXT, labeled_at REAL, accepted INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    suggestion TEXT, confidence REAL, margin REAL, entropy REAL, suggested_by TEXT, suggested_at REAL,
    held_by TEXT, held_until REAL,        -- shown to someone: others' queues pass it by for a while
    PRIMARY KEY (project, idx)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS items_label ON items(project, label);
CREATE INDEX IF NOT EXISTS items_confidence ON items(project, confidence);
CREATE INDEX IF NOT EXISTS items_margin ON items(project, margin);
CREATE INDEX IF NOT EXISTS items_entropy ON items(project, entropy DESC);  -- the order entropy walks
CREATE INDEX IF NOT EXISTS items_shuffle ON items(project, shuffle);
CREATE INDEX IF NOT EXISTS items_suggested ON items(project, suggested_by);
CREATE TABLE IF NOT EXISTS annotations (   -- each person's own latest label of a row (agreement reads these)
    project TEXT NOT NULL, idx INTEGER NOT NULL, who TEXT NOT NULL, label TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (project, idx, who)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS history (       -- append-only: every change of a row's label, with what it replaced
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project TEXT NOT NULL, idx INTEGER NOT NULL, batch INTEGER NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
    label TEXT, accepted INTEGER NOT NULL DEFAULT 0, at REAL NOT NULL,
    prev_label TEXT, prev_labeler TEXT, prev_at REAL, prev_accepted INTEGER NOT NULL DEFAULT 0,
    prev_mine TEXT,                        -- the person's own earlier label of the row (undo restores it)
    undone INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS history_item ON history(project, idx);
CREATE INDEX IF NOT EXISTS history_who ON history(project, who, batch);
CREATE INDEX IF NOT EXISTS history_at ON history(project, at);
CREATE TABLE IF NOT EXISTS skips (
    project TEXT NOT NULL, who TEXT NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (project, who, idx)
) WITHOUT ROWID;
"""


class Database:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)) as db:
            db.execute("PRAGMA journal_mode=WAL")  # stored in the file: every later connection uses it
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous=FULL")
        return db

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with closing(self._connect()) as db:
            yield db

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, taken with the write lock at once (IMMEDIATE): two people labeling the same row
        queue behind each other instead of one failing on a lock upgrade."""
        with closing(self._connect()) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

