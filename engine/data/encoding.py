"""Which text encoding a file uses: detected once, from evidence, never by trying codecs until one passes.

Order of evidence: a byte-order mark; the NUL pattern of UTF-16 without one; strict UTF-8 (which
almost never decodes anything else); then charset-normalizer on the lines that hold non-ASCII bytes.
Its first choice on a short sample is often an exotic look-alike (cp1250 "Hungarian" for a French
Excel export, cp1006 "Urdu" for one ï), so within a family of look-alikes, or when the evidence is a few
bytes, the common Windows code page wins when it reads the bytes plausibly. Chinese files saved by Excel are GBK, whose superset GB18030 reads them all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from engine.errors import DataError
from engine.messages import register_messages

SAMPLE_BYTES = 256 * 1024
NUL_SHARE = 0.3  # of byte pairs with a NUL in one position: ASCII written as UTF-16
KANA_SHARE = 0.2  # of non-ASCII characters: Japanese text always has some hiragana or katakana
FEW_NON_ASCII = 64  # bytes: too little evidence for charset-normalizer to name a rarer code page

register_messages({
    "data.unknown_encoding": ("The text encoding of '{name}' could not be recognised. Choose the encoding "
                              "under 'Encoding', or save the file again as UTF-8 (in Excel: 'CSV UTF-8').",
                              "无法识别“{name}”的文本编码。请在“编码”中选择编码，或把文件另存为 UTF-8"
                              "（Excel 中选“CSV UTF-8”）。"),
    "data.wrong_encoding": ("'{name}' cannot be read as {encoding}: the bytes on line {line} are not valid "
                            "in it. Choose another encoding, or let Tunebench detect it.",
                            "无法按 {encoding} 读取“{name}”：第 {line} 行的字节在该编码中无效。"
                            "请选择其他编码，或让 Tunebench 自动检测。"),
})

BOMS = (  # UTF-32 first: its little-endian mark begins with UTF-16's
    (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"),
)
LATIN = {"cp1250", "cp1252", "cp1254", "cp1257", "cp1258", "latin_1", "iso8859_1", "iso8859_2", "iso8859_3",
         "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16",
         "mac_roman", "mac_latin2", "mac_iceland", "mac_turkish", "cp437", "cp850", "cp852", "cp858", "cp775",
         "cp857", "cp860", "cp861", "cp863", "cp865", "hp_roman8"}
CYRILLIC = {"cp1251", "cp1125", "koi8_r", "koi8_u", "mac_cyrillic", "iso8859_5", "cp866", "cp855", "kz1048", "ptcp154"}
CHINESE = {"gb2312", "gbk", "gb18030", "hz", "big5", "big5hkscs", "cp950"}
JAPANESE = {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004"}
KOREAN = {"cp949", "euc_kr", "johab"}
SIMPLIFIED = {"gb2312", "gbk", "gb18030", "hz"}  # read with their superset gb18030
# A symbol such as ¹ ³ ¿ £ between two letters: cp1252's reading of Central European letters (ą ł ż Ł).
IMPLAUSIBLE_CP1252 = re.compile(r"[^\W\d_][\xa1-\xbf][^\W\d_]")
WESTERN_RUN = re.compile(r"[\x80-\xff]{3}")
KANA = re.compile(r"[\u3040-\u30ff]")
NON_ASCII_LINES = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    detected: bool


def decode(raw: bytes, name: str, chosen: str = "") -> Decoded:
    """The file's text, decoded with `chosen` or with the detected encoding; a DataError when neither reads it."""
    encoding = chosen or detect_encoding(raw, name)
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataError("data.wrong_encoding", name=name, encoding=encoding, line=line) from None
    return Decoded(text.removeprefix("\ufeff"), encoding, detected=not chosen)


def detect_encoding(raw: bytes, name: str) -> str:
    for mark, encoding in BOMS:
        if raw.startswith(mark):
            return encoding
    utf16 = _utf16_without_bom(raw[:4096])
    if utf16:
        return utf16
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return _legacy_encoding(raw, name)


def is_wide_unicode(head: bytes) -> bool:
    """UTF-16 or UTF-32, whose text is full of NUL bytes; in any other text a NUL means binary data."""
    return any(head.startswith(mark) for mark, encoding in BOMS if encoding != "utf-8-sig") or \
        _utf16_without_bom(head) is not None


def _utf16_without_bom(head: bytes) -> str | None:
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even, odd = head[0:pairs * 2:2].count(0), head[1:pairs * 2:2].count(0)
    if odd > NUL_SHARE * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    if even > NUL_SHARE * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    return None


def _legacy_encoding(raw: bytes, name: str) -> str:
    """A single- or double-byte code page, judged on the lines that hold non-ASCII bytes."""
    from charset_normalizer import from_bytes

    sample = _non_ascii_sample(raw)
    # Unicode encodings were ruled out above, on better evidence than a sample gives.
    candidates = [match.encoding for match in from_bytes(sample) if not match.encoding.startswith("utf")]
    if not candidates:
        raise DataError("data.unknown_encoding", name=name)
    choice = _prefer(candidates, sample)
    for encoding in [choice, *candidates]:  # the sample may read where the whole file does not
        if _decodes(raw, encoding):
            return encoding
    raise DataError("data.unknown_encoding", name=name)


def _non_ascii_sample(raw: bytes) -> bytes:
    lines, size = [], 0
    for match in NON_ASCII_LINES.finditer(raw):
        lines.append(match.group())
        size += len(match.group()) + 1
        if size >= SAMPLE_BYTES:
            break
    return b"\n".join(lines)


def _prefer(candidates: list[str], sample: bytes) -> str:
    """The common code page of charset-normalizer's first choice's family, when it reads the sample plausibly."""
    best = candidates[0]
    western = _decoded(sample, "cp1252")
    plausible = western is not None and not IMPLAUSIBLE_CP1252.search(western)
    if plausible and best in LATIN:
        return "cp1252"
    # A word or two of accents is too little evidence for any other family, unless the letters come in
    # runs (a CJK or Cyrillic word read as cp1252 is a run of accented letters).
    if plausible and sum(byte > 127 for byte in sample) < FEW_NON_ASCII and not WESTERN_RUN.search(western):
        return "cp1252"
    if best in CYRILLIC:
        return "cp1251" if _decoded(sample, "cp1251") is not None else best
    if best in CHINESE | JAPANESE | KOREAN:
        return _east_asian(candidates, sample)
    return best


def _east_asian(candidates: list[str], sample: bytes) -> str:
    """Japanese when a Japanese reading has kana; otherwise Chinese before Korean, which short samples
    favour wrongly (a Chinese GBK file is read as cp949 'Korean' first, gb18030 second). Korean files
    are rare among our users; they can choose their encoding."""
    for encoding in candidates:
        text = _decoded(sample, encoding) if encoding in JAPANESE else None
        non_ascii = sum(1 for ch in text if ord(ch) > 127) if text else 0
        if text and len(KANA.findall(text)) >= KANA_SHARE * max(non_ascii, 1):
            return encoding
    # GBK bytes often read as Big5 too; mainland files (what Excel saves in China) are far more common.
    if any(encoding in SIMPLIFIED for encoding in candidates):
        return "gb18030"
    chinese = [encoding for encoding in candidates if encoding in CHINESE]
    return chinese[0] if chinese else candidates[0]


def _decoded(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _decodes(raw: bytes, encoding: str) -> bool:
    return _decoded(raw, encoding) is not None
