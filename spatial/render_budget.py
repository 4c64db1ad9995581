"""Bound what one uploaded layer costs every browser that draws it.

An accepted upload may still hold far more vertices than a browser can draw
quickly (the import caps are about what the *server* can check). Shipped
whole, one such layer would stall every map that shows it. So a layer over
its share of the map's budget is drawn *lighter*: lines and polygons are
simplified in metres with a growing tolerance, points are thinned with a
fixed stride. The stored data is never changed; the map says what it did.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from spatial.crs import WGS84, project_to_gk

__all__ = ["MAP_VERTEX_BUDGET", "BudgetNote", "fit_to_budget", "layer_vertices"]

# Vertices of uploaded layers one map may ship in total (a few MB of GeoJSON; paints in ~1 s).
MAP_VERTEX_BUDGET = 50_000
_FIRST_TOLERANCE_M = 1.0
_MAX_ROUNDS = 14  # 1 m doubled 14 times is 16 km: beyond that a layer is only a sketch anyway


@dataclass(frozen=True)
class BudgetNote:
    """What was done to a layer to fit the budget (for a notice next to the map).

    Attributes
    ----------
    vertices_before, vertices_after : int
        Vertex counts of the stored and of the drawn layer.
    tolerance_m : float
        Simplification tolerance used for lines/polygons (0 if none).
    points_kept, points_total : int
        Point vertices drawn and stored (equal if points were not thinned).
    """

    vertices_before: int
    vertices_after: int
    tolerance_m: float
    points_kept: int
    points_total: int

    def message(self, title: str, lang: str) -> str:
        """A one-line notice (``title`` must already be escaped for its target)."""
        if lang == "en":
            parts = [f"“{title}” has {self.vertices_before:,} vertices, more than the map draws "
                     f"quickly; it is drawn lighter ({self.vertices_after:,} vertices"]
            if self.tolerance_m:
                parts.append(f", lines and areas simplified to {self.tolerance_m:g} m")
            if self.points_kept < self.points_total:
                parts.append(f", {self.points_kept:,} of {self.points_total:,} points shown")
            return "".join(parts) + "). The stored data is unchanged."
        parts = [f"图层“{title}”共有 {self.vertices_before:,} 个节点，超出地图流畅显示的范围，"
                 f"已简化显示（约 {self.vertices_after:,} 个节点"]
        if self.tolerance_m:
            parts.append(f"，线和面按 {self.tolerance_m:g} 米简化")
        if self.points_kept < self.points_total:
            parts.append(f"，点显示 {self.points_total:,} 个中的 {self.points_kept:,} 个")
        return "".join(parts) + "）。保存的数据没有改动。"


def layer_vertices(gdf: gpd.GeoDataFrame) -> int:
    """Total number of vertices of a layer's geometries."""
    return int(shapely.get_num_coordinates(np.asarray(gdf.geometry.values, dtype=object)).sum())


def fit_to_budget(
    gdf: gpd.GeoDataFrame, budget: int = MAP_VERTEX_BUDGET
) -> tuple[gpd.GeoDataFrame, BudgetNote | None]:
    """Return the layer as it may be drawn within ``budget`` vertices, and what was done.

    Parameters
    ----------
    gdf : GeoDataFrame
        A layer in any CRS (WGS84 for uploaded layers).
    budget : int
        Largest number of vertices to draw.

    Returns
    -------
    tuple
        The (possibly lighter) layer in the same CRS and row order (thinned
        point features are dropped), and a :class:`BudgetNote`, or None if the
        layer fitted as it was.
    """
    before = layer_vertices(gdf)
    if before <= budget:
        return gdf, None
    budget = max(budget, 1)
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    kinds = shapely.get_type_id(geoms)
    is_point = np.isin(kinds, (0, 4))  # Point, MultiPoint
    counts = shapely.get_num_coordinates(geoms)
    point_total = int(counts[is_point].sum())
    other_total = before - point_total
    # Share the budget in proportion to what each kind holds.
    point_budget = int(budget * point_total / before)
    other_budget = budget - point_budget
    out = gdf.copy()
    keep = np.ones(len(gdf), dtype=bool)
    points_kept = point_total
    if point_total > point_budget:
        stride = int(np.ceil(point_total / max(point_budget, 1)))
        single = is_point & (kinds == 0)
        idx = np.flatnonzero(single)
        keep[idx[np.arange(len(idx)) % stride != 0]] = False
        multi = np.flatnonzero(kinds == 4)
        if len(multi):
            thinned = [shapely.MultiPoint(shapely.get_parts(g)[::stride]) for g in geoms[multi]]
            out.loc[out.index[multi], out.geometry.name] = thinned
        points_kept = int(np.ceil(int(counts[single].sum()) / stride)) + sum(
            int(np.ceil(int(c) / stride)) for c in counts[multi]
        )
    tolerance = 0.0
    if other_total > other_budget:
        lines = ~is_point
        source = out.geometry[lines]
        crs = source.crs or WGS84
        gk = project_to_gk(source.set_crs(crs, allow_override=True))
        tolerance = _FIRST_TOLERANCE_M
        for _ in range(_MAX_ROUNDS):
            light = gk.simplify(tolerance, preserve_topology=True)
            if layer_vertices(gpd.GeoDataFrame(geometry=light)) <= other_budget:
                break
            tolerance *= 2
        out.loc[out.index[lines], out.geometry.name] = light.to_crs(crs).values
    out = out[keep]
    note = BudgetNote(before, layer_vertices(out), tolerance, points_kept, point_total)
    return out, note
