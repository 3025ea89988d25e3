"""Model tab: packaged offline weights, a local folder, or a Hub id; facts and a tokenizer check."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.models import PACKAGED, PACKAGED_PREFIX, catalog_choices
from ui.context import Context
from ui.errors import guarded

SOURCES = ("packaged", "local", "hub")


@dataclass
class ModelTab:
    source: gr.Radio
    packaged: gr.Dropdown
    location: gr.Textbox
    spec: gr.Textbox
    check: gr.Button
    info: gr.Markdown
    coverage: gr.Markdown


def build(ctx: Context) -> ModelTab:
    tr = ctx.tr
    default = catalog_choices()[0]
    with gr.Row():
        with gr.Column(scale=1):
            # Which source and folder were chosen come back after a reload, with the model in use.
            source = ctx.form.keep("model_tab.source", tr.bind(gr.Radio(choices=list(SOURCES), value="packaged"),
                                                               "model_source"))
            packaged = ctx.form.keep("model_tab.packaged", tr.bind(gr.Dropdown(choices=catalog_choices(),
                                                                               value=default), "packaged_model"))
            location = ctx.form.keep("model_tab.location", tr.bind(
                gr.Textbox(visible=False, placeholder="bert-base-chinese  /  /path/to/model"), "model_location"))
            spec = ctx.form.bind("model", "name_or_path",
                                 tr.bind(gr.Textbox(value=default, interactive=False), "model_in_use"))
            check = tr.bind(gr.Button(variant="primary"), "check_model", attr="value")
            tr.bind(gr.Markdown(), "model_note", attr="value")
        with gr.Column(scale=1):
            info = gr.Markdown(elem_id="model-info")
            coverage = gr.Markdown(elem_id="model-coverage")
    return ModelTab(source, packaged, location, spec, check, info, coverage)


def wire(ctx: Context, tab: ModelTab, source: gr.Textbox, text_column: gr.Dropdown) -> None:
    def show_inputs(kind: str) -> tuple:
        return gr.update(visible=kind == "packaged"), gr.update(visible=kind != "packaged")

    # A person's switch of source clears the folder box; a restored setup keeps what was typed there.
    tab.source.change(guarded(show_inputs), tab.source, [tab.packaged, tab.location])
    tab.source.input(guarded(lambda: ""), None, tab.location).then(
        guarded(pick), [tab.source, tab.packaged, tab.location], tab.spec)
    gr.on([tab.packaged.input, tab.location.submit, tab.location.blur], guarded(pick),
          [tab.source, tab.packaged, tab.location], tab.spec)
    # The choice widgets, not the "in use" box, feed the check: a click can beat the box's blur update.
    tab.check.click(_checker(ctx), [tab.source, tab.packaged, tab.location, source, text_column, ctx.state],
                    [tab.info, tab.coverage])


def pick(kind: str, packaged: str, location: str) -> str:
    return packaged if kind == "packaged" else (location or "").strip()


def _checker(ctx: Context) -> Any:
    @guarded
    def check(kind: str, packaged: str, location: str, source: str, text_column: str,
              session: dict) -> tuple[str, str]:
        spec = pick(kind, packaged, location)
        if not spec:
            raise gr.Error(ctx.text("choose_model", session["lang"]))
        info = ctx.studio.model_info(spec)
        text = lambda key: ctx.text(key, session["lang"])  # noqa: E731
        card = (f"### {info.architecture}\n- {text('parameters')}: **{info.parameters / 1e6:.1f} M**\n"
                f"- {text('max_length')}: **{info.max_length}**\n- {text('layers')}: {info.layers} · "
                f"hidden {info.hidden_size} · vocab {info.vocab_size:,}\n- {text('model_source')}: {info.source}")
        packaged = PACKAGED.get(spec.removeprefix(PACKAGED_PREFIX))
        if packaged:
            card += f"\n\n{packaged.description}"
        if not (source and text_column):
            return card, text("coverage_needs_data")
        return card, _coverage_markdown(ctx.studio.coverage(spec, source, text_column, session["owner"]), text)
    return check


def _coverage_markdown(coverage: Any, text: Any) -> str:
    verdict = text("coverage_ok") if coverage.readable else f"⚠️ {text('coverage_bad')}"
    lines = [f"### {text('coverage')}",
             f"- {text('unknown_tokens')}: **{coverage.percent}%** ({coverage.unknown_tokens:,} / {coverage.tokens:,})",
             f"- {verdict}"]
    lines += [f"  - `{example[:120]}`" for example in coverage.examples]
    return "\n".join(lines)
