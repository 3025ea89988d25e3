"""engine.recipes: defaults adapted to the training set's size, each change with a reason in both languages."""
from __future__ import annotations

import re

import pytest

from engine.config import RunConfig, TrainConfig
from engine.messages import Message
from engine.recipes import Recipe, nice_steps, suggest_recipe

SST2_ROWS = 67_349


def unfilled(text: str) -> bool:
    return bool(re.search(r"\{[a-z_]+[^}]*\}", text))


@pytest.mark.parametrize("rows", [0, 40, 2_000, 8_000, 19_999])
def test_small_and_medium_sets_keep_the_defaults(rows: int) -> None:
    recipe = suggest_recipe(rows)
    assert recipe.suggestions == ()
    assert recipe.summary() is None
    assert recipe.apply(TrainConfig()) == TrainConfig()


def test_full_sst2_gets_two_epochs_and_step_evaluations() -> None:
    recipe = suggest_recipe(SST2_ROWS)
    # batch 16: 4,210 steps an epoch, about 4 evaluations each (rounded to a round number), a loss point every 25
    assert recipe.changes() == {"num_train_epochs": 2.0, "eval_strategy": "steps", "eval_steps": 1000,
                                "save_strategy": "steps", "save_steps": 1000, "logging_steps": 25}
    adapted = recipe.apply(TrainConfig())
    assert adapted.num_train_epochs == 2.0 and adapted.load_best_model_at_end
    assert adapted.learning_rate == TrainConfig().learning_rate


def test_adapted_config_is_valid_and_round_trips_through_yaml() -> None:
    cfg = RunConfig(train=suggest_recipe(SST2_ROWS).apply(TrainConfig()))
    assert RunConfig.from_yaml(cfg.to_yaml()) == cfg


def test_summary_and_reasons_read_in_both_languages() -> None:
    recipe = suggest_recipe(SST2_ROWS)
    summary = recipe.summary()
    assert isinstance(summary, Message)
    english, chinese = summary.text("en"), summary.text("zh")
    assert english.startswith("Adapted to your 67,349 training rows: 2 epochs")
    assert "1,000 steps" in english and "67,349" in chinese and "2 轮" in chinese
    assert len(recipe.reasons()) == 3  # epochs, eval/save cadence (one reason for four fields), logging
    for message in [summary, *recipe.reasons()]:
        for lang in ("en", "zh"):
            assert message.text(lang) and not unfilled(message.text(lang))
    assert all(re.search(r"[\u4e00-\u9fff]", m.text("zh")) for m in recipe.reasons())


def test_each_suggestion_carries_its_reason() -> None:
    for s in suggest_recipe(SST2_ROWS).suggestions:
        assert hasattr(TrainConfig(), s.field)
        assert isinstance(s.reason, Message) and isinstance(s.label, Message)


def test_choices_the_user_made_are_never_overridden() -> None:
    mine = TrainConfig(num_train_epochs=5, eval_strategy="no", save_strategy="no", load_best_model_at_end=False,
                       logging_steps=7)
    assert suggest_recipe(SST2_ROWS, mine).suggestions == ()


def test_a_step_budget_keeps_its_epochs_but_still_gets_step_evaluations() -> None:
    changes = suggest_recipe(SST2_ROWS, TrainConfig(max_steps=3000)).changes()
    assert "num_train_epochs" not in changes
    assert changes["eval_steps"] == 1000 and changes["eval_strategy"] == "steps"


def test_batch_size_and_accumulation_set_the_step_cadence() -> None:
    assert suggest_recipe(SST2_ROWS, TrainConfig(train_batch_size=32)).changes()["eval_steps"] == 500
    cfg = TrainConfig(train_batch_size=16, gradient_accumulation_steps=4)
    assert suggest_recipe(SST2_ROWS, cfg).changes()["eval_steps"] == 250
    assert suggest_recipe(SST2_ROWS, world_size=2).changes()["eval_steps"] == 500


@pytest.mark.parametrize("rows, epochs", [(20_000, None), (39_999, None), (40_000, 2.0), (79_999, 2.0),
                                          (80_000, 1.0), (500_000, 1.0)])
def test_big_sets_get_just_enough_epochs_to_see_80000_examples(rows: int, epochs: float | None) -> None:
    recipe = suggest_recipe(rows)
    assert recipe.changes().get("num_train_epochs") == epochs
    assert recipe.changes()["eval_strategy"] == "steps"  # every set of 20,000 rows or more
    if epochs == 1.0:
        assert "1 epoch;" in recipe.summary().text("en")


def test_recipe_is_pure() -> None:
    current = TrainConfig()
    first, second = suggest_recipe(SST2_ROWS, current), suggest_recipe(SST2_ROWS, current)
    assert first == second and current == TrainConfig()
    assert isinstance(first, Recipe)


@pytest.mark.parametrize("steps, expected", [(0.4, 1), (7.9, 7), (10, 10), (33.7, 25), (1052.5, 1000),
                                             (4999, 2500), (10**7, 10_000)])
def test_nice_steps_rounds_down_to_a_round_number(steps: float, expected: int) -> None:
    assert nice_steps(steps) == expected
