"""Tiny models with random weights, saved as local model folders, for tests and the latency benchmark.

They learn nothing useful about language; they train in seconds, which is what tests of the plumbing need. Each
uses MiniLM's tokenizer (the packaged one: nothing to download), taught the special tokens its kind needs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.models import PACKAGED_PREFIX, resolve_model


def _minilm_tokenizer() -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve_model(PACKAGED_PREFIX + "all-MiniLM-L6-v2").path)


def save_tiny_bert(folder: str | Path, seed: int = 0) -> str:
    """A 2-layer, 32-wide BERT with random weights and MiniLM's tokenizer, saved as a local model folder.

    It learns nothing useful about language; it trains in seconds, which is what tests and the
    latency benchmark need.
    """
    import torch
    from transformers import BertConfig, BertModel

    tokenizer = _minilm_tokenizer()
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=256)
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


# ChatML, the chat template of SmolLM2 and many small chat models: a test model renders chats as they do.
CHATML_TEMPLATE = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                   "'<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
                   "{% endif %}")


def save_tiny_causal_lm(folder: str | Path, seed: int = 0) -> str:
    """A 2-layer, 32-wide Llama with random weights, saved with MiniLM's tokenizer taught ChatML's two markers.

    Like save_tiny_bert: it writes nonsense, in seconds, for tests of the causal LM plumbing."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = _minilm_tokenizer()
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.eos_token = "<|im_end|>"
    tokenizer.chat_template = CHATML_TEMPLATE
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         num_key_value_heads=1, intermediate_size=64, max_position_embeddings=512,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=None, tie_word_embeddings=True)
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def save_tiny_t5(folder: str | Path, seed: int = 0) -> str:
    """A 1+1-layer, 32-wide T5 (relative positions; its type asks for the "summarize: " prefix); [SEP] ends texts."""
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    tokenizer = _minilm_tokenizer()
    tokenizer.eos_token = tokenizer.sep_token
    config = T5Config(vocab_size=len(tokenizer), d_model=32, d_kv=16, d_ff=64, num_layers=1, num_decoder_layers=1,
                      num_heads=2, pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
                      decoder_start_token_id=tokenizer.pad_token_id)
    torch.manual_seed(seed)
    T5ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def save_tiny_bart(folder: str | Path, seed: int = 0) -> str:
    """A 1+1-layer, 32-wide BART: [CLS] and [SEP] play <s> and </s>, and </s> starts the decoder, as in BART."""
    import torch
    from transformers import BartConfig, BartForConditionalGeneration

    tokenizer = _minilm_tokenizer()
    tokenizer.bos_token, tokenizer.eos_token = tokenizer.cls_token, tokenizer.sep_token
    config = BartConfig(vocab_size=len(tokenizer), d_model=32, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
                        max_position_embeddings=256, pad_token_id=tokenizer.pad_token_id,
                        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                        decoder_start_token_id=tokenizer.eos_token_id, forced_eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(seed)
    BartForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


def save_tiny_bert2bert(folder: str | Path, seed: int = 0) -> str:
    """The packaged MiniLM2MiniLM's recipe (engine.warm_start) applied to a tiny random BERT."""
    from engine.warm_start import warm_start

    encoder = save_tiny_bert(Path(folder).with_name(Path(folder).name + "-encoder"), seed)
    warm_start(encoder, folder)
    return str(folder)
