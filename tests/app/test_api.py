"""The app's HTTP API through gradio_client: a whole run from YAML, reports, predictions and readable errors."""
from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.slow

RUN_TIMEOUT_S = 120
DEMO = "demo:reviews_en"
TASK = "text_classification"


def run_yaml(model: str, **train: Any) -> str:
    settings = dict(max_steps=20, logging_steps=2, eval_strategy="steps", save_strategy="steps", eval_steps=10,
                    save_steps=10, train_batch_size=16, eval_batch_size=64, learning_rate=1e-3, warmup=0,
                    device="cpu", group_by_length=False)
    settings.update(train)
    return yaml.safe_dump({"name": "api-run", "data": {"train_file": DEMO},
                           "model": {"name_or_path": model, "max_length": 32}, "train": settings})


def app_error(call: Any) -> str:
    """Call the endpoint, expect the app to refuse it, and return the message the client got."""
    with pytest.raises(Exception) as info:
        call()
    message = str(info.value)
    assert "Traceback" not in message and 'File "' not in message, message
    return message


def wait_for_status(client: Any, run_id: str, done: Any) -> dict[str, Any]:
    """Poll /run_status until done(status) holds; fail after RUN_TIMEOUT_S."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        status = client.predict(run_id, api_name="/run_status")
        if done(status):
            return status
        if time.monotonic() > deadline:
            pytest.fail(f"run {run_id} still {status['status']} after {RUN_TIMEOUT_S} s: {status}")
        time.sleep(0.3)


def ended(status: dict[str, Any]) -> bool:
    return status["status"] in ("finished", "stopped", "failed", "interrupted")


@pytest.fixture(scope="module")
def finished_run(client: Any, tiny_model: str) -> dict[str, Any]:
    """Start a run through /start_run and poll /run_status until it ends; returns the last status."""
    run_id = client.predict(run_yaml(tiny_model), api_name="/start_run")
    assert isinstance(run_id, str) and run_id
    status = wait_for_status(client, run_id, ended)
    assert status["status"] == "finished", status
    return status


def roles(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """An inspection's role summaries by role name."""
    return {role["role"]: role for role in report["roles"]}


def test_inspect_data_demo(client: Any) -> None:
    report = client.predict(DEMO, TASK, {"text": "text", "label": "label"}, api_name="/inspect_data")
    assert report["rows"] == 320
    text, label = roles(report)["text"], roles(report)["label"]
    assert (text["column"], label["column"]) == ("text", "label")
    assert len(label["counts"]) == 2
    assert sum(label["counts"].values()) == 320
    assert text["unit"] == "characters" and 0 < text["stats"]["min"] <= text["stats"]["max"]  # no model: characters
    assert "lengths" not in report and "lengths" not in text  # the per-text list stays on the server


def test_inspect_data_takes_columns_as_a_client_sends_them(client: Any) -> None:
    # JSON text (a plain HTTP call) maps like an object; nothing at all means the guesses
    swapped = client.predict(DEMO, TASK, '{"text": "label", "label": "text"}', api_name="/inspect_data")
    assert {name: role["column"] for name, role in roles(swapped).items()} == {"text": "label", "label": "text"}
    guessed = client.predict(DEMO, api_name="/inspect_data")
    assert {name: role["column"] for name, role in roles(guessed).items()} == {"text": "text", "label": "label"}
    message = app_error(lambda: client.predict(DEMO, TASK, "label", api_name="/inspect_data"))
    assert "data.columns" in message and "'label'" in message


def test_inspect_data_missing_file_gives_the_engine_message(client: Any, tmp_path: Any) -> None:
    missing = tmp_path / "nope.csv"
    message = app_error(lambda: client.predict(str(missing), api_name="/inspect_data"))
    assert "does not exist" in message and "nope.csv" in message


def test_run_status_logs_train_losses_and_evals(finished_run: dict[str, Any]) -> None:
    train, evals = finished_run["train"], finished_run["evals"]
    assert [row["step"] for row in train] == list(range(2, 21, 2))
    assert all(math.isfinite(row["loss"]) for row in train)
    assert [row["step"] for row in evals] == [10, 20]
    assert all("eval_accuracy" in row and "eval_loss" in row for row in evals)
    assert finished_run["progress"]["step"] == 20
    assert finished_run["best_metric"] is not None


def confusion(report: dict[str, Any]) -> dict[str, Any]:
    """The data of a report's confusion matrix: x and y the labels, z the counts (rows true, columns predicted)."""
    (figure,) = [f for f in report["figures"] if f["name"] == "confusion"]
    assert figure["kind"] == "heatmap"
    return figure["data"]


def test_run_report_confusion_covers_the_test_rows(client: Any, finished_run: dict[str, Any]) -> None:
    report = client.predict(finished_run["id"], api_name="/run_report")
    assert (report["task"], report["split"]) == (TASK, "test")
    matrix = confusion(report)
    assert len(matrix["x"]) == 2 and matrix["y"] == matrix["x"]
    assert report["rows"] > 0
    assert sum(map(sum, matrix["z"])) == report["rows"]
    assert 0.0 <= report["metrics"]["accuracy"] <= 1.0
    assert {table["name"] for table in report["tables"]} == {"per_class", "worst"}


def check_predictions(predictions: list[dict[str, Any]], labels: set[str], count: int) -> None:
    assert len(predictions) == count
    for prediction in predictions:
        assert prediction["label"] in labels
        assert set(prediction["probs"]) == labels
        assert sum(prediction["probs"].values()) == pytest.approx(1.0, abs=1e-4)
        assert prediction["label"] == max(prediction["probs"], key=prediction["probs"].get)


TEXTS = ["Great product, works perfectly.", "Broke after a day, a waste of money."]


def test_predict_texts_uses_the_label_set(client: Any, finished_run: dict[str, Any]) -> None:
    labels = set(confusion(client.predict(finished_run["id"], api_name="/run_report"))["x"])
    check_predictions(client.predict(finished_run["id"], TEXTS, api_name="/predict_texts"), labels, len(TEXTS))


def test_predict_takes_inputs_by_role(client: Any, finished_run: dict[str, Any]) -> None:
    # the API's own endpoint, not a page event of the same name (Gradio renames a clashing name silently)
    endpoint = client.view_api(print_info=False, return_format="dict")["named_endpoints"]["/predict"]
    assert [parameter["parameter_name"] for parameter in endpoint["parameters"]] == ["run_id", "inputs", "settings"]
    labels = set(confusion(client.predict(finished_run["id"], api_name="/run_report"))["x"])
    predictions = client.predict(finished_run["id"], [{"text": text} for text in TEXTS], api_name="/predict")
    check_predictions(predictions, labels, len(TEXTS))
    by_text = client.predict(finished_run["id"], TEXTS, api_name="/predict_texts")
    assert [p["label"] for p in predictions] == [p["label"] for p in by_text]  # the same model, the same answers
    for by_role, plain in zip(predictions, by_text):
        assert by_role["probs"] == pytest.approx(plain["probs"], abs=1e-5)
    # a misspelt role leaves the text empty: refused by name, not answered for an empty text
    message = app_error(lambda: client.predict(finished_run["id"], [{"txt": TEXTS[0]}], api_name="/predict"))
    assert "text to classify" in message
    # generation settings are for tasks that write text; a classifier says so, and bad settings are named
    message = app_error(lambda: client.predict(finished_run["id"], [{"text": TEXTS[0]}], {"num_beams": 2},
                                               api_name="/predict"))
    assert "does not write text" in message
    message = app_error(lambda: client.predict(finished_run["id"], [{"text": TEXTS[0]}], {"num_beams": 99},
                                               api_name="/predict"))
    assert "generation.num_beams" in message and "between 1 and 8" in message


def test_list_runs_includes_the_run(client: Any, finished_run: dict[str, Any]) -> None:
    runs = {run["id"]: run for run in client.predict(api_name="/list_runs")}
    assert runs[finished_run["id"]]["status"] == "finished"


def test_stop_finished_run_is_a_clear_error(client: Any, finished_run: dict[str, Any]) -> None:
    message = app_error(lambda: client.predict(finished_run["id"], api_name="/stop_run"))
    assert "not running" in message and "finished" in message


def test_unknown_run_is_a_clear_error(client: Any) -> None:
    message = app_error(lambda: client.predict("no-such-run", api_name="/run_status"))
    assert "no-such-run" in message


def test_invalid_yaml_names_the_field(client: Any, tiny_model: str) -> None:
    bad = run_yaml(tiny_model, learning_rate="fast")
    message = app_error(lambda: client.predict(bad, api_name="/start_run"))
    assert "train.learning_rate" in message


def test_unparsable_yaml_is_a_clear_error(client: Any) -> None:
    message = app_error(lambda: client.predict("train: [unclosed", api_name="/start_run"))
    assert "YAML" in message


# ---- UI event endpoints (what the page calls) ---------------------------------------------------------

def value(output: Any) -> Any:
    """An event's output as the client returns it: a plain value, or a gr.update dict carrying one."""
    return output.get("value") if isinstance(output, dict) and output.get("__type__") == "update" else output


def preview_event(client: Any, *slots: str) -> tuple[str, dict[str, Any], list[Any], list[Any]]:
    """The Data tab's preview of the demo: task, source, encoding and separator ("" detects), then the column
    of each role slot (its session state is not sent by clients). Returns the name, the table, the role slots
    and the outputs after them (encoding, separator, summary, plots, rejected rows)."""
    name, table, *rest = client.predict(TASK, DEMO, "", "", *slots, api_name="/preview")
    return name, table, rest[:4], rest[4:]


def test_data_preview_event_guesses_columns(client: Any) -> None:
    name, preview, slots, rest = preview_event(client, "", "", "", "")
    assert name == DEMO
    assert preview["headers"] == ["text", "label"]
    assert len(preview["data"]) == 20
    assert [value(slot) for slot in slots] == ["text", "label", "", ""]  # text classification has two roles
    assert [choice[1] for choice in slots[0]["choices"]] == ["text", "label"]
    assert slots[2]["choices"] == [] and slots[3]["choices"] == []
    encoding, separator, summary, *_ = rest
    assert value(summary) == ""  # read cleanly: no problem where the summary goes
    assert encoding["interactive"] and separator["interactive"]  # a delimited file: both can be chosen


def test_data_preview_keeps_columns_already_mapped(client: Any) -> None:
    # e.g. a loaded YAML mapped the columns the other way round: a new preview must not undo that
    _, _, slots, _ = preview_event(client, "label", "text", "", "")
    assert [value(slot) for slot in slots[:2]] == ["label", "text"]


def test_language_switch_event_relabels(client: Any) -> None:
    outputs = client.predict("中文", api_name="/switch")
    assert "微调工作台" in value(outputs[0])  # the title Markdown takes the Chinese value
    labels = [o.get("label") for o in outputs if isinstance(o, dict)]
    assert "文本列" in labels and "Text column" not in labels
    english = client.predict("English", api_name="/switch")
    assert "微调工作台" not in value(english[0])


def test_every_event_handler_goes_through_the_error_boundary(tmp_path: Path) -> None:
    """A handler outside ui.errors.guarded could show users a raw exception."""
    from engine.studio import Studio
    from ui.app import build_app

    app = build_app(Studio(tmp_path / "runs"))
    factories = {"new_session", "new_label_state"}  # gr.State defaults, called by Gradio itself
    handlers = [f for f in app.fns.values() if f.fn is not None and f.name not in factories]
    assert handlers
    unguarded = [f.name for f in handlers if not hasattr(f.fn, "__wrapped__")]
    assert unguarded == []


def test_no_server_handler_shares_its_trigger(tmp_path: Path) -> None:
    """Gradio re-runs an always_last handler that fired while running by dispatching its whole event again, so
    handlers sharing an event set each other off for ever (ui.events): each listens through its own relay."""
    from collections import defaultdict

    from engine.studio import Studio
    from ui.app import build_app

    dependencies = build_app(Studio(tmp_path / "runs")).get_config_file()["dependencies"]
    listeners: dict[tuple, list[dict]] = defaultdict(list)
    for dependency in dependencies:
        for target, event in dependency["targets"]:
            if event != "then":
                listeners[(target, event)].append(dependency)
    shared = {key: [d["api_name"] for d in deps] for key, deps in listeners.items()
              if len(deps) > 1 and any(d["backend_fn"] and d["trigger_mode"] == "always_last" for d in deps)}
    assert shared == {}
    assert any(d["targets"] and d["targets"][0][1] == "then" and d["trigger_mode"] == "always_last"
               for d in dependencies)


def test_a_shared_studio_reads_only_demo_data_and_uploads(tmp_path: Path) -> None:
    from engine.config import RunConfig
    from engine.errors import DataError
    from engine.studio import Studio

    def reading(source: str) -> RunConfig:
        return RunConfig.from_dict({"task": TASK, "data": {"train_file": source}})

    outside = tmp_path / "server-secrets.csv"
    outside.write_text("text,label\nsecret,1\nother,0\n", encoding="utf-8")
    studio = Studio(tmp_path / "runs", shared=True)
    with pytest.raises(DataError, match="upload"):
        studio.preview(reading(str(outside)))
    assert studio.preview(reading(DEMO)).rows == 320
    assert studio.preview(reading(studio.keep_upload(str(outside)))).rows == 2  # the same file, uploaded
    assert Studio(tmp_path / "runs").preview(reading(str(outside))).rows == 2   # a local studio reads paths


def test_stop_keeps_a_checkpoint_and_resume_continues_from_it(client: Any, tiny_model: str) -> None:
    run_id = client.predict(run_yaml(tiny_model, max_steps=120, logging_steps=1, eval_steps=5, save_steps=5),
                            api_name="/start_run")
    wait_for_status(client, run_id, lambda s: any(row["step"] >= 6 for row in s["train"]))
    assert client.predict(run_id, api_name="/stop_run") == "stopping"
    stopped = wait_for_status(client, run_id, ended)
    assert stopped["status"] == "stopped", stopped
    stop_step = max(row["step"] for row in stopped["train"])
    assert stop_step < 120
    assert client.predict(run_id, api_name="/resume_run") == "running"
    resumed = wait_for_status(client, run_id, lambda s: ended(s) and s["progress"].get("step", 0) > stop_step
                              or s["status"] == "failed")
    assert resumed["status"] == "finished", resumed
    steps = [row["step"] for row in resumed["train"]]
    assert steps == sorted(set(steps))                    # the chart continues: no step twice, none backwards
    assert steps[-1] > stop_step


def test_split_preview_event_shows_sizes_and_refuses_bad_ratios(client: Any) -> None:
    # the task, the four role slots, then the Data tab's fields in form order: file, encoding, separator, ratios,
    # seed, switches (stratify, drop empty, drop duplicates, unescape HTML), separate files
    fields = [TASK, "text", "label", "", "", DEMO, "", "", 0.1, 0.2, 42, True, True, True, False, "", ""]
    markdown = client.predict(*fields, api_name="/split")
    assert "train **224** · validation **32** · test **64**" in markdown  # 320 rows: 70/10/20 %
    fields[8] = 0.0
    assert "data.validation_ratio" in client.predict(*fields, api_name="/split")  # said in place, no pop-up
    fields[8] = 0.1
    fields[1:3] = ["label", "label"]  # the role slots reach the split: one column for two roles is refused
    assert "data.columns" in client.predict(*fields, api_name="/split")
