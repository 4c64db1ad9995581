"""Plain 2D points as coordinate arrays, read from and written to WKB without shapely objects.

A layer of a million points is the common large upload. Building a shapely
object per point only to learn that each is a finite x, y pair (points cannot
be invalid otherwise) costs more than GDAL's read itself, in time and memory.
A little-endian WKB point is 21 bytes: byte order ``1``, type ``1`` (uint32),
x and y (float64). When every feature of a column is exactly that, the
coordinates are read as two numpy columns; anything else (Z, M, big-endian,
multipoints, other types) takes the general path through shapely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

_POINT_WKB_SIZE = 21
# Byte order 1 (little endian), geometry type 1 (Point, 2D), as the first five bytes.
_POINT_HEADER = np.array([1, 1, 0, 0, 0], dtype=np.uint8)
_POINT_DTYPE = np.dtype([("order", "u1"), ("type", "<u4"), ("x", "<f8"), ("y", "<f8")])


@dataclass
class _Points:
    """The coordinates of a layer of plain 2D points.

    ``xy`` is ``(n, 2)`` float64; ``null[i]`` says feature ``i`` has no
    geometry (its ``xy`` row is then NaN). ``POINT EMPTY`` is ``NaN NaN`` in
    WKB and stays so here, as GEOS reads it.
    """

    xy: np.ndarray[Any, Any]
    null: np.ndarray[Any, Any]
    # False when the coordinates were computed (a point table's converted lon/lat), not read
    # from WKB: a NaN pair is then a failed conversion (non-finite), not an empty point.
    nan_is_empty: bool = True


def points_from_wkb(arr: pa.Array | pa.ChunkedArray | None) -> _Points | None:
    """The coordinates of a WKB column if every non-null value is a plain 2D point, else None."""
    if arr is None:
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type)):
        return None
    n = len(arr)
    if n == 0:
        return None
    _validity, offsets_buf, data_buf = arr.buffers()
    if offsets_buf is None or data_buf is None:
        return None
    off_type = "<i8" if pa.types.is_large_binary(arr.type) else "<i4"
    offsets = np.frombuffer(offsets_buf, dtype=off_type, count=arr.offset + n + 1)[arr.offset :]
    lengths = np.diff(offsets)
    null = (
        arr.is_null().to_numpy(zero_copy_only=False)
        if arr.null_count
        else np.zeros(n, dtype=bool)
    )
    present = ~null
    if not (lengths[present] == _POINT_WKB_SIZE).all() or (lengths[null] != 0).any():
        return None
    # Offsets only grow and null values are empty, so the points lie back to back.
    m = int(present.sum())
    start = int(offsets[0])
    if start < 0 or start + m * _POINT_WKB_SIZE > data_buf.size:
        return None
    recs = np.frombuffer(data_buf, dtype=_POINT_DTYPE, count=m, offset=start)
    if not ((recs["order"] == 1) & (recs["type"] == 1)).all():
        return None
    xy = np.full((n, 2), np.nan)
    if m == n:
        xy[:, 0] = recs["x"]
        xy[:, 1] = recs["y"]
    else:
        xy[present, 0] = recs["x"]
        xy[present, 1] = recs["y"]
    return _Points(xy, null)


def points_to_wkb(xy: np.ndarray[Any, Any]) -> pa.Array:
    """Little-endian WKB of plain 2D points, byte for byte what ``shapely.to_wkb`` writes."""
    n = len(xy)
    recs = np.empty(n, dtype=_POINT_DTYPE)
    recs["order"] = 1
    recs["type"] = 1
    recs["x"] = xy[:, 0]
    recs["y"] = xy[:, 1]
    offsets = np.arange(0, (n + 1) * _POINT_WKB_SIZE, _POINT_WKB_SIZE, dtype=np.int64)
    return pa.Array.from_buffers(
        pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(recs.view(np.uint8))]
    )


def points_to_shapes(points: _Points) -> np.ndarray[Any, Any]:
    """Shapely points (None where there is no geometry), as ``shapely.from_wkb`` would give."""
    import shapely

    geoms = np.full(len(points.xy), None, dtype=object)
    present = ~points.null
    xy = points.xy[present]
    made = shapely.points(xy)
    if points.nan_is_empty:
        made[np.isnan(xy).all(axis=1)] = shapely.from_wkt("POINT EMPTY")
    geoms[present] = made
    return geoms
