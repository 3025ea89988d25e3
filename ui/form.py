"""The run form: which widget edits which RunConfig field, both ways.

Tabs bind their widgets here as they build them; Start, the YAML preview and the YAML upload then
turn all widget values into one RunConfig (validated by the engine) or a RunConfig into values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.config import RunConfig

TOP_LEVEL = ""


@dataclass
class Binding:
    section: str    # "data", "model", "method", "train", or TOP_LEVEL for task/name
    name: str
    component: Any


@dataclass
class Form:
    bindings: list[Binding] = field(default_factory=list)
    kept: dict[str, Any] = field(default_factory=dict)   # widgets outside the config that a reload restores

    def bind(self, section: str, name: str, component: Any) -> Any:
        self.bindings.append(Binding(section, name, component))
        return component

    def keep(self, key: str, component: Any) -> Any:
        """Remember a widget that is not a config field (which model source is chosen, say) across reloads."""
        self.kept[key] = component
        return component

    @property
    def components(self) -> list[Any]:
        return [b.component for b in self.bindings]

    @property
    def remembered(self) -> dict[str, Any]:
        """Every widget a reload restores, by a stable key: the config fields, then the kept widgets."""
        fields = {(f"{b.section}.{b.name}" if b.section != TOP_LEVEL else b.name): b.component for b in self.bindings}
        return {**fields, **self.kept}

    def to_config(self, values: list[Any]) -> RunConfig:
        raw: dict[str, Any] = {}
        for binding, value in zip(self.bindings, values, strict=True):
            target = raw if binding.section == TOP_LEVEL else raw.setdefault(binding.section, {})
            target[binding.name] = value
        return RunConfig.from_dict(raw)

    def values(self, cfg: RunConfig) -> list[Any]:
        return [getattr(cfg if b.section == TOP_LEVEL else getattr(cfg, b.section), b.name)
                for b in self.bindings]
