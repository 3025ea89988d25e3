"""Token classification (named-entity recognition): one tag per word, entities found as spans.

Data is sentences of words with one tag per word (CoNLL files, token/tag JSON, or labeling tools' text and span
exports: reading.py), in any tag scheme, read into IOB2. The model is a pretrained body with a token
classification head; each word's tag sits on its first sub-token (all of them with `label_all_tokens`), and a
sentence longer than the max length is cut into overlapping windows (`stride`), so no word goes unlabelled or
unpredicted. Scores are entity-level with seqeval's semantics, taken on words, each word once. A prediction is the
text with its entities as character spans.
"""
from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from engine.data.loading import DemoDataset, demo_file, register_demo
from engine.errors import DataError, ModelError
from engine.evaluation import EvalReport
from engine.messages import Message, register_messages
from engine.tasks.base import ColumnRole, MetricSpec, Task, TaskOption, register_task
from engine.tasks.heads import in_order_evaluation, load_head_model
from engine.tasks.token_classification.alignment import (DEFAULT_STRIDE, IGNORED, Alignment, Window,
                                                          tokenize_and_align_labels, word_tags)
from engine.tasks.token_classification.metrics import entity_scores
from engine.tasks.token_classification.prediction import predict_entities, text_and_words
from engine.tasks.token_classification.reading import as_lists, read_native, scheme_notes
from engine.tasks.token_classification.report import ner_report, tags_from_prediction
from engine.tasks.token_classification.schemes import OUTSIDE, SchemeReading, label_set, read_tags

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd
    from datasets import Dataset

    from engine.config import RunConfig
    from engine.data import LoadedTable, ReadOptions, Splits

TASK = "token_classification"
HELD_OUT = ("validation", "test")

register_messages({
    "tasks.token_classification": ("Token classification (NER)", "词元分类（命名实体识别）"),
    "tasks.token_classification.tokens_role": ("the words of each sentence (characters, for Chinese)",
                                               "每个句子的词（中文为每个字）"),
    "tasks.token_classification.tags_role": ("the tag of each word: O, or B-/I- and an entity type such as B-PER",
                                             "每个词的标签：O，或 B-/I- 加实体类型，例如 B-PER"),
    "ner.option.stride_label": ("Window overlap (sub-words)", "窗口重叠（子词数）"),
    "ner.option.label_all_tokens_label": ("Label every sub-word", "每个子词都打标签"),
    "ner.option.stride": ("Sub-word tokens that neighbouring windows share when a sentence is longer than the max "
                          "length, so words near a cut still see context on both sides; raise it for long "
                          "documents, 0 turns the overlap off.",
                          "句子超过最大长度时，相邻窗口共享的子词数，让切口附近的词两边都有上下文；长文档可以调大，"
                          "0 表示不重叠。"),
    "ner.option.label_all_tokens": ("Train on every sub-word of a word (Blackburn: black, ##burn) with its tag "
                                    "continued, not only on the first; leave it off unless words split into many "
                                    "pieces.",
                                    "一个词被切成几个子词时，每个子词都带着这个词的标签训练，而不只训练第一个；"
                                    "除非词常被切成很多片，否则保持关闭。"),
    "ner.no_entities": ("The training data has no entities: every tag in column '{column}' is O. Tag some "
                        "entities (B-PER, I-PER...), or check that the right column is chosen.",
                        "训练数据里没有任何实体：列“{column}”中的标签全是 O。请标注一些实体（B-PER、I-PER……），"
                        "或检查是否选对了列。"),
    "ner.length_mismatch": ("{count} sentences have a different number of tokens and tags (the first, sentence "
                            "{row}, has {tokens} tokens and {tags} tags). Check that the token and tag columns "
                            "belong together.",
                            "有 {count} 个句子的词元数与标签数不同（第一个是第 {row} 句，有 {tokens} 个词元、{tags} "
                            "个标签）。请检查词元列和标签列是否对应。"),
    "ner.unseen_types": ("The {part} data has entity types the training data lacks ({types}); the model can never "
                         "predict them, so their recall will be 0. Add examples of them to the training data.",
                         "{part}数据中有训练数据里没有的实体类型（{types}）；模型永远无法预测它们，它们的召回率将为 0。"
                         "请在训练数据中加入这些类型的样本。"),
    "ner.in_part": ("In the {part} data: {note}", "{part}数据中：{note}"),
    "ner.part_train": ("training", "训练"),
    "ner.slow_tokenizer": ("This model's tokenizer has no fast version, which token classification needs to line "
                           "tags up with sub-words; choose another model.",
                           "这个模型的分词器没有快速版本，而词元分类需要它把标签对齐到子词上；请选择其他模型。"),
    "demo.ner_en": ("335 English sentences with people, organisations and places tagged (PER, ORG, LOC).",
                    "335 条英文句子，标注了人名、机构名和地名（PER、ORG、LOC）。"),
    "demo.ner_zh": ("317 Chinese sentences tagged character by character with people, organisations and places "
                    "(PER, ORG, LOC).",
                    "317 条中文句子，逐字标注了人名、机构名和地名（PER、ORG、LOC）。"),
})


class TokenClassification(Task):
    name = TASK
    title = Message("tasks.token_classification")
    roles = (ColumnRole("tokens", "tokens", Message("tasks.token_classification.tokens_role")),
             ColumnRole("tags", "tags", Message("tasks.token_classification.tags_role"), input=False))
    metrics = (MetricSpec("f1", live=True), MetricSpec("precision"), MetricSpec("recall"), MetricSpec("accuracy"))
    primary_metric = "f1"
    options = (TaskOption("stride", DEFAULT_STRIDE, Message("ner.option.stride"), low=0, high=512,
                          label=Message("ner.option.stride_label")),
               TaskOption("label_all_tokens", False, Message("ner.option.label_all_tokens"),
                          label=Message("ner.option.label_all_tokens_label")))
    output_kind = "spans"
    peft_task_type = "TOKEN_CLS"

    def read_native(self, path: "Path", name: str, options: "ReadOptions") -> "LoadedTable | None":
        return read_native(path, name, options)

    # -- the data -----------------------------------------------------------------------------------------------
    def sentences(self, frame: "pd.DataFrame", cfg: "RunConfig") -> tuple[list[list[str]], SchemeReading]:
        """The frame's words and its tags read into IOB2; sentences whose counts differ are refused."""
        tokens = as_lists(frame[self.role("tokens").column(cfg)])
        tags = as_lists(frame[self.role("tags").column(cfg)])
        mismatched = [index for index, (words, marks) in enumerate(zip(tokens, tags)) if len(words) != len(marks)]
        if mismatched:
            first = mismatched[0]
            raise DataError("ner.length_mismatch", count=len(mismatched), row=first + 1, tokens=len(tokens[first]),
                            tags=len(tags[first]))
        return tokens, read_tags(tags)

    def label_space(self, train: "pd.DataFrame", cfg: "RunConfig") -> list[str]:
        return self._labels(self.sentences(train, cfg)[1], cfg)

    def _labels(self, reading: SchemeReading, cfg: "RunConfig") -> list[str]:
        tags = list(label_set(reading.sequences).tags)
        if len(tags) == 1:
            raise DataError("ner.no_entities", column=self.role("tags").column(cfg))
        return tags

    def check_split(self, frame: "pd.DataFrame", cfg: "RunConfig", labels: list[str]) -> None:
        """A held-out split is refused only when it cannot be read (tags and tokens that do not pair up, mixed
        schemes). Entity types the training split lacks are reported instead (checked_labels): they can be
        scored (their recall is 0), and with a random split a rare type can land in the test part by chance,
        which a refusal would turn into a dead end."""
        self.sentences(frame, cfg)

    def checked_labels(self, splits: "Splits", cfg: "RunConfig") -> list[str]:
        """The training split's tags; every split read once, and what reading changed added to the split notes
        (the run log shows them): unseen types in held-out splits, and the scheme and repairs of data the
        general readers read (the task's own readers already noted theirs on the Data tab)."""
        readings = {"train": self.sentences(splits.train, cfg)[1]}
        readings.update((part, self.sentences(getattr(splits, part), cfg)[1]) for part in HELD_OUT
                        if len(getattr(splits, part)))
        labels = self._labels(readings["train"], cfg)
        known = {tag[2:] for tag in labels if tag != OUTSIDE}
        for part, reading in readings.items():
            name = Message("ner.part_train" if part == "train" else f"data.part_{part}")
            splits.notes += [Message("ner.in_part", {"part": name, "note": note}) for note in scheme_notes(reading)]
            unseen = sorted({tag[2:] for tags in reading.sequences for tag in tags if tag != OUTSIDE} - known)
            if unseen:
                splits.notes.append(Message("ner.unseen_types", {"part": name, "types": ", ".join(unseen)}))
        return labels

    # -- training -----------------------------------------------------------------------------------------------
    def build_model(self, model_path: str, labels: list[str], weights: bool = True) -> Any:
        from transformers import AutoModelForTokenClassification

        head = dict(num_labels=len(labels), id2label=dict(enumerate(labels)),
                    label2id={tag: index for index, tag in enumerate(labels)})
        return load_head_model(AutoModelForTokenClassification, model_path, head, weights)

    def preprocess(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig", labels: list[str]) -> "Dataset":
        """Windows of sub-tokens with their label ids, and what metrics_fn needs to score words: each window's
        sentence, the word of each sub-token (-1 for special tokens), the words it owns and the sentence's tags.
        A held-out tag the training split lacks is ignored by the loss and still scored."""
        from datasets import Dataset

        require_fast(tokenizer)
        labelled = self.role("tags").column(cfg) in frame.columns
        if labelled:
            tokens, reading = self.sentences(frame, cfg)
            gold = reading.sequences
        else:
            tokens, gold = as_lists(frame[self.role("tokens").column(cfg)]), None
        ids = defaultdict(lambda: IGNORED, {tag: index for index, tag in enumerate(labels)})
        alignment = tokenize_and_align_labels(tokens, gold, tokenizer, ids, cfg.model.max_length,
                                              self.option(cfg, "stride"), self.option(cfg, "label_all_tokens"))
        columns = alignment.features()
        windows = alignment.windows
        columns["sentence"] = [window.sentence for window in windows]
        columns["word_ids"] = [[-1 if word is None else word for word in window.word_ids] for window in windows]
        columns["owned"] = [list(window.owned) for window in windows]
        if gold is not None:
            columns["gold"] = [gold[window.sentence] for window in windows]
        return Dataset.from_dict(columns)

    def collator(self, tokenizer: Any, cfg: "RunConfig") -> Callable:
        from transformers import DataCollatorForTokenClassification

        if cfg.train.padding == "max_length":
            return DataCollatorForTokenClassification(tokenizer, padding="max_length",
                                                      max_length=cfg.model.max_length)
        return DataCollatorForTokenClassification(tokenizer)

    def trainer_class(self) -> type:
        """The Trainer, evaluating in the features' order: metrics_fn reads predictions through them."""
        return in_order_evaluation(super().trainer_class())

    def metrics_fn(self, labels: list[str], features: "Dataset",
                   tokenizer: Any = None) -> Callable[[Any], dict[str, float]]:
        """Entity precision, recall and F1 and token accuracy on words: each window's sub-token predictions go
        back to the words it owns, so a word seen by two overlapping windows counts once, and gold tags are the
        sentence's own (a tag the model cannot predict still counts against it)."""
        alignment, gold = _scoring_alignment(features)
        types = sorted({tag[2:] for tag in labels if tag != OUTSIDE})

        def compute_metrics(eval_pred: Any) -> dict[str, float]:
            logits = eval_pred.predictions[0] if isinstance(eval_pred.predictions, tuple) else eval_pred.predictions
            predicted = word_tags(alignment, np.asarray(logits).argmax(axis=-1), labels)
            return entity_scores(gold, predicted, types).as_metrics()
        return compute_metrics

    # -- after training -----------------------------------------------------------------------------------------
    def report(self, frame: "pd.DataFrame", predictions: list[dict], cfg: "RunConfig", labels: list[str],
               split: str) -> EvalReport:
        tokens, reading = self.sentences(frame, cfg)
        predicted = [tags_from_prediction(words, prediction["spans"])
                     for words, prediction in zip(tokens, predictions)]
        return ner_report(self.name, split, tokens, reading.sequences, predicted, labels)

    def predict(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: list[str], max_length: int,
                batch_size: int = 32) -> list[dict]:
        """Entities of each input's `tokens`: a typed text (split into words as labelled files are: Chinese one
        character at a time) or a list of words; spans are character offsets into the text as typed."""
        require_fast(tokenizer)
        return predict_entities(model, tokenizer, [item.get("tokens") for item in inputs], labels, max_length,
                                DEFAULT_STRIDE, batch_size)

    def inputs(self, frame: "pd.DataFrame", cfg: "RunConfig") -> list[dict[str, Any]]:
        """Each sentence as the text a person would type (join_words), so a prediction's spans are offsets into
        a readable text and batch predictions show sentences, not lists."""
        return [{"tokens": text_and_words(value)[0]} for value in frame[self.role("tokens").column(cfg)]]


def require_fast(tokenizer: Any) -> None:
    """Lining tags up with sub-words needs the word ids only fast tokenizers give."""
    if not getattr(tokenizer, "is_fast", False):
        raise ModelError("ner.slow_tokenizer")


def _scoring_alignment(features: "Dataset") -> tuple[Alignment, list[list[str]]]:
    """The windows of preprocessed evaluation features, and each sentence's gold tags, read once."""
    sentences, word_ids, owned = features["sentence"], features["word_ids"], features["owned"]
    gold_rows = features["gold"] if "gold" in features.column_names else [[] for _ in sentences]
    gold: list[list[str]] = [[] for _ in range(max(sentences, default=-1) + 1)]
    windows = []
    for sentence, ids, bounds, tags in zip(sentences, word_ids, owned, gold_rows):
        gold[sentence] = list(tags)
        windows.append(Window(sentence, {}, tuple(None if word < 0 else word for word in ids), tuple(bounds)))
    return Alignment(windows, [len(tags) for tags in gold]), gold


register_task(TokenClassification())
register_demo(DemoDataset("ner_en", demo_file("ner_en.jsonl"), "en", Message("demo.ner_en"), TASK))
register_demo(DemoDataset("ner_zh", demo_file("ner_zh.jsonl"), "zh", Message("demo.ner_zh"), TASK))
