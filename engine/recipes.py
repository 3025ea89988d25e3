"""Defaults adapted to the data: what the studio suggests changing in TrainConfig for a training set's size.

TrainConfig's defaults (3 epochs, evaluate and save once per epoch, a loss point every 5 steps) suit the few
thousand rows most people bring. On a big set they waste hours: 3 epochs of SST-2's 67,349 rows are 12,600
steps, evaluated three times, with the best checkpoint picked from three candidates and 2,500 loss points in
the chart. `suggest_recipe` returns the changes for a set of a given size, each with its reason, so the UI can
show them ("Adapted to your 67,349 training rows: 2 epochs, evaluate every 1,000 steps ...") and apply them.

Only settings still at their default are adapted: a value the user chose is never overridden. The function
is pure (rows and a config in, suggestions out) and the numbers behind it are in bench/README.md (sst2.py).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from engine.config import TrainConfig
from engine.messages import Message, register_messages

# Full fine-tuning of MiniLM on SST-2's 66,978 rows stopped gaining dev accuracy after about 1.2 epochs, i.e. about
# 80,000 examples seen (bench/README.md, sst2.py). Epochs beyond what shows the model that many examples cost
# time and gain nothing, so a big set gets just enough passes for it (fewer than the default 3, never fewer
# than 1): 2 epochs from 40,000 rows, 1 from 80,000. Smaller sets keep the default.
PLATEAU_EXAMPLES = 80_000
STEPS_EVAL_ROWS = 20_000  # from here on, evaluate and save by steps, not once per epoch
EVALS_PER_EPOCH = 4
MAX_LOSS_POINTS = 1000   # above this many loss points the chart is a smear; thin it out ...
LOSS_POINTS = 250        # ... to about this many
NICE_STEPS = (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000)

register_messages({
    "recipe.summary": ("Adapted to your {rows:,} training rows: {changes}.",
                       "已按你的 {rows:,} 行训练数据调整：{changes}。"),
    "recipe.epochs": ("{value:g} epochs", "{value:g} 轮"),
    "recipe.epoch": ("1 epoch", "1 轮"),
    "recipe.eval_steps": ("evaluate and save every {value:,} steps", "每 {value:,} 步评估并保存一次"),
    "recipe.logging_steps": ("a loss point every {value:,} steps", "每 {value:,} 步记录一次损失"),
    "recipe.why_epochs": ("With {rows:,} rows one epoch already shows the model {rows:,} examples. On SST-2's "
                          "67,000 rows the dev accuracy stopped rising after about 1.2 epochs, so training {label} "
                          "instead of {default:g} takes {saved:.0%} less time.",
                          "有 {rows:,} 行数据时，一轮就已让模型看到 {rows:,} 个样本。在 SST-2 的 67,000 行上，"
                          "开发集准确率在约 1.2 轮后就不再上升，所以训练 {label}，而不是 {default:g} 轮，用时少 "
                          "{saved:.0%}。"),
    "recipe.why_eval_steps": ("An epoch is {steps:,} steps; evaluating every {value:,} steps gives the chart "
                              "and the best-model choice about {evals} points per epoch instead of 1, and a "
                              "stopped or crashed run keeps a checkpoint at most {value:,} steps old.",
                              "一轮有 {steps:,} 步；每 {value:,} 步评估一次，图表和最佳模型的选择每轮约有 "
                              "{evals} 个点而不是 1 个，停止或崩溃的运行最多只丢失 {value:,} 步。"),
    "recipe.why_logging_steps": ("{total:,} steps logged every {default} steps would put {points:,} points in "
                                 "the loss chart; every {value:,} steps keeps it readable.",
                                 "{total:,} 步若每 {default} 步记录一次，损失图会有 {points:,} 个点；每 "
                                 "{value:,} 步记录一次更清晰。"),
})


@dataclass(frozen=True)
class Suggestion:
    """Set TrainConfig.`field` to `value`, because `reason`; `label` is the few words of the summary line
    (several suggestions may share one label, e.g. eval and save steps; it is shown once)."""

    field: str
    value: Any
    reason: Message
    label: Message


@dataclass(frozen=True)
class Recipe:
    rows: int
    suggestions: tuple[Suggestion, ...]

    def changes(self) -> dict[str, Any]:
        return {s.field: s.value for s in self.suggestions}

    def apply(self, train: TrainConfig) -> TrainConfig:
        """The config with the suggestions applied (validated like any TrainConfig)."""
        return dataclasses.replace(train, **self.changes())

    def summary(self) -> Message | None:
        """One sentence for the UI, or None when nothing changes."""
        labels: list[Message] = []
        for s in self.suggestions:
            if s.label not in labels:
                labels.append(s.label)
        return Message("recipe.summary", {"rows": self.rows, "changes": labels}) if labels else None

    def reasons(self) -> list[Message]:
        """Each distinct reason once, in the order of the suggestions."""
        seen: list[Message] = []
        for s in self.suggestions:
            if s.reason not in seen:
                seen.append(s.reason)
        return seen


def suggest_recipe(train_rows: int, current: TrainConfig | None = None, world_size: int = 1) -> Recipe:
    """What to change in `current` (the defaults when omitted) for a training split of `train_rows` rows
    trained on `world_size` devices. Settings the user has changed from their default are left alone."""
    current = current or TrainConfig()
    defaults = TrainConfig()
    untouched = {f.name for f in dataclasses.fields(TrainConfig)
                 if getattr(current, f.name) == getattr(defaults, f.name)}
    suggestions = [*_epochs(train_rows, current, untouched)]
    steps_per_epoch = _steps_per_epoch(train_rows, current, world_size)
    epochs = dict((s.field, s.value) for s in suggestions).get("num_train_epochs", current.num_train_epochs)
    suggestions += _eval_cadence(train_rows, steps_per_epoch, untouched)
    suggestions += _logging(steps_per_epoch, epochs, current, untouched)
    return Recipe(train_rows, tuple(s for s in suggestions if getattr(current, s.field) != s.value))


def _epochs(rows: int, current: TrainConfig, untouched: set[str]) -> list[Suggestion]:
    if "num_train_epochs" not in untouched or current.max_steps > 0 or rows <= 0:
        return []
    default = current.num_train_epochs
    value = float(min(default, max(1, math.ceil(PLATEAU_EXAMPLES / rows))))
    if value >= default:
        return []
    label = Message("recipe.epoch") if value == 1 else Message("recipe.epochs", {"value": value})
    reason = Message("recipe.why_epochs", {"rows": rows, "label": label, "default": default,
                                           "saved": 1 - value / default})
    return [Suggestion("num_train_epochs", value, reason, label)]


def _eval_cadence(rows: int, steps_per_epoch: int, untouched: set[str]) -> list[Suggestion]:
    """Evaluate and save together (the best model at the end needs both on the same steps)."""
    fields = {"eval_strategy", "save_strategy", "eval_steps", "save_steps"}
    if rows < STEPS_EVAL_ROWS or not fields <= untouched:
        return []
    every = nice_steps(steps_per_epoch / EVALS_PER_EPOCH)
    if every >= steps_per_epoch:
        return []
    reason = Message("recipe.why_eval_steps", {"steps": steps_per_epoch, "value": every,
                                               "evals": steps_per_epoch // every})
    label = Message("recipe.eval_steps", {"value": every})
    return [Suggestion(name, value, reason, label) for name, value in
            (("eval_strategy", "steps"), ("eval_steps", every), ("save_strategy", "steps"), ("save_steps", every))]


def _logging(steps_per_epoch: int, epochs: float, current: TrainConfig, untouched: set[str]) -> list[Suggestion]:
    total = current.max_steps if current.max_steps > 0 else math.ceil(steps_per_epoch * epochs)
    if "logging_steps" not in untouched or total / current.logging_steps <= MAX_LOSS_POINTS:
        return []
    every = nice_steps(total / LOSS_POINTS)
    reason = Message("recipe.why_logging_steps", {"total": total, "default": current.logging_steps,
                                                  "points": total // current.logging_steps, "value": every})
    return [Suggestion("logging_steps", every, reason, Message("recipe.logging_steps", {"value": every}))]


def _steps_per_epoch(rows: int, train: TrainConfig, world_size: int) -> int:
    batch = train.train_batch_size * train.gradient_accumulation_steps * max(1, world_size)
    return max(1, math.ceil(rows / batch))


def nice_steps(steps: float) -> int:
    """The largest round step count (10, 20, 25, 50, 100, 200, 250, 500 ...) not above `steps`; at least 1, and
    a plain whole number below 10."""
    if steps < NICE_STEPS[0]:
        return max(1, int(steps))
    return max(n for n in NICE_STEPS if n <= steps)
