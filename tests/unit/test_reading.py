"""Messy real-world files: encodings, separators, broken rows, files that are not tables, nested JSON.

Every file here is written byte by byte the way the program that makes it in the wild would write it
(Excel's cp1252 and UTF-16 exports, a European semicolon CSV, a tweet dump with lone CRs...).
"""
from __future__ import annotations

import gzip
import json
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from engine.data import ReadOptions, guess_roles, one_column_problem, read_table, rejected_frame
from tests.unit.conftest import classification_plan
from engine.errors import DataError

GOOD = [f"review number {i} was fine,{'pos' if i % 2 else 'neg'}" for i in range(60)]


def write_lines(path: Path, lines: list[str], ending: str = "\n", encoding: str = "utf-8") -> Path:
    path.write_bytes((ending.join(lines) + ending).encode(encoding))
    return path


# --- encodings ---------------------------------------------------------------------------------------------

def test_cp1252_excel_export_keeps_accents_quotes_and_dashes(tmp_path: Path) -> None:
    lines = ["text,label", "Café très réussi – j’adore,pos", '"Nul, vraiment nul… à éviter",neg',
             "“Superbe” été à Noël,pos"]
    table = read_table(write_lines(tmp_path / "avis.csv", lines, "\r\n", "cp1252"))
    assert table.encoding == "cp1252" and table.encoding_detected
    assert table.frame["text"].tolist() == ["Café très réussi – j’adore", "Nul, vraiment nul… à éviter",
                                            "“Superbe” été à Noël"]


@pytest.mark.parametrize("encoding, expected", [("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"),
                                                ("utf-16-be", "utf-16-be"), ("utf-8-sig", "utf-8-sig")])
def test_unicode_exports_with_and_without_byte_order_mark(tmp_path: Path, encoding: str, expected: str) -> None:
    # Excel's "Unicode text" is UTF-16 with tabs; some tools drop the byte-order mark.
    path = write_lines(tmp_path / "export.txt", ["text\tlabel", "naïve café ☕\tpos", "送餐很快\tneg"], "\r\n", encoding)
    table = read_table(path)
    assert table.encoding == expected and table.separator == "\t"
    assert table.frame["text"].tolist() == ["naïve café ☕", "送餐很快"] and list(table.frame.columns) == ["text", "label"]


def test_gbk_chinese_is_read_as_gb18030(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "评论.csv", ["text,label", "送餐很快，味道不错,正面", "菜太咸了，服务态度也不好,负面"],
                       "\r\n", "gbk")
    table = read_table(path)
    assert table.encoding == "gb18030"
    assert table.frame["label"].tolist() == ["正面", "负面"]


def test_chosen_encoding_wins_and_a_wrong_one_names_the_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "data.csv", ["text,label", "plain,pos", "Übel,neg"], encoding="cp1252")
    assert read_table(path, ReadOptions(encoding="latin-1")).encoding == "latin-1"
    with pytest.raises(DataError) as info:
        read_table(path, ReadOptions(encoding="utf-8"))
    assert "cannot be read as utf-8" in str(info.value) and "line 3" in str(info.value)
    assert "第 3 行" in info.value.localized("zh")


# --- separators ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, lines, separator", [
    ("european.csv", ["text;label;score", "bonjour, ça va;pos;1,5", "nul;neg;0,5"], ";"),
    ("pipes.txt", ["text|label", "hello, there|pos", "bad|neg"], "|"),
    ("tabs.csv", ["text\tlabel", "hello, there\tpos", "bad\tneg"], "\t"),      # the extension is only a hint
    ("commas.tsv", ["text,label", "hello there,pos", "bad,neg"], ","),
])
def test_separator_is_detected_from_consistent_field_counts(tmp_path: Path, name: str, lines: list[str],
                                                            separator: str) -> None:
    table = read_table(write_lines(tmp_path / name, lines))
    assert table.separator == separator and table.separator_detected
    assert table.frame.shape == (2, len(lines[0].split(separator)))


def test_forced_wrong_separator_gives_one_column_and_says_which_to_choose(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "european.csv", ["text;label", "bonjour;pos", "nul;neg"])
    table = read_table(path, ReadOptions(separator=","))
    assert table.frame.shape == (2, 1) and not table.separator_detected
    assert guess_roles(table.frame, classification_plan().roles) == {"text": "text;label", "label": ""}
    problem = one_column_problem(table)
    assert problem is not None and "';'" in str(problem) and "Choose ';' as the separator" in str(problem)


def test_a_one_column_file_says_it_needs_a_label_column(tmp_path: Path) -> None:
    table = read_table(write_lines(tmp_path / "texts.csv", ["text", "hello there", "good bye"]))
    assert guess_roles(table.frame, classification_plan().roles) == {"text": "text", "label": ""}
    assert "only one column ('text')" in str(one_column_problem(table))


# --- rows that do not fit -----------------------------------------------------------------------------------

def test_rows_of_the_wrong_width_are_rejected_with_their_lines(tmp_path: Path) -> None:
    lines = ["text,label", *GOOD[:10], "junk,with,three", "lonely", *GOOD[10:], "a,b,c,d"]
    table = read_table(write_lines(tmp_path / "width.csv", lines))
    assert len(table.frame) == 60 and table.rows_read == 63
    [problem] = table.problems
    assert (problem.kind, problem.count, problem.lines, problem.dropped) == ("wrong_width", 3, (12, 13, 64), True)
    assert "left out: 3 (lines 12, 13, 64)" in str(problem.message)
    rejected = rejected_frame(table.rejected)
    assert rejected.to_dict("list") == {"line": [12, 13, 64], "raw": ["junk,with,three", "lonely", "a,b,c,d"],
                                        "reason": ["field count 3, the header has 2", "field count 1, the header has 2",
                                                   "field count 4, the header has 2"]}
    assert rejected_frame(table.rejected, "zh")["reason"][0] == "字段数 3，表头有 2 列"


def test_an_unclosed_quote_rejects_only_its_line_and_reading_goes_on(tmp_path: Path) -> None:
    lines = ["text,label", *GOOD[:5], '"I loved it, really,pos', *GOOD[5:]]
    table = read_table(write_lines(tmp_path / "quote.csv", lines))
    assert len(table.frame) == 60 and table.frame["label"].value_counts().to_dict() == {"neg": 30, "pos": 30}
    [problem] = table.problems
    assert (problem.kind, problem.lines) == ("broken_quote", (7,))
    assert table.rejected[0].raw == '"I loved it, really,pos'


def test_an_unclosed_quote_closed_by_a_later_inch_mark_is_still_caught(tmp_path: Path) -> None:
    # The later `12",` ends the runaway quote cleanly, so only the swallowed rows' shape gives it away.
    lines = ["text,label", *GOOD[:5], '"I loved it, really,pos', *GOOD[5:30], 'a 12" pizza,pos', *GOOD[30:]]
    table = read_table(write_lines(tmp_path / "quote.csv", lines))
    assert len(table.frame) == 61 and [p.lines for p in table.problems] == [(7,)]
    assert 'a 12" pizza' in table.frame["text"].tolist()


def test_a_quoted_text_with_real_line_breaks_is_kept_whole(tmp_path: Path) -> None:
    review = '"Great phone.\nBattery lasts long, screen is ok.\nCamera, meh.\nWould buy again"'
    table = read_table(write_lines(tmp_path / "multi.csv", ["text,label", *GOOD[:5], review + ",pos", *GOOD[5:]]))
    assert len(table.frame) == 61 and table.problems == []
    assert table.frame["text"][5] == "Great phone.\nBattery lasts long, screen is ok.\nCamera, meh.\nWould buy again"


def test_multi_line_free_text_in_every_column_is_never_taken_for_a_broken_quote(tmp_path: Path) -> None:
    # A summarisation export: articles and highlights are sentences joined by line breaks, commas inside.
    rows = [f'"Story {i}, told at length.\nIt goes on, and on.\nThe end, finally.","Point {i}, first.\nPoint two, '
            f'second.\nPoint three, last."' for i in range(30)]
    table = read_table(write_lines(tmp_path / "news.csv", ["article,highlights", *rows]))
    assert len(table.frame) == 30 and table.problems == []
    assert table.frame["highlights"][0] == "Point 0, first.\nPoint two, second.\nPoint three, last."


def test_lone_carriage_returns_stay_inside_the_text(tmp_path: Path) -> None:
    tweets = [f"tweet {i} first part\rsecond part,{'pos' if i % 2 else 'neg'}" for i in range(80)]
    table = read_table(write_lines(tmp_path / "tweets.csv", ["text,label", *tweets, *GOOD], "\r\n"))
    assert len(table.frame) == 140 and set(table.frame["label"]) == {"pos", "neg"}
    assert table.frame["text"][0] == "tweet 0 first part\nsecond part"
    [problem] = table.problems
    assert (problem.kind, problem.count, problem.dropped, problem.lines[:2]) == ("bare_cr", 80, False, (2, 3))


def test_old_mac_line_endings_are_line_endings(tmp_path: Path) -> None:
    table = read_table(write_lines(tmp_path / "mac.csv", ["text,label", "a,pos", "b,neg"], "\r"))
    assert table.frame["text"].tolist() == ["a", "b"] and table.problems == []


def test_extra_empty_trailing_fields_are_ignored_and_counted(tmp_path: Path) -> None:
    table = read_table(write_lines(tmp_path / "excel.csv", ["text,label", "a,pos,,", "b,neg"]))
    assert table.frame.shape == (2, 2)
    assert [(p.kind, p.count, p.dropped) for p in table.problems] == [("extra_fields", 1, False)]


def test_a_file_whose_every_row_is_rejected_says_why(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        read_table(write_lines(tmp_path / "shifted.csv", ["text,label", "a,b,c", "d,e,f"]))
    assert "None of the 2 rows" in str(info.value) and "lines 2, 3" in str(info.value)


def test_a_broken_quote_in_the_header_is_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="header"):
        read_table(write_lines(tmp_path / "header.csv", ['"text,label', "a,pos"]))


# --- files that are not tables --------------------------------------------------------------------------------

def _zip(path: Path, names: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in names.items():
            archive.writestr(name, text)
    return path


def _sqlite(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("create table t (x)")
    return path


@pytest.mark.parametrize("make, said", [
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200)), "is a PNG image, not a table"),
    (lambda p: p.write_bytes(b"\xff\xd8\xff\xe0" + bytes(200)), "is a JPEG image"),
    (lambda p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "is a PDF document"),
    (lambda p: _zip(p, {"photos/a.jpg": "x", "notes.txt": "y"}), "is a ZIP archive holding photos/a.jpg, notes.txt"),
    (lambda p: _zip(p, {"word/document.xml": "<w/>"}), "is a Word document"),
    (lambda p: p.write_bytes(gzip.compress(b"text,label\na,b\n")), "is a GZIP archive"),
    (lambda p: _sqlite(p), "is an SQLite database"),
    (lambda p: p.write_bytes(b"\x7fELF\x02\x01\x01" + bytes(100)), "is a program"),
    (lambda p: p.write_bytes(b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(50)), "is an audio file"),
    (lambda p: p.write_bytes(bytes(range(256)) * 8), "binary data, not text"),
    (lambda p: p.write_text("<!DOCTYPE html><html><table><tr><td>a</td></tr></table></html>"), "is an HTML page"),
])
def test_a_file_that_is_not_a_table_is_named(tmp_path: Path, make, said: str) -> None:  # noqa: ANN001
    path = tmp_path / "data.csv"
    make(path)
    with pytest.raises(DataError) as info:
        read_table(path)
    assert said in str(info.value) and "'data.csv'" in str(info.value)
    assert "不是表格" in info.value.localized("zh") or "二进制" in info.value.localized("zh")


def test_a_workbook_saved_as_csv_is_read_as_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame({"text": ["good", "bad"], "label": ["pos", "neg"]}).to_excel(writer, index=False)
    table = read_table(path)
    assert table.format == "excel" and table.frame["label"].tolist() == ["pos", "neg"]
    assert "is really an Excel workbook" in str(table.notes[0])


def test_parquet_saved_as_csv_and_text_saved_as_xlsx_are_read_for_what_they_are(tmp_path: Path) -> None:
    parquet = tmp_path / "data.csv"
    pd.DataFrame({"text": ["a", "b"], "label": [1, 0]}).to_parquet(parquet)
    assert read_table(parquet).format == "parquet"
    text = write_lines(tmp_path / "report.xlsx", ["text;label", "a;pos", "b;neg"])
    table = read_table(text)
    assert table.separator == ";" and "holds plain text" in str(table.notes[0])


def test_the_first_sheet_with_data_is_read_and_named(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Notes", index=False)
        pd.DataFrame({"text": ["good"], "label": ["pos"]}).to_excel(writer, sheet_name="Data", index=False)
    table = read_table(path)
    assert table.frame["text"].tolist() == ["good"]
    assert "sheet 'Data'" in str(table.notes[0]) and "2 sheets" in str(table.notes[0])


# --- JSON ------------------------------------------------------------------------------------------------------

def test_nested_json_labels_are_flattened_into_dotted_columns(tmp_path: Path) -> None:
    records = [{"text": "great", "label": {"name": "pos", "id": 1}}, {"text": "awful", "label": {"name": "neg", "id": 0}}]
    path = tmp_path / "nested.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    table = read_table(path)
    assert list(table.frame.columns) == ["text", "label.name", "label.id"]
    assert table.frame["label.name"].tolist() == ["pos", "neg"]
    assert "label.name, label.id" in str(table.notes[0])


def test_a_column_of_lists_is_refused_by_name_never_a_type_error(tmp_path: Path) -> None:
    from engine.data import clean_frame, inspect_frame

    frame = pd.DataFrame({"text": ["a", "b"], "tags": [["x", "y"], ["z"]]})
    with pytest.raises(DataError) as info:
        inspect_frame(frame, classification_plan("text", "tags"))
    assert "Column 'tags' holds lists (the first in data row 1)" in str(info.value)
    with pytest.raises(DataError, match="holds objects"):
        clean_frame(pd.DataFrame({"text": ["a"], "label": [{"name": "x"}]}), classification_plan())


def test_json_lines_reject_broken_lines_by_number(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"text": "a", "label": 1}\n{"text": oops}\n\n["a", 1]\n{"text": "b", "label": 0}\n',
                    encoding="utf-8")
    table = read_table(path)
    assert table.frame["text"].tolist() == ["a", "b"] and table.rows_read == 4
    assert [(p.kind, p.lines) for p in table.problems] == [("bad_json", (2,)), ("not_a_record", (4,))]


# --- the cache -----------------------------------------------------------------------------------------------

def test_a_file_is_read_once_per_content_and_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.data.loading as loading

    reads = []
    real = loading.read_file
    monkeypatch.setattr(loading, "read_file", lambda *args: reads.append(args[0]) or real(*args))
    path = write_lines(tmp_path / "data.csv", ["text;label", "a;pos", "b;neg"])
    first = read_table(path)
    assert read_table(path) is first and len(reads) == 1
    assert read_table(path, ReadOptions(separator=",")).frame.shape == (2, 1) and len(reads) == 2
    write_lines(path, ["text;label", "c;pos", "d;neg", "e;pos"])
    assert read_table(path).frame["text"].tolist() == ["c", "d", "e"] and len(reads) == 3
    with pytest.raises(DataError):
        read_table(write_lines(tmp_path / "bad.csv", ["text,label", "x,y,z"]))
    with pytest.raises(DataError):
        read_table(tmp_path / "bad.csv")
    assert len(reads) == 4  # the same bytes fail the same way, without a second read


def test_concurrent_reads_of_one_file_parse_it_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    import engine.data.loading as loading

    reads = []
    real = loading.read_file

    def slow(*args):  # noqa: ANN002, ANN202
        reads.append(1)
        time.sleep(0.2)
        return real(*args)

    monkeypatch.setattr(loading, "read_file", slow)
    path = write_lines(tmp_path / "shared.csv", ["text,label", "a,pos", "b,neg"])
    tables = []
    threads = [threading.Thread(target=lambda: tables.append(read_table(path))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 1 and all(table is tables[0] for table in tables)


def test_progress_is_reported_while_reading(tmp_path: Path) -> None:
    lines = ["text,label"] + [f"row {i},{i % 2}" for i in range(120_000)]
    seen: list[float] = []
    read_table(write_lines(tmp_path / "big.csv", lines), progress=seen.append)
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) > 2 and seen == sorted(seen)


def test_a_document_is_read_as_text_in_its_encoding_or_refused_by_name(tmp_path: Path) -> None:
    from engine.data.reading import read_document

    gbk = tmp_path / "报告.txt"
    gbk.write_bytes("图书馆建于1921年，由安娜出资建造。\n第二段。".encode("gbk"))
    assert read_document(gbk, gbk.name, 1000) == "图书馆建于1921年，由安娜出资建造。\n第二段。"
    png = tmp_path / "scan.txt"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(DataError, match="'scan.txt' is a PNG image, not a text file"):
        read_document(png, png.name, 1000)
    binary = tmp_path / "data.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataError, match="holds binary data"):
        read_document(binary, binary.name, 1000)
    long = tmp_path / "long.txt"
    long.write_text("a" * 1001, encoding="utf-8")
    with pytest.raises(DataError, match="holds 1,001 characters; a box takes at most 1,000"):
        read_document(long, long.name, 1000)
    blank = tmp_path / "blank.txt"
    blank.write_text(" \n\n", encoding="utf-8")
    with pytest.raises(DataError, match="only blank space"):
        read_document(blank, blank.name, 1000)
