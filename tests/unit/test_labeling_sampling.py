"""Queue orders and agreement against values worked out by hand, and the store's queue in the same order."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.errors import LabelError
from engine.labeling.agreement import agreements, cohen_kappa
from engine.labeling.sampling import ORDERS, rank, scores
from engine.labeling.store import LabelStore

# Five predictions over three labels (a, b, c), chosen so that the three uncertainty orders all differ.
PROBS = np.array([[0.50, 0.49, 0.01],    # top .50, gap .01, entropy .74217
                  [0.40, 0.30, 0.30],    # top .40, gap .10, entropy 1.08890
                  [0.80, 0.10, 0.10],    # top .80, gap .70, entropy .63903
                  [0.45, 0.45, 0.10],    # top .45, gap .00, entropy .94892
                  [0.60, 0.20, 0.20]])   # top .60, gap .40, entropy .95027
LABELS = ["a", "b", "c"]


def test_scores_by_hand() -> None:
    found = scores(PROBS)
    assert found.confidence.tolist() == pytest.approx([0.50, 0.40, 0.80, 0.45, 0.60])
    assert found.margin.tolist() == pytest.approx([0.01, 0.10, 0.70, 0.00, 0.40])
    # -(0.5 ln 0.5 + 0.49 ln 0.49 + 0.01 ln 0.01) = 0.34657 + 0.34955 + 0.04605, and so on
    assert found.entropy.tolist() == pytest.approx([0.74217, 1.08890, 0.63903, 0.94892, 0.95027], abs=1e-5)
    assert scores(np.array([[1.0, 0.0]])).entropy[0] == 0.0  # 0 log 0 counts as 0, not nan


def test_orders_by_hand() -> None:
    assert rank("least_confident", PROBS).tolist() == [1, 3, 0, 4, 2]   # .40 .45 .50 .60 .80
    assert rank("margin", PROBS).tolist() == [3, 0, 1, 4, 2]            # .00 .01 .10 .40 .70
    assert rank("entropy", PROBS).tolist() == [1, 4, 3, 0, 2]           # 1.0889 .95027 .94892 .742 .639
    assert rank("file", PROBS).tolist() == [0, 1, 2, 3, 4]
    shuffled = rank("random", PROBS, seed=3)
    assert sorted(shuffled.tolist()) == [0, 1, 2, 3, 4] and rank("random", PROBS, seed=3).tolist() == shuffled.tolist()


def test_disagree_lists_contradicted_labels_most_confident_first() -> None:
    # The model predicts a, a, a, a (tie: the first), a. People said b, a, -, b, c (-1: no label).
    human = np.array([1, 0, -1, 1, 2])
    # Contradicted: rows 0 (a .50 vs b), 3 (a .45 vs b), 4 (a .60 vs c); most confident first: 4, 0, 3.
    assert rank("disagree", PROBS, human).tolist() == [4, 0, 3]


def test_ties_keep_file_order_and_unknown_orders_are_refused() -> None:
    tied = np.array([[0.7, 0.3], [0.6, 0.4], [0.7, 0.3], [0.6, 0.4]])
    assert rank("least_confident", tied).tolist() == [1, 3, 0, 2]
    with pytest.raises(LabelError, match="least_confident, margin, entropy"):
        rank("smallest", tied)


def test_the_store_queue_follows_the_same_orders(tmp_path: Path) -> None:
    store = LabelStore(tmp_path / "labels.db")
    project = store.create("p", "local", LABELS)
    store.items.add(project.id, [f"text {i}" for i in range(len(PROBS))], None, "local", project.seed, 0.0)
    found = scores(PROBS)
    store.items.suggest(project.id, "run", [(i, LABELS[int(PROBS[i].argmax())], found.confidence[i], found.margin[i],
                                             found.entropy[i]) for i in range(len(PROBS))])
    for order in ("least_confident", "margin", "entropy", "file", "random"):
        queue, shown = [], None
        while (shown := store.items.next(project.id, f"reader-{order}", order, shown)) is not None:
            queue.append(shown)
            store.items.skip(project.id, shown, f"reader-{order}")
            if len(queue) == len(PROBS):
                break
        assert queue == rank(order, PROBS, seed=project.seed).tolist(), order
    # Disagree reviews labels given before the suggestions: label rows as `human` says, then suggest again.
    for idx, label in ((0, "b"), (1, "a"), (3, "b"), (4, "c")):
        store.items.label(project.id, idx, label, "ann")
    store.items.suggest(project.id, "run2", [(i, LABELS[int(PROBS[i].argmax())], found.confidence[i],
                                              found.margin[i], found.entropy[i]) for i in range(len(PROBS))])
    queue, shown = [], None
    while (shown := store.items.next(project.id, "ann", "disagree", shown)) is not None and shown not in queue:
        queue.append(shown)
        store.items.skip(project.id, shown, "ann")
    assert queue == [4, 0, 3]
    assert set(ORDERS) == {"least_confident", "margin", "entropy", "disagree", "random", "file"}


def test_cohen_kappa_by_hand() -> None:
    first = ["pos", "pos", "neg", "neg", "pos", "neg"]
    second = ["pos", "neg", "neg", "neg", "pos", "pos"]
    # observed 4/6; chance 3/6 * 3/6 + 3/6 * 3/6 = 1/2; kappa = (2/3 - 1/2) / (1 - 1/2) = 1/3
    assert cohen_kappa(first, second) == pytest.approx(1 / 3)
    assert cohen_kappa(first, first) == pytest.approx(1.0)
    # observed 0; chance 1/2 * 1/2 * 2 = 1/2; kappa = -1
    assert cohen_kappa(["a", "b"], ["b", "a"]) == pytest.approx(-1.0)
    assert cohen_kappa(["a", "a"], ["a", "a"]) is None  # chance explains it all: undefined, not 1
    assert cohen_kappa([], []) is None


def test_agreement_per_pair_and_per_label() -> None:
    rows = [(0, "ann", "x"), (1, "ann", "x"), (2, "ann", "y"), (3, "ann", "z"),
            (0, "bob", "x"), (1, "bob", "y"), (2, "bob", "y"), (3, "bob", "z"),
            (9, "cat", "x")]  # Cat shares no row with anyone: no pair
    (pair,) = agreements(pd.DataFrame(rows, columns=["idx", "who", "label"]))
    assert (pair.first, pair.second, pair.rows) == ("ann", "bob", 4)
    assert pair.observed == pytest.approx(0.75)
    # chance: ann x.5 y.25 z.25, bob x.25 y.5 z.25 -> .125 + .125 + .0625 = .3125; (.75 - .3125) / .6875
    assert pair.kappa == pytest.approx(0.4375 / 0.6875)
    # z against the rest: both say z on row 3 only -> perfect; x: ann 1,1,0,0 vs bob 1,0,0,0 -> .5 (by hand:
    # observed 3/4, chance .5*.25 + .5*.75 = .5, kappa .5); y: ann 0,0,1,0 vs bob 0,1,1,0 -> .5 likewise
    assert pair.per_label == pytest.approx({"x": 0.5, "y": 0.5, "z": 1.0})
    assert not math.isnan(pair.kappa)
