"""What the 生活圈 coverage page shows, as layers a printed page can draw (出图 of that page).

The coverage map colours each residential place by its walking distance to
the nearest facility of one category and level (in reach / a gap within twice
the rule / a gap beyond it / not on the network), or, for all nine categories,
by how many are in reach; it shows the facilities of that category (what-if
ones ringed), the suggested sites and the planning units. Here each of those
becomes a :class:`layers.schema.LayerSpec` whose ``style_map`` holds the
classes, so the page's legend rows, the labels of the units and the sources
come from the same machinery as any other print. Places and facilities keep
their own ``confidence`` and ``source``: schematic ones print dashed, with the
"示意图" note, and are cited as 示意, never as the plan's.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.schema import LabelRule, LayerSpec, Style
from spatial.coverage import CoverageModel, categories_in_reach, combo_index
from spatial.crs import WGS84
from spatial.service_categories import CATEGORIES, category_by_code

__all__ = [
    "ALL_CATEGORIES",
    "CLASS_STYLES",
    "COUNT_COLOURS",
    "coverage_layers",
    "coverage_subtitle",
    "coverage_title",
    "place_classes",
]

ALL_CATEGORIES = "all"

# Distance classes of a residential place (the coverage page's colours and words).
CLASS_STYLES: tuple[tuple[Style, str, str], ...] = (
    (Style("#333333", "#1a9850", weight=1.0, fill_opacity=0.6),
     "步行可达（符合规则距离）", "Within the walking rule"),
    (Style("#d73027", "#fdae61", weight=2.0, fill_opacity=0.7),
     "缺口：超出规则距离（2 倍以内）", "Gap: beyond the rule (within 2×)"),
    (Style("#a50026", "#d73027", weight=2.0, fill_opacity=0.7),
     "缺口：超过 2 倍规则距离或不可达", "Gap: beyond 2× the rule or unreachable"),
    (Style("#525252", "#969696", weight=1.5, fill_opacity=0.5, dash="4 4"),
     "距道路过远，未接入路网", "Too far from any road"),
)
# 0 … 9 categories in reach (red → green), for the "all nine" view.
COUNT_COLOURS: tuple[str, ...] = (
    "#a50026", "#d73027", "#f46d43", "#fdae61", "#fee08b",
    "#d9ef8b", "#a6d96a", "#66bd63", "#1a9850", "#006837",
)


# What the page's figures rest on besides the features themselves (``method_source``, cited by
# the sources line like a ``source``): the plan's nine 一刻钟生活圈 categories (专栏15, the one
# thing the plan says of them) and the standard's walking distances. The places and facilities
# cite their own ``source``: in the shipped data most are 示意 (not named in the plan).
_CATEGORIES_SOURCE = "鹤壁经开区“十四五”规划 专栏15 一刻钟生活圈建设专项: nine categories"
_RULES_SOURCE = "GB 50180-2018 walking distances"


def coverage_subtitle(category: str, level: int, lang: str) -> str:
    """The printed subtitle: what is measured and how."""
    if lang == "en":
        return (f"{_category_words(category, 'en')} · {level}-minute walk along the road network"
                " · gaps in orange and red")
    return (f"{_category_words(category, 'zh')} · 沿路网步行 {level} 分钟 · "
            "橙、红色为覆盖缺口")


def place_classes(model: CoverageModel, category: str, level: int) -> np.ndarray:
    """Class of each residential place: 0 in reach, 1/2 gap, 3 not on the network (or 0–9
    categories in reach when ``category`` is :data:`ALL_CATEGORIES`)."""
    p = model.places
    if category == ALL_CATEGORIES:
        return np.asarray(categories_in_reach(model)[str(level)], dtype=np.int64)
    j = combo_index(category, level)
    dist, excess = model.combo_dist[:, j], model.combo_excess[:, j]
    cls = np.where(excess <= 0, 0, np.where(np.isfinite(dist), 1, 2))
    return np.asarray(np.where(p.snapped.ok, cls, 3), dtype=np.int64)


def _category_words(category: str, lang: str) -> str:
    if category == ALL_CATEGORIES:
        return "九类服务" if lang != "en" else "all nine categories"
    cat = category_by_code(category)
    return cat.name_en if lang == "en" else cat.name


def coverage_title(category: str, level: int, lang: str) -> str:
    """The printed title, e.g. "鹤壁经开区生活圈覆盖：就学便利圈（10 分钟）"."""
    what = _category_words(category, lang)
    if lang == "en":
        return f"Hebi ETDZ living-circle coverage: {what} ({level} min)"
    return f"鹤壁经开区生活圈覆盖：{what}（{level} 分钟）"


def _frame(geoms: Any, crs: Any, **columns: Any) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs)
    gdf = gdf[gdf.geometry.notna()]
    return gdf.to_crs(WGS84)


def _text(frame: pd.DataFrame, column: str, rows: np.ndarray) -> list[str]:
    """A text column at ``rows`` ("" where the column or the value is missing)."""
    if column not in frame.columns:
        return [""] * len(rows)
    return [str(v) for v in frame[column].astype("string").fillna("").to_numpy(dtype=object)[rows]]


def _family(gdf: gpd.GeoDataFrame) -> Any:
    kinds = {str(g).replace("Multi", "") for g in gdf.geom_type.dropna().unique()}
    return next(iter(kinds)) if len(kinds) == 1 else "Polygon"


def coverage_layers(
    model: CoverageModel,
    category: str,
    level: int,
    *,
    sites: pd.DataFrame | None = None,
    units: gpd.GeoDataFrame | None = None,
    lang: str = "zh",
) -> list[tuple[LayerSpec, gpd.GeoDataFrame]]:
    """The coverage map's layers, declared for print: places by class, facilities, sites, units.

    Parameters
    ----------
    model : CoverageModel
        The page's model (what-ifs included).
    category : str
        A category code, or :data:`ALL_CATEGORIES`.
    level : int
        Walking minutes (5, 10, 15).
    sites : DataFrame, optional
        Suggested sites (``x``, ``y`` in the network CRS, ``rank``).
    units : GeoDataFrame, optional
        The planning units outlined on the map (labelled by ``name``).
    lang : {"zh", "en"}
        Language of the legend words.

    Returns
    -------
    list of (LayerSpec, GeoDataFrame)
        In drawing order, WGS84, for :func:`spatial.export.export_view` (``extra_layers``).
    """
    out: list[tuple[LayerSpec, gpd.GeoDataFrame]] = []
    p = model.places
    cls = place_classes(model, category, level)
    blank = [""] * len(cls)
    # Each place's own confidence and source: a schematic block prints dashed, under the 示意图
    # note, and is cited as 示意 rather than as the plan's.
    places = _frame(p.geometry, p.crs, cls=cls, name=[str(n) for n in p.names],
                    confidence=blank if p.confidence is None else list(p.confidence),
                    source=blank if p.source is None else list(p.source),
                    method_source=[_CATEGORIES_SOURCE] * len(cls))
    if category == ALL_CATEGORIES:
        style_map = {k: (Style("#333333", c, weight=1.0, fill_opacity=0.7),
                         f"{k} 类可达", f"{k} in reach") for k, c in enumerate(COUNT_COLOURS)}
        title = (f"居住区：{level} 分钟内可达类别数", f"Residential: categories within {level} min")
    else:
        style_map = dict(enumerate(CLASS_STYLES))
        title = (f"居住区步行距离（{_category_words(category, 'zh')}，{level} 分钟）",
                 f"Residential walking distance ({_category_words(category, 'en')}, "
                 f"{level} min)")
    shown = set(int(c) for c in places["cls"])
    style_map = {k: v for k, v in style_map.items() if k in shown}
    out.append((LayerSpec(
        id="cov_places", title_zh=title[0], title_en=title[1], group="user",
        geometry=_family(places) if len(places) else "Polygon", style=CLASS_STYLES[0][0],
        style_by="cls", style_map=style_map, z_order=1000,
    ), places))

    f = model.facilities
    pts = model.facility_points()
    rows = model.shown_facilities(category, level)
    hypo = f["hypothetical"].to_numpy(dtype=bool)[rows]
    cats = f["category"].to_numpy(dtype=object)[rows]
    facs = _frame(pts[rows], model.network.crs,
                  style=[f"{c}{'+' if h else ''}" for c, h in zip(cats, hypo, strict=True)],
                  name=[str(n) for n in f["name"].to_numpy(dtype=object)[rows]],
                  confidence=_text(f, "confidence", rows), source=_text(f, "source", rows),
                  method_source=[_RULES_SOURCE] * len(rows))
    fac_map: dict[Any, tuple[Style, str, str]] = {}
    for c in CATEGORIES:
        fac_map[c.code] = (Style("#ffffff", c.colour, weight=1.5, fill_opacity=0.95, radius=6),
                           c.name, c.name_en)
        fac_map[c.code + "+"] = (Style("#000000", c.colour, weight=3.0, fill_opacity=1.0,
                                       radius=9), f"{c.name}（推演新增）", f"{c.name_en} (what-if)")
    if len(facs):  # none of this category and level: no legend row for it
        used = set(facs["style"])
        out.append((LayerSpec(
            id="cov_facilities", group="user",
            title_zh="服务设施" + ("" if category == ALL_CATEGORIES
                               else f"（{_category_words(category, 'zh')}）"),
            title_en="Facilities" + ("" if category == ALL_CATEGORIES
                                     else f" ({_category_words(category, 'en')})"),
            geometry="Point", style=Style("#ffffff", "#4477AA", radius=6), style_by="style",
            style_map={k: v for k, v in fac_map.items() if k in used}, z_order=1010,
        ), facs))

    if sites is not None and len(sites):
        sp = _frame(shapely.points(sites["x"].to_numpy(float), sites["y"].to_numpy(float)),
                    model.network.crs,
                    name=[f"建议选址 {int(r)}" if lang != "en" else f"Site {int(r)}"
                          for r in sites["rank"]])
        out.append((LayerSpec(
            id="cov_sites", title_zh="建议选址", title_en="Suggested sites", group="user",
            geometry="Point",
            style=Style("#762a83", "#e7d4e8", weight=3.0, fill_opacity=0.9, radius=10,
                        dash="3 3"),
            z_order=1020,
            label=LabelRule("point", priority=70, min_zoom=1, size=11, colour="#40004b"),
        ), sp))

    if units is not None and len(units):
        u = units.to_crs(WGS84) if units.crs is not None else units.set_crs(WGS84)
        # Confidence, named_in_plan and source as given: a schematic circle prints dashed and
        # unlabelled (its generated name is ours, not the plan's), as on the plan map.
        kept = ("name", "name_en", "confidence", "named_in_plan", "source", "geometry")
        u = u[[c for c in kept if c in u.columns]]
        out.append((LayerSpec(
            id="cov_units", title_zh="规划单元（生活圈）", title_en="Planning units",
            group="user", geometry="Polygon",
            style=Style("#2166ac", weight=1.5, fill_opacity=0.0, dash="6 4"), z_order=1005,
            label=LabelRule("area", priority=60, min_zoom=1, size=11, colour="#2166ac"),
        ), u))
    return out
