"""A .txt file of one text per line (texts to label) reads as a one-column table, commas and all; a .txt that is a
table still reads as one."""
from __future__ import annotations

from pathlib import Path

from engine.data import ReadOptions, read_table


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_one_text_per_line(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path / "texts.txt", "I loved it\nterrible, boring, too long\n\nfine; nothing more\n"))
    assert table.format == "lines" and table.frame.columns.tolist() == ["text"]
    assert table.frame["text"].tolist() == ["I loved it", "terrible, boring, too long", "fine; nothing more"]
    assert not table.problems and not table.rejected


def test_a_header_naming_the_text_column_is_kept_as_its_name(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path / "sentences.txt", "Sentence\nhello, there\nbye\n"))
    assert table.frame.columns.tolist() == ["Sentence"] and len(table.frame) == 2


def test_a_txt_table_is_still_a_table(tmp_path: Path) -> None:
    table = read_table(_write(tmp_path / "export.txt", "text\tlabel\ngood, really\tpos\nbad\tneg\n"))
    assert table.format == "delimited" and table.frame.columns.tolist() == ["text", "label"]
    chosen = read_table(_write(tmp_path / "chosen.txt", "a,b\nc,d\ne\n"), ReadOptions(separator=","))
    assert chosen.format == "delimited"  # a separator chosen by hand reads the file as a table
