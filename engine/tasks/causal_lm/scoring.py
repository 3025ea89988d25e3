"""How well a causal LM predicts held-out text (perplexity), and what it writes for held-out prompts.

Perplexity is exp of the mean loss per learned token (answer tokens for chats, every token for raw text), over
the whole split, token-weighted: the number a language-modeling paper reports, so base and fine-tuned compare.
"""
from __future__ import annotations

import math
from typing import Any, Iterator

from engine.evaluation import EvalReport, column, table
from engine.messages import register_messages
from engine.rouge import rouge_scores
from engine.tasks.causal_lm.examples import IGNORED, CausalCollator, Tokenized

register_messages({
    "metric.perplexity": ("perplexity", "困惑度"),
    "metric.base_perplexity": ("perplexity of the base model", "基础模型的困惑度"),
    "metric.rouge_l": ("ROUGE-L", "ROUGE-L 分数"),
    "metric.base_rouge_l": ("ROUGE-L of the base model", "基础模型的 ROUGE-L"),
    "clm.answers": ("Held-out prompts: the reference, the base model's answer and the fine-tuned answer (lowest "
                    "ROUGE-L first)", "留出的提示：参考回答、基础模型的回答和微调后的回答（ROUGE-L 最低的在前）"),
    "clm.continuations": ("Held-out texts: how each model continues their beginning",
                          "留出的文本：两个模型如何续写它们的开头"),
    "clm.prompt": ("Prompt", "提示"),
    "clm.reference": ("Reference", "参考回答"),
    "clm.base_answer": ("Base model", "基础模型"),
    "clm.tuned_answer": ("Fine-tuned", "微调后"),
    "clm.row_rouge_l": ("ROUGE-L", "ROUGE-L 分数"),
})


def _batches(examples: list[Tokenized], size: int) -> Iterator[list[Tokenized]]:
    for at in range(0, len(examples), size):
        yield examples[at:at + size]


def perplexity(model: Any, examples: list[Tokenized], pad_id: int, batch_size: int = 8) -> float:
    """exp(mean loss per learned token) of `model` on the examples; inf when nothing is learned there."""
    import torch

    collate = CausalCollator(pad_id)
    total, tokens = 0.0, 0
    model.eval()
    with torch.inference_mode():
        for batch in _batches(examples, batch_size):
            inputs = collate([{"input_ids": e.input_ids, "labels": e.labels} for e in batch])
            inputs = {key: value.to(model.device) for key, value in inputs.items()}
            logits = model(input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]).logits
            # Prompt tuning puts its virtual tokens first: the text's own positions are the last ones.
            logits = logits[:, -inputs["input_ids"].shape[1]:]
            targets = inputs["labels"][:, 1:]
            losses = torch.nn.functional.cross_entropy(logits[:, :-1].float().transpose(1, 2), targets,
                                                       ignore_index=IGNORED, reduction="sum")
            total += float(losses)
            tokens += int((targets != IGNORED).sum())
    return math.exp(total / tokens) if tokens else math.inf


def answers_report(task: str, split: str, prompts: list[str], references: list[str], tuned: list[str],
                   base: list[str] | None, metrics: dict[str, float], chat: bool) -> EvalReport:
    """The metrics and the table of prompts with the reference and each model's text, the worst ROUGE-L first
    (for chats: how far the answer is from the reference; raw text has no single right continuation)."""
    rows = []
    for prompt, reference, answer, before in zip(prompts, references, tuned, base or [None] * len(tuned)):
        row = {"prompt": prompt, "reference": reference, "tuned": answer}
        if before is not None:
            row["base"] = before
        if chat:
            row["rouge_l"] = round(rouge_scores(answer, reference, ("rougeL",))["rougeL"], 4)
        rows.append(row)
    if chat:
        rows.sort(key=lambda row: row["rouge_l"])
    columns = [column("prompt", "clm.prompt"), column("reference", "clm.reference")]
    columns += [column("base", "clm.base_answer")] if base is not None else []
    columns += [column("tuned", "clm.tuned_answer")]
    columns += [column("rouge_l", "clm.row_rouge_l", "number")] if chat else []
    name, title = ("answers", "clm.answers") if chat else ("continuations", "clm.continuations")
    return EvalReport(task=task, split=split, rows=len(prompts), metrics=metrics,
                      tables=[table(name, title, columns, rows)])
