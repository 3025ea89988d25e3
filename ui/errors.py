"""The one error boundary: engine errors become readable gr.Error pop-ups, nothing leaks a traceback.

A pop-up speaks the page's language: the session (the per-page state dict, which knows its language and owner)
is among most handlers' arguments. API calls have no session and read English, as the CLI does.
"""
from __future__ import annotations

import contextlib
import functools
import logging
from typing import Any, Callable, Iterator

import gradio as gr

from engine.errors import EngineError
from ui.i18n import text

log = logging.getLogger("tunebench.ui")


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _boundary(fn, args, kwargs):
            return fn(*args, **kwargs)
    return wrapper


def guarded_stream(fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """guarded() for a generator handler (streamed text): an error while it yields is caught too."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
        with _boundary(fn, args, kwargs):
            yield from fn(*args, **kwargs)
    return wrapper


@contextlib.contextmanager
def _boundary(fn: Callable[..., Any], args: tuple, kwargs: dict) -> Iterator[None]:
    try:
        yield
    except gr.Error:
        raise
    except EngineError as exc:
        raise gr.Error(exc.localized(reader_language(args, kwargs)), print_exception=False) from None
    except Exception as exc:  # noqa: BLE001 - the boundary: log for us, a short message for the user
        log.exception("unexpected error in %s", fn.__name__)
        message = text("unexpected_error", reader_language(args, kwargs)).format(kind=type(exc).__name__)
        raise gr.Error(message, print_exception=False) from None


def reader_language(args: tuple, kwargs: dict) -> str:
    """The language of the page that called: its session's, or English for a call without one (the API)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, dict) and "lang" in value and "owner" in value:
            return value["lang"]
    return "en"
