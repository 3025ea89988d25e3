"""Predicting tags for sentences of words, and entities for texts people type.

A typed text is split into words as a labelled file would be (spans.split_words: letters and digits in runs,
punctuation alone, Chinese one character at a time), windowed like training data so nothing is cut, and the
tags come back as spans with character offsets into the text exactly as typed.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import Any, Sequence

import numpy as np

from engine.tasks.token_classification.alignment import DEFAULT_STRIDE, Window, tokenize_and_align_labels, word_tags
from engine.tasks.token_classification.spans import Word, join_words, spans_from_tags, split_words


def text_and_words(value: Any) -> tuple[str, list[Word]]:
    """A typed text split into words, or a sentence already in words (a list) joined into a text."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return join_words([str(token) for token in value])
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    return text, split_words(text)


def predict_entities(model: Any, tokenizer: Any, values: Sequence[Any], tags: Sequence[str], max_length: int,
                     stride: int = DEFAULT_STRIDE, batch_size: int = 32) -> list[dict]:
    """{"text", "spans": [{start, end, label, text}]} for each typed text (or list of words)."""
    split = [text_and_words(value) for value in values]
    predicted = predict_tags(model, tokenizer, [[word.text for word in words] for _, words in split], tags,
                             max_length, stride, batch_size)
    return [{"text": text, "spans": [asdict(span) for span in spans_from_tags(text, words, sentence_tags)]}
            for (text, words), sentence_tags in zip(split, predicted)]


def predict_tags(model: Any, tokenizer: Any, sentences: Sequence[Sequence[str]], tags: Sequence[str],
                 max_length: int, stride: int = DEFAULT_STRIDE, batch_size: int = 32) -> list[list[str]]:
    """One tag per word of each sentence; `tags` names the model's outputs in order."""
    alignment = tokenize_and_align_labels(sentences, None, tokenizer, {}, max_length, stride)
    rows = window_predictions(model, tokenizer, alignment.windows, batch_size)
    return word_tags(alignment, rows, list(tags))


def window_predictions(model: Any, tokenizer: Any, windows: Sequence[Window], batch_size: int) -> list[list[int]]:
    """The predicted label id of every sub-token of every window, in the windows' order. Windows are batched
    by length, so a batch pads little."""
    import torch

    model.eval()
    device = next(model.parameters()).device
    order = sorted(range(len(windows)), key=lambda index: len(windows[index].word_ids))
    rows: list[list[int]] = [[] for _ in windows]
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        batch = tokenizer.pad([windows[index].features for index in chosen], return_tensors="pt").to(device)
        with torch.no_grad():
            best = model(**batch).logits.argmax(dim=-1).cpu().tolist()
        for index, row in zip(chosen, best):
            length = len(windows[index].word_ids)
            rows[index] = row[len(row) - length:] if tokenizer.padding_side == "left" else row[:length]
    return rows
