"""The app's HTTP API (used by gradio_client and scripts): runs as YAML in, JSON out.

Each endpoint is a thin call into the Studio; errors come back as gr.Error messages, never traces.
"""
from __future__ import annotations

from dataclasses import asdict

import gradio as gr

from engine.config import RunConfig
from engine.runs.events import load_history
from engine.studio import Studio
from ui.errors import guarded


def register(studio: Studio) -> None:
    """Declare the API endpoints; call inside the gr.Blocks context."""

    @guarded
    def start_run(config_yaml: str) -> str:
        """Start training from a run config in YAML; returns the new run id at once."""
        return studio.start(RunConfig.from_yaml(config_yaml)).id

    @guarded
    def run_status(run_id: str) -> dict:
        """Status, latest progress and logged values of a run."""
        record = studio.run(run_id)
        history = load_history(record.run_dir)
        return {"id": record.id, "status": record.status, "message": record.message,
                "best_metric": record.best_metric, "progress": history.progress,
                "train": history.train, "evals": history.evals}

    @guarded
    def stop_run(run_id: str) -> str:
        """Ask a run to stop; it saves and ends within a step."""
        studio.stop(run_id)
        return "stopping"

    @guarded
    def resume_run(run_id: str, checkpoint: str = "") -> str:
        """Resume a stopped or interrupted run from its last (or the given) checkpoint."""
        return studio.resume(run_id, checkpoint).status

    @guarded
    def list_runs() -> list[dict]:
        """Every run, newest first."""
        return [asdict(record) for record in studio.runs()]

    @guarded
    def run_report(run_id: str) -> dict:
        """The held-out evaluation report of a finished run."""
        return asdict(studio.report(run_id))

    @guarded
    def predict_texts(run_id: str, texts: list[str]) -> list[dict]:
        """Predictions of a finished run for a list of texts."""
        return studio.predictor(run_id).predict(texts)

    @guarded
    def inspect_data(source: str, text_column: str, label_column: str) -> dict:
        """Rows, empties, duplicates, label counts and warnings of a table (path or demo:NAME)."""
        report = studio.inspect(source, text_column, label_column)
        return {k: v for k, v in asdict(report).items() if k != "lengths"}

    for fn in (start_run, run_status, stop_run, resume_run, list_runs, run_report, predict_texts, inspect_data):
        gr.api(fn, api_name=fn.__name__)
