"""The legend rule, once for the screen and for print.

A layer's legend lists each declared entry (:meth:`LayerSpec.legend`) as a
solid row when some of the features it stands for are not schematic, and as
a dashed row marked "（示意）" / " (schematic)" when some of them are. The map
page turns these rows into HTML and the export draws them; neither decides
anything about a row itself, so the two legends cannot drift apart.

The schematic suffix comes from this rule only: a declared label that already
ends with it (say "支路（示意）") is shown without it, so no row carries the
suffix twice and a solid row never claims to be schematic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import geopandas as gpd
import pandas as pd

from layers.schema import GROUPS, LayerSpec, LegendEntry, Style

__all__ = [
    "SCHEMATIC_SUFFIX",
    "LegendRow",
    "LegendSection",
    "has_schematic",
    "legend_rows",
    "legend_sections",
    "strip_schematic_suffix",
]

SCHEMATIC_SUFFIX: dict[str, str] = {"zh": "（示意）", "en": " (schematic)"}

# Any trailing schematic mark a declared label may carry: full- or half-width brackets,
# Chinese or English word, with or without a space before it.
_SUFFIX_RE = re.compile(r"\s*[（(]\s*(?:示意|schematic)\s*[）)]\s*$", re.IGNORECASE)


def strip_schematic_suffix(label: str) -> str:
    """Return ``label`` without any trailing schematic mark ("（示意）", " (schematic)" …)."""
    out = label
    while True:
        shorter = _SUFFIX_RE.sub("", out)
        if shorter == out or not shorter:
            return out
        out = shorter


@dataclass(frozen=True)
class LegendRow:
    """One legend row: the symbol to draw and its label.

    Attributes
    ----------
    name_zh, name_en : str
        The declared label without any schematic mark.
    style : Style
        The style of the symbol (dashed when ``schematic``).
    symbol : {"point", "line", "fill"}
        Swatch shape.
    schematic : bool
        The row stands for schematic features (its label ends with the suffix).
    """

    name_zh: str
    name_en: str
    style: Style
    symbol: Literal["point", "line", "fill"]
    schematic: bool

    def name(self, lang: str = "zh") -> str:
        """Return the label without the schematic suffix, in ``"zh"`` or ``"en"``."""
        return self.name_en if lang == "en" else self.name_zh

    def suffix(self, lang: str = "zh") -> str:
        """Return the schematic suffix of this row ("" for a solid row)."""
        return SCHEMATIC_SUFFIX["en" if lang == "en" else "zh"] if self.schematic else ""

    def label(self, lang: str = "zh") -> str:
        """Return the full label as shown and printed: name plus schematic suffix."""
        return self.name(lang) + self.suffix(lang)

    @property
    def label_zh(self) -> str:
        """Full Chinese label."""
        return self.label("zh")

    @property
    def label_en(self) -> str:
        """Full English label."""
        return self.label("en")

    @property
    def entry(self) -> LegendEntry:
        """The row as a :class:`LegendEntry` (full labels, shown style) for drawing."""
        return LegendEntry(self.label_zh, self.label_en, self.style, self.symbol)


@dataclass(frozen=True)
class LegendSection:
    """The legend rows of one layer, with the layer heading where it says something."""

    spec: LayerSpec
    rows: tuple[LegendRow, ...]

    def heading(self, lang: str = "zh") -> str | None:
        """Return the layer title, or None when the layer's one entry already says it."""
        title = self.spec.title(lang)
        entries = self.spec.legend()
        if len(entries) == 1 and strip_schematic_suffix(entries[0].label(lang)) == \
                strip_schematic_suffix(title):
            return None
        return title


def has_schematic(gdf: gpd.GeoDataFrame) -> bool:
    """Return whether some feature of ``gdf`` has ``confidence == "schematic"``."""
    return "confidence" in gdf.columns and bool((gdf["confidence"] == "schematic").any())


def _confidences(gdf: gpd.GeoDataFrame, mask: pd.Series | None) -> set[str]:
    if "confidence" not in gdf.columns:
        return set()
    conf = gdf["confidence"] if mask is None else gdf.loc[mask, "confidence"]
    return {str(c) for c in conf.dropna().unique()}


def legend_rows(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> list[LegendRow]:
    """Return a layer's legend rows, as the screen shows them and print draws them.

    Each declared entry gives a solid row when some feature it stands for is
    not schematic (or carries no ``confidence``), and a dashed row with the
    schematic suffix when some is schematic. A ``style_by`` entry stands for
    the features whose property has its value; an entry no feature stands for
    keeps its solid row (the declaration still says what it would look like),
    but an entry whose features all lack a location (e.g. 浮山森林公园,
    ``location_known: false``) gets none: nothing of it is drawn. Pass the
    layer with its unlocated features for that to show.

    Parameters
    ----------
    spec : LayerSpec
        The layer declaration.
    gdf : GeoDataFrame
        The layer's features (any CRS).

    Returns
    -------
    list of LegendRow
        In declaration order, each solid row before its dashed one.
    """
    entries = spec.legend()
    by_value = spec.style_by is not None and bool(spec.style_map)
    keys: list[object] = list(spec.style_map) if by_value else [None]
    rows: list[LegendRow] = []
    for key, entry in zip(keys, entries, strict=True):
        mask: pd.Series | None = None
        if by_value:
            column = spec.style_by
            mask = (gdf[column] == key) if column in gdf.columns else \
                pd.Series(False, index=gdf.index)
            drawn = gdf.geometry.notna() & ~gdf.geometry.is_empty
            if bool(mask.any()) and not bool((mask & drawn).any()):
                continue
        conf = _confidences(gdf, mask)
        schematic = "schematic" in conf
        solid = not conf or bool(conf - {"schematic"})
        zh = strip_schematic_suffix(entry.label_zh)
        en = strip_schematic_suffix(entry.label_en)
        if solid:
            rows.append(LegendRow(zh, en, entry.style, entry.symbol, False))
        if schematic:
            # A value whose schematic features are another thing gets their own name.
            zh_s, en_s = spec.schematic_labels.get(key, (zh, en)) if by_value else (zh, en)
            rows.append(LegendRow(strip_schematic_suffix(zh_s), strip_schematic_suffix(en_s),
                                  entry.style.schematic(), entry.symbol, True))
    return rows


def legend_sections(layers: Iterable[tuple[LayerSpec, gpd.GeoDataFrame]]) -> list[LegendSection]:
    """Return the legend of the shown layers, in the layer switcher's order.

    Groups come in :data:`layers.schema.GROUPS` order (plan structure first),
    layers within a group by drawing order.
    """
    order = [g.id for g in GROUPS]
    shown = sorted(layers, key=lambda p: (order.index(p[0].group), p[0].z_order))
    return [LegendSection(spec, tuple(legend_rows(spec, gdf))) for spec, gdf in shown]
