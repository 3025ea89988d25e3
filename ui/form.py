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

    def bind(self, section: str, name: str, component: Any) -> Any:
        self.bindings.append(Binding(section, name, component))
        return component

    @property
    def components(self) -> list[Any]:
        return [b.component for b in self.bindings]

    def to_config(self, values: list[Any]) -> RunConfig:
        raw: dict[str, Any] = {}
        for binding, value in zip(self.bindings, values, strict=True):
            target = raw if binding.section == TOP_LEVEL else raw.setdefault(binding.section, {})
            target[binding.name] = value
        return RunConfig.from_dict(raw)

    def values(self, cfg: RunConfig) -> list[Any]:
        return [getattr(cfg if b.section == TOP_LEVEL else getattr(cfg, b.section), b.name)
                for b in self.bindings]
