"""Two people on one shared app, through gradio_client: each sees and controls only their own runs, a stranger's
run id answers exactly like an unknown one, no server path or process id is shown, and the machine trains one
run at a time while the next one waits in a cancellable queue."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from tests.app.test_api import app_error, ended, run_yaml, wait_for_status

pytestmark = pytest.mark.slow

UNKNOWN = "20990101-000000-abcdef"


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory, serve_app: Callable[..., str], tiny_model: str) -> str:
    return serve_app(tmp_path_factory.mktemp("shared-runs"), shared=True, max_running=1, model_roots=(tiny_model,))


@pytest.fixture(scope="module")
def ann(shared_server: str) -> Any:
    from gradio_client import Client

    return Client(shared_server, verbose=False)


@pytest.fixture(scope="module")
def bob(shared_server: str) -> Any:
    from gradio_client import Client

    return Client(shared_server, verbose=False)


@pytest.fixture(scope="module")
def anns_run(ann: Any, tiny_model: str) -> str:
    """A run of Ann's that trains long enough for Bob to poke at it (it is stopped at the end)."""
    run_id = ann.predict(run_yaml(tiny_model, max_steps=400, logging_steps=1, eval_steps=200, save_steps=200),
                         api_name="/start_run")
    yield run_id
    try:
        ann.predict(run_id, api_name="/stop_run")
    except Exception:  # noqa: BLE001 - it may have ended already
        pass
    wait_for_status(ann, run_id, ended)


def _same_answer(call: Callable[[str], Any], run_id: str) -> None:
    foreign = app_error(lambda: call(run_id)).replace(run_id, "ID")
    unknown = app_error(lambda: call(UNKNOWN)).replace(UNKNOWN, "ID")
    assert foreign == unknown


def test_a_stranger_cannot_see_or_touch_a_run(ann: Any, bob: Any, anns_run: str) -> None:
    assert [r["id"] for r in ann.predict(api_name="/list_runs")] == [anns_run]
    assert bob.predict(api_name="/list_runs") == []
    _same_answer(lambda i: bob.predict(i, api_name="/run_status"), anns_run)
    _same_answer(lambda i: bob.predict(i, api_name="/stop_run"), anns_run)
    _same_answer(lambda i: bob.predict(i, "/etc", api_name="/resume_run"), anns_run)
    _same_answer(lambda i: bob.predict(i, api_name="/run_report"), anns_run)
    _same_answer(lambda i: bob.predict(i, ["a text"], api_name="/predict_texts"), anns_run)
    assert ann.predict(anns_run, api_name="/run_status")["status"] in ("running", "queued")  # untouched


def test_no_server_paths_or_process_ids_are_shown(ann: Any, anns_run: str) -> None:
    (record,) = ann.predict(api_name="/list_runs")
    assert not {"run_dir", "pid", "owner", "resume_from"} & set(record)
    assert "shared-runs" not in str(record)  # the runs folder appears nowhere


def test_one_run_per_person_and_one_training_at_a_time(ann: Any, bob: Any, anns_run: str, tiny_model: str) -> None:
    message = app_error(lambda: ann.predict(run_yaml(tiny_model), api_name="/start_run"))
    assert "already have a run" in message  # a double click does not start two runs
    wait_for_status(ann, anns_run, lambda s: s["status"] == "running")
    bobs = bob.predict(run_yaml(tiny_model), api_name="/start_run")
    status = bob.predict(bobs, api_name="/run_status")
    assert status["status"] == "queued" and status["queue_position"] == 1
    assert bob.predict(bobs, api_name="/stop_run") == "cancelled"
    assert bob.predict(bobs, api_name="/run_status")["status"] == "cancelled"
    assert ann.predict(anns_run, api_name="/run_status")["status"] == "running"


def test_a_shared_app_refuses_model_folders_outside_its_roots(ann: Any, tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")  # looks like a model, outside the roots
    for folder in (str(tmp_path), str(tmp_path / "no-such-model")):  # existing or not: the same refusal
        message = app_error(lambda: ann.predict(run_yaml(folder), api_name="/start_run"))
        assert "cannot load the model folder" in message
