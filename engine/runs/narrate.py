"""One human line per event for the run log panel, in English or Chinese."""
from __future__ import annotations

import time
from typing import Any

from engine.messages import Message, pick_text, register_messages
from engine.metric_labels import metric_label

TIMING = ("runtime", "samples_per_second", "steps_per_second", "epoch")  # how fast, not how good

register_messages({
    "event.log": ("step {step}: loss {loss:.4f}", "第 {step} 步：损失 {loss:.4f}"),
    "event.eval": ("evaluation at step {step}: {scores}", "第 {step} 步评估：{scores}"),
    "event.queued": ("queued: waiting for a free training slot", "排队中：等待空闲的训练位置"),
    "event.starting": ("starting the training process", "正在启动训练进程"),
    "event.started": ("the training process started; preparing data and model", "训练进程已启动，正在准备数据和模型"),
    "event.data_ready": ("data ready: {train:,} training, {validation:,} validation and {test:,} test rows",
                         "数据就绪：训练 {train:,} 行，验证 {validation:,} 行，测试 {test:,} 行"),
    "event.data_left_out": ("; left out: {rejected:,} unreadable, {empty:,} empty and {duplicates:,} repeated rows",
                            "；未使用：无法读取 {rejected:,} 行，空行 {empty:,} 行，重复 {duplicates:,} 行"),
    "event.model_ready": ("model ready: {trainable:,} of {total:,} parameters train",
                          "模型就绪：{total:,} 个参数中训练 {trainable:,} 个"),
    "event.train_begin": ("training begins: {max_steps:,} steps", "开始训练：共 {max_steps:,} 步"),
    "event.checkpoint": ("checkpoint saved at step {step}", "已在第 {step} 步保存检查点"),
    "event.stopping": ("stop asked at step {step}: saving and stopping", "第 {step} 步收到停止请求：正在保存并停止"),
    "event.resumed": ("resumed from step {step}", "从第 {step} 步继续训练"),
    "event.train_summary": ("training loop done in {seconds:.0f} s", "训练循环完成，用时 {seconds:.0f} 秒"),
    "event.samples": ("step {step}: what the model writes now for held-out examples:",
                      "第 {step} 步：模型现在为留出样本写出的内容："),
    "event.test": ("held-out {split} scores: {scores}", "留出集（{split}）上的分数：{scores}"),
    "event.finished": ("finished", "已完成"),
    "event.stopped": ("stopped; the model so far is kept", "已停止；保留了目前为止的模型"),
    "event.failed": ("failed: {reason}", "失败：{reason}"),
    "event.interrupted": ("interrupted: {reason}", "已中断：{reason}"),
    "event.cancelled": ("cancelled: {reason}", "已取消：{reason}"),
    "split.test": ("test", "测试集"),
    "split.validation": ("validation", "验证集"),
})


def narrate(event: dict[str, Any], lang: str = "en", metrics: tuple[str, ...] = ()) -> str:
    """`HH:MM:SS what happened`, built from the event's fields so it reads the same in every language.
    `metrics` are the task's live metrics, which evaluation lines show beside the loss (all when empty)."""
    stamp = time.strftime("%H:%M:%S", time.localtime(event["time"]))
    return f"{stamp} {_sentence(event, lang, metrics)}"


def _sentence(event: dict[str, Any], lang: str, metrics: tuple[str, ...]) -> str:
    kind, values = event["kind"], event.get("values", {})
    code = f"event.{kind}"
    if kind == "log":
        return Message(code, {"step": values.get("step"), "loss": values.get("loss", float("nan"))}).text(lang)
    if kind == "eval":
        return Message(code, {"step": values.get("step"), "scores": _scores(values, lang, metrics)}).text(lang)
    if kind == "data_ready":
        return _data_ready(event, lang)
    if kind == "samples":
        return _samples(event, lang)
    if kind in ("model_ready", "train_begin", "checkpoint", "stopping", "resumed", "test", "train_summary"):
        return Message(code, _fields(kind, event, lang, metrics)).text(lang)
    if kind in ("failed", "interrupted", "cancelled"):
        return Message(code, {"reason": pick_text(event.get("message", ""), lang)}).text(lang)
    if kind in ("queued", "starting", "started", "finished", "stopped"):
        return Message(code).text(lang)
    return kind.replace("_", " ")


def _samples(event: dict[str, Any], lang: str) -> str:
    """What the model writes for the fixed held-out inputs now, one input and its text per line pair."""
    lines = [Message("event.samples", {"step": event.get("step")}).text(lang)]
    for sample in event.get("samples", []):
        lines.append(f"  › {_one_line(sample.get('prompt', ''))}")
        lines.append(f"    ⟶ {_one_line(sample.get('output', '')) or '∅'}")
    return "\n".join(lines)


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ⏎ ".join(part.strip() for part in str(text).splitlines() if part.strip())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _data_ready(event: dict[str, Any], lang: str) -> str:
    """Split sizes, what reading and cleaning left out, and the split's notes (a random split, say)."""
    rows = event.get("rows", {})
    sentence = Message("event.data_ready", {part: rows.get(part, 0) for part in ("train", "validation", "test")})
    left_out = {"rejected": event.get("rejected_rows", 0), "empty": event.get("dropped_empty", 0),
                "duplicates": event.get("dropped_duplicates", 0)}
    text = sentence.text(lang)
    if any(left_out.values()):
        text += Message("event.data_left_out", left_out).text(lang)
    notes = [pick_text(note, lang) for note in event.get("notes", [])]
    return " ".join([text, *notes])


def _fields(kind: str, event: dict[str, Any], lang: str, metrics: tuple[str, ...]) -> dict[str, Any]:
    if kind == "model_ready":
        return {"trainable": event.get("trainable", 0), "total": event.get("total", 0)}
    if kind == "train_begin":
        return {"max_steps": event.get("max_steps", 0)}
    if kind == "resumed":
        return {"step": event.get("from_step", 0)}
    if kind == "test":
        split = Message(f"split.{event.get('split', 'test')}").text(lang)
        return {"split": split, "scores": _scores(event.get("metrics", {}), lang, metrics, prefix="")}
    if kind == "train_summary":
        return {"seconds": event.get("values", {}).get("train_runtime", 0.0)}
    return {"step": event.get("step", 0)}


def _scores(values: dict[str, Any], lang: str, metrics: tuple[str, ...], prefix: str = "eval_") -> str:
    """The loss and the task's live metrics (or every score when they are not known), in that order."""
    names = ("loss", *metrics) if metrics else \
        tuple(key.removeprefix(prefix) for key in values if key.startswith(prefix) and
              not key.removeprefix(prefix).startswith(TIMING))
    shown = [f"{metric_label(name, lang)} {values[prefix + name]:.4f}" for name in names if prefix + name in values]
    return ("，" if lang == "zh" else ", ").join(shown)
