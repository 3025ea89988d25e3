"""Form widgets built from the config's own metadata: bounds, choices, defaults and help are declared once,
in engine/config.py, and every tab reads them from there instead of copying numbers."""
from __future__ import annotations

import functools
from typing import Any, Callable

import gradio as gr

from engine import config as C
from ui.context import Context
from ui.i18n import option_choices

SECTIONS: dict[str, type] = {"data": C.DataConfig, "model": C.ModelConfig, "method": C.MethodConfig,
                             "train": C.TrainConfig}


def setting(ctx: Context, section: str, name: str, widget: Any, key: str,
            words: Callable[[str], list[tuple[str, str]]] | None = None) -> Any:
    """Bind a widget to a config field: the form reads and writes it, `key` labels it, and its info line is
    the field's help in the current language. A field with choices shows its options' names in the current
    language (`words(lang)`, by default ui.strings.OPTIONS_ZH's names of the values the widget offers)."""
    bound = ctx.form.bind(section, name, ctx.tr.bind(widget, key, config_field=(SECTIONS[section], name)))
    if words is None and C.choices(SECTIONS[section], name):
        words = functools.partial(option_choices, name, [value for _, value in widget.choices])
    return ctx.tr.bind_words(bound, "choices", words) if words is not None else bound


def default(section: str, name: str) -> Any:
    return getattr(SECTIONS[section](), name)


def number(section: str, name: str) -> gr.Number:
    """A number box bounded as the field is; integer fields take whole numbers only."""
    low, high = C.bounds(SECTIONS[section], name)
    value = default(section, name)
    return gr.Number(value, precision=0 if type(value) is int else None, minimum=low, maximum=high)


def slider(section: str, name: str, step: float) -> gr.Slider:
    low, high = C.bounds(SECTIONS[section], name)
    return gr.Slider(low, high, value=default(section, name), step=step)


def radio(section: str, name: str) -> gr.Radio:
    return gr.Radio(list(C.choices(SECTIONS[section], name)), value=default(section, name))


def dropdown(section: str, name: str) -> gr.Dropdown:
    return gr.Dropdown(list(C.choices(SECTIONS[section], name)), value=default(section, name))


def checkbox(section: str, name: str) -> gr.Checkbox:
    return gr.Checkbox(default(section, name))
