"""Every user-facing string of the UI, in English and Chinese, and the switch between them.

Components are bound to keys as the tabs build them; switching language relabels every bound
component at once. Keys ending in `_help` are the tooltips (info) of the key without it.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from ui.strings import TEXT

LANGUAGES = {"English": "en", "中文": "zh"}


def text(key: str, lang: str) -> str:
    en, zh = TEXT[key]
    return zh if lang == "zh" else en


@dataclass
class Translator:
    lang: str = "en"
    bindings: list[tuple[Any, dict[str, str]]] = field(default_factory=list)

    def __call__(self, key: str) -> str:
        return text(key, self.lang)

    def bind(self, component: Any, key: str, attr: str = "label") -> Any:
        """Show `key` as the component's `attr` (label, value...) in the current language, and follow switches."""
        attrs = {attr: key}
        if attr == "label" and f"{key}_help" in TEXT and _takes_info(component):
            attrs["info"] = f"{key}_help"
        for name, k in attrs.items():
            setattr(component, name, self(k))
        self.bindings.append((component, attrs))
        return component

    @property
    def components(self) -> list[Any]:
        return [c for c, _ in self.bindings]

    def updates(self, lang: str) -> list[Any]:
        return [gr.update(**{name: text(k, lang) for name, k in attrs.items()}) for _, attrs in self.bindings]


def _takes_info(component: Any) -> bool:
    """Only some components show an info line (gr.File, for one, refuses the argument)."""
    return "info" in inspect.signature(type(component).__init__).parameters


def language_from_header(accept_language: str) -> str:
    """The browser's preferred language, if it is one we speak (zh-CN, zh-TW... all map to zh)."""
    for part in accept_language.lower().split(","):
        code = part.split(";")[0].strip()
        if code.startswith("zh"):
            return "zh"
        if code.startswith("en"):
            return "en"
    return "en"
