"""Every word the Chinese page can show is Chinese, outside the allow-list of tests/app/untranslated.py: the UI's
strings, the names of option values, the settings' help, and what the tabs draw for each state of a run (checked
here as pure functions; tests/browser/test_chinese.py walks the real page). Errors read in the page's language."""
from __future__ import annotations

import string
import time
from dataclasses import fields
from types import SimpleNamespace

import gradio as gr
import pytest

from engine import config as C
from engine.errors import ConfigError
from engine.estimate import Speed, TimeEstimate
from engine.messages import Message
from engine.runs.narrate import narrate
from engine.tasks import task_names
from tests.app.test_page_parts import history, record, regression_report, report
from tests.app.untranslated import english_words
from ui import errors
from ui.i18n import option_choices
from ui.strings import OPTIONS_ZH, TEXT
from ui.tabs import data, evaluate, model, params, playground, train
from ui.tabs.gen_settings import NAMES

OWN_WORDING = {"encoding", "separator"}   # the Data tab names these (detected values, separator words)
REFERENCE_PREFIXES = {"upload", "demo", "packaged"}   # the YAML's ways to name data and models, quoted in help
STATUSES = ("queued", "starting", "running", "stopping", "finished", "stopped", "failed", "interrupted", "cancelled")


def literal(template: str) -> str:
    return " ".join(text for text, *_ in string.Formatter().parse(template))


def test_every_ui_string_is_chinese() -> None:
    untranslated = {key: english_words(literal(zh)) for key, (_, zh) in TEXT.items()}
    assert {key: words for key, words in untranslated.items() if words} == {}


def test_every_option_value_has_a_chinese_name() -> None:
    for section in (C.DataConfig, C.ModelConfig, C.MethodConfig, C.TrainConfig):
        for f in fields(section):
            offered = C.choices(section, f.name)
            if offered and f.name not in OWN_WORDING:
                assert set(OPTIONS_ZH[f.name]) == set(offered), f.name
    assert set(OPTIONS_ZH["model_source"]) == set(model.SOURCES)
    assert {name: english_words(" ".join(names.values())) for name, names in OPTIONS_ZH.items()
            if english_words(" ".join(names.values()))} == {}


def test_options_keep_their_values_and_show_names() -> None:
    assert option_choices("kind", ["full", "lora"], "zh") == [("全量微调", "full"), ("LoRA", "lora")]
    assert option_choices("kind", ["full"], "en") == [("full", "full")]   # English shows what the YAML says
    assert params.precision_choices("cpu", "zh")[0] == ("32 位浮点", "fp32")


def test_every_settings_help_is_chinese() -> None:
    for section in (C.DataConfig, C.ModelConfig, C.MethodConfig, C.TrainConfig, C.RunConfig):
        for f in fields(section):
            if not C.field_help(section, f.name, "en"):
                continue   # a section of settings, not a setting
            help_zh = C.field_help(section, f.name, "zh")
            assert help_zh and not english_words(help_zh, REFERENCE_PREFIXES), (section.__name__, f.name, help_zh)


@pytest.mark.parametrize("status", STATUSES)
def test_a_run_in_every_state_is_told_in_chinese(status: str) -> None:
    h = history(status)
    h.message = Message("event.stopped").texts() if status in ("failed", "interrupted", "cancelled") else ""
    queue = (1, 2) if status == "queued" else None
    shown = train.progress_html(h, "zh", queue)
    assert not english_words(shown.replace(f"data-status='{status}'", "")), shown
    assert not english_words(train._run_label(record(status=status, name="情感"), "zh"))


def test_every_line_of_the_run_log_is_chinese() -> None:
    now = time.time()
    reason = Message("event.stopped").texts()
    events = [
        {"kind": "queued"}, {"kind": "starting"}, {"kind": "started"},
        {"kind": "data_ready", "rows": {"train": 8, "validation": 2, "test": 2}, "rejected_rows": 1,
         "dropped_empty": 1, "dropped_duplicates": 1},
        {"kind": "model_ready", "trainable": 10, "total": 20}, {"kind": "train_begin", "max_steps": 16},
        {"kind": "log", "values": {"step": 5, "loss": 0.7}},
        {"kind": "eval", "values": {"step": 8, "eval_loss": 0.6, "eval_accuracy": 0.5, "eval_f1_macro": 0.4}},
        {"kind": "checkpoint", "step": 8}, {"kind": "stopping", "step": 9}, {"kind": "resumed", "from_step": 8},
        {"kind": "train_summary", "values": {"train_runtime": 12.0}},
        {"kind": "test", "split": "test", "metrics": {"accuracy": 0.9, "f1_macro": 0.8}},
        {"kind": "finished"}, {"kind": "stopped"}, {"kind": "failed", "message": reason},
        {"kind": "interrupted", "message": reason}, {"kind": "cancelled", "message": reason},
    ]
    for event in events:
        line = narrate({"time": now, **event}, "zh")
        assert not english_words(line), line


def test_estimates_and_durations_are_chinese() -> None:
    for found in (None, TimeEstimate(725.0, 44_000, Speed(61.2, "measured")),
                  TimeEstimate(7600.0, 44_000, Speed(61.2, "history", runs=2)),
                  TimeEstimate(20.0, 44_000, Speed(61.2, "history", runs=1, same_settings=False))):
        assert not english_words(train.estimate_markdown(found, "zh"))


def test_the_model_card_the_picks_and_the_tables_are_chinese() -> None:
    from engine.models import ModelInfo

    info = ModelInfo(spec="packaged:all-MiniLM-L6-v2", source="packaged", architecture="BertModel",
                     model_type="bert", parameters=22_713_216, max_length=512, vocab_size=30522, hidden_size=384,
                     layers=6, kind="encoder")
    assert not english_words(model.card_markdown(info, "zh"), {"BertModel"})
    assert model.parameter_count(22_713_216, "zh") == "2,271 万" and model.parameter_count(22_713_216, "en") == "22.7 M"
    assert model.model_label("packaged:all-MiniLM-L6-v2", "zh") == "all-MiniLM-L6-v2（内置）"
    assert model.model_label("packaged:all-MiniLM-L6-v2", "en") == "packaged:all-MiniLM-L6-v2"
    assert data.dataset_label("demo:reviews_zh", "zh") == "示例数据 reviews_zh（中文）"
    assert data.dataset_label("demo:reviews_zh", "en") == "demo:reviews_zh"
    assert [train.checkpoint_label(name, "zh") for name in ("last", "checkpoint-40")] == ["最新", "第 40 步的检查点"]
    for task in task_names():
        assert not english_words(" ".join(label for label, _ in params.best_metric_choices(task, "zh"))), task
    parts = [evaluate._table_update(table, "zh") for r in (report(), regression_report()) for table in r.tables]
    assert not english_words(" ".join(part["label"] for part in parts))
    tables = [evaluate.metrics_table(report(), "zh"), evaluate.metrics_table(regression_report(), "zh"),
              *(part["value"] for part in parts), evaluate.empty_table("zh")]
    assert not english_words(" ".join(str(column) for table in tables for column in table.columns))
    assert not english_words(evaluate.summary_markdown(report("validation"), "zh"))


@pytest.mark.parametrize("task", task_names())
def test_every_task_option_is_named_and_explained_in_chinese(task: str) -> None:
    from ui import shaped

    shown = [update for update in shaped.option_updates(task, "zh", reset=False)[1:] if update.get("visible")]
    assert not english_words(" ".join(f"{update['label']} {update['info']}" for update in shown))


def test_the_playgrounds_box_is_named_in_chinese_before_any_run() -> None:
    shape = playground._shaper(SimpleNamespace())
    box, *rest, batch, document, single, chat, settings = shape("", {"lang": "zh", "owner": "someone"})[:-len(NAMES)]
    assert box["label"] == "文本" and all(update == gr.skip() for update in rest) and batch["info"] is None
    assert document["label"] == "📄 把文本文件载入“文本”"
    assert single["visible"] and not chat["visible"]  # the input boxes, not the chat, before any run
    assert not settings["visible"]


def test_predictions_are_named_in_chinese() -> None:
    from engine.inference import prediction_table

    prediction = {"label": "正面", "probs": {"正面": 0.8, "负面": 0.2}}
    table = playground.predictions_table(prediction_table([{"text": "好"}], [prediction], "label_probs"), "zh")
    assert list(table.columns) == ["文本", "预测标签", "置信度", "概率（正面）", "概率（负面）"]
    spans = {"spans": [{"text": "张三", "label": "PER", "start": 0, "end": 2}]}
    table = playground.predictions_table(prediction_table([{"tokens": "张三来了"}], [spans], "spans"), "zh")
    assert list(table.columns) == ["句子", "实体", "实体位置（JSON）"]
    shown = playground.comparison({"kind": "label_probs", "tuned": prediction, "base": prediction}, {"lang": "zh"})
    tuned, base, note = shown[0], shown[4], shown[-1]
    assert tuned == "### 微调后：**正面** · 80.0%" and base == "### 基础模型：**正面** · 80.0%"
    assert note and not english_words(note)


def test_errors_pop_up_in_the_pages_language_and_in_english_for_the_api() -> None:
    @errors.guarded
    def refuse(session: dict | None = None) -> None:
        raise ConfigError("train.seed", "config.out_of_range", low=0, high=9, value=-1)

    with pytest.raises(gr.Error) as zh:
        refuse({"lang": "zh", "owner": "local"})
    assert zh.value.message == "train.seed：必须在 0 到 9 之间，现在是 -1。"
    with pytest.raises(gr.Error) as api:
        refuse()
    assert api.value.message == "train.seed: must be between 0 and 9, got -1."

    @errors.guarded
    def crash(session: dict) -> None:
        raise ZeroDivisionError("x")

    with pytest.raises(gr.Error) as unexpected:
        crash({"lang": "zh", "owner": "local"})
    assert unexpected.value.message == "出了点问题（ZeroDivisionError）。详情请看服务器日志。"
