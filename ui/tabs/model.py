"""Model tab: packaged offline weights, a local folder, or a Hub id; facts and a tokenizer check."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.errors import EngineError
from engine.messages import localize
from engine.tasks import get_task, task_names
from engine.models import PACKAGED, PACKAGED_PREFIX, catalog_choices, packaged_for
from ui.context import Context
from ui.errors import guarded
from ui.i18n import option_choices, option_label, text
from ui.events import on_change

SOURCES = ("packaged", "local", "hub")


@dataclass
class ModelTab:
    source: gr.Radio
    packaged: gr.Dropdown
    location: gr.Textbox
    spec: gr.Textbox        # the model the config carries (packaged:NAME, a folder, a Hub id); never shown
    spec_name: gr.Textbox   # the model in use as the page names it (a packaged model in the page's language)
    check: gr.Button
    info: gr.Markdown
    coverage: gr.Markdown


def build(ctx: Context) -> ModelTab:
    tr = ctx.tr
    default = catalog_choices()[0]
    with gr.Row():
        with gr.Column(scale=1):
            # Which source and folder were chosen come back after a reload, with the model in use.
            source = ctx.form.keep("model_tab.source", tr.bind_words(
                tr.bind(gr.Radio(option_choices("model_source", SOURCES, "en"), value="packaged"), "model_source"),
                "choices",
                lambda lang: option_choices("model_source", SOURCES, lang)))
            packaged = ctx.form.keep("model_tab.packaged", tr.bind_words(
                tr.bind(gr.Dropdown(choices=packaged_choices("en"), value=default), "packaged_model"), "choices",
                packaged_choices))
            location = ctx.form.keep("model_tab.location", tr.bind(
                tr.bind(gr.Textbox(visible=False), "model_location"), "model_location_example", attr="placeholder"))
            spec = ctx.form.bind("model", "name_or_path", gr.Textbox(value=default, visible=False))
            spec_name = tr.bind(gr.Textbox(value=model_label(default, "en"), interactive=False), "model_in_use")
            check = tr.bind(gr.Button(variant="primary"), "check_model", attr="value")
            tr.bind(gr.Markdown(), "model_note", attr="value")
        with gr.Column(scale=1):
            info = gr.Markdown(elem_id="model-info")
            coverage = gr.Markdown(elem_id="model-coverage")
    return ModelTab(source, packaged, location, spec, spec_name, check, info, coverage)


def packaged_choices(lang: str) -> list[tuple[str, str]]:
    return [(model_label(spec, lang), spec) for spec in catalog_choices()]


def model_label(spec: str, lang: str) -> str:
    """A packaged model by its name in the page's language ("packaged:NAME" in English, as the YAML spells it);
    a folder or a Hub id as it is."""
    if not spec.startswith(PACKAGED_PREFIX):
        return spec
    return text("packaged_choice", lang).format(name=spec.removeprefix(PACKAGED_PREFIX))


def wire(ctx: Context, tab: ModelTab) -> None:
    def show_inputs(kind: str) -> tuple:
        return gr.update(visible=kind == "packaged"), gr.update(visible=kind != "packaged")

    # A person's switch of source clears the folder box; a restored setup keeps what was typed there.
    on_change(tab.source.change, guarded(show_inputs), tab.source, [tab.packaged, tab.location])
    tab.source.input(guarded(lambda: ""), None, tab.location).then(
        guarded(pick), [tab.source, tab.packaged, tab.location], tab.spec)
    gr.on([tab.packaged.input, tab.location.submit, tab.location.blur], guarded(pick),
          [tab.source, tab.packaged, tab.location], tab.spec)
    on_change([tab.spec.change, ctx.language.change],
              guarded(lambda spec, session: model_label(spec, session["lang"])), [tab.spec, ctx.state], tab.spec_name,
              show_progress="hidden")
    # The choice widgets, not the "in use" box, feed the check: a click can beat the box's blur update.
    check = _checker(ctx)
    checked = [tab.source, tab.packaged, tab.location, ctx.state, *ctx.form.components]
    tab.check.click(check, checked, [tab.info, tab.coverage])

    @guarded
    def check_again(shown: str, *inputs: Any) -> tuple:
        """A language switch redraws a card that is on screen."""
        return check(*inputs) if shown else (gr.skip(), gr.skip())

    on_change(ctx.language.change, check_again, [tab.info, *checked], [tab.info, tab.coverage])


def wire_task(ctx: Context, tab: ModelTab, task: gr.Dropdown) -> None:
    """A person's new task that the packaged model in use cannot learn (MiniLM cannot write text) switches to a
    packaged model that can; a folder or a Hub id stays as typed (Start refuses it with the reason)."""
    @guarded
    def fit(name: str, kind: str, packaged: str) -> tuple:
        model = PACKAGED.get(packaged.removeprefix(PACKAGED_PREFIX))
        kinds = get_task(name).model_kinds
        fitting = packaged_for(kinds)
        if kind != "packaged" or model is None or model.kind in kinds or not fitting:
            return gr.skip(), gr.skip()
        return fitting[0], fitting[0]

    task.input(fit, [task, tab.source, tab.packaged], [tab.packaged, tab.spec])


def pick(kind: str, packaged: str, location: str) -> str:
    return packaged if kind == "packaged" else (location or "").strip()


def _checker(ctx: Context) -> Any:
    @guarded
    def check(kind: str, packaged: str, location: str, session: dict, *form: Any) -> tuple[str, str]:
        spec = pick(kind, packaged, location)
        if not spec:
            raise gr.Error(ctx.text("choose_model", session["lang"]))
        lang = session["lang"]
        info = ctx.studio.model_info(spec, progress=lambda message: gr.Info(str(localize(message, lang))))
        card = card_markdown(info, lang) + "\n" + tasks_line(info.kind, lang)
        packaged = PACKAGED.get(spec.removeprefix(PACKAGED_PREFIX))
        if packaged:
            card += f"\n\n{packaged.description.text(lang)}"
        try:
            cfg = ctx.form.to_config(list(form))
        except EngineError:  # the data or a setting is still half chosen: check the model alone meanwhile
            return card, text("coverage_needs_data", lang)
        try:
            get_task(cfg.task).check_model(info.kind, info.architecture)
        except EngineError as exc:  # the card stays; the refusal says why and what to choose instead
            return card + f"\n\n⚠️ {exc.localized(lang)}", ""
        cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, name_or_path=spec))
        return card, _coverage_markdown(ctx.studio.coverage(cfg, session["owner"]), lambda key: text(key, lang))
    return check


def tasks_line(kind: str, lang: str) -> str:
    """Which tasks a model of this kind can learn, by their titles in `lang`."""
    titles = [str(localize(get_task(name).title, lang)) for name in task_names() if kind in get_task(name).model_kinds]
    return f"- {text('model_tasks', lang)}: " + ("; ".join(titles) or "–")


def card_markdown(info: Any, lang: str) -> str:
    """The model's facts; its architecture is a class name, the same in every language."""
    t = lambda key: text(key, lang)  # noqa: E731
    return (f"### {info.architecture}\n- {t('parameters')}: **{parameter_count(info.parameters, lang)}**\n"
            f"- {t('max_length')}: **{info.max_length}**\n- {t('layers')}: {info.layers} · "
            f"{t('hidden_size')} {info.hidden_size} · {t('vocab_size')} {info.vocab_size:,}\n"
            f"- {t('model_source')}: {option_label('model_source', info.source, lang)}")


def parameter_count(count: int, lang: str) -> str:
    """22.7 M in English; Chinese counts in 万 (ten thousand) and 亿 (a hundred million)."""
    if lang != "zh":
        return f"{count / 1e6:.1f} M"
    return f"{count / 1e8:.2f} 亿" if count >= 1e8 else f"{count / 1e4:,.0f} 万"


def _coverage_markdown(coverage: Any, text: Any) -> str:
    verdict = text("coverage_ok") if coverage.readable else f"⚠️ {text('coverage_bad')}"
    lines = [f"### {text('coverage')}",
             f"- {text('unknown_tokens')}: **{coverage.percent}%** ({coverage.unknown_tokens:,} / {coverage.tokens:,})",
             f"- {verdict}"]
    lines += [f"  - `{example[:120]}`" for example in coverage.examples]
    return "\n".join(lines)
