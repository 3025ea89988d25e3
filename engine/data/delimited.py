"""Delimited text (CSV, TSV, semicolon and pipe files) read with Python's csv module, line by line.

Reading it ourselves, rather than through pandas, is what lets every problem be named by its physical
line: a row of the wrong width, a quote that never closes (which would otherwise swallow the rows after
it), a lone carriage return inside a field (which would otherwise cut the row in two). Good rows are
kept, bad ones are rejected with their reason, and nothing is reshaped without a count.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from itertools import islice

from engine.data.table import ProblemLog, Progress
from engine.errors import DataError
from engine.messages import register_messages

CANDIDATES = (",", "\t", ";", "|")
SEPARATOR_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}  # as messages name them
EXTENSION_HINTS = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
SAMPLE_CHARS = 64 * 1024
SAMPLE_RECORDS = 500
TABLE_SHARE = 0.9  # records with the header's field count for a .txt file to be read as a table
# Stands in for a lone CR while the csv module reads (it would end the row there); a private-use character
# that real text does not contain.
LONE_CR = "\ue000"
LONE_CR_PATTERN = re.compile(r"\r(?!\n|\Z)")
VOCABULARY_ROWS = 2000  # rows that tell which columns hold a few repeated values (labels)
VOCABULARY_SIZE = 50
PROGRESS_EVERY = 50_000

register_messages({
    "data.header_quote": ("The first line of '{name}' (its header) opens a quote that is never closed. "
                          "Fix the header line and upload the file again.",
                          "“{name}”的第一行（表头）中有未闭合的引号。请修正表头后重新上传。"),
})


@dataclass
class ParsedRows:
    header: list[str]
    rows: list[list[str]]
    log: ProblemLog
    rows_read: int


def prepare_breaks(text: str) -> str:
    """Old Mac files end lines with CR alone; elsewhere a lone CR is part of a field (see LONE_CR)."""
    if "\r" not in text:
        return text
    if "\n" not in text:
        return text.replace("\r", "\n")
    return LONE_CR_PATTERN.sub(LONE_CR, text)


def detect_separator(text: str, hint: str = "") -> str | None:
    """The candidate that splits the header into 2+ fields and most other records into as many; the
    extension's separator wins ties. None when no candidate makes more than one column."""
    sample = _sample(text)
    best, best_score = None, (0.0, False, 0)
    for separator in CANDIDATES:
        counts = _field_counts(sample, separator)
        if not counts or counts[0] < 2:
            continue
        others = counts[1:]
        consistent = sum(n == counts[0] for n in others) / len(others) if others else 1.0
        score = (consistent, separator == hint, counts[0])
        if score > best_score:
            best, best_score = separator, score
    return best


def is_table(text: str) -> bool:
    """Whether some candidate splits the header into 2+ fields and nearly every other record into as many. A
    .txt file that is no table is a list of texts, one per line: commas inside sentences make ragged rows."""
    sample = _sample(text)
    for separator in CANDIDATES:
        counts = _field_counts(sample, separator)
        if counts and counts[0] >= 2:
            others = counts[1:]
            if not others or sum(n == counts[0] for n in others) >= TABLE_SHARE * len(others):
                return True
    return False


def _sample(text: str) -> str:
    """The first SAMPLE_CHARS of `text`, cut at a line end."""
    sample = text[:SAMPLE_CHARS]
    if len(text) > SAMPLE_CHARS and "\n" in sample:
        sample = sample[:sample.rindex("\n")]
    return sample


def _field_counts(sample: str, separator: str) -> list[int]:
    reader = csv.reader((line + "\n" for line in sample.split("\n")), delimiter=separator)
    counts = []
    try:
        for record in islice(reader, SAMPLE_RECORDS):
            if record and any(field.strip() for field in record):
                counts.append(len(record))
    except csv.Error:  # a broken quote in the sample; what was read still counts
        pass
    return counts


def parse_delimited(text: str, separator: str, name: str, progress: Progress | None = None) -> ParsedRows:
    """Header and rows of `text` (prepared with prepare_breaks), with every rejected row logged."""
    return _Reader(text, separator, name, progress).run()


class _Reader:
    def __init__(self, text: str, separator: str, name: str, progress: Progress | None):
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        self.separator, self.name, self.progress = separator, name, progress
        self.has_cr = LONE_CR in text
        self.header: list[str] | None = None
        self.width = -1
        self.rows: list[list[str]] = []
        self.log = ProblemLog()
        self._vocabulary: dict[int, set[str]] | None = None

    def run(self) -> ParsedRows:
        position: int | None = 0
        while position is not None:
            position = self._read_from(position)
        return ParsedRows(self.header or [], self.rows, self.log, len(self.rows) + len(self.log.rejected))

    def _read_from(self, position: int) -> int | None:
        """Read records from line index `position`; the index to restart from after a broken quote, or None."""
        source = (line + "\n" for line in islice(self.lines, position, None))
        reader = csv.reader(source, delimiter=self.separator, strict=True)
        start = position
        try:
            for record in reader:
                end = position + reader.line_num
                if end - start == 1 and len(record) == self.width and not self.has_cr:
                    self.rows.append(record)  # the common case, kept lean: most files are all this
                elif not self._take(record, start, end):
                    return self._broken_quote(start)
                start = end
                if self.progress and end % PROGRESS_EVERY == 0:
                    self.progress(end / max(len(self.lines), 1))
        except csv.Error:
            return self._broken_quote(start)
        return None

    def _broken_quote(self, start: int) -> int:
        if self.header is None:
            raise DataError("data.header_quote", name=self.name)
        self.log.reject("broken_quote", start + 1, self._raw(start, start + 1))
        return start + 1

    def _take(self, record: list[str], start: int, end: int) -> bool:
        """Keep, trim or reject one record; False when it is a quote that swallowed the rows after it."""
        if not record or (len(record) == 1 and not record[0].strip()):
            return True  # a blank line is no row
        if self.header is None:
            self.header, self.width, self.log.width = record, len(record), len(record)
            return True
        if end - start > 1 and self.width >= 2 and self._swallowed(start, end):
            return False
        if self.has_cr and any(LONE_CR in field for field in record):
            record = [field.replace(LONE_CR, "\n") for field in record]
            self.log.note("bare_cr", start + 1)
        found = len(record)
        if found == self.width:
            self.rows.append(record)
        elif found > self.width and not any(field.strip() for field in record[self.width:]):
            self.rows.append(record[:self.width])
            self.log.note("extra_fields", start + 1)
        else:
            self.log.reject("wrong_width", start + 1, self._raw(start, end), found=found, width=self.width)
        return True

    def _swallowed(self, start: int, end: int) -> bool:
        """A quoted field spanning lines that look like rows of this file is a quote left open, not a text
        with line breaks: rows "look like rows" when they have the header's width and their label-like
        columns hold values seen in earlier rows."""
        inner = [line for line in self.lines[start + 1:end] if line.strip()]
        vocabulary = self._label_values()
        if len(inner) < 2 or not vocabulary:  # free text in every column: a shape alone proves nothing
            return False
        like_rows = sum(1 for line in inner if self._looks_like_row(line, vocabulary))
        return like_rows >= 2 and 2 * like_rows >= len(inner)

    def _label_values(self) -> dict[int, set[str]]:
        """Columns with a few repeated values in the first rows (labels, categories), and those values."""
        if self._vocabulary is not None and len(self.rows) >= VOCABULARY_ROWS:
            return self._vocabulary
        sample = self.rows[:VOCABULARY_ROWS]
        values = {i: {row[i].strip() for row in sample} for i in range(self.width)}
        self._vocabulary = {i: seen for i, seen in values.items()
                            if len(seen) <= VOCABULARY_SIZE and len(sample) >= 2 * len(seen)}
        return self._vocabulary

    def _looks_like_row(self, line: str, vocabulary: dict[int, set[str]]) -> bool:
        try:
            fields = next(csv.reader([line], delimiter=self.separator))
        except (csv.Error, StopIteration):
            return False
        return len(fields) == self.width and all(fields[i].strip() in seen for i, seen in vocabulary.items())

    def _raw(self, start: int, end: int) -> str:
        return "\n".join(line.removesuffix("\r").replace(LONE_CR, "\r") for line in self.lines[start:end])
