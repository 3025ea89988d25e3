"""The app's HTTP API (used by gradio_client and scripts): runs as YAML in, JSON out.

Each endpoint is a thin call into the Studio; errors come back as gr.Error messages, never traces.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import gradio as gr

from engine.config import RunConfig
from engine.errors import ConfigError
from engine.messages import register_messages
from engine.runs.events import load_history
from engine.studio import Studio
from ui.errors import guarded
from ui.owners import api_owner

register_messages({
    "api.columns_not_a_mapping": ('must map roles to columns, as an object or its JSON text, '
                                  'e.g. {{"text": "review"}}; got {value!r}.',
                                  '必须把角色对应到列，写成对象或它的 JSON 文本，'
                                  '例如 {{"text": "review"}}；现在是 {value!r}。'),
})


def register(studio: Studio) -> None:
    """Declare the API endpoints; call inside the gr.Blocks context. Each client is an owner of its own
    on a shared app (its login, or its session): it sees and controls only the runs it started."""

    def owner(request: gr.Request, profile: gr.OAuthProfile | None) -> str:
        return api_owner(studio.shared, request, profile)

    @guarded
    def start_run(config_yaml: str, request: gr.Request, profile: gr.OAuthProfile | None) -> str:
        """Start training from a run config in YAML; returns the new run id at once (the run may wait in
        the queue for a free training slot)."""
        return studio.start(RunConfig.from_yaml(config_yaml), owner(request, profile)).id

    @guarded
    def run_status(run_id: str, request: gr.Request, profile: gr.OAuthProfile | None) -> dict:
        """Status, place in the queue, latest progress and logged values of a run."""
        who = owner(request, profile)
        record = studio.run(run_id, who)
        history = load_history(record.run_dir)
        place = studio.queue_position(run_id, who)
        return {"id": record.id, "status": record.status, "message": record.message,
                "best_metric": record.best_metric, "queue_position": place[0] if place else None,
                "progress": history.progress, "train": history.train, "evals": history.evals}

    @guarded
    def stop_run(run_id: str, request: gr.Request, profile: gr.OAuthProfile | None) -> str:
        """Ask a run to stop (it saves and ends within a step), or take a queued run out of the queue."""
        who = owner(request, profile)
        studio.stop(run_id, who)
        status = studio.run(run_id, who).status
        return "stopping" if status == "running" else status  # a queued run is cancelled at once

    @guarded
    def resume_run(run_id: str, checkpoint: str = "", request: gr.Request = None,
                   profile: gr.OAuthProfile | None = None) -> str:
        """Resume a stopped or interrupted run from its last checkpoint, or from one of its checkpoints by
        name (e.g. checkpoint-40)."""
        return studio.resume(run_id, owner(request, profile), checkpoint).status

    @guarded
    def list_runs(request: gr.Request, profile: gr.OAuthProfile | None) -> list[dict]:
        """Your runs, newest first."""
        return [studio.public(record) for record in studio.runs(owner(request, profile))]

    @guarded
    def run_report(run_id: str, request: gr.Request, profile: gr.OAuthProfile | None) -> dict:
        """The held-out evaluation report of a finished run."""
        return asdict(studio.report(run_id, owner(request, profile)))

    @guarded
    def predict_texts(run_id: str, texts: list[str], request: gr.Request, profile: gr.OAuthProfile | None) -> list[dict]:
        """Predictions of a finished run for a list of texts (each the task's first input, such as a text to
        classify), shaped as the run's task says."""
        return studio.predictor(run_id, owner(request, profile)).predict(texts)

    @guarded
    def predict(run_id: str, inputs: list[dict], settings: dict | None = None, request: gr.Request = None,
                profile: gr.OAuthProfile | None = None) -> list[dict]:
        """Predictions of a finished run for inputs given by role, e.g. [{"question": "...", "context": "..."}];
        a task that writes text takes generation `settings`, e.g. {"num_beams": 4, "max_new_tokens": 60}: the
        run's own, with these replaced."""
        predictor = studio.predictor(run_id, owner(request, profile))
        return predictor.predict(inputs, predictor.settings_with(settings) if settings else None)

    @guarded
    def inspect_data(source: str, task: str = "text_classification", columns: dict | str | None = None,
                     request: gr.Request = None, profile: gr.OAuthProfile | None = None) -> dict:
        """How a table was read (encoding, separator, rows left out and why), rows, empties, duplicates, and a
        summary of each of the task's roles (demo:NAME, one of your upload:... files, or a path on a local app);
        `columns` maps roles to columns ({"text": "review"}, or that as JSON text) and defaults to the guesses."""
        cfg = RunConfig.from_dict({"task": task, "data": {"train_file": source, "columns": role_columns(columns)}})
        return studio.inspect(cfg, owner(request, profile), with_model=False).to_dict()

    for fn in (start_run, run_status, stop_run, resume_run, list_runs, run_report, predict_texts, predict,
               inspect_data):
        gr.api(fn, api_name=fn.__name__)


def role_columns(columns: Any) -> dict:
    """data.columns as a client sends it: an object (gradio_client), the same as JSON text (a plain HTTP call,
    a form field), or nothing for the guesses; anything else is refused by name."""
    if columns is None or (isinstance(columns, str) and not columns.strip()):
        return {}
    value = columns
    if isinstance(columns, str):
        try:
            value = json.loads(columns)
        except json.JSONDecodeError:
            value = None
    if not isinstance(value, dict):
        raise ConfigError("data.columns", "api.columns_not_a_mapping", value=columns)
    return value
