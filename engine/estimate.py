"""How long a run will take on this machine, said before it starts.

The speed (training samples per second) comes from one of two places, best first:
1. earlier runs of the same model and method here: the Trainer's own `train_samples_per_second` from their
   `train_summary` event. It counts the evaluations during training too, which the person waits for as well;
2. a short measurement: a few training steps of the real model on the real data in a child process
   (`python -m engine.estimate CONFIG RESULT DEADLINE [UPLOADS]`), time-boxed, and cached per model, method, max length,
   batch, padding, precision, device and data. Weights never load into the app process.
The time is then the samples the schedule trains (rows x epochs, or steps x effective batch) over that speed.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from engine.config import RunConfig, TrainConfig
from engine.errors import EngineError, RunError
from engine.messages import register_messages
from engine.runs.events import EventLog
from engine.runs.layout import CONFIG_FILE
from engine.runs.store import RunRecord
from engine.tasks import get_task

MEASURE_BUDGET_S = 20.0     # the whole measurement, the child's imports and model loading included
OVERTIME_S = 40.0           # a slow model or a busy machine may go this far over, to time its first few steps
WARMUP_STEPS = 1            # the first step allocates memory and warms caches: not timed
MEASURED_STEPS = 30         # enough for a steady figure; fewer when the budget runs out first
MIN_MEASURED_STEPS = 3      # fewer than this says too little, so the budget stretches into the overtime
HISTORY_RUNS = 5            # the newest matching runs speak; older ones may predate a faster setup
CACHE_FILE = "speed_cache.json"
MEASURING = threading.Lock()  # one measurement at a time: two at once slow each other and both come out low

register_messages({
    "estimate.busy": ("a run is training now; measure when it has ended, or the measurement would slow it down and "
                      "come out too low.",
                      "现在有运行正在训练；请等它结束后再测量，否则测量会拖慢训练，测出的速度也会偏低。"),
    "estimate.too_slow": ("the model did not finish {steps} timed training steps within {seconds:.0f} s, so its speed "
                          "could not be measured; expect a long run.",
                          "模型在 {seconds:.0f} 秒内没有完成 {steps} 个计时的训练步，无法测出速度；训练会很慢。"),
    "estimate.failed": ("the speed measurement failed: {reason}", "速度测量失败：{reason}"),
})


@dataclass(frozen=True)
class Speed:
    samples_per_s: float
    source: str              # "history" (earlier runs) or "measured"
    runs: int = 0            # how many earlier runs it comes from
    same_settings: bool = True  # False: the earlier runs had another max length, batch or data, so it is rough


@dataclass(frozen=True)
class TimeEstimate:
    seconds: float
    samples: float           # training samples the schedule goes through
    speed: Speed


def samples_to_train(train: TrainConfig, train_rows: int) -> float:
    """Samples a schedule trains: steps x effective batch, or rows x epochs (as the Trainer counts them)."""
    if train.max_steps > 0:
        return float(train.max_steps * train.train_batch_size * train.gradient_accumulation_steps)
    return float(train_rows * train.num_train_epochs)


def estimate_time(cfg: RunConfig, train_rows: int, runs: Iterable[RunRecord], root: str | Path,
                  measure: bool = False, uploads_dir: str | Path | None = None) -> TimeEstimate | None:
    """The run's training time from earlier runs with the same settings, else a cached measurement, else earlier
    runs with other settings (rough); None when none of these knows. With `measure`, from a fresh measurement,
    which also replaces the cached one (one taken while the machine was busy, say). `uploads_dir` holds the
    `upload:` files of the person asking (engine.data.uploads)."""
    runs = list(runs)
    if measure:
        speed: Speed | None = measure_speed(cfg, root, uploads_dir=uploads_dir, fresh=True)
    else:
        speed = history_speed(cfg, runs)
        if speed is None or not speed.same_settings:
            speed = cached_speed(cfg, root) or speed
    if speed is None:
        return None
    samples = samples_to_train(cfg.train, train_rows)
    return TimeEstimate(seconds=samples / speed.samples_per_s, samples=samples, speed=speed)


# earlier runs ------------------------------------------------------------------------------------------------
def history_speed(cfg: RunConfig, runs: Iterable[RunRecord]) -> Speed | None:
    """The median speed of the newest earlier runs of this model and method on the same device and precision.
    Runs with the same max length, batch, padding and data are preferred; without them, other settings of the
    same model give a rough figure."""
    same, other = [], []
    for record in sorted(runs, key=lambda r: r.created, reverse=True):
        if record.model != cfg.model.name_or_path or record.method != cfg.method.kind:
            continue
        earlier = _earlier_run(record)
        if earlier is None or _device_key(earlier[0]) != _device_key(cfg):
            continue
        past, samples_per_s = earlier
        if _shape_key(past) == _shape_key(cfg):
            same.append(samples_per_s)
            if len(same) == HISTORY_RUNS:
                break
        else:
            other.append(samples_per_s * _length_factor(past, cfg))
    chosen = same[:HISTORY_RUNS] or other[:HISTORY_RUNS]
    if not chosen:
        return None
    return Speed(statistics.median(chosen), "history", runs=len(chosen), same_settings=bool(same))


def _earlier_run(record: RunRecord) -> tuple[RunConfig, float] | None:
    """An earlier run's config and its last training speed, if it trained far enough to report one."""
    run_dir = Path(record.run_dir)
    try:
        cfg = RunConfig.load(run_dir / CONFIG_FILE)
        events, _ = EventLog(run_dir).read(0)
    except (EngineError, OSError):
        return None
    speeds = [e["values"].get("train_samples_per_second") for e in events if e["kind"] == "train_summary"]
    speeds = [s for s in speeds if isinstance(s, (int, float)) and s > 0]
    return (cfg, float(speeds[-1])) if speeds else None


def _length_factor(past: RunConfig, now: RunConfig) -> float:
    """Padding to max length, every sample costs max length tokens, and a small encoder's time grows about
    linearly with tokens (its dense layers dominate at these lengths), so speed scales inversely. With
    dynamic padding the cost follows the texts, not the limit, so nothing is scaled."""
    if past.train.padding == now.train.padding == "max_length":
        return past.model.max_length / now.model.max_length
    return 1.0


def _shape_key(cfg: RunConfig) -> tuple:
    """The settings a speed depends on. Columns count as the task reads them: a config that maps no column and
    one that maps each role to its own name (as the form writes it) read the same data."""
    columns = tuple(sorted((role.name, role.column(cfg)) for role in get_task(cfg.task).roles))
    return cfg.model.max_length, cfg.train.train_batch_size, cfg.train.padding, cfg.data.train_file, columns


def _device_key(cfg: RunConfig) -> tuple:
    return resolved_device(cfg.train.device), cfg.train.precision


def resolved_device(device: str) -> str:
    """What `auto` means on this machine, so an `auto` run and a `cuda` run on the same GPU compare."""
    if device != "auto":
        return device
    from engine.hardware import available_devices

    available = available_devices()
    return next((d for d in ("cuda", "mps") if d in available), "cpu")


# measurement ---------------------------------------------------------------------------------------------------
def cache_key(cfg: RunConfig) -> str:
    """What the speed depends on. The data counts too: with dynamic padding its text lengths set the cost."""
    return json.dumps({"model": cfg.model.name_or_path, "method": cfg.method.kind, "device": _device_key(cfg),
                       "shape": _shape_key(cfg)}, sort_keys=True, ensure_ascii=False)


def cached_speed(cfg: RunConfig, root: str | Path) -> Speed | None:
    entry = _read_cache(root).get(cache_key(cfg))
    return Speed(entry["samples_per_s"], "measured") if entry else None


def measure_speed(cfg: RunConfig, root: str | Path, budget_s: float = MEASURE_BUDGET_S,
                  uploads_dir: str | Path | None = None, fresh: bool = False) -> Speed:
    """Train a few steps of the real model in a child process and cache the speed; without `fresh`, a cached
    speed answers at once. It takes at most `budget_s` seconds when the model trains a few steps in that time,
    else up to OVERTIME_S more."""
    with MEASURING:
        cached = None if fresh else cached_speed(cfg, root)  # or someone measured it while this call waited
        if cached:
            return cached
        result = _run_child(cfg, Path(root), budget_s, uploads_dir)
        if "error" in result:
            raise RunError("estimate.failed", reason=result["error"])
        if not result.get("samples_per_s"):
            raise RunError("estimate.too_slow", steps=MIN_MEASURED_STEPS, seconds=budget_s + OVERTIME_S)
        _write_cache(root, cache_key(cfg), {"samples_per_s": result["samples_per_s"], "steps": result["steps"],
                                            "measured": time.time()})
        return Speed(result["samples_per_s"], "measured")


def _run_child(cfg: RunConfig, root: Path, budget_s: float, uploads_dir: str | Path | None) -> dict:
    from engine.runs.manager import REPO_ROOT

    root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="measure-", dir=root))
    try:
        cfg.save(folder / CONFIG_FILE)
        result = folder / "result.json"
        deadline = time.time() + budget_s
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])))
        # Output to a file, never a pipe: a pipe nobody drains can freeze the child.
        with open(folder / "measure.log", "wb") as log:
            command = [sys.executable, "-m", "engine.estimate", str(folder / CONFIG_FILE), str(result), str(deadline),
                       *([str(uploads_dir)] if uploads_dir else [])]
            child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=REPO_ROOT, env=env, start_new_session=True)
        try:
            child.wait(timeout=budget_s + OVERTIME_S)
        except subprocess.TimeoutExpired:  # still in imports or a slow step: what it measured so far is kept
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
        return json.loads(result.read_text(encoding="utf-8")) if result.exists() else {}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _read_cache(root: str | Path) -> dict[str, Any]:
    path = Path(root) / CACHE_FILE
    try:
        cache = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def _write_cache(root: str | Path, key: str, entry: dict) -> None:
    cache = _read_cache(root)
    cache[key] = entry
    _write_json(Path(root) / CACHE_FILE, cache)


def _write_json(path: Path, value: Any) -> None:
    """Write whole or not at all: a reader never sees half a file."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temp.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(temp, path)


# the child -----------------------------------------------------------------------------------------------------
def measure_in_this_process(config_path: str | Path, result_path: str | Path, deadline: float,
                            uploads_dir: str | Path | None = None) -> None:
    """Time WARMUP_STEPS + MEASURED_STEPS training steps of the config's model on a sample of its training data,
    writing the speed so far to `result_path` after every timed step, and stopping at `deadline` (epoch seconds)."""
    from transformers import Trainer

    from engine.data import load_splits
    from engine.hardware import check_hardware
    from engine.methods import apply_method
    from engine.models import load_tokenizer, resolve_model
    from engine.tasks import get_task
    from engine.train import training_arguments

    cfg = RunConfig.load(config_path)
    task = get_task(cfg.task)
    check_hardware(cfg.train.device, cfg.train.precision)
    train = load_splits(cfg.data, task.data_plan(cfg), uploads_dir).splits.train
    labels = task.label_space(train, cfg)
    effective_batch = cfg.train.train_batch_size * cfg.train.gradient_accumulation_steps
    needed = (WARMUP_STEPS + MEASURED_STEPS) * effective_batch
    if len(train) > needed:  # a random sample keeps the data's mix of lengths
        train = train.sample(needed, random_state=cfg.train.seed)
    quick = dataclasses.replace(cfg, train=dataclasses.replace(
        cfg.train, max_steps=WARMUP_STEPS + MEASURED_STEPS, eval_strategy="no", save_strategy="no",
        load_best_model_at_end=False, early_stopping_patience=0, logging_steps=100_000))
    model_path = resolve_model(cfg.model.name_or_path).path
    tokenizer = load_tokenizer(model_path)
    model = apply_method(task.build_model(model_path, labels), cfg.method, model_path, task.peft_task_type)
    trainer = Trainer(model=model, args=training_arguments(quick, task, Path(result_path).parent / "out"),
                      processing_class=tokenizer, train_dataset=task.preprocess(train, tokenizer, quick, labels),
                      data_collator=task.collator(tokenizer, quick),
                      callbacks=[step_timer(Path(result_path), deadline, effective_batch)])
    trainer.train()


def step_timer(result: Path, deadline: float, effective_batch: int) -> Any:
    """A callback that times the steps after the warm-up, writes the speed so far after each, and asks the Trainer
    to stop once the deadline (epoch seconds) has passed and a few steps are timed. Built in a function so that
    importing this module needs no transformers."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.steps, self.started = 0, 0.0

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            now = time.perf_counter()
            self.steps += 1
            if self.steps == WARMUP_STEPS:
                self.started = now
            elif self.steps > WARMUP_STEPS:
                timed = self.steps - WARMUP_STEPS
                _write_json(result, {"samples_per_s": round(timed * effective_batch / (now - self.started), 3),
                                     "steps": timed})
            if time.time() >= deadline and self.steps - WARMUP_STEPS >= MIN_MEASURED_STEPS:
                control.should_training_stop = True

    return StepTimer()


def _main(argv: list[str]) -> int:
    config, result, deadline, *uploads = argv
    try:
        measure_in_this_process(config, result, float(deadline), uploads[0] if uploads else None)
    except EngineError as exc:
        _write_json(Path(result), {"error": str(exc)})
        return 2
    except Exception as exc:  # noqa: BLE001 - the parent gets a short reason; the trace stays in measure.log
        import traceback

        traceback.print_exc()
        _write_json(Path(result), {"error": f"{type(exc).__name__}: {exc}"})
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
