"""What the Train, Evaluate and Playground tabs draw, as pure functions: progress without a stale ETA, the run
picker's validation metric, charts in both languages, the mistakes table, the split heading, merge only for
adapters, probabilities as numbers, and the time estimate's sentence."""
from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest

from engine.config import RunConfig
from engine.data.inspect import RoleSummary
from engine.estimate import Speed, TimeEstimate
from engine.evaluation import EvalReport, confidently_wrong, confusion_figure, per_class_table
from engine.messages import Message
from engine.runs.events import History
from engine.runs.store import RunRecord
from engine.tasks import get_task
from ui import charts, views
from ui.tabs import evaluate, train

LABELS = ["neg", "pos"]


def history(status: str, **progress: Any) -> History:
    h = History()
    h.status = status
    h.progress = {"step": 8, "max_steps": 16, "epoch": 2.0, "samples_per_s": 12.5, "eta_s": 95.0, **progress}
    h.train = [{"step": 1, "loss": 0.7}]
    h.evals = [{"step": 4, "eval_loss": 0.6, "eval_accuracy": 0.5, "eval_f1_macro": 0.4}]
    return h


def report(split: str = "test") -> EvalReport:
    """A text classification report as the task builds one: five texts, two of them wrong."""
    texts = ["dull", "boring", "a long review " * 20, "fine", "odd"]
    y_true = np.array([0, 0, 1, 1, 0])
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.97, 0.03], [0.4, 0.6], [0.3, 0.7]])
    y_pred = probs.argmax(axis=1)
    return EvalReport(task="text_classification", split=split, rows=len(texts),
                      metrics={"accuracy": 0.6, "f1_macro": 0.583},
                      tables=[per_class_table(y_true, y_pred, LABELS), confidently_wrong(texts, y_true, probs, LABELS)],
                      figures=[confusion_figure(y_true, y_pred, LABELS)])


def regression_report() -> EvalReport:
    """A text regression report, built by the task itself from its predictions."""
    frame = pd.DataFrame({"text": ["calm", "a long review " * 20, "loud"], "value": [1.0, 4.0, 2.5]})
    predictions = [{"value": v} for v in (1.5, 2.0, 2.5)]
    return get_task("text_regression").report(frame, predictions, RunConfig(task="text_regression"),
                                              {"mean": 2.5, "std": 1.0}, "test")


def role(kind: str, **summary: Any) -> RoleSummary:
    return RoleSummary(role=kind, column=kind, kind=kind, description=Message("evaluation.label"), empty=0, **summary)


def record(**changes: Any) -> RunRecord:
    values = dict(id="r1", name="demo", task="text_classification", model="packaged:all-MiniLM-L6-v2",
                  method="full", status="finished", created=0.0, finished=1.0, best_metric=0.8734,
                  best_metric_name="f1_macro", run_dir="/nowhere", pid=None, message="")
    names = [p for p in inspect.signature(RunRecord).parameters]
    values.update(changes)
    return RunRecord(**{name: values.get(name, "" if name == "owner" else None) for name in names})


@pytest.mark.parametrize("status", ["finished", "stopped", "failed", "interrupted", "stopping"])
def test_a_run_that_is_not_training_shows_no_eta(status: str) -> None:
    html = train.progress_html(history(status), "en")
    assert "ETA" not in html and "1:35" not in html
    assert "step 8/16" in html and "12.5 samples/s" in html
    assert "预计剩余" not in train.progress_html(history(status), "zh")


def test_a_running_run_shows_its_eta() -> None:
    assert "ETA 1:35" in train.progress_html(history("running"), "en")
    assert "ETA –" in train.progress_html(history("running", eta_s=None), "en")


def test_run_picker_says_its_metric_is_the_validation_splits() -> None:
    assert train._run_label(record()).endswith("· validation F1 (macro) 0.873")
    assert "验证集 F1（宏平均） 0.873" in train._run_label(record(), "zh")
    assert train._run_label(record(best_metric=0.3456, best_metric_name="loss")).endswith("validation loss 0.346")
    assert "validation" not in train._run_label(record(best_metric=None, status="running"))


def test_every_chart_speaks_both_languages() -> None:
    r, h = report(), history("running")
    figures = {
        "loss": lambda lang: charts.loss_figure(h, lang=lang),
        "metrics": lambda lang: charts.metrics_figure(h, lang=lang),
        "labels": lambda lang: charts.target_figure(role("label", counts={"neg": 3, "pos": 4}), lang=lang),
        "entities": lambda lang: charts.target_figure(role("tags", counts={"PER": 3, "LOC": 4}), lang=lang),
        "lengths": lambda lang: charts.input_figure(role("text", values=[3, 4, 5], unit="tokens"), lang=lang),
        "confusion": lambda lang: charts.report_figure(r.figure("confusion"), lang=lang),
        "scatter": lambda lang: charts.report_figure(regression_report().figure("scatter"), lang=lang),
        "probabilities": lambda lang: charts.probability_figure({"neg": 0.2, "pos": 0.8}, "Fine-tuned", lang=lang),
    }
    for name, figure in figures.items():
        en, zh = figure("en"), figure("zh")
        words = lambda fig: [fig.layout.title.text, fig.layout.xaxis.title.text, fig.layout.yaxis.title.text,  # noqa
                             *(trace.name for trace in fig.data if trace.name)]
        assert words(en) != words(zh), name
        chinese = [w for w in words(zh)[1:] if w]   # axis titles and legends (a caller's own title may stay)
        assert all(re.search(r"[\u4e00-\u9fff]", w) for w in chinese), (name, words(zh))
    for fn in (charts.loss_figure, charts.metrics_figure, charts.target_figure, charts.input_figure,
               charts.report_figure, charts.probability_figure):
        assert "lang" in inspect.signature(fn).parameters, fn.__name__


def test_loss_chart_shows_the_first_point_and_whole_step_ticks() -> None:
    fig = charts.loss_figure(history("running"))
    assert "markers" in fig.data[0].mode   # one logged loss is a visible dot, not an invisible line
    assert [t.name for t in fig.data] == ["train loss", "validation loss"]
    assert fig.layout.xaxis.tickformat == "d" and fig.layout.xaxis.dtick == 1   # 4 steps: every step
    long = History()
    long.train = [{"step": s, "loss": 1 / s} for s in range(1, 400, 5)]
    assert charts.loss_figure(long).layout.xaxis.dtick is None   # many steps: Plotly's own whole ticks
    assert charts.metrics_figure(history("running")).layout.xaxis.tickformat == "d"


def test_mistakes_table_puts_the_verdict_before_the_text() -> None:
    en, zh = (evaluate._table_update(report().table("worst"), lang) for lang in ("en", "zh"))
    assert en["label"] == "Most confident mistakes" and zh["label"] == "最自信的错误"
    assert list(en["value"].columns) == ["True label", "Predicted", "Confidence", "Text"]
    assert list(zh["value"].columns) == ["真实标签", "预测", "置信度", "文本"]
    assert list(en["value"].iloc[0])[:3] == ["pos", "neg", 0.97] and len(en["value"]) == 2   # surest mistake first
    widths = [float(width.rstrip("%")) for width in en["column_widths"]]
    assert len(widths) == 4 and widths[-1] > max(widths[:-1])   # the text wraps in the widest column


def test_the_evaluate_tab_shows_every_part_of_the_report() -> None:
    studio = SimpleNamespace(has_report=lambda run_id, owner: True, report=lambda run_id, owner: report(),
                             is_adapter_run=lambda run_id, owner: False)
    outputs = evaluate._loader(SimpleNamespace(studio=studio))("r1", {"lang": "zh", "owner": "local"})
    figures = outputs[2:2 + evaluate.FIGURE_SLOTS]
    tables = outputs[2 + evaluate.FIGURE_SLOTS:2 + evaluate.FIGURE_SLOTS + evaluate.TABLE_SLOTS]
    assert figures[0]["visible"] and figures[0]["value"].layout.title.text == "混淆矩阵"
    assert [list(row) for row in figures[0]["value"].data[0].z] == [[2, 1], [1, 1]]   # rows: the true label
    assert not figures[1]["visible"]
    assert [t["label"] for t in tables[:2]] == ["各类别指标", "最自信的错误"] and not tables[2]["visible"]


def test_evaluate_heading_names_the_split_the_scores_come_from() -> None:
    assert evaluate.summary_markdown(report("test"), "en").startswith("### Scores on the held-out test split (5 rows)")
    on_validation = evaluate.summary_markdown(report("validation"), "en")
    assert on_validation.startswith("### Scores on the validation split") and "no test split" in on_validation
    assert "验证集" in evaluate.summary_markdown(report("validation"), "zh")


def test_metric_names_are_shown_nicely() -> None:
    table = evaluate.metrics_table(report(), "en")
    assert list(table.iloc[:, 0]) == ["accuracy", "F1 (macro)"]
    assert list(evaluate.metrics_table(report(), "zh").iloc[:, 0]) == ["准确率", "F1（宏平均）"]


@pytest.mark.parametrize("method,shown", [("lora", True), ("ia3", True), ("full", False), ("head_only", False),
                                          ("top_layers", False), ("prompt_tuning", False)])
def test_merge_adapter_shows_only_for_adapter_runs(method: str, shown: bool) -> None:
    from engine.studio import MERGEABLE_METHODS

    studio = SimpleNamespace(has_report=lambda run_id, owner: True, report=lambda run_id, owner: report(),
                             is_adapter_run=lambda run_id, owner: method in MERGEABLE_METHODS)
    ctx = SimpleNamespace(studio=studio)
    outputs = evaluate._loader(ctx)("r1", {"lang": "en", "owner": "local"})
    merge, merged = outputs[-2:]
    assert merge["visible"] is shown and merged == ""
    nothing = evaluate._loader(ctx)("", {"lang": "en", "owner": "local"})
    assert nothing[-2]["visible"] is False


def test_probabilities_are_shown_as_numbers() -> None:
    fig = charts.probability_figure({"neg": 0.125, "pos": 0.875}, "Fine-tuned")
    assert list(fig.data[0].text) == ["12.5%", "87.5%"]
    prediction = {"label": "pos", "probs": {"neg": 0.125, "pos": 0.875}}
    verdict, chart, highlighted, generated = views.shown("label_probs", prediction, "Fine-tuned", "en")
    assert verdict == "### Fine-tuned: **pos** · 87.5%"
    assert chart["visible"] and list(chart["value"].data[0].text) == ["12.5%", "87.5%"]
    assert not highlighted["visible"] and not generated["visible"]


def test_the_time_estimate_says_how_long_and_where_the_figure_comes_from() -> None:
    measured = TimeEstimate(725.0, 44_000, Speed(61.2, "measured"))
    assert train.estimate_markdown(measured, "en") == "⏱ **About 12 min** on this machine · measured: 61 samples/s"
    assert train.estimate_markdown(measured, "zh") == "⏱ 在本机上 **约 12 分钟** · 实测：每秒 61 个样本"
    history_two = TimeEstimate(725.0, 44_000, Speed(61.2, "history", runs=2))
    assert "from 2 earlier runs of this model" in train.estimate_markdown(history_two, "en")
    rough = TimeEstimate(725.0, 44_000, Speed(61.2, "history", runs=1, same_settings=False))
    assert "rough: from an earlier run" in train.estimate_markdown(rough, "en")
    assert "Measure the speed" in train.estimate_markdown(None, "en")
    assert [train.duration_text(s, "en") for s in (20, 100, 7600)] == ["Under a minute", "About 2 min",
                                                                       "About 2 h 07 min"]


def test_the_estimate_shows_only_once_wired(tmp_path: Path) -> None:
    """Until the Start wiring calls wire_estimate, no button that does nothing is on the page."""
    from engine.studio import Studio
    from ui.app import build_app

    app = build_app(Studio(tmp_path / "runs"))
    tab, wired = app.tunebench_tabs.train, any(f.name == "estimate" for f in app.fns.values())
    assert tab.measure.visible is wired and tab.estimate.visible is wired


def test_the_estimate_handler_reads_earlier_runs_of_the_form_model(tmp_path: Path) -> None:
    """Wired as the lead will wire it, the handler answers from an earlier run's speed without training."""
    import gradio as gr

    import ui.app
    from engine.config import RunConfig
    from engine.runs.events import EventLog
    from engine.studio import Studio
    from ui.form import Form

    studio = Studio(tmp_path / "runs")
    cfg = RunConfig(name="earlier")
    earlier = studio.manager.store.create(cfg.name, cfg.task, cfg.model.name_or_path, cfg.method.kind)
    cfg.save(Path(earlier.run_dir) / "config.yaml")
    EventLog(earlier.run_dir).append("train_summary", values={"step": 42, "train_samples_per_second": 10.0})
    studio.manager.store.update(earlier.id, status="finished")

    forms: list[Form] = []
    original_wire = ui.app._wire

    def wire(ctx: Any, tabs: Any) -> None:
        original_wire(ctx, tabs)
        train.wire_estimate(ctx, tabs.train, [tabs.train.ended.change])
        forms.append(ctx.form)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ui.app, "_wire", wire)
        app = ui.app.build_app(studio)
    handler = next(f for f in app.fns.values() if f.name == "estimate")
    shown = app.tunebench_tabs.train
    assert isinstance(shown.estimate, gr.Markdown) and shown.estimate.visible and shown.measure.visible
    session = {"lang": "en", "owner": "local"}
    answer = handler.fn(session, *forms[0].values(RunConfig()))
    # The demo's 224 training rows x 3 epochs at 10 samples/s: 67 s.
    assert answer == "⏱ **About 1 min** on this machine · from an earlier run of this model and method with " \
                     "these settings"
    other = RunConfig()
    other.method.kind = "lora"
    assert "Measure the speed" in handler.fn(session, *forms[0].values(other))   # nothing known, nothing measured
