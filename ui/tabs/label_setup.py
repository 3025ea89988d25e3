"""The Label tab's project side: a new project from a file (read as the Data tab reads it), adding rows, joining
with a code, the label set (add, rename, recolour, merge, remove) and the team (join code, overlap, agreement).

A file with a text column and no label column in the Data tab offers "Label these texts", which brings it here.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from engine.data import SUPPORTED_EXTENSIONS, LoadedTable, display_name
from engine.labeling.assist import LABEL, TASK, TEXT
from engine.labeling.desk import LabelDesk, Rows
from engine.labeling.store import Project
from ui.context import Context
from ui.errors import guarded
from ui.i18n import text
from ui.tabs import label_view
from ui.tabs.data import DataTab, literal
from ui.events import on_change

if TYPE_CHECKING:
    from ui.tabs.label import Views


@dataclass
class SetupView:
    new: gr.Accordion
    upload: gr.File
    source: gr.State           # the file's `upload:` (or demo) reference; never shown
    name: gr.Textbox
    text_column: gr.Dropdown
    label_column: gr.Dropdown
    labels: gr.Textbox
    your_name: gr.Textbox
    create: gr.Button
    add: gr.Button
    summary: gr.Markdown       # how the file was read, and what creating or adding kept
    code: gr.Textbox
    join_name: gr.Textbox
    join: gr.Button
    label_pick: gr.Dropdown
    label_name: gr.Textbox
    label_color: gr.ColorPicker
    merge_into: gr.Dropdown
    add_label: gr.Button
    rename: gr.Button
    recolor: gr.Button
    merge: gr.Button
    remove: gr.Button
    join_code: gr.Textbox      # the owner's to share; whoever enters it labels with them
    overlap: gr.Slider
    agreement: gr.Markdown
    refresh_agreement: gr.Button

    @property
    def shown_components(self) -> list[Any]:
        return [self.label_pick, self.merge_into, self.join_code, self.overlap, self.agreement]


def build(ctx: Context) -> SetupView:
    tr = ctx.tr
    with tr.bind(gr.Accordion(open=False), "label_new_section") as new:
        upload = tr.bind(gr.File(file_types=list(SUPPORTED_EXTENSIONS), type="filepath"), "label_upload")
        name = tr.bind(gr.Textbox(max_length=80), "label_project_name")
        with gr.Row():
            text_column = tr.bind(gr.Dropdown(choices=[], allow_custom_value=True), "text_column")
            label_column = tr.bind(gr.Dropdown(choices=[], allow_custom_value=True), "label_label_column")
        labels = tr.bind(gr.Textbox(max_length=2000), "label_labels")
        your_name = tr.bind(gr.Textbox(max_length=80), "label_your_name")
        with gr.Row():
            create = tr.bind(gr.Button(variant="primary"), "label_create", attr="value")
            add = tr.bind(gr.Button(), "label_add_rows", attr="value")
        summary = gr.Markdown(elem_id="label-summary")
    with tr.bind(gr.Accordion(open=False), "label_join_section"):
        with gr.Row():
            code = tr.bind(gr.Textbox(max_length=40), "label_code")
            join_name = tr.bind(gr.Textbox(max_length=80), "label_your_name")
        join = tr.bind(gr.Button(), "label_join", attr="value")
    with tr.bind(gr.Accordion(open=False), "label_set_section"):
        with gr.Row():
            label_pick = tr.bind(gr.Dropdown(choices=[]), "label_pick")
            label_name = tr.bind(gr.Textbox(max_length=60), "label_name")
            label_color = tr.bind(gr.ColorPicker("#4e79a7"), "label_color")
        with gr.Row():
            add_label = tr.bind(gr.Button(size="sm"), "label_add", attr="value")
            rename = tr.bind(gr.Button(size="sm"), "label_rename", attr="value")
            recolor = tr.bind(gr.Button(size="sm"), "label_recolor", attr="value")
            remove = tr.bind(gr.Button(size="sm", variant="stop"), "label_remove", attr="value")
        with gr.Row():
            merge_into = tr.bind(gr.Dropdown(choices=[]), "label_merge_into")
            merge = tr.bind(gr.Button(size="sm"), "label_merge", attr="value")
    with tr.bind(gr.Accordion(open=False), "label_team_section"):
        join_code = tr.bind(gr.Textbox(interactive=False, elem_id="label-join-code"), "label_join_code")
        overlap = tr.bind(gr.Slider(0, 1, value=0, step=0.05), "label_overlap")
        agreement = gr.Markdown(elem_id="label-agreement")
        refresh_agreement = tr.bind(gr.Button(size="sm"), "refresh", attr="value")
    return SetupView(new, upload, gr.State(""), name, text_column, label_column, labels, your_name, create, add,
                     summary, code, join_name, join, label_pick, label_name, label_color, merge_into, add_label,
                     rename, recolor, merge, remove, join_code, overlap, agreement, refresh_agreement)


def shown(view: SetupView, desk: LabelDesk, project: Project | None, who: str, lang: str) -> dict:
    """The project's label set in the editor, and its team: the join code for the owner, the overlap, agreement."""
    labels = project.labels if project else []
    owner = project is not None and project.owner == who
    agreement = label_view.agreement_markdown(*desk.agreement(project.id, who), lang) if project else ""
    return {view.label_pick: gr.update(choices=labels, value=None),
            view.merge_into: gr.update(choices=labels, value=None),
            view.join_code: gr.update(value=project.join_code if owner else "", visible=owner),
            view.overlap: gr.update(value=project.overlap if project else 0, interactive=owner),
            view.agreement: agreement}


def wire(ctx: Context, desk: LabelDesk, view: SetupView, views: "Views", pages: gr.Tabs, data_tab: DataTab,
         task: gr.Dropdown) -> None:
    tab = views.tab
    read = [view.source, view.name, view.text_column, view.label_column, view.summary]
    view.upload.upload(guarded(lambda path, session: ctx.studio.keep_upload(path, session["owner"]) if path
                               else gr.skip()), [view.upload, ctx.state], view.source)
    on_change(view.source.change, guarded(_previewer(desk)), [view.source, ctx.state], read[1:])
    # Projects label texts for classification: offered when that task's label slot (its second) finds no column.
    label_slot = data_tab.roles[1]
    on_change([label_slot.change, task.change],
              guarded(lambda source, name, column: gr.update(visible=bool(source) and name == TASK.name and not column)),
              [data_tab.source, task, label_slot], data_tab.label_these, show_progress="hidden")
    data_tab.label_these.click(guarded(lambda source: (source, gr.Tabs(selected="label"), gr.Accordion(open=True))),
                               data_tab.source, [view.source, pages, view.new])
    shown_all = views.outputs + [view.summary]
    made = [view.name, view.text_column, view.label_column, view.labels, view.your_name, view.source, ctx.state,
            tab.state, tab.order]
    view.create.click(guarded(_creator(desk, views)), made, shown_all)
    view.add.click(guarded(_adder(desk, views)), [view.source, view.text_column, view.label_column, ctx.state,
                                                 tab.state], shown_all)
    view.join.click(guarded(lambda code, name, session, state, order: views.opened(
        desk.join(code, session["owner"], name).id, session, state, order)),
        [view.code, view.join_name, ctx.state, tab.state, tab.order], views.outputs)
    _wire_label_set(desk, view, views, ctx)
    view.overlap.release(guarded(lambda share, session, state: _configured(desk, share, session, state)),
                         [view.overlap, ctx.state, tab.state], view.agreement)
    view.refresh_agreement.click(guarded(lambda session, state: _agreement(desk, session, state)),
                                 [ctx.state, tab.state], view.agreement)


def _previewer(desk: LabelDesk) -> Any:
    def preview(source: str, session: dict) -> tuple:
        if not source:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        shown = desk.guess_columns(source, session["owner"])
        return (Path(display_name(source)).stem, gr.update(choices=shown.columns, value=shown.guesses[TEXT]),
                gr.update(choices=[(text("label_none", session["lang"]), ""), *shown.columns],
                          value=shown.guesses[LABEL]),
                read_markdown(shown.table, session["lang"]))
    return preview


def read_markdown(table: LoadedTable, lang: str) -> str:
    """How the file was read, as the Data tab says it: name, format, encoding, separator, rows, every problem."""
    parts = [f"{text('file', lang)}: **{literal(table.name)}** ({text('format_' + table.format, lang)})",
             f"{text('rows', lang)}: **{len(table.frame):,}**"]
    if table.encoding:
        parts.append(f"{text('encoding', lang)}: **{table.encoding}**")
    if table.rejected:
        parts.append(f"{text('rejected_rows', lang)}: **{len(table.rejected):,}**")
    lines = ["- " + " · ".join(parts)]
    lines += [f"\n> {'⛔' if p.dropped else 'ℹ️'} {literal(p.message.text(lang))}" for p in table.problems]
    return "\n".join(lines + [f"\n> ℹ️ {literal(note.text(lang))}" for note in table.notes])


def _kept_markdown(rows: Rows, added: int, relabeled: int, lang: str) -> str:
    return text("label_kept", lang).format(added=added, labeled=sum(1 for label in rows.labels or [] if label),
                                           relabeled=relabeled, empty=rows.empty, repeated=rows.duplicates)


def _creator(desk: LabelDesk, views: "Views") -> Any:
    def create(name: str, text_column: str, label_column: str, labels: str, your_name: str, source: str,
               session: dict, state: dict, order: str) -> dict:
        if not source:
            raise gr.Error(text("label_choose_file", session["lang"]))
        who = session["owner"]
        rows = desk.read_rows(source, who, text_column, label_column or "")
        names = [label.strip() for label in (labels or "").replace("，", ",").split(",") if label.strip()]
        project = desk.create(name or display_name(source), who, names, rows, your_name or "")
        shown = views.opened(project.id, session, state, order)
        return {**shown, views.tab.setup.summary: _kept_markdown(rows, len(rows.texts), 0, session["lang"])}
    return create


def _adder(desk: LabelDesk, views: "Views") -> Any:
    def add(source: str, text_column: str, label_column: str, session: dict, state: dict) -> dict:
        if not state["project"] or not source:
            raise gr.Error(text("label_choose_file", session["lang"]))
        rows = desk.read_rows(source, session["owner"], text_column, label_column or "")
        added, relabeled = desk.add_rows(state["project"], session["owner"], rows)
        return {**views.redrawn(session, state),
                views.tab.setup.summary: _kept_markdown(rows, added, relabeled, session["lang"])}
    return add


def _wire_label_set(desk: LabelDesk, view: SetupView, views: "Views", ctx: Context) -> None:
    def edit(change: Any) -> Any:
        def handler(pick: str, name: str, color: str, target: str, session: dict, state: dict) -> dict:
            if not state["project"]:
                raise gr.Error(text("label_choose_project", session["lang"]))
            change(state["project"], session["owner"], pick, name, color, target)
            return views.redrawn(session, state)
        return guarded(handler)

    edits = {view.add_label: lambda p, who, pick, name, color, target: desk.add_label(p, who, name, color),
             view.rename: lambda p, who, pick, name, color, target: desk.rename_label(p, who, pick, name),
             view.recolor: lambda p, who, pick, name, color, target: desk.recolor_label(p, who, pick, color),
             view.merge: lambda p, who, pick, name, color, target: desk.merge_labels(p, who, pick, target),
             view.remove: lambda p, who, pick, name, color, target: desk.remove_label(p, who, pick)}
    inputs = [view.label_pick, view.label_name, view.label_color, view.merge_into, ctx.state, views.tab.state]
    for button, change in edits.items():
        button.click(edit(change), inputs, views.outputs)


def _configured(desk: LabelDesk, share: float, session: dict, state: dict) -> str:
    if not state["project"]:
        return ""
    desk.configure(state["project"], session["owner"], overlap=share)
    return _agreement(desk, session, state)


def _agreement(desk: LabelDesk, session: dict, state: dict) -> str:
    if not state["project"]:
        return ""
    pairs, people = desk.agreement(state["project"], session["owner"])
    return label_view.agreement_markdown(pairs, people, session["lang"])
