"""Evaluation reports: a task's metrics on its held-out split, plus named tables and figures.

A task builds its report from these parts (a per-class table, the worst mistakes, a confusion matrix, a
scatter of predicted against true values...); the Evaluate tab shows any report with one view per part kind,
so it never needs to know the task. Titles and column names are stored in every language, because the child
process writes the report and a page in either language reads it. Everything is computed locally with
scikit-learn, scipy and seqeval (`evaluate.load` needs the Hub).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from engine.errors import RunError
from engine.messages import Message, register_messages

REPORT_FILE = "report.json"
FIGURE_KINDS = ("heatmap", "scatter", "bar")

register_messages({
    "evaluation.no_report": ("This run has no evaluation report yet: it has not finished training.",
                             "这个运行还没有评估报告：它还没有完成训练。"),
    "evaluation.per_class": ("Per class", "各类别指标"),
    "evaluation.worst": ("Most confident mistakes", "最自信的错误"),
    "evaluation.confusion": ("Confusion matrix", "混淆矩阵"),
    "evaluation.label": ("Label", "标签"),
    "evaluation.precision": ("Precision", "精确率"),
    "evaluation.recall": ("Recall", "召回率"),
    "evaluation.f1": ("F1", "F1 值"),
    "evaluation.support": ("Rows", "行数"),
    "evaluation.true": ("True label", "真实标签"),
    "evaluation.predicted": ("Predicted", "预测"),
    "evaluation.confidence": ("Confidence", "置信度"),
    "evaluation.text": ("Text", "文本"),
})


@dataclass
class Column:
    key: str
    label: dict[str, str]      # the column's name in every language
    kind: str = "text"         # text (wraps), marked (text as Markdown: spans marked in it), number, label


@dataclass
class Table:
    name: str                  # a stable key (per_class, worst...)
    title: dict[str, str]
    columns: list[Column]
    rows: list[dict[str, Any]]


@dataclass
class Figure:
    name: str
    title: dict[str, str]
    kind: str                  # one of FIGURE_KINDS
    # heatmap: x, y (category names), z (rows of counts); scatter: x, y (numbers); bar: x (names), y (numbers), or
    # series ([{name in every language, y}]) for grouped bars; x_title and y_title in every language.
    data: dict[str, Any]


def column(key: str, label: str | Message, kind: str = "text") -> Column:
    """A table column named by a message code (or a Message)."""
    return Column(key, (label if isinstance(label, Message) else Message(label)).texts(), kind)


def table(name: str, title: str | Message, columns: list[Column], rows: list[dict[str, Any]]) -> Table:
    return Table(name, (title if isinstance(title, Message) else Message(title)).texts(), columns, rows)


def figure(name: str, title: str | Message, kind: str, **data: Any) -> Figure:
    """A figure; data values that are Messages (axis titles) are stored in every language."""
    stored = {key: value.texts() if isinstance(value, Message) else value for key, value in data.items()}
    return Figure(name, (title if isinstance(title, Message) else Message(title)).texts(), kind, stored)


@dataclass
class EvalReport:
    task: str
    split: str
    rows: int
    metrics: dict[str, float]
    tables: list[Table] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def figure(self, name: str) -> Figure | None:
        return next((f for f in self.figures if f.name == name), None)

    def save(self, run_dir: str | Path) -> Path:
        path = Path(run_dir) / REPORT_FILE
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")
        return path

    @classmethod
    def load(cls, run_dir: str | Path) -> "EvalReport":
        path = Path(run_dir) / REPORT_FILE
        if not path.exists():
            raise RunError("evaluation.no_report")
        raw = json.loads(path.read_text(encoding="utf-8"))
        if "confusion" in raw:  # written before reports had tables and figures
            return _first_release_report(raw)
        return cls(task=raw["task"], split=raw["split"], rows=raw["rows"], metrics=raw["metrics"],
                   tables=[Table(t["name"], t["title"], [Column(**c) for c in t["columns"]], t["rows"])
                           for t in raw["tables"]],
                   figures=[Figure(**f) for f in raw["figures"]])


# -- classification parts (shared by every task that predicts a label per text or per token) ----------------
def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy plus macro, micro and weighted precision/recall/F1."""
    metrics = {"accuracy": float(accuracy_score(y_true, y_pred))}
    for average in ("macro", "micro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
        metrics.update({f"precision_{average}": float(p), f"recall_{average}": float(r), f"f1_{average}": float(f)})
    return metrics


def per_class_table(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> Table:
    ids = list(range(len(labels)))
    p, r, f, support = precision_recall_fscore_support(y_true, y_pred, labels=ids, zero_division=0)
    rows = [{"label": name, "precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
             "f1": round(float(f[i]), 4), "support": int(support[i])} for i, name in enumerate(labels)]
    return table("per_class", "evaluation.per_class", _per_class_columns(), rows)


def _per_class_columns() -> list[Column]:
    return [column("label", "evaluation.label", "label"), column("precision", "evaluation.precision", "number"),
            column("recall", "evaluation.recall", "number"), column("f1", "evaluation.f1", "number"),
            column("support", "evaluation.support", "number")]


def confusion_figure(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> Figure:
    """Rows: the true label; columns: the predicted one."""
    return _matrix_figure(labels, confusion_matrix(y_true, y_pred, labels=list(range(len(labels)))).tolist())


def confidently_wrong(texts: list[str], y_true: np.ndarray, probs: np.ndarray, labels: list[str],
                      count: int = 20) -> Table:
    """The mistakes the model was surest of: the likeliest label errors, or the hardest texts."""
    y_pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(y_pred != y_true)
    order = wrong[np.argsort(-probs[wrong, y_pred[wrong]])][:count]
    rows = [{"true": labels[y_true[i]], "predicted": labels[y_pred[i]],
             "confidence": round(float(probs[i, y_pred[i]]), 4), "text": texts[i]} for i in order]
    return table("worst", "evaluation.worst", _worst_columns(), rows)


def _worst_columns() -> list[Column]:
    return [column("true", "evaluation.true", "label"), column("predicted", "evaluation.predicted", "label"),
            column("confidence", "evaluation.confidence", "number"), column("text", "evaluation.text")]


def _matrix_figure(labels: list[str], matrix: list[list[int]]) -> Figure:
    return figure("confusion", "evaluation.confusion", "heatmap", x=list(labels), y=list(labels), z=matrix,
                  x_title=Message("evaluation.predicted"), y_title=Message("evaluation.true"))


def _first_release_report(raw: dict[str, Any]) -> EvalReport:
    """A text classification report in the first release's shape (confusion, per_class and worst at the top):
    the finished runs of earlier versions keep their Evaluate tab."""
    return EvalReport(task=raw["task"], split=raw["split"], rows=raw["rows"], metrics=raw["metrics"],
                      tables=[table("per_class", "evaluation.per_class", _per_class_columns(), raw["per_class"]),
                              table("worst", "evaluation.worst", _worst_columns(), raw["worst"])],
                      figures=[_matrix_figure(raw["labels"], raw["confusion"])])
