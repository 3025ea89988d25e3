"""Predictor: load a finished run (or a base model) and predict in batches.

Used by the playground, the CLI, evaluation and (later) the API and labeling.
"""
from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from engine.config import RunConfig
from engine.errors import DataError, RunError
from engine.evaluation import EvalReport
from engine.messages import register_messages
from engine.models import load_tokenizer, resolve_model
from engine.runs.layout import CONFIG_FILE
from engine.tasks import Task, get_task

MODEL_DIR = "model"
LABELS_FILE = "labels.json"
ADAPTER_FILE = "adapter_config.json"
MAX_BATCH_TEXTS = 10_000

register_messages({
    "inference.no_model_yet": ("This run has no trained model yet: wait until it finishes (or stop it) first.",
                               "这个运行还没有训练好的模型：请等它完成（或先停止它）。"),
    "inference.no_texts": ("Type at least one text to predict.", "请至少输入一条要预测的文本。"),
    "inference.too_many_texts": ("At most {limit:,} texts can be predicted at once; got {count:,}.",
                                 "一次最多预测 {limit:,} 条文本；现在有 {count:,} 条。"),
    "inference.already_full_model": ("This run trained the model's own weights, so its model folder is already a "
                                     "full model.", "这个运行训练的是模型本身的权重，它的模型文件夹已经是完整模型，不需要合并。"),
    "inference.cannot_merge": ("This kind of adapter cannot be merged into the model.", "这种适配器无法合并进模型。"),
    "inference.merge_failed": ("This adapter cannot be merged into the model ({error}); use it as an adapter.",
                               "这个适配器无法合并进模型（{error}）；请直接以适配器的形式使用它。"),
})


class Predictor:
    def __init__(self, task: Task, model: Any, tokenizer: Any, max_length: int, labels: Any):
        self.task, self.model, self.tokenizer = task, model, tokenizer
        self.max_length, self.labels = max_length, labels
        # One call at a time: the app shares predictors between sessions, and a fast tokenizer
        # raises "Already borrowed" when two threads use it at once.
        self._lock = threading.Lock()

    @classmethod
    def from_run(cls, run_dir: str | Path) -> "Predictor":
        run_dir = Path(run_dir)
        model_dir = run_dir / MODEL_DIR
        if not (model_dir / LABELS_FILE).exists():
            raise RunError("inference.no_model_yet")
        cfg = RunConfig.load(run_dir / CONFIG_FILE)
        task = get_task(cfg.task)
        labels = json.loads((model_dir / LABELS_FILE).read_text(encoding="utf-8"))
        if (model_dir / ADAPTER_FILE).exists():
            model = _load_adapter(task, cfg, model_dir, labels)
        else:
            model = task.build_model(str(model_dir), labels)
        return cls(task, model, load_tokenizer(str(model_dir)), cfg.model.max_length, labels)

    @classmethod
    def from_base(cls, spec: str, task_name: str, labels: Any, max_length: int,
                  seed: int = 0) -> "Predictor":
        """The pretrained model before fine-tuning; its task head is untrained (seeded, so repeatable)."""
        import torch

        task = get_task(task_name)
        path = resolve_model(spec).path
        torch.manual_seed(seed)
        return cls(task, task.build_model(path, labels), load_tokenizer(path), max_length, labels)

    def predict(self, items: list[dict[str, Any]] | list[str], settings: Any = None) -> list[dict]:
        """Predictions for inputs given as {role: value} (a plain string fills the task's first input role),
        shaped as the task's output kind says; tasks that write text take engine.generation.GenerationSettings."""
        inputs = [self.as_input(item) for item in items]
        if not inputs:
            raise DataError("inference.no_texts")
        if len(inputs) > MAX_BATCH_TEXTS:
            raise DataError("inference.too_many_texts", limit=MAX_BATCH_TEXTS, count=len(inputs))
        self.task.check_inputs(inputs)
        with self._lock:
            if settings is not None:
                return self.task.generate(self.model, self.tokenizer, inputs, self.labels, self.max_length, settings)
            return self.task.predict(self.model, self.tokenizer, inputs, self.labels, self.max_length)

    def settings_with(self, values: dict[str, Any]) -> Any:
        """The run's own generation settings (what it was evaluated with) with `values` ({name: value}) replaced,
        for tasks that write text."""
        return self.task.run_settings(self.labels).changed(values)

    def stream(self, item: dict[str, Any] | str, settings: Any, stop: threading.Event | None = None) -> Iterator[str]:
        """The text the model writes for one input, piece by piece, with engine.generation.GenerationSettings;
        setting `stop` ends it after the current token."""
        item = self.as_input(item)
        self.task.check_inputs([item])
        yield from self.task.stream(self.model, self.tokenizer, item, self.labels, self.max_length, settings, stop,
                                    self._lock)

    @contextmanager
    def base_model(self, cfg: RunConfig) -> Iterator[Any]:
        """The model before fine-tuning: an adapter run's own model with its adapter switched off (no second
        copy in memory), else the base weights loaded again."""
        if hasattr(self.model, "disable_adapter") and hasattr(self.model, "peft_config"):
            with self.model.disable_adapter():
                yield self.model
            return
        yield self.task.build_model(resolve_model(cfg.model.name_or_path).path, self.labels)

    def as_input(self, item: dict[str, Any] | str) -> dict[str, Any]:
        return item if isinstance(item, dict) else {self.task.input_roles[0].name: str(item)}


def save_labels(model_dir: str | Path, labels: Any) -> None:
    Path(model_dir, LABELS_FILE).write_text(json.dumps(labels, ensure_ascii=False), encoding="utf-8")


def _load_adapter(task: Task, cfg: RunConfig, model_dir: Path, labels: Any) -> Any:
    from peft import PeftModel

    base = task.build_model(resolve_model(cfg.model.name_or_path).path, labels)
    return PeftModel.from_pretrained(base, str(model_dir))


def evaluate_frame(predictor: Predictor, frame: Any, cfg: RunConfig, split: str) -> EvalReport:
    return predictor.task.evaluate(predictor, frame, cfg, split)


def evaluate_run(run_dir: str | Path) -> EvalReport:
    """Re-score a run's model on its held-out split (the split is deterministic, so it is the same one)."""
    from engine.data import load_splits
    from engine.data.uploads import run_uploads

    cfg = RunConfig.load(Path(run_dir) / CONFIG_FILE)
    splits = load_splits(cfg.data, get_task(cfg.task).data_plan(cfg), run_uploads(run_dir)).splits
    split, frame = ("test", splits.test) if len(splits.test) else ("validation", splits.validation)
    report = evaluate_frame(Predictor.from_run(run_dir), frame, cfg, split)
    report.save(run_dir)
    return report


def prediction_table(inputs: list[dict[str, Any]], predictions: list[dict], output_kind: str) -> Any:
    """One row per input, for a table or a CSV: the inputs, then the prediction flattened as its kind says."""
    import pandas as pd

    return pd.DataFrame([{**item, **_flat(prediction, output_kind)} for item, prediction in zip(inputs, predictions)])


# Columns of a predictions table that hold JSON text (a list of spans): a CSV keeps the text, JSON Lines the lists.
JSON_COLUMNS = ("spans",)


def prediction_records(table: Any) -> list[dict[str, Any]]:
    """A predictions table's rows as JSON-ready records, with its JSON columns read back into lists."""
    records = table.to_dict("records")
    for record in records:
        record.update({key: json.loads(record[key]) for key in JSON_COLUMNS if key in record})
    return records


def _flat(prediction: dict, kind: str) -> dict[str, Any]:
    if kind == "label_probs":
        probs = prediction["probs"]
        return {"label": prediction["label"], "confidence": round(max(probs.values()), 4),
                **{f"p({name})": round(p, 4) for name, p in probs.items()}}
    if kind == "number":
        return {"value": round(prediction["value"], 4)}
    if kind == "spans":
        spans = prediction["spans"]
        return {"entities": "; ".join(f"{s['text']} ({s['label']})" for s in spans),
                "spans": json.dumps(spans, ensure_ascii=False)}
    if kind == "answer":
        return {key: prediction[key] for key in ("answer", "score", "start", "end")}
    return {"generated": prediction["text"]}


MERGED_DIR = "merged"


def merge_adapter(run_dir: str | Path) -> Path:
    """Fold a LoRA/IA3 adapter into its base weights and save a plain transformers model folder."""
    run_dir = Path(run_dir)
    if not (run_dir / MODEL_DIR / ADAPTER_FILE).exists():
        raise RunError("inference.already_full_model")
    predictor = Predictor.from_run(run_dir)
    if not hasattr(predictor.model, "merge_and_unload"):
        raise RunError("inference.cannot_merge")
    try:
        merged = predictor.model.merge_and_unload()
    except (AttributeError, ValueError, NotImplementedError) as exc:  # e.g. prompt tuning has nothing to merge
        raise RunError("inference.merge_failed", error=str(exc)) from exc
    target = run_dir / MERGED_DIR
    merged.save_pretrained(str(target))
    predictor.tokenizer.save_pretrained(str(target))
    save_labels(target, predictor.labels)
    return target
