"""Typed errors whose messages are written for end users, not developers.

Each error carries a `Message` (a registered code and its parameters, see engine.messages): `str(error)`
is the English sentence the CLI prints, and `error.localized(lang)` is what the UI shows. Every message
says what went wrong and how to fix it.
"""
from __future__ import annotations

from typing import Any

from engine.messages import Message, register_messages

register_messages({
    "config.problem": ("{field}: {detail}", "{field}：{detail}"),
})


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    def __init__(self, code: str, **params: Any):
        self.message = Message(code, params)
        super().__init__(self.message.text("en"))

    @property
    def code(self) -> str:
        return self.message.code

    def localized(self, lang: str) -> str:
        return self.message.text(lang)


class DataError(EngineError):
    """The user's data cannot be used as it is (unreadable file, missing column, one class...)."""


class ConfigError(EngineError):
    """A setting is out of range or conflicts with another; names the field (as the YAML spells it) and the fix."""

    def __init__(self, field: str, code: str, **params: Any):
        self.field = field
        self.detail = Message(code, params)
        super().__init__("config.problem", field=field, detail=self.detail)


class ModelError(EngineError):
    """A model cannot be found, downloaded or loaded."""


class RunError(EngineError):
    """A training run cannot be started, stopped, resumed or read."""


class LabelError(EngineError):
    """A labeling project cannot be found, joined or changed as asked (an unknown label, nothing to undo...)."""
