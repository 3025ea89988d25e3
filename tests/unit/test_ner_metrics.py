"""Entity scores against hand-computed values, with the BIO edge cases seqeval's default mode decides."""
from __future__ import annotations

import pytest

from engine.tasks.token_classification.metrics import entity_scores, tag_confusion

# Four sentences, each one edge case; the comments give the entities as (type, first word, last word).
GOLD = [
    ["O", "B-LOC", "I-LOC"],    # an entity at the sentence end: (LOC, 1, 2)
    ["B-PER", "B-PER", "O"],    # two adjacent entities of one type: (PER, 0, 0), (PER, 1, 1)
    ["O", "B-ORG", "I-ORG"],    # (ORG, 1, 2)
    ["B-PER", "I-PER"],         # (PER, 0, 1)
]
PREDICTED = [
    ["O", "B-LOC", "I-LOC"],    # (LOC, 1, 2): found
    ["B-PER", "I-PER", "O"],    # (PER, 0, 1): the two people merged into one, so one wrong entity and two missed
    ["O", "I-ORG", "I-ORG"],    # I- after O opens an entity in the default mode: (ORG, 1, 2), found
    ["B-PER", "I-LOC"],         # the type changes between B and I: (PER, 0, 0) and (LOC, 1, 1), both wrong
]


def test_entity_scores_match_the_hand_computed_values() -> None:
    scores = entity_scores(GOLD, PREDICTED)
    # 5 gold entities, 5 predicted, 2 found (LOC in sentence 1, ORG in sentence 3).
    assert scores.precision == pytest.approx(2 / 5)
    assert scores.recall == pytest.approx(2 / 5)
    assert scores.f1 == pytest.approx(2 / 5)
    # 11 words; wrong: B-PER/I-PER (sentence 2), B-ORG/I-ORG (3), I-PER/I-LOC (4).
    assert scores.accuracy == pytest.approx(8 / 11)
    assert list(scores.per_type) == ["LOC", "ORG", "PER"]
    loc, org, per = scores.per_type["LOC"], scores.per_type["ORG"], scores.per_type["PER"]
    # LOC: 1 gold, 2 predicted (sentences 1 and 4), 1 found.
    assert (loc.precision, loc.recall, loc.support) == (pytest.approx(0.5), pytest.approx(1.0), 1)
    assert loc.f1 == pytest.approx(2 / 3)
    assert (org.precision, org.recall, org.f1, org.support) == (1.0, 1.0, 1.0, 1)
    # PER: 3 gold, 2 predicted, none found.
    assert (per.precision, per.recall, per.f1, per.support) == (0.0, 0.0, 0.0, 3)


def test_flat_metrics_and_the_per_type_table() -> None:
    scores = entity_scores(GOLD, PREDICTED, types=["LOC", "MISC", "ORG", "PER"])
    assert scores.as_metrics() == {"precision": pytest.approx(0.4), "recall": pytest.approx(0.4),
                                   "f1": pytest.approx(0.4), "accuracy": pytest.approx(8 / 11)}
    table = scores.per_type_frame()
    assert list(table.columns) == ["type", "precision", "recall", "f1", "support"]
    assert table["type"].tolist() == ["LOC", "MISC", "ORG", "PER"]  # MISC appears in neither: a row of zeros
    assert table.set_index("type").loc["MISC"].tolist() == [0.0, 0.0, 0.0, 0]


def test_a_perfect_prediction_and_a_silent_one() -> None:
    perfect = entity_scores(GOLD, GOLD)
    assert (perfect.precision, perfect.recall, perfect.f1, perfect.accuracy) == (1.0, 1.0, 1.0, 1.0)
    silent = entity_scores(GOLD, [["O"] * len(tags) for tags in GOLD])
    assert (silent.precision, silent.recall, silent.f1) == (0.0, 0.0, 0.0)
    assert silent.accuracy == pytest.approx(3 / 11)  # token accuracy rewards predicting O: why F1 is the figure


def test_entities_are_scored_per_sentence_not_across_sentence_ends() -> None:
    """An entity ending one sentence and an I- starting the next are two entities, never one."""
    scores = entity_scores([["O", "B-PER"], ["I-PER", "O"]], [["O", "B-PER"], ["B-PER", "O"]])
    assert scores.f1 == 1.0


def test_tag_confusion_counts_words_by_gold_and_predicted_tag() -> None:
    tags = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]
    matrix = tag_confusion(GOLD, PREDICTED, tags)
    assert list(matrix.index) == tags and list(matrix.columns) == tags
    assert matrix.loc["O", "O"] == 3
    assert matrix.loc["B-PER", "B-PER"] == 2 and matrix.loc["B-PER", "I-PER"] == 1
    assert matrix.loc["B-ORG", "I-ORG"] == 1 and matrix.loc["I-ORG", "I-ORG"] == 1
    assert matrix.loc["I-PER", "I-LOC"] == 1
    assert matrix.to_numpy().sum() == 11


def test_tag_confusion_adds_tags_outside_the_label_set_after_it() -> None:
    matrix = tag_confusion([["B-PER", "O"]], [["B-MISC", "O"]], ["O", "B-PER", "I-PER"])
    assert list(matrix.columns) == ["O", "B-PER", "I-PER", "B-MISC"]
    assert matrix.loc["B-PER", "B-MISC"] == 1 and matrix.loc["B-MISC"].sum() == 0


def test_mismatched_lengths_are_a_bug_and_fail_loudly() -> None:
    with pytest.raises(ValueError):
        entity_scores([["O", "O"]], [["O"]])
    with pytest.raises(ValueError):
        tag_confusion([["O"]], [])
