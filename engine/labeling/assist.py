"""The model's help with labeling: train on the labeled rows through the normal run path, then let the trained
model suggest a label for every row (with the scores that order the queue), and retrain as labels grow.

A training is an ordinary run of the project's owner: the labeled rows are exported to a CSV kept as one of
the owner's uploads, so the run store, the queue, the Train tab's charts and Evaluate all show it as any other.
Suggestions are computed in a background thread of the app, a chunk at a time, each chunk committed: the
queue reorders as they arrive, and after a restart the work goes on from the rows that lack them.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from engine.config import RunConfig
from engine.errors import EngineError, LabelError
from engine.labeling.sampling import scores
from engine.labeling.store import LabelStore, Project
from engine.messages import register_messages
from engine.runs.store import ACTIVE, WAITING, RunRecord
from engine.tasks import get_task

if TYPE_CHECKING:
    from engine.studio import Studio

MIN_TRAIN_LABELS = 8
SUGGEST_CHUNK = 256
# Labeling projects make text classification data; exported labels name their columns after its roles.
TASK = get_task("text_classification")
TEXT, LABEL = (role.name for role in TASK.roles)

log = logging.getLogger("tunebench.labeling")

register_messages({
    "labeling.too_few_labels": ("Label at least {needed} rows before training; {count} are labeled.",
                                "训练前请至少标注 {needed} 行；目前已标注 {count} 行。"),
    "labeling.one_label": ("All labeled rows have the same label; a classifier needs examples of at least two.",
                           "已标注的行都是同一个标签；分类器至少需要两个标签的样本。"),
})


@dataclass
class ModelState:
    """Where the project's model stands, for its status line."""

    run_id: str
    status: str            # the latest run's status, "" without one
    suggested: int         # rows holding the current model's suggestion
    total: int
    working: bool          # suggestions are being computed now
    trained_at: int        # labeled rows the latest run was started with


class ModelAssist:
    def __init__(self, studio: "Studio", store: LabelStore, export: Callable[[Project], Path]):
        self.studio, self.store, self.export = studio, store, export
        self._workers: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def train(self, project: Project, base: RunConfig | None = None) -> RunRecord:
        """Start a run of the owner's on the labeled rows, with `base`'s model and settings (or the studio's
        defaults, or the settings of the project's previous run)."""
        labeled = self.store.items.labeled(project.id)
        if len(labeled) < MIN_TRAIN_LABELS:
            raise LabelError("labeling.too_few_labels", needed=MIN_TRAIN_LABELS, count=len(labeled))
        if labeled[LABEL].nunique() < 2:
            raise LabelError("labeling.one_label")
        if base is None:
            base = RunConfig.from_yaml(project.train_config) if project.train_config else RunConfig()
        reference = self.studio.keep_upload(str(self.export(project)), project.owner)
        data = dataclasses.replace(base.data, train_file=reference, validation_file="", test_file="",
                                   columns={TEXT: TEXT, LABEL: LABEL}, encoding="", separator="")
        cfg = dataclasses.replace(base, task=TASK.name, name=f"{project.name} · {len(labeled)}", data=data,
                                  options={})
        record = self.studio.start(cfg, project.owner)
        self.store.update(project.id, run_id=record.id, trained_at=len(labeled), train_config=cfg.to_yaml())
        return record

    def after_label(self, project: Project, labeled: int) -> None:
        """Start the next run when the project retrains every N labels and N new ones have come."""
        if not project.retrain_every or labeled - project.trained_at < project.retrain_every:
            return
        if project.run_id and self._run(project).status in ACTIVE + WAITING:
            return  # the next label tries again once this run has ended
        try:
            self.train(project)
        except EngineError as exc:  # the person pressed a label key, not Train: the status line tells the rest
            log.info("auto-retrain of %s not started: %s", project.id, exc)

    def state(self, project: Project) -> ModelState:
        progress = self.store.items.progress(project.id, project.owner, project.suggest_run)
        status = self._run(project).status if project.run_id else ""
        return ModelState(project.run_id, status, progress.suggested, progress.total, self._busy(project.id),
                          project.trained_at)

    # suggestions ---------------------------------------------------------------------------------------
    def refresh(self, project: Project) -> None:
        """Start computing suggestions when the latest run has finished and rows still lack its suggestions."""
        if not project.run_id or self._busy(project.id) or self._run(project).status != "finished":
            return
        if not self.store.items.unsuggested(project.id, project.run_id, 1):
            return
        with self._lock:
            if self._busy(project.id):
                return
            self.store.update(project.id, suggest_run=project.run_id)
            worker = threading.Thread(target=self._suggest_quietly, args=(project, project.run_id),
                                      name=f"tunebench-suggest-{project.id}", daemon=True)
            self._workers[project.id] = worker
            worker.start()

    def suggest(self, project: Project, run_id: str) -> int:
        """Suggest a label for every row with `run_id`'s model, in this thread; returns the rows suggested."""
        self.store.update(project.id, suggest_run=run_id)
        predictor, done = self.studio.predictor(run_id, project.owner), 0
        while batch := self.store.items.unsuggested(project.id, run_id, SUGGEST_CHUNK):
            if self.store.get(project.id).suggest_run != run_id:
                break  # a newer model took over
            predictions = predictor.predict([text for _, text in batch])
            probs = np.array([[p["probs"][label] for label in predictor.labels] for p in predictions])
            found = scores(probs)
            self.store.items.suggest(project.id, run_id, [
                (idx, p["label"], float(c), float(m), float(e))
                for (idx, _), p, c, m, e in zip(batch, predictions, found.confidence, found.margin, found.entropy)])
            done += len(batch)
        return done

    def _suggest_quietly(self, project: Project, run_id: str) -> None:
        try:
            self.suggest(project, run_id)
        except Exception:  # noqa: BLE001 - a background thread: log it; the next refresh tries again
            log.exception("suggestions for project %s failed", project.id)

    def _busy(self, project_id: str) -> bool:
        worker = self._workers.get(project_id)
        return worker is not None and worker.is_alive()

    def _run(self, project: Project) -> RunRecord:
        return self.studio.run(project.run_id, project.owner)
