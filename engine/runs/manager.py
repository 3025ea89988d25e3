"""RunManager: queues runs, starts training in child processes, stops them, and reattaches after a restart.

The machine trains a bounded number of runs at once (one per GPU, or one on a CPU-only machine); later
runs wait as `queued`, first come first served, and start as slots free up. Every run has an owner, and
an owner may have a bounded number of runs queued or training at once (a double click must not start
two runs that each train at half speed).

The child writes its output to files in the run dir and never to a pipe we would have to read:
a pipe nobody drains fills up and freezes training when the browser tab goes away.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import psutil

from engine.config import RunConfig
from engine.errors import RunError
from engine.hardware import check_hardware
from engine.messages import Message, pick_text, register_messages
from engine.owners import LOCAL_OWNER
from engine.runs.events import TERMINAL, EventLog, History, load_history
from engine.runs.layout import CHECKPOINT_DIR, CONFIG_FILE, LOG_FILE, STOP_FILE
from engine.runs.store import ACTIVE, WAITING, RunRecord, RunStore
from engine.tasks import get_task

REPO_ROOT = Path(__file__).resolve().parents[2]
DISPATCH_EVERY_S = 2.0

register_messages({
    "runs.still_running": ("This run is still running; stop it before resuming.",
                           "这个运行仍在训练；请先停止再继续训练。"),
    "runs.finished_no_resume": ("This run finished; start a new run to train again.",
                                "这个运行已经完成；要再次训练请开始一个新的运行。"),
    "runs.no_checkpoint": ("This run saved no checkpoint before it ended, so it cannot resume; start it again.",
                           "这个运行结束前没有保存检查点，无法继续训练；请重新开始。"),
    "runs.no_such_checkpoint": ("This run has no checkpoint '{checkpoint}'. Choose one of its checkpoints, or "
                                "'last'.", "这个运行没有名为“{checkpoint}”的检查点。请选择它的某个检查点，或选择“最新”。"),
    "runs.not_running": ("The run is not running (it is {status}).", "这个运行不在训练中（当前状态：{status}）。"),
    "runs.owner_busy": ("You already have a run {status} ('{name}'); stop it or wait until it ends before starting "
                        "another.", "你已有一个{status}的运行（“{name}”）；请先停止它或等它结束，再开始新的运行。"),
    "runs.status_queued": ("waiting in the queue", "正在排队"),
    "runs.status_running": ("training", "正在训练"),
    "runs.interrupted": ("The training process ended unexpectedly; resume it from its last checkpoint.",
                         "训练进程意外结束；可以从最近的检查点继续训练。"),
    "runs.cancelled": ("Cancelled while waiting in the queue.", "在排队时被取消。"),
    "runs.queued": ("Waiting for a free training slot: {running} of {slots} in use.",
                    "正在等待空闲的训练位置：{slots} 个中已用 {running} 个。"),
})


def default_runs_root() -> Path:
    return Path(os.environ.get("TUNEBENCH_RUNS", REPO_ROOT / "runs"))


def default_slots() -> int:
    """How many runs train at once: one per GPU, or one on a CPU (two would each run at half speed)."""
    import torch

    return max(1, torch.cuda.device_count())


class RunManager:
    def __init__(self, root: str | Path | None = None, max_running: int | None = None,
                 runs_per_owner: int | None = None):
        """max_running: training slots (default: one per GPU, else one). runs_per_owner: how many runs one
        owner may have queued or training at once (None: no limit)."""
        self.store = RunStore(root or default_runs_root())
        self.max_running = max_running
        self.runs_per_owner = runs_per_owner
        self._children: dict[str, subprocess.Popen] = {}
        self._gpus: dict[str, int] = {}  # run id -> the GPU its child was given
        self._lock = threading.RLock()   # start, dispatch and settling must not interleave
        self.refresh()

    # starting and queueing ----------------------------------------------------------------------------
    def start(self, cfg: RunConfig, owner: str = LOCAL_OWNER) -> RunRecord:
        get_task(cfg.task).check_config(cfg)  # refuse bad settings before anything is written
        check_hardware(cfg.train.device, cfg.train.precision)
        with self._lock:
            self._check_owner_free(owner)
            record = self.store.create(cfg.name, cfg.task, cfg.model.name_or_path, cfg.method.kind, owner)
            cfg.save(Path(record.run_dir) / CONFIG_FILE)
            self._enqueue(record, "")
        return self.store.get(record.id)

    def resume(self, run_id: str, checkpoint: str = "", owner: str | None = None) -> RunRecord:
        """Queue a stopped or interrupted run to continue from `checkpoint` (a checkpoint of this run, by
        folder name or path; "" or "last" = the newest complete one)."""
        with self._lock:
            record = self.get(run_id, owner)
            if record.status in ACTIVE + WAITING:
                raise RunError("runs.still_running")
            if record.status == "finished":
                raise RunError("runs.finished_no_resume")
            target = self._resume_target(record, checkpoint)
            self._check_owner_free(record.owner)
            (Path(record.run_dir) / STOP_FILE).unlink(missing_ok=True)
            self._enqueue(record, target)
        return self.store.get(run_id)

    def _resume_target(self, record: RunRecord, checkpoint: str) -> str:
        complete = complete_checkpoints(record.run_dir)
        if not complete:
            raise RunError("runs.no_checkpoint")
        if checkpoint in ("", "last"):
            return "last"
        # Only this run's own complete checkpoints, by name or by their own path: anything else gets the same
        # answer whether it exists or not, so the question cannot probe the server's folders.
        name = Path(checkpoint).name
        chosen = {path.name: path for path in complete}.get(name)
        named_by_path = checkpoint != name
        if chosen is None or (named_by_path and Path(checkpoint).resolve() != chosen.resolve()):
            raise RunError("runs.no_such_checkpoint", checkpoint=name)
        return str(chosen)

    def _check_owner_free(self, owner: str) -> None:
        if self.runs_per_owner is None:
            return
        busy = [r for r in self.list(owner) if r.status in ACTIVE + WAITING]
        if len(busy) >= self.runs_per_owner:
            status = Message("runs.status_queued" if busy[0].status in WAITING else "runs.status_running")
            raise RunError("runs.owner_busy", status=status, name=busy[0].name)

    def _enqueue(self, record: RunRecord, resume_from: str) -> None:
        self.store.update(record.id, status="queued", resume_from=resume_from, pid=None, finished=None, message="")
        self.dispatch()
        if self.store.get(record.id).status == "queued":  # no free slot: the run's log says it waits
            EventLog(record.run_dir).append("queued", resume_from=resume_from)

    def dispatch(self) -> None:
        """Start queued runs while training slots are free."""
        with self._lock:
            self.refresh()
            slots = self.slots()
            for record in self.store.queued():
                if self.running_count() >= slots:
                    return
                if self.store.claim(record.id):
                    self._spawn(self.store.get(record.id))

    def slots(self) -> int:
        if self.max_running is None:
            self.max_running = default_slots()
        return self.max_running

    def running_count(self) -> int:
        return sum(1 for r in self.store.list() if r.status in ACTIVE and self._alive(r))

    def queue_position(self, run_id: str) -> tuple[int, int] | None:
        """(1-based place, length) of a queued run in the queue; None when it is not waiting."""
        waiting = [r.id for r in self.store.queued()]
        return (waiting.index(run_id) + 1, len(waiting)) if run_id in waiting else None

    def watch(self, every_s: float = DISPATCH_EVERY_S) -> threading.Event:
        """Dispatch in the background, so queued runs start even when no page is open to ask.
        Set the returned event to stop watching."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every_s):
                try:
                    self.dispatch()
                except Exception:  # noqa: BLE001 - a bad moment (a locked db) must not end the watcher
                    continue

        threading.Thread(target=loop, name="tunebench-dispatch", daemon=True).start()
        return stop

    def _spawn(self, record: RunRecord) -> None:
        extra = ["--resume", record.resume_from] if record.resume_from else []
        # Said at once: the child needs seconds of imports before it can speak for itself.
        EventLog(record.run_dir).append("starting", resuming=bool(extra))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                                        os.environ.get("PYTHONPATH")])))
        gpu = self._free_gpu()
        if gpu is not None:  # one run per GPU: each child sees only its own
            env["CUDA_VISIBLE_DEVICES"] = str(gpu)
        with open(Path(record.run_dir) / LOG_FILE, "ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "engine", "train", record.run_dir, *extra],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT, env=env,
                start_new_session=True)  # Ctrl+C on the app must not kill the training run
        self._children[record.id] = child
        if gpu is not None:
            self._gpus[record.id] = gpu
        self.store.update(record.id, status="running", pid=child.pid, finished=None, message="")

    def _free_gpu(self) -> int | None:
        if self.slots() < 2:
            return None
        taken = {gpu for run_id, gpu in self._gpus.items() if self._children[run_id].poll() is None}
        return next(i for i in range(self.slots()) if i not in taken)

    # stopping and settling -----------------------------------------------------------------------------
    def stop(self, run_id: str, owner: str | None = None) -> None:
        """Ask a training run to stop (it saves a checkpoint and ends within one step), or take a waiting
        run out of the queue."""
        with self._lock:
            record = self.get(run_id, owner)
            if record.status in WAITING:
                message = Message("runs.cancelled")
                self.store.update(record.id, status="cancelled", message=str(message))
                EventLog(record.run_dir).append("cancelled", message=message.texts())
                return
            if record.status not in ACTIVE:
                raise RunError("runs.not_running", status=record.status)
            (Path(record.run_dir) / STOP_FILE).touch()

    def refresh(self) -> None:
        """Reattach to live runs and mark runs whose process died without a last word as interrupted."""
        with self._lock:
            for record in self.store.list():
                if record.status in ACTIVE and not self._alive(record):
                    self._settle(record)

    def _settle(self, record: RunRecord) -> None:
        history = load_history(record.run_dir)
        if history.status in TERMINAL:
            self.store.update(record.id, status=history.status, message=pick_text(history.message, "en"))
            return
        message = Message("runs.interrupted")
        EventLog(record.run_dir).append("interrupted", message=message.texts())
        self.store.update(record.id, status="interrupted", message=str(message))

    def _alive(self, record: RunRecord) -> bool:
        child = self._children.get(record.id)
        if child is not None:
            return child.poll() is None
        return record.pid is not None and _pid_runs(record.pid)

    # reading ---------------------------------------------------------------------------------------------
    def list(self, owner: str | None = None) -> list[RunRecord]:
        """Runs newest first; with `owner`, only that owner's."""
        self.refresh()
        return self.store.list(owner)

    def get(self, run_id: str, owner: str | None = None) -> RunRecord:
        """A run; with `owner`, another owner's run answers exactly like an unknown id."""
        record = self.store.get(run_id, owner)
        if record.status in ACTIVE and not self._alive(record):
            with self._lock:
                self._settle(record)
            record = self.store.get(run_id)
        return record

    def history(self, run_id: str, owner: str | None = None) -> History:
        return load_history(self.store.get(run_id, owner).run_dir)

    def config(self, run_id: str, owner: str | None = None) -> RunConfig:
        return RunConfig.load(Path(self.store.get(run_id, owner).run_dir) / CONFIG_FILE)

    def log_tail(self, run_id: str, max_chars: int = 4000, owner: str | None = None) -> str:
        path = Path(self.store.get(run_id, owner).run_dir) / LOG_FILE
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
