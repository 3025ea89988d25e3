"""Evaluation reports: metrics, confusion matrix, per-class table and the worst mistakes.

Everything is computed locally with scikit-learn (`evaluate.load` needs the Hub).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from engine.errors import RunError
from engine.messages import register_messages

REPORT_FILE = "report.json"

register_messages({
    "evaluation.no_report": ("This run has no evaluation report yet: it has not finished training.",
                             "这个运行还没有评估报告：它还没有完成训练。"),
})


@dataclass
class EvalReport:
    task: str
    split: str
    rows: int
    metrics: dict[str, float]
    labels: list[str] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)   # rows: true label, columns: predicted
    per_class: list[dict] = field(default_factory=list)
    worst: list[dict] = field(default_factory=list)            # most confidently wrong examples

    def save(self, run_dir: str | Path) -> Path:
        path = Path(run_dir) / REPORT_FILE
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, run_dir: str | Path) -> "EvalReport":
        path = Path(run_dir) / REPORT_FILE
        if not path.exists():
            raise RunError("evaluation.no_report")
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy plus macro, micro and weighted precision/recall/F1."""
    metrics = {"accuracy": float(accuracy_score(y_true, y_pred))}
    for average in ("macro", "micro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
        metrics.update({f"precision_{average}": float(p), f"recall_{average}": float(r), f"f1_{average}": float(f)})
    return metrics


def per_class_table(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> list[dict]:
    ids = list(range(len(labels)))
    p, r, f, support = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    return [{"label": name, "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
             "support": int(support[i])} for i, name in enumerate(labels)]


def classification_report(texts: list[str], y_true: np.ndarray, probs: np.ndarray, labels: list[str],
                          task: str, split: str, worst_count: int = 20) -> EvalReport:
    y_pred = probs.argmax(axis=1)
    matrix = confusion_matrix(y_true, y_pred, labels=list(range(len(labels))))
    return EvalReport(
        task=task, split=split, rows=len(texts),
        metrics=classification_metrics(y_true, y_pred),
        labels=list(labels), confusion=matrix.tolist(),
        per_class=per_class_table(y_true, y_pred, labels),
        worst=_confidently_wrong(texts, y_true, probs, labels, worst_count),
    )


def _confidently_wrong(texts: list[str], y_true: np.ndarray, probs: np.ndarray, labels: list[str],
                       count: int) -> list[dict]:
    y_pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(y_pred != y_true)
    confidence = probs[wrong, y_pred[wrong]]
    order = wrong[np.argsort(-confidence)][:count]
    return [{"text": texts[i], "true": labels[y_true[i]], "predicted": labels[y_pred[i]],
             "confidence": round(float(probs[i, y_pred[i]]), 4)} for i in order]
