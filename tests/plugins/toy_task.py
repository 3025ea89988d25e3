"""A toy task defined outside engine/tasks, to prove the task contract: nothing else in the codebase knows it.

It learns whether a sentence has an even or odd number of words ("mood" even/odd) from a column called
`sentence`, reports its own metric, table and figure, and predicts label probabilities. Importing this module
registers it; a training child finds it through TUNEBENCH_TASKS=tests.plugins.toy_task.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from engine.evaluation import EvalReport, column, figure, table
from engine.messages import Message, register_messages
from engine.tasks import register_task
from engine.tasks.base import ColumnRole, MetricSpec, Task
from engine.tasks.heads import load_head_model, tokenize_texts

NAME = "toy_parity"
MOODS = ["even", "odd"]

register_messages({
    "toy.title": ("Toy: even or odd", "玩具任务：奇偶"),
    "toy.sentence": ("the sentence", "句子"),
    "toy.mood": ("even or odd", "奇或偶"),
    "toy.table": ("Every sentence", "每个句子"),
    "toy.figure": ("Predicted moods", "预测结果"),
    "toy.sentence_column": ("Sentence", "句子"),
    "toy.guess_column": ("Guess", "猜测"),
    "toy.count": ("Sentences", "句子数"),
    "metric.hits": ("hits", "命中率"),
})


class ToyParity(Task):
    name = NAME
    title = Message("toy.title")
    roles = (ColumnRole("sentence", "text", Message("toy.sentence")),
             ColumnRole("mood", "label", Message("toy.mood"), input=False))
    metrics = (MetricSpec("hits", live=True),)
    primary_metric = "hits"
    output_kind = "label_probs"
    peft_task_type = "SEQ_CLS"

    def label_space(self, train: Any, cfg: Any) -> list[str]:
        return MOODS

    def check_split(self, frame: Any, cfg: Any, labels: list[str]) -> None:
        """Any mood is one of the two."""

    def build_model(self, model_path: str, labels: list[str], weights: bool = True) -> Any:
        from transformers import AutoModelForSequenceClassification

        head = dict(num_labels=2, id2label=dict(enumerate(MOODS)), label2id={m: i for i, m in enumerate(MOODS)})
        return load_head_model(AutoModelForSequenceClassification, model_path, head, weights)

    def preprocess(self, frame: Any, tokenizer: Any, cfg: Any, labels: list[str]) -> Any:
        from datasets import Dataset

        columns = tokenize_texts(frame[self.role("sentence").column(cfg)].tolist(), tokenizer, cfg)
        columns["labels"] = [MOODS.index(m) for m in frame[self.role("mood").column(cfg)]]
        return Dataset.from_dict(columns)

    def collator(self, tokenizer: Any, cfg: Any) -> Callable:
        from transformers import DataCollatorWithPadding

        return DataCollatorWithPadding(tokenizer)

    def metrics_fn(self, labels: list[str], features: Any, tokenizer: Any = None) -> Callable[[Any], dict[str, float]]:
        def compute(eval_pred: Any) -> dict[str, float]:
            guesses = np.asarray(eval_pred.predictions).argmax(axis=-1)
            return {"hits": float((guesses == np.asarray(eval_pred.label_ids)).mean())}
        return compute

    def report(self, frame: Any, predictions: list[dict], cfg: Any, labels: list[str], split: str) -> EvalReport:
        sentences = frame[self.role("sentence").column(cfg)].tolist()
        truth = frame[self.role("mood").column(cfg)].tolist()
        guesses = [p["label"] for p in predictions]
        rows = [{"sentence": s, "guess": g} for s, g in zip(sentences, guesses)]
        counts = [guesses.count(mood) for mood in MOODS]
        return EvalReport(self.name, split, len(rows), {"hits": float(np.mean([g == t for g, t in zip(guesses, truth)]))},
                          tables=[table("sentences", "toy.table", [column("sentence", "toy.sentence_column"),
                                                                   column("guess", "toy.guess_column", "label")], rows)],
                          figures=[figure("moods", "toy.figure", "bar", x=MOODS, y=counts,
                                          x_title=Message("toy.mood"), y_title=Message("toy.count"))])

    def predict(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: list[str], max_length: int,
                batch_size: int = 32) -> list[dict]:
        import torch

        batch = tokenizer([str(item["sentence"]) for item in inputs], truncation=True, max_length=max_length,
                          padding=True, return_tensors="pt")
        model.eval()
        with torch.no_grad():
            probs = torch.softmax(model(**batch).logits.float(), dim=-1).numpy()
        return [{"label": MOODS[int(row.argmax())], "probs": dict(zip(MOODS, map(float, row)))} for row in probs]


register_task(ToyParity())
