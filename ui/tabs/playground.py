"""Playground: try a finished run on typed text beside the base model, or predict a whole file."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.studio import predictions_frame
from ui import charts
from ui.context import Context
from ui.errors import guarded


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
        batch_table = gr.Dataframe(interactive=False, wrap=True)
        batch_download = tr.bind(gr.DownloadButton(visible=False), "download_csv", attr="label")
    return PlaygroundTab(run, text, predict, tuned, tuned_plot, base, base_plot, batch_text, batch_file,
                         batch_predict, batch_table, batch_download)


def wire(ctx: Context, tab: PlaygroundTab) -> None:
    single = _single(ctx)
    gr.on([tab.predict.click, tab.text.submit], single, [tab.run, tab.text, ctx.state],
          [tab.tuned, tab.tuned_plot, tab.base, tab.base_plot])
    tab.batch_predict.click(_batch(ctx), [tab.run, tab.batch_text, tab.batch_file, ctx.state],
                            [tab.batch_table, tab.batch_download])


def _require_run(ctx: Context, run_id: str, session: dict) -> None:
    if not run_id:
        raise gr.Error(ctx.text("choose_run", session["lang"]))


def _single(ctx: Context) -> Any:
    @guarded
    def predict(run_id: str, text: str, session: dict) -> tuple:
        _require_run(ctx, run_id, session)
        lang = session["lang"]
        tuned = ctx.studio.predictor(run_id, session["owner"]).predict([text])[0]
        base = ctx.studio.base_predictor(run_id, session["owner"]).predict([text])[0]
        return (verdict(tuned, ctx.text("fine_tuned", lang)),
                charts.probability_figure(tuned["probs"], ctx.text("fine_tuned", lang), lang=lang),
                f"{verdict(base, ctx.text('base_model', lang))}\n{ctx.text('base_note', lang)}",
                charts.probability_figure(base["probs"], ctx.text("base_model", lang), lang=lang))
    return predict


def verdict(prediction: dict, who: str) -> str:
    """The predicted label with its probability as a number; the chart beside it labels every class's bar."""
    return f"### {who}: **{prediction['label']}** · {prediction['probs'][prediction['label']]:.1%}"


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
        return table, gr.update(value=str(ctx.studio.save_predictions(run_id, owner, table)), visible=True)
    return predict_many
