"""The playground's chat, for tasks that talk (Task.chat): the fine-tuned and the base model side by side, each
answer streamed as it is written, turn after turn, with a system prompt, the playground's generation settings
(ui.tabs.gen_settings) and a Stop button.

Streaming is a generator handler, which Gradio cancels when the page goes away or Stop is pressed; that only
ends a reply (engine.generation stops its writer thread), never a run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import gradio as gr

from engine.generation import text_content
from ui.context import Context
from ui.errors import guarded, guarded_stream
from ui.tabs.gen_settings import settings_of

CHAT_HEIGHT = 360


@dataclass
class ChatPanel:
    section: gr.Column    # shown instead of the input boxes when the run's task talks
    tuned: gr.Chatbot
    base: gr.Chatbot
    message: gr.Textbox
    system: gr.Textbox
    send: gr.Button
    stop: gr.Button
    clear: gr.Button


def build(ctx: Context) -> ChatPanel:
    tr = ctx.tr
    with gr.Column(visible=False, elem_id="chat-panel") as section:
        with gr.Row():
            tuned = tr.bind(gr.Chatbot(height=CHAT_HEIGHT, elem_id="chat-tuned"), "fine_tuned")
            base = tr.bind(gr.Chatbot(height=CHAT_HEIGHT, elem_id="chat-base"), "base_model")
        message = tr.bind(gr.Textbox(lines=2, max_length=20_000, elem_id="chat-message"), "chat_message")
        with gr.Row():
            send = tr.bind(gr.Button(variant="primary", elem_id="chat-send"), "chat_send", attr="value")
            stop = tr.bind(gr.Button(variant="stop", elem_id="chat-stop"), "chat_stop", attr="value")
            clear = tr.bind(gr.Button(elem_id="chat-clear"), "chat_clear", attr="value")
        system = tr.bind(gr.Textbox(lines=1, max_length=4000, elem_id="chat-system"), "chat_system")
    return ChatPanel(section, tuned, base, message, system, send, stop, clear)


def wire(ctx: Context, panel: ChatPanel, run: gr.Dropdown, settings: list[gr.Slider]) -> None:
    chats = [panel.tuned, panel.base]
    sent = gr.on([panel.send.click, panel.message.submit], _replier(ctx),
                 [run, ctx.state, panel.message, panel.system, *chats, *settings], [panel.message, *chats])
    panel.stop.click(None, cancels=[sent])
    gr.on([panel.clear.click, run.change], guarded(lambda: ([], [])), None, chats, show_progress="hidden")


def _replier(ctx: Context) -> Any:
    @guarded_stream
    def reply(run_id: str, session: dict, message: str, system: str, tuned: list, base: list,
              *values: float) -> Iterator[tuple]:
        """The message added to both chats, then each model's answer streamed into its own, fine-tuned first."""
        if not run_id:
            raise gr.Error(ctx.text("choose_run", session["lang"]))
        if not (message or "").strip():
            raise gr.Error(ctx.text("chat_empty", session["lang"]))
        settings = settings_of(values)
        chats = {False: _turns(tuned), True: _turns(base)}
        for chat in chats.values():
            chat += [{"role": "user", "content": message.strip()}, {"role": "assistant", "content": ""}]
        yield "", chats[False], chats[True]
        for is_base, chat in chats.items():
            item = {"prompt": message.strip(), "system": system or "", "history": answered(chat[:-2])}
            for piece in ctx.studio.stream(run_id, session["owner"], item, settings, base=is_base):
                chat[-1]["content"] += piece
                yield gr.skip(), chats[False], chats[True]
    return reply


def answered(turns: list[dict[str, str]]) -> list[dict[str, str]]:
    """The exchanges the model answered: a question whose answer Stop cut before its first word is left out with
    it (templates need the user and the assistant to alternate)."""
    kept: list[dict[str, str]] = []
    for turn in turns:
        if turn["role"] == "assistant" and not turn["content"].strip():
            if kept and kept[-1]["role"] == "user":
                kept.pop()
            continue
        kept.append(turn)
    return kept


def _turns(chat: list | None) -> list[dict[str, str]]:
    """A Chatbot's messages as plain {role, content} turns (the model's earlier answers included)."""
    return [{"role": turn["role"], "content": text_content(turn["content"])} for turn in chat or []]
