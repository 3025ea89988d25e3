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

from engine.config import DataConfig, ModelConfig, RunConfig, bounds, choices
from engine.data import DEMO_PREFIX, SUPPORTED_EXTENSIONS, ReadOptions, demos_for, display_name, find_demo
from engine.errors import EngineError, ModelError
from ui import charts, shaped, widgets
from ui.context import Context
from ui.errors import guarded
from ui.i18n import text
from ui.events import on_change

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
    roles: list[gr.Dropdown]     # the column of each of the task's roles, in its order (ui.shaped)
    unescape_html: gr.Checkbox
    preview: gr.Dataframe
    summary: gr.Markdown
    rejected: gr.File            # the rows left out while reading, to download
    split: gr.Markdown
    target_plot: gr.Plot         # what the model learns: label counts, a number's spread, entities per type
    input_plot: gr.Plot          # what it reads: lengths in the model's tokens
    ready: gr.State              # True when the chosen data loads and the mapped columns make a usable dataset
    label_these: gr.Button       # offered for texts without labels: makes a labeling project (ui.tabs.label_setup)


def build(ctx: Context, task: str) -> DataTab:
    """`task`: the task the page opens with."""
    tr, form = ctx.tr, ctx.form
    with gr.Row():
        with gr.Column(scale=1):
            demos = demo_choices(task, "en")
            # allow_custom_value: a request sent as a new task swaps the demos still names the old task's one.
            demo = ctx.form.keep("data_tab.demo", tr.bind(gr.Dropdown(choices=demos, value=demos[0][1],
                                                                      allow_custom_value=True), "demo"))
            upload = tr.bind(gr.File(file_types=list(SUPPORTED_EXTENSIONS), type="filepath"), "upload")
            source = form.bind("data", "train_file", gr.Textbox(demos[0][1], visible=False))
            source_name = tr.bind(gr.Textbox(demos[0][1], interactive=False), "source")
            with gr.Row():
                encoding = _read_option(ctx, "encoding")
                separator = _read_option(ctx, "separator")
            with gr.Row():
                roles = shaped.role_slots(ctx, task)
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
                target_plot = gr.Plot(show_label=False, elem_id="data-target-plot")
                input_plot = gr.Plot(show_label=False, elem_id="data-input-plot")
            preview = tr.bind(gr.Dataframe(interactive=False, wrap=True, max_height=320), "preview")
    return DataTab(demo, upload, source, source_name, encoding, separator, validation_upload, test_upload,
                   validation_file, test_file, validation_name, test_name, roles, unescape_html,
                   preview, summary, rejected, split, target_plot, input_plot, gr.State(False), label_these)


def demo_choices(task: str, lang: str) -> list[tuple[str, str]]:
    """The demo datasets written for `task`, by their name and language."""
    return [(dataset_label(DEMO_PREFIX + demo.name, lang), DEMO_PREFIX + demo.name) for demo in demos_for(task)]


def dataset_label(name: str, lang: str) -> str:
    """What a dataset is called on screen: a demo by its name and language ("demo:reviews_zh" in English, as the
    YAML spells it), anything else by its file name (engine.data.display_name)."""
    demo = find_demo(name.removeprefix(DEMO_PREFIX)) if name.startswith(DEMO_PREFIX) else None
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


def wire(ctx: Context, tab: DataTab, task: gr.Dropdown, model_spec: gr.Textbox) -> None:
    _wire_sources(ctx, tab)
    _wire_task(ctx, tab, task)
    max_length = next(b.component for b in ctx.form.bindings if (b.section, b.name) == ("model", "max_length"))
    shown = [tab.summary, tab.target_plot, tab.input_plot, tab.rejected, tab.ready]
    previewed = [tab.source_name, tab.preview, *tab.roles, tab.encoding, tab.separator, *shown]
    checks = [task, tab.source, tab.encoding, tab.separator, tab.unescape_html, max_length, model_spec, ctx.state,
              *tab.roles]
    inspect = _inspector(ctx)
    # The demo is chosen from the start, so a page load previews it as a change of source would.
    on_change([tab.source.change, ctx.app.load, tab.encoding.input, tab.separator.input], _previewer(ctx),
              [task, tab.source, tab.encoding, tab.separator, ctx.state, *tab.roles], previewed).then(
        inspect, checks, shown)
    # A language switch says again what is on screen, in the new language; the table itself stays.
    on_change(ctx.language.change, _renamer(ctx), [task, tab.source, tab.encoding, tab.separator, ctx.state],
              [tab.source_name, tab.encoding, tab.separator], show_progress="hidden")
    on_change(ctx.language.change, inspect, checks, shown, show_progress="hidden")
    on_change([*(slot.input for slot in tab.roles), tab.unescape_html.input, model_spec.change, max_length.change],
              inspect, checks, shown)
    data_fields = [b for b in ctx.form.bindings if b.section == "data"]
    on_change([*(b.component.change for b in data_fields), *(slot.change for slot in tab.roles), task.change,
               ctx.language.change], _splitter(ctx, [b.name for b in data_fields]),
              [ctx.state, task, *tab.roles, *(b.component for b in data_fields)], [tab.split, tab.ready],
              show_progress="hidden")


def _wire_task(ctx: Context, tab: DataTab, task: gr.Dropdown) -> None:
    """A new task names the column slots for its roles and offers its own demo datasets; a demo of another task
    gives way to this task's first demo (an uploaded file stays: the person mapped its columns)."""
    @guarded
    def shape(name: str, source: str, session: dict) -> tuple:
        demos = demo_choices(name, session["lang"])
        keep = not source.startswith(DEMO_PREFIX) or source in [value for _, value in demos]
        first = demos[0][1] if demos else ""
        return (*shaped.role_updates(name, session["lang"]), gr.update(choices=demos, value=source if keep else first),
                gr.skip() if keep or not first else first)

    on_change(task.change, shape, [task, tab.source, ctx.state], [*tab.roles, tab.demo, tab.source],
              show_progress="hidden")
    on_change(ctx.language.change, guarded(lambda name, session: [*shaped.role_updates(name, session["lang"]),
                                                                  gr.update(choices=demo_choices(name, session["lang"]))]),
              [task, ctx.state], [*tab.roles, tab.demo], show_progress="hidden")


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
            on_change(reference.change, guarded(lambda ref: display_name(ref) if ref else ""), reference, name)


def _progress(progress: gr.Progress, description: str) -> Callable[[float], None]:
    return lambda share: progress(share, desc=description)


def _read_config(task: str, source: str, encoding: str, separator: str, columns: dict[str, str] | None = None,
                 model: dict[str, Any] | None = None, **data: Any) -> RunConfig:
    """The part of the form a read needs: the task (its roles and reader), the file and how to read it (and the
    model whose tokens measure the texts)."""
    return RunConfig.from_dict({"task": task, "model": model or {},
                                "data": {"train_file": source, "encoding": encoding or "", "separator": separator or "",
                                         "columns": columns or {}, **data}})


def _previewer(ctx: Context) -> Any:
    @guarded
    def preview(task: str, source: str, encoding: str, separator: str, session: dict, *slots: Any,
                progress: gr.Progress = gr.Progress()) -> tuple:
        lang = session["lang"]
        name = dataset_label(display_name(source), lang) if source else ""
        if not source:
            return _cleared(name, text("no_data_chosen", lang))
        try:
            shown = ctx.studio.preview(_read_config(task, source, encoding, separator), session["owner"],
                                       _progress(progress, text("reading_file", lang).format(name=name)))
        except EngineError as exc:
            gr.Warning(exc.localized(lang))
            return _cleared(name, exc.localized(lang))
        table = shown.table
        problem = f"⚠️ {literal(shown.problem.text(lang))}" if shown.problem else ""
        return (dataset_label(table.name, lang), readable(shown.head),
                *shaped.guessed_columns(task, shown.guesses, shown.columns, list(slots)),
                gr.update(choices=read_choices("encoding", lang, table.encoding),
                          interactive=table.format not in ("excel", "parquet")),
                gr.update(choices=read_choices("separator", lang, table.separator),
                          interactive=table.format in ("delimited", "lines")),
                problem, None, None, gr.update(value=None, visible=False), False if shown.problem else gr.skip())
    return preview


def _renamer(ctx: Context) -> Any:
    @guarded
    def rename(task: str, source: str, encoding: str, separator: str, session: dict) -> tuple:
        """The dataset's name and the detected encoding and separator, in the page's language (the read is cached)."""
        lang = session["lang"]
        if not source:
            return gr.skip(), gr.skip(), gr.skip()
        try:
            table = ctx.studio.preview(_read_config(task, source, encoding, separator), session["owner"]).table
        except EngineError:  # the summary says why, in place
            return dataset_label(display_name(source), lang), gr.skip(), gr.skip()
        return (dataset_label(table.name, lang), gr.update(choices=read_choices("encoding", lang, table.encoding)),
                gr.update(choices=read_choices("separator", lang, table.separator)))
    return rename


def _cleared(name: str, message: str) -> tuple:
    """Every output of a preview emptied, with `message` where the summary was: nothing stale survives."""
    return (name, pd.DataFrame(), *(gr.update(choices=[], value="") for _ in range(shaped.ROLE_SLOTS)), gr.skip(),
            gr.skip(), f"⚠️ {literal(message)}", None, None, gr.update(value=None, visible=False), False)


def _inspector(ctx: Context) -> Any:
    @guarded
    def inspect(task: str, source: str, encoding: str, separator: str, unescape: bool, max_length: float | None,
                model_spec: str, session: dict, *slots: Any, progress: gr.Progress = gr.Progress()) -> tuple:
        lang, owner = session["lang"], session["owner"]
        if not source:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        report_progress = _progress(progress, text("reading_file", lang).format(
            name=dataset_label(display_name(source), lang)))
        try:
            # A half-typed max length must not stop the summary: it is checked on the Hyperparameters tab.
            low, high = bounds(ModelConfig, "max_length")
            model = {"max_length": int(max_length) if max_length and low <= max_length <= high else
                     ModelConfig().max_length, **({"name_or_path": model_spec} if model_spec else {})}
            cfg = _read_config(task, source, encoding, separator, shaped.columns_of(task, list(slots)), model,
                               unescape_html=bool(unescape))
            try:
                report = ctx.studio.inspect(cfg, owner, report_progress, with_model=bool(model_spec))
            except ModelError:  # a model that cannot load yet (offline Hub id): lengths in characters meanwhile
                report = ctx.studio.inspect(cfg, owner, report_progress, with_model=False)
            rejected = ctx.studio.rejected_rows(source, owner, ReadOptions.of(cfg.data), lang) \
                if report.rejected_rows else None
        except EngineError as exc:  # said in place: the previous dataset's summary must not stay
            return f"⚠️ {literal(exc.localized(lang))}", gr.update(value=None, visible=True), None, \
                gr.update(value=None, visible=False), False
        target = charts.target_figure(report.target, lang)  # none for a task that learns spans of its inputs
        return (summary_markdown(report, lang), gr.update(value=target, visible=target is not None),
                charts.input_figure(report.text_input, lang),
                gr.update(value=str(rejected), visible=True) if rejected else gr.update(value=None, visible=False),
                gr.skip())
    return inspect


def _splitter(ctx: Context, names: list[str]) -> Any:
    @guarded
    def split(session: dict, task: str, *values: Any) -> tuple[str, bool]:
        lang = session["lang"]
        slots, fields = values[:shaped.ROLE_SLOTS], values[shaped.ROLE_SLOTS:]
        try:
            cfg = RunConfig.from_dict({"task": task, "data": {**dict(zip(names, fields)),
                                                              "columns": shaped.columns_of(task, list(slots))}})
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
        f"- {text('rows', lang)}: **{report.rows:,}**"
        + (f" · {text('rejected_rows', lang)}: **{report.rejected_rows:,}**" if report.rejected_rows else ""),
        f"- {text('empty_rows', lang)}: **{report.empty_rows}** · "
        f"{text('duplicate_rows', lang)}: **{report.duplicate_rows}**",
        *(f"- {role_line(role, lang)}" for role in report.roles),
    ]
    # A blank line before each quote keeps them apart: consecutive quoted lines would merge into one paragraph.
    lines += [f"\n> {'⛔' if p.dropped else 'ℹ️'} {literal(p.message.text(lang))}" for p in report.problems]
    lines += [f"\n> ℹ️ {literal(note.text(lang))}" for note in report.notes]
    lines += [f"\n> ⚠️ {literal(warning.text(lang))}" for warning in report.warnings]
    return "\n".join(lines)


def role_line(role: Any, lang: str) -> str:
    """One role: its column, then what is in it, as its kind says (classes, entities, a number's range, lengths)."""
    line = f"{shaped.role_label(role.description, lang)}: **{literal(role.column)}**"
    if role.counts:
        noun = "entity_types" if role.kind == "tags" else "classes"
        line += f" · {text(noun, lang)}: **{len(role.counts)}**"
    stats = role.stats
    if stats and role.kind == "number":
        line += (f" · {text('range', lang)} {stats['min']:g} – {stats['max']:g}, {text('mean', lang)} "
                 f"{stats['mean']:g}")
    elif stats and role.unit:
        # A list column (the words of a sentence, its tags) counts its items; a text is measured in tokens.
        measure = text("items_per_row", lang) if role.unit == "items" else \
            f"{text('length_stats', lang)} ({text(role.unit, lang)})"
        line += (f" · {measure}: {text('mean', lang)} "
                 f"{stats['mean']:.0f}, {text('median', lang)} {stats['p50']:.0f}, 95% {stats['p95']:.0f}, "
                 f"{text('max', lang)} {stats['max']:.0f}")
    return line


def readable(head: pd.DataFrame) -> pd.DataFrame:
    """The preview's rows as a person reads them: a list cell (the words of a sentence, its tags) as its items
    between spaces, not Python's brackets and quotes. Only what is shown; the data stays as read."""
    return head.apply(lambda column: column.map(lambda cell: " ".join(map(str, cell))
                                                if isinstance(cell, (list, tuple)) else cell))


def literal(words: str) -> str:
    """`words` as plain text inside Markdown."""
    return words.translate(MARKDOWN_ESCAPES)
