"""Coverage inputs made ready: settings, residential places, facilities and planning units."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from pyproj import CRS
from scipy.sparse import csr_matrix

from spatial._errors import AnalysisError
from spatial.coverage_inputs import (
    NAME_COLUMNS,
    facility_surveyed,
    find_column,
    population_estimated,
    standardise_facilities,
    standardise_residential,
)
from spatial.coverage_rules import CoverageRules
from spatial.network import (
    DEFAULT_MAX_SNAP_M,
    DEFAULT_SNAP_GAP_M,
    SnappedPoints,
    WalkNetwork,
    snap_points,
)
from spatial.service_categories import CATEGORIES, CATEGORY_CODES, LEVELS_MIN

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
GeomArray = NDArray[np.object_]


# Every (category, level) pair, in a fixed order: column j of the per-place arrays.
COMBOS: tuple[tuple[str, int], ...] = tuple((c, lv) for c in CATEGORY_CODES for lv in LEVELS_MIN)
_COMBO_INDEX = {combo: j for j, combo in enumerate(COMBOS)}
_NAME_ZH = {c.code: c.name for c in CATEGORIES}
_NAME_EN = {c.code: c.name_en for c in CATEGORIES}
# Distances are reported to the centimetre; more digits are noise.
_DECIMALS = 2
# Gates of a polygon facility (park, school ground) along its edge, when no gates are given.
GATE_SPACING_M = 100.0


def combo_index(category: str, level_min: int) -> int:
    """Column of a (category, level) pair in the per-place arrays.

    Raises
    ------
    AnalysisError
        If the category or level is unknown.
    """
    try:
        return _COMBO_INDEX[(category, int(level_min))]
    except (KeyError, ValueError) as exc:
        raise AnalysisError(
            f"未知的类别或层级：{category} / {level_min}。",
            f"Unknown category or level: {category} / {level_min}.",
        ) from exc


@dataclass(frozen=True)
class CoverageSettings:
    """Parameters of a coverage run.

    Attributes
    ----------
    max_snap_m : float
        Points farther than this from every road are reported as unsnapped.
    snap_gap_m : float
        Road ends this close to another road are joined when the network is built.
    search_limit_m : float or None
        Dijkstra radius; ``None`` = twice the rule distance of each facility
        group (enough to report how far a gap misses, and the cheapest search).
    add_access_offset : bool
        Add the straight distance from a point to its road (access offset) to
        the network distance, at both the residential and the facility end.
    crs : str, optional
        Measure in this projected metric CRS (e.g. ``EPSG:32650``); by default
        the local one of the roads' place (:func:`spatial.metric_crs.to_metric`).
    """

    max_snap_m: float = DEFAULT_MAX_SNAP_M
    snap_gap_m: float = DEFAULT_SNAP_GAP_M
    search_limit_m: float | None = None
    add_access_offset: bool = False
    crs: str | None = None

    def limit_for(self, max_walk_m: float) -> float:
        """The search radius for facilities with this rule distance (never below it)."""
        if self.search_limit_m is None:
            return 2.0 * max_walk_m
        return max(float(self.search_limit_m), max_walk_m)


def _ids(gdf: pd.DataFrame, prefix: str) -> NDArray[np.object_]:
    """Stable text ids: the ``id`` column when present and unique, else a row number."""
    if "id" in gdf.columns:
        ids = gdf["id"].astype("string")
        if ids.notna().all() and ids.is_unique:
            return ids.to_numpy(dtype=object)
    return np.asarray([f"{prefix}{i}" for i in range(len(gdf))], dtype=object)


def _text_column(gdf: pd.DataFrame, name: str) -> NDArray[np.object_]:
    if name not in gdf.columns:
        return np.full(len(gdf), "", dtype=object)
    return gdf[name].astype("string").fillna("").to_numpy(dtype=object)


# A planner's layer may say 示意/低/中/高; the catalogue's words are the English codes.
_CONFIDENCE_CODES = {"示意": "schematic", "低": "low", "中": "medium", "高": "high"}


def confidence_words(frame: pd.DataFrame) -> NDArray[np.object_]:
    """Each row's ``confidence`` as a catalogue code (``schematic`` …), "" where none is given."""
    words = _text_column(frame, "confidence")
    return np.asarray(
        [_CONFIDENCE_CODES.get(w.strip(), w.strip().lower()) for w in words], dtype=object
    )


def _shown(values: list[str]) -> str:
    return ", ".join(values[:5]) + (" …" if len(values) > 5 else "")


@dataclass(frozen=True, eq=False)
class Places:
    """Residential places, each with one access point on the network.

    Attributes
    ----------
    ids, names : ndarray of str
    population : ndarray of float
    area_m2 : ndarray of float
        Polygon area in the metric CRS (0 for a point place).
    geometry : ndarray of geometry
        Places in the metric CRS (None where unlocated).
    access : ndarray of Point
        Access points (representative points) in the metric CRS.
    snapped : SnappedPoints
        Access points on the network.
    located : ndarray of bool
        False where the place has no geometry.
    crs : pyproj.CRS
    population_known : bool
        False when the layer had no population column: population is 0 and
        only the area shares mean anything.
    estimated : ndarray of bool, optional
        True where the population is an estimate (see
        :func:`spatial.coverage_inputs.population_estimated`); None = all given.
    confidence, source : ndarray of str, optional
        Each place's ``confidence`` (:func:`confidence_words`) and ``source`` as
        the layer gives them ("" where it says nothing; None = no such column),
        so a print of the results says which places are schematic and cites them.
    names_en : ndarray of str, optional
        Each place's ``name_en`` ("" where it has none; None = no such column),
        shown in English instead of the Chinese name.
    """

    ids: NDArray[np.object_]
    names: NDArray[np.object_]
    population: FloatArray
    area_m2: FloatArray
    geometry: GeomArray
    access: GeomArray
    snapped: SnappedPoints
    located: BoolArray
    crs: CRS
    population_known: bool = True
    estimated: BoolArray | None = None
    confidence: NDArray[np.object_] | None = None
    source: NDArray[np.object_] | None = None
    names_en: NDArray[np.object_] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def estimated_flags(self) -> BoolArray:
        """True where the population is an estimate (all False when nothing was said)."""
        if self.estimated is None:
            return np.zeros(len(self.ids), dtype=bool)
        return self.estimated

    @property
    def pop_weight(self) -> FloatArray:
        """Population counted in the shares (0 for unlocated places)."""
        return np.where(self.located, self.population, 0.0)

    @property
    def area_weight(self) -> FloatArray:
        """Residential area counted in the shares (0 for unlocated places)."""
        return np.where(self.located, self.area_m2, 0.0)


def prepare_places(
    residential: gpd.GeoDataFrame,
    network: WalkNetwork,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    require_population: bool = True,
) -> Places:
    """Validate residential places and snap their access points.

    Parameters
    ----------
    residential : GeoDataFrame
        Polygons (or points) in the network's CRS with a population column
        (``population``, ``人口``, ``pop`` …: see
        :func:`spatial.coverage_inputs.standardise_residential`) and
        optionally ``id`` and a name.
    network : WalkNetwork
    max_snap_m : float
    require_population : bool
        If False, a layer without population gives places of population 0
        (``Places.population_known`` False): area shares only.

    Raises
    ------
    AnalysisError
        If the population is missing (a ``MissingColumnError``), not a number
        or negative.
    """
    estimated = population_estimated(residential)
    residential, population_known = standardise_residential(residential, require_population)
    ids = _ids(residential, "r")
    pop = pd.to_numeric(residential["population"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(pop) | (pop < 0)
    if bad.any():
        shown = _shown(_row_labels(residential, np.flatnonzero(bad)))
        raise AnalysisError(
            f"以下居住区的人口不是非负数：{shown}。",
            "These residential places have a population that is not a non-negative number: "
            f"{shown}.",
        )
    geoms = np.asarray(residential.geometry.values, dtype=object)
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    area = np.zeros(len(geoms))
    area[located] = shapely.area(geoms[located])
    access = np.full(len(geoms), None, dtype=object)
    access[located] = shapely.point_on_surface(geoms[located])
    return Places(
        ids=ids,
        names=_text_column(residential, "name"),
        population=pop,
        area_m2=np.nan_to_num(area.astype(float)),
        geometry=geoms,
        access=access,
        snapped=snap_points(network, access, max_snap_m),
        located=located.astype(bool),
        crs=network.crs,
        population_known=population_known,
        estimated=estimated,
        confidence=confidence_words(residential) if "confidence" in residential.columns else None,
        source=_text_column(residential, "source") if "source" in residential.columns else None,
        names_en=(_text_column(residential, "name_en") if "name_en" in residential.columns
                  else None),
    )


def _row_labels(frame: pd.DataFrame, rows: IntArray) -> list[str]:
    """How a user recognises input rows in a message: the name, else "row n" (1-based)."""
    names = _text_column(frame, "name")
    source = (
        frame["source_row"].to_numpy(dtype=np.int64) if "source_row" in frame.columns
        else np.arange(len(frame))
    )
    labels = [str(names[i]) or f"#{int(source[i]) + 1}" for i in rows]
    return list(dict.fromkeys(labels))


def edge_gates(geom: object, spacing_m: float = GATE_SPACING_M) -> GeomArray:
    """Return access points every ``spacing_m`` along a polygon's edge (at least 4 per ring).

    A park or school ground is entered at its edge, not at its centroid: each
    gate is snapped to the network like a point facility and the nearest one
    counts.
    """
    valid = shapely.make_valid(np.asarray([geom], dtype=object))
    parts = shapely.get_parts(shapely.boundary(valid))
    gates: list[GeomArray] = []
    for ring in parts:
        length = float(shapely.length(ring))
        if length <= 0:
            continue
        n = max(4, math.ceil(length / spacing_m))
        gates.append(shapely.line_interpolate_point(ring, np.arange(n) * (length / n)))
    return np.concatenate(gates) if gates else np.empty(0, dtype=object)


def prepare_facilities(
    facilities: gpd.GeoDataFrame,
    network: WalkNetwork,
    rules: CoverageRules,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> pd.DataFrame:
    """Validate facilities, look up their rule distance and snap them.

    Parameters
    ----------
    facilities : GeoDataFrame
        Points or polygons in the network's CRS with a category (a code of
        ``CATEGORY_CODES`` or a category name), optionally a level (5/10/15),
        ``facility_type``, a name and ``id``; column names as accepted by
        :func:`spatial.coverage_inputs.standardise_facilities`. A polygon
        facility (a park) is reached at gates every :data:`GATE_SPACING_M`
        along its edge (:func:`edge_gates`), one row per gate sharing its
        ``facility_id``.

    Returns
    -------
    DataFrame
        One row per facility (per gate for a polygon): ``facility_id, source_id,
        name, category, level_min, facility_type, max_walk_m, rule_source, x, y,
        segment, along, offset, hypothetical, surveyed, confidence, source`` (x, y
        NaN and segment -1 where the facility has no location; confidence and
        source "" where the layer gives none).

    Raises
    ------
    AnalysisError
        Naming (by name or row number) the facilities whose category or level is
        not valid, or whose geometry is a line; or the missing category column.
    """
    raw_surveyed = facility_surveyed(facilities)
    facilities = standardise_facilities(facilities, rules)
    fid = _ids(facilities, "f")
    source = facilities["source_row"].to_numpy(dtype=np.int64)
    category = facilities["category"].astype("string").fillna("").str.strip().to_numpy(dtype=object)
    level = pd.to_numeric(facilities["level_min"], errors="coerce").to_numpy(dtype=float)
    for bad, zh, en in (
        (~np.isin(category, CATEGORY_CODES), "类别不是九类生活圈之一",
         "have a category that is not one of the nine"),
        (~np.isin(level, LEVELS_MIN), "层级不是 5、10 或 15 分钟",
         "have a level_min that is not 5, 10 or 15"),
    ):
        if bad.any():
            shown = _shown(_row_labels(facilities, np.flatnonzero(bad)))
            raise AnalysisError(f"以下设施的{zh}：{shown}。", f"These facilities {en}: {shown}.")
    geoms = shapely.force_2d(np.asarray(facilities.geometry.values, dtype=object))
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kinds = np.full(len(geoms), -1)
    kinds[located] = shapely.get_type_id(geoms[located])
    polygon = np.isin(kinds, [3, 6])
    bad_geom = located & ~polygon & (kinds != 0)
    if bad_geom.any():
        shown = _shown(_row_labels(facilities, np.flatnonzero(bad_geom)))
        raise AnalysisError(
            f"设施必须是点或面（公园等按边界出入口计算），以下不是：{shown}。",
            f"Facilities must be points or polygons (parks are reached at their edge); "
            f"these are not: {shown}.",
        )
    # A polygon becomes one row per gate along its edge; a point stays one row.
    counts = np.ones(len(geoms), dtype=np.int64)
    gate_lists = {int(i): edge_gates(geoms[i]) for i in np.flatnonzero(polygon)}
    for i, gates in gate_lists.items():
        counts[i] = max(len(gates), 1)
    rows = np.repeat(np.arange(len(geoms)), counts)
    points = geoms[rows].copy()
    for i, gates in gate_lists.items():
        if len(gates):
            points[np.flatnonzero(rows == i)] = gates
    points_located = located[rows]
    frame = pd.DataFrame(
        {
            "facility_id": fid[rows],
            "source_id": np.asarray([str(v).rsplit("@", 1)[0] for v in fid], dtype=object)[rows],
            "name": _text_column(facilities, "name")[rows],
            # Shown instead of the Chinese name in English ("" where the layer gives none).
            "name_en": _text_column(facilities, "name_en")[rows],
            "category": category[rows],
            "level_min": level.astype(np.int64)[rows],
            "facility_type": _text_column(facilities, "facility_type")[rows],
        }
    )
    # The type code may have no rule of its own while its Chinese name does.
    lookup = frame.assign(facility_type_zh=_text_column(facilities, "facility_type_zh")[rows])
    distance, rule_source = rules.resolve(lookup)
    frame["max_walk_m"] = distance
    frame["rule_source"] = rule_source
    xy = np.full((len(points), 2), np.nan)
    xy[points_located] = shapely.get_coordinates(points[points_located])
    frame["x"], frame["y"] = xy[:, 0], xy[:, 1]
    snapped = snap_points(network, points, max_snap_m)
    frame["segment"] = snapped.segment
    frame["along"] = snapped.along
    frame["offset"] = snapped.offset
    frame["hypothetical"] = False
    frame["surveyed"] = raw_surveyed[source[rows]]
    # Carried for what is printed of the results: the 示意 note and the sources line.
    frame["confidence"] = confidence_words(facilities)[rows]
    frame["source"] = _text_column(facilities, "source")[rows]
    return frame


@dataclass(frozen=True, eq=False)
class UnitWeights:
    """How much of each residential place lies in each planning unit.

    ``pop`` and ``area`` are (n_units, n_places) sparse matrices: a place's
    population is apportioned by the share of its polygon area inside the unit
    (a point place counts wholly in every unit that contains it).
    """

    layer: str
    ids: NDArray[np.object_]
    names: NDArray[np.object_]
    pop: csr_matrix
    area: csr_matrix
    names_en: NDArray[np.object_] | None = None  # "" where a unit has no English name


def prepare_units(layer: str, units: gpd.GeoDataFrame, places: Places) -> UnitWeights:
    """Apportion residential places to the polygons of a planning-unit layer.

    Parameters
    ----------
    layer : str
        The layer's name, e.g. ``"life_circles"``.
    units : GeoDataFrame
        Polygons in the places' CRS; ``id`` and a name (``name``, ``名称`` …) are
        used if present.
    places : Places

    Raises
    ------
    AnalysisError
        If the layer holds anything other than polygons.
    """
    geoms = np.asarray(units.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if np.any(~np.isin(shapely.get_type_id(geoms[present]), [3, 6])):
        raise AnalysisError(
            f"规划单元图层“{layer}”必须是面要素。",
            f"The planning-unit layer '{layer}' must contain polygons.",
        )
    geoms = geoms.copy()
    geoms[present] = shapely.make_valid(geoms[present])
    n_units, n_places = len(geoms), len(places)
    place_geom = places.geometry.copy()
    place_geom[~places.located] = None
    tree = shapely.STRtree(place_geom)
    ui, pi = tree.query(geoms[present], predicate="intersects")
    ui = np.flatnonzero(present)[ui]
    is_polygon = places.area_m2[pi] > 0
    inter = np.zeros(len(pi))
    if is_polygon.any():
        inter[is_polygon] = shapely.area(
            shapely.intersection(geoms[ui[is_polygon]], place_geom[pi[is_polygon]])
        )
    frac = np.where(is_polygon, inter / np.where(is_polygon, places.area_m2[pi], 1.0), 1.0)
    keep = frac > 0
    ui, pi, frac, inter = ui[keep], pi[keep], frac[keep], inter[keep]
    shape = (n_units, n_places)
    pop = csr_matrix((places.pop_weight[pi] * frac, (ui, pi)), shape=shape)
    area = csr_matrix((np.where(places.located[pi], inter, 0.0), (ui, pi)), shape=shape)
    names = _text_column(units, find_column(units, NAME_COLUMNS) or "name")
    ids = _ids(units, "u")
    names_en = _text_column(units, "name_en") if "name_en" in units.columns else None
    return UnitWeights(layer=layer, ids=ids, names=names, pop=pop, area=area, names_en=names_en)


