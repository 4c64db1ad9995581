"""Compact, script-safe encoding of map geometries (what :mod:`spatial.webmap` sends).

Coordinates are rounded to 1e-6° (≈0.1 m), delta-encoded in 5-bit groups
written with the base64url alphabet, dense lines and polygons simplified in
metres; JSON is written with ``<``, ``>`` and ``&`` as ``\\u`` escapes so
attribute text can neither close the script nor run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from spatial.crs import WGS84, project_to_gk, shift_geometry_to_gcj02

__all__ = [
    "COORD_DECIMALS",
    "SIMPLIFY_MIN_VERTICES",
    "SIMPLIFY_TOLERANCE_M",
    "decode_geometry",
    "encode_coords",
    "encode_geometry",
    "light_geometries",
    "safe_json",
]

# 1e-6 degree is about 0.1 m on the ground: far below the accuracy of any plan layer.
COORD_DECIMALS = 6
# Lines/polygons with more vertices than this are simplified before they are sent.
SIMPLIFY_MIN_VERTICES = 2_000
SIMPLIFY_TOLERANCE_M = 0.5


def _safe_json(obj: Any) -> str:
    """JSON that is safe inside a <script> element and inside JS source."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _round_coords(geoms: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.asarray(
        shapely.transform(geoms, lambda c: np.round(c, COORD_DECIMALS)), dtype=object
    )


def _light_geometries(gdf: gpd.GeoDataFrame, gcj02: bool) -> np.ndarray[Any, Any]:
    """Display geometries: simplified where dense, shifted for GCJ-02 if asked, rounded."""
    geo = gdf.geometry
    if geo.crs is None:
        geo = geo.set_crs(WGS84)
    geo = geo.to_crs(WGS84)
    dense = shapely.get_num_coordinates(np.asarray(geo.values)) > SIMPLIFY_MIN_VERTICES
    if dense.any():
        # Simplify in metres so the tolerance means the same everywhere; keep topology valid.
        gk = project_to_gk(geo[dense])
        geo = geo.copy()
        geo[dense] = gk.simplify(SIMPLIFY_TOLERANCE_M, preserve_topology=True).to_crs(WGS84)
    if gcj02:
        geo = shift_geometry_to_gcj02(geo)
    return _round_coords(np.asarray(geo.values))


# Google's encoded-polyline scheme (zig-zag deltas in 5-bit groups plus a continuation bit), but
# each 6-bit group written with the base64url alphabet instead of chr(63 + n): no braces (which
# folium's Jinja re-rendering would read as template syntax), backslashes or quotes.
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64_INDEX = {c: i for i, c in enumerate(_B64)}


def _encode_coords(coords: np.ndarray[Any, Any]) -> str:
    """Encode (lon, lat) pairs at 1e-6 degree as a compact base64url string."""
    ints = np.round(np.asarray(coords, dtype=float)[:, :2] * 1e6).astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel().tolist()
    out: list[str] = []
    for v in deltas:
        v = ~(v << 1) if v < 0 else v << 1
        while v >= 0x20:
            out.append(_B64[0x20 | (v & 0x1F)])
            v >>= 5
        out.append(_B64[v])
    return "".join(out)


_GEOM_CODES = {"Point": 1, "LineString": 2, "Polygon": 3, "MultiPoint": 4,
               "MultiLineString": 5, "MultiPolygon": 6}


def _rings(poly: Any) -> list[str]:
    return [_encode_coords(np.asarray(r.coords)) for r in (poly.exterior, *poly.interiors)]


def _encode_geometry(geom: Any) -> list[Any]:
    """``[type code, encoded coordinates]``, about a quarter of the size of GeoJSON text."""
    kind = geom.geom_type
    code = _GEOM_CODES.get(kind, 0)
    if code in (1, 2):
        return [code, _encode_coords(np.asarray(geom.coords))]
    if code == 3:
        return [code, _rings(geom)]
    if code == 4:
        return [code, _encode_coords(np.asarray([p.coords[0] for p in geom.geoms]))]
    if code == 5:
        return [code, [_encode_coords(np.asarray(g.coords)) for g in geom.geoms]]
    if code == 6:
        return [code, [_rings(g) for g in geom.geoms]]
    return [0, json.loads(shapely.to_geojson(geom))]  # e.g. GeometryCollection, sent as is


def _decode_coords(text: str) -> list[list[float]]:
    pts: list[list[float]] = []
    i, x, y = 0, 0, 0
    while i < len(text):
        pair = []
        for _ in range(2):
            shift = result = 0
            while True:
                b = _B64_INDEX[text[i]]
                i += 1
                result |= (b & 0x1F) << shift
                shift += 5
                if b < 0x20:
                    break
            pair.append(~(result >> 1) if result & 1 else result >> 1)
        x, y = x + pair[0], y + pair[1]
        pts.append([x / 1e6, y / 1e6])
    return pts


def decode_geometry(encoded: Sequence[Any]) -> dict[str, Any]:
    """Return the GeoJSON geometry of an encoded one (what the browser draws; for tests)."""
    code, data = encoded[0], encoded[1]
    kind = {v: k for k, v in _GEOM_CODES.items()}.get(code)
    if kind is None:
        return dict(data)
    if code == 1:
        return {"type": kind, "coordinates": _decode_coords(data)[0]}
    if code in (2, 4):
        return {"type": kind, "coordinates": _decode_coords(data)}
    if code in (3, 5):
        return {"type": kind, "coordinates": [_decode_coords(r) for r in data]}
    return {"type": kind, "coordinates": [[_decode_coords(r) for r in p] for p in data]}




# Public names for the other map modules (labels); the underscored ones stay for old imports.
safe_json = _safe_json
encode_coords = _encode_coords
encode_geometry = _encode_geometry
light_geometries = _light_geometries
