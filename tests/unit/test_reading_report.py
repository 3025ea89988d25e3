"""What users are told about their data: text warnings, cleaning options, uploads per owner, the Studio's
data calls and `python -m engine inspect`, all reading a file exactly as the Data tab showed it."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from engine.config import DataConfig, ModelConfig, RunConfig
from engine.data import (ReadOptions, UploadStore, clean_frame, display_name, inspect_frame, inspect_table,
                         load_splits, read_table)
from engine.errors import DataError
from engine.studio import Studio
from tests.unit.conftest import classification_plan as plan


def config(train_file: str, **data: object) -> RunConfig:
    """The form of a text classification run on `train_file`."""
    return RunConfig(data=DataConfig(train_file=train_file, **data), model=ModelConfig(max_length=128))

MINILM = "packaged:all-MiniLM-L6-v2"


@pytest.fixture(scope="module")
def minilm_tokenizer() -> object:
    from engine.models import load_tokenizer, resolve_model

    return load_tokenizer(resolve_model(MINILM).path)


def _reviews(n: int = 40, long_every: int = 0) -> pd.DataFrame:
    texts = [f"review {i} " + ("very long words here " * 40 if long_every and i % long_every == 0 else "short")
             for i in range(n)]
    return pd.DataFrame({"text": texts, "label": ["pos", "neg"] * (n // 2)})


# --- text warnings ---------------------------------------------------------------------------------------------

def test_texts_longer_than_max_length_are_counted_with_a_suggestion(minilm_tokenizer: object) -> None:
    report = inspect_frame(_reviews(40, long_every=20), plan(), minilm_tokenizer, max_length=64)
    assert report.long_texts == 2 and report.max_length == 64
    longest = int(max(report.text_input.values))
    assert 64 < longest <= 256
    [warning] = [w for w in report.warnings if w.code == "data.long_texts"]
    assert str(warning) == (f"About 5% of texts are longer than 64 tokens (the longest {longest}) and will be cut; "
                            f"raise max length to {128 if longest <= 128 else 256}, or accept it.")
    assert "约 5% 的文本超过 64 个词元" in warning.text("zh")


def test_no_length_warning_without_a_tokenizer_or_when_texts_fit(minilm_tokenizer: object) -> None:
    assert inspect_frame(_reviews(40, 20), plan(), max_length=8).long_texts == 0  # characters: no verdict
    fits = inspect_frame(_reviews(40), plan(), minilm_tokenizer, max_length=128)
    assert fits.long_texts == 0 and fits.warnings == []


def test_past_the_models_own_limit_the_warning_says_texts_are_cut(minilm_tokenizer: object) -> None:
    frame = pd.DataFrame({"text": ["word " * 700, "short one"], "label": ["a", "b"]})
    report = inspect_frame(frame, plan(), minilm_tokenizer, max_length=512)
    [warning] = [w for w in report.warnings if w.code.startswith("data.long_texts")]
    assert warning.code == "data.long_texts_capped" and "reads at most 512 tokens" in str(warning)


def test_html_entities_are_counted_and_unescaped_only_when_asked() -> None:
    frame = pd.DataFrame({"text": ["it&#039;s great", "fish &amp; chips", "line&lt;br&gt;break", "plain", "it's great"],
                          "label": ["a", "b", "a", "b", "a"]})
    report = inspect_frame(frame, plan())
    assert report.html_texts == 3 and report.duplicate_rows == 0
    [warning] = [w for w in report.warnings if w.code == "data.html_entities"]
    assert "3 texts (60%) contain HTML entities such as" in str(warning) and "&#039;" in str(warning)
    unescaped = inspect_frame(frame, plan(), unescape_html=True)
    assert unescaped.duplicate_rows == 1  # "it's great" twice, once the entity is gone: what cleaning drops
    assert any(w.code == "data.html_unescaped" for w in unescaped.warnings)
    cleaned, clean = clean_frame(frame, plan(), unescape_html=True)
    assert clean.unescaped_html == 3 and clean.dropped_duplicates == 1
    assert cleaned["text"].tolist() == ["it's great", "fish & chips", "line<br>break", "plain"]
    kept, untouched = clean_frame(frame, plan())
    assert untouched.unescaped_html == 0 and kept["text"][0] == "it&#039;s great"


# --- read options flow into training -----------------------------------------------------------------------

def _semicolon_cp1252(path: Path) -> Path:
    # Excel quotes the text: the entity's own ";" is the separator.
    rows = ["text;label"] + [f'"Très bon produit n°{i} &amp; c’est tout";{"pos" if i % 2 else "neg"}' for i in range(40)]
    path.write_bytes(("\r\n".join(rows) + "\r\n").encode("cp1252"))
    return path


def test_load_splits_reads_the_file_as_the_data_tab_showed_it(tmp_path: Path) -> None:
    path = _semicolon_cp1252(tmp_path / "avis.csv")
    cfg = DataConfig(train_file=str(path), encoding="cp1252", separator=";", unescape_html=True)
    prepared = load_splits(cfg, plan())
    assert prepared.source_rows == 40 and prepared.clean.unescaped_html == 40
    assert prepared.splits.train["text"].str.contains("c’est tout").all()
    assert not prepared.splits.train["text"].str.contains("&amp;").any()
    summary = prepared.summary()
    assert summary["unescaped_html"] == 40 and summary["rejected_rows"] == 0
    with pytest.raises(DataError, match="Choose .;. as the separator"):  # a wrong separator chosen by hand is named
        load_splits(DataConfig(train_file=str(path), separator=","), plan())


def test_load_splits_counts_rows_rejected_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text("text,label\n" + "".join(f"row {i},{'ab'[i % 2]}\n" for i in range(30)) + "x,y,z\n",
                    encoding="utf-8")
    assert load_splits(DataConfig(train_file=str(path)), plan()).summary()["rejected_rows"] == 1


# --- uploads per owner -----------------------------------------------------------------------------------------

def test_uploads_are_kept_per_owner_and_referred_to_by_name(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads")
    temp = tmp_path / "tmp" / "my reviews.csv"
    temp.parent.mkdir()
    temp.write_text("text,label\na,pos\nb,neg\n", encoding="utf-8")
    ref = store.keep(temp, "user:ann")
    assert ref.startswith("upload:") and ref.endswith("-my reviews.csv") and str(tmp_path) not in ref
    assert store.keep(temp, "user:ann") == ref  # the same content is kept once
    assert display_name(ref) == "my reviews.csv"
    assert store.resolve(ref, "user:ann").read_text(encoding="utf-8").startswith("text,label")
    assert store.folder("user:ann").parent == tmp_path / "uploads" and "ann" not in store.folder("user:ann").name
    with pytest.raises(DataError) as other:
        store.resolve(ref, "user:bob")
    with pytest.raises(DataError) as unknown:
        store.resolve("upload:0123456789ab-my reviews.csv", "user:bob")
    assert str(other.value) == str(unknown.value) == ("There is no uploaded file 'my reviews.csv' here. "
                                                      "Upload the file again.")
    with pytest.raises(DataError, match="no uploaded file"):
        store.resolve("upload:../../etc/passwd", "user:ann")
    with pytest.raises(DataError, match="no uploaded file"):
        load_splits(DataConfig(train_file=ref), plan())  # a training child must be told the owner's folder
    assert load_splits(DataConfig(train_file=ref, validation_ratio=0.5, test_ratio=0.0), plan(),
                       uploads_dir=store.folder("user:ann")).source_rows == 2


def test_a_shared_studio_reads_demo_data_and_its_owners_uploads_only(tmp_path: Path) -> None:
    outside = _semicolon_cp1252(tmp_path / "server.csv")
    shared = Studio(tmp_path / "runs", shared=True)
    with pytest.raises(DataError, match="upload the file instead"):
        shared.preview(config(str(outside)), "browser:1")
    ref = shared.keep_upload(str(outside), "browser:1")
    preview = shared.preview(config(ref), "browser:1")
    assert (preview.rows, preview.table.name, preview.table.encoding, preview.table.separator) == (
        40, "server.csv", "cp1252", ";")
    assert preview.guesses == {"text": "text", "label": "label"} and preview.problem is None
    with pytest.raises(DataError, match="no uploaded file 'server.csv'"):
        shared.preview(config(ref), "browser:2")
    report = shared.inspect(config(ref, unescape_html=True), "browser:1", with_model=False)
    assert report.name == "server.csv" and report.encoding == "cp1252" and report.html_texts == 40
    assert sum(shared.split_summary(config(ref, separator=";"), "browser:1")["rows"].values()) == 40
    assert Studio(tmp_path / "runs").preview(config(str(outside))).rows == 40  # a local studio reads paths


def test_rejected_rows_download_as_csv_with_line_reason_and_raw_text(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "runs")
    path = tmp_path / "tweets.csv"
    path.write_text("text,label\ngood,pos\n\"open quote,neg\nbad,neg\nx,y,z\n", encoding="utf-8")
    assert studio.rejected_rows("demo:reviews_en") is None
    download = studio.rejected_rows(str(path), lang="zh")
    assert download is not None and download.name == "tweets-rejected-rows.csv"
    rows = pd.read_csv(download, encoding="utf-8-sig")
    assert rows["line"].tolist() == [3, 5] and rows["raw"].tolist() == ['"open quote,neg', "x,y,z"]
    assert rows["reason"][1] == "字段数 3，表头有 2 列"
    assert studio.rejected_rows(str(path), lang="zh") == download  # every check of the same file reuses one file
    assert studio.rejected_rows(str(path)) != download  # another language, another file


def test_one_column_preview_names_the_problem_and_inspect_refuses(tmp_path: Path) -> None:
    studio = Studio(tmp_path / "runs")
    path = tmp_path / "european.csv"
    path.write_text("text;label\nbon;pos\nnul;neg\n", encoding="utf-8")
    preview = studio.preview(config(str(path), separator=","))
    assert preview.guesses == {"text": "text;label", "label": ""}
    assert preview.problem is not None and "Choose ';'" in str(preview.problem)
    with pytest.raises(DataError, match="Choose ';' as the separator"):
        studio.inspect(config(str(path), separator=","), with_model=False)
    assert studio.inspect(config(str(path)), with_model=False).role("label").counts == {"neg": 1, "pos": 1}


# --- python -m engine inspect ---------------------------------------------------------------------------------

def _cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    from engine.__main__ import main

    code = main(["inspect", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_inspect_prints_what_the_data_tab_shows(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = _semicolon_cp1252(tmp_path / "avis.csv")
    with open(path, "ab") as handle:
        handle.write("too;many;fields\r\n".encode("cp1252"))
    code, out, _ = _cli(capsys, str(path))
    assert code == 0
    lines = out.splitlines()
    assert lines[:4] == ["file: avis.csv (delimited)", "encoding: cp1252 (detected)", "separator: ';' (detected)",
                         "rows: 40 kept of 41 read; 1 rejected while reading"]
    assert "label (label): column 'label', 0 empty; neg 20, pos 20" in lines
    assert "  - Rows with a different number of fields than the header (2), left out: 1 (lines 42)." in lines
    assert any("HTML entities" in line for line in lines)


def test_cli_inspect_json_and_overrides(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = _semicolon_cp1252(tmp_path / "avis.csv")
    code, out, _ = _cli(capsys, str(path), "--json", "--encoding", "latin-1", "--text-column", "text",
                        "--label-column", "label", "--unescape-html")
    report = json.loads(out)
    assert code == 0 and report["encoding"] == "latin-1" and not report["encoding_detected"]
    label = next(role for role in report["roles"] if role["role"] == "label")
    assert report["rows"] == 40 and label["counts"] == {"neg": 20, "pos": 20} and "values" not in label
    assert report["warnings"][0].startswith("40 texts contain HTML entities")


def test_cli_inspect_measures_tokens_with_a_model(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "long.csv"
    _reviews(40, long_every=20).to_csv(path, index=False)
    code, out, _ = _cli(capsys, str(path), "--model", MINILM, "--max-length", "64", "--json")
    report = json.loads(out)
    text = next(role for role in report["roles"] if role["role"] == "text")
    assert code == 0 and text["unit"] == "tokens" and report["long_texts"] == 2


@pytest.mark.parametrize("content, said", [(b"", "is empty (0 bytes)"), (b"\x89PNG\r\n\x1a\n" + bytes(50), "PNG image")])
def test_cli_inspect_exits_2_with_one_error_line(tmp_path: Path, capsys: pytest.CaptureFixture, content: bytes,
                                                 said: str) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(content)
    code, out, err = _cli(capsys, str(path))
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith("error: ") and said in err
    code, _, err = _cli(capsys, str(tmp_path / "missing.csv"))
    assert code == 2 and err.startswith("error: The file") and "Traceback" not in err
