"""Typed errors whose messages are written for end users, not developers.

The UI shows `str(error)` as it is, so every message says what went wrong and how to fix it.
"""


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class DataError(EngineError):
    """The user's data cannot be used as it is (unreadable file, missing column, one class...)."""


class ConfigError(EngineError):
    """A setting is out of range or conflicts with another; names the field and the fix."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class ModelError(EngineError):
    """A model cannot be found, downloaded or loaded."""


class RunError(EngineError):
    """A training run cannot be started, stopped, resumed or read."""
