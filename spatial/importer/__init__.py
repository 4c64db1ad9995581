"""Read a planner's own layer from an upload, safely, into WGS84.

``read_user_layer(data, filename)`` accepts GeoJSON, GeoPackage, zipped
Shapefile, KML/KMZ and CSV with longitude/latitude columns. It either returns a
GeoDataFrame in EPSG:4326 or raises :class:`spatial.LayerImportError` with a
message a planner can act on.

Threat model (see ``shared/notes/untrusted-input.md``): GDAL picks drivers by
content, so an upload named ``.geojson`` can be an OGR VRT that reads server
files or fetches URLs; zips can be bombs or carry ``../`` names; XML can carry
entities; malformed files make GDAL raise a zoo of exceptions. The defences:

1. The format comes from the extension and the content must agree (magic
   bytes); the GDAL driver is pinned (``GeoJSON:``/``GPKG:`` prefixes, or the
   driver ``read_info`` reports is checked against an allow-list).
2. Every driver but the five allowed ones is skipped (``GDAL_SKIP``), all
   ``/vsicurl/``-style network access is refused, PROJ's network is off.
3. Zips are judged by their central directory before anything is inflated,
   and read in place through ``/vsizip/`` (no extraction to disk).
4. XML with a DTD or entity declaration is refused before GDAL sees it.
5. All parsing runs in :mod:`spatial._sandbox` (CPU, memory, output and
   wall-clock limits; only the bytes go in; the answer comes back as JSON + WKB).

Policies (QGIS-like): null, empty and non-finite geometries are skipped and
counted; invalid polygons are repaired with ``make_valid`` and named in a
warning, or skipped when the repair is ambiguous; the file's CRS is honoured
(including the legacy GeoJSON ``crs`` member), unknown CRS codes are refused,
and coordinates that look like projected metres or swapped lat/lon without a
CRS are refused with an explanation. Text in GBK/GB18030 is detected.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from spatial._errors import LayerImportError
from spatial._sandbox import SandboxError, run_sandboxed
from spatial.importer._checks import (
    _finish,
)
from spatial.importer._common import (
    _ALLOWED_DRIVERS,
    _SANDBOX_LIMITS,
    MAX_FEATURES,
    MAX_INFLATED_BYTES,
    MAX_UPLOAD_BYTES,
    SUPPORTED_EXTENSIONS,
    _clean_text,
    _err,
    _library_error,
    _sandbox_error,
)
from spatial.importer._formats import (
    _read_raw,
)
from spatial.importer._transport import (
    _decode_result,
    _encode_result,
)

__all__ = [
    "MAX_FEATURES",
    "MAX_INFLATED_BYTES",
    "MAX_UPLOAD_BYTES",
    "SUPPORTED_EXTENSIONS",
    "read_user_layer",
]


# =================================================================================================
# Public API (runs in the app process)
# =================================================================================================


def read_user_layer(data: bytes, filename: str) -> gpd.GeoDataFrame:
    """Read an uploaded file as one layer in WGS84.

    Parameters
    ----------
    data : bytes
        The uploaded file's bytes (at most ``MAX_UPLOAD_BYTES``).
    filename : str
        The name the user gave the file; only its extension is used to choose
        the format (the content must agree) and its stem as a title hint.

    Returns
    -------
    geopandas.GeoDataFrame
        The features in EPSG:4326. ``attrs["warnings"]`` is a list of plain
        bilingual sentences ("中文 / English"), ``attrs["import_report"]`` a
        dict with ``format``, ``features``, ``features_in_file``,
        ``geometry_types``, ``crs_found``, ``crs_source``, ``encoding``,
        ``repaired``, ``repaired_features``, ``skipped``, ``skipped_by_reason``,
        ``skipped_features`` and ``columns``; ``attrs["title"]`` a suggested
        layer title.

    Raises
    ------
    LayerImportError
        For every file that cannot be shown correctly; the message says why
        and what to do, in Chinese and English.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("data must be bytes")
    data = bytes(data)
    ext = _extension(filename)
    if not data:
        raise _err("文件是空的。", "The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise _err(
            f"文件太大（{len(data) / 1024**2:.0f} MB），上限为 {MAX_UPLOAD_BYTES // 1024**2} MB。"
            "请拆分图层或压缩为 zip 后再上传。",
            f"The file is too large ({len(data) / 1024**2:.0f} MB); the limit is "
            f"{MAX_UPLOAD_BYTES // 1024**2} MB. Split the layer or zip it and try again.",
        )
    kind = SUPPORTED_EXTENSIONS[ext]
    try:
        raw = run_sandboxed(
            "spatial.importer:_sandbox_entry",
            data,
            [kind],
            limits=_SANDBOX_LIMITS,
            env=_gdal_child_env(),
        )
    except SandboxError as exc:
        raise _sandbox_error(exc) from None
    gdf = _decode_result(raw)
    gdf.attrs["title"] = _title_from_filename(filename, gdf.attrs["import_report"])
    return gdf


def _extension(filename: str) -> str:
    base = re.split(r"[\\/]", str(filename))[-1].strip().lower()
    for ext in sorted(SUPPORTED_EXTENSIONS, key=len, reverse=True):
        if base.endswith(ext):
            return ext
    if base.endswith((".shp", ".shx", ".dbf", ".prj", ".cpg")):
        raise _err(
            "Shapefile 由多个文件组成：请把同名的 .shp、.shx、.dbf、.prj（以及 .cpg）"
            "一起压缩成一个 zip 文件再上传。",
            "A Shapefile is several files: put the .shp, .shx, .dbf, .prj (and .cpg) of the "
            "same name into one zip file and upload the zip.",
        )
    raise _err(
        "不支持该文件格式。请上传 GeoJSON、GeoPackage（.gpkg）、压缩的 Shapefile（.zip）、"
        "KML/KMZ，或带经纬度列的 CSV。",
        "This file type is not supported. Upload GeoJSON, GeoPackage (.gpkg), a zipped "
        "Shapefile (.zip), KML/KMZ, or CSV with longitude/latitude columns.",
    )


def _title_from_filename(filename: str, report: dict[str, Any]) -> str:
    base = re.split(r"[\\/]", str(filename))[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    inner = report.get("dataset_name")
    if isinstance(inner, str) and inner and report.get("format") == "Shapefile":
        stem = inner
    return _clean_text(stem, 80) or "layer"



def _gdal_child_env() -> dict[str, str]:
    """GDAL/PROJ configuration for the parser process (read by GDAL when it loads)."""
    skip = sorted(set(pyogrio.list_drivers()) - _ALLOWED_DRIVERS | {"OGR_VRT", "VRT", "GDALG"})
    return {
        # Only the five allowed drivers exist in the child: VRT, GDALG, WFS, OAPIF... cannot open.
        # Comma-separated: names such as "MapInfo File" contain spaces.
        "GDAL_SKIP": ",".join(skip),
        # /vsicurl/ (and the cloud file systems built on it) treat every URL as missing.
        "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".hebi-network-disabled",
        "GDAL_HTTP_TIMEOUT": "1",
        "GDAL_HTTP_MAX_RETRY": "0",
        "PROJ_NETWORK": "OFF",
        # SQLite-based drivers must not reach other files (VirtualOGR, gdal_get_pixel_value...).
        "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
        "GDAL_NUM_THREADS": "1",
        "CPL_DEBUG": "OFF",
    }




# =================================================================================================
# Everything below runs inside the sandboxed child process
# =================================================================================================


def _sandbox_entry(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Child entry point: parse ``data`` of format ``args[0]`` and return the encoded answer."""
    kind = args[0]
    try:
        raw = _read_raw(data, kind, workdir)
        gdf, report, warnings = _finish(raw)
        return _encode_result(gdf, report, warnings)
    except LayerImportError as exc:
        return json.dumps({"ok": False, "zh": exc.zh, "en": exc.en}, ensure_ascii=False).encode()
    except MemoryError:
        raise
    except Exception as exc:  # any library failure becomes a plain message, details to the log
        import traceback

        traceback.print_exc()
        e = _library_error(exc, kind)
        return json.dumps({"ok": False, "zh": e.zh, "en": e.en}, ensure_ascii=False).encode()

