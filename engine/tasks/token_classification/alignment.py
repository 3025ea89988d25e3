"""Word tags onto a fast tokenizer's sub-tokens, and sub-token predictions back onto words.

A word the tokenizer splits ("Blackburn" -> "black", "##burn") gets its label on its first sub-token and -100
(ignored by the loss) on the rest, or, with `label_all_tokens`, the inside tag of its type on the rest (a B- word
continues as I-). A sentence longer than the model's window is cut into windows along word boundaries that overlap
by up to `stride` sub-tokens, so no word is cut off; each word is "owned" by one window (the overlap is split at
its middle, where both windows see the most context), and its prediction is taken from that window alone, so
predictions from overlapping windows merge deterministically.

Every word gets at least one sub-token: a word the tokenizer reads as nothing (an empty token, a lost emoji
written as U+FFFD, a zero-width space) is fed as the tokenizer's unknown token instead, so tags and words stay
one to one. Chinese characters a tokenizer does not know become [UNK] the same way: one sub-token per word.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from engine.tasks.token_classification.schemes import OUTSIDE

IGNORED = -100  # the label id PyTorch's cross-entropy skips
DEFAULT_STRIDE = 32  # sub-tokens of context shared by neighbouring windows; about a sentence clause


@dataclass(frozen=True)
class Window:
    """One model input: a run of a sentence's words, with special tokens, at most max_length sub-tokens."""

    sentence: int                       # index of the sentence in the input
    features: dict[str, list[int]]      # input_ids, attention_mask (and token_type_ids) as the tokenizer made them
    word_ids: tuple[int | None, ...]    # per sub-token, the word's index in the sentence; None for special tokens
    owned: tuple[int, int]              # words [first, last) whose predictions come from this window
    labels: tuple[int, ...] | None = None   # per sub-token label id, IGNORED where no loss; None without tags


@dataclass
class Alignment:
    """Model inputs for a list of sentences, and what making them took (for the Data tab to tell)."""

    windows: list[Window]
    word_counts: list[int]              # words per sentence
    stand_ins: int = 0                  # words the tokenizer read as nothing, fed as its unknown token
    cut_words: int = 0                  # words longer than a whole window, kept with their first sub-tokens
    sentences_split: int = 0            # sentences that needed more than one window
    feature_names: tuple[str, ...] = ()    # the tokenizer's feature columns, in its order

    def features(self) -> dict[str, list[list[int]]]:
        """Columns for datasets.Dataset.from_dict: the tokenizer's features, and labels when tags were given."""
        columns = {name: [window.features[name] for window in self.windows] for name in self.feature_names}
        if self.windows and self.windows[0].labels is not None:
            columns["labels"] = [list(window.labels) for window in self.windows]
        return columns


def tokenize_and_align_labels(tokens: Sequence[Sequence[str]], tags: Sequence[Sequence[str]] | None, tokenizer: Any,
                              label_ids: Mapping[str, int], max_length: int, stride: int = DEFAULT_STRIDE,
                              label_all_tokens: bool = False) -> Alignment:
    """Windows of model inputs for sentences of words (`tags`: IOB2, one per word, or None to predict), in
    sentence order. One tokenizer pass serves every sentence that fits; only the few that need windows or
    stand-ins are tokenized again, in pieces. The tokenizer must be a fast one (word_ids() needs it); a
    byte-level BPE one (RoBERTa, GPT-2) must be loaded with add_prefix_space=True to take pre-split words."""
    words = [list(sentence) for sentence in tokens]
    labeler = _Labeler(tags, label_ids, label_all_tokens)
    encoded = tokenizer(words, is_split_into_words=True, verbose=False) if words else None
    budget = max_length - tokenizer.num_special_tokens_to_add(pair=False)
    per_sentence: dict[int, list[Window]] = {}
    plan, stand_ins, cut_words = [], 0, 0
    for index, sentence in enumerate(words):
        word_ids = encoded.word_ids(index) if sentence else []
        counts = _sub_token_counts(word_ids, len(sentence))
        if sentence and len(word_ids) <= max_length and all(counts):
            per_sentence[index] = [_window(index, encoded, index, 0, (0, len(sentence)), labeler)]
            continue
        stand_ins += _use_stand_ins(sentence, counts, tokenizer)
        cut_words += sum(count > budget for count in counts)
        plan += [(index, *window) for window in word_windows(counts, budget, stride)]
    if plan:
        pieces = tokenizer([words[index][first:last] for index, first, last, *_ in plan],
                           is_split_into_words=True, truncation=True, max_length=max_length)
        for row, (index, first, _, *owned) in enumerate(plan):
            per_sentence.setdefault(index, []).append(_window(index, pieces, row, first, tuple(owned), labeler))
    windows = [window for index in sorted(per_sentence) for window in per_sentence[index]]
    return Alignment(windows, [len(sentence) for sentence in words], stand_ins, cut_words,
                     sentences_split=sum(len(found) > 1 for found in per_sentence.values()),
                     feature_names=tuple(encoded.keys()) if encoded is not None else ())


def _sub_token_counts(word_ids: Sequence[int | None], word_count: int) -> list[int]:
    counts = [0] * word_count
    for word in word_ids:
        if word is not None:
            counts[word] += 1
    return counts


def _use_stand_ins(sentence: list[str], counts: list[int], tokenizer: Any) -> int:
    """Feed words the tokenizer reads as nothing as its unknown token (when it has one); how many there were."""
    if tokenizer.unk_token is None:
        return 0
    empty = [position for position, count in enumerate(counts) if count == 0]
    for position in empty:
        sentence[position] = tokenizer.unk_token
        counts[position] = 1
    return len(empty)


def _window(index: int, encoded: Any, row: int, first_word: int, owned: tuple[int, int],
            labeler: _Labeler) -> Window:
    """Row `row` of a tokenizer batch as sentence `index`'s window; its words start at `first_word`."""
    word_ids = tuple(None if word is None else first_word + word for word in encoded.word_ids(row))
    features = {name: encoded[name][row] for name in encoded.keys()}
    return Window(index, features, word_ids, owned, labeler.labels(index, word_ids))


def word_windows(counts: Sequence[int], budget: int, stride: int) -> list[tuple[int, int, int, int]]:
    """Word ranges (first, last, owned first, owned last) covering a sentence whose words have `counts`
    sub-tokens, each range at most `budget` sub-tokens unless it is one longer word. Neighbours share up to
    `stride` sub-tokens (at most half a window, so each window moves on by half a window or more)."""
    total = len(counts)
    if total == 0:
        return []
    if sum(counts) <= budget:
        return [(0, total, 0, total)]
    overlap, ranges, first = min(stride, budget // 2), [], 0
    while True:
        last, size = first, 0
        while last < total and size + counts[last] <= budget:
            size += counts[last]
            last += 1
        last = max(last, first + 1)
        ranges.append((first, last))
        if last >= total:
            break
        first = _next_start(counts, first, last, overlap, budget)
    bounds = [0] + [(ranges[k + 1][0] + ranges[k][1]) // 2 for k in range(len(ranges) - 1)] + [total]
    return [(first, last, bounds[k], bounds[k + 1]) for k, (first, last) in enumerate(ranges)]


def _next_start(counts: Sequence[int], first: int, last: int, overlap: int, budget: int) -> int:
    """Where the window after [first, last) starts: back from `last` as far as `overlap` sub-tokens reach, but
    never so far back that the next window could not take in a new word."""
    start, shared = last, 0
    while start - 1 > first and shared + counts[start - 1] <= overlap:
        start -= 1
        shared += counts[start]
    if shared + counts[last] > budget:
        return last
    return start


class _Labeler:
    """Label ids per sub-token: the word's tag on its first sub-token; on the rest, -100, or with
    `label_all_tokens` the tag continued (B-X becomes I-X: the entity has already begun)."""

    def __init__(self, tags: Sequence[Sequence[str]] | None, label_ids: Mapping[str, int], label_all_tokens: bool):
        self.tags, self.label_ids, self.label_all_tokens = tags, label_ids, label_all_tokens

    def labels(self, index: int, word_ids: Sequence[int | None]) -> tuple[int, ...] | None:
        if self.tags is None:
            return None
        tags, labels, previous = self.tags[index], [], None
        for word in word_ids:
            if word is None:
                labels.append(IGNORED)
            elif word != previous:
                labels.append(self.label_ids[tags[word]])
            elif self.label_all_tokens:
                labels.append(self.label_ids[_inside(tags[word])])
            else:
                labels.append(IGNORED)
            previous = word
        return tuple(labels)


def _inside(tag: str) -> str:
    return "I-" + tag[2:] if tag.startswith("B-") else tag


def word_tags(alignment: Alignment, predictions: Sequence[Sequence[int]], tags: Sequence[str]) -> list[list[str]]:
    """Per-word tags from per-sub-token predicted label ids (one row per window, in the alignment's order; rows
    may be padded longer than their window). A word takes its first sub-token's prediction in the window that
    owns it; a word no window saw (a tokenizer with no unknown token read it as nothing) is O."""
    if len(predictions) != len(alignment.windows):
        raise ValueError(f"{len(alignment.windows)} windows but {len(predictions)} prediction rows")
    result = [[OUTSIDE] * count for count in alignment.word_counts]
    for window, row in zip(alignment.windows, predictions):
        own_first, own_last = window.owned
        previous = None
        for position, word in enumerate(window.word_ids):
            if word is not None and word != previous and own_first <= word < own_last:
                result[window.sentence][word] = tags[int(row[position])]
            previous = word
    return result
