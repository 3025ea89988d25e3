"""Between character spans in a text and one tag per word: labeling tools' spans become tags for training,
and predicted tags become spans again for the playground's highlighting and for batch predictions.

Words are what a labeled file splits a sentence into. A plain text is split here into runs of letters and
digits and single punctuation marks, and Chinese or Japanese characters one by one, because such text has no
spaces to split at and character-level tags are how those corpora (MSRA, Weibo) are labeled.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Sequence

import pandas as pd

from engine.tasks.token_classification.schemes import OUTSIDE

# Hiragana, katakana, CJK ideographs (with extension A, compatibility and the supplementary planes).
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
COMBINING = "\u0300-\u036f"  # accents typed as separate code points stay inside their word
WORD = re.compile(rf"[{CJK}]|(?:[^\W{CJK}]|[{COMBINING}])+|\S")
CJK_CHAR = re.compile(rf"[{CJK}]")


@dataclass(frozen=True)
class Word:
    text: str
    start: int   # character offsets in the text, end exclusive
    end: int


@dataclass(frozen=True)
class EntitySpan:
    start: int
    end: int
    label: str
    text: str


@dataclass(frozen=True)
class SpanTags:
    """Tags for a text's words from its labeled spans, and the spans no tags could hold."""

    tags: list[str]
    misaligned: list[tuple[int, int, str]]    # a span edge falls inside a word
    overlapping: list[tuple[int, int, str]]   # a span shares words with an earlier one (BIO cannot nest)


def split_words(text: str) -> list[Word]:
    return [Word(match.group(), match.start(), match.end()) for match in WORD.finditer(text)]


def join_words(tokens: Sequence[str]) -> tuple[str, list[Word]]:
    """A readable text made of `tokens` (which came without one, from a CoNLL file), and where each token is.
    Chinese and Japanese characters join without spaces, everything else with one."""
    parts, words, position = [], [], 0
    for index, token in enumerate(tokens):
        if index and not (_is_cjk(token) or _is_cjk(tokens[index - 1])):
            parts.append(" ")
            position += 1
        words.append(Word(token, position, position + len(token)))
        parts.append(token)
        position += len(token)
    return "".join(parts), words


def _is_cjk(token: str) -> bool:
    return bool(token) and CJK_CHAR.fullmatch(token[0]) is not None


def tags_from_spans(text: str, words: Sequence[Word], spans: Sequence[tuple[int, int, str]]) -> SpanTags:
    """IOB2 tags for `words` from character spans (start, end exclusive, label). White space at a span's edges
    is ignored, since no word holds it; a span whose edge falls inside a word is reported, never moved to the
    nearest boundary, because that would label characters the annotator did not choose."""
    starts = {word.start: index for index, word in enumerate(words)}
    ends = {word.end: index for index, word in enumerate(words)}
    tags = [OUTSIDE] * len(words)
    misaligned, overlapping = [], []
    for span in sorted(spans, key=lambda item: (item[0], item[1])):
        start, end = _trim(text, span[0], span[1])
        first, last = starts.get(start), ends.get(end)
        if first is None or last is None or last < first:
            misaligned.append(span)
        elif any(tag != OUTSIDE for tag in tags[first:last + 1]):
            overlapping.append(span)
        else:
            tags[first:last + 1] = [f"B-{span[2]}"] + [f"I-{span[2]}"] * (last - first)
    return SpanTags(tags, misaligned, overlapping)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def spans_from_tags(text: str, words: Sequence[Word], tags: Sequence[str]) -> list[EntitySpan]:
    """The entities that `tags` (one per word) mark, as character spans of `text`. Entities are read with
    seqeval's default mode, the same reading that scores them, so what is highlighted is what was counted."""
    from seqeval.metrics.sequence_labeling import get_entities

    if len(words) != len(tags):
        raise ValueError(f"{len(words)} words but {len(tags)} tags")
    spans = []
    for label, first, last in get_entities(list(tags)):
        start, end = words[first].start, words[last].end
        spans.append(EntitySpan(start, end, label, text[start:end]))
    return spans


def highlight_segments(text: str, spans: Sequence[EntitySpan]) -> list[tuple[str, str | None]]:
    """The whole text cut into (piece, label) pairs, label None between entities: the shape a highlighted-text
    view draws."""
    segments, position = [], 0
    for span in sorted(spans, key=lambda item: item.start):
        if span.start > position:
            segments.append((text[position:span.start], None))
        segments.append((text[span.start:span.end], span.label))
        position = span.end
    if position < len(text):
        segments.append((text[position:], None))
    return segments


def spans_frame(spans_per_text: Sequence[Sequence[EntitySpan]]) -> pd.DataFrame:
    """Batch predictions as a table, one row per entity: the input's number (from 1), start, end, label, text."""
    rows = [{"input": number, **asdict(span)}
            for number, spans in enumerate(spans_per_text, start=1) for span in spans]
    return pd.DataFrame(rows, columns=["input", "start", "end", "label", "text"])


def spans_json_lines(texts: Sequence[str], spans_per_text: Sequence[Sequence[EntitySpan]]) -> str:
    """Batch predictions as JSON Lines, one line per input, texts without entities too. The shape is the one
    labeling tools export, so a corrected file can be loaded back as training data."""
    lines = [json.dumps({"text": text, "spans": [asdict(span) for span in spans]}, ensure_ascii=False)
             for text, spans in zip(texts, spans_per_text, strict=True)]
    return "".join(line + "\n" for line in lines)
