"""engine.runs.events: the append-only event log, incremental reads and the History folded from it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.messages import Message
from engine.runs.events import EVENTS_FILE, TERMINAL, EventLog, History, load_history
from engine.runs.narrate import narrate


def test_read_by_offset_returns_only_new_events(tmp_path: Path) -> None:
    log = EventLog(tmp_path)
    assert log.read(0) == ([], 0)  # no file yet
    log.append("started", pid=1)
    log.append("log", values={"step": 1, "loss": 0.9})
    events, offset = log.read(0)
    assert [e["kind"] for e in events] == ["started", "log"]
    assert offset == (tmp_path / EVENTS_FILE).stat().st_size
    assert log.read(offset) == ([], offset)
    log.append("finished", best_metric=0.8)
    new, offset2 = log.read(offset)
    assert [e["kind"] for e in new] == ["finished"]
    assert new[0]["best_metric"] == 0.8
    assert offset2 > offset


def test_events_carry_time_and_survive_unicode_and_numpy(tmp_path: Path) -> None:
    import numpy as np

    log = EventLog(tmp_path)
    event = log.append("model_ready", labels=["正面", "负面"], total=np.int64(5), loss=np.float32(0.5))
    (read,), _ = log.read()
    assert read["labels"] == ["正面", "负面"]
    assert read["total"] == 5 and read["loss"] == 0.5
    assert read["time"] == pytest.approx(event["time"])


def test_half_written_line_waits_until_complete(tmp_path: Path) -> None:
    log = EventLog(tmp_path)
    log.append("started")
    _, offset = log.read(0)
    line = json.dumps({"kind": "log", "time": 1.0, "values": {"step": 1, "loss": 0.5, "note": "ünï"}},
                      ensure_ascii=False).encode("utf-8") + b"\n"
    cut = line.index("ü".encode("utf-8")) + 1  # stop inside a multi-byte character, as a writer might
    with open(log.path, "ab") as fh:
        fh.write(line[:cut])
    assert log.read(offset) == ([], offset)
    with open(log.path, "ab") as fh:
        fh.write(line[cut:])
    events, end = log.read(offset)
    assert [e["values"]["note"] for e in events] == ["ünï"]
    assert end == log.path.stat().st_size


def _event(kind: str, **data: object) -> dict:
    return {"kind": kind, "time": 1_700_000_000.0, **data}


def test_history_folds_logs_evals_and_progress() -> None:
    history = History()
    assert history.status == "starting"
    changed = history.update([
        _event("started", pid=1),
        _event("train_begin", max_steps=6),
        _event("log", values={"step": 2, "loss": 0.7}),
        _event("progress", step=2, max_steps=6),
        _event("log", values={"step": 4, "loss": 0.5}),
        _event("eval", values={"step": 4, "eval_loss": 0.6, "eval_accuracy": 0.75}),
        _event("progress", step=4, max_steps=6),
    ])
    assert changed
    assert [r["loss"] for r in history.train] == [0.7, 0.5]
    assert history.evals == [{"step": 4, "eval_loss": 0.6, "eval_accuracy": 0.75}]
    assert history.progress["step"] == 4  # only the latest progress is kept
    assert history.status == "running"
    assert len(history.log_events) == 5  # progress events are not log lines
    assert history.update([]) is False


def test_resumed_event_drops_rows_after_its_step() -> None:
    history = History()
    history.update([_event("log", values={"step": s, "loss": 1 / s}) for s in (2, 4, 6, 8)])
    history.update([_event("eval", values={"step": s, "eval_loss": 0.1}) for s in (4, 8)])
    history.update([_event("interrupted", message="died"), _event("started"), _event("resumed", from_step=4)])
    assert [r["step"] for r in history.train] == [2, 4]
    assert [r["step"] for r in history.evals] == [4]
    assert history.status == "running"
    history.update([_event("log", values={"step": 6, "loss": 0.2})])
    assert [r["step"] for r in history.train] == [2, 4, 6]


@pytest.mark.parametrize("kind", TERMINAL)
def test_terminal_events_set_status_and_message(kind: str) -> None:
    history = History()
    history.update([_event("started"), _event(kind, message="why it ended" if kind == "failed" else "")])
    assert history.status == kind
    if kind == "failed":
        assert history.message == "why it ended"


def test_interrupted_status_and_restart() -> None:
    history = History()
    history.update([_event("started"), _event("interrupted", message="The training process ended unexpectedly")])
    assert history.status == "interrupted"
    assert "unexpectedly" in history.message
    history.update([_event("started")])
    assert history.status == "running"


def test_load_history_reads_the_whole_log(tmp_path: Path) -> None:
    log = EventLog(tmp_path)
    log.append("started")
    log.append("log", values={"step": 1, "loss": 0.3})
    log.append("failed", message="The data has no column 'text'.")
    history = load_history(tmp_path)
    assert history.status == "failed"
    assert history.message == "The data has no column 'text'."
    assert history.offset == log.path.stat().st_size
    assert len(history.train) == 1


def test_narrate_gives_readable_lines_in_both_languages() -> None:
    assert narrate(_event("log", values={"step": 5, "loss": 0.123456})).endswith("step 5: loss 0.1235")
    assert narrate(_event("log", values={"step": 5, "loss": 0.123456}), "zh").endswith("第 5 步：损失 0.1235")
    scores = {"step": 10, "eval_loss": 0.5, "eval_accuracy": 0.875, "eval_runtime": 0.3, "epoch": 1.0}
    assert narrate(_event("eval", values=scores)).endswith("evaluation at step 10: loss 0.5000, accuracy 0.8750")
    assert narrate(_event("eval", values=scores), "zh").endswith("第 10 步评估：损失 0.5000，准确率 0.8750")
    failed = _event("failed", message={"en": "Out of memory.", "zh": "内存不足。"})
    assert narrate(failed).endswith("failed: Out of memory.")
    assert narrate(failed, "zh").endswith("失败：内存不足。")
    assert narrate(_event("failed", message="An old English-only reason.")).endswith("An old English-only reason.")
    assert narrate(_event("model_ready", trainable=1000, total=2000)).endswith(
        "model ready: 1,000 of 2,000 parameters train")
    assert narrate(_event("data_ready", rows={"train": 80, "validation": 10, "test": 10}), "zh").endswith(
        "数据就绪：训练 80 行，验证 10 行，测试 10 行")
    stamp = narrate(_event("started")).split(" ")[0]
    assert len(stamp) == 8 and stamp.count(":") == 2  # HH:MM:SS


def test_messages_in_events_are_stored_in_every_language(tmp_path: Path) -> None:
    EventLog(tmp_path).append("interrupted", message=Message("runs.interrupted"))
    (event,) = EventLog(tmp_path).read()[0]
    assert set(event["message"]) == {"en", "zh"} and "unexpectedly" in event["message"]["en"]


def test_a_torn_line_is_skipped_and_the_next_event_survives(tmp_path: Path) -> None:
    log = EventLog(tmp_path)
    log.append("started")
    with open(tmp_path / EVENTS_FILE, "a", encoding="utf-8") as fh:
        fh.write('{"kind": "log", "val')  # a process killed mid-write
    log.append("interrupted", message="gone")
    events, _ = log.read(0)
    assert [e["kind"] for e in events] == ["started", "interrupted"]
    assert load_history(tmp_path).status == "interrupted"


def test_restarting_clears_the_old_end_message() -> None:
    history = History()
    history.update([{"kind": "interrupted", "time": 0.0, "message": "ended unexpectedly"}])
    assert history.message
    history.update([{"kind": "starting", "time": 1.0}])
    assert history.status == "starting" and history.message == ""


def test_a_muted_log_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.train import is_main_process

    EventLog(tmp_path, muted=True).append("started")
    assert not (tmp_path / EVENTS_FILE).exists()
    monkeypatch.setenv("RANK", "1")
    assert not is_main_process()  # a second GPU process of a torchrun run stays quiet
    monkeypatch.setenv("RANK", "0")
    assert is_main_process()
