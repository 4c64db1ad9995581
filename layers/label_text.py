"""The short English form of a name for a map label (注记).

English names of the plan's features are two to three times as wide as the
Chinese ones ("Xue'er Street regional transport axis" against 学而大街区域交通联系轴)
and lose the contest for room on a laptop's first view. A map label therefore
uses the forms an English-speaking planner reads on any street map: the
street-type abbreviations (Rd, St, Ave) and, for the plan's structure, the
type words that tell the lines apart (transport axis, innovation corridor,
city spine). Tooltips, details, tables and search keep the full ``name_en``.
"""

from __future__ import annotations

import re

__all__ = ["map_name_en"]

# Street types as printed on English street maps: whole words after a name ("Dabai road" →
# "Dabai Rd", "Roads" and "Dabai county road" stay), and not before a route number or another
# name ("National road G107" keeps its word).
_WORDS = tuple(
    (re.compile(r"\b([A-Z][\w'’-]*\s+)" + word + r"\b(?!\s+[A-Z0-9])"), r"\1" + short)
    for word, short in (("[Rr]oad", "Rd"), ("[Ss]treet", "St"), ("[Aa]venue", "Ave"))
)
# The plan's structure types, said in fewer words: the type a planner tells the lines apart
# by stays (transport, innovation, industry-city, service; corridor, axis, spine, node).
_PHRASES = (
    (re.compile(r"\bregional transport axis\b"), "transport axis"),
    (re.compile(r"\bcomprehensive service axis\b"), "service axis"),
    (re.compile(r"\binnovation service (axis|corridor)\b"), r"innovation \1"),
    (re.compile(r"\bindustry-city service axis\b"), "industry-city axis"),
    (re.compile(r"\bmain city spine\b"), "city spine"),
    (re.compile(r"\band living service node\b"), "& living node"),
    # The zone's type (综合保税区) stays in its tooltip; on the map "Hebi Bonded Zone" names it.
    (re.compile(r"\bComprehensive Bonded Zone\b"), "Bonded Zone"),
)


def map_name_en(text: str) -> str:
    """Return the short English form of a name for a map label.

    Parameters
    ----------
    text : str
        The feature's full English name (``name_en``).

    Returns
    -------
    str
        The name with street types abbreviated (Road → Rd, Street → St,
        Avenue → Ave) and the plan's long structure types shortened
        ("regional transport axis" → "transport axis"); any other text is
        returned unchanged.

    Examples
    --------
    >>> map_name_en("Xue'er Street regional transport axis")
    "Xue'er St transport axis"
    >>> map_name_en("Qi River")
    'Qi River'
    """
    out = text
    for pattern, short in _PHRASES:
        out = pattern.sub(short, out)
    for pattern, short in _WORDS:
        out = pattern.sub(short, out)
    return " ".join(out.split())
