"""What every tab builder receives: the engine facade, the translator, the run form and the session state."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.owners import LOCAL_OWNER
from engine.runs.events import History
from engine.studio import Studio
from ui.form import Form
from ui.i18n import Translator, text


def new_session() -> dict[str, Any]:
    """Per-browser-session state: language, whose runs and uploads this page sees (set on load), the run
    being watched and how much of its log was read."""
    return {"lang": "en", "owner": LOCAL_OWNER, "run_id": "", "offset": 0, "history": History()}


@dataclass
class Context:
    studio: Studio
    tr: Translator
    form: Form
    state: gr.State
    app: gr.Blocks
    browser_id: gr.BrowserState   # a persistent random id per browser: the owner on a shared app without login
    setup: gr.BrowserState        # the form as the person left it, restored after a reload
    clock: gr.Timer               # ticks the watched run's progress; outside the tabs, so it runs from page load
    # The page's language code, set by the language switch once the session speaks it: its change redraws what
    # handlers drew in words (summaries, tables, charts, the run log) in the new language.
    language: gr.State

    @staticmethod
    def text(key: str, lang: str) -> str:
        return text(key, lang)
