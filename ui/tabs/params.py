"""Hyperparameters tab: bounded widgets for every training option, the method, and the config as YAML/CLI."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine import config as C
from engine.config import RunConfig
from engine.errors import EngineError
from engine.hardware import available_devices, check_hardware, supported_precisions
from engine.methods import RECOMMENDED_LR
from engine.tasks import get_task, task_names
from ui.context import Context
from ui.errors import guarded

# Widget bounds are the config's own (engine/config.py), so any valid YAML loads into the form.
# Module names differ between architectures, so those lists take typed names too (PEFT checks them).
TARGET_MODULES = ["query", "key", "value", "dense", "attention.output.dense", "intermediate.dense",
                  "output.dense", "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
HEAD_MODULES = ["classifier", "pooler", "score"]


@dataclass
class ParamsTab:
    method: gr.Radio
    lora_group: gr.Group
    prompt_group: gr.Group
    top_group: gr.Group
    batch: gr.Number
    accumulation: gr.Slider
    effective_batch: gr.Markdown
    learning_rate: gr.Number
    device: gr.Radio
    precision: gr.Radio
    status: gr.Markdown
    yaml: gr.Code
    cli: gr.Code
    download: gr.DownloadButton
    upload: gr.UploadButton
    estimate: gr.Button
    plan: gr.Markdown


def build(ctx: Context) -> ParamsTab:
    with gr.Row():
        with gr.Column(scale=3):
            batch, accumulation, effective, learning_rate = _schedule(ctx)
            _evaluation(ctx)
            method, lora, prompt, top = _method(ctx)
            device, precision = _hardware(ctx)
        with gr.Column(scale=2):
            status = gr.Markdown(elem_id="config-status")
            yaml = ctx.tr.bind(gr.Code(language="yaml", interactive=False, max_lines=30), "config_yaml")
            cli = ctx.tr.bind(gr.Code(language="shell", interactive=False), "config_cli")
            with gr.Row():
                download = ctx.tr.bind(gr.DownloadButton(), "download_yaml", attr="label")
                upload = ctx.tr.bind(gr.UploadButton(file_types=[".yaml", ".yml"]), "upload_yaml", attr="label")
            estimate = ctx.tr.bind(gr.Button(), "estimate", attr="value")
            plan = gr.Markdown(elem_id="plan")
    return ParamsTab(method, lora, prompt, top, batch, accumulation, effective, learning_rate, device, precision, status, yaml,
                     cli, download, upload, estimate, plan)


def _schedule(ctx: Context) -> tuple[gr.Number, gr.Slider, gr.Markdown, gr.Number]:
    tr, form, d = ctx.tr, ctx.form, C.TrainConfig()
    with tr.bind(gr.Accordion(open=True), "schedule_section"):
        with gr.Row():
            form.bind("train", "num_train_epochs", tr.bind(gr.Number(d.num_train_epochs, minimum=0.01, maximum=1000), "epochs"))
            form.bind("train", "max_steps", tr.bind(gr.Number(d.max_steps, precision=0, minimum=-1, maximum=10_000_000), "max_steps"))
            form.bind("model", "max_length", tr.bind(gr.Number(C.ModelConfig().max_length, precision=0, minimum=8, maximum=8192), "max_length"))
        with gr.Row():
            batch = form.bind("train", "train_batch_size", tr.bind(gr.Number(d.train_batch_size, precision=0, minimum=1, maximum=4096), "batch_size"))
            form.bind("train", "eval_batch_size", tr.bind(gr.Number(d.eval_batch_size, precision=0, minimum=1, maximum=4096), "eval_batch_size"))
            accumulation = form.bind("train", "gradient_accumulation_steps",
                                     tr.bind(gr.Slider(1, 1024, value=d.gradient_accumulation_steps, step=1), "accumulation"))
        effective = gr.Markdown(elem_id="effective-batch")
        with gr.Row():
            learning_rate = form.bind("train", "learning_rate",
                                      tr.bind(gr.Number(d.learning_rate, minimum=1e-8, maximum=1.0), "learning_rate"))
            form.bind("train", "warmup", tr.bind(gr.Number(d.warmup, minimum=0, maximum=1_000_000), "warmup"))
            form.bind("train", "weight_decay", tr.bind(gr.Slider(0.0, 1.0, value=d.weight_decay, step=0.01), "weight_decay"))
        with gr.Row():
            form.bind("train", "lr_scheduler", tr.bind(gr.Dropdown(list(C.SCHEDULERS), value=d.lr_scheduler), "scheduler"))
            form.bind("train", "optim", tr.bind(gr.Dropdown(list(C.OPTIMIZERS), value=d.optim), "optimizer"))
            form.bind("train", "max_grad_norm", tr.bind(gr.Number(d.max_grad_norm, minimum=0, maximum=1000), "max_grad_norm"))
        with gr.Row():
            form.bind("train", "label_smoothing", tr.bind(gr.Slider(0.0, 0.5, value=d.label_smoothing, step=0.05), "label_smoothing"))
            form.bind("train", "seed", tr.bind(gr.Number(d.seed, precision=0, minimum=0, maximum=2**31 - 1), "seed"))
            form.bind("train", "full_determinism", tr.bind(gr.Checkbox(d.full_determinism), "determinism"))
        with gr.Row():
            form.bind("train", "padding", tr.bind(gr.Radio(list(C.PADDINGS), value=d.padding), "padding"))
            form.bind("train", "group_by_length", tr.bind(gr.Checkbox(d.group_by_length), "group_by_length"))
    return batch, accumulation, effective, learning_rate


def _evaluation(ctx: Context) -> None:
    tr, form, d = ctx.tr, ctx.form, C.TrainConfig()
    with tr.bind(gr.Accordion(open=False), "eval_section"):
        with gr.Row():
            form.bind("train", "eval_strategy", tr.bind(gr.Radio(list(C.STRATEGIES), value=d.eval_strategy), "eval_strategy"))
            form.bind("train", "eval_steps", tr.bind(gr.Number(d.eval_steps, precision=0, minimum=1, maximum=1_000_000), "eval_steps"))
            form.bind("train", "logging_steps", tr.bind(gr.Number(d.logging_steps, precision=0, minimum=1, maximum=100_000), "logging_steps"))
        with gr.Row():
            form.bind("train", "save_strategy", tr.bind(gr.Radio(list(C.STRATEGIES), value=d.save_strategy), "save_strategy"))
            form.bind("train", "save_steps", tr.bind(gr.Number(d.save_steps, precision=0, minimum=1, maximum=1_000_000), "save_steps"))
            form.bind("train", "save_total_limit", tr.bind(gr.Slider(1, 100, value=d.save_total_limit, step=1), "save_total_limit"))
        with gr.Row():
            form.bind("train", "load_best_model_at_end", tr.bind(gr.Checkbox(d.load_best_model_at_end), "load_best"))
            form.bind("train", "metric_for_best_model", tr.bind(gr.Dropdown(best_metrics(), value=""), "best_metric"))
        with gr.Row():
            form.bind("train", "early_stopping_patience", tr.bind(gr.Slider(0, 100, value=0, step=1), "patience"))
            form.bind("train", "early_stopping_threshold", tr.bind(gr.Number(0.0, minimum=0, maximum=1), "threshold"))


def _method(ctx: Context) -> tuple[gr.Radio, gr.Group, gr.Group, gr.Group]:
    tr, form, d = ctx.tr, ctx.form, C.MethodConfig()
    with tr.bind(gr.Accordion(open=True), "method_section"):
        method = form.bind("method", "kind", tr.bind(gr.Radio(list(C.METHODS), value=d.kind), "method"))
        with gr.Group(visible=False) as lora:
            with gr.Row():
                form.bind("method", "lora_r", tr.bind(gr.Slider(1, 512, value=d.lora_r, step=1), "lora_r"))
                form.bind("method", "lora_alpha", tr.bind(gr.Slider(1, 4096, value=d.lora_alpha, step=1), "lora_alpha"))
                form.bind("method", "lora_dropout", tr.bind(gr.Slider(0.0, 0.9, value=d.lora_dropout, step=0.05), "lora_dropout"))
            with gr.Row():
                form.bind("method", "lora_bias", tr.bind(gr.Radio(list(C.LORA_BIASES), value=d.lora_bias), "lora_bias"))
                form.bind("method", "target_modules", tr.bind(gr.Dropdown(TARGET_MODULES, value=[], multiselect=True, allow_custom_value=True), "target_modules"))
                form.bind("method", "modules_to_save", tr.bind(gr.Dropdown(HEAD_MODULES, value=[], multiselect=True, allow_custom_value=True), "modules_to_save"))
        with gr.Group(visible=False) as prompt:
            form.bind("method", "num_virtual_tokens", tr.bind(gr.Slider(1, 512, value=d.num_virtual_tokens, step=1), "virtual_tokens"))
            form.bind("method", "prompt_init_text", tr.bind(gr.Textbox(d.prompt_init_text, max_length=500), "prompt_init"))
        with gr.Group(visible=False) as top:
            form.bind("method", "top_layers", tr.bind(gr.Slider(1, 128, value=d.top_layers, step=1), "top_layers"))
    return method, lora, prompt, top


def _hardware(ctx: Context) -> tuple[gr.Radio, gr.Radio]:
    tr, form, d = ctx.tr, ctx.form, C.TrainConfig()
    with tr.bind(gr.Accordion(open=False), "hardware_section"):
        with gr.Row():
            device = form.bind("train", "device", tr.bind(gr.Radio(available_devices(), value=d.device), "device"))
            precision = form.bind("train", "precision",
                                  tr.bind(gr.Radio(supported_precisions(d.device), value=d.precision), "precision"))
            form.bind("train", "gradient_checkpointing", tr.bind(gr.Checkbox(d.gradient_checkpointing), "grad_checkpointing"))
    return device, precision


def best_metrics() -> list[str]:
    """Empty (the task's main metric), every metric a registered task reports, and the loss."""
    reported = {name for task in task_names() for name in get_task(task).metric_names}
    return ["", *sorted(reported), "loss"]


def method_groups(kind: str) -> tuple:
    """Show only the settings of the chosen method."""
    return (gr.update(visible=kind in ("lora", "ia3")), gr.update(visible=kind == "prompt_tuning"),
            gr.update(visible=kind == "top_layers"))


def wire(ctx: Context, tab: ParamsTab) -> None:
    form, state = ctx.form, ctx.state
    tab.method.change(guarded(method_groups), tab.method, [tab.lora_group, tab.prompt_group, tab.top_group])
    # Only a person's choice of method moves the learning rate; a loaded YAML keeps its own.
    tab.method.input(guarded(lambda kind: RECOMMENDED_LR[kind]), tab.method, tab.learning_rate)
    tab.device.input(guarded(lambda device: gr.update(choices=supported_precisions(device), value="fp32")),
                     tab.device, tab.precision)
    gr.on([tab.batch.change, tab.accumulation.change], _effective_batch(ctx), [tab.batch, tab.accumulation, state],
          tab.effective_batch)
    gr.on([c.change for c in form.components], _previewer(ctx), [state, *form.components],
          [tab.status, tab.yaml, tab.cli, tab.download], show_progress="hidden")
    tab.upload.upload(guarded(lambda path: form.values(_runnable_here(RunConfig.load(path)))), tab.upload,
                      form.components)
    tab.estimate.click(_planner(ctx), [state, *form.components], tab.plan)


def _runnable_here(cfg: RunConfig) -> RunConfig:
    """A YAML from another machine may name a device or precision this one lacks; say so plainly
    instead of letting the form refuse the value."""
    check_hardware(cfg.train.device, cfg.train.precision)
    return cfg


def _effective_batch(ctx: Context) -> Any:
    @guarded
    def effective(batch: int, accumulation: int, session: dict) -> str:
        return f"{ctx.text('effective_batch', session['lang'])}: {batch} × {accumulation} = **{batch * accumulation}**"
    return effective


def _previewer(ctx: Context) -> Any:
    @guarded
    def preview(session: dict, *values: Any) -> tuple:
        try:
            cfg = ctx.form.to_config(list(values))
        except EngineError as exc:  # shown inline while the user types, not as a pop-up
            return f"⚠️ {exc}", gr.skip(), gr.skip(), gr.skip()
        path = ctx.studio.write_config(cfg)
        return (f"✅ {ctx.text('config_valid', session['lang'])}", cfg.to_yaml(), ctx.studio.cli_command(path),
                str(path))
    return preview


def _planner(ctx: Context) -> Any:
    @guarded
    def plan(session: dict, *values: Any) -> str:
        cfg = ctx.form.to_config(list(values))
        trainable, total, memory = ctx.studio.plan(cfg)
        text = lambda key: ctx.text(key, session["lang"])  # noqa: E731
        return (f"### {text('plan')}\n- {text('trainable')}: **{trainable:,}** / {total:,} "
                f"({100 * trainable / total:.2f}%)\n- {text('memory')}: **{memory.total_gb:.2f} GB** "
                f"({text('weights')} {memory.weights_gb:.2f}, {text('gradients')} {memory.gradients_gb:.2f}, "
                f"{text('optimizer_state')} {memory.optimizer_gb:.2f}, {text('activations')} "
                f"{memory.activations_gb:.2f})")
    return plan
