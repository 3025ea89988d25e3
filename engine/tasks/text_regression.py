"""Text regression: one number per text (a 1-10 rating, a score, a price).

The head is a single output trained with mean squared error. Targets are standardised with the training
split's mean and spread, which the model keeps as its label space, so a price in the thousands trains as
steadily as a 1-5 rating; predictions are turned back into the data's own units.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from scipy.stats import pearsonr, spearmanr

from engine.data.loading import DemoDataset, demo_file, register_demo
from engine.errors import DataError
from engine.evaluation import EvalReport, column, figure, table
from engine.messages import Message, register_messages
from engine.tasks.base import ColumnRole, MetricSpec, Task, register_task
from engine.tasks.heads import load_head_model, tokenize_texts

if TYPE_CHECKING:
    import pandas as pd
    from datasets import Dataset

    from engine.config import RunConfig

WORST_ROWS = 20

register_messages({
    "tasks.text_regression": ("Text regression (a number per text)", "文本回归（每条文本一个数值）"),
    "tasks.text_regression.text_role": ("the text to score", "要打分的文本"),
    "tasks.text_regression.value_role": ("the number for each text", "每条文本对应的数值"),
    "tasks.constant_target": ("Every training row has the same value ({value}) in column '{column}'; the model has "
                              "nothing to learn. Check the column, or add rows with other values.",
                              "训练数据中列“{column}”的每一行都是同一个值（{value}）；模型没有东西可学。"
                              "请检查该列，或添加其他取值的行。"),
    "demo.ratings_en": ("260 short English reviews of everyday things, each scored from 1 to 10.",
                        "260 条英文日常用品短评，每条打分 1 到 10。"),
    "demo.ratings_zh": ("240 short Chinese reviews of everyday things, each scored from 1 to 10.",
                        "240 条日常用品的中文短评，每条打分 1 到 10。"),
    "metric.rmse": ("RMSE", "均方根误差"),
    "metric.mae": ("MAE", "平均绝对误差"),
    "metric.pearson": ("Pearson r", "皮尔逊相关"),
    "metric.spearman": ("Spearman ρ", "斯皮尔曼相关"),
    "regression.scatter": ("Predicted against true", "预测值与真实值"),
    "regression.worst": ("Largest errors", "误差最大的样本"),
    "regression.true": ("True value", "真实值"),
    "regression.predicted": ("Predicted", "预测值"),
    "regression.error": ("Error", "误差"),
})


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """RMSE and MAE in the data's units; Pearson and Spearman correlations (0 when a side is constant)."""
    errors = y_pred - y_true
    constant = np.ptp(y_true) == 0 or np.ptp(y_pred) == 0
    return {"rmse": float(np.sqrt(np.mean(errors ** 2))), "mae": float(np.mean(np.abs(errors))),
            "pearson": 0.0 if constant else float(pearsonr(y_true, y_pred)[0]),
            "spearman": 0.0 if constant else float(spearmanr(y_true, y_pred)[0])}


TASK = "text_regression"


class TextRegression(Task):
    name = TASK
    title = Message("tasks.text_regression")
    roles = (ColumnRole("text", "text", Message("tasks.text_regression.text_role")),
             ColumnRole("value", "number", Message("tasks.text_regression.value_role"), input=False))
    metrics = (MetricSpec("rmse", higher_is_better=False, live=True), MetricSpec("mae", higher_is_better=False),
               MetricSpec("pearson", live=True), MetricSpec("spearman"))
    primary_metric = "rmse"
    output_kind = "number"
    peft_task_type = "SEQ_CLS"

    def label_space(self, train: "pd.DataFrame", cfg: "RunConfig") -> dict[str, float]:
        """The training values' mean and spread: targets train standardised, predictions come back in units."""
        column = self.role("value").column(cfg)
        values = train[column].astype(float)
        spread = float(values.std(ddof=0))
        if not spread > 0:
            raise DataError("tasks.constant_target", column=column, value=float(values.iloc[0]))
        return {"mean": float(values.mean()), "std": spread}

    def check_split(self, frame: "pd.DataFrame", cfg: "RunConfig", labels: dict[str, float]) -> None:
        """Any number can be scored; the data layer already dropped cells that are not numbers."""

    def build_model(self, model_path: str, labels: dict[str, float], weights: bool = True) -> Any:
        from transformers import AutoModelForSequenceClassification

        head = dict(num_labels=1, problem_type="regression", id2label={0: "value"}, label2id={"value": 0})
        return load_head_model(AutoModelForSequenceClassification, model_path, head, weights)

    def preprocess(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig",
                   labels: dict[str, float]) -> "Dataset":
        from datasets import Dataset

        columns = tokenize_texts(frame[self.role("text").column(cfg)].astype(str).tolist(), tokenizer, cfg)
        target = self.role("value").column(cfg)
        if target in frame.columns:
            columns["labels"] = ((frame[target].astype(float) - labels["mean"]) / labels["std"]).tolist()
        return Dataset.from_dict(columns)

    def collator(self, tokenizer: Any, cfg: "RunConfig") -> Callable:
        from transformers import DataCollatorWithPadding, default_data_collator

        if cfg.train.padding == "max_length":
            return default_data_collator
        return DataCollatorWithPadding(tokenizer)

    def metrics_fn(self, labels: dict[str, float], features: "Dataset",
                   tokenizer: Any = None) -> Callable[[Any], dict[str, float]]:
        def compute_metrics(eval_pred: Any) -> dict[str, float]:
            outputs = eval_pred.predictions[0] if isinstance(eval_pred.predictions, tuple) else eval_pred.predictions
            unscale = lambda values: np.asarray(values, dtype=float).reshape(-1) * labels["std"] + labels["mean"]  # noqa: E731
            return regression_metrics(unscale(eval_pred.label_ids), unscale(outputs))
        return compute_metrics

    def report(self, frame: "pd.DataFrame", predictions: list[dict], cfg: "RunConfig",
               labels: dict[str, float], split: str) -> EvalReport:
        y_true = frame[self.role("value").column(cfg)].astype(float).to_numpy()
        y_pred = np.array([p["value"] for p in predictions], dtype=float)
        texts = frame[self.role("text").column(cfg)].astype(str).tolist()
        order = np.argsort(-np.abs(y_pred - y_true))[:WORST_ROWS]
        worst = [{"true": round(float(y_true[i]), 4), "predicted": round(float(y_pred[i]), 4),
                  "error": round(float(y_pred[i] - y_true[i]), 4), "text": texts[i]} for i in order]
        return EvalReport(
            task=self.name, split=split, rows=len(texts), metrics=regression_metrics(y_true, y_pred),
            tables=[table("worst", "regression.worst",
                          [column("true", "regression.true", "number"), column("predicted", "regression.predicted",
                                                                               "number"),
                           column("error", "regression.error", "number"), column("text", "evaluation.text")], worst)],
            figures=[figure("scatter", "regression.scatter", "scatter", x=y_true.tolist(), y=y_pred.tolist(),
                            x_title=Message("regression.true"), y_title=Message("regression.predicted"))])

    def predict(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: dict[str, float],
                max_length: int, batch_size: int = 32) -> list[dict]:
        import torch

        texts = [str(item.get("text") or "") for item in inputs]
        model.eval()
        device = next(model.parameters()).device
        results: list[dict] = []
        for start in range(0, len(texts), batch_size):
            batch = tokenizer(texts[start:start + batch_size], truncation=True, max_length=max_length,
                              padding=True, return_tensors="pt").to(device)
            with torch.no_grad():
                outputs = model(**batch).logits.float().reshape(-1).cpu().numpy()
            results += [{"value": float(v * labels["std"] + labels["mean"])} for v in outputs]
        return results


register_task(TextRegression())
register_demo(DemoDataset("ratings_en", demo_file("ratings_en.csv"), "en", Message("demo.ratings_en"), TASK))
register_demo(DemoDataset("ratings_zh", demo_file("ratings_zh.csv"), "zh", Message("demo.ratings_zh"), TASK))
