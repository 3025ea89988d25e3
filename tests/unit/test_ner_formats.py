"""Reading token-classification files: CoNLL columns, token/tag JSON and span JSON Lines, with every sentence
left out counted and named by line."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.data.table import rejected_frame
from engine.errors import DataError
from engine.tasks.token_classification.formats import looks_like_conll, read_conll_text, read_ner_file
from engine.tasks.token_classification.json_records import read_ner_json

CONLL = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
"""


def sentences(table) -> list[tuple[list[str], list[str]]]:  # noqa: ANN001 - a LoadedTable
    return list(zip(table.frame["tokens"], table.frame["tags"]))


def test_conll_takes_the_first_and_last_columns_and_skips_document_markers() -> None:
    table = read_conll_text(CONLL, "train.txt")
    assert sentences(table) == [(["EU", "rejects", "German", "call"], ["B-ORG", "O", "B-MISC", "O"]),
                                (["Peter", "Blackburn"], ["B-PER", "I-PER"])]
    assert (table.format, table.rows_read, table.problems) == ("conll", 2, [])
    assert [note.text("en") for note in table.notes] == ["Document markers (-DOCSTART-) skipped: 1."]


def test_conll_with_tabs_keeps_spaces_inside_tokens_and_reads_tab_only_lines_as_breaks() -> None:
    text = "New York\tB-LOC\nis\tO\n\t\n\u3000\tO\n上\tB-LOC\n海\tI-LOC\t\n"
    assert sentences(read_conll_text(text, "tabs.txt")) == [
        (["New York", "is"], ["B-LOC", "O"]), (["\u3000", "上", "海"], ["O", "B-LOC", "I-LOC"])]


def test_conll_line_endings_blank_runs_and_a_missing_final_newline() -> None:
    text = "\r\n\r\nParis B-LOC\r\n\r\n\r\n\r\nRome B-LOC\r\nis O"
    assert sentences(read_conll_text(text, "crlf.txt")) == [(["Paris"], ["B-LOC"]), (["Rome", "is"], ["B-LOC", "O"])]
    assert sentences(read_conll_text("Oslo B-LOC\rBergen B-LOC\r", "mac.txt")) == [
        (["Oslo", "Bergen"], ["B-LOC", "B-LOC"])]


def test_a_sentence_with_a_tagless_line_is_left_out_whole_with_its_lines() -> None:
    text = "Paris B-LOC\nis O\n\nBerlin B-LOC\nrains\ntoday O\n\nOslo B-LOC\nsnows\n\nRome B-LOC\n"
    table = read_conll_text(text, "broken.txt")
    assert sentences(table) == [(["Paris", "is"], ["B-LOC", "O"]), (["Rome"], ["B-LOC"])]
    assert table.rows_read == 4
    (problem,) = table.problems
    assert (problem.kind, problem.count, problem.lines, problem.dropped) == ("ner_missing_tag", 2, (4, 8), True)
    assert problem.message.text("en") == ("Sentences with a line that has a token but no tag, left out: 2 "
                                          "(lines 4, 8).")
    assert problem.message.text("zh") == "含有只有词元、没有标签的行的句子，已排除：2 句（第 4, 8 行）。"
    download = rejected_frame(table.rejected)
    assert download.to_dict("records")[0] == {"line": 4, "reason": "line 5 has a token but no tag",
                                              "raw": "Berlin B-LOC\nrains\ntoday O"}


def test_a_file_with_no_usable_sentence_says_what_a_line_should_look_like() -> None:
    with pytest.raises(DataError) as info:
        read_conll_text("Paris\nBerlin\n\nRome\n", "cities.txt")
    assert info.value.code == "ner.no_sentences"
    assert "left out: 2 (lines 1, 4)" in str(info.value) and "'Paris B-LOC'" in str(info.value)
    with pytest.raises(DataError) as info:
        read_conll_text("-DOCSTART- O\n\n", "empty.txt")
    assert str(info.value).endswith("with a blank line between sentences. ")


def test_conll_is_recognised_and_other_text_files_are_not() -> None:
    assert looks_like_conll(CONLL)
    assert looks_like_conll("我\tO\n爱\tO\n北\tB-LOC\n京\tI-LOC\n")
    assert not looks_like_conll("I loved this film.\nTerrible service, never again.\n")
    assert not looks_like_conll("text,label\ngood film,pos\nbad film,neg\n")
    assert not looks_like_conll('{"tokens": ["a"], "tags": ["O"]}\n')
    assert not looks_like_conll("good pos\nbad neg\nfine pos\n")  # two columns, but no tags
    assert not looks_like_conll("\n\n")


def test_a_gbk_encoded_chinese_file_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "msra.txt"
    sentence = "北京奥运会开幕式上各国运动员依次入场，观众热烈欢迎他们的到来。"  # a realistic amount of evidence
    text = "".join(f"{char}\t{'B-LOC' if index == 0 else 'I-LOC' if index == 1 else 'O'}\n"
                   for index, char in enumerate(sentence))
    path.write_bytes((text + "\n" + text).encode("gbk"))
    table = read_ner_file(path, "msra.txt")
    assert table.encoding == "gb18030" and table.encoding_detected
    assert table.frame["tokens"].tolist() == [list(sentence)] * 2
    assert table.frame["tags"][0][:3] == ["B-LOC", "I-LOC", "O"]


def test_a_utf16_file_and_a_chosen_encoding(tmp_path: Path) -> None:
    from engine.data.table import ReadOptions

    path = tmp_path / "ner.conll"
    path.write_bytes("Zürich B-LOC\n".encode("utf-16"))
    assert read_ner_file(path, "ner.conll").frame["tokens"].tolist() == [["Zürich"]]
    path.write_bytes("Zürich B-LOC\n".encode("cp1252"))
    table = read_ner_file(path, "ner.conll", ReadOptions(encoding="cp1252"))
    assert (table.frame["tokens"].tolist(), table.encoding_detected) == ([["Zürich"]], False)


def test_files_that_are_not_text_are_named_for_what_they_are(tmp_path: Path) -> None:
    path = tmp_path / "ner.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(DataError) as info:
        read_ner_file(path, "ner.txt")
    assert "a PNG image" in str(info.value)
    path.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        read_ner_file(path, "ner.txt")
    assert info.value.code == "data.blank_file"


def test_token_and_tag_json_arrays_name_the_line_of_a_bad_record(tmp_path: Path) -> None:
    records = [{"tokens": ["EU", "rejects"], "ner_tags": ["B-ORG", "O"]},
               {"tokens": ["Peter", "Blackburn"], "ner_tags": ["B-PER"]},
               {"tokens": "Peter Blackburn", "ner_tags": ["B-PER", "I-PER"]},
               {"tokens": [], "ner_tags": []}]
    path = tmp_path / "train.json"
    path.write_text(json.dumps(records, indent=2), encoding="utf-8")
    table = read_ner_file(path, "train.json")
    assert sentences(table) == [(["EU", "rejects"], ["B-ORG", "O"])]
    assert (table.format, table.rows_read) == ("json", 4)
    lines = json.dumps(records, indent=2).split("\n")
    starts = [number for number, line in enumerate(lines, start=1) if line == "  {"]
    assert {problem.kind: problem.lines for problem in table.problems} == {
        "ner_length_mismatch": (starts[1],), "ner_not_lists": (starts[2],), "ner_no_tokens": (starts[3],)}
    assert table.rejected[0].reason.text("en") == "2 tokens but 1 tags"
    assert json.loads(table.rejected[0].raw) == records[1]


def test_token_and_tag_json_lines_count_broken_lines_too() -> None:
    text = ('{"tokens": ["Oslo"], "tags": ["B-LOC"]}\n\nnot json\n'
            '{"tokens": ["in", "Oslo"], "tags": ["O", "S-LOC"]}\n{"tokens": ["x"], "tags": [3]}\n')
    table = read_ner_json(text, "train.jsonl", lines=True)
    assert sentences(table) == [(["Oslo"], ["B-LOC"]), (["in", "Oslo"], ["O", "S-LOC"])]
    assert table.rows_read == 4
    assert {problem.kind: problem.lines for problem in table.problems} == {"bad_json": (3,), "ner_not_lists": (5,)}


def test_numeric_tag_ids_are_refused_with_what_to_export_instead() -> None:
    text = '{"tokens": ["EU", "rejects"], "ner_tags": [3, 0]}\n{"tokens": ["Peter"], "ner_tags": [1]}\n'
    with pytest.raises(DataError) as info:
        read_ner_json(text, "hf.jsonl", lines=True)
    assert info.value.code == "ner.numeric_tags"


def test_span_json_lines_in_the_shapes_labeling_tools_export() -> None:
    lines = [
        {"text": "Maria Novak lives in Oslo.", "spans": [{"start": 0, "end": 11, "label": "PER"},
                                                       {"start": 21, "end": 25, "label": "LOC"}]},
        {"text": "Kestrel Airlines flies to Lima", "label": [[0, 16, "ORG"], [26, 30, "LOC"]]},  # doccano
        {"text": "张伟在杭州", "entities": [{"start_offset": 3, "end_offset": 5, "label": "LOC"}]},
        {"text": "Quiet day.", "spans": []},
        {"text": "Hi Oslo ", "spans": [{"start": 2, "end": 8, "text": " Oslo ", "labels": ["LOC"]}]},  # Label Studio
    ]
    text = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)
    table = read_ner_json(text, "export.jsonl", lines=True)
    assert table.problems == []
    assert sentences(table) == [
        (["Maria", "Novak", "lives", "in", "Oslo", "."], ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]),
        (["Kestrel", "Airlines", "flies", "to", "Lima"], ["B-ORG", "I-ORG", "O", "O", "B-LOC"]),
        (list("张伟在杭州"), ["O", "O", "O", "B-LOC", "I-LOC"]),
        (["Quiet", "day", "."], ["O", "O", "O"]),
        (["Hi", "Oslo"], ["O", "B-LOC"]),
    ]


def test_span_records_that_cannot_be_tagged_are_left_out_with_the_span_named() -> None:
    lines = [
        {"text": "Visit Bergenfjord now", "spans": [{"start": 6, "end": 12, "label": "LOC"}]},
        {"text": "Bank of Oslo", "spans": [[0, 12, "ORG"], [8, 12, "LOC"]]},
        {"text": "Oslo", "spans": [{"start": 0, "end": 40, "label": "LOC"}]},
        {"text": "Oslo", "spans": "LOC"},
        {"text": 42},
        {"text": "   "},
        {"text": "Oslo is fine", "spans": [[0, 4, "LOC"]]},
    ]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    table = read_ner_json(text, "export.jsonl", lines=True)
    assert sentences(table) == [(["Oslo", "is", "fine"], ["B-LOC", "O", "O"])]
    assert {problem.kind: problem.lines for problem in table.problems} == {
        "ner_span_misaligned": (1,), "ner_span_overlap": (2,), "ner_bad_span": (3, 4), "ner_no_text": (5,),
        "ner_no_tokens": (6,)}
    reasons = [row.reason.text("en") for row in table.rejected]
    assert reasons[0] == "1 span(s) start or end inside a word, the first 'Bergen' (6–12, LOC)"
    assert reasons[1] == "span 'Oslo' (8–12, LOC) overlaps another"
    assert reasons[2] == ('span {"start": 0, "end": 40, "label": "LOC"} is not a start, an end and a label inside '
                          'the text')
    misaligned = next(problem for problem in table.problems if problem.kind == "ner_span_misaligned")
    assert "not moved to a word boundary" in misaligned.message.text("en")


def test_json_without_token_classification_fields_names_the_fields_it_found() -> None:
    with pytest.raises(DataError) as info:
        read_ner_json('[{"review": "good", "stars": 5}]', "reviews.json", lines=False)
    assert info.value.code == "ner.json_shape"
    assert "Fields found: review, stars." in str(info.value)
    with pytest.raises(DataError) as info:
        read_ner_json('{"text": "Oslo", "label": "positive"}\n', "reviews.jsonl", lines=True)
    assert info.value.code == "ner.no_records"
