"""How good generated texts are: ROUGE against the references, beside a lead baseline, and per row.

ROUGE-1/2/L/Lsum come from the `rouge-score` package (engine.rouge: stemmed English, Chinese by character). The
lead-k baseline copies the source's first k sentences: a summarizer that does not beat it has learned nothing
that copying does not give (lead-3 scores about ROUGE-1 40 on CNN/DailyMail).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from engine.evaluation import EvalReport, column, figure, table
from engine.generation import decoded
from engine.messages import Message, register_messages
from engine.rouge import ROUGE_TYPES, has_chinese, mean_rouge, rouge_scores, sentences

register_messages({
    "metric.rouge1": ("ROUGE-1", "ROUGE-1 分数"),
    "metric.rouge2": ("ROUGE-2", "ROUGE-2 分数"),
    "metric.rougeL": ("ROUGE-L", "ROUGE-L 分数"),
    "metric.rougeLsum": ("ROUGE-Lsum", "ROUGE-Lsum 分数"),
    "metric.gen_len": ("average generated length (tokens)", "平均生成长度（词元）"),
    "metric.lead_rouge1": ("ROUGE-1 of the lead baseline", "前几句基线的 ROUGE-1"),
    "metric.lead_rouge2": ("ROUGE-2 of the lead baseline", "前几句基线的 ROUGE-2"),
    "metric.lead_rougeL": ("ROUGE-L of the lead baseline", "前几句基线的 ROUGE-L"),
    "metric.lead_rougeLsum": ("ROUGE-Lsum of the lead baseline", "前几句基线的 ROUGE-Lsum"),
    "s2s.versus_lead": ("ROUGE of the model against the lead-{k} baseline (the source's first {k} sentences, copied)",
                        "模型与前 {k} 句基线（直接照抄原文的前 {k} 句）的 ROUGE 对比"),
    "s2s.score": ("Score", "指标"),
    "s2s.figure": ("ROUGE of the model and of the lead-{k} baseline", "模型与前 {k} 句基线的 ROUGE"),
    "s2s.model": ("Fine-tuned model", "微调后的模型"),
    "s2s.lead": ("Lead-{k} baseline", "前 {k} 句基线"),
    "s2s.gain": ("Model minus baseline", "模型减基线"),
    "s2s.rows": ("Held-out sources: the reference, the model's text and its ROUGE-L (worst first)",
                 "留出的原文：参考文本、模型生成的文本及其 ROUGE-L（最差的在前）"),
    "s2s.source": ("Source", "原文"),
    "s2s.reference": ("Reference", "参考文本"),
    "s2s.prediction": ("Generated", "生成的文本"),
    "s2s.row_rouge_l": ("ROUGE-L", "ROUGE-L 分数"),
})


def lead(source: str, k: int) -> str:
    """The source's first k sentences (joined as the language writes them)."""
    first = sentences(source)[:k]
    return ("" if has_chinese(source) else " ").join(first)


def generated_length(tokenizer: Any, texts: list[str]) -> float:
    """The mean length of the texts in the model's tokens."""
    if not texts:
        return 0.0
    return float(np.mean([len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]))


def metrics_fn(tokenizer: Any, references: list[str]) -> Callable[[Any], dict[str, float]]:
    """compute_metrics for Seq2SeqTrainer with predict_with_generate: the generated ids decoded and scored against
    the evaluation rows' targets as written (in the rows' order)."""
    def compute(eval_pred: Any) -> dict[str, float]:
        generated = eval_pred.predictions[0] if isinstance(eval_pred.predictions, tuple) else eval_pred.predictions
        # the Trainer pads generated ids with -100 between batches
        texts = decoded(tokenizer, np.where(np.asarray(generated) < 0, tokenizer.pad_token_id, generated))
        return {**mean_rouge(texts, references[:len(texts)]), "gen_len": generated_length(tokenizer, texts)}
    return compute


def generation_report(task: str, split: str, sources: list[str], references: list[str], generated: list[str],
                      lead_k: int) -> EvalReport:
    """ROUGE of the generated texts and of the lead-k baseline on the same rows, the comparison table, and each
    row with its ROUGE-L, the worst first."""
    scores = [rouge_scores(text, reference) for text, reference in zip(generated, references)]
    metrics = {name: 100 * float(np.mean([row[name] for row in scores])) if scores else 0.0 for name in ROUGE_TYPES}
    baseline = mean_rouge([lead(source, lead_k) for source in sources], references)
    metrics.update({f"lead_{name}": value for name, value in baseline.items()})
    versus = [{"score": Message(f"metric.{name}").texts()["en"], "model": round(metrics[name], 2),
               "lead": round(baseline[name], 2), "gain": round(metrics[name] - baseline[name], 2)}
              for name in ROUGE_TYPES]
    rows = [{"source": source, "reference": reference, "prediction": text, "rouge_l": round(100 * row["rougeL"], 2)}
            for source, reference, text, row in zip(sources, references, generated, scores)]
    rows.sort(key=lambda row: row["rouge_l"])
    k = {"k": lead_k}
    bars = figure("versus_lead", Message("s2s.figure", k), "bar", x=[row["score"] for row in versus],
                  series=[{"name": Message("s2s.model").texts(), "y": [row["model"] for row in versus]},
                          {"name": Message("s2s.lead", k).texts(), "y": [row["lead"] for row in versus]}],
                  y_title=Message("s2s.score"))
    return EvalReport(task=task, split=split, rows=len(sources), metrics=metrics, figures=[bars], tables=[
        table("versus_lead", Message("s2s.versus_lead", k),
              [column("score", "s2s.score"), column("model", "s2s.model", "number"),
               column("lead", Message("s2s.lead", k), "number"), column("gain", "s2s.gain", "number")], versus),
        table("rows", "s2s.rows",
              [column("source", "s2s.source"), column("reference", "s2s.reference"),
               column("prediction", "s2s.prediction"), column("rouge_l", "s2s.row_rouge_l", "number")], rows)])
