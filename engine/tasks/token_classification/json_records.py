"""JSON and JSON Lines token-classification records, in the two shapes people bring.

Token lists: `{"tokens": [...], "tags": [...]}` (Hugging Face datasets call the tags `ner_tags`). Text with
character spans, the shape labeling tools export: `{"text": "...", "spans": [{"start", "end", "label"}]}`,
with the list also called `entities` or `label` (doccano writes `[start, end, label]` triples, Label Studio's
minimal export `labels: [one label]`). Span records are split into words (spans.split_words) and tagged in IOB2.
A record that cannot be used is left out with its line number and reason, like a broken CSV row.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from engine.data.json_tables import read_json_text
from engine.data.table import LoadedTable, ProblemLog
from engine.errors import DataError
from engine.messages import register_messages
from engine.tasks.token_classification.spans import split_words, tags_from_spans

TAG_FIELDS = ("tags", "ner_tags")
SPAN_FIELDS = ("spans", "entities", "label", "labels")
SHOWN_FIELDS = 8

register_messages({
    "data.problem.ner_not_lists": ("Records whose tokens or tags are not lists of texts, left out: {count} "
                                   "(lines {lines}).",
                                   "词元或标签不是文本列表的记录，已排除：{count} 条（第 {lines} 行）。"),
    "data.reject.ner_not_lists": ("tokens and tags must be lists of texts", "词元和标签必须是文本列表"),
    "data.problem.ner_length_mismatch": ("Records with a different number of tokens and tags, left out: {count} "
                                         "(lines {lines}).",
                                         "词元数与标签数不同的记录，已排除：{count} 条（第 {lines} 行）。"),
    "data.reject.ner_length_mismatch": ("{tokens} tokens but {tags} tags", "{tokens} 个词元，但有 {tags} 个标签"),
    "data.problem.ner_no_tokens": ("Records with no tokens (an empty sentence or text), left out: {count} "
                                   "(lines {lines}).",
                                   "没有词元的记录（空句子或空文本），已排除：{count} 条（第 {lines} 行）。"),
    "data.reject.ner_no_tokens": ("the sentence is empty", "句子为空"),
    "data.problem.ner_no_text": ("Records whose text is missing or not a text, left out: {count} (lines {lines}).",
                                 "缺少文本或文本不是字符串的记录，已排除：{count} 条（第 {lines} 行）。"),
    "data.reject.ner_no_text": ("the text is missing or not a text", "缺少文本，或文本不是字符串"),
    "data.problem.ner_bad_span": ("Records with a span that is not a start, an end and a label inside the text, "
                                  "left out: {count} (lines {lines}).",
                                  "含有不是“起点、终点、标签”或超出文本范围的标注片段的记录，已排除：{count} 条"
                                  "（第 {lines} 行）。"),
    "data.reject.ner_bad_span": ("span {span} is not a start, an end and a label inside the text",
                                 "标注片段 {span} 不是文本范围内的“起点、终点、标签”"),
    "data.problem.ner_span_misaligned": ("Records with a span that starts or ends inside a word, left out (the span "
                                         "was not moved to a word boundary): {count} (lines {lines}).",
                                         "含有起点或终点落在词语中间的标注片段的记录，已排除（未把片段挪到词语边界）："
                                         "{count} 条（第 {lines} 行）。"),
    "data.reject.ner_span_misaligned": ("{count} span(s) start or end inside a word, the first '{text}' "
                                        "({start}–{end}, {label})",
                                        "{count} 个标注片段的起点或终点落在词语中间，第一个是“{text}”"
                                        "（{start}–{end}，{label}）"),
    "data.problem.ner_span_overlap": ("Records with spans that overlap (nested entities cannot be tagged), left "
                                      "out: {count} (lines {lines}).",
                                      "含有相互重叠的标注片段的记录（嵌套实体无法标注），已排除：{count} 条"
                                      "（第 {lines} 行）。"),
    "data.reject.ner_span_overlap": ("span '{text}' ({start}–{end}, {label}) overlaps another",
                                     "标注片段“{text}”（{start}–{end}，{label}）与另一个片段重叠"),
    "ner.numeric_tags": ("The tags in '{name}' are numbers, which name no entity type. Export the tag names "
                         "(such as B-PER) instead of their ids.",
                         "“{name}”中的标签是数字，看不出实体类型。请导出标签名称（例如 B-PER），而不是编号。"),
    "ner.json_shape": ("'{name}' has no token-classification fields. Use records with 'tokens' and 'tags' lists, "
                       "or with a 'text' and its 'spans' [{{\"start\", \"end\", \"label\"}}]. Fields found: {found}.",
                       "“{name}”中没有词元分类所需的字段。请使用带“tokens”和“tags”列表的记录，或带“text”及其 "
                       "“spans” [{{\"start\", \"end\", \"label\"}}] 的记录。现有字段：{found}。"),
    "ner.no_records": ("No record of '{name}' can be used: {problems}",
                       "“{name}”中没有可用的记录：{problems}"),
})


@dataclass(frozen=True)
class Refusal:
    """Why a record is left out: a problem kind (see ProblemLog) and its reason's parameters."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)


Sentence = tuple[list[str], list[str]]


def read_ner_json(text: str, name: str, lines: bool) -> LoadedTable:
    """Token/tag records or text/span records from JSON (`lines=False`) or JSON Lines text."""
    table = read_json_text(text, name, lines)
    frame, log = table.frame, table.log
    records = frame.to_dict("records")
    tag_field = next((column for column in TAG_FIELDS if column in frame), None)
    if "tokens" in frame and tag_field:
        _refuse_numeric_tags(frame[tag_field], name)
        outcomes = [_token_record(record["tokens"], record[tag_field]) for record in records]
    elif "text" in frame and any(name in frame for name in SPAN_FIELDS):
        # A text with no span field anywhere is a list of texts (to predict, or for another task), not a
        # labelled file whose every sentence happens to have no entity.
        outcomes = [_span_record(record["text"], _spans_of(record)) for record in records]
    else:
        raise DataError("ner.json_shape", name=name, found=", ".join(map(str, frame.columns[:SHOWN_FIELDS])))
    numbers = _record_lines(text, {row.line for row in log.rejected}, len(records))
    tokens, tags = [], []
    for number, record, outcome in zip(numbers, records, outcomes):
        if isinstance(outcome, Refusal):
            raw = json.dumps(_plain(record), ensure_ascii=False, default=str)
            log.reject(outcome.kind, number, raw, **outcome.params)
        else:
            tokens.append(outcome[0])
            tags.append(outcome[1])
    if not tokens:
        raise DataError("ner.no_records", name=name, problems=[problem.message for problem in log.problems()])
    return LoadedTable(pd.DataFrame({"tokens": tokens, "tags": tags}), name, "jsonl" if lines else "json",
                       rows_read=table.rows_read, problems=log.problems(), rejected=log.rejected, notes=table.notes)


def _token_record(tokens: Any, tags: Any) -> Sentence | Refusal:
    if not (_texts(tokens) and _texts(tags)):
        return Refusal("ner_not_lists")
    if len(tokens) != len(tags):
        return Refusal("ner_length_mismatch", {"tokens": len(tokens), "tags": len(tags)})
    if not tokens:
        return Refusal("ner_no_tokens")
    return list(tokens), [tag.strip() for tag in tags]


def _span_record(text: Any, items: Any) -> Sentence | Refusal:
    if not isinstance(text, str):
        return Refusal("ner_no_text")
    spans = []
    for item in _span_items(items):
        span = _span(item, len(text))
        if span is None:
            return Refusal("ner_bad_span", {"span": json.dumps(item, ensure_ascii=False, default=str)})
        spans.append(span)
    words = split_words(text)
    if not words:
        return Refusal("ner_no_tokens")
    tagged = tags_from_spans(text, words, spans)
    if tagged.misaligned:
        start, end, label = tagged.misaligned[0]
        return Refusal("ner_span_misaligned", {"count": len(tagged.misaligned), "text": text[start:end],
                                               "start": start, "end": end, "label": label})
    if tagged.overlapping:
        start, end, label = tagged.overlapping[0]
        return Refusal("ner_span_overlap", {"text": text[start:end], "start": start, "end": end, "label": label})
    return [word.text for word in words], tagged.tags


def _spans_of(record: dict) -> Any:
    """The record's span list under the first of SPAN_FIELDS it fills (exports mix names across versions)."""
    return next((record[name] for name in SPAN_FIELDS if name in record and not _missing(record[name])), None)


def _span_items(items: Any) -> list:
    """A record's span list; a missing or empty value is a text without entities."""
    if isinstance(items, list):
        return items
    if items is None or (isinstance(items, float) and pd.isna(items)):
        return []
    return [items]  # a lone value is judged (and refused) as a span, so the reason names it


def _span(item: Any, length: int) -> tuple[int, int, str] | None:
    """(start, end, label) from a span dict or a [start, end, label] triple, or None when it is not one."""
    if isinstance(item, dict):
        start = item.get("start", item.get("start_offset"))
        end = item.get("end", item.get("end_offset"))
        label = item.get("label", item.get("labels"))
        if isinstance(label, list) and len(label) == 1:
            label = label[0]
    elif isinstance(item, (list, tuple)) and len(item) == 3:
        start, end, label = item
    else:
        return None
    positions_ok = all(isinstance(value, int) and not isinstance(value, bool) for value in (start, end))
    if not (positions_ok and 0 <= start < end <= length and isinstance(label, str) and label.strip()):
        return None
    return start, end, label.strip()


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _refuse_numeric_tags(column: pd.Series, name: str) -> None:
    """Tag ids (a Hugging Face export's `ner_tags`) cannot be read without the dataset's names list."""
    lists = [value for value in column if isinstance(value, list) and value]
    if lists and all(isinstance(tag, int) for value in lists for tag in value):
        raise DataError("ner.numeric_tags", name=name)


def _plain(record: dict) -> dict:
    """A record for the rejected-rows download: pandas' missing values become null."""
    return {key: None if _missing(value) else value for key, value in record.items()}


def _missing(value: Any) -> bool:
    return not isinstance(value, (list, dict)) and pd.isna(value)


def _record_lines(text: str, rejected: set[int], count: int) -> list[int]:
    """The line each of the `count` records starts on: JSON Lines' non-blank lines that were not rejected, a
    JSON array's elements found by walking it, else (records under a key) the record's number."""
    numbered = [number for number, line in enumerate(text.split("\n"), start=1)
                if line.strip() and number not in rejected]
    if len(numbered) == count:
        return numbered
    starts = _array_element_lines(text)
    return starts if starts is not None and len(starts) == count else list(range(1, count + 1))


def _array_element_lines(text: str) -> list[int] | None:
    decoder, starts = json.JSONDecoder(), []
    position = len(text) - len(text.lstrip())
    if not text.startswith("[", position):
        return None
    position, line, counted = position + 1, 1, 0
    try:
        while True:
            position = _skip_space(text, position)
            if text[position] == "]":
                return starts
            line += text.count("\n", counted, position)
            counted = position
            starts.append(line)
            _, position = decoder.raw_decode(text, position)
            position = _skip_space(text, position)
            position += text[position] == ","
    except (ValueError, IndexError):
        return None


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position
