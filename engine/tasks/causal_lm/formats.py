"""The common instruction-data shapes in JSON and JSON Lines, read into the task's columns.

- Chat `messages`: a list of {role, content} per record (OpenAI / TRL style). Every assistant turn becomes a row
  to learn, with the turns before it as its `history` (JSON) and the first system message as `system`, so a
  multi-turn conversation trains every answer in its context.
- Alpaca: `instruction`, optional `input`, `output`. The prompt is the instruction, then a blank line and the
  input when there is one, as Alpaca's own prompt puts them.
Any other file (a table with prompt and response columns, raw text) is left to the general readers. What was read
is noted for the Data tab.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from engine.data.reading import read_file
from engine.data.table import LoadedTable, ReadOptions
from engine.messages import Message, register_messages

COLUMNS = ("system", "history", "prompt", "response")

register_messages({
    "clm.messages_read": ("'{name}' was read as chat messages: {conversations} conversations, {rows} assistant "
                          "answers to learn (each with the turns before it).",
                          "“{name}”已按对话消息读取：{conversations} 段对话，{rows} 个要学习的助手回答（各自带着之前的对话）。"),
    "clm.messages_skipped": ("Conversations of '{name}' without a user turn followed by an assistant answer were "
                             "left out: {count}.", "“{name}”中没有“用户提问—助手回答”的对话已排除：{count} 段。"),
    "clm.alpaca_read": ("'{name}' was read in the Alpaca shape: {rows} instructions; {inputs} of them have an input, "
                        "which follows the instruction after a blank line in the prompt.",
                        "“{name}”已按 Alpaca 格式读取：{rows} 条指令；其中 {inputs} 条带有输入，"
                        "输入放在提示中指令之后、隔一个空行。"),
})


def read_instructions(path: Path, name: str, options: ReadOptions) -> LoadedTable | None:
    """The file as prompt/response rows when it is in a chat or Alpaca shape, else None."""
    if Path(path).suffix.lower() not in (".json", ".jsonl"):
        return None
    table = read_file(Path(path), name, options)
    if "messages" in table.frame.columns:
        return _from_messages(table, name)
    if {"instruction", "output"} <= set(table.frame.columns):
        return _from_alpaca(table, name)
    return None


def _from_messages(table: LoadedTable, name: str) -> LoadedTable:
    rows, skipped = [], 0
    for conversation in table.frame["messages"]:
        found = _answers(_turns(conversation))
        skipped += not found
        rows += found
    notes = [Message("clm.messages_read", {"name": name, "conversations": len(table.frame) - skipped,
                                           "rows": len(rows)})]
    if skipped:
        notes.append(Message("clm.messages_skipped", {"name": name, "count": skipped}))
    return _loaded(table, pd.DataFrame(rows, columns=list(COLUMNS)), name, notes)


def _turns(value: Any) -> list[dict[str, str]]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return []
    if not isinstance(value, (list, tuple)):
        return []
    return [{"role": str(turn.get("role", "")), "content": str(turn.get("content") or "")}
            for turn in value if isinstance(turn, dict)]


def _answers(turns: list[dict[str, str]]) -> list[dict[str, str]]:
    """A row per assistant turn that answers a user turn, with the turns between the system message and it."""
    system = next((turn["content"] for turn in turns if turn["role"] == "system"), "")
    dialogue = [turn for turn in turns if turn["role"] in ("user", "assistant")]
    rows = []
    for at, turn in enumerate(dialogue):
        if turn["role"] == "assistant" and at and dialogue[at - 1]["role"] == "user":
            history = dialogue[:at - 1]
            rows.append({"system": system, "history": json.dumps(history, ensure_ascii=False) if history else "",
                         "prompt": dialogue[at - 1]["content"], "response": turn["content"]})
    return rows


def _from_alpaca(table: LoadedTable, name: str) -> LoadedTable:
    frame = table.frame
    inputs = frame["input"].fillna("").astype(str).str.strip() if "input" in frame.columns else \
        pd.Series("", index=frame.index)
    instructions = frame["instruction"].fillna("").astype(str).str.strip()
    prompts = [f"{instruction}\n\n{extra}" if extra else instruction for instruction, extra in zip(instructions, inputs)]
    out = pd.DataFrame({"prompt": prompts, "response": frame["output"].tolist()})
    if "system" in frame.columns:
        out.insert(0, "system", frame["system"].tolist())
    notes = [Message("clm.alpaca_read", {"name": name, "rows": len(out), "inputs": int((inputs != "").sum())})]
    return _loaded(table, out, name, notes)


def _loaded(table: LoadedTable, frame: pd.DataFrame, name: str, notes: list[Message]) -> LoadedTable:
    return LoadedTable(frame, name, table.format, encoding=table.encoding, encoding_detected=table.encoding_detected,
                       rows_read=table.rows_read, problems=table.problems, rejected=table.rejected,
                       notes=[*table.notes, *notes])
