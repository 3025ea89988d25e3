"""ROUGE with the `rouge-score` package (what `evaluate.load("rouge")` wraps, without the Hub).

English is lowercased, split into words and stemmed (Porter), as the package does. Its tokenizer drops every
character that is not a-z or 0-9, so Chinese would score nothing: a text with Chinese characters is split into
single characters (and Latin words), as CMRC and LCSTS score it.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL", "rougeLsum")
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_PIECES = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[a-z0-9]+")


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


def rouge_scores(prediction: str, reference: str, types: tuple[str, ...] = ROUGE_TYPES) -> dict[str, float]:
    """F-measures of one prediction against its reference, in 0..1. rougeLsum reads sentences one per line."""
    chinese = has_chinese(reference) or has_chinese(prediction)
    scores = _scorer(tuple(types), chinese).score(reference, prediction)
    return {name: float(scores[name].fmeasure) for name in types}


def mean_rouge(predictions: list[str], references: list[str],
               types: tuple[str, ...] = ROUGE_TYPES) -> dict[str, float]:
    """The mean F-measure of each ROUGE type over the pairs, in 0..100 (as papers and leaderboards report it)."""
    if not predictions:
        return {name: 0.0 for name in types}
    rows = [rouge_scores(p, r, types) for p, r in zip(predictions, references)]
    return {name: 100 * sum(row[name] for row in rows) / len(rows) for name in types}
