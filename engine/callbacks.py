"""Trainer callbacks: they read `state`/`logs`, append events, and change only `control`."""
from __future__ import annotations

import math
import signal
import threading
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from engine.runs.events import EventLog
from engine.runs.layout import STOP_FILE

PROGRESS_EVERY_S = 0.5   # the UI polls every second; twice that rate keeps the bar fresh


def _finite(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items()
            if isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))}


class EventCallback(TrainerCallback):
    """Turns Trainer logs into events: log, eval, progress, checkpoint."""

    def __init__(self, log: EventLog, effective_batch: int):
        self.log = log
        self.effective_batch = effective_batch
        self._start = time.monotonic()
        self._first_step = 0
        self._last_progress = 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._start = time.monotonic()
        self._first_step = state.global_step
        self.log.append("train_begin", max_steps=state.max_steps, epochs=args.num_train_epochs,
                        step=state.global_step, effective_batch=self.effective_batch)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY_S or state.global_step >= state.max_steps:
            self._last_progress = now
            self.log.append("progress", **self.progress(state, now))

    def progress(self, state: Any, now: float) -> dict[str, float]:
        elapsed = now - self._start
        done = state.global_step - self._first_step
        steps_per_s = done / elapsed if elapsed > 0 else 0.0
        remaining = max(state.max_steps - state.global_step, 0)
        return {"step": state.global_step, "max_steps": state.max_steps, "epoch": state.epoch or 0.0,
                "elapsed_s": round(elapsed, 2), "samples_per_s": round(steps_per_s * self.effective_batch, 2),
                "eta_s": round(remaining / steps_per_s, 1) if steps_per_s else None}

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        logs = _finite(logs or {})
        where = {"step": state.global_step, "epoch": round(state.epoch or 0.0, 4)}
        if "loss" in logs:
            self.log.append("log", values={**where, **logs})
        elif any(k.startswith("eval_") for k in logs):
            self.log.append("eval", values={**where, **logs})
        elif "train_runtime" in logs:
            self.log.append("train_summary", values={**where, **logs})

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # Early stopping and Stop end between throttled progress events; the bar must show where.
        self.log.append("progress", **self.progress(state, time.monotonic()))

    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.log.append("checkpoint", step=state.global_step)


class StopCallback(TrainerCallback):
    """Cooperative stop: a STOP file in the run dir or SIGTERM ends training after the current step.

    The Trainer then saves a checkpoint, so a stopped run keeps its work and can be resumed.
    """

    def __init__(self, run_dir: str | Path, log: EventLog):
        self.stop_file = Path(run_dir) / STOP_FILE
        self.log = log
        self.requested = False
        if threading.current_thread() is threading.main_thread():  # signals can only be caught there
            signal.signal(signal.SIGTERM, self._on_signal)

    def _on_signal(self, signum: int, frame: Any) -> None:
        self.requested = True

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not self.requested and self.stop_file.exists():
            self.requested = True
        if self.requested and not control.should_training_stop:
            self.log.append("stopping", step=state.global_step)
            control.should_training_stop = True
            # With the epoch strategy the Trainer's epoch-end pass, which still runs after a stop, saves
            # (and evaluates); saving here as well would write the same checkpoint twice.
            control.should_save = args.save_strategy == "steps"
