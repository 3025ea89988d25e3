"""ROUGE with the `rouge-score` package (what `evaluate.load("rouge")` wraps, without the Hub).

English is lowercased, split into words and stemmed (Porter), as the package does. Its tokenizer drops every
character that is not a-z or 0-9, so Chinese would score nothing: a text with Chinese characters is split into
single characters (and Latin words), as CMRC and LCSTS score it. ROUGE-Lsum reads one sentence per line, so texts
are cut into sentences first (sentences(), which the lead baseline uses too).
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PIECES = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z0-9]+")
# A sentence ends at . ! ? (and closing quotes) before a space and a capital, a digit or an opening quote; at
# 。！？ with no space needed; or at a line break. "Mr. Smith" is cut too: a rule, not a parser, and the same rule
# for the model, its reference and the lead baseline.
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])|[。！？]+[\"”’）」』]*\s*|\s*\n+\s*")


class _CharacterTokenizer:
    """Chinese characters one by one, Latin words and numbers whole, lowercased; punctuation dropped."""

    def tokenize(self, text: str) -> list[str]:
        return _PIECES.findall(text.lower())


def has_chinese(text: str) -> bool:
    return bool(CJK.search(text))


@lru_cache(maxsize=4)
def _scorer(types: tuple[str, ...], chinese: bool) -> Any:
    from rouge_score import rouge_scorer

    if chinese:
        return rouge_scorer.RougeScorer(list(types), tokenizer=_CharacterTokenizer())
    return rouge_scorer.RougeScorer(list(types), use_stemmer=True)


def sentences(text: str) -> list[str]:
    """The text's sentences, in order, stripped."""
    pieces, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        pieces.append(text[start:end.end()].strip())
        start = end.end()
    pieces.append(text[start:].strip())
    return [piece for piece in pieces if piece]


def rouge_scores(prediction: str, reference: str, types: tuple[str, ...] = ROUGE_TYPES) -> dict[str, float]:
    """F-measures of one prediction against its reference, in 0..1."""
    chinese = has_chinese(reference) or has_chinese(prediction)
    if "rougeLsum" in types:  # one sentence per line, as rougeLsum reads them (the other types ignore lines)
        prediction, reference = "\n".join(sentences(prediction)), "\n".join(sentences(reference))
    scores = _scorer(tuple(types), chinese).score(reference, prediction)
    return {name: float(scores[name].fmeasure) for name in types}


def mean_rouge(predictions: list[str], references: list[str],
               types: tuple[str, ...] = ROUGE_TYPES) -> dict[str, float]:
    """The mean F-measure of each ROUGE type over the pairs, in 0..100 (as papers and leaderboards report it)."""
    if not predictions:
        return {name: 0.0 for name in types}
    rows = [rouge_scores(p, r, types) for p, r in zip(predictions, references)]
    return {name: 100 * sum(row[name] for row in rows) / len(rows) for name in types}
