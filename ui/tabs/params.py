"""Hyperparameters tab: a Basic view (epochs, learning rate, batch, max length, method), collapsed Advanced
sections for every other option, and the config as YAML/CLI."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.config import RunConfig
from engine.errors import EngineError
from engine.hardware import available_devices, check_hardware, supported_precisions
from engine.methods import RECOMMENDED_LR
from engine.tasks import get_task
from engine.metric_labels import metric_label
from ui import shaped
from ui.context import Context
from ui.errors import guarded
from ui.shaped import OptionSlots
from ui.i18n import option_choices, text
from ui.widgets import checkbox, default, dropdown, number, radio, setting, slider
from ui.events import on_change

# Every number's bounds and every choice list are the config's own (engine/config.py), so any valid YAML
# loads into the form and the form offers nothing the config refuses; each widget's info line is its field's
# help. Module names differ between architectures, so those lists take typed names too (PEFT checks them).
TARGET_MODULES = ["query", "key", "value", "dense", "attention.output.dense", "intermediate.dense",
                  "output.dense", "q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
HEAD_MODULES = ["classifier", "pooler", "score"]
ADAPTER_METHODS = ("lora", "ia3")


@dataclass
class ParamsTab:
    method: gr.Radio
    lora_group: gr.Group      # LoRA's own settings
    adapter_group: gr.Group   # what LoRA and IA3 share: which modules adapt, which train in full
    prompt_group: gr.Group
    top_group: gr.Group
    no_options: gr.Markdown
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
    best_metric: gr.Dropdown
    options: OptionSlots      # the task's own settings (ui.shaped)


def build(ctx: Context) -> ParamsTab:
    with gr.Row():
        with gr.Column(scale=3):
            batch, learning_rate, method = _basic(ctx)
            ctx.tr.bind(gr.Markdown(elem_id="advanced-heading"), "advanced_heading", attr="value")
            accumulation, effective = _optimization(ctx)
            lora, adapter, prompt, top, no_options = _method_options(ctx)
            options = shaped.option_slots(ctx)
            best_metric = _evaluation(ctx)
            _batching(ctx)
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
    return ParamsTab(method, lora, adapter, prompt, top, no_options, batch, accumulation, effective, learning_rate, device,
                     precision, status, yaml, cli, download, upload, estimate, plan, best_metric, options)


def _basic(ctx: Context) -> tuple[gr.Number, gr.Number, gr.Radio]:
    """What most people change: how long, how fast, how much at once, how long a text, and how to fine-tune."""
    with gr.Group(elem_id="basic-settings"):
        ctx.tr.bind(gr.Markdown(elem_id="basic-heading", padding=True), "basic_heading", attr="value")
        with gr.Row():
            setting(ctx, "train", "num_train_epochs", number("train", "num_train_epochs"), "epochs")
            learning_rate = setting(ctx, "train", "learning_rate", number("train", "learning_rate"), "learning_rate")
            batch = setting(ctx, "train", "train_batch_size", number("train", "train_batch_size"), "batch_size")
            setting(ctx, "model", "max_length", number("model", "max_length"), "max_length")
        method = setting(ctx, "method", "kind", radio("method", "kind"), "method")
        ctx.tr.bind(gr.Markdown(elem_id="method-note", padding=True), "method_sets_lr", attr="value")
    return batch, learning_rate, method


def _optimization(ctx: Context) -> tuple[gr.Slider, gr.Markdown]:
    with ctx.tr.bind(gr.Accordion(open=False, elem_id="optimization-settings"), "optimization_section"):
        with gr.Row():
            setting(ctx, "train", "max_steps", number("train", "max_steps"), "max_steps")
            setting(ctx, "train", "warmup", number("train", "warmup"), "warmup")
            setting(ctx, "train", "eval_batch_size", number("train", "eval_batch_size"), "eval_batch_size")
        with gr.Row():
            setting(ctx, "train", "lr_scheduler", dropdown("train", "lr_scheduler"), "scheduler")
            setting(ctx, "train", "optim", dropdown("train", "optim"), "optimizer")
            setting(ctx, "train", "weight_decay", slider("train", "weight_decay", 0.01), "weight_decay")
        with gr.Row():
            accumulation = setting(ctx, "train", "gradient_accumulation_steps",
                                   slider("train", "gradient_accumulation_steps", 1), "accumulation")
            setting(ctx, "train", "max_grad_norm", number("train", "max_grad_norm"), "max_grad_norm")
            setting(ctx, "train", "label_smoothing", slider("train", "label_smoothing", 0.05), "label_smoothing")
        effective = gr.Markdown(elem_id="effective-batch")
    return accumulation, effective


def _method_options(ctx: Context) -> tuple[gr.Group, gr.Group, gr.Group, gr.Group, gr.Markdown]:
    """Only the chosen method's own settings show (IA3 has no rank, alpha, dropout or bias); full and head_only
    have none."""
    with ctx.tr.bind(gr.Accordion(open=False, elem_id="method-settings"), "method_options_section"):
        no_options = ctx.tr.bind(gr.Markdown(), "method_no_options", attr="value")
        with gr.Group(visible=False) as lora:
            with gr.Row():
                setting(ctx, "method", "lora_r", slider("method", "lora_r", 1), "lora_r")
                setting(ctx, "method", "lora_alpha", slider("method", "lora_alpha", 1), "lora_alpha")
                setting(ctx, "method", "lora_dropout", slider("method", "lora_dropout", 0.05), "lora_dropout")
                setting(ctx, "method", "lora_bias", radio("method", "lora_bias"), "lora_bias")
        with gr.Group(visible=False) as adapter:
            with gr.Row():
                setting(ctx, "method", "target_modules", gr.Dropdown(TARGET_MODULES, value=[], multiselect=True,
                                                                     allow_custom_value=True), "target_modules")
                setting(ctx, "method", "modules_to_save", gr.Dropdown(HEAD_MODULES, value=[], multiselect=True,
                                                                      allow_custom_value=True), "modules_to_save")
        with gr.Group(visible=False) as prompt:
            setting(ctx, "method", "num_virtual_tokens", slider("method", "num_virtual_tokens", 1), "virtual_tokens")
            setting(ctx, "method", "prompt_init_text", gr.Textbox(default("method", "prompt_init_text"),
                                                                  max_length=500), "prompt_init")
        with gr.Group(visible=False) as top:
            setting(ctx, "method", "top_layers", slider("method", "top_layers", 1), "top_layers")
    return lora, adapter, prompt, top, no_options


def _evaluation(ctx: Context) -> gr.Dropdown:
    with ctx.tr.bind(gr.Accordion(open=False, elem_id="evaluation-settings"), "eval_section"):
        with gr.Row():
            setting(ctx, "train", "eval_strategy", radio("train", "eval_strategy"), "eval_strategy")
            setting(ctx, "train", "eval_steps", number("train", "eval_steps"), "eval_steps")
            setting(ctx, "train", "logging_steps", number("train", "logging_steps"), "logging_steps")
        with gr.Row():
            setting(ctx, "train", "save_strategy", radio("train", "save_strategy"), "save_strategy")
            setting(ctx, "train", "save_steps", number("train", "save_steps"), "save_steps")
            setting(ctx, "train", "save_total_limit", slider("train", "save_total_limit", 1), "save_total_limit")
        with gr.Row():
            setting(ctx, "train", "load_best_model_at_end", checkbox("train", "load_best_model_at_end"), "load_best")
            # Its choices follow the task (wire), so they are not bound to the language alone.
            best_metric = setting(ctx, "train", "metric_for_best_model",
                                  gr.Dropdown(best_metric_choices(RunConfig().task, "en"), value=""), "best_metric")
        with gr.Row():
            setting(ctx, "train", "early_stopping_patience", slider("train", "early_stopping_patience", 1), "patience")
            setting(ctx, "train", "early_stopping_threshold", number("train", "early_stopping_threshold"),
                    "threshold")
    return best_metric


def _batching(ctx: Context) -> None:
    with ctx.tr.bind(gr.Accordion(open=False, elem_id="batching-settings"), "batching_section"):
        with gr.Row():
            setting(ctx, "train", "padding", radio("train", "padding"), "padding")
            setting(ctx, "train", "group_by_length", checkbox("train", "group_by_length"), "group_by_length")
        with gr.Row():
            setting(ctx, "train", "seed", number("train", "seed"), "seed")
            setting(ctx, "train", "full_determinism", checkbox("train", "full_determinism"), "determinism")


def _hardware(ctx: Context) -> tuple[gr.Radio, gr.Radio]:
    """Only the devices and precisions this machine has are offered (a subset of the config's choices)."""
    device_default, precision_default = default("train", "device"), default("train", "precision")
    with ctx.tr.bind(gr.Accordion(open=False, elem_id="hardware-settings"), "hardware_section"):
        with gr.Row():
            device = setting(ctx, "train", "device", gr.Radio(available_devices(), value=device_default), "device")
            precision = setting(ctx, "train", "precision",
                                gr.Radio(supported_precisions(device_default), value=precision_default), "precision")
            setting(ctx, "train", "gradient_checkpointing", checkbox("train", "gradient_checkpointing"),
                    "grad_checkpointing")
    return device, precision


def best_metric_choices(task: str, lang: str) -> list[tuple[str, str]]:
    """Empty (the task's main metric), every metric the task reports and the loss, by their names on screen; the
    config keeps the metric's key."""
    names = ["", *shaped.task_of(task).metric_names, "loss"] if shaped.task_of(task) else [""]
    return [(metric_label(name, lang) if name else text("best_metric_default", lang), name) for name in names]


def method_groups(kind: str) -> tuple:
    """Show only the settings of the chosen method, or say it has none."""
    return (gr.update(visible=kind == "lora"), gr.update(visible=kind in ADAPTER_METHODS),
            gr.update(visible=kind == "prompt_tuning"),
            gr.update(visible=kind == "top_layers"),
            gr.update(visible=kind not in (*ADAPTER_METHODS, "prompt_tuning", "top_layers")))


def wire(ctx: Context, tab: ParamsTab, task: gr.Dropdown) -> None:
    form, state = ctx.form, ctx.state
    _wire_task(ctx, tab, task)
    on_change(tab.method.change, guarded(method_groups), tab.method,
              [tab.lora_group, tab.adapter_group, tab.prompt_group, tab.top_group, tab.no_options])
    # Only a person's choice of method moves the learning rate; a loaded YAML keeps its own.
    tab.method.input(guarded(lambda kind: RECOMMENDED_LR[kind]), tab.method, tab.learning_rate)
    # A person's new task starts from its own method (LoRA for a text writer) and that method's learning rate.
    task.input(guarded(lambda name: (get_task(name).default_method, RECOMMENDED_LR[get_task(name).default_method])),
               task, [tab.method, tab.learning_rate])
    tab.device.input(guarded(lambda device, session: gr.update(choices=precision_choices(device, session["lang"]),
                                                               value="fp32")),
                     [tab.device, state], tab.precision)
    on_change(ctx.language.change,
              guarded(lambda device, session: gr.update(choices=precision_choices(device, session["lang"]))),
              [tab.device, state], tab.precision, show_progress="hidden")
    on_change([tab.batch.change, tab.accumulation.change, ctx.language.change], _effective_batch(ctx),
              [tab.batch, tab.accumulation, state], tab.effective_batch)
    on_change([*(c.change for c in form.components), ctx.language.change], _previewer(ctx), [state, *form.components],
              [tab.status, tab.yaml, tab.cli, tab.download], show_progress="hidden")
    tab.upload.upload(guarded(lambda path: form.values(_runnable_here(RunConfig.load(path)))), tab.upload,
                      form.components)
    plan = _planner(ctx)
    tab.estimate.click(plan, [state, *form.components], tab.plan)
    # A language switch redraws an estimate that is on screen.
    on_change(ctx.language.change, guarded(lambda shown, *values: plan(*values) if shown else gr.skip()),
              [tab.plan, state, *form.components], tab.plan, show_progress="hidden")


def _wire_task(ctx: Context, tab: ParamsTab, task: gr.Dropdown) -> None:
    """A new task offers its own metrics to pick the best checkpoint by (its main one again), and its own settings
    at their defaults; a new language renames both without changing them."""
    shown = [tab.best_metric, tab.options.section, *tab.options.widgets]

    @guarded
    def reshape(name: str, session: dict) -> list[Any]:
        return [gr.update(choices=best_metric_choices(name, session["lang"]), value=""),
                *shaped.option_updates(name, session["lang"], reset=True)]

    @guarded
    def rename(name: str, session: dict) -> list[Any]:
        return [gr.update(choices=best_metric_choices(name, session["lang"])),
                *shaped.option_updates(name, session["lang"], reset=False)]

    task.input(reshape, [task, ctx.state], shown, show_progress="hidden")
    on_change([task.change, ctx.language.change], rename, [task, ctx.state], shown, show_progress="hidden")


def precision_choices(device: str, lang: str) -> list[tuple[str, str]]:
    """The precisions `device` supports, named in `lang`."""
    return option_choices("precision", supported_precisions(device), lang)


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
            return f"⚠️ {exc.localized(session['lang'])}", gr.skip(), gr.skip(), gr.skip()
        path = ctx.studio.write_config(cfg)
        return (f"✅ {ctx.text('config_valid', session['lang'])}", cfg.to_yaml(), ctx.studio.cli_command(path),
                str(path))
    return preview


def _planner(ctx: Context) -> Any:
    @guarded
    def plan(session: dict, *values: Any) -> str:
        cfg = ctx.form.to_config(list(values))
        trainable, total, memory = ctx.studio.plan(cfg, session["owner"])
        text = lambda key: ctx.text(key, session["lang"])  # noqa: E731
        return (f"### {text('plan')}\n- {text('trainable')}: **{trainable:,}** / {total:,} "
                f"({100 * trainable / total:.2f}%)\n- {text('memory')}: **{memory.total_gb:.2f} GB** "
                f"({text('weights')} {memory.weights_gb:.2f}, {text('gradients')} {memory.gradients_gb:.2f}, "
                f"{text('optimizer_state')} {memory.optimizer_gb:.2f}, {text('activations')} "
                f"{memory.activations_gb:.2f})")
    return plan
