"""JSON and JSON Lines tables: a list of records, {"data": [records]}, {"column": [values]}, or one record a line.

Nested objects become dotted columns (`{"label": {"name": "neg"}}` gives `label.name`), with a note, so
their values can be chosen as text or label; lists stay lists, and choosing one is refused by name later.
A JSON Lines line that is not a record is rejected with its line number, like a broken CSV row.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd

from engine.data.table import ProblemLog
from engine.errors import DataError
from engine.messages import Message, register_messages

SHOWN_COLUMNS = 6

register_messages({
    "data.json_invalid": ("'{name}' is not valid JSON: there is a mistake near line {line}, column {column}. "
                          "Fix it, or export the file again.",
                          "“{name}”不是有效的 JSON：第 {line} 行第 {column} 列附近有错误。请修正，或重新导出文件。"),
    "data.json_not_a_table": ("'{name}' is JSON but not a table. Use a list of records such as "
                              '[{{"text": "...", "label": "..."}}], or {{"data": [...]}}.',
                              "“{name}”是 JSON，但不是表格。请使用记录列表，例如 "
                              '[{{"text": "...", "label": "..."}}]，或 {{"data": [...]}}。'),
    "data.json_no_records": ("'{name}' holds no records. Add at least one record with your data.",
                             "“{name}”中没有记录。请至少添加一条数据记录。"),
    "data.json_not_records": ("'{name}' must hold records with named fields, such as "
                              '{{"text": "...", "label": "..."}}; some entries are plain values or lists.',
                              "“{name}”必须由带字段名的记录组成，例如 "
                              '{{"text": "...", "label": "..."}}；其中有些条目是单个值或列表。'),
    "data.json_lines_unusable": ("No line of '{name}' is a usable record: {problems} Each line must be one "
                                 'record such as {{"text": "...", "label": "..."}}.',
                                 "“{name}”中没有一行是可用的记录：{problems} 每行必须是一条记录，例如 "
                                 '{{"text": "...", "label": "..."}}。'),
    "data.json_flattened": ("Nested objects in '{name}' were flattened into dotted columns: {columns}.",
                            "“{name}”中的嵌套对象已展开为带点号的列：{columns}。"),
})


@dataclass
class JsonTable:
    frame: pd.DataFrame
    log: ProblemLog = field(default_factory=ProblemLog)
    notes: list[Message] = field(default_factory=list)
    rows_read: int = 0


def read_json_text(text: str, name: str, lines: bool) -> JsonTable:
    """A table from JSON (`lines=False`) or JSON Lines text; JSON Lines saved as .json is recognised."""
    if lines:
        return _json_lines(text, name)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if _first_line_is_json(text):
            return _json_lines(text, name)
        raise DataError("data.json_invalid", name=name, line=exc.lineno, column=exc.colno) from None
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        document = document["data"]
    if isinstance(document, dict) and document and all(isinstance(v, list) for v in document.values()):
        frame = pd.DataFrame(document)
        return JsonTable(frame, rows_read=len(frame))
    if not isinstance(document, list):
        raise DataError("data.json_not_a_table", name=name)
    if not document:
        raise DataError("data.json_no_records", name=name)
    if not all(isinstance(record, dict) for record in document):
        raise DataError("data.json_not_records", name=name)
    return _records_table(document, name, ProblemLog(), len(document))


def _first_line_is_json(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        json.loads(first)
    except json.JSONDecodeError:
        return False
    return True


def _json_lines(text: str, name: str) -> JsonTable:
    records, log, read = [], ProblemLog(), 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        read += 1
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            log.reject("bad_json", number, line)
            continue
        if isinstance(record, dict):
            records.append(record)
        else:
            log.reject("not_a_record", number, line)
    if not records:
        if not log.rejected:
            raise DataError("data.json_no_records", name=name)
        raise DataError("data.json_lines_unusable", name=name,
                        problems=[problem.message for problem in log.problems()])
    return _records_table(records, name, log, read)


def _records_table(records: list[dict], name: str, log: ProblemLog, read: int) -> JsonTable:
    if not any(isinstance(value, dict) for record in records for value in record.values()):
        return JsonTable(pd.DataFrame.from_records(records), log, [], read)
    before = {key for record in records for key in record}
    frame = pd.json_normalize(records)
    dotted = [str(column) for column in frame.columns if column not in before]
    shown = ", ".join(dotted[:SHOWN_COLUMNS]) + (" …" if len(dotted) > SHOWN_COLUMNS else "")
    return JsonTable(frame, log, [Message("data.json_flattened", {"name": name, "columns": shown})], read)
