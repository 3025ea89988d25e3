"""Tag schemes: detection, conversion to IOB2, counted repairs, and the label set read from the data."""
from __future__ import annotations

import pytest

from engine.errors import DataError
from engine.tasks.token_classification.schemes import detect_scheme, entity_counts, label_set, read_tags, to_iob2


@pytest.mark.parametrize("sequences, scheme", [
    ([["B-PER", "I-PER", "O", "B-LOC"]], "IOB2"),
    ([["O", "I-ORG", "O", "B-LOC"]], "IOB2"),              # an orphan I- in IOB2 data is a mistake, not IOB1
    ([["I-PER", "I-PER", "B-PER", "O", "I-LOC"]], "IOB1"),  # B- only splits two adjacent PER entities
    ([["I-PER", "O"], ["I-LOC"]], "IOB1"),
    ([["B-PER", "E-PER", "S-LOC", "O"]], "IOBES"),
    ([["U-PER", "O", "B-LOC", "L-LOC"]], "BILOU"),
    ([["PER", "PER", "O", "LOC"]], "IO"),
    ([["O", "O"]], "IOB2"),
])
def test_the_scheme_is_detected_from_the_tags(sequences: list[list[str]], scheme: str) -> None:
    assert detect_scheme(sequences) == scheme


def test_mixed_schemes_and_bare_tags_beside_prefixed_ones_are_refused() -> None:
    with pytest.raises(DataError) as info:
        detect_scheme([["S-PER", "O"], ["U-LOC"]])
    assert info.value.code == "ner.mixed_schemes"
    with pytest.raises(DataError) as info:
        detect_scheme([["B-PER", "PERSON", "O", "B-"]])
    assert info.value.code == "ner.bare_tags"
    assert "B-, PERSON" in str(info.value)


def test_iob2_repairs_orphan_inside_tags_and_type_changes_and_counts_them() -> None:
    reading = read_tags([["O", "I-PER", "I-PER", "B-LOC", "I-ORG"], ["I-MISC"], ["B-PER", "I-PER"]])
    assert reading.scheme == "IOB2"
    assert reading.sequences == [["O", "B-PER", "I-PER", "B-LOC", "B-ORG"], ["B-MISC"], ["B-PER", "I-PER"]]
    assert reading.repairs == {"orphan_inside": 2, "type_change": 1}
    assert [message.text("en") for message in reading.messages] == [
        "I- tags opening an entity with no B- before them, made B-: 2.",
        "Tags continuing an entity of another type (B-PER then I-LOC), made the start of a new entity: 1."]
    assert reading.messages[0].text("zh") == "前面没有 B- 就开始实体的 I- 标签，已改为 B-：2 个。"


def test_iob1_converts_without_counting_repairs() -> None:
    reading = read_tags([["I-PER", "I-PER", "B-PER", "O", "I-LOC"]])
    assert reading.scheme == "IOB1"
    assert reading.sequences == [["B-PER", "I-PER", "B-PER", "O", "B-LOC"]]
    assert reading.repairs == {}


def test_iobes_converts_single_and_end_tags() -> None:
    reading = read_tags([["B-PER", "E-PER", "S-LOC", "O", "B-ORG", "I-ORG", "E-ORG", "S-ORG"]])
    assert reading.sequences == [["B-PER", "I-PER", "B-LOC", "O", "B-ORG", "I-ORG", "I-ORG", "B-ORG"]]
    assert reading.repairs == {}


def test_iobes_repairs_orphan_ends_and_counts_unclosed_entities() -> None:
    reading = to_iob2([["E-PER", "O", "B-LOC", "O", "I-ORG", "E-ORG", "B-PER"], ["B-LOC", "E-ORG"]], "IOBES")
    assert reading.sequences == [["B-PER", "O", "B-LOC", "O", "B-ORG", "I-ORG", "B-PER"], ["B-LOC", "B-ORG"]]
    # E-PER closes nothing; B-LOC (twice) and the final B-PER never close; I-ORG opens an entity; E-ORG ends a LOC.
    assert reading.repairs == {"orphan_end": 1, "orphan_inside": 1, "type_change": 1, "unclosed": 3}


def test_bilou_reads_like_iobes() -> None:
    assert read_tags([["U-PER", "O", "B-LOC", "I-LOC", "L-LOC"]]).sequences == [
        ["B-PER", "O", "B-LOC", "I-LOC", "I-LOC"]]


def test_bare_labels_make_one_entity_per_run() -> None:
    reading = read_tags([["PER", "PER", "O", "LOC", "ORG", "ORG"]])
    assert reading.scheme == "IO"
    assert reading.sequences == [["B-PER", "I-PER", "O", "B-LOC", "B-ORG", "I-ORG"]]


def test_label_set_puts_o_first_then_b_and_i_for_every_sorted_type() -> None:
    labels = label_set([["B-PER", "O"], ["B-LOC", "I-LOC", "B-ORG"]])
    assert labels.types == ("LOC", "ORG", "PER")
    assert labels.tags == ("O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER")
    assert labels.ids()["B-ORG"] == 3
    assert label_set([["O"]]).tags == ("O",)


def test_entity_counts_count_entities_not_tags() -> None:
    assert entity_counts([["B-PER", "I-PER", "B-PER"], ["O", "B-LOC", "I-LOC", "I-LOC"]]) == {"LOC": 1, "PER": 2}


def test_repaired_tags_score_like_the_raw_tags_under_seqeval() -> None:
    """The repairs follow seqeval's default reading, so metrics on repaired gold equal metrics on raw gold."""
    from seqeval.metrics.sequence_labeling import get_entities

    raw = [["O", "I-PER", "I-PER", "B-LOC", "I-ORG", "I-ORG", "O", "I-LOC"]]
    assert get_entities(read_tags(raw).sequences[0]) == get_entities(raw[0])
