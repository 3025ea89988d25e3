"""engine.evaluation: metrics against hand-computed values, confusion matrix orientation, worst examples, and reports
saved and loaded in every language (including the first release's format)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.errors import RunError
import json

from engine.evaluation import (EvalReport, classification_metrics, confidently_wrong, confusion_figure,
                               per_class_table)


def test_classification_metrics_match_hand_computation() -> None:
    y_true = np.array([0, 0, 1, 1, 2])
    y_pred = np.array([0, 1, 1, 1, 0])
    # Correct: rows 0, 2, 3 -> accuracy 3/5 = 0.6.
    # class 0: predicted at rows 0, 4 (one right) -> P = 1/2; true at rows 0, 1 (one found) -> R = 1/2; F1 = 1/2
    # class 1: predicted at rows 1, 2, 3 (two right) -> P = 2/3; true at rows 2, 3 (both found) -> R = 1; F1 = 0.8
    # class 2: never predicted -> P = 0 (zero_division), R = 0; F1 = 0
    # macro: P = (1/2 + 2/3 + 0)/3 = 7/18, R = (1/2 + 1 + 0)/3 = 1/2, F1 = (0.5 + 0.8 + 0)/3 = 1.3/3
    # micro (single-label): P = R = F1 = accuracy = 0.6
    # weighted by support (2, 2, 1): F1 = (2*0.5 + 2*0.8 + 0)/5 = 0.52
    metrics = classification_metrics(y_true, y_pred)
    assert metrics["accuracy"] == pytest.approx(0.6)
    assert metrics["precision_macro"] == pytest.approx(7 / 18)
    assert metrics["recall_macro"] == pytest.approx(0.5)
    assert metrics["f1_macro"] == pytest.approx(1.3 / 3)
    assert metrics["f1_micro"] == pytest.approx(0.6)
    assert metrics["precision_micro"] == pytest.approx(0.6)
    assert metrics["f1_weighted"] == pytest.approx(0.52)
    assert all(isinstance(v, float) for v in metrics.values())


def test_perfect_predictions_score_one() -> None:
    y = np.array([2, 0, 1, 1])
    assert set(classification_metrics(y, y).values()) == {1.0}


def test_per_class_table_lists_every_label_even_unseen() -> None:
    table = per_class_table(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0]), ["a", "b", "c", "d"])
    rows = table.rows
    assert [row["label"] for row in rows] == ["a", "b", "c", "d"]
    assert [row["support"] for row in rows] == [2, 2, 1, 0]
    assert rows[1]["precision"] == pytest.approx(2 / 3, abs=1e-4) and rows[1]["recall"] == 1.0
    assert rows[1]["f1"] == pytest.approx(0.8)
    assert [c.key for c in table.columns] == ["label", "precision", "recall", "f1", "support"]
    assert table.title == {"en": "Per class", "zh": "各类别指标"}


def _probs(rows: list[list[float]]) -> np.ndarray:
    return np.array(rows, dtype=float)


def test_confusion_matrix_rows_are_true_columns_predicted() -> None:
    # two "neg" texts both predicted "pos": the count must sit at row neg, column pos.
    labels = ["neg", "pos"]
    figure = confusion_figure(np.array([0, 0, 1]), np.array([1, 1, 1]), labels)
    assert figure.kind == "heatmap" and figure.data["z"] == [[0, 2], [0, 1]]
    assert figure.data["x"] == figure.data["y"] == labels
    assert figure.data["x_title"]["en"] == "Predicted" and figure.data["y_title"]["zh"] == "真实标签"


def test_worst_examples_are_only_wrong_ones_most_confident_first() -> None:
    labels = ["a", "b", "c"]
    texts = ["right", "wrong 0.6", "wrong 0.9", "right too", "wrong 0.5"]
    y_true = np.array([0, 0, 1, 2, 2])
    probs = _probs([[0.9, 0.05, 0.05],    # right
                    [0.3, 0.6, 0.1],      # a predicted b with 0.6
                    [0.9, 0.05, 0.05],    # b predicted a with 0.9
                    [0.1, 0.1, 0.8],      # right
                    [0.5, 0.3, 0.2]])     # c predicted a with 0.5
    worst = confidently_wrong(texts, y_true, probs, labels)
    assert [w["text"] for w in worst.rows] == ["wrong 0.9", "wrong 0.6", "wrong 0.5"]
    assert worst.rows[0] == {"text": "wrong 0.9", "true": "b", "predicted": "a", "confidence": 0.9}
    assert [c.key for c in worst.columns] == ["true", "predicted", "confidence", "text"]  # the text last: it wraps
    assert [w["text"] for w in confidently_wrong(texts, y_true, probs, labels, count=1).rows] == ["wrong 0.9"]


def test_report_save_and_load(tmp_path: Path) -> None:
    with pytest.raises(RunError, match="no evaluation report"):
        EvalReport.load(tmp_path)
    y_true, probs = np.array([0, 1]), _probs([[0.7, 0.3], [0.6, 0.4]])
    report = EvalReport("text_classification", "validation", 2, {"accuracy": 0.5},
                        tables=[confidently_wrong(["x", "y"], y_true, probs, ["n", "p"])],
                        figures=[confusion_figure(y_true, probs.argmax(axis=1), ["n", "p"])])
    report.save(tmp_path)
    assert EvalReport.load(tmp_path) == report


def test_a_first_release_report_still_loads(tmp_path: Path) -> None:
    """Finished runs of the first release keep their Evaluate tab."""
    old = {"task": "text_classification", "split": "test", "rows": 3, "metrics": {"accuracy": 2 / 3},
           "labels": ["n", "p"], "confusion": [[1, 1], [0, 1]],
           "per_class": [{"label": "n", "precision": 1.0, "recall": 0.5, "f1": 0.67, "support": 2}],
           "worst": [{"text": "meh", "true": "n", "predicted": "p", "confidence": 0.7}]}
    (tmp_path / "report.json").write_text(json.dumps(old), encoding="utf-8")
    report = EvalReport.load(tmp_path)
    assert report.figure("confusion").data["z"] == [[1, 1], [0, 1]]
    assert report.table("per_class").rows == old["per_class"] and report.table("worst").rows == old["worst"]
