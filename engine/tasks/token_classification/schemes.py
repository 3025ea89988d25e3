"""Tag schemes: IOB2 (BIO), IOB1, IOBES, BILOU and bare IO labels, all read into IOB2.

Everything after reading (alignment, metrics, spans) speaks IOB2, the scheme of seqeval's default mode and of
most checkpoints on the Hub. A file in another scheme is converted, not refused. A sequence that breaks its
scheme's rules is repaired the way seqeval's default mode reads it anyway (an I- tag that opens an entity opens
it), so scores on repaired tags equal scores on the raw ones; every repair is counted, so the Data tab can say
what changed instead of changing it silently.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Sequence

from engine.errors import DataError
from engine.messages import Message, register_messages

OUTSIDE = "O"
PREFIXED = re.compile(r"^([BIESLU])-(.+)$")
SHOWN_TAGS = 5
# BILOU is IOBES under other letters: Last = End, Unit = Single.
BILOU_LETTERS = {"L": "E", "U": "S"}

register_messages({
    "ner.repair.orphan_inside": ("I- tags opening an entity with no B- before them, made B-: {count}.",
                                 "前面没有 B- 就开始实体的 I- 标签，已改为 B-：{count} 个。"),
    "ner.repair.type_change": ("Tags continuing an entity of another type (B-PER then I-LOC), made the start of a "
                               "new entity: {count}.",
                               "接在另一类型实体后面的续接标签（如 B-PER 后接 I-LOC），已改为新实体的开头：{count} 个。"),
    "ner.repair.orphan_end": ("E- tags with no B- before them, read as single-token entities: {count}.",
                              "前面没有 B- 的 E- 标签，已按单字实体读取：{count} 个。"),
    "ner.repair.unclosed": ("Entities never closed with an E- tag, kept as they are: {count}.",
                            "没有以 E- 标签结束的实体，已按原样保留：{count} 个。"),
    "ner.mixed_schemes": ("The tags mix two schemes, IOBES (E-, S-) and BILOU (L-, U-). Use one scheme in the "
                          "whole file.",
                          "标签混用了两种标注体系：IOBES（E-、S-）和 BILOU（L-、U-）。请在整个文件中使用同一种体系。"),
    "ner.bare_tags": ("Some tags have no B-/I- prefix while others do: {tags}. Tags are 'O' or a prefix and a type, "
                      "such as B-PER, I-PER.",
                      "有些标签没有 B-/I- 前缀，而其他标签有：{tags}。标签应为“O”或前缀加类型，例如 B-PER、I-PER。"),
})


@dataclass(frozen=True)
class SchemeReading:
    """Tags read into IOB2: the scheme they came in, and how many of each repair it took."""

    scheme: str                  # "IOB2", "IOB1", "IOBES", "BILOU" or "IO"
    sequences: list[list[str]]   # one list of IOB2 tags per sentence
    repairs: dict[str, int]      # repair kind -> count; only kinds that happened

    @property
    def messages(self) -> list[Message]:
        return [Message(f"ner.repair.{kind}", {"count": count}) for kind, count in self.repairs.items()]


@dataclass(frozen=True)
class LabelSet:
    """The entity types of a dataset and the tags a model predicts, in a stable order: O, then B-/I- per type."""

    types: tuple[str, ...]
    tags: tuple[str, ...]

    def ids(self) -> dict[str, int]:
        return {tag: index for index, tag in enumerate(self.tags)}


def read_tags(sequences: Sequence[Sequence[str]]) -> SchemeReading:
    """Detect the scheme of `sequences` and convert them to IOB2, repairing and counting broken sequences."""
    scheme = detect_scheme(sequences)
    return to_iob2(sequences, scheme)


def detect_scheme(sequences: Sequence[Sequence[str]]) -> str:
    """The scheme the tags are written in. B-/I- data is IOB1 when entities start with I- and B- appears only
    right after an entity of its own type (IOB1 uses B- just to split two adjacent entities); otherwise IOB2."""
    letters, bare = Counter(), set()
    for tags in sequences:
        for tag in tags:
            if tag == OUTSIDE:
                continue
            match = PREFIXED.match(tag)
            if match:
                letters[match.group(1)] += 1
            else:
                bare.add(tag)
    if bare and letters:
        raise DataError("ner.bare_tags", tags=", ".join(sorted(bare)[:SHOWN_TAGS]))
    if bare:
        return "IO"
    if (letters["E"] or letters["S"]) and (letters["L"] or letters["U"]):
        raise DataError("ner.mixed_schemes")
    if letters["E"] or letters["S"]:
        return "IOBES"
    if letters["L"] or letters["U"]:
        return "BILOU"
    return "IOB1" if _reads_as_iob1(sequences) else "IOB2"


def _reads_as_iob1(sequences: Sequence[Sequence[str]]) -> bool:
    opened_by_inside = False
    for tags in sequences:
        previous = ""  # the type of the entity the previous tag belongs to; "" after O
        for tag in tags:
            letter, kind = _split(tag)
            if letter == "B" and previous != kind:
                return False
            if letter == "I" and previous != kind:
                opened_by_inside = True
            previous = kind
    return opened_by_inside


def to_iob2(sequences: Sequence[Sequence[str]], scheme: str) -> SchemeReading:
    """`sequences` written in `scheme`, converted to IOB2."""
    convert = {"IOB2": _from_iob, "IOB1": _from_iob, "IOBES": _from_iobes, "BILOU": _from_iobes,
               "IO": _from_io}[scheme]
    repairs: Counter[str] = Counter()
    converted = [convert(tags, repairs) for tags in sequences]
    if scheme == "IOB1":
        repairs.clear()  # an entity opened by I- is IOB1's rule, not a mistake
    return SchemeReading(scheme, converted, {kind: repairs[kind] for kind in sorted(repairs)})


def _from_iob(tags: Sequence[str], repairs: Counter[str]) -> list[str]:
    out, open_kind = [], ""
    for tag in tags:
        letter, kind = _split(tag)
        if letter == "I" and open_kind != kind:
            repairs["type_change" if open_kind else "orphan_inside"] += 1
            letter = "B"
        out.append(f"{letter}-{kind}" if kind else OUTSIDE)
        open_kind = kind
    return out


def _from_iobes(tags: Sequence[str], repairs: Counter[str]) -> list[str]:
    """IOBES (or BILOU) to IOB2: S- becomes B-, E- becomes I-. An entity that an O, S- or B- interrupts before
    its E- is kept as far as it goes and counted as unclosed."""
    out, open_kind = [], ""  # the type of the entity still waiting for its E-
    for tag in tags:
        letter, kind = _split(tag)
        letter = BILOU_LETTERS.get(letter, letter)
        continues = letter in "IE" and kind and open_kind == kind
        if open_kind and not continues:
            repairs["unclosed"] += 1
        if letter in "IE" and not continues:
            repairs["orphan_end" if letter == "E" and not open_kind else
                    "type_change" if open_kind else "orphan_inside"] += 1
        if not kind:
            out.append(OUTSIDE)
        else:
            out.append(f"I-{kind}" if continues else f"B-{kind}")
        open_kind = kind if letter in "BI" else ""
    if open_kind:
        repairs["unclosed"] += 1
    return out


def _from_io(tags: Sequence[str], repairs: Counter[str]) -> list[str]:
    """Bare labels (PER PER O LOC): a run of one label is one entity."""
    out, previous = [], OUTSIDE
    for tag in tags:
        if tag == OUTSIDE:
            out.append(OUTSIDE)
        else:
            out.append(f"I-{tag}" if tag == previous else f"B-{tag}")
        previous = tag
    return out


def _split(tag: str) -> tuple[str, str]:
    """(prefix letter, entity type); ("O", "") for O."""
    if tag == OUTSIDE:
        return OUTSIDE, ""
    return tag[0], tag[2:]


def label_set(sequences: Iterable[Sequence[str]]) -> LabelSet:
    """The label set of IOB2 `sequences`. Every type gets both B- and I-, even when no I- was seen: a word
    split into sub-tokens, or a longer entity at prediction time, needs it."""
    types = sorted({tag[2:] for tags in sequences for tag in tags if tag != OUTSIDE})
    tags = [OUTSIDE]
    for kind in types:
        tags += [f"B-{kind}", f"I-{kind}"]
    return LabelSet(tuple(types), tuple(tags))


def entity_counts(sequences: Iterable[Sequence[str]]) -> dict[str, int]:
    """Entities per type in IOB2 `sequences` (read by read_tags, so every entity starts with B-), by type."""
    counts = Counter(tag[2:] for tags in sequences for tag in tags if tag.startswith("B-"))
    return {kind: counts[kind] for kind in sorted(counts)}
