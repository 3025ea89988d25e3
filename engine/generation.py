"""Generating text: the settings a person chooses, batched generation, and a token-by-token stream.

Shared by every task that writes text: a decoder-only model (causal LM) continues its prompt, read padded on the
left; an encoder-decoder (seq2seq) reads its source padded on the right (BERT's absolute positions must start at
the text) and writes from scratch. Greedy decoding is the default, so the same input gives the same text; beam
search and sampling are settings, sampling following the settings' seed.
"""
from __future__ import annotations

import re
import threading
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Iterator

from engine.config import check_range, coerce
from engine.errors import ConfigError
from engine.messages import register_messages

register_messages({
    "generation.not_a_mapping": ("generation settings must be given by name, e.g. {{\"num_beams\": 4}}; known: "
                                 "{known}.", "生成设置必须按名称给出，例如 {{\"num_beams\": 4}}；可用的有：{known}。"),
    "generation.min_above_max": ("must be at most the max new tokens, {most}.", "不能超过最多生成词元数 {most}。"),
    "generation.unknown": ("'{name}' is not a generation setting; known: {known}.",
                           "“{name}”不是生成设置；可用的有：{known}。"),
    "generation.max_new_tokens": ("The most tokens to write", "最多生成的词元数"),
    "generation.temperature": ("Randomness: 0 always picks the likeliest token; higher is more varied",
                               "随机程度：0 总是选最可能的词元；越高越多样"),
    "generation.top_p": ("Sample only from the likeliest tokens that together reach this probability",
                         "只从累计概率达到这个值的最可能词元中抽样"),
    "generation.top_k": ("Sample only from this many likeliest tokens (0: no limit)", "只从最可能的这么多个词元中抽样（0：不限）"),
    "generation.repetition_penalty": ("Above 1 makes repeating earlier words less likely",
                                      "大于 1 时降低重复前文词语的可能"),
    "generation.seed": ("Seed of the sampling, so an answer can be repeated", "抽样的随机种子，便于重现同一回答"),
    "generation.num_beams": ("Beam search keeps this many candidate texts and returns the likeliest: often better "
                             "summaries, and that many times slower (1: greedy)",
                             "束搜索同时保留这么多条候选文本并返回最可能的一条：摘要常常更好，但也慢这么多倍（1：贪心）"),
    "generation.min_new_tokens": ("The fewest tokens to write before the text may end", "至少生成这么多词元才允许结束"),
    "generation.length_penalty": ("Beam search only: above 1 favours longer texts, below 1 shorter ones",
                                  "仅用于束搜索：大于 1 偏向更长的文本，小于 1 偏向更短的文本"),
    "generation.no_repeat_ngram_size": ("Never repeat a run of this many tokens (3 stops a summary saying the same "
                                        "phrase twice; 0: off)",
                                        "不允许重复出现这么多个连续词元（设为 3 可避免摘要重复同一短语；0：不限制）"),
})


@dataclass(frozen=True)
class GenerationSettings:
    """How a model writes; validated like every config (engine.config), bounds in the metadata for the forms."""

    max_new_tokens: int = field(default=128, metadata={"help": "generation.max_new_tokens", "low": 1, "high": 2048})
    temperature: float = field(default=0.0, metadata={"help": "generation.temperature", "low": 0.0, "high": 2.0})
    top_p: float = field(default=0.9, metadata={"help": "generation.top_p", "low": 0.01, "high": 1.0})
    top_k: int = field(default=50, metadata={"help": "generation.top_k", "low": 0, "high": 1000})
    repetition_penalty: float = field(default=1.1, metadata={"help": "generation.repetition_penalty",
                                                             "low": 1.0, "high": 2.0})
    seed: int = field(default=0, metadata={"help": "generation.seed", "low": 0, "high": 2**31 - 1})
    num_beams: int = field(default=1, metadata={"help": "generation.num_beams", "low": 1, "high": 8})
    min_new_tokens: int = field(default=0, metadata={"help": "generation.min_new_tokens", "low": 0, "high": 2048})
    length_penalty: float = field(default=1.0, metadata={"help": "generation.length_penalty", "low": 0.0, "high": 3.0})
    no_repeat_ngram_size: int = field(default=0, metadata={"help": "generation.no_repeat_ngram_size",
                                                           "low": 0, "high": 10})

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = coerce(f"generation.{spec.name}", type(spec.default), getattr(self, spec.name))
            check_range(f"generation.{spec.name}", value, spec.metadata["low"], spec.metadata["high"])
            object.__setattr__(self, spec.name, value)
        if self.min_new_tokens > self.max_new_tokens:
            raise ConfigError("generation.min_new_tokens", "generation.min_above_max", most=self.max_new_tokens)

    @classmethod
    def of(cls, values: dict[str, Any] | None) -> "GenerationSettings":
        known = {spec.name for spec in fields(cls)}
        return cls(**{key: value for key, value in (values or {}).items() if key in known and value is not None})

    def changed(self, values: Any) -> "GenerationSettings":
        """These settings with some replaced ({name: value}, as an API client or the CLI gives them); a name that
        is not a setting, or values that are not a mapping, are a ConfigError."""
        known = [spec.name for spec in fields(self)]
        if not isinstance(values, dict):
            raise ConfigError("generation", "generation.not_a_mapping", known=", ".join(known))
        unknown = [name for name in values if name not in known]
        if unknown:
            raise ConfigError("generation", "generation.unknown", name=unknown[0], known=", ".join(known))
        return replace(self, **values)

    @classmethod
    def help(cls, name: str) -> str:
        """The message code explaining the setting `name`."""
        return next(spec for spec in fields(cls) if spec.name == name).metadata["help"]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def decoding(self) -> dict[str, Any]:
        """The fields of a transformers GenerationConfig these settings decide: greedy (or beam search) at
        temperature 0, else sampling with the filters; None turns a field off."""
        values: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "repetition_penalty": self.repetition_penalty,
                                  "num_beams": self.num_beams, "min_new_tokens": self.min_new_tokens or None,
                                  # length_penalty only weighs beams against each other
                                  "length_penalty": self.length_penalty if self.num_beams > 1 else None,
                                  "no_repeat_ngram_size": self.no_repeat_ngram_size or None}
        if self.temperature > 0:
            values.update(do_sample=True, temperature=self.temperature, top_p=self.top_p, top_k=self.top_k)
        else:  # the model's own generation config may ask for sampling; greedy must mean greedy
            values.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return values

    def generate_kwargs(self, tokenizer: Any) -> dict[str, Any]:
        """Arguments of model.generate. A tokenizer without an end token leaves the model's own (a bert2bert's
        [SEP]) in charge."""
        kwargs = {**self.decoding(), "pad_token_id": _pad_id(tokenizer)}
        if tokenizer.eos_token_id is not None:
            kwargs["eos_token_id"] = tokenizer.eos_token_id
        return kwargs


# A WordPiece tokenizer (BERT's, so MiniLM2MiniLM's) decodes Chinese with a space between characters: "城 东 公 园".
_CJK_GAP = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]) "
                      r"(?=[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef])")


def decoded(tokenizer: Any, ids: Any) -> list[str]:
    """Token ids back to texts, without special tokens, stripped; Chinese from a WordPiece tokenizer without the
    spaces it puts between characters (other tokenizers give back the spaces a text really has)."""
    texts = [text.strip() for text in tokenizer.batch_decode(ids, skip_special_tokens=True)]
    decoder = getattr(getattr(tokenizer, "backend_tokenizer", None), "decoder", None)
    return [_CJK_GAP.sub("", text) for text in texts] if type(decoder).__name__ == "WordPiece" else texts


def text_content(content: Any) -> str:
    """A chat message's text: a string, or the text parts of OpenAI-style content ([{type: text, text}]) as chat
    files and Gradio's chatbot write it; a missing value is no text."""
    if isinstance(content, (list, tuple)):
        return "".join(str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content)
    if content is None or (isinstance(content, float) and content != content):  # None or NaN
        return ""
    return str(content)


def generate_texts(model: Any, tokenizer: Any, prompts: list[list[int]], settings: GenerationSettings,
                   batch_size: int = 8) -> list[str]:
    """The text written for each input (token ids), in batches: after the prompt for a decoder-only model (padded
    on the left), or from the source for an encoder-decoder."""
    import torch

    outputs: list[str] = []
    two_part = writes_from_scratch(model)
    _seed(settings)
    with torch.inference_mode():
        for start in range(0, len(prompts), batch_size):
            batch = padded(prompts[start:start + batch_size], _pad_id(tokenizer), model.device, left=not two_part)
            written = model.generate(**batch, **settings.generate_kwargs(tokenizer))
            outputs += decoded(tokenizer, written if two_part else written[:, batch["input_ids"].shape[1]:])
    return outputs


def writes_from_scratch(model: Any) -> bool:
    """An encoder-decoder: its output is the decoder's text alone, not the prompt continued."""
    return bool(getattr(model.config, "is_encoder_decoder", False))


def stream_text(model: Any, tokenizer: Any, prompt: list[int], settings: GenerationSettings,
                stop: threading.Event | None = None, lock: threading.Lock | None = None) -> Iterator[str]:
    """The text written after `prompt` (token ids), yielded piece by piece as the model writes it; setting `stop`
    ends the generation after the current token. `lock` is held while the model writes, not while the reader
    holds the stream open: a reader that goes away can never keep the model from others. A stream shows one text
    as it grows, so it is written without beam search (whose candidates change until the end)."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

    halted = threading.Event()   # set when the reader goes away (a closed page): the writer must not go on alone

    class Stopped(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
            return halted.is_set() or bool(stop and stop.is_set())

    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600)
    batch = padded([prompt], _pad_id(tokenizer), model.device, left=not writes_from_scratch(model))
    kwargs = {**settings.generate_kwargs(tokenizer), "num_beams": 1}
    failure: list[BaseException] = []

    def write() -> None:
        try:
            with lock or nullcontext(), torch.inference_mode():
                _seed(settings)
                model.generate(**batch, **kwargs, streamer=streamer,
                               stopping_criteria=StoppingCriteriaList([Stopped()]))
        except BaseException as exc:  # noqa: BLE001 - re-raised in the reading thread, where the caller is
            failure.append(exc)
            streamer.end()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        yield from (piece for piece in streamer if piece)
    finally:
        halted.set()
        writer.join()
    if failure:
        raise failure[0]


def padded(prompts: list[list[int]], pad_id: int, device: Any, left: bool = True) -> dict[str, Any]:
    """A batch of ids padded to its longest: on the left, so a decoder continues right after its prompt, or on
    the right, for an encoder."""
    import torch

    longest = max(len(ids) for ids in prompts)

    def pad(row: list[int], value: int) -> list[int]:
        return [value] * (longest - len(row)) + row if left else row + [value] * (longest - len(row))

    ids = [pad(row, pad_id) for row in prompts]
    mask = [pad([1] * len(row), 0) for row in prompts]
    return {"input_ids": torch.tensor(ids, device=device), "attention_mask": torch.tensor(mask, device=device)}


def _pad_id(tokenizer: Any) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def _seed(settings: GenerationSettings) -> None:
    if settings.temperature > 0:
        from transformers import set_seed

        set_seed(settings.seed)
