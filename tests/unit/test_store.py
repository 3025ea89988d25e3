"""engine.runs.store: the SQLite table of runs."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import RunError
from engine.runs.store import STATUSES, RunStore


def test_create_get_list_update(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    first = store.create("", "text_classification", "packaged:all-MiniLM-L6-v2", "lora")
    second = store.create("my run", "text_classification", "/models/tiny", "full")
    assert first.id != second.id
    assert first.name == first.id  # an unnamed run is called by its id
    assert first.status == "created" and first.finished is None and first.best_metric is None
    assert Path(first.run_dir).is_dir() and Path(first.run_dir).parent == (tmp_path / "runs").resolve()
    assert store.get(second.id) == second
    assert {r.id for r in store.list()} == {first.id, second.id}
    assert store.list()[0].created >= store.list()[1].created  # newest first

    store.update(second.id, status="finished", best_metric=0.91, best_metric_name="f1_macro", finished=123.0,
                 message="")
    updated = store.get(second.id)
    assert (updated.status, updated.best_metric, updated.best_metric_name, updated.finished) == \
        ("finished", 0.91, "f1_macro", 123.0)
    assert store.get(first.id) == first  # only the named run changed


def test_store_persists_across_instances(tmp_path: Path) -> None:
    record = RunStore(tmp_path).create("kept", "text_classification", "m", "full")
    RunStore(tmp_path).update(record.id, status="running", pid=4242)
    again = RunStore(tmp_path).get(record.id)
    assert (again.name, again.status, again.pid) == ("kept", "running", 4242)


def test_find_dir(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    record = store.create("x", "text_classification", "m", "full")
    assert store.find_dir(record.run_dir) == record
    assert store.find_dir(tmp_path / "elsewhere") is None


def test_unknown_run_is_a_run_error(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="no run 'nope'"):
        RunStore(tmp_path).get("nope")


def test_invalid_status_and_unknown_fields_are_refused(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    record = store.create("x", "text_classification", "m", "full")
    with pytest.raises(ValueError, match="status 'done'"):  # programming errors, not users'
        store.update(record.id, status="done")
    with pytest.raises(ValueError, match="colour"):
        store.update(record.id, colour="red")
    assert store.get(record.id).status == "created"
    for status in STATUSES:
        store.update(record.id, status=status)
        assert store.get(record.id).status == status


def test_another_owners_run_answers_like_an_unknown_one(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    alice = store.create("a", "text_classification", "m", "full", owner="browser:alice")
    bob = store.create("b", "text_classification", "m", "full", owner="browser:bob")
    assert store.get(alice.id, "browser:alice") == alice
    with pytest.raises(RunError) as foreign:
        store.get(alice.id, "browser:bob")
    with pytest.raises(RunError) as unknown:
        store.get("20990101-000000-abcdef", "browser:bob")
    assert str(foreign.value).replace(alice.id, "ID") == str(unknown.value).replace("20990101-000000-abcdef", "ID")
    assert [r.id for r in store.list("browser:bob")] == [bob.id]
    assert {r.id for r in store.list()} == {alice.id, bob.id}  # no owner: everything (a local app)


def test_an_older_store_gains_the_owner_column(tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(tmp_path / "runs.db") as db:  # the first release's table, with one run in it
        db.execute("CREATE TABLE runs (id TEXT PRIMARY KEY, name TEXT NOT NULL, task TEXT NOT NULL, model TEXT NOT NULL,"
                   " method TEXT NOT NULL, status TEXT NOT NULL, created REAL NOT NULL, finished REAL, best_metric REAL,"
                   " best_metric_name TEXT, run_dir TEXT NOT NULL, pid INTEGER, message TEXT NOT NULL DEFAULT '')")
        db.execute("INSERT INTO runs VALUES ('old', 'old', 'text_classification', 'm', 'full', 'finished', 1.0, 2.0,"
                   " 0.9, 'f1_macro', '/x', NULL, '')")
    store = RunStore(tmp_path)
    assert store.get("old").owner == "local" and store.get("old").status == "finished"
    assert store.create("new", "text_classification", "m", "full", owner="user:ann").owner == "user:ann"


def test_claim_moves_a_queued_run_once(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    first, second = (store.create(n, "text_classification", "m", "full") for n in "ab")
    for record in (first, second):
        store.update(record.id, status="queued")
    assert [r.id for r in store.queued()] == [first.id, second.id]  # first come, first served
    assert store.claim(first.id) is True
    assert store.claim(first.id) is False  # a second dispatcher cannot start it again
    assert [r.id for r in store.queued()] == [second.id]
