"""Every sentence the engine says to a user, by code, in English and Chinese.

A module that raises or warns registers its templates beside the code that uses them, with one
`register_messages({...})` call; a code is refused twice, so two modules can never disagree about
what it means. Errors and warnings carry a `Message` (code + parameters); the CLI prints its English
text and the UI renders it in the reader's language. Messages that outlive the process (events in a
run's log) are stored already rendered in both languages (`Message.texts()`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("en", "zh")
Templates = dict[str, tuple[str, str]]

CATALOG: Templates = {}


def register_messages(templates: Templates) -> Templates:
    """Add `{code: (english, chinese)}` templates (str.format placeholders) to the catalog."""
    for code, pair in templates.items():
        if code in CATALOG:
            raise ValueError(f"message code {code!r} is registered twice")
        if not (isinstance(pair, tuple) and len(pair) == len(LANGUAGES) and all(pair)):
            raise ValueError(f"message {code!r} needs one non-empty template per language {LANGUAGES}")
        CATALOG[code] = pair
    return templates


@dataclass(frozen=True)
class Message:
    """A sentence for a user: a registered code and the values its templates name."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CATALOG:
            raise KeyError(f"unregistered message code {self.code!r}")

    def text(self, lang: str = "en") -> str:
        template = CATALOG[self.code][LANGUAGES.index(lang) if lang in LANGUAGES else 0]
        return template.format(**{name: localize(value, lang) for name, value in self.params.items()})

    def texts(self) -> dict[str, str]:
        """The sentence in every language, for records read later by another process."""
        return {lang: self.text(lang) for lang in LANGUAGES}

    def __str__(self) -> str:
        return self.text("en")


def localize(value: Any, lang: str) -> Any:
    """A parameter as shown in `lang`: nested messages (and lists of them) are rendered too."""
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, (list, tuple)) and any(isinstance(item, Message) for item in value):
        separator = "；" if lang == "zh" else "; "
        return separator.join(str(localize(item, lang)) for item in value)
    return value


def pick_text(texts: dict[str, str] | str, lang: str) -> str:
    """A stored rendering (`Message.texts()`) in `lang`; plain strings from older records pass through."""
    if isinstance(texts, dict):
        return texts.get(lang) or texts.get("en", "")
    return texts
