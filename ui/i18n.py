"""Every user-facing string of the UI, in English and Chinese, and the switch between them.

Components are bound to keys as the tabs build them; switching language relabels every bound
component at once. A component's info line (its tooltip) is the help of the config field it edits, when
the binding names one, else the key ending in `_help` of its label key.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import gradio as gr

from engine.config import field_help
from ui.strings import TEXT

LANGUAGES = {"English": "en", "中文": "zh"}


def text(key: str, lang: str) -> str:
    en, zh = TEXT[key]
    return zh if lang == "zh" else en


Wording = Callable[[str], str]   # language code -> the words shown


@dataclass
class Translator:
    lang: str = "en"
    bindings: list[tuple[Any, dict[str, Wording]]] = field(default_factory=list)

    def __call__(self, key: str) -> str:
        return text(key, self.lang)

    def bind(self, component: Any, key: str, attr: str = "label",
             config_field: tuple[type, str] | None = None) -> Any:
        """Show `key` as the component's `attr` (label, value...) in the current language, and follow switches.
        `config_field` names the setting the component edits, `(TrainConfig, "seed")`: its help is the info line."""
        attrs: dict[str, Wording] = {attr: functools.partial(text, key)}
        if attr == "label" and _takes_info(component):
            if config_field is not None:
                attrs["info"] = functools.partial(field_help, *config_field)
            elif f"{key}_help" in TEXT:
                attrs["info"] = functools.partial(text, f"{key}_help")
        for name, words in attrs.items():
            setattr(component, name, words(self.lang))
        self.bindings.append((component, attrs))
        return component

    def bind_words(self, component: Any, attr: str, words: Callable[[str], Any]) -> Any:
        """Like bind, for wording built in code: `words(lang)` is the attribute's value (a dropdown's choices
        as (label, value) pairs, say), set now and on every switch."""
        setattr(component, attr, words(self.lang))
        self.bindings.append((component, {attr: words}))
        return component

    @property
    def components(self) -> list[Any]:
        return [c for c, _ in self.bindings]

    def updates(self, lang: str) -> list[Any]:
        return [gr.update(**{name: words(lang) for name, words in attrs.items()}) for _, attrs in self.bindings]


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
