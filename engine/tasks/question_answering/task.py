"""Extractive question answering: the answer to a question is a span of its context.

Data is one row per question: the question, its context, the reference answers and their character offsets
(SQuAD JSON read by squad.py, the Hugging Face `squad` rows, or any table whose columns are mapped). Every
answer is checked at its offset and found by its text when the offset is wrong (answers.py); what was repaired,
what cannot be found and what has no answer is counted in the Data tab and the run log. Contexts longer than the
max length are read in overlapping windows (windows.py), in training, evaluation and prediction alike. Scores
are SQuAD's exact match and F1 (CMRC 2018's for Chinese); a prediction is the answer's span in its context with
its probability and the next best answers.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd

from engine.data.loading import DemoDataset, demo_file, register_demo
from engine.errors import DataError
from engine.evaluation import EvalReport
from engine.messages import Message, register_messages
from engine.tasks.base import ColumnRole, MetricSpec, Task, TaskOption, register_task
from engine.tasks.heads import in_order_evaluation, load_head_model
from engine.tasks.question_answering.answers import MISSING, AnswerCounts, Located, count_answers, locate
from engine.tasks.question_answering.metrics import exact_and_f1
from engine.tasks.question_answering.report import qa_report
from engine.tasks.question_answering.squad import read_squad
from engine.tasks.question_answering.windows import Decoding, make_windows, read_answers, window_scores

if TYPE_CHECKING:
    from pathlib import Path

    from datasets import Dataset

    from engine.config import RunConfig
    from engine.data import DataPlan, LoadedTable, ReadOptions, Splits

TASK = "question_answering"
# Where a window's answer points when the loss must not count it (its answer is not in the context at all):
# question answering heads clamp positions to the sequence length and ignore that index.
IGNORED_POSITION = 1_000_000

register_messages({
    "tasks.question_answering": ("Question answering (extractive)", "问答（抽取式）"),
    "qa.question_role": ("the question", "问题"),
    "qa.context_role": ("the text that holds the answer (the context)", "包含答案的文本（上下文）"),
    "qa.answers_role": ("the answer, copied from the context (a list when there are several; empty when the "
                        "context has none)", "答案，从上下文中原样摘出（有多个时为列表；上下文中没有答案时留空）"),
    "qa.answer_start_role": ("where the answer starts in the context (its character offset)",
                             "答案在上下文中的起始位置（字符偏移）"),
    "qa.option.stride_label": ("Window overlap (tokens)", "窗口重叠（词元数）"),
    "qa.option.stride": ("Tokens that neighbouring windows share when a context is longer than the max length, so "
                         "an answer cut by one window is whole in the next; raise it for long answers.",
                         "上下文超过最大长度时，相邻窗口共享的词元数，让被一个窗口切断的答案在下一个窗口里完整出现；"
                         "答案较长时可以调大。"),
    "qa.option.max_answer_tokens_label": ("Longest answer (tokens)", "最长答案（词元数）"),
    "qa.option.max_answer_tokens": ("The longest answer the model may give, in tokens; raise it when answers are "
                                    "whole sentences.", "模型给出的答案最多多少个词元；答案是整句话时调大。"),
    "qa.option.null_threshold_label": ("No-answer threshold", "无答案阈值"),
    "qa.option.null_threshold": ("Only for data with unanswerable questions: how much more \"no answer\" must "
                                 "score than the best span to win; raise it for fewer empty answers.",
                                 "仅用于含无答案问题的数据：“无答案”的得分要比最佳片段高出多少才会被选中；"
                                 "想少给空答案就调大。"),
    "qa.answers_found": ("{part} data: all {count} answers are at their given offset in their context.",
                         "{part}数据：全部 {count} 个答案都在上下文中给定的位置。"),
    "qa.answers_repaired": ("{part} data: answers that were not at their given offset (or had none) and were found "
                            "by their text: {count}.",
                            "{part}数据：不在给定位置（或没有给出位置）、按答案文本找到的答案：{count} 个。"),
    "qa.answers_missing": ("{part} data: questions whose answers do not occur in their context, left out of "
                           "training and still scored: {count} (rows {rows}).",
                           "{part}数据：答案不在其上下文中的问题，不参与训练但计入评分：{count} 个（第 {rows} 行）。"),
    "qa.unanswerable": ("{part} data: questions with no answer in their context (the model learns to answer them "
                        "with nothing): {count}.",
                        "{part}数据：上下文中没有答案的问题（模型学习对它们不作回答）：{count} 个。"),
    "qa.no_trainable_answers": ("No training question has its answer in its context ({missing} answers cannot be "
                                "found), so there is nothing to learn. Check that the answer column holds text "
                                "copied from the context column.",
                                "没有一个训练问题的答案能在其上下文中找到（{missing} 个答案找不到），无法学习。"
                                "请检查答案列是否是从上下文列中原样摘出的文本。"),
    "qa.long_contexts": ("{long} of {sampled} sampled questions ({share}) need more than one window of {max_length} "
                         "tokens for their question and context; they are read in overlapping windows, which is "
                         "slower. A larger max length reads them in fewer windows.",
                         "抽样的 {sampled} 个问题中有 {long} 个（{share}）的问题加上下文超过一个 {max_length} 词元的"
                         "窗口；它们会被切成重叠的窗口读取，速度较慢。调大最大长度可以减少窗口数。"),
    "qa.part_file": ("The file's", "文件中的"),
    "qa.part_train": ("Training", "训练"),
    "qa.part_validation": ("Validation", "验证"),
    "qa.part_test": ("Test", "测试"),
    "demo.qa_en": ("English paragraphs about everyday places and events, with questions whose answers are spans.",
                   "关于日常地点和事件的英文段落，问题的答案都是段落中的片段。"),
    "demo.qa_zh": ("Chinese paragraphs about everyday places and events, with questions whose answers are spans.",
                   "关于日常地点和事件的中文段落，问题的答案都是段落中的片段。"),
})


class QuestionAnswering(Task):
    name = TASK
    title = Message("tasks.question_answering")
    roles = (ColumnRole("question", "question", Message("qa.question_role")),
             ColumnRole("context", "context", Message("qa.context_role")),
             ColumnRole("answers", "answers", Message("qa.answers_role"), input=False),
             ColumnRole("answer_start", "answer_starts", Message("qa.answer_start_role"), input=False))
    metrics = (MetricSpec("f1", live=True), MetricSpec("exact_match", live=True))
    primary_metric = "f1"
    options = (TaskOption("stride", 128, Message("qa.option.stride"), low=0, high=512,
                          label=Message("qa.option.stride_label")),
               TaskOption("max_answer_tokens", 30, Message("qa.option.max_answer_tokens"), low=1, high=512,
                          label=Message("qa.option.max_answer_tokens_label")),
               TaskOption("null_threshold", 0.0, Message("qa.option.null_threshold"), low=-50.0, high=50.0,
                          label=Message("qa.option.null_threshold_label")))
    output_kind = "answer"
    peft_task_type = "QUESTION_ANS"

    def read_native(self, path: "Path", name: str, options: "ReadOptions") -> "LoadedTable | None":
        return read_squad(path, name, options)

    def data_plan(self, cfg: "RunConfig") -> "DataPlan":
        """Questions about one context stay in one split: a model scored on a context it trained on (with other
        questions) would look better than it is on new documents."""
        from dataclasses import replace

        return replace(super().data_plan(cfg), group=self.role("context").column(cfg))

    # -- the data -----------------------------------------------------------------------------------------------
    def columns(self, frame: "pd.DataFrame", cfg: "RunConfig") -> tuple[list[str], list[str], list, list]:
        """Questions, contexts, reference texts and offsets of a cleaned frame."""
        return tuple(frame[self.role(name).column(cfg)].tolist()  # type: ignore[return-value]
                     for name in ("question", "context", "answers", "answer_start"))

    def located(self, frame: "pd.DataFrame", cfg: "RunConfig") -> list[Located]:
        _, contexts, texts, starts = self.columns(frame, cfg)
        return [locate(context, list(answers), list(offsets))
                for context, answers, offsets in zip(contexts, texts, starts)]

    def counts(self, frame: "pd.DataFrame", cfg: "RunConfig") -> AnswerCounts:
        _, contexts, texts, starts = self.columns(frame, cfg)
        return count_answers(contexts, [list(t) for t in texts], [list(s) for s in starts])

    def label_space(self, train: "pd.DataFrame", cfg: "RunConfig") -> dict[str, Any]:
        """How answers are read from this model's scores: the window stride, the longest answer, and whether "no
        answer" is a possible answer (only when the training data has unanswerable questions)."""
        return self._labels(self.counts(train, cfg), cfg)

    def _labels(self, counts: AnswerCounts, cfg: "RunConfig") -> dict[str, Any]:
        if counts.found + counts.repaired == 0 and counts.unanswerable == 0:
            raise DataError("qa.no_trainable_answers", missing=counts.missing)
        return Decoding(self.option(cfg, "stride"), self.option(cfg, "max_answer_tokens"), counts.unanswerable > 0,
                        self.option(cfg, "null_threshold")).as_dict()

    def check_split(self, frame: "pd.DataFrame", cfg: "RunConfig", labels: dict[str, Any]) -> None:
        """Any question can be scored: scores compare texts, which need no offsets."""

    def checked_labels(self, splits: "Splits", cfg: "RunConfig") -> dict[str, Any]:
        """The label space, with each split's answer check added to the split notes (the run log shows them)."""
        counts = {part: self.counts(getattr(splits, part), cfg) for part in ("train", "validation", "test")
                  if len(getattr(splits, part))}
        for part, found in counts.items():
            splits.notes += answers_notes(found, part)
        return self._labels(counts["train"], cfg)

    def inspect_notes(self, frame: "pd.DataFrame", plan: "DataPlan", tokenizer: Any, cfg: "RunConfig",
                      sample_size: int = 2000) -> list[Message]:
        """The answer check of the whole file, and how many questions need more than one window."""
        from engine.data.kinds import normalise

        if not all(role.column in frame.columns for role in plan.roles):
            return []
        mapped = pd.DataFrame({role.role: normalise(frame[role.column], role.kind)[0] for role in plan.roles})
        mapped = mapped.dropna(subset=["question", "context"])
        notes = answers_notes(count_answers(mapped["context"].tolist(), mapped["answers"].tolist(),
                                            mapped["answer_start"].tolist()), "file")
        if tokenizer is not None and len(mapped):
            notes += long_context_notes(mapped, tokenizer, cfg.model.max_length, sample_size)
        return notes

    # -- training -----------------------------------------------------------------------------------------------
    def build_model(self, model_path: str, labels: dict[str, Any], weights: bool = True) -> Any:
        from transformers import AutoModelForQuestionAnswering

        return load_head_model(AutoModelForQuestionAnswering, model_path, {}, weights)

    def preprocess(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig", labels: dict[str, Any]) -> "Dataset":
        """Windows with the answer's first and last token (CLS when a window lacks it; ignored by the loss when
        the answer is not in the context), and for scoring: each window's question, offsets, context and
        reference answers."""
        from datasets import Dataset

        questions, contexts, texts, _ = self.columns(frame, cfg)
        located = self.located(frame, cfg)
        windows = make_windows(questions, contexts, tokenizer, cfg.model.max_length, Decoding.of(labels).stride,
                               located, pad_to_max=cfg.train.padding == "max_length")
        for index, example in enumerate(windows["example"]):
            if located[example].status == MISSING:
                windows["start_positions"][index] = windows["end_positions"][index] = IGNORED_POSITION
        windows["context"] = [contexts[example] for example in windows["example"]]
        windows["references"] = [list(texts[example]) for example in windows["example"]]
        return Dataset.from_dict(windows)

    def collator(self, tokenizer: Any, cfg: "RunConfig") -> Callable:
        """Pads on the right whatever the tokenizer's habit: answer positions count tokens from the left."""
        from transformers import DataCollatorWithPadding

        tokenizer.padding_side = "right"
        if cfg.train.padding == "max_length":
            return DataCollatorWithPadding(tokenizer, padding="max_length", max_length=cfg.model.max_length)
        return DataCollatorWithPadding(tokenizer)

    def trainer_class(self) -> type:
        """The Trainer, evaluating in the features' order: metrics_fn reads the scores through them."""
        return in_order_evaluation(super().trainer_class())

    def metrics_fn(self, labels: dict[str, Any], features: "Dataset",
                   tokenizer: Any = None) -> Callable[[Any], dict[str, float]]:
        """EM and F1 of the answers read from every window of each evaluation question."""
        decoding = Decoding.of(labels)
        windows = {key: features[key] for key in ("example", "offsets", "cls")}
        contexts, references = _examples(windows["example"], features["context"], features["references"])

        def compute_metrics(eval_pred: Any) -> dict[str, float]:
            start_logits, end_logits = eval_pred.predictions[:2]
            answers = read_answers(list(np.asarray(start_logits)), list(np.asarray(end_logits)), windows, contexts,
                                   decoding)
            return exact_and_f1([answer["answer"] for answer in answers], references)
        return compute_metrics

    # -- after training -----------------------------------------------------------------------------------------
    def report(self, frame: "pd.DataFrame", predictions: list[dict], cfg: "RunConfig", labels: dict[str, Any],
               split: str) -> EvalReport:
        questions, contexts, texts, starts = self.columns(frame, cfg)
        return qa_report(self.name, split, questions, contexts, [list(t) for t in texts], [list(s) for s in starts],
                         predictions)

    def predict(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: dict[str, Any],
                max_length: int, batch_size: int = 32) -> list[dict]:
        """The answer to each {question, context}: its span in the context as typed, its probability, and the
        next best answers; a context of any length is read in windows."""
        decoding = Decoding.of(labels)
        questions = [str(item.get("question") or "").strip() for item in inputs]
        contexts = [str(item.get("context") or "") for item in inputs]
        windows = make_windows(questions, contexts, tokenizer, max_length, decoding.stride)
        starts, ends = window_scores(model, tokenizer, windows, batch_size)
        return read_answers(starts, ends, windows, contexts, decoding)


def _examples(example_of: list[int], contexts: list[str], references: list[list[str]]) -> tuple[list, list]:
    """Each question's context and references, from its windows' copies."""
    count = max(example_of, default=-1) + 1
    by_example: list[tuple[str, list[str]]] = [("", [])] * count
    for example, context, answers in zip(example_of, contexts, references):
        by_example[example] = (context, list(answers))
    return [context for context, _ in by_example], [answers for _, answers in by_example]


def answers_notes(counts: AnswerCounts, part: str) -> list[Message]:
    """What the answer check found in one part of the data, one sentence per kind of finding."""
    name = Message(f"qa.part_{part}")
    if not (counts.repaired or counts.missing or counts.unanswerable):
        return [Message("qa.answers_found", {"part": name, "count": counts.found})]
    notes = [Message("qa.answers_repaired", {"part": name, "count": counts.repaired})] if counts.repaired else []
    if counts.missing:
        rows = ", ".join(map(str, counts.first_missing)) + (" …" if counts.missing > len(counts.first_missing) else "")
        notes.append(Message("qa.answers_missing", {"part": name, "count": counts.missing, "rows": rows}))
    if counts.unanswerable:
        notes.append(Message("qa.unanswerable", {"part": name, "count": counts.unanswerable}))
    return notes


def long_context_notes(mapped: "pd.DataFrame", tokenizer: Any, max_length: int, sample_size: int) -> list[Message]:
    """How many sampled questions need more than one window (question and context together, with the special
    tokens), or nothing when all fit."""
    sample = mapped.sample(n=sample_size, random_state=0) if len(mapped) > sample_size else mapped
    lengths = [len(ids) for ids in tokenizer(sample["question"].astype(str).tolist(),
                                             sample["context"].astype(str).tolist())["input_ids"]]
    long = sum(length > max_length for length in lengths)
    if not long:
        return []
    return [Message("qa.long_contexts", {"long": long, "sampled": len(lengths), "share": f"{long / len(lengths):.0%}",
                                         "max_length": max_length})]


register_task(QuestionAnswering())
register_demo(DemoDataset("qa_en", demo_file("qa_en.json"), "en", Message("demo.qa_en"), TASK))
register_demo(DemoDataset("qa_zh", demo_file("qa_zh.json"), "zh", Message("demo.qa_zh"), TASK))
