"""What to label next: uncertainty scores of a model's predictions and the queue orders built on them.

Each order is declared once with both of its forms: `rank()` orders an array of probabilities (the active-
learning bench and the tests use it), and `sql` orders the rows of the label store, whose items keep the same
scores as columns. A test checks that the two give the same order.

- least_confident: the lowest top probability first (1 - max p is the model's doubt);
- margin: the smallest gap between the two likeliest labels first;
- entropy: the most spread-out prediction first;
- disagree: human labels the model contradicts, the most confident contradiction first (likely label errors);
- random: a fixed random permutation (the baseline every uncertainty order must beat);
- file: the file's own order.
Rows without a prediction come after those with one, in file order (SQLite sorts NULL lowest, so a descending
order puts them last by itself, and spelling it out would keep the planner from walking the index).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.errors import LabelError
from engine.messages import register_messages

register_messages({
    "labeling.unknown_order": ("Unknown queue order '{order}'; choose one of: {known}.",
                               "未知的排序方式“{order}”；可选：{known}。"),
})


@dataclass(frozen=True)
class Order:
    name: str
    sql: str            # ORDER BY over the items table's stored scores (confidence, margin, entropy, shuffle)
    labeled: bool       # the queue holds labeled rows to review (disagree), not rows still to label
    needs_model: bool   # without suggestions the order is the file's


ORDERS: dict[str, Order] = {}


def register_order(order: Order) -> Order:
    if order.name in ORDERS:
        raise ValueError(f"queue order {order.name!r} is registered twice")
    ORDERS[order.name] = order
    return order


register_order(Order("least_confident", "confidence ASC NULLS LAST, idx", labeled=False, needs_model=True))
register_order(Order("margin", "margin ASC NULLS LAST, idx", labeled=False, needs_model=True))
register_order(Order("entropy", "entropy DESC, idx", labeled=False, needs_model=True))
register_order(Order("disagree", "confidence DESC, idx", labeled=True, needs_model=True))
register_order(Order("random", "shuffle, idx", labeled=False, needs_model=False))
register_order(Order("file", "idx", labeled=False, needs_model=False))


def get_order(name: str) -> Order:
    if name not in ORDERS:
        raise LabelError("labeling.unknown_order", order=name, known=", ".join(ORDERS))
    return ORDERS[name]


@dataclass(frozen=True)
class Scores:
    confidence: np.ndarray   # the top probability
    margin: np.ndarray       # top minus second probability
    entropy: np.ndarray      # in nats


def scores(probs: np.ndarray) -> Scores:
    """Uncertainty scores of an (n, classes) array of probabilities, one value per row."""
    probs = np.asarray(probs, dtype=np.float64)
    top2 = -np.partition(-probs, 1, axis=1)[:, :2] if probs.shape[1] > 1 else np.hstack([probs, np.zeros_like(probs)])
    safe = np.where(probs > 0, probs, 1.0)  # 0 * log 0 counts as 0
    return Scores(confidence=top2[:, 0], margin=top2[:, 0] - top2[:, 1], entropy=-(probs * np.log(safe)).sum(axis=1))


def rank(order: str, probs: np.ndarray, human: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Row indices of `probs` in `order`. For `disagree`, `human` holds each row's human label as a class index
    (-1 for none) and only the rows the model contradicts are returned."""
    get_order(order)
    n = len(probs)
    position = np.arange(n)
    if order == "file":
        return position
    if order == "random":
        return np.random.default_rng(seed).permutation(n)
    found = scores(probs)
    if order == "disagree":
        predicted = np.asarray(probs).argmax(axis=1)
        rows = np.flatnonzero((np.asarray(human) >= 0) & (np.asarray(human) != predicted))
        return rows[np.lexsort((rows, -found.confidence[rows]))]
    key = {"least_confident": found.confidence, "margin": found.margin, "entropy": -found.entropy}[order]
    return np.lexsort((position, key))  # ties in file order, as the SQL orders break them


def shuffle_keys(n: int, seed: int) -> np.ndarray:
    """Each row's place in the random order: the store keeps these, so its random queue is `rank("random")`."""
    keys = np.empty(n, dtype=np.int64)
    keys[np.random.default_rng(seed).permutation(n)] = np.arange(n)
    return keys
