"""The NER evaluation report: entity scores, a per-type table, the tag confusion heatmap and the sentences the
model got wrong, with the entities it missed and the ones it made up marked.

Predictions arrive as character spans in the text that join_words made of each sentence's tokens (the model read
that text as a person would type it); each token takes the entity whose span holds its first character, which
is the token's first sub-token, the position the model was trained to label.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from engine.evaluation import EvalReport, Figure, Table, column, figure, table
from engine.messages import Message, register_messages
from engine.tasks.token_classification.metrics import entity_scores, tag_confusion
from engine.tasks.token_classification.schemes import OUTSIDE
from engine.tasks.token_classification.spans import Word, join_words

if TYPE_CHECKING:
    import pandas as pd

MISTAKE_ROWS = 50
MARK = "✗ "

register_messages({
    "ner.per_type": ("Per entity type", "各实体类型指标"),
    "ner.type": ("Entity type", "实体类型"),
    "ner.support": ("Entities", "实体数"),
    "ner.confusion": ("Tag confusion (words)", "标签混淆矩阵（按词）"),
    "ner.gold_tag": ("True tag", "真实标签"),
    "ner.predicted_tag": ("Predicted tag", "预测标签"),
    "ner.mistakes": ("Sentences with wrong entities", "实体有误的句子"),
    "ner.sentence": ("Sentence", "句子"),
    "ner.gold": ("True entities (✗ missed)", "真实实体（✗ 表示漏掉）"),
    "ner.predicted": ("Predicted entities (✗ wrong)", "预测实体（✗ 表示错误）"),
    "ner.errors": ("Mistakes", "错误数"),
})


def tags_from_prediction(tokens: Sequence[str], spans: Sequence[dict]) -> list[str]:
    """IOB2 tags for `tokens` from spans predicted on join_words(tokens): a token inside a span takes its type,
    B- for the span's first token and I- after it."""
    _, words = join_words(list(tokens))
    ordered = sorted(spans, key=lambda span: span["start"])
    tags, current, opened = [], 0, -1
    for word in words:
        while current < len(ordered) and ordered[current]["end"] <= word.start:
            current += 1
        inside = current < len(ordered) and ordered[current]["start"] <= word.start
        if not inside:
            tags.append(OUTSIDE)
            continue
        tags.append(("I-" if opened == current else "B-") + ordered[current]["label"])
        opened = current
    return tags


def ner_report(task: str, split: str, tokens: Sequence[Sequence[str]], gold: Sequence[Sequence[str]],
               predicted: Sequence[Sequence[str]], labels: Sequence[str]) -> EvalReport:
    """Scores of `predicted` against `gold` (IOB2 per word) with the report's tables and figure."""
    types = sorted({tag[2:] for tag in labels if tag != OUTSIDE})
    scores = entity_scores(gold, predicted, types)
    return EvalReport(task=task, split=split, rows=len(gold), metrics=scores.as_metrics(),
                      tables=[per_type_table(scores.per_type_frame()), mistakes_table(tokens, gold, predicted)],
                      figures=[confusion_figure(gold, predicted, labels)])


def per_type_table(frame: "pd.DataFrame") -> Table:
    rows = [{"type": row["type"], "precision": round(float(row["precision"]), 4),
             "recall": round(float(row["recall"]), 4), "f1": round(float(row["f1"]), 4), "support": int(row["support"])}
            for row in frame.to_dict("records")]
    return table("per_type", "ner.per_type",
                 [column("type", "ner.type", "label"), column("precision", "evaluation.precision", "number"),
                  column("recall", "evaluation.recall", "number"), column("f1", "evaluation.f1", "number"),
                  column("support", "ner.support", "number")], rows)


def confusion_figure(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]],
                     labels: Sequence[str]) -> Figure:
    """Words counted by true tag (rows) and predicted tag (columns), in the label space's order."""
    matrix = tag_confusion(gold, predicted, labels)
    return figure("confusion", "ner.confusion", "heatmap", x=[str(tag) for tag in matrix.columns],
                  y=[str(tag) for tag in matrix.index], z=matrix.to_numpy().tolist(),
                  x_title=Message("ner.predicted_tag"), y_title=Message("ner.gold_tag"))


def mistakes_table(tokens: Sequence[Sequence[str]], gold: Sequence[Sequence[str]],
                   predicted: Sequence[Sequence[str]], limit: int = MISTAKE_ROWS) -> Table:
    """One row per sentence whose entities differ: its text, the true entities with the missed ones marked, the
    predicted ones with the wrong ones marked; the sentences with the most mistakes first."""
    from seqeval.metrics.sequence_labeling import get_entities

    rows = []
    for index, (words, truth, guess) in enumerate(zip(tokens, gold, predicted)):
        true_entities, found = set(get_entities(list(truth))), set(get_entities(list(guess)))
        if true_entities == found:
            continue
        text, placed = join_words(list(words))
        missed, wrong = true_entities - found, found - true_entities
        rows.append((len(missed) + len(wrong), index, {
            "text": text, "gold": _listed(text, placed, true_entities, missed),
            "predicted": _listed(text, placed, found, wrong), "errors": len(missed) + len(wrong)}))
    rows.sort(key=lambda item: (-item[0], item[1]))
    return table("mistakes", "ner.mistakes",
                 [column("text", "ner.sentence"), column("gold", "ner.gold"), column("predicted", "ner.predicted"),
                  column("errors", "ner.errors", "number")], [row for *_, row in rows[:limit]])


def _listed(text: str, words: list[Word], entities: set[tuple[str, int, int]],
            marked: set[tuple[str, int, int]]) -> str:
    """Entities in text order as 'Elena Kowalski (PER); ✗ Peru (LOC)', the `marked` ones flagged."""
    parts = [f"{MARK if entity in marked else ''}{text[words[first].start:words[last].end]} ({kind})"
             for entity in sorted(entities, key=lambda item: (item[1], item[2]))
             for kind, first, last in [entity]]
    return "; ".join(parts)
