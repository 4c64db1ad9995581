"""Walking network from a road line layer, and snapping points onto it.

The network is built in a metric CRS (EPSG:4547 for Hebi) and kept as plain
arrays plus a scipy CSR adjacency matrix, so that shortest-path searches run in
``scipy.sparse.csgraph`` (see ``docs``: coverage-methods.md §4.2–4.3).

How the road layer becomes a graph (the same rules are printed by the README and
``python -m spatial.coverage_cli --help``; :data:`NETWORK_RULES`):

1. Lines are exploded to single LineStrings. Each way has a *layer* (OSM
   ``layer``, default 0) and is *ground* or *level-separated*: ``bridge`` /
   ``tunnel`` values are read as in :data:`OSM_LEVEL_VALUES` (every OSM value
   except ``no`` and the at-grade ones counts as separated; an unknown value
   counts as separated, the safe side: a false junction would over-claim).
2. Tiny gaps are closed: a line end within ``snap_gap_m`` of another way *of
   the same layer* (and not already touching one) is moved onto it. Ground
   ways are targets along their length, level-separated ways only at their end
   points, so a road ending under a bridge stays unjoined.
3. Ground ways of the same layer are noded at every crossing and wherever a
   way's end lies on another (:func:`spatial.noding.node_lines`, array
   arithmetic on a fixed grid). A way's end lying *inside* another
   way cuts it (a junction) only when both share a layer and the ending way is
   level-separated or both are ground: a tunnel ending under a street of another
   layer is not joined. An end that coincides with a *vertex* of another way
   (OSM's shared node) joins whatever the layers.
4. Way ends that coincide (to the grid, 1 cm) are one node whatever their
   layers: that is how a bridge or tunnel joins the road it continues.
5. Every piece is one *segment* between two *nodes*. Parallel segments stay
   separate for snapping; the adjacency keeps the shortest of parallel edges.

Points (facilities, residential access points) are snapped to the nearest
**segment**, not the nearest node: a point is stored as (segment, distance
along it), so a facility in the middle of a block is reachable from both ends.
Points farther than ``max_snap_m`` from every road are reported, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.ops
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from spatial._errors import AnalysisError
from spatial.metric_crs import to_metric
from spatial.noding import node_lines

__all__ = [
    "DEFAULT_GRID_M",
    "DEFAULT_MAX_SNAP_M",
    "DEFAULT_SNAP_GAP_M",
    "NETWORK_RULES",
    "OSM_LEVEL_VALUES",
    "PointSources",
    "SnappedPoints",
    "WalkNetwork",
    "build_network",
    "distances_from_point_sources",
    "level_separated",
    "point_distances",
    "reach_within",
    "road_layers",
    "snap_points",
]

DEFAULT_SNAP_GAP_M = 2.0
DEFAULT_MAX_SNAP_M = 300.0
# Node coordinates are rounded to this grid (metres); 1 cm is far below survey accuracy
# and keeps node identity exact under floating-point noise.
DEFAULT_GRID_M = 0.01

# How each OSM ``bridge`` / ``tunnel`` value is read: True = level-separated (crosses other
# ways without a junction, joins only at its ends), False = ground; with the reason, for the README.
OSM_LEVEL_VALUES: dict[tuple[str, str], tuple[bool, str]] = {
    ("bridge", "yes"): (True, "a bridge"),
    ("bridge", "viaduct"): (True, "a long multi-span bridge"),
    ("bridge", "aqueduct"): (True, "a bridge carrying water (and a towpath)"),
    ("bridge", "boardwalk"): (True, "raised walkway: crosses ground paths without a junction"),
    ("bridge", "cantilever"): (True, "a bridge of that structure"),
    ("bridge", "covered"): (True, "a covered bridge"),
    ("bridge", "movable"): (True, "a bascule/swing bridge"),
    ("bridge", "trestle"): (True, "a bridge of that structure"),
    ("bridge", "suspension"): (True, "a bridge of that structure"),
    ("bridge", "simple_brunnel"): (True, "a small bridge/culvert over a ditch"),
    ("bridge", "low_water_crossing"): (False, "at grade: the road dips through the water"),
    ("bridge", "no"): (False, "not a bridge"),
    ("tunnel", "yes"): (True, "a tunnel"),
    ("tunnel", "culvert"): (True, "a way through a pipe under another way"),
    ("tunnel", "avalanche_protector"): (True, "a roofed gallery: nothing joins it from the side"),
    ("tunnel", "flooded"): (True, "a tunnel"),
    ("tunnel", "canal"): (True, "a tunnel"),
    ("tunnel", "covered"): (True, "a roofed way: treated as a tunnel"),
    ("tunnel", "building_passage"): (
        False, "at street level through a building: ways meeting in it are real junctions"
    ),
    ("tunnel", "no"): (False, "not a tunnel"),
}
# Written in the README and the CLI's --help: the network rules in one place.
NETWORK_RULES = (
    "Walking-network rules / 路网规则: "
    "(1) bridge/tunnel: every OSM value is level-separated (crosses without a junction, joins "
    "only at its ends) except no/false/0/否, bridge=low_water_crossing and "
    "tunnel=building_passage (ground); an unknown value counts as separated. "
    "(2) layer (OSM, default 0): ground ways are noded where they cross only within one "
    "layer; a way's end lying inside another way joins it only at the same layer "
    "(or where the other way has a vertex there: OSM's shared node); "
    "the gap tolerance (--snap-gap-m) joins only ways of the same layer. "
    "(3) way ends that coincide to 1 cm are one node whatever their layers "
    "(how a bridge or tunnel joins the road it continues)."
)
_GROUND_TEXT = frozenset(
    ["", "no", "false", "0", "0.0", "n", "f", "否", "none", "nan", "<na>", "null"]
)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
GeomArray = NDArray[np.object_]


@dataclass(frozen=True, eq=False)
class WalkNetwork:
    """A walking network: segments between nodes, and their adjacency matrix.

    Attributes
    ----------
    segments : ndarray of LineString
        One geometry per segment, in ``crs`` (metres).
    seg_u, seg_v : ndarray of int
        Node index at the start and the end of each segment.
    seg_len : ndarray of float
        Length of each segment along its geometry, in metres.
    node_xy : ndarray, shape (n_nodes, 2)
        Node coordinates in ``crs``.
    adjacency : scipy.sparse.csr_matrix
        Symmetric (n_nodes, n_nodes) matrix of edge lengths; the shortest of
        parallel segments; self-loops left out.
    component : ndarray of int
        Connected-component label of each node.
    crs : pyproj.CRS
        The metric CRS of all coordinates.
    tree : shapely.STRtree
        Spatial index over ``segments`` (for snapping).
    """

    segments: GeomArray
    seg_u: IntArray
    seg_v: IntArray
    seg_len: FloatArray
    node_xy: FloatArray
    adjacency: csr_matrix
    component: IntArray
    crs: CRS
    tree: shapely.STRtree

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.node_xy.shape[0])

    @property
    def n_segments(self) -> int:
        """Number of segments."""
        return int(self.seg_len.shape[0])

    def component_length_m(self) -> FloatArray:
        """Total segment length of each connected component, indexed by component label."""
        n_comp = int(self.component.max()) + 1 if self.n_nodes else 0
        return np.bincount(
            self.component[self.seg_u], weights=self.seg_len, minlength=n_comp
        ).astype(np.float64)

    def segments_gdf(self) -> gpd.GeoDataFrame:
        """Return the segments as a GeoDataFrame (for display and export)."""
        return gpd.GeoDataFrame(
            {
                "segment": np.arange(self.n_segments),
                "node_u": self.seg_u,
                "node_v": self.seg_v,
                "length_m": self.seg_len,
                "component": self.component[self.seg_u],
            },
            geometry=self.segments,
            crs=self.crs,
        )


@dataclass(frozen=True)
class SnappedPoints:
    """Points placed on network segments.

    Attributes
    ----------
    segment : ndarray of int
        Index of the nearest segment; -1 where the point was not snapped.
    along : ndarray of float
        Distance from the segment's start node to the snapped position (m);
        NaN where not snapped.
    offset : ndarray of float
        Straight distance from the point to the road (m). For a point that
        was not snapped because it is too far, the distance to the nearest road;
        NaN for a missing or empty geometry.
    """

    segment: IntArray
    along: FloatArray
    offset: FloatArray

    @property
    def ok(self) -> BoolArray:
        """True where the point lies on a segment."""
        return self.segment >= 0

    def __len__(self) -> int:
        return int(self.segment.shape[0])


@dataclass(frozen=True)
class PointSources:
    """Snapped source points (facilities) and the group each belongs to.

    Attributes
    ----------
    segment, along : ndarray
        Position on the network (only snapped points: ``segment >= 0``).
    group : ndarray of int
        Group index (one super-source per group).
    extra : ndarray of float
        Length added at the source, e.g. its access offset from the road.
    """

    segment: IntArray
    along: FloatArray
    group: IntArray
    extra: FloatArray

    @classmethod
    def of(
        cls,
        segment: ArrayLike,
        along: ArrayLike,
        group: ArrayLike,
        extra: ArrayLike | None = None,
    ) -> PointSources:
        """Build from array-likes; ``extra`` defaults to zeros."""
        seg = np.asarray(segment, dtype=np.int64)
        ext = np.zeros(seg.shape) if extra is None else np.asarray(extra, dtype=np.float64)
        return cls(seg, np.asarray(along, dtype=np.float64), np.asarray(group, dtype=np.int64), ext)

    def __len__(self) -> int:
        return int(self.segment.shape[0])


def end_coordinates(lines: GeomArray) -> tuple[FloatArray, FloatArray]:
    """Return the first and last coordinates of each line, (n, 2) each (no Point objects made)."""
    xy = shapely.get_coordinates(lines)
    if len(xy) == 0:
        return np.empty((0, 2)), np.empty((0, 2))
    # Each line's coordinates are consecutive: its first and last from the running count.
    stop = np.cumsum(shapely.get_num_coordinates(lines)) - 1
    start = np.concatenate([[0], stop[:-1] + 1])
    return xy[start], xy[stop]


def _level_value(gdf: gpd.GeoDataFrame, key: str) -> BoolArray:
    """Read one of ``bridge`` / ``tunnel``: True where the value makes a way level-separated."""
    if key not in gdf.columns:
        return np.zeros(len(gdf), dtype=bool)
    values = gdf[key]
    if values.dtype == bool:
        return np.asarray(values.to_numpy(dtype=bool), dtype=bool)
    text = values.astype("string").str.strip().str.lower().fillna("")
    ground = text.isin(_GROUND_TEXT) | text.isin(
        [v for (k, v), (sep, _) in OSM_LEVEL_VALUES.items() if k == key and not sep]
    )
    return np.asarray((~ground).to_numpy(dtype=bool), dtype=bool)


def level_separated(gdf: gpd.GeoDataFrame) -> BoolArray:
    """Return True for level-separated ways (bridge or tunnel, see :data:`OSM_LEVEL_VALUES`).

    Booleans, 0/1, yes/no/是/否 and every OSM value are understood: any value other
    than a "no" and the at-grade values counts, so an unknown value never
    creates a junction.
    """
    return _level_value(gdf, "bridge") | _level_value(gdf, "tunnel")


def road_layers(gdf: gpd.GeoDataFrame) -> IntArray:
    """Return the OSM ``layer`` of each way (missing or not a number: 0)."""
    if "layer" not in gdf.columns:
        return np.zeros(len(gdf), dtype=np.int64)
    text = gdf["layer"].astype("string").str.strip().str.extract(r"^([+-]?\d+)", expand=False)
    return np.asarray(pd.to_numeric(text, errors="coerce").fillna(0).to_numpy(), dtype=np.int64)


def _explode_lines(gdf: gpd.GeoDataFrame) -> tuple[GeomArray, BoolArray, IntArray]:
    """Return single LineStrings, whether each is level-separated, and its OSM layer."""
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    level = level_separated(gdf)
    layer = road_layers(gdf)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kinds = shapely.get_type_id(geoms[present])
    # 1 = LineString, 2 = LinearRing, 5 = MultiLineString; anything else is not a road.
    if np.any(~np.isin(kinds, [1, 2, 5])):
        raise AnalysisError(
            "道路图层必须是线要素（LineString / MultiLineString）。",
            "The road layer must contain lines (LineString / MultiLineString).",
        )
    if np.all(kinds != 5):
        # Single lines already: keep the layer's own geometry objects (a second copy of a
        # million-line layer is gigabytes); only lines with a z are rebuilt flat.
        parts, owner = geoms[present], np.arange(int(present.sum()))
    else:
        parts, owner = shapely.get_parts(geoms[present], return_index=True)
    has_z = shapely.has_z(parts)
    if has_z.any():
        parts = parts.copy()
        parts[has_z] = shapely.force_2d(parts[has_z])
    keep = shapely.length(parts) > 0
    return parts[keep].astype(object), level[present][owner][keep], layer[present][owner][keep]


def _shared_ends(xy: FloatArray, owner: IntArray) -> BoolArray:
    """True for each end that coincides (to the grid) with an end of another way."""
    keys = np.round(xy / DEFAULT_GRID_M).astype(np.int64)
    # One number per place (see _unique_rows), sorted with the owner: a two-key sort.
    _, place = _unique_rows(keys)
    order = np.lexsort((owner, place))
    k, o = place[order], owner[order]
    same_place = np.zeros(len(k), dtype=bool)
    same_place[1:] = k[1:] == k[:-1]
    # Group starts, then whether any two ends in a group belong to different ways.
    group = np.cumsum(~same_place) - 1
    differs = np.zeros(len(k), dtype=bool)
    differs[1:] = same_place[1:] & (o[1:] != o[:-1])
    multi = np.bincount(group, weights=differs, minlength=int(group.max()) + 1 if len(k) else 0)
    out = np.zeros(len(k), dtype=bool)
    out[order] = multi[group] > 0
    return out


def _snap_gaps(lines: GeomArray, level: BoolArray, layers: IntArray, tol: float) -> GeomArray:
    """Move line ends that stop short of another road of their layer (by at most ``tol``) onto it.

    Ground roads can be targets along their whole length; level-separated roads
    only at their end points (a road ending under a bridge must not be joined).
    Ways of another OSM ``layer`` are never targets. An end that already touches
    another road of its layer is left alone.
    """
    if tol <= 0 or len(lines) < 2:
        return lines
    n = len(lines)
    first, last = end_coordinates(lines)
    end_xy = np.concatenate([first, last])
    end_owner = np.concatenate([np.arange(n), np.arange(n)])
    end_is_last = np.concatenate([np.zeros(n, bool), np.ones(n, bool)])
    # An end shared with another way's end touches it already: only the others (dead ends,
    # T-junctions, gaps) need a geometric query - a few percent of the ends of a street grid.
    shared = _shared_ends(end_xy, end_owner)
    cand = np.flatnonzero(~shared)
    end_owner, end_is_last = end_owner[cand], end_is_last[cand]
    ends: GeomArray = np.asarray(shapely.points(end_xy[cand]), dtype=object)
    lvl_idx = np.flatnonzero(level)
    targets = np.concatenate(
        [
            lines[~level],
            shapely.get_point(lines[lvl_idx], 0),
            shapely.get_point(lines[lvl_idx], -1),
        ]
    )
    target_owner = np.concatenate([np.flatnonzero(~level), lvl_idx, lvl_idx])
    n_ground = int(np.count_nonzero(~level))
    tree = shapely.STRtree(targets)
    pi, ti = tree.query(ends, predicate="dwithin", distance=tol)
    other = (target_owner[ti] != end_owner[pi]) & (
        layers[target_owner[ti]] == layers[end_owner[pi]]
    )
    pi, ti = pi[other], ti[other]
    if pi.size == 0:
        return lines
    frame = pd.DataFrame({"p": pi, "t": ti, "d": shapely.distance(ends[pi], targets[ti])})
    # Ends already touching another road stay touching (only loose ends move, and a loose
    # end never sits where another end touches), so most junction ends drop out here.
    loose = frame.groupby("p")["d"].transform("min") > 1e-9
    frame = frame[loose]
    out = lines.copy()
    # Sequential, nearest gap first, against the *current* geometry: when two loose ends
    # face each other, the first move closes the gap and the second end then touches.
    for p_key, cands in frame.sort_values("d").groupby("p", sort=False):
        p = int(np.asarray(p_key))
        owner = int(end_owner[p])
        coords = shapely.get_coordinates(out[owner])
        end_pt = shapely.Point(coords[-1] if end_is_last[p] else coords[0])
        best: tuple[float, Any] | None = None
        touching = False
        for t in cands["t"].to_numpy():
            target_line = out[int(target_owner[t])]
            if t < n_ground:
                target: Any = target_line
            else:
                target = shapely.get_point(target_line, 0 if t < n_ground + lvl_idx.size else -1)
            d = float(shapely.distance(end_pt, target))
            if d <= 1e-9:
                touching = True
                break
            if d <= tol and (best is None or d < best[0]):
                best = (d, target)
        if touching or best is None:
            continue
        new_xy = shapely.get_coordinates(shapely.shortest_line(end_pt, best[1]))[1]
        coords = coords.copy()
        coords[-1 if end_is_last[p] else 0] = new_xy
        out[owner] = shapely.LineString(coords)
    return out


def _cut_at_points(
    lines: GeomArray,
    line_owner: IntArray,
    line_layer: IntArray,
    line_sep: bool,
    ends: _Ends,
    tol: float,
) -> GeomArray:
    """Cut lines where a way's end lies on their interior (rules 3 of the module docstring).

    A cut happens when the end coincides with a vertex of the line (OSM's shared
    node, any layer), or when both share a layer and the ending way is
    level-separated or the line is ground. The cut vertex is the end itself.
    ``line_owner`` / ``ends.owner`` say which original way each comes from, so a
    way never cuts itself (ground pieces carry -1: they were noded already).
    """
    if len(ends.points) == 0 or len(lines) == 0:
        return lines
    tree = shapely.STRtree(lines)
    pi, li = tree.query(ends.points, predicate="dwithin", distance=tol)
    keep = ends.owner[pi] != line_owner[li]
    pi, li = pi[keep], li[keep]
    if pi.size == 0:
        return lines
    along = shapely.line_locate_point(lines[li], ends.points[pi])
    length = shapely.length(lines[li])
    interior = (along > tol) & (along < length - tol)
    pi, li, along = pi[interior], li[interior], along[interior]
    if pi.size == 0:
        return lines
    same_layer = ends.layer[pi] == line_layer[li]
    allowed = same_layer & (ends.separated[pi] | (not line_sep))
    # Only the doubtful pairs pay for the vertex test (OSM's shared node joins any layer).
    doubt = np.flatnonzero(~allowed)
    if doubt.size:
        vertices = shapely.extract_unique_points(lines[li[doubt]])
        allowed[doubt] = shapely.distance(ends.points[pi[doubt]], vertices) <= 1e-6
    pi, li, along = pi[allowed], li[allowed], along[allowed]
    if pi.size == 0:
        return lines
    uncut = np.ones(len(lines), dtype=bool)
    uncut[li] = False
    pieces: list[Any] = []
    order = np.lexsort((along, li))
    pt_xy = shapely.get_coordinates(ends.points)
    for line_idx in np.unique(li):
        sel = order[li[order] == line_idx]
        line = lines[line_idx]
        stops = [0.0, *along[sel].tolist(), float(line.length)]
        stop_xy = [None, *[pt_xy[p] for p in pi[sel]], None]
        for k in range(len(stops) - 1):
            if stops[k + 1] - stops[k] <= tol:
                continue
            piece = shapely.ops.substring(line, stops[k], stops[k + 1])
            coords = shapely.get_coordinates(piece).copy()
            # Put the cut vertex exactly on the cutting point so both round to one node.
            if stop_xy[k] is not None:
                coords[0] = stop_xy[k]
            if stop_xy[k + 1] is not None:
                coords[-1] = stop_xy[k + 1]
            pieces.append(shapely.LineString(coords))
    cut = np.empty(len(pieces), dtype=object)
    cut[:] = pieces
    return np.concatenate([lines[uncut], cut])


@dataclass(frozen=True)
class _Ends:
    """End points of ways: the point, its way, the way's layer and whether it is separated."""

    points: GeomArray
    owner: IntArray
    layer: IntArray
    separated: BoolArray


def _node_lines(lines: GeomArray, level: BoolArray, layers: IntArray, grid: float) -> GeomArray:
    """Split lines into segments that meet only at nodes (see module docstring)."""
    lines = shapely.set_precision(lines, grid)
    ok = ~shapely.is_empty(lines) & (shapely.length(lines) > 0)
    lines, level, layers = lines[ok], level[ok], layers[ok]
    noded_parts: list[GeomArray] = []
    noded_layer: list[IntArray] = []
    for lay in np.unique(layers[~level]):
        ground = lines[~level & (layers == lay)]
        parts = node_lines(ground, grid)
        noded_parts.append(parts)
        noded_layer.append(np.full(len(parts), lay, dtype=np.int64))
    noded = np.concatenate(noded_parts) if noded_parts else np.empty(0, dtype=object)
    noded_lay = np.concatenate(noded_layer) if noded_layer else np.empty(0, dtype=np.int64)
    n = len(lines)
    idx = np.arange(n, dtype=np.int64)
    end_xy = np.concatenate(end_coordinates(lines))
    owner = np.concatenate([idx, idx])
    end_layer = np.concatenate([layers, layers])
    end_sep = np.concatenate([level, level])

    def ends_where(sel: BoolArray) -> _Ends:
        # Point objects only for the ends that can still cut (memory on big networks).
        pts = np.asarray(shapely.points(end_xy[sel]), dtype=object) if sel.any() else np.empty(
            0, dtype=object
        )
        return _Ends(pts, owner[sel], end_layer[sel], end_sep[sel])

    # Ground ends on ground pieces of their own layer were noded already: with a single ground
    # layer only the level-separated ends can still cut a ground piece (far fewer queries).
    single = np.unique(layers[~level]).size <= 1
    ground_ends = ends_where(end_sep if single else np.ones(len(end_sep), dtype=bool))
    # Ground pieces come from the noding and lost their origin; -1 never equals a road index.
    ground_cut = _cut_at_points(
        noded, np.full(len(noded), -1, dtype=np.int64), noded_lay, False, ground_ends, grid
    )
    lvl_idx = np.flatnonzero(level)
    if lvl_idx.size == 0:
        return np.asarray(ground_cut, dtype=object)
    all_ends = ends_where(np.ones(len(end_sep), dtype=bool))
    lvl_cut = _cut_at_points(lines[lvl_idx], lvl_idx, layers[lvl_idx], True, all_ends, grid)
    return np.concatenate([np.asarray(ground_cut, dtype=object), lvl_cut])


def _min_per_pair(
    rows: IntArray, cols: IntArray, w: FloatArray
) -> tuple[IntArray, IntArray, FloatArray]:
    """Keep the smallest weight of each (row, col) pair, sorted by row then column.

    ``scipy.sparse`` would *sum* duplicate entries, which is wrong for parallel roads
    or for two points on one segment.
    """
    if rows.size == 0:
        return rows, cols, w
    span = int(cols.max()) + 1
    if int(rows.max()) < np.iinfo(np.int64).max // span:
        # One int64 key per pair: a two-key sort instead of three (a million-node network
        # has millions of entries).
        key = rows.astype(np.int64) * span + cols
        order = np.argsort(key, kind="stable")
        key = key[order]
        first = np.ones(key.size, dtype=bool)
        first[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        keep = order[first]
        return rows[keep], cols[keep], np.minimum.reduceat(w[order], starts)
    order = np.lexsort((w, cols, rows))
    rs, cs = rows[order], cols[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rs[1:] != rs[:-1]) | (cs[1:] != cs[:-1])
    keep = order[first]
    return rows[keep], cols[keep], w[keep]


def _symmetric_csr(u: IntArray, v: IntArray, w: FloatArray, n: int) -> csr_matrix:
    """Symmetric CSR of edge weights, keeping the minimum of parallel edges."""
    rows, cols, weights = _min_per_pair(
        np.concatenate([u, v]), np.concatenate([v, u]), np.concatenate([w, w])
    )
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return csr_matrix((weights, cols, indptr), shape=(n, n))


def _unique_rows(keys: IntArray) -> tuple[IntArray, IntArray]:
    """``np.unique(keys, axis=0, return_inverse=True)`` for (n, 2) integer keys, fast.

    ``axis=0`` sorts rows as opaque records (seconds for millions of nodes);
    the two columns as one int64 (x · span + y, from the smallest key) sort as
    numbers, in the same (x, then y) order.
    """
    if len(keys) == 0:
        return keys.reshape(0, 2), np.empty(0, dtype=np.int64)
    lo = keys.min(axis=0)
    span = keys.max(axis=0) - lo + 1
    if int(span[0]) >= np.iinfo(np.int64).max // int(span[1]):
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        return uniq, inverse.reshape(-1)
    flat = (keys[:, 0] - lo[0]) * span[1] + (keys[:, 1] - lo[1])
    uniq_flat, inverse = np.unique(flat, return_inverse=True)
    x, y = np.divmod(uniq_flat, span[1])
    return np.stack([x + lo[0], y + lo[1]], axis=1), inverse.reshape(-1)


def build_network(
    roads: gpd.GeoDataFrame,
    snap_gap_m: float = DEFAULT_SNAP_GAP_M,
    grid_m: float = DEFAULT_GRID_M,
    crs: CRS | str | int | None = None,
) -> WalkNetwork:
    """Build a walking network from a road line layer, measured in a local metric CRS.

    Parameters
    ----------
    roads : GeoDataFrame
        LineStrings / MultiLineStrings in any CRS. A layer in a CGCS2000
        Gauss–Krüger zone is used as is; any other (lon/lat, UTM, Web
        Mercator …) is reprojected to the local metric CRS of its place (see
        :func:`spatial.metric_crs.to_metric`). Optional columns ``bridge``,
        ``tunnel`` and ``layer`` (OSM tags) are read by the rules of
        :data:`NETWORK_RULES`.
    snap_gap_m : float
        Close gaps up to this length where a road end stops short of another
        road of its layer (digitising slack). 0 disables it.
    grid_m : float
        Coordinate grid for noding and node identity.
    crs : CRS, optional
        Measure in this projected metric CRS instead.

    Returns
    -------
    WalkNetwork

    Raises
    ------
    AnalysisError
        If the layer has no CRS, holds non-line geometry or has no usable line.
    """
    roads = to_metric(roads, crs)
    lines, level, layers = _explode_lines(roads)
    if len(lines) == 0:
        raise AnalysisError("道路图层没有可用的线要素。", "The road layer has no usable lines.")
    lines = _snap_gaps(lines, level, layers, snap_gap_m)
    segments = _node_lines(lines, level, layers, grid_m)
    segments = segments[shapely.length(segments) > 0]
    seg_len = shapely.length(segments).astype(np.float64)
    start_xy, end_xy = end_coordinates(segments)
    keys = np.round(np.concatenate([start_xy, end_xy]) / grid_m).astype(np.int64)
    del start_xy, end_xy
    uniq, inverse = _unique_rows(keys)
    n_seg = len(segments)
    seg_u = inverse[:n_seg].astype(np.int64)
    seg_v = inverse[n_seg:].astype(np.int64)
    del inverse, keys
    node_xy = uniq.astype(np.float64) * grid_m
    n_nodes = len(uniq)
    not_loop = seg_u != seg_v
    adjacency = _symmetric_csr(seg_u[not_loop], seg_v[not_loop], seg_len[not_loop], n_nodes)
    _, component = connected_components(adjacency, directed=False)
    return WalkNetwork(
        segments=segments,
        seg_u=seg_u,
        seg_v=seg_v,
        seg_len=seg_len,
        node_xy=node_xy,
        adjacency=adjacency,
        component=component.astype(np.int64),
        crs=CRS.from_user_input(roads.crs),
        tree=shapely.STRtree(segments),
    )


def snap_points(
    network: WalkNetwork, points: ArrayLike, max_snap_m: float = DEFAULT_MAX_SNAP_M
) -> SnappedPoints:
    """Place each point on its nearest network segment.

    Parameters
    ----------
    network : WalkNetwork
        The network (points must be in the same CRS).
    points : array_like of Point
        Points; missing or empty geometries are left unsnapped.
    max_snap_m : float
        Points farther than this from every road are not snapped (reported by
        ``segment == -1`` with their real distance in ``offset``).

    Returns
    -------
    SnappedPoints
    """
    pts = np.asarray(points, dtype=object)
    n = len(pts)
    segment = np.full(n, -1, dtype=np.int64)
    along = np.full(n, np.nan)
    offset = np.full(n, np.nan)
    valid = np.flatnonzero(~(shapely.is_missing(pts) | shapely.is_empty(pts)))
    if valid.size == 0 or network.n_segments == 0:
        return SnappedPoints(segment, along, offset)
    pi, si = network.tree.query_nearest(pts[valid], return_distance=False, all_matches=False)
    src = valid[pi]
    dist = shapely.distance(pts[src], network.segments[si])
    offset[src] = dist
    near = dist <= max_snap_m
    segment[src[near]] = si[near]
    along[src[near]] = shapely.line_locate_point(network.segments[si[near]], pts[src[near]])
    return SnappedPoints(segment, along, offset)


def _source_edges(
    network: WalkNetwork, sources: PointSources
) -> tuple[IntArray, IntArray, FloatArray]:
    """Edges from super-source rows to the two ends of each source's segment.

    The source's ``extra`` length is added to both edges. Returns (source row,
    node, weight), minimum-deduplicated per (source row, node).
    """
    segment = sources.segment
    u = network.seg_u[segment]
    v = network.seg_v[segment]
    length = network.seg_len[segment]
    a = np.clip(sources.along, 0.0, length)
    return _min_per_pair(
        np.concatenate([sources.group, sources.group]),
        np.concatenate([u, v]),
        np.concatenate([a + sources.extra, length - a + sources.extra]),
    )


def _one_limit_distances(
    network: WalkNetwork, sources: PointSources, n_groups: int, limit_m: float
) -> FloatArray:
    """All groups' node distances with one search radius (one Dijkstra call)."""
    n = network.n_nodes
    rows, cols, w = _source_edges(network, sources)
    base = network.adjacency
    counts = np.bincount(rows, minlength=n_groups)
    indptr = np.concatenate([base.indptr.astype(np.int64), base.nnz + np.cumsum(counts)])
    indices = np.concatenate([base.indices.astype(np.int64), cols])
    data = np.concatenate([base.data, w])
    graph = csr_matrix((data, indices, indptr), shape=(n + n_groups, n + n_groups))
    dist = dijkstra(graph, directed=True, indices=np.arange(n, n + n_groups), limit=limit_m)
    return np.asarray(dist[:, :n], dtype=np.float64)


def distances_from_point_sources(
    network: WalkNetwork, sources: PointSources, n_groups: int, limit_m: float | ArrayLike
) -> FloatArray:
    """Network distance from every node to the nearest source of each group.

    Each group gets a directed *super-source* row joined to both ends of each of
    its sources' segments with the partial lengths; super-sources have no
    incoming edges, so no path can shortcut through another group's sources.
    All groups sharing a search radius go in one ``dijkstra`` call.

    Parameters
    ----------
    network : WalkNetwork
    sources : PointSources
        Group indices must lie in 0 … n_groups-1.
    n_groups : int
        Number of groups (rows of the result); a group without sources is all inf.
    limit_m : float or array_like
        Search radius, one for all groups or one per group; nodes farther than
        their group's radius get ``inf``.

    Returns
    -------
    ndarray, shape (n_groups, n_nodes)
    """
    n = network.n_nodes
    if n_groups == 0:
        return np.empty((0, n))
    limits = np.broadcast_to(np.asarray(limit_m, dtype=np.float64), (n_groups,))
    distinct = np.unique(limits)
    if distinct.size == 1:
        return _one_limit_distances(network, sources, n_groups, float(distinct[0]))
    # A small radius explores far fewer nodes: run each radius on its own groups only.
    out = np.empty((n_groups, n))
    for limit in distinct:
        groups = np.flatnonzero(limits == limit)
        local = np.full(n_groups, -1, dtype=np.int64)
        local[groups] = np.arange(groups.size)
        keep = local[sources.group] >= 0
        sub = PointSources(
            sources.segment[keep], sources.along[keep], local[sources.group[keep]],
            sources.extra[keep],
        )
        out[groups] = _one_limit_distances(network, sub, groups.size, float(limit))
    return out


def point_distances(
    network: WalkNetwork,
    node_dist: FloatArray,
    segment: IntArray,
    along: FloatArray,
    sources: PointSources | None = None,
    limit_m: float | ArrayLike = np.inf,
) -> FloatArray:
    """Distance from snapped points to each group, given node distances.

    ``d = min(D[g, u] + along, D[g, v] + (len − along))``, and, for a source on
    the point's own segment, the direct ``|along − along_source| + extra``.

    Parameters
    ----------
    network : WalkNetwork
    node_dist : ndarray, shape (n_groups, n_nodes)
        From :func:`distances_from_point_sources`.
    segment, along : ndarray
        Snapped points; ``segment < 0`` gives ``inf``.
    sources : PointSources, optional
        The sources behind ``node_dist`` (for the same-segment case).
    limit_m : float or array_like
        Distances above this (one value, or one per group) become ``inf``
        (consistent with the search radius).

    Returns
    -------
    ndarray, shape (n_points, n_groups)
    """
    n_groups = node_dist.shape[0]
    out = np.full((len(segment), n_groups), np.inf)
    ok = np.flatnonzero(segment >= 0)
    if ok.size and n_groups:
        seg = segment[ok]
        a = along[ok]
        length = network.seg_len[seg]
        du = node_dist[:, network.seg_u[seg]] + a
        dv = node_dist[:, network.seg_v[seg]] + (length - a)
        out[ok] = np.minimum(du, dv).T
    if sources is not None and len(sources) and ok.size:
        # Pair every point with the sources on its own segment (sorted search, no Python loop).
        order = np.argsort(sources.segment, kind="stable")
        src_seg = sources.segment[order]
        lo = np.searchsorted(src_seg, segment[ok], side="left")
        count = np.searchsorted(src_seg, segment[ok], side="right") - lo
        total = int(count.sum())
        if total:
            pt = np.repeat(ok, count)
            within = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
            src = order[np.repeat(lo, count) + within]
            direct = np.abs(along[pt] - sources.along[src]) + sources.extra[src]
            np.minimum.at(out, (pt, sources.group[src]), direct)
    out[out > np.asarray(limit_m, dtype=np.float64)] = np.inf
    return out


def reach_within(
    network: WalkNetwork, points: PointSources, n_points: int, limit_m: float
) -> csr_matrix:
    """Which nodes lie within ``limit_m`` of each point, as a sparse 0/1 matrix.

    One Dijkstra per point would return a dense (points × nodes) array; instead
    points are grouped in square cells and each cell runs on the subgraph of
    nodes within ``limit_m`` (straight line) of the cell's points. That is
    exact: every node on a path of length ≤ limit lies within limit of its start
    as the crow flies.

    Parameters
    ----------
    network : WalkNetwork
    points : PointSources
        Snapped points; ``group`` is the point's row in the result.
    n_points : int
        Rows of the result.
    limit_m : float
        Walking distance (including each point's ``extra``).

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_points, n_nodes)
    """
    n = network.n_nodes
    if len(points) == 0:
        return csr_matrix((n_points, n))
    on_road = shapely.line_interpolate_point(network.segments[points.segment], points.along)
    xy = shapely.get_coordinates(on_road)
    cell = max(2.0 * limit_m, 50.0)
    keys = np.floor(xy / cell).astype(np.int64)
    order = np.lexsort((keys[:, 1], keys[:, 0]))
    change = np.flatnonzero(np.any(np.diff(keys[order], axis=0) != 0, axis=1)) + 1
    # Nodes binned on the same grid: a cell's window (its points ± limit) lies inside the
    # 3 × 3 cells around it, so each window tests only those nodes, not all of them.
    node_keys = np.floor(network.node_xy / cell).astype(np.int64)
    node_order = np.lexsort((node_keys[:, 1], node_keys[:, 0]))
    bins: dict[tuple[int, int], IntArray] = {}
    sorted_keys = node_keys[node_order]
    node_change = np.flatnonzero(np.any(np.diff(sorted_keys, axis=0) != 0, axis=1)) + 1
    for chunk in np.split(node_order, node_change):
        kx, ky = node_keys[chunk[0]]
        bins[(int(kx), int(ky))] = chunk
    empty = np.empty(0, dtype=np.int64)
    out_rows: list[IntArray] = []
    out_cols: list[IntArray] = []
    for idx in np.split(order, change):
        kx, ky = (int(k) for k in keys[idx[0]])
        near = np.concatenate(
            [bins.get((kx + dx, ky + dy), empty) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
        )
        lo = xy[idx].min(axis=0) - limit_m
        hi = xy[idx].max(axis=0) + limit_m
        inside = np.all((network.node_xy[near] >= lo) & (network.node_xy[near] <= hi), axis=1)
        sub = np.sort(near[inside])
        m = sub.size
        if m == 0:
            continue  # no junction within reach of these points
        adj = network.adjacency[sub][:, sub].tocsr()
        seg = points.segment[idx]
        length = network.seg_len[seg]
        a = np.clip(points.along[idx], 0.0, length)
        src = np.arange(idx.size, dtype=np.int64)
        rows = np.concatenate([src, src])
        ends = np.concatenate([network.seg_u[seg], network.seg_v[seg]])
        pos = np.minimum(np.searchsorted(sub, ends), m - 1)
        cols = np.where(sub[pos] == ends, pos, -1)
        w = np.concatenate([a, length - a]) + np.concatenate([points.extra[idx]] * 2)
        keep = cols >= 0  # an end outside the window is farther than the limit anyway
        rows, cols, w = _min_per_pair(rows[keep], cols[keep], w[keep])
        counts = np.bincount(rows, minlength=idx.size)
        indptr = np.concatenate([adj.indptr.astype(np.int64), adj.nnz + np.cumsum(counts)])
        graph = csr_matrix(
            (np.concatenate([adj.data, w]), np.concatenate([adj.indices.astype(np.int64), cols]),
             indptr),
            shape=(m + idx.size, m + idx.size),
        )
        dist = dijkstra(graph, directed=True, indices=np.arange(m, m + idx.size), limit=limit_m)
        r, c = np.nonzero(dist[:, :m] <= limit_m)
        out_rows.append(points.group[idx][r])
        out_cols.append(sub[c])
    rr = np.concatenate(out_rows) if out_rows else np.empty(0, dtype=np.int64)
    cc = np.concatenate(out_cols) if out_cols else np.empty(0, dtype=np.int64)
    return csr_matrix((np.ones(rr.size), (rr, cc)), shape=(n_points, n))
