"""engine.runs.manager with real training children (`python -m engine train RUN_DIR`) on the tiny model:
start, stop, kill -9, app restart (reattach) and resume."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from engine.config import RunConfig
from engine.errors import RunError
from engine.runs.events import EventLog
from engine.runs.manager import RunManager
from engine.runs.store import RunStore

CHILD_TIMEOUT_S = 90  # a child imports torch and transformers (seconds on a busy 2-core machine), then trains


def _events(run_dir: str, kind: str | None = None) -> list[dict]:
    events = EventLog(run_dir).read()[0]
    return [e for e in events if kind is None or e["kind"] == kind]


def test_restart_settles_runs_whose_process_is_gone(tmp_path: Path) -> None:
    """No child needed: records that say "running" for a process that is gone, or that is not ours."""
    store = RunStore(tmp_path / "runs")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    stranger = subprocess.Popen(["sleep", "30"])  # alive, but not a training process (a reused pid)
    try:
        crashed, foreign, finished = (store.create(n, "text_classification", "m", "full") for n in "abc")
        for record, pid in ((crashed, dead_pid), (foreign, stranger.pid), (finished, dead_pid)):
            store.update(record.id, status="running", pid=pid)
            EventLog(record.run_dir).append("started", pid=pid)
        # this child wrote its last event but died before it could update the store
        EventLog(finished.run_dir).append("finished", best_metric=0.9, metric="f1_macro")

        manager = RunManager(tmp_path / "runs")
        assert manager.get(crashed.id).status == "interrupted"
        assert "resume" in manager.get(crashed.id).message
        assert manager.get(foreign.id).status == "interrupted"
        assert manager.get(finished.id).status == "finished"
        assert [e["kind"] for e in _events(crashed.run_dir)] == ["started", "interrupted"]
        assert manager.history(crashed.id).status == "interrupted"
        RunManager(tmp_path / "runs")  # a second restart does not mark it again
        assert [e["kind"] for e in _events(crashed.run_dir)] == ["started", "interrupted"]
        with pytest.raises(RunError, match="not running"):
            manager.stop(crashed.id)
    finally:
        stranger.kill()
        stranger.wait()


# --- one scenario with two real children, observed by the tests below ---------------------------------------
# Children cost seconds each (imports), so the runs share one scenario and run side by side:
#   run A (40 steps, checkpoint every 5): started, seen by a restarted app, killed with SIGKILL right after its
#                                         checkpoint at step 10 (so first, before it can finish), then resumed;
#   run B (100,000 steps): stopped through the manager once it has logged a step.

MAX_STEPS = 40


def _ended(manager: RunManager, run_id: str) -> bool:
    return manager.get(run_id).status not in ("created", "running")


def _complete_checkpoints(run_dir: str) -> list[int]:
    folder = Path(run_dir) / "checkpoints"
    return sorted(int(p.name.split("-")[1]) for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").exists())


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, run_config: Callable, wait_for: Callable) -> Any:
    root = tmp_path_factory.mktemp("manager") / "runs"
    app = RunManager(root, max_running=2)  # both train side by side
    seen: dict[str, Any] = {"root": root, "app": app}
    cfg_a = run_config(max_steps=MAX_STEPS, logging_steps=1, eval_strategy="steps", save_strategy="steps",
                       eval_steps=5, save_steps=5)
    cfg_b = run_config(max_steps=100_000, logging_steps=5, eval_strategy="no", save_strategy="steps",
                       save_steps=50_000, load_best_model_at_end=False)
    try:
        a, b = seen["a"], seen["b"] = app.start(cfg_a), app.start(cfg_b)
        seen["cfg_a"] = cfg_a
        # The app restarts while both children run: the new manager must find them alive.
        seen["after_restart"] = {r.id: r.status for r in RunManager(root).list()}

        wait_for(lambda: any(e["step"] >= 10 for e in _events(a.run_dir, "checkpoint")), CHILD_TIMEOUT_S, 0.05,
                 "run A's checkpoint at step 10")
        os.kill(a.pid, signal.SIGKILL)
        wait_for(lambda: _ended(app, a.id), 10, 0.05, "the kill to be noticed")
        seen["killed"] = app.get(a.id)
        seen["killed_history"] = app.history(a.id)
        seen["killed_after_restart"] = RunManager(root).get(a.id).status
        seen["complete_checkpoints"] = _complete_checkpoints(a.run_dir)
        # A kill during a save leaves a folder without trainer_state.json; resuming must skip it, not crash.
        partial = Path(a.run_dir) / "checkpoints" / f"checkpoint-{max(seen['complete_checkpoints']) + 5}"
        partial.mkdir(exist_ok=True)
        (partial / "config.json").write_text("{}", encoding="utf-8")
        seen["resumed_record"] = app.resume(a.id)

        wait_for(lambda: app.history(b.id).train, CHILD_TIMEOUT_S, 0.1, "run B's first logged step")
        try:
            app.resume(b.id)
        except RunError as exc:
            seen["resume_running_error"] = str(exc)
        seen["stop_asked"] = time.time()
        app.stop(b.id)

        wait_for(lambda: _ended(app, b.id), CHILD_TIMEOUT_S, 0.1, "run B to stop")
        wait_for(lambda: _ended(app, a.id), CHILD_TIMEOUT_S, 0.1, "run A to finish after resuming")
        yield seen
    finally:
        for child in app._children.values():  # never leave a training child behind
            if child.poll() is None:
                child.kill()
            child.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_start_spawns_a_child_that_writes_events_and_finishes(scenario: dict[str, Any]) -> None:
    app, a = scenario["app"], scenario["a"]
    assert a.status == "running" and a.pid
    assert RunConfig.load(Path(a.run_dir) / "config.yaml") == scenario["cfg_a"]
    kinds = [e["kind"] for e in _events(a.run_dir) if e["kind"] != "progress"]
    # "starting": the manager's word, before the child speaks (a free slot: it never waited in the queue)
    assert kinds[:5] == ["starting", "started", "data_ready", "model_ready", "train_begin"]
    assert kinds[-3:] == ["train_summary", "test", "finished"]
    assert _events(a.run_dir, "started")[0]["pid"] == a.pid  # written by the child we spawned
    final = app.get(a.id)
    assert final.status == "finished", app.log_tail(a.id)
    assert final.best_metric is not None and final.finished is not None
    assert app.history(a.id).status == "finished"
    assert "loss" in app.log_tail(a.id)  # the child's output went to train.log, not to a pipe


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_restarted_app_reattaches_to_live_runs(scenario: dict[str, Any]) -> None:
    assert scenario["after_restart"] == {scenario["a"].id: "running", scenario["b"].id: "running"}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_stop_ends_a_running_run_quickly(scenario: dict[str, Any]) -> None:
    app, b = scenario["app"], scenario["b"]
    assert "still running" in scenario["resume_running_error"]
    assert app.get(b.id).status == "stopped", app.log_tail(b.id)
    assert app.history(b.id).status == "stopped"
    (stopping,) = _events(b.run_dir, "stopping")
    assert stopping["time"] - scenario["stop_asked"] < 5, "the stop request waited more than a few steps"
    assert stopping["step"] < 100_000
    # the stop saved a checkpoint where it stopped (save_steps alone would have waited for step 50,000)
    assert [e["step"] for e in _events(b.run_dir, "checkpoint")] == [stopping["step"]]
    assert _complete_checkpoints(b.run_dir) == [stopping["step"]]
    assert (Path(b.run_dir) / "model" / "labels.json").is_file()
    assert [e["kind"] for e in _events(b.run_dir)][-1] == "stopped"
    with pytest.raises(RunError, match="not running"):
        app.stop(b.id)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_kill_9_marks_the_run_interrupted(scenario: dict[str, Any]) -> None:
    killed = scenario["killed"]
    assert killed.status == "interrupted" and "unexpectedly" in killed.message
    assert scenario["killed_history"].status == "interrupted"
    assert scenario["killed_after_restart"] == "interrupted"
    assert len(_events(scenario["a"].run_dir, "interrupted")) == 1


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_resume_continues_from_the_last_complete_checkpoint(scenario: dict[str, Any]) -> None:
    a = scenario["a"]
    last = max(scenario["complete_checkpoints"])
    assert 10 <= last < MAX_STEPS
    assert scenario["resumed_record"].status == "running"
    events = _events(a.run_dir)
    (resumed,) = [e for e in events if e["kind"] == "resumed"]
    assert resumed["from_step"] == last  # not the half-written checkpoint after it
    logged_after = [e["values"]["step"] for e in events[events.index(resumed):] if e["kind"] == "log"]
    assert logged_after == list(range(last + 1, MAX_STEPS + 1))
    history = scenario["app"].history(a.id)
    assert [row["step"] for row in history.train] == list(range(1, MAX_STEPS + 1))  # none twice, none missing
    assert [row["step"] for row in history.evals] == list(range(5, MAX_STEPS + 1, 5))
    begins = [(e["step"], e["max_steps"]) for e in events if e["kind"] == "train_begin"]
    assert begins == [(0, MAX_STEPS), (last, MAX_STEPS)]


def test_resume_is_refused_for_finished_runs_and_runs_without_checkpoints(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    finished, bare = (store.create(n, "text_classification", "m", "full") for n in "ab")
    store.update(finished.id, status="finished")
    store.update(bare.id, status="stopped")
    manager = RunManager(tmp_path / "runs")
    with pytest.raises(RunError, match="finished"):
        manager.resume(finished.id)
    with pytest.raises(RunError, match="no checkpoint"):
        manager.resume(bare.id)
    assert store.get(bare.id).status == "stopped"  # nothing was spawned, nothing changed
