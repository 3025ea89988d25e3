"""Data tab: pick or upload a table, map its columns, see what is in it, choose how to split."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.data import DEMO_DATASETS, SUPPORTED_EXTENSIONS
from engine.data.loading import DEMO_PREFIX
from engine.config import RunConfig
from engine.errors import EngineError
from engine.studio import Studio
from ui import charts, widgets
from ui.context import Context
from ui.errors import guarded


@dataclass
class DataTab:
    demo: gr.Dropdown
    upload: gr.File
    source: gr.Textbox
    validation_upload: gr.File
    test_upload: gr.File
    validation_file: gr.Textbox
    test_file: gr.Textbox
    text_column: gr.Dropdown
    label_column: gr.Dropdown
    preview: gr.Dataframe
    summary: gr.Markdown
    split: gr.Markdown
    labels_plot: gr.Plot
    lengths_plot: gr.Plot


def build(ctx: Context) -> DataTab:
    tr, form = ctx.tr, ctx.form
    with gr.Row():
        with gr.Column(scale=1):
            demos = [DEMO_PREFIX + n for n in DEMO_DATASETS]
            demo = tr.bind(gr.Dropdown(choices=demos, value=demos[0]), "demo")
            upload = tr.bind(gr.File(file_types=list(SUPPORTED_EXTENSIONS), type="filepath"), "upload")
            source = form.bind("data", "train_file", tr.bind(gr.Textbox(demos[0], interactive=False), "source"))
            with gr.Row():
                # allow_custom_value: a request sent just before an upload replaced the choices still carries
                # the old column; Gradio would reject it with a raw error. The engine checks columns itself.
                text_column = form.bind("data", "text_column",
                                        tr.bind(gr.Dropdown(choices=[], allow_custom_value=True), "text_column"))
                label_column = form.bind("data", "label_column",
                                         tr.bind(gr.Dropdown(choices=[], allow_custom_value=True), "label_column"))
            with tr.bind(gr.Accordion(open=False), "split_section"):
                _split_controls(ctx)
            with tr.bind(gr.Accordion(open=False), "separate_files"):
                validation_upload = tr.bind(gr.File(file_types=list(SUPPORTED_EXTENSIONS), type="filepath"),
                                            "validation_upload")
                validation_file = form.bind("data", "validation_file",
                                            tr.bind(gr.Textbox(interactive=False), "validation_file"))
                test_upload = tr.bind(gr.File(file_types=list(SUPPORTED_EXTENSIONS), type="filepath"), "test_upload")
                test_file = form.bind("data", "test_file", tr.bind(gr.Textbox(interactive=False), "test_file"))
        with gr.Column(scale=2):
            summary = gr.Markdown(elem_id="data-summary")
            split = gr.Markdown(elem_id="data-split")
            with gr.Row():
                labels_plot = gr.Plot(show_label=False)
                lengths_plot = gr.Plot(show_label=False)
            preview = tr.bind(gr.Dataframe(interactive=False, wrap=True, max_height=320), "preview")
    return DataTab(demo, upload, source, validation_upload, test_upload, validation_file, test_file,
                   text_column, label_column, preview, summary, split, labels_plot, lengths_plot)


def _split_controls(ctx: Context) -> None:
    tr, form = ctx.tr, ctx.form
    with gr.Row():
        # Bounds and defaults are the config's (ui.widgets), never copied here.
        form.bind("data", "validation_ratio", tr.bind(widgets.slider("data", "validation_ratio", 0.05),
                                                      "validation_ratio"))
        form.bind("data", "test_ratio", tr.bind(widgets.slider("data", "test_ratio", 0.05), "test_ratio"))
    with gr.Row():
        form.bind("data", "split_seed", tr.bind(widgets.number("data", "split_seed"), "split_seed"))
        form.bind("data", "stratify", tr.bind(gr.Checkbox(value=True), "stratify"))
    with gr.Row():
        form.bind("data", "drop_empty", tr.bind(gr.Checkbox(value=True), "drop_empty"))
        form.bind("data", "drop_duplicates", tr.bind(gr.Checkbox(value=True), "drop_duplicates"))


def wire(ctx: Context, tab: DataTab, model_spec: gr.Textbox) -> None:
    studio = ctx.studio
    tab.demo.input(guarded(lambda name: name or gr.skip()), tab.demo, tab.source)
    tab.upload.upload(guarded(lambda path: studio.keep_upload(path)), tab.upload, tab.source)
    tab.validation_upload.upload(guarded(studio.keep_upload), tab.validation_upload, tab.validation_file)
    tab.test_upload.upload(guarded(studio.keep_upload), tab.test_upload, tab.test_file)
    tab.validation_upload.clear(guarded(lambda: ""), None, tab.validation_file)
    tab.test_upload.clear(guarded(lambda: ""), None, tab.test_file)
    shown = [tab.summary, tab.labels_plot, tab.lengths_plot]
    inspect = _inspector(ctx)
    # The demo is chosen from the start, so a page load previews it as a change of source would.
    gr.on([tab.source.change, ctx.app.load], _previewer(studio), [tab.source, tab.text_column, tab.label_column],
          [tab.preview, tab.text_column, tab.label_column], trigger_mode="always_last").then(
        inspect, [tab.source, tab.text_column, tab.label_column, model_spec, ctx.state], shown)
    gr.on([tab.text_column.input, tab.label_column.input], inspect,
          [tab.source, tab.text_column, tab.label_column, model_spec, ctx.state], shown)
    data_fields = [b for b in ctx.form.bindings if b.section == "data"]
    gr.on([b.component.change for b in data_fields], _splitter(ctx, [b.name for b in data_fields]),
          [ctx.state, *(b.component for b in data_fields)], tab.split, trigger_mode="always_last",
          show_progress="hidden")


def _previewer(studio: Studio) -> Any:
    @guarded
    def preview(source: str, text_column: str, label_column: str) -> tuple:
        if not source:
            return gr.skip(), gr.skip(), gr.skip()
        table = studio.preview(source)
        # Columns already mapped (by a loaded YAML, say) stay when the new table has them.
        text = text_column if text_column in table.columns else table.text_column
        label = label_column if label_column in table.columns else table.label_column
        return (table.head, gr.update(choices=table.columns, value=text),
                gr.update(choices=table.columns, value=label))
    return preview


def _inspector(ctx: Context) -> Any:
    @guarded
    def inspect(source: str, text_column: str, label_column: str, model_spec: str, session: dict) -> tuple:
        if not (source and text_column and label_column):
            return gr.skip(), gr.skip(), gr.skip()
        report = ctx.studio.inspect(source, text_column, label_column, model_spec)
        lang = session["lang"]
        return (summary_markdown(report, ctx.text, lang),
                charts.label_figure(report.label_counts, ctx.text("labels_chart", lang)),
                charts.length_figure(report.lengths, report.length_unit, ctx.text("lengths_chart", lang)))
    return inspect


def _splitter(ctx: Context, names: list[str]) -> Any:
    @guarded
    def split(session: dict, *values: Any) -> str:
        lang = session["lang"]
        try:
            cfg = RunConfig.from_dict({"data": dict(zip(names, values))}).data
            summary = ctx.studio.split_summary(cfg)
        except EngineError as exc:  # shown in place while the person is still choosing
            return f"⚠️ {exc}"
        rows = " · ".join(f"{ctx.text('split_' + name, lang)} **{n:,}**" for name, n in summary["rows"].items())
        lines = [f"### {ctx.text('split_heading', lang)}", f"- {rows}",
                 f"- {ctx.text('cleaning_drops', lang)}: {summary['dropped_empty']} / {summary['dropped_duplicates']}"]
        return "\n".join(lines + [f"> ℹ️ {note}" for note in summary["notes"]])
    return split


def summary_markdown(report: Any, text: Any, lang: str) -> str:
    stats = report.length_stats
    lines = [
        f"### {text('data_summary', lang)}",
        f"- {text('rows', lang)}: **{report.rows:,}** · {text('classes', lang)}: **{len(report.label_counts)}**",
        f"- {text('empty_rows', lang)}: **{report.empty_rows}** · "
        f"{text('duplicate_rows', lang)}: **{report.duplicate_texts}**",
        f"- {text('length_stats', lang)} ({text(report.length_unit, lang)}): {text('mean', lang)} "
        f"{stats.get('mean', 0):.0f}, {text('median', lang)} {stats.get('p50', 0):.0f}, 95% {stats.get('p95', 0):.0f}, "
        f"{text('max', lang)} {stats.get('max', 0):.0f}",
    ]
    lines += [f"> ⚠️ {w}" for w in report.warnings]
    return "\n".join(lines)
