"""Noding a line layer with array arithmetic: split lines wherever they cross or touch.

``shapely.union_all`` nodes a layer too, but through a general overlay that
took minutes and gigabytes on a 1M-node street network (issue 17). Roads are
simple: every junction is a crossing of two straight pieces, or a line end
lying on another line. So:

1. every line is cut into its straight pieces (``get_coordinates``);
2. candidate pairs of lines come from an STRtree of the lines (boxes grown by
   the tolerance), and the pairs of their straight pieces whose grown boxes
   overlap are the candidates;
3. for every pair, numpy computes the crossing point of the two pieces, and the
   distance from each piece end to the other piece (a line end lying on
   another line, within the tolerance, is a junction too);
4. each line is cut at its junction points (sorted along it) and rebuilt with
   ``shapely.linestrings(coords, indices=...)``.

A junction point is computed once per pair and given to both lines, rounded to
the grid, so both pieces end on the same coordinate and become one node. Two
differences from ``union_all``: collinear overlapping lines are split at the
overlap's ends but not merged (the network keeps the shorter of parallel edges,
so distances are the same); and no Python loop runs per line or per pair.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = ["node_lines"]

# Lines whose candidate pairs are measured at once (bounds the pair arrays' memory).
_CHUNK = 20_000

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
GeomArray = NDArray[np.object_]


def _pieces(lines: GeomArray) -> tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Straight pieces of every line: owner line, start xy, end xy, distance of the start along.

    Worked per piece, not per vertex, and the vertex arrays are dropped early: on a
    million-node network these temporaries were the build's memory peak.
    """
    xy, vertex_owner = shapely.get_coordinates(lines, return_index=True)
    vertex_owner = vertex_owner.astype(np.int64, copy=False)
    k = np.flatnonzero(vertex_owner[1:] == vertex_owner[:-1])
    owner = vertex_owner[k]
    p0, p1 = xy[k], xy[k + 1]
    del xy, vertex_owner, k
    step = np.hypot(p1[:, 0] - p0[:, 0], p1[:, 1] - p0[:, 1])
    # Distance along the line at each piece's start: the running sum of the steps before it
    # (the same additions, in the same order, as a running sum over the vertices), restarted
    # per line.
    before = np.zeros(len(step))
    if len(step) > 1:
        np.cumsum(step[:-1], out=before[1:])
    new_line = np.ones(len(step), dtype=bool)
    new_line[1:] = owner[1:] != owner[:-1]
    line_first = np.maximum.accumulate(np.where(new_line, np.arange(len(step)), 0))
    start = before - before[line_first]
    del before, new_line, line_first
    keep = step > 0
    return owner[keep], p0[keep], p1[keep], start[keep], step[keep]


def _project(e: FloatArray, p: FloatArray, r: FloatArray, r2: FloatArray) -> tuple[FloatArray,
                                                                                  FloatArray]:
    """Parameter (0–1) of the point of segment p + t·r nearest to e, and the distance to it."""
    t = np.clip(np.einsum("ij,ij->i", e - p, r) / r2, 0.0, 1.0)
    d = np.hypot(*(p + t[:, None] * r - e).T)
    return t, d


def _junctions(
    i: IntArray,
    j: IntArray,
    p0: FloatArray,
    p1: FloatArray,
    length: FloatArray,
    grid: float,
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Junctions of candidate piece pairs: (piece, parameter 0–1 along it, junction xy).

    (a) a piece end within ``grid`` of the other piece is a junction at that end,
    for both pieces; (b) a proper crossing inside both pieces is a junction at
    the crossing point, rounded to the grid, for both. Only the pairs' own
    pieces are gathered (no direction array for every piece of the layer).
    """
    tol = grid
    start = {0: p0[i], 1: p0[j]}
    stop = {0: p1[i], 1: p1[j]}
    r = {0: stop[0] - start[0], 1: stop[1] - start[1]}
    r2 = {k: np.einsum("ij,ij->i", v, v) for k, v in r.items()}
    ids = {0: i, 1: j}
    pieces: list[IntArray] = []
    params: list[FloatArray] = []
    points: list[FloatArray] = []
    for a, b in ((0, 1), (1, 0)):
        for own_t, end in ((0.0, start), (1.0, stop)):
            e = end[a]
            t, d = _project(e, start[b], r[b], r2[b])
            hit = d <= tol
            pieces += [ids[b][hit], ids[a][hit]]
            params += [t[hit], np.full(int(hit.sum()), own_t)]
            points += [e[hit], e[hit]]
    q, s = start[1], r[1]
    ri = r[0]
    li, lj = length[i], length[j]
    denom = ri[:, 0] * s[:, 1] - ri[:, 1] * s[:, 0]
    qp = q - start[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qp[:, 0] * s[:, 1] - qp[:, 1] * s[:, 0]) / denom
        u = (qp[:, 0] * ri[:, 1] - qp[:, 1] * ri[:, 0]) / denom
    inside = (
        np.isfinite(t) & np.isfinite(u)
        & (t * li > tol) & ((1 - t) * li > tol)
        & (u * lj > tol) & ((1 - u) * lj > tol)
    )
    x = start[0][inside] + t[inside, None] * ri[inside]
    x = np.round(x / grid) * grid
    pieces += [i[inside], j[inside]]
    params += [t[inside], u[inside]]
    points += [x, x]
    return np.concatenate(pieces), np.concatenate(params), np.concatenate(points)


def node_lines(lines: GeomArray, grid: float) -> GeomArray:
    """Split lines at every crossing and at every line end lying on another line.

    Parameters
    ----------
    lines : ndarray of LineString
        Lines on the ``grid`` (``shapely.set_precision``), all of one level.
    grid : float
        Coordinate grid (m); also the tolerance within which a line end counts
        as lying on another line.

    Returns
    -------
    ndarray of LineString
        Pieces that meet only at their end points.
    """
    if len(lines) == 0:
        return np.empty(0, dtype=object)
    owner, p0, p1, start, length = _pieces(lines)
    # Pieces of each line are consecutive: line k owns pieces first[k] … first[k] + count[k] − 1.
    count = np.bincount(owner, minlength=len(lines))
    first = np.concatenate([[0], np.cumsum(count)[:-1]])
    line_len = np.bincount(owner, weights=length, minlength=len(lines))
    # Candidate pairs of *lines* by their boxes (an envelope query: no distance computed per
    # pair, and the tree holds the lines themselves, no box per piece), then the pairs of their
    # pieces whose boxes overlap; a chunk of lines at a time bounds the pair arrays' memory.
    tree = shapely.STRtree(lines)
    tol = grid
    cut_line: list[IntArray] = []
    cut_along: list[FloatArray] = []
    cut_xy: list[FloatArray] = []
    for lo_k in range(0, len(lines), _CHUNK):
        b = shapely.bounds(lines[lo_k : lo_k + _CHUNK])
        boxes = shapely.box(b[:, 0] - grid, b[:, 1] - grid, b[:, 2] + grid, b[:, 3] + grid)
        la, lb = tree.query(boxes)
        del boxes
        la = la + lo_k
        keep = la <= lb
        la, lb = la[keep], lb[keep]
        na, nb = count[la], count[lb]
        combos = na * nb
        pair = np.repeat(np.arange(len(la)), combos)
        within = np.arange(int(combos.sum())) - np.repeat(np.cumsum(combos) - combos, combos)
        i = first[la][pair] + within // nb[pair]
        j = first[lb][pair] + within % nb[pair]
        del pair, within
        # Each unordered pair once; a line's consecutive pieces meet at a vertex already.
        keep = (i < j) & ~((owner[i] == owner[j]) & (j == i + 1))
        i, j = i[keep], j[keep]
        # Two pieces can meet only if their boxes, grown by the tolerance, overlap.
        near = np.all(
            (np.minimum(p0[i], p1[i]) - grid <= np.maximum(p0[j], p1[j]) + grid)
            & (np.minimum(p0[j], p1[j]) - grid <= np.maximum(p0[i], p1[i]) + grid),
            axis=1,
        )
        piece, t, xy = _junctions(i[near], j[near], p0, p1, length, grid)
        del i, j, keep, near
        # Only cuts inside a line matter: most junctions of a street grid are at line ends, and
        # keeping those until the end would hold tens of millions of records.
        line = owner[piece]
        along = start[piece] + t * length[piece]
        interior = (along > tol) & (along < line_len[line] - tol)
        cut_line.append(line[interior])
        cut_along.append(along[interior])
        cut_xy.append(xy[interior])
    del tree  # free the index before the cut builds new geometry
    line = np.concatenate(cut_line)
    along = np.concatenate(cut_along)
    sxy = np.concatenate(cut_xy)
    # One cut per place on a line (several pairs find the same junction).
    order = np.lexsort((along, line))
    line, along, sxy = line[order], along[order], sxy[order]
    new = np.ones(len(line), dtype=bool)
    new[1:] = (line[1:] != line[:-1]) | (along[1:] - along[:-1] > tol)
    line, along, sxy = line[new], along[new], sxy[new]
    return _cut(lines, line, along, sxy, tol)


def _fill(values: FloatArray, valid: NDArray[np.bool_], group: IntArray) -> FloatArray:
    """Carry the last valid value forward within each group (NaN before the first)."""
    idx = np.where(valid, np.arange(len(values)), -1)
    np.maximum.accumulate(idx, out=idx)
    out = np.where(idx >= 0, values[np.maximum(idx, 0)], np.nan)
    # A value carried over from the previous group does not count.
    stale = (idx >= 0) & (group[np.maximum(idx, 0)] != group)
    out[stale] = np.nan
    return out


def _cut(
    lines: GeomArray, line: IntArray, along: FloatArray, xy: FloatArray, tol: float
) -> GeomArray:
    """Cut each line at its cut points (sorted by line, then along); the cut vertex is the point."""
    cut_lines = np.unique(line)
    if cut_lines.size == 0:
        return lines
    untouched = np.ones(len(lines), dtype=bool)
    untouched[cut_lines] = False
    vxy, vidx = shapely.get_coordinates(lines[cut_lines], return_index=True)
    vline = cut_lines[vidx]
    step = np.zeros(len(vxy))
    step[1:] = np.hypot(*(vxy[1:] - vxy[:-1]).T)
    first = np.ones(len(vxy), dtype=bool)
    first[1:] = vline[1:] != vline[:-1]
    step[first] = 0.0
    cum = np.cumsum(step)
    cum -= np.maximum.accumulate(np.where(first, cum, 0.0))
    # Vertices and cuts merged along each line (a cut sorts before a vertex at the same place).
    n_v, n_c = len(vxy), len(line)
    m_line = np.concatenate([vline, line])
    m_pos = np.concatenate([cum, along])
    m_cut = np.concatenate([np.zeros(n_v, dtype=bool), np.ones(n_c, dtype=bool)])
    m_xy = np.concatenate([vxy, xy])
    order = np.lexsort((~m_cut, m_pos, m_line))
    m_line, m_pos, m_cut, m_xy = m_line[order], m_pos[order], m_cut[order], m_xy[order]
    # Piece index within the line = cuts passed so far.
    cuts_so_far = np.cumsum(m_cut)
    line_start = np.ones(len(m_line), dtype=bool)
    line_start[1:] = m_line[1:] != m_line[:-1]
    base = np.maximum.accumulate(np.where(line_start, cuts_so_far - m_cut, 0))
    rank = cuts_so_far - base  # for a cut: its 1-based rank; for a vertex: cuts before it
    # Vertices within tol of a cut are dropped: the cut point stands for them.
    prev_cut = _fill(m_pos, m_cut, m_line)
    next_cut = _fill(m_pos[::-1], m_cut[::-1], m_line[::-1])[::-1]
    near = ~m_cut & (
        (np.abs(m_pos - np.nan_to_num(prev_cut, nan=np.inf)) <= tol)
        | (np.abs(np.nan_to_num(next_cut, nan=np.inf) - m_pos) <= tol)
    )
    vert = ~m_cut & ~near
    # Rows: kept vertices in their piece; every cut twice, closing piece rank-1 and opening rank.
    cut_rows = np.flatnonzero(m_cut)
    rows_line = np.concatenate([m_line[vert], m_line[cut_rows], m_line[cut_rows]])
    rows_piece = np.concatenate([rank[vert], rank[cut_rows] - 1, rank[cut_rows]])
    rows_seq = np.concatenate([
        np.flatnonzero(vert).astype(np.float64), cut_rows - 0.5, cut_rows + 0.5,
    ])
    rows_xy = np.concatenate([m_xy[vert], m_xy[cut_rows], m_xy[cut_rows]])
    order = np.lexsort((rows_seq, rows_piece, rows_line))
    rows_line, rows_piece, rows_xy = rows_line[order], rows_piece[order], rows_xy[order]
    change = np.ones(len(rows_line), dtype=bool)
    change[1:] = (rows_line[1:] != rows_line[:-1]) | (rows_piece[1:] != rows_piece[:-1])
    piece_id = np.cumsum(change) - 1
    counts = np.bincount(piece_id)
    good = counts[piece_id] >= 2
    _, dense = np.unique(piece_id[good], return_inverse=True)
    pieces = shapely.linestrings(rows_xy[good], indices=dense)
    pieces = pieces[shapely.length(pieces) > 0]
    return np.concatenate([lines[untouched], pieces]).astype(object)
