"""engine.estimate: a run's time from earlier runs of the same model and method, or from a short measurement."""
from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from engine import estimate as E
from engine.config import RunConfig, TrainConfig
from engine.errors import RunError
from engine.runs.events import EventLog
from engine.runs.store import RunStore


def past_run(root: Path, cfg: RunConfig, samples_per_s: float | None, status: str = "finished",
             created: float | None = None) -> Any:
    """A run folder as training leaves it: config.yaml and events.jsonl with the Trainer's train_summary."""
    store = RunStore(root)
    record = store.create(cfg.name, cfg.task, cfg.model.name_or_path, cfg.method.kind)
    cfg.save(Path(record.run_dir) / "config.yaml")
    log = EventLog(record.run_dir)
    log.append("train_begin", max_steps=10, step=0, effective_batch=cfg.train.train_batch_size)
    if samples_per_s is not None:
        log.append("train_summary", values={"step": 10, "train_runtime": 12.0,
                                            "train_samples_per_second": samples_per_s})
    store.update(record.id, status=status, **({"created": created} if created else {}))
    return store.get(record.id)


def with_train(cfg: RunConfig, **changes: Any) -> RunConfig:
    return dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, **changes))


def with_length(cfg: RunConfig, max_length: int) -> RunConfig:
    return dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, max_length=max_length))


def test_samples_to_train_counts_rows_times_epochs_or_steps_times_effective_batch() -> None:
    assert E.samples_to_train(TrainConfig(num_train_epochs=3), 200) == 600
    assert E.samples_to_train(TrainConfig(num_train_epochs=0.5), 200) == 100
    steps = TrainConfig(max_steps=40, train_batch_size=8, gradient_accumulation_steps=2)
    assert E.samples_to_train(steps, 200) == 40 * 16


def test_time_from_earlier_runs_of_the_same_model_and_method(tmp_path: Path,
                                                             run_config: Callable[..., RunConfig]) -> None:
    cfg = run_config()
    runs = [past_run(tmp_path, cfg, 40.0), past_run(tmp_path, cfg, 60.0), past_run(tmp_path, cfg, 50.0),
            past_run(tmp_path, dataclasses.replace(cfg, method=dataclasses.replace(cfg.method, kind="lora")), 500.0),
            past_run(tmp_path, cfg, None, status="failed")]   # failed before training: no speed to read
    estimate = E.estimate_time(cfg, train_rows=60, runs=runs, root=tmp_path)
    assert estimate.speed == E.Speed(50.0, "history", runs=3, same_settings=True)   # the median; LoRA ignored
    assert estimate.samples == 60 * cfg.train.num_train_epochs
    assert estimate.seconds == pytest.approx(60 * 3 / 50.0)


def test_only_the_newest_runs_count(tmp_path: Path, run_config: Callable[..., RunConfig]) -> None:
    cfg = run_config()
    now = time.time()
    old = [past_run(tmp_path, cfg, 1.0, created=now - 1000 - i) for i in range(E.HISTORY_RUNS)]
    new = [past_run(tmp_path, cfg, 100.0, created=now - i) for i in range(E.HISTORY_RUNS)]
    speed = E.history_speed(cfg, old + new)
    assert (speed.samples_per_s, speed.runs) == (100.0, E.HISTORY_RUNS)


def test_other_settings_give_a_rough_figure_scaled_by_length_when_padding_to_max_length(
        tmp_path: Path, run_config: Callable[..., RunConfig]) -> None:
    padded = with_train(run_config(), padding="max_length")
    runs = [past_run(tmp_path / "padded", with_length(padded, 64), 30.0)]
    # Twice the tokens per sample: half the speed.
    assert E.history_speed(with_length(padded, 128), runs) == E.Speed(15.0, "history", runs=1, same_settings=False)
    # Dynamic padding: the texts, not the limit, set the cost, so the figure stays (and is marked rough).
    runs = [past_run(tmp_path / "dynamic", with_length(run_config(), 64), 30.0)]
    assert E.history_speed(with_length(run_config(), 128), runs) == E.Speed(30.0, "history", runs=1,
                                                                            same_settings=False)


def test_same_settings_are_preferred_over_other_settings(tmp_path: Path,
                                                         run_config: Callable[..., RunConfig]) -> None:
    cfg = run_config()
    runs = [past_run(tmp_path, with_train(cfg, train_batch_size=32), 90.0), past_run(tmp_path, cfg, 20.0)]
    assert E.history_speed(cfg, runs) == E.Speed(20.0, "history", runs=1, same_settings=True)


def test_runs_on_another_device_or_precision_do_not_count(tmp_path: Path,
                                                          run_config: Callable[..., RunConfig]) -> None:
    cfg = run_config()   # cpu, fp32
    elsewhere = with_train(cfg, device="cuda")
    # A config that cannot validate here (cuda on a CPU machine) is still a valid file of an earlier run.
    runs = [past_run(tmp_path, elsewhere, 900.0)]
    assert E.history_speed(cfg, runs) is None
    assert E.estimate_time(cfg, 60, runs, tmp_path) is None   # nothing known and no measuring asked


def test_measuring_while_anyones_run_trains_is_refused(tmp_path: Path, run_config: Callable[..., RunConfig],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.studio import Studio

    cfg = run_config()
    cfg.data.train_file = "demo:reviews_en"  # what a shared app may read
    studio = Studio(tmp_path / "runs", shared=True, model_roots=(cfg.model.name_or_path,))
    monkeypatch.setattr(studio.manager, "running_count", lambda: 1)  # someone else's run trains
    monkeypatch.setattr(E, "measure_speed", lambda *a, **k: pytest.fail("measured on a busy machine"))
    with pytest.raises(RunError, match="a run is training now"):
        studio.estimate_time(cfg, "browser:other", measure=True)


def test_a_finished_run_reports_the_speed_the_estimate_reads(trained_run: dict[str, Any]) -> None:
    """The real training child writes train_summary with train_samples_per_second: the history source works."""
    record, cfg = trained_run["record"], trained_run["cfg"]
    events, _ = EventLog(record.run_dir).read(0)
    summary = [e for e in events if e["kind"] == "train_summary"][-1]["values"]
    record = RunStore(trained_run["root"]).get(record.id)
    speed = E.history_speed(cfg, [record])
    assert speed.samples_per_s == summary["train_samples_per_second"] > 0
    # The run's own time, predicted from its own speed, is its training time.
    assert E.estimate_time(cfg, 60, [record], trained_run["root"]).seconds == pytest.approx(
        summary["train_runtime"], rel=0.05)


def test_measurement_trains_a_few_steps_in_a_child_and_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 run_config: Callable[..., RunConfig]) -> None:
    cfg = run_config()
    started = time.monotonic()
    speed = E.measure_speed(cfg, tmp_path, budget_s=15)
    took = time.monotonic() - started
    assert speed.source == "measured" and speed.samples_per_s > 0
    assert took < 15 + E.OVERTIME_S
    cache = json.loads((tmp_path / E.CACHE_FILE).read_text(encoding="utf-8"))
    assert cache[E.cache_key(cfg)]["steps"] >= E.MIN_MEASURED_STEPS
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("measure-")]   # its folder is cleaned up

    # Now known: no second child, and the estimate uses it.
    monkeypatch.setattr(E, "_run_child", lambda *a: pytest.fail("measured twice"))
    assert E.measure_speed(cfg, tmp_path) == speed
    estimate = E.estimate_time(cfg, 60, [], tmp_path)
    assert estimate.speed == speed and estimate.seconds == pytest.approx(180 / speed.samples_per_s)
    # Another batch size is another measurement.
    assert E.cached_speed(with_train(cfg, train_batch_size=16), tmp_path) is None
    # A measurement of these very settings beats earlier runs with other settings; the same settings beat both.
    rough = [past_run(tmp_path / "runs", with_train(cfg, train_batch_size=16), 1.0)]
    assert E.estimate_time(cfg, 60, rough, tmp_path).speed == speed
    same = [past_run(tmp_path / "runs", cfg, 2.0)]
    assert E.estimate_time(cfg, 60, rough + same, tmp_path).speed == E.Speed(2.0, "history", runs=1)


def test_asking_to_measure_measures_again_and_replaces_the_cached_figure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_config: Callable[..., RunConfig]) -> None:
    """A figure measured while the machine was busy must not stick: the button measures afresh."""
    cfg = run_config()
    same = [past_run(tmp_path / "runs", cfg, 2.0)]
    results = iter([{"samples_per_s": 3.0, "steps": 5}, {"samples_per_s": 90.0, "steps": 30}])
    monkeypatch.setattr(E, "_run_child", lambda *a: next(results))
    assert E.estimate_time(cfg, 60, same, tmp_path, measure=True).speed == E.Speed(3.0, "measured")
    assert E.estimate_time(cfg, 60, same, tmp_path, measure=True).speed == E.Speed(90.0, "measured")
    assert E.cached_speed(cfg, tmp_path) == E.Speed(90.0, "measured")
    # Without asking, earlier runs with these very settings still come first.
    assert E.estimate_time(cfg, 60, same, tmp_path).speed == E.Speed(2.0, "history", runs=1)


def test_a_measurement_that_fails_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          run_config: Callable[..., RunConfig]) -> None:
    cfg = run_config()
    missing = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, name_or_path=str(tmp_path / "nowhere")))
    missing.save(tmp_path / "config.yaml")
    # The child's side, run here: the engine's own message goes to the result file.
    assert E._main([str(tmp_path / "config.yaml"), str(tmp_path / "result.json"), str(time.time() + 10)]) == 2
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert "nowhere" in result["error"]
    # The parent's side: it becomes a RunError that says why, and nothing is cached.
    monkeypatch.setattr(E, "_run_child", lambda *a: result)
    with pytest.raises(RunError, match="speed measurement failed: .*nowhere"):
        E.measure_speed(missing, tmp_path)
    monkeypatch.setattr(E, "_run_child", lambda *a: {})   # killed before it timed a step
    with pytest.raises(RunError, match="could not be measured"):
        E.measure_speed(missing, tmp_path)
    assert not (tmp_path / E.CACHE_FILE).exists()


def test_the_measurement_reads_the_uploads_of_the_person_asking(tmp_path: Path, reviews_csv: Path,
                                                                run_config: Callable[..., RunConfig]) -> None:
    from engine.data.uploads import UploadStore

    uploads = UploadStore(tmp_path / "uploads")
    reference = uploads.keep(reviews_csv, "someone")
    cfg = run_config()
    cfg = dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, train_file=reference))
    cfg.save(tmp_path / "config.yaml")
    # The child's side, run here: with the owner's uploads folder it trains and times a few steps...
    args = [str(tmp_path / "config.yaml"), str(tmp_path / "result.json"), str(time.time() + 30)]
    assert E._main([*args, str(uploads.folder("someone"))]) == 0
    assert json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))["samples_per_s"] > 0
    # ...and without it the reference resolves nowhere, which it says.
    args[1] = str(tmp_path / "refused.json")
    assert E._main(args) == 2
    assert json.loads((tmp_path / "refused.json").read_text(encoding="utf-8"))["error"]
