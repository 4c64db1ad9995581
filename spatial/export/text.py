"""Page texts: default titles, measured text widths, line breaking with 行首/行尾禁则."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

from matplotlib import font_manager

from spatial.export.content import ChoroplethLayer, MapContent
from spatial.export.options import _TEXT_TO_PATH, PT_TO_MM, _font_family, _t

if TYPE_CHECKING:
    pass


def default_title(lang: str, choropleth: ChoroplethLayer | None = None) -> str:
    """The page title when the planner gives none: the plan, or the indicator shown."""
    if choropleth is not None:
        return _t(lang, f"鹤壁经开区 {choropleth.name}", f"Hebi ETDZ: {choropleth.name}")
    return _t(lang, "鹤壁经济技术开发区空间布局图", "Hebi ETDZ spatial layout")


def _default_subtitle(content: MapContent) -> str:
    from layers.schema import GROUPS

    lang = content.lang
    if content.choropleth is not None:
        return content.choropleth.describe(lang)
    names = [g.title_en if lang == "en" else g.title_zh for g in GROUPS if g.id in content.groups]
    return " · ".join(names)


@lru_cache(maxsize=8192)
def _char_em(ch: str) -> float:
    """Advance width of one character in the export fonts, in em (measured once, cached)."""
    if unicodedata.east_asian_width(ch) in "WF":
        return 1.0  # CJK glyphs are square
    prop = font_manager.FontProperties(family=list(_font_family()), size=100.0)
    width, _, _ = _TEXT_TO_PATH.get_text_width_height_descent(ch, prop, ismath=False)
    return float(width) / 100.0


def _text_width_mm(text: str, size_pt: float) -> float:
    """Printed width of a text line (sum of the fonts' advance widths; no kerning)."""
    return size_pt * PT_TO_MM * sum(_char_em(ch) for ch in text)


# Punctuation that must not begin a line, and brackets that must not end one (行首/行尾禁则).
_NO_LINE_START = set("）)】」』》〉，。、；：！？,.;:!?%")


_NO_LINE_END = set("（(【「『《〈")


def _wrap(text: str, width_mm: float, size_pt: float) -> list[str]:
    """Break text into lines that fit ``width_mm`` (breaks at spaces or between CJK characters).

    Closing brackets and punctuation stay at the end of the line before (they
    may overhang by one character) rather than begin a new one; an opening
    bracket moves to the next line with what it opens.
    """
    lines: list[str] = []
    current = ""
    for token in re.findall(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+|\s+",
                            text):
        candidate = current + token
        if (current and token[0] not in _NO_LINE_START
                and _text_width_mm(candidate.rstrip(), size_pt) > width_mm):
            carry = ""
            while current.rstrip() and current.rstrip()[-1] in _NO_LINE_END:
                carry = current.rstrip()[-1] + carry
                current = current.rstrip()[:-1]
            if current.strip():
                lines.append(current.rstrip())
            current = carry + token.lstrip()
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


def _ellipsize(text: str, width_mm: float, size_pt: float) -> str:
    if _text_width_mm(text, size_pt) <= width_mm:
        return text
    while text and _text_width_mm(text + "…", size_pt) > width_mm:
        text = text[:-1]
    return text + "…"
