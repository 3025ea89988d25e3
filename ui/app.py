"""build_app(): the header, the six tabs, and the wiring between them."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from engine.config import RunConfig
from engine.studio import Studio
from engine.messages import localize
from engine.tasks import get_task, task_names
from ui import api, setup
from ui.context import Context, new_session
from ui.errors import guarded
from ui.form import Form
from ui.gradio_locale import LOCALE_JS
from ui.i18n import LANGUAGES, Translator, language_from_header
from ui.owners import new_browser_id, page_owner
from ui.tabs import data, evaluate, label, model, params, playground, train
from ui.events import on_change

ASSETS = Path(__file__).resolve().parents[1] / "assets"
LANGUAGE_KEY = "language"
DEFAULT_TASK = RunConfig().task


@dataclass
class Tabs:
    data: data.DataTab
    model: model.ModelTab
    params: params.ParamsTab
    train: train.TrainTab
    evaluate: evaluate.EvaluateTab
    playground: playground.PlaygroundTab
    train_page: gr.Tab   # opening it refreshes the time estimate
    label: label.LabelTab
    pages: gr.Tabs       # the tab set: the Label tab opens the Data tab and back
    task: gr.Dropdown    # the task everything else takes its shape from


def build_app(studio: Studio | None = None, login: bool = False) -> gr.Blocks:
    """login: show a Hugging Face sign-in button (a Space with `hf_oauth: true`)."""
    studio = studio or Studio()
    studio.manager.watch()  # queued runs start when a slot frees, whether or not a page is open
    tr, form = Translator(), Form()
    with gr.Blocks(title="Tunebench") as app:
        ctx = Context(studio, tr, form, gr.State(new_session), app,
                      browser_id=gr.BrowserState("", storage_key="tunebench-browser", secret=studio.app_secret()),
                      setup=gr.BrowserState({}, storage_key="tunebench-setup", secret=studio.app_secret()),
                      clock=gr.Timer(train.TICK_S), language=gr.State("en"))
        # The HTTP API first: its endpoints keep their names (a page event of the same name gets a suffix).
        api.register(studio)
        language = _header(ctx, login)
        tabs = _tabs(ctx)
        _wire(ctx, tabs)
        setup.wire(ctx)
        on_change(language.change, _switch_language(tr), [language, ctx.state],
                  [ctx.state, ctx.language, *tr.components], js=LOCALE_JS, show_progress="hidden")
        _redraw_gradio_words(ctx, tabs)
        app.load(_on_load(ctx, tabs), [ctx.state, ctx.browser_id, ctx.setup],
                 [ctx.state, ctx.browser_id, tabs.train.run, tabs.evaluate.run, tabs.playground.run,
                  *ctx.form.remembered.values()])
    app.tunebench_tabs = tabs  # components by attribute, for tests and embedding
    return app


def _header(ctx: Context, login: bool) -> gr.Radio:
    with gr.Row(elem_id="header"):
        ctx.tr.bind(gr.Markdown(elem_id="title"), "title", attr="value")
        if login:
            ctx.tr.bind(gr.LoginButton(scale=0, min_width=200), "login", attr="value")
        language = ctx.form.keep(LANGUAGE_KEY, ctx.tr.bind(
            gr.Radio(list(LANGUAGES), value="English", show_label=False, container=False, elem_id="language",
                     scale=0, min_width=180), "language"))
    ctx.tr.bind(gr.Markdown(elem_id="subtitle"), "subtitle", attr="value")
    return language


def _tabs(ctx: Context) -> Tabs:
    tr = ctx.tr
    with gr.Tabs() as pages:
        with tr.bind(gr.Tab(id="data", render_children=True), "tab_data"):
            task = tr.bind(gr.Dropdown(task_choices("en"), value=DEFAULT_TASK, elem_id="task"), "task")
            ctx.form.bind("", "task", tr.bind_words(task, "choices", task_choices))
            data_tab = data.build(ctx, DEFAULT_TASK)
        with tr.bind(gr.Tab(id="model", render_children=True), "tab_model"):
            model_tab = model.build(ctx)
        with tr.bind(gr.Tab(id="params", render_children=True), "tab_params"):
            params_tab = params.build(ctx)
        with tr.bind(gr.Tab(id="train", render_children=True), "tab_train") as train_page:
            train_tab = train.build(ctx)
        with tr.bind(gr.Tab(id="evaluate", render_children=True), "tab_evaluate"):
            evaluate_tab = evaluate.build(ctx)
        with tr.bind(gr.Tab(id="playground", render_children=True), "tab_playground"):
            playground_tab = playground.build(ctx)
        label_tab = label.build(ctx)  # its own gr.Tab, last
    return Tabs(data_tab, model_tab, params_tab, train_tab, evaluate_tab, playground_tab, train_page, label_tab, pages,
                task)


def task_choices(lang: str) -> list[tuple[str, str]]:
    """Each task by its title in `lang`; the config keeps its name."""
    return [(str(localize(get_task(name).title, lang)), name) for name in task_names()]


def _wire(ctx: Context, tabs: Tabs) -> None:
    data.wire(ctx, tabs.data, tabs.task, tabs.model.spec)
    model.wire(ctx, tabs.model)
    model.wire_task(ctx, tabs.model, tabs.task)
    params.wire(ctx, tabs.params, tabs.task)
    train.wire(ctx, tabs.train, [tabs.evaluate.run, tabs.playground.run])
    train.wire_readiness(ctx, tabs.train, tabs.data.ready)
    tabs.train_page.select(None, js=train.SHOW_LOG_END_JS)  # in the browser only
    train.wire_estimate(ctx, tabs.train, [tabs.train_page.select, tabs.data.ready.change, tabs.train.ended.change,
                                          ctx.language.change])
    evaluate.wire(ctx, tabs.evaluate, tabs.train.ended)
    playground.wire(ctx, tabs.playground, tabs.train.ended)
    label.wire(ctx, tabs.label, tabs.pages, tabs.data, tabs.train, tabs.task)


def _switch_language(tr: Translator) -> Any:
    @guarded
    def switch(choice: str, session: dict) -> tuple:
        session["lang"] = LANGUAGES.get(choice, "en")
        return (session, session["lang"], *tr.updates(session["lang"]))
    return switch


def _redraw_gradio_words(ctx: Context, tabs: Tabs) -> None:
    """A File widget keeps the drop-zone words of the locale it was drawn in (ui.gradio_locale); hiding
    and showing it again draws it anew, in the page's new language. Only widgets that are always shown."""
    worded = [tabs.data.upload, tabs.data.validation_upload, tabs.data.test_upload, tabs.playground.batch_file]
    on_change(ctx.language.change, guarded(lambda: [gr.update(visible=False) for _ in worded]), None, worded,
              show_progress="hidden").then(
        guarded(lambda: [gr.update(visible=True) for _ in worded]), None, worded, show_progress="hidden")


def _on_load(ctx: Context, tabs: Tabs) -> Any:
    @guarded
    def load(session: dict, browser_id: str, saved: dict, request: gr.Request,
             profile: gr.OAuthProfile | None) -> tuple:
        """Know who this is, speak their language, show their latest run and put their setup back."""
        browser_id = browser_id or new_browser_id()
        session["owner"] = page_owner(ctx.studio.shared, request, profile, browser_id)
        label = (saved or {}).get(LANGUAGE_KEY)
        lang = LANGUAGES[label] if label in LANGUAGES else \
            language_from_header(request.headers.get("accept-language", "") if request else "")
        session["lang"] = lang
        choices = train.run_choices(ctx.studio, session)
        latest = choices[0][1] if choices else None
        session = train.watch(session, latest or "")
        # One update object per output: Gradio consumes an update as it applies it.
        runs = [gr.update(choices=choices, value=latest) for _ in range(3)]
        restored = setup.restore(ctx, saved, lang)
        restored[list(ctx.form.remembered).index(LANGUAGE_KEY)] = gr.update(
            value=next(name for name, code in LANGUAGES.items() if code == lang))
        return session, browser_id, *runs, *restored
    return load


def css() -> str:
    return (ASSETS / "style.css").read_text(encoding="utf-8")
