"""Agreement between labelers on the rows both labeled: Cohen's kappa for each pair of people, overall and per
label (that label against all others), so a team sees which labels its guidelines leave unclear."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from typing import Sequence

import pandas as pd


@dataclass
class PairAgreement:
    first: str                 # owner ids; the desk shows names
    second: str
    rows: int                  # rows both labeled
    observed: float            # the share of those rows with the same label
    kappa: float | None        # None when chance alone explains everything (both always gave one same label)
    per_label: dict[str, float | None] = field(default_factory=dict)


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float | None:
    """(observed agreement - chance agreement) / (1 - chance agreement), chance from each person's label shares."""
    n = len(first)
    if n == 0 or n != len(second):
        return None
    observed = sum(a == b for a, b in zip(first, second)) / n
    counts_a, counts_b = Counter(first), Counter(second)
    expected = sum(counts_a[label] * counts_b[label] for label in counts_a) / (n * n)
    if expected >= 1:
        return None
    return (observed - expected) / (1 - expected)


def agreements(annotations: pd.DataFrame) -> list[PairAgreement]:
    """Every pair of people with rows in common, from `idx, who, label` rows (each person's own labels)."""
    by_person = {who: dict(zip(rows["idx"], rows["label"])) for who, rows in annotations.groupby("who", sort=True)}
    pairs = []
    for first, second in combinations(sorted(by_person), 2):
        common = sorted(set(by_person[first]) & set(by_person[second]))
        if not common:
            continue
        a = [by_person[first][i] for i in common]
        b = [by_person[second][i] for i in common]
        per_label = {label: cohen_kappa([x == label for x in a], [y == label for y in b])
                     for label in sorted(set(a) | set(b))}
        pairs.append(PairAgreement(first, second, len(common), sum(x == y for x, y in zip(a, b)) / len(common),
                                   cohen_kappa(a, b), per_label))
    return pairs
