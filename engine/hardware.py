"""What this machine can train on, so the form only offers devices and precisions that work."""
from __future__ import annotations


def available_devices() -> list[str]:
    import torch

    devices = ["auto", "cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def supported_precisions(device: str) -> list[str]:
    """fp16/bf16 mixed precision only where the accelerator runs it; the CPU trains in fp32 here
    (bf16 autocast on CPU was not measured to help on the 2-core machines we target)."""
    import torch

    if device in ("cuda", "auto") and torch.cuda.is_available():
        return ["fp32", "fp16", "bf16"] if torch.cuda.is_bf16_supported() else ["fp32", "fp16"]
    if device in ("mps", "auto") and "mps" in available_devices():
        return ["fp32", "fp16"]
    return ["fp32"]


def check_precision(device: str, precision: str) -> None:
    from engine.errors import ConfigError

    supported = supported_precisions(device)
    if precision not in supported:
        raise ConfigError("train.precision", f"{precision} is not supported on this machine's {device} device; "
                                             f"choose one of: {', '.join(supported)}.")
