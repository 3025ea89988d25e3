"""The Label tab's table view and export: page through a project's rows with filters (label, model disagrees,
confidence, text), relabel the ticked rows or every row the filter selects in one undoable batch, and export
the labeled rows as CSV or JSONL, or hand them to the Data tab for a full run with a held-out split.

The table shows one page at a time, read from the store with LIMIT/OFFSET, so a 100,000-row project costs the
same as a small one, and nothing here redraws when a key labels a row on the card.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd

from engine.labeling.desk import EXPORT_FORMATS, LabelDesk
from engine.labeling.items import ItemFilter
from engine.labeling.store import Project
from ui.context import Context
from ui.errors import guarded
from ui.i18n import text
from ui.tabs import label_view
from ui.tabs.data import DataTab
from ui.events import on_change

if TYPE_CHECKING:
    from ui.tabs.label import Views

PAGE_ROWS = 20
UNLABELED = " "   # the filter's "no label" choice: no label name can be blank
COLUMNS = ("label_col_pick", "label_col_number", "col_text", "label_col_label", "label_suggestion",
           "col_confidence", "label_col_labeler")


@dataclass
class TableView:
    filter_label: gr.Dropdown
    disagrees: gr.Checkbox
    lowest: gr.Slider
    highest: gr.Slider
    contains: gr.Textbox
    table: gr.Dataframe
    page: gr.Number
    previous: gr.Button
    next: gr.Button
    info: gr.Markdown
    bulk_label: gr.Dropdown
    relabel_ticked: gr.Button
    relabel_all: gr.Button
    export_format: gr.Radio
    export: gr.Button
    download: gr.File
    to_data: gr.Button

    @property
    def filters(self) -> list[Any]:
        return [self.filter_label, self.disagrees, self.lowest, self.highest, self.contains]

    @property
    def shown_components(self) -> list[Any]:
        return [self.filter_label, self.bulk_label, self.table, self.page, self.info, self.relabel_all]


def build(ctx: Context) -> TableView:
    tr = ctx.tr
    with tr.bind(gr.Accordion(open=False), "label_table_section"):
        with gr.Row():
            filter_label = tr.bind(gr.Dropdown(choices=[(text("label_any", "en"), "")], value=""),
                                   "label_filter_label")
            disagrees = tr.bind(gr.Checkbox(False), "label_filter_disagrees")
            contains = tr.bind(gr.Textbox(max_length=200), "label_filter_contains")
        with gr.Row():
            lowest = tr.bind(gr.Slider(0, 1, value=0, step=0.01), "label_lowest")
            highest = tr.bind(gr.Slider(0, 1, value=1, step=0.01), "label_highest")
        table = gr.Dataframe(interactive=True, static_columns=list(range(1, len(COLUMNS))), wrap=True,
                             datatype=["bool", "number", "str", "str", "str", "number", "str"], max_height=640,
                             elem_id="label-table")
        with gr.Row(equal_height=True):
            previous = tr.bind(gr.Button(size="sm", scale=0, min_width=100), "label_previous_page", attr="value")
            page = tr.bind(gr.Number(1, precision=0, minimum=1, scale=0, min_width=120), "label_page")
            following = tr.bind(gr.Button(size="sm", scale=0, min_width=100), "label_next_page", attr="value")
            info = gr.Markdown(elem_id="label-table-info")
        with gr.Row(equal_height=True):
            bulk_label = tr.bind(gr.Dropdown(choices=[]), "label_bulk_label")
            relabel_ticked = tr.bind(gr.Button(size="sm"), "label_relabel_ticked", attr="value")
            relabel_all = gr.Button(size="sm", elem_id="label-relabel-all")
        with gr.Row(equal_height=True):
            # Each format by its usual name (CSV, JSONL); the engine takes the file extension.
            export_format = tr.bind(gr.Radio([(fmt.upper(), fmt) for fmt in EXPORT_FORMATS], value="csv"),
                                    "label_export_format")
            export = tr.bind(gr.Button(size="sm"), "label_export", attr="value")
            to_data = tr.bind(gr.Button(size="sm"), "label_to_data", attr="value")
        download = tr.bind(gr.File(visible=False, interactive=False), "label_download")
    return TableView(filter_label, disagrees, lowest, highest, contains, table, page, previous, following, info,
                     bulk_label, relabel_ticked, relabel_all, export_format, export, download, to_data)


def shown(view: TableView, desk: LabelDesk, project: Project | None, who: str, lang: str) -> dict:
    """The filters' label choices and the first unfiltered page of the project."""
    labels = project.labels if project else []
    choices = [(text("label_any", lang), ""), (text("label_unlabeled_rows", lang), UNLABELED), *labels]
    page = _page(desk, project, who, ItemFilter(), 1, lang) if project else _empty(lang)
    return {view.filter_label: gr.update(choices=choices, value=""), view.bulk_label: gr.update(choices=labels,
                                                                                                 value=None),
            **dict(zip([view.table, view.page, view.info, view.relabel_all], page))}


def selection(label: str, disagrees: bool, lowest: float, highest: float, contains: str) -> ItemFilter:
    return ItemFilter(label="" if label == UNLABELED else label or "", unlabeled=label == UNLABELED,
                      disagrees=bool(disagrees), min_confidence=float(lowest or 0), max_confidence=float(highest or 1),
                      contains=contains or "")


def _page(desk: LabelDesk, project: Project, who: str, chosen: ItemFilter, page: int, lang: str) -> tuple:
    """(rows, page number, "rows a–b of n", the relabel-all button) for one page of the selection."""
    page = max(int(page or 1), 1)
    views, total = desk.page(project.id, who, chosen, (page - 1) * PAGE_ROWS, PAGE_ROWS)
    if not views and page > 1:  # past the end (the selection shrank): the last page instead
        page = max((total + PAGE_ROWS - 1) // PAGE_ROWS, 1)
        views, total = desk.page(project.id, who, chosen, (page - 1) * PAGE_ROWS, PAGE_ROWS)
    frame = pd.DataFrame([[False, v.number, v.text, v.label or "", v.suggestion or "",
                           None if v.confidence is None else round(v.confidence, 3), v.labeler or ""] for v in views],
                         columns=[text(key, lang) for key in COLUMNS])
    first = (page - 1) * PAGE_ROWS + 1 if views else 0
    info = text("label_table_info", lang).format(first=first, last=first + len(views) - 1 if views else 0,
                                                 total=total)
    return frame, page, info, gr.update(value=text("label_relabel_all", lang).format(total=total),
                                        interactive=total > 0)


def _empty(lang: str) -> tuple:
    return (pd.DataFrame(columns=[text(key, lang) for key in COLUMNS]), 1, "",
            gr.update(value=text("label_relabel_all", lang).format(total=0), interactive=False))


def wire(ctx: Context, desk: LabelDesk, view: TableView, views: "Views", pages: gr.Tabs, data_tab: DataTab) -> None:
    state = views.tab.state
    drawn = [view.table, view.page, view.info, view.relabel_all]

    def render(step: int | None) -> Any:
        """Draw a page: the first (None, after a filter changed), or `step` pages from the one in the box."""
        @guarded
        def draw(session: dict, labels_state: dict, page: float | None, *filters: Any) -> tuple:
            if not labels_state["project"]:
                return _empty(session["lang"])
            project = desk.project(labels_state["project"], session["owner"])
            target = 1 if step is None else int(page or 1) + step
            return _page(desk, project, session["owner"], selection(*filters), target, session["lang"])
        return draw

    inputs = [ctx.state, state, view.page, *view.filters]
    on_change([f.change for f in view.filters], render(None), inputs, drawn, show_progress="hidden")
    view.previous.click(render(-1), inputs, drawn, show_progress="hidden")
    view.next.click(render(1), inputs, drawn, show_progress="hidden")
    view.page.submit(render(0), inputs, drawn, show_progress="hidden")

    def relabel(ticked_only: bool, label: str, table: pd.DataFrame, session: dict, labels_state: dict,
                page: float | None, *filters: Any) -> tuple:
        if not labels_state["project"] or not label:
            raise gr.Error(text("label_choose_label", session["lang"]))
        if ticked_only:
            ticked = table[table.iloc[:, 0].astype(bool)] if len(table) else table
            chosen: Any = [int(number) - 1 for number in ticked.iloc[:, 1]]
        else:
            chosen = selection(*filters)
        changed = desk.relabel(labels_state["project"], session["owner"], chosen, label)
        gr.Info(text("label_relabeled", session["lang"]).format(count=changed))
        project = desk.project(labels_state["project"], session["owner"])
        page_shown = _page(desk, project, session["owner"], selection(*filters), int(page or 1), session["lang"])
        return (*page_shown, label_view.progress_html(project, desk.progress(project.id, session["owner"]),
                                                      session["lang"]))

    bulk = [view.bulk_label, view.table, *inputs]
    @guarded
    def relabel_ticked(*args: Any) -> tuple:
        return relabel(True, *args)

    @guarded
    def relabel_selected(*args: Any) -> tuple:
        return relabel(False, *args)

    view.relabel_ticked.click(relabel_ticked, bulk, [*drawn, views.tab.progress])
    view.relabel_all.click(relabel_selected, bulk, [*drawn, views.tab.progress])

    @guarded
    def export(fmt: str, session: dict, labels_state: dict) -> Any:
        if not labels_state["project"]:
            raise gr.Error(text("label_choose_project", session["lang"]))
        return gr.update(value=str(desk.export(labels_state["project"], session["owner"], fmt)), visible=True)

    @guarded
    def to_data(session: dict, labels_state: dict) -> tuple:
        if not labels_state["project"]:
            raise gr.Error(text("label_choose_project", session["lang"]))
        return desk.to_data_tab(labels_state["project"], session["owner"]), gr.Tabs(selected="data")

    view.export.click(export, [view.export_format, ctx.state, state], view.download)
    view.to_data.click(to_data, [ctx.state, state], [data_tab.source, pages])
