"""The benchmark NER sets read through the studio's reader give exactly the sentence counts ../shared/data's README
states (skipped where a set is absent, as in a user's clone)."""
from __future__ import annotations

import pytest

from bench.ner_data import NER_SETS, available, load_split

SPLITS = [(name, split) for name, ner_set in NER_SETS.items() for split in ner_set.splits]


@pytest.mark.parametrize("name, split", SPLITS, ids=[f"{name}-{split}" for name, split in SPLITS])
def test_sentence_counts_match_the_data_readme(name: str, split: str) -> None:
    if not available(name):
        pytest.skip(f"../shared/data/{name} is not present")
    table = load_split(name, split)
    assert len(table.frame) == NER_SETS[name].sentences[split]
    assert (table.problems, table.rejected) == ([], [])
    if name == "conll2003" and split == "test":
        assert [note.text("en") for note in table.notes] == ["Document markers (-DOCSTART-) skipped: 230."]
