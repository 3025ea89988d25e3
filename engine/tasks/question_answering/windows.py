"""Questions and contexts into model windows, and the model's start/end scores back into answers.

A context longer than the max length is read in overlapping windows (`stride` tokens shared by neighbours), the
question repeated in each. In training, a window that holds the whole answer points at its first and last
token; a window without it, and every window of an unanswerable question, points at the classifier token (CLS),
the standard recipe. Answers are read back by taking the best start/end pairs of every window of a question
(both inside the context, in order, at most `max_answer_tokens` long), turning them into character spans of the
original context through the tokenizer's offsets, and keeping the best few, scored by a softmax over the
candidates (and "no answer", when the model was trained with unanswerable questions).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from engine.tasks.question_answering.answers import FOUND, MISSING, REPAIRED, Located

N_BEST = 20          # start and end candidates taken from each window
ALTERNATIVES = 3     # answers shown after the best one
NO_OFFSET = (-1, -1)  # a token outside the context (question, special tokens)


@dataclass(frozen=True)
class Decoding:
    """How answers are read from the model's scores; saved with the model (the task's label space)."""

    stride: int
    max_answer_tokens: int
    allow_no_answer: bool      # the model was trained on unanswerable questions
    null_threshold: float = 0.0  # "no answer" wins when its score beats the best span's by more than this

    def as_dict(self) -> dict[str, Any]:
        return {"stride": self.stride, "max_answer_tokens": self.max_answer_tokens,
                "allow_no_answer": self.allow_no_answer, "null_threshold": self.null_threshold}

    @classmethod
    def of(cls, labels: dict[str, Any]) -> "Decoding":
        return cls(int(labels["stride"]), int(labels["max_answer_tokens"]), bool(labels["allow_no_answer"]),
                   float(labels.get("null_threshold", 0.0)))


def question_limit(max_length: int) -> int:
    """The most tokens a question may take of a window, so its context always has room and the stride fits."""
    return max(max_length // 3, 1)


def effective_stride(stride: int, max_length: int) -> int:
    """The stride, capped below the context's room in a window (fast tokenizers refuse a larger one)."""
    return max(0, min(stride, question_limit(max_length)))


def cut_questions(questions: Sequence[str], tokenizer: Any, max_length: int) -> list[str]:
    """Questions cut to question_limit tokens (a question longer than that is a pasted paragraph, and would
    leave its context no room)."""
    limit = question_limit(max_length)
    encoded = tokenizer(list(questions), add_special_tokens=False, return_offsets_mapping=True)
    return [question if len(offsets) <= limit else question[:offsets[limit - 1][1]]
            for question, offsets in zip(questions, encoded["offset_mapping"])]


def make_windows(questions: Sequence[str], contexts: Sequence[str], tokenizer: Any, max_length: int, stride: int,
                 located: Sequence[Located] | None = None, pad_to_max: bool = False,
                 keep_missing: bool = True) -> dict[str, list]:
    """Model inputs for every window of every question, with `example` (the question's index), `offsets`
    (each token's character span in its context, NO_OFFSET outside it) and `cls` (where "no answer" points);
    with `located`, also the answer's
    start_positions and end_positions. keep_missing=False leaves out the windows of questions whose answer is
    not in their context (training cannot point at it)."""
    encoded = tokenizer(cut_questions(questions, tokenizer, max_length), list(contexts), truncation="only_second",
                        max_length=max_length, stride=effective_stride(stride, max_length),
                        return_overflowing_tokens=True, return_offsets_mapping=True,
                        padding="max_length" if pad_to_max else False)
    names = [key for key in ("input_ids", "attention_mask", "token_type_ids") if key in encoded]
    columns: dict[str, list] = {key: [] for key in (*names, "example", "offsets", "cls")}
    if located is not None:
        columns.update(start_positions=[], end_positions=[])
    for index, example in enumerate(encoded["overflow_to_sample_mapping"]):
        if located is not None and not keep_missing and located[example].status == MISSING:
            continue
        sequence = encoded.sequence_ids(index)
        offsets = [tuple(span) if part == 1 else NO_OFFSET
                   for span, part in zip(encoded["offset_mapping"][index], sequence)]
        for key in names:
            columns[key].append(encoded[key][index])
        cls = cls_index(encoded["input_ids"][index], tokenizer)
        columns["example"].append(int(example))
        columns["offsets"].append([list(span) for span in offsets])
        columns["cls"].append(cls)
        if located is not None:
            start, end = answer_tokens(located[example], offsets, cls)
            columns["start_positions"].append(start)
            columns["end_positions"].append(end)
    return columns


def cls_index(input_ids: Sequence[int], tokenizer: Any) -> int:
    cls = tokenizer.cls_token_id
    return list(input_ids).index(cls) if cls is not None and cls in input_ids else 0


def answer_tokens(answer: Located, offsets: Sequence[tuple[int, int]], cls: int) -> tuple[int, int]:
    """The first and last token of the answer in this window, or (cls, cls) when the window does not hold
    all of it (or the question has none)."""
    if answer.status not in (FOUND, REPAIRED):
        return cls, cls
    inside = [i for i, span in enumerate(offsets) if span != NO_OFFSET]
    if not inside or offsets[inside[0]][0] > answer.start or offsets[inside[-1]][1] < answer.end:
        return cls, cls
    first = next(i for i in inside if offsets[i][1] > answer.start)
    last = next(i for i in reversed(inside) if offsets[i][0] < answer.end)
    return first, last


def window_scores(model: Any, tokenizer: Any, windows: dict[str, list],
                  batch_size: int = 32) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Start and end scores of every token of every window, in the windows' order, each cut to its window's
    length. Windows are batched by length, so a batch pads little."""
    import torch

    names = [key for key in ("input_ids", "attention_mask", "token_type_ids") if key in windows]
    count = len(windows["input_ids"])
    order = sorted(range(count), key=lambda index: len(windows["input_ids"][index]))
    starts: list[np.ndarray] = [np.empty(0)] * count
    ends: list[np.ndarray] = [np.empty(0)] * count
    model.eval()
    device = next(model.parameters()).device
    for first in range(0, count, batch_size):
        chosen = order[first:first + batch_size]
        batch = tokenizer.pad([{key: windows[key][index] for key in names} for index in chosen],
                              padding_side="right", return_tensors="pt").to(device)  # offsets count from the left
        with torch.no_grad():
            output = model(**batch)
        for row, index in enumerate(chosen):
            length = len(windows["input_ids"][index])
            starts[index] = output.start_logits[row, :length].float().cpu().numpy()
            ends[index] = output.end_logits[row, :length].float().cpu().numpy()
    return starts, ends


def read_answers(starts: Sequence[np.ndarray], ends: Sequence[np.ndarray], windows: dict[str, list],
                 contexts: Sequence[str], decoding: Decoding) -> list[dict[str, Any]]:
    """One answer per context (question) from its windows' scores: {answer, start, end, score, context,
    alternatives: [{answer, start, end, score}]}; an empty answer means "no answer in the context"."""
    candidates: list[dict[tuple[int, int], float]] = [{} for _ in contexts]
    null = [np.inf] * len(contexts)
    for start_scores, end_scores, example, offsets, cls in zip(starts, ends, windows["example"], windows["offsets"],
                                                                 windows["cls"]):
        length = min(len(offsets), len(start_scores))
        start_scores, end_scores = np.asarray(start_scores[:length]), np.asarray(end_scores[:length])
        null[example] = min(null[example], float(start_scores[cls] + end_scores[cls]))
        _window_candidates(start_scores, end_scores, offsets[:length], decoding.max_answer_tokens,
                           candidates[example])
    return [_answer(found, context, null_score, decoding)
            for found, context, null_score in zip(candidates, contexts, null)]


def _window_candidates(start_scores: np.ndarray, end_scores: np.ndarray, offsets: Sequence[Sequence[int]],
                       max_tokens: int, found: dict[tuple[int, int], float]) -> None:
    """Add the window's best spans to `found` ({(start char, end char): score}, the best score per span)."""
    inside = np.array([tuple(span) != NO_OFFSET for span in offsets])
    if not inside.any():
        return
    masked_start = np.where(inside, start_scores, -np.inf)
    masked_end = np.where(inside, end_scores, -np.inf)
    for first in np.argsort(masked_start)[::-1][:N_BEST]:
        if not inside[first]:
            break
        for last in np.argsort(masked_end)[::-1][:N_BEST]:
            if not inside[last]:
                break
            if last < first or last - first + 1 > max_tokens:
                continue
            span = (int(offsets[first][0]), int(offsets[last][1]))
            score = float(masked_start[first] + masked_end[last])
            if score > found.get(span, -np.inf):
                found[span] = score


def _answer(found: dict[tuple[int, int], float], context: str, null_score: float,
            decoding: Decoding) -> dict[str, Any]:
    ranked = sorted(found.items(), key=lambda item: -item[1])[:N_BEST]
    scores = np.array([score for _, score in ranked] + ([null_score] if decoding.allow_no_answer else []))
    if len(scores):
        weights = np.exp(scores - scores.max())
        probabilities = weights / weights.sum()
    else:
        probabilities = scores
    spans = [{"answer": context[start:end], "start": start, "end": end, "score": float(probability)}
             for ((start, end), _), probability in zip(ranked, probabilities)]
    no_answer = decoding.allow_no_answer and (not ranked or null_score > ranked[0][1] + decoding.null_threshold)
    if no_answer or not spans:
        best = {"answer": "", "start": -1, "end": -1,
                "score": float(probabilities[-1]) if decoding.allow_no_answer and len(probabilities) else 0.0}
        return {**best, "context": context, "alternatives": spans[:ALTERNATIVES]}
    return {**spans[0], "context": context, "alternatives": spans[1:1 + ALTERNATIVES]}
