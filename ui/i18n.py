"""Every user-facing string of the UI, in English and Chinese, and the switch between them.

Components are bound to keys as the tabs build them; switching language relabels every bound
component at once. A component's info line (its tooltip) is the help of the config field it edits, when
the binding names one, else the key ending in `_help` of its label key.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import gradio as gr

from engine.config import field_help
from ui.strings import OPTIONS_ZH, TEXT

LANGUAGES = {"English": "en", "中文": "zh"}


def text(key: str, lang: str) -> str:
    en, zh = TEXT[key]
    return zh if lang == "zh" else en


def option_label(field: str, value: str, lang: str) -> str:
    """A config value as a radio or dropdown shows it: the value itself in English (as the YAML spells it), its
    name in Chinese."""
    return OPTIONS_ZH[field][value] if lang == "zh" else value


def option_choices(field: str, values: Sequence[str], lang: str) -> list[tuple[str, str]]:
    """(label, value) pairs: the widget shows the label and hands the value to the config."""
    return [(option_label(field, value, lang), value) for value in values]


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
        return self._add(component, attrs)

    def bind_words(self, component: Any, attr: str, words: Callable[[str], Any]) -> Any:
        """Like bind, for wording built in code: `words(lang)` is the attribute's value (a dropdown's choices
        as (label, value) pairs, say), set now and on every switch."""
        return self._add(component, {attr: words})

    def _add(self, component: Any, attrs: dict[str, Wording]) -> Any:
        """One binding per component (a switch updates each output once), however many attributes it words."""
        for name, words in attrs.items():
            setattr(component, name, words(self.lang))
        bound = next((words for c, words in self.bindings if c is component), None)
        if bound is None:
            self.bindings.append((component, attrs))
        else:
            bound.update(attrs)
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

