"""Seq2seq on tiny random T5, BART and bert2bert models: target masks, prefixes, generation settings, ROUGE with
hand-computed values, the Data tab's length notes, the warm-started model and short runs."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine.config import ConfigError, DataConfig, MethodConfig, ModelConfig, RunConfig, TrainConfig
from engine.errors import ModelError
from engine.generation import GenerationSettings
from engine.models import load_tokenizer
from engine.rouge import mean_rouge, rouge_scores, sentences
from engine.tasks import get_task
from engine.tasks.seq2seq.examples import IGNORED, TargetRules
from engine.tasks.seq2seq.scoring import lead

TASK = get_task("seq2seq")
PAIRS = pd.DataFrame({"article": ["The council approved a new park on Monday. It opens in spring.",
                                  "Heavy rain closed two roads in the north. Crews worked all night."],
                      "headline": ["Council approves new park", "Heavy rain closes two roads in the north"]})


def run_config(model: str, max_length: int = 32, **options: Any) -> RunConfig:
    return RunConfig(task="seq2seq", data=DataConfig(columns={"source": "article", "target": "headline"}),
                     model=ModelConfig(name_or_path=model, max_length=max_length), options=options)


def test_english_rouge_is_stemmed_and_matches_hand_counts() -> None:
    # cats -> cat; "the" is clipped to its one use in the reference (5 of 6 words); bigrams: the-cat, cat-sat,
    # sat-on (3 of 5); the longest common subsequence: the cat sat on mat.
    scores = rouge_scores("the cats sat on the mat", "the cat sat on a mat")
    assert scores["rouge1"] == pytest.approx(5 / 6) and scores["rouge2"] == pytest.approx(3 / 5)
    assert scores["rougeL"] == pytest.approx(5 / 6)


def test_chinese_rouge_counts_characters_and_keeps_latin_words_whole() -> None:
    scores = rouge_scores("今天天气很好", "今天天气不错")
    assert scores["rouge1"] == pytest.approx(4 / 6) and scores["rouge2"] == pytest.approx(3 / 5)
    assert scores["rougeL"] == pytest.approx(4 / 6)
    # gpu matches as one word, 快 as one character: P 2/3, R 2/4.
    assert rouge_scores("GPU很快", "GPU 非常快")["rouge1"] == pytest.approx(4 / 7)
    assert mean_rouge(["今天天气很好"], ["今天天气不错"], ("rouge1",)) == {"rouge1": pytest.approx(100 * 4 / 6)}


def test_rouge_lsum_matches_sentence_by_sentence_where_rouge_l_cannot() -> None:
    scores = rouge_scores("The dog ran. The cat sat.", "The cat sat. The dog ran.")
    assert scores["rougeL"] == pytest.approx(0.5) and scores["rougeLsum"] == pytest.approx(1.0)


def test_sentences_and_the_lead_baseline_in_english_and_chinese() -> None:
    assert sentences('It rained. "Roads shut," she said! Why? 3 died.\nNext line') == \
        ["It rained.", '"Roads shut," she said!', "Why?", "3 died.", "Next line"]
    assert sentences("It costs approx. ten euros, e.g. a meal.") == ["It costs approx. ten euros, e.g. a meal."]
    assert lead("One. Two. Three. Four.", 3) == "One. Two. Three."
    assert lead("城东新建公园。周末开放！市民欢迎。", 2) == "城东新建公园。周末开放！"


def test_targets_drop_the_decoder_start_and_keep_their_end_when_cut(tiny_seq2seq: dict[str, str]) -> None:
    tokenizer = load_tokenizer(tiny_seq2seq["bert2bert"])
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    rules = TargetRules(start=cls, end=sep, length=4)
    assert rules.ids([cls, 7, 8, sep]) == [7, 8, sep]
    assert rules.ids([cls, 7, 8, 9, 10, 11, sep]) == [7, 8, 9, sep]
    assert TargetRules(start=None, end=None, length=2).ids([cls, 7, 8]) == [cls, 7]

    words = [len(tokenizer(text, add_special_tokens=False)["input_ids"]) for text in PAIRS["headline"]]
    cfg = run_config(tiny_seq2seq["bert2bert"], max_target_length=max(words) + 1)
    labels = TASK.label_space(PAIRS, cfg)
    assert labels["prefix"] == "" and labels["decoder_start"] == cls
    rows = TASK.preprocess(PAIRS, tokenizer, cfg, labels)
    assert [len(row) for row in rows["labels"]] == [count + 1 for count in words]   # the words, then [SEP]
    assert all(row[0] != cls and row[-1] == sep for row in rows["labels"])
    batch = TASK.collator(tokenizer, cfg)([rows[0], rows[1]])
    assert batch["labels"].shape[1] == max(len(row) for row in rows["labels"])
    assert batch["labels"][0].tolist() == [*rows[0]["labels"], *[IGNORED] * (words[1] - words[0])]
    # Fixed padding: sources to the max length, labels to the max target length (a target may be the longer).
    fixed = dataclasses.replace(cfg, train=TrainConfig(padding="max_length"))
    batch = TASK.collator(tokenizer, fixed)([rows[0], rows[1]])
    assert batch["input_ids"].shape[1] == 32 and batch["labels"].shape[1] == max(words) + 1


def test_one_source_with_two_targets_is_two_examples(tmp_path: Path) -> None:
    from engine.data import load_splits

    pairs = pd.DataFrame({"source": ["Good morning."] * 2 + ["Thank you."] * 2, "target": ["Bonjour.", "Salut.",
                                                                                             "Merci.", "Merci."]})
    pairs.to_csv(tmp_path / "pairs.csv", index=False)
    pd.DataFrame({"source": ["Good night."], "target": ["Bonne nuit."]}).to_csv(tmp_path / "held.csv", index=False)
    cfg = RunConfig(task="seq2seq", data=DataConfig(train_file=str(tmp_path / "pairs.csv"), validation_ratio=0.0,
                                                    test_ratio=0.0, validation_file=str(tmp_path / "held.csv")))
    prepared = load_splits(cfg.data, TASK.data_plan(cfg))
    assert sorted(prepared.splits.train["target"]) == ["Bonjour.", "Merci.", "Salut."]   # the repeated pair left


def test_t5_reads_sources_after_its_prefix_and_others_as_chosen(tiny_seq2seq: dict[str, str]) -> None:
    tokenizer = load_tokenizer(tiny_seq2seq["t5"])
    labels = TASK.label_space(PAIRS, run_config(tiny_seq2seq["t5"]))
    assert labels["prefix"] == "summarize: "
    ids = TASK.preprocess(PAIRS, tokenizer, run_config(tiny_seq2seq["t5"]), labels)["input_ids"][0]
    assert tokenizer.decode(ids, skip_special_tokens=True).startswith("summarize : the council")
    assert TASK.label_space(PAIRS, run_config(tiny_seq2seq["bart"]))["prefix"] == ""
    chosen = run_config(tiny_seq2seq["bart"], prefix="translate English to German: ")
    assert TASK.label_space(PAIRS, chosen)["prefix"] == "translate English to German: "
    # BART's targets start with <s> ([CLS] here) and its decoder with </s>: the label keeps its start.
    bart = load_tokenizer(tiny_seq2seq["bart"])
    cfg = run_config(tiny_seq2seq["bart"])
    rows = TASK.preprocess(PAIRS, bart, cfg, TASK.label_space(PAIRS, cfg))
    assert rows["labels"][0][0] == bart.cls_token_id


def test_generation_settings_reach_generate(tiny_seq2seq: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.inference import Predictor

    labels = TASK.label_space(PAIRS, run_config(tiny_seq2seq["bart"], num_beams=3, no_repeat_ngram_size=2,
                                                max_target_length=9))
    predictor = Predictor(TASK, TASK.build_model(tiny_seq2seq["bart"], labels), load_tokenizer(tiny_seq2seq["bart"]),
                          32, labels)
    # The run's evaluation settings are the saved model's generation config.
    assert (predictor.model.generation_config.num_beams, predictor.model.generation_config.max_new_tokens,
            predictor.model.generation_config.no_repeat_ngram_size) == (3, 9, 2)
    seen: list[dict[str, Any]] = []
    generate = predictor.model.generate
    monkeypatch.setattr(predictor.model, "generate", lambda **kw: seen.append(kw) or generate(**kw))
    chosen = GenerationSettings(num_beams=4, max_new_tokens=5, min_new_tokens=2, length_penalty=0.5,
                                no_repeat_ngram_size=3, repetition_penalty=1.3)
    (written,) = predictor.predict(["A short text to summarize."], chosen)
    assert {key: seen[-1][key] for key in ("num_beams", "max_new_tokens", "min_new_tokens", "length_penalty",
                                           "no_repeat_ngram_size", "repetition_penalty")} == \
        {"num_beams": 4, "max_new_tokens": 5, "min_new_tokens": 2, "length_penalty": 0.5, "no_repeat_ngram_size": 3,
         "repetition_penalty": 1.3}
    assert 2 <= len(predictor.tokenizer(written["text"], add_special_tokens=False)["input_ids"]) <= 5
    # Without settings, the run's own: 3 beams, at most 9 new tokens.
    predictor.predict(["A short text to summarize."])
    assert (seen[-1]["num_beams"], seen[-1]["max_new_tokens"]) == (3, 9)
    # Encoder sources are padded on the right: BERT-style positions start at the text.
    predictor.predict(["Short.", "A much longer text than the other one, to pad."])
    mask = seen[-1]["attention_mask"]
    assert mask[0, 0] == 1 and mask[0, -1] == 0


def test_the_data_tab_reports_lengths_compression_and_cut_targets(tiny_seq2seq: dict[str, str]) -> None:
    from engine.data import DataPlan

    tokenizer = load_tokenizer(tiny_seq2seq["bart"])
    frame = pd.DataFrame({"article": ["word " * 40] * 10, "headline": ["a headline of six words here"] * 8 + ["x"] * 2})
    cfg = run_config(tiny_seq2seq["bart"], max_target_length=5)
    plan: DataPlan = TASK.data_plan(cfg)
    notes = [str(note) for note in TASK.inspect_notes(frame, plan, tokenizer, cfg)]
    assert notes[0].startswith("Lengths in tokens (median, 95th percentile): sources 42 and 42, targets 8 and 8")
    assert "8 of 10 sampled targets (80%) are longer than the max target length of 5 tokens" in notes[1]
    assert "Raise the max target length to 8" in notes[1]
    assert "10 of 10 sampled sources (100%) are longer than the max length of 32 tokens" in notes[2]


def test_models_and_methods_that_cannot_train_seq2seq_are_refused(tiny_model: str, tiny_seq2seq: dict[str, str],
                                                                  tmp_path: Path) -> None:
    from engine.methods import apply_method, count_parameters
    from engine.studio import Studio

    studio = Studio(tmp_path / "runs")
    with pytest.raises(ModelError, match="needs an encoder-decoder.*the packaged MiniLM2MiniLM, or a T5"):
        studio.start(RunConfig(task="seq2seq", data=DataConfig(train_file="demo:headlines_en"),
                               model=ModelConfig(name_or_path=tiny_model)))
    # A composite (bert2bert) only writes: a classifier cannot be built on it.
    with pytest.raises(ModelError, match="made of two models, which can only write text"):
        studio.start(RunConfig(data=DataConfig(train_file="demo:reviews_en"),
                               model=ModelConfig(name_or_path=tiny_seq2seq["bert2bert"])))
    # A model that writes has no separate head: head-only and top layers would train nothing (BART's word layer is
    # tied to its body) or the encoder alone.
    for kind, name in (("head_only", "bert2bert"), ("head_only", "bart"), ("top_layers", "bart"),
                       ("top_layers", "t5")):
        with pytest.raises(ConfigError, match="has no head to train alone"):
            apply_method(TASK.build_model(tiny_seq2seq[name], {}), MethodConfig(kind=kind), tiny_seq2seq[name],
                         TASK.peft_task_type)
    # LoRA on a composite trains its fresh cross-attention in full beside the adapters.
    lora = apply_method(TASK.build_model(tiny_seq2seq["bert2bert"], {}), MethodConfig(kind="lora"),
                        tiny_seq2seq["bert2bert"], TASK.peft_task_type)
    trained = [name for name, param in lora.named_parameters() if param.requires_grad]
    assert any("crossattention" in name and "modules_to_save" in name for name in trained)
    assert 0 < count_parameters(lora)[0] < count_parameters(lora)[1] / 10


def test_lengths_the_decoder_cannot_write_are_refused_and_beams_settings_save(tiny_seq2seq: dict[str, str],
                                                                            tmp_path: Path) -> None:
    from engine.inference import Predictor

    # The tiny bert2bert's decoder has 256 positions, its start token included.
    with pytest.raises(ConfigError, match="decoder writes at most 255 tokens"):
        TASK.label_space(PAIRS, run_config(tiny_seq2seq["bert2bert"], max_target_length=300))
    labels = TASK.label_space(PAIRS, run_config(tiny_seq2seq["bert2bert"], num_beams=1, length_penalty=0.5))
    model = TASK.build_model(tiny_seq2seq["bert2bert"], labels)
    model.save_pretrained(tmp_path / "saved")   # a length penalty without beams would make the config invalid
    predictor = Predictor(TASK, model, load_tokenizer(tiny_seq2seq["bert2bert"]), 32, labels)
    with pytest.raises(ConfigError, match="generation.max_new_tokens: is 300"):
        predictor.predict(["A text."], GenerationSettings(max_new_tokens=300))
    with pytest.raises(ConfigError, match="must be at most the max new tokens, 5"):
        GenerationSettings(max_new_tokens=5, min_new_tokens=6)


def test_live_rouge_scores_against_the_targets_as_written(tiny_seq2seq: dict[str, str]) -> None:
    from types import SimpleNamespace

    from engine.generation import decoded

    tokenizer = load_tokenizer(tiny_seq2seq["bert2bert"])
    cfg = run_config(tiny_seq2seq["bert2bert"], max_target_length=4)
    frame = pd.DataFrame({"article": ["x", "y"], "headline": ["Council opens a new park by the river",
                                                              "暴雨致城北两条道路封闭"]})
    features = TASK.preprocess(frame, tokenizer, cfg, TASK.label_space(frame, cfg))
    assert features["reference"] == frame["headline"].tolist()
    # The model writes each headline whole. Against the labels decoded back (cut to 4 tokens, the characters
    # MiniLM lacks dropped) the English one would score far below 1; against the headline as written it scores 1.
    written = tokenizer(frame["headline"].tolist(), padding=True)["input_ids"]
    chinese = rouge_scores(decoded(tokenizer, [written[1]])[0], frame["headline"][1], ("rouge1",))["rouge1"]
    scores = TASK.metrics_fn({}, features, tokenizer)(SimpleNamespace(predictions=written, label_ids=None))
    assert chinese < 1 and scores["rouge1"] == pytest.approx(100 * (1 + chinese) / 2)


def test_the_warm_started_model_is_built_once_into_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from transformers import AutoConfig

    from engine.model_cache import READY_FILE
    from engine.models import resolve_model

    monkeypatch.setenv("TUNEBENCH_CACHE", str(tmp_path))
    heard: list[str] = []
    path = resolve_model("packaged:MiniLM2MiniLM", progress=lambda message: heard.append(str(message))).path
    assert Path(path, READY_FILE).exists() and len(heard) == 1 and "building the encoder-decoder" in heard[0]
    config = AutoConfig.from_pretrained(path)
    assert config.is_encoder_decoder and config.decoder.add_cross_attention and config.decoder_start_token_id == 101
    assert load_tokenizer(path).eos_token == "[SEP]"
    assert resolve_model("packaged:MiniLM2MiniLM", progress=heard.append).path == path and len(heard) == 1


@pytest.mark.parametrize("kind", ["t5", "bart", "bert2bert"])
def test_a_short_run_scores_rouge_logs_samples_and_reports_against_lead(kind: str, tiny_seq2seq: dict[str, str],
                                                                        tmp_path: Path, create_run: Any) -> None:
    from engine.runs.events import EventLog
    from engine.train import run_training

    cfg = RunConfig(task="seq2seq", data=DataConfig(train_file="demo:headlines_en", validation_ratio=0.1,
                                                    test_ratio=0.05),
                    model=ModelConfig(name_or_path=tiny_seq2seq[kind], max_length=48),
                    options={"max_target_length": 8, "eval_rows": 6, "num_beams": 1, "lead_sentences": 1},
                    train=TrainConfig(max_steps=4, train_batch_size=8, learning_rate=1e-3, eval_strategy="steps",
                                      eval_steps=2, save_strategy="steps", save_steps=2, device="cpu", warmup=0,
                                      logging_steps=1))
    record = create_run(tmp_path / "runs", cfg)
    outcome = run_training(record.run_dir)
    assert outcome.status == "finished" and outcome.metric_name == "rougeL"
    events = EventLog(record.run_dir).read()[0]
    evals = [event["values"] for event in events if event["kind"] == "eval"]
    assert len(evals) == 2 and all({"eval_rouge1", "eval_rouge2", "eval_rougeL", "eval_gen_len"} <= set(v)
                                   for v in evals)
    assert all(0 < v["eval_gen_len"] <= 8 for v in evals)
    samples = [event for event in events if event["kind"] == "samples"]
    assert [s["step"] for s in samples] == [2, 4] and all(len(s["samples"]) == 3 for s in samples)
    report = json.loads((Path(record.run_dir) / "report.json").read_text(encoding="utf-8"))
    assert {"rouge1", "rougeLsum", "lead_rouge1", "lead_rougeL", "gen_len"} <= set(report["metrics"])
    assert report["metrics"]["lead_rouge1"] > 5   # the first sentence shares words with its headline
    (bars,) = report["figures"]
    assert [series["name"]["en"] for series in bars["data"]["series"]] == ["Fine-tuned model", "Lead-1 baseline"]
    assert bars["data"]["series"][1]["y"][0] == pytest.approx(report["metrics"]["lead_rouge1"], abs=0.01)
    versus, rows = report["tables"]
    assert [row["score"] for row in versus["rows"]] == ["ROUGE-1", "ROUGE-2", "ROUGE-L", "ROUGE-Lsum"]
    assert len(rows["rows"]) == report["rows"] == 12
    assert [row["rouge_l"] for row in rows["rows"]] == sorted(row["rouge_l"] for row in rows["rows"])


def test_generation_settings_are_refused_by_a_task_that_writes_no_text(tiny_model: str) -> None:
    from engine.errors import RunError
    from engine.inference import Predictor

    task = get_task("text_classification")
    predictor = Predictor(task, task.build_model(tiny_model, ["neg", "pos"]), load_tokenizer(tiny_model), 32,
                          ["neg", "pos"])
    assert predictor.predict(["fine"])[0]["label"] in ("neg", "pos")
    with pytest.raises(RunError, match="does not write text"):
        predictor.predict(["fine"], GenerationSettings(num_beams=2))


def test_the_cli_and_the_api_change_the_runs_own_settings_and_name_an_unknown_one(
        tiny_seq2seq: dict[str, str]) -> None:
    from engine.__main__ import _generation
    from engine.inference import Predictor

    assert _generation([]) == {} and _generation(["num_beams=4", "length_penalty=0.5"]) == \
        {"num_beams": "4", "length_penalty": "0.5"}
    with pytest.raises(ConfigError, match="'beams' is not KEY=VALUE"):
        _generation(["beams"])
    labels = TASK.label_space(PAIRS, run_config(tiny_seq2seq["bart"], max_target_length=9, no_repeat_ngram_size=2))
    predictor = Predictor(TASK, TASK.build_model(tiny_seq2seq["bart"], labels), load_tokenizer(tiny_seq2seq["bart"]),
                          32, labels)
    # Only what is named changes: the run's 9 new tokens, its n-gram blocking and no repetition penalty stay.
    assert predictor.settings_with({"num_beams": "4"}) == GenerationSettings(
        num_beams=4, max_new_tokens=9, no_repeat_ngram_size=2, repetition_penalty=1.0)
    with pytest.raises(ConfigError, match="'beams' is not a generation setting"):
        predictor.settings_with({"beams": 4})
    with pytest.raises(ConfigError, match="between 1 and 8"):
        predictor.settings_with({"num_beams": 9})


def test_a_bert2bert_card_and_length_limit_come_from_its_encoder(tiny_seq2seq: dict[str, str]) -> None:
    from transformers import AutoConfig

    from engine.models import inspect_model
    from engine.train import _check_length_fits

    info = inspect_model(tiny_seq2seq["bert2bert"])
    assert (info.architecture, info.kind, info.layers, info.hidden_size, info.max_length) == \
        ("EncoderDecoderModel", "composite", 2, 32, 256)
    config, tokenizer = AutoConfig.from_pretrained(tiny_seq2seq["bert2bert"]), load_tokenizer(tiny_seq2seq["bert2bert"])
    _check_length_fits(run_config(tiny_seq2seq["bert2bert"], 256), config, tokenizer)
    with pytest.raises(ConfigError, match="reads at most 256 tokens"):
        _check_length_fits(run_config(tiny_seq2seq["bert2bert"], 300), config, tokenizer)


def test_chinese_is_decoded_without_the_spaces_wordpiece_puts_between_characters(tiny_seq2seq: dict[str, str]) -> None:
    from engine.generation import decoded

    tokenizer = load_tokenizer(tiny_seq2seq["bert2bert"])
    ids = tokenizer(["城新三公，二 hello world 2"])["input_ids"]
    assert tokenizer.batch_decode(ids, skip_special_tokens=True) == ["城 新 三 公 ， 二 hello world 2"]
    assert decoded(tokenizer, ids) == ["城新三公，二 hello world 2"]
