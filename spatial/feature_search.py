"""Find plan features by name (要素查询): Chinese or English, partial, across every layer.

The map page's search box calls :func:`search_features` over all loaded
layers, ticked or not, and zooms to the chosen hit with
:func:`feature_target`. Matching ignores case, width (全角/半角) and spaces.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd

from spatial.crs import WGS84
from spatial.view import zoom_for_bbox

__all__ = ["SearchHit", "feature_target", "normalise", "search_features"]

_NAME_FIELDS = ("name", "name_en")
MAX_QUERY = 80


def normalise(text: str) -> str:
    """Fold a name or query for matching: NFKC (全角 -> 半角), case-folded, without spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not ch.isspace())


@dataclass(frozen=True)
class SearchHit:
    """One feature whose name matches a query.

    Attributes
    ----------
    layer_id : str
        Layer of the feature.
    positions : tuple of int
        Row positions in its layer (as :func:`spatial.webmap.feature_ref`): the
        features of one layer that share both names form one hit (the
        segments of one road).
    name, name_en : str
        Its Chinese and English names ("" when missing).
    located : bool
        It has a geometry (a plan feature of unknown position does not).
    rank : int
        0 exact name, 1 name starts with the query, 2 contains it (lower is better).
    """

    layer_id: str
    positions: tuple[int, ...]
    name: str
    name_en: str
    located: bool
    rank: int

    @property
    def position(self) -> int:
        """The first of :attr:`positions`."""
        return self.positions[0]

    def label(self, lang: str = "zh") -> str:
        """The name to show in ``lang`` (the other language's when it has none)."""
        first, second = (self.name_en, self.name) if lang == "en" else (self.name, self.name_en)
        return first or second


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def search_features(
    frames: Mapping[str, gpd.GeoDataFrame],
    query: str,
    *,
    order: Sequence[str] | None = None,
    limit: int = 30,
) -> list[SearchHit]:
    """Return the features whose Chinese or English name contains ``query``, best first.

    Parameters
    ----------
    frames : mapping of str to GeoDataFrame
        Layers by id; visible and hidden alike.
    query : str
        Text typed by the planner; words separated by spaces must all occur
        (in either name). Empty or blank gives no hits.
    order : sequence of str, optional
        Layer ids in the order ties are listed (e.g. the tree's, topmost
        first); by default the mapping's order.
    limit : int
        At most this many hits.

    Returns
    -------
    list of SearchHit
        Exact names first, then names starting with the query, then the rest;
        located features before unlocated ones; then by layer order and row.
    """
    words = [normalise(w) for w in query[:MAX_QUERY].split()]
    words = [w for w in words if w]
    if not words:
        return []
    whole = "".join(words)
    ids = [i for i in (order or list(frames)) if i in frames]
    found: list[tuple[tuple[int, int, int, int], SearchHit]] = []
    for layer_rank, layer_id in enumerate(ids):
        gdf = frames[layer_id]
        cols = [c for c in _NAME_FIELDS if c in gdf.columns]
        if not cols or gdf.empty:
            continue
        names = gdf["name"].map(_text).tolist() if "name" in cols else [""] * len(gdf)
        names_en = gdf["name_en"].map(_text).tolist() if "name_en" in cols else [""] * len(gdf)
        geoms = gdf.geometry
        located = (geoms.notna() & ~geoms.is_empty).tolist()
        same: dict[tuple[str, str], list[int]] = {}
        for pos, key in enumerate(zip(names, names_en, strict=True)):
            same.setdefault(key, []).append(pos)
        for (zh, en), positions in same.items():
            pos = positions[0]
            keys = [normalise(zh), normalise(en)]
            if not all(any(w in k for k in keys) for w in words):
                continue
            if whole in keys:
                rank = 0
            elif any(k.startswith(whole) for k in keys):
                rank = 1
            else:
                rank = 2
            hit = SearchHit(layer_id, tuple(positions), zh, en,
                            any(located[p] for p in positions), rank)
            found.append(((rank, 0 if hit.located else 1, layer_rank, pos), hit))
    found.sort(key=lambda item: item[0])
    return [hit for _, hit in found[:limit]]


def feature_target(
    gdf: gpd.GeoDataFrame, positions: Sequence[int], width_px: int = 900, height_px: int = 600,
    max_zoom: int = 17,
) -> tuple[tuple[float, float], int] | None:
    """Return the centre ``(lat, lon)`` and zoom that frame some features, or None without geometry.

    The features' WGS84 bounds are padded by a tenth on each side so their
    outline is not on the map's edge.
    """
    geo = gdf.geometry.iloc[[p for p in positions if 0 <= p < len(gdf)]]
    geo = geo[geo.notna() & ~geo.is_empty]
    if geo.empty:
        return None
    if geo.crs is not None and not geo.crs.equals(WGS84):
        geo = geo.to_crs(WGS84)
    minx, miny, maxx, maxy = (float(v) for v in geo.total_bounds)
    pad_x, pad_y = (maxx - minx) * 0.1, (maxy - miny) * 0.1
    return zoom_for_bbox(
        (minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y), width_px, height_px, max_zoom
    )
