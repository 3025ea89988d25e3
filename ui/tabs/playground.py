"""Playground: try a finished run on typed text beside the base model, or predict a whole file."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from engine.studio import predictions_frame
from ui import charts
from ui.context import Context
from ui.errors import guarded
from ui.i18n import text as words

# The predictions table's own columns, by their names on screen; each label's probability is p(label).
PREDICTION_COLUMNS = {"text": "col_text", "label": "col_predicted", "confidence": "col_confidence"}


@dataclass
class PlaygroundTab:
    run: gr.Dropdown
    text: gr.Textbox
    predict: gr.Button
    tuned: gr.Markdown
    tuned_plot: gr.Plot
    base: gr.Markdown
    base_plot: gr.Plot
    batch_text: gr.Textbox
    batch_file: gr.File
    batch_predict: gr.Button
    batch_table: gr.Dataframe
    batch_download: gr.DownloadButton
    # What was predicted last, as the engine gave it: a language switch draws it again in the new language.
    predicted: gr.State   # {"tuned": prediction, "base": prediction} of the typed text, or None
    batch_predicted: gr.State   # the predictions table with the engine's column names, or None


def build(ctx: Context) -> PlaygroundTab:
    tr = ctx.tr
    run = tr.bind(gr.Dropdown(choices=[], value=None), "run")
    with gr.Row():
        with gr.Column():
            text = tr.bind(gr.Textbox(lines=3, max_length=5000), "input_text")
            predict = tr.bind(gr.Button(variant="primary"), "predict", attr="value")
        with gr.Column():
            tuned = gr.Markdown(elem_id="tuned-prediction")
            tuned_plot = gr.Plot(show_label=False)
        with gr.Column():
            base = gr.Markdown(elem_id="base-prediction")
            base_plot = gr.Plot(show_label=False)
    with tr.bind(gr.Accordion(open=False), "batch_section"):
        with gr.Row():
            batch_text = tr.bind(gr.Textbox(lines=6), "batch_text")
            batch_file = tr.bind(gr.File(type="filepath"), "batch_file")
        batch_predict = tr.bind(gr.Button(), "predict_batch", attr="value")
        batch_table = gr.Dataframe(predictions_table(pd.DataFrame(columns=list(PREDICTION_COLUMNS)), "en"),
                                   interactive=False, wrap=True)
        batch_download = tr.bind(gr.DownloadButton(visible=False), "download_csv", attr="label")
    return PlaygroundTab(run, text, predict, tuned, tuned_plot, base, base_plot, batch_text, batch_file,
                         batch_predict, batch_table, batch_download, gr.State(None), gr.State(None))


def wire(ctx: Context, tab: PlaygroundTab) -> None:
    shown = [tab.tuned, tab.tuned_plot, tab.base, tab.base_plot]
    gr.on([tab.predict.click, tab.text.submit], _single(ctx), [tab.run, tab.text, ctx.state], tab.predicted)
    tab.predicted.change(guarded(comparison), [tab.predicted, ctx.state], shown, show_progress="hidden")
    tab.batch_predict.click(_batch(ctx), [tab.run, tab.batch_text, tab.batch_file, ctx.state],
                            [tab.batch_predicted, tab.batch_download])
    tab.batch_predicted.change(guarded(predictions_shown), [tab.batch_predicted, ctx.state], tab.batch_table,
                               show_progress="hidden")
    ctx.language.change(guarded(lambda predicted, table, session: (*comparison(predicted, session),
                                                                    predictions_shown(table, session))),
                        [tab.predicted, tab.batch_predicted, ctx.state], [*shown, tab.batch_table],
                        show_progress="hidden")


def _require_run(ctx: Context, run_id: str, session: dict) -> None:
    if not run_id:
        raise gr.Error(ctx.text("choose_run", session["lang"]))


def _single(ctx: Context) -> Any:
    @guarded
    def predict(run_id: str, text: str, session: dict) -> dict:
        _require_run(ctx, run_id, session)
        return {"tuned": ctx.studio.predictor(run_id, session["owner"]).predict([text])[0],
                "base": ctx.studio.base_predictor(run_id, session["owner"]).predict([text])[0]}
    return predict


def comparison(predicted: dict | None, session: dict) -> tuple:
    """The fine-tuned and the base model's verdicts and charts, side by side."""
    if not predicted:
        return "", None, "", None
    lang = session["lang"]
    tuned, base = words("fine_tuned", lang), words("base_model", lang)
    return (verdict(predicted["tuned"], tuned, lang),
            charts.probability_figure(predicted["tuned"]["probs"], tuned, lang=lang),
            f"{verdict(predicted['base'], base, lang)}\n{words('base_note', lang)}",
            charts.probability_figure(predicted["base"]["probs"], base, lang=lang))


def verdict(prediction: dict, who: str, lang: str = "en") -> str:
    """The predicted label with its probability as a number; the chart beside it labels every class's bar."""
    colon = "：" if lang == "zh" else ": "
    return f"### {who}{colon}**{prediction['label']}** · {prediction['probs'][prediction['label']]:.1%}"


def predictions_shown(table: pd.DataFrame | None, session: dict) -> pd.DataFrame:
    """The last predictions table (empty before any) in the page's language."""
    return predictions_table(table if table is not None else pd.DataFrame(columns=list(PREDICTION_COLUMNS)),
                             session["lang"])


def predictions_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The predictions with their columns named in `lang`: text, predicted label, confidence, p(label)..."""
    names = {column: words(key, lang) for column, key in PREDICTION_COLUMNS.items()}
    names.update({column: words("col_probability", lang).format(label=column[2:-1]) for column in table.columns
                  if column.startswith("p(") and column.endswith(")")})
    return table.rename(columns=names)


def _batch(ctx: Context) -> Any:
    @guarded
    def predict_many(run_id: str, lines: str, path: str | None, session: dict) -> tuple:
        _require_run(ctx, run_id, session)
        owner = session["owner"]
        if path:
            table = ctx.studio.predict_table(run_id, owner, ctx.studio.keep_upload(path, owner))
        else:
            texts = [line.strip() for line in (lines or "").splitlines() if line.strip()]
            table = predictions_frame(texts, ctx.studio.predictor(run_id, owner).predict(texts))
        # The download keeps the engine's column names, which scripts read; the page shows them translated.
        return table, gr.update(value=str(ctx.studio.save_predictions(run_id, owner, table)), visible=True)
    return predict_many
