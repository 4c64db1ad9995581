"""Per-area indicators computed from the plan's layers, measured in metres.

Every function takes the areas (parks, 综保区 sub-zones, living circles or an
uploaded zoning) and one other layer, projects both to the same CGCS2000
Gauss–Krüger zone (EPSG:4547 for Hebi, via :func:`spatial.crs.project_to_gk`)
and returns one value per area, in the order of the areas. Each docstring
states its formula, in the manner of momepy. :func:`compute_area_indicators`
assembles them into one table indexed by area id; :data:`INDICATORS` and
:func:`indicator_def` say what each column means and in which unit.

A missing input gives a missing value (NaN), never a zero: an area with no
geometry has no area, and population is unknown where a community without a
population figure overlaps the area.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from spatial._errors import AnalysisError
from spatial.crs import project_to_gk
from spatial.service_categories import CATEGORY_CODES, LEVELS_MIN, category_by_code

__all__ = [
    "INDICATORS",
    "M2_PER_HA",
    "M2_PER_KM2",
    "M2_PER_MU",
    "IndicatorDef",
    "area_units",
    "areal_weighted_sum",
    "compute_area_indicators",
    "cover_share",
    "coverage_shares",
    "density",
    "indicator_def",
    "line_density",
    "point_counts",
]

M2_PER_KM2 = 1_000_000.0
M2_PER_HA = 10_000.0
# 1 亩 = 1/15 公顷 (the statutory conversion since 1990).
M2_PER_MU = 10_000.0 / 15.0


@dataclass(frozen=True)
class IndicatorDef:
    """What one indicator column means, for labels, legends and exports.

    Attributes
    ----------
    key : str
        Column name in the indicator table.
    name_zh, name_en : str
        Indicator name.
    unit_zh, unit_en : str
        Unit as printed after a value ("" for a pure count of things is not
        used: counts say what they count, e.g. "个").
    decimals : int
        Decimals shown on the map, in the legend and in the table.
    formula : str
        The formula, as in the computing function's docstring.
    """

    key: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    decimals: int
    formula: str = ""

    def name(self, lang: str = "zh") -> str:
        """Return the name in ``"zh"`` or ``"en"``."""
        return self.name_en if lang == "en" else self.name_zh

    def unit(self, lang: str = "zh") -> str:
        """Return the unit in ``"zh"`` or ``"en"``."""
        return self.unit_en if lang == "en" else self.unit_zh


INDICATORS: dict[str, IndicatorDef] = {
    d.key: d
    for d in (
        IndicatorDef("area_km2", "面积", "Area", "平方公里", "km²", 2, "A / 10⁶"),
        IndicatorDef("area_ha", "面积", "Area", "公顷", "ha", 1, "A / 10⁴"),
        IndicatorDef("area_mu", "面积", "Area", "亩", "mu", 0, "A / (10⁴/15)"),
        IndicatorDef(
            "green_share_pct", "绿地占比", "Green share", "%", "%", 1,
            "100 · area(∪green ∩ area) / area",
        ),
        IndicatorDef(
            "road_density", "路网密度", "Road density", "公里/平方公里", "km/km²", 2,
            "length(roads ∩ area) [km] / area [km²]",
        ),
        IndicatorDef(
            "facilities_total", "服务设施数", "Service facilities", "个", "facilities", 0,
            "count(facilities in area)",
        ),
        IndicatorDef(
            "population", "人口", "Population", "人", "people", 0,
            "Σ population_j · area(community_j ∩ area) / area(community_j)",
        ),
        IndicatorDef(
            "population_density", "人口密度", "Population density", "人/平方公里",
            "people/km²", 0, "population / area [km²]",
        ),
    )
}

_FACILITY_PREFIX = "facilities_"
_COVERAGE_PREFIX = "coverage_"


def indicator_def(key: str) -> IndicatorDef:
    """Return the meaning of an indicator column.

    Per-category facility counts (``facilities_<category>``) are named after
    the plan's service categories (:mod:`spatial.service_categories`); an
    unknown category keeps its code as its name.

    Raises
    ------
    KeyError
        If the key is not a computed indicator.
    """
    if key in INDICATORS:
        return INDICATORS[key]
    if key.startswith(_FACILITY_PREFIX):
        code = key[len(_FACILITY_PREFIX):]
        try:
            cat = category_by_code(code)
            zh, en = f"{cat.name}设施数", f"{cat.name_en} facilities"
        except KeyError:
            zh, en = f"{code} 设施数", f"{code} facilities"
        return IndicatorDef(key, zh, en, "个", "facilities", 0,
                            f"count(facilities in area, category = {code})")
    if key.startswith(_COVERAGE_PREFIX):
        code, _, level = key[len(_COVERAGE_PREFIX):].rpartition("_")
        if level.isdigit():
            try:
                cat = category_by_code(code)
            except KeyError:
                raise KeyError(key) from None
            return IndicatorDef(
                key,
                f"{cat.name} {level} 分钟覆盖人口比例",
                f"{cat.name_en}: population within {level} min",
                "%", "%", 1,
                "100 · covered population / population (spatial.coverage)",
            )
    raise KeyError(key)


# --- helpers --------------------------------------------------------------------------------------


def _measured(areas: gpd.GeoDataFrame | gpd.GeoSeries) -> tuple[gpd.GeoSeries, int]:
    """Project the areas to their Gauss–Krüger zone; return the geometries and the EPSG code.

    Invalid polygons (e.g. a self-intersecting "bow-tie" from a hand-drawn
    zoning) are repaired with ``make_valid`` first: otherwise their area is
    wrong (a bow-tie measures 0) and overlays with them can fail.
    """
    geoms = areas.geometry if isinstance(areas, gpd.GeoDataFrame) else areas
    gk = project_to_gk(geoms)
    arr = np.asarray(gk.values)
    bad = ~shapely.is_missing(arr) & ~shapely.is_valid(arr)
    if bad.any():
        arr = arr.copy()
        arr[bad] = shapely.make_valid(arr[bad])
        gk = gpd.GeoSeries(arr, index=gk.index, crs=gk.crs)
    epsg = gk.crs.to_epsg()
    if epsg is None:  # project_to_gk always lands on an EPSG zone; guard for mypy and sanity
        raise AnalysisError("无法确定量测坐标系。", "Could not determine the measuring CRS.")
    return gk, int(epsg)


def _same_zone(layer: gpd.GeoDataFrame | gpd.GeoSeries, epsg: int) -> gpd.GeoSeries:
    """Return the layer's geometries in the areas' zone, so both are measured on one plane."""
    geoms = layer.geometry if isinstance(layer, gpd.GeoDataFrame) else layer
    return project_to_gk(geoms, epsg=epsg)


def _area_or_nan(geoms: gpd.GeoSeries) -> NDArray[np.float64]:
    """Planar area of each geometry; NaN where the geometry is missing or empty."""
    values = np.asarray(geoms.area, dtype=float)
    missing = np.asarray(geoms.isna() | geoms.is_empty, dtype=bool)
    return np.where(missing, np.nan, values)


def _polygonal_union(geoms: gpd.GeoSeries) -> shapely.Geometry:
    """Union of the polygon parts of a layer (valid, overlaps counted once)."""
    arr = np.asarray(geoms.values)
    arr = arr[~shapely.is_missing(arr) & ~shapely.is_empty(arr)]
    arr = shapely.make_valid(arr)
    parts = shapely.get_parts(arr)
    polys = parts[np.isin(shapely.get_type_id(parts), (3, 6))]  # Polygon, MultiPolygon
    return shapely.union_all(polys)


# --- indicators -----------------------------------------------------------------------------------


def area_units(areas: gpd.GeoDataFrame | gpd.GeoSeries) -> pd.DataFrame:
    """Area of each area in m², km², hectares and 亩.

    Formula: with A the planar area in m² in Gauss–Krüger,
    ``km² = A / 10⁶``, ``ha = A / 10⁴``, ``亩 = A / (10⁴ / 15)`` (1 亩 = 666.67 m²).

    Parameters
    ----------
    areas : GeoDataFrame or GeoSeries
        Polygons with a CRS.

    Returns
    -------
    DataFrame
        Columns ``area_m2``, ``area_km2``, ``area_ha``, ``area_mu``, indexed like
        ``areas``; NaN where an area has no geometry.
    """
    gk, _ = _measured(areas)
    a = _area_or_nan(gk)
    return pd.DataFrame(
        {
            "area_m2": a,
            "area_km2": a / M2_PER_KM2,
            "area_ha": a / M2_PER_HA,
            "area_mu": a / M2_PER_MU,
        },
        index=areas.index,
    )


def cover_share(
    areas: gpd.GeoDataFrame | gpd.GeoSeries, cover: gpd.GeoDataFrame | gpd.GeoSeries
) -> pd.Series:
    """Share of each area covered by a polygon layer (e.g. green space), 0–1.

    Formula: ``share_i = area(A_i ∩ ∪_j C_j) / area(A_i)``. The cover polygons
    are dissolved first, so overlapping cover is counted once; only polygon
    parts of the cover count.

    Parameters
    ----------
    areas : GeoDataFrame or GeoSeries
        The areas (polygons).
    cover : GeoDataFrame or GeoSeries
        The covering polygons.

    Returns
    -------
    Series of float
        One share per area, indexed like ``areas``; NaN for an area without
        geometry or with zero area.
    """
    gk, epsg = _measured(areas)
    area = _area_or_nan(gk)
    union = _polygonal_union(_same_zone(cover, epsg))
    covered = shapely.area(shapely.intersection(np.asarray(gk.values), union))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(area > 0, covered / area, np.nan)
    return pd.Series(share, index=areas.index, dtype=float)


def line_density(
    areas: gpd.GeoDataFrame | gpd.GeoSeries, lines: gpd.GeoDataFrame | gpd.GeoSeries
) -> pd.Series:
    """Length of lines per area, in km per km² (e.g. road density).

    Formula: ``D_i = Σ_j length(L_j ∩ A_i) [km] / area(A_i) [km²]``. Each line
    counts with the part of it inside the area; lines digitised twice count twice.

    Parameters
    ----------
    areas : GeoDataFrame or GeoSeries
        The areas (polygons).
    lines : GeoDataFrame or GeoSeries
        The lines (e.g. road centrelines).

    Returns
    -------
    Series of float
        km/km², indexed like ``areas``; NaN without geometry or area.
    """
    gk, epsg = _measured(areas)
    area = _area_or_nan(gk)
    lg = _same_zone(lines, epsg)
    larr = np.asarray(lg.values)
    larr = larr[~shapely.is_missing(larr) & ~shapely.is_empty(larr)]
    tree = shapely.STRtree(larr)
    aarr = np.asarray(gk.values)
    length = np.zeros(len(aarr))
    # Query the tree once: pairs (area index, line index) whose boxes meet.
    a_idx, l_idx = tree.query(aarr, predicate="intersects")
    if len(a_idx):
        parts = shapely.length(shapely.intersection(larr[l_idx], aarr[a_idx]))
        np.add.at(length, a_idx, parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = np.where(area > 0, (length / 1000.0) / (area / M2_PER_KM2), np.nan)
    return pd.Series(dens, index=areas.index, dtype=float)


def point_counts(
    areas: gpd.GeoDataFrame | gpd.GeoSeries,
    points: gpd.GeoDataFrame,
    by: str | None = "category",
) -> pd.DataFrame:
    """Number of point features in each area, in total and per category.

    Formula: ``N_i = #{p : p ∈ A_i}`` and ``N_i,c = #{p : p ∈ A_i, category(p) = c}``,
    where ``p ∈ A_i`` includes the boundary (a point on a shared border counts
    in both areas). A non-point feature counts at its representative point.

    Parameters
    ----------
    areas : GeoDataFrame or GeoSeries
        The areas (polygons).
    points : GeoDataFrame
        The features to count (e.g. facilities).
    by : str, optional
        Property that splits the count (``category``); None for the total only.

    Returns
    -------
    DataFrame of int
        Column ``total`` plus one column per category value present in
        ``points`` (sorted), indexed like ``areas``. An area without geometry
        gets NaN.
    """
    gk, epsg = _measured(areas)
    pg = _same_zone(points, epsg)
    parr = np.asarray(pg.values)
    keep = ~shapely.is_missing(parr) & ~shapely.is_empty(parr)
    parr = shapely.point_on_surface(parr[keep])
    cats = (
        points[by].to_numpy()[keep]
        if by is not None and by in points.columns
        else np.full(len(parr), None, dtype=object)
    )
    labels = np.array([None if c is None or c != c else str(c) for c in cats], dtype=object)
    values = sorted({c for c in labels if c is not None}) if by is not None else []
    aarr = np.asarray(gk.values)
    a_idx, p_idx = shapely.STRtree(parr).query(aarr, predicate="intersects")
    counts = np.zeros((len(aarr), 1 + len(values)))
    np.add.at(counts[:, 0], a_idx, 1)
    for j, value in enumerate(values, start=1):
        hit = labels[p_idx] == value
        np.add.at(counts[:, j], a_idx[hit], 1)
    missing = shapely.is_missing(aarr) | shapely.is_empty(aarr)
    counts[missing, :] = np.nan
    return pd.DataFrame(counts, index=areas.index, columns=["total", *values])


def areal_weighted_sum(
    areas: gpd.GeoDataFrame | gpd.GeoSeries, sources: gpd.GeoDataFrame, column: str
) -> pd.Series:
    """Sum a count attribute of source features into the areas (e.g. population).

    Formula, for polygon sources (areal weighting, i.e. people spread evenly
    over each community): ``P_i = Σ_j P_j · area(S_j ∩ A_i) / area(S_j)``; for
    point sources: ``P_i = Σ_{j : S_j ∈ A_i} P_j``.

    A source whose value is missing makes every area it overlaps unknown (NaN),
    rather than silently counting it as zero.

    Parameters
    ----------
    areas : GeoDataFrame or GeoSeries
        The areas (polygons).
    sources : GeoDataFrame
        Polygons or points carrying ``column``.
    column : str
        The count attribute (e.g. ``population``).

    Returns
    -------
    Series of float
        Indexed like ``areas``.

    Raises
    ------
    AnalysisError
        If ``sources`` has no column ``column``.
    """
    if column not in sources.columns:
        raise AnalysisError(
            f"图层缺少属性“{column}”，无法汇总。",
            f"The layer has no property '{column}' to sum.",
        )
    gk, epsg = _measured(areas)
    sg = _same_zone(sources, epsg)
    sarr = np.asarray(sg.values)
    vals = pd.to_numeric(sources[column], errors="coerce").to_numpy(dtype=float)
    keep = ~shapely.is_missing(sarr) & ~shapely.is_empty(sarr)
    sarr, vals = sarr[keep], vals[keep]
    aarr = np.asarray(gk.values)
    total = np.zeros(len(aarr))
    a_idx, s_idx = shapely.STRtree(sarr).query(aarr, predicate="intersects")
    if len(a_idx):
        s_geoms = sarr[s_idx]
        polygonal = np.isin(shapely.get_type_id(s_geoms), (3, 6))
        s_area = shapely.area(s_geoms)
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = np.where(
                polygonal,
                shapely.area(shapely.intersection(s_geoms, aarr[a_idx])) / s_area,
                1.0,
            )
        contrib = np.where(weight > 0, vals[s_idx] * weight, 0.0)  # NaN only where overlapping
        np.add.at(total, a_idx, contrib)
    missing = shapely.is_missing(aarr) | shapely.is_empty(aarr)
    total[missing] = np.nan
    return pd.Series(total, index=areas.index, dtype=float)


def density(values: pd.Series, area_km2: pd.Series) -> pd.Series:
    """Value per km² (e.g. population density).

    Formula: ``d_i = v_i / area_i [km²]``; NaN where the area is 0 or unknown.
    """
    a = area_km2.astype(float)
    return values.astype(float) / a.where(a > 0)


# --- assembly -------------------------------------------------------------------------------------


def _area_ids(areas: gpd.GeoDataFrame, id_col: str) -> pd.Index:
    ids = areas[id_col].astype(str) if id_col in areas.columns else areas.index.astype(str)
    dup = ids[ids.duplicated()].unique().tolist()
    if dup:
        shown = "、".join(map(str, dup[:5]))
        raise AnalysisError(
            f"区域编号重复：{shown}。每个区域需要唯一编号才能计算指标。",
            f"Duplicate area ids: {', '.join(map(str, dup[:5]))}. Each area needs a unique id.",
        )
    return pd.Index(ids, name="id")


def compute_area_indicators(
    areas: gpd.GeoDataFrame,
    *,
    green: gpd.GeoDataFrame | None = None,
    roads: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    communities: gpd.GeoDataFrame | None = None,
    id_col: str = "id",
    category_col: str = "category",
    population_col: str = "population",
) -> pd.DataFrame:
    """Compute every indicator the given layers allow, one row per area.

    Columns (see :data:`INDICATORS` / :func:`indicator_def` for units):
    ``area_km2``, ``area_ha``, ``area_mu`` always; ``green_share_pct`` =
    100 · :func:`cover_share` with ``green``; ``road_density`` =
    :func:`line_density` with ``roads``; ``facilities_total`` and
    ``facilities_<category>`` = :func:`point_counts` with ``facilities``;
    ``population`` = :func:`areal_weighted_sum` and ``population_density`` =
    :func:`density` with ``communities``. A layer that is not given gives no
    column (rather than a column of zeros).

    Parameters
    ----------
    areas : GeoDataFrame
        The areas; ``id_col`` must be unique.
    green, roads, facilities, communities : GeoDataFrame, optional
        The layers to measure against.
    id_col : str
        Column with the area id (the table's index).
    category_col : str
        Facility category property.
    population_col : str
        Community population property.

    Returns
    -------
    DataFrame of float
        Indexed by area id (as text).
    """
    index = _area_ids(areas, id_col)
    units = area_units(areas)
    out = pd.DataFrame(
        {k: units[k].to_numpy() for k in ("area_km2", "area_ha", "area_mu")}, index=index
    )
    if green is not None:
        out["green_share_pct"] = 100.0 * cover_share(areas, green).to_numpy()
    if roads is not None:
        out["road_density"] = line_density(areas, roads).to_numpy()
    if facilities is not None:
        counts = point_counts(areas, facilities, by=category_col)
        for col in counts.columns:
            out[_FACILITY_PREFIX + col] = counts[col].to_numpy()
    if communities is not None:
        pop = areal_weighted_sum(areas, communities, population_col)
        out["population"] = pop.to_numpy()
        out["population_density"] = density(out["population"], out["area_km2"]).to_numpy()
    return out


def coverage_shares(units: pd.DataFrame, unit_layer: str | None = None) -> pd.DataFrame:
    """Per-area living-circle coverage shares, one column per category and level.

    Formula: ``100 · population_covered / population`` for each (category,
    level) pair, as computed by :func:`spatial.coverage.unit_table`. An area
    with no residents gets NaN (a share of nobody is undefined).

    Parameters
    ----------
    units : DataFrame
        The long table of :func:`spatial.coverage.unit_table` (columns
        ``unit_layer``, ``unit_id``, ``category``, ``level_min``, ``pop_share``).
    unit_layer : str, optional
        Keep only this unit layer.

    Returns
    -------
    DataFrame of float
        Indexed by area id (text); columns ``coverage_<category>_<level>``.
    """
    if units.empty:
        return pd.DataFrame(index=pd.Index([], name="id"))
    rows = units if unit_layer is None else units[units["unit_layer"] == unit_layer]
    wide = rows.assign(
        key=_COVERAGE_PREFIX + rows["category"].astype(str) + "_"
        + rows["level_min"].astype(int).astype(str),
        pct=100.0 * rows["pop_share"].astype(float),
    ).pivot(index="unit_id", columns="key", values="pct")
    # The plan's order of categories, then 5/10/15 minutes (not alphabetical).
    order = [f"{_COVERAGE_PREFIX}{c}_{lv}" for c in CATEGORY_CODES for lv in LEVELS_MIN]
    wide = wide[[c for c in order if c in wide.columns]]
    wide.index = pd.Index(wide.index.astype(str), name="id")
    wide.columns.name = None
    return wide.astype(float)
