"""Where each reference answer sits in its context: checked at its given offset, found by its text when the
offset is wrong or missing, and counted, so the Data tab and the run log say what was repaired or left out.

Training needs one answer's position per question (the first reference that is found); scoring needs only the
reference texts, so a question whose answers cannot be found in its context is left out of training but still
scored. A question with no reference answers has none in its context (SQuAD v2's unanswerable questions).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

FOUND, REPAIRED, MISSING, UNANSWERABLE = "found", "repaired", "missing", "unanswerable"


@dataclass(frozen=True)
class Located:
    """The answer a question trains on: its text and character start in the context (start -1: none)."""

    status: str      # FOUND at its offset, REPAIRED (found by its text), MISSING (not in the context), UNANSWERABLE
    text: str = ""
    start: int = -1

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def locate(context: str, texts: Sequence[str], starts: Sequence[int]) -> Located:
    """The first reference answer found at its offset; else the first found by its text, at the occurrence
    nearest its given offset; MISSING when no reference occurs in the context."""
    if not texts:
        return Located(UNANSWERABLE)
    given = [starts[i] if i < len(starts) else -1 for i in range(len(texts))]
    for text, start in zip(texts, given):
        if start >= 0 and context[start:start + len(text)] == text:
            return Located(FOUND, text, start)
    for text, start in zip(texts, given):
        found = nearest_occurrence(context, text, start)
        if found >= 0:
            return Located(REPAIRED, text, found)
    return Located(MISSING)


def nearest_occurrence(context: str, text: str, near: int) -> int:
    """The start of the occurrence of `text` closest to `near` (the first one when near is -1), or -1."""
    if not text:
        return -1
    best, at = -1, context.find(text)
    while at >= 0:
        if best < 0 or abs(at - near) < abs(best - near):
            best = at
        at = context.find(text, at + 1)
    return best


@dataclass
class AnswerCounts:
    """How many questions' answers were where the data said, repaired, missing or absent by design."""

    found: int = 0
    repaired: int = 0
    missing: int = 0
    unanswerable: int = 0
    first_missing: list[int] = field(default_factory=list)   # row numbers (1-based) of a few missing answers

    def add(self, row: int, located: Located) -> None:
        setattr(self, located.status, getattr(self, located.status) + 1)
        if located.status == MISSING and len(self.first_missing) < 5:
            self.first_missing.append(row)


def count_answers(contexts: Sequence[str], texts: Sequence[Sequence[str]],
                  starts: Sequence[Sequence[int]]) -> AnswerCounts:
    counts = AnswerCounts()
    for row, (context, answers, offsets) in enumerate(zip(contexts, texts, starts), start=1):
        counts.add(row, locate(context, answers, offsets))
    return counts
