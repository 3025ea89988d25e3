"""Typed run configuration: a form becomes a RunConfig, a RunConfig becomes a run.

Every field carries `metadata={"help": ...}`, which feeds the CLI and the form tooltips.
Validation happens in `__post_init__` and raises ConfigError naming the field and the fix.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from engine.errors import ConfigError

SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup")
STRATEGIES = ("no", "steps", "epoch")
PADDINGS = ("dynamic", "max_length")
PRECISIONS = ("fp32", "fp16", "bf16")
DEVICES = ("auto", "cpu", "cuda", "mps")
OPTIMIZERS = ("adamw_torch", "adamw_torch_fused", "adafactor", "sgd")
METHODS = ("full", "lora", "ia3", "prompt_tuning", "head_only", "top_layers")
LORA_BIASES = ("none", "all", "lora_only")


def _help(text: str, **kw: Any) -> Any:
    return field(metadata={"help": text}, **kw)


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        raise ConfigError(name, f"must be a number, got {value!r}.")
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {value}.")


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(name, f"unknown value {value!r}; choose one of: {', '.join(choices)}.")


@dataclass
class DataConfig:
    train_file: str = _help("Training data: a file path (CSV, TSV, JSON, JSONL, Parquet, Excel) or demo:NAME.",
                            default="demo:reviews_en")
    validation_file: str = _help("Optional separate validation file; empty means split it from the training data.",
                                 default="")
    test_file: str = _help("Optional separate test file; empty means split it from the training data.", default="")
    text_column: str = _help("Column holding the input text.", default="text")
    label_column: str = _help("Column holding the label (strings or integers).", default="label")
    validation_ratio: float = _help("Share of rows held out for validation when no validation file is given.",
                                    default=0.1)
    test_ratio: float = _help("Share of rows held out for the final test when no test file is given.", default=0.1)
    split_seed: int = _help("Seed of the random split, so the same data always splits the same way.", default=42)
    stratify: bool = _help("Keep each label's share the same in every split.", default=True)
    drop_empty: bool = _help("Drop rows whose text or label is empty.", default=True)
    drop_duplicates: bool = _help("Drop rows whose text appears earlier in the data.", default=True)

    def __post_init__(self) -> None:
        if not self.train_file:
            raise ConfigError("data.train_file", "choose a training file or the demo dataset.")
        _check_range("data.validation_ratio", self.validation_ratio, 0.0, 0.5)
        _check_range("data.test_ratio", self.test_ratio, 0.0, 0.5)
        if not self.validation_file and self.validation_ratio == 0:
            raise ConfigError("data.validation_ratio", "is 0 and no validation file is given; "
                                                       "set a ratio above 0 or add a validation file.")
        if not self.text_column or not self.label_column:
            raise ConfigError("data.text_column", "map both the text and the label column.")
        if self.text_column == self.label_column:
            raise ConfigError("data.label_column", "must differ from the text column.")


@dataclass
class ModelConfig:
    name_or_path: str = _help("packaged:NAME, a local folder, or a Hugging Face Hub id (needs internet).",
                              default="packaged:all-MiniLM-L6-v2")
    max_length: int = _help("Longest input in tokens; longer texts are cut.", default=128)

    def __post_init__(self) -> None:
        if not self.name_or_path.strip():
            raise ConfigError("model.name_or_path", "choose a model.")
        _check_range("model.max_length", self.max_length, 8, 8192)


@dataclass
class MethodConfig:
    kind: str = _help("How to fine-tune: full, lora, ia3, prompt_tuning, head_only, top_layers.", default="full")
    lora_r: int = _help("LoRA rank: size of the low-rank update matrices.", default=8)
    lora_alpha: int = _help("LoRA alpha: scale of the update (effective scale alpha/r).", default=16)
    lora_dropout: float = _help("Dropout on the LoRA input.", default=0.1)
    lora_bias: str = _help("Which biases LoRA trains: none, all or lora_only.", default="none")
    target_modules: list[str] = _help("Modules to adapt; empty picks them for the architecture.",
                                      default_factory=list)
    modules_to_save: list[str] = _help("Extra modules trained in full and saved with the adapter; "
                                       "empty means the task head (classifier, and the pooler of BERT-style "
                                       "models).", default_factory=list)
    num_virtual_tokens: int = _help("Prompt tuning: number of learned virtual tokens.", default=20)
    prompt_init_text: str = _help("Prompt tuning: text to initialise the virtual tokens from; empty = random.",
                                  default="")
    top_layers: int = _help("top_layers: how many of the last encoder layers to train (with the head).", default=2)

    def __post_init__(self) -> None:
        _check_choice("method.kind", self.kind, METHODS)
        _check_choice("method.lora_bias", self.lora_bias, LORA_BIASES)
        _check_range("method.lora_r", self.lora_r, 1, 512)
        _check_range("method.lora_alpha", self.lora_alpha, 1, 4096)
        _check_range("method.lora_dropout", self.lora_dropout, 0.0, 0.9)
        _check_range("method.num_virtual_tokens", self.num_virtual_tokens, 1, 512)
        _check_range("method.top_layers", self.top_layers, 1, 128)


@dataclass
class TrainConfig:
    num_train_epochs: float = _help("Passes over the training data (ignored when max_steps > 0).", default=3.0)
    max_steps: int = _help("Stop after this many optimizer steps; -1 means use epochs.", default=-1)
    train_batch_size: int = _help("Examples per device per step.", default=16)
    eval_batch_size: int = _help("Examples per device per evaluation step.", default=64)
    learning_rate: float = _help("Peak learning rate.", default=1e-4)
    warmup: float = _help("Warm-up: a ratio of all steps if below 1, else a number of steps.", default=0.1)
    weight_decay: float = _help("AdamW weight decay.", default=0.01)
    lr_scheduler: str = _help("How the learning rate changes after warm-up.", default="linear")
    optim: str = _help("Optimizer.", default="adamw_torch")
    gradient_accumulation_steps: int = _help("Steps whose gradients add up before one update "
                                             "(effective batch = batch size x this).", default=1)
    max_grad_norm: float = _help("Clip gradients to this norm; 0 turns clipping off.", default=1.0)
    label_smoothing: float = _help("Label smoothing factor for the loss.", default=0.0)
    eval_strategy: str = _help("When to evaluate: no, steps or epoch.", default="epoch")
    eval_steps: int = _help("Evaluate every N steps (when eval_strategy is steps).", default=50)
    save_strategy: str = _help("When to save a checkpoint: no, steps or epoch.", default="epoch")
    save_steps: int = _help("Save every N steps (when save_strategy is steps).", default=50)
    save_total_limit: int = _help("Keep at most this many checkpoints (the best is always kept).", default=2)
    logging_steps: int = _help("Log the training loss every N steps.", default=5)
    seed: int = _help("Random seed of training.", default=42)
    full_determinism: bool = _help("Make every operation deterministic (slower).", default=False)
    early_stopping_patience: int = _help("Stop after this many evaluations without improvement; 0 = off.",
                                         default=0)
    early_stopping_threshold: float = _help("Smallest improvement that counts for early stopping.", default=0.0)
    load_best_model_at_end: bool = _help("Keep the best checkpoint (by the chosen metric) as the final model.",
                                         default=True)
    metric_for_best_model: str = _help("Metric that picks the best checkpoint; empty = the task's main metric.",
                                       default="")
    padding: str = _help("dynamic pads each batch to its longest text; max_length pads all to max length.",
                         default="dynamic")
    group_by_length: bool = _help("Batch texts of similar length together (faster with dynamic padding).",
                                  default=True)
    precision: str = _help("Number format of training: fp32, fp16 or bf16 (mixed precision).", default="fp32")
    device: str = _help("Where to train: auto, cpu, cuda or mps.", default="auto")
    gradient_checkpointing: bool = _help("Recompute activations to save memory (slower).", default=False)

    def __post_init__(self) -> None:
        _check_range("train.num_train_epochs", self.num_train_epochs, 0.01, 1000)
        if self.max_steps != -1:
            _check_range("train.max_steps", self.max_steps, 1, 10_000_000)
        _check_range("train.train_batch_size", self.train_batch_size, 1, 4096)
        _check_range("train.eval_batch_size", self.eval_batch_size, 1, 4096)
        _check_range("train.learning_rate", self.learning_rate, 1e-8, 1.0)
        _check_range("train.warmup", self.warmup, 0, 1_000_000)
        _check_range("train.weight_decay", self.weight_decay, 0.0, 1.0)
        _check_range("train.gradient_accumulation_steps", self.gradient_accumulation_steps, 1, 1024)
        _check_range("train.max_grad_norm", self.max_grad_norm, 0.0, 1000.0)
        _check_range("train.label_smoothing", self.label_smoothing, 0.0, 0.5)
        _check_range("train.eval_steps", self.eval_steps, 1, 1_000_000)
        _check_range("train.save_steps", self.save_steps, 1, 1_000_000)
        _check_range("train.save_total_limit", self.save_total_limit, 1, 100)
        _check_range("train.logging_steps", self.logging_steps, 1, 100_000)
        _check_range("train.early_stopping_patience", self.early_stopping_patience, 0, 100)
        _check_range("train.early_stopping_threshold", self.early_stopping_threshold, 0.0, 1.0)
        _check_choice("train.lr_scheduler", self.lr_scheduler, SCHEDULERS)
        _check_choice("train.optim", self.optim, OPTIMIZERS)
        _check_choice("train.eval_strategy", self.eval_strategy, STRATEGIES)
        _check_choice("train.save_strategy", self.save_strategy, STRATEGIES)
        _check_choice("train.padding", self.padding, PADDINGS)
        _check_choice("train.precision", self.precision, PRECISIONS)
        _check_choice("train.device", self.device, DEVICES)
        if self.warmup >= 1 and self.warmup != int(self.warmup):
            raise ConfigError("train.warmup", "above 1 it counts steps, so it must be a whole number.")
        self._check_combinations()

    def _check_combinations(self) -> None:
        needs_eval = self.load_best_model_at_end or self.early_stopping_patience > 0
        if needs_eval and self.eval_strategy == "no":
            raise ConfigError("train.eval_strategy", "is 'no', but the best model and early stopping need "
                                                     "evaluations; choose steps or epoch.")
        if self.load_best_model_at_end and self.save_strategy != self.eval_strategy:
            raise ConfigError("train.save_strategy", "must match the eval strategy when the best model is "
                                                     f"loaded at the end (eval: {self.eval_strategy}).")
        if (self.load_best_model_at_end and self.eval_strategy == "steps"
                and self.save_steps % self.eval_steps != 0):
            raise ConfigError("train.save_steps", "must be a multiple of eval_steps when the best model is "
                                                  "loaded at the end.")
        if self.precision == "fp16" and self.device == "cpu":
            raise ConfigError("train.precision", "fp16 mixed precision needs a GPU; on the CPU choose fp32 "
                                                 "(or bf16 where the CPU supports it).")


@dataclass
class RunConfig:
    task: str = _help("What to train the model for.", default="text_classification")
    name: str = _help("A name for the run, shown in the run list.", default="")
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    method: MethodConfig = field(default_factory=MethodConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> "RunConfig":
        return _build(cls, raw, "")

    @classmethod
    def from_yaml(cls, text: str) -> "RunConfig":
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError("yaml", f"the file is not valid YAML ({exc.__class__.__name__}).") from exc
        if not isinstance(raw, dict):
            raise ConfigError("yaml", "the file must hold a mapping of sections (data, model, method, train).")
        return cls.from_dict(raw)

    @classmethod
    def load(cls, path: str | Path) -> "RunConfig":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("config", f"cannot read {path}: {exc}") from exc
        return cls.from_yaml(text)


def _build(cls: type, raw: dict[str, Any], prefix: str) -> Any:
    """Build a config dataclass from a dict, refusing unknown keys so typos never pass silently."""
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(prefix + unknown[0], f"unknown setting; known ones are: {', '.join(sorted(known))}.")
    kwargs: dict[str, Any] = {}
    for name, value in raw.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(prefix + name, "must be a section of settings.")
            kwargs[name] = _build(hint, value, f"{prefix}{name}.")
        else:
            kwargs[name] = _coerce(prefix + name, hint, value)
    return cls(**kwargs)


def _coerce(name: str, hint: Any, value: Any) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(name, f"must be true or false, got {value!r}.")
        return value
    if hint in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(name, f"must be a number, got {value!r}.")
        if hint is int and value != int(value):
            raise ConfigError(name, f"must be a whole number, got {value}.")
        return hint(value)
    if hint is str:
        return "" if value is None else str(value)
    if getattr(hint, "__origin__", None) is list:
        if not isinstance(value, list):
            raise ConfigError(name, "must be a list.")
        return [str(v) for v in value]
    return value


def field_help(section: type, name: str) -> str:
    """The help text of one config field, for tooltips and the CLI."""
    for f in fields(section):
        if f.name == name:
            return f.metadata.get("help", "")
    raise KeyError(name)
