"""engine.models: resolving packaged / local / Hub models, inspecting them, and tokenizer coverage."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.errors import ModelError
from engine.models import (
    PACKAGED,
    PACKAGED_PREFIX,
    catalog_choices,
    inspect_model,
    load_tokenizer,
    resolve_model,
    tokenizer_coverage,
)

MINILM = "packaged:all-MiniLM-L6-v2"


def test_packaged_minilm_resolves_to_a_model_folder() -> None:
    resolved = resolve_model(MINILM)
    assert resolved.source == "packaged" and resolved.spec == MINILM
    assert (Path(resolved.path) / "config.json").is_file()
    assert MINILM in catalog_choices()


def test_unknown_packaged_name_lists_known_ones() -> None:
    with pytest.raises(ModelError) as info:
        resolve_model(PACKAGED_PREFIX + "bert-huge")
    assert "bert-huge" in str(info.value)
    for name in PACKAGED:
        assert name in str(info.value)


def test_local_folder_resolves(tiny_model: str) -> None:
    resolved = resolve_model(f"  {tiny_model} ")
    assert (resolved.source, resolved.path) == ("local", tiny_model)


@pytest.mark.parametrize("spec", ["/no/such/model/folder", "./missing-model", "~/missing-model-xyz", "a/b/c"])
def test_missing_local_folder_is_a_model_error(spec: str) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        resolve_model(spec)


def test_folder_without_config_is_refused(tmp_path: Path) -> None:
    (tmp_path / "weights.bin").write_bytes(b"\0")
    with pytest.raises(ModelError, match="no config.json"):
        resolve_model(str(tmp_path))


def test_hub_id_offline_mode_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelError, match="offline mode"):
        resolve_model("someone/not-cached-model")


def test_hub_id_without_network_fails_within_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    # huggingface_hub reads the variable once at import; clear its copy too so the network is really tried.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    started = time.monotonic()
    with pytest.raises(ModelError) as info:
        resolve_model("someone/not-cached-model")
    assert time.monotonic() - started < 6
    assert "not-cached-model" in str(info.value)


def test_inspect_model_counts_parameters_of_the_real_model(tiny_model: str) -> None:
    from transformers import AutoModel

    info = inspect_model(tiny_model)
    real = AutoModel.from_pretrained(tiny_model)
    assert info.parameters == sum(p.numel() for p in real.parameters())
    assert (info.source, info.model_type, info.hidden_size, info.layers) == ("local", "bert", 32, 2)
    assert info.vocab_size == real.config.vocab_size
    assert info.max_length == 256  # the tiny model has 256 positions; its tokenizer would allow 512


def test_load_tokenizer_of_a_broken_folder_is_a_model_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="Cannot load the tokenizer"):
        load_tokenizer(str(tmp_path))


@pytest.fixture(scope="module")
def minilm_tokenizer() -> object:
    return load_tokenizer(resolve_model(MINILM).path)


def test_english_is_readable(minilm_tokenizer: object) -> None:
    coverage = tokenizer_coverage(minilm_tokenizer, ["The film was great and the acting superb.",
                                                     "Battery life is poor.", "", None])
    assert coverage.texts == 2  # empty and non-text cells are skipped
    assert coverage.readable and coverage.unknown_tokens == 0 and coverage.examples == []


@pytest.mark.parametrize("text", ["ภาพยนตร์เรื่องนี้ดีมาก", "ፊልሙ በጣም ጥሩ ነበር።"], ids=["thai", "amharic"])
def test_scripts_missing_from_the_vocabulary_are_unreadable(minilm_tokenizer: object, text: str) -> None:
    coverage = tokenizer_coverage(minilm_tokenizer, [text, "a fine english sentence"])
    assert not coverage.readable
    assert coverage.unknown_share > 0.05 and coverage.percent == round(100 * coverage.unknown_share, 2)
    assert coverage.examples == [text]  # only texts that have unknown tokens are shown


def test_coverage_of_no_texts_is_empty(minilm_tokenizer: object) -> None:
    coverage = tokenizer_coverage(minilm_tokenizer, [])
    assert (coverage.texts, coverage.tokens, coverage.unknown_share, coverage.readable) == (0, 0, 0.0, True)
