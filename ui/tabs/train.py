"""Train tab: start, stop and resume runs; watch loss, metrics and progress live.

Start returns at once with a run id; a gr.Timer tails the run's events.jsonl, so nothing here
lives as long as the training, and closing the tab cannot stop or stall it.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Sequence

import gradio as gr

from engine.errors import EngineError
from engine.estimate import TimeEstimate
from engine.metric_labels import metric_label
from engine.runs.events import ENDED, History
from engine.messages import pick_text
from engine.runs.narrate import narrate
from engine.runs.store import RunRecord
from engine.studio import Studio
from ui import charts
from ui.context import Context
from ui.errors import guarded
from ui.i18n import text
from ui.events import on_change

TICK_S = 1.0
LAST = "last"
LOG_LINES = 200
# The run log follows its newest line, as a terminal does, unless the reader has scrolled up to read; Gradio's
# autoscroll alone leaves the box at its top when the whole value is replaced. A log that grew while its tab was
# hidden has no height to scroll; the ResizeObserver takes it to the bottom when the tab shows it.
FOLLOW_LOG_JS = """() => {
  const box = document.querySelector('#run-log textarea');
  if (!box) return;
  if (!box.dataset.follows) {
    box.dataset.follows = 'yes';
    // Only the reader's own scrolling (wheel, keys, touch, the scroll bar) decides; a replaced value does not.
    const touched = () => { box.dataset.touched = String(Date.now()); };
    for (const kind of ['wheel', 'touchmove', 'keydown', 'pointerdown']) box.addEventListener(kind, touched);
    box.addEventListener('scroll', () => {
      if (Date.now() - Number(box.dataset.touched || 0) > 1000) return;
      box.dataset.follows = box.scrollTop + box.clientHeight >= box.scrollHeight - 8 ? 'yes' : 'no';
    });
    new ResizeObserver(() => { if (box.dataset.follows === 'yes') box.scrollTop = box.scrollHeight; }).observe(box);
  }
  // The event can run before the new text is in the box: scroll again once it has been drawn.
  const follow = () => { if (box.dataset.follows === 'yes') box.scrollTop = box.scrollHeight; };
  for (const ms of [0, 100, 400]) setTimeout(follow, ms);
}"""
# Opening the tab: the box that grew while hidden is laid out over a few frames (Gradio sizes it after showing it),
# and a layout pass can put it back at its top after the ResizeObserver scrolled it; follow again once it settles.
SHOW_LOG_END_JS = """() => {
  const follow = () => { const box = document.querySelector('#run-log textarea');
    if (box && box.dataset.follows !== 'no') box.scrollTop = box.scrollHeight; };
  for (const ms of [50, 300, 800, 1500]) setTimeout(follow, ms);
}"""


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
    timer: gr.Timer   # the page's clock (Context.clock): it ticks whichever tab is open
    ended: gr.State   # "RUN_ID:STATUS" each time the watched run ends: other tabs reload what depends on it
    estimate: gr.Markdown   # how long the form's run would take on this machine (wire_estimate)
    measure: gr.Button


def build(ctx: Context) -> TrainTab:
    tr = ctx.tr
    with gr.Row():
        name = ctx.form.bind("", "name", tr.bind(gr.Textbox(max_length=80, scale=2), "run_name"))
        # Clickable once the data is checked and usable (wire_readiness).
        start = tr.bind(gr.Button(variant="primary", scale=1, interactive=False), "start", attr="value")
        stop = tr.bind(gr.Button(variant="stop", scale=1), "stop", attr="value")
        resume = tr.bind(gr.Button(scale=1), "resume", attr="value")
    with gr.Row(equal_height=True):  # shown once wire_estimate gives them something to do
        estimate = gr.Markdown(elem_id="time-estimate", visible=False)
        measure = tr.bind(gr.Button(size="sm", scale=0, min_width=260, elem_id="measure-time", visible=False),
                          "measure_time", attr="value")
    with gr.Row():
        run = tr.bind(gr.Dropdown(choices=[], value=None, scale=4), "run")
        checkpoint = tr.bind(gr.Dropdown(choices=[LAST], value=LAST, scale=2), "resume_from")
        refresh = tr.bind(gr.Button(scale=1, size="sm"), "refresh", attr="value")
    progress = gr.HTML(elem_id="progress")
    with gr.Row():
        loss_plot = gr.Plot(show_label=False, elem_id="loss-plot")
        metrics_plot = gr.Plot(show_label=False, elem_id="metrics-plot")
    log = tr.bind(gr.Textbox(lines=10, max_lines=10, interactive=False, autoscroll=True, elem_id="run-log"), "run_log")
    log.change(None, js=FOLLOW_LOG_JS)  # in the browser only: no request to the server
    return TrainTab(name, start, stop, resume, checkpoint, run, refresh, progress, loss_plot, metrics_plot, log, ctx.clock,
                    ended=gr.State(""), estimate=estimate, measure=measure)


def run_choices(studio: Studio, session: dict) -> list[tuple[str, str]]:
    """The runs this page's owner may see, newest first."""
    return [(_run_label(r, session["lang"]), r.id) for r in studio.runs(session["owner"])]


def _run_label(record: RunRecord, lang: str = "en") -> str:
    """The best metric is the validation split's (it chose the checkpoint); the Evaluate tab scores the test split."""
    metric = ""
    if record.best_metric is not None:
        name = metric_label(record.best_metric_name or "", lang)
        metric = " · " + text("picker_metric", lang).format(metric=name, value=record.best_metric)
    status = text(f"status_{record.status}", lang) if record.status != "created" else text("status_starting", lang)
    return f"{record.name} · {status} · {record.model.removeprefix('packaged:')}{metric}"


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
        record = studio.start(cfg, session["owner"])
        gr.Info(ctx.text("started", session["lang"]))
        if not studio.coverage(cfg, session["owner"]).readable:
            gr.Warning(ctx.text("coverage_bad", session["lang"]))
        return watch(session, record.id), gr.update(choices=run_choices(studio, session), value=record.id)

    @guarded
    def stop(session: dict) -> None:
        queued = studio.run(_current(session, ctx), session["owner"]).status == "queued"
        studio.stop(session["run_id"], session["owner"])
        gr.Info(ctx.text("cancelled" if queued else "stopping", session["lang"]))

    @guarded
    def resume(session: dict, checkpoint: str) -> tuple:
        record = studio.resume(_current(session, ctx), session["owner"], "" if checkpoint == LAST else checkpoint)
        gr.Info(ctx.text("resuming", session["lang"]))
        return session, gr.update(choices=run_choices(studio, session), value=record.id)

    @guarded
    def pick(session: dict, run_id: str) -> tuple:
        return redraw(watch(session, run_id or ""), studio)

    @guarded
    def checkpoints(session: dict, run_id: str) -> Any:
        return checkpoint_choices(studio, session, run_id)

    # trigger_mode="once": a second click while Start is still answering is dropped, not queued.
    tab.start.click(start, [state, *ctx.form.components], [state, tab.run], trigger_mode="once")
    tab.stop.click(stop, state, None)
    tab.resume.click(resume, [state, tab.checkpoint], [state, tab.run], trigger_mode="once")
    tab.run.input(pick, [state, tab.run], [state, *drawn])
    on_change(tab.run.change, checkpoints, [state, tab.run], tab.checkpoint)
    tab.refresh.click(guarded(lambda session: gr.update(choices=run_choices(studio, session))), state, tab.run)

    @guarded
    def relabel(session: dict, run_id: str) -> tuple:
        """A language switch redraws the watched run (status, charts, log) and names the runs and checkpoints
        anew, keeping what is chosen."""
        runs = [gr.update(choices=run_choices(studio, session)) for _ in range(1 + len(run_selectors))]
        _, *shown = redraw(session, studio, read=False)   # nothing new is read: the session stays as it is
        return (*shown, *runs, checkpoint_choices(studio, session, run_id, keep=True))

    on_change(ctx.language.change, relabel, [state, tab.run], [*drawn, tab.run, *run_selectors, tab.checkpoint],
              show_progress="hidden")
    tab.timer.tick(_ticker(studio), state, [state, *drawn, tab.run, tab.checkpoint, *run_selectors, tab.ended],
                   show_progress="hidden")


def checkpoint_choices(studio: Studio, session: dict, run_id: str, keep: bool = False) -> Any:
    """The run's checkpoints to resume from, newest ("last") first; `keep` leaves the chosen one chosen."""
    names = studio.checkpoints(run_id, session["owner"]) if run_id else []
    choices = [(checkpoint_label(name, session["lang"]), name) for name in (LAST, *names)]
    return gr.update(choices=choices) if keep else gr.update(choices=choices, value=LAST)


def checkpoint_label(name: str, lang: str) -> str:
    """"last" and "checkpoint-40" as the page says them; the resume call takes the folder's name."""
    if name == LAST:
        return text("checkpoint_last", lang)
    step = name.removeprefix("checkpoint-")
    return text("checkpoint_at", lang).format(step=step) if step.isdigit() else name


def _current(session: dict, ctx: Context) -> str:
    if not session["run_id"]:
        raise gr.Error(ctx.text("no_run", session["lang"]))
    return session["run_id"]


def _ticker(studio: Studio) -> Any:
    @guarded
    def tick(session: dict) -> tuple:
        skip = (gr.skip(),) * 10
        run_id, history = session["run_id"], session["history"]
        if not run_id:
            return skip
        was = history.status
        try:
            events, offset = studio.events(run_id, session["owner"], session["offset"])
        except EngineError:  # the run vanished (its folder was deleted): stop watching it quietly
            session["run_id"] = ""
            return skip
        if session["run_id"] != run_id:  # the person picked another run while this tick was reading
            return skip
        session["offset"] = offset
        if not history.update(events):
            if history.status not in ENDED:
                studio.run(run_id, session["owner"])  # notices a dead process, which then logs "interrupted"
            return (*redraw(session, studio, read=False), *(gr.skip(),) * 5) if history.status == "queued" else skip
        drawn = redraw(session, studio, read=False)
        if history.status != was and history.status in ENDED:
            # The run lists show the new status, Stop may have left a checkpoint to resume from, and the
            # Evaluate and Playground tabs learn that this run has ended (its report may be ready now).
            selected = [gr.update(choices=run_choices(studio, session), value=run_id) for _ in range(2)]
            return (*drawn, gr.update(choices=run_choices(studio, session)),
                    checkpoint_choices(studio, session, run_id), *selected, f"{run_id}:{history.status}")
        return (*drawn, *(gr.skip(),) * 5)
    return tick


def _read_new(session: dict, studio: Studio) -> bool:
    events, session["offset"] = studio.events(session["run_id"], session["owner"], session["offset"])
    return session["history"].update(events)


def redraw(session: dict, studio: Studio, read: bool = True) -> tuple:
    if not session["run_id"]:
        return session, "", None, None, ""
    if read:
        _read_new(session, studio)
    history: History = session["history"]
    queue = studio.queue_position(session["run_id"], session["owner"]) if history.status == "queued" else None
    lang = session["lang"]
    return (session, progress_html(history, lang, queue), charts.loss_figure(history, lang),
            charts.metrics_figure(history, lang),
            "\n".join(narrate(event, lang, tuple(history.live_metrics)) for event in history.log_events[-LOG_LINES:]))


def progress_html(history: History, lang: str, queue: tuple[int, int] | None = None) -> str:
    """The status, a bar and the numbers of the run; a queued run shows its place in the queue instead."""
    p = history.progress
    step, total = p.get("step", 0), p.get("max_steps") or 0
    percent = 100.0 if history.status == "finished" else (100 * step / total if total else 0)
    t = lambda key: text(key, lang)  # noqa: E731
    details = (f"{t('step')} {step}/{total} · {t('epoch')} {p.get('epoch', 0):.2f} · "
               f"{p.get('samples_per_s', 0):.1f} {t('samples_per_s')}")
    if history.status == "running":  # a run that stops, ended or waits has no time left to tell
        eta = p.get("eta_s")
        details += f" · {t('eta')} " + (f"{int(eta) // 60}:{int(eta) % 60:02d}" if eta is not None else "–")
    if queue:
        details = t("queue_position").format(position=queue[0], total=queue[1])
    reason = pick_text(history.message, lang)
    message = f"<div class='tb-message'>{html.escape(reason)}</div>" if reason else ""
    return (f"<div class='tb-progress' data-status='{history.status}'>"
            f"<div class='tb-status'>{html.escape(t('status_' + history.status))}</div>"
            f"<div class='tb-bar'><div class='tb-fill' style='width:{percent:.1f}%'></div></div>"
            f"<div class='tb-details'>{details}</div>{message}</div>")


def wire_readiness(ctx: Context, tab: TrainTab, data_ready: gr.State) -> None:
    """Start is clickable only while the data is usable and the settings are valid; a refused upload or a
    half-typed number cannot start a run that would only fail (the engine checks again on Start)."""
    @guarded
    def ready(data_ok: bool, *values: Any) -> Any:
        try:
            ctx.form.to_config(list(values))
        except EngineError:
            return gr.update(interactive=False)
        return gr.update(interactive=bool(data_ok))

    on_change([data_ready.change, *(c.change for c in ctx.form.components)], ready,
              [data_ready, *ctx.form.components], tab.start, show_progress="hidden")


def wire_estimate(ctx: Context, tab: TrainTab, triggers: Sequence[Any] = ()) -> None:
    """The time estimate beside Start. `triggers` (the Train tab's select, a run's end...) refresh it from what is
    already known, which is quick; the button times a few training steps afresh (about 20 s)."""
    tab.estimate.visible = tab.measure.visible = True
    inputs = [ctx.state, *ctx.form.components]
    if triggers:
        on_change(list(triggers), _estimator(ctx, measure=False), inputs, tab.estimate, show_progress="hidden")
    tab.measure.click(_estimator(ctx, measure=True), inputs, tab.estimate, trigger_mode="once",
                      show_progress="minimal")


def _estimator(ctx: Context, measure: bool) -> Any:
    @guarded
    def estimate(session: dict, *values: Any) -> str:
        lang = session["lang"]
        try:
            found = ctx.studio.estimate_time(ctx.form.to_config(list(values)), session["owner"], measure)
        except EngineError as exc:  # said in place: the form or the data may still be half set
            return f"⚠️ {exc.localized(lang)}"
        return estimate_markdown(found, lang)
    return estimate


def estimate_markdown(found: TimeEstimate | None, lang: str) -> str:
    """"⏱ About 12 min on this machine, from 2 earlier runs of this model", or how to get a figure."""
    if found is None:
        return f"⏱ {text('estimate_unknown', lang)}"
    speed = found.speed
    if speed.source == "measured":
        source = text("estimate_measured", lang).format(speed=speed.samples_per_s)
    else:
        key = ("estimate_history" if speed.same_settings else "estimate_history_rough") + \
            ("_one" if speed.runs == 1 else "")
        source = text(key, lang).format(runs=speed.runs)
    return text("estimate_line", lang).format(duration=duration_text(found.seconds, lang), source=source)


def duration_text(seconds: float, lang: str) -> str:
    """A duration as a person says it: under a minute, about 12 min, about 2 h 05 min."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return text("duration_under_minute", lang)
    if minutes < 90:
        return text("duration_minutes", lang).format(minutes=minutes)
    return text("duration_hours", lang).format(hours=minutes // 60, minutes=minutes % 60)
