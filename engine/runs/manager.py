"""RunManager: starts training in child processes, stops them, and reattaches after a restart.

The child writes its output to files in the run dir and never to a pipe we would have to read:
a pipe nobody drains fills up and freezes training when the browser tab goes away.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil

from engine.config import RunConfig
from engine.errors import RunError
from engine.hardware import check_hardware
from engine.runs.events import TERMINAL, EventLog, History, load_history
from engine.runs.layout import CHECKPOINT_DIR, CONFIG_FILE, LOG_FILE, STOP_FILE
from engine.runs.store import ACTIVE, RunRecord, RunStore
from engine.tasks import get_task

REPO_ROOT = Path(__file__).resolve().parents[2]


def default_runs_root() -> Path:
    return Path(os.environ.get("TUNEBENCH_RUNS", REPO_ROOT / "runs"))


class RunManager:
    def __init__(self, root: str | Path | None = None):
        self.store = RunStore(root or default_runs_root())
        self._children: dict[str, subprocess.Popen] = {}
        self.refresh()

    def start(self, cfg: RunConfig) -> RunRecord:
        get_task(cfg.task).check_config(cfg)  # refuse bad settings before anything is written
        check_hardware(cfg.train.device, cfg.train.precision)
        record = self.store.create(cfg.name, cfg.task, cfg.model.name_or_path, cfg.method.kind)
        cfg.save(Path(record.run_dir) / CONFIG_FILE)
        self._spawn(record, [])
        return self.store.get(record.id)

    def resume(self, run_id: str, checkpoint: str = "") -> RunRecord:
        record = self.store.get(run_id)
        if record.status in ACTIVE and self._alive(record):
            raise RunError("This run is still running; stop it before resuming.")
        if record.status == "finished":
            raise RunError("This run finished; start a new run to train again.")
        if not checkpoint and not complete_checkpoints(record.run_dir):
            raise RunError("This run saved no checkpoint before it ended, so it cannot resume; start it again.")
        (Path(record.run_dir) / STOP_FILE).unlink(missing_ok=True)
        self._spawn(record, ["--resume", checkpoint or "last"])
        return self.store.get(run_id)

    def stop(self, run_id: str) -> None:
        """Ask the run to stop: it saves a checkpoint and ends within one training step."""
        record = self.store.get(run_id)
        if record.status not in ACTIVE:
            raise RunError(f"The run is not running (it is {record.status}).")
        (Path(record.run_dir) / STOP_FILE).touch()

    def _spawn(self, record: RunRecord, extra: list[str]) -> None:
        # Said at once: the child needs seconds of imports before it can speak for itself.
        EventLog(record.run_dir).append("starting", detail="resuming" if extra else "launching")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                                        os.environ.get("PYTHONPATH")])))
        with open(Path(record.run_dir) / LOG_FILE, "ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "engine", "train", record.run_dir, *extra],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env,
                start_new_session=True)  # Ctrl+C on the app must not kill the training run
        self._children[record.id] = child
        self.store.update(record.id, status="running", pid=child.pid, finished=None, message="")

    def refresh(self) -> None:
        """Reattach to live runs and mark runs whose process died without a last word as interrupted."""
        for record in self.store.list():
            if record.status in ACTIVE and not self._alive(record):
                self._settle(record)

    def _settle(self, record: RunRecord) -> None:
        history = load_history(record.run_dir)
        if history.status in TERMINAL:
            self.store.update(record.id, status=history.status, message=history.message)
            return
        message = "The training process ended unexpectedly; resume it from its last checkpoint."
        EventLog(record.run_dir).append("interrupted", message=message)
        self.store.update(record.id, status="interrupted", message=message)

    def _alive(self, record: RunRecord) -> bool:
        child = self._children.get(record.id)
        if child is not None:
            return child.poll() is None
        return record.pid is not None and _pid_runs(record.pid)

    def list(self) -> list[RunRecord]:
        self.refresh()
        return self.store.list()

    def get(self, run_id: str) -> RunRecord:
        record = self.store.get(run_id)
        if record.status in ACTIVE and not self._alive(record):
            self._settle(record)
            record = self.store.get(run_id)
        return record

    def history(self, run_id: str) -> History:
        return load_history(self.store.get(run_id).run_dir)

    def config(self, run_id: str) -> RunConfig:
        return RunConfig.load(Path(self.store.get(run_id).run_dir) / CONFIG_FILE)

    def log_tail(self, run_id: str, max_chars: int = 4000) -> str:
        path = Path(self.store.get(run_id).run_dir) / LOG_FILE
        return path.read_text(encoding="utf-8", errors="replace")[-max_chars:] if path.exists() else ""


def complete_checkpoints(run_dir: str | Path) -> list[Path]:
    """Checkpoints the Trainer finished writing, oldest first: a process killed while saving leaves a
    folder without trainer_state.json (written last), and resuming from it would fail."""
    folder = Path(run_dir) / CHECKPOINT_DIR
    found = {}
    for path in folder.glob("checkpoint-*") if folder.exists() else []:
        step = path.name.rsplit("-", 1)[1]
        if step.isdigit() and (path / "trainer_state.json").is_file():
            found[int(step)] = path
    return [found[step] for step in sorted(found)]


def _pid_runs(pid: int) -> bool:
    """True if `pid` is alive and is an engine training process (pids get reused)."""
    try:
        process = psutil.Process(pid)
        cmdline = " ".join(process.cmdline())
        return process.status() != psutil.STATUS_ZOMBIE and "engine" in cmdline and "train" in cmdline
    except psutil.Error:
        return False
