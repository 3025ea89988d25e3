"""Entity-level scores with seqeval's semantics, token accuracy and the tag confusion matrix.

Scores are seqeval's default mode on IOB2 tags, exactly as Hugging Face's `evaluate` seqeval wrapper computes
them (the numbers papers and model cards quote): an entity counts as found only when its type and both ends
match, and the default mode reads tags leniently (an I-LOC after O still opens a LOC entity). Token accuracy
counts every word, O included, so it stays high even for a model that finds no entity; the entity F1 is the
figure to judge by.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pandas as pd

Tags = Sequence[Sequence[str]]


@dataclass(frozen=True)
class TypeScore:
    precision: float
    recall: float
    f1: float
    support: int    # gold entities of this type


@dataclass(frozen=True)
class EntityScores:
    """Micro-averaged entity scores over all types, each type's scores, and token accuracy."""

    precision: float
    recall: float
    f1: float
    accuracy: float                  # share of words whose predicted tag equals the gold tag
    per_type: dict[str, TypeScore]   # by type name, sorted

    def as_metrics(self) -> dict[str, float]:
        """The flat figures compute_metrics reports, all higher-is-better."""
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1, "accuracy": self.accuracy}

    def per_type_frame(self) -> pd.DataFrame:
        """One row per entity type: precision, recall, F1 and the number of gold entities."""
        rows = [{"type": kind, "precision": score.precision, "recall": score.recall, "f1": score.f1,
                 "support": score.support} for kind, score in self.per_type.items()]
        return pd.DataFrame(rows, columns=["type", "precision", "recall", "f1", "support"])


def entity_scores(gold: Tags, predicted: Tags, types: Sequence[str] = ()) -> EntityScores:
    """Scores of `predicted` against `gold` (IOB2 tags, one list per sentence, of equal lengths). `types` lists
    entity types to report even when neither side has one (a row of zeros beats a missing row)."""
    from seqeval.metrics import accuracy_score, classification_report

    _check_lengths(gold, predicted)
    gold, predicted = [list(tags) for tags in gold], [list(tags) for tags in predicted]
    report = classification_report(gold, predicted, output_dict=True, zero_division=0)
    overall = report["micro avg"]
    per_type = {kind: TypeScore(0.0, 0.0, 0.0, 0) for kind in types}
    for kind, row in report.items():
        if not kind.endswith(" avg"):
            per_type[kind] = TypeScore(float(row["precision"]), float(row["recall"]), float(row["f1-score"]),
                                       int(row["support"]))
    words = sum(len(tags) for tags in gold)
    return EntityScores(precision=float(overall["precision"]), recall=float(overall["recall"]),
                        f1=float(overall["f1-score"]),
                        accuracy=float(accuracy_score(gold, predicted)) if words else 0.0,
                        per_type={kind: per_type[kind] for kind in sorted(per_type)})


def tag_confusion(gold: Tags, predicted: Tags, tags: Sequence[str] = ()) -> pd.DataFrame:
    """Words counted by gold tag (rows) and predicted tag (columns). Rows and columns follow `tags` (a label
    set's order, so O comes first), then any other tag seen, sorted."""
    _check_lengths(gold, predicted)
    pairs = pd.DataFrame({"gold": [tag for sentence in gold for tag in sentence],
                          "predicted": [tag for sentence in predicted for tag in sentence]})
    seen = set(pairs["gold"]) | set(pairs["predicted"])
    order = list(dict.fromkeys(tags))
    order += sorted(seen - set(order))
    counts = pd.crosstab(pairs["gold"], pairs["predicted"]) if len(pairs) else pd.DataFrame()
    matrix = counts.reindex(index=order, columns=order, fill_value=0).astype(int)
    matrix.index.name, matrix.columns.name = "gold", "predicted"
    return matrix


def _check_lengths(gold: Tags, predicted: Tags) -> None:
    """Predictions come from our own alignment, so a length mismatch is a bug, not a user's mistake."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    for index, (truth, guess) in enumerate(zip(gold, predicted)):
        if len(truth) != len(guess):
            raise ValueError(f"sentence {index}: {len(truth)} gold tags but {len(guess)} predicted")
