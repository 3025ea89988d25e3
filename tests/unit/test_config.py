"""engine.config: defaults, YAML round trip, refusing unknown keys, wrong types, ranges and bad combinations."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from engine.config import DataConfig, MethodConfig, ModelConfig, RunConfig, TrainConfig, field_help
from engine.errors import ConfigError


def _with(section: str, **values: object) -> dict:
    """The default config as a dict, with some settings of one section changed."""
    raw = RunConfig().to_dict()
    raw[section].update(values)
    return raw


def test_defaults_validate_and_have_expected_sections() -> None:
    cfg = RunConfig()
    assert cfg.task == "text_classification"
    assert isinstance(cfg.train, TrainConfig) and isinstance(cfg.method, MethodConfig)
    assert RunConfig.from_dict(cfg.to_dict()) == cfg


def test_yaml_round_trip_keeps_every_setting() -> None:
    cfg = RunConfig(
        name="round trip ü 中文",
        data=DataConfig(train_file="/data/train.csv", validation_file="/data/val.jsonl",
                        columns={"text": "review", "label": "stars"}, validation_ratio=0.15, test_ratio=0.0,
                        stratify=False),
        model=ModelConfig(name_or_path="some/hub-model", max_length=256),
        method=MethodConfig(kind="lora", lora_r=4, lora_alpha=32, target_modules=["query", "value"],
                            modules_to_save=["classifier"]),
        train=TrainConfig(num_train_epochs=1.5, max_steps=40, learning_rate=3e-5, warmup=10, eval_strategy="steps",
                          eval_steps=10, save_strategy="steps", save_steps=20, early_stopping_patience=2,
                          padding="max_length", device="cpu"))
    text = cfg.to_yaml()
    assert RunConfig.from_yaml(text) == cfg
    assert yaml.safe_load(text)["method"]["target_modules"] == ["query", "value"]
    assert "中文" in text  # written as readable text, not escapes


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    cfg = RunConfig(name="saved", train=TrainConfig(learning_rate=2e-4, seed=7))
    path = tmp_path / "config.yaml"
    cfg.save(path)
    assert RunConfig.load(path) == cfg


def test_partial_yaml_fills_in_defaults() -> None:
    cfg = RunConfig.from_yaml("train:\n  learning_rate: 0.001\n")
    assert cfg.train.learning_rate == 0.001
    assert cfg.train.train_batch_size == TrainConfig().train_batch_size
    assert cfg.model == ModelConfig()


@pytest.mark.parametrize(("raw", "field_name"), [
    (dict(RunConfig().to_dict(), epochs=3), "epochs"),
    (_with("train", learning_rat=0.1), "train.learning_rat"),
    (_with("method", lora_rank=4), "method.lora_rank"),
])
def test_unknown_key_is_refused_with_its_name(raw: dict, field_name: str) -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(raw)
    assert info.value.field == field_name
    assert field_name in str(info.value)
    assert "known ones are" in str(info.value)


@pytest.mark.parametrize(("section", "name", "value", "words"), [
    ("train", "learning_rate", "fast", "must be a number"),
    ("train", "train_batch_size", "sixteen", "must be a number"),
    ("train", "train_batch_size", 2.5, "whole number"),
    ("model", "max_length", 64.5, "whole number"),
    ("train", "group_by_length", "yes", "true or false"),
    ("data", "stratify", 1, "true or false"),
    ("train", "num_train_epochs", True, "must be a number"),
    ("method", "target_modules", "query", "must be a list"),
])
def test_wrong_types_are_refused(section: str, name: str, value: object, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(_with(section, **{name: value}))
    assert info.value.field == f"{section}.{name}"
    assert words in str(info.value)


@pytest.mark.parametrize(("name", "text", "value"), [
    ("learning_rate", "2e-5", 2e-5), ("train_batch_size", "16", 16), ("warmup", " 0.25 ", 0.25),
    ("max_steps", "1e3", 1000), ("seed", "-0", 0)])
def test_numeric_strings_are_numbers(name: str, text: str, value: float) -> None:
    cfg = RunConfig.from_dict(_with("train", **{name: text}))
    assert getattr(cfg.train, name) == value
    assert type(getattr(cfg.train, name)) is type(getattr(TrainConfig(), name))


def test_yaml_exponent_without_a_dot_is_a_learning_rate() -> None:
    # PyYAML reads 2e-5 as the string "2e-5" (YAML 1.1 wants 2.0e-5): users write it this way anyway.
    assert RunConfig.from_yaml("train:\n  learning_rate: 2e-5\n").train.learning_rate == 2e-5


@pytest.mark.parametrize(("section", "name"), [("train", "seed"), ("data", "split_seed")])
def test_negative_seeds_are_refused(section: str, name: str) -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(_with(section, **{name: -1}))
    assert info.value.field == f"{section}.{name}"
    assert "between 0 and" in str(info.value)


def test_errors_speak_chinese_too() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(learning_rate=2.0)
    assert info.value.localized("zh") == "train.learning_rate：必须在 1e-08 到 1.0 之间，现在是 2.0。"


def test_whole_float_for_int_is_accepted_as_int() -> None:
    cfg = RunConfig.from_dict(_with("train", train_batch_size=8.0))
    assert cfg.train.train_batch_size == 8 and isinstance(cfg.train.train_batch_size, int)


def test_section_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"^train: must be a section"):
        RunConfig.from_dict({"train": 5})


@pytest.mark.parametrize(("make", "field_name"), [
    (lambda: TrainConfig(learning_rate=2.0), "train.learning_rate"),
    (lambda: TrainConfig(learning_rate=float("nan")), "train.learning_rate"),
    (lambda: TrainConfig(train_batch_size=0), "train.train_batch_size"),
    (lambda: TrainConfig(max_steps=0), "train.max_steps"),
    (lambda: TrainConfig(max_steps=-5), "train.max_steps"),
    (lambda: DataConfig(separator="/"), "data.separator"),
    (lambda: DataConfig(encoding="klingon"), "data.encoding"),
    (lambda: TrainConfig(label_smoothing=0.7), "train.label_smoothing"),
    (lambda: DataConfig(validation_ratio=0.6), "data.validation_ratio"),
    (lambda: DataConfig(validation_ratio=0.0), "data.validation_ratio"),
    (lambda: ModelConfig(max_length=4), "model.max_length"),
    (lambda: MethodConfig(lora_r=0), "method.lora_r"),
    (lambda: MethodConfig(lora_dropout=0.95), "method.lora_dropout"),
    (lambda: MethodConfig(kind="qlora"), "method.kind"),
    (lambda: TrainConfig(lr_scheduler="exponential"), "train.lr_scheduler"),
    (lambda: DataConfig(columns={"text": "x", "label": "x"}), "data.columns"),
    (lambda: DataConfig(columns={"text": ""}), "data.columns.text"),
])
def test_out_of_range_values_name_the_field(make, field_name: str) -> None:
    with pytest.raises(ConfigError) as info:
        make()
    assert info.value.field == field_name
    assert str(info.value).startswith(field_name + ": ")


def test_range_message_says_the_allowed_range() -> None:
    with pytest.raises(ConfigError, match=r"between 1e-08 and 1.0, got 2.0"):
        TrainConfig(learning_rate=2.0)


def test_max_steps_minus_one_means_epochs() -> None:
    assert TrainConfig(max_steps=-1).max_steps == -1


def test_best_model_needs_evaluations() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(eval_strategy="no", save_strategy="no", load_best_model_at_end=True)
    assert info.value.field == "train.eval_strategy"
    # without the best model (and without early stopping) no evaluation is fine
    assert TrainConfig(eval_strategy="no", save_strategy="no", load_best_model_at_end=False).eval_strategy == "no"


def test_early_stopping_needs_evaluations() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(eval_strategy="no", save_strategy="no", load_best_model_at_end=False, early_stopping_patience=2)
    assert info.value.field == "train.eval_strategy"


def test_save_strategy_must_match_eval_strategy_for_best_model() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(eval_strategy="epoch", save_strategy="steps")
    assert info.value.field == "train.save_strategy"
    assert "epoch" in str(info.value)
    assert TrainConfig(eval_strategy="epoch", save_strategy="steps", load_best_model_at_end=False)


def test_save_steps_must_be_multiple_of_eval_steps() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(eval_strategy="steps", save_strategy="steps", eval_steps=10, save_steps=15)
    assert info.value.field == "train.save_steps"
    assert TrainConfig(eval_strategy="steps", save_strategy="steps", eval_steps=10, save_steps=30).save_steps == 30


def test_fp16_on_cpu_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(precision="fp16", device="cpu")
    assert info.value.field == "train.precision"
    assert "fp32" in str(info.value)


def test_fractional_warmup_steps_are_refused() -> None:
    with pytest.raises(ConfigError) as info:
        TrainConfig(warmup=2.5)
    assert info.value.field == "train.warmup"
    assert TrainConfig(warmup=0.25).warmup == 0.25   # below 1: a ratio
    assert TrainConfig(warmup=30).warmup == 30       # whole numbers: steps


@pytest.mark.parametrize("text", ["train: [unclosed", "train:\n  lr: 1\n bad indent: 2\n", "a: b: c"])
def test_invalid_yaml_is_a_config_error(text: str) -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_yaml(text)
    assert info.value.field == "yaml"
    assert "not valid YAML" in str(info.value)


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just a string"])
def test_yaml_that_is_not_a_mapping_is_refused(text: str) -> None:
    with pytest.raises(ConfigError, match="mapping of sections"):
        RunConfig.from_yaml(text)


def test_load_of_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        RunConfig.load(tmp_path / "nope.yaml")


def test_field_help_returns_text_for_every_field() -> None:
    assert "learning rate" in field_help(TrainConfig, "learning_rate").lower()
    for section in (DataConfig, ModelConfig, MethodConfig, TrainConfig):
        for f in dataclasses.fields(section):
            assert field_help(section, f.name).strip(), f"{section.__name__}.{f.name} has no help"
    with pytest.raises(KeyError):
        field_help(TrainConfig, "no_such_field")


def test_overrides_change_settings_read_as_yaml() -> None:
    cfg = RunConfig.from_yaml("train:\n  learning_rate: 0.001\n", ["train.learning_rate=2e-5", "train.max_steps=40",
                                                                    "method.target_modules=[query, value]",
                                                                    "name=from the cli", "train.group_by_length=false"])
    assert cfg.train.learning_rate == 2e-5 and cfg.train.max_steps == 40
    assert cfg.method.target_modules == ["query", "value"]
    assert cfg.name == "from the cli" and cfg.train.group_by_length is False


@pytest.mark.parametrize(("override", "field_name"), [
    ("train.learning_rat=0.1", "train.learning_rat"),   # a typo is refused by name
    ("learning_rate", "set"),                           # no value
    ("train..seed=1", "set"),
    ("train.seed=-3", "train.seed"),                    # checked like any setting
])
def test_bad_overrides_are_refused(override: str, field_name: str) -> None:
    with pytest.raises(ConfigError) as info:
        RunConfig.from_yaml("train: {}\n", [override])
    assert info.value.field == field_name


def test_configs_of_old_runs_still_load() -> None:
    """The first release wrote data.text_column and data.label_column; they are the text and label roles now."""
    cfg = RunConfig.from_yaml("data:\n  text_column: review\n  label_column: stars\n")
    assert cfg.data.columns == {"text": "review", "label": "stars"}
    assert RunConfig.from_yaml(cfg.to_yaml()) == cfg


def test_a_column_mapped_to_a_role_the_task_lacks_is_refused() -> None:
    from engine.tasks import get_task

    cfg = RunConfig.from_yaml("data:\n  columns: {text: review, answer: a}\n")
    with pytest.raises(ConfigError) as info:
        get_task(cfg.task).check_config(cfg)
    assert info.value.field == "data.columns" and "'answer'" in str(info.value) and "text, label" in str(info.value)
