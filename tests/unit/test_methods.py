"""engine.methods on the tiny model: each method trains exactly the parameters it promises, and LoRA runs
save an adapter that the Predictor loads."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

import pytest

from engine.config import MethodConfig
from engine.errors import ConfigError, RunError
from engine.inference import ADAPTER_FILE, MODEL_DIR, Predictor
from engine.methods import METHOD_BUILDERS, apply_method, count_parameters, estimate_memory
from engine.runs.events import EventLog
from engine.runs.store import RunStore
from engine.train import run_training

LABELS = ["neg", "pos"]
TOP = 1  # of the tiny model's 2 layers


def _build(tiny_model: str, cfg: MethodConfig) -> Any:
    import torch

    from engine.tasks import get_task

    torch.manual_seed(0)
    model = get_task("text_classification").build_model(tiny_model, LABELS)
    return apply_method(model, cfg, tiny_model, "SEQ_CLS")


def _train_steps(model: Any, tiny_model: str, steps: int = 3) -> set[str]:
    """Train on one small batch with an optimizer over *all* parameters; return the names that changed.

    Frozen parameters get no gradient, so only what the method leaves trainable can move."""
    import torch

    from engine.models import load_tokenizer

    tokenizer = load_tokenizer(tiny_model)
    batch = tokenizer(["great excellent superb", "awful terrible horrible", "good lovely", "bad poor"],
                      padding=True, return_tensors="pt")
    labels = torch.tensor([1, 0, 1, 0])
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.0)
    model.train()
    for _ in range(steps):  # several steps: LoRA's B starts at zero, so A only moves from the second step
        optimizer.zero_grad()
        loss = model(**batch, labels=labels).loss
        assert torch.isfinite(loss)
        loss.backward()
        optimizer.step()
    return {name for name, p in model.named_parameters() if not torch.equal(before[name], p.detach())}


def _matching(names: set[str], pattern: str) -> set[str]:
    return {n for n in names if re.search(pattern, n)}


# For each method: the parameters allowed to change, and patterns of which some must change.
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "lora": (r"lora_[AB]|classifier\.modules_to_save|pooler\.modules_to_save",
             [r"lora_A", r"lora_B", r"classifier\.modules_to_save", r"pooler\.modules_to_save"]),
    "ia3": (r"ia3_l|classifier\.modules_to_save|pooler\.modules_to_save",
            [r"ia3_l", r"classifier\.modules_to_save", r"pooler\.modules_to_save"]),
    "prompt_tuning": (r"prompt_encoder|classifier\.modules_to_save",
                      [r"prompt_encoder", r"classifier\.modules_to_save"]),
    "head_only": (r"^classifier\.|^bert\.pooler\.", [r"^classifier\.weight$", r"^classifier\.bias$",
                                                        r"^bert\.pooler\."]),
    "top_layers": (rf"^classifier\.|^bert\.pooler\.|^bert\.encoder\.layer\.{2 - TOP}\.",
                   [r"^classifier\.", r"^bert\.pooler\.", rf"^bert\.encoder\.layer\.{2 - TOP}\.attention"]),
}


def test_every_registered_method_is_covered() -> None:
    assert set(METHOD_BUILDERS) == {"full", *EXPECTED}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(METHOD_BUILDERS))
def test_method_trains_only_its_parameters(tiny_model: str, kind: str) -> None:
    model = _build(tiny_model, MethodConfig(kind=kind, top_layers=TOP, num_virtual_tokens=4))
    trainable, total = count_parameters(model)
    trainable_names = {n for n, p in model.named_parameters() if p.requires_grad}
    changed = _train_steps(model, tiny_model)
    if kind == "full":
        assert trainable == total
        assert changed == trainable_names == {n for n, _ in model.named_parameters()}
        return
    assert 0 < trainable < total
    allowed, required = EXPECTED[kind]
    assert changed, "nothing trained"
    assert changed - _matching(changed, allowed) == set(), "frozen parameters changed"
    for pattern in required:
        assert _matching(changed, pattern), f"no parameter matching {pattern!r} changed"
    assert changed <= trainable_names
    if kind == "top_layers":
        assert not _matching(changed, r"embeddings|encoder\.layer\.0\.")


def test_full_counts_every_parameter(tiny_model: str) -> None:
    model = _build(tiny_model, MethodConfig(kind="full"))
    assert count_parameters(model) == (model.num_parameters(), model.num_parameters())


def test_top_layers_beyond_the_model_depth_is_refused(tiny_model: str) -> None:
    with pytest.raises(ConfigError) as info:
        _build(tiny_model, MethodConfig(kind="top_layers", top_layers=3))
    assert info.value.field == "method.top_layers" and "2 layers" in str(info.value)


def test_lora_with_missing_target_modules_is_a_config_error(tiny_model: str) -> None:
    with pytest.raises(ConfigError, match="PEFT cannot adapt"):
        _build(tiny_model, MethodConfig(kind="lora", target_modules=["no_such_module"]))


def test_memory_estimate_grows_with_trainable_parameters() -> None:
    full = estimate_memory(total=10**8, trainable=10**8, hidden=768, layers=12, batch=16, length=128)
    lora = estimate_memory(total=10**8, trainable=10**6, hidden=768, layers=12, batch=16, length=128)
    assert full.weights_gb == lora.weights_gb == pytest.approx(10**8 * 4 / 1024**3)
    assert full.optimizer_gb == pytest.approx(2 * full.gradients_gb)
    assert lora.total_gb < full.total_gb


@pytest.mark.slow
def test_lora_run_saves_an_adapter_the_predictor_loads(run_config: Callable[..., Any], create_run: Callable,
                                                       tmp_path: Path) -> None:
    cfg = run_config(num_train_epochs=2.0, method=MethodConfig(kind="lora", lora_r=4, lora_alpha=8))
    record = create_run(tmp_path / "runs", cfg)
    outcome = run_training(record.run_dir)
    assert outcome.status == "finished"
    model_dir = Path(record.run_dir) / MODEL_DIR
    assert (model_dir / ADAPTER_FILE).is_file()
    assert not (model_dir / "model.safetensors").exists()  # only the adapter, not a copy of the base model
    (ready,) = [e for e in EventLog(record.run_dir).read()[0] if e["kind"] == "model_ready"]
    assert 0 < ready["trainable"] < ready["total"]
    texts = ["great superb lovely", "awful dreadful poor"]
    first = Predictor.from_run(record.run_dir).predict(texts)
    second = Predictor.from_run(record.run_dir).predict(texts)
    for a, b in zip(first, second):
        assert a["label"] in LABELS
        assert sum(a["probs"].values()) == pytest.approx(1.0, abs=1e-5)
        # the trained head comes from the adapter: a freshly initialised head would differ between loads
        assert a["probs"] == pytest.approx(b["probs"], abs=1e-6)
    assert RunStore(tmp_path / "runs").get(record.id).method == "lora"
    _merged_model_predicts_like_the_adapter(record.run_dir, texts, first)


def _merged_model_predicts_like_the_adapter(run_dir: str, texts: list[str], expected: list[dict]) -> None:
    from engine.inference import merge_adapter
    from engine.models import load_tokenizer
    from engine.tasks import get_task

    merged = merge_adapter(run_dir)
    assert (merged / "model.safetensors").is_file() and not (merged / ADAPTER_FILE).exists()
    task = get_task("text_classification")
    plain = Predictor(task, task.build_model(str(merged), LABELS), load_tokenizer(str(merged)), 32, LABELS)
    for got, want in zip(plain.predict(texts), expected):
        assert got["probs"] == pytest.approx(want["probs"], abs=1e-4)


def test_merging_a_full_fine_tune_is_refused(trained_run: dict[str, Any]) -> None:
    from engine.inference import merge_adapter

    with pytest.raises(RunError, match="already a full model"):
        merge_adapter(trained_run["record"].run_dir)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "max_length"), [("prompt_tuning", 250), ("full", 300)])
def test_max_length_beyond_the_model_positions_is_refused(run_config: Callable[..., Any], create_run: Callable,
                                                           tmp_path: Path, kind: str, max_length: int) -> None:
    # The tiny model has 256 positions: 250 tokens fit alone, but not with 20 virtual prompt tokens.
    cfg = run_config(method=MethodConfig(kind=kind, num_virtual_tokens=20), padding="max_length")
    cfg.model.max_length = max_length
    record = create_run(tmp_path / "runs", cfg)
    with pytest.raises(ConfigError) as info:
        run_training(record.run_dir)
    assert info.value.field == "model.max_length"
    assert f"set it to {256 - (20 if kind == 'prompt_tuning' else 0)} or less" in str(info.value)
    assert RunStore(tmp_path / "runs").get(record.id).status == "failed"


@pytest.mark.slow
def test_prompt_tuning_trains_at_the_longest_length_that_fits(run_config: Callable[..., Any], create_run: Callable,
                                                               tmp_path: Path) -> None:
    cfg = run_config(method=MethodConfig(kind="prompt_tuning", num_virtual_tokens=20), padding="max_length",
                     max_steps=2, eval_strategy="no", save_strategy="no", load_best_model_at_end=False)
    cfg.model.max_length = 256 - 20
    record = create_run(tmp_path / "runs", cfg)
    assert run_training(record.run_dir).status == "finished"
    assert (Path(record.run_dir) / MODEL_DIR / ADAPTER_FILE).is_file()


@pytest.mark.parametrize("kind", ["full", "lora", "head_only"])
def test_the_plan_counts_parameters_without_loading_weights(run_config: Callable[..., Any], tmp_path: Path,
                                                             kind: str) -> None:
    from engine.models import resolve_model
    from engine.studio import Studio
    from engine.tasks import get_task

    cfg = run_config(method=MethodConfig(kind=kind))
    trainable, total, memory = Studio(tmp_path / "runs").plan(cfg)
    path = resolve_model(cfg.model.name_or_path).path
    real = apply_method(get_task(cfg.task).build_model(path, ["neg", "pos"]), cfg.method, path, "SEQ_CLS")
    assert (trainable, total) == count_parameters(real)
    assert memory.total_gb > memory.weights_gb > 0
