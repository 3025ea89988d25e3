"""Text classification: one label per text (sentiment, topic, intent...)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from engine.data.loading import DemoDataset, demo_file, register_demo
from engine.errors import DataError
from engine.evaluation import (EvalReport, classification_metrics, confidently_wrong, confusion_figure,
                               per_class_table)
from engine.messages import Message, register_messages
from engine.tasks.base import ColumnRole, MetricSpec, Task, register_task
from engine.tasks.heads import load_head_model, tokenize_texts

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
    "demo.reviews_en": ("320 short English product and film reviews, labelled positive / negative.",
                        "320 条英文商品和电影短评，标注为 positive / negative。"),
    "demo.reviews_zh": ("320 short Chinese reviews (food delivery, shopping, films), labelled 正面 / 负面.",
                        "320 条中文短评（外卖、网购、电影），标注为 正面 / 负面。"),
    "tasks.no_class": ("The label column '{column}' has no classes; a classifier needs at least two.",
                       "标签列“{column}”里没有任何类别；分类至少需要两个类别。"),
})

AVERAGED = tuple(f"{kind}_{average}" for kind in ("precision", "recall", "f1") for average in ("macro", "micro", "weighted"))


def sort_labels(names: list[str]) -> list[str]:
    """Numeric labels in numeric order ("2" before "10"), others alphabetically."""
    if all(n.lstrip("-").isdigit() for n in names):
        return sorted(names, key=int)
    return sorted(names)


TASK = "text_classification"


class TextClassification(Task):
    name = TASK
    title = Message("tasks.text_classification")
    roles = (ColumnRole("text", "text", Message("tasks.text_classification.text_role")),
             ColumnRole("label", "label", Message("tasks.text_classification.label_role"), input=False))
    metrics = (MetricSpec("accuracy", live=True), *(MetricSpec(name, live=name == "f1_macro") for name in AVERAGED))
    primary_metric = "f1_macro"
    output_kind = "label_probs"
    peft_task_type = "SEQ_CLS"

    def label_ids(self, frame: "pd.DataFrame", cfg: "RunConfig", labels: list[str]) -> list[int]:
        """Label names to class ids; a label the training split never had cannot be learned or scored."""
        index = {n: i for i, n in enumerate(labels)}
        values = [str(v) for v in frame[self.role("label").column(cfg)]]
        unknown = sorted(set(values) - set(index))
        if unknown:
            raise DataError("tasks.unseen_labels", labels=", ".join(unknown[:5]))
        return [index[v] for v in values]

    def label_space(self, train: "pd.DataFrame", cfg: "RunConfig") -> list[str]:
        column = self.role("label").column(cfg)
        names = sort_labels([str(v) for v in train[column].unique()])
        if not names:
            raise DataError("tasks.no_class", column=column)
        if len(names) < 2:
            raise DataError("tasks.one_class", column=column, label=names[0])
        return names

    def check_split(self, frame: "pd.DataFrame", cfg: "RunConfig", labels: list[str]) -> None:
        self.label_ids(frame, cfg, labels)

    def build_model(self, model_path: str, labels: list[str], weights: bool = True) -> Any:
        from transformers import AutoModelForSequenceClassification

        head = dict(num_labels=len(labels), id2label=dict(enumerate(labels)),
                    label2id={n: i for i, n in enumerate(labels)})
        return load_head_model(AutoModelForSequenceClassification, model_path, head, weights)

    def preprocess(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig",
                   labels: list[str]) -> "Dataset":
        from datasets import Dataset

        columns = tokenize_texts(frame[self.role("text").column(cfg)].astype(str).tolist(), tokenizer, cfg)
        if self.role("label").column(cfg) in frame.columns:
            columns["labels"] = self.label_ids(frame, cfg, labels)
        return Dataset.from_dict(columns)

    def collator(self, tokenizer: Any, cfg: "RunConfig") -> Callable:
        from transformers import DataCollatorWithPadding, default_data_collator

        if cfg.train.padding == "max_length":
            return default_data_collator
        return DataCollatorWithPadding(tokenizer)

    def metrics_fn(self, labels: list[str], features: "Dataset",
                   tokenizer: Any = None) -> Callable[[Any], dict[str, float]]:
        def compute_metrics(eval_pred: Any) -> dict[str, float]:
            logits, y_true = eval_pred.predictions, eval_pred.label_ids
            if isinstance(logits, tuple):
                logits = logits[0]
            return classification_metrics(np.asarray(y_true), np.asarray(logits).argmax(axis=-1))
        return compute_metrics

    def report(self, frame: "pd.DataFrame", predictions: list[dict], cfg: "RunConfig",
               labels: list[str], split: str) -> EvalReport:
        y_true = np.array(self.label_ids(frame, cfg, labels))
        probs = np.array([[p["probs"][name] for name in labels] for p in predictions])
        y_pred = probs.argmax(axis=1)
        texts = frame[self.role("text").column(cfg)].astype(str).tolist()
        return EvalReport(task=self.name, split=split, rows=len(texts), metrics=classification_metrics(y_true, y_pred),
                          tables=[per_class_table(y_true, y_pred, labels),
                                  confidently_wrong(texts, y_true, probs, labels)],
                          figures=[confusion_figure(y_true, y_pred, labels)])

    def predict(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: list[str], max_length: int,
                batch_size: int = 32) -> list[dict]:
        import torch

        texts = [str(item.get("text") or "") for item in inputs]
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
register_demo(DemoDataset("reviews_en", demo_file("reviews_en.csv"), "en", Message("demo.reviews_en"), TASK))
register_demo(DemoDataset("reviews_zh", demo_file("reviews_zh.csv"), "zh", Message("demo.reviews_zh"), TASK))
