"""Fine-tuning methods: full, PEFT adapters (LoRA, IA3, prompt tuning) and layer freezing.

Each method is one builder registered in METHOD_BUILDERS; `apply_method` picks it by name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from engine.config import MethodConfig
from engine.errors import ConfigError
from engine.messages import register_messages

MethodBuilder = Callable[[Any, MethodConfig, str, str], Any]  # model, method, model path, PEFT task type

# Starting learning rates per method: adapters and frozen bodies train few weights from scratch and
# need a larger step than full fine-tuning (1e-4 leaves a LoRA classifier at the majority class).
RECOMMENDED_LR = {"full": 1e-4, "lora": 1e-3, "ia3": 3e-3, "prompt_tuning": 3e-2, "head_only": 3e-3,
                  "top_layers": 2e-4}
METHOD_BUILDERS: dict[str, MethodBuilder] = {}

register_messages({
    "methods.unknown": ("unknown method {kind!r}; known: {known}.", "未知的方法 {kind!r}；可选：{known}。"),
    "methods.ia3_no_defaults": ("IA3 has no defaults for {model_type}; list the modules to adapt.",
                                "IA3 没有适用于 {model_type} 的默认设置；请列出要适配的模块。"),
    "methods.peft_failed": ("PEFT cannot adapt this model: {error}", "PEFT 无法适配这个模型：{error}"),
    "methods.too_few_layers": ("the model has only {layers} layers.", "这个模型只有 {layers} 层。"),
    "methods.no_separate_head": ("this model writes text with its whole network (its output layer shares the input "
                                 "word embeddings), so it has no head to train alone or above its top layers: choose "
                                 "full fine-tuning or LoRA.",
                                 "这个模型用整个网络来生成文本（输出层与输入词向量共享），没有可以单独训练的任务头，"
                                 "也不能只训练顶部几层：请选择完整微调或 LoRA。"),
    "methods.no_layers": ("top_layers cannot find this model's layers; use LoRA.",
                          "“训练顶部几层”找不到这个模型的层；请改用 LoRA。"),
})


def register_method(name: str) -> Callable[[MethodBuilder], MethodBuilder]:
    def add(builder: MethodBuilder) -> MethodBuilder:
        METHOD_BUILDERS[name] = builder
        return builder
    return add


def apply_method(model: Any, cfg: MethodConfig, model_path: str, task_type: str) -> Any:
    """Wrap or freeze `model` (which already has its task head) as the method asks; `task_type` is the task's
    peft.TaskType name, which tells PEFT how the model is called and which head to keep trainable."""
    if cfg.kind not in METHOD_BUILDERS:
        raise ConfigError("method.kind", "methods.unknown", kind=cfg.kind, known=", ".join(METHOD_BUILDERS))
    return METHOD_BUILDERS[cfg.kind](model, cfg, model_path, task_type)


def count_parameters(model: Any) -> tuple[int, int]:
    """(trainable, total) parameters."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


@register_method("full")
def _full(model: Any, cfg: MethodConfig, model_path: str, task_type: str) -> Any:
    return model


def _target_modules(model: Any, cfg: MethodConfig, mapping: dict[str, list[str]]) -> Any:
    if cfg.target_modules:
        return list(cfg.target_modules)
    # Known architectures have tuned defaults; anything else adapts every linear layer.
    return mapping.get(model.config.model_type, "all-linear")


def _modules_to_save(model: Any, cfg: MethodConfig) -> list[str] | None:
    """What trains in full beside the adapter. PEFT always adds the classifier for this task; by default
    the pooler joins it, for the reason given in _pooler, and a composite encoder-decoder's cross-attention does:
    it starts random (engine.warm_start), and an adapter over frozen random weights learns little."""
    if cfg.modules_to_save:
        return list(cfg.modules_to_save)
    if model.config.model_type == "encoder-decoder":
        return ["crossattention"]
    return ["pooler"] if _pooler(model) else None


@register_method("lora")
def _lora(model: Any, cfg: MethodConfig, model_path: str, task_type: str) -> Any:
    from peft import LoraConfig, TaskType, get_peft_model
    from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING as targets

    config = LoraConfig(task_type=TaskType[task_type], r=cfg.lora_r, lora_alpha=cfg.lora_alpha,
                        lora_dropout=cfg.lora_dropout, bias=cfg.lora_bias,
                        target_modules=_target_modules(model, cfg, targets),
                        modules_to_save=_modules_to_save(model, cfg))
    return _peft(model, config, get_peft_model)


@register_method("ia3")
def _ia3(model: Any, cfg: MethodConfig, model_path: str, task_type: str) -> Any:
    from peft import IA3Config, TaskType, get_peft_model
    from peft.utils import TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING as feedforward
    from peft.utils import TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING as targets

    target = _target_modules(model, cfg, targets)
    ff = feedforward.get(model.config.model_type) if not cfg.target_modules else []
    if target == "all-linear":
        raise ConfigError("method.target_modules", "methods.ia3_no_defaults", model_type=model.config.model_type)
    config = IA3Config(task_type=TaskType[task_type], target_modules=target, feedforward_modules=ff,
                       modules_to_save=_modules_to_save(model, cfg))
    return _peft(model, config, get_peft_model)


@register_method("prompt_tuning")
def _prompt_tuning(model: Any, cfg: MethodConfig, model_path: str, task_type: str) -> Any:
    from peft import PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model

    init = PromptTuningInit.TEXT if cfg.prompt_init_text.strip() else PromptTuningInit.RANDOM
    config = PromptTuningConfig(task_type=TaskType[task_type], num_virtual_tokens=cfg.num_virtual_tokens,
                                prompt_tuning_init=init,
                                prompt_tuning_init_text=cfg.prompt_init_text.strip() or None,
                                tokenizer_name_or_path=model_path if cfg.prompt_init_text.strip() else None)
    return _peft(model, config, get_peft_model)


def _peft(model: Any, config: Any, get_peft_model: Callable) -> Any:
    try:
        return get_peft_model(model, config)
    except ValueError as exc:  # e.g. target modules that do not exist in this model
        raise ConfigError("method", "methods.peft_failed", error=str(exc)) from exc


def _body(model: Any) -> Any:
    """The pretrained body under the task head. A model that writes text has no separate head: its word-prediction
    layer is tied to the body's input embeddings (freezing the body would leave nothing to train), and an
    encoder-decoder writes with its whole decoder. That is a ConfigError naming the methods that work."""
    body = getattr(model, model.base_model_prefix, None)
    if body is None or model.get_output_embeddings() is not None:
        raise ConfigError("method.kind", "methods.no_separate_head")
    return body


def _freeze_body(model: Any) -> Any:
    for param in _body(model).parameters():
        param.requires_grad = False
    return model


def _unfreeze(modules: list[Any]) -> None:
    for module in modules:
        for param in module.parameters():
            param.requires_grad = True


def _pooler(model: Any) -> list[Any]:
    """BERT-style poolers belong to the head: the classifier reads only their output, and sentence
    encoders such as MiniLM never trained theirs, so a frozen pooler starves the classifier."""
    pooler = getattr(getattr(model, model.base_model_prefix, None), "pooler", None)
    return [pooler] if pooler is not None else []


@register_method("head_only")
def _head_only(model: Any, cfg: MethodConfig, model_path: str, task_type: str) -> Any:
    _freeze_body(model)
    _unfreeze(_pooler(model))
    return model


@register_method("top_layers")
def _top_layers(model: Any, cfg: MethodConfig, model_path: str, task_type: str) -> Any:
    layers = _layer_stack(model)
    if cfg.top_layers > len(layers):
        raise ConfigError("method.top_layers", "methods.too_few_layers", layers=len(layers))
    _freeze_body(model)
    _unfreeze([*layers[-cfg.top_layers:], *_pooler(model)])
    return model


def _layer_stack(model: Any) -> Any:
    """The transformer's repeated blocks: the longest ModuleList in the body."""
    import torch

    body = _body(model)
    stacks = [m for m in body.modules() if isinstance(m, torch.nn.ModuleList)]
    if not stacks:
        raise ConfigError("method.kind", "methods.no_layers")
    return max(stacks, key=len)


@dataclass
class MemoryEstimate:
    weights_gb: float
    gradients_gb: float
    optimizer_gb: float
    activations_gb: float

    @property
    def total_gb(self) -> float:
        return self.weights_gb + self.gradients_gb + self.optimizer_gb + self.activations_gb


def estimate_memory(total: int, trainable: int, hidden: int, layers: int, batch: int, length: int,
                    bytes_per_value: int = 4) -> MemoryEstimate:
    """Rough training memory: fp32 weights, gradients and AdamW's two moments for trainable
    parameters, plus about 34*h activation values per token per layer (Korthikanti et al. 2022)."""
    gb = 1024 ** 3
    activations = 34 * hidden * layers * batch * length * bytes_per_value / 2
    return MemoryEstimate(weights_gb=total * bytes_per_value / gb, gradients_gb=trainable * bytes_per_value / gb,
                          optimizer_gb=2 * trainable * 4 / gb, activations_gb=activations / gb)
