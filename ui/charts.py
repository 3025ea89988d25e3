"""Plotly figures for the tabs. Pure functions of engine objects: no state, no I/O."""
from __future__ import annotations

import plotly.graph_objects as go

from engine.evaluation import EvalReport
from engine.runs.events import History

METRIC_COLORS = {"eval_accuracy": "#2563eb", "eval_f1_macro": "#16a34a"}


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, height=320, margin=dict(l=40, r=10, t=40, b=40),
                      legend=dict(orientation="h", y=-0.25), template="plotly_white")
    return fig


def loss_figure(history: History, title: str = "Loss") -> go.Figure:
    fig = go.Figure()
    if history.train:
        fig.add_scatter(x=[r["step"] for r in history.train], y=[r["loss"] for r in history.train],
                        mode="lines", name="train loss")
    evals = [r for r in history.evals if "eval_loss" in r]
    if evals:
        fig.add_scatter(x=[r["step"] for r in evals], y=[r["eval_loss"] for r in evals],
                        mode="lines+markers", name="eval loss")
    return _layout(fig, title, "step", "loss")


def metrics_figure(history: History, title: str = "Evaluation metrics") -> go.Figure:
    fig = go.Figure()
    for key, color in METRIC_COLORS.items():
        rows = [r for r in history.evals if key in r]
        if rows:
            fig.add_scatter(x=[r["step"] for r in rows], y=[r[key] for r in rows], mode="lines+markers",
                            name=key.removeprefix("eval_"), line=dict(color=color))
    fig.update_yaxes(range=[0, 1.02])
    return _layout(fig, title, "step", "score")


def label_figure(counts: dict[str, int], title: str = "Labels") -> go.Figure:
    fig = go.Figure(go.Bar(x=list(counts), y=list(counts.values()), marker_color="#6366f1"))
    fig.update_xaxes(type="category")
    return _layout(fig, title, "label", "rows")


def length_figure(lengths: list[int], unit: str, title: str = "Text length") -> go.Figure:
    fig = go.Figure(go.Histogram(x=lengths, nbinsx=40, marker_color="#0ea5e9"))
    return _layout(fig, title, unit, "texts")


def confusion_figure(report: EvalReport, title: str = "Confusion matrix") -> go.Figure:
    labels = report.labels
    fig = go.Figure(go.Heatmap(z=report.confusion, x=labels, y=labels, colorscale="Blues",
                               text=report.confusion, texttemplate="%{text}", showscale=False))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    _layout(fig, title, "predicted", "true")
    fig.update_layout(height=max(320, 60 * len(labels) + 120))
    return fig


def probability_figure(probs: dict[str, float], title: str) -> go.Figure:
    ordered = sorted(probs.items(), key=lambda kv: kv[1])
    fig = go.Figure(go.Bar(x=[v for _, v in ordered], y=[k for k, _ in ordered], orientation="h",
                           marker_color="#16a34a"))
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(type="category")
    _layout(fig, title, "probability", "")
    fig.update_layout(height=max(200, 40 * len(probs) + 100))
    return fig
