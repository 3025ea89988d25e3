"""One view per output kind (engine.tasks.base.OUTPUT_KINDS), shared by every task that predicts it.

A view is four widgets (a verdict line, a chart, highlighted text, a text box); each kind fills the ones it
needs and hides the rest: label probabilities as a verdict and bars, a number as a verdict, spans highlighted
in the typed text, an answer highlighted inside its context, generated text in a box.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from ui import charts
from ui.i18n import text


@dataclass
class OutputView:
    verdict: gr.Markdown
    chart: gr.Plot
    highlighted: gr.HighlightedText
    generated: gr.Textbox

    @property
    def widgets(self) -> list[Any]:
        return [self.verdict, self.chart, self.highlighted, self.generated]


def output_view(name: str) -> OutputView:
    """The widgets of one view, empty and hidden but the verdict line."""
    return OutputView(gr.Markdown(elem_id=f"{name}-prediction"), gr.Plot(show_label=False, visible=False),
                      gr.HighlightedText(show_label=False, visible=False, combine_adjacent=True,
                                         elem_id=f"{name}-spans"),
                      gr.Textbox(show_label=False, interactive=False, visible=False, lines=4,
                                 elem_id=f"{name}-generated"))


def shown(kind: str, prediction: dict | None, who: str, lang: str) -> list[Any]:
    """Updates of a view's four widgets for a prediction of `kind` made by `who` (fine-tuned, base model)."""
    colon = "：" if lang == "zh" else ": "
    hidden = gr.update(value=None, visible=False)
    if prediction is None:
        return [gr.update(value=""), hidden, hidden, hidden]
    if kind == "label_probs":
        label = prediction["label"]
        return [f"### {who}{colon}**{label}** · {prediction['probs'][label]:.1%}",
                gr.update(value=charts.probability_figure(prediction["probs"], who, lang=lang), visible=True),
                hidden, hidden]
    if kind == "number":
        return [f"### {who}{colon}**{prediction['value']:.4g}**", hidden, hidden, hidden]
    if kind == "spans":
        count = text("entities_found", lang).format(count=len(prediction["spans"]))
        return [f"### {who}{colon}{count}", hidden,
                gr.update(value=segments(prediction["text"], prediction["spans"]), visible=True), hidden]
    if kind == "answer":
        answer = prediction["answer"] or text("no_answer", lang)
        others = "".join(f"\n- {other['answer']} · {other['score']:.1%}" for other in prediction.get("alternatives", []))
        verdict = f"### {who}{colon}**{answer}** · {prediction['score']:.1%}"
        return [verdict + (f"\n\n{text('other_answers', lang)}{colon}{others}" if others else ""), hidden,
                gr.update(value=segments(prediction["context"], [{**prediction, "label": text("answer", lang)}]
                                         if prediction["answer"] else []), visible=True), hidden]
    return [f"### {who}", hidden, hidden, gr.update(value=prediction["text"], visible=True)]


def segments(full_text: str, spans: list[dict]) -> list[tuple[str, str | None]]:
    """`full_text` cut into (piece, label or None) for gr.HighlightedText, spans in the order they appear."""
    pieces, at = [], 0
    for span in sorted(spans, key=lambda s: s["start"]):
        if span["start"] < at:  # overlapping spans: the first one stays
            continue
        if span["start"] > at:
            pieces.append((full_text[at:span["start"]], None))
        pieces.append((full_text[span["start"]:span["end"]], span["label"]))
        at = span["end"]
    if at < len(full_text):
        pieces.append((full_text[at:], None))
    return pieces
