"""HTML entities in texts (`&#039;`, `&amp;`, `&lt;br&gt;`): counted by inspection, unescaped by cleaning when asked.

Scraped reviews and tweets often carry them; a tokenizer then learns `& # 039 ;` instead of an apostrophe.
Unescaping is an option because an entity can be the data itself (texts about HTML).
"""
from __future__ import annotations

import html
import re

import pandas as pd

ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
EXAMPLES = 3


def entity_texts(texts: pd.Series) -> tuple[int, list[str]]:
    """How many texts hold an HTML entity, and a few of the entities found (most common first)."""
    strings = texts.dropna().astype(str)
    strings = strings[strings.str.contains("&", regex=False)]  # the regex only where it can match: far faster
    has = strings.str.contains(ENTITY, regex=True)
    if not has.any():
        return 0, []
    found = strings[has].head(200).str.findall(ENTITY).explode().value_counts()
    return int(has.sum()), [str(entity) for entity in found.index[:EXAMPLES]]


def unescape_texts(texts: pd.Series) -> tuple[pd.Series, int]:
    """Texts with entities turned into their characters, and how many texts changed."""
    def unescape(value: object) -> object:
        return html.unescape(value) if isinstance(value, str) and "&" in value else value

    unescaped = texts.map(unescape)
    changed = int((unescaped != texts).sum() - (unescaped.isna() & texts.isna()).sum())
    return unescaped, changed
