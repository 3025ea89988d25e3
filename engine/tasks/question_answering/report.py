"""The question answering report: EM and F1, both by question type, and the worst answers with the reference
and the predicted span marked in their context.

A question's type comes from its wording: the first word in English (what, who, when, how many...), the question
word it holds in Chinese (谁, 哪里, 什么时候, 多少...), "other" otherwise.
"""
from __future__ import annotations

import re
from typing import Sequence

from engine.evaluation import EvalReport, Table, column, figure, table
from engine.messages import Message, register_messages
from engine.tasks.question_answering.answers import locate
from engine.tasks.question_answering.metrics import AnswerScore, is_chinese, score_answer

WORST_ROWS = 50
EXCERPT = 160        # characters of context shown on each side of the marked spans
ENGLISH_TYPES = ("how many", "how much", "how long", "how old", "what", "which", "who", "whom", "whose", "when",
                 "where", "why", "how")
# In the order they are looked for: the more specific word first (什么时候 before 什么).
CHINESE_TYPES = (("什么时候", "什么时候"), ("何时", "什么时候"), ("哪一年", "什么时候"), ("哪年", "什么时候"),
                 ("几点", "什么时候"), ("几月", "什么时候"), ("哪天", "什么时候"), ("哪一天", "什么时候"), ("多少", "多少"),
                 ("几", "多少"), ("为什么", "为什么"), ("谁", "谁"), ("哪里", "哪里"), ("哪儿", "哪里"),
                 ("在哪", "哪里"), ("怎么", "怎么"), ("如何", "怎么"), ("哪", "哪个"), ("什么", "什么"))
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~])")

register_messages({
    "qa.exact_match": ("Exact match", "完全匹配"),
    "metric.exact_match": ("exact match", "完全匹配率"),
    "qa.by_type": ("By question type", "按问题类型"),
    "qa.type": ("Question type", "问题类型"),
    "qa.questions": ("Questions", "问题数"),
    "qa.type_other": ("other", "其他"),
    "qa.f1_by_type": ("F1 by question type", "各类问题的 F1"),
    "qa.worst": ("Worst answers (the reference in bold, the model's answer highlighted)",
                 "最差的回答（参考答案加粗，模型的回答高亮）"),
    "qa.question": ("Question", "问题"),
    "qa.context": ("Context", "上下文"),
    "qa.reference": ("Reference answer", "参考答案"),
    "qa.predicted": ("Model's answer", "模型的回答"),
    "qa.no_answer": ("(no answer)", "（无答案）"),
})


def question_type(question: str) -> str:
    """The question's type: its first English question word ("In what year...?" is a what question, "How many"
    counts as one), a Chinese one (normalised: 何时 is 什么时候), or "other" in the question's language."""
    words = re.findall(r"[a-z]+", question.lower())
    for index, word in enumerate(words):
        pair = " ".join(words[index:index + 2])
        if pair in ENGLISH_TYPES:
            return pair
        if word in ENGLISH_TYPES:
            return word
    for word, kind in CHINESE_TYPES:
        if word in question:
            return kind
    return Message("qa.type_other").text("zh" if is_chinese(question) else "en")


def qa_report(task: str, split: str, questions: Sequence[str], contexts: Sequence[str],
              references: Sequence[Sequence[str]], starts: Sequence[Sequence[int]],
              predictions: Sequence[dict]) -> EvalReport:
    scores = [score_answer(p["answer"], r) for p, r in zip(predictions, references)]
    count = max(len(scores), 1)
    metrics = {"exact_match": sum(s.exact for s in scores) / count, "f1": sum(s.f1 for s in scores) / count}
    types = [question_type(q) for q in questions]
    by_type = type_rows(types, scores)
    return EvalReport(task=task, split=split, rows=len(scores), metrics=metrics,
                      tables=[type_table(by_type), worst_table(questions, contexts, references, starts,
                                                               predictions, scores)],
                      figures=[figure("f1_by_type", "qa.f1_by_type", "bar", x=[row["type"] for row in by_type],
                                      y=[row["f1"] for row in by_type], x_title=Message("qa.type"),
                                      y_title=Message("evaluation.f1"))])


def type_rows(types: Sequence[str], scores: Sequence[AnswerScore]) -> list[dict]:
    """EM and F1 per question type, the most frequent type first."""
    groups: dict[str, list[AnswerScore]] = {}
    for kind, score in zip(types, scores):
        groups.setdefault(kind, []).append(score)
    rows = [{"type": kind, "questions": len(group),
             "exact_match": round(sum(s.exact for s in group) / len(group), 4),
             "f1": round(sum(s.f1 for s in group) / len(group), 4)} for kind, group in groups.items()]
    return sorted(rows, key=lambda row: (-row["questions"], row["type"]))


def type_table(rows: list[dict]) -> Table:
    return table("by_type", "qa.by_type",
                 [column("type", "qa.type", "label"), column("questions", "qa.questions", "number"),
                  column("exact_match", "qa.exact_match", "number"), column("f1", "evaluation.f1", "number")], rows)


def worst_table(questions: Sequence[str], contexts: Sequence[str], references: Sequence[Sequence[str]],
                starts: Sequence[Sequence[int]], predictions: Sequence[dict], scores: Sequence[AnswerScore],
                limit: int = WORST_ROWS) -> Table:
    """The questions with the lowest F1 (then the most confident answer first), each with its context cut
    around the reference and the prediction, both marked."""
    order = sorted((i for i, s in enumerate(scores) if s.f1 < 1),
                   key=lambda i: (scores[i].f1, -predictions[i]["score"]))[:limit]
    rows = [{"question": questions[i], "context": marked_context(contexts[i], references[i], starts[i], predictions[i]),
             "reference": " | ".join(references[i]) or _no_answer(contexts[i]),
             "predicted": predictions[i]["answer"] or _no_answer(contexts[i]), "f1": round(scores[i].f1, 4)}
            for i in order]
    return table("worst", "qa.worst",
                 [column("question", "qa.question"), column("context", "qa.context", "marked"),
                  column("reference", "qa.reference", "label"), column("predicted", "qa.predicted", "label"),
                  column("f1", "evaluation.f1", "number")], rows)


def _no_answer(context: str) -> str:
    """"(no answer)" in the language of the context it is about (a cell is stored once, for every page)."""
    return Message("qa.no_answer").text("zh" if is_chinese(context) else "en")


def marked_context(context: str, references: Sequence[str], starts: Sequence[int], prediction: dict) -> str:
    """Markdown of the context around the spans: the reference in **bold**, the prediction in <mark>; text far
    from both is cut to an ellipsis."""
    located = locate(context, list(references), list(starts))
    spans = [(located.start, located.end, "**")] if located.start >= 0 else []
    if prediction["start"] >= 0:
        spans.append((prediction["start"], prediction["end"], "mark"))
    if not spans:
        return _escaped(context[:2 * EXCERPT]) + ("…" if len(context) > 2 * EXCERPT else "")
    low = max(0, min(s for s, _, _ in spans) - EXCERPT)
    high = min(len(context), max(e for _, e, _ in spans) + EXCERPT)
    cuts = sorted({low, high, *(p for s, e, _ in spans for p in (s, e) if low <= p <= high)})
    pieces = []
    for left, right in zip(cuts, cuts[1:]):
        piece = _escaped(context[left:right])
        if any(s <= left and right <= e and how == "mark" for s, e, how in spans):
            piece = f"<mark>{piece}</mark>"
        if any(s <= left and right <= e and how == "**" for s, e, how in spans):
            piece = f"**{piece}**"
        pieces.append(piece)
    return ("…" if low > 0 else "") + "".join(pieces) + ("…" if high < len(context) else "")


def _escaped(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", " ")
