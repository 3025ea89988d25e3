"""Data tab: pick or upload a table, see how it was read, map its columns, see what is in it, choose how to split.

Every check (preview, inspection, split) writes its outcome in place, errors included, so after a file
fails nothing of the previous dataset stays on screen as if it were current. `ready` holds whether the
chosen data loads and its mapped columns make a usable dataset; Start reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import gradio as gr
import pandas as pd

from engine.config import DataConfig, RunConfig, choices
from engine.data import DEMO_DATASETS, DEMO_PREFIX, SUPPORTED_EXTENSIONS, ReadOptions, display_name
from engine.errors import EngineError, ModelError
from ui import charts, widgets
from ui.context import Context
from ui.errors import guarded
from ui.i18n import text

SEPARATOR_WORDS = {",": "sep_comma", ";": "sep_semicolon", "\t": "sep_tab", "|": "sep_pipe"}
# Shown literally in Markdown: an entity such as &#039; in a warning would otherwise render as the character it
# names, and a file called *draft*.csv would turn italic. (Underscores inside words never do.)
MARKDOWN_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", **{c: "\\" + c for c in "\\`*[]"}})


@dataclass
class DataTab:
    demo: gr.Dropdown
    upload: gr.File
    source: gr.Textbox           # the reference the config carries (demo:NAME, upload:...); never shown
    source_name: gr.Textbox      # what the person calls it: the file's own name
    encoding: gr.Dropdown
    separator: gr.Dropdown
    validation_upload: gr.File
    test_upload: gr.File
    validation_file: gr.Textbox  # references, hidden like `source`
    test_file: gr.Textbox
    validation_name: gr.Textbox
    test_name: gr.Textbox
    text_column: gr.Dropdown
    label_column: gr.Dropdown
    unescape_html: gr.Checkbox
    preview: gr.Dataframe
    summary: gr.Markdown
    rejected: gr.File            # the rows left out while reading, to download
    split: gr.Markdown
    labels_plot: gr.Plot
    lengths_plot: gr.Plot
    ready: gr.State              # True when the chosen data loads and the mapped columns make a usable dataset
    label_these: gr.Button       # offered for texts without labels: makes a labeling project (ui.tabs.label_setup)


def build(ctx: Context) -> DataTab:
    tr, form = ctx.tr, ctx.form
    with gr.Row():
        with gr.Column(scale=1):
            demos = [DEMO_PREFIX + n for n in DEMO_DATASETS]
            demo = ctx.form.keep("data_tab.demo", tr.bind_words(
                tr.bind(gr.Dropdown(choices=demo_choices("en"), value=demos[0]), "demo"), "choices", demo_choices))
            upload = tr.bind(gr.File(file_types=list(SUPPORTED_EXTENSIONS), type="filepath"), "upload")
            source = form.bind("data", "train_file", gr.Textbox(demos[0], visible=False))
            source_name = tr.bind(gr.Textbox(demos[0], interactive=False), "source")
            with gr.Row():
                encoding = _read_option(ctx, "encoding")
                separator = _read_option(ctx, "separator")
            with gr.Row():
                # allow_custom_value: a request sent just before an upload replaced the choices still carries
                # the old column; Gradio would reject it with a raw error. The engine checks columns itself.
                text_column = form.bind("data", "text_column",
                                        tr.bind(gr.Dropdown(choices=[], allow_custom_value=True), "text_column"))
                label_column = form.bind("data", "label_column",
                                         tr.bind(gr.Dropdown(choices=[], allow_custom_value=True), "label_column"))
            with tr.bind(gr.Accordion(open=False), "split_section"):
                unescape_html = _split_controls(ctx)
            with tr.bind(gr.Accordion(open=False), "separate_files"):
                validation_upload, validation_file, validation_name = _file_slot(ctx, "validation")
                test_upload, test_file, test_name = _file_slot(ctx, "test")
        with gr.Column(scale=2):
            summary = gr.Markdown(elem_id="data-summary")
            label_these = tr.bind(gr.Button(visible=False, size="sm", elem_id="data-label-these"), "label_these",
                                  attr="value")
            rejected = tr.bind(gr.File(visible=False, interactive=False, elem_id="data-rejected"), "rejected_download")
            split = gr.Markdown(elem_id="data-split")
            with gr.Row():
                labels_plot = gr.Plot(show_label=False)
                lengths_plot = gr.Plot(show_label=False)
            preview = tr.bind(gr.Dataframe(interactive=False, wrap=True, max_height=320), "preview")
    return DataTab(demo, upload, source, source_name, encoding, separator, validation_upload, test_upload,
                   validation_file, test_file, validation_name, test_name, text_column, label_column, unescape_html,
                   preview, summary, rejected, split, labels_plot, lengths_plot, gr.State(False), label_these)


def demo_choices(lang: str) -> list[tuple[str, str]]:
    return [(dataset_label(DEMO_PREFIX + name, lang), DEMO_PREFIX + name) for name in DEMO_DATASETS]


def dataset_label(name: str, lang: str) -> str:
    """What a dataset is called on screen: a demo by its name and language ("demo:reviews_zh" in English, as the
    YAML spells it), anything else by its file name (engine.data.display_name)."""
    demo = DEMO_DATASETS.get(name.removeprefix(DEMO_PREFIX)) if name.startswith(DEMO_PREFIX) else None
    if demo is None:
        return name
    return text("demo_choice", lang).format(name=demo.name, language=text(f"demo_language_{demo.language}", lang))


def _read_option(ctx: Context, name: str) -> gr.Dropdown:
    """The encoding or separator dropdown: "" detects, and reads "detected: X" once a file was read."""
    dropdown = gr.Dropdown(choices=read_choices(name, "en"), value="", elem_id=f"data-{name}")
    return widgets.setting(ctx, "data", name, dropdown, name, words=lambda lang: read_choices(name, lang))


def read_choices(name: str, lang: str, detected: str = "") -> list[tuple[str, str]]:
    auto = text("detected_as", lang).format(value=_word(name, detected, lang)) if detected else \
        text("detect_auto", lang)
    return [(auto if value == "" else _word(name, value, lang), value) for value in choices(DataConfig, name)]


def _word(name: str, value: str, lang: str) -> str:
    return text(SEPARATOR_WORDS[value], lang) if name == "separator" and value in SEPARATOR_WORDS else value


def _split_controls(ctx: Context) -> gr.Checkbox:
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
    return widgets.setting(ctx, "data", "unescape_html", widgets.checkbox("data", "unescape_html"), "unescape_html")


def _file_slot(ctx: Context, part: str) -> tuple[gr.File, gr.Textbox, gr.Textbox]:
    """An optional separate file: its upload widget, its hidden reference (the config's) and its shown name."""
    upload = ctx.tr.bind(gr.File(file_types=list(SUPPORTED_EXTENSIONS), type="filepath"), f"{part}_upload")
    reference = ctx.form.bind("data", f"{part}_file", gr.Textbox(visible=False))
    name = ctx.tr.bind(gr.Textbox(interactive=False), f"{part}_file")
    return upload, reference, name


def wire(ctx: Context, tab: DataTab, model_spec: gr.Textbox) -> None:
    _wire_sources(ctx, tab)
    max_length = next(b.component for b in ctx.form.bindings if (b.section, b.name) == ("model", "max_length"))
    shown = [tab.summary, tab.labels_plot, tab.lengths_plot, tab.rejected, tab.ready]
    previewed = [tab.source_name, tab.preview, tab.text_column, tab.label_column, tab.encoding, tab.separator, *shown]
    checks = [tab.source, tab.text_column, tab.label_column, tab.encoding, tab.separator, tab.unescape_html,
              max_length, model_spec, ctx.state]
    inspect = _inspector(ctx)
    # The demo is chosen from the start, so a page load previews it as a change of source would.
    gr.on([tab.source.change, ctx.app.load, tab.encoding.input, tab.separator.input], _previewer(ctx),
          [tab.source, tab.text_column, tab.label_column, tab.encoding, tab.separator, ctx.state], previewed,
          trigger_mode="always_last").then(inspect, checks, shown)
    # A language switch says again what is on screen, in the new language; the table itself stays.
    ctx.language.change(_renamer(ctx), [tab.source, tab.encoding, tab.separator, ctx.state],
                        [tab.source_name, tab.encoding, tab.separator], show_progress="hidden")
    ctx.language.change(inspect, checks, shown, show_progress="hidden")
    gr.on([tab.text_column.input, tab.label_column.input, tab.unescape_html.input, model_spec.change,
           max_length.change], inspect, checks, shown, trigger_mode="always_last")
    data_fields = [b for b in ctx.form.bindings if b.section == "data"]
    gr.on([*(b.component.change for b in data_fields), ctx.language.change],
          _splitter(ctx, [b.name for b in data_fields]),
          [ctx.state, *(b.component for b in data_fields)], [tab.split, tab.ready], trigger_mode="always_last",
          show_progress="hidden")


def _wire_sources(ctx: Context, tab: DataTab) -> None:
    @guarded
    def keep(path: str | None, session: dict) -> str:
        return ctx.studio.keep_upload(path, session["owner"]) if path else gr.skip()

    tab.demo.input(guarded(lambda name: name or gr.skip()), tab.demo, tab.source)
    for upload, reference, name in ((tab.upload, tab.source, None),
                                    (tab.validation_upload, tab.validation_file, tab.validation_name),
                                    (tab.test_upload, tab.test_file, tab.test_name)):
        upload.upload(keep, [upload, ctx.state], reference)
        if name is not None:
            upload.clear(guarded(lambda: ""), None, reference)
            reference.change(guarded(lambda ref: display_name(ref) if ref else ""), reference, name)


def _progress(progress: gr.Progress, description: str) -> Callable[[float], None]:
    return lambda share: progress(share, desc=description)


def _previewer(ctx: Context) -> Any:
    @guarded
    def preview(source: str, text_column: str, label_column: str, encoding: str, separator: str, session: dict,
                progress: gr.Progress = gr.Progress()) -> tuple:
        lang = session["lang"]
        name = dataset_label(display_name(source), lang) if source else ""
        if not source:
            return _cleared(name, text("no_data_chosen", lang))
        try:
            shown = ctx.studio.preview(source, session["owner"], ReadOptions(encoding, separator),
                                       _progress(progress, text("reading_file", lang).format(name=name)))
        except EngineError as exc:
            gr.Warning(exc.localized(lang))
            return _cleared(name, exc.localized(lang))
        table = shown.table
        # Columns already mapped (by a loaded YAML, say) stay when the new table has them; never one column twice.
        text_pick = text_column if text_column in shown.columns else shown.text_column
        label_pick = label_column if label_column in shown.columns and label_column != text_pick else \
            (shown.label_column if shown.label_column != text_pick else "")
        problem = f"⚠️ {literal(shown.problem.text(lang))}" if shown.problem else ""
        return (dataset_label(table.name, lang), shown.head, gr.update(choices=shown.columns, value=text_pick),
                gr.update(choices=shown.columns, value=label_pick),
                gr.update(choices=read_choices("encoding", lang, table.encoding),
                          interactive=table.format not in ("excel", "parquet")),
                gr.update(choices=read_choices("separator", lang, table.separator),
                          interactive=table.format in ("delimited", "lines")),
                problem, None, None, gr.update(value=None, visible=False), False if shown.problem else gr.skip())
    return preview


def _renamer(ctx: Context) -> Any:
    @guarded
    def rename(source: str, encoding: str, separator: str, session: dict) -> tuple:
        """The dataset's name and the detected encoding and separator, in the page's language (the read is cached)."""
        lang = session["lang"]
        if not source:
            return gr.skip(), gr.skip(), gr.skip()
        try:
            table = ctx.studio.preview(source, session["owner"], ReadOptions(encoding, separator)).table
        except EngineError:  # the summary says why, in place
            return dataset_label(display_name(source), lang), gr.skip(), gr.skip()
        return (dataset_label(table.name, lang), gr.update(choices=read_choices("encoding", lang, table.encoding)),
                gr.update(choices=read_choices("separator", lang, table.separator)))
    return rename


def _cleared(name: str, message: str) -> tuple:
    """Every output of a preview emptied, with `message` where the summary was: nothing stale survives."""
    return (name, pd.DataFrame(), gr.update(choices=[], value=""), gr.update(choices=[], value=""), gr.skip(),
            gr.skip(), f"⚠️ {literal(message)}",
            None, None, gr.update(value=None, visible=False), False)


def _inspector(ctx: Context) -> Any:
    @guarded
    def inspect(source: str, text_column: str, label_column: str, encoding: str, separator: str, unescape: bool,
                max_length: float | None, model_spec: str, session: dict, progress: gr.Progress = gr.Progress()) -> tuple:
        lang, owner, read = session["lang"], session["owner"], ReadOptions(encoding, separator)
        if not source:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        report_progress = _progress(progress, text("reading_file", lang).format(
            name=dataset_label(display_name(source), lang)))
        options = dict(read=read, max_length=int(max_length or 0), unescape_html=bool(unescape),
                       progress=report_progress)
        try:
            try:
                report = ctx.studio.inspect(source, text_column, label_column, owner, model_spec=model_spec,
                                            **options)
            except ModelError:  # a model that cannot load yet (offline Hub id): lengths in characters meanwhile
                report = ctx.studio.inspect(source, text_column, label_column, owner, **options)
            rejected = ctx.studio.rejected_rows(source, owner, read, lang) if report.rejected_rows else None
        except EngineError as exc:  # said in place: the previous dataset's summary must not stay
            return f"⚠️ {literal(exc.localized(lang))}", None, None, gr.update(value=None, visible=False), False
        return (summary_markdown(report, lang),
                charts.label_figure(report.label_counts, text("labels_chart", lang), lang=lang),
                charts.length_figure(report.lengths, report.length_unit, text("lengths_chart", lang), lang=lang),
                gr.update(value=str(rejected), visible=True) if rejected else gr.update(value=None, visible=False),
                gr.skip())
    return inspect


def _splitter(ctx: Context, names: list[str]) -> Any:
    @guarded
    def split(session: dict, *values: Any) -> tuple[str, bool]:
        lang = session["lang"]
        try:
            cfg = RunConfig.from_dict({"data": dict(zip(names, values))}).data
            summary = ctx.studio.split_summary(cfg, session["owner"])
        except EngineError as exc:  # shown in place while the person is still choosing
            return f"⚠️ {literal(exc.localized(lang))}", False
        return split_markdown(summary, lang), True
    return split


def split_markdown(summary: dict[str, Any], lang: str) -> str:
    rows = " · ".join(f"{text('split_' + name, lang)} **{n:,}**" for name, n in summary["rows"].items())
    lines = [f"### {text('split_heading', lang)}", f"- {rows}",
             f"- {text('cleaning_drops', lang)}: {summary['dropped_empty']} / {summary['dropped_duplicates']}"]
    if summary["rejected_rows"]:
        lines.append(f"- {text('rejected_rows', lang)}: {summary['rejected_rows']:,}")
    if summary["unescaped_html"]:
        lines.append(f"- {text('html_unescaped', lang)}: {summary['unescaped_html']:,}")
    return "\n".join(lines + [f"\n> ℹ️ {literal(note.text(lang))}" for note in summary["notes"]])


def summary_markdown(report: Any, lang: str) -> str:
    """The Data tab's report: how the file was read, what is in it, and every problem, note and warning."""
    stats = report.length_stats
    how = lambda detected: text("detected" if detected else "chosen", lang)  # noqa: E731
    read = [f"{text('file', lang)}: **{literal(dataset_label(report.name, lang))}** "
            f"({text('format_' + report.format, lang)})"]
    if report.encoding:
        read.append(f"{text('encoding', lang)}: **{report.encoding}** ({how(report.encoding_detected)})")
    if report.separator:
        read.append(f"{text('separator', lang)}: **{_word('separator', report.separator, lang)}** "
                    f"({how(report.separator_detected)})")
    lines = [
        f"### {text('data_summary', lang)}",
        "- " + " · ".join(read),
        f"- {text('rows', lang)}: **{report.rows:,}** · {text('classes', lang)}: **{len(report.label_counts)}**"
        + (f" · {text('rejected_rows', lang)}: **{report.rejected_rows:,}**" if report.rejected_rows else ""),
        f"- {text('empty_rows', lang)}: **{report.empty_rows}** · "
        f"{text('duplicate_rows', lang)}: **{report.duplicate_texts}**",
        f"- {text('length_stats', lang)} ({text(report.length_unit, lang)}): {text('mean', lang)} "
        f"{stats.get('mean', 0):.0f}, {text('median', lang)} {stats.get('p50', 0):.0f}, 95% {stats.get('p95', 0):.0f}, "
        f"{text('max', lang)} {stats.get('max', 0):.0f}",
    ]
    # A blank line before each quote keeps them apart: consecutive quoted lines would merge into one paragraph.
    lines += [f"\n> {'⛔' if p.dropped else 'ℹ️'} {literal(p.message.text(lang))}" for p in report.problems]
    lines += [f"\n> ℹ️ {literal(note.text(lang))}" for note in report.notes]
    lines += [f"\n> ⚠️ {literal(warning.text(lang))}" for warning in report.warnings]
    return "\n".join(lines)


def literal(words: str) -> str:
    """`words` as plain text inside Markdown."""
    return words.translate(MARKDOWN_ESCAPES)
