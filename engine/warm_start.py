"""An encoder-decoder warm-started from a packaged encoder (bert2bert, Rothe et al. 2020), built once into the
model cache (engine.model_cache).

No pretrained seq2seq model ships as a package here, so the summarizer offered offline is MiniLM twice: the encoder
reads the source, and a copy of it, made a decoder, writes the target. The decoder's self-attention and
feed-forward weights come from MiniLM; its cross-attention (how it looks at the source) and its word-prediction
layer start random, which is why it needs more data and steps than a pretrained seq2seq model such as BART or T5.
The encoder and decoder keep separate weights: transformers 5's EncoderDecoderModel accepts tie_encoder_decoder
but no longer ties them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from engine.errors import ModelError
from engine.messages import Message, register_messages
from engine.model_cache import cached_model, quiet_transformers

# Part of the cache folder's name: change it when warm_start() changes, so a model built by an older recipe is
# built again rather than reused.
RECIPE = "r1"

register_messages({
    "models.warm_starting": ("Preparing {name} for its first use: building the encoder-decoder from {encoder} "
                             "(a few seconds, once).",
                             "首次使用 {name}：正在用 {encoder} 搭建编码器-解码器模型（几秒钟，只需一次）。"),
    "models.warm_start_failed": ("Building {name} from {encoder} failed: {error}", "用 {encoder} 搭建 {name} 失败：{error}"),
})


@dataclass(frozen=True)
class WarmStartSource:
    """An encoder-decoder made of two copies of a packaged encoder, decoder cross-attention initialised fresh."""

    name: str                           # the packaged model's name (its cache folder's too)
    encoder: str                        # the packaged encoder's name
    encoder_path: Callable[[], str]     # where the encoder's folder is (its package's)

    def converted(self, progress: Callable[[Message], None] | None = None) -> str:
        """The encoder-decoder's folder, built first if the cache has no finished one."""
        path = self.encoder_path()
        return cached_model(f"{self.name}-{RECIPE}", lambda target: self._build(path, target),
                            Message("models.warm_starting", {"name": self.name, "encoder": self.encoder}), progress)

    def _build(self, encoder_path: str, target: Path) -> None:
        try:
            warm_start(encoder_path, target)
        except Exception as exc:  # noqa: BLE001 - a broken encoder folder: say which model
            raise ModelError("models.warm_start_failed", name=self.name, encoder=self.encoder, error=str(exc)) from exc


def warm_start(encoder_path: str, target: str | Path) -> None:
    """Save a bert2bert encoder-decoder from the BERT-style encoder at `encoder_path` into `target`.

    BERT's tokenizer has no start or end of text, so [CLS] starts every target and [SEP] ends it (as BERT's own
    pretraining texts did); both are set on the tokenizer too, so generation and training agree."""
    from transformers import AutoTokenizer, EncoderDecoderModel

    # quiet: the fresh cross-attention is listed as "newly initialized", which is the design here
    with quiet_transformers():
        model = EncoderDecoderModel.from_encoder_decoder_pretrained(encoder_path, encoder_path)
        tokenizer = AutoTokenizer.from_pretrained(encoder_path)
        tokenizer.bos_token, tokenizer.eos_token = tokenizer.cls_token, tokenizer.sep_token
        ids = {"decoder_start_token_id": tokenizer.cls_token_id, "bos_token_id": tokenizer.cls_token_id,
               "eos_token_id": tokenizer.sep_token_id, "pad_token_id": tokenizer.pad_token_id}
        for config in (model.config, model.generation_config):
            for key, value in ids.items():
                setattr(config, key, value)
        model.config.vocab_size = model.config.decoder.vocab_size
        model.save_pretrained(str(target))
        tokenizer.save_pretrained(str(target))
