"""The run form: which widget edits which RunConfig field, both ways.

Tabs bind their widgets here as they build them; Start, the YAML preview and the YAML upload then
turn all widget values into one RunConfig (validated by the engine) or a RunConfig into values.
A few fields are made of several widgets whose meaning depends on the chosen task (the column of each of
its roles, its own options): a Composite reads them together with the task.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from engine.config import RunConfig

TOP_LEVEL = ""


@dataclass
class Binding:
    section: str    # "data", "model", "method", "train", or TOP_LEVEL for task/name
    name: str
    component: Any


@dataclass
class Composite:
    """A config field edited through several widgets, read with the task's name."""

    section: str
    name: str
    components: list[Any]
    compose: Callable[[str, list[Any]], Any]       # (task, widget values) -> the field's value
    decompose: Callable[[RunConfig], list[Any]]    # a config -> one value per widget


@dataclass
class Form:
    bindings: list[Binding] = field(default_factory=list)
    composites: list[Composite] = field(default_factory=list)
    kept: dict[str, Any] = field(default_factory=dict)   # widgets outside the config that a reload restores

    def bind(self, section: str, name: str, component: Any) -> Any:
        self.bindings.append(Binding(section, name, component))
        return component

    def compose(self, composite: Composite) -> Composite:
        self.composites.append(composite)
        return composite

    def keep(self, key: str, component: Any) -> Any:
        """Remember a widget that is not a config field (which model source is chosen, say) across reloads."""
        self.kept[key] = component
        return component

    @property
    def components(self) -> list[Any]:
        """Every widget of the form, in the order to_config and values use."""
        return [b.component for b in self.bindings] + [c for comp in self.composites for c in comp.components]

    @property
    def remembered(self) -> dict[str, Any]:
        """Every widget a reload restores, by a stable key: the config fields, then the kept widgets."""
        fields = {(f"{b.section}.{b.name}" if b.section != TOP_LEVEL else b.name): b.component for b in self.bindings}
        parts = {f"{c.section}.{c.name}.{i}": component for c in self.composites
                 for i, component in enumerate(c.components)}
        return {**fields, **parts, **self.kept}

    def to_config(self, values: list[Any]) -> RunConfig:
        values = list(values)
        if len(values) != len(self.components):
            raise ValueError(f"the form has {len(self.components)} widgets, got {len(values)} values")
        raw: dict[str, Any] = {}
        for binding, value in zip(self.bindings, values):
            target = raw if binding.section == TOP_LEVEL else raw.setdefault(binding.section, {})
            target[binding.name] = value
        rest = values[len(self.bindings):]
        for composite in self.composites:
            own, rest = rest[:len(composite.components)], rest[len(composite.components):]
            target = raw if composite.section == TOP_LEVEL else raw.setdefault(composite.section, {})
            target[composite.name] = composite.compose(raw.get("task", ""), own)
        return RunConfig.from_dict(raw)

    def values(self, cfg: RunConfig) -> list[Any]:
        simple = [getattr(cfg if b.section == TOP_LEVEL else getattr(cfg, b.section), b.name) for b in self.bindings]
        return simple + [value for composite in self.composites for value in composite.decompose(cfg)]
