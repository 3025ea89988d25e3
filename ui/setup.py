"""A reload keeps the person's setup: the form (data, columns, model, hyperparameters) is saved in the
browser's local storage on every change and put back when the page loads again.

What comes back is checked like a loaded YAML: a saved setup that is no longer valid (an older version
of the app, a device this machine lacks) is not restored, and the person is told why.
"""
from __future__ import annotations

from typing import Any

import gradio as gr

from engine.errors import EngineError
from engine.hardware import check_hardware
from ui.context import Context
from ui.errors import guarded
from ui.events import on_change


def wire(ctx: Context) -> None:
    """Save the setup on every change of a remembered widget."""
    keys, widgets = zip(*ctx.form.remembered.items())

    @guarded
    def save(saved: dict, *values: Any) -> dict:
        # Only a setup that differs is written: writing the same one again made the column dropdowns report a
        # change, which saved again, and so on every second or two for as long as the page was open.
        setup = dict(zip(keys, values))
        return gr.skip() if setup == saved else setup

    on_change([w.change for w in widgets], save, [ctx.setup, *widgets], ctx.setup, show_progress="hidden")


def restore(ctx: Context, saved: dict | None, lang: str) -> list[Any]:
    """One update per remembered widget: the saved value, or a skip when there is nothing valid to restore."""
    widgets = ctx.form.remembered
    skip = [gr.skip() for _ in widgets]
    if not saved:
        return skip
    fields = list(widgets)[:len(ctx.form.components)]  # the config's widgets come first (Form.remembered)
    if any(key not in saved for key in fields):
        return skip  # saved by another version of the app, with other fields
    values = [saved.get(key) for key in widgets]
    try:
        cfg = ctx.form.to_config(values[:len(fields)])
        check_hardware(cfg.train.device, cfg.train.precision)
    except EngineError as exc:
        gr.Warning(f"{ctx.text('setup_not_restored', lang)} {exc.localized(lang)}")
        return skip
    # A widget that already shows the saved value is left alone: setting it anyway fires its change handlers,
    # and fifty of those at once held up a reloaded page (its language came back after 36 s instead of 15).
    return [gr.update(value=value) if key in saved and value != widget.value else gr.skip()
            for (key, widget), value in zip(widgets.items(), values)]
