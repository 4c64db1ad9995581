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
   wall-clock limits; only the bytes go in; the answer comes back as JSON
   plus columnar buffers: WKB and Arrow-layout text, see ``_transport``).

Policies (QGIS-like): null, empty and non-finite geometries are skipped and
counted; invalid polygons are repaired with ``make_valid`` and named in a
warning, or skipped when the repair is ambiguous; the file's CRS is honoured
(including the legacy GeoJSON ``crs`` member), unknown CRS codes are refused,
and coordinates that look like projected metres or swapped lat/lon without a
CRS are refused with an explanation. Text in GBK/GB18030 is detected.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pyogrio

from spatial._errors import LayerImportError
from spatial._sandbox import SandboxError, WaitCallback, prewarm, run_sandboxed
from spatial.importer._common import (
    _ALLOWED_DRIVERS,
    _SANDBOX_LIMITS,
    COORDINATE_SYSTEMS,
    MAX_FEATURE_VERTICES,
    MAX_FEATURES,
    MAX_INFLATED_BYTES,
    MAX_UPLOAD_BYTES,
    MAX_VERTICES,
    SUPPORTED_EXTENSIONS,
    _clean_text,
    _err,
    _sandbox_error,
)
from spatial.importer._transport import _decode_layers, _Parts

__all__ = [
    "COORDINATE_SYSTEMS",
    "MAX_FEATURES",
    "MAX_FEATURE_VERTICES",
    "MAX_INFLATED_BYTES",
    "MAX_UPLOAD_BYTES",
    "MAX_VERTICES",
    "SUPPORTED_EXTENSIONS",
    "LayerChoice",
    "list_user_layers",
    "prewarm_parser",
    "read_user_layer",
    "read_user_layers",
]


# =================================================================================================
# Public API (runs in the app process)
# =================================================================================================


@dataclass(frozen=True)
class LayerChoice:
    """One layer of a multi-layer upload, for the user to choose from.

    Attributes
    ----------
    name : str
        The layer's name in the file (untrusted text: escape before showing).
    geometry_type : str
        As the file declares it, e.g. ``"MultiPolygon"``.
    features : int or None
        Number of features, if the file says.
    """

    name: str
    geometry_type: str
    features: int | None


def read_user_layer(
    data: bytes,
    filename: str,
    *,
    layer: str | None = None,
    coordinates: str = "wgs84",
    on_wait: WaitCallback | None = None,
) -> gpd.GeoDataFrame:
    """Read an uploaded file as one layer in WGS84.

    Parameters
    ----------
    data : bytes
        The uploaded file's bytes (at most ``MAX_UPLOAD_BYTES``).
    filename : str
        The name the user gave the file; only its extension is used to choose
        the format (the content must agree) and its stem as a title hint.
    layer : str, optional
        For a GeoPackage with several layers: the one to read (otherwise such
        a file is refused with the list of its layers).
    coordinates : {"wgs84", "gcj02", "bd09"}
        Coordinate system of a point table's (CSV/xlsx) lon/lat columns; the
        points are converted to WGS84 and the report says so.
    on_wait : callable, optional
        Told ``(runs ahead, seconds waited)`` while the parse waits in the queue.

    Returns
    -------
    geopandas.GeoDataFrame
        The features in EPSG:4326. ``attrs["warnings"]`` is a list of plain
        bilingual sentences ("中文 / English"), ``attrs["import_report"]`` a
        dict with ``format``, ``features``, ``features_in_file``,
        ``geometry_types``, ``crs_found``, ``crs_source``, ``encoding``,
        ``repaired``, ``repaired_features``, ``skipped``, ``skipped_by_reason``,
        ``skipped_features``, ``columns``, ``coordinate_system`` and
        ``vertices``; ``attrs["title"]`` a suggested layer title.

    Raises
    ------
    LayerImportError
        For every file that cannot be shown correctly; the message says why
        and what to do, in Chinese and English.
    """
    gdfs = read_user_layers(
        data,
        filename,
        layers=None if layer is None else [layer],
        coordinates=coordinates,
        on_wait=on_wait,
        single=True,
    )
    return gdfs[0]


def read_user_layers(
    data: bytes,
    filename: str,
    *,
    layers: Sequence[str] | None = None,
    coordinates: str = "wgs84",
    on_wait: WaitCallback | None = None,
    single: bool = False,
) -> list[gpd.GeoDataFrame]:
    """Read the chosen layers of an upload (all of them by default), each in WGS84.

    Parameters
    ----------
    data, filename, coordinates, on_wait
        As for :func:`read_user_layer`.
    layers : sequence of str, optional
        Names (from :func:`list_user_layers`) of the GeoPackage layers to read;
        None reads every layer with geometry.
    single : bool
        Refuse a file that holds several layers when none was chosen.

    Returns
    -------
    list of geopandas.GeoDataFrame
        One per layer, in the order asked, each as :func:`read_user_layer`
        returns it (``attrs["title"]`` is the layer name for a multi-layer file).

    Raises
    ------
    LayerImportError
        As for :func:`read_user_layer`; one bad layer refuses the whole file.
    """
    kind = _check_upload(data, filename)
    if coordinates not in COORDINATE_SYSTEMS:
        raise ValueError(f"coordinates must be one of {sorted(COORDINATE_SYSTEMS)}")
    opts = {
        "mode": "read",
        "layers": None if layers is None else list(layers),
        "coordinates": coordinates,
        # One child does both: refusing a multi-layer file here would cost a second process.
        "single": single,
    }
    # The parser hands over each layer's WKB as soon as it has read it (``_transport``): the
    # app decodes it while the parser checks the layer, then uses what the answer says.
    parts = _Parts()
    raw = _run_child(bytes(data), kind, opts, on_wait, on_part=parts.take)
    gdfs = _decode_layers(raw, parts.geoms)
    for gdf in gdfs:
        report = gdf.attrs["import_report"]
        name = report.get("dataset_name")
        if len(gdfs) > 1 and isinstance(name, str) and name:
            gdf.attrs["title"] = _clean_text(name, 80)
        else:
            gdf.attrs["title"] = _title_from_filename(filename, report)
    return gdfs


def list_user_layers(
    data: bytes, filename: str, *, on_wait: WaitCallback | None = None
) -> list[LayerChoice]:
    """List the layers of a multi-layer upload (a GeoPackage, also inside a zip).

    Returns
    -------
    list of LayerChoice
        Every layer with geometry; empty for formats that hold one layer.

    Raises
    ------
    LayerImportError
        If the file cannot be opened.
    """
    kind = _check_upload(data, filename)
    if kind not in ("gpkg", "zip"):
        return []
    raw = _run_child(bytes(data), kind, {"mode": "list"}, on_wait)
    try:
        doc = json.loads(raw.decode("utf-8"))
        if not doc.get("ok"):
            raise LayerImportError(str(doc["zh"]), str(doc["en"]))
        return [
            LayerChoice(
                str(c["name"]),
                str(c["geometry_type"]),
                None if c["features"] is None else int(c["features"]),
            )
            for c in doc["choices"]
        ]
    except LayerImportError:
        raise
    except Exception:
        raise _sandbox_error(SandboxError("crashed", "undecodable list")) from None


def _check_upload(data: bytes, filename: str) -> str:
    """Cheap checks in the app process; returns the format kind."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("data must be bytes")
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
    return SUPPORTED_EXTENSIONS[ext]


# The parser imports this module only (see ``_child``), not this package with the app's imports.
_ENTRY = "spatial.importer._child:_sandbox_entry"


def prewarm_parser() -> None:
    """Start the parser process for the next upload in the background (cheap if one waits).

    Call it where an upload is about to happen (the import page), so that the
    first upload does not wait for the parser's interpreter and libraries to load.
    """
    prewarm(_ENTRY, _gdal_child_env())


def _run_child(
    data: bytes,
    kind: str,
    opts: dict[str, Any],
    on_wait: WaitCallback | None,
    on_part: Callable[[bytes], None] | None = None,
) -> bytes:
    try:
        return run_sandboxed(
            _ENTRY,
            data,
            [kind, json.dumps(opts)],
            limits=_SANDBOX_LIMITS,
            env=_gdal_child_env(),
            on_wait=on_wait,
            # A parser started ahead (one per upload, never reused): no interpreter start here.
            warm=True,
            on_part=on_part,
        )
    except SandboxError as exc:
        raise _sandbox_error(exc) from None


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
    return dict(_gdal_child_env_cached())


@functools.cache
def _gdal_child_env_cached() -> dict[str, str]:
    # The drivers GDAL was built with do not change while the app runs.
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
