"""Generating text: the settings a person chooses, batched generation, and a token-by-token stream.

Shared by every task that writes text (causal LM now, seq2seq next). Greedy decoding is the default, so the same
prompt gives the same answer; sampling follows the settings' seed.
"""
from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Iterator

from engine.config import check_range, coerce
from engine.messages import register_messages

register_messages({
    "generation.max_new_tokens": ("The most tokens to write", "最多生成的词元数"),
    "generation.temperature": ("Randomness: 0 always picks the likeliest token; higher is more varied",
                               "随机程度：0 总是选最可能的词元；越高越多样"),
    "generation.top_p": ("Sample only from the likeliest tokens that together reach this probability",
                         "只从累计概率达到这个值的最可能词元中抽样"),
    "generation.top_k": ("Sample only from this many likeliest tokens (0: no limit)", "只从最可能的这么多个词元中抽样（0：不限）"),
    "generation.repetition_penalty": ("Above 1 makes repeating earlier words less likely",
                                      "大于 1 时降低重复前文词语的可能"),
    "generation.seed": ("Seed of the sampling, so an answer can be repeated", "抽样的随机种子，便于重现同一回答"),
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

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = coerce(f"generation.{spec.name}", type(spec.default), getattr(self, spec.name))
            check_range(f"generation.{spec.name}", value, spec.metadata["low"], spec.metadata["high"])
            object.__setattr__(self, spec.name, value)

    @classmethod
    def of(cls, values: dict[str, Any] | None) -> "GenerationSettings":
        known = {spec.name for spec in fields(cls)}
        return cls(**{key: value for key, value in (values or {}).items() if key in known and value is not None})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def generate_kwargs(self, tokenizer: Any) -> dict[str, Any]:
        """Arguments of model.generate: greedy at temperature 0, else sampling with the filters."""
        kwargs: dict[str, Any] = {"max_new_tokens": self.max_new_tokens, "repetition_penalty": self.repetition_penalty,
                                  "pad_token_id": _pad_id(tokenizer), "eos_token_id": tokenizer.eos_token_id}
        if self.temperature > 0:
            kwargs.update(do_sample=True, temperature=self.temperature, top_p=self.top_p, top_k=self.top_k)
        else:  # the model's own generation config may ask for sampling; greedy must mean greedy
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs


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
    """The text written after each prompt (token ids), in batches padded on the left as decoder-only models need."""
    import torch

    outputs: list[str] = []
    _seed(settings)
    with torch.inference_mode():
        for start in range(0, len(prompts), batch_size):
            batch = left_padded(prompts[start:start + batch_size], _pad_id(tokenizer), model.device)
            written = model.generate(**batch, **settings.generate_kwargs(tokenizer))
            outputs += tokenizer.batch_decode(written[:, batch["input_ids"].shape[1]:], skip_special_tokens=True)
    return [text.strip() for text in outputs]


def stream_text(model: Any, tokenizer: Any, prompt: list[int], settings: GenerationSettings,
                stop: threading.Event | None = None, lock: threading.Lock | None = None) -> Iterator[str]:
    """The text written after `prompt` (token ids), yielded piece by piece as the model writes it; setting `stop`
    ends the generation after the current token. `lock` is held while the model writes, not while the reader
    holds the stream open: a reader that goes away can never keep the model from others."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

    halted = threading.Event()   # set when the reader goes away (a closed page): the writer must not go on alone

    class Stopped(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
            return halted.is_set() or bool(stop and stop.is_set())

    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True, timeout=600)
    batch = left_padded([prompt], _pad_id(tokenizer), model.device)
    failure: list[BaseException] = []

    def write() -> None:
        try:
            with lock or nullcontext(), torch.inference_mode():
                _seed(settings)
                model.generate(**batch, **settings.generate_kwargs(tokenizer), streamer=streamer,
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


def left_padded(prompts: list[list[int]], pad_id: int, device: Any) -> dict[str, Any]:
    import torch

    longest = max(len(ids) for ids in prompts)
    ids = [[pad_id] * (longest - len(row)) + row for row in prompts]
    mask = [[0] * (longest - len(row)) + [1] * len(row) for row in prompts]
    return {"input_ids": torch.tensor(ids, device=device), "attention_mask": torch.tensor(mask, device=device)}


def _pad_id(tokenizer: Any) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def _seed(settings: GenerationSettings) -> None:
    if settings.temperature > 0:
        from transformers import set_seed

        set_seed(settings.seed)
