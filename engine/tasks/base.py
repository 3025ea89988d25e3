"""The Task contract and its registry.

A task module declares everything that is task-specific, and nothing else in the codebase knows it:
- its column roles, each with a kind (engine.data.kinds), which drive the Data tab's dropdowns, cleaning,
  inspection and validation, and an optional reader for its native file formats;
- its label space and the checks of held-out splits, its preprocessing and collator;
- its model head, the PEFT task type (which also keeps the head trainable beside an adapter), its Trainer;
- compute_metrics (with the evaluation features at hand), which metrics the live chart draws and whether
  higher is better for each;
- its evaluation report (metrics plus named tables and figures, engine.evaluation);
- its playground: the input roles a person fills and the output kind of its predictions, which the UI
  renders with one view per kind; a task that writes text also names the generation settings it offers, their
  defaults for a run, and generates or streams with the settings a person chose;
- what its Trainer needs beyond the config: its TrainingArguments class and arguments (seq2seq generates when it
  evaluates) and the validation rows scored during training (a sample, when scoring means generating);
- its demo datasets (registered beside it with engine.data.register_demo).
The runner, the event log, the store, the CLI, the API and the tabs speak only this contract. Every module in
engine/tasks is imported by the registry, which refuses a second task with a taken name; modules named in
TUNEBENCH_TASKS (comma-separated import paths) are imported too, so a task can live outside the package.
"""
from __future__ import annotations

import importlib
import os
import pkgutil
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from engine.config import NO_COLUMN
from engine.errors import ConfigError, DataError, ModelError, RunError
from engine.messages import Message, register_messages

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd
    from datasets import Dataset

    from engine.config import RunConfig
    from engine.data import DataPlan, LoadedTable, ReadOptions, Splits
    from engine.evaluation import EvalReport

PLUGINS_ENV = "TUNEBENCH_TASKS"
# What a prediction is, for the views that show it: label probabilities {label, probs}, highlighted spans
# {text, spans: [{start, end, label, text}]}, an answer inside a context {answer, start, end, score, context},
# generated text {text}, a number {value}.
OUTPUT_KINDS = ("label_probs", "spans", "answer", "text", "number")

register_messages({
    "tasks.unknown_metric": ("{task} reports no metric {metric!r}; choose one of: {known}.",
                             "“{task}”任务没有指标 {metric!r}；可选：{known}。"),
    "tasks.unknown": ("unknown task {name!r}; known tasks are: {known}.", "未知的任务 {name!r}；已有的任务：{known}。"),
    "tasks.unknown_option": ("{task} has no such option; its options are: {known}.",
                             "“{task}”任务没有这个选项；它的选项有：{known}。"),
    "tasks.unknown_role": ("{task} has no column role {role!r}; its roles are: {known}.",
                           "“{task}”任务没有名为 {role!r} 的列角色；它的角色有：{known}。"),
    "tasks.no_input": ("Type {role} first.", "请先输入{role}。"),
    "tasks.wrong_model_kind": ("{task} needs {needed} model, and this one is {kind} ({architecture}). {hint}",
                               "“{task}”任务需要{needed}模型，而这个模型是{kind}（{architecture}）。{hint}"),
    "tasks.kind_encoder": ("an encoder (a reader such as BERT)", "编码器（如 BERT 这样的阅读型模型）"),
    "tasks.kind_decoder": ("a decoder (a writer such as SmolLM2 or GPT-2)", "解码器（如 SmolLM2、GPT-2 这样的生成型模型）"),
    "tasks.kind_encoder-decoder": ("an encoder-decoder (such as T5 or BART)", "编码器-解码器（如 T5、BART）"),
    "tasks.kind_composite": ("an encoder-decoder made of two models, which can only write text",
                             "由两个模型拼成的编码器-解码器，只能生成文本"),
    "tasks.kind_hint_decoder": ("Choose a model that writes text: the packaged SmolLM2-135M-Instruct, or a causal LM "
                                "from the Hub.", "请选择能生成文本的模型：内置的 SmolLM2-135M-Instruct，或 Hugging Face 上的因果语言模型。"),
    "tasks.kind_hint_encoder-decoder": ("Choose a model that reads a text and writes another: the packaged "
                                        "MiniLM2MiniLM, or a T5, BART, Marian or mT5 model from the Hub.",
                                        "请选择能读入文本再写出文本的模型：内置的 MiniLM2MiniLM，或 Hugging Face 上的 T5、"
                                        "BART、Marian、mT5 模型。"),
    "tasks.kind_hint_other": ("Choose another model on the Model tab.", "请在“模型”页选择其他模型。"),
    "tasks.no_stream": ("{task} does not write text: it takes no generation settings and streams nothing.",
                        "“{task}”任务不生成文本：它没有生成设置，也不能流式输出。"),
})


@dataclass(frozen=True)
class ColumnRole:
    """A column the task needs, mapped by the user to one of their file's columns (DataConfig.columns)."""

    name: str                # the key in DataConfig.columns: text, label, tokens, tags, question...
    kind: str                # how the column is read, checked and shown: engine.data.kinds
    description: Message     # what the column holds, for the Data tab's dropdown
    input: bool = True       # the model reads it; False for what the model learns to predict
    optional: bool = False   # a file may lack it (a chat's system prompt); unless the user maps it, it is left out

    def column(self, cfg: "RunConfig") -> str:
        """The user's column for this role; the role's own name when the config maps none (NO_COLUMN, "-", when
        the person left an optional role out: no file has that column)."""
        return cfg.data.columns.get(self.name) or self.name


@dataclass(frozen=True)
class TaskOption:
    """A setting of the task itself (RunConfig.options), with its default, help and allowed values; the form
    shows it beside the other settings and check_config refuses what it does not allow."""

    name: str
    default: bool | int | float | str
    help: Message
    low: float | None = None       # numbers: the allowed range
    high: float | None = None
    choices: tuple[str, ...] = ()  # text: the allowed values
    suggestions: tuple[str, ...] = ()   # text: values the form offers, any other text allowed too
    label: Message | None = None   # its name on the form (the option's own name when absent)

    def check(self, value: Any) -> Any:
        """`value` as this option's type, or a ConfigError naming the option."""
        from engine.config import check_choice, check_range, coerce  # the config's own rules, not a copy

        field = f"options.{self.name}"
        value = coerce(field, type(self.default), value)
        if self.choices:
            check_choice(field, value, self.choices)
        elif self.low is not None and self.high is not None:
            check_range(field, value, self.low, self.high)
        return value


@dataclass(frozen=True)
class MetricSpec:
    """A metric compute_metrics reports (without the eval_ prefix)."""

    name: str
    higher_is_better: bool = True
    live: bool = False        # drawn on the Train tab's chart at each evaluation


class Task(ABC):
    """One fine-tuning task. Subclasses are stateless; the label space travels as an argument."""

    name: str
    title: Message
    roles: tuple[ColumnRole, ...]
    metrics: tuple[MetricSpec, ...]
    primary_metric: str           # picks the best checkpoint unless the config names another
    options: tuple[TaskOption, ...] = ()
    output_kind: str              # one of OUTPUT_KINDS
    peft_task_type: str           # a peft.TaskType name: SEQ_CLS, TOKEN_CLS, QUESTION_ANS, CAUSAL_LM, SEQ_2_SEQ_LM
    # engine.models.MODEL_KINDS it can train: heads for classification, tags and spans exist for all three kinds of
    # single model (not for a composite of two, which only writes text)
    model_kinds: tuple[str, ...] = ("encoder", "decoder", "encoder-decoder")
    default_method: str = "full"  # the method the form starts with for this task (LoRA for a 135M-parameter writer)
    chat: bool = False            # the playground talks with it turn by turn (its output kind is text)
    # The engine.generation.GenerationSettings its playground offers (tasks that write text), in the form's order.
    generation_settings: tuple[str, ...] = ()

    # -- what the task is -------------------------------------------------------------------------------------
    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.metrics)

    @property
    def live_metrics(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.metrics if spec.live)

    def higher_is_better(self, metric: str) -> bool:
        """Whether a larger value of `metric` is better (any loss is lower-better)."""
        spec = next((s for s in self.metrics if s.name == metric.removeprefix("eval_")), None)
        return spec.higher_is_better if spec else not metric.endswith("loss")

    def role(self, name: str) -> ColumnRole:
        found = next((role for role in self.roles if role.name == name), None)
        if found is None:
            raise ConfigError("data.columns", "tasks.unknown_role", task=self.title, role=name,
                              known=", ".join(r.name for r in self.roles))
        return found

    @property
    def input_roles(self) -> tuple[ColumnRole, ...]:
        return tuple(role for role in self.roles if role.input)

    def data_plan(self, cfg: "RunConfig") -> "DataPlan":
        """How engine.data reads, cleans, splits and inspects this task's data under `cfg`."""
        from engine.data import DataPlan, RoleColumn

        for name in cfg.data.columns:
            self.role(name)  # a column mapped to a role this task does not have is a typo, not a no-op
        labels = [role for role in self.roles if role.kind == "label"]
        # A role the user mapped is required of the file, even an optional one: a typo must not be ignored.
        return DataPlan(roles=tuple(RoleColumn(r.name, r.column(cfg), r.kind, r.input, r.description,
                                               r.optional and cfg.data.columns.get(r.name, NO_COLUMN) == NO_COLUMN)
                                    for r in self.roles),
                        stratify=labels[0].column(cfg) if labels else None, reader=self.read_native,
                        reader_key=self.name)

    def read_native(self, path: "Path", name: str, options: "ReadOptions") -> "LoadedTable | None":
        """The task's own file formats (CoNLL for NER, SQuAD JSON for QA) read into a table of its roles, or None
        to let the general readers read the file. `name` is what messages call the file."""
        return None

    def inspect_notes(self, frame: "pd.DataFrame", plan: "DataPlan", tokenizer: Any,
                      cfg: "RunConfig") -> list[Message]:
        """What only the task can tell about a file on the Data tab (question answering: answers that are not
        where the file says, contexts longer than a window), beside the general inspection. `plan` maps every
        role to a column of `frame` (guessed where the user has not chosen); `tokenizer` may be None."""
        return []

    # -- before training ----------------------------------------------------------------------------------
    def option(self, cfg: "RunConfig", name: str) -> Any:
        """The config's value of one of this task's options, or its default."""
        spec = next(o for o in self.options if o.name == name)
        return spec.check(cfg.options[name]) if name in cfg.options else spec.default

    def check_model(self, kind: str, architecture: str) -> None:
        """Refuse a model of a kind this task cannot train (an encoder cannot write text), before any weight loads."""
        if kind not in self.model_kinds:
            needed = self.model_kinds[0]
            hint = f"tasks.kind_hint_{needed}" if needed in ("decoder", "encoder-decoder") else "tasks.kind_hint_other"
            raise ModelError("tasks.wrong_model_kind", task=self.title, needed=Message(f"tasks.kind_{needed}"),
                             kind=Message(f"tasks.kind_{kind}"), architecture=architecture, hint=Message(hint))

    def check_config(self, cfg: "RunConfig") -> None:
        """Settings only the task can judge, checked before a run starts."""
        self.data_plan(cfg)
        known = {option.name: option for option in self.options}
        for name, value in cfg.options.items():
            if name not in known:
                raise ConfigError(f"options.{name}", "tasks.unknown_option", task=self.title,
                                  known=", ".join(known) or "-")
            known[name].check(value)
        metric = cfg.train.metric_for_best_model
        known = (*self.metric_names, "loss")
        if metric and metric not in known:
            raise ConfigError("train.metric_for_best_model", "tasks.unknown_metric", task=self.title, metric=metric,
                              known=", ".join(known))

    def checked_labels(self, splits: "Splits", cfg: "RunConfig") -> Any:
        """The label space of the training split, with every held-out split checked against it."""
        labels = self.label_space(splits.train, cfg)
        for frame in (splits.validation, splits.test):
            self.check_split(frame, cfg, labels)
        return labels

    @abstractmethod
    def label_space(self, train: "pd.DataFrame", cfg: "RunConfig") -> Any:
        """What the model's outputs mean, learned from the training split and saved with the model (JSON): class
        or tag names, or a number's scale. Raises DataError if the split cannot train."""

    @abstractmethod
    def check_split(self, frame: "pd.DataFrame", cfg: "RunConfig", labels: list[str]) -> None:
        """Raise DataError if a held-out split cannot be scored with this label space (checked before
        training, so a good model is never lost to a bad test file at the end)."""

    # -- training -------------------------------------------------------------------------------------------
    @abstractmethod
    def build_model(self, model_path: str, labels: list[str], weights: bool = True) -> Any:
        """Load the pretrained body with this task's head sized for `labels`; weights=False builds the
        same model on the meta device (shapes only, no memory), for counting parameters."""

    @abstractmethod
    def preprocess(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig",
                   labels: list[str]) -> "Dataset":
        """Rows to tokenized model inputs (with labels when the frame has them)."""

    @abstractmethod
    def collator(self, tokenizer: Any, cfg: "RunConfig") -> Callable:
        """Batches examples, padding as the config asks."""

    def trainer_class(self) -> type:
        """The Trainer that trains this task (Seq2SeqTrainer for generation, say)."""
        from transformers import Trainer

        return Trainer

    def trainer_arguments(self, cfg: "RunConfig") -> tuple[type, dict[str, Any]]:
        """The TrainingArguments class the trainer class takes, and the task's own arguments beside the config's
        (seq2seq: Seq2SeqTrainingArguments, evaluating by generating text)."""
        from transformers import TrainingArguments

        return TrainingArguments, {}

    def live_validation(self, validation: "pd.DataFrame", cfg: "RunConfig") -> "pd.DataFrame":
        """The validation rows scored at each evaluation during training (the whole split is scored at the end,
        by evaluate); a task whose evaluation is slow (generating text) scores a sample."""
        return validation

    @abstractmethod
    def metrics_fn(self, labels: list[str], features: "Dataset",
                   tokenizer: Any = None) -> Callable[[Any], dict[str, float]] | None:
        """compute_metrics for the Trainer; `features` are the preprocessed evaluation rows, in order (QA maps
        logits back to its contexts through their offsets), `tokenizer` the run's (seq2seq decodes the texts it
        generated). None keeps the loss alone (a language model's logits over its vocabulary would fill the
        memory)."""

    def callbacks(self, validation: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig", labels: Any,
                  log: Any) -> list[Any]:
        """Trainer callbacks of the task's own, given the validation split and the run's event log (a language
        model's sample answers at each evaluation)."""
        return []

    # -- after training -------------------------------------------------------------------------------------
    @abstractmethod
    def report(self, frame: "pd.DataFrame", predictions: list[dict], cfg: "RunConfig",
               labels: list[str], split: str) -> "EvalReport":
        """Full evaluation report on a labelled frame and the model's predictions for its inputs."""

    @abstractmethod
    def predict(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: Any, max_length: int,
                batch_size: int = 32) -> list[dict]:
        """Predictions for raw inputs ({role: value} of the input roles), one dict per input, shaped as the
        task's output kind says; `labels` is the label space the model was trained with."""

    def evaluate(self, predictor: Any, frame: "pd.DataFrame", cfg: "RunConfig", split: str) -> "EvalReport":
        """The report on a labelled frame with a loaded engine.inference.Predictor: its predictions scored by
        report(). A task that needs the model itself (a language model's perplexity) overrides it."""
        predictions = predictor.predict(self.inputs(frame, cfg))
        return self.report(frame, predictions, cfg, predictor.labels, split)

    def generate(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: Any, max_length: int,
                 settings: Any) -> list[dict]:
        """Like predict, with the generation settings a person chose (engine.generation.GenerationSettings), for
        tasks whose output kind is text."""
        raise RunError("tasks.no_stream", task=self.title)

    def default_settings(self, cfg: "RunConfig") -> Any:
        """The GenerationSettings the playground starts from for a run with config `cfg` (tasks that write text)."""
        from engine.generation import GenerationSettings

        return GenerationSettings()

    def run_settings(self, labels: Any) -> Any:
        """The GenerationSettings a trained model writes with when none are chosen (tasks that write text)."""
        from engine.generation import GenerationSettings

        return GenerationSettings()

    def stream(self, model: Any, tokenizer: Any, item: dict[str, Any], labels: Any, max_length: int, settings: Any,
               stop: Any = None, lock: Any = None) -> Any:
        """The text a model writes for one input, piece by piece (tasks whose output kind is text); `settings`
        are engine.generation.GenerationSettings, `stop` a threading.Event that ends it early, `lock` the
        predictor's, held while the model works (never across a yield)."""
        raise RunError("tasks.no_stream", task=self.title)

    def inputs(self, frame: "pd.DataFrame", cfg: "RunConfig") -> list[dict[str, Any]]:
        """The rows of a frame as predict() takes them."""
        columns = {role.name: role.column(cfg) for role in self.input_roles}
        return [{name: row[column] for name, column in columns.items()} for _, row in frame.iterrows()]

    def check_inputs(self, inputs: list[dict[str, Any]]) -> None:
        """Refuse inputs that leave a role empty everywhere, naming the role."""
        for role in self.input_roles:
            if not any(str(item.get(role.name) or "").strip() for item in inputs):
                raise DataError("tasks.no_input", role=role.description)


TASKS: dict[str, Task] = {}


def register_task(task: Task) -> Task:
    """Add a task under its name; a second task with the same name is refused: two modules claiming one name
    must not silently replace each other."""
    if task.name in TASKS:
        raise ValueError(f"a task named {task.name!r} is already registered by {type(TASKS[task.name]).__name__}")
    if task.output_kind not in OUTPUT_KINDS:
        raise ValueError(f"task {task.name!r} has an unknown output kind {task.output_kind!r}")
    TASKS[task.name] = task
    return task


def get_task(name: str) -> Task:
    _load_tasks()
    if name not in TASKS:
        raise ConfigError("task", "tasks.unknown", name=name, known=", ".join(sorted(TASKS)))
    return TASKS[name]


def task_names() -> list[str]:
    _load_tasks()
    return sorted(TASKS)


def _load_tasks() -> None:
    """Import every module in engine/tasks and those TUNEBENCH_TASKS names: importing a task module registers
    it, so adding a task is adding a file. Lazy, so `import engine` stays light."""
    import engine.tasks

    names = [module.name for module in pkgutil.iter_modules(engine.tasks.__path__, "engine.tasks.")]
    names += [name.strip() for name in os.environ.get(PLUGINS_ENV, "").split(",") if name.strip()]
    for name in names:
        importlib.import_module(name)
