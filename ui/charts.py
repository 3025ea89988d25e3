"""Plotly figures for the tabs. Pure functions of engine objects: no state, no I/O.

Every word on a chart (title, axis titles, legend names) comes from ui/strings.py in the reader's language;
a caller may still pass its own title.
"""
from __future__ import annotations

import plotly.graph_objects as go

from engine.data import RoleSummary
from engine.evaluation import Figure
from engine.messages import pick_text
from engine.metric_labels import metric_label
from engine.runs.events import History
from ui.i18n import text

METRIC_COLORS = ("#2563eb", "#16a34a", "#d97706", "#9333ea")
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
    """The task's live metrics at each evaluation. Scores between 0 and 1 (accuracy, F1) keep that scale, so a
    climb from 0.6 to 0.7 does not look like a leap; errors in the data's units (RMSE) scale to their values."""
    fig = go.Figure()
    values: list[float] = []
    for name, color in zip(history.live_metrics, METRIC_COLORS):
        rows = [r for r in history.evals if f"eval_{name}" in r]
        if rows:
            values += [r[f"eval_{name}"] for r in rows]
            fig.add_scatter(x=[r["step"] for r in rows], y=[r[f"eval_{name}"] for r in rows], mode="lines+markers",
                            name=metric_label(name, lang), line=dict(color=color))
    if values and min(values) >= 0 and max(values) <= 1:
        fig.update_yaxes(range=[0, 1.02])
    _step_axis(fig, [r["step"] for r in history.evals])
    return _layout(fig, text("chart_metrics", lang), text("chart_step", lang), text("chart_score", lang))


def target_figure(role: RoleSummary | None, lang: str = "en") -> go.Figure | None:
    """What the model learns to predict, as its kind is best seen: rows per label, entities per type, or the
    spread of a number."""
    if role is None:
        return None
    if role.kind == "number":
        fig = go.Figure(go.Histogram(x=role.values, nbinsx=40, marker_color="#6366f1"))
        fig.update_yaxes(tickformat="d")
        return _layout(fig, text("values_chart", lang), role.column, text("chart_rows", lang))
    entities = role.kind == "tags"
    fig = go.Figure(go.Bar(x=list(role.counts), y=list(role.counts.values()), marker_color="#6366f1"))
    fig.update_xaxes(type="category")
    fig.update_yaxes(tickformat="d")
    return _layout(fig, text("entities_chart" if entities else "labels_chart", lang),
                   text("chart_entity_type" if entities else "chart_label", lang),
                   text("chart_entities" if entities else "chart_rows", lang))


def input_figure(role: RoleSummary | None, lang: str = "en") -> go.Figure | None:
    """How long the model's input is, in the unit the engine counted ("tokens" or "characters")."""
    if role is None or not role.values:
        return None
    fig = go.Figure(go.Histogram(x=role.values, nbinsx=40, marker_color="#0ea5e9"))
    fig.update_yaxes(tickformat="d")
    return _layout(fig, text("lengths_chart", lang), text(role.unit, lang), text("chart_texts", lang))


def report_figure(figure: Figure, lang: str = "en") -> go.Figure:
    """A figure of an evaluation report, drawn as its kind says: a heatmap (rows: the truth), a scatter of
    predicted against true values with the line where they agree, or bars."""
    title, x_title, y_title = (pick_text(figure.title, lang), pick_text(figure.data.get("x_title", ""), lang),
                               pick_text(figure.data.get("y_title", ""), lang))
    data = figure.data
    if figure.kind == "heatmap":
        fig = go.Figure(go.Heatmap(z=data["z"], x=data["x"], y=data["y"], colorscale="Blues", text=data["z"],
                                   texttemplate="%{text}", showscale=False))
        fig.update_yaxes(autorange="reversed", type="category")
        fig.update_xaxes(type="category")
        _layout(fig, title, x_title, y_title)
        fig.update_layout(height=max(320, 40 * len(data["y"]) + 120))
        return fig
    if figure.kind == "scatter":
        fig = go.Figure(go.Scatter(x=data["x"], y=data["y"], mode="markers", marker=dict(size=6, opacity=0.6),
                                   showlegend=False))
        ends = [min(data["x"] + data["y"]), max(data["x"] + data["y"])] if data["x"] else [0, 1]
        fig.add_scatter(x=ends, y=ends, mode="lines", line=dict(dash="dot", color="#9ca3af"), showlegend=False)
        return _layout(fig, title, x_title, y_title)
    if "series" in data:  # grouped bars, one colour per series
        fig = go.Figure([go.Bar(x=data["x"], y=series["y"], name=pick_text(series["name"], lang), marker_color=colour)
                         for series, colour in zip(data["series"], ("#6366f1", "#9ca3af", "#16a34a"))])
        fig.update_layout(barmode="group")
    else:
        fig = go.Figure(go.Bar(x=data["x"], y=data["y"], marker_color="#6366f1"))
    fig.update_xaxes(type="category")
    return _layout(fig, title, x_title, y_title)


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
