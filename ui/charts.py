"""Plotly figures for the tabs. Pure functions of engine objects: no state, no I/O.

Every word on a chart (title, axis titles, legend names) comes from ui/strings.py in the reader's language;
a caller may still pass its own title.
"""
from __future__ import annotations

import plotly.graph_objects as go

from engine.evaluation import EvalReport
from engine.metric_labels import metric_label
from engine.runs.events import History
from ui.i18n import text

METRIC_COLORS = {"eval_accuracy": "#2563eb", "eval_f1_macro": "#16a34a"}
SMALL_STEP_RANGE = 10   # up to this many steps, tick every step; beyond, Plotly's whole-number ticks


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=320, margin=dict(l=40, r=10, t=40, b=40),
                      legend=dict(orientation="h", y=-0.25), template="plotly_white")
    return fig


def _step_axis(fig: go.Figure, steps: list[float]) -> None:
    """Steps are whole numbers: never label a tick 2.5, and with few steps show each one."""
    fig.update_xaxes(tickformat="d", rangemode="tozero")
    if steps and max(steps) <= SMALL_STEP_RANGE:
        fig.update_xaxes(dtick=1)


def loss_figure(history: History, lang: str = "en") -> go.Figure:
    """Training loss and validation loss by step. Markers show every point, so the first logged loss is visible
    before a line can join two."""
    fig = go.Figure()
    if history.train:
        fig.add_scatter(x=[r["step"] for r in history.train], y=[r["loss"] for r in history.train],
                        mode="lines+markers", marker=dict(size=5), name=text("chart_train_loss", lang))
    evals = [r for r in history.evals if "eval_loss" in r]
    if evals:
        fig.add_scatter(x=[r["step"] for r in evals], y=[r["eval_loss"] for r in evals],
                        mode="lines+markers", name=text("chart_validation_loss", lang))
    _step_axis(fig, [r["step"] for r in history.train + evals])
    return _layout(fig, text("chart_loss", lang), text("chart_step", lang), text("chart_loss_axis", lang))


def metrics_figure(history: History, lang: str = "en") -> go.Figure:
    fig = go.Figure()
    for key, color in METRIC_COLORS.items():
        rows = [r for r in history.evals if key in r]
        if rows:
            fig.add_scatter(x=[r["step"] for r in rows], y=[r[key] for r in rows], mode="lines+markers",
                            name=metric_label(key, lang), line=dict(color=color))
    fig.update_yaxes(range=[0, 1.02])
    _step_axis(fig, [r["step"] for r in history.evals])
    return _layout(fig, text("chart_metrics", lang), text("chart_step", lang), text("chart_score", lang))


def label_figure(counts: dict[str, int], title: str | None = None, lang: str = "en") -> go.Figure:
    fig = go.Figure(go.Bar(x=list(counts), y=list(counts.values()), marker_color="#6366f1"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickformat="d")
    return _layout(fig, title or text("labels_chart", lang), text("chart_label", lang), text("chart_rows", lang))


def length_figure(lengths: list[int], unit: str, title: str | None = None, lang: str = "en") -> go.Figure:
    """`unit` is the engine's word for what was counted: "tokens" or "characters"."""
    fig = go.Figure(go.Histogram(x=lengths, nbinsx=40, marker_color="#0ea5e9"))
    fig.update_yaxes(tickformat="d")
    return _layout(fig, title or text("lengths_chart", lang), text(unit, lang), text("chart_texts", lang))


def confusion_figure(report: EvalReport, title: str | None = None, lang: str = "en") -> go.Figure:
    labels = report.labels
    fig = go.Figure(go.Heatmap(z=report.confusion, x=labels, y=labels, colorscale="Blues",
                               text=report.confusion, texttemplate="%{text}", showscale=False))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    _layout(fig, title or text("confusion", lang), text("chart_predicted", lang), text("chart_true", lang))
    fig.update_layout(height=max(320, 60 * len(labels) + 120))
    return fig


def probability_figure(probs: dict[str, float], title: str, lang: str = "en") -> go.Figure:
    """One bar per label, most likely on top, each labelled with its probability."""
    ordered = sorted(probs.items(), key=lambda kv: kv[1])
    values = [v for _, v in ordered]
    fig = go.Figure(go.Bar(x=values, y=[k for k, _ in ordered], orientation="h", marker_color="#16a34a",
                           text=[f"{v:.1%}" for v in values], textposition="auto", cliponaxis=False))
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(type="category")
    _layout(fig, title, text("chart_probability", lang), "")
    fig.update_layout(height=max(200, 40 * len(probs) + 100))
    return fig
