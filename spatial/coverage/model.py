"""The coverage model: distances from residential places to each facility group; what-if edits."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from spatial._errors import AnalysisError
from spatial.coverage.prepare import (
    _COMBO_INDEX,
    COMBOS,
    CoverageSettings,
    Places,
    combo_index,
)
from spatial.coverage_rules import CoverageRules
from spatial.network import (
    PointSources,
    WalkNetwork,
    distances_from_point_sources,
    point_distances,
    snap_points,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
GeomArray = NDArray[np.object_]


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

    def sources(self, rows: IntArray, group: int | None = None) -> PointSources:
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
        src = self.sources(usable)
        limits = self.group_limits
        # Let the old (groups × nodes) array go first: on a million-node network it is hundreds
        # of MB, and holding both would double it at the peak.
        self.node_dist = np.empty((0, self.network.n_nodes))
        self.node_dist = self._node_distances(src, limits)
        self.place_dist = self._place_distances(self.node_dist, src, limits)
        self._refresh_combos(np.arange(len(COMBOS)))

    def _recompute_group(self, g: int) -> None:
        rows = np.flatnonzero(self.facilities["group"].to_numpy() == g)
        src = self.sources(rows, group=0)
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
            "source_id": fid,
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
            "surveyed": True,
            "confidence": "",
            "source": "",
            "group": g,
        }
        self.facilities = pd.concat([self.facilities, pd.DataFrame([row])], ignore_index=True)
        # Incremental: distances can only shrink, so the new facility's own bounded search
        # merged by minimum equals a full recompute of its group.
        src = self.sources(np.asarray([len(self.facilities) - 1]), group=0)
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
        """Remove a facility (shipped or hypothetical; all gates of a polygon) and recompute."""
        row = self._row_of(fid)
        g = int(self.facilities["group"].to_numpy(dtype=np.int64)[row])
        rows = np.flatnonzero(self.facilities["facility_id"].to_numpy() == fid)
        self.facilities = self.facilities.drop(index=list(rows)).reset_index(drop=True)
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
        # A polygon facility's other gates would keep its old reach: it moves as one point.
        others = np.flatnonzero(self.facilities["facility_id"].to_numpy() == fid)
        others = others[others != row]
        if others.size:
            self.facilities = self.facilities.drop(index=list(others)).reset_index(drop=True)
            row = self._row_of(fid)
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

    def shown_facilities(self, category: str, level: int) -> NDArray[np.intp]:
        """Rows of the located facilities a map of ``category`` at ``level`` shows.

        ``category`` ``"all"`` shows every located facility (the nine-category view).
        """
        f = self.facilities
        show = np.asarray([g is not None for g in self.facility_points()], dtype=bool)
        if category != "all":
            show &= (f["category"].to_numpy() == category) & (f["level_min"].to_numpy() == level)
        return np.flatnonzero(show)

