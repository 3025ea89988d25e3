"""Devices and precisions: only what the machine runs is offered, and bf16 on a capable CPU really trains."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Callable

import pytest

from engine import hardware
from engine.errors import ConfigError
from engine.runs.events import load_history


def test_cpu_offers_bf16_exactly_when_it_has_bf16_instructions(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "cpu_has_bf16", lambda: False)
    assert hardware.supported_precisions("cpu") == ["fp32"]
    with pytest.raises(ConfigError) as info:
        hardware.check_precision("cpu", "bf16")
    assert info.value.field == "train.precision" and "fp32" in str(info.value)
    monkeypatch.setattr(hardware, "cpu_has_bf16", lambda: True)
    assert hardware.supported_precisions("cpu") == ["fp32", "bf16"]
    hardware.check_precision("cpu", "bf16")


def test_cpu_never_offers_fp16() -> None:
    assert "fp16" not in hardware.supported_precisions("cpu")
    assert hardware.available_devices()[:2] == ["auto", "cpu"]


@pytest.mark.skipif(not hardware.cpu_has_bf16(), reason="this CPU has no bf16 instructions")
def test_bf16_autocast_trains_on_a_capable_cpu(run_config: Callable[..., Any], tmp_path: Path,
                                               create_run: Callable[[Path, Any], Any]) -> None:
    from engine.train import run_training

    record = create_run(tmp_path / "runs", run_config(precision="bf16", max_steps=12))
    assert run_training(record.run_dir).status == "finished"
    losses = [row["loss"] for row in load_history(record.run_dir).train]
    assert losses and all(math.isfinite(v) for v in losses)


def test_a_device_the_machine_lacks_is_refused_before_a_run_exists(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.config import RunConfig, TrainConfig
    from engine.runs.manager import RunManager

    monkeypatch.setattr(hardware, "available_devices", lambda: ["auto", "cpu"])
    manager = RunManager(tmp_path / "runs")
    with pytest.raises(ConfigError) as info:
        manager.start(RunConfig(train=TrainConfig(device="cuda")))
    assert info.value.field == "train.device" and "no cuda device" in str(info.value)
    assert manager.list() == []  # refused, never silently trained on the CPU
