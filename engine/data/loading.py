"""Where a table comes from (a demo dataset, an upload, a path) and reading it once into a LoadedTable.

Sources are written `demo:NAME`, `upload:<sha12>-<name>` (a file kept by the UploadStore, resolved inside
one owner's uploads folder) or, on a local app, a plain path. Users only ever see the file's own name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.data.cache import TABLES
from engine.data.kinds import DataPlan, NativeReader
from engine.data.reading import SUPPORTED_EXTENSIONS, read_file
from engine.data.table import LoadedTable, Progress, ReadOptions
from engine.errors import DataError
from engine.messages import Message, register_messages

ASSETS_DIR = Path(__file__).resolve().parents[2] / "assets"
DEMO_PREFIX = "demo:"
UPLOAD_PREFIX = "upload:"
UPLOAD_NAME = re.compile(r"^([0-9a-f]{12})-([^/\\]+)$")
DEFAULT_MAX_BYTES = 200 * 1024**2

register_messages({
    "data.no_demo": ("There is no demo dataset called '{name}'. Available demo datasets: {known}.",
                     "没有名为“{name}”的示例数据集。可用的示例数据集：{known}。"),
    "data.no_file": ("No data file was given. Choose a file or one of the demo datasets.",
                     "没有指定数据文件。请选择文件或示例数据集。"),
    "data.missing_file": ("The file '{path}' does not exist. Check the path, or upload the file again.",
                          "文件“{path}”不存在。请检查路径，或重新上传文件。"),
    "data.is_folder": ("'{path}' is a folder, not a file. Choose one data file inside it.",
                       "“{path}”是文件夹，不是文件。请选择其中的一个数据文件。"),
    "data.no_such_upload": ("There is no uploaded file '{name}' here. Upload the file again.",
                            "这里没有名为“{name}”的已上传文件。请重新上传。"),
    "data.empty_file": ("'{name}' is empty (0 bytes). Choose a file that contains your data.",
                        "“{name}”是空文件（0 字节）。请选择包含数据的文件。"),
    "data.too_large": ("'{name}' is {size}, larger than the limit of {limit}. Use a smaller sample of the data, "
                       "or split it into several files.",
                       "“{name}”大小为 {size}，超过了 {limit} 的上限。请使用较小的数据样本，或把它拆成几个文件。"),
    "data.no_columns": ("'{name}' has no columns. The first row should hold column names such as text,label.",
                        "“{name}”没有列。第一行应是列名，例如 text,label。"),
    "data.repeated_columns": ("'{name}' has several columns named {names}. Give every column a different name.",
                              "“{name}”中有多个列都叫 {names}。请给每一列起不同的名字。"),
    "data.no_rows": ("'{name}' has column names but no rows of data. Add data below the header.",
                     "“{name}”只有列名，没有数据行。请在表头下方添加数据。"),
    "data.all_rejected": ("None of the {count} rows of '{name}' could be read: {problems} Check the separator "
                          "and the header line.",
                          "“{name}”的 {count} 行数据都无法读取：{problems} 请检查分隔符和表头行。"),
})


@dataclass(frozen=True)
class DemoDataset:
    """A small dataset we wrote for trying a task (its module registers it beside the task)."""

    name: str
    path: Path
    language: str
    description: Message
    task: str          # the task it was written for


def demos_for(task: str) -> list[DemoDataset]:
    """The demo datasets written for `task`, in the order their module registered them."""
    from engine.tasks import task_names  # task modules register their demos; imported here, above this layer

    task_names()
    return [demo for demo in DEMO_DATASETS.values() if demo.task == task]


DEMO_DATASETS: dict[str, DemoDataset] = {}


def register_demo(demo: DemoDataset) -> DemoDataset:
    if demo.name in DEMO_DATASETS:
        raise ValueError(f"a demo dataset named {demo.name!r} is already registered")
    DEMO_DATASETS[demo.name] = demo
    return demo


def demo_file(name: str) -> Path:
    return ASSETS_DIR / "demo" / name


def find_demo(name: str) -> DemoDataset | None:
    """The demo dataset called `name` (without the demo: prefix), or None."""
    if name not in DEMO_DATASETS:
        from engine.tasks import task_names  # task modules register their demos; imported here, above this layer

        task_names()
    return DEMO_DATASETS.get(name)


def _demo(name: str) -> DemoDataset:
    if find_demo(name) is None:
        raise DataError("data.no_demo", name=name, known=", ".join(DEMO_PREFIX + n for n in DEMO_DATASETS))
    return DEMO_DATASETS[name]


def display_name(source: str | Path) -> str:
    """What the user calls a source: `demo:NAME`, an upload's original file name, or a path's file name."""
    text = str(source).strip()
    if text.startswith(DEMO_PREFIX):
        return text
    if text.startswith(UPLOAD_PREFIX):
        match = UPLOAD_NAME.match(text[len(UPLOAD_PREFIX):])
        return match.group(2) if match else text[len(UPLOAD_PREFIX):]
    return Path(text).name


def resolve_source(source: str | Path, uploads_dir: str | Path | None = None) -> Path:
    """Turn `demo:NAME`, `upload:REF` (inside `uploads_dir`, one owner's folder) or a path into an existing file."""
    text = str(source).strip()
    if text.startswith(DEMO_PREFIX):
        return _demo(text[len(DEMO_PREFIX):]).path
    if text.startswith(UPLOAD_PREFIX):
        return _upload_path(text[len(UPLOAD_PREFIX):], uploads_dir)
    if not text:
        raise DataError("data.no_file")
    path = Path(text).expanduser()
    if not path.exists():
        raise DataError("data.missing_file", path=path)
    if not path.is_file():
        raise DataError("data.is_folder", path=path)
    return path


def _upload_path(reference: str, uploads_dir: str | Path | None) -> Path:
    # Someone else's upload and one that never existed answer alike: nobody can probe another's files.
    match = UPLOAD_NAME.match(reference)
    path = Path(uploads_dir) / reference if uploads_dir and match else None
    if path is None or not path.is_file():
        raise DataError("data.no_such_upload", name=match.group(2) if match else reference)
    return path


def read_table(source: str | Path, options: ReadOptions = ReadOptions(), uploads_dir: str | Path | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES, progress: Progress | None = None,
               plan: DataPlan | None = None) -> LoadedTable:
    """Read a CSV, TSV, TXT, JSON, JSONL, Parquet or Excel file once, or a task's own format when the `plan`'s
    reader knows the file: later calls with the same content, options and reader share the cached table (so
    never change `frame` in place)."""
    path = resolve_source(source, uploads_dir)
    name = display_name(source)
    _check_size(path, name, max_bytes)
    reader = plan.reader if plan else None
    key = plan.reader_key if reader else ""
    return TABLES.get(path, options, name, lambda: _read(path, name, options, progress, reader), reader=key)


def load_table(source: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, options: ReadOptions = ReadOptions(),
               uploads_dir: str | Path | None = None) -> pd.DataFrame:
    """Only the DataFrame of read_table (a copy, so callers may change it)."""
    return read_table(source, options, uploads_dir, max_bytes).frame.copy()


def _check_size(path: Path, name: str, max_bytes: int) -> None:
    size = path.stat().st_size
    if size == 0:
        raise DataError("data.empty_file", name=name)
    if size > max_bytes:
        raise DataError("data.too_large", name=name, size=_megabytes(size), limit=_megabytes(max_bytes))


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:.1f} MB" if size >= 1024**2 / 10 else f"{size} bytes"


def _read(path: Path, name: str, options: ReadOptions, progress: Progress | None,
          reader: NativeReader | None) -> LoadedTable:
    if progress:
        progress(0.0)  # shows the reading at once: a workbook reports nothing until it is read
    table = (reader(path, name, options) if reader else None) or read_file(path, name, options, progress)
    table.frame = _tidy(table, name)
    if progress:
        progress(1.0)
    return table


def _tidy(table: LoadedTable, name: str) -> pd.DataFrame:
    """String, stripped, distinct column names; typed delimited columns; rows blank in every column dropped
    (trailing Excel rows)."""
    frame = table.frame
    if frame.shape[1] == 0:
        raise DataError("data.no_columns", name=name)
    frame.columns = [str(column).strip() or f"column {i + 1}" for i, column in enumerate(frame.columns)]
    repeated = sorted({column for column in frame.columns if list(frame.columns).count(column) > 1})
    if repeated:
        raise DataError("data.repeated_columns", name=name, names=", ".join(repeated))
    if table.format == "delimited":
        frame = _typed(frame)
    frame = frame.dropna(how="all").reset_index(drop=True)
    if len(frame) == 0 and table.rejected:
        raise DataError("data.all_rejected", name=name, count=table.rows_read,
                        problems=[problem.message for problem in table.problems])
    if len(frame) == 0:
        raise DataError("data.no_rows", name=name)
    return frame


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells become missing; a column whose every other cell is a number becomes numeric, as pandas'
    own CSV reader would make it (labels 0/1 stay integers)."""
    columns = {}
    for column in frame.columns:
        values = frame[column].mask(frame[column] == "", None)
        filled = values.dropna()
        try:
            columns[column] = pd.to_numeric(values) if len(filled) else values
        except (ValueError, TypeError):
            columns[column] = values
    return pd.DataFrame(columns, index=frame.index)

