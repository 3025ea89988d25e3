"""Token classification (NER): the task (task.py) and its building blocks: file formats and native reading, tag
schemes, sub-word alignment, metrics, spans, prediction and the evaluation report.

Importing the package registers the task and its demos (the registry imports every package in engine/tasks).
"""
from engine.tasks.token_classification import task  # noqa: F401  (registers the task)
