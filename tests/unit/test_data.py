"""engine.data: loading every format, the errors users see, inspection, cleaning and splitting."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.config import DataConfig
from engine.data import (
    DEMO_DATASETS,
    SUPPORTED_EXTENSIONS,
    clean_frame,
    inspect_frame,
    load_splits,
    load_table,
    require_columns,
    resolve_source,
    split_frame,
)
from engine.errors import DataError
from tests.unit.conftest import classification_plan as plan


def splits_of(data: DataConfig) -> "object":
    return load_splits(data, plan(*(data.columns.get(role, role) for role in ("text", "label"))))

ROWS = [{"text": "great phone", "label": 1}, {"text": "awful battery", "label": 0},
        {"text": "works fine", "label": 1}]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(ROWS)


def _balanced(n_per_label: int, labels: tuple[str, ...] = ("pos", "neg")) -> pd.DataFrame:
    rows = [{"text": f"{label} review number {i}", "label": label} for label in labels for i in range(n_per_label)]
    return pd.DataFrame(rows)


# --- loading -------------------------------------------------------------------------------------------------

WRITERS = {
    "csv": lambda p: _frame().to_csv(p, index=False),
    "tsv": lambda p: _frame().to_csv(p, index=False, sep="\t"),
    "txt": lambda p: _frame().to_csv(p, index=False, sep="\t"),
    "json": lambda p: p.write_text(json.dumps(ROWS), encoding="utf-8"),
    "jsonl": lambda p: p.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8"),
    "parquet": lambda p: _frame().to_parquet(p, index=False),
    "xlsx": lambda p: _frame().to_excel(p, index=False),
}


@pytest.mark.parametrize("extension", sorted(WRITERS))
def test_each_format_loads(tmp_path: Path, extension: str) -> None:
    path = tmp_path / f"data.{extension}"
    WRITERS[extension](path)
    df = load_table(path)
    assert list(df.columns) == ["text", "label"]
    assert df["text"].tolist() == ["great phone", "awful battery", "works fine"]
    assert [int(v) for v in df["label"]] == [1, 0, 1]  # integer labels keep their dtype


@pytest.mark.parametrize("content", [
    json.dumps({"data": ROWS}),
    json.dumps({"text": [r["text"] for r in ROWS], "label": [r["label"] for r in ROWS]}),
    "\n".join(json.dumps(r) for r in ROWS),  # JSON Lines saved with a .json name
])
def test_json_shapes(tmp_path: Path, content: str) -> None:
    path = tmp_path / "data.json"
    path.write_text(content, encoding="utf-8")
    assert load_table(path)["text"].tolist() == ["great phone", "awful battery", "works fine"]


def test_txt_with_commas_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "data.txt"
    path.write_text("text,label\nhello there,a\nbye now,b\n", encoding="utf-8")
    assert load_table(path).shape == (2, 2)


def test_column_names_are_stripped_strings(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text(" text , label \nhi,1\n", encoding="utf-8")
    assert list(load_table(path).columns) == ["text", "label"]


def test_gbk_and_bom_csv_load(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("text,label\n送餐很快，味道不错,正面\n菜太咸了,负面\n".encode("gbk"))
    assert load_table(gbk)["label"].tolist() == ["正面", "负面"]
    bom = tmp_path / "bom.csv"
    bom.write_bytes("text,label\n好吃,正面\n".encode("utf-8-sig"))
    assert list(load_table(bom).columns) == ["text", "label"]


@pytest.mark.parametrize("name, content, expected", [
    ("empty.csv", b"", "empty"),
    ("blank.csv", b"  \n\n", "blank"),
    ("header.csv", b"text,label\n", "no rows"),
    ("empty.json", b"[]", "no records"),
    ("scalar.json", b"42", "not a table"),
    ("broken.json", b'[{"text": "a",\n "label": }]', "line 2"),
    ("broken.jsonl", b'{"text": oops}\n', "not valid JSON, left out: 1 \\(lines 1\\)"),
    ("values.jsonl", b'["a", 1]\n', "named fields"),
])
def test_unusable_files_raise_data_error(tmp_path: Path, name: str, content: bytes, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError, match=expected):
        load_table(path)


def test_unsupported_extension_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "data.docx"
    path.write_text("text", encoding="utf-8")
    with pytest.raises(DataError) as info:
        load_table(path)
    assert ".docx" in str(info.value) and all(ext in str(info.value) for ext in SUPPORTED_EXTENSIONS)


@pytest.mark.parametrize("name, magic", [("bad.parquet", b"PAR1"), ("bad.xlsx", b"PK\x03\x04")])
def test_corrupt_binary_file_gives_plain_message(tmp_path: Path, name: str, magic: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(magic + b"this is a damaged binary table" * 10)
    with pytest.raises(DataError) as info:
        load_table(path)
    message = str(info.value)
    assert name in message and "could not be read" in message
    assert "Traceback" not in message and "Arrow" not in message


def test_too_large_file_names_size_and_limit(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    _frame().to_csv(path, index=False)
    size = path.stat().st_size
    with pytest.raises(DataError) as info:
        load_table(path, max_bytes=10)
    assert f"{size} bytes" in str(info.value) and "10 bytes" in str(info.value)


def test_missing_file_and_unknown_demo(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        resolve_source(str(tmp_path / "nope.csv"))
    with pytest.raises(DataError) as info:
        resolve_source("demo:nope")
    assert "demo:reviews_en" in str(info.value) and "demo:reviews_zh" in str(info.value)


@pytest.mark.parametrize("name", ["reviews_en", "reviews_zh"])
def test_demo_datasets_load_with_two_labels(name: str) -> None:
    df = load_table(f"demo:{name}")
    assert DEMO_DATASETS[name].path.is_file()
    assert len(df) >= 300 and list(df.columns) == ["text", "label"]
    assert df["label"].nunique() == 2
    assert not df["text"].duplicated().any() and df["text"].str.strip().ne("").all()
    counts = df["label"].value_counts()
    assert counts.min() / counts.max() > 0.8  # roughly balanced


# --- inspection ------------------------------------------------------------------------------------------------

def test_missing_column_message_names_it() -> None:
    with pytest.raises(DataError) as info:
        inspect_frame(_frame(), plan("review", "label"))
    assert "'review'" in str(info.value) and "'text'" in str(info.value) and "'label'" in str(info.value)
    with pytest.raises(DataError, match="'stars'"):
        require_columns(_frame(), ["text", "stars"])


def test_inspect_counts_lengths_and_warnings() -> None:
    df = pd.DataFrame({"text": ["good", "good", "bad one", "  ", None, "fine", "meh"] + [f"t{i}" for i in range(20)],
                       "label": ["p", "p", "n", "p", "p", None, "n"] + ["p"] * 20})
    report = inspect_frame(df, plan("text", "label"))
    text, label = report.roles
    assert (report.rows, text.empty, label.empty, report.duplicate_rows) == (27, 2, 1, 1)
    assert report.empty_rows == 3
    both = inspect_frame(pd.DataFrame({"text": ["a", None, "b"], "label": ["p", None, "n"]}), plan("text", "label"))
    assert ([r.empty for r in both.roles], both.empty_rows) == ([1, 1], 1)  # one row, counted once
    assert label.counts == {"p": 22, "n": 2}
    assert list(label.counts) == ["p", "n"]
    assert text.unit == "characters" and text.stats["max"] == 7
    joined = " ".join(map(str, report.warnings))
    assert "fewer than 5 rows" in joined and "unbalanced" in joined and "empty value in a chosen column" in joined


def test_inspect_uses_tokenizer_on_a_sample() -> None:
    def tokenizer(texts: list[str], add_special_tokens: bool) -> dict[str, list[list[int]]]:
        assert add_special_tokens
        return {"input_ids": [[0] * (len(t.split()) + 2) for t in texts]}

    report = inspect_frame(_balanced(50), plan("text", "label"), tokenizer=tokenizer, sample_size=30)
    text = report.text_input
    assert text.unit == "tokens" and len(text.values) == 30
    assert text.stats["max"] == 6  # "pos review number 7": 4 words + 2 special tokens
    assert report.warnings == []


def test_inspect_warns_on_single_label() -> None:
    report = inspect_frame(pd.DataFrame({"text": ["a", "b"], "label": ["x", "x"]}), plan("text", "label"))
    assert any("same label" in str(w) for w in report.warnings)


# --- cleaning ----------------------------------------------------------------------------------------------

def test_clean_counts_empties_and_duplicates_exactly() -> None:
    df = pd.DataFrame({
        "text": ["Great!", " Great! ", "", "   ", None, "ok", "fine", "Great!", "nice"],
        "label": [1, 1, 0, 1, 0, None, 0, 0, 1],
    })
    cleaned, report = clean_frame(df, plan())
    assert (report.rows_before, report.dropped_empty, report.dropped_duplicates, report.rows_after) == (9, 4, 2, 3)
    assert cleaned["text"].tolist() == ["Great!", "fine", "nice"]
    assert cleaned["label"].tolist() == ["1", "0", "1"]
    assert cleaned.index.tolist() == [0, 1, 2]


def test_float_labels_from_csv_become_integer_strings(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("text,label\na,1\nb,\nc,0\nd, 2 \n", encoding="utf-8")
    df = load_table(path)
    cleaned, report = clean_frame(df, plan())
    assert cleaned["label"].tolist() == ["1", "0", "2"] and report.dropped_empty == 1


def test_clean_keeps_duplicates_when_asked_and_refuses_empties() -> None:
    df = pd.DataFrame({"text": ["a", "a", ""], "label": ["x", "x", "y"]})
    cleaned, report = clean_frame(df.iloc[:2], plan(), drop_duplicates=False)
    assert len(cleaned) == 2 and report.dropped_duplicates == 0
    with pytest.raises(DataError, match="data row 3"):
        clean_frame(df, plan(), drop_empty=False)
    with pytest.raises(DataError, match="No rows are left"):
        clean_frame(pd.DataFrame({"text": ["", None], "label": ["x", "y"]}), plan())


# --- splitting ----------------------------------------------------------------------------------------------

def test_split_is_stratified_sized_and_disjoint() -> None:
    df = _balanced(60, ("a", "b")).iloc[:100]  # 60 a, 40 b
    splits = split_frame(df, "label", 0.1, 0.2, seed=3)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (70, 10, 20)
    assert splits.test["label"].value_counts().to_dict() == {"a": 12, "b": 8}
    assert splits.validation["label"].value_counts().to_dict() == {"a": 6, "b": 4}
    all_texts = pd.concat([splits.train, splits.validation, splits.test])["text"]
    assert all_texts.is_unique and len(all_texts) == 100
    assert splits.notes == [] and splits.train.index.tolist() == list(range(70))


def test_split_is_deterministic_for_a_seed() -> None:
    df = _balanced(40)
    first, again, other = (split_frame(df, "label", 0.2, 0.1, seed=s) for s in (7, 7, 8))
    pd.testing.assert_frame_equal(first.train, again.train)
    pd.testing.assert_frame_equal(first.test, again.test)
    assert first.train["text"].tolist() != other.train["text"].tolist()


def test_split_without_test_and_random_fallback() -> None:
    splits = split_frame(_balanced(10), "label", 0.2, 0.0, seed=0)
    assert len(splits.test) == 0 and list(splits.test.columns) == ["text", "label"] and len(splits.validation) == 4
    df = pd.concat([_balanced(10), pd.DataFrame({"text": ["lonely"], "label": ["rare"]})], ignore_index=True)
    splits = split_frame(df, "label", 0.2, 0.0, seed=0)
    assert len(splits.validation) == 4 and len(splits.train) == 17
    assert any("random, not stratified" in str(note) and "'rare'" in str(note) for note in splits.notes)


def test_too_small_data_says_how_many_rows_are_needed() -> None:
    with pytest.raises(DataError, match="at least 3 rows"):
        split_frame(_balanced(1), "label", 0.1, 0.1, seed=0)
    splits = split_frame(_balanced(2), "label", 0.1, 0.1, seed=0)
    assert (len(splits.train), len(splits.validation), len(splits.test)) == (2, 1, 1)


# --- whole pipeline ------------------------------------------------------------------------------------------

def test_load_splits_from_demo() -> None:
    prepared = splits_of(DataConfig(train_file="demo:reviews_zh", split_seed=1))
    sizes = [len(prepared.splits.train), len(prepared.splits.validation), len(prepared.splits.test)]
    assert sum(sizes) == prepared.clean.rows_after == prepared.source_rows == 320
    assert sizes[1] == sizes[2] == 32 and sorted(prepared.splits.train["label"].unique()) == ["正面", "负面"]


def test_load_splits_uses_given_validation_file(tmp_path: Path) -> None:
    train, validation = tmp_path / "train.csv", tmp_path / "dev.jsonl"
    _balanced(20).to_csv(train, index=False)
    rows = [{"text": "pos review number 0", "label": "pos"}, {"text": "brand new", "label": "other"},
            {"text": "", "label": "neg"}]
    validation.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    cfg = DataConfig(train_file=str(train), validation_file=str(validation), validation_ratio=0.0, test_ratio=0.0)
    prepared = splits_of(cfg)
    assert (len(prepared.splits.train), len(prepared.splits.validation), len(prepared.splits.test)) == (40, 2, 0)
    assert prepared.validation_clean is not None and prepared.validation_clean.dropped_empty == 1
    notes = " ".join(map(str, prepared.splits.notes))
    assert "also appear in the training data" in notes and "other" in notes
    with_test = splits_of(DataConfig(train_file=str(train), validation_file=str(validation), test_ratio=0.25))
    assert (len(with_test.splits.train), len(with_test.splits.validation), len(with_test.splits.test)) == (30, 2, 10)


def test_load_splits_names_the_file_with_a_missing_column(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    pd.DataFrame({"review": ["a"], "label": ["x"]}).to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        splits_of(DataConfig(train_file=str(path)))
    assert "reviews.csv" in str(info.value) and "'text'" in str(info.value) and "'review'" in str(info.value)


def test_nan_float_labels_round_trip_through_numpy() -> None:
    cleaned, _ = clean_frame(pd.DataFrame({"text": ["a", "b"], "label": np.array([1.0, 2.5])}), plan())
    assert cleaned["label"].tolist() == ["1", "2.5"]
