"""Integration: instruction-tune the packaged SmolLM2-135M-Instruct with LoRA on the chat demo for a few steps
(CPU, about a minute; half a minute more on a machine that has not converted its GGUF file yet)."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.config import DataConfig, MethodConfig, ModelConfig, RunConfig, TrainConfig
from engine.evaluation import EvalReport
from engine.generation import GenerationSettings
from engine.inference import Predictor
from engine.runs.events import EventLog
from engine.runs.store import RunStore
from engine.train import run_training

pytestmark = pytest.mark.slow


def test_smollm2_lora_lowers_loss_and_perplexity_and_its_adapter_reloads(tmp_path: Path) -> None:
    cfg = RunConfig(task="causal_lm", name="smollm2-chat", data=DataConfig(train_file="demo:chat_en",
                                                                            validation_ratio=0.05, test_ratio=0.05),
                    model=ModelConfig(name_or_path="packaged:SmolLM2-135M-Instruct", max_length=96),
                    method=MethodConfig(kind="lora", lora_r=8, lora_alpha=16),
                    options={"report_prompts": 2, "report_tokens": 16, "packing": True},
                    train=TrainConfig(max_steps=6, train_batch_size=4, learning_rate=2e-3, warmup=0, logging_steps=2,
                                      eval_strategy="steps", eval_steps=6, save_strategy="steps", save_steps=6,
                                      save_total_limit=1))
    record = RunStore(tmp_path / "runs").create("integration", cfg.task, cfg.model.name_or_path, cfg.method.kind)
    cfg.save(Path(record.run_dir) / "config.yaml")
    assert run_training(record.run_dir).status == "finished"

    events = EventLog(record.run_dir).read()[0]
    losses = [event["values"]["loss"] for event in events if event["kind"] == "log"]
    assert losses[-1] < losses[0] * 0.9, losses
    report = EvalReport.load(record.run_dir)
    assert report.metrics["perplexity"] < report.metrics["base_perplexity"], report.metrics
    # The adapter saved with the run loads again and writes what the run's own report says it wrote.
    predictor = Predictor.from_run(record.run_dir)
    assert predictor.model.peft_config["default"].peft_type.value == "LORA"
    (first, *_) = report.tables[0].rows
    answer = "".join(predictor.stream({"prompt": first["prompt"]}, GenerationSettings(max_new_tokens=16)))
    assert answer.strip() == first["tuned"] != first["base"]
