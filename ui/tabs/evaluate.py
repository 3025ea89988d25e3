"""Evaluate tab: held-out metrics, confusion matrix, per-class table and the most confident mistakes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from ui import charts
from ui.context import Context
from ui.errors import guarded


@dataclass
class EvaluateTab:
    run: gr.Dropdown
    summary: gr.Markdown
    metrics: gr.Dataframe
    confusion: gr.Plot
    per_class: gr.Dataframe
    worst: gr.Dataframe
    merge: gr.Button
    merged: gr.Markdown


def build(ctx: Context) -> EvaluateTab:
    tr = ctx.tr
    run = tr.bind(gr.Dropdown(choices=[], value=None, elem_id="eval-run"), "run")
    summary = gr.Markdown(elem_id="eval-summary")
    with gr.Row():
        metrics = tr.bind(gr.Dataframe(interactive=False), "metrics")
        confusion = gr.Plot(show_label=False, elem_id="confusion-plot")
    per_class = tr.bind(gr.Dataframe(interactive=False), "per_class")
    worst = tr.bind(gr.Dataframe(interactive=False, wrap=True), "worst")
    with gr.Row():
        merge = tr.bind(gr.Button(scale=0), "merge", attr="value")
        merged = gr.Markdown()
    return EvaluateTab(run, summary, metrics, confusion, per_class, worst, merge, merged)


def wire(ctx: Context, tab: EvaluateTab, ended: gr.State) -> None:
    """`ended` changes when the run the Train tab watches ends: its report may have just been written."""
    outputs = [tab.summary, tab.metrics, tab.confusion, tab.per_class, tab.worst]
    gr.on([tab.run.change, ended.change], _loader(ctx), [tab.run, ctx.state], outputs)

    @guarded
    def merge(run_id: str, session: dict) -> str:
        if not run_id:
            raise gr.Error(ctx.text("choose_run", session["lang"]))
        return f"✅ {ctx.text('merged', session['lang'])}: `{ctx.studio.merge(run_id, session['owner'])}`"

    tab.merge.click(merge, [tab.run, ctx.state], tab.merged)


def _loader(ctx: Context) -> Any:
    @guarded
    def load(run_id: str, session: dict) -> tuple:
        text = lambda key: ctx.text(key, session["lang"])  # noqa: E731
        if not run_id:
            return "", None, None, None, None
        if not ctx.studio.has_report(run_id, session["owner"]):
            return text("no_report"), None, None, None, None
        report = ctx.studio.report(run_id, session["owner"])
        metrics = pd.DataFrame([{"metric": k, "value": round(v, 4)} for k, v in report.metrics.items()])
        per_class = pd.DataFrame(report.per_class).round(4)
        worst = pd.DataFrame(report.worst, columns=["text", "true", "predicted", "confidence"])
        summary = f"### {text('eval_on')} **{report.split}** ({report.rows:,} {text('rows')})"
        return summary, metrics, charts.confusion_figure(report, text("confusion")), per_class, worst
    return load
