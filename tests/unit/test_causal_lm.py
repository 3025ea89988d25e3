"""Causal LM and instruction tuning on a tiny random Llama: token sequences, masks, formats, generation, a run."""
from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from engine.config import ConfigError, DataConfig, MethodConfig, ModelConfig, RunConfig, TrainConfig
from engine.errors import ModelError
from engine.generation import GenerationSettings, generate_texts, stream_text
from engine.models import load_tokenizer
from engine.tasks import get_task
from engine.tasks.causal_lm.examples import (IGNORED, CausalCollator, Conversation, chat_example, packed,
                                             prompt_ids, text_blocks)
from engine.tasks.causal_lm.formats import read_instructions

TASK = get_task("causal_lm")


@pytest.fixture(scope="module")
def chat_tokenizer(tiny_causal_lm: str) -> Any:
    return load_tokenizer(tiny_causal_lm)


@pytest.fixture(scope="module")
def llm(tiny_causal_lm: str) -> Any:
    return TASK.build_model(tiny_causal_lm, {"shape": "chat"})


def test_text_blocks_keep_every_token_with_an_end_token_between_documents(chat_tokenizer: Any) -> None:
    texts = ["the river flows to the sea", "a second document", "three words here " * 5]
    blocks = text_blocks(chat_tokenizer, texts, block_size=8)
    joined = [token for block in blocks for token in block.input_ids]
    expected = [t for text in texts for t in [*chat_tokenizer(text, add_special_tokens=False)["input_ids"],
                                               chat_tokenizer.eos_token_id]]
    assert joined == expected
    assert [len(b.input_ids) for b in blocks[:-1]] == [8] * (len(blocks) - 1) and 0 < len(blocks[-1].input_ids) <= 8
    assert all(block.labels == block.input_ids for block in blocks)


def test_a_chat_learns_its_answer_only_rendered_with_the_template(chat_tokenizer: Any) -> None:
    chat = Conversation("What is 2 plus 2?", "Short answer: 4", system="Be brief.")
    example = chat_example(chat_tokenizer, chat, max_length=128)
    rendered = chat_tokenizer.apply_chat_template(
        [*chat.messages(), {"role": "assistant", "content": chat.response}], tokenize=False)
    assert chat_tokenizer.decode(example.input_ids) == chat_tokenizer.decode(
        chat_tokenizer(rendered, add_special_tokens=False)["input_ids"])
    learned = [label for label in example.labels if label != IGNORED]
    prompt = prompt_ids(chat_tokenizer, chat)
    assert example.labels[:len(prompt)] == [IGNORED] * len(prompt) and len(learned) == len(example.labels) - len(prompt)
    assert chat_tokenizer.decode(learned).replace(" ", "") == "shortanswer:4<|im_end|>"
    assert not example.cut


def test_without_a_chat_template_the_plain_layout_ends_the_answer_with_the_end_token(chat_tokenizer: Any) -> None:
    plain = load_tokenizer(chat_tokenizer.name_or_path)
    plain.chat_template = None
    example = chat_example(plain, Conversation("name a colour", "blue"), max_length=64)
    text = plain.decode(example.input_ids)
    assert "# # # instruction :" in text and "# # # response :" in text
    assert [t for t in example.labels if t != IGNORED] == [*plain("blue", add_special_tokens=False)["input_ids"],
                                                           plain.eos_token_id]


def test_a_long_chat_keeps_the_prompt_end_and_the_answer_start(chat_tokenizer: Any) -> None:
    chat = Conversation("word " * 100 + "final question", "answer " * 100)
    example = chat_example(chat_tokenizer, chat, max_length=40)
    assert example.cut and len(example.input_ids) == 40
    learned = [label for label in example.labels if label != IGNORED]
    assert len(learned) == 20  # the answer keeps half the room
    assert "final question" in chat_tokenizer.decode(example.input_ids)


def test_packing_joins_short_chats_in_order_without_losing_tokens_or_masks(chat_tokenizer: Any) -> None:
    examples = [chat_example(chat_tokenizer, Conversation(f"question {i}", f"answer {i}"), 64) for i in range(6)]
    sequences = packed(examples, max_length=64)
    assert len(sequences) < len(examples) and all(len(s.input_ids) <= 64 for s in sequences)
    assert [t for s in sequences for t in s.input_ids] == [t for e in examples for t in e.input_ids]
    assert [t for s in sequences for t in s.labels] == [t for e in examples for t in e.labels]


def test_the_collator_pads_ids_masks_and_labels_on_the_right() -> None:
    batch = CausalCollator(pad_id=0)([{"input_ids": [5, 6, 7], "labels": [IGNORED, 6, 7]},
                                      {"input_ids": [8], "labels": [8]}])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 0, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    assert batch["labels"].tolist() == [[IGNORED, 6, 7], [8, IGNORED, IGNORED]]
    assert CausalCollator(pad_id=0, length=5)([{"input_ids": [1], "labels": [1]}])["input_ids"].shape[1] == 5


def test_chat_messages_become_one_row_per_answer_with_the_turns_before_it(tmp_path: Path) -> None:
    from engine.data.table import ReadOptions

    conversation = [{"role": "system", "content": "Be kind."}, {"role": "user", "content": "hi"},
                    {"role": "assistant", "content": "hello!"}, {"role": "user", "content": "how are you"},
                    {"role": "assistant", "content": "fine"}]
    path = tmp_path / "chats.jsonl"
    path.write_text(json.dumps({"messages": conversation}) + "\n" + json.dumps({"messages": [conversation[1]]}) + "\n",
                    encoding="utf-8")
    table = read_instructions(path, "chats.jsonl", ReadOptions())
    rows = table.frame.to_dict("records")
    assert [(r["prompt"], r["response"]) for r in rows] == [("hi", "hello!"), ("how are you", "fine")]
    assert rows[0]["history"] == "" and json.loads(rows[1]["history"]) == conversation[1:3]
    assert {r["system"] for r in rows} == {"Be kind."}
    notes = " ".join(str(note) for note in table.notes)
    assert "1 conversations, 2 assistant answers" in notes and "left out: 1" in notes


def test_alpaca_puts_the_input_after_the_instruction(tmp_path: Path) -> None:
    from engine.data.table import ReadOptions

    path = tmp_path / "alpaca.json"
    path.write_text(json.dumps([{"instruction": "Translate", "input": "chat", "output": "cat"},
                                {"instruction": "Say hi", "input": "", "output": "hi"}]), encoding="utf-8")
    frame = read_instructions(path, "alpaca.json", ReadOptions()).frame
    assert frame["prompt"].tolist() == ["Translate\n\nchat", "Say hi"] and frame["response"].tolist() == ["cat", "hi"]


def test_a_one_column_text_file_trains_as_plain_text_and_a_blank_system_prompt_drops_no_row(tmp_path: Path) -> None:
    from engine.data import load_splits
    from engine.studio import Studio

    text_file = tmp_path / "notes.txt"
    text_file.write_text("\n".join(f"The river number {i} reaches the sea." for i in range(40)), encoding="utf-8")
    studio = Studio(tmp_path / "runs")
    cfg = RunConfig(task="causal_lm", data=DataConfig(train_file=str(text_file)))
    preview = studio.preview(cfg)
    assert preview.problem is None and preview.guesses["response"] == "text" and preview.guesses["prompt"] == ""
    chats = tmp_path / "chats.csv"
    pd.DataFrame({"prompt": [f"q{i}" for i in range(30)], "response": [f"a{i}" for i in range(30)],
                  "system": ["Be brief." if i % 2 else None for i in range(30)]}).to_csv(chats, index=False)
    cfg = RunConfig(task="causal_lm", data=DataConfig(train_file=str(chats)))
    data = load_splits(cfg.data, TASK.data_plan(cfg))
    assert data.clean.dropped_empty == 0 and sum(len(getattr(data.splits, p)) for p in ("train", "validation", "test")) == 30
    assert set(data.splits.train["system"]) == {"", "Be brief."}
    assert TASK.checked_labels(data.splits, cfg) == {"shape": "chat"}


def test_generation_settings_are_validated_and_read_numbers_from_text() -> None:
    assert GenerationSettings.of({"temperature": "0.7", "max_new_tokens": "12"}).max_new_tokens == 12
    with pytest.raises(ConfigError, match="temperature"):
        GenerationSettings(temperature=3.0)
    with pytest.raises(ConfigError, match="max_new_tokens"):
        GenerationSettings(max_new_tokens=0)
    kwargs = GenerationSettings(temperature=0.0).generate_kwargs(type("T", (), {"pad_token_id": 0, "eos_token_id": 1}))
    assert kwargs["do_sample"] is False and kwargs["top_k"] is None


def test_streamed_text_is_the_generated_text_and_stop_ends_it(llm: Any, chat_tokenizer: Any) -> None:
    ids = prompt_ids(chat_tokenizer, Conversation("tell me a story"))
    settings = GenerationSettings(max_new_tokens=12, repetition_penalty=1.0)
    pieces = list(stream_text(llm, chat_tokenizer, ids, settings))
    assert len(pieces) > 1 and "".join(pieces).strip() == generate_texts(llm, chat_tokenizer, [ids], settings)[0]
    stop = threading.Event()
    stop.set()
    assert len("".join(stream_text(llm, chat_tokenizer, ids, GenerationSettings(max_new_tokens=200), stop)).split()) <= 2


def test_perplexity_of_a_model_that_knows_nothing_is_the_vocabulary_size(llm: Any, chat_tokenizer: Any) -> None:
    import copy

    import torch

    from engine.tasks.causal_lm.scoring import perplexity

    blank = copy.deepcopy(llm)
    with torch.no_grad():
        blank.get_output_embeddings().weight.zero_()  # every logit 0: each token has probability 1/V
    blocks = text_blocks(chat_tokenizer, ["some words to score", "and more"], 6)
    assert perplexity(blank, blocks, chat_tokenizer.pad_token_id) == pytest.approx(len(chat_tokenizer), rel=1e-4)


def test_an_encoder_cannot_learn_to_write(tiny_model: str, tmp_path: Path) -> None:
    from engine.studio import Studio

    cfg = RunConfig(task="causal_lm", data=DataConfig(train_file="demo:chat_en"),
                    model=ModelConfig(name_or_path=tiny_model))
    with pytest.raises(ModelError, match="needs a decoder"):
        Studio(tmp_path / "runs").start(cfg)


def test_a_short_lora_run_logs_perplexity_and_samples_reports_and_streams(tmp_path: Path, tiny_causal_lm: str,
                                                                          create_run: Any) -> None:
    from engine.inference import Predictor
    from engine.runs.events import EventLog
    from engine.train import run_training

    cfg = RunConfig(task="causal_lm", data=DataConfig(train_file="demo:chat_en"),
                    model=ModelConfig(name_or_path=tiny_causal_lm, max_length=96), method=MethodConfig(kind="lora"),
                    options={"report_prompts": 3, "report_tokens": 8, "packing": True},
                    train=TrainConfig(max_steps=4, train_batch_size=8, learning_rate=1e-3, eval_strategy="steps",
                                      eval_steps=2, save_strategy="steps", save_steps=2, device="cpu", warmup=0,
                                      logging_steps=1))
    record = create_run(tmp_path / "runs", cfg)
    outcome = run_training(record.run_dir)
    assert outcome.status == "finished" and outcome.metric_name == "perplexity"
    events = EventLog(record.run_dir).read()[0]
    kinds = [event["kind"] for event in events]
    evals = [event["values"] for event in events if event["kind"] == "eval"]
    assert len(evals) == 2 and all(v["eval_perplexity"] == pytest.approx(math.exp(v["eval_loss"])) for v in evals)
    samples = [event for event in events if event["kind"] == "samples"]
    assert [s["step"] for s in samples] == [2, 4] and all(len(s["samples"]) == 3 for s in samples)
    assert kinds.index("samples") > kinds.index("eval")
    report = json.loads((Path(record.run_dir) / "report.json").read_text(encoding="utf-8"))
    assert {"perplexity", "base_perplexity", "rouge_l", "base_rouge_l"} <= set(report["metrics"])
    (answers,) = report["tables"]
    assert len(answers["rows"]) == 3 and {"prompt", "reference", "base", "tuned", "rouge_l"} <= set(answers["rows"][0])
    assert (Path(record.run_dir) / "model" / "adapter_config.json").exists()
    predictor = Predictor.from_run(record.run_dir)
    written = "".join(predictor.stream({"prompt": "How do I boil an egg?"}, GenerationSettings(max_new_tokens=6)))
    assert written.strip() == predictor.predict([{"prompt": "How do I boil an egg?"}])[0]["text"][:len(written.strip())]
    # A file of prompts alone (no system or history column) is answered row by row.
    from engine.studio import Studio

    prompts = tmp_path / "prompts.csv"
    pd.DataFrame({"prompt": ["How do I boil an egg?", "Name a fruit."]}).to_csv(prompts, index=False)
    table = Studio(tmp_path / "runs").predict_table(record.id, "local", str(prompts))
    assert list(table.columns) == ["prompt", "generated"] and len(table) == 2


def test_bad_history_cells_are_data_errors_and_text_parts_are_joined() -> None:
    from engine.errors import DataError
    from engine.tasks.causal_lm.examples import parse_history

    assert parse_history(float("nan")) == [] and parse_history("  ") == []
    assert parse_history('[{"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": "!"}]}]'
                         ) == [{"role": "user", "content": "hi!"}]
    for bad in ("not json", '[{"role": "user"}]', "5", "null"):
        with pytest.raises(DataError, match="JSON list"):
            parse_history(bad)


def test_a_template_that_refuses_the_turns_is_a_data_error(chat_tokenizer: Any) -> None:
    from engine.errors import DataError

    strict = load_tokenizer(chat_tokenizer.name_or_path)
    strict.chat_template = "{{ raise_exception('Conversation roles must alternate') }}"
    with pytest.raises(DataError, match="roles must alternate"):
        chat_example(strict, Conversation("hi", "hello"), 32)


def test_a_tokenizer_without_an_end_token_ends_with_sep_or_is_refused(tokenizer: Any) -> None:
    import copy

    from engine.tasks.causal_lm.examples import end_token

    bert = copy.deepcopy(tokenizer)
    assert bert.eos_token_id is None and end_token(bert) == bert.sep_token_id == bert.eos_token_id
    bare = copy.deepcopy(tokenizer)
    bare.sep_token = None
    with pytest.raises(ModelError, match="no end-of-text token"):
        end_token(bare)


def test_a_chat_repeats_only_with_its_answer_and_a_left_out_prompt_column_trains_plain_text(tmp_path: Path) -> None:
    from engine.config import NO_COLUMN
    from engine.data import load_splits

    path = tmp_path / "chats.csv"
    rows = [("same question", "first answer"), ("same question", "second answer"), ("same question", "first answer")]
    pd.DataFrame([{"prompt": p, "response": r} for p, r in rows * 10 + [(f"q{i}", f"a{i}") for i in range(20)]]
                 ).to_csv(path, index=False)
    cfg = RunConfig(task="causal_lm", data=DataConfig(train_file=str(path)))
    data = load_splits(cfg.data, TASK.data_plan(cfg))
    assert data.clean.dropped_duplicates == 28  # 30 rows of one prompt hold 2 different answers
    plain = RunConfig(task="causal_lm", data=DataConfig(train_file=str(path),
                                                        columns={"prompt": NO_COLUMN, "response": "response"}))
    splits = load_splits(plain.data, TASK.data_plan(plain)).splits
    assert TASK.checked_labels(splits, plain) == {"shape": "text"}


def test_a_long_chat_keeps_its_system_prompt_and_latest_turns(chat_tokenizer: Any) -> None:
    history = [{"role": role, "content": f"turn {i} " + "word " * 20}
               for i, role in enumerate(["user", "assistant"] * 6)]
    item = {"prompt": "last question", "system": "Be brief.", "history": history}
    ids = TASK.prompt_for(chat_tokenizer, item, {"shape": "chat"}, 120)
    text = chat_tokenizer.decode(ids)
    assert len(ids) <= 120 and "be brief." in text and "last question" in text
    assert "turn 11" in text and "turn 0 " not in text


def test_prompt_tuning_is_scored_on_the_texts_own_positions(tiny_causal_lm: str, chat_tokenizer: Any) -> None:
    from engine.methods import apply_method
    from engine.tasks.causal_lm.scoring import perplexity

    model = apply_method(TASK.build_model(tiny_causal_lm, {"shape": "chat"}),
                         MethodConfig(kind="prompt_tuning", num_virtual_tokens=4), tiny_causal_lm, "CAUSAL_LM")
    blocks = text_blocks(chat_tokenizer, ["a few words to score here"], 6)
    assert 1 < perplexity(model, blocks, chat_tokenizer.pad_token_id) < 10 * len(chat_tokenizer)


def test_a_stream_left_open_does_not_keep_the_model_from_others(tiny_causal_lm: str, tmp_path: Path) -> None:
    from engine.inference import Predictor

    predictor = Predictor(TASK, TASK.build_model(tiny_causal_lm, {"shape": "chat"}), load_tokenizer(tiny_causal_lm),
                          64, {"shape": "chat"})
    stream = predictor.stream({"prompt": "hello"}, GenerationSettings(max_new_tokens=40, repetition_penalty=1.0))
    next(stream)  # the reader takes one piece and walks away without closing the stream
    answered: list[Any] = []
    other = threading.Thread(target=lambda: answered.append(predictor.predict([{"prompt": "hi"}])))
    other.start()
    other.join(timeout=60)
    assert answered and answered[0][0]["text"]
    stream.close()
