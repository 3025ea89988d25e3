"""Causal language modeling and instruction tuning: a decoder learns to write what the data shows.

Two data shapes, told apart by the mapping: with a prompt column, each row is a chat (optional system prompt and
earlier turns, the prompt, the answer to learn), rendered with the model's chat template and learned on the
answer only (examples.py); without one, the response column is raw text, joined and cut into blocks. Chat
`messages` and Alpaca files are read into those columns (formats.py). The live metric is perplexity, with sample
answers for three held-out prompts at each evaluation (engine.samples); the report compares perplexity and answers
before and after (scoring.py). Predictions are generated text, streamed in the playground.
"""
from __future__ import annotations

import functools
import threading
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pandas as pd

from engine.data.loading import DemoDataset, demo_file, register_demo
from engine.errors import DataError
from engine.evaluation import EvalReport
from engine.generation import GenerationSettings, generate_texts, stream_text, text_content
from engine.messages import Message, register_messages
from engine.rouge import mean_rouge
from engine.tasks.base import ColumnRole, MetricSpec, Task, TaskOption, register_task
from engine.tasks.causal_lm.examples import (CausalCollator, Conversation, Tokenized, chat_example, packed,
                                             pad_token, parse_history, prompt_ids, text_blocks)
from engine.tasks.causal_lm.formats import read_instructions
from engine.tasks.causal_lm.scoring import answers_report, perplexity
from engine.models import readable_length
from engine.tasks.heads import load_head_model

if TYPE_CHECKING:
    from pathlib import Path

    from datasets import Dataset

    from engine.config import RunConfig
    from engine.data import LoadedTable, ReadOptions
    from engine.runs.events import EventLog

TASK = "causal_lm"
CHAT, TEXT = "chat", "text"
CONTINUE_TOKENS = 32    # raw text: the beginning of a held-out text that each model continues in the report

register_messages({
    "tasks.causal_lm": ("Causal language modeling / instruction tuning (text generation)",
                        "因果语言建模 / 指令微调（文本生成）"),
    "clm.prompt_role": ("the prompt or instruction (leave it unset to train on plain text)",
                        "提示或指令（不选则按纯文本训练）"),
    "clm.response_role": ("the answer the model learns to write (or the plain text, when no prompt column is set)",
                          "模型要学会写出的回答（不选提示列时为纯文本）"),
    "clm.system_role": ("an optional system prompt (the assistant's instructions)", "可选的系统提示（给助手的指示）"),
    "clm.history_role": ("optional earlier turns of the chat (JSON, from chat `messages` files)",
                         "可选的之前几轮对话（JSON，来自对话 messages 文件）"),
    "clm.option.packing_label": ("Pack short examples together", "把短样本拼接在一起"),
    "clm.option.packing": ("Join several short chats into one sequence of up to the max length: fewer, fuller "
                           "batches, so faster training; each answer keeps its own loss mask.",
                           "把多个短对话拼成一条不超过最大长度的序列：批次更少更满，训练更快；每个回答仍只在自己的部分计算损失。"),
    "clm.option.report_prompts_label": ("Held-out prompts in the report", "报告中的留出提示数"),
    "clm.option.report_prompts": ("How many held-out prompts both models answer for the Evaluate tab (generation is "
                                  "slow on a CPU).", "评估页中两个模型都要回答的留出提示数量（在 CPU 上生成较慢）。"),
    "clm.option.report_tokens_label": ("Longest answer in the report (tokens)", "报告中回答的最大长度（词元）"),
    "clm.option.report_tokens": ("The most tokens each model writes for a held-out prompt in the report.",
                                 "报告中每个模型为一个留出提示最多生成的词元数。"),
    "clm.no_text": ("The training split has no text to learn.", "训练集中没有可学习的文本。"),
    "clm.data_chat": ("Chat data: {rows} prompts with answers to learn; the loss covers the answers only.",
                      "对话数据：{rows} 条带回答的提示；损失只计算回答部分。"),
    "clm.data_text": ("Plain text: no prompt column is set, so the {rows} texts are joined and cut into blocks of "
                      "{length} tokens, every token learned.",
                      "纯文本：没有选择提示列，所以这 {rows} 条文本会被连接起来并切成 {length} 个词元的块，每个词元都参与学习。"),
    "clm.cut_examples": ("{count} of {sampled} sampled chats ({share}) are longer than {length} tokens; their prompt "
                         "loses its beginning and their answer its end. A larger max length keeps them whole.",
                         "抽样的 {sampled} 条对话中有 {count} 条（{share}）超过 {length} 个词元；它们的提示会被截去开头、"
                         "回答会被截去结尾。调大最大长度可以保留完整内容。"),
    "demo.chat_en": ("English prompts answered in a fixed three-line format (Short answer, Why, Tip), to teach a chat "
                     "model a style.", "用固定三行格式（简答、原因、小贴士）回答的英文提示，用来教对话模型一种风格。"),
    "demo.chat_zh": ("Chinese prompts answered in a fixed three-line format (简答, 原因, 小贴士), to teach a chat "
                     "model a style.", "用固定三行格式（简答、原因、小贴士）回答的中文提示，用来教对话模型一种风格。"),
})


class CausalLM(Task):
    name = TASK
    title = Message("tasks.causal_lm")
    roles = (ColumnRole("prompt", "prompt", Message("clm.prompt_role"), optional=True),
             ColumnRole("response", "response", Message("clm.response_role"), input=False),
             ColumnRole("system", "system", Message("clm.system_role"), optional=True),
             ColumnRole("history", "history", Message("clm.history_role"), optional=True))
    metrics = (MetricSpec("perplexity", higher_is_better=False, live=True),)
    primary_metric = "perplexity"
    options = (TaskOption("packing", False, Message("clm.option.packing"), label=Message("clm.option.packing_label")),
               TaskOption("report_prompts", 12, Message("clm.option.report_prompts"), low=0, high=500,
                          label=Message("clm.option.report_prompts_label")),
               TaskOption("report_tokens", 96, Message("clm.option.report_tokens"), low=1, high=1024,
                          label=Message("clm.option.report_tokens_label")))
    output_kind = "text"
    peft_task_type = "CAUSAL_LM"
    model_kinds = ("decoder",)
    default_method = "lora"
    chat = True
    generation_settings = ("max_new_tokens", "temperature", "top_p", "top_k", "repetition_penalty", "seed")

    def read_native(self, path: "Path", name: str, options: "ReadOptions") -> "LoadedTable | None":
        return read_instructions(path, name, options)

    def data_plan(self, cfg: "RunConfig") -> Any:
        """A row repeats an earlier one only when its answer (or its text) repeats too: several answers to one
        prompt are several examples."""
        from dataclasses import replace

        return replace(super().data_plan(cfg), duplicate_roles=tuple(role.name for role in self.roles))

    # -- the data -----------------------------------------------------------------------------------------------
    def shape(self, frame: "pd.DataFrame", cfg: "RunConfig") -> str:
        return CHAT if "prompt" in self.columns(frame, cfg) else TEXT

    def columns(self, frame: "pd.DataFrame", cfg: "RunConfig") -> dict[str, str]:
        """{role: column} of the roles the frame has (an optional role it lacks is left out)."""
        return {role.name: role.column(cfg) for role in self.roles if role.column(cfg) in frame.columns}

    def conversations(self, frame: "pd.DataFrame", columns: dict[str, str]) -> list[Conversation]:
        def cells(name: str) -> list[Any]:
            return frame[columns[name]].tolist() if name in columns else [None] * len(frame)

        return [Conversation(text_content(prompt), text_content(response), text_content(system),
                             parse_history(history))
                for prompt, response, system, history in zip(cells("prompt"), cells("response"), cells("system"),
                                                              cells("history"))]

    def label_space(self, train: "pd.DataFrame", cfg: "RunConfig") -> dict[str, Any]:
        """The data shape, saved with the model: a chat model is asked through its template, a text model is
        asked to continue a text."""
        if not len(train):
            raise DataError("clm.no_text")
        return {"shape": self.shape(train, cfg)}

    def check_split(self, frame: "pd.DataFrame", cfg: "RunConfig", labels: dict[str, Any]) -> None:
        """Any text can be scored."""

    def checked_labels(self, splits: Any, cfg: "RunConfig") -> dict[str, Any]:
        """The shape, with every split's chats read once here (a bad history cell is refused before the run)."""
        for part in ("train", "validation", "test"):
            frame = getattr(splits, part)
            self.conversations(frame, self.columns(frame, cfg))
        labels = super().checked_labels(splits, cfg)
        splits.notes.append(shape_note(labels["shape"], len(splits.train), cfg.model.max_length))
        return labels

    def inspect_notes(self, frame: "pd.DataFrame", plan: Any, tokenizer: Any, cfg: "RunConfig",
                      sample_size: int = 500) -> list[Message]:
        """Whether the file trains as chats or as plain text, and how many chats the max length would cut."""
        if not all(role.column in frame.columns for role in plan.required):
            return []
        columns = {role.role: role.column for role in plan.roles if role.column in frame.columns}
        shape = CHAT if "prompt" in columns else TEXT
        notes = [shape_note(shape, len(frame), cfg.model.max_length)]
        if shape == CHAT and tokenizer is not None:
            conversations = self.conversations(frame.head(sample_size), columns)
            cut = sum(chat_example(tokenizer, c, cfg.model.max_length).cut for c in conversations)
            if cut:
                notes.append(Message("clm.cut_examples", {"count": cut, "sampled": len(conversations),
                                                          "share": f"{cut / len(conversations):.0%}",
                                                          "length": cfg.model.max_length}))
        return notes

    # -- training -----------------------------------------------------------------------------------------------
    def build_model(self, model_path: str, labels: dict[str, Any], weights: bool = True) -> Any:
        from transformers import AutoModelForCausalLM

        return load_head_model(AutoModelForCausalLM, model_path, {}, weights)

    def examples(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig",
                 labels: dict[str, Any]) -> list[Tokenized]:
        if labels["shape"] == TEXT:
            return text_blocks(tokenizer, frame[self.role("response").column(cfg)].astype(str).tolist(),
                               cfg.model.max_length)
        return [chat_example(tokenizer, c, cfg.model.max_length)
                for c in self.conversations(frame, self.columns(frame, cfg))]

    def preprocess(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig", labels: dict[str, Any]) -> "Dataset":
        from datasets import Dataset

        examples = self.examples(frame, tokenizer, cfg, labels)
        if labels["shape"] == CHAT and self.option(cfg, "packing"):
            examples = packed(examples, cfg.model.max_length)
        return Dataset.from_dict({"input_ids": [e.input_ids for e in examples], "labels": [e.labels for e in examples]})

    def collator(self, tokenizer: Any, cfg: "RunConfig") -> Callable:
        return CausalCollator(pad_token(tokenizer), cfg.model.max_length if cfg.train.padding == "max_length" else 0)

    def trainer_class(self) -> type:
        return _perplexity_trainer()

    def metrics_fn(self, labels: dict[str, Any], features: "Dataset", tokenizer: Any = None) -> None:
        """None: the Trainer then keeps only the loss (a vocabulary of logits per token would fill the memory);
        the trainer class adds perplexity, exp of the loss."""
        return None

    def callbacks(self, validation: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig", labels: dict[str, Any],
                  log: "EventLog") -> list[Any]:
        """Answers to the first three held-out prompts at each evaluation (the beginnings of texts for raw text)."""
        from engine.samples import SAMPLE_PROMPTS, SampleGenerations

        prompts, ids, references = self._held_out(validation.head(SAMPLE_PROMPTS), tokenizer, cfg, labels)
        return [SampleGenerations(log, prompts, ids, references)]

    # -- after training -----------------------------------------------------------------------------------------
    def _held_out(self, frame: "pd.DataFrame", tokenizer: Any, cfg: "RunConfig",
                  labels: dict[str, Any]) -> tuple[list[str], list[list[int]], list[str]]:
        """Prompts (as shown), their ids and the references: chats' prompts and answers, or the first tokens of
        each text and what follows them."""
        if labels["shape"] == CHAT:
            conversations = self.conversations(frame, self.columns(frame, cfg))
            # Cut as training cut them (the prompt keeps its end): a model has positions for max_length tokens.
            return ([c.prompt for c in conversations],
                    [prompt_ids(tokenizer, c)[-cfg.model.max_length:] for c in conversations],
                    [c.response for c in conversations])
        texts = frame[self.role("response").column(cfg)].astype(str).tolist()
        ids = [tokenizer(text, add_special_tokens=False)["input_ids"] for text in texts]
        beginnings = [tokenizer.decode(row[:CONTINUE_TOKENS]) for row in ids]
        rests = [tokenizer.decode(row[CONTINUE_TOKENS:CONTINUE_TOKENS * 4]) for row in ids]
        return beginnings, [row[:CONTINUE_TOKENS] for row in ids], rests

    def evaluate(self, predictor: Any, frame: "pd.DataFrame", cfg: "RunConfig", split: str) -> EvalReport:
        """Perplexity of the fine-tuned and the base model on the split, and both models' answers to its first
        held-out prompts (report_prompts of them), scored with ROUGE-L for chats."""
        tokenizer, labels = predictor.tokenizer, predictor.labels
        examples = self.examples(frame, tokenizer, cfg, labels)
        shown = frame.head(self.option(cfg, "report_prompts"))
        prompts, ids, references = self._held_out(shown, tokenizer, cfg, labels)
        settings = GenerationSettings(max_new_tokens=self.option(cfg, "report_tokens"))
        metrics = {"perplexity": perplexity(predictor.model, examples, pad_token(tokenizer))}
        tuned = generate_texts(predictor.model, tokenizer, ids, settings) if ids else []
        with predictor.base_model(cfg) as base:
            metrics["base_perplexity"] = perplexity(base, examples, pad_token(tokenizer))
            before = generate_texts(base, tokenizer, ids, settings) if ids else []
        chat = labels["shape"] == CHAT
        if chat and ids:
            metrics["rouge_l"] = mean_rouge(tuned, references, ("rougeL",))["rougeL"]
            metrics["base_rouge_l"] = mean_rouge(before, references, ("rougeL",))["rougeL"]
        report = answers_report(self.name, split, prompts, references, tuned, before, metrics, chat)
        report.rows = len(frame)
        return report

    def report(self, frame: "pd.DataFrame", predictions: list[dict], cfg: "RunConfig", labels: dict[str, Any],
               split: str) -> EvalReport:
        """The answers alone (without perplexities, which need the model: see evaluate)."""
        chat = labels["shape"] == CHAT
        prompts = [text_content(item.get("prompt")) for item in self.inputs(frame, cfg)]
        references = frame[self.role("response").column(cfg)].astype(str).tolist()
        tuned = [prediction["text"] for prediction in predictions]
        metrics = {"rouge_l": mean_rouge(tuned, references, ("rougeL",))["rougeL"]} if chat else {}
        return answers_report(self.name, split, prompts, references, tuned, None, metrics, chat)

    def predict(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: dict[str, Any],
                max_length: int, batch_size: int = 8) -> list[dict]:
        """The text each model writes for each input, greedily (the same input gives the same text)."""
        return self.generate(model, tokenizer, inputs, labels, max_length, GenerationSettings(), batch_size)

    def generate(self, model: Any, tokenizer: Any, inputs: list[dict[str, Any]], labels: dict[str, Any],
                 max_length: int, settings: GenerationSettings, batch_size: int = 8) -> list[dict]:
        limit = readable_length(model.config, tokenizer) - settings.max_new_tokens
        ids = [self.prompt_for(tokenizer, item, labels, limit) for item in inputs]
        return [{"text": text} for text in generate_texts(model, tokenizer, ids, settings, batch_size)]

    def stream(self, model: Any, tokenizer: Any, item: dict[str, Any], labels: dict[str, Any], max_length: int,
               settings: GenerationSettings, stop: threading.Event | None = None,
               lock: threading.Lock | None = None) -> Iterator[str]:
        """A chat answer (or a continuation) piece by piece; a long chat keeps its system prompt and its latest
        turns within the model's context, the answer's room left free."""
        with lock or nullcontext():
            room = readable_length(model.config, tokenizer) - settings.max_new_tokens
            ids = self.prompt_for(tokenizer, item, labels, room)
        yield from stream_text(model, tokenizer, ids, settings, stop, lock)

    def prompt_for(self, tokenizer: Any, item: dict[str, Any], labels: dict[str, Any], limit: int) -> list[int]:
        """An input's ids as the model was trained to read them (a chat through its template, or a text to
        continue), in at most `limit` tokens: the oldest earlier turns go first, then the text's beginning."""
        prompt = text_content(item.get("prompt"))
        limit = max(limit, 1)
        if labels.get("shape") == TEXT:
            return tokenizer(prompt, add_special_tokens=False)["input_ids"][-limit:]
        history = parse_history(item.get("history"))
        while True:
            ids = prompt_ids(tokenizer, Conversation(prompt, system=text_content(item.get("system")), history=history))
            if len(ids) <= limit or not history:
                return ids[-limit:]
            history = history[2:]  # one exchange, a question and its answer

    def inputs(self, frame: "pd.DataFrame", cfg: "RunConfig") -> list[dict[str, Any]]:
        """The rows as predict() takes them; an optional role the frame lacks is left out."""
        columns = {role: column for role, column in self.columns(frame, cfg).items() if self.role(role).input}
        return [{name: row[column] for name, column in columns.items()} for _, row in frame.iterrows()]

    def check_inputs(self, inputs: list[dict[str, Any]]) -> None:
        """A prompt is needed (a chat's question, or the beginning of a text to continue)."""
        if not any(str(item.get("prompt") or "").strip() for item in inputs):
            raise DataError("tasks.no_input", role=self.role("prompt").description)


def shape_note(shape: str, rows: int, length: int) -> Message:
    """How the rows train: as chats learned on their answers, or as plain text cut into blocks."""
    return Message("clm.data_chat" if shape == CHAT else "clm.data_text", {"rows": rows, "length": length})


@functools.cache
def _perplexity_trainer() -> type:
    """The Trainer, adding eval_perplexity (exp of the evaluation loss) to the metrics it logs and ranks by."""
    import math

    from transformers import Trainer

    class PerplexityTrainer(Trainer):
        def evaluation_loop(self, *args: Any, **kwargs: Any) -> Any:
            output = super().evaluation_loop(*args, **kwargs)
            prefix = kwargs.get("metric_key_prefix", args[4] if len(args) > 4 else "eval")
            loss = output.metrics.get(f"{prefix}_loss")
            if loss is not None:
                output.metrics[f"{prefix}_perplexity"] = math.exp(min(loss, 50.0))  # exp(50): a model that knows nothing
            return output

    return PerplexityTrainer


register_task(CausalLM())
register_demo(DemoDataset("chat_en", demo_file("chat_en.jsonl"), "en", Message("demo.chat_en"), TASK))
register_demo(DemoDataset("chat_zh", demo_file("chat_zh.jsonl"), "zh", Message("demo.chat_zh"), TASK))
