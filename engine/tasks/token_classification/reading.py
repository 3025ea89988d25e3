"""Which files the token classification task reads itself, and their tags in IOB2 with every change named.

CoNLL files (.conll, .bio, .iob...) are always read as CoNLL columns; a .txt, .tsv or extension-less file only
when its lines look like `token TAG` (otherwise it is a table or a list of texts for the general readers);
.json and .jsonl when their records have token and tag lists or a text with spans. Tags in any scheme are
converted to IOB2 here, once per file, and the scheme and each kind of repair go into the table's notes, which
the Data tab shows: nothing is changed silently.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from engine.data.table import LoadedTable, ReadOptions
from engine.errors import DataError
from engine.messages import Message, register_messages
from engine.tasks.token_classification.formats import JSON_EXTENSIONS, read_if_conll, read_ner_file
from engine.tasks.token_classification.schemes import SchemeReading, read_tags

CONLL_EXTENSIONS = (".conll", ".bio", ".iob", ".iob1", ".iob2", ".iobes", ".bioes", ".bilou")
SNIFFED_EXTENSIONS = (".txt", ".tsv", "")

register_messages({
    "ner.scheme_read": ("The tags are written in the {scheme} scheme; they were read as IOB2 (B- starts an "
                        "entity, I- continues it).",
                        "标签采用 {scheme} 标注体系，已按 IOB2 读取（B- 表示实体开始，I- 表示实体延续）。"),
})


def read_native(path: Path, name: str, options: ReadOptions) -> LoadedTable | None:
    """The file as sentences (`tokens` and IOB2 `tags` list columns), or None when it is not an NER file."""
    extension = Path(path).suffix.lower()
    if extension in CONLL_EXTENSIONS:
        table = read_ner_file(path, name, options)
    elif extension in SNIFFED_EXTENSIONS:
        table = read_if_conll(path, name, options)
    elif extension in JSON_EXTENSIONS:
        try:
            table = read_ner_file(path, name, options)
        except DataError as exc:
            if exc.code != "ner.json_shape":
                raise
            return None  # records of other fields: a table for the general reader, mapped by the user
    else:
        return None
    return in_iob2(table) if table is not None else None


def in_iob2(table: LoadedTable) -> LoadedTable:
    """The table with its tags converted to IOB2, the scheme and the repairs added to its notes."""
    reading = read_tags(table.frame["tags"].tolist())
    table.frame = pd.DataFrame({"tokens": table.frame["tokens"], "tags": reading.sequences})
    table.notes = [*table.notes, *scheme_notes(reading)]
    return table


def scheme_notes(reading: SchemeReading) -> list[Message]:
    """What reading the tags changed: the scheme when it was not IOB2, then each kind of repair, counted."""
    notes = [Message("ner.scheme_read", {"scheme": reading.scheme})] if reading.scheme != "IOB2" else []
    return notes + reading.messages


def as_lists(values: Sequence) -> list[list[str]]:
    """Cells of a tokens or tags column as lists of strings (the data layer has already made them lists)."""
    return [[str(item) for item in value] if isinstance(value, (list, tuple, np.ndarray)) else str(value).split()
            for value in values]
