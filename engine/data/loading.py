"""Load a user's table (or a bundled demo dataset) into a pandas DataFrame.

Every failure becomes a DataError whose message a non-programmer can act on: parsers' own exceptions
are caught here, because their text (C tokenizer errors, Arrow stack details) means nothing to users.
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from engine.errors import DataError

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"
DEMO_PREFIX = "demo:"
DEFAULT_MAX_BYTES = 200 * 1024**2
# Chinese users' CSVs saved from Excel are usually GBK; gb18030 is its superset, so it is the fallback.
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


@dataclass(frozen=True)
class DemoDataset:
    name: str
    path: Path
    language: str
    description: str


DEMO_DATASETS: dict[str, DemoDataset] = {}


def register_demo(demo: DemoDataset) -> DemoDataset:
    DEMO_DATASETS[demo.name] = demo
    return demo


register_demo(DemoDataset("reviews_en", ASSETS_DIR / "demo" / "reviews_en.csv", "en",
                          "320 short English product and film reviews, labelled positive / negative."))
register_demo(DemoDataset("reviews_zh", ASSETS_DIR / "demo" / "reviews_zh.csv", "zh",
                          "320 short Chinese reviews (food delivery, shopping, films), labelled 正面 / 负面."))


def resolve_source(source: str | Path) -> Path:
    """Turn `demo:NAME` or a path into an existing file path."""
    text = str(source).strip()
    if text.startswith(DEMO_PREFIX):
        name = text[len(DEMO_PREFIX):]
        if name not in DEMO_DATASETS:
            known = ", ".join(DEMO_PREFIX + n for n in DEMO_DATASETS)
            raise DataError(f"There is no demo dataset called '{name}'. Available demo datasets: {known}.")
        return DEMO_DATASETS[name].path
    if not text:
        raise DataError("No data file was given. Choose a file or one of the demo datasets.")
    path = Path(text).expanduser()
    if not path.exists():
        raise DataError(f"The file '{path}' does not exist. Check the path, or upload the file again.")
    if not path.is_file():
        raise DataError(f"'{path}' is a folder, not a file. Choose one data file inside it.")
    return path


def load_table(source: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> pd.DataFrame:
    """Read a CSV, TSV, TXT, JSON, JSONL, Parquet or Excel file into a DataFrame with string column names."""
    path = resolve_source(source)
    reader = _reader_for(path)
    _check_size(path, max_bytes)
    try:
        frame = reader(path)
    except DataError:
        raise
    except ImportError as exc:
        # Only old .xls files need an optional package (xlrd) that may be missing.
        raise DataError(f"'{path.name}' needs an optional package that is not installed ({exc.name or 'xlrd'}). "
                        "Save the file as .xlsx or CSV and load it again.") from exc
    except Exception as exc:  # parsers raise many unrelated types; all mean "this file is unreadable"
        raise DataError(f"'{path.name}' could not be read as a {path.suffix.lower()} file; it may be damaged "
                        "or saved in another format. Open it in the program that made it, save it again "
                        "(CSV in UTF-8 is the safest choice) and reload it.") from exc
    return _tidy(frame, path)


def _reader_for(path: Path) -> Callable[[Path], pd.DataFrame]:
    extension = path.suffix.lower()
    if extension not in READERS:
        raise DataError(f"'{path.name}' has an unsupported file type '{extension or '(none)'}'. "
                        f"Supported types: {', '.join(READERS)}.")
    return READERS[extension]


def _check_size(path: Path, max_bytes: int) -> None:
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"'{path.name}' is empty (0 bytes). Choose a file that contains your data.")
    if size > max_bytes:
        raise DataError(f"'{path.name}' is {_megabytes(size)}, larger than the limit of {_megabytes(max_bytes)}. "
                        "Use a smaller sample of the data, or split it into several files.")


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:.1f} MB" if size >= 1024**2 / 10 else f"{size} bytes"


def _tidy(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """String, stripped column names; rows that are blank in every column are dropped (trailing Excel rows)."""
    if frame.shape[1] == 0:
        raise DataError(f"'{path.name}' has no columns. The first row should hold column names such as text,label.")
    frame.columns = [str(name).strip() for name in frame.columns]
    repeated = sorted({name for name in frame.columns if list(frame.columns).count(name) > 1})
    if repeated:
        raise DataError(f"'{path.name}' has several columns named {', '.join(repeated)}. "
                        "Give every column a different name.")
    frame = frame.dropna(how="all").reset_index(drop=True)
    if len(frame) == 0:
        raise DataError(f"'{path.name}' has column names but no rows of data. Add data below the header.")
    return frame


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in TEXT_ENCODINGS:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise DataError(f"'{path.name}' uses a text encoding Tunebench cannot read. "
                    "Open it and save it again as UTF-8 (in Excel: 'CSV UTF-8').")


def _read_delimited(path: Path, sep: str | None) -> pd.DataFrame:
    """Comma- or tab-separated text; `sep=None` sniffs it (a .txt export can be either)."""
    text = _read_text(path)
    if not text.strip():
        raise DataError(f"'{path.name}' contains only blank space. Choose a file that contains your data.")
    if sep is None:
        header = text.lstrip().split("\n", 1)[0]
        sep = "\t" if header.count("\t") >= max(1, header.count(",")) else ","
    return pd.read_csv(io.StringIO(text), sep=sep)


def _read_json(path: Path) -> pd.DataFrame:
    """A list of records, {"data": [records]}, or {"column": [values]}; JSON Lines when it is not one document."""
    text = _read_text(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if _looks_like_json_lines(text):
            return _records_frame(_parse_json_lines(text, path), path)
        raise DataError(f"'{path.name}' is not valid JSON: there is a mistake near line {exc.lineno}, "
                        f"column {exc.colno}. Fix it, or export the file again.") from exc
    if isinstance(document, dict) and isinstance(document.get("data"), list):
        document = document["data"]
    if isinstance(document, dict) and document and all(isinstance(v, list) for v in document.values()):
        return pd.DataFrame(document)
    if isinstance(document, list):
        return _records_frame(document, path)
    raise DataError(f"'{path.name}' is JSON but not a table. Use a list of records such as "
                    '[{"text": "...", "label": "..."}], or {"data": [...]}.')


def _looks_like_json_lines(text: str) -> bool:
    # JSON Lines saved as .json: the first non-blank line is a complete JSON value on its own.
    first = next((line for line in text.splitlines() if line.strip()), "")
    try:
        json.loads(first)
    except json.JSONDecodeError:
        return False
    return True


def _read_jsonl(path: Path) -> pd.DataFrame:
    return _records_frame(_parse_json_lines(_read_text(path), path), path)


def _parse_json_lines(text: str, path: Path) -> list[object]:
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DataError(f"'{path.name}' is not valid JSON: line {number} cannot be read. Each line must "
                            'be one record such as {"text": "...", "label": "..."}.') from exc
    return records


def _records_frame(records: list[object], path: Path) -> pd.DataFrame:
    if not records:
        raise DataError(f"'{path.name}' holds no records. Add at least one record with your data.")
    if not all(isinstance(record, dict) for record in records):
        raise DataError(f"'{path.name}' must hold records with named fields, such as "
                        '{"text": "...", "label": "..."}; some entries are plain values or lists.')
    return pd.DataFrame.from_records(records)


READERS: dict[str, Callable[[Path], pd.DataFrame]] = {
    ".csv": lambda path: _read_delimited(path, ","),
    ".tsv": lambda path: _read_delimited(path, "\t"),
    ".txt": lambda path: _read_delimited(path, None),
    ".json": _read_json,
    ".jsonl": _read_jsonl,
    ".parquet": pd.read_parquet,
    ".xlsx": pd.read_excel,
    ".xls": pd.read_excel,
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(READERS)
