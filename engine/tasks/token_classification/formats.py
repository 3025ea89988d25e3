"""Token-classification files into sentences: CoNLL-style columns, and JSON (see json_records) with token and tag
lists or with a text and labeled character spans.

Every reader returns a LoadedTable whose frame has two list columns, `tokens` and `tags`, one row per sentence,
the tags as the file wrote them (schemes.read_tags reads them). As with tables, nothing is reshaped silently: a
sentence that cannot be used is left out whole (dropping one line of it would shift every tag after it),
counted by kind, named by line, and kept with its raw lines for download.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from engine.data.encoding import Decoded, decode, is_wide_unicode
from engine.data.sniff import CONTROL_SHARE, HEAD_BYTES, control_share, identify, looks_like_html, refuse
from engine.data.table import LoadedTable, ProblemLog, Progress, ReadOptions
from engine.errors import DataError
from engine.messages import Message, register_messages
from engine.tasks.token_classification.json_records import read_ner_json

JSON_EXTENSIONS = (".json", ".jsonl")
DOCSTART = "-DOCSTART-"
TAG = re.compile(r"^(?:O|[BIESLU]-\S.*)$")
SNIFF_LINES = 200       # non-blank lines judged when telling whether a .txt file is CoNLL
SNIFF_CHARS = 64 * 1024
CONLL_SHARE = 0.9       # of those lines, how many must be "token ... TAG"
MAX_TAGGED_FIELDS = 6   # CoNLL rows have a few columns; a line of prose split at spaces has many
PROGRESS_EVERY = 100_000

register_messages({
    "data.problem.ner_missing_tag": ("Sentences with a line that has a token but no tag, left out: {count} "
                                     "(lines {lines}).",
                                     "含有只有词元、没有标签的行的句子，已排除：{count} 句（第 {lines} 行）。"),
    "data.reject.ner_missing_tag": ("line {tagless} has a token but no tag", "第 {tagless} 行只有词元，没有标签"),
    "ner.docstarts_skipped": ("Document markers (-DOCSTART-) skipped: {count}.",
                              "已跳过文档分隔标记（-DOCSTART-）：{count} 个。"),
    "ner.no_sentences": ("'{name}' holds no sentence that can be used. Each line should be a token and its tag "
                         "(such as 'Paris B-LOC'), with a blank line between sentences. {problems}",
                         "“{name}”中没有可用的句子。每行应是一个词元及其标签（例如“Paris B-LOC”），句子之间空一行。"
                         "{problems}"),
})


def read_ner_file(path: Path, name: str, options: ReadOptions = ReadOptions(),
                  progress: Progress | None = None) -> LoadedTable:
    """Read `path` (called `name` in every message): .json and .jsonl as JSON records, anything else as CoNLL
    columns. The encoding is detected (or `options.encoding`); files that are not text are named for what
    they are."""
    decoded = _decoded(Path(path), name, options)
    extension = Path(path).suffix.lower()
    if extension in JSON_EXTENSIONS:
        table = read_ner_json(decoded.text, name, lines=extension == ".jsonl")
    else:
        table = read_conll_text(decoded.text, name, progress)
    table.encoding, table.encoding_detected = decoded.encoding, decoded.detected
    return table


def read_if_conll(path: Path, name: str, options: ReadOptions = ReadOptions(),
                  progress: Progress | None = None) -> LoadedTable | None:
    """A file of any name read as CoNLL columns when its text looks like them (looks_like_conll), else None: a
    .txt or .tsv may as well be a table or a list of texts, and a file that is not text at all is left to the
    general readers, which name what it is."""
    try:
        decoded = _decoded(Path(path), name, options)
    except DataError:
        return None
    if not looks_like_conll(decoded.text):
        return None
    table = read_conll_text(decoded.text, name, progress)
    table.encoding, table.encoding_detected = decoded.encoding, decoded.detected
    return table


def _decoded(path: Path, name: str, options: ReadOptions) -> Decoded:
    """The file's text, refusing files that are not text (named for what they are) and blank ones."""
    raw = path.read_bytes()
    head = raw[:HEAD_BYTES]
    kind = identify(head)
    if kind is not None:
        raise refuse(name, kind)
    if b"\x00" in head and not is_wide_unicode(head):
        raise refuse(name, "binary")
    decoded = decode(raw, name, options.encoding)
    if control_share(decoded.text) > CONTROL_SHARE:
        raise refuse(name, "binary")
    if looks_like_html(decoded.text):
        raise refuse(name, "html")
    if not decoded.text.strip():
        raise DataError("data.blank_file", name=name)
    return decoded


def looks_like_conll(text: str) -> bool:
    """Whether a text file is CoNLL-style: nearly every non-blank line among the first ones is a few columns
    ending in a tag (O, B-X, I-X, ...). A list of sentences one per line, or a delimited table, is not."""
    judged = tagged = 0
    for line in _normalised_lines(text[:SNIFF_CHARS]):
        fields = _fields(line)
        if not fields or fields[0] == DOCSTART:
            continue
        judged += 1
        tagged += 2 <= len(fields) <= MAX_TAGGED_FIELDS and TAG.match(fields[-1]) is not None
        if judged >= SNIFF_LINES:
            break
    return judged > 0 and tagged >= CONLL_SHARE * judged


def read_conll_text(text: str, name: str, progress: Progress | None = None) -> LoadedTable:
    """Sentences from CoNLL-style text: one `token TAG` (or `token<TAB>TAG`) a line, the tag in the last column
    and the token in the first (columns between, such as CoNLL-2003's part of speech, are ignored), a blank
    line (or a line of only tabs) between sentences, -DOCSTART- lines skipped."""
    reader = _ConllReader(_normalised_lines(text), progress)
    reader.run()
    log = reader.log
    if not reader.tokens:  # a file of only -DOCSTART- lines has no problem to name, hence the ""
        raise DataError("ner.no_sentences", name=name,
                        problems=[problem.message for problem in log.problems()] or "")
    notes = [Message("ner.docstarts_skipped", {"count": reader.docstarts})] if reader.docstarts else []
    frame = pd.DataFrame({"tokens": reader.tokens, "tags": reader.tags})
    return LoadedTable(frame, name, "conll", rows_read=len(reader.tokens) + len(log.rejected),
                       problems=log.problems(), rejected=log.rejected, notes=notes)


def _normalised_lines(text: str) -> list[str]:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def _fields(line: str) -> list[str]:
    """A line's columns, [] for a blank line. Tab-separated lines split only at tabs, so a token may hold a
    space (a full-width space is a real token in Chinese data); other lines split at runs of white space."""
    if "\t" not in line:
        return line.split()
    fields = line.split("\t")
    while fields and not fields[-1].strip():
        fields.pop()
    if fields:
        fields[0] = fields[0].strip(" ") or fields[0]
    return fields


class _ConllReader:
    def __init__(self, lines: list[str], progress: Progress | None):
        self.lines, self.progress = lines, progress
        self.tokens: list[list[str]] = []
        self.tags: list[list[str]] = []
        self.log = ProblemLog()
        self.docstarts = 0
        self._start_sentence()

    def _start_sentence(self) -> None:
        self.first_line = self.bad_line = 0
        self.sentence_tokens: list[str] = []
        self.sentence_tags: list[str] = []

    def run(self) -> None:
        for number, line in enumerate(self.lines, start=1):
            fields = _fields(line)
            if not fields or fields[0] == DOCSTART:
                self.docstarts += bool(fields)
                self._end_sentence(number)
            else:
                self.first_line = self.first_line or number
                self.sentence_tokens.append(fields[0])
                if len(fields) < 2:
                    self.bad_line = self.bad_line or number
                else:
                    self.sentence_tags.append(fields[-1].strip())
            if self.progress and number % PROGRESS_EVERY == 0:
                self.progress(number / len(self.lines))
        self._end_sentence(len(self.lines) + 1)

    def _end_sentence(self, next_line: int) -> None:
        """Close the sentence before line `next_line` (a blank or -DOCSTART- line, or the end of the file)."""
        if self.bad_line:
            raw = "\n".join(self.lines[self.first_line - 1:next_line - 1])
            self.log.reject("ner_missing_tag", self.first_line, raw, tagless=self.bad_line)
        elif self.sentence_tokens:
            self.tokens.append(self.sentence_tokens)
            self.tags.append(self.sentence_tags)
        self._start_sentence()
