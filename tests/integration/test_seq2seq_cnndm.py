"""Integration: a short seq2seq run of the packaged MiniLM2MiniLM on real CNN/DailyMail articles (CPU, about a
minute; skipped when ../shared/data is absent): the loss falls, ROUGE is scored beside lead-3, the model reloads."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from engine.evaluation import EvalReport
from engine.generation import GenerationSettings
from engine.inference import Predictor
from engine.runs.events import EventLog
from engine.runs.store import RunStore
from engine.train import run_training

pytestmark = pytest.mark.slow
CNNDM = Path(__file__).resolve().parents[3] / "shared" / "data" / "cnn_dailymail"  # beside the checkout


@pytest.mark.skipif(not CNNDM.exists(), reason="../shared/data/cnn_dailymail is not present")
def test_minilm2minilm_trains_on_news_and_is_scored_against_lead_3(tmp_path: Path) -> None:
    train = pd.read_csv(CNNDM / "train_first500.csv").head(48)
    held = pd.read_csv(CNNDM / "validation_first1000.csv").head(16)
    train.to_csv(tmp_path / "train.csv", index=False)
    held.head(8).to_csv(tmp_path / "validation.csv", index=False)
    held.tail(8).to_csv(tmp_path / "test.csv", index=False)
    cfg = RunConfig(task="seq2seq", name="cnndm-short",
                    data=DataConfig(train_file=str(tmp_path / "train.csv"),
                                    validation_file=str(tmp_path / "validation.csv"),
                                    test_file=str(tmp_path / "test.csv"),
                                    columns={"source": "article", "target": "highlights"}),
                    model=ModelConfig(name_or_path="packaged:MiniLM2MiniLM", max_length=128),
                    options={"max_target_length": 32, "eval_rows": 4, "num_beams": 1},
                    train=TrainConfig(max_steps=12, train_batch_size=8, learning_rate=3e-4, warmup=0,
                                      logging_steps=2, eval_strategy="steps", eval_steps=12, save_strategy="steps",
                                      save_steps=12, save_total_limit=1))
    record = RunStore(tmp_path / "runs").create("integration", cfg.task, cfg.model.name_or_path, cfg.method.kind)
    cfg.save(Path(record.run_dir) / "config.yaml")
    assert run_training(record.run_dir).status == "finished"

    losses = [event["values"]["loss"] for event in EventLog(record.run_dir).read()[0] if event["kind"] == "log"]
    assert losses[-1] < losses[0] * 0.8, losses
    report = EvalReport.load(record.run_dir)
    assert report.rows == 8 and report.metrics["lead_rouge1"] > 25, report.metrics   # lead-3 copies real news
    assert 0 < report.metrics["gen_len"] <= 32
    rows = report.table("rows").rows
    assert all(row["prediction"] for row in rows), rows
    # The saved model writes what the report says it wrote, and takes other settings.
    predictor = Predictor.from_run(record.run_dir)
    worst = rows[0]
    assert predictor.predict([worst["source"]])[0]["text"] == worst["prediction"]
    (longer,) = predictor.predict([worst["source"]], GenerationSettings(num_beams=2, min_new_tokens=20,
                                                                      max_new_tokens=24))
    assert len(predictor.tokenizer(longer["text"], add_special_tokens=False)["input_ids"]) >= 19
