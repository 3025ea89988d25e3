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
    "config.map_columns": ("choose the column that holds this role.", "请选择存放这个角色的列。"),
    "config.same_columns": ("column '{column}' is chosen for two roles; each role needs its own column.",
                            "列“{column}”被选给了两个角色；每个角色需要自己的列。"),
    "config.choose_model": ("choose a model.", "请选择模型。"),
    "config.max_steps_zero": ("must be -1 (train for the given epochs) or a positive number of steps.",
                              "必须为 -1（按轮数训练）或正的步数。"),
    "config.warmup_whole": ("above 1 it counts steps, so it must be a whole number.",
                            "大于 1 时表示步数，必须是整数。"),
    "config.eval_needed": ("is 'no', but the best model and early stopping need evaluations; choose steps or epoch.",
                           "为“不进行”，但“最佳模型”和早停都需要评估；请选择“按步数”或“每轮”。"),
    "config.save_matches_eval": ("must match the eval strategy when the best model is loaded at the end "
                                 "(eval: {eval_strategy}).",
                                 "在结束时加载最佳模型时，必须与评估时机一致（评估：{eval_strategy}）。"),
    "config.save_multiple_of_eval": ("must be a multiple of eval_steps when the best model is loaded at the end.",
                                     "在结束时加载最佳模型时，必须是评估步数的整数倍。"),
    "config.fp16_cpu": ("fp16 mixed precision needs a GPU; on the CPU choose fp32 (or bf16 where the CPU supports it).",
                        "16 位浮点混合精度需要 GPU；在 CPU 上请选择 32 位浮点（CPU 支持时也可选 16 位脑浮点）。"),
    "config.bad_yaml": ("the file is not valid YAML ({kind}).", "文件不是有效的 YAML（{kind}）。"),
    "config.yaml_not_mapping": ("the file must hold a mapping of sections (data, model, method, train).",
                                "文件必须是分节的映射（data、model、method、train）。"),
    "config.unreadable": ("cannot read {path}: {reason}", "无法读取 {path}：{reason}"),
    "config.unknown_setting": ("unknown setting; known ones are: {known}.", "未知的设置；已知的设置有：{known}。"),
    "config.not_a_section": ("must be a section of settings.", "必须是一组设置（一个小节）。"),
    "config.not_a_bool": ("must be true or false, got {value!r}.", "必须是 true 或 false，现在是 {value!r}。"),
    "config.not_whole": ("must be a whole number, got {value}.", "必须是整数，现在是 {value}。"),
    "config.not_a_list": ("must be a list.", "必须是列表。"),
    "config.bad_override": ("'{item}' is not a setting; write section.key=value, e.g. train.learning_rate=2e-5.",
                            "“{item}”不是一个设置；请写成 section.key=value，例如 train.learning_rate=2e-5。"),
})


def _field(en: str, zh: str = "", *, low: float | None = None, high: float | None = None,
           choices: tuple[str, ...] | None = None, **kw: Any) -> Any:
    """A config field with its help (English, Chinese) and its allowed values. The form reads its bounds
    and choices from here, and `_validate` checks them, so the two can never disagree."""
    return field(metadata={"help": en, "help_zh": zh, "low": low, "high": high, "choices": choices}, **kw)


def check_range(name: str, value: float, low: float, high: float) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value):
        raise ConfigError(name, "config.not_a_number", value=value)
    if not low <= value <= high:
        raise ConfigError(name, "config.out_of_range", low=low, high=high, value=value)


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(name, "config.unknown_choice", value=value,
                          choices=", ".join(repr(c) if c == "" else c for c in choices))


def _validate(section: Any, prefix: str) -> None:
    """Check every field of a section against the bounds and choices its metadata declares."""
    for f in fields(section):
        meta, value = f.metadata, getattr(section, f.name)
        if meta.get("choices") is not None:
            check_choice(f"{prefix}.{f.name}", value, meta["choices"])
        elif meta.get("low") is not None:
            check_range(f"{prefix}.{f.name}", value, meta["low"], meta["high"])


def bounds(section: type, name: str) -> tuple[float | None, float | None]:
    """The (low, high) a numeric field allows, for the form's widgets."""
    meta = _metadata(section, name)
    return meta["low"], meta["high"]


def choices(section: type, name: str) -> tuple[str, ...]:
    """The values a choice field allows, for the form's widgets."""
    return _metadata(section, name)["choices"] or ()


# data.columns' value for an optional role the person chose to leave out (a chat's system prompt), even when the
# file has a column of that role's name.
NO_COLUMN = "-"


@dataclass
class DataConfig:
    train_file: str = _field("The data the model learns from: a file (CSV, TSV, JSON, JSONL, Parquet, Excel), "
                             "upload:NAME or demo:NAME; change it to train on your own data.",
                             "模型学习用的数据：一个文件（CSV、TSV、JSON、JSONL、Parquet、Excel）、upload:名称或 "
                             "demo:名称；想用自己的数据训练时修改它。",
                             default="demo:reviews_en")
    validation_file: str = _field("An optional separate file for picking the best checkpoint; leave it empty to "
                                  "split validation rows from the training data.",
                                  "可选的单独验证文件，用来挑选最佳检查点；留空则从训练数据中划出验证行。",
                                  default="")
    test_file: str = _field("An optional separate file for the final score; leave it empty to split test rows from "
                            "the training data.",
                            "可选的单独测试文件，用来给出最终分数；留空则从训练数据中划出测试行。",
                            default="")
    columns: dict[str, str] = _field("Which column of your file holds each of the task's roles (text, label, "
                                     "tokens, tags...); a role left out uses the column named like the role.",
                                     "你的文件中哪一列对应任务的每个角色（文本、标签、词、标注……）；没有写的角色使用与"
                                     "角色同名的列。", default_factory=dict)
    encoding: str = _field("How the file's characters are stored; leave it empty to detect it, and choose one only "
                           "if accented or Chinese characters look wrong.",
                           "文件字符的编码方式；留空则自动检测，只有带重音的字母或中文显示不对时才手动选择。",
                           default="", choices=ENCODINGS)
    separator: str = _field("The character between columns of CSV/TSV/TXT files (, ; \\t |); leave it empty to "
                            "detect it, and choose one only if the columns come out wrong.",
                            "CSV/TSV/TXT 文件中分隔各列的字符（逗号、分号、制表符或竖线）；留空则自动检测，只有列被分错"
                            "时才手动选择。",
                            default="", choices=SEPARATORS)
    validation_ratio: float = _field("The share of rows held out, when no validation file is given, to pick the best "
                                     "checkpoint; raise it for small or unbalanced data so the score is steadier.",
                                     "没有验证文件时留出的行的比例，用来挑选最佳检查点；数据少或类别不均衡时调大它，"
                                     "分数会更稳定。",
                                     default=0.1, low=0.0, high=0.5)
    test_ratio: float = _field("The share of rows held out, when no test file is given, for the final honest score; "
                               "set it to 0 only if you will judge the model some other way.",
                               "没有测试文件时留出的行的比例，用来给出最终的客观分数；只有你另有评估方法时才设为 0。",
                               default=0.1, low=0.0, high=0.5)
    split_seed: int = _field("Seed of the random split, so the same data always splits the same way; change it to "
                             "check that a score does not depend on one lucky split.",
                             "随机划分的种子，相同的数据总是得到相同的划分；改变它可以检查分数是否只是碰巧划分得好。",
                             default=42, low=0, high=MAX_SEED)
    stratify: bool = _field("Keep each label's share the same in every split; turn it off only when a label has too "
                            "few rows to share out.",
                            "让每个标签在各个划分中所占的比例相同；只有某个标签的行太少、无法分配时才关闭。",
                            default=True)
    drop_empty: bool = _field("Drop rows whose text or label is empty; keep it on unless empty texts mean something "
                              "in your data.",
                              "删除文本或标签为空的行；除非空文本在你的数据中有意义，否则保持开启。",
                              default=True)
    drop_duplicates: bool = _field("Drop rows whose text appears earlier in the data, so one text cannot land in "
                                   "both training and test; keep it on.",
                                   "删除文本在前面已出现过的行，避免同一文本同时出现在训练集和测试集中；建议保持开"
                                   "启。",
                                   default=True)
    unescape_html: bool = _field("Turn HTML entities such as &amp; and &#039; in texts into the characters they "
                                 "stand for; turn it on when the texts come from web pages.",
                                 "把文本中的 &amp;、&#039; 等 HTML 实体还原成对应的字符；文本来自网页时开启。",
                                 default=False)

    def __post_init__(self) -> None:
        if not self.train_file:
            raise ConfigError("data.train_file", "config.no_train_file")
        _validate(self, "data")
        if not self.validation_file and self.validation_ratio == 0:
            raise ConfigError("data.validation_ratio", "config.no_validation")
        for role, column in self.columns.items():
            if not column:
                raise ConfigError(f"data.columns.{role}", "config.map_columns")
        chosen = [column for column in self.columns.values() if column != NO_COLUMN]
        repeated = next((column for column in chosen if chosen.count(column) > 1), None)
        if repeated:
            raise ConfigError("data.columns", "config.same_columns", column=repeated)


@dataclass
class ModelConfig:
    name_or_path: str = _field("The pretrained model to start from: packaged:NAME, a local folder, or a Hugging Face "
                               "Hub id (needs internet); pick one made for your data's language.",
                               "作为起点的预训练模型：内置模型（packaged:名称）、本地文件夹或 Hugging Face 模型库中的"
                               "模型名（需联网）；请选适合你数据语言的模型。",
                               default="packaged:all-MiniLM-L6-v2")
    max_length: int = _field("Longest input in tokens; longer texts are cut, so raise it when many texts are longer "
                             "and lower it to train faster.",
                             "输入的最大长度（词元数）；更长的文本会被截断，很多文本更长时调大它，想训练得更快时调小"
                             "它。",
                             default=128, low=8, high=8192)

    def __post_init__(self) -> None:
        if not self.name_or_path.strip():
            raise ConfigError("model.name_or_path", "config.choose_model")
        _validate(self, "model")


@dataclass
class MethodConfig:
    kind: str = _field("How much of the model trains: full (all weights), lora or ia3 (small adapters), "
                       "prompt_tuning, head_only or top_layers; choose an adapter or a frozen body when memory or "
                       "time is short.",
                       "训练模型的哪些部分：全量微调（全部权重）、LoRA 或 IA3（小型适配器）、提示微调、只训练任务头或"
                       "训练顶部几层；显存或时间不够时选择适配器或冻结主体。",
                       default="full", choices=METHODS)
    lora_r: int = _field("LoRA rank: the size of the small update matrices; raise it (16 to 64) if LoRA learns too "
                         "little, lower it to save memory.",
                         "LoRA 秩：低秩更新矩阵的大小；LoRA 学得不够时调大（16 到 64），想省显存时调小。",
                         default=8, low=1, high=512)
    lora_alpha: int = _field("LoRA alpha: how strongly the update counts (its scale is alpha/r); usually keep it at "
                             "about twice the rank.",
                             "LoRA 缩放系数：更新的强度（实际的缩放是它除以秩）；通常保持为秩的两倍左右。",
                             default=16, low=1, high=4096)
    lora_dropout: float = _field("Dropout on the LoRA input; raise it if the model overfits a small dataset.",
                                 "LoRA 输入上随机丢弃的比例；模型在小数据集上过拟合时调大它。",
                                 default=0.1, low=0.0, high=0.9)
    lora_bias: str = _field("Which biases LoRA trains as well (none, all or lora_only); keep none unless you have a "
                            "reason.",
                            "LoRA 同时训练哪些偏置（不训练、全部偏置或仅 LoRA 层的偏置）；没有特别理由时保持“不训练”。",
                            default="none", choices=LORA_BIASES)
    target_modules: list[str] = _field("The layers that get adapters; leave it empty to pick them for the "
                                       "architecture, and set it only for a model whose layers we do not know.",
                                       "加适配器的层；留空则按模型结构自动选择，只有模型结构不在已知范围内时才手动设"
                                       "置。",
                                       default_factory=list)
    modules_to_save: list[str] = _field("Extra modules trained in full and saved with the adapter; empty means the "
                                        "task head (the classifier, and the pooler of BERT-style models).",
                                        "与适配器一起完整训练并保存的额外模块；留空表示任务头（分类器，以及 BERT 类模"
                                        "型的池化层）。",
                                        default_factory=list)
    num_virtual_tokens: int = _field("Prompt tuning: how many learned tokens go before each text; raise it if prompt "
                                     "tuning learns too little.",
                                     "提示微调：放在每条文本前面的可学习词元的数量；提示微调学得不够时调大它。",
                                     default=20, low=1, high=512)
    prompt_init_text: str = _field("Prompt tuning: a text to start the learned tokens from, such as a description of "
                                   "the task; empty starts them at random.",
                                   "提示微调：用来初始化可学习词元的文本，例如对任务的描述；留空则随机初始化。",
                                   default="")
    top_layers: int = _field("top_layers: how many of the last encoder layers train along with the head; raise it "
                             "for accuracy at the cost of memory and time.",
                             "训练顶部几层：与任务头一起训练的最后几层编码器的层数；调大可提高准确率，但更耗显存和时"
                             "间。",
                             default=2, low=1, high=128)

    def __post_init__(self) -> None:
        _validate(self, "method")


@dataclass
class TrainConfig:
    num_train_epochs: float = _field("Passes over the training data (ignored when max steps is above 0); raise it if "
                                     "the validation score still rises at the end, lower it if it falls.",
                                     "遍历训练数据的次数（最大步数大于 0 时忽略）；验证分数在结束时仍在上升就调大，开"
                                     "始下降就调小。",
                                     default=3.0, low=0.01, high=1000)
    max_steps: int = _field("Stop after this many optimizer steps instead of counting epochs; -1 means use epochs, "
                            "and a small number is handy for a quick try.",
                            "训练到这么多优化步后停止，而不是按轮数计算；-1 表示按轮数，设一个小数字便于快速试跑。",
                            default=-1, low=-1, high=10_000_000)
    train_batch_size: int = _field("Examples per device per training step; lower it if memory runs out, raise it for "
                                   "faster training on a GPU.",
                                   "每个设备每个训练步处理的样本数；内存不足时调小，在 GPU 上想训练得更快时调大。",
                                   default=16, low=1, high=4096)
    eval_batch_size: int = _field("Examples per device per evaluation step; lower it only if evaluation runs out of "
                                  "memory.",
                                  "每个设备每个评估步处理的样本数；只有评估时内存不足才需要调小。",
                                  default=64, low=1, high=4096)
    learning_rate: float = _field("Peak learning rate. It sets the size of each update: lower it if the loss jumps "
                                  "or rises, raise it if the loss barely falls.",
                                  "峰值学习率，决定每次更新的幅度：损失跳动或上升时调小，损失几乎不降时调大。",
                                  default=1e-4, low=1e-8, high=1.0)
    warmup: float = _field("Warm-up: the learning rate grows from 0 over this share of all steps (below 1) or this "
                           "many steps; raise it if the loss jumps at the start.",
                           "预热：学习率从 0 开始，在这一比例的总步数内（小于 1 时）或这么多步内逐渐升高；训练开始时"
                           "损失跳动就调大。",
                           default=0.1, low=0, high=1_000_000)
    weight_decay: float = _field("AdamW weight decay pulls the weights towards zero against overfitting; raise it a "
                                 "little (up to 0.1) if the model overfits.",
                                 "AdamW 权重衰减把权重往零拉，用来防止过拟合；模型过拟合时可稍微调大（最多 0.1 左"
                                 "右）。",
                                 default=0.01, low=0.0, high=1.0)
    lr_scheduler: str = _field("How the learning rate changes after warm-up; linear suits most runs, and constant "
                               "keeps it flat.",
                               "预热之后学习率如何变化；“线性衰减”适合大多数情况，“恒定”保持不变。",
                               default="linear", choices=SCHEDULERS)
    optim: str = _field("The optimizer that applies the updates; adamw_torch suits most runs, and adafactor saves "
                        "memory.",
                        "执行参数更新的优化器；AdamW 适合大多数情况，Adafactor 更省内存。",
                        default="adamw_torch", choices=OPTIMIZERS)
    gradient_accumulation_steps: int = _field("Steps whose gradients add up before one update (effective batch = "
                                              "batch size x this); raise it for a larger batch when memory is short.",
                                              "累加多少步的梯度后再更新一次（有效批大小 = 批大小 × 该值）；内存不够又"
                                              "想要更大的批时调大它。",
                                              default=1, low=1, high=1024)
    max_grad_norm: float = _field("Clip gradients to this norm so that one bad batch cannot wreck training; 0 turns "
                                  "clipping off, and 1.0 suits most runs.",
                                  "把梯度裁剪到这个范数，避免一个异常批次破坏训练；0 表示不裁剪，1.0 适合大多数情况。",
                                  default=1.0, low=0.0, high=1000.0)
    label_smoothing: float = _field("Label smoothing teaches the model to be a little less sure; try 0.1 when labels "
                                    "are noisy or the model is overconfident.",
                                    "标签平滑让模型不要过于自信；标签有噪声或模型过于自信时可以试试 0.1。",
                                    default=0.0, low=0.0, high=0.5)
    eval_strategy: str = _field("When to score the validation split: no, every N steps, or every epoch; choose steps "
                                "when epochs are long and you want to see the score sooner.",
                                "何时在验证集上评分：不进行、按步数或每轮；每轮很长、想更早看到分数时选“按步数”。",
                                default="epoch", choices=STRATEGIES)
    eval_steps: int = _field("Evaluate every N steps (when evaluating by steps); lower it to see the score more "
                             "often, at the cost of time.",
                             "按步数评估时，每隔多少步评估一次；调小可以更频繁地看到分数，但更花时间。",
                             default=50, low=1, high=1_000_000)
    save_strategy: str = _field("When to save a checkpoint: no, every N steps, or every epoch; it must match the "
                                "evaluation setting when the best model is kept.",
                                "何时保存检查点：不进行、按步数或每轮；保留最佳模型时必须与评估时机一致。",
                                default="epoch", choices=STRATEGIES)
    save_steps: int = _field("Save every N steps (when saving by steps); lower it to lose less work if training "
                             "stops early.",
                             "按步数保存时，每隔多少步保存一次；调小可以在训练意外中断时少损失进度。",
                             default=50, low=1, high=1_000_000)
    save_total_limit: int = _field("Keep at most this many checkpoints (the best is always kept); raise it to be "
                                   "able to resume from older points.",
                                   "最多保留这么多个检查点（最佳的总会保留）；想从更早的位置继续训练时调大它。",
                                   default=2, low=1, high=100)
    logging_steps: int = _field("Log the training loss every N steps; lower it for a more detailed loss chart.",
                                "每隔多少步记录一次训练损失；调小可以得到更细致的损失曲线。",
                                default=5, low=1, high=100_000)
    seed: int = _field("Random seed of training, so the same settings give the same result; change it to see how "
                       "much a score varies.",
                       "训练的随机种子，相同的设置得到相同的结果；改变它可以看出分数的波动有多大。",
                       default=42, low=0, high=MAX_SEED)
    full_determinism: bool = _field("Make every operation deterministic so that reruns match exactly; it is slower, "
                                    "so turn it on only when you need exact repeats.",
                                    "让每一步运算都是确定的，重跑结果完全一致；它更慢，只有需要完全复现时才开启。",
                                    default=False)
    early_stopping_patience: int = _field("Stop after this many evaluations without improvement (0 = off); set 2 or "
                                          "3 to save time once the score stops rising.",
                                          "连续这么多次评估没有提升就停止（0 = 关闭）；设为 2 或 3 可以在分数不再上升"
                                          "时节省时间。",
                                          default=0, low=0, high=100)
    early_stopping_threshold: float = _field("Smallest improvement that counts for early stopping; raise it to "
                                             "ignore tiny gains.",
                                             "早停时算作提升的最小幅度；调大它可以忽略微小的提升。",
                                             default=0.0, low=0.0, high=1.0)
    load_best_model_at_end: bool = _field("Keep the best checkpoint (by the chosen metric) as the final model "
                                          "instead of the last one; keep it on.",
                                          "以最佳检查点（按所选指标）而不是最后一个作为最终模型；建议保持开启。",
                                          default=True)
    metric_for_best_model: str = _field("Metric that picks the best checkpoint; empty means the task's main metric, "
                                        "and you can choose loss or another metric when it matters more to you.",
                                        "用来挑选最佳检查点的指标；留空表示任务的主要指标，也可以选择损失或你更看重的"
                                        "其他指标。",
                                        default="")
    padding: str = _field("dynamic pads each batch to its longest text, which is faster; max_length pads every text "
                          "to the max length, for steady memory use.",
                          "“动态填充”把每个批次填充到其中最长的文本，速度更快；“填充到最大长度”把所有文本都填充到最"
                          "大长度，内存占用更稳定。",
                          default="dynamic", choices=PADDINGS)
    group_by_length: bool = _field("Batch texts of similar length together, which is faster with dynamic padding; "
                                   "turn it off for a fully random order.",
                                   "把长度相近的文本放进同一批，配合动态填充更快；想要完全随机的顺序时关闭。",
                                   default=True)
    precision: str = _field("Number format of training: fp32, or fp16/bf16 mixed precision, which is faster and uses "
                            "less memory where the hardware supports it.",
                            "训练的数值格式：32 位浮点，或 16 位浮点、16 位脑浮点的混合精度，在硬件支持时更快、更省内存。",
                            default="fp32", choices=PRECISIONS)
    device: str = _field("Where to train: auto picks the GPU when there is one; choose cpu, cuda or mps to decide "
                         "yourself.",
                         "在哪里训练：“自动”在有 GPU 时使用 GPU；也可以自己选择 CPU、CUDA 或 MPS。",
                         default="auto", choices=DEVICES)
    gradient_checkpointing: bool = _field("Recompute activations instead of storing them, which saves memory but "
                                          "takes longer; turn it on when memory runs out.",
                                          "重新计算激活值而不是保存它们，省内存但更慢；内存不够时开启。",
                                          default=False)

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
    task: str = _field("What to train the model for.",
                       "要训练模型完成的任务。",
                       default="text_classification")
    name: str = _field("A name for the run, shown in the run list; leave it empty to name it by its start time.",
                       "运行的名称，显示在运行列表中；留空则以开始时间命名。",
                       default="")
    options: dict[str, Any] = _field("Settings of the task itself (a window's stride, how many answers to weigh...); "
                                     "each task lists its own, and one left out takes the task's default.",
                                     "任务本身的设置（窗口步长、参与比较的答案数……）；每个任务有自己的一组，"
                                     "没写的使用任务的默认值。", default_factory=dict)
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
        return _build(cls, _upgraded(raw), "")

    @classmethod
    def from_yaml(cls, text: str, overrides: list[str] = ()) -> "RunConfig":
        """A config from YAML text, with `section.key=value` overrides applied on top (values read as YAML)."""
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError("yaml", "config.bad_yaml", kind=exc.__class__.__name__) from exc
        if not isinstance(raw, dict):
            raise ConfigError("yaml", "config.yaml_not_mapping")
        for override in overrides:
            _override(raw, override)
        return cls.from_dict(raw)

    @classmethod
    def load(cls, path: str | Path, overrides: list[str] = ()) -> "RunConfig":
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError("config", "config.unreadable", path=path, reason=exc) from exc
        return cls.from_yaml(text, overrides)


# Settings renamed since the first release, so the configs of old runs still load: data.text_column became
# the text role of data.columns, data.label_column its label role.
_RENAMED_COLUMNS = {"text_column": "text", "label_column": "label"}


def _upgraded(raw: dict[str, Any]) -> dict[str, Any]:
    data = raw.get("data")
    if not isinstance(data, dict) or not set(_RENAMED_COLUMNS) & set(data):
        return raw
    data = dict(data)
    columns = dict(data.get("columns") or {})
    for old, role in _RENAMED_COLUMNS.items():
        if old in data:
            columns.setdefault(role, data.pop(old))
    return {**raw, "data": {**data, "columns": columns}}


def _override(raw: dict[str, Any], override: str) -> None:
    """Set `section.key=value` in a raw config; the value is read as YAML (2e-5, true, [query, value]), and the
    key is checked like any other when the config is built, so a typo is refused by name."""
    path, sep, text = override.partition("=")
    keys = [key.strip() for key in path.split(".")]
    if not sep or not all(keys):
        raise ConfigError("set", "config.bad_override", item=override)
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(path, "config.bad_yaml", kind=exc.__class__.__name__) from exc
    target = raw
    for key in keys[:-1]:
        target = target.setdefault(key, {})
        if not isinstance(target, dict):
            raise ConfigError(path, "config.not_a_section")
    target[keys[-1]] = "" if value is None else value


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
            kwargs[name] = coerce(prefix + name, hint, value)
    return cls(**kwargs)


def coerce(name: str, hint: Any, value: Any) -> Any:
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
    if getattr(hint, "__origin__", None) is dict:
        if not isinstance(value, dict):
            raise ConfigError(name, "config.not_a_section")
        if hint.__args__[1] is Any:  # task options: the task checks their types (Task.check_config)
            return {str(k): v for k, v in value.items()}
        return {str(k): "" if v is None else str(v) for k, v in value.items()}
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
