"""Exact match and F1 of predicted answers against reference answers, as the official evaluation scripts score them.

English (SQuAD v1.1 and v2.0): both texts are lower-cased, punctuation and the articles a/an/the removed and
spaces collapsed; EM is equality, F1 the overlap of the two bags of words. Chinese (CMRC 2018): Chinese characters
count one by one and runs of other letters or digits as words, punctuation removed, lower-cased; EM is equality,
F1 comes from the longest common run of those pieces. A text with any Chinese character is scored the Chinese way.
Each prediction takes its best score over the question's references; a question with no answer in its context
(SQuAD v2) scores 1 only for an empty prediction. Scores are shares (0 to 1); the scripts print them x100.
"""
from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Punctuation as the CMRC 2018 script lists it, plus every Unicode punctuation character.
CMRC_PUNCTUATION = set("-:_*^/\\~`+=，。：？！“”；’《》……·、「」（）－～『』") | set(string.punctuation)


@dataclass(frozen=True)
class AnswerScore:
    exact: float
    f1: float


def is_chinese(text: str) -> bool:
    return bool(CJK.search(text))


def normalize_answer(text: str) -> str:
    """SQuAD's normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return " ".join(ARTICLES.sub(" ", text).split())


def chinese_pieces(text: str) -> list[str]:
    """CMRC 2018's mixed segmentation: each Chinese character alone, other runs of letters and digits as
    words, punctuation and spaces dropped; lower case."""
    pieces, word = [], ""
    for ch in text.lower().strip():
        if CJK.match(ch) or ch in CMRC_PUNCTUATION or _is_punctuation(ch) or ch.isspace():
            if word:
                pieces.append(word)
                word = ""
            if CJK.match(ch):
                pieces.append(ch)
        else:
            word += ch
    return pieces + ([word] if word else [])


def _is_punctuation(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


def score_one(prediction: str, reference: str) -> AnswerScore:
    """EM and F1 of one prediction against one reference."""
    if is_chinese(prediction) or is_chinese(reference):
        ours, theirs = chinese_pieces(prediction), chinese_pieces(reference)
        exact = float("".join(ours) == "".join(theirs))
        common = _longest_common_run(ours, theirs)
    else:
        ours, theirs = normalize_answer(prediction).split(), normalize_answer(reference).split()
        exact = float(ours == theirs)
        common = sum((Counter(ours) & Counter(theirs)).values())
    if not ours or not theirs:  # an empty answer matches only an empty reference
        return AnswerScore(exact, float(ours == theirs))
    if common == 0:
        return AnswerScore(exact, 0.0)
    precision, recall = common / len(ours), common / len(theirs)
    return AnswerScore(exact, 2 * precision * recall / (precision + recall))


def _longest_common_run(first: Sequence[str], second: Sequence[str]) -> int:
    """Length of the longest run of pieces both sequences share (CMRC 2018's find_lcs)."""
    best, previous = 0, [0] * (len(second) + 1)
    for a in first:
        current = [0] * (len(second) + 1)
        for j, b in enumerate(second, start=1):
            if a == b:
                current[j] = previous[j - 1] + 1
                best = max(best, current[j])
        previous = current
    return best


def score_answer(prediction: str, references: Sequence[str]) -> AnswerScore:
    """The best EM and the best F1 over a question's references; no references means "no answer"."""
    if not references:
        empty = float(not prediction.strip())
        return AnswerScore(empty, empty)
    scores = [score_one(prediction, reference) for reference in references]
    return AnswerScore(max(s.exact for s in scores), max(s.f1 for s in scores))


def exact_and_f1(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, float]:
    """Mean EM and F1 over questions (0 when there are none)."""
    scores = [score_answer(p, r) for p, r in zip(predictions, references)]
    count = max(len(scores), 1)
    return {"exact_match": sum(s.exact for s in scores) / count, "f1": sum(s.f1 for s in scores) / count}
