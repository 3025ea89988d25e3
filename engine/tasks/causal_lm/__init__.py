"""Causal language modeling and instruction tuning (engine/tasks/causal_lm/task.py)."""
from engine.tasks.causal_lm.task import CausalLM

__all__ = ["CausalLM"]
