"""Extractive question answering: the answer to a question is a span of its context (task.py)."""
from engine.tasks.question_answering.task import QuestionAnswering

__all__ = ["QuestionAnswering"]
