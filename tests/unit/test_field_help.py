"""Every setting explains itself in English and Chinese: the form's info lines and the CLI read these."""
from __future__ import annotations

from dataclasses import fields

import pytest

from engine.config import DataConfig, MethodConfig, ModelConfig, RunConfig, TrainConfig, field_help

SECTIONS = (DataConfig, ModelConfig, MethodConfig, TrainConfig, RunConfig)


@pytest.mark.parametrize("section", SECTIONS, ids=lambda s: s.__name__)
def test_every_field_has_one_english_and_one_chinese_sentence(section: type) -> None:
    for f in fields(section):
        if f.name in ("data", "model", "method", "train"):
            continue
        en, zh = field_help(section, f.name, "en"), field_help(section, f.name, "zh")
        assert en and zh and en != zh, f"{section.__name__}.{f.name}"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), f"{section.__name__}.{f.name} has no Chinese help"
        assert en.endswith(".") and zh.endswith("。"), f"{section.__name__}.{f.name}"


def test_unknown_language_falls_back_to_english() -> None:
    assert field_help(TrainConfig, "seed", "fr") == field_help(TrainConfig, "seed", "en")
