"""The NER demo datasets read cleanly through the studio's own reader and hold what their README says."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.tasks.token_classification.formats import read_ner_file
from engine.tasks.token_classification.schemes import entity_counts, read_tags

DEMO = Path(__file__).resolve().parents[2] / "assets" / "demo"


@pytest.mark.parametrize("name, sentences, entities", [
    ("ner_en.jsonl", 335, {"LOC": 239, "ORG": 182, "PER": 175}),
    ("ner_zh.jsonl", 317, {"LOC": 212, "ORG": 163, "PER": 173}),
])
def test_demo_sentences_are_clean_iob2_with_three_entity_types(name: str, sentences: int,
                                                               entities: dict[str, int]) -> None:
    table = read_ner_file(DEMO / name, name)
    assert (len(table.frame), table.problems, table.rejected) == (sentences, [], [])
    reading = read_tags(table.frame["tags"])
    assert (reading.scheme, reading.repairs) == ("IOB2", {})
    assert reading.sequences == table.frame["tags"].tolist()
    assert entity_counts(reading.sequences) == entities
    without_entities = sum(all(tag == "O" for tag in tags) for tags in reading.sequences)
    assert without_entities == 45
    assert table.frame["tokens"].map(tuple).is_unique


def test_the_chinese_demo_is_one_token_per_character() -> None:
    table = read_ner_file(DEMO / "ner_zh.jsonl", "ner_zh.jsonl")
    assert all(len(token) == 1 for tokens in table.frame["tokens"] for token in tokens)
