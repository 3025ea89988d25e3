"""The task contract through the app: the toy task of tests/plugins (which nothing in engine/ or ui/ knows) is
offered by the page's Task dropdown and names the Data tab's column slots, trains through the HTTP API, and its
run reaches the Evaluate tab (its own figure and table), the Playground (its input box) and /predict. The run
pickers only accept runs the page listed, so those two tabs' handlers are called with the app's studio."""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import pytest
import yaml

from engine.owners import LOCAL_OWNER
from engine.studio import Studio
from tests.app.test_api import wait_for_status
from tests.plugins import toy_task
from tests.unit.test_task_contract import toy_rows
from ui import shaped
from ui.tabs import evaluate, playground

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("toy-runs")


@pytest.fixture(scope="module")
def server(runs: Path, serve_app: Callable[[Path], str]) -> Iterator[str]:
    """An app whose training children also find the toy task, as a plugin's user would set it up."""
    patch = pytest.MonkeyPatch()
    patch.setenv("TUNEBENCH_TASKS", "tests.plugins.toy_task")
    yield serve_app(runs)
    patch.undo()


def endpoint(client: Any, name: str, first_label: str) -> str:
    """The API name of the page event `name` whose first input is labelled `first_label` (several tabs have a
    'shape' event; Gradio numbers repeated names in build order)."""
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    (found,) = [api for api, info in endpoints.items() if api.split("_")[0] == f"/{name}"
                and info["parameters"] and info["parameters"][0]["label"] == first_label]
    return found


def test_the_toy_task_is_offered_trained_reported_and_predicted_through_the_app(client: Any, runs: Path,
                                                                               tmp_path: Path,
                                                                               tiny_model: str) -> None:
    # The Data tab: the task's columns are named by its roles (a custom task has no demo).
    slots = client.predict(toy_task.NAME, "", api_name=endpoint(client, "shape", "Task"))
    assert [slot.get("label") for slot in slots[:2]] == ["Column with the sentence", "Column with even or odd"]
    assert [slot.get("visible") for slot in slots[:4]] == [True, True, False, False]

    data = tmp_path / "toy.csv"
    toy_rows().to_csv(data, index=False)
    config = {"task": toy_task.NAME, "data": {"train_file": str(data), "validation_ratio": 0.2, "test_ratio": 0.2},
              "model": {"name_or_path": tiny_model, "max_length": 16},
              "train": {"max_steps": 6, "train_batch_size": 8, "logging_steps": 2, "eval_strategy": "steps",
                        "eval_steps": 3, "save_strategy": "steps", "save_steps": 3, "device": "cpu",
                        "group_by_length": False, "warmup": 0}}
    run_id = client.predict(yaml.safe_dump(config), api_name="/start_run")
    status = wait_for_status(client, run_id, lambda s: s["status"] not in ("queued", "starting", "running"))
    assert status["status"] == "finished", status
    assert [row["step"] for row in status["evals"]] == [3, 6] and all("eval_hits" in row for row in status["evals"])

    report = client.predict(run_id, api_name="/run_report")
    assert report["task"] == toy_task.NAME and set(report["metrics"]) == {"hits"}
    # The Evaluate tab draws the toy's own figure and table under their titles; the Playground asks for its input.
    page = SimpleNamespace(studio=Studio(runs))
    session = {"lang": "en", "owner": LOCAL_OWNER}
    shown = evaluate._loader(page)(run_id, session)
    figures, tables = shown[2:2 + evaluate.FIGURE_SLOTS], shown[2 + evaluate.FIGURE_SLOTS:-2]
    assert figures[0]["visible"] and figures[0]["value"].layout.title.text == "Predicted moods"
    assert [t["label"] for t in tables if t["visible"]] == ["Every sentence"]
    shaped_tab = playground._shaper(page)(run_id, session)
    boxes, (_, document, single, chat, settings) = shaped_tab[:shaped.INPUT_SLOTS], shaped_tab[shaped.INPUT_SLOTS:][:5]
    assert single["visible"] and not chat["visible"]  # a toy that does not talk gets input boxes
    assert not settings["visible"]                     # nor generation settings: it writes no text
    assert [box["label"] for box in boxes if box["visible"]] == ["The sentence"]
    assert document["label"] == "📄 Load a text file into “The sentence”"

    (prediction,) = client.predict(run_id, [{"sentence": "one two"}], api_name="/predict")
    assert prediction["label"] in toy_task.MOODS and set(prediction["probs"]) == set(toy_task.MOODS)
