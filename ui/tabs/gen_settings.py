"""The playground's generation settings, for tasks that write text: one slider per engine.generation
GenerationSettings field, bounded and explained by its metadata; each task shows the ones it uses
(Task.generation_settings), set to what its run generates with by default (Task.default_settings) when a run is
chosen."""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import gradio as gr

from engine.generation import GenerationSettings
from engine.messages import Message
from engine.tasks import Task
from ui.context import Context

NAMES = tuple(spec.name for spec in fields(GenerationSettings))


@dataclass
class SettingsPanel:
    section: gr.Accordion
    sliders: list[gr.Slider]   # one per GenerationSettings field, in its order

    @property
    def widgets(self) -> list[Any]:
        return [self.section, *self.sliders]


def build(ctx: Context) -> SettingsPanel:
    with ctx.tr.bind(gr.Accordion(open=False, visible=False, elem_id="generation-settings"),
                     "generation_settings") as section:
        with gr.Row():
            sliders = [_slider(ctx, spec) for spec in fields(GenerationSettings)]
    return SettingsPanel(section, sliders)


def _slider(ctx: Context, spec: Any) -> gr.Slider:
    """A slider bounded by the setting's own metadata, named by its i18n key and explained by its help."""
    integer = isinstance(spec.default, int)
    slider = gr.Slider(minimum=spec.metadata["low"], maximum=min(spec.metadata["high"], 10**6), value=spec.default,
                       step=1 if integer else 0.01, elem_id=f"gen-{spec.name}", min_width=220)
    ctx.tr.bind_words(slider, "info", lambda lang, code=spec.metadata["help"]: Message(code).text(lang))
    return ctx.tr.bind(slider, f"gen_{spec.name}")


def settings_of(values: tuple[float, ...] | list[float]) -> GenerationSettings:
    """The sliders' values as settings (validated by GenerationSettings)."""
    return GenerationSettings.of(dict(zip(NAMES, values)))


def shown(task: Task | None) -> list[Any]:
    """The section shown for a task that writes text, with the settings it uses; hidden otherwise."""
    names = task.generation_settings if task is not None else ()
    return [gr.update(visible=bool(names)), *(gr.update(visible=name in names) for name in NAMES)]


def defaults(task: Task | None, cfg: Any) -> list[Any]:
    """Each setting at what the task's run generates with by default (set when another run is chosen, so a
    language switch or a run ending elsewhere keeps what a person moved)."""
    if task is None or not task.generation_settings:
        return [gr.skip() for _ in NAMES]
    values = task.default_settings(cfg).as_dict()
    return [gr.update(value=values[name]) for name in NAMES]
