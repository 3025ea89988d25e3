"""Widgets that take the chosen task's shape: one column dropdown per role, one widget per task option, one
input box per input role of the playground.

Gradio builds a page once, so each kind of slot exists a fixed number of times; choosing a task names, shows
and hides the slots from its contract (engine.tasks.base). No tab knows any task by name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from engine.config import NO_COLUMN, RunConfig
from engine.messages import localize
from engine.tasks import Task, get_task, task_names
from engine.tasks.base import TaskOption
from ui.context import Context
from ui.form import Composite
from ui.i18n import text

ROLE_SLOTS = 4        # the most roles a task has (QA: question, context, answer text, answer start)
NUMBER_SLOTS, SWITCH_SLOTS, CHOICE_SLOTS = 8, 3, 2
INPUT_SLOTS = 3       # the most input roles a task has (QA: question and context; a chat: system too)
NO_COLUMN_SHOWN = "—"  # how the dropdown shows an optional role's choice of no column (NO_COLUMN)


def task_of(name: str) -> Task | None:
    """The task called `name`, or None while the form holds no known task (a half-loaded page)."""
    return get_task(name) if name in task_names() else None


def role_label(description: Any, lang: str) -> str:
    return text("role_column", lang).format(role=localize(description, lang))


# -- column roles (Data tab) ------------------------------------------------------------------------------------
def role_slots(ctx: Context, task: str) -> list[gr.Dropdown]:
    """The column dropdowns, bound to data.columns through the task's roles; named for `task`'s, in English
    (the page's first language), until the task or the language changes."""
    roles = get_task(task).roles
    # allow_custom_value: a request sent just before an upload replaced the choices still carries the old column;
    # Gradio would reject it with a raw error. The engine checks columns itself.
    slots = [gr.Dropdown(choices=[], value="", allow_custom_value=True, visible=i < len(roles),
                         elem_id=f"data-role-{i}",
                         label=role_label(roles[i].description, "en") if i < len(roles) else None)
             for i in range(ROLE_SLOTS)]
    ctx.form.compose(Composite("data", "columns", slots, compose=columns_of, decompose=_slot_columns))
    return slots


def columns_of(task: str, values: list[Any]) -> dict[str, str]:
    """data.columns from the slots' values: the task's roles in order."""
    roles = task_of(task).roles if task_of(task) else ()
    return {role.name: str(value) for role, value in zip(roles, values) if value}


def _slot_columns(cfg: RunConfig) -> list[str]:
    roles = get_task(cfg.task).roles
    return [role.column(cfg) for role in roles] + [""] * (ROLE_SLOTS - len(roles))


def role_updates(task: str, lang: str) -> list[Any]:
    """Each column slot named for the task's role in that place, or hidden."""
    roles = task_of(task).roles if task_of(task) else ()
    return [gr.update(label=role_label(roles[i].description, lang), visible=True) if i < len(roles)
            else gr.update(visible=False, value="") for i in range(ROLE_SLOTS)]


def guessed_columns(task: str, guesses: dict[str, str], columns: list[str], current: list[Any]) -> list[Any]:
    """The slots after a file is read: its columns to choose from, a column already mapped kept when the file
    has it (a loaded YAML), else the guess; never one column twice."""
    roles = task_of(task).roles if task_of(task) else ()
    taken: set[str] = set()
    updates = []
    for i in range(ROLE_SLOTS):
        if i >= len(roles):
            updates.append(gr.update(choices=[], value=""))
            continue
        # A column the file has stays chosen, and so does an optional role the person left out.
        left_out = roles[i].optional and current[i] == NO_COLUMN
        kept = current[i] if (current[i] in columns and current[i] not in taken) or left_out else ""
        pick = kept or (guesses.get(roles[i].name, "") if guesses.get(roles[i].name, "") not in taken else "")
        taken.add(pick)
        # An optional role (a chat's system prompt) can be left out, even when the file has a column of its name.
        if roles[i].optional:
            updates.append(gr.update(choices=[(NO_COLUMN_SHOWN, NO_COLUMN), *columns], value=pick or NO_COLUMN))
        else:
            updates.append(gr.update(choices=columns, value=pick))
    return updates


# -- task options (Hyperparameters tab) -------------------------------------------------------------------------
@dataclass
class OptionSlots:
    section: gr.Accordion
    numbers: list[gr.Number]
    switches: list[gr.Checkbox]
    choices: list[gr.Dropdown]

    @property
    def widgets(self) -> list[Any]:
        return [*self.numbers, *self.switches, *self.choices]


def option_slots(ctx: Context) -> OptionSlots:
    """The task's own settings, bound to RunConfig.options; hidden for a task without any."""
    with ctx.tr.bind(gr.Accordion(open=False, visible=False, elem_id="task-options"), "task_options") as section:
        with gr.Row():
            numbers = [gr.Number(visible=False, elem_id=f"task-number-{i}") for i in range(NUMBER_SLOTS)]
        with gr.Row():
            switches = [gr.Checkbox(visible=False, elem_id=f"task-switch-{i}") for i in range(SWITCH_SLOTS)]
            choices = [gr.Dropdown(visible=False, elem_id=f"task-choice-{i}") for i in range(CHOICE_SLOTS)]
    slots = OptionSlots(section, numbers, switches, choices)
    ctx.form.compose(Composite("", "options", slots.widgets, compose=_options, decompose=_option_values))
    return slots


def _by_slot(task: Task | None) -> tuple[list[TaskOption], list[TaskOption], list[TaskOption]]:
    """The task's options in the order of the slots they use: numbers, switches, choices."""
    options = task.options if task else ()
    numbers = [o for o in options if not isinstance(o.default, (bool, str))]
    return (numbers, [o for o in options if isinstance(o.default, bool)],
            [o for o in options if isinstance(o.default, str)])


def _padded(groups: tuple[list[Any], list[Any], list[Any]]) -> list[Any]:
    """One entry per slot (None where a slot has no option), numbers then switches then choices."""
    sizes = (NUMBER_SLOTS, SWITCH_SLOTS, CHOICE_SLOTS)
    return [item for group, size in zip(groups, sizes) for item in group + [None] * (size - len(group))]


def _options(task: str, values: list[Any]) -> dict[str, Any]:
    return {option.name: value for option, value in zip(_padded(_by_slot(task_of(task))), values)
            if option is not None and value is not None}


def _option_values(cfg: RunConfig) -> list[Any]:
    task = get_task(cfg.task)
    return [task.option(cfg, option.name) if option else None for option in _padded(_by_slot(task))]


def option_updates(task: str, lang: str, reset: bool) -> list[Any]:
    """The accordion shown when the task has options, then each slot named and bounded for its option (and set
    to the option's default when `reset`: a new task, not a new language)."""
    slots = _padded(_by_slot(task_of(task)))
    updates = [gr.update(visible=any(slots))]
    for option in slots:
        if option is None:
            updates.append(gr.update(visible=False))
            continue
        shown = dict(visible=True, label=localize(option.label or option.name, lang), info=localize(option.help, lang))
        if reset:
            shown["value"] = option.default
        if option.choices or option.suggestions:
            shown.update(choices=list(option.choices or option.suggestions), allow_custom_value=not option.choices)
        elif not isinstance(option.default, bool):
            shown.update(minimum=option.low, maximum=option.high,
                         precision=0 if isinstance(option.default, int) else None)
        updates.append(gr.update(**shown))
    return updates
