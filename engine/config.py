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
from engine.messages import register_messages

SCHEDULERS = ("linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup")
STRATEGIES = ("no", "steps", "epoch")
PADDINGS = ("dynamic", "max_length")
PRECISIONS = ("fp32", "fp16", "bf16")
DEVICES = ("auto", "cpu", "cuda", "mps")
OPTIMIZERS = ("adamw_torch", "adamw_torch_fused", "adafactor", "sgd")
METHODS = ("full", "lora", "ia3", "prompt_tuning", "head_only", "top_layers")
LORA_BIASES = ("none", "all", "lora_only")
ENCODINGS = ("", "utf-8", "utf-8-sig", "utf-16", "gb18030", "big5", "shift_jis", "cp1252", "latin-1", "cp1251")
SEPARATORS = ("", ",", ";", "\t", "|")
MAX_SEED = 2**31 - 1

register_messages({
    "config.not_a_number": ("must be a number, got {value!r}.", "必须是数字，现在是 {value!r}。"),
    "config.out_of_range": ("must be between {low} and {high}, got {value}.",
                            "必须在 {low} 到 {high} 之间，现在是 {value}。"),
    "config.unknown_choice": ("unknown value {value!r}; choose one of: {choices}.",
                              "未知的取值 {value!r}；可选：{choices}。"),
    "config.no_train_file": ("choose a training file or the demo dataset.", "请选择训练文件或示例数据集。"),
    "config.no_validation": ("is 0 and no validation file is given; set a ratio above 0 or add a validation file.",
                             "为 0 且没有提供验证文件；请把比例设为大于 0，或添加验证文件。"),
    "config.map_columns": ("map both the text and the label column.", "请同时选择文本列和标签列。"),
    "config.same_columns": ("must differ from the text column.", "不能与文本列相同。"),
    "config.choose_model": ("choose a model.", "请选择模型。"),
    "config.max_steps_zero": ("must be -1 (train for the given epochs) or a positive number of steps.",
                              "必须为 -1（按轮数训练）或正的步数。"),
    "config.warmup_whole": ("above 1 it counts steps, so it must be a whole number.",
                            "大于 1 时表示步数，必须是整数。"),
    "config.eval_needed": ("is 'no', but the best model and early stopping need evaluations; choose steps or epoch.",
                           "为 no，但“最佳模型”和早停都需要评估；请选择 steps 或 epoch。"),
    "config.save_matches_eval": ("must match the eval strategy when the best model is loaded at the end "
                                 "(eval: {eval_strategy}).",
                                 "在结束时加载最佳模型时，必须与评估时机一致（评估：{eval_strategy}）。"),
    "config.save_multiple_of_eval": ("must be a multiple of eval_steps when the best model is loaded at the end.",
                                     "在结束时加载最佳模型时，必须是评估步数的整数倍。"),
    "config.fp16_cpu": ("fp16 mixed precision needs a GPU; on the CPU choose fp32 (or bf16 where the CPU supports it).",
                        "fp16 混合精度需要 GPU；在 CPU 上请选择 fp32（CPU 支持时也可选 bf16）。"),
    "config.bad_yaml": ("the file is not valid YAML ({kind}).", "文件不是有效的 YAML（{kind}）。"),
    "config.yaml_not_mapping": ("the file must hold a mapping of sections (data, model, method, train).",
                                "文件必须是分节的映射（data、model、method、train）。"),
    "config.unreadable": ("cannot read {path}: {reason}", "无法读取 {path}：{reason}"),
    "config.unknown_setting": ("unknown setting; known ones are: {known}.", "未知的设置；已知的设置有：{known}。"),
    "config.not_a_section": ("must be a section of settings.", "必须是一组设置（一个小节）。"),
    "config.not_a_bool": ("must be true or false, got {value!r}.", "必须是 true 或 false，现在是 {value!r}。"),
    "config.not_whole": ("must be a whole number, got {value}.", "必须是整数，现在是 {value}。"),
    "config.not_a_list": ("must be a list.", "必须是列表。"),
})


def _field(en: str, zh: str = "", *, low: float | None = None, high: float | None = None,
           choices: tuple[str, ...] | None = None, **kw: Any) -> Any:
    """A config field with its help (English, Chinese) and its allowed values. The form reads its bounds
    and choices from here, and `_validate` checks them, so the two can never disagree."""
    return field(metadata={"help": en, "help_zh": zh, "low": low, "high": high, "choices": choices}, **kw)


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        raise ConfigError(name, "config.not_a_number", value=value)
    if not low <= value <= high:
        raise ConfigError(name, "config.out_of_range", low=low, high=high, value=value)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(name, "config.unknown_choice", value=value,
                          choices=", ".join(repr(c) if c == "" else c for c in choices))


def _validate(section: Any, prefix: str) -> None:
    """Check every field of a section against the bounds and choices its metadata declares."""
    for f in fields(section):
        meta, value = f.metadata, getattr(section, f.name)
        if meta.get("choices") is not None:
            _check_choice(f"{prefix}.{f.name}", value, meta["choices"])
        elif meta.get("low") is not None:
            _check_range(f"{prefix}.{f.name}", value, meta["low"], meta["high"])


def bounds(section: type, name: str) -> tuple[float | None, float | None]:
    """The (low, high) a numeric field allows, for the form's widgets."""
    meta = _metadata(section, name)
    return meta["low"], meta["high"]


def choices(section: type, name: str) -> tuple[str, ...]:
    """The values a choice field allows, for the form's widgets."""
    return _metadata(section, name)["choices"] or ()


@dataclass
class DataConfig:
    train_file: str = _field("Training data: a file path (CSV, TSV, JSON, JSONL, Parquet, Excel), "
                             "upload:NAME or demo:NAME.", default="demo:reviews_en")
    validation_file: str = _field("Optional separate validation file; empty means split it from the training data.",
                                  default="")
    test_file: str = _field("Optional separate test file; empty means split it from the training data.", default="")
    text_column: str = _field("Column holding the input text.", default="text")
    label_column: str = _field("Column holding the label (strings or integers).", default="label")
    encoding: str = _field("Text encoding of CSV/TSV/JSON files; empty detects it.", default="", choices=ENCODINGS)
    separator: str = _field("Column separator of CSV/TSV/TXT files (, ; \\t |); empty detects it.", default="",
                            choices=SEPARATORS)
    validation_ratio: float = _field("Share of rows held out for validation when no validation file is given.",
                                     default=0.1, low=0.0, high=0.5)
    test_ratio: float = _field("Share of rows held out for the final test when no test file is given.", default=0.1,
                               low=0.0, high=0.5)
    split_seed: int = _field("Seed of the random split, so the same data always splits the same way.", default=42,
                             low=0, high=MAX_SEED)
    stratify: bool = _field("Keep each label's share the same in every split.", default=True)
    drop_empty: bool = _field("Drop rows whose text or label is empty.", default=True)
    drop_duplicates: bool = _field("Drop rows whose text appears earlier in the data.", default=True)
    unescape_html: bool = _field("Turn HTML entities such as &amp; and &#039; in texts into the characters they "
                                 "stand for.", default=False)

    def __post_init__(self) -> None:
        if not self.train_file:
            raise ConfigError("data.train_file", "config.no_train_file")
        _validate(self, "data")
        if not self.validation_file and self.validation_ratio == 0:
            raise ConfigError("data.validation_ratio", "config.no_validation")
        if not self.text_column or not self.label_column:
            raise ConfigError("data.text_column", "config.map_columns")
        if self.text_column == self.label_column:
            raise ConfigError("data.label_column", "config.same_columns")


@dataclass
class ModelConfig:
    name_or_path: str = _field("packaged:NAME, a local folder, or a Hugging Face Hub id (needs internet).",
                               default="packaged:all-MiniLM-L6-v2")
    max_length: int = _field("Longest input in tokens; longer texts are cut.", default=128, low=8, high=8192)

    def __post_init__(self) -> None:
        if not self.name_or_path.strip():
            raise ConfigError("model.name_or_path", "config.choose_model")
        _validate(self, "model")


@dataclass
class MethodConfig:
    kind: str = _field("How to fine-tune: full, lora, ia3, prompt_tuning, head_only, top_layers.", default="full",
                       choices=METHODS)
    lora_r: int = _field("LoRA rank: size of the low-rank update matrices.", default=8, low=1, high=512)
    lora_alpha: int = _field("LoRA alpha: scale of the update (effective scale alpha/r).", default=16, low=1,
                             high=4096)
    lora_dropout: float = _field("Dropout on the LoRA input.", default=0.1, low=0.0, high=0.9)
    lora_bias: str = _field("Which biases LoRA trains: none, all or lora_only.", default="none", choices=LORA_BIASES)
    target_modules: list[str] = _field("Modules to adapt; empty picks them for the architecture.",
                                       default_factory=list)
    modules_to_save: list[str] = _field("Extra modules trained in full and saved with the adapter; "
                                        "empty means the task head (classifier, and the pooler of BERT-style "
                                        "models).", default_factory=list)
    num_virtual_tokens: int = _field("Prompt tuning: number of learned virtual tokens.", default=20, low=1, high=512)
    prompt_init_text: str = _field("Prompt tuning: text to initialise the virtual tokens from; empty = random.",
                                   default="")
    top_layers: int = _field("top_layers: how many of the last encoder layers to train (with the head).", default=2,
                             low=1, high=128)

    def __post_init__(self) -> None:
        _validate(self, "method")


@dataclass
class TrainConfig:
    num_train_epochs: float = _field("Passes over the training data (ignored when max_steps > 0).", default=3.0,
                                     low=0.01, high=1000)
    max_steps: int = _field("Stop after this many optimizer steps; -1 means use epochs.", default=-1, low=-1,
                            high=10_000_000)
    train_batch_size: int = _field("Examples per device per step.", default=16, low=1, high=4096)
    eval_batch_size: int = _field("Examples per device per evaluation step.", default=64, low=1, high=4096)
    learning_rate: float = _field("Peak learning rate.", default=1e-4, low=1e-8, high=1.0)
    warmup: float = _field("Warm-up: a ratio of all steps if below 1, else a number of steps.", default=0.1, low=0,
                           high=1_000_000)
    weight_decay: float = _field("AdamW weight decay.", default=0.01, low=0.0, high=1.0)
    lr_scheduler: str = _field("How the learning rate changes after warm-up.", default="linear", choices=SCHEDULERS)
    optim: str = _field("Optimizer.", default="adamw_torch", choices=OPTIMIZERS)
    gradient_accumulation_steps: int = _field("Steps whose gradients add up before one update "
                                              "(effective batch = batch size x this).", default=1, low=1, high=1024)
    max_grad_norm: float = _field("Clip gradients to this norm; 0 turns clipping off.", default=1.0, low=0.0,
                                  high=1000.0)
    label_smoothing: float = _field("Label smoothing factor for the loss.", default=0.0, low=0.0, high=0.5)
    eval_strategy: str = _field("When to evaluate: no, steps or epoch.", default="epoch", choices=STRATEGIES)
    eval_steps: int = _field("Evaluate every N steps (when eval_strategy is steps).", default=50, low=1,
                             high=1_000_000)
    save_strategy: str = _field("When to save a checkpoint: no, steps or epoch.", default="epoch", choices=STRATEGIES)
    save_steps: int = _field("Save every N steps (when save_strategy is steps).", default=50, low=1, high=1_000_000)
    save_total_limit: int = _field("Keep at most this many checkpoints (the best is always kept).", default=2, low=1,
                                   high=100)
    logging_steps: int = _field("Log the training loss every N steps.", default=5, low=1, high=100_000)
    seed: int = _field("Random seed of training.", default=42, low=0, high=MAX_SEED)
    full_determinism: bool = _field("Make every operation deterministic (slower).", default=False)
    early_stopping_patience: int = _field("Stop after this many evaluations without improvement; 0 = off.",
                                          default=0, low=0, high=100)
    early_stopping_threshold: float = _field("Smallest improvement that counts for early stopping.", default=0.0,
                                             low=0.0, high=1.0)
    load_best_model_at_end: bool = _field("Keep the best checkpoint (by the chosen metric) as the final model.",
                                          default=True)
    metric_for_best_model: str = _field("Metric that picks the best checkpoint; empty = the task's main metric.",
                                        default="")
    padding: str = _field("dynamic pads each batch to its longest text; max_length pads all to max length.",
                          default="dynamic", choices=PADDINGS)
    group_by_length: bool = _field("Batch texts of similar length together (faster with dynamic padding).",
                                   default=True)
    precision: str = _field("Number format of training: fp32, fp16 or bf16 (mixed precision).", default="fp32",
                            choices=PRECISIONS)
    device: str = _field("Where to train: auto, cpu, cuda or mps.", default="auto", choices=DEVICES)
    gradient_checkpointing: bool = _field("Recompute activations to save memory (slower).", default=False)

    def __post_init__(self) -> None:
        _validate(self, "train")
        if self.max_steps == 0:
            raise ConfigError("train.max_steps", "config.max_steps_zero")
        if self.warmup >= 1 and self.warmup != int(self.warmup):
            raise ConfigError("train.warmup", "config.warmup_whole")
        self._check_combinations()

    def _check_combinations(self) -> None:
        needs_eval = self.load_best_model_at_end or self.early_stopping_patience > 0
        if needs_eval and self.eval_strategy == "no":
            raise ConfigError("train.eval_strategy", "config.eval_needed")
        if self.load_best_model_at_end and self.save_strategy != self.eval_strategy:
            raise ConfigError("train.save_strategy", "config.save_matches_eval", eval_strategy=self.eval_strategy)
        if (self.load_best_model_at_end and self.eval_strategy == "steps"
                and self.save_steps % self.eval_steps != 0):
            raise ConfigError("train.save_steps", "config.save_multiple_of_eval")
        if self.precision == "fp16" and self.device == "cpu":
            raise ConfigError("train.precision", "config.fp16_cpu")


@dataclass
class RunConfig:
    task: str = _field("What to train the model for.", default="text_classification")
    name: str = _field("A name for the run, shown in the run list.", default="")
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
            raise ConfigError("yaml", "config.bad_yaml", kind=exc.__class__.__name__) from exc
        if not isinstance(raw, dict):
            raise ConfigError("yaml", "config.yaml_not_mapping")
        return cls.from_dict(raw)

    @classmethod
    def load(cls, path: str | Path) -> "RunConfig":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("config", "config.unreadable", path=path, reason=exc) from exc
        return cls.from_yaml(text)


def _build(cls: type, raw: dict[str, Any], prefix: str) -> Any:
    """Build a config dataclass from a dict, refusing unknown keys so typos never pass silently."""
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(prefix + unknown[0], "config.unknown_setting", known=", ".join(sorted(known)))
    kwargs: dict[str, Any] = {}
    for name, value in raw.items():
        hint = hints[name]
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, dict):
                raise ConfigError(prefix + name, "config.not_a_section")
            kwargs[name] = _build(hint, value, f"{prefix}{name}.")
        else:
            kwargs[name] = _coerce(prefix + name, hint, value)
    return cls(**kwargs)


def _coerce(name: str, hint: Any, value: Any) -> Any:
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(name, "config.not_a_bool", value=value)
        return value
    if hint in (int, float):
        value = _number(name, value)
        if hint is int and value != int(value):
            raise ConfigError(name, "config.not_whole", value=value)
        return hint(value)
    if hint is str:
        return "" if value is None else str(value)
    if getattr(hint, "__origin__", None) is list:
        if not isinstance(value, list):
            raise ConfigError(name, "config.not_a_list")
        return [str(v) for v in value]
    return value


def _number(name: str, value: Any) -> float | int:
    """A number, or a string that spells one: PyYAML reads `2e-5` (no dot before the e) as a string."""
    if isinstance(value, str):
        try:
            parsed = float(value.strip())
        except ValueError:
            raise ConfigError(name, "config.not_a_number", value=value) from None
        return int(parsed) if parsed.is_integer() and "." not in value and "e" not in value.lower() else parsed
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(name, "config.not_a_number", value=value)
    return value


def _metadata(section: type, name: str) -> Any:
    for f in fields(section):
        if f.name == name:
            return f.metadata
    raise KeyError(name)


def field_help(section: type, name: str, lang: str = "en") -> str:
    """The help sentence of one config field, for tooltips and the CLI."""
    meta = _metadata(section, name)
    return (meta.get("help_zh") if lang == "zh" else "") or meta.get("help", "")
