"""What this machine can train on, so the form only offers devices and precisions that work."""
from __future__ import annotations

from engine.errors import ConfigError
from engine.messages import register_messages

register_messages({
    "hardware.precision_unsupported": ("{precision} is not supported on this machine's {device} device; choose one "
                                       "of: {choices}.", "本机的 {device} 设备不支持 {precision}；可选：{choices}。"),
    "hardware.no_device": ("this machine has no {device} device; choose one of: {choices}.",
                           "本机没有 {device} 设备；可选：{choices}。"),
})


def available_devices() -> list[str]:
    import torch

    devices = ["auto", "cpu"]
    if torch.cuda.is_available():
        devices.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    return devices


def supported_precisions(device: str) -> list[str]:
    """Mixed precision only where the hardware runs it natively. On a CPU with bf16 instructions
    (AVX512-BF16 or AMX) bf16 autocast trained MiniLM 1.12-1.17x faster at equal loss
    (bench/cpu_precision.py), so it is offered there; fp16 on a CPU never is."""
    import torch

    if device in ("cuda", "auto") and torch.cuda.is_available():
        return ["fp32", "fp16", "bf16"] if torch.cuda.is_bf16_supported() else ["fp32", "fp16"]
    if device in ("mps", "auto") and "mps" in available_devices():
        return ["fp32", "fp16"]
    return ["fp32", "bf16"] if cpu_has_bf16() else ["fp32"]


def cpu_has_bf16() -> bool:
    import torch

    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


def check_precision(device: str, precision: str) -> None:
    supported = supported_precisions(device)
    if precision not in supported:
        raise ConfigError("train.precision", "hardware.precision_unsupported", precision=precision, device=device,
                          choices=", ".join(supported))


def check_device(device: str) -> None:
    devices = available_devices()
    if device not in devices:
        raise ConfigError("train.device", "hardware.no_device", device=device, choices=", ".join(devices))


def check_hardware(device: str, precision: str) -> None:
    """Refuse a device or precision this machine lacks, before a run exists: it is never silently replaced."""
    check_device(device)
    check_precision(device, precision)
