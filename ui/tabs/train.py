"""Train tab: start, stop and resume runs; watch loss, metrics and progress live.

Start returns at once with a run id; a gr.Timer tails the run's events.jsonl, so nothing here
lives as long as the training, and closing the tab cannot stop or stall it.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.errors import EngineError
from engine.runs.events import ENDED, History
from engine.runs.store import RunRecord
from engine.studio import Studio
from ui import charts
from ui.context import Context
from ui.errors import guarded
from ui.i18n import text

TICK_S = 1.0
LAST = "last"
LOG_LINES = 200


@dataclass
class TrainTab:
    name: gr.Textbox
    start: gr.Button
    stop: gr.Button
    resume: gr.Button
    checkpoint: gr.Dropdown
    run: gr.Dropdown
    refresh: gr.Button
    progress: gr.HTML
    loss_plot: gr.Plot
    metrics_plot: gr.Plot
    log: gr.Textbox
    timer: gr.Timer


def build(ctx: Context) -> TrainTab:
    tr = ctx.tr
    with gr.Row():
        name = ctx.form.bind("", "name", tr.bind(gr.Textbox(max_length=80, scale=2), "run_name"))
        start = tr.bind(gr.Button(variant="primary", scale=1), "start", attr="value")
        stop = tr.bind(gr.Button(variant="stop", scale=1), "stop", attr="value")
        resume = tr.bind(gr.Button(scale=1), "resume", attr="value")
    with gr.Row():
        run = tr.bind(gr.Dropdown(choices=[], value=None, scale=4), "run")
        checkpoint = tr.bind(gr.Dropdown(choices=[LAST], value=LAST, scale=2), "resume_from")
        refresh = tr.bind(gr.Button(scale=1, size="sm"), "refresh", attr="value")
    progress = gr.HTML(elem_id="progress")
    with gr.Row():
        loss_plot = gr.Plot(show_label=False, elem_id="loss-plot")
        metrics_plot = gr.Plot(show_label=False, elem_id="metrics-plot")
    log = tr.bind(gr.Textbox(lines=10, max_lines=10, interactive=False, autoscroll=True, elem_id="run-log"), "run_log")
    timer = gr.Timer(TICK_S)
    return TrainTab(name, start, stop, resume, checkpoint, run, refresh, progress, loss_plot, metrics_plot, log, timer)


def run_choices(studio: Studio) -> list[tuple[str, str]]:
    return [(_run_label(r), r.id) for r in studio.runs()]


def _run_label(record: RunRecord) -> str:
    metric = f" · {record.best_metric_name} {record.best_metric:.3f}" if record.best_metric is not None else ""
    return f"{record.name} · {record.status} · {record.model.removeprefix('packaged:')}{metric}"


def watch(session: dict, run_id: str) -> dict:
    """Point the session at a run and forget what was drawn for the previous one."""
    session.update(run_id=run_id, offset=0, history=History())
    return session


def wire(ctx: Context, tab: TrainTab, run_selectors: list[gr.Dropdown]) -> None:
    studio, state = ctx.studio, ctx.state
    drawn = [tab.progress, tab.loss_plot, tab.metrics_plot, tab.log]

    @guarded
    def start(session: dict, *values: Any) -> tuple:
        cfg = ctx.form.to_config(list(values))
        record = studio.start(cfg)
        gr.Info(ctx.text("started", session["lang"]))
        if not studio.coverage(cfg.model.name_or_path, cfg.data.train_file, cfg.data.text_column).readable:
            gr.Warning(ctx.text("coverage_bad", session["lang"]))
        return watch(session, record.id), gr.update(choices=run_choices(studio), value=record.id)

    @guarded
    def stop(session: dict) -> None:
        studio.stop(_current(session, ctx))
        gr.Info(ctx.text("stopping", session["lang"]))

    @guarded
    def resume(session: dict, checkpoint: str) -> tuple:
        record = studio.resume(_current(session, ctx), "" if checkpoint == LAST else checkpoint)
        gr.Info(ctx.text("resuming", session["lang"]))
        return session, gr.update(choices=run_choices(studio), value=record.id)

    @guarded
    def pick(session: dict, run_id: str) -> tuple:
        return redraw(watch(session, run_id or ""), studio)

    tab.start.click(start, [state, *ctx.form.components], [state, tab.run])
    tab.stop.click(stop, state, None)
    tab.resume.click(resume, [state, tab.checkpoint], [state, tab.run])
    tab.run.input(pick, [state, tab.run], [state, *drawn])
    tab.run.change(guarded(lambda run_id: checkpoint_choices(studio, run_id)), tab.run, tab.checkpoint)
    tab.refresh.click(guarded(lambda: gr.update(choices=run_choices(studio))), None, tab.run)
    tab.timer.tick(_ticker(studio), state, [state, *drawn, tab.run, tab.checkpoint, *run_selectors],
                   show_progress="hidden")


def checkpoint_choices(studio: Studio, run_id: str) -> Any:
    return gr.update(choices=[LAST, *studio.checkpoints(run_id)] if run_id else [LAST], value=LAST)


def _current(session: dict, ctx: Context) -> str:
    if not session["run_id"]:
        raise gr.Error(ctx.text("no_run", session["lang"]))
    return session["run_id"]


def _ticker(studio: Studio) -> Any:
    @guarded
    def tick(session: dict) -> tuple:
        skip = (gr.skip(),) * 9
        run_id, history = session["run_id"], session["history"]
        if not run_id:
            return skip
        was = history.status
        try:
            events, offset = studio.events(run_id, session["offset"])
        except EngineError:  # the run vanished (its folder was deleted): stop watching it quietly
            session["run_id"] = ""
            return skip
        if session["run_id"] != run_id:  # the person picked another run while this tick was reading
            return skip
        session["offset"] = offset
        if not history.update(events):
            if history.status not in ENDED:
                studio.run(run_id)  # notices a dead process, which then logs "interrupted"
            return skip
        drawn = redraw(session, studio, read=False)
        if history.status != was and history.status in ENDED:
            # The run list shows the new status; Stop may have left a checkpoint to resume from.
            selected = [gr.update(choices=run_choices(studio), value=run_id) for _ in range(2)]
            return (*drawn, gr.update(choices=run_choices(studio)), checkpoint_choices(studio, run_id), *selected)
        return (*drawn, *(gr.skip(),) * 4)
    return tick


def _read_new(session: dict, studio: Studio) -> bool:
    events, session["offset"] = studio.events(session["run_id"], session["offset"])
    return session["history"].update(events)


def redraw(session: dict, studio: Studio, read: bool = True) -> tuple:
    if not session["run_id"]:
        return session, "", None, None, ""
    if read:
        _read_new(session, studio)
    history: History = session["history"]
    return (session, progress_html(history, session["lang"]), charts.loss_figure(history),
            charts.metrics_figure(history),
            "\n".join(history.log_lines[-LOG_LINES:]))


def progress_html(history: History, lang: str) -> str:
    p = history.progress
    step, total = p.get("step", 0), p.get("max_steps") or 0
    percent = 100.0 if history.status == "finished" else (100 * step / total if total else 0)
    eta = p.get("eta_s")
    eta_text = f"{int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None else "–"
    t = lambda key: text(key, lang)  # noqa: E731
    details = (f"{t('step')} {step}/{total} · {t('epoch')} {p.get('epoch', 0):.2f} · "
               f"{p.get('samples_per_s', 0):.1f} {t('samples_per_s')} · {t('eta')} {eta_text}")
    message = f"<div class='tb-message'>{html.escape(history.message)}</div>" if history.message else ""
    return (f"<div class='tb-progress' data-status='{history.status}'>"
            f"<div class='tb-status'>{html.escape(t('status_' + history.status))}</div>"
            f"<div class='tb-bar'><div class='tb-fill' style='width:{percent:.1f}%'></div></div>"
            f"<div class='tb-details'>{details}</div>{message}</div>")
