"""events.jsonl: the append-only log that is the single source of truth of a run's history.

The child process appends; the UI and CLI read incrementally by byte offset, so polling costs
only the new bytes. A `resumed` event tells readers to forget what was logged after the step
the run resumed from (those steps are trained again).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.messages import Message

EVENTS_FILE = "events.jsonl"
TERMINAL = ("finished", "stopped", "failed")   # what a training process says last
ENDED = (*TERMINAL, "interrupted", "cancelled")  # the manager's words: the process died; taken out of the queue
# fsync makes an event survive a crash of the machine (power, kernel), not of the process: a written line is in
# the page cache, and every reader sees it at once either way. It costs about 3 ms a call on the 2-core test
# machine (much more while others write checkpoints), and progress and loss events come several times a
# second, so those two are not forced to disk: after a power cut a run may lose its last chart points, never
# a status change, an evaluation or a checkpoint event.
NOT_FORCED = ("progress", "log")


class EventLog:
    def __init__(self, run_dir: str | Path, muted: bool = False):
        self.path = Path(run_dir) / EVENTS_FILE
        self.muted = muted  # the other processes of a multi-GPU run: only the main one speaks

    def append(self, kind: str, **data: Any) -> dict:
        event = {"kind": kind, "time": time.time(), **data}
        if self.muted:
            return event
        line = json.dumps(event, ensure_ascii=False, default=_jsonable) + "\n"
        if _ends_without_newline(self.path):  # a torn last line must not swallow this event
            line = "\n" + line
        # One write of one line in append mode: readers never see half an event.
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            if kind not in NOT_FORCED:
                os.fsync(fh.fileno())
        return event

    def read(self, offset: int = 0) -> tuple[list[dict], int]:
        """Events after byte `offset`, and the offset to pass next time."""
        if not self.path.exists():
            return [], offset
        with open(self.path, "rb") as fh:
            fh.seek(offset)
            chunk = fh.read()
        end = chunk.rfind(b"\n") + 1  # leave a line still being written for the next read
        lines = chunk[:end].decode("utf-8", errors="replace").splitlines()
        return [event for event in map(_parse, lines) if event is not None], offset + end


def _jsonable(value: Any) -> Any:
    """Messages are stored in every language (a reader may speak another); numpy numbers as floats."""
    return value.texts() if isinstance(value, Message) else float(value)


def _parse(line: str) -> dict | None:
    """One event, or None for a line a crash tore (a full disk, a kill mid-write): skipping it keeps
    the rest of the history readable."""
    try:
        event = json.loads(line)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) and "kind" in event else None


@dataclass
class History:
    """What the charts and progress bar need, folded from events."""

    train: list[dict] = field(default_factory=list)      # {step, epoch, loss, learning_rate}
    evals: list[dict] = field(default_factory=list)      # {step, epoch, eval_loss, eval_accuracy...}
    progress: dict = field(default_factory=dict)         # latest progress event
    status: str = "starting"
    message: dict[str, str] | str = ""   # the last stop or failure reason, in every language (Message.texts())
    log_events: list[dict] = field(default_factory=list)   # what the run log shows (engine.runs.narrate)
    live_metrics: list[str] = field(default_factory=list)  # what the task charts at each evaluation
    offset: int = 0

    def update(self, events: list[dict]) -> bool:
        for event in events:
            self._apply(event)
        return bool(events)

    def _apply(self, event: dict) -> None:
        kind = event["kind"]
        if kind == "log":
            self.train.append(event["values"])
        elif kind == "eval":
            self.evals.append(event["values"])
        elif kind == "progress":
            self.progress = event
        elif kind == "model_ready":
            self.live_metrics = list(event.get("live_metrics", ()))
        elif kind == "resumed":
            step = event["from_step"]
            self.train = [row for row in self.train if row["step"] <= step]
            self.evals = [row for row in self.evals if row["step"] <= step]
        if kind in ("queued", "starting", "started", "resumed"):
            self.message = ""  # an old stop or crash message no longer describes the run
        if kind in ("started", "resumed", "train_begin"):
            self.status = "running"
        elif kind in ("queued", "starting"):
            self.status = kind
        elif kind == "stopping":
            self.status = "stopping"
        elif kind in ENDED:
            self.status = kind
            self.message = event.get("message", "")
        if kind != "progress":
            self.log_events.append(event)


def _ends_without_newline(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) != b"\n"


def load_history(run_dir: str | Path) -> History:
    history = History()
    events, history.offset = EventLog(run_dir).read(0)
    history.update(events)
    return history
