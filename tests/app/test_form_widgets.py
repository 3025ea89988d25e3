"""The form's widgets take their bounds, choices and help from the config, never from copied numbers."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from engine import config as C
from engine.config import field_help
from ui.widgets import SECTIONS

MACHINE_DEPENDENT = {("train", "device"), ("train", "precision")}  # what this machine has: a subset


@pytest.fixture(scope="module")
def form(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The Form of a freshly built app (captured as build_app makes it)."""
    import ui.app
    from engine.studio import Studio
    from ui.form import Form

    made: list[Form] = []

    def capture() -> Form:
        made.append(Form())
        return made[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ui.app, "Form", capture)
        ui.app.build_app(Studio(tmp_path_factory.mktemp("runs")))
    assert len(made) == 1
    return made[0]


def _section(binding: Any) -> type | None:
    return SECTIONS.get(binding.section)


def _values(choices: list) -> list:
    return [c[1] if isinstance(c, (tuple, list)) else c for c in choices]


def test_every_bounded_widget_has_the_configs_bounds(form: Any) -> None:
    checked = 0
    for b in form.bindings:
        section = _section(b)
        if section is None or not isinstance(b.component, (gr.Number, gr.Slider)):
            continue
        low, high = C.bounds(section, b.name)
        assert low is not None, f"{b.section}.{b.name} is a number widget without config bounds"
        assert (b.component.minimum, b.component.maximum) == (low, high), f"{b.section}.{b.name}"
        checked += 1
    assert checked >= 20


def test_every_choice_widget_offers_the_configs_choices(form: Any) -> None:
    checked = 0
    for b in form.bindings:
        section = _section(b)
        if section is None or not isinstance(b.component, (gr.Radio, gr.Dropdown)):
            continue
        allowed = C.choices(section, b.name)
        if not allowed:  # free names: columns, modules, metrics of the task registry
            continue
        offered = _values(b.component.choices)
        if (b.section, b.name) in MACHINE_DEPENDENT:
            assert offered and set(offered) <= set(allowed), f"{b.section}.{b.name}"
        else:
            assert offered == list(allowed), f"{b.section}.{b.name}"
        checked += 1
    assert checked >= 8


def test_every_numeric_config_field_has_a_widget(form: Any) -> None:
    """A setting with bounds that no widget edits could only be changed through YAML."""
    from dataclasses import fields

    bound = {(b.section, b.name) for b in form.bindings}
    for name, section in SECTIONS.items():
        for f in fields(section):
            if f.metadata.get("low") is not None or f.metadata.get("choices") is not None:
                if name == "data" and f.name in ("encoding", "separator"):
                    continue  # the Data tab's file options
                assert (name, f.name) in bound, f"{name}.{f.name} has no widget"


def test_hyperparameter_widgets_show_the_config_help_in_both_languages(tmp_path: Path) -> None:
    from engine.studio import Studio
    from ui.app import build_app

    app = build_app(Studio(tmp_path / "runs"))
    switch = next(f for f in app.fns.values() if f.name == "switch")
    outputs = [app.blocks[block._id] if hasattr(block, "_id") else block for block in switch.outputs]
    epochs = next(c for c in outputs if getattr(c, "label", None) == "Epochs")
    assert epochs.info == field_help(C.TrainConfig, "num_train_epochs", "en")
    index = outputs.index(epochs)
    updates = switch.fn("中文", {"lang": "en"})
    assert updates[index]["label"] == "训练轮数"
    assert updates[index]["info"] == field_help(C.TrainConfig, "num_train_epochs", "zh")


@pytest.mark.parametrize("kind,shown", [("full", "none"), ("head_only", "none"), ("lora", "lora adapter"),
                                        ("ia3", "adapter"), ("prompt_tuning", "prompt"), ("top_layers", "top")])
def test_each_method_shows_only_its_own_options(kind: str, shown: str) -> None:
    from ui.tabs.params import method_groups

    groups = ("lora", "adapter", "prompt", "top", "none")   # ParamsTab's order: lora_group ... no_options
    visible = {name for name, update in zip(groups, method_groups(kind)) if update["visible"]}
    assert visible == set(shown.split())


def test_a_restored_setup_sets_only_the_widgets_it_changes(form: Any) -> None:
    """Setting a widget to the value it already shows still fires its change handlers; a reload that set all of
    them kept the page busy for half a minute."""
    from types import SimpleNamespace

    from ui import setup

    saved = {key: widget.value for key, widget in form.remembered.items()}
    saved.update({"train.num_train_epochs": 2, "language": "中文"})
    updates = setup.restore(SimpleNamespace(form=form), saved, "en")
    assert len(updates) == len(form.remembered)
    changed = {key: update["value"] for key, update in zip(form.remembered, updates) if "value" in update}
    assert changed == {"train.num_train_epochs": 2, "language": "中文"}
