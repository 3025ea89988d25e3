"""Source and target texts as an encoder-decoder reads and learns them.

The source is read with the task prefix some models expect ("summarize: " for the T5 family) and cut at the max
length. The target is cut at the max target length, keeping its end token so the model still learns to stop, and
starts without the decoder's start token when the tokenizer writes one (BERT's [CLS] in a bert2bert): the model
puts that token first itself. The collator pads labels with -100, which the loss skips, to a length of their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IGNORED = -100                                # the label the loss skips
T5_TYPES = ("t5",)   # the original T5 was trained on tasks named by prefixes; mT5 and LongT5 were not
AUTO_PREFIX, NO_PREFIX = "auto", "none"   # the prefix option's two words: the model's own, or nothing


def model_prefix(config: Any) -> str:
    """The prefix a model was pretrained to see before a text to summarize: its own summarization prefix if its
    config names one (T5's task_specific_params), "summarize: " for a T5, else none."""
    params = getattr(config, "task_specific_params", None) or {}
    prefix = (params.get("summarization") or {}).get("prefix")
    if prefix:
        return str(prefix)
    return "summarize: " if config.model_type in T5_TYPES else ""


def decoder_positions(config: Any) -> int | None:
    """How many tokens the model's decoder has positions for (its start token included); None for relative
    positions (T5), which have no hard limit."""
    decoder = getattr(config, "decoder", None) if config.model_type == "encoder-decoder" else config
    return getattr(decoder, "max_position_embeddings", None)


@dataclass(frozen=True)
class TargetRules:
    """How targets are tokenized for one model: its decoder's start token (dropped from the front of a target
    that has it), its end token (kept when a target is cut) and the longest target."""

    start: int | None
    end: int | None
    length: int

    def ids(self, row: list[int]) -> list[int]:
        if row and row[0] == self.start:
            row = row[1:]
        if len(row) <= self.length:
            return row
        if row[-1] == self.end:
            return [*row[:self.length - 1], row[-1]]
        return row[:self.length]


def encode_sources(tokenizer: Any, sources: list[str], prefix: str, max_length: int) -> dict[str, list]:
    return dict(tokenizer([prefix + text for text in sources], truncation=True, max_length=max_length))


def target_ids(tokenizer: Any, targets: list[str]) -> list[list[int]]:
    """The targets' full ids (with the tokenizer's special tokens), before TargetRules cut them."""
    return tokenizer(text_target=targets)["input_ids"]


SOURCE_FIELDS = ("input_ids", "attention_mask", "token_type_ids")   # what a tokenizer pads (not a text column)


class Seq2SeqCollator:
    """Pads sources with the tokenizer (to the batch's longest, or to `source_length`) and labels with -100 (to the
    batch's longest, or to `target_length`): a target may be longer than its source (a translation), so the two
    are padded to lengths of their own."""

    def __init__(self, tokenizer: Any, source_length: int = 0, target_length: int = 0):
        self.tokenizer, self.source_length, self.target_length = tokenizer, source_length, target_length

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        sources = [{key: value for key, value in f.items() if key in SOURCE_FIELDS} for f in features]
        batch = self.tokenizer.pad(sources, padding="max_length" if self.source_length else True,
                                   max_length=self.source_length or None, return_tensors="pt")
        if "labels" in features[0]:
            longest = max(self.target_length, *(len(f["labels"]) for f in features))
            batch["labels"] = torch.tensor([list(f["labels"]) + [IGNORED] * (longest - len(f["labels"]))
                                            for f in features])
        return dict(batch)
