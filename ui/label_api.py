"""The labeling part of the app's HTTP API (gradio_client, scripts): the Label tab's calls, JSON in and out.

Rows are named by `row`, their 0-based place in the project (a view's `number` is the 1-based one people see).
Each client is its own owner on a shared app, as for runs: it sees the projects it created or joined with a
code, and another project's id answers exactly like an unknown one.
"""
from __future__ import annotations

from dataclasses import asdict
import gradio as gr

from engine.config import RunConfig
from engine.labeling.desk import LabelDesk, rows_of
from engine.labeling.items import ItemFilter
from ui.errors import guarded
from ui.owners import api_owner

DEFAULT_ORDER = "least_confident"


def register(desk: LabelDesk) -> None:
    """Declare the labeling endpoints; call inside the gr.Blocks context."""

    def owner(request: gr.Request, profile: gr.OAuthProfile | None) -> str:
        return api_owner(desk.studio.shared, request, profile)

    @guarded
    def label_create(name: str, labels: list[str], texts: list[str], your_name: str = "", request: gr.Request = None,
                     profile: gr.OAuthProfile | None = None) -> dict:
        """A labeling project of `texts` (empty and repeated ones left out) with a label set; returns its id and the
        join code to share with co-labelers."""
        project = desk.create(name, owner(request, profile), labels, rows_of(texts), your_name)
        return {"project": project.id, "join_code": project.join_code, "labels": project.labels}

    @guarded
    def label_join(code: str, your_name: str = "", request: gr.Request = None,
                   profile: gr.OAuthProfile | None = None) -> dict:
        """Join a project with the code its owner shared; returns its id and labels."""
        project = desk.join(code, owner(request, profile), your_name)
        return {"project": project.id, "name": project.name, "labels": project.labels}

    @guarded
    def label_next(project: str, order: str = DEFAULT_ORDER, exclude: int = -1, request: gr.Request = None,
                   profile: gr.OAuthProfile | None = None) -> dict | None:
        """The next row to label in `order` (least_confident, margin, entropy, disagree, random, file), held for
        you a few minutes; None when nothing is left."""
        view = desk.next(project, owner(request, profile), order, None if exclude < 0 else exclude)
        return asdict(view) if view else None

    @guarded
    def label_set(project: str, row: int, label: str, request: gr.Request = None,
                  profile: gr.OAuthProfile | None = None) -> dict:
        """Label a row (the last write wins; the row's history shows what it replaced); returns the row."""
        who = owner(request, profile)
        desk.label(project, row, label, who)
        return asdict(desk.item(project, row, who))

    @guarded
    def label_accept(project: str, row: int, request: gr.Request = None,
                     profile: gr.OAuthProfile | None = None) -> dict:
        """Take the model's suggestion as the row's label, marked as accepted; returns the row."""
        who = owner(request, profile)
        desk.accept(project, row, who)
        return asdict(desk.item(project, row, who))

    @guarded
    def label_undo(project: str, request: gr.Request = None, profile: gr.OAuthProfile | None = None) -> list[int]:
        """Take back your latest labeling action; returns the rows put back."""
        return desk.undo(project, owner(request, profile))

    @guarded
    def label_note(project: str, row: int, note: str, request: gr.Request = None,
                   profile: gr.OAuthProfile | None = None) -> dict:
        who = owner(request, profile)
        desk.note(project, row, note, who)
        return asdict(desk.item(project, row, who))

    @guarded
    def label_row(project: str, row: int, request: gr.Request = None, profile: gr.OAuthProfile | None = None) -> dict:
        """One row with its label, suggestion and history (who changed it, and whose label it replaced)."""
        return asdict(desk.item(project, row, owner(request, profile)))

    @guarded
    def label_status(project: str, request: gr.Request = None, profile: gr.OAuthProfile | None = None) -> dict:
        """Progress (labeled, total, per label, rate per hour), the model's status and agreement between people."""
        who = owner(request, profile)
        pairs, people = desk.agreement(project, who)
        return {"progress": asdict(desk.progress(project, who)), "model": asdict(desk.model_state(project, who)),
                "labels_by_person": people, "agreement": [asdict(pair) for pair in pairs]}

    @guarded
    def label_rows(project: str, label: str = "", unlabeled: bool = False, disagrees: bool = False,
                   offset: int = 0, limit: int = 100, request: gr.Request = None,
                   profile: gr.OAuthProfile | None = None) -> dict:
        """A page of rows in file order, filtered as the table view filters them, and how many match."""
        views, total = desk.page(project, owner(request, profile), ItemFilter(label=label, unlabeled=unlabeled,
                                                                              disagrees=disagrees),
                                 max(offset, 0), min(max(limit, 1), 1000))
        return {"total": total, "rows": [asdict(view) for view in views]}

    @guarded
    def label_export(project: str, request: gr.Request = None, profile: gr.OAuthProfile | None = None) -> list[dict]:
        """The labeled rows with labeler, time and whether each was an accepted suggestion."""
        return desk.export_frame(project, owner(request, profile)).to_dict(orient="records")

    @guarded
    def label_train(project: str, config_yaml: str = "", request: gr.Request = None,
                    profile: gr.OAuthProfile | None = None) -> str:
        """Start a run on the labeled rows (the owner only), with a run config's model and settings; returns its
        id. Its suggestions appear by themselves when it finishes."""
        base = RunConfig.from_yaml(config_yaml) if config_yaml.strip() else None
        return desk.train(project, owner(request, profile), base).id

    for fn in (label_create, label_join, label_next, label_set, label_accept, label_undo, label_note, label_row,
               label_status, label_rows, label_export, label_train):
        gr.api(fn, api_name=fn.__name__)

