"""The model cache: packaged models that need one-off work before transformers can load them (a GGUF file to
dequantize, an encoder-decoder to warm-start from an encoder), built once into TUNEBENCH_CACHE
(else ~/.cache/tunebench) and loaded from there afterwards.

A folder is built beside its final place and renamed into place, with READY_FILE written last, so another process
never loads half a model and a build that died midway is redone.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

from engine.messages import Message

CACHE_ENV = "TUNEBENCH_CACHE"
READY_FILE = "tunebench-converted.json"
_BUILDING = threading.Lock()   # two requests of one app build once; other processes see READY_FILE


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "tunebench")


def cached_model(name: str, build: Callable[[Path], None], starting: Message,
                 progress: Callable[[Message], None] | None = None) -> str:
    """The cache folder of the model `name`, built first with `build(folder)` when no finished one is there;
    `progress` hears `starting` before a build begins (it takes a while, once)."""
    target = cache_root() / "models" / name
    if (target / READY_FILE).exists():
        return str(target)
    with _BUILDING:
        if not (target / READY_FILE).exists():
            if progress:
                progress(starting)
            build_into(target, build)
    return str(target)


def build_into(target: Path, build: Callable[[Path], None]) -> float:
    """Run `build` on a fresh folder beside `target` and move it into place; returns the seconds it took."""
    began = time.monotonic()
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        build(partial)
        seconds = time.monotonic() - began
        if (target / READY_FILE).exists():  # another process finished first (and may be loading it): keep its
            return seconds
        (partial / READY_FILE).write_text(json.dumps({"seconds": round(seconds, 1)}), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.rename(target)
        return seconds
    finally:
        shutil.rmtree(partial, ignore_errors=True)


@contextmanager
def quiet_transformers() -> Iterator[None]:
    """transformers without its progress bars and load reports while a cached model is built: they would go to the
    app's console, not to the person waiting (who hears of the build through `progress`)."""
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()
