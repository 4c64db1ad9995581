"""Result transport between the parser process and the app: data only, never pickle.

A refusal (or a layer list) is a small JSON document. Parsed layers travel in
a binary container, so nothing is re-serialised value by value:

``MAGIC`` · 8-byte little-endian header length · header (UTF-8 JSON) · body.

The header holds, per layer, the report, the warnings, the feature count and,
for every column and for the geometry, where its bytes lie in the body:

* ``float``: float64 values (NaN = missing);
* ``int``: int64 values, then one byte per value (1 = missing);
* ``bool``: int8 values (-1 = missing);
* ``str``: a UTF-8 JSON list of strings or nulls;
* geometry: int64 WKB lengths (-1 = no geometry), then the WKB concatenated.

The app checks every offset and length against the body before it reads a
byte: a subverted child can make the import fail, never read out of bounds
or run code.
"""

from __future__ import annotations

import json
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatial._errors import LayerImportError
from spatial._sandbox import SandboxError
from spatial.crs import WGS84
from spatial.importer._common import _sandbox_error

MAGIC = b"HEBI-LAYERS-1\n"


class _Body:
    """The body being written: sections appended, their (offset, length) returned."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> list[int]:
        self.parts.append(data)
        where = [self.size, len(data)]
        self.size += len(data)
        return where


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
    obj = s.astype(object)
    texts = [None if v is None else str(v) for v in obj.where(obj.notna(), None).tolist()]
    return {"kind": "str", "data": body.add(json.dumps(texts, ensure_ascii=False).encode())}


def _encode_layers(results: list[tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]]) -> bytes:
    """Encode parsed layers (GeoDataFrame, report, warnings) as one binary answer."""
    body = _Body()
    layers = []
    for gdf, report, warnings in results:
        cols = []
        for name in gdf.columns:
            if name == gdf.geometry.name:
                continue
            cols.append({"name": str(name), **_encode_column(gdf[name], body)})
        wkb = shapely.to_wkb(np.asarray(gdf.geometry.values, dtype=object))
        lengths = np.array([-1 if g is None else len(g) for g in wkb], dtype="<i8")
        geometry = {
            "lengths": body.add(lengths.tobytes()),
            "data": body.add(b"".join(g for g in wkb if g is not None)),
        }
        layers.append(
            {
                "n": len(gdf),
                "columns": cols,
                "geometry": geometry,
                "report": report,
                "warnings": warnings,
            }
        )
    header = json.dumps({"ok": True, "layers": layers}, ensure_ascii=False).encode("utf-8")
    return b"".join([MAGIC, len(header).to_bytes(8, "little"), header, *body.parts])


def _decode_layers(raw: bytes) -> list[gpd.GeoDataFrame]:
    """Decode the child's answer into layers, or raise the refusal it carries."""
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
        start = len(MAGIC) + 8
        header_len = int.from_bytes(raw[len(MAGIC) : start], "little")
        header = json.loads(raw[start : start + header_len].decode("utf-8"))
        body = memoryview(raw)[start + header_len :]
        return [_decode_layer(layer, body) for layer in header["layers"]]
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


def _decode_layer(layer: dict[str, Any], body: memoryview) -> gpd.GeoDataFrame:
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
            texts = json.loads(bytes(_section(body, col["data"])).decode("utf-8"))
            if not isinstance(texts, list) or len(texts) != n:
                raise ValueError("text column of the wrong length")
            data[col["name"]] = pd.array(
                [None if v is None else str(v) for v in texts], dtype=object
            )
        else:
            raise ValueError("unknown column kind")
    lengths = np.frombuffer(_section(body, layer["geometry"]["lengths"], 8 * n), dtype="<i8")
    blob = _section(body, layer["geometry"]["data"], int(lengths[lengths > 0].sum()))
    ends = np.cumsum(np.where(lengths > 0, lengths, 0))
    wkb = np.empty(n, dtype=object)
    start = 0
    for i, (length, end) in enumerate(zip(lengths.tolist(), ends.tolist(), strict=True)):
        wkb[i] = None if length < 0 else bytes(blob[start:end])
        start = end
    geoms = shapely.from_wkb(wkb)
    gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=WGS84), crs=WGS84)
    gdf.attrs["warnings"] = [str(w) for w in layer["warnings"]]
    gdf.attrs["import_report"] = dict(layer["report"])
    return gdf
