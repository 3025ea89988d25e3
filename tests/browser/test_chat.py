"""Instruction tuning in a real Chromium: the chat demo, a model that can write, sample answers in the run log,
perplexity before and after, and a chat whose answers stream in beside the base model's."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_browser import TRAIN_TIMEOUT_MS, config_yaml, go_to, start_training
from tests.browser.test_data_tab import choose
from tests.browser.test_sessions import choose_local_model, set_number

pytestmark = pytest.mark.slow

CLM = "Causal language modeling / instruction tuning (text generation)"
# Counts the distinct texts the fine-tuned chat shows while an answer is written: more than one is a stream.
WATCH_STREAM_JS = """() => {
  window.tbTexts = new Set();
  const chat = document.querySelector('#chat-tuned');
  new MutationObserver(() => window.tbTexts.add(chat.innerText)).observe(chat, {subtree: true, childList: true,
                                                                              characterData: true});
}"""


def test_instruction_tuning_from_the_demo_to_a_streamed_chat(page: Any, tiny_causal_lm: str, tiny_model: str) -> None:
    # 1 · Data: the chat demo, read as chats learned on their answers.
    choose(page, "Task", CLM)
    expect(page.get_by_label("Dataset in use")).to_have_value("demo:chat_en")
    # The first use of the packaged writer converts it (about half a minute): its tokenizer reads the texts.
    expect(page.locator("#data-summary")).to_contain_text("Chat data: 240 prompts with answers to learn",
                                                          timeout=120_000)

    # 2 · Model: MiniLM cannot write, so the packaged writer replaced it; an encoder folder is refused by name.
    go_to(page, "2 · Model")
    expect(page.get_by_label("Model in use")).to_have_value("packaged:SmolLM2-135M-Instruct")
    choose_local_model(page, tiny_model)
    page.get_by_role("button", name="Check model and data").click()
    expect(page.locator("#model-info")).to_contain_text("needs a decoder")
    choose_local_model(page, tiny_causal_lm)

    # 3 · The task's own method, LoRA, and a short run.
    go_to(page, "3 · Hyperparameters")
    expect(config_yaml(page)).to_contain_text("kind: lora")
    set_number(page, "Epochs", "1")
    set_number(page, "Learning rate", "0.01")

    # 4 · Train: perplexity is charted and the log shows what the model writes for held-out prompts.
    start_training(page)
    expect(page.locator("#progress .tb-progress")).to_have_attribute("data-status", "finished",
                                                                      timeout=TRAIN_TIMEOUT_MS)
    expect(page.locator("#run-log textarea")).to_have_value(re.compile("what the model writes now for held-out examples"))

    # 5 · Evaluate: perplexity of both models, and their answers beside the reference.
    go_to(page, "5 · Evaluate")
    metrics = page.locator("#eval-metrics")
    expect(metrics).to_contain_text("perplexity of the base model")
    expect(page.locator("#eval-table-0")).to_contain_text("Held-out prompts")

    # 6 · Playground: a chat, not input boxes; the answer streams in, then the base model answers.
    go_to(page, "6 · Playground")
    expect(page.locator("#chat-panel")).to_be_visible()
    expect(page.locator("#playground-input-0")).to_be_hidden()
    page.evaluate(WATCH_STREAM_JS)
    page.locator("#chat-message textarea").fill("How do I keep basil alive?")
    page.locator("#chat-send").click()
    base = page.locator("#chat-base")
    expect(base).to_contain_text("How do I keep basil alive?")
    expect(base.locator(".message-row").nth(1)).not_to_be_empty(timeout=60_000)
    assert page.evaluate("window.tbTexts.size") > 2
    expect(page.locator("#chat-message textarea")).to_have_value("")
    page.locator("#chat-clear").click()
    expect(page.locator("#chat-tuned")).not_to_contain_text("basil")
