"""What keeps the engine as fast as a bare Trainer: the fused AdamW kernel, and no fsync for chatty events."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.config import TrainConfig
from engine.runs import events
from engine.runs.events import EventLog
from engine.tasks import get_task
from engine.train import optimizer_name, training_arguments


def test_adamw_runs_as_the_fused_kernel(run_config: Any, tmp_path: Path) -> None:
    from transformers import Trainer

    args = training_arguments(run_config(), get_task("text_classification"), tmp_path)
    assert args.optim == "adamw_torch_fused"
    optimizer_cls, kwargs = Trainer.get_optimizer_cls_and_kwargs(args)
    assert optimizer_cls.__name__ == "AdamW" and kwargs.get("fused") is True
    assert TrainConfig().optim == "adamw_torch"  # what the config says, and what it means: AdamW, fused


@pytest.mark.parametrize("name", ["adamw_torch_fused", "adafactor", "sgd"])
def test_other_optimizers_pass_through(name: str) -> None:
    assert optimizer_name(name) == name


def test_only_state_changing_events_are_forced_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    forced: list[int] = []
    monkeypatch.setattr(events.os, "fsync", lambda fd: forced.append(fd))
    log = EventLog(tmp_path)
    for _ in range(5):
        log.append("progress", step=1)
        log.append("log", values={"step": 1, "loss": 0.5})
    assert forced == []
    for kind in ("started", "eval", "checkpoint", "finished"):
        log.append(kind)
    assert len(forced) == 4
    # Every event is still one complete line that a reader sees at once, fsynced or not.
    read, _ = EventLog(tmp_path).read()
    assert [e["kind"] for e in read] == ["progress", "log"] * 5 + ["started", "eval", "checkpoint", "finished"]
