"""Walksheds (service areas): the streets within walking reach of facilities, as polygons.

What QGIS's "service area" gives as lines, drawn as areas: every street part
within the walking distance of a facility (whole segments where both ends are
in reach, the reachable part of a segment otherwise, and the stretch either
side of a facility on its own segment), buffered by :data:`WALKSHED_BAND_M`
either side — the frontage a resident reaches from that street. A walkshed of
more than :data:`EXACT_MAX_PARTS` street parts (a whole category on a city
network) is drawn on cells of half the band instead, exact to one cell. One polygon per
facility (:func:`facility_walksheds`) or per category and level
(:func:`category_walksheds`); both come from the same node distances as the
coverage figures, so a block inside a walkshed is a block the analysis covers
(up to its access point's distance from the street).
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from spatial.coverage.model import CoverageModel
from spatial.coverage.prepare import _NAME_EN, _NAME_ZH, COMBOS
from spatial.crs import WGS84
from spatial.network import PointSources, WalkNetwork, distances_from_point_sources

__all__ = [
    "WALKSHED_BAND_M",
    "category_walksheds",
    "facility_walksheds",
    "walkshed_polygons",
]

# Half-width of the band drawn along reachable streets (m): a street-facing plot's depth.
WALKSHED_BAND_M = 50.0
# Facilities per Dijkstra call when each needs its own row (bounds memory: rows × nodes).
_CHUNK = 64
# Above this many street parts a walkshed is drawn on cells of half the band (see _cells):
# buffering and unioning thousands of parts took seconds to minutes; cells are 3-10x faster.
EXACT_MAX_PARTS = 200
# Below this band (m) cells would be too many and too small: always exact.
_MIN_CELL_BAND_M = 10.0

FloatArray = NDArray[np.float64]
GeomArray = NDArray[np.object_]


def _substrings(lines: GeomArray, lo: FloatArray, hi: FloatArray) -> GeomArray:
    """The part of each line between distances ``lo`` and ``hi`` along it (0 ≤ lo < hi ≤ length).

    ``shapely.ops.substring`` for many lines at once: the interpolated end
    points, and the line's vertices strictly between them, as one
    ``shapely.linestrings`` call.
    """
    if len(lines) == 0:
        return np.empty(0, dtype=object)
    first = shapely.get_coordinates(shapely.line_interpolate_point(lines, lo))
    last = shapely.get_coordinates(shapely.line_interpolate_point(lines, hi))
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    step = np.zeros(len(xy))
    same = owner[1:] == owner[:-1]
    step[1:] = np.where(same, np.hypot(*(xy[1:] - xy[:-1]).T), 0.0)
    cum = np.cumsum(step)
    start_of_line = np.concatenate([[0], np.flatnonzero(~same) + 1])
    cum -= np.repeat(cum[start_of_line], np.diff(np.append(start_of_line, len(xy))))
    inner = (cum > lo[owner]) & (cum < hi[owner])
    n = len(lines)
    rows_owner = np.concatenate([np.arange(n), owner[inner], np.arange(n)])
    rows_seq = np.concatenate([np.full(n, -np.inf), cum[inner], np.full(n, np.inf)])
    rows_xy = np.concatenate([first, xy[inner], last])
    order = np.lexsort((rows_seq, rows_owner))
    return np.asarray(shapely.linestrings(rows_xy[order], indices=rows_owner[order]),
                      dtype=object)


def _reachable_lines(
    network: WalkNetwork, remaining: FloatArray, own: PointSources, budget: FloatArray
) -> tuple[GeomArray, NDArray[np.int64], FloatArray, FloatArray]:
    """The street parts within reach for one walkshed (``remaining`` = budget left per node).

    Returns the segments wholly in reach, and the partly reached ones as
    (segment, from, to) distances along them, for :func:`_substrings`.
    """
    seg_len = network.seg_len
    ru = remaining[network.seg_u]
    rv = remaining[network.seg_v]
    touched = (ru >= 0) | (rv >= 0)
    full = touched & (np.maximum(ru, 0) + np.maximum(rv, 0) >= seg_len)
    from_u = np.flatnonzero(touched & ~full & (ru > 0))
    from_v = np.flatnonzero(touched & ~full & (rv > 0))
    # A facility whose own segment is not wholly in reach still reaches along it.
    mine = (budget > 0) & ~full[own.segment]
    own_seg = own.segment[mine]
    own_lo = np.maximum(0.0, own.along[mine] - budget[mine])
    own_hi = np.minimum(seg_len[own_seg], own.along[mine] + budget[mine])
    part_seg = np.concatenate([from_u, from_v, own_seg])
    part_lo = np.concatenate([np.zeros(from_u.size), seg_len[from_v] - rv[from_v], own_lo])
    part_hi = np.concatenate([ru[from_u], seg_len[from_v], own_hi])
    return network.segments[full], part_seg, part_lo, part_hi


def _cells(lines: GeomArray, band_m: float) -> Any:
    """The band around many lines, drawn on square cells of half the band (exact to one cell).

    Points every quarter band along the lines mark their cells and the cells
    within the band around them; each row's runs of marked cells become one box,
    and the boxes (edge to edge, never overlapping) are merged by a coverage union.
    """
    cell = band_m / 2.0
    xy = shapely.get_coordinates(shapely.segmentize(lines, cell / 2.0))
    # Cells as one int64 key each (1-D unique is fast): the cells the lines pass through
    # first, then those cells grown by the band.
    shift = np.int64(1) << 32
    reach = 2  # cells either side: 2 × (band / 2) = the band
    base = np.floor(xy / cell).astype(np.int64)
    # Non-negative cell numbers (grown cells included) so that a key decodes by divmod.
    origin = base.min(axis=0) - reach
    base -= origin
    keys = np.unique(base[:, 0] * shift + base[:, 1])
    bx, by = np.divmod(keys, shift)
    offsets = np.asarray(
        [(dx, dy) for dx in range(-reach, reach + 1) for dy in range(-reach, reach + 1)
         if dx * dx + dy * dy <= reach * reach + 1],
        dtype=np.int64,
    )
    grown = np.unique(
        ((bx[:, None] + offsets[None, :, 0]) * shift + (by[:, None] + offsets[None, :, 1])).ravel()
    )
    ix, iy = np.divmod(grown, shift)
    ix, iy = ix + origin[0], iy + origin[1]
    order = np.lexsort((ix, iy))
    ix, iy = ix[order], iy[order]
    start = np.ones(len(ix), dtype=bool)
    start[1:] = (iy[1:] != iy[:-1]) | (ix[1:] != ix[:-1] + 1)
    first = np.flatnonzero(start)
    last = np.append(first[1:], len(ix)) - 1
    boxes = shapely.box(ix[first] * cell, iy[first] * cell, (ix[last] + 1) * cell,
                        (iy[first] + 1) * cell)
    return shapely.coverage_union_all(boxes)


def walkshed_polygons(
    network: WalkNetwork,
    node_dist: FloatArray,
    limits: FloatArray,
    sources: PointSources,
    band_m: float = WALKSHED_BAND_M,
) -> GeomArray:
    """One walkshed polygon per row of ``node_dist`` (None where nothing is in reach).

    Parameters
    ----------
    network : WalkNetwork
    node_dist : ndarray, shape (k, n_nodes)
        Distance from each node to the row's sources (``inf`` beyond reach).
    limits : ndarray, shape (k,)
        Walking distance of each row.
    sources : PointSources
        The sources behind ``node_dist`` (``group`` = row), for the reach along
        their own segment.
    band_m : float
        Half-width of the band drawn along reachable streets.
    """
    k = node_dist.shape[0]
    out = np.full(k, None, dtype=object)
    whole: list[GeomArray] = []
    part_row: list[NDArray[np.int64]] = []
    part_seg: list[NDArray[np.int64]] = []
    part_lo: list[FloatArray] = []
    part_hi: list[FloatArray] = []
    for i in range(k):
        mine = sources.group == i
        own = PointSources(sources.segment[mine], sources.along[mine], sources.group[mine],
                           sources.extra[mine])
        full, seg, lo, hi = _reachable_lines(
            network, limits[i] - node_dist[i], own, limits[i] - own.extra
        )
        whole.append(full)
        part_row.append(np.full(seg.size, i, dtype=np.int64))
        part_seg.append(seg)
        part_lo.append(lo)
        part_hi.append(hi)
    # Every walkshed's partial street parts cut in one vectorised call, not one by one.
    seg = np.concatenate(part_seg)
    partial = _substrings(network.segments[seg], np.concatenate(part_lo),
                          np.concatenate(part_hi))
    row_of_part = np.concatenate(part_row)
    starts = np.searchsorted(row_of_part, np.arange(k + 1))
    exact_rows: list[int] = []
    exact_lines: list[GeomArray] = []
    for i in range(k):
        lines = np.concatenate([whole[i], partial[starts[i] : starts[i + 1]]])
        if len(lines) > EXACT_MAX_PARTS and band_m >= _MIN_CELL_BAND_M:
            out[i] = _cells(lines, band_m)
        elif len(lines):
            exact_rows.append(i)
            exact_lines.append(lines)
    if exact_rows:
        # Buffering each part then one union is ~8× faster than buffering a MultiLineString;
        # all walksheds' parts are buffered in one call.
        sizes = np.asarray([len(lines) for lines in exact_lines])
        bands = shapely.buffer(np.concatenate(exact_lines), band_m, quad_segs=4)
        for i, chunk in zip(exact_rows, np.split(bands, np.cumsum(sizes)[:-1]), strict=True):
            out[i] = shapely.union_all(chunk)
    return out


def category_walksheds(model: CoverageModel, band_m: float = WALKSHED_BAND_M) -> gpd.GeoDataFrame:
    """Walkshed of each category and level with facilities, in WGS84.

    Columns: category, category_name, category_name_en, level_min,
    n_facilities, area_m2 (in the network CRS), geometry. Each facility group
    reaches its own rule distance; a level's walkshed is the union of its groups'.
    """
    f = model.facilities
    group = f["group"].to_numpy(dtype=np.int64)
    rows = np.flatnonzero(group >= 0)
    limits = np.asarray(model.groups.max_walk_m, dtype=float)
    src = model.sources(rows)
    polys = walkshed_polygons(model.network, model.node_dist, limits, src, band_m)
    records = []
    for j, (cat, lv) in enumerate(COMBOS):
        gs = np.flatnonzero(model.group_combo == j)
        geoms = [polys[g] for g in gs if polys[g] is not None]
        if not geoms:
            continue
        union = shapely.union_all(np.asarray(geoms, dtype=object))
        ids = f.loc[np.isin(group, gs), "facility_id"].nunique()
        records.append({
            "category": cat, "category_name": _NAME_ZH[cat], "category_name_en": _NAME_EN[cat],
            "level_min": lv, "n_facilities": int(ids), "area_m2": float(shapely.area(union)),
            "geometry": union,
        })
    frame = pd.DataFrame(records, columns=[
        "category", "category_name", "category_name_en", "level_min", "n_facilities", "area_m2",
        "geometry",
    ])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=model.network.crs).to_crs(WGS84)


def facility_walksheds(
    model: CoverageModel, facility_ids: list[str] | None = None, band_m: float = WALKSHED_BAND_M
) -> gpd.GeoDataFrame:
    """Walkshed of each facility (every gate of a park together), in WGS84.

    Columns: facility_id, name, category, level_min, max_walk_m, area_m2, geometry.
    Facilities not on the network or without a rule get no row.
    """
    f = model.facilities
    usable = f[(f["group"].to_numpy(dtype=np.int64) >= 0)]
    ids = list(dict.fromkeys(usable["facility_id"].tolist()))
    if facility_ids is not None:
        wanted = set(facility_ids)
        ids = [i for i in ids if i in wanted]
    records = []
    fid_col = f["facility_id"].to_numpy()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        local = {fid: k for k, fid in enumerate(chunk)}
        rows = np.flatnonzero(np.isin(fid_col, chunk) & (f["group"].to_numpy() >= 0))
        src = model.sources(rows)
        src = PointSources(src.segment, src.along,
                           np.asarray([local[fid_col[r]] for r in rows], dtype=np.int64), src.extra)
        first = {fid: int(np.flatnonzero(fid_col == fid)[0]) for fid in chunk}
        limits = np.asarray([float(f["max_walk_m"].iloc[first[fid]]) for fid in chunk])
        node = distances_from_point_sources(model.network, src, len(chunk), limits)
        polys = walkshed_polygons(model.network, node, limits, src, band_m)
        for fid, poly in zip(chunk, polys, strict=True):
            r = first[fid]
            records.append({
                "facility_id": fid, "name": f["name"].iloc[r], "category": f["category"].iloc[r],
                "level_min": int(f["level_min"].iloc[r]), "max_walk_m": limits[local[fid]],
                "area_m2": float(shapely.area(poly)) if poly is not None else 0.0,
                "geometry": poly,
            })
    frame = pd.DataFrame(records, columns=[
        "facility_id", "name", "category", "level_min", "max_walk_m", "area_m2", "geometry",
    ])
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=model.network.crs).to_crs(WGS84)
