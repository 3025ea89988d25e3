"""What metrics are called on screen, in English and Chinese (`eval_f1_macro` -> "F1 (macro)" / "F1（宏平均）")."""
from __future__ import annotations

from engine.messages import CATALOG, Message, register_messages

register_messages({
    "metric.loss": ("loss", "损失"),
    "metric.accuracy": ("accuracy", "准确率"),
    # Unaveraged: entity scores (token classification) and any task with one figure of each.
    "metric.precision": ("precision", "精确率"),
    "metric.recall": ("recall", "召回率"),
    "metric.f1": ("F1", "F1 值"),
    **{f"metric.{kind}_{average}": (f"{en} ({average})", f"{zh}（{zh_average}）")
       for kind, en, zh in (("precision", "precision", "精确率"), ("recall", "recall", "召回率"), ("f1", "F1", "F1"))
       for average, zh_average in (("macro", "宏平均"), ("micro", "微平均"), ("weighted", "加权平均"))},
})


def metric_label(name: str, lang: str = "en") -> str:
    """The display name of a metric; names without a registered label are shown as they are."""
    bare = name.removeprefix("eval_").removeprefix("test_")
    code = f"metric.{bare}"
    return Message(code).text(lang) if code in CATALOG else bare
