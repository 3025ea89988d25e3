"""The one error boundary: engine errors become readable gr.Error pop-ups, nothing leaks a traceback."""
from __future__ import annotations

import functools
import logging
from typing import Any, Callable

import gradio as gr

from engine.errors import EngineError

log = logging.getLogger("tunebench.ui")


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except EngineError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        except Exception as exc:  # noqa: BLE001 - the boundary: log for us, a short message for the user
            log.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(f"Something went wrong ({type(exc).__name__}). Details are in the server log.",
                           print_exception=False) from None
    return wrapper
