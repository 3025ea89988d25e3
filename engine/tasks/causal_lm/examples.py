"""Token sequences a causal LM trains on: chats whose loss covers the answer only, and raw text cut into blocks.

A chat is rendered with the model's own chat template when it has one (SmolLM2's ChatML), else with a plain
"### Instruction / ### Response" layout and the end-of-text token. The prompt and the answer are tokenized
apart and joined, so the boundary is exact: the prompt's labels are -100 (no loss), the answer's are its ids.
Raw texts are joined with the end-of-text token between documents and cut into blocks of the max length; the
last, shorter block is kept (padded by the collator), so no token is lost.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.data.kinds import is_missing
from engine.generation import text_content
from engine.errors import DataError, ModelError
from engine.messages import register_messages

IGNORED = -100   # the label the loss skips

register_messages({
    "clm.bad_history": ("A history cell must hold the earlier turns of the chat as a JSON list of {{\"role\": ..., "
                        "\"content\": ...}} objects; this one does not: {value}",
                        "历史对话单元格必须是由 {{\"role\": ..., \"content\": ...}} 对象组成的 JSON 列表；这个不是：{value}"),
    "clm.template_refused": ("The model's chat template refuses these turns ({error}). Some templates need user and "
                             "assistant turns to alternate, or have no system role: leave the system column out or "
                             "fix the turns.",
                             "模型的对话模板拒绝了这些对话轮次（{error}）。有些模板要求用户和助手轮流发言，或者没有系统角色："
                             "请不选系统列，或修正对话轮次。"),
    "clm.no_end_token": ("This model's tokenizer has no end-of-text token, so a causal LM could not learn where an "
                         "answer or a text ends. Choose a model whose tokenizer has one (eos_token).",
                         "这个模型的分词器没有文本结束词元，因果语言模型就学不会回答或文本在哪里结束。请选择分词器带有 eos_token 的模型。"),
})


def end_token(tokenizer: Any) -> int:
    """The end-of-text id; a tokenizer without one (a BERT vocabulary under a GPT-2, say) ends with [SEP], which
    is then also its eos_token, saved with the model. A ModelError when it has neither."""
    if tokenizer.eos_token_id is None and getattr(tokenizer, "sep_token", None):
        tokenizer.eos_token = tokenizer.sep_token
    if tokenizer.eos_token_id is None:
        raise ModelError("clm.no_end_token")
    return tokenizer.eos_token_id


def pad_token(tokenizer: Any) -> int:
    """The padding id: the pad token, else the end token (the mask and -100 labels hide padding anyway)."""
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else end_token(tokenizer)
PLAIN_PROMPT = "### Instruction:\n{prompt}\n\n### Response:\n"


@dataclass
class Conversation:
    """One exchange to learn or answer: earlier turns, the prompt, and (for training) the answer."""

    prompt: str
    response: str = ""
    system: str = ""
    history: list[dict[str, str]] | None = None   # earlier {role, content} turns, oldest first

    def messages(self) -> list[dict[str, str]]:
        turns = [{"role": "system", "content": self.system}] if self.system else []
        return [*turns, *(self.history or []), {"role": "user", "content": self.prompt}]


def parse_history(value: Any) -> list[dict[str, str]]:
    """Earlier turns from a history cell: a list of {role, content} (content may be a list of text parts), or its
    JSON text; blank or missing is none. Anything else is a DataError that says what the cell must hold."""
    if is_missing(value) or (isinstance(value, str) and not value.strip()):
        return []
    try:
        turns = json.loads(value) if isinstance(value, str) else value
        return [{"role": str(turn["role"]), "content": text_content(turn["content"])} for turn in turns]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DataError("clm.bad_history", value=str(value)[:80]) from exc


def has_template(tokenizer: Any) -> bool:
    return bool(getattr(tokenizer, "chat_template", None))


def render(tokenizer: Any, messages: list[dict[str, str]], add_generation_prompt: bool) -> str:
    """The model's chat template applied, or a DataError saying why it refused these turns (templates that need
    user and assistant to alternate, or that have no system role)."""
    try:
        return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
    except Exception as exc:  # noqa: BLE001 - jinja raises its own errors from the template's own checks
        raise DataError("clm.template_refused", error=str(exc)[:200]) from exc


def prompt_text(tokenizer: Any, conversation: Conversation) -> str:
    """The text before the answer: the rendered chat up to the assistant's turn."""
    if has_template(tokenizer):
        return render(tokenizer, conversation.messages(), add_generation_prompt=True)
    earlier = "".join(f"{turn['content']}\n\n" for turn in conversation.messages()[:-1])
    return earlier + PLAIN_PROMPT.format(prompt=conversation.prompt)


def answer_text(tokenizer: Any, conversation: Conversation) -> str:
    """The answer as the template closes it (ChatML adds <|im_end|> and a newline), so the model learns to stop."""
    if has_template(tokenizer):
        before = prompt_text(tokenizer, conversation)
        whole = render(tokenizer, [*conversation.messages(), {"role": "assistant", "content": conversation.response}],
                       add_generation_prompt=False)
        if whole.startswith(before):
            return whole[len(before):]
    end_token(tokenizer)
    return conversation.response + tokenizer.eos_token


def prompt_ids(tokenizer: Any, conversation: Conversation) -> list[int]:
    ids = tokenizer(prompt_text(tokenizer, conversation), add_special_tokens=False)["input_ids"]
    bos = tokenizer.bos_token_id
    # A template writes its own start; the plain layout starts as the model's pretraining texts did.
    if not has_template(tokenizer) and bos is not None and bos != tokenizer.eos_token_id:
        ids = [bos, *ids]
    return ids


@dataclass
class Tokenized:
    input_ids: list[int]
    labels: list[int]
    cut: bool        # the prompt or the answer was shortened to fit the max length


def chat_example(tokenizer: Any, conversation: Conversation, max_length: int) -> Tokenized:
    """The chat's ids with labels on the answer only. Too long: the answer keeps at least half the room and its
    start, the prompt keeps its end (the question is usually last)."""
    prompt = prompt_ids(tokenizer, conversation)
    answer = tokenizer(answer_text(tokenizer, conversation), add_special_tokens=False)["input_ids"]
    cut = len(prompt) + len(answer) > max_length
    if cut:
        answer = answer[:max(max_length - len(prompt), max_length // 2)]
        prompt = prompt[len(prompt) - (max_length - len(answer)):]
    return Tokenized([*prompt, *answer], [IGNORED] * len(prompt) + answer, cut)


def text_blocks(tokenizer: Any, texts: list[str], block_size: int) -> list[Tokenized]:
    """Documents joined with the end-of-text token between them, cut into blocks of `block_size` tokens; every
    token is learned, and the last block is as long as what is left."""
    end = [end_token(tokenizer)]
    stream: list[int] = []
    for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]:
        stream += [*ids, *end]
    return [Tokenized(stream[at:at + block_size], stream[at:at + block_size], False)
            for at in range(0, len(stream), block_size)]


def packed(examples: list[Tokenized], max_length: int) -> list[Tokenized]:
    """Short examples joined in order into sequences of at most `max_length` tokens (fewer, fuller batches).
    Attention crosses the joins, as in the common packing recipe; labels keep each example's own mask."""
    sequences: list[Tokenized] = []
    for example in examples:
        last = sequences[-1] if sequences else None
        if last is not None and len(last.input_ids) + len(example.input_ids) <= max_length:
            last.input_ids += example.input_ids
            last.labels += example.labels
            last.cut = last.cut or example.cut
        else:
            sequences.append(Tokenized(list(example.input_ids), list(example.labels), example.cut))
    return sequences


class CausalCollator:
    """Pads ids with the pad token (the end token when there is none), the mask with 0 and labels with -100, on
    the right; to the longest in the batch, or to `length` when padding to a fixed length."""

    def __init__(self, pad_id: int, length: int = 0):
        self.pad_id, self.length = pad_id, length

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        longest = max(self.length, *(len(f["input_ids"]) for f in features))

        def padded(key: str, value: int) -> Any:
            return torch.tensor([list(f[key]) + [value] * (longest - len(f[key])) for f in features])

        mask = [[1] * len(f["input_ids"]) + [0] * (longest - len(f["input_ids"])) for f in features]
        return {"input_ids": padded("input_ids", self.pad_id), "attention_mask": torch.tensor(mask),
                "labels": padded("labels", IGNORED)}
