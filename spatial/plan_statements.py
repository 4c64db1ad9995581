"""The plan's own sentences behind each map feature (``data/tables/plan_statements.csv``).

Every sentence of the plan that places, names, sizes or orients something is a
row: its chapter (第X章 or 专栏N), its line in the plan text, the verbatim quote,
what kind of statement it is, the ids of the features it supports and, when
nothing is drawn for it, why. :func:`statements_for` gives a feature's rows;
:func:`confidence_words` says what a feature's ``confidence`` means in a
planner's words. No streamlit here: the map page renders what these return.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from spatial._errors import SpatialError

__all__ = [
    "KINDS",
    "STATEMENTS_PATH",
    "Statement",
    "chapter_en",
    "confidence_words",
    "load_statements",
    "statements_for",
]

STATEMENTS_PATH = (
    Path(__file__).resolve().parent.parent / "data" / "tables" / "plan_statements.csv"
)
COLUMNS = ("statement_id", "chapter", "line", "quote", "kind", "feature_ids",
           "not_drawn_reason")

# What a statement does, with the words the details panel uses.
KINDS: dict[str, tuple[str, str]] = {
    "places": ("定位", "places"),
    "names": ("命名", "names"),
    "sizes": ("规模", "sizes"),
    "orients": ("方位", "orients"),
    "membership": ("隶属", "membership"),
    "links": ("联系", "links"),
    "order": ("次序", "order"),
}

_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

# The confidence levels of the plan layers (data/geo/README.md), as a planner would say them.
# Each starts with the level word the tooltip and the attribute table show
# (layers.fields.CONFIDENCE_WORDS), so the panel's sentence and the short word never disagree.
# `low` covers every kind of weak evidence the README lists, not only the plan's words: many
# `low` features rest on a name or one reference clue (PLACES.md), not on the text alone.
_CONFIDENCE_WORDS: dict[str, tuple[str, str]] = {
    "high": ("可靠：有公开实测资料支撑，位置偏差约50米以内",
             "Reliable: backed by published survey data, within about 50 m"),
    "medium": ("较可靠：有一项可靠资料或两项相互印证的线索，位置可能偏差100–300米",
               "Fairly reliable: one good source or two clues that agree; may be 100–300 m off"),
    "low": ("推测：据规划文字、地名、单项参考线索或布局关系推定，位置待核实，可能偏差0.5–2公里",
            "Estimated: inferred from the plan's words, a name, a single reference clue or the "
            "layout; to be verified, may be 0.5–2 km off"),
    "schematic": ("示意：仅表达规划意图，并非地面上的确切位置，不作定位依据",
                  "Schematic: shows the plan's intent, not a position on the ground"),
}


@dataclass(frozen=True)
class Statement:
    """One sentence of the plan and the features it supports."""

    statement_id: str
    chapter: str
    line: int
    quote: str
    kind: str
    feature_ids: tuple[str, ...]
    not_drawn_reason: str

    def kind_label(self, lang: str = "zh") -> str:
        """What the statement does (定位, 方位 …) in the interface language."""
        zh, en = KINDS[self.kind]
        return en if lang == "en" else zh


def _parse(text: str) -> tuple[Statement, ...]:
    """Rows of the statement table; a malformed table raises :class:`SpatialError`."""
    reader = csv.DictReader(io.StringIO(text))
    if tuple(reader.fieldnames or ()) != COLUMNS:
        raise SpatialError("规划语句表的列不正确。", "The plan statement table has wrong columns.")
    out = []
    for row in reader:
        try:
            line = int(row["line"])
        except (TypeError, ValueError):
            raise SpatialError("规划语句表的行号不是整数。",
                               "A line number in the plan statement table is not a whole "
                               "number.") from None
        if row["kind"] not in KINDS:
            raise SpatialError("规划语句表含未知的语句类型。",
                               "The plan statement table has an unknown statement kind.")
        ids = tuple(i for i in (row["feature_ids"] or "").split(";") if i)
        out.append(Statement(row["statement_id"], row["chapter"], line, row["quote"],
                             row["kind"], ids, row["not_drawn_reason"] or ""))
    return tuple(out)


@cache
def _shipped() -> tuple[Statement, ...]:
    """The shipped table, read once."""
    return _parse(STATEMENTS_PATH.read_text(encoding="utf-8"))


def load_statements(source: Path | str | None = None) -> tuple[Statement, ...]:
    """The statement table: the shipped one, or the CSV at ``source``."""
    if source is None:
        return _shipped()
    return _parse(Path(source).read_text(encoding="utf-8"))


def statements_for(feature_id: str,
                   statements: tuple[Statement, ...] | None = None) -> list[Statement]:
    """The plan's statements that support one feature, in the plan's order."""
    rows = _shipped() if statements is None else statements
    return sorted((s for s in rows if feature_id in s.feature_ids), key=lambda s: s.line)


def chapter_en(chapter: str) -> str:
    """第十六章 -> 'Chapter 16', 专栏11 -> 'Box 11' (the English interface's citation)."""
    if chapter.startswith("专栏"):
        return f"Box {chapter.removeprefix('专栏')}"
    body = chapter.removeprefix("第").removesuffix("章")
    if "十" in body:
        tens, _, units = body.partition("十")
        number = _NUMERALS.get(tens, 1) * 10 + _NUMERALS.get(units, 0)
    else:
        number = _NUMERALS.get(body, 0)
    return f"Chapter {number}" if number else chapter


def confidence_words(confidence: str, lang: str = "zh") -> str:
    """What a feature's ``confidence`` means, in a planner's words (empty if unknown)."""
    zh, en = _CONFIDENCE_WORDS.get(confidence, ("", ""))
    return en if lang == "en" else zh
