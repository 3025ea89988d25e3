"""The Task contract and its registry.

A task knows the columns it needs, how to turn rows into model inputs, which model head to
load, how to batch, how to score and how to predict. The runner, the CLI and the UI only talk
to this contract, so adding NER, QA, causal LM or seq2seq is adding one module that calls
`register_task()`.
"""
from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from engine.errors import ConfigError
from engine.messages import Message, register_messages

if TYPE_CHECKING:
    import pandas as pd
    from datasets import Dataset

    from engine.config import RunConfig
    from engine.data import Splits
    from engine.evaluation import EvalReport

register_messages({
    "tasks.unknown_metric": ("{task} reports no metric {metric!r}; choose one of: {known}.",
                             "“{task}”任务没有指标 {metric!r}；可选：{known}。"),
    "tasks.unknown": ("unknown task {name!r}; known tasks are: {known}.", "未知的任务 {name!r}；已有的任务：{known}。"),
})


@dataclass(frozen=True)
class ColumnRole:
    """A column the task needs, mapped by the user from their file's columns."""

    name: str          # the DataConfig field that holds the user's column name
    description: Message | str   # a Message renders in the reader's language


class Task(ABC):
    """One fine-tuning task. Subclasses are stateless; labels travel as arguments."""

    name: str
    title: Message | str   # shown to users: a Message renders in the reader's language
    roles: tuple[ColumnRole, ...]
    primary_metric: str   # higher is better; names ending in 'loss' are the exception
    metric_names: tuple[str, ...]   # what compute_metrics reports, besides the loss

    def check_config(self, cfg: "RunConfig") -> None:
        """Settings only the task can judge, checked before a run starts."""
        metric = cfg.train.metric_for_best_model
        known = (*self.metric_names, "loss")
        if metric and metric not in known:
            raise ConfigError("train.metric_for_best_model", "tasks.unknown_metric", task=self.title, metric=metric,
                              known=", ".join(known))

    def checked_labels(self, splits: "Splits", cfg: "RunConfig") -> list[str]:
        """The label space of the training split, with every held-out split checked against it."""
        labels = self.label_space(splits.train, cfg)
        for frame in (splits.validation, splits.test):
            self.check_split(frame, cfg, labels)
        return labels

    @abstractmethod
    def label_space(self, train: "pd.DataFrame", cfg: "RunConfig") -> list[str]:
        """The output vocabulary learned from the training split (raises DataError if unusable)."""

    @abstractmethod
    def build_model(self, model_path: str, labels: list[str], weights: bool = True) -> Any:
        """Load the pretrained body with this task's head sized for `labels`; weights=False builds the
        same model on the meta device (shapes only, no memory), for counting parameters."""

    @abstractmethod
    def preprocess(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig",
                   labels: list[str]) -> "Dataset":
        """Rows to tokenized model inputs (with labels when the frame has them)."""

    @abstractmethod
    def check_split(self, frame: "pd.DataFrame", cfg: "RunConfig", labels: list[str]) -> None:
        """Raise DataError if a held-out split cannot be scored with this label space (checked before
        training, so a good model is never lost to a bad test file at the end)."""

    @abstractmethod
    def collator(self, tokenizer: Any, cfg: "RunConfig") -> Callable:
        """Batches examples, padding as the config asks."""

    @abstractmethod
    def metrics_fn(self, labels: list[str]) -> Callable[[Any], dict[str, float]]:
        """compute_metrics for the Trainer."""

    @abstractmethod
    def report(self, frame: "pd.DataFrame", predictions: list[dict], cfg: "RunConfig",
               labels: list[str], split: str) -> "EvalReport":
        """Full evaluation report on a labelled frame and the model's predictions for it."""

    @abstractmethod
    def predict(self, model: Any, tokenizer: Any, texts: list[str], max_length: int,
                batch_size: int = 32) -> list[dict]:
        """Predictions for raw inputs, one dict per input."""


TASKS: dict[str, Task] = {}


def register_task(task: Task) -> Task:
    """Add a task under its name; a second task with the same name is refused: two modules claiming one name
    must not silently replace each other."""
    if task.name in TASKS:
        raise ValueError(f"a task named {task.name!r} is already registered by {type(TASKS[task.name]).__name__}")
    TASKS[task.name] = task
    return task


def get_task(name: str) -> Task:
    _load_builtin_tasks()
    if name not in TASKS:
        raise ConfigError("task", "tasks.unknown", name=name, known=", ".join(sorted(TASKS)))
    return TASKS[name]


def task_names() -> list[str]:
    _load_builtin_tasks()
    return sorted(TASKS)


def _load_builtin_tasks() -> None:
    """Import every module in engine/tasks: importing a task module registers it, so adding a task is adding a
    file. Lazy, so `import engine` stays light."""
    import engine.tasks

    for module in pkgutil.iter_modules(engine.tasks.__path__, "engine.tasks."):
        importlib.import_module(module.name)
