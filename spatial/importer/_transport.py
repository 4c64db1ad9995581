"""Result transport between the parser process and the app: JSON + WKB (data only, never pickle)."""

from __future__ import annotations

import json
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from spatial._errors import LayerImportError
from spatial._sandbox import SandboxError
from spatial.crs import WGS84
from spatial.importer._common import (
    _is_missing,
    _sandbox_error,
)


def _encode_layers(results: list[tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]]) -> bytes:
    """Encode one or more parsed layers as one JSON answer."""
    docs = [json.loads(_encode_result(*r)) for r in results]
    return json.dumps({"ok": True, "layers": docs}, ensure_ascii=False).encode("utf-8")


def _decode_layers(raw: bytes) -> list[gpd.GeoDataFrame]:
    """Decode :func:`_encode_layers`' answer (or raise the refusal it carries)."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except Exception:
        raise _sandbox_error(SandboxError("crashed", "undecodable result")) from None
    if not isinstance(doc, dict) or not doc.get("ok") or not isinstance(doc.get("layers"), list):
        return [_decode_result(raw)]
    return [_decode_result(json.dumps(d).encode("utf-8")) for d in doc["layers"]]


def _encode_result(gdf: gpd.GeoDataFrame, report: dict[str, Any], warnings: list[str]) -> bytes:
    cols = []
    for name in gdf.columns:
        if name == gdf.geometry.name:
            continue
        s = gdf[name]
        values: list[Any]
        if pd.api.types.is_bool_dtype(s):
            kind, values = "bool", [None if pd.isna(v) else bool(v) for v in s]
        elif pd.api.types.is_integer_dtype(s):
            kind, values = "int", [None if pd.isna(v) else int(v) for v in s]
        elif pd.api.types.is_float_dtype(s):
            kind = "float"
            values = [None if not math.isfinite(float(v)) else float(v) for v in s]
        else:
            kind, values = "str", [None if _is_missing(v) else str(v) for v in s]
        cols.append({"name": str(name), "kind": kind, "values": values})
    wkb = shapely.to_wkb(np.asarray(gdf.geometry.values), hex=True)
    doc = {
        "ok": True,
        "columns": cols,
        "geometry": [None if g is None else str(g) for g in wkb],
        "report": report,
        "warnings": warnings,
    }
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _decode_result(raw: bytes) -> gpd.GeoDataFrame:
    try:
        doc = json.loads(raw.decode("utf-8"))
        if not doc.get("ok"):
            raise LayerImportError(str(doc["zh"]), str(doc["en"]))
        geoms = shapely.from_wkb(
            np.array([g if g is not None else None for g in doc["geometry"]], dtype=object)
        )
        data: dict[str, Any] = {}
        for col in doc["columns"]:
            values = col["values"]
            kind = col["kind"]
            if kind == "int":
                data[col["name"]] = pd.array(values, dtype="Int64")
            elif kind == "float":
                data[col["name"]] = pd.array(
                    [np.nan if v is None else v for v in values], dtype="float64"
                )
            elif kind == "bool":
                data[col["name"]] = pd.array(values, dtype="boolean")
            else:
                data[col["name"]] = pd.array(values, dtype=object)
        gdf = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs=WGS84), crs=WGS84)
        gdf.attrs["warnings"] = [str(w) for w in doc["warnings"]]
        gdf.attrs["import_report"] = dict(doc["report"])
    except LayerImportError:
        raise
    except Exception:
        # Only a subverted or broken child produces an answer we cannot decode.
        raise _sandbox_error(SandboxError("crashed", "undecodable result")) from None
    return gdf
