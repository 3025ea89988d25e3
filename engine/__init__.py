"""Tunebench engine: everything about data, models, training, metrics and storage.

Never imports gradio; usable from a plain script (`from engine import ...`) or the CLI
(`python -m engine train CONFIG.yaml`).
"""
from engine.errors import ConfigError, DataError, EngineError, ModelError, RunError

__all__ = ["EngineError", "DataError", "ConfigError", "ModelError", "RunError"]
