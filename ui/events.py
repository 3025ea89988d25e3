"""Handlers of changes, each on its own relay, so one change runs each of them once.

Why a relay: in Gradio 6's browser client, a handler in "always_last" mode (the default for `.change`) that is
asked to run while it is still running runs again when it finishes, as it should, but by dispatching the *event*
anew, so every other handler of that event runs again too. A form change has several handlers (save the setup,
preview the YAML, check readiness, split the data...) and they kept setting each other off in turn: an idle page
re-ran them every second or two, forever, and starved a page beside a running training.

Here the event's only direct listener is a relay that runs in the browser and does nothing; the handler hangs off
the relay with `.then`, and a `.then` that runs again dispatches only itself.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import gradio as gr

RELAY_JS = "() => {}"   # runs in the browser only: no request, nothing to wait for


def on_change(triggers: Any | Sequence[Any], fn: Callable[..., Any], inputs: Any = None, outputs: Any = None,
              **kwargs: Any) -> Any:
    """`fn` after any of `triggers`, once more after it finishes if they fired meanwhile (Gradio's always_last),
    and never because another handler of the same trigger ran again. Returns the handler's dependency (for .then)."""
    relay = gr.on(triggers, None, None, None, js=RELAY_JS, show_progress="hidden", queue=False)
    return relay.then(fn, inputs, outputs, trigger_mode="always_last", **kwargs)
