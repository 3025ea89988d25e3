"""SQuAD JSON (`data[].paragraphs[].qas[]`, v1.1 and v2.0) read into one row per question.

Rows get `id`, `title`, `question`, `context`, `answers` (the reference texts) and `answer_start` (their offsets);
an unanswerable v2.0 question (`is_impossible`) has no answers (its `plausible_answers` are not answers). A
context's leading spaces are cut with its offsets moved to match, as the data layer strips every text. Other
JSON (the Hugging Face `squad` rows, whose `answers.text` and `answers.answer_start` the general reader flattens
into columns, or any table) is left to the general readers. What was read is noted for the Data tab.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from engine.data.reading import read_file
from engine.data.table import LoadedTable, ReadOptions
from engine.messages import Message, register_messages

COLUMNS = ("id", "title", "question", "context", "answers", "answer_start")

register_messages({
    "qa.squad_read": ("'{name}' was read as SQuAD JSON: {articles} articles, {paragraphs} paragraphs, {questions} "
                      "questions, {unanswerable} of them marked unanswerable.",
                      "“{name}”已按 SQuAD JSON 读取：{articles} 篇文章，{paragraphs} 个段落，{questions} 个问题，"
                      "其中 {unanswerable} 个标为无答案。"),
    "qa.squad_skipped": ("Entries of '{name}' without a question or a context were left out: {count}.",
                         "“{name}”中缺少问题或上下文的条目已排除：{count} 条。"),
})


def read_squad(path: Path, name: str, options: ReadOptions) -> LoadedTable | None:
    """The file as questions when it is SQuAD JSON, else None (the general readers read it)."""
    if Path(path).suffix.lower() != ".json":
        return None
    table = read_file(Path(path), name, options)
    if "paragraphs" not in table.frame.columns:
        return None
    rows, skipped, paragraphs = [], 0, 0
    for article in table.frame.to_dict("records"):
        for paragraph in _records(article.get("paragraphs")):
            paragraphs += 1
            for question in _records(paragraph.get("qas")):
                row = _row(article, paragraph, question)
                if row is None:
                    skipped += 1
                else:
                    rows.append(row)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    notes = [Message("qa.squad_read", {"name": name, "articles": len(table.frame),
                                       "paragraphs": paragraphs, "questions": len(rows),
                                       "unanswerable": int((frame["answers"].map(len) == 0).sum())})]
    if skipped:
        notes.append(Message("qa.squad_skipped", {"name": name, "count": skipped}))
    return LoadedTable(frame, name, "json", encoding=table.encoding, encoding_detected=table.encoding_detected,
                       rows_read=len(rows) + skipped, notes=notes)


def _records(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _row(article: dict, paragraph: dict, question: dict) -> dict | None:
    context, asked = paragraph.get("context"), question.get("question")
    if not isinstance(context, str) or not context.strip() or not isinstance(asked, str) or not asked.strip():
        return None
    cut = len(context) - len(context.lstrip())
    answers = [] if question.get("is_impossible") else _records(question.get("answers"))
    texts = [str(answer.get("text", "")) for answer in answers if str(answer.get("text", "")).strip()]
    starts = [_start(answer.get("answer_start"), cut) for answer in answers if str(answer.get("text", "")).strip()]
    return {"id": str(question.get("id", "")), "title": str(article.get("title", "")), "question": asked.strip(),
            "context": context.strip(), "answers": texts, "answer_start": starts}


def _start(value: Any, cut: int) -> int:
    return int(value) - cut if isinstance(value, (int, float)) and value == value and int(value) >= cut else -1

