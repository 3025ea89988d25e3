"""Labeling through the API on a shared app: two clients label the same rows at the same time and nothing is lost
(the last write wins and every overwrite is in the row's history), and a stranger cannot see the project."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pytest

from tests.app.test_api import app_error

pytestmark = pytest.mark.slow

ROWS = 16
TEXTS = [f"review number {i}: {'great' if i % 2 else 'awful'} film" for i in range(ROWS + 4)]


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory, serve_app: Callable[..., str]) -> str:
    return serve_app(tmp_path_factory.mktemp("label-api-runs"), shared=True)


def client(url: str) -> Any:
    from gradio_client import Client

    return Client(url, verbose=False)


def test_two_clients_label_the_same_rows_at_once(shared_server: str) -> None:
    ann, bob, carol = client(shared_server), client(shared_server), client(shared_server)
    made = ann.predict("reviews", ["pos", "neg"], TEXTS, "Ann", api_name="/label_create")
    project = made["project"]
    assert bob.predict(made["join_code"], "Bob", api_name="/label_join")["project"] == project

    def label_all(who: Any, label: str) -> list[str]:
        return [who.predict(project, row, label, api_name="/label_set")["label"] for row in range(ROWS)]

    with ThreadPoolExecutor(2) as pool:
        anns, bobs = pool.submit(label_all, ann, "pos"), pool.submit(label_all, bob, "neg")
        assert anns.result() and bobs.result()  # every call was acknowledged

    for row in range(ROWS):
        seen = ann.predict(project, row, api_name="/label_row")
        changes = seen["history"]
        assert sorted(c["who"] for c in changes) == ["Ann", "Bob"]  # both writes are kept
        first, last = changes
        assert seen["label"] == last["label"] and seen["labeler"] == last["who"]  # the last write wins
        assert (last["previous"], last["previous_labeler"]) == (first["label"], first["who"])  # and says whom it beat
    status = bob.predict(project, api_name="/label_status")
    assert status["progress"]["labeled"] == ROWS
    assert status["labels_by_person"] == {"Ann": ROWS, "Bob": ROWS}
    (pair,) = status["agreement"]
    assert (pair["first"], pair["second"], pair["rows"], pair["observed"]) == ("Ann", "Bob", ROWS, 0.0)
    exported = ann.predict(project, api_name="/label_export")
    assert len(exported) == ROWS and {r["labeler"] for r in exported} <= {"Ann", "Bob"}

    # Carol has no code: the project answers her exactly like one that does not exist.
    foreign = app_error(lambda: carol.predict(project, api_name="/label_status")).replace(project, "ID")
    unknown = app_error(lambda: carol.predict("0123456789", api_name="/label_status")).replace("0123456789", "ID")
    assert foreign == unknown
    assert "join code" in app_error(lambda: carol.predict("guessed-code", "", api_name="/label_join"))
    assert "owner" in app_error(lambda: bob.predict(project, "", api_name="/label_train"))


def test_a_client_works_through_the_queue_and_undoes(shared_server: str) -> None:
    ann = client(shared_server)
    project = ann.predict("queue", ["a", "b"], ["one", "two", "three"], api_name="/label_create")["project"]
    first = ann.predict(project, "file", -1, api_name="/label_next")
    assert (first["idx"], first["text"]) == (0, "one")
    ann.predict(project, first["idx"], "a", api_name="/label_set")
    second = ann.predict(project, "file", first["idx"], api_name="/label_next")
    assert second["text"] == "two"
    assert ann.predict(project, api_name="/label_undo") == [0]
    assert ann.predict(project, 0, api_name="/label_row")["label"] is None
    page = ann.predict(project, "", True, False, 0, 10, api_name="/label_rows")
    assert page["total"] == 3
