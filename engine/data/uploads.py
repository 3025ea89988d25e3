"""Uploaded files, kept per owner and named by content, referred to as `upload:<sha12>-<name>`.

The web server's temp copy of an upload disappears; runs must read the file after a restart, so it is
copied to `<root>/<owner_key(owner)>/<sha12>-<name>`. Configs, YAML and the UI carry only the reference,
never a server path, and a reference resolves only inside its owner's folder: someone else's upload and
one that never existed give the same "no such upload" error.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from engine.data.loading import UPLOAD_PREFIX, resolve_source
from engine.owners import owner_key

HASH_CHUNK = 1024**2


class UploadStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def folder(self, owner: str) -> Path:
        """The owner's uploads folder (what `load_splits(..., uploads_dir=...)` needs for their runs)."""
        return self.root / owner_key(owner)

    def keep(self, temp_path: str | Path, owner: str) -> str:
        """Copy an upload out of the web server's temp folder; returns its `upload:` reference."""
        source = Path(temp_path)
        sha = hashlib.sha256()
        with open(source, "rb") as handle:
            for chunk in iter(lambda: handle.read(HASH_CHUNK), b""):
                sha.update(chunk)
        name = f"{sha.hexdigest()[:12]}-{_safe_name(source.name)}"
        folder = self.folder(owner)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        if not target.exists():
            partial = target.with_name(f".{name}.partial")
            shutil.copyfile(source, partial)
            partial.replace(target)  # a reader never sees half a file
        return UPLOAD_PREFIX + name

    def resolve(self, reference: str, owner: str) -> Path:
        return resolve_source(reference, self.folder(owner))


def run_uploads(run_dir: str | Path) -> Path:
    """The uploads folder of a run's owner, where the `upload:` files of its config live."""
    from engine.runs.layout import UPLOADS_DIR
    from engine.runs.store import owner_of  # imported here: the run store sits above the data layer

    return UploadStore(Path(run_dir).resolve().parent / UPLOADS_DIR).folder(owner_of(run_dir))


def _safe_name(name: str) -> str:
    """The file name as the user gave it, minus what could not be a single file name."""
    cleaned = name.replace("/", "_").replace("\\", "_").strip() or "upload"
    return "_" + cleaned if cleaned.startswith(".") else cleaned
