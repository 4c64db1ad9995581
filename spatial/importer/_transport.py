"""Result transport between the parser process and the app: data only, never pickle.

A refusal (or a layer list) is a small JSON document. Parsed layers travel in
a binary container, so nothing is re-serialised value by value:

``MAGIC`` · 8-byte little-endian header length · header (UTF-8 JSON, padded)
· body.

The header holds, per layer, the report, the warnings, the feature count and,
for every column and for the geometry, where its bytes lie in the body (every
section starts on an 8-byte boundary):

* ``float``: float64 values (NaN = missing);
* ``int``: int64 values, then one byte per value (1 = missing);
* ``bool``: int8 values (-1 = missing);
* ``str``: the three buffers of an Arrow ``large_string`` array (validity
  bitmap or none, int64 offsets, UTF-8 data);
* geometry: the buffers of an Arrow ``large_binary`` array of WKB (null = no
  geometry), which is the file's own WKB when the parser changed no geometry;
  or a reference to an early *part* (below): ``{"part": k, "take": rows}``, the
  part's geometries, or those at ``rows`` (int64 values) when some were skipped.

Early parts (``PART_MAGIC``, same layout, one geometry array): once the parser
has read a layer and GEOS has parsed every one of its WKB values, it hands
that WKB over (``spatial._sandbox.send_part``) and goes on with the checks
(validity, repairs, limits, CRS); the app decodes the part meanwhile, on the
other processor. So the app still parses only WKB the parser's GEOS parsed
first, and no more of it than an answer may hold (``_can_send_early``); the
checked answer says which geometries, if any, to use.

The app checks every offset and length against the body before it reads a
byte, and has Arrow validate every array in full (offsets in order and in
bounds, text valid UTF-8) before it uses one: a subverted child can make the
import fail, never read out of bounds or run code. No Arrow IPC message is
parsed (no compression, no schema from the child): the app alone decides each
array's type and length.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely

from spatial._errors import LayerImportError
from spatial._sandbox import SandboxError
from spatial.crs import WGS84
from spatial.importer._common import MAX_FEATURES, MAX_VERTICES, _sandbox_error
from spatial.importer._points import points_from_wkb

if TYPE_CHECKING:
    from spatial.importer._checks import _Finished

MAGIC = b"HEBI-LAYERS-2\n"
PART_MAGIC = b"HEBI-PART-1\n"
_ALIGN = 8
# A WKB vertex is at least two float64s: this many bytes of WKB hold at most MAX_VERTICES of
# them, the most a checked answer may hold (the parser checks the caps after the part is sent).
_MAX_EARLY_WKB_BYTES = 16 * MAX_VERTICES


class _Body:
    """The body being written: sections appended, their (offset, length) returned."""

    def __init__(self) -> None:
        self.parts: list[bytes | memoryview] = []
        self.size = 0

    def add(self, data: bytes | memoryview | pa.Buffer) -> list[int]:
        view = memoryview(data)
        where = [self.size, view.nbytes]
        self.parts.append(view)
        self.size += view.nbytes
        pad = -self.size % _ALIGN
        if pad:
            self.parts.append(b"\0" * pad)
            self.size += pad
        return where


def _add_arrow(arr: pa.Array | pa.ChunkedArray, body: _Body) -> dict[str, Any]:
    """The validity, offsets and data buffers of a large string/binary array, as sections."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.offset:  # a slice: its buffers start elsewhere; a copy starts at zero
        arr = pa.concat_arrays([arr])
    n = len(arr)
    validity, offsets, data = arr.buffers()
    # Buffers can be larger than the array needs (builders over-allocate): send what it uses.
    offsets_view = memoryview(offsets)[: 8 * (n + 1)] if offsets is not None else b"\0" * 8
    end = int(np.frombuffer(offsets_view, dtype="<i8")[-1])
    return {
        "validity": None
        if validity is None or arr.null_count == 0
        else body.add(memoryview(validity)[: (n + 7) // 8]),
        "offsets": body.add(offsets_view),
        "data": body.add(memoryview(data)[:end] if data is not None else b""),
    }


def _text_array(s: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A column as Arrow text: text as is, other values (dates, lists) as ``str(v)``."""
    if isinstance(s.dtype, pd.StringDtype):
        return pa.array(s, from_pandas=True).cast(pa.large_string())
    obj = s.astype(object).to_numpy()
    if pd.api.types.infer_dtype(obj, skipna=True) in ("string", "empty"):
        return pa.array(obj, type=pa.large_string(), from_pandas=True)
    missing = pd.isna(obj)
    texts = [None if m else str(v) for v, m in zip(obj.tolist(), missing.tolist(), strict=True)]
    return pa.array(texts, type=pa.large_string())


def _encode_column(s: pd.Series, body: _Body) -> dict[str, Any]:
    if pd.api.types.is_bool_dtype(s):
        values = np.where(s.isna(), -1, s.fillna(False).astype(bool).astype(np.int8))
        return {"kind": "bool", "data": body.add(values.astype("<i1").tobytes())}
    if pd.api.types.is_integer_dtype(s):
        missing = s.isna().to_numpy()
        values = s.fillna(0).to_numpy(dtype=np.int64)
        return {
            "kind": "int",
            "data": body.add(values.astype("<i8").tobytes()),
            "mask": body.add(missing.astype(np.uint8).tobytes()),
        }
    if pd.api.types.is_float_dtype(s):
        values = s.to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.where(np.isfinite(values), values, np.nan)
        return {"kind": "float", "data": body.add(values.astype("<f8").tobytes())}
    return {"kind": "str", **_add_arrow(_text_array(s), body)}


def _framed(magic: bytes, doc: dict[str, Any], body: _Body) -> list[bytes | memoryview]:
    """``magic`` · header length · header (JSON, padded to 8 bytes) · body, as parts."""
    header = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    # Pad so the body starts on an 8-byte boundary too (offsets are read as int64).
    header += b" " * (-(len(magic) + 8 + len(header)) % _ALIGN)
    return [magic, len(header).to_bytes(8, "little"), header, *body.parts]


def _can_send_early(wkb: pa.Array) -> bool:
    """Is this layer's WKB within what one answer may hold (features, and vertices by size)?"""
    return len(wkb) <= MAX_FEATURES and wkb.nbytes <= _MAX_EARLY_WKB_BYTES


def _encode_part(wkb: pa.Array) -> list[bytes | memoryview]:
    """An early part: a layer's WKB as read (see the module's docstring), as parts."""
    body = _Body()
    geometry = _add_arrow(wkb.cast(pa.large_binary()), body)
    return _framed(PART_MAGIC, {"n": len(wkb), "geometry": geometry}, body)


def _encode_layers(results: list[_Finished]) -> list[bytes | memoryview]:
    """Encode checked layers (columns, WKB or geometries, report, warnings) as one answer.

    The answer is returned as its parts, in order: the sandbox writes them one after the
    other, so a large answer is never joined into one more copy.
    """
    body = _Body()
    layers = []
    for res in results:
        cols = []
        for name in res.columns.columns:
            cols.append({"name": str(name), **_encode_column(res.columns[name], body)})
        geometry: dict[str, Any]
        if res.part is not None:  # the app has these geometries already (an early part)
            take = None if res.take is None else body.add(res.take.astype("<i8").tobytes())
            geometry = {"part": res.part, "take": take}
        else:
            if res.wkb is None:
                wkb = pa.array(
                    shapely.to_wkb(np.asarray(res.geoms, dtype=object)), type=pa.large_binary()
                )
            else:
                wkb = res.wkb.cast(pa.large_binary())
            geometry = _add_arrow(wkb, body)
        layers.append(
            {
                "n": len(res.columns),
                "columns": cols,
                "geometry": geometry,
                "report": res.report,
                "warnings": res.warnings,
            }
        )
    return _framed(MAGIC, {"ok": True, "layers": layers}, body)


class _Parts:
    """The app's side of early parts: each decoded as it arrives (``run_sandboxed(on_part=)``)."""

    def __init__(self) -> None:
        self.geoms: list[np.ndarray[Any, Any]] = []

    def take(self, raw: bytes) -> None:
        """Validate and decode one part; a part that is not right stops the run as a crash."""
        try:
            self.geoms.append(_decode_part(raw))
        except Exception:
            raise SandboxError("crashed", "undecodable part") from None


def _split(raw: bytes, magic: bytes) -> tuple[dict[str, Any], memoryview]:
    """The header (JSON) and the body of a framed answer or part."""
    if not raw.startswith(magic):
        raise ValueError("not a framed answer")
    start = len(magic) + 8
    header_len = int.from_bytes(raw[len(magic) : start], "little")
    header = json.loads(raw[start : start + header_len].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("header is not an object")
    return header, memoryview(raw)[start + header_len :]


def _decode_part(raw: bytes) -> np.ndarray[Any, Any]:
    """The geometries of an early part, after the same checks as an answer's (and its caps)."""
    header, body = _split(raw, PART_MAGIC)
    n = int(header["n"])
    if not 0 <= n <= MAX_FEATURES:
        raise ValueError("feature count out of range")
    wkb = _decode_arrow_array(header["geometry"], body, pa.large_binary(), n)
    if wkb.nbytes > _MAX_EARLY_WKB_BYTES + 8 * (n + 1) + (n + 7) // 8:
        raise ValueError("part larger than an answer may be")
    return _geometries(wkb)


def _decode_layers(
    raw: bytes, parts: list[np.ndarray[Any, Any]] | None = None
) -> list[gpd.GeoDataFrame]:
    """Decode the child's answer into layers, or raise the refusal it carries.

    ``parts`` are the geometries of the early parts of this run (``_Parts.geoms``).
    """
    if not raw.startswith(MAGIC):
        try:
            doc = json.loads(raw.decode("utf-8"))
            refused = not doc.get("ok")
        except Exception:
            raise _crashed() from None
        if refused:
            raise LayerImportError(str(doc["zh"]), str(doc["en"]))
        raise _crashed()
    try:
        header, body = _split(raw, MAGIC)
        return [_decode_layer(layer, body, parts or []) for layer in header["layers"]]
    except LayerImportError:
        raise
    except Exception:
        # Only a subverted or broken child produces an answer we cannot decode.
        raise _crashed() from None


def _crashed() -> LayerImportError:
    return _sandbox_error(SandboxError("crashed", "undecodable result"))


def _section(body: memoryview, where: Any, size: int | None = None) -> memoryview:
    """The body bytes at ``where = [offset, length]``, checked (and of ``size`` if given)."""
    offset, length = int(where[0]), int(where[1])
    if offset < 0 or length < 0 or offset + length > len(body):
        raise ValueError("section out of bounds")
    if size is not None and length != size:
        raise ValueError("section of the wrong size")
    return body[offset : offset + length]


def _arrow_section(body: memoryview, where: Any) -> pa.Buffer:
    return pa.py_buffer(_section(body, where))


def _decode_arrow_array(
    section: dict[str, Any], body: memoryview, kind: pa.DataType, n: int
) -> pa.Array:
    """A large string/binary array of ``n`` values from its sections, fully validated."""
    validity = section.get("validity")
    buffers = [
        None if validity is None else _arrow_section(body, validity),
        _arrow_section(body, section["offsets"]),
        _arrow_section(body, section["data"]),
    ]
    if buffers[1].size != 8 * (n + 1):
        raise ValueError("offsets of the wrong size")
    if buffers[0] is not None and buffers[0].size < (n + 7) // 8:
        raise ValueError("validity bitmap too short")
    arr = pa.Array.from_buffers(kind, n, buffers)
    # Offsets monotonic and inside the data, text valid UTF-8: checked before any use.
    arr.validate(full=True)
    return arr


def _decode_layer(
    layer: dict[str, Any], body: memoryview, parts: list[np.ndarray[Any, Any]]
) -> gpd.GeoDataFrame:
    n = int(layer["n"])
    if n < 0:
        raise ValueError("negative count")
    data: dict[str, Any] = {}
    for col in layer["columns"]:
        kind = col["kind"]
        if kind == "float":
            values = np.frombuffer(_section(body, col["data"], 8 * n), dtype="<f8")
            data[col["name"]] = pd.array(values.astype(np.float64), dtype="float64")
        elif kind == "int":
            values = np.frombuffer(_section(body, col["data"], 8 * n), dtype="<i8")
            mask = np.frombuffer(_section(body, col["mask"], n), dtype=np.uint8).astype(bool)
            data[col["name"]] = pd.arrays.IntegerArray(values.astype(np.int64), mask.copy())
        elif kind == "bool":
            values = np.frombuffer(_section(body, col["data"], n), dtype="<i1")
            data[col["name"]] = pd.arrays.BooleanArray(values == 1, values < 0)
        elif kind == "str":
            data[col["name"]] = _text_column(_decode_arrow_array(col, body, pa.large_string(), n))
        else:
            raise ValueError("unknown column kind")
    geometry = layer["geometry"]
    if "part" in geometry:
        geoms = _from_part(geometry, body, parts, n)
    else:
        geoms = _geometries(_decode_arrow_array(geometry, body, pa.large_binary(), n))
    gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=WGS84), crs=WGS84)
    gdf.attrs["warnings"] = [str(w) for w in layer["warnings"]]
    gdf.attrs["import_report"] = dict(layer["report"])
    return gdf


def _from_part(
    geometry: dict[str, Any], body: memoryview, parts: list[np.ndarray[Any, Any]], n: int
) -> np.ndarray[Any, Any]:
    """A layer's ``n`` geometries from an early part: all of them, or those at the rows given."""
    k = geometry["part"]
    if not isinstance(k, int) or isinstance(k, bool) or not 0 <= k < len(parts):
        raise ValueError("no such part")
    source = parts[k]
    if geometry.get("take") is None:
        if len(source) != n:
            raise ValueError("part of the wrong length")
        return source
    rows = np.frombuffer(_section(body, geometry["take"], 8 * n), dtype="<i8")
    if n and (int(rows.min()) < 0 or int(rows.max()) >= len(source)):
        raise ValueError("row outside the part")
    return source[rows]


def _geometries(wkb: pa.Array) -> np.ndarray[Any, Any]:
    """Shapely geometries from validated WKB; plain finite points straight from their coordinates.

    For a layer of points that is the same geometry ``shapely.from_wkb`` builds,
    without a Python bytes object per point on the way.
    """
    points = points_from_wkb(wkb)
    if points is not None and not points.null.any() and np.isfinite(points.xy).all():
        return np.asarray(shapely.points(points.xy), dtype=object)
    return shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))


def _text_column(arr: pa.Array) -> Any:
    """A validated text column as pandas holds it: ``str`` (Arrow-backed) when pandas infers text.

    Text stays in its Arrow buffers: turning each value into a Python string only for pandas
    to gather them into Arrow again is what this avoids. The result is what pandas makes of
    the values as Python objects (a column with no text at all stays ``object``).
    """
    # (pandas >= 3 infers ``str`` for text; its switch to turn that off is deprecated.)
    if arr.null_count < len(arr):
        # Own copies of the buffers: views would keep the child's whole answer alive.
        own = [None if b is None else pa.py_buffer(bytes(memoryview(b))) for b in arr.buffers()]
        arr = pa.Array.from_buffers(arr.type, len(arr), own, null_count=arr.null_count)
        return pd.array(arr, dtype=pd.StringDtype("pyarrow", na_value=np.nan))
    return pd.array(arr.to_numpy(zero_copy_only=False), dtype=object)
