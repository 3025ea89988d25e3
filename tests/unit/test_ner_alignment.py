"""Sub-word label alignment with MiniLM's fast tokenizer: first sub-token labels, windows with a stride, and
predictions merged back onto words."""
from __future__ import annotations

import random
from typing import Any

import pytest

from engine.tasks.token_classification.alignment import (IGNORED, tokenize_and_align_labels, word_tags,
                                                         word_windows)
from engine.tasks.token_classification.schemes import label_set

SENTENCE = ["Peter", "Blackburn", "visited", "Reykjavik", "with", "Kestrelwing", "Airlines", "."]
TAGS = ["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG", "I-ORG", "O"]
LABELS = label_set([TAGS])


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    from transformers import AutoTokenizer

    from engine.models import PACKAGED_PREFIX, resolve_model

    return AutoTokenizer.from_pretrained(resolve_model(PACKAGED_PREFIX + "all-MiniLM-L6-v2").path)


def labels_as_predictions(alignment: Any) -> list[list[int]]:
    """What a perfect model predicts: the label ids, with ignored positions filled in (any id will do there)."""
    return [[0 if label == IGNORED else label for label in window.labels] for window in alignment.windows]


def test_the_first_sub_token_of_each_word_carries_its_label(tokenizer: Any) -> None:
    alignment = tokenize_and_align_labels([SENTENCE], [TAGS], tokenizer, LABELS.ids(), max_length=64)
    (window,) = alignment.windows
    tokens = tokenizer.convert_ids_to_tokens(window.features["input_ids"])
    assert tokens[0] == "[CLS]" and tokens[-1] == "[SEP]"
    assert window.word_ids.count(5) > 1  # Kestrelwing is split into sub-tokens
    ids = LABELS.ids()
    previous = None
    for word, label in zip(window.word_ids, window.labels):
        if word is None or word == previous:
            assert label == IGNORED
        else:
            assert label == ids[TAGS[word]]
        previous = word
    assert window.owned == (0, len(SENTENCE)) and alignment.sentences_split == 0


def test_label_all_tokens_continues_a_b_word_as_inside(tokenizer: Any) -> None:
    alignment = tokenize_and_align_labels([SENTENCE], [TAGS], tokenizer, LABELS.ids(), max_length=64,
                                          label_all_tokens=True)
    (window,) = alignment.windows
    ids = LABELS.ids()
    kestrel = [label for word, label in zip(window.word_ids, window.labels) if word == 5]
    assert kestrel[0] == ids["B-ORG"] and set(kestrel[1:]) == {ids["I-ORG"]}
    assert [label for word, label in zip(window.word_ids, window.labels) if word is None] == [IGNORED, IGNORED]


def test_predictions_map_back_to_one_tag_per_word(tokenizer: Any) -> None:
    alignment = tokenize_and_align_labels([SENTENCE, ["Oslo"]], [TAGS, ["B-LOC"]], tokenizer, LABELS.ids(), 64)
    predictions = labels_as_predictions(alignment)
    padded = [row + [0] * 5 for row in predictions]  # the Trainer pads rows to the batch's longest
    assert word_tags(alignment, padded, LABELS.tags) == [TAGS, ["B-LOC"]]
    assert word_tags(tokenize_and_align_labels([SENTENCE], None, tokenizer, LABELS.ids(), 64),
                     predictions[:1], LABELS.tags) == [TAGS]


def test_long_sentences_become_overlapping_windows_and_lose_no_word(tokenizer: Any) -> None:
    rng = random.Random(3)
    vocabulary = ["the", "committee", "in", "Reykjavik", "approved", "Kestrelwing", "plans", ",", "Novak", "said"]
    words = [rng.choice(vocabulary) for _ in range(300)]
    tags = [rng.choice(["O", "O", "B-LOC", "I-LOC", "B-PER"]) for _ in words]
    labels = label_set([tags])
    alignment = tokenize_and_align_labels([words, ["Oslo"]], [tags, ["B-LOC"]], tokenizer, labels.ids(),
                                          max_length=32, stride=8)
    windows = [window for window in alignment.windows if window.sentence == 0]
    assert len(windows) > 10 and alignment.sentences_split == 1 and alignment.windows[-1].sentence == 1
    assert all(len(window.word_ids) <= 32 for window in windows)
    owned = [word for window in windows for word in range(*window.owned)]
    assert owned == list(range(len(words)))  # each word owned by exactly one window, in order
    for window, after in zip(windows, windows[1:]):
        shared = [word for word in window.word_ids if word is not None and word in after.word_ids]
        assert 0 < len(shared) <= 8  # neighbours overlap, by at most the stride
        assert window.owned[0] < after.owned[0] == window.owned[1]
    assert word_tags(alignment, labels_as_predictions(alignment), labels.tags) == [tags, ["B-LOC"]]


def test_overlapping_windows_merge_by_ownership(tokenizer: Any) -> None:
    """Two windows predict differently for the words they share; each word takes its owner's prediction."""
    words = ["Oslo"] * 40
    alignment = tokenize_and_align_labels([words], None, tokenizer, LABELS.ids(), max_length=16, stride=6)
    first, second, *_ = alignment.windows
    ids = LABELS.ids()
    predictions = [[ids["B-LOC"] if index % 2 == 0 else ids["B-PER"]] * len(window.word_ids)
                   for index, window in enumerate(alignment.windows)]
    merged = word_tags(alignment, predictions, LABELS.tags)[0]
    boundary = first.owned[1]
    assert second.word_ids[1] < boundary  # the second window starts inside the first one's words
    assert merged[:boundary] == ["B-LOC"] * boundary
    assert merged[boundary:second.owned[1]] == ["B-PER"] * (second.owned[1] - boundary)


def test_word_windows_split_the_overlap_at_its_middle() -> None:
    assert word_windows([1] * 10, budget=4, stride=2) == [(0, 4, 0, 3), (2, 6, 3, 5), (4, 8, 5, 7), (6, 10, 7, 10)]
    assert word_windows([1, 1, 1], budget=4, stride=2) == [(0, 3, 0, 3)]
    assert word_windows([], budget=4, stride=2) == []


def test_a_word_longer_than_the_window_gets_a_window_of_its_own() -> None:
    assert word_windows([1, 10, 1], budget=4, stride=2) == [(0, 1, 0, 1), (1, 2, 1, 2), (2, 3, 2, 3)]
    # The stride is capped at half a window, so windows always move on.
    assert word_windows([1] * 6, budget=2, stride=5) == [(0, 2, 0, 1), (1, 3, 1, 2), (2, 4, 2, 3), (3, 5, 3, 4),
                                                        (4, 6, 4, 6)]


def test_a_very_long_word_keeps_its_first_sub_tokens(tokenizer: Any) -> None:
    words = ["see", "https://example.org/a/b/c", "now"]
    alignment = tokenize_and_align_labels([words], [["O", "B-LOC", "O"]], tokenizer, LABELS.ids(), max_length=8)
    assert alignment.cut_words == 1
    assert all(len(window.word_ids) <= 8 for window in alignment.windows)
    assert word_tags(alignment, labels_as_predictions(alignment), LABELS.tags) == [["O", "B-LOC", "O"]]


def test_chinese_characters_stay_one_sub_token_each_even_as_unk(tokenizer: Any) -> None:
    characters = list("张伟在杭州的星河科技公司工作")
    tags = ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"] + ["B-ORG"] + ["I-ORG"] * 5 + ["O", "O"]
    labels = label_set([tags])
    alignment = tokenize_and_align_labels([characters], [tags], tokenizer, labels.ids(), max_length=64)
    (window,) = alignment.windows
    assert window.word_ids[1:-1] == tuple(range(len(characters)))
    assert "[UNK]" in tokenizer.convert_ids_to_tokens(window.features["input_ids"])
    assert alignment.stand_ins == 0
    assert word_tags(alignment, labels_as_predictions(alignment), labels.tags) == [tags]


def test_words_the_tokenizer_reads_as_nothing_are_fed_as_unk(tokenizer: Any) -> None:
    words = ["Paris", "", "\ufffd", "\u200b", "is", "big"]
    tags = ["B-LOC", "O", "B-PER", "O", "O", "O"]
    alignment = tokenize_and_align_labels([words, []], [tags, []], tokenizer, LABELS.ids(), max_length=32)
    (window,) = alignment.windows  # an empty sentence makes no window
    assert alignment.stand_ins == 3 and alignment.word_counts == [6, 0]
    assert window.word_ids[1:-1] == (0, 1, 2, 3, 4, 5)
    assert tokenizer.convert_ids_to_tokens(window.features["input_ids"])[2:5] == ["[UNK]"] * 3
    assert word_tags(alignment, labels_as_predictions(alignment), LABELS.tags) == [tags, []]
    assert words[1] == ""  # the caller's words are left as they were


def test_features_are_dataset_columns(tokenizer: Any) -> None:
    from datasets import Dataset

    alignment = tokenize_and_align_labels([SENTENCE, ["Oslo"]], [TAGS, ["B-LOC"]], tokenizer, LABELS.ids(), 64)
    dataset = Dataset.from_dict(alignment.features())
    assert dataset.column_names == ["input_ids", "token_type_ids", "attention_mask", "labels"]
    assert len(dataset) == 2 and dataset[1]["labels"] == [IGNORED, LABELS.ids()["B-LOC"], IGNORED]
    unlabeled = tokenize_and_align_labels([SENTENCE], None, tokenizer, LABELS.ids(), 64).features()
    assert "labels" not in unlabeled


def test_mismatched_prediction_rows_fail_loudly(tokenizer: Any) -> None:
    alignment = tokenize_and_align_labels([SENTENCE], None, tokenizer, LABELS.ids(), 64)
    with pytest.raises(ValueError):
        word_tags(alignment, [], LABELS.tags)
