"""The token classification task on the contract: its native files, tag repairs a user can see, windows that cut no
word, entity metrics and the report against hand-computed values, predictions with character offsets into the
typed text (English and Chinese), a short training run, the CLI and the example config."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

from engine.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from engine.data import Splits, inspect_table, read_table
from engine.errors import ConfigError, DataError
from engine.tasks import get_task

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = ROOT / "assets" / "configs" / "token_classification.yaml"
LABELS = ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


@pytest.fixture(scope="module")
def task() -> Any:
    return get_task("token_classification")


def ner_config(train_file: str | Path = "demo:ner_en", **options: Any) -> RunConfig:
    return RunConfig(task="token_classification", options=options, data=DataConfig(train_file=str(train_file)),
                     model=ModelConfig(max_length=16))


def frame(*sentences: tuple[str, str]) -> pd.DataFrame:
    """Sentences written as ("Elena Kowalski visited Peru", "B-PER I-PER O B-LOC")."""
    return pd.DataFrame({"tokens": [words.split() for words, _ in sentences],
                         "tags": [tags.split() for _, tags in sentences]})


class StubTagger:
    """A token classifier whose outputs are fixed by a rule on its input: `rule(input_ids) -> label ids` per
    window, so predictions are known by hand. Only what the task calls exists: parameters(), eval() and a
    forward returning logits."""

    def __init__(self, rule: Callable[[list[int]], list[int]], labels: int = len(LABELS)):
        import torch

        self.rule, self.labels, self.weight = rule, labels, torch.nn.Parameter(torch.zeros(1))
        self.windows: list[list[int]] = []

    def parameters(self) -> Any:
        return iter([self.weight])

    def eval(self) -> "StubTagger":
        return self

    def __call__(self, input_ids: Any, attention_mask: Any, **_: Any) -> Any:
        import torch

        logits = torch.zeros(*input_ids.shape, self.labels)
        for row, (ids, mask) in enumerate(zip(input_ids.tolist(), attention_mask.tolist())):
            window = [token for token, keep in zip(ids, mask) if keep]
            self.windows.append(window)
            for position, label in enumerate(self.rule(window)):
                logits[row, position, label] = 1.0
        return type("Output", (), {"logits": logits})()


# -- the contract ---------------------------------------------------------------------------------------------
def test_the_task_declares_its_roles_metrics_options_and_demos(task: Any) -> None:
    from engine.data import demos_for

    assert [(role.name, role.kind, role.input) for role in task.roles] == [("tokens", "tokens", True),
                                                                           ("tags", "tags", False)]
    assert task.primary_metric == "f1" and task.live_metrics == ("f1",) and task.higher_is_better("eval_f1")
    assert set(task.metric_names) == {"f1", "precision", "recall", "accuracy"}
    assert (task.output_kind, task.peft_task_type) == ("spans", "TOKEN_CLS")
    assert {option.name: option.default for option in task.options} == {"stride": 32, "label_all_tokens": False}
    demos = {demo.name: demo for demo in demos_for("token_classification")}
    assert {name: demo.language for name, demo in demos.items()} == {"ner_en": "en", "ner_zh": "zh"}
    assert "PER" in demos["ner_zh"].description.text("en") and "逐字" in demos["ner_zh"].description.text("zh")


def test_options_are_checked_before_a_run(task: Any) -> None:
    task.check_config(ner_config(stride=0, label_all_tokens=True))
    with pytest.raises(ConfigError, match="options.stride"):
        task.check_config(ner_config(stride=-1))
    with pytest.raises(ConfigError, match="options.label_all_tokens"):
        task.check_config(ner_config(label_all_tokens="yes"))
    with pytest.raises(ConfigError, match="options.window"):
        task.check_config(ner_config(window=3))


# -- reading --------------------------------------------------------------------------------------------------
def test_native_files_are_read_as_sentences_and_other_files_are_left_to_the_tables(task: Any,
                                                                                   tmp_path: Path) -> None:
    files = {
        "train.conll": "-DOCSTART- -X- O O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\nPeter B-PER\n",
        "train.txt": "Oslo\tB-LOC\nis\tO\n\nRome\tB-LOC\n",
        "tokens.jsonl": '{"tokens": ["Oslo", "rains"], "tags": ["B-LOC", "O"]}\n',
        "spans.jsonl": '{"text": "Maria lives in Oslo.", "spans": [{"start": 0, "end": 5, "label": "PER"}]}\n',
        "texts.txt": "Maria lives in Oslo.\nRome is warm today.\n",
        "texts.jsonl": '{"text": "Maria lives in Oslo."}\n',
        "table.csv": "tokens,tags\nOslo rains,B-LOC O\n",
    }
    plan = task.data_plan(ner_config())
    read = {}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        table = read_table(tmp_path / name, plan=plan)
        read[name] = (table.format, table.frame.to_dict("list"))
    assert read["train.conll"] == ("conll", {"tokens": [["EU", "rejects"], ["Peter"]],
                                             "tags": [["B-ORG", "O"], ["B-PER"]]})
    assert read["train.txt"] == ("conll", {"tokens": [["Oslo", "is"], ["Rome"]], "tags": [["B-LOC", "O"], ["B-LOC"]]})
    assert read["tokens.jsonl"] == ("jsonl", {"tokens": [["Oslo", "rains"]], "tags": [["B-LOC", "O"]]})
    assert read["spans.jsonl"][1] == {"tokens": [["Maria", "lives", "in", "Oslo", "."]],
                                      "tags": [["B-PER", "O", "O", "O", "O"]]}
    assert read["texts.txt"][0] == "lines" and read["texts.jsonl"][0] == "jsonl"  # texts, for the general readers
    assert read["texts.jsonl"][1] == {"text": ["Maria lives in Oslo."]}
    assert read["table.csv"][0] == "delimited"


def test_broken_bio_is_repaired_counted_and_shown_on_the_data_tab(task: Any, tmp_path: Path) -> None:
    # Sentence 1 is sound IOB2 (so the file is not IOB1); sentence 2 opens PER with I- after O (an orphan I-);
    # sentence 3 continues B-PER with I-LOC (a type change) and opens ORG with I- at the start (another orphan).
    path = tmp_path / "broken.bio"
    path.write_text("Ada B-PER\nLovelace I-PER\nwrote O\n\nthen O\nBabbage I-PER\n\n"
                    "Ada B-PER\nParis I-LOC\nIBM I-ORG\n", encoding="utf-8")
    cfg = ner_config(path)
    table = read_table(path, plan=task.data_plan(cfg))
    assert table.frame["tags"].tolist() == [["B-PER", "I-PER", "O"], ["O", "B-PER"], ["B-PER", "B-LOC", "B-ORG"]]
    report = inspect_table(table, task.data_plan(cfg))
    assert [note.text("en") for note in report.notes] == [
        "I- tags opening an entity with no B- before them, made B-: 1.",
        "Tags continuing an entity of another type (B-PER then I-LOC), made the start of a new entity: 2."]
    assert "已改为 B-：1 个" in report.notes[0].text("zh")
    assert report.role("tags").counts == {"PER": 3, "LOC": 1, "ORG": 1}
    assert task.label_space(table.frame, cfg) == ["O", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-PER", "I-PER"]


def test_other_schemes_are_read_as_iob2_with_a_note(task: Any, tmp_path: Path) -> None:
    iob1 = tmp_path / "old.iob"  # IOB1: entities open with I-; B- only splits two adjacent entities of one type
    iob1.write_text("Ada I-PER\nLovelace I-PER\nBabbage B-PER\nin O\nParis I-LOC\n", encoding="utf-8")
    iobes = tmp_path / "new.iobes"
    iobes.write_text("Ada B-PER\nLovelace E-PER\nin O\nParis S-LOC\n", encoding="utf-8")
    plan = task.data_plan(ner_config())
    old, new = read_table(iob1, plan=plan), read_table(iobes, plan=plan)
    assert old.frame["tags"].tolist() == [["B-PER", "I-PER", "B-PER", "O", "B-LOC"]]
    assert [note.text("en") for note in old.notes] == [
        "The tags are written in the IOB1 scheme; they were read as IOB2 (B- starts an entity, I- continues it)."]
    assert new.frame["tags"].tolist() == [["B-PER", "I-PER", "O", "B-LOC"]]
    assert "IOBES" in new.notes[0].text("en")


def test_tables_read_by_the_general_readers_get_their_repairs_in_the_run_log(task: Any) -> None:
    """A CSV of space-separated tokens and tags is read by the general reader; the run log says what changed,
    and a type only the test split has is reported, not refused (it can be scored: its recall is 0)."""
    cfg = ner_config()
    train = frame(("Ada Lovelace wrote", "B-PER I-PER O"), ("then Babbage", "O I-PER"), ("in Paris", "O B-LOC"))
    test = frame(("IBM in Paris", "B-ORG O B-LOC"))
    splits = Splits(train=train, validation=frame(("Oslo", "B-LOC")), test=test)
    assert task.checked_labels(splits, cfg) == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    assert [note.text("en") for note in splits.notes] == [
        "In the training data: I- tags opening an entity with no B- before them, made B-: 1.",
        "The test data has entity types the training data lacks (ORG); the model can never predict them, so their "
        "recall will be 0. Add examples of them to the training data."]


def test_data_that_cannot_train_is_refused_by_name(task: Any) -> None:
    cfg = ner_config()
    with pytest.raises(DataError, match="every tag in column 'tags' is O"):
        task.label_space(frame(("quiet day", "O O")), cfg)
    with pytest.raises(DataError) as info:
        task.check_split(frame(("Oslo rains", "B-LOC O"), ("Rome", "B-LOC O")), cfg, LABELS)
    assert str(info.value) == ("1 sentences have a different number of tokens and tags (the first, sentence 2, has "
                               "1 tokens and 2 tags). Check that the token and tag columns belong together.")


# -- training features and metrics --------------------------------------------------------------------------
def test_a_sentence_longer_than_max_length_is_windowed_and_every_word_is_labelled(task: Any,
                                                                                  tokenizer: Any) -> None:
    words = [f"w{index}" for index in range(40)]  # "w12" is 2 sub-tokens: 80 sub-tokens, max length 16
    tags = ["B-LOC" if index % 5 == 0 else "O" for index in range(40)]
    dataset = task.preprocess(pd.DataFrame({"tokens": [words], "tags": [tags]}), tokenizer, ner_config(), LABELS)
    assert len(dataset) > 5 and max(len(ids) for ids in dataset["input_ids"]) <= 16
    labelled = set()
    for ids, labels in zip(dataset["word_ids"], dataset["labels"]):
        labelled |= {word for position, word in enumerate(ids)
                     if word >= 0 and labels[position] != -100 and (position == 0 or ids[position - 1] != word)}
    assert labelled == set(range(40))
    owned = [tuple(bounds) for bounds in dataset["owned"]]
    assert owned[0][0] == 0 and owned[-1][1] == 40 and all(a[1] == b[0] for a, b in zip(owned, owned[1:]))


def test_metrics_match_hand_computation_and_count_overlapping_words_once(task: Any, tokenizer: Any) -> None:
    gold = frame(("Elena Kowalski visited Peru", "B-PER I-PER O B-LOC"), ("IBM rose", "B-ORG O"),
                 (" ".join(f"w{i}" for i in range(12)), " ".join(["O"] * 11 + ["B-LOC"])))
    features = task.preprocess(gold, tokenizer, ner_config(stride=4), LABELS)
    assert sum(sentence == 2 for sentence in features["sentence"]) > 1  # the third sentence needs windows
    # Predicted words: LOC missed in sentence 1; a spurious LOC on "rose" in sentence 2; sentence 3 right in the
    # words each window owns and wrong (B-PER) everywhere else, which must not count.
    wanted = {0: ["B-PER", "I-PER", "O", "O"], 1: ["B-ORG", "B-LOC"], 2: ["O"] * 11 + ["B-LOC"]}
    logits = np.zeros((len(features), max(map(len, features["input_ids"])), len(LABELS)))
    for row, (sentence, ids, (first, last)) in enumerate(zip(features["sentence"], features["word_ids"],
                                                             features["owned"])):
        for position, word in enumerate(ids):
            tag = wanted[sentence][word] if word >= 0 and first <= word < last else "B-PER"
            logits[row, position, LABELS.index(tag)] = 1.0
    metrics = task.metrics_fn(LABELS, features)(type("EvalPrediction", (), {"predictions": logits,
                                                                            "label_ids": None})())
    # Entities: gold PER, LOC, ORG, LOC (4); predicted PER, ORG, LOC(rose), LOC (4); right: PER, ORG, LOC (3).
    # Words: 18, wrong: Peru and rose -> accuracy 16/18.
    assert metrics == pytest.approx({"precision": 3 / 4, "recall": 3 / 4, "f1": 3 / 4, "accuracy": 16 / 18})


def test_evaluation_keeps_the_features_order_under_length_grouping(task: Any, tiny_model: str,
                                                                    tokenizer: Any, tmp_path: Path) -> None:
    """The Trainer groups evaluation rows by length when training does; metrics_fn reads predictions through
    the features, so the task's Trainer evaluates in order."""
    from torch.utils.data import SequentialSampler
    from transformers import Trainer

    from engine.train import training_arguments

    cfg = ner_config()
    assert cfg.train.group_by_length
    features = task.preprocess(frame(("a b c d e f", "O O O O O B-LOC"), ("a", "B-LOC")), tokenizer, cfg, LABELS)
    args = training_arguments(cfg, task, tmp_path)
    model = task.build_model(tiny_model, LABELS)
    plain = Trainer(model=model, args=args, eval_dataset=features)
    assert not isinstance(plain._get_eval_sampler(features), SequentialSampler)
    trainer = task.trainer_class()(model=model, args=args, eval_dataset=features)
    assert isinstance(trainer, Trainer) and isinstance(trainer._get_eval_sampler(features), SequentialSampler)


# -- report ---------------------------------------------------------------------------------------------------
def test_the_report_scores_projects_and_marks_mistakes(task: Any) -> None:
    gold = frame(("Elena Kowalski visited U.S. bases", "B-PER I-PER O B-LOC O"), ("IBM rose", "B-ORG O"),
                 ("quiet day", "O O"))
    inputs = task.inputs(gold, ner_config())
    assert inputs == [{"tokens": "Elena Kowalski visited U.S. bases"}, {"tokens": "IBM rose"}, {"tokens": "quiet day"}]
    # The model read the typed text, where "U.S." is four words; its spans cover "Elena Kowalski", "U" (the
    # first character of the token "U.S.": the token is LOC) and "rose" (wrong).
    predictions = [{"text": inputs[0]["tokens"], "spans": [{"start": 0, "end": 14, "label": "PER", "text": ""},
                                                           {"start": 23, "end": 24, "label": "LOC", "text": "U"}]},
                   {"text": "IBM rose", "spans": [{"start": 4, "end": 8, "label": "LOC", "text": "rose"}]},
                   {"text": "quiet day", "spans": []}]
    report = task.report(gold, predictions, ner_config(), LABELS, "test")
    # Gold PER, LOC, ORG; predicted PER, LOC, LOC(rose): 2 right of 3 each way. Words 9, wrong: IBM, rose.
    assert report.metrics == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3, "accuracy": 7 / 9})
    assert report.rows == 3 and report.split == "test"
    per_type = {row["type"]: (row["precision"], row["recall"], row["support"])
                for row in report.table("per_type").rows}
    assert per_type == {"LOC": (0.5, 1.0, 1), "ORG": (0.0, 0.0, 1), "PER": (1.0, 1.0, 1)}
    confusion = report.figure("confusion")
    assert confusion.kind == "heatmap" and confusion.data["x"] == confusion.data["y"] == LABELS
    z = confusion.data["z"]
    assert z[LABELS.index("B-ORG")][LABELS.index("O")] == 1 and z[0][LABELS.index("B-LOC")] == 1
    assert z[0][0] == 4 and sum(map(sum, z)) == 9
    (row,) = report.table("mistakes").rows
    assert row == {"text": "IBM rose", "gold": "✗ IBM (ORG)", "predicted": "✗ rose (LOC)", "errors": 2}
    assert confusion.title["zh"] and report.table("per_type").title["zh"] == "各实体类型指标"


# -- predictions ----------------------------------------------------------------------------------------------
def test_predictions_are_spans_with_offsets_into_the_typed_english_text(task: Any, tokenizer: Any) -> None:
    first = {word: tokenizer(word, add_special_tokens=False)["input_ids"][0]
             for word in ("elena", "kowalski", "peru")}
    tag_of = {first["elena"]: "B-PER", first["kowalski"]: "I-PER", first["peru"]: "B-LOC"}
    model = StubTagger(lambda ids: [LABELS.index(tag_of.get(token, "O")) for token in ids])
    text = "  Elena   Kowalski flew to Peru, again."
    (prediction,) = task.predict(model, tokenizer, [{"tokens": text}], LABELS, max_length=32)
    assert prediction == {"text": text, "spans": [
        {"start": 2, "end": 18, "label": "PER", "text": "Elena   Kowalski"},
        {"start": 27, "end": 31, "label": "LOC", "text": "Peru"}]}


def test_chinese_is_predicted_character_by_character_with_offsets(task: Any, tokenizer: Any) -> None:
    tags = ["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O", "O"]   # 张伟在杭州工作 (the 。 stays O)
    model = StubTagger(lambda ids: [0] + [LABELS.index(tag) for tag in tags] + [0] * (len(ids) - len(tags) - 1))
    text = "张伟在杭州工作。"
    (prediction,) = task.predict(model, tokenizer, [{"tokens": text}], LABELS, max_length=32)
    assert len(model.windows[0]) == len(text) + 2  # one sub-token per character, [UNK] or not
    assert prediction["spans"] == [{"start": 0, "end": 2, "label": "PER", "text": "张伟"},
                                   {"start": 3, "end": 5, "label": "LOC", "text": "杭州"}]


def test_a_long_text_is_predicted_in_windows_and_no_word_is_cut(task: Any, tokenizer: Any) -> None:
    model = StubTagger(lambda ids: [LABELS.index("B-LOC")] * len(ids))  # every sub-token opens an entity
    text = " ".join(f"w{index}" for index in range(60))
    (prediction,) = task.predict(model, tokenizer, [{"tokens": text}], LABELS, max_length=16)
    assert len(model.windows) > 5 and max(map(len, model.windows)) <= 16
    assert [span["text"] for span in prediction["spans"]] == text.split()  # each word one entity: all 60 seen
    assert task.predict(model, tokenizer, [{"tokens": ""}], LABELS, max_length=16) == [{"text": "", "spans": []}]
    (listed,) = task.predict(model, tokenizer, [{"tokens": ["New", "York"]}], LABELS, max_length=16)
    assert listed["text"] == "New York" and [span["start"] for span in listed["spans"]] == [0, 4]


# -- end to end -----------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_short_run_on_the_demo_trains_reports_and_predicts(tmp_path: Path, tiny_model: str,
                                                             create_run: Any) -> None:
    from engine.inference import Predictor
    from engine.runs.events import EventLog
    from engine.train import run_training

    cfg = RunConfig(task="token_classification", data=DataConfig(train_file="demo:ner_en"),
                    model=ModelConfig(name_or_path=tiny_model, max_length=32),
                    train=TrainConfig(max_steps=8, train_batch_size=16, learning_rate=1e-3, eval_strategy="steps",
                                      eval_steps=4, save_strategy="steps", save_steps=4, device="cpu", warmup=0,
                                      logging_steps=2))
    record = create_run(tmp_path / "runs", cfg)
    outcome = run_training(record.run_dir)
    assert outcome.status == "finished" and outcome.metric_name == "f1"
    events = EventLog(record.run_dir).read()[0]
    ready = next(event for event in events if event["kind"] == "model_ready")
    assert ready["labels"] == LABELS and ready["live_metrics"] == ["f1"]
    evals = [event["values"] for event in events if event["kind"] == "eval"]
    assert len(evals) == 2 and all(0 <= values["eval_f1"] <= 1 for values in evals)
    report = json.loads((Path(record.run_dir) / "report.json").read_text(encoding="utf-8"))
    assert report["task"] == "token_classification" and report["rows"] == 34
    assert set(report["metrics"]) == {"precision", "recall", "f1", "accuracy"}
    per_type = next(t for t in report["tables"] if t["name"] == "per_type")
    assert [row["type"] for row in per_type["rows"]] == ["LOC", "ORG", "PER"]
    (confusion,) = report["figures"]
    assert confusion["kind"] == "heatmap" and confusion["data"]["y"] == LABELS
    (prediction,) = Predictor.from_run(record.run_dir).predict(["Elena Kowalski moved to Lima."])
    assert prediction["text"] == "Elena Kowalski moved to Lima."
    assert all(prediction["text"][s["start"]:s["end"]] == s["text"] for s in prediction["spans"])


def test_the_example_config_sets_the_options_it_documents(task: Any) -> None:
    cfg = RunConfig.load(EXAMPLE_CONFIG)
    assert (cfg.task, cfg.data.train_file, cfg.model.name_or_path) == ("token_classification", "demo:ner_en",
                                                                       "packaged:all-MiniLM-L6-v2")
    assert cfg.options == {"stride": 32, "label_all_tokens": False}
    task.check_config(cfg)


@pytest.mark.slow
def test_the_cli_trains_the_example_config_and_predicts_a_typed_text(tmp_path: Path, tiny_model: str,
                                                                     capsys: pytest.CaptureFixture) -> None:
    from engine.__main__ import main
    from engine.runs.store import RunStore

    root = tmp_path / "runs"
    settings = [f"model.name_or_path={tiny_model}", "data.train_file=demo:ner_zh", "model.max_length=32",
                "train.max_steps=4", "train.eval_strategy=steps", "train.eval_steps=2", "train.save_strategy=steps",
                "train.save_steps=2", "train.device=cpu", "options.stride=8"]
    arguments = ["--runs-root", str(root), "train", str(EXAMPLE_CONFIG)]
    assert main(arguments + [item for setting in settings for item in ("--set", setting)]) == 0
    status = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert status["status"] == "finished" and 0 <= status["f1"] <= 1
    (record,) = RunStore(root).list()
    assert RunConfig.load(Path(record.run_dir) / "config.yaml").options == {"stride": 8, "label_all_tokens": False}
    assert main(["--runs-root", str(root), "predict", record.id, "--text", "张伟在杭州工作。"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["tokens"] == line["text"] == "张伟在杭州工作。"
    assert all(line["text"][s["start"]:s["end"]] == s["text"] for s in line["spans"])


def test_batch_predictions_keep_spans_as_json_text_in_csv_and_as_lists_in_json_lines() -> None:
    from engine.inference import prediction_records, prediction_table

    spans = [{"start": 0, "end": 5, "label": "PER", "text": "Elena"}]
    table = prediction_table([{"tokens": "Elena left."}], [{"text": "Elena left.", "spans": spans}], "spans")
    assert list(table.columns) == ["tokens", "entities", "spans"] and table.loc[0, "entities"] == "Elena (PER)"
    assert json.loads(table.loc[0, "spans"]) == spans
    assert prediction_records(table) == [{"tokens": "Elena left.", "entities": "Elena (PER)", "spans": spans}]
