"""What a file really is, from its first bytes, whatever its name says.

People rename files: a photo or a zip saved as .csv, a workbook exported as "data.csv", an HTML page
that a web app calls .xls. Naming the real kind tells them what to do; guessing a table out of it would not.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

from engine.errors import DataError
from engine.messages import Message, register_messages

HEAD_BYTES = 4096
CONTROL_SHARE = 0.01  # above this share of control characters, decoded "text" is really binary

register_messages({
    "data.kind.png": ("a PNG image", "一张 PNG 图片"),
    "data.kind.jpeg": ("a JPEG image", "一张 JPEG 图片"),
    "data.kind.gif": ("a GIF image", "一张 GIF 图片"),
    "data.kind.bmp": ("a BMP image", "一张 BMP 图片"),
    "data.kind.tiff": ("a TIFF image", "一张 TIFF 图片"),
    "data.kind.webp": ("a WebP image", "一张 WebP 图片"),
    "data.kind.pdf": ("a PDF document", "一个 PDF 文档"),
    "data.kind.zip": ("a ZIP archive", "一个 ZIP 压缩包"),
    "data.kind.docx": ("a Word document", "一个 Word 文档"),
    "data.kind.pptx": ("a PowerPoint presentation", "一个 PowerPoint 演示文稿"),
    "data.kind.gzip": ("a GZIP archive", "一个 GZIP 压缩包"),
    "data.kind.7z": ("a 7-Zip archive", "一个 7-Zip 压缩包"),
    "data.kind.rar": ("a RAR archive", "一个 RAR 压缩包"),
    "data.kind.sqlite": ("an SQLite database", "一个 SQLite 数据库"),
    "data.kind.ole2": ("an old Microsoft Office file that is not a readable Excel sheet",
                       "一个无法作为 Excel 表读取的旧版 Microsoft Office 文件"),
    "data.kind.elf": ("a program (ELF executable)", "一个程序（ELF 可执行文件）"),
    "data.kind.exe": ("a Windows program (EXE)", "一个 Windows 程序（EXE）"),
    "data.kind.audio": ("an audio file", "一个音频文件"),
    "data.kind.video": ("a video file", "一个视频文件"),
    "data.kind.html": ("an HTML page", "一个 HTML 网页"),
    "data.kind.binary": ("binary data, not text", "二进制数据，不是文本"),
    "data.not_a_table": ("'{name}' is {kind}, not a table. Export your data as CSV, Excel, JSON or Parquet "
                         "and upload that file.",
                         "“{name}”是{kind}，不是表格。请把数据导出为 CSV、Excel、JSON 或 Parquet 文件后再上传。"),
    "data.archive_not_a_table": ("'{name}' is {kind} holding {files}, not a table. Unzip it and upload the "
                                 "table inside.",
                                 "“{name}”是{kind}，里面有 {files}，不是表格。请解压后上传其中的表格文件。"),
})

# (offset, signature, kind); longer signatures first where one is a prefix of another.
SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "png"),
    (0, b"\xff\xd8\xff", "jpeg"),
    (0, b"GIF87a", "gif"),
    (0, b"GIF89a", "gif"),
    (0, b"%PDF-", "pdf"),
    (0, b"PK\x03\x04", "zip"),
    (0, b"PK\x05\x06", "zip"),
    (0, b"\x1f\x8b", "gzip"),
    (0, b"7z\xbc\xaf\x27\x1c", "7z"),
    (0, b"Rar!\x1a\x07", "rar"),
    (0, b"SQLite format 3\x00", "sqlite"),
    (0, b"PAR1", "parquet"),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole2"),
    (0, b"\x7fELF", "elf"),
    (0, b"II*\x00", "tiff"),
    (0, b"MM\x00*", "tiff"),
    (0, b"ID3", "audio"),
    (0, b"OggS", "audio"),
    (0, b"fLaC", "audio"),
    (0, b"\x1a\x45\xdf\xa3", "video"),
    (4, b"ftyp", "video"),
)
RIFF_KINDS = {b"WAVE": "audio", b"AVI ": "video", b"WEBP": "webp"}


def identify(head: bytes) -> str | None:
    """The kind of a non-text file from its first bytes, or None when it may be text."""
    for offset, signature, kind in SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            return kind
    if head[:4] == b"RIFF":
        return RIFF_KINDS.get(head[8:12], "audio")
    # "MZ" and "BM" also start ordinary words; real headers carry NUL bytes right after.
    if head[:2] == b"MZ" and b"\x00" in head[2:64]:
        return "exe"
    if head[:2] == b"BM" and b"\x00" in head[2:16]:
        return "bmp"
    return None


def zip_kind(path: Path) -> tuple[str, list[str]]:
    """What a ZIP file holds: "xlsx" or "ods" (readable workbooks), "docx", "pptx", or "zip"; and its names."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError):
        return "zip", []
    if "xl/workbook.xml" in names:
        return "xlsx", names
    if "spreadsheet" in mimetype:
        return "ods", names
    if "word/document.xml" in names:
        return "docx", names
    if "ppt/presentation.xml" in names:
        return "pptx", names
    return "zip", names


def looks_like_html(text: str) -> bool:
    start = text[:1000].lstrip().lower()
    return start.startswith(("<!doctype html", "<html", "<table", "<?xml")) or "<html" in start[:200]


def control_share(text: str) -> float:
    """Share of control characters (other than tab, line breaks and form feed) in a sample of decoded text."""
    sample = text[:65536]
    if not sample:
        return 0.0
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\n\r\f")
    return controls / len(sample)


def refuse(name: str, kind: str, names: list[str] | None = None) -> DataError:
    """The error for a file that is `kind`, not a table; an archive names what it holds."""
    if names:
        shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
        return DataError("data.archive_not_a_table", name=name, kind=Message(f"data.kind.{kind}"), files=shown)
    return DataError("data.not_a_table", name=name, kind=Message(f"data.kind.{kind}"))
