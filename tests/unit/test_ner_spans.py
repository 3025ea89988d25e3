"""Words of a text, spans to tags and tags back to spans, and the batch-prediction shapes."""
from __future__ import annotations

import json

import pandas as pd

from engine.tasks.token_classification.json_records import read_ner_json
from engine.tasks.token_classification.spans import (EntitySpan, Word, highlight_segments, join_words,
                                                     spans_frame, spans_from_tags, spans_json_lines, split_words,
                                                     tags_from_spans)


def words_of(text: str) -> list[str]:
    return [word.text for word in split_words(text)]


def test_words_split_at_spaces_and_punctuation_and_chinese_per_character() -> None:
    assert words_of("Angela Merkel visited Paris, France.") == [
        "Angela", "Merkel", "visited", "Paris", ",", "France", "."]
    assert words_of("naïve café in São Paulo") == ["naïve", "café", "in", "São", "Paulo"]
    assert words_of("Cafe\u0301 open") == ["Cafe\u0301", "open"]  # an accent typed as its own code point
    assert words_of("我在Google工作了3年。") == ["我", "在", "Google", "工", "作", "了", "3", "年", "。"]
    assert words_of("東京タワーに行った") == ["東", "京", "タ", "ワ", "ー", "に", "行", "っ", "た"]
    first, *_ = split_words("  Oslo is cold")
    assert first == Word("Oslo", 2, 6)


def test_spans_become_iob2_tags_and_come_back_as_the_same_spans() -> None:
    text = "Maria Novak flew from New Zealand to Oslo with Kestrel Airlines."
    spans = [(0, 11, "PER"), (22, 33, "LOC"), (37, 41, "LOC"), (47, 63, "ORG")]
    words = split_words(text)
    tagged = tags_from_spans(text, words, spans)
    assert tagged.tags == ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O", "B-LOC", "O", "B-ORG", "I-ORG", "O"]
    assert (tagged.misaligned, tagged.overlapping) == ([], [])
    back = spans_from_tags(text, words, tagged.tags)
    assert [(span.start, span.end, span.label) for span in back] == spans
    assert [span.text for span in back] == ["Maria Novak", "New Zealand", "Oslo", "Kestrel Airlines"]


def test_white_space_at_span_edges_is_ignored_but_a_cut_word_is_reported() -> None:
    text = "Visit Oslo and Bergenfjord"
    words = split_words(text)
    assert tags_from_spans(text, words, [(5, 11, "LOC")]).tags == ["O", "B-LOC", "O", "O"]  # " Oslo "
    tagged = tags_from_spans(text, words, [(15, 21, "LOC")])  # "Bergen" inside "Bergenfjord"
    assert tagged.misaligned == [(15, 21, "LOC")]
    assert tagged.tags == ["O"] * 4  # reported, never moved to a neighbouring boundary


def test_overlapping_spans_are_reported() -> None:
    text = "Bank of Oslo"
    tagged = tags_from_spans(text, split_words(text), [(0, 12, "ORG"), (8, 12, "LOC")])
    assert tagged.tags == ["B-ORG", "I-ORG", "I-ORG"]
    assert tagged.overlapping == [(8, 12, "LOC")]


def test_chinese_spans_tag_each_character() -> None:
    text = "张伟在杭州工作"
    tagged = tags_from_spans(text, split_words(text), [(0, 2, "PER"), (3, 5, "LOC")])
    assert tagged.tags == ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "O"]


def test_predicted_tags_are_read_as_seqeval_reads_them() -> None:
    text, words = join_words(["in", "New", "York", "today", "Berlin"])
    spans = spans_from_tags(text, words, ["O", "I-LOC", "I-LOC", "O", "B-LOC"])  # I- after O opens an entity
    assert [(span.text, span.label) for span in spans] == [("New York", "LOC"), ("Berlin", "LOC")]
    spans = spans_from_tags(text, words, ["O", "B-LOC", "I-ORG", "O", "O"])  # a type change is two entities
    assert [(span.text, span.label) for span in spans] == [("New", "LOC"), ("York", "ORG")]


def test_join_words_spaces_words_but_not_chinese_characters() -> None:
    text, words = join_words(["我", "在", "Google", "工", "作", "in", "Oslo", "."])
    assert text == "我在Google工作in Oslo ."
    assert all(text[word.start:word.end] == word.text for word in words)


def test_highlight_segments_cover_the_whole_text() -> None:
    text = "Maria lives in Oslo."
    spans = [EntitySpan(0, 5, "PER", "Maria"), EntitySpan(15, 19, "LOC", "Oslo")]
    segments = highlight_segments(text, spans)
    assert segments == [("Maria", "PER"), (" lives in ", None), ("Oslo", "LOC"), (".", None)]
    assert "".join(piece for piece, _ in segments) == text
    assert highlight_segments("nothing here", []) == [("nothing here", None)]


def test_batch_predictions_as_a_table_and_as_json_lines_that_load_back() -> None:
    texts = ["Maria lives in Oslo.", "Nothing to see.", "张伟在杭州"]
    spans = [[EntitySpan(0, 5, "PER", "Maria"), EntitySpan(15, 19, "LOC", "Oslo")], [],
             [EntitySpan(0, 2, "PER", "张伟"), EntitySpan(3, 5, "LOC", "杭州")]]
    table = spans_frame(spans)
    assert table.to_dict("records")[1] == {"input": 1, "start": 15, "end": 19, "label": "LOC", "text": "Oslo"}
    assert table["input"].tolist() == [1, 1, 3, 3]
    assert list(spans_frame([[], []]).columns) == ["input", "start", "end", "label", "text"]
    lines = spans_json_lines(texts, spans)
    assert json.loads(lines.splitlines()[1]) == {"text": "Nothing to see.", "spans": []}
    assert "张伟" in lines  # readable, not \u-escaped
    reread = read_ner_json(lines, "predictions.jsonl", lines=True).frame
    assert reread["tags"].tolist() == [["B-PER", "O", "O", "B-LOC", "O"], ["O", "O", "O", "O"],
                                       ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]]
    assert isinstance(reread, pd.DataFrame)
