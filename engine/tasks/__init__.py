"""Task registry: one module per task, each registering one Task."""
from engine.tasks.base import TASKS, ColumnRole, Task, get_task, register_task, task_names

__all__ = ["TASKS", "ColumnRole", "Task", "get_task", "register_task", "task_names"]
