"""Playground: try a finished run on inputs typed by hand beside the base model, or predict a whole file.

The input boxes are the run's task's input roles, and each model's prediction is drawn by the view of the task's
output kind (ui.views), so the tab works for every task without knowing it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from engine.data.reading import read_document
from engine.messages import localize
from engine.tasks import get_task
from ui import shaped
from ui.tabs import chat, gen_settings
from ui.tabs.chat import ChatPanel
from ui.tabs.gen_settings import SettingsPanel, settings_of
from ui.context import Context
from ui.errors import guarded
from ui.events import on_change
from ui.i18n import text as words
from ui.views import OutputView, output_view, shown

# The predictions table's columns, by their names on screen: the text input, then the prediction's own columns;
# each label's probability is p(label).
DOCUMENT_CHARS = 100_000  # the most an input box takes: a long document, read by the model in windows
PREDICTION_COLUMNS = {"text": "col_text", "label": "col_predicted", "confidence": "col_confidence",
                      "value": "col_value", "entities": "col_entities", "answer": "col_answer", "score": "col_score",
                      "generated": "col_generated", "tokens": "col_sentence", "spans": "col_spans",
                      "start": "col_start", "end": "col_end", "question": "col_question", "context": "col_context"}


@dataclass
class PlaygroundTab:
    run: gr.Dropdown
    single: gr.Row                # one prediction from the input boxes, for tasks that do not talk
    chat: ChatPanel               # the chat, for tasks that do (Task.chat)
    inputs: list[gr.Textbox]      # one per input role of the run's task (ui.shaped.INPUT_SLOTS)
    document: gr.UploadButton     # fills the last input box from a text file (a context to ask about)
    predict: gr.Button
    tuned: OutputView
    base: OutputView
    base_note: gr.Markdown
    settings: SettingsPanel       # generation settings, for tasks that write text
    batch_text: gr.Textbox
    batch_file: gr.File
    batch_predict: gr.Button
    batch_table: gr.Dataframe
    batch_download: gr.DownloadButton
    batch_download_jsonl: gr.DownloadButton
    # What was predicted last, as the engine gave it: a language switch draws it again in the new language.
    predicted: gr.State   # {"kind", "tuned", "base"} for the typed inputs, or None
    batch_predicted: gr.State   # the predictions table with the engine's column names, or None


def build(ctx: Context) -> PlaygroundTab:
    tr = ctx.tr
    run = tr.bind(gr.Dropdown(choices=[], value=None, elem_id="playground-run"), "run")
    chat_panel = chat.build(ctx)
    with gr.Row() as single:
        with gr.Column():
            inputs = [gr.Textbox(lines=3, max_length=DOCUMENT_CHARS, visible=i == 0, elem_id=f"playground-input-{i}",
                                 label=words("input_text", "en")) for i in range(shaped.INPUT_SLOTS)]
            document = gr.UploadButton(words("load_document", "en").format(box=words("input_text", "en")),
                                       file_types=[".txt", ".md"], type="filepath", size="sm",
                                       elem_id="playground-document")
            predict = tr.bind(gr.Button(variant="primary"), "predict", attr="value")
        with gr.Column():
            tuned = output_view("tuned")
        with gr.Column():
            base = output_view("base")
            base_note = gr.Markdown()
    settings = gen_settings.build(ctx)
    with tr.bind(gr.Accordion(open=False), "batch_section"):
        with gr.Row():
            batch_text = tr.bind(gr.Textbox(lines=6), "batch_text")
            batch_file = tr.bind(gr.File(type="filepath"), "batch_file")
        batch_predict = tr.bind(gr.Button(), "predict_batch", attr="value")
        batch_table = gr.Dataframe(interactive=False, wrap=True)
        with gr.Row():
            batch_download = tr.bind(gr.DownloadButton(visible=False), "download_csv", attr="label")
            batch_download_jsonl = tr.bind(gr.DownloadButton(visible=False), "download_jsonl", attr="label")
    return PlaygroundTab(run, single, chat_panel, inputs, document, predict, tuned, base, base_note, settings,
                         batch_text, batch_file, batch_predict, batch_table, batch_download, batch_download_jsonl,
                         gr.State(None), gr.State(None))


def wire(ctx: Context, tab: PlaygroundTab, ended: gr.State) -> None:
    views = [*tab.tuned.widgets, *tab.base.widgets, tab.base_note]
    on_change([tab.run.change, ended.change, ctx.language.change], _shaper(ctx), [tab.run, ctx.state],
              [*tab.inputs, tab.batch_text, tab.document, tab.single, tab.chat.section, *tab.settings.widgets],
              show_progress="hidden")
    sliders = tab.settings.sliders
    on_change(tab.run.change, _settings_loader(ctx), [tab.run, ctx.state], sliders, show_progress="hidden")
    chat.wire(ctx, tab.chat, tab.run, sliders)
    tab.document.upload(_document_loader(ctx), [tab.document, tab.run, ctx.state], tab.inputs)
    gr.on([tab.predict.click, *(box.submit for box in tab.inputs)], _single(ctx),
          [tab.run, ctx.state, *sliders, *tab.inputs], tab.predicted)
    on_change(tab.predicted.change, guarded(comparison), [tab.predicted, ctx.state], views, show_progress="hidden")
    tab.batch_predict.click(_batch(ctx), [tab.run, tab.batch_text, tab.batch_file, ctx.state, *sliders, *tab.inputs],
                            [tab.batch_predicted, tab.batch_download, tab.batch_download_jsonl])
    on_change(tab.batch_predicted.change, guarded(predictions_shown), [tab.batch_predicted, ctx.state],
              tab.batch_table, show_progress="hidden")
    on_change(ctx.language.change, guarded(lambda predicted, table, session: (*comparison(predicted, session),
                                                                              predictions_shown(table, session))),
              [tab.predicted, tab.batch_predicted, ctx.state], [*views, tab.batch_table], show_progress="hidden")


def _shaper(ctx: Context) -> Any:
    @guarded
    def shape(run_id: str, session: dict) -> list[Any]:
        """One box per input role of the run's task, named for it, the rest hidden; the batch box says how lines
        and the other boxes combine when the task reads several inputs; the generation settings of a task that
        writes text, at its run's defaults."""
        lang = session["lang"]
        if not run_id:  # the one box the page opens with, named in the page's language
            return [gr.update(label=words("input_text", lang)), *(gr.skip() for _ in range(1, shaped.INPUT_SLOTS)),
                    gr.update(info=None), gr.update(label=words("load_document", lang).format(
                        box=words("input_text", lang))), gr.update(visible=True), gr.update(visible=False),
                    *gen_settings.shown(None)]
        task = get_task(ctx.studio.config(run_id, session["owner"]).task)
        roles = task.input_roles
        names = [sentence_case(str(localize(role.description, lang))) for role in roles]
        # A chat's boxes are hidden: what an earlier run's task left in them must not ride along in batch mode.
        boxes = [gr.update(label=names[i], visible=True, **({"value": ""} if task.chat else {})) if i < len(roles)
                 else gr.update(visible=False, value="") for i in range(shaped.INPUT_SLOTS)]
        return [*boxes, gr.update(info=words("batch_shared_inputs", lang) if len(roles) > 1 and not task.chat else None),
                gr.update(label=words("load_document", lang).format(box=names[-1])),
                gr.update(visible=not task.chat), gr.update(visible=task.chat), *gen_settings.shown(task)]
    return shape


def _settings_loader(ctx: Context) -> Any:
    @guarded
    def load(run_id: str, session: dict) -> list[Any]:
        """The generation settings at the chosen run's own."""
        cfg = ctx.studio.config(run_id, session["owner"]) if run_id else None
        return gen_settings.defaults(get_task(cfg.task) if cfg else None, cfg)
    return load


def _document_loader(ctx: Context) -> Any:
    @guarded
    def load(path: str | None, run_id: str, session: dict) -> list[Any]:
        """The text file's text in the last input box of the run's task (the one box before any run)."""
        count = len(get_task(ctx.studio.config(run_id, session["owner"]).task).input_roles) if run_id else 1
        text = read_document(Path(path), Path(path).name, DOCUMENT_CHARS) if path else ""
        return [gr.update(value=text) if i == count - 1 else gr.skip() for i in range(shaped.INPUT_SLOTS)]
    return load


def _require_run(ctx: Context, run_id: str, session: dict) -> None:
    if not run_id:
        raise gr.Error(ctx.text("choose_run", session["lang"]))


def _settings(task: Any, values: tuple[float, ...]) -> Any:
    """The generation settings the sliders hold, for a task that writes text; None (its own way) for others."""
    return settings_of(values) if task.generation_settings else None


def _single(ctx: Context) -> Any:
    @guarded
    def predict(run_id: str, session: dict, *values: Any) -> dict:
        _require_run(ctx, run_id, session)
        task = get_task(ctx.studio.config(run_id, session["owner"]).task)
        settings, boxes = _settings(task, values[:len(gen_settings.NAMES)]), values[len(gen_settings.NAMES):]
        item = {role.name: value for role, value in zip(task.input_roles, boxes)}
        return {"kind": task.output_kind,
                "tuned": ctx.studio.predictor(run_id, session["owner"]).predict([item], settings)[0],
                "base": ctx.studio.base_predictor(run_id, session["owner"]).predict([item], settings)[0]}
    return predict


def comparison(predicted: dict | None, session: dict) -> list[Any]:
    """The fine-tuned and the base model's predictions side by side, each in its kind's view."""
    lang = session["lang"]
    kind = predicted["kind"] if predicted else ""
    tuned = shown(kind, predicted["tuned"] if predicted else None, words("fine_tuned", lang), lang)
    base = shown(kind, predicted["base"] if predicted else None, words("base_model", lang), lang)
    return [*tuned, *base, words("base_note", lang) if predicted else ""]


def predictions_shown(table: pd.DataFrame | None, session: dict) -> pd.DataFrame | None:
    """The last predictions table (nothing before any) in the page's language."""
    return predictions_table(table, session["lang"]) if table is not None else None


def predictions_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The predictions with the engine's columns named in `lang`: predicted label, confidence, p(label)..."""
    names = {column: words(key, lang) for column, key in PREDICTION_COLUMNS.items()}
    names.update({column: words("col_probability", lang).format(label=column[2:-1]) for column in table.columns
                  if column.startswith("p(") and column.endswith(")")})
    return table.rename(columns=names)


def _batch(ctx: Context) -> Any:
    @guarded
    def predict_many(run_id: str, lines: str, path: str | None, session: dict, *values: Any) -> tuple:
        _require_run(ctx, run_id, session)
        owner = session["owner"]
        task = get_task(ctx.studio.config(run_id, owner).task)
        settings, boxes = _settings(task, values[:len(gen_settings.NAMES)]), values[len(gen_settings.NAMES):]
        if path:
            table = ctx.studio.predict_table(run_id, owner, ctx.studio.keep_upload(path, owner), settings)
        else:  # one input per line for the task's first input role; the other boxes go with every line
            texts = [line.strip() for line in (lines or "").splitlines() if line.strip()]
            shared = {role.name: value for role, value in zip(task.input_roles[1:], boxes[1:])}
            table = ctx.studio.predict_lines(run_id, owner, texts, shared, settings)
        # The download keeps the engine's column names, which scripts read; the page shows them translated.
        csv, jsonl = ctx.studio.save_predictions(run_id, owner, table)
        return table, gr.update(value=str(csv), visible=True), gr.update(value=str(jsonl), visible=True)
    return predict_many


def sentence_case(words: str) -> str:
    """The first letter up and the rest as written (str.capitalize would lower "Chinese")."""
    return words[:1].upper() + words[1:]
