"""Evaluate tab: a run's held-out metrics and its task's report (tables and figures, shown as their kinds say);
merging an adapter into its base model for the runs that trained one."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr
import pandas as pd

from engine.evaluation import EvalReport, Table
from engine.messages import pick_text
from engine.metric_labels import metric_label
from ui import charts
from ui.context import Context
from ui.errors import guarded
from ui.i18n import text
from ui.events import on_change

METRIC_COLUMNS = {"metric": "col_metric", "value": "col_value"}
FIGURE_SLOTS, TABLE_SLOTS = 2, 3   # the most a task's report holds
WRAPPED_KINDS = ("text", "marked")   # report column kinds that share the text room
TEXT_SHARE = 60                     # per cent of a table's width for its text column, which wraps


@dataclass
class EvaluateTab:
    run: gr.Dropdown
    summary: gr.Markdown
    metrics: gr.Dataframe
    figures: list[gr.Plot]
    tables: list[gr.Dataframe]
    merge: gr.Button
    merged: gr.Markdown


def build(ctx: Context) -> EvaluateTab:
    tr = ctx.tr
    run = tr.bind(gr.Dropdown(choices=[], value=None, elem_id="eval-run"), "run")
    summary = gr.Markdown(elem_id="eval-summary")
    with gr.Row():
        metrics = tr.bind(gr.Dataframe(empty_table("en"), interactive=False, elem_id="eval-metrics"), "metrics")
        figures = [gr.Plot(show_label=False, visible=i == 0, elem_id=f"eval-figure-{i}") for i in range(FIGURE_SLOTS)]
    tables = [gr.Dataframe(interactive=False, wrap=True, visible=False, elem_id=f"eval-table-{i}")
              for i in range(TABLE_SLOTS)]
    with gr.Row():
        merge = tr.bind(gr.Button(scale=0, visible=False, elem_id="merge-adapter"), "merge", attr="value")
        merged = gr.Markdown()
    return EvaluateTab(run, summary, metrics, figures, tables, merge, merged)


def wire(ctx: Context, tab: EvaluateTab, ended: gr.State) -> None:
    """`ended` changes when the run the Train tab watches ends: its report may have just been written."""
    outputs = [tab.summary, tab.metrics, *tab.figures, *tab.tables, tab.merge, tab.merged]
    on_change([tab.run.change, ended.change, ctx.language.change], _loader(ctx), [tab.run, ctx.state], outputs)

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
            return (text("no_report", lang) if run_id else "", empty_table(lang), *_figures(None, lang),
                    *_tables(None, lang), gr.update(visible=False), "")
        report = ctx.studio.report(run_id, owner)
        # Only an adapter (LoRA, IA3) folds into its base model: full, frozen and prompt-tuned runs have none.
        merge = gr.update(visible=ctx.studio.is_adapter_run(run_id, owner))
        return (summary_markdown(report, lang), metrics_table(report, lang), *_figures(report, lang),
                *_tables(report, lang), merge, "")
    return load


def _figures(report: EvalReport | None, lang: str) -> list[Any]:
    figures = report.figures if report else []
    return [gr.update(value=charts.report_figure(figures[i], lang), visible=True) if i < len(figures)
            else gr.update(value=None, visible=i == 0 and report is None) for i in range(FIGURE_SLOTS)]


def _tables(report: EvalReport | None, lang: str) -> list[Any]:
    tables = report.tables if report else []
    return [_table_update(tables[i], lang) if i < len(tables) else gr.update(value=None, visible=False)
            for i in range(TABLE_SLOTS)]


def _table_update(table: Table, lang: str) -> Any:
    """A report's table under its title, its columns named in `lang`; a text column gets the room to wrap."""
    frame = pd.DataFrame(table.rows, columns=[c.key for c in table.columns])
    frame.columns = [pick_text(c.label, lang) for c in table.columns]
    wide = [c.kind in WRAPPED_KINDS for c in table.columns]
    texts, others = sum(wide), len(wide) - sum(wide)
    share = (100 - TEXT_SHARE) / others if texts and others else 100 / max(len(table.columns), 1)
    widths = [f"{TEXT_SHARE / texts if is_text else share:.0f}%" for is_text in wide] if texts else None
    types = ["markdown" if c.kind == "marked" else "number" if c.kind == "number" else "str" for c in table.columns]
    return gr.update(value=frame, label=pick_text(table.title, lang), visible=True, column_widths=widths,
                     datatype=types)


def summary_markdown(report: EvalReport, lang: str) -> str:
    """Which split the scores come from: the test split, or validation when the data has no test split."""
    heading = text("eval_on_test" if report.split == "test" else "eval_on_validation", lang)
    lines = [f"### {heading} ({report.rows:,} {text('rows', lang)})"]
    if report.split != "test":
        lines.append(f"> ℹ️ {text('eval_validation_note', lang)}")
    return "\n".join(lines)


def empty_table(lang: str) -> pd.DataFrame:
    """The metrics table with its headers and no rows: before a report exists, the page names what will be there."""
    return pd.DataFrame(columns=[text(key, lang) for key in METRIC_COLUMNS.values()])


def metrics_table(report: EvalReport, lang: str) -> pd.DataFrame:
    return pd.DataFrame({text("col_metric", lang): [metric_label(name, lang) for name in report.metrics],
                         text("col_value", lang): [round(v, 4) for v in report.metrics.values()]})
