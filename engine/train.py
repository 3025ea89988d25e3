"""The training child: `python -m engine train RUN_DIR` builds everything from RUN_DIR/config.yaml.

It appends events to RUN_DIR/events.jsonl and records its final status in the run store. The
same entry runs under `torchrun` or `accelerate launch` unchanged.
"""
from __future__ import annotations

import json
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import set_seed

from engine.callbacks import EventCallback, StopCallback
from engine.config import RunConfig
from engine.data import PreparedData, load_splits
from engine.data.uploads import run_uploads
from engine.errors import ConfigError, EngineError, RunError
from engine.hardware import check_hardware
from engine.inference import MODEL_DIR, evaluate_run, save_labels
from engine.messages import Message, register_messages
from engine.methods import apply_method, count_parameters
from engine.models import body_config, load_tokenizer, model_kind, resolve_model
from engine.runs.events import EventLog
from engine.runs.layout import CHECKPOINT_DIR, CONFIG_FILE
from engine.runs.manager import complete_checkpoints
from engine.runs.store import RunRecord, RunStore
from engine.tasks import Task, get_task

register_messages({
    "train.unexpected": ("Training failed unexpectedly ({kind}: {error}). See train.log in the run folder for "
                         "details.", "训练意外失败（{kind}：{error}）。详情请看运行文件夹中的 train.log。"),
    "train.max_length_too_long": ("is {max_length}, but this model reads at most {positions} tokens; set it to "
                                  "{limit} or less.",
                                  "现在是 {max_length}，但这个模型最多读取 {positions} 个词元；请设为 {limit} 或更小。"),
    "train.max_length_too_long_prompt": ("is {max_length}, but this model reads at most {positions} tokens minus "
                                         "the {virtual} virtual prompt tokens; set it to {limit} or less.",
                                         "现在是 {max_length}，但这个模型最多读取 {positions} 个词元，还要减去 "
                                         "{virtual} 个虚拟提示词元；请设为 {limit} 或更小。"),
})


@dataclass
class Outcome:
    status: str            # finished | stopped
    best_metric: float | None
    metric_name: str


def run_training(run_dir: str | Path, resume: str = "") -> Outcome:
    """Train the run in run_dir; `resume` is "" (fresh), "last", or a checkpoint path."""
    run_dir = Path(run_dir).resolve()
    main = is_main_process()
    log = EventLog(run_dir, muted=not main)
    store = _store_for(run_dir) if main else None
    record = store.find_dir(run_dir) if store else None
    if record:
        store.update(record.id, status="running", pid=os.getpid(), finished=None, message="")
    try:
        log.append("started", pid=os.getpid(), resuming=bool(resume))
        outcome = _train(run_dir, RunConfig.load(run_dir / CONFIG_FILE), log, resume)
    except EngineError as exc:
        _fail(log, store, record, exc.message)
        raise
    except Exception as exc:
        traceback.print_exc()  # the full trace goes to train.log; users get a short message
        _fail(log, store, record, Message("train.unexpected", {"kind": type(exc).__name__, "error": str(exc)}))
        raise
    log.append(outcome.status, best_metric=outcome.best_metric, metric=outcome.metric_name)
    if record:
        store.update(record.id, status=outcome.status, best_metric=outcome.best_metric,
                     best_metric_name=outcome.metric_name, finished=_now(), message="")
    return outcome


def _train(run_dir: Path, cfg: RunConfig, log: EventLog, resume: str) -> Outcome:
    task = get_task(cfg.task)
    task.check_config(cfg)
    check_hardware(cfg.train.device, cfg.train.precision)
    data = load_splits(cfg.data, task.data_plan(cfg), run_uploads(run_dir))
    labels = task.checked_labels(data.splits, cfg)
    log.append("data_ready", **data.summary())
    model_path = resolve_model(cfg.model.name_or_path).path
    check_model_kind(task, model_path)
    tokenizer = load_tokenizer(model_path)
    set_seed(cfg.train.seed)  # the new task head's first weights must follow the seed too
    model = apply_method(task.build_model(model_path, labels), cfg.method, model_path, task.peft_task_type)
    _check_length_fits(cfg, model.config, tokenizer)
    trainable, total = count_parameters(model)
    log.append("model_ready", trainable=trainable, total=total, labels=labels, live_metrics=list(task.live_metrics))
    trainer = build_trainer(cfg, task, model, tokenizer, data, labels, run_dir, log)
    checkpoint = _checkpoint_to_resume(run_dir, resume, log)
    trainer.train(resume_from_checkpoint=checkpoint)
    stop = next(cb for cb in trainer.callback_handler.callbacks if isinstance(cb, StopCallback))
    trainer.save_model(str(run_dir / MODEL_DIR))  # collective: every process takes part
    if is_main_process():
        tokenizer.save_pretrained(str(run_dir / MODEL_DIR))
        save_labels(run_dir / MODEL_DIR, labels)
        _final_report(run_dir, log)
    state = trainer.state
    return Outcome("stopped" if stop.requested else "finished", state.best_metric, _metric_name(cfg, task))


def build_trainer(cfg: RunConfig, task: Task, model: Any, tokenizer: Any, data: PreparedData,
                  labels: Any, run_dir: Path, log: EventLog) -> Any:
    from transformers import EarlyStoppingCallback

    args = training_arguments(cfg, task, run_dir / CHECKPOINT_DIR)
    effective_batch = args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size
    callbacks = [EventCallback(log, effective_batch), StopCallback(run_dir, log),
                 *task.callbacks(data.splits.validation, tokenizer, cfg, labels, log)]
    if cfg.train.early_stopping_patience:
        callbacks.append(EarlyStoppingCallback(cfg.train.early_stopping_patience,
                                               cfg.train.early_stopping_threshold))
    evaluation = task.preprocess(task.live_validation(data.splits.validation, cfg), tokenizer, cfg, labels)
    return task.trainer_class()(
        model=model, args=args, processing_class=tokenizer,
        train_dataset=task.preprocess(data.splits.train, tokenizer, cfg, labels), eval_dataset=evaluation,
        data_collator=task.collator(tokenizer, cfg), compute_metrics=task.metrics_fn(labels, evaluation, tokenizer),
        callbacks=callbacks)


def check_model_kind(task: Task, model_path: str) -> None:
    """The model can learn this task (an encoder cannot write text): refused before its weights load."""
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(model_path)
    task.check_model(model_kind(config), (config.architectures or [config.model_type])[0])


def training_arguments(cfg: RunConfig, task: Task, output_dir: Path) -> Any:
    arguments, own = task.trainer_arguments(cfg)
    t = cfg.train
    return arguments(
        output_dir=str(output_dir), num_train_epochs=t.num_train_epochs, max_steps=t.max_steps,
        per_device_train_batch_size=t.train_batch_size, per_device_eval_batch_size=t.eval_batch_size,
        learning_rate=t.learning_rate, weight_decay=t.weight_decay, lr_scheduler_type=t.lr_scheduler,
        warmup_steps=int(t.warmup) if t.warmup >= 1 else float(t.warmup), optim=optimizer_name(t.optim),
        gradient_accumulation_steps=t.gradient_accumulation_steps, max_grad_norm=t.max_grad_norm,
        label_smoothing_factor=t.label_smoothing, eval_strategy=t.eval_strategy, eval_steps=t.eval_steps,
        save_strategy=t.save_strategy, save_steps=t.save_steps, save_total_limit=t.save_total_limit,
        logging_strategy="steps", logging_steps=t.logging_steps, seed=t.seed,
        full_determinism=t.full_determinism, load_best_model_at_end=t.load_best_model_at_end,
        metric_for_best_model=_metric_name(cfg, task), greater_is_better=_greater_is_better(cfg, task),
        train_sampling_strategy="group_by_length" if t.group_by_length else "random",
        fp16=t.precision == "fp16", bf16=t.precision == "bf16", use_cpu=t.device == "cpu",
        activation_checkpointing=t.gradient_checkpointing, report_to="none", disable_tqdm=True,
        dataloader_num_workers=0, save_only_model=False, **own)


def optimizer_name(optim: str) -> str:
    """The Trainer's name for the optimizer the config names: adamw_torch runs as adamw_torch_fused.

    Both are torch's AdamW with the same update. Unfused, on a CPU torch has no multi-tensor kernels and loops
    over MiniLM's ~100 weight tensors with seven small operations each: in a profile of 100 MiniLM steps on
    2 cores that loop took 30 % of the training time, and it was the engine's gap to a bare Trainer, whose
    default is the fused kernel (bench/README.md, padding.py). The fused kernel updates each tensor in one
    pass, on the CPU, CUDA and MPS alike.
    """
    return "adamw_torch_fused" if optim == "adamw_torch" else optim


def _metric_name(cfg: RunConfig, task: Task) -> str:
    return cfg.train.metric_for_best_model or task.primary_metric


def _greater_is_better(cfg: RunConfig, task: Task) -> bool:
    return task.higher_is_better(_metric_name(cfg, task))


def _checkpoint_to_resume(run_dir: Path, resume: str, log: EventLog) -> str | None:
    if not resume:
        return None
    if resume == "last":
        complete = complete_checkpoints(run_dir)
        path = str(complete[-1]) if complete else None
    else:
        path = resume
    if not path or not Path(path).is_dir():
        raise RunError("runs.no_checkpoint")
    state = json.loads((Path(path) / "trainer_state.json").read_text(encoding="utf-8"))
    log.append("resumed", from_step=state["global_step"])
    return str(path)


def _check_length_fits(cfg: RunConfig, config: Any, tokenizer: Any) -> None:
    """Refuse a max length the model has no positions for (prompt tuning's virtual tokens count too),
    which would otherwise crash in the first forward pass with a tensor-size error."""
    positions = getattr(body_config(config), "max_position_embeddings", None)
    if not positions:  # relative positions: no hard limit to check
        return
    positions = min(positions, tokenizer.model_max_length)  # RoBERTa keeps 2 of its 514 for padding
    virtual = cfg.method.num_virtual_tokens if cfg.method.kind == "prompt_tuning" else 0
    if cfg.model.max_length + virtual > positions:
        code = "train.max_length_too_long_prompt" if virtual else "train.max_length_too_long"
        raise ConfigError("model.max_length", code, max_length=cfg.model.max_length, positions=positions,
                          virtual=virtual, limit=positions - virtual)


def _final_report(run_dir: Path, log: EventLog) -> None:
    report = evaluate_run(run_dir)
    log.append("test", split=report.split, metrics=report.metrics)


def _fail(log: EventLog, store: RunStore | None, record: RunRecord | None, message: Message) -> None:
    """The event keeps the reason in every language (the UI reads it with pick_text); the store keeps English."""
    log.append("failed", message=message.texts())
    if store and record:
        store.update(record.id, status="failed", finished=_now(), message=str(message))


def _store_for(run_dir: Path) -> RunStore | None:
    """The store that owns this run dir (its parent), if the run was created through one."""
    return RunStore(run_dir.parent) if (run_dir.parent / "runs.db").exists() else None


def is_main_process() -> bool:
    """Under torchrun or accelerate every GPU runs this file; RANK tells the processes apart."""
    return int(os.environ.get("RANK", "0")) == 0


def _now() -> float:
    return time.time()
