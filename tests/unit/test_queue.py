"""RunManager's queue and owners, with stand-in children (no training): slots, order, cancel, one run per owner,
another owner's run answering like an unknown one, and resume confined to the run's own checkpoints."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.config import RunConfig
from engine.errors import RunError
from engine.runs.events import EventLog, load_history
from engine.runs.manager import RunManager


class FakeChild:
    """Stands in for a training process: alive until `end()`."""

    pid = 0

    def __init__(self) -> None:
        self.running = True

    def poll(self) -> int | None:
        return None if self.running else 0

    def end(self) -> None:
        self.running = False


@pytest.fixture()
def manager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RunManager:
    manager = RunManager(tmp_path / "runs", max_running=1, runs_per_owner=1)

    def spawn(record: Any) -> None:  # what _spawn records, without a process
        manager._children[record.id] = FakeChild()
        manager.store.update(record.id, status="running", pid=None)

    monkeypatch.setattr(manager, "_spawn", spawn)
    return manager


def _finish(manager: RunManager, run_id: str, status: str = "finished") -> None:
    """The child's last word and exit, as a real run ends."""
    EventLog(manager.store.get(run_id).run_dir).append(status)
    manager._children[run_id].end()


def test_one_slot_runs_one_and_queues_the_rest_in_order(manager: RunManager) -> None:
    first = manager.start(RunConfig(name="first"), owner="browser:a")
    second = manager.start(RunConfig(name="second"), owner="browser:b")
    third = manager.start(RunConfig(name="third"), owner="browser:c")
    assert [first.status, second.status, third.status] == ["running", "queued", "queued"]
    assert manager.queue_position(second.id) == (1, 2) and manager.queue_position(third.id) == (2, 2)
    assert manager.queue_position(first.id) is None
    assert load_history(second.run_dir).status == "queued"

    _finish(manager, first.id)
    manager.dispatch()
    assert manager.get(first.id).status == "finished"
    assert manager.get(second.id).status == "running"  # first come, first served
    assert manager.queue_position(third.id) == (1, 1)


def test_a_queued_run_can_be_cancelled(manager: RunManager) -> None:
    running = manager.start(RunConfig(), owner="browser:a")
    waiting = manager.start(RunConfig(), owner="browser:b")
    manager.stop(waiting.id, owner="browser:b")
    assert manager.get(waiting.id).status == "cancelled"
    assert load_history(waiting.run_dir).status == "cancelled"
    _finish(manager, running.id)
    manager.dispatch()
    assert manager.get(waiting.id).status == "cancelled"  # never started
    assert waiting.id not in manager._children


def test_an_owner_cannot_start_a_second_run_while_one_is_queued_or_running(manager: RunManager) -> None:
    manager.start(RunConfig(name="mine"), owner="browser:a")
    with pytest.raises(RunError, match="already have a run training"):
        manager.start(RunConfig(), owner="browser:a")
    other = manager.start(RunConfig(), owner="browser:b")
    with pytest.raises(RunError, match="waiting in the queue"):
        manager.start(RunConfig(), owner="browser:b")
    assert len(manager.list()) == 2  # the refused starts left nothing behind
    manager.stop(other.id, owner="browser:b")
    assert manager.start(RunConfig(), owner="browser:b").status == "queued"  # free again


def test_another_owners_run_cannot_be_seen_stopped_or_resumed(manager: RunManager) -> None:
    run = manager.start(RunConfig(), owner="browser:a")
    unknown_id = "20990101-000000-abcdef"
    for action in (lambda i: manager.get(i, "browser:b"), lambda i: manager.stop(i, "browser:b"),
                   lambda i: manager.resume(i, "/etc", "browser:b"), lambda i: manager.config(i, "browser:b")):
        with pytest.raises(RunError) as foreign:
            action(run.id)
        with pytest.raises(RunError) as unknown:
            action(unknown_id)
        assert str(foreign.value).replace(run.id, "ID") == str(unknown.value).replace(unknown_id, "ID")
    assert manager.list("browser:b") == []
    assert manager.get(run.id).status == "running"  # untouched


def _stopped_with_checkpoints(manager: RunManager, steps: tuple[int, ...]) -> Any:
    run = manager.start(RunConfig(), owner="browser:a")
    for step in steps:
        folder = Path(run.run_dir) / "checkpoints" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / "trainer_state.json").write_text('{"global_step": %d}' % step, encoding="utf-8")
    _finish(manager, run.id, "stopped")
    manager.refresh()
    return run


def test_resume_takes_only_the_runs_own_checkpoints(manager: RunManager, tmp_path: Path) -> None:
    run = _stopped_with_checkpoints(manager, (5, 10))
    elsewhere = tmp_path / "checkpoint-5"  # same name, another folder
    elsewhere.mkdir()
    answers = []
    for checkpoint in ("/etc", str(tmp_path), "/no/such/folder", str(elsewhere), "checkpoint-7"):
        with pytest.raises(RunError) as info:
            manager.resume(run.id, checkpoint, "browser:a")
        answers.append(str(info.value).split("'")[2])  # the sentence around the quoted name
    assert len(set(answers)) == 1  # existing or not, a folder outside the run gets the same answer
    assert manager.get(run.id).status == "stopped"  # nothing was queued or marked failed

    resumed = manager.resume(run.id, "checkpoint-5", "browser:a")
    assert resumed.status == "running"
    assert manager.store.get(run.id).resume_from == str(Path(run.run_dir) / "checkpoints" / "checkpoint-5")


def test_resume_by_path_and_last(manager: RunManager) -> None:
    run = _stopped_with_checkpoints(manager, (5, 10))
    own = Path(run.run_dir) / "checkpoints" / "checkpoint-10"
    assert manager.resume(run.id, str(own), "browser:a").resume_from == str(own)
    _finish(manager, run.id, "stopped")
    assert manager.resume(run.id, "", "browser:a").resume_from == "last"
