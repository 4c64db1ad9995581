"""生活圈 coverage: walking distance from every residential place to each service category.

For residential place *i* (population Pᵢ, residential area Aᵢ) and category *k*
at life-circle level *L* (5/10/15 min), the place is **covered** when some
facility *f* of category *k* and level *L* lies within its own rule distance
along the road network: ``min_f (d(i, f) − T_f) ≤ 0`` where ``T_f`` comes
from the rule table (:mod:`spatial.coverage_rules`). Tiers do not cover each
other (GB 50180-2018): a 15-minute facility does not count for the 5-minute
level. Then::

    pop_share(k, L)  = Σ Pᵢ·covered(i, k, L) / Σ Pᵢ
    area_share(k, L) = Σ Aᵢ·covered(i, k, L) / Σ Aᵢ

Places and facilities are snapped to the nearest road *segment*; distances come
from one ``scipy.sparse.csgraph.dijkstra`` call with one super-source per
(category, level, distance) group (see :mod:`spatial.network`).

Conventions:

* A residential place is represented by one access point, the representative
  point of its polygon. Its area is the polygon area in the metric CRS.
* A place with no geometry is *unlocated*: listed, and left out of every share
  (its coverage is unknown). A place farther than ``max_snap_m`` from every road
  is *unsnapped*: listed, and counted as not covered (nobody walks there).
* Searches stop at a radius (twice each group's rule distance by default);
  farther distances are ``inf`` and gaps report "beyond the search limit".
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from spatial._errors import AnalysisError
from spatial.coverage_inputs import (
    NAME_COLUMNS,
    find_column,
    standardise_facilities,
    standardise_residential,
)
from spatial.coverage_rules import CoverageRules
from spatial.crs import WGS84, project_to_gk
from spatial.network import (
    DEFAULT_MAX_SNAP_M,
    DEFAULT_SNAP_GAP_M,
    PointSources,
    SnappedPoints,
    WalkNetwork,
    build_network,
    distances_from_point_sources,
    point_distances,
    reach_within,
    snap_points,
)
from spatial.service_categories import CATEGORIES, CATEGORY_CODES, LEVELS_MIN

__all__ = [
    "COMBOS",
    "CoverageModel",
    "CoverageSettings",
    "Places",
    "UnitWeights",
    "analyse",
    "categories_in_reach",
    "combo_index",
    "completeness_table",
    "gap_table",
    "lonlat_to_network",
    "network_to_lonlat",
    "place_table",
    "prepare_facilities",
    "prepare_places",
    "prepare_units",
    "report_tables",
    "result_layers",
    "straight_line_distances",
    "straight_line_table",
    "suggest_sites",
    "summary_table",
    "unit_table",
    "unsnapped_table",
]

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
    """

    max_snap_m: float = DEFAULT_MAX_SNAP_M
    snap_gap_m: float = DEFAULT_SNAP_GAP_M
    search_limit_m: float | None = None
    add_access_offset: bool = False

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

    def __len__(self) -> int:
        return len(self.ids)

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
    residential, population_known = standardise_residential(residential, require_population)
    ids = _ids(residential, "r")
    pop = pd.to_numeric(residential["population"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(pop) | (pop < 0)
    if bad.any():
        shown = _shown([str(i) for i in ids[bad]])
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
    )


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
        Points in the network's CRS with a category (a code of
        ``CATEGORY_CODES`` or a category name), optionally a level (5/10/15),
        ``facility_type``, a name and ``id``; column names as accepted by
        :func:`spatial.coverage_inputs.standardise_facilities`.

    Returns
    -------
    DataFrame
        One row per facility: ``facility_id, name, category, level_min, facility_type,
        max_walk_m, rule_source, x, y, segment, along, offset, hypothetical``
        (x, y NaN and segment -1 where the facility has no location).

    Raises
    ------
    AnalysisError
        Naming the facilities whose category or level is not valid, or the
        missing category column (a ``MissingColumnError``).
    """
    facilities = standardise_facilities(facilities, rules)
    fid = _ids(facilities, "f")
    category = facilities["category"].astype("string").fillna("").str.strip().to_numpy(dtype=object)
    level = pd.to_numeric(facilities["level_min"], errors="coerce").to_numpy(dtype=float)
    for bad, zh, en in (
        (~np.isin(category, CATEGORY_CODES), "类别不是九类生活圈之一",
         "have a category that is not one of the nine"),
        (~np.isin(level, LEVELS_MIN), "层级不是 5、10 或 15 分钟",
         "have a level_min that is not 5, 10 or 15"),
    ):
        if bad.any():
            shown = _shown([str(i) for i in fid[bad]])
            raise AnalysisError(f"以下设施的{zh}：{shown}。", f"These facilities {en}: {shown}.")
    geoms = shapely.force_2d(np.asarray(facilities.geometry.values, dtype=object))
    located = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if np.any(shapely.get_type_id(geoms[located]) != 0):
        raise AnalysisError("设施图层必须是点要素。", "The facility layer must contain points.")
    frame = pd.DataFrame(
        {
            "facility_id": fid,
            "name": _text_column(facilities, "name"),
            "category": category,
            "level_min": level.astype(np.int64),
            "facility_type": _text_column(facilities, "facility_type"),
        }
    )
    # The type code may have no rule of its own while its Chinese name does.
    lookup = frame.assign(facility_type_zh=_text_column(facilities, "facility_type_zh"))
    distance, source = rules.resolve(lookup)
    frame["max_walk_m"] = distance
    frame["rule_source"] = source
    xy = np.full((len(geoms), 2), np.nan)
    xy[located] = shapely.get_coordinates(geoms[located])
    frame["x"], frame["y"] = xy[:, 0], xy[:, 1]
    snapped = snap_points(network, geoms, max_snap_m)
    frame["segment"] = snapped.segment
    frame["along"] = snapped.along
    frame["offset"] = snapped.offset
    frame["hypothetical"] = False
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
    return UnitWeights(layer=layer, ids=ids, names=names, pop=pop, area=area)


@dataclass
class _Groups:
    """Facility groups: one super-source per (category, level, rule distance)."""

    category: list[str] = field(default_factory=list)
    level_min: list[int] = field(default_factory=list)
    max_walk_m: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.category)

    def index(self, category: str, level_min: int, max_walk_m: float) -> int | None:
        for g in range(len(self)):
            if (
                self.category[g] == category
                and self.level_min[g] == level_min
                and self.max_walk_m[g] == max_walk_m
            ):
                return g
        return None

    def combo(self) -> IntArray:
        return np.asarray(
            [_COMBO_INDEX[(c, lv)] for c, lv in zip(self.category, self.level_min, strict=True)],
            dtype=np.int64,
        )


class CoverageModel:
    """Coverage of residential places by the nine categories, with what-if edits.

    The expensive parts (network, snapping of places) are fixed; facilities can
    be added, moved and removed, and every derived figure is updated
    incrementally: an addition runs one bounded Dijkstra from the new
    facility's segment ends and takes the minimum with its group's node
    distances; a removal or move recomputes only that facility's group.

    Parameters
    ----------
    network : WalkNetwork
    places : Places
    facilities : DataFrame
        From :func:`prepare_facilities`.
    rules : CoverageRules
    settings : CoverageSettings
    """

    def __init__(
        self,
        network: WalkNetwork,
        places: Places,
        facilities: pd.DataFrame,
        rules: CoverageRules,
        settings: CoverageSettings | None = None,
    ) -> None:
        self.network = network
        self.places = places
        self.rules = rules
        self.settings = settings or CoverageSettings()
        self.facilities = facilities.reset_index(drop=True).copy()
        self._next_whatif = 1
        self.groups = _Groups()
        self.group_combo: IntArray = np.empty(0, dtype=np.int64)
        self.node_dist: FloatArray = np.empty((0, network.n_nodes))
        self.place_dist: FloatArray = np.empty((len(places), 0))
        # Per (category, level): nearest distance and the smallest (distance − rule distance).
        self.combo_dist: FloatArray = np.empty((0, len(COMBOS)))
        self.combo_excess: FloatArray = np.empty((0, len(COMBOS)))
        self.recompute()

    # --- distances ------------------------------------------------------------------------------
    def _usable(self) -> BoolArray:
        """Facilities that take part: snapped and with a rule distance."""
        f = self.facilities
        on_network = f["segment"].to_numpy(dtype=np.int64) >= 0
        return np.asarray(on_network & np.isfinite(f["max_walk_m"].to_numpy(dtype=float)))

    def _assign_groups(self) -> None:
        groups = _Groups()
        f = self.facilities
        usable = self._usable()
        group = np.full(len(f), -1, dtype=np.int64)
        cats = f["category"].to_numpy(dtype=object)
        levels = f["level_min"].to_numpy(dtype=np.int64)
        walks = f["max_walk_m"].to_numpy(dtype=float)
        for i in np.flatnonzero(usable):
            key = (str(cats[i]), int(levels[i]), float(walks[i]))
            g = groups.index(*key)
            if g is None:
                groups.category.append(key[0])
                groups.level_min.append(key[1])
                groups.max_walk_m.append(key[2])
                g = len(groups) - 1
            group[i] = g
        self.facilities["group"] = group
        self.groups = groups

    def _extra(self, offsets: FloatArray) -> FloatArray:
        if self.settings.add_access_offset:
            return np.nan_to_num(offsets)
        return np.zeros_like(offsets)

    def _sources(self, rows: IntArray, group: int | None = None) -> PointSources:
        """The facility rows as network sources (all in ``group`` when given)."""
        f = self.facilities
        groups = f["group"].to_numpy(dtype=np.int64)[rows]
        return PointSources.of(
            f["segment"].to_numpy(dtype=np.int64)[rows],
            f["along"].to_numpy(dtype=float)[rows],
            groups if group is None else np.full(len(rows), group, dtype=np.int64),
            self._extra(f["offset"].to_numpy(dtype=float)[rows]),
        )

    @property
    def group_limits(self) -> FloatArray:
        """Search radius of each facility group (m)."""
        return np.asarray(
            [self.settings.limit_for(m) for m in self.groups.max_walk_m], dtype=np.float64
        )

    def _node_distances(self, src: PointSources, limits: FloatArray) -> FloatArray:
        return distances_from_point_sources(self.network, src, len(limits), limits)

    def _place_distances(
        self, node_dist: FloatArray, src: PointSources, limits: FloatArray
    ) -> FloatArray:
        snapped = self.places.snapped
        dist = point_distances(
            self.network, node_dist, snapped.segment, snapped.along, src, limit_m=np.inf
        )
        if self.settings.add_access_offset:
            dist = dist + np.nan_to_num(snapped.offset)[:, None]
        dist[dist > limits] = np.inf
        return dist

    def recompute(self) -> None:
        """Recompute every distance from scratch (one Dijkstra call for all groups)."""
        self._assign_groups()
        usable = np.flatnonzero(self._usable())
        src = self._sources(usable)
        limits = self.group_limits
        self.node_dist = self._node_distances(src, limits)
        self.place_dist = self._place_distances(self.node_dist, src, limits)
        self._refresh_combos(np.arange(len(COMBOS)))

    def _recompute_group(self, g: int) -> None:
        rows = np.flatnonzero(self.facilities["group"].to_numpy() == g)
        src = self._sources(rows, group=0)
        limits = self.group_limits[g : g + 1]
        node = self._node_distances(src, limits)
        self.node_dist[g] = node[0]
        self.place_dist[:, g] = self._place_distances(node, src, limits)[:, 0]
        self._refresh_combos(np.asarray([self.group_combo[g]]))

    def _refresh_combos(self, combos: IntArray) -> None:
        """Recompute the per-(category, level) nearest distance and excess for some combos."""
        n_places = len(self.places)
        if self.combo_dist.shape[0] != n_places:
            self.combo_dist = np.full((n_places, len(COMBOS)), np.inf)
            self.combo_excess = np.full((n_places, len(COMBOS)), np.inf)
        self.group_combo = self.groups.combo()
        thresholds = np.asarray(self.groups.max_walk_m, dtype=float)
        for j in combos:
            cols = np.flatnonzero(self.group_combo == j)
            if cols.size == 0:
                self.combo_dist[:, j] = np.inf
                self.combo_excess[:, j] = np.inf
                continue
            d = self.place_dist[:, cols]
            self.combo_dist[:, j] = d.min(axis=1)
            self.combo_excess[:, j] = (d - thresholds[cols]).min(axis=1)

    @property
    def covered(self) -> BoolArray:
        """(n_places, 27) True where a place is within reach of the (category, level)."""
        return self.combo_excess <= 0

    # --- what-if --------------------------------------------------------------------------------
    def add_facility(
        self,
        category: str,
        level_min: int,
        x: float,
        y: float,
        facility_type: str | None = None,
        name: str = "",
    ) -> str:
        """Add a hypothetical facility at (x, y) in the network CRS; return its id.

        Raises
        ------
        AnalysisError
            If the point is farther than ``max_snap_m`` from every road, or the
            category/level has no rule.
        """
        combo_index(category, level_min)
        max_walk, source = self.rules.lookup(category, int(level_min), facility_type)
        snapped = snap_points(
            self.network, np.asarray([shapely.Point(x, y)], dtype=object), self.settings.max_snap_m
        )
        if not snapped.ok[0]:
            raise AnalysisError(
                f"该位置距最近道路 {snapped.offset[0]:.0f} 米，"
                f"超过 {self.settings.max_snap_m:.0f} 米，无法接入步行网络。",
                f"This location is {snapped.offset[0]:.0f} m from the nearest road, more than "
                f"{self.settings.max_snap_m:.0f} m; it cannot join the walking network.",
            )
        fid = f"whatif-{self._next_whatif}"
        self._next_whatif += 1
        g = self.groups.index(category, int(level_min), max_walk)
        if g is None:
            self.groups.category.append(category)
            self.groups.level_min.append(int(level_min))
            self.groups.max_walk_m.append(max_walk)
            g = len(self.groups) - 1
            self.node_dist = np.vstack([self.node_dist, np.full((1, self.network.n_nodes), np.inf)])
            self.place_dist = np.hstack([self.place_dist, np.full((len(self.places), 1), np.inf)])
            self.group_combo = self.groups.combo()
        row = {
            "facility_id": fid,
            "name": name,
            "category": category,
            "level_min": int(level_min),
            "facility_type": facility_type or "",
            "max_walk_m": max_walk,
            "rule_source": source,
            "x": float(x),
            "y": float(y),
            "segment": int(snapped.segment[0]),
            "along": float(snapped.along[0]),
            "offset": float(snapped.offset[0]),
            "hypothetical": True,
            "group": g,
        }
        self.facilities = pd.concat([self.facilities, pd.DataFrame([row])], ignore_index=True)
        # Incremental: distances can only shrink, so the new facility's own bounded search
        # merged by minimum equals a full recompute of its group.
        src = self._sources(np.asarray([len(self.facilities) - 1]), group=0)
        limits = self.group_limits[g : g + 1]
        node = self._node_distances(src, limits)
        np.minimum(self.node_dist[g], node[0], out=self.node_dist[g])
        self.place_dist[:, g] = np.minimum(
            self.place_dist[:, g], self._place_distances(node, src, limits)[:, 0]
        )
        self._refresh_combos(np.asarray([self.group_combo[g]]))
        return fid

    def _row_of(self, fid: str) -> int:
        hits = np.flatnonzero(self.facilities["facility_id"].to_numpy() == fid)
        if hits.size == 0:
            raise AnalysisError(f"没有编号为“{fid}”的设施。", f"There is no facility '{fid}'.")
        return int(hits[0])

    def remove_facility(self, fid: str) -> None:
        """Remove a facility (shipped or hypothetical) and recompute its group."""
        row = self._row_of(fid)
        g = int(self.facilities["group"].to_numpy(dtype=np.int64)[row])
        self.facilities = self.facilities.drop(index=row).reset_index(drop=True)
        if g >= 0:
            self._recompute_group(g)

    def move_facility(self, fid: str, x: float, y: float) -> None:
        """Move a facility to (x, y) in the network CRS and recompute its group.

        Raises
        ------
        AnalysisError
            If the new location is too far from every road (the facility stays put).
        """
        row = self._row_of(fid)
        snapped = snap_points(
            self.network, np.asarray([shapely.Point(x, y)], dtype=object), self.settings.max_snap_m
        )
        if not snapped.ok[0]:
            raise AnalysisError(
                f"新位置距最近道路 {snapped.offset[0]:.0f} 米，无法接入步行网络。",
                f"The new location is {snapped.offset[0]:.0f} m from the nearest road; "
                "it cannot join the walking network.",
            )
        old_group = int(self.facilities["group"].to_numpy(dtype=np.int64)[row])
        for col, value in (
            ("x", float(x)),
            ("y", float(y)),
            ("segment", int(snapped.segment[0])),
            ("along", float(snapped.along[0])),
            ("offset", float(snapped.offset[0])),
        ):
            self.facilities.at[row, col] = value
        if old_group < 0:
            # It had no location or no road before: it joins the groups now.
            self.recompute()
        else:
            self._recompute_group(old_group)

    def facility_points(self) -> GeomArray:
        """Facility locations as Points in the network CRS (None where unknown)."""
        x = self.facilities["x"].to_numpy(dtype=float)
        y = self.facilities["y"].to_numpy(dtype=float)
        ok = np.isfinite(x) & np.isfinite(y)
        out = np.full(len(x), None, dtype=object)
        out[ok] = shapely.points(x[ok], y[ok])
        return out


# --- tables -------------------------------------------------------------------------------------
def _share(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def _combo_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "category": [c for c, _ in COMBOS],
            "category_name": [_NAME_ZH[c] for c, _ in COMBOS],
            "category_name_en": [_NAME_EN[c] for c, _ in COMBOS],
            "level_min": [lv for _, lv in COMBOS],
        }
    )


def summary_table(model: CoverageModel) -> pd.DataFrame:
    """Population and residential-area share covered, per category × level, for the whole zone.

    Columns: category, category_name, category_name_en, level_min, n_facilities
    (on the network), default_max_walk_m, population, population_covered,
    pop_share, area_m2, area_covered_m2, area_share.
    """
    covered = model.covered.astype(float)
    pop = model.places.pop_weight
    area = model.places.area_weight
    out = _combo_frame()
    group = model.facilities["group"].to_numpy(dtype=np.int64)
    combo_of_facility = model.group_combo[group[group >= 0]]
    out["n_facilities"] = np.bincount(combo_of_facility, minlength=len(COMBOS))
    out["default_max_walk_m"] = [model.rules.default_m(c, lv) for c, lv in COMBOS]
    out["population"] = pop.sum()
    out["population_covered"] = pop @ covered
    out["pop_share"] = _share(out["population_covered"].to_numpy(), out["population"].to_numpy())
    out["area_m2"] = area.sum()
    out["area_covered_m2"] = area @ covered
    out["area_share"] = _share(out["area_covered_m2"].to_numpy(), out["area_m2"].to_numpy())
    return out


def unit_table(model: CoverageModel, units: list[UnitWeights]) -> pd.DataFrame:
    """The shares of :func:`summary_table` for each planning unit.

    Columns: unit_layer, unit_id, unit_name, category, category_name, level_min,
    population, population_covered, pop_share, area_m2, area_covered_m2, area_share.
    """
    covered = model.covered.astype(float)
    frames = []
    combos = _combo_frame()
    for u in units:
        pop_total = np.asarray(u.pop.sum(axis=1)).ravel()
        area_total = np.asarray(u.area.sum(axis=1)).ravel()
        pop_cov = np.asarray(u.pop @ covered)
        area_cov = np.asarray(u.area @ covered)
        n_units = len(u.ids)
        frame = pd.DataFrame(
            {
                "unit_layer": u.layer,
                "unit_id": np.repeat(u.ids, len(COMBOS)),
                "unit_name": np.repeat(u.names, len(COMBOS)),
                "category": np.tile(combos["category"].to_numpy(), n_units),
                "category_name": np.tile(combos["category_name"].to_numpy(), n_units),
                "level_min": np.tile(combos["level_min"].to_numpy(), n_units),
                "population": np.repeat(pop_total, len(COMBOS)),
                "population_covered": pop_cov.ravel(),
                "area_m2": np.repeat(area_total, len(COMBOS)),
                "area_covered_m2": area_cov.ravel(),
            }
        )
        frame["pop_share"] = _share(
            frame["population_covered"].to_numpy(), frame["population"].to_numpy()
        )
        frame["area_share"] = _share(
            frame["area_covered_m2"].to_numpy(), frame["area_m2"].to_numpy()
        )
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def categories_in_reach(model: CoverageModel) -> dict[str, IntArray]:
    """Number of the nine categories in reach per place, per level and for any level.

    Keys ``"5"``, ``"10"``, ``"15"`` count categories covered at that level;
    ``"any"`` counts categories covered at at least one level.
    """
    covered = model.covered.reshape(len(model.places), len(CATEGORY_CODES), len(LEVELS_MIN))
    out = {
        str(lv): covered[:, :, i].sum(axis=1).astype(np.int64) for i, lv in enumerate(LEVELS_MIN)
    }
    out["any"] = covered.any(axis=2).sum(axis=1).astype(np.int64)
    return out


def completeness_table(model: CoverageModel) -> pd.DataFrame:
    """Completeness: how many categories residents have in reach, and who has all nine.

    One row per level (5, 10, 15, any): population with 0 … 9 categories in
    reach (columns ``pop_0`` … ``pop_9``), the mean number of categories per
    resident, and ``share_all_nine`` (完整生活圈覆盖率).
    """
    pop = model.places.pop_weight
    total = pop.sum()
    rows = []
    for level, counts in categories_in_reach(model).items():
        hist = np.bincount(counts, weights=pop, minlength=len(CATEGORY_CODES) + 1)
        row: dict[str, object] = {"level": level}
        row.update({f"pop_{k}": float(hist[k]) for k in range(len(CATEGORY_CODES) + 1)})
        row["mean_categories"] = float(pop @ counts / total) if total > 0 else math.nan
        row["share_all_nine"] = float(hist[len(CATEGORY_CODES)] / total) if total > 0 else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _finite_or_nan(values: FloatArray) -> FloatArray:
    return np.where(np.isfinite(values), np.round(values, _DECIMALS), np.nan)


def gap_table(model: CoverageModel) -> pd.DataFrame:
    """Residential places not covered, per category × level, largest population first.

    Only (category, level) pairs with at least one facility on the network are
    listed (a pair without any facility is one gap for everyone and shows in
    :func:`summary_table` as ``n_facilities = 0``). Unlocated places are not
    listed here (see :func:`unsnapped_table`).

    Columns: place_id, place_name, population, category, category_name,
    level_min, nearest_m (NaN = beyond the search limit or not on the network),
    excess_m (how much farther than the rule distance), status
    (``too_far`` / ``beyond_search_limit`` / ``not_on_network``).
    """
    with_fac = summary_table(model)["n_facilities"].to_numpy() > 0
    p = model.places
    gap = ~model.covered & with_fac[None, :] & p.located[:, None]
    pi, j = np.nonzero(gap)
    nearest = model.combo_dist[pi, j]
    excess = model.combo_excess[pi, j]
    status = np.where(
        ~p.snapped.ok[pi],
        "not_on_network",
        np.where(np.isfinite(nearest), "too_far", "beyond_search_limit"),
    )
    out = pd.DataFrame(
        {
            "place_id": p.ids[pi],
            "place_name": p.names[pi],
            "population": p.population[pi],
            "category": [COMBOS[k][0] for k in j],
            "category_name": [_NAME_ZH[COMBOS[k][0]] for k in j],
            "level_min": [COMBOS[k][1] for k in j],
            "nearest_m": _finite_or_nan(nearest),
            "excess_m": _finite_or_nan(excess),
            "status": status,
        }
    )
    return out.sort_values(
        ["population", "excess_m"], ascending=[False, False], na_position="first", kind="stable"
    ).reset_index(drop=True)


def straight_line_distances(model: CoverageModel) -> tuple[FloatArray, BoolArray]:
    """Straight-line distance to the nearest facility per combo, and straight-line coverage.

    Uses every located facility (also those not on the network) and the
    places' access points, i.e. what a radius drawn around each facility claims.

    Returns
    -------
    tuple
        (n_places, 27) distances and (n_places, 27) covered flags.
    """
    p = model.places
    n = len(p)
    dist = np.full((n, len(COMBOS)), np.inf)
    excess = np.full((n, len(COMBOS)), np.inf)
    f = model.facilities
    ok = np.isfinite(f["x"].to_numpy(dtype=float)) & np.isfinite(
        f["max_walk_m"].to_numpy(dtype=float)
    )
    xy = np.full((n, 2), np.nan)
    xy[p.located] = shapely.get_coordinates(p.access[p.located])
    located = np.flatnonzero(p.located)
    fl = f[ok]
    for (cat, lv, thr), grp in fl.groupby(["category", "level_min", "max_walk_m"]):
        j = _COMBO_INDEX[(str(cat), int(lv))]
        tree = cKDTree(grp[["x", "y"]].to_numpy(dtype=float))
        d, _ = tree.query(xy[located])
        dist[located, j] = np.minimum(dist[located, j], d)
        excess[located, j] = np.minimum(excess[located, j], d - float(thr))
    return dist, excess <= 0


def straight_line_table(model: CoverageModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where a straight-line radius would over-claim coverage.

    Returns
    -------
    tuple of DataFrame
        Per category × level: ``pop_share_network``, ``pop_share_straight``,
        ``overclaim_population`` (covered by a radius, not on foot),
        ``overclaim_share``, ``underclaim_population``; and per place the
        over-claimed pairs: place_id, place_name, population, category,
        level_min, straight_m, network_m.
    """
    straight_d, straight_cov = straight_line_distances(model)
    net_cov = model.covered
    pop = model.places.pop_weight
    total = pop.sum()
    over = straight_cov & ~net_cov
    under = ~straight_cov & net_cov
    summary = _combo_frame()
    summary["pop_share_network"] = _share(pop @ net_cov, np.full(len(COMBOS), total))
    summary["pop_share_straight"] = _share(pop @ straight_cov, np.full(len(COMBOS), total))
    summary["overclaim_population"] = pop @ over
    summary["overclaim_share"] = _share(pop @ over, np.full(len(COMBOS), total))
    summary["underclaim_population"] = pop @ under
    pi, j = np.nonzero(over & model.places.located[:, None])
    p = model.places
    detail = pd.DataFrame(
        {
            "place_id": p.ids[pi],
            "place_name": p.names[pi],
            "population": p.population[pi],
            "category": [COMBOS[k][0] for k in j],
            "level_min": [COMBOS[k][1] for k in j],
            "straight_m": np.round(straight_d[pi, j], _DECIMALS),
            "network_m": _finite_or_nan(model.combo_dist[pi, j]),
        }
    ).sort_values("population", ascending=False, kind="stable")
    return summary, detail.reset_index(drop=True)


def unsnapped_table(model: CoverageModel) -> pd.DataFrame:
    """Places and facilities that are not on the walking network, and why.

    Columns: layer (``residential`` / ``facilities``), id, name, status
    (``no_location`` / ``too_far_from_road`` / ``no_rule``), distance_to_road_m.
    """
    p = model.places
    rows = []
    for i in np.flatnonzero(~p.located):
        rows.append(("residential", p.ids[i], p.names[i], "no_location", math.nan))
    for i in np.flatnonzero(p.located & ~p.snapped.ok):
        rows.append(("residential", p.ids[i], p.names[i], "too_far_from_road", p.snapped.offset[i]))
    f = model.facilities
    x = f["x"].to_numpy(dtype=float)
    seg = f["segment"].to_numpy(dtype=np.int64)
    rule = np.isfinite(f["max_walk_m"].to_numpy(dtype=float))
    offset = f["offset"].to_numpy(dtype=float)
    fid = f["facility_id"].to_numpy(dtype=object)
    name = f["name"].to_numpy(dtype=object)
    for k in range(len(f)):
        if not np.isfinite(x[k]):
            status, dist = "no_location", math.nan
        elif seg[k] < 0:
            status, dist = "too_far_from_road", float(offset[k])
        elif not rule[k]:
            status, dist = "no_rule", float(offset[k])
        else:
            continue
        rows.append(("facilities", fid[k], name[k], status, dist))
    out = pd.DataFrame(rows, columns=["layer", "id", "name", "status", "distance_to_road_m"])
    out["distance_to_road_m"] = np.round(out["distance_to_road_m"].astype(float), _DECIMALS)
    return out


def place_table(model: CoverageModel) -> pd.DataFrame:
    """Long table: each place × category × level with distance, rule margin and coverage."""
    p = model.places
    n = len(p)
    combos = _combo_frame()
    out = pd.DataFrame(
        {
            "place_id": np.repeat(p.ids, len(COMBOS)),
            "place_name": np.repeat(p.names, len(COMBOS)),
            "population": np.repeat(p.population, len(COMBOS)),
            "category": np.tile(combos["category"].to_numpy(), n),
            "level_min": np.tile(combos["level_min"].to_numpy(), n),
            "nearest_m": _finite_or_nan(model.combo_dist.ravel()),
            "excess_m": _finite_or_nan(model.combo_excess.ravel()),
            "covered": model.covered.ravel(),
        }
    )
    return out


# --- site suggestion ----------------------------------------------------------------------------
def suggest_sites(
    model: CoverageModel,
    category: str,
    level_min: int,
    k: int,
    facility_type: str | None = None,
    candidates: IntArray | None = None,
) -> pd.DataFrame:
    """Greedy k best new sites (road nodes) for one category and level.

    The gain of a candidate node is the population of currently uncovered
    places within the rule distance of a facility placed there; the greedy loop
    takes the best, marks those places covered and repeats (the classic
    max-coverage heuristic, within 1 − 1/e of the optimum). It stops early when
    no candidate adds anyone.

    Parameters
    ----------
    model : CoverageModel
    category, level_min : str, int
    k : int
        Number of sites wanted.
    facility_type : str, optional
        Type whose rule distance applies (the tier default otherwise).
    candidates : ndarray of int, optional
        Node indices to choose from; all nodes by default.

    Returns
    -------
    DataFrame
        rank, node, x, y (network CRS), gain_population, population_covered
        and pop_share after adding sites 1 … rank.
    """
    j = combo_index(category, level_min)
    threshold, _ = model.rules.lookup(category, int(level_min), facility_type)
    p = model.places
    pop = p.pop_weight
    total = pop.sum()
    covered_pop = float(pop @ model.covered[:, j])
    open_rows = np.flatnonzero(~model.covered[:, j] & p.snapped.ok & (pop > 0))
    extra = (
        np.nan_to_num(p.snapped.offset) if model.settings.add_access_offset else np.zeros(len(p))
    )
    src = PointSources.of(
        p.snapped.segment[open_rows], p.snapped.along[open_rows], np.arange(open_rows.size),
        extra[open_rows],
    )
    reach = reach_within(model.network, src, open_rows.size, threshold)
    cand = np.arange(model.network.n_nodes) if candidates is None else np.asarray(candidates)
    reach = reach[:, cand].tocsc()
    weights = pop[open_rows].copy()
    rows = []
    for rank in range(1, int(k) + 1):
        gains = np.asarray(reach.T @ weights).ravel()
        if gains.size == 0 or gains.max() <= 0:
            break
        best = int(np.argmax(gains))
        newly = reach[:, best].nonzero()[0]
        weights[newly] = 0.0
        covered_pop += float(gains[best])
        node = int(cand[best])
        rows.append(
            {
                "rank": rank,
                "node": node,
                "x": float(model.network.node_xy[node, 0]),
                "y": float(model.network.node_xy[node, 1]),
                "gain_population": float(gains[best]),
                "population_covered": covered_pop,
                "pop_share": covered_pop / total if total > 0 else math.nan,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["rank", "node", "x", "y", "gain_population", "population_covered", "pop_share"],
    )


# --- coordinates --------------------------------------------------------------------------------
def lonlat_to_network(network: WalkNetwork, lon: float, lat: float) -> tuple[float, float]:
    """WGS84 lon/lat of a click or a typed position → the network's metric x, y."""
    x, y = Transformer.from_crs(WGS84, network.crs, always_xy=True).transform(lon, lat)
    return float(x), float(y)


def network_to_lonlat(
    network: WalkNetwork, x: ArrayLike, y: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """The network's metric x, y → WGS84 lon/lat arrays."""
    lon, lat = Transformer.from_crs(network.crs, WGS84, always_xy=True).transform(
        np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    )
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


# --- whole run ----------------------------------------------------------------------------------
def _metric(layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The layer in metres: kept as is when already projected, else its Gauss–Krüger zone."""
    if layer.crs is not None and CRS.from_user_input(layer.crs).is_projected:
        return layer
    return project_to_gk(layer)


def analyse(
    roads: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    residential: gpd.GeoDataFrame,
    rules: CoverageRules,
    settings: CoverageSettings | None = None,
    units: Mapping[str, gpd.GeoDataFrame] | None = None,
    network: WalkNetwork | None = None,
    require_population: bool = True,
) -> tuple[CoverageModel, list[UnitWeights]]:
    """Run the coverage analysis on layers in any CRS.

    A road layer in lon/lat is projected to its Gauss–Krüger zone (EPSG:4547
    for Hebi); one already in a projected CRS is used as is. The other layers
    are brought to the road layer's CRS.

    Parameters
    ----------
    roads, facilities, residential : GeoDataFrame
        See :func:`spatial.network.build_network`, :func:`prepare_facilities`
        and :func:`prepare_places`.
    rules : CoverageRules
    settings : CoverageSettings, optional
    units : mapping of layer name to GeoDataFrame, optional
        Planning-unit polygon layers (life circles, parks …).
    network : WalkNetwork, optional
        A network already built from ``roads`` (to reuse a cached one).
    require_population : bool
        If False, a residential layer without population is analysed for the
        area shares only (see :func:`prepare_places`).

    Returns
    -------
    tuple
        The model and the unit weights (for :func:`unit_table`).
    """
    settings = settings or CoverageSettings()
    if network is None:
        network = build_network(_metric(roads), snap_gap_m=settings.snap_gap_m)
    epsg = network.crs.to_epsg()
    places = prepare_places(
        residential.to_crs(epsg if epsg else network.crs), network, settings.max_snap_m,
        require_population,
    )
    fac = prepare_facilities(
        facilities.to_crs(epsg if epsg else network.crs), network, rules, settings.max_snap_m
    )
    model = CoverageModel(network, places, fac, rules, settings)
    weights = [
        prepare_units(name, layer.to_crs(network.crs), places)
        for name, layer in (units or {}).items()
    ]
    return model, weights


def report_tables(model: CoverageModel, units: list[UnitWeights]) -> dict[str, pd.DataFrame]:
    """Every output table of a run, by file stem (for CSV export)."""
    straight, overclaims = straight_line_table(model)
    tables = {
        "summary": summary_table(model),
        "completeness": completeness_table(model),
        "gaps": gap_table(model),
        "straight_line": straight,
        "straight_line_overclaims": overclaims,
        "places": place_table(model),
        "unsnapped": unsnapped_table(model),
        "facilities": model.facilities.drop(columns=["group"]).round(_DECIMALS),
    }
    if units:
        tables["units"] = unit_table(model, units)
    return tables


def result_layers(model: CoverageModel) -> dict[str, gpd.GeoDataFrame]:
    """Result layers in WGS84: residential coverage (wide), facilities, access points, network."""
    p = model.places
    crs = model.network.crs
    wide: dict[str, object] = {
        "place_id": p.ids,
        "name": p.names,
        "population": p.population,
        "area_m2": np.round(p.area_m2, _DECIMALS),
        "on_network": p.snapped.ok,
        "road_offset_m": np.round(p.snapped.offset, _DECIMALS),
    }
    for j, (cat, lv) in enumerate(COMBOS):
        wide[f"d_{cat}_{lv}"] = _finite_or_nan(model.combo_dist[:, j])
        wide[f"ok_{cat}_{lv}"] = model.covered[:, j]
    for level, counts in categories_in_reach(model).items():
        wide[f"n_in_reach_{level}"] = counts
    residential = gpd.GeoDataFrame(wide, geometry=list(p.geometry), crs=crs)
    fac = model.facilities.drop(columns=["group"]).copy()
    facilities = gpd.GeoDataFrame(fac, geometry=list(model.facility_points()), crs=crs)
    access = gpd.GeoDataFrame(
        {"place_id": p.ids, "on_network": p.snapped.ok}, geometry=list(p.access), crs=crs
    )
    return {
        "residential_coverage": residential.to_crs(WGS84),
        "facilities": facilities.to_crs(WGS84),
        "access_points": access.to_crs(WGS84),
        "network": model.network.segments_gdf().to_crs(WGS84),
    }
