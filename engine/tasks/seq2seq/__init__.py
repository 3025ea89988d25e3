"""Sequence-to-sequence: summarization, headlines and translation (engine/tasks/seq2seq/task.py)."""
from engine.tasks.seq2seq.task import Seq2Seq

__all__ = ["Seq2Seq"]
