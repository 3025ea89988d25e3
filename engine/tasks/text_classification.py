"""Text classification: one label per text (sentiment, topic, intent...)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from engine.errors import DataError
from engine.evaluation import EvalReport, classification_metrics, classification_report
from engine.messages import Message, register_messages
from engine.tasks.base import ColumnRole, Task, register_task

if TYPE_CHECKING:
    import pandas as pd
    from datasets import Dataset

    from engine.config import RunConfig

register_messages({
    "tasks.text_classification": ("Text classification", "文本分类"),
    "tasks.text_classification.text_role": ("the text to classify", "要分类的文本"),
    "tasks.text_classification.label_role": ("the class of each text", "每条文本的类别"),
    "tasks.unseen_labels": ("Labels {labels} appear in the validation or test data but not in the training data; "
                            "add examples of them to the training data.",
                            "标签 {labels} 出现在验证集或测试集中，但训练数据里没有；请在训练数据中加入这些标签的样本。"),
    "tasks.one_class": ("The label column '{column}' has only one class ({label}); a classifier needs at least two.",
                        "标签列“{column}”只有一个类别（{label}）；分类至少需要两个类别。"),
    "tasks.no_class": ("The label column '{column}' has no classes; a classifier needs at least two.",
                       "标签列“{column}”里没有任何类别；分类至少需要两个类别。"),
})


def sort_labels(names: list[str]) -> list[str]:
    """Numeric labels in numeric order ("2" before "10"), others alphabetically."""
    if all(n.lstrip("-").isdigit() for n in names):
        return sorted(names, key=int)
    return sorted(names)


def label_ids(frame: "pd.DataFrame", cfg: "RunConfig", labels: list[str]) -> list[int]:
    """Label names to class ids; a label the training split never had cannot be learned or scored."""
    index = {n: i for i, n in enumerate(labels)}
    values = [str(v) for v in frame[cfg.data.label_column]]
    unknown = sorted(set(values) - set(index))
    if unknown:
        raise DataError("tasks.unseen_labels", labels=", ".join(unknown[:5]))
    return [index[v] for v in values]


class TextClassification(Task):
    name = "text_classification"
    title = Message("tasks.text_classification")
    roles = (ColumnRole("text_column", Message("tasks.text_classification.text_role")),
             ColumnRole("label_column", Message("tasks.text_classification.label_role")))
    primary_metric = "f1_macro"
    metric_names = ("accuracy", *(f"{kind}_{average}" for kind in ("precision", "recall", "f1")
                                  for average in ("macro", "micro", "weighted")))

    def label_space(self, train: "pd.DataFrame", cfg: "RunConfig") -> list[str]:
        names = sort_labels([str(v) for v in train[cfg.data.label_column].unique()])
        if not names:
            raise DataError("tasks.no_class", column=cfg.data.label_column)
        if len(names) < 2:
            raise DataError("tasks.one_class", column=cfg.data.label_column, label=names[0])
        return names

    def build_model(self, model_path: str, labels: list[str], weights: bool = True) -> Any:
        import torch
        from transformers import AutoConfig, AutoModelForSequenceClassification
        from transformers.utils import logging as hf_logging

        head = dict(num_labels=len(labels), id2label=dict(enumerate(labels)),
                    label2id={n: i for i, n in enumerate(labels)})
        if not weights:
            with torch.device("meta"):
                return AutoModelForSequenceClassification.from_config(AutoConfig.from_pretrained(model_path, **head))
        # The new head is untrained by design; the warning about it only confuses users.
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        try:
            return AutoModelForSequenceClassification.from_pretrained(model_path, **head)
        finally:
            hf_logging.set_verbosity(verbosity)

    def preprocess(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig",
                   labels: list[str]) -> "Dataset":
        from datasets import Dataset

        texts = frame[cfg.data.text_column].astype(str).tolist()
        padding = "max_length" if cfg.train.padding == "max_length" else False
        enc = tokenizer(texts, truncation=True, max_length=cfg.model.max_length, padding=padding)
        columns = dict(enc)
        if cfg.data.label_column in frame.columns:
            columns["labels"] = label_ids(frame, cfg, labels)
        return Dataset.from_dict(columns)

    def check_split(self, frame: "pd.DataFrame", cfg: "RunConfig", labels: list[str]) -> None:
        label_ids(frame, cfg, labels)

    def collator(self, tokenizer: Any, cfg: "RunConfig") -> Callable:
        from transformers import DataCollatorWithPadding, default_data_collator

        if cfg.train.padding == "max_length":
            return default_data_collator
        return DataCollatorWithPadding(tokenizer)

    def metrics_fn(self, labels: list[str]) -> Callable[[Any], dict[str, float]]:
        def compute_metrics(eval_pred: Any) -> dict[str, float]:
            logits, y_true = eval_pred.predictions, eval_pred.label_ids
            if isinstance(logits, tuple):
                logits = logits[0]
            return classification_metrics(np.asarray(y_true), np.asarray(logits).argmax(axis=-1))
        return compute_metrics

    def report(self, frame: "pd.DataFrame", predictions: list[dict], cfg: "RunConfig",
               labels: list[str], split: str) -> EvalReport:
        y_true = np.array(label_ids(frame, cfg, labels))
        probs = np.array([[p["probs"][name] for name in labels] for p in predictions])
        texts = frame[cfg.data.text_column].astype(str).tolist()
        return classification_report(texts, y_true, probs, labels, self.name, split)

    def predict(self, model: Any, tokenizer: Any, texts: list[str], max_length: int,
                batch_size: int = 32) -> list[dict]:
        import torch

        model.eval()
        device = next(model.parameters()).device
        id2label = model.config.id2label
        results: list[dict] = []
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start:start + batch_size], truncation=True, max_length=max_length,
                              padding=True, return_tensors="pt").to(device)
            with torch.no_grad():
                probs = torch.softmax(model(**batch).logits.float(), dim=-1).cpu().numpy()
            for row in probs:
                named = {id2label[i]: float(p) for i, p in enumerate(row)}
                results.append({"label": id2label[int(row.argmax())], "probs": named})
        return results


register_task(TextClassification())
