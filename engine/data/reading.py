"""One file into one LoadedTable: the content decides the format, the extension is only a hint.

A workbook saved as .csv is read as the workbook it is (with a note), a photo saved as .csv is named as
a photo, and text is decoded with the detected (or chosen) encoding before the delimited or JSON reader
sees it. Parsers' own exceptions never reach users: their text means nothing to them.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from engine.data.columns import TEXT_NAMES
from engine.data.delimited import (EXTENSION_HINTS, LONE_CR, SEPARATOR_NAMES, detect_separator, is_table,
                                    parse_delimited, prepare_breaks)
from engine.data.encoding import decode, is_wide_unicode
from engine.data.json_tables import read_json_text
from engine.data.sniff import CONTROL_SHARE, HEAD_BYTES, control_share, identify, looks_like_html, refuse, zip_kind
from engine.data.table import LoadedTable, Progress, ReadOptions
from engine.errors import DataError
from engine.messages import Message, register_messages

TEXT_EXTENSIONS = (".csv", ".tsv", ".txt", ".json", ".jsonl")
BINARY_EXTENSIONS = (".parquet", ".xlsx", ".xls", ".ods")
SUPPORTED_EXTENSIONS: tuple[str, ...] = TEXT_EXTENSIONS + BINARY_EXTENSIONS

register_messages({
    "data.unsupported_type": ("'{name}' has an unsupported file type '{extension}'. Supported types: {supported}.",
                              "“{name}”的文件类型“{extension}”不受支持。支持的类型：{supported}。"),
    "data.unreadable": ("'{name}' could not be read as a {extension} file; it may be damaged or saved in another "
                        "format. Open it in the program that made it, save it again (CSV in UTF-8 is the safest "
                        "choice) and reload it.",
                        "无法按 {extension} 文件读取“{name}”；文件可能已损坏或其实是别的格式。请用生成它的程序打开，"
                        "重新保存（最稳妥的是 UTF-8 编码的 CSV）后再加载。"),
    "data.needs_package": ("'{name}' needs an optional package that is not installed ({package}). Save the file "
                           "as CSV and load it again.",
                           "读取“{name}”需要一个未安装的可选软件包（{package}）。请把文件另存为 CSV 后再加载。"),
    "data.blank_file": ("'{name}' contains only blank space. Choose a file that contains your data.",
                        "“{name}”只包含空白。请选择包含数据的文件。"),
    "data.read_as_workbook": ("'{name}' is really an Excel workbook (its name says {extension}); it was read as a "
                              "workbook.",
                              "“{name}”实际上是 Excel 工作簿（文件名后缀为 {extension}），已按工作簿读取。"),
    "data.read_as_parquet": ("'{name}' is really a Parquet file (its name says {extension}); it was read as "
                             "Parquet.",
                             "“{name}”实际上是 Parquet 文件（文件名后缀为 {extension}），已按 Parquet 读取。"),
    "data.read_as_text": ("'{name}' holds plain text, not a {extension} file; it was read as delimited text.",
                          "“{name}”里是纯文本，不是 {extension} 文件，已按分隔符文本读取。"),
    "data.wrong_separator": ("No row of '{name}' has the header's number of fields when it is split at {used}, "
                             "but its lines split evenly at {other}. Choose {other} as the separator.",
                             "按 {used} 分隔时，“{name}”中没有一行的字段数与表头相同，但按 {other} 分隔时各行整齐。"
                             "请把分隔符设为 {other}。"),
    "data.not_a_text_file": ("'{name}' is {kind}, not a text file. Choose a plain text file (.txt or .md).",
                             "“{name}”是{kind}，不是文本文件。请选择纯文本文件（.txt 或 .md）。"),
    "data.document_binary": ("'{name}' holds binary data, not text. Choose a plain text file (.txt or .md).",
                              "“{name}”里是二进制数据，不是文本。请选择纯文本文件（.txt 或 .md）。"),
    "data.document_too_long": ("'{name}' holds {length:,} characters; a box takes at most {limit:,}. Load a shorter "
                               "part of it.", "“{name}”有 {length:,} 个字符；一个输入框最多容纳 {limit:,} 个。"
                               "请载入其中较短的一部分。"),
    "data.sheet_chosen": ("The workbook has {count} sheets ({sheets}); sheet '{sheet}', the first with data, was "
                          "read.",
                          "该工作簿有 {count} 个工作表（{sheets}）；读取的是第一个有数据的工作表“{sheet}”。"),
})


def read_file(path: Path, name: str, options: ReadOptions = ReadOptions(),
              progress: Progress | None = None) -> LoadedTable:
    """Read `path` (called `name` in every message) into a LoadedTable with string column names."""
    with open(path, "rb") as handle:
        head = handle.read(HEAD_BYTES)
    extension = path.suffix.lower()
    kind = identify(head)
    if kind is not None:
        return _read_binary(path, name, kind, extension)
    if extension not in SUPPORTED_EXTENSIONS:
        raise DataError("data.unsupported_type", name=name, extension=extension or "(none)",
                        supported=", ".join(SUPPORTED_EXTENSIONS))
    if b"\x00" in head and not is_wide_unicode(head):
        raise refuse(name, "binary")
    decoded = decode(path.read_bytes(), name, options.encoding)
    text = decoded.text
    if "\x00" in text[:HEAD_BYTES] or control_share(text) > CONTROL_SHARE:
        raise refuse(name, "binary")
    if looks_like_html(text):
        raise refuse(name, "html")
    if not text.strip():
        raise DataError("data.blank_file", name=name)
    if extension in (".json", ".jsonl"):
        table = _json(text, name, extension)
    else:
        table = _delimited(text, name, extension, options, progress)
        if extension in BINARY_EXTENSIONS:
            table.notes.append(Message("data.read_as_text", {"name": name, "extension": extension}))
    table.encoding, table.encoding_detected = decoded.encoding, decoded.detected
    return table


def read_document(path: Path, name: str, limit: int) -> str:
    """The text of a plain text file (a document to ask questions about), decoded with the detected encoding;
    a file that is not text is named for what it is, and one longer than `limit` characters is refused."""
    raw = Path(path).read_bytes()
    head = raw[:HEAD_BYTES]
    kind = identify(head)
    if kind is not None:
        raise DataError("data.not_a_text_file", name=name, kind=Message(f"data.kind.{kind}"))
    if b"\x00" in head and not is_wide_unicode(head):
        raise DataError("data.document_binary", name=name)
    text = decode(raw, name).text
    if control_share(text) > CONTROL_SHARE:
        raise DataError("data.document_binary", name=name)
    if not text.strip():
        raise DataError("data.blank_file", name=name)
    if len(text) > limit:
        raise DataError("data.document_too_long", name=name, length=len(text), limit=limit)
    return text


def _read_binary(path: Path, name: str, kind: str, extension: str) -> LoadedTable:
    if kind == "zip":
        contents, names = zip_kind(path)
        if contents not in ("xlsx", "ods"):
            if extension in BINARY_EXTENSIONS:  # a workbook too damaged to show what it holds
                raise DataError("data.unreadable", name=name, extension=extension)
            raise refuse(name, contents, names if contents == "zip" else None)
        return _renamed(_parse(path, name, extension, _excel), name, extension, (".xlsx", ".ods"), "workbook")
    if kind == "parquet":
        return _renamed(_parse(path, name, extension, _parquet), name, extension, (".parquet",), "parquet")
    if kind == "ole2":  # old .xls, but also .doc and .msg: only a workbook reader can tell
        try:
            table = _excel(path, name)
        except Exception:  # noqa: BLE001 - any failure means "not a sheet we can read"
            raise refuse(name, "ole2") from None
        return _renamed(table, name, extension, (".xls",), "workbook")
    raise refuse(name, kind)


def _renamed(table: LoadedTable, name: str, extension: str, expected: tuple[str, ...], what: str) -> LoadedTable:
    if extension not in expected:
        table.notes.append(Message(f"data.read_as_{what}", {"name": name, "extension": extension or "(none)"}))
    return table


def _parse(path: Path, name: str, extension: str, reader) -> LoadedTable:  # noqa: ANN001 - a reader below
    try:
        return reader(path, name)
    except DataError:
        raise
    except ImportError as exc:
        raise DataError("data.needs_package", name=name, package=exc.name or "python-calamine") from exc
    except Exception as exc:  # parsers raise many unrelated types; all mean "this file is unreadable"
        raise DataError("data.unreadable", name=name, extension=extension or "(none)") from exc


def _excel(path: Path, name: str) -> LoadedTable:
    """The first sheet with data; calamine reads .xlsx, .xls and .ods several times faster than openpyxl."""
    with pd.ExcelFile(path, engine="calamine") as book:
        sheets = [str(sheet) for sheet in book.sheet_names]
        for sheet in sheets:
            frame = book.parse(sheet)
            if frame.shape[1]:
                break
    notes = []
    if len(sheets) > 1:
        notes.append(Message("data.sheet_chosen", {"count": len(sheets), "sheets": ", ".join(sheets[:6]),
                                                   "sheet": sheet}))
    return LoadedTable(frame, name, "excel", rows_read=len(frame), notes=notes)


def _parquet(path: Path, name: str) -> LoadedTable:
    frame = pd.read_parquet(path)
    return LoadedTable(frame, name, "parquet", rows_read=len(frame))


def _json(text: str, name: str, extension: str) -> LoadedTable:
    table = read_json_text(text, name, lines=extension == ".jsonl")
    return LoadedTable(table.frame, name, extension.removeprefix("."), rows_read=table.rows_read,
                       problems=table.log.problems(), rejected=table.log.rejected, notes=table.notes)


def _delimited(text: str, name: str, extension: str, options: ReadOptions,
               progress: Progress | None) -> LoadedTable:
    text = prepare_breaks(text)
    if extension == ".txt" and not options.separator and not is_table(text):
        return _lines(text, name)
    hint = EXTENSION_HINTS.get(extension, "")
    separator = options.separator or detect_separator(text, hint) or hint or ","
    parsed = parse_delimited(text, separator, name, progress)
    if not parsed.rows and parsed.log.rejected and options.separator:
        better = detect_separator(text, hint)
        if better and better != separator:  # a separator chosen by hand that fits no row: name the one that does
            raise DataError("data.wrong_separator", name=name, used=SEPARATOR_NAMES[separator],
                            other=SEPARATOR_NAMES[better])
    frame = pd.DataFrame(parsed.rows, columns=parsed.header, dtype=object)
    return LoadedTable(frame, name, "delimited", separator=separator, separator_detected=not options.separator,
                       rows_read=parsed.rows_read, problems=parsed.log.problems(), rejected=parsed.log.rejected)


def _lines(text: str, name: str) -> LoadedTable:
    """A text file with one text per line (texts to label, say): blank lines are no rows, and a first line that
    names a text column ("text", "sentence"...) is its header."""
    lines = [line.replace(LONE_CR, "\n").strip() for line in text.split("\n")]
    lines = [line for line in lines if line]
    column = "text"
    if lines and lines[0].lower() in TEXT_NAMES:
        column = lines.pop(0)
    return LoadedTable(pd.DataFrame({column: lines}, dtype=object), name, "lines", rows_read=len(lines))
