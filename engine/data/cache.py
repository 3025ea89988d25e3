"""Parsed tables, kept by content hash and read options, so a file is read once however often it is used.

The Data tab previews, inspects, checks the split and measures tokenizer coverage of the same file, and
every browser session may ask at once: reading a 400,000-row workbook once for all of them is the
difference between seconds and minutes. Keys hold the content's SHA-256 (not the path, which can be
rewritten), the read options and the display name (it appears in the table's notes). Two sessions asking
for the same missing table wait for one read. A file's digest is remembered by path, size and mtime, so
an unchanged file is not hashed again.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from engine.data.table import LoadedTable, ReadOptions
from engine.errors import DataError

MAX_TABLES = 8
MAX_SOURCE_BYTES = 512 * 1024**2  # files' sizes together: parsed tables take a few times more in memory
HASH_CHUNK = 1024**2


class TableCache:
    def __init__(self, max_tables: int = MAX_TABLES, max_bytes: int = MAX_SOURCE_BYTES):
        self.max_tables, self.max_bytes = max_tables, max_bytes
        self._lock = threading.Lock()
        self._tables: OrderedDict[tuple, tuple[LoadedTable | DataError, int]] = OrderedDict()
        self._reading: dict[tuple, threading.Lock] = {}
        self._digests: dict[tuple, str] = {}

    def get(self, path: Path, options: ReadOptions, name: str, read: Callable[[], LoadedTable],
            reader: str = "") -> LoadedTable:
        """The cached table of this content, options, name and reader (a task's own format, or "" for the general
        readers), or `read()` (once, whoever asks meanwhile). A DataError is kept like a table: the same bytes
        fail the same way."""
        size = path.stat().st_size
        key = (self.digest(path), options, name, reader)
        with self._lock:
            gate = self._reading.setdefault(key, threading.Lock())
        with gate:
            found = self._lookup(key)
            if found is None:
                try:
                    found = read()
                except DataError as exc:
                    found = exc
                self._store(key, found, size)
        with self._lock:
            self._reading.pop(key, None)
        if isinstance(found, DataError):
            raise found
        return found

    def digest(self, path: Path) -> str:
        stat = path.stat()
        identity = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            known = self._digests.get(identity)
        if known:
            return known
        sha = hashlib.sha256()
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
                sha.update(chunk)
        with self._lock:
            if len(self._digests) > 16 * self.max_tables:
                self._digests.clear()
            self._digests[identity] = sha.hexdigest()
        return sha.hexdigest()

    def clear(self) -> None:
        with self._lock:
            self._tables.clear()
            self._digests.clear()

    def _lookup(self, key: tuple) -> LoadedTable | DataError | None:
        with self._lock:
            if key not in self._tables:
                return None
            self._tables.move_to_end(key)
            return self._tables[key][0]

    def _store(self, key: tuple, value: LoadedTable | DataError, size: int) -> None:
        with self._lock:
            self._tables[key] = (value, size)
            while len(self._tables) > 1 and (len(self._tables) > self.max_tables or
                                             sum(s for _, s in self._tables.values()) > self.max_bytes):
                self._tables.popitem(last=False)


TABLES = TableCache()  # one per process: the app's sessions share it, the training child has its own
