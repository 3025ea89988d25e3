"""The label store: WAL on disk, who may see a project, last write wins with a visible history, undo, the queue
shared by several people, bulk edits, the label set, progress and export."""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine.errors import LabelError
from engine.labeling import items as items_module
from engine.labeling.items import ItemFilter
from engine.labeling.store import LabelStore

TEXTS = ["good film", "bad film", "fine film", "great film", "awful film", "long film"]


@pytest.fixture()
def store(tmp_path: Path) -> LabelStore:
    return LabelStore(tmp_path / "labels.db")


@pytest.fixture()
def project(store: LabelStore) -> Any:
    project = store.create("reviews", "ann", ["pos", "neg"], "Ann")
    store.items.add(project.id, TEXTS, None, "ann", project.seed, 0.0)
    return project


def test_the_database_is_in_wal_mode_and_syncs_every_commit(store: LabelStore, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "labels.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with store.db.read() as db:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_only_members_see_a_project_and_strangers_get_the_unknown_answer(store: LabelStore, project: Any) -> None:
    with pytest.raises(LabelError) as foreign:
        store.get(project.id, "bob")
    with pytest.raises(LabelError) as unknown:
        store.get("0000000000", "bob")
    assert str(foreign.value).replace(project.id, "ID") == str(unknown.value).replace("0000000000", "ID")
    assert store.list("bob") == []
    with pytest.raises(LabelError, match="join code"):
        store.join("not-the-code", "bob")
    joined = store.join(project.join_code, "bob", "Bob")
    assert joined.id == project.id and joined.members == {"ann": "Ann", "bob": "Bob"}
    assert [p.id for p in store.list("bob")] == [project.id]
    assert store.get(project.id).name_of("browser:1234").startswith("guest-")  # never the private id


def test_last_write_wins_and_the_history_shows_the_overwrite(store: LabelStore, project: Any) -> None:
    store.items.label(project.id, 0, "pos", "ann")
    store.items.label(project.id, 0, "pos", "ann")  # a repeated key press changes nothing
    store.items.label(project.id, 0, "neg", "bob")
    item = store.items.get(project.id, 0, "ann")
    assert (item.label, item.labeler, item.mine) == ("neg", "bob", "pos")  # Ann's own label is kept for agreement
    changes = store.items.history(project.id, 0)
    assert [(c.who, c.label, c.previous, c.previous_labeler) for c in changes] == [
        ("ann", "pos", None, None), ("bob", "neg", "pos", "ann")]
    with pytest.raises(LabelError, match="no label 'maybe'; its labels are: pos, neg"):
        store.items.label(project.id, 0, "maybe", "ann")


def test_undo_takes_back_the_latest_action_unless_someone_changed_the_row_since(store: LabelStore,
                                                                              project: Any) -> None:
    store.items.label(project.id, 1, "neg", "ann")
    store.items.label(project.id, 2, "pos", "ann")
    assert store.items.undo(project.id, "ann") == [2]
    assert store.items.get(project.id, 2).label is None
    assert store.items.undo(project.id, "ann") == [1]
    with pytest.raises(LabelError, match="nothing of yours to undo"):
        store.items.undo(project.id, "ann")
    store.items.label(project.id, 3, "pos", "ann")
    store.items.label(project.id, 3, "neg", "bob")
    assert store.items.undo(project.id, "ann") == []  # Bob's newer label stays
    assert store.items.get(project.id, 3).label == "neg"
    assert store.items.undo(project.id, "bob") == [3]  # Bob's undo brings Ann's label back
    item = store.items.get(project.id, 3, "bob")
    assert (item.label, item.labeler, item.mine) == ("pos", "ann", None)


def test_two_people_are_shown_different_rows_and_skips_come_back_last(store: LabelStore, project: Any) -> None:
    first = store.items.next(project.id, "ann", "file")
    second = store.items.next(project.id, "bob", "file")
    assert (first, second) == (0, 1)  # row 0 is held for Ann
    store.items.skip(project.id, 0, "ann")
    assert store.items.next(project.id, "ann", "file", exclude=0) == 2
    for idx in (2, 3, 4, 5):
        store.items.label(project.id, idx, "pos", "ann")
    assert store.items.next(project.id, "ann", "file", exclude=None) == 0  # only the skipped row is left


def test_a_held_row_is_free_again_after_the_lease(store: LabelStore, project: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(items_module, "LEASE_S", -1)  # every hold runs out at once
    assert store.items.next(project.id, "ann", "file") == 0
    assert store.items.next(project.id, "bob", "file") == 0  # Ann left row 0 unlabeled for too long


def test_the_overlap_share_goes_to_a_second_person_blind(store: LabelStore) -> None:
    project = store.create("double", "ann", ["pos", "neg"])
    store.items.add(project.id, TEXTS, None, "ann", project.seed, 0.0)
    store.update(project.id, overlap=1.0)  # every row to two people
    for idx in range(len(TEXTS)):
        store.items.label(project.id, idx, "pos", "ann")
    assert store.items.next(project.id, "ann", "file") is None  # Ann has labeled them all
    assert store.items.next(project.id, "bob", "file") == 0      # Bob still gets every row once
    store.items.label(project.id, 0, "neg", "bob")
    assert store.items.next(project.id, "cat", "file") == 1     # row 0 has its two people
    store.update(project.id, overlap=0.0)
    assert store.items.next(project.id, "bob", "file") is None


def test_bulk_relabel_by_filter_is_one_undoable_batch(store: LabelStore, project: Any) -> None:
    store.items.suggest(project.id, "run", [(0, "pos", 0.9, 0.8, 0.3), (1, "pos", 0.6, 0.2, 0.6),
                                            (2, "neg", 0.55, 0.1, 0.68)])
    store.items.label(project.id, 1, "neg", "ann")
    store.items.label(project.id, 2, "neg", "ann")
    disagreeing, total = store.items.page(project.id, ItemFilter(disagrees=True), 0, 10)
    assert total == 1 and [i.idx for i in disagreeing] == [1]
    assert store.items.page(project.id, ItemFilter(max_confidence=0.7), 0, 10)[1] == 2
    assert store.items.page(project.id, ItemFilter(unlabeled=True, contains="FILM"), 0, 2)[1] == 4
    assert store.items.relabel(project.id, ItemFilter(contains="a"), "pos", "bob") == 3  # bad, great, awful
    labels = {i.idx: i.label for i in store.items.page(project.id, ItemFilter(), 0, 10)[0]}
    assert labels == {0: None, 1: "pos", 2: "neg", 3: "pos", 4: "pos", 5: None}
    assert sorted(store.items.undo(project.id, "bob")) == [1, 3, 4]
    assert store.items.get(project.id, 1).label == "neg"
    assert store.items.relabel(project.id, [0, 5], "neg", "bob") == 2


def test_the_label_set_renames_merges_removes_and_recolors(store: LabelStore, project: Any) -> None:
    store.add_label(project.id, "mixed")
    store.items.label(project.id, 0, "pos", "ann")
    store.items.label(project.id, 1, "mixed", "ann")
    store.items.suggest(project.id, "run", [(2, "mixed", 0.7, 0.4, 0.6)])
    store.rename_label(project.id, "pos", "positive")
    assert store.items.get(project.id, 0, "ann").mine == "positive"
    assert store.merge_labels(project.id, "mixed", "positive", "ann") == 1
    assert store.items.get(project.id, 1).label == "positive"
    assert store.items.get(project.id, 2).suggestion == "positive"
    assert store.items.history(project.id, 1)[-1].action == "merge"
    assert store.remove_label(project.id, "neg", "ann") == 0
    store.recolor_label(project.id, "positive", "#00AA00")
    assert [(c.name, c.color) for c in store.get(project.id).classes] == [("positive", "#00aa00")]
    for bad, message in ((lambda: store.add_label(project.id, " "), "needs a name"),
                         (lambda: store.add_label(project.id, "positive"), "already a label"),
                         (lambda: store.recolor_label(project.id, "positive", "green"), "not a colour"),
                         (lambda: store.merge_labels(project.id, "positive", "positive", "ann"), "two different")):
        with pytest.raises(LabelError, match=message):
            bad()


def test_progress_counts_labels_and_the_rate_per_hour(store: LabelStore, project: Any) -> None:
    for idx, label in ((0, "pos"), (1, "neg"), (2, "pos")):
        store.items.label(project.id, idx, label, "ann")
    store.items.label(project.id, 3, "neg", "bob")
    store.items.relabel(project.id, [4, 5], "neg", "bob")  # bulk edits are no labeling pace
    progress = store.items.progress(project.id, "ann", "")
    assert (progress.total, progress.labeled, progress.per_label) == (6, 6, {"pos": 2, "neg": 4})
    # Four labels within the last minute count as four a minute (the shortest span measured): 240 an hour.
    assert progress.per_hour == pytest.approx(4 * 60)
    assert progress.mine_per_hour == pytest.approx(3 * 60)


def test_labeled_rows_and_each_persons_own_labels_come_out(store: LabelStore, project: Any) -> None:
    store.items.label(project.id, 0, "pos", "ann")
    store.items.label(project.id, 0, "neg", "bob")
    store.items.note(project.id, 0, "  sarcasm? ")
    labeled = store.items.labeled(project.id)
    assert labeled[["idx", "text", "label", "labeler", "note"]].values.tolist() == [
        [0, "good film", "neg", "bob", "sarcasm?"]]
    own = store.items.annotations(project.id).sort_values("who")
    assert own.values.tolist() == [[0, "ann", "pos"], [0, "bob", "neg"]]
    assert isinstance(labeled, pd.DataFrame)
