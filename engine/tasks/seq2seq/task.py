"""Sequence-to-sequence: summarization, headlines, translation, with an encoder-decoder (T5, BART, Marian, mT5, or
the packaged MiniLM2MiniLM warm-started from MiniLM).

The data are (source, target) pairs. Training is Seq2SeqTrainer's, evaluating by generating text
(predict_with_generate) on a sample of the validation split at each evaluation, scored with ROUGE, with sample
generations for three fixed validation sources logged each time; the whole held-out split is generated and
scored at the end, beside the lead-k baseline (scoring.py). The settings the run evaluates with (beams, lengths,
n-gram blocking) are saved in the model's generation config, so the exported model writes as it was scored.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from engine.data.loading import DemoDataset, demo_file, register_demo
from engine.errors import ConfigError, DataError
from engine.evaluation import EvalReport
from engine.generation import GenerationSettings, generate_texts
from engine.messages import Message, register_messages
from engine.tasks.base import ColumnRole, MetricSpec, Task, TaskOption, register_task
from engine.tasks.heads import in_order_evaluation, load_head_model
from engine.tasks.seq2seq.examples import (AUTO_PREFIX, NO_PREFIX, Seq2SeqCollator, TargetRules, decoder_positions,
                                           encode_sources, model_prefix, target_ids)
from engine.tasks.seq2seq.scoring import generated_length, generation_report, metrics_fn

if TYPE_CHECKING:
    import pandas as pd
    from datasets import Dataset

    from engine.config import RunConfig
    from engine.runs.events import EventLog

TASK = "seq2seq"
# What the run generates with when it evaluates (and what its saved model generates with): task options.
EVAL_SETTINGS = ("num_beams", "min_new_tokens", "length_penalty", "no_repeat_ngram_size")
MAX_TARGET_LENGTH = 1024

register_messages({
    "tasks.seq2seq": ("Seq2seq: summarization and translation (text to text)", "序列到序列：摘要与翻译（文本到文本）"),
    "s2s.source_role": ("the text to read (an article, a sentence to translate)", "要读的文本（文章、要翻译的句子）"),
    "s2s.target_role": ("the text to write from it (its summary, headline or translation)",
                        "根据它写出的文本（摘要、标题或译文）"),
    "s2s.option.prefix_label": ("Task prefix", "任务前缀"),
    "s2s.option.prefix": ("Text put before every source. 'auto' uses the model's own (T5: 'summarize: '; none for "
                          "others), 'none' adds nothing; type another for translation, e.g. 'translate English to "
                          "German: ' (with the space).",
                          "加在每条原文前面的文字。第一项（自动）使用模型自己的前缀（T5 系列模型有，其他模型没有），"
                          "第二项表示不加前缀；翻译等任务可以直接填写模型要求的前缀（末尾留一个空格）。"),
    "s2s.option.max_target_length_label": ("Max target length (tokens)", "目标文本最大长度（词元）"),
    "s2s.option.max_target_length": ("Targets are cut to this many tokens for training, and the model writes at most "
                                     "this many when it is evaluated. The Data tab says how many targets it cuts.",
                                     "训练时目标文本截断到这么多词元，评估时模型最多也生成这么多。“数据”页会显示有多少目标文本被截断。"),
    "s2s.option.eval_rows_label": ("Validation rows generated at each evaluation", "每次评估生成的验证集行数"),
    "s2s.option.eval_rows": ("Generating text is slow on a CPU, so each evaluation during training scores the first "
                             "rows of the validation split only; the whole held-out split is scored at the end "
                             "(0: all rows every time).",
                             "在 CPU 上生成文本很慢，所以训练期间每次评估只给验证集的前这么多行打分；训练结束时对整个留出集打分"
                             "（0：每次都用全部行）。"),
    "s2s.option.num_beams_label": ("Beams when evaluating", "评估时的束宽"),
    "s2s.option.min_new_tokens_label": ("Min generated tokens when evaluating", "评估时最少生成词元数"),
    "s2s.option.length_penalty_label": ("Length penalty when evaluating", "评估时的长度惩罚"),
    "s2s.option.no_repeat_ngram_size_label": ("No-repeat n-gram size when evaluating", "评估时禁止重复的词组长度"),
    "s2s.option.lead_sentences_label": ("Lead baseline: sentences copied", "首句基线：照抄的句子数"),
    "s2s.option.lead_sentences": ("The baseline in the report copies this many first sentences of each source (3 for "
                                  "news articles, 1 for a headline).",
                                  "报告中的基线照抄每条原文的前这么多句（新闻文章用 3，标题用 1）。"),
    "s2s.no_pairs": ("The training split has no (source, target) pairs.", "训练集中没有（原文，目标文本）对。"),
    "s2s.lengths": ("Lengths in tokens (median, 95th percentile): sources {source_median} and {source_p95}, targets "
                    "{target_median} and {target_p95}; a target is {ratio:.1f}× shorter than its source on average.",
                    "长度（词元，中位数和第 95 百分位）：原文 {source_median} 和 {source_p95}，目标文本 {target_median} 和 "
                    "{target_p95}；目标文本平均比原文短 {ratio:.1f} 倍。"),
    "s2s.targets_cut": ("{count} of {sampled} sampled targets ({share}) are longer than the max target length of "
                        "{length} tokens and lose their end: the model would learn to stop early. Raise the max "
                        "target length to {suggested}.",
                        "抽样的 {sampled} 条目标文本中有 {count} 条（{share}）超过目标文本最大长度 {length} 个词元，结尾会被截掉："
                        "模型会学着提前结束。请把目标文本最大长度调到 {suggested}。"),
    "s2s.sources_cut": ("{count} of {sampled} sampled sources ({share}) are longer than the max length of {length} "
                        "tokens; the model reads only their beginning.",
                        "抽样的 {sampled} 条原文中有 {count} 条（{share}）超过最大长度 {length} 个词元；模型只读到它们的开头。"),
    "s2s.too_long_to_write": ("is {tokens}, but this model's decoder writes at most {most} tokens; set it to {most} "
                              "or less.", "现在是 {tokens}，但这个模型的解码器最多只能写 {most} 个词元；请设为 {most} 或更小。"),
    "s2s.prefix_used": ("Every source is read after the prefix {prefix!r}.", "每条原文前都会加上前缀 {prefix!r}。"),
    "demo.headlines_en": ("English news items with their headlines, to teach a model to write a headline.",
                          "英文新闻及其标题，用来教模型写标题。"),
    "demo.headlines_zh": ("Chinese news items with their headlines, to teach a model to write a headline.",
                          "中文新闻及其标题，用来教模型写标题。"),
})


def _option(name: str, default: Any, low: float, high: float) -> TaskOption:
    """An evaluation generation setting as a task option, explained as the playground's setting is."""
    return TaskOption(name, default, Message(GenerationSettings.help(name)), low=low, high=high,
                      label=Message(f"s2s.option.{name}_label"))


class Seq2Seq(Task):
    name = TASK
    title = Message("tasks.seq2seq")
    roles = (ColumnRole("source", "source", Message("s2s.source_role")),
             ColumnRole("target", "target", Message("s2s.target_role"), input=False))
    metrics = (MetricSpec("rouge1", live=True), MetricSpec("rouge2", live=True), MetricSpec("rougeL", live=True),
               MetricSpec("rougeLsum"), MetricSpec("gen_len"))
    primary_metric = "rougeL"
    options = (TaskOption("prefix", AUTO_PREFIX, Message("s2s.option.prefix"), label=Message("s2s.option.prefix_label"),
                          suggestions=(AUTO_PREFIX, NO_PREFIX, "summarize: ", "translate English to German: ",
                                       "translate English to French: ")),
               TaskOption("max_target_length", 64, Message("s2s.option.max_target_length"), low=4, high=MAX_TARGET_LENGTH,
                          label=Message("s2s.option.max_target_length_label")),
               TaskOption("eval_rows", 64, Message("s2s.option.eval_rows"), low=0, high=100_000,
                          label=Message("s2s.option.eval_rows_label")),
               _option("num_beams", 2, 1, 8), _option("min_new_tokens", 0, 0, 1024),
               _option("length_penalty", 1.0, 0.0, 3.0), _option("no_repeat_ngram_size", 3, 0, 10),
               TaskOption("lead_sentences", 3, Message("s2s.option.lead_sentences"), low=1, high=20,
                          label=Message("s2s.option.lead_sentences_label")))
    output_kind = "text"
    peft_task_type = "SEQ_2_SEQ_LM"
    model_kinds = ("encoder-decoder", "composite")
    generation_settings = ("num_beams", "max_new_tokens", "min_new_tokens", "length_penalty", "no_repeat_ngram_size",
                           "repetition_penalty")

    # -- the data -----------------------------------------------------------------------------------------------
    def pairs(self, frame: "pd.DataFrame", cfg: "RunConfig") -> tuple[list[str], list[str]]:
        return (frame[self.role("source").column(cfg)].astype(str).tolist(),
                frame[self.role("target").column(cfg)].astype(str).tolist())

    def data_plan(self, cfg: "RunConfig") -> Any:
        """A row repeats an earlier one only when its target repeats too: two references for one source (two
        translations of a sentence) are two examples."""
        from dataclasses import replace

        return replace(super().data_plan(cfg), duplicate_roles=("source", "target"))

    def label_space(self, train: "pd.DataFrame", cfg: "RunConfig") -> dict[str, Any]:
        """What the model needs to read and write as it was trained, saved with it: the source prefix, how targets
        are cut, and the generation settings it was evaluated with."""
        from transformers import AutoConfig

        from engine.models import resolve_model

        if not len(train):
            raise DataError("s2s.no_pairs")
        config = AutoConfig.from_pretrained(resolve_model(cfg.model.name_or_path).path)
        prefix = self.option(cfg, "prefix")
        length = self.option(cfg, "max_target_length")
        _check_writable(config, length, "options.max_target_length")
        settings = self.default_settings(cfg)
        return {"prefix": model_prefix(config) if prefix == AUTO_PREFIX else "" if prefix == NO_PREFIX else prefix,
                "decoder_start": getattr(config, "decoder_start_token_id", None), "max_target_length": length,
                "generation": {name: getattr(settings, name) for name in (*EVAL_SETTINGS, "max_new_tokens")}}

    def check_split(self, frame: "pd.DataFrame", cfg: "RunConfig", labels: dict[str, Any]) -> None:
        """Any pair can be scored."""

    def checked_labels(self, splits: Any, cfg: "RunConfig") -> dict[str, Any]:
        """The label space, with the prefix the sources are read after named in the data notes (the run log)."""
        labels = super().checked_labels(splits, cfg)
        if labels["prefix"]:
            splits.notes.append(Message("s2s.prefix_used", {"prefix": labels["prefix"]}))
        return labels

    def inspect_notes(self, frame: "pd.DataFrame", plan: Any, tokenizer: Any, cfg: "RunConfig",
                      sample_size: int = 500) -> list[Message]:
        """Source and target lengths in tokens, the compression ratio, and how many sources and targets the
        lengths would cut."""
        if tokenizer is None or not all(role.column in frame.columns for role in plan.required):
            return []
        columns = {role.role: role.column for role in plan.roles}
        sample = frame.head(sample_size)
        sources = [len(ids) for ids in tokenizer(sample[columns["source"]].astype(str).tolist())["input_ids"]]
        targets = [len(ids) for ids in target_ids(tokenizer, sample[columns["target"]].astype(str).tolist())]
        if not sources:
            return []
        notes = [Message("s2s.lengths", {
            "source_median": int(np.median(sources)), "source_p95": int(np.percentile(sources, 95)),
            "target_median": int(np.median(targets)), "target_p95": int(np.percentile(targets, 95)),
            "ratio": float(np.mean(sources) / max(np.mean(targets), 1))})]
        notes += _cut_note("s2s.targets_cut", targets, self.option(cfg, "max_target_length"))
        notes += _cut_note("s2s.sources_cut", sources, cfg.model.max_length)
        return notes

    # -- training -----------------------------------------------------------------------------------------------
    def build_model(self, model_path: str, labels: dict[str, Any], weights: bool = True) -> Any:
        from transformers import AutoModelForSeq2SeqLM

        model = load_head_model(AutoModelForSeq2SeqLM, model_path, {}, weights)
        if labels.get("generation"):
            for name, value in self.run_settings(labels).decoding().items():
                setattr(model.generation_config, name, value)
            model.generation_config.max_length = None  # max_new_tokens rules; a default beside it draws a warning
        return model

    def target_rules(self, tokenizer: Any, labels: dict[str, Any]) -> TargetRules:
        return TargetRules(labels.get("decoder_start"), tokenizer.eos_token_id, labels["max_target_length"])

    def preprocess(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig", labels: dict[str, Any]) -> "Dataset":
        from datasets import Dataset

        sources, targets = self.pairs(frame, cfg)
        encoded = encode_sources(tokenizer, sources, labels["prefix"], cfg.model.max_length)
        rules = self.target_rules(tokenizer, labels)
        encoded["labels"] = [rules.ids(row) for row in target_ids(tokenizer, targets)]
        # The target as written, which ROUGE scores against (the Trainer leaves this column out of batches): the
        # labels decoded back would be lowercased, cut and without the words the vocabulary lacks.
        encoded["reference"] = targets
        return Dataset.from_dict(encoded)

    def collator(self, tokenizer: Any, cfg: "RunConfig") -> Callable:
        if cfg.train.padding == "max_length":
            return Seq2SeqCollator(tokenizer, cfg.model.max_length, self.option(cfg, "max_target_length"))
        return Seq2SeqCollator(tokenizer)

    def trainer_class(self) -> type:
        """Seq2SeqTrainer, evaluating its rows in order: compute_metrics pairs them with their written targets."""
        return in_order_evaluation(_generating_trainer())

    def trainer_arguments(self, cfg: "RunConfig") -> tuple[type, dict[str, Any]]:
        """Evaluations generate text (with the generation config build_model set) and score it."""
        from transformers import Seq2SeqTrainingArguments

        return Seq2SeqTrainingArguments, {"predict_with_generate": True}

    def live_validation(self, validation: "pd.DataFrame", cfg: "RunConfig") -> "pd.DataFrame":
        rows = self.option(cfg, "eval_rows")
        return validation.head(rows) if rows else validation

    def metrics_fn(self, labels: dict[str, Any], features: "Dataset",
                   tokenizer: Any = None) -> Callable[[Any], dict[str, float]]:
        return metrics_fn(tokenizer, features["reference"])

    def callbacks(self, validation: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig", labels: dict[str, Any],
                  log: "EventLog") -> list[Any]:
        """What the model writes for the first three validation sources at each evaluation."""
        from engine.samples import SAMPLE_PROMPTS, SampleGenerations

        sources, targets = self.pairs(validation.head(SAMPLE_PROMPTS), cfg)
        ids = encode_sources(tokenizer, sources, labels["prefix"], cfg.model.max_length)["input_ids"]
        return [SampleGenerations(log, sources, ids, targets, self.run_settings(labels))]

    # -- after training -----------------------------------------------------------------------------------------
    def run_settings(self, labels: dict[str, Any]) -> GenerationSettings:
        """What the run evaluates with (saved with its model): its options, greedy or beam search, no repetition
        penalty (the Trainer's generation uses none)."""
        return GenerationSettings.of({**labels.get("generation", {}), "repetition_penalty": 1.0})

    def default_settings(self, cfg: "RunConfig") -> GenerationSettings:
        return GenerationSettings.of({**{name: self.option(cfg, name) for name in EVAL_SETTINGS},
                                      "max_new_tokens": self.option(cfg, "max_target_length"),
                                      "repetition_penalty": 1.0})

    def evaluate(self, predictor: Any, frame: "pd.DataFrame", cfg: "RunConfig", split: str) -> EvalReport:
        """Every held-out source generated with the run's settings (in parts: a test split may be longer than one
        request may be), scored against the lead baseline, with the generated length in the model's tokens."""
        from engine.inference import MAX_BATCH_TEXTS

        inputs = self.inputs(frame, cfg)
        predictions = [prediction for at in range(0, len(inputs), MAX_BATCH_TEXTS)
                       for prediction in predictor.predict(inputs[at:at + MAX_BATCH_TEXTS])]
        report = self.report(frame, predictions, cfg, predictor.labels, split)
        report.metrics["gen_len"] = generated_length(predictor.tokenizer, [p["text"] for p in predictions])
        return report

    def report(self, frame: "pd.DataFrame", predictions: list[dict], cfg: "RunConfig", labels: dict[str, Any],
               split: str) -> EvalReport:
        sources, references = self.pairs(frame, cfg)
        return generation_report(self.name, split, sources, references, [p["text"] for p in predictions],
                                 self.option(cfg, "lead_sentences"))

    def predict(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: dict[str, Any],
                max_length: int, batch_size: int = 8) -> list[dict]:
        """The text the model writes for each source, with the settings the run was evaluated with."""
        return self.generate(model, tokenizer, inputs, labels, max_length, self.run_settings(labels), batch_size)

    def generate(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: dict[str, Any],
                 max_length: int, settings: GenerationSettings, batch_size: int = 8) -> list[dict]:
        _check_writable(model.config, settings.max_new_tokens, "generation.max_new_tokens")
        sources = [str(item.get("source") or "") for item in inputs]
        ids = encode_sources(tokenizer, sources, labels.get("prefix", ""), max_length)["input_ids"]
        return [{"text": text} for text in generate_texts(model, tokenizer, ids, settings, batch_size)]


@functools.cache
def _generating_trainer() -> type:
    """Seq2SeqTrainer, keeping the model's generation config as build_model set it: after each generation the
    Trainer fills the config's unset fields with defaults, and a default max_length beside the run's
    max_new_tokens makes every later generation warn (and would be saved with the model)."""
    from transformers import Seq2SeqTrainer

    class GeneratingTrainer(Seq2SeqTrainer):
        def prediction_step(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().prediction_step(*args, **kwargs)
            finally:
                config = self.model.generation_config
                if config.max_new_tokens is not None:
                    config.max_length = None

    return GeneratingTrainer


def _check_writable(config: Any, tokens: int, field: str) -> None:
    """Refuse writing more tokens than the decoder has positions for (with its start token), which would crash
    the first forward pass with a tensor-size error."""
    positions = decoder_positions(config)
    if positions and tokens + 1 > positions:
        raise ConfigError(field, "s2s.too_long_to_write", tokens=tokens, most=positions - 1)


def _cut_note(code: str, lengths: list[int], limit: int) -> list[Message]:
    """How many of the sampled texts are over `limit` tokens, with the length that keeps 95 % whole (within the
    max target length's range)."""
    count = sum(length > limit for length in lengths)
    if not count:
        return []
    suggested = min(int(np.percentile(lengths, 95)), MAX_TARGET_LENGTH)
    return [Message(code, {"count": count, "sampled": len(lengths), "share": f"{count / len(lengths):.0%}",
                           "length": limit, "suggested": suggested})]


register_task(Seq2Seq())
register_demo(DemoDataset("headlines_en", demo_file("headlines_en.csv"), "en", Message("demo.headlines_en"), TASK))
register_demo(DemoDataset("headlines_zh", demo_file("headlines_zh.csv"), "zh", Message("demo.headlines_zh"), TASK))
