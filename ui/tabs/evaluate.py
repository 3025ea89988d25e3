"""Evaluate tab: held-out metrics, confusion matrix, per-class table and the most confident mistakes; merging an
adapter into its base model for the runs that trained one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from engine.evaluation import EvalReport
from engine.metric_labels import metric_label
from ui import charts
from ui.context import Context
from ui.errors import guarded
from ui.i18n import text

# The verdict first, then the text, which wraps in the room left to it.
MISTAKE_COLUMNS = {"true": "col_true", "predicted": "col_predicted", "confidence": "col_confidence",
                   "text": "col_text"}
MISTAKE_WIDTHS = ["14%", "14%", "11%", "61%"]
PER_CLASS_COLUMNS = {"label": "col_label", "precision": "col_precision", "recall": "col_recall", "f1": "col_f1",
                     "support": "col_support"}
METRIC_COLUMNS = {"metric": "col_metric", "value": "col_value"}


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
        metrics = tr.bind(gr.Dataframe(empty_table(METRIC_COLUMNS, "en"), interactive=False), "metrics")
        confusion = gr.Plot(show_label=False, elem_id="confusion-plot")
    per_class = tr.bind(gr.Dataframe(empty_table(PER_CLASS_COLUMNS, "en"), interactive=False), "per_class")
    worst = tr.bind(gr.Dataframe(empty_table(MISTAKE_COLUMNS, "en"), interactive=False, wrap=True,
                                 column_widths=MISTAKE_WIDTHS, elem_id="mistakes"), "worst")
    with gr.Row():
        merge = tr.bind(gr.Button(scale=0, visible=False, elem_id="merge-adapter"), "merge", attr="value")
        merged = gr.Markdown()
    return EvaluateTab(run, summary, metrics, confusion, per_class, worst, merge, merged)


def wire(ctx: Context, tab: EvaluateTab, ended: gr.State) -> None:
    """`ended` changes when the run the Train tab watches ends: its report may have just been written."""
    outputs = [tab.summary, tab.metrics, tab.confusion, tab.per_class, tab.worst, tab.merge, tab.merged]
    gr.on([tab.run.change, ended.change, ctx.language.change], _loader(ctx), [tab.run, ctx.state], outputs)

    @guarded
    def merge(run_id: str, session: dict) -> str:
        if not run_id:
            raise gr.Error(ctx.text("choose_run", session["lang"]))
        return f"✅ {ctx.text('merged', session['lang'])}: `{ctx.studio.merge(run_id, session['owner'])}`"

    tab.merge.click(merge, [tab.run, ctx.state], tab.merged)


def _loader(ctx: Context) -> Any:
    @guarded
    def load(run_id: str, session: dict) -> tuple:
        lang, owner = session["lang"], session["owner"]
        if not run_id or not ctx.studio.has_report(run_id, owner):
            return (text("no_report", lang) if run_id else "", empty_table(METRIC_COLUMNS, lang), None,
                    empty_table(PER_CLASS_COLUMNS, lang), empty_table(MISTAKE_COLUMNS, lang), gr.update(visible=False),
                    "")
        report = ctx.studio.report(run_id, owner)
        # Only an adapter (LoRA, IA3) folds into its base model: full, frozen and prompt-tuned runs have none.
        merge = gr.update(visible=ctx.studio.is_adapter_run(run_id, owner))
        return (summary_markdown(report, lang), metrics_table(report, lang),
                charts.confusion_figure(report, lang=lang), per_class_table(report, lang),
                mistakes_table(report, lang), merge, "")
    return load


def summary_markdown(report: EvalReport, lang: str) -> str:
    """Which split the scores come from: the test split, or validation when the data has no test split."""
    heading = text("eval_on_test" if report.split == "test" else "eval_on_validation", lang)
    lines = [f"### {heading} ({report.rows:,} {text('rows', lang)})"]
    if report.split != "test":
        lines.append(f"> ℹ️ {text('eval_validation_note', lang)}")
    return "\n".join(lines)


def empty_table(columns: dict[str, str], lang: str) -> pd.DataFrame:
    """A table with its headers and no rows: before a report exists, the page names what will be there."""
    return pd.DataFrame(columns=[text(key, lang) for key in columns.values()])


def metrics_table(report: EvalReport, lang: str) -> pd.DataFrame:
    return pd.DataFrame({text("col_metric", lang): [metric_label(name, lang) for name in report.metrics],
                         text("col_value", lang): [round(v, 4) for v in report.metrics.values()]})


def per_class_table(report: EvalReport, lang: str) -> pd.DataFrame:
    table = pd.DataFrame(report.per_class, columns=list(PER_CLASS_COLUMNS)).round(4)
    return table.rename(columns={name: text(key, lang) for name, key in PER_CLASS_COLUMNS.items()})


def mistakes_table(report: EvalReport, lang: str) -> pd.DataFrame:
    table = pd.DataFrame(report.worst, columns=list(MISTAKE_COLUMNS))
    return table.rename(columns={name: text(key, lang) for name, key in MISTAKE_COLUMNS.items()})
