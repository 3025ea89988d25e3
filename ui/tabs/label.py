"""Label tab: turn a file of texts into a training set with the keyboard, train on it in one click, and let the
model suggest labels and choose what to label next.

The card shows one row; a key press labels, accepts, skips, goes back or undoes, and the answer is the next row
and the progress only: the table view (label_table) pages through a project without redrawing it on each key.
Creating, joining and the label set live in label_setup. Which project and row a page is on is per-person
state (`gr.State`); the rows themselves are in the engine's label store, written on every action.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.config import DataConfig
from engine.labeling.desk import LabelDesk
from engine.labeling.sampling import ORDERS
from ui import label_api
from ui.context import Context
from ui.errors import guarded
from ui.i18n import text
from ui.tabs import label_setup, label_table, label_view, train
from ui.tabs.data import DataTab
from ui.events import on_change

REFRESH_S = 5.0          # progress and the model's status follow others' work and the training run this often
DEFAULT_ORDER = "least_confident"   # file order until a model exists, then active learning by itself
MAX_TRAIL = 200          # rows `back` can return to
# Settings of the data section that come from the project when it trains; the rest (split ratios, cleaning) are
# the form's. The form's own values may not even make a dataset (a file with no label column, say).
# The columns, the task and its options come from the project too (engine.labeling.assist).
PROJECT_DATA = ("train_file", "validation_file", "test_file", "encoding", "separator")


def new_label_state() -> dict[str, Any]:
    """The page's place: the open project, the row on the card, and the rows shown before it (for `back`)."""
    return {"project": "", "item": None, "trail": []}


def order_choices(lang: str) -> list[tuple[str, str]]:
    return [(text(f"label_order_{name}", lang), name) for name in ORDERS]


@dataclass
class LabelTab:
    page: gr.Tab          # opening it lists the person's projects (who they are is known by then)
    state: gr.State
    project: gr.Dropdown
    order: gr.Dropdown
    progress: gr.HTML
    card: gr.HTML
    note: gr.Textbox
    model: gr.Markdown
    train: gr.Button
    retrain_every: gr.Number
    setup: label_setup.SetupView
    table: label_table.TableView
    timer: gr.Timer


def build(ctx: Context) -> LabelTab:
    """The tab itself (a gr.Tab, to be built inside the app's gr.Tabs) and everything on it."""
    tr = ctx.tr
    with tr.bind(gr.Tab(id="label", render_children=True), "tab_label") as page:
        with gr.Row(equal_height=True):
            project = tr.bind(gr.Dropdown(choices=[], value=None, scale=3, elem_id="label-project"), "label_project")
            order = tr.bind_words(tr.bind(gr.Dropdown(order_choices("en"), value=DEFAULT_ORDER, scale=2,
                                                      elem_id="label-order"), "label_order"), "choices", order_choices)
        progress = gr.HTML(elem_id="label-progress", js_on_load=None, css_template=label_view.CARD_CSS)
        with gr.Row():
            with gr.Column(scale=3):
                card = gr.HTML(elem_id="label-card", js_on_load=label_view.KEYS_JS, css_template=label_view.CARD_CSS)
                note = tr.bind(gr.Textbox(max_length=2000, elem_id="label-note"), "label_note")
            with gr.Column(scale=2):
                model = gr.Markdown(elem_id="label-model")
                train_button = tr.bind(gr.Button(variant="primary", elem_id="label-train"), "label_train",
                                       attr="value")
                retrain_every = tr.bind(gr.Number(0, precision=0, minimum=0, maximum=100_000), "label_retrain_every")
                setup = label_setup.build(ctx)
        table = label_table.build(ctx)
        timer = gr.Timer(REFRESH_S)
    return LabelTab(page, gr.State(new_label_state), project, order, progress, card, note, model, train_button,
                    retrain_every, setup, table, timer)


def wire(ctx: Context, tab: LabelTab, pages: gr.Tabs, data_tab: DataTab, train_tab: train.TrainTab,
         task: gr.Dropdown) -> None:
    """Wire the tab, its API and its ways to the Data tab (`pages` is the app's tab set) and the Train tab."""
    desk = LabelDesk(ctx.studio)
    desk.watch()  # suggestions start when a project's run ends, whether or not a page is open
    label_api.register(desk)
    views = Views(ctx, desk, tab)
    shown = views.outputs
    tab.page.select(guarded(views.listed), [ctx.state, tab.state], shown, show_progress="hidden")
    tab.project.input(guarded(views.opened), [tab.project, ctx.state, tab.state, tab.order], shown)
    tab.order.input(guarded(views.reordered), [tab.order, ctx.state, tab.state], [tab.state, tab.card, tab.note])
    # Keys skip the queue (its round trips cost more than the work): every key is sent ("multiple"), and each one
    # names the row that was on screen, so keys answered out of order still act on what the person saw.
    tab.card.click(guarded(views.act), [tab.order, ctx.state, tab.state],
                   [tab.state, tab.card, tab.progress, tab.note], trigger_mode="multiple", show_progress="hidden",
                   queue=False)
    gr.on([tab.note.submit, tab.note.blur], guarded(views.noted), [tab.note, ctx.state, tab.state], None,
          show_progress="hidden")
    tab.timer.tick(guarded(views.ticked), [ctx.state, tab.state], [tab.progress, tab.model], show_progress="hidden")
    tab.train.click(guarded(views.trained), [ctx.state, tab.state, *ctx.form.components],
                    [tab.model, ctx.state, train_tab.run])
    tab.retrain_every.input(guarded(views.retrain_set), [tab.retrain_every, ctx.state, tab.state], tab.model,
                            show_progress="hidden")
    on_change(ctx.language.change, guarded(views.relanguaged), [ctx.language, ctx.state, tab.state], shown,
              show_progress="hidden")
    label_setup.wire(ctx, desk, tab.setup, views, pages, data_tab, task)
    label_table.wire(ctx, desk, tab.table, views, pages, data_tab)


class Views:
    """The handlers of the card and the views every change of project redraws."""

    def __init__(self, ctx: Context, desk: LabelDesk, tab: LabelTab):
        self.ctx, self.desk, self.tab = ctx, desk, tab

    @property
    def outputs(self) -> list[Any]:
        tab = self.tab
        return [tab.state, tab.project, tab.progress, tab.card, tab.note, tab.model, tab.retrain_every,
                *tab.setup.shown_components, *tab.table.shown_components]

    def listed(self, session: dict, state: dict) -> dict:
        """The person's projects; the open one is drawn again (others may have labeled meanwhile)."""
        if state["project"]:
            return self.redrawn(session, state)
        return {self.tab.project: self._choices(session, "")}

    def opened(self, project_id: str, session: dict, state: dict, order: str) -> dict:
        state.update(project=project_id or "", item=None, trail=[])
        if project_id:
            shown = self.desk.next(project_id, session["owner"], order)
            state["item"] = shown.idx if shown else None
        return self.redrawn(session, state)

    def relanguaged(self, lang: str, session: dict, state: dict) -> dict:
        """The open project drawn again in the language just chosen."""
        return self.redrawn({**session, "lang": lang}, state)

    def redrawn(self, session: dict, state: dict) -> dict:
        """Everything that shows the open project (or nothing, when none is open)."""
        lang, who, project_id = session["lang"], session["owner"], state["project"]
        if not project_id:
            return {self.tab.state: state, self.tab.project: self._choices(session, ""), self.tab.card: "",
                    self.tab.progress: "", self.tab.model: "",
                    **label_setup.shown(self.tab.setup, self.desk, None, who, lang),
                    **label_table.shown(self.tab.table, self.desk, None, who, lang)}
        project = self.desk.project(project_id, who)
        view = self.desk.item(project_id, state["item"], who) if state["item"] is not None else None
        return {self.tab.state: state, self.tab.project: self._choices(session, project_id),
                self.tab.card: label_view.card_html(project, view, lang), self.tab.note: view.note if view else "",
                self.tab.retrain_every: project.retrain_every,
                **self._status(session, state), **label_setup.shown(self.tab.setup, self.desk, project, who, lang),
                **label_table.shown(self.tab.table, self.desk, project, who, lang)}

    def _choices(self, session: dict, value: str) -> Any:
        projects = self.desk.projects(session["owner"])
        return gr.update(choices=[(p.name, p.id) for p in projects], value=value or None)

    def _status(self, session: dict, state: dict) -> dict:
        lang, who = session["lang"], session["owner"]
        project = self.desk.project(state["project"], who)
        progress = self.desk.progress(project.id, who)
        state_of_model = self.desk.model_state(project.id, who)
        return {self.tab.progress: label_view.progress_html(project, progress, lang),
                self.tab.model: label_view.model_markdown(state_of_model, progress.labeled, lang)}

    def ticked(self, session: dict, state: dict) -> Any:
        return self._status(session, state) if state["project"] else (gr.skip(), gr.skip())

    def reordered(self, order: str, session: dict, state: dict) -> tuple:
        if not state["project"]:
            return state, gr.skip(), gr.skip()
        return self._show(self.desk.next(state["project"], session["owner"], order), session, state)[:3]

    def act(self, order: str, session: dict, state: dict, evt: gr.EventData) -> tuple:
        """A key or a card button: label, accept, skip, back or undo; answers with the next row and the progress."""
        action, item, who = getattr(evt, "action", ""), getattr(evt, "item", -1), session["owner"]
        project_id, current = state["project"], state["item"]
        if not project_id:
            return state, gr.skip(), gr.skip(), gr.skip()
        on_screen = item == current and current is not None
        if action in ("label", "accept") and item >= 0:
            if action == "label":
                self.desk.label(project_id, item, getattr(evt, "label", ""), who)
            else:
                self.desk.accept(project_id, item, who)
            return self._advance(order, session, state) if on_screen else self._show_current(session, state)
        if action == "skip" and on_screen:
            self.desk.skip(project_id, current, who)
            return self._advance(order, session, state)
        if action == "back" and state["trail"]:
            return self._show(self.desk.item(project_id, state["trail"].pop(), who), session, state, trail=False)
        if action == "undo":
            restored = self.desk.undo(project_id, who)
            if not restored:
                gr.Warning(text("label_undo_overwritten", session["lang"]))
                return self._show_current(session, state)
            return self._show(self.desk.item(project_id, restored[0], who), session, state)
        return state, gr.skip(), gr.skip(), gr.skip()

    def _advance(self, order: str, session: dict, state: dict) -> tuple:
        return self._show(self.desk.next(state["project"], session["owner"], order, state["item"]), session, state)

    def _show_current(self, session: dict, state: dict) -> tuple:
        view = self.desk.item(state["project"], state["item"], session["owner"]) if state["item"] is not None \
            else None
        return self._show(view, session, state, trail=False)

    def _show(self, view: Any, session: dict, state: dict, trail: bool = True) -> tuple:
        """(state, card, progress, note) with `view` on the card; the row it replaces joins the trail."""
        if trail and state["item"] is not None and (view is None or view.idx != state["item"]):
            state["trail"] = (state["trail"] + [state["item"]])[-MAX_TRAIL:]
        state["item"] = view.idx if view else None
        lang, who = session["lang"], session["owner"]
        project = self.desk.project(state["project"], who)
        progress = self.desk.progress(project.id, who)
        return (state, label_view.card_html(project, view, lang), label_view.progress_html(project, progress, lang),
                view.note if view else "")

    def noted(self, note: str, session: dict, state: dict) -> None:
        if state["project"] and state["item"] is not None:
            self.desk.note(state["project"], state["item"], note or "", session["owner"])

    def trained(self, session: dict, state: dict, *values: Any) -> tuple:
        """Train on the labeled rows with the Model and Hyperparameters tabs' settings; the Train tab shows the run."""
        if not state["project"]:
            raise gr.Error(text("label_choose_project", session["lang"]))
        placeholder = DataConfig()
        bindings = self.ctx.form.bindings
        values = [getattr(placeholder, b.name) if b.section == "data" and b.name in PROJECT_DATA else value
                  for b, value in zip(bindings, values)] + list(values[len(bindings):])
        record = self.desk.train(state["project"], session["owner"], self.ctx.form.to_config(values))
        gr.Info(text("label_training_started", session["lang"]))
        session = train.watch(session, record.id)
        status = self._status(session, state)[self.tab.model]
        return status, session, gr.update(choices=train.run_choices(self.ctx.studio, session), value=record.id)

    def retrain_set(self, every: float | None, session: dict, state: dict) -> Any:
        if not state["project"]:
            return gr.skip()
        self.desk.configure(state["project"], session["owner"], retrain_every=int(every or 0))
        return self._status(session, state)[self.tab.model]
