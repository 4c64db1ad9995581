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

import csv
import io
import json
import math
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from spatial._errors import LayerImportError
from spatial._sandbox import SandboxError, SandboxLimits, run_sandboxed
from spatial.crs import WGS84

__all__ = [
    "MAX_FEATURES",
    "MAX_INFLATED_BYTES",
    "MAX_UPLOAD_BYTES",
    "SUPPORTED_EXTENSIONS",
    "read_user_layer",
]

# --- limits ------------------------------------------------------------------------------------
MAX_UPLOAD_BYTES = 50 * 1024**2  # matches server.maxUploadSize in .streamlit/config.toml
MAX_INFLATED_BYTES = 300 * 1024**2  # sum of the uncompressed sizes in a zip
MAX_ZIP_RATIO = 200  # deflate tops out near 1030:1; real data (even blank DBF fields) stays below
_RATIO_MIN_SIZE = 1024**2  # ratio is judged only for entries above this size
MAX_ZIP_ENTRIES = 1000
MAX_FEATURES = 300_000
MAX_FIELDS = 500
_SANDBOX_LIMITS = SandboxLimits(cpu_seconds=30, wall_seconds=60.0)

# Extension -> format handled by the reader. ``.shp`` alone cannot work (needs .shx/.dbf).
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "zip",
    ".kml": "kml",
    ".kmz": "kmz",
    ".csv": "csv",
}
_FORMAT_LABEL = {
    "geojson": "GeoJSON",
    "gpkg": "GeoPackage",
    "shapefile": "Shapefile",
    "kml": "KML",
    "csv": "CSV",
}
_ALLOWED_DRIVERS = frozenset({"GeoJSON", "GPKG", "ESRI Shapefile", "KML", "LIBKML"})
_NESTED_ARCHIVE_EXT = (".zip", ".kmz", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz")

_UTF8_BOM = b"\xef\xbb\xbf"


def _err(zh: str, en: str) -> LayerImportError:
    return LayerImportError(zh, en)


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


def _clean_text(s: str, limit: int) -> str:
    """Drop control characters and trim; for titles and names quoted in messages."""
    s = unicodedata.normalize("NFC", str(s))
    s = "".join(ch for ch in s if unicodedata.category(ch)[0] != "C")
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


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


def _sandbox_error(exc: SandboxError) -> LayerImportError:
    if exc.kind == "timeout":
        return _err(
            f"读取文件超时（超过 {_SANDBOX_LIMITS.cpu_seconds} 秒）：文件可能过大或过于复杂。"
            "请拆分图层或简化几何后重试。",
            f"Reading the file took too long (over {_SANDBOX_LIMITS.cpu_seconds} s); it may be "
            "too large or too complex. Split the layer or simplify its geometry and try again.",
        )
    if exc.kind in ("memory", "output_too_large"):
        return _err(
            "文件展开后数据量过大，超出了可处理的范围。请拆分图层后重试。",
            "The file holds more data than can be processed. Split the layer and try again.",
        )
    return _err(
        "文件无法安全读取（文件可能已损坏）。请在 GIS 软件中重新导出后再上传。",
        "The file could not be read safely (it may be damaged). Export it again from your "
        "GIS software and upload the new file.",
    )


# --- result transport: JSON + WKB (data only, never pickle) -------------------------------------


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


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


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


@dataclass
class _RawLayer:
    """What a format reader hands to the common checks."""

    fmt: str
    columns: pd.DataFrame
    geoms: np.ndarray[Any, Any]  # shapely geometries or None, one per feature
    crs: CRS | None
    crs_source: str  # "file", "legacy GeoJSON crs member", "RFC 7946 default", "none"
    encoding: str = "UTF-8"
    dataset_name: str = ""
    warnings: list[str] = field(default_factory=list)
    repaired_on_read: list[int] = field(default_factory=list)  # e.g. rings closed
    unreadable: list[int] = field(default_factory=list)  # geometry bytes GEOS refused


def _library_error(exc: Exception, kind: str) -> LayerImportError:
    text = str(exc).lower()
    label = _FORMAT_LABEL.get(kind, kind.upper())
    if "nested" in text or ("too many" in text and "object" in text):
        return _err(
            "文件结构嵌套过深，无法读取。请在 GIS 软件中重新导出为标准 GeoJSON。",
            "The file's structure is nested too deeply to read. Export it again as standard "
            "GeoJSON from your GIS software.",
        )
    if "memory" in text or "too large" in text or "too big" in text:
        return _sandbox_error(SandboxError("memory"))
    return _err(
        f"无法读取该 {label} 文件：内容不完整或格式有误。请在 GIS 软件中重新导出后再上传。",
        f"This {label} file could not be read: it is incomplete or malformed. Export it again "
        "from your GIS software and upload the new file.",
    )


# --- format sniffing -------------------------------------------------------------------------


def _sniff(data: bytes) -> str:
    """Say what the bytes are, from magic numbers and the first characters."""
    head = data[:4096]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg" if head[68:72] in (b"GPKG", b"GP10", b"GP11") else "sqlite"
    for magic, name in (
        (b"%PDF", "pdf"),
        (b"\x89PNG", "png"),
        (b"\xff\xd8\xff", "jpeg"),
        (b"\x1f\x8b", "gzip"),
        (b"Rar!", "rar"),
        (b"7z\xbc\xaf", "7z"),
        (b"\x00\x00\x27\x0a", "shp"),
    ):
        if head.startswith(magic):
            return name
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8")
    if b"\x00" in head:
        return "binary"
    text = head.removeprefix(_UTF8_BOM).decode("utf-8", "ignore").lstrip()
    if text.startswith(("{", "[")):
        return "json"
    if text.startswith("<"):
        low = text[:2048].lower()
        if "<ogrvrtdatasource" in low or "<vrtdataset" in low:
            return "vrt"
        if "<kml" in low:
            return "kml"
        if "<html" in low or "<!doctype html" in low:
            return "html"
        return "xml"
    return "text"


_SNIFF_LABEL = {
    "zip": ("ZIP 压缩包", "a ZIP archive"),
    "gpkg": ("GeoPackage", "a GeoPackage"),
    "sqlite": ("SQLite 数据库", "an SQLite database"),
    "pdf": ("PDF 文档", "a PDF document"),
    "png": ("PNG 图片", "a PNG image"),
    "jpeg": ("JPEG 图片", "a JPEG image"),
    "gzip": ("gzip 压缩文件", "a gzip file"),
    "rar": ("RAR 压缩包", "a RAR archive"),
    "7z": ("7z 压缩包", "a 7z archive"),
    "shp": ("单独的 .shp 文件", "a bare .shp file"),
    "binary": ("二进制数据", "binary data"),
    "json": ("JSON", "JSON"),
    "vrt": ("虚拟数据源（VRT）", "a virtual data source (VRT)"),
    "kml": ("KML", "KML"),
    "html": ("网页（HTML）", "a web page (HTML)"),
    "xml": ("XML", "XML"),
    "text": ("纯文本", "plain text"),
}


def _require(kind: str, data: bytes, expected: Sequence[str]) -> str:
    got = _sniff(data)
    if got in expected:
        return got
    label = _FORMAT_LABEL.get(kind, "KMZ" if kind == "kmz" else kind.upper())
    zh, en = _SNIFF_LABEL[got]
    extra_zh, extra_en = "", ""
    if got == "vrt":
        extra_zh = "出于安全原因，不接受引用其他文件或网址的数据源。"
        extra_en = " Data sources that refer to other files or URLs are not accepted, for safety."
    raise _err(
        f"文件扩展名表明是 {label}，但内容是{zh}。{extra_zh}请检查文件或改用正确的扩展名。",
        f"The file name says {label}, but the content is {en}.{extra_en} Check the file or use "
        "the right extension.",
    )


# --- text encoding ---------------------------------------------------------------------------


def _decode_text(data: bytes) -> tuple[str, str]:
    """Decode text as UTF-8 (with or without BOM), UTF-16 with BOM, or GBK/GB18030."""
    if data.startswith(_UTF8_BOM):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError:
            pass
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            pass
        try:
            # GB18030 is a superset of GBK and GB2312, the usual Chinese Windows encodings.
            return data.decode("gb18030"), "GBK/GB18030"
        except UnicodeDecodeError:
            pass
    raise _err(
        "无法识别文件的文字编码（既不是 UTF-8 也不是 GBK）。请另存为 UTF-8 编码后再上传。",
        "The file's text encoding is not recognised (neither UTF-8 nor GBK). Save it as UTF-8 "
        "and upload it again.",
    )


def _encoding_warning(encoding: str) -> list[str]:
    if encoding.startswith("GBK"):
        return [
            "文件使用 GBK/GB18030 中文编码，已自动按该编码读取文字。 / The file uses the "
            "Chinese GBK/GB18030 encoding; its text was read in that encoding."
        ]
    return []


# --- readers ---------------------------------------------------------------------------------


def _read_raw(data: bytes, kind: str, workdir: Path) -> _RawLayer:
    if kind == "geojson":
        _require(kind, data, ("json",))
        return _read_geojson(data, workdir)
    if kind == "gpkg":
        _require(kind, data, ("gpkg",))
        path = workdir / "upload.gpkg"
        path.write_bytes(data)
        return _read_gpkg(f"GPKG:{path}", "")
    if kind == "kml":
        _require(kind, data, ("kml",))
        return _read_kml(data, workdir)
    if kind == "csv":
        _require(kind, data, ("text",))
        return _read_csv(data)
    if kind in ("zip", "kmz"):
        _require(kind, data, ("zip",))
        return _read_zip(data, kind, workdir)
    raise _err("不支持该文件格式。", "This file type is not supported.")


def _ogr_read(
    path: str, fmt: str, layer: str | None = None, encoding: str | None = None
) -> _RawLayer:
    """Read one layer through pyogrio and turn its WKB into shapely geometries."""
    info = pyogrio.read_info(path, layer=layer, encoding=encoding)
    if info["driver"] not in _ALLOWED_DRIVERS:
        raise _err("文件内容与扩展名不符。", "The file content does not match its extension.")
    if info["features"] is not None and info["features"] > MAX_FEATURES:
        raise _too_many_features(int(info["features"]))
    if len(info["fields"]) > MAX_FIELDS:
        raise _err(
            f"属性字段太多（{len(info['fields'])} 个，上限 {MAX_FIELDS}）。",
            f"Too many attribute fields ({len(info['fields'])}; the limit is {MAX_FIELDS}).",
        )
    meta, _fids, wkb, field_data = pyogrio.raw.read(
        path, layer=layer, encoding=encoding, datetime_as_string=True
    )
    names = [str(n) for n in meta["fields"]]
    columns = pd.DataFrame({f"__c{i}": arr for i, arr in enumerate(field_data)})
    columns.columns = pd.Index(names) if names else columns.columns
    n = len(wkb) if wkb is not None else len(columns)
    if wkb is None:
        wkb = np.full(n, None, dtype=object)
    geoms, fixed, unreadable = _geoms_from_wkb(wkb)
    crs, source = None, "none"
    if meta.get("crs"):
        crs = _parse_crs(str(meta["crs"]))
        source = "file"
    return _RawLayer(
        fmt=fmt,
        columns=columns.reset_index(drop=True)
        if len(columns.columns)
        else pd.DataFrame(index=range(n)),
        geoms=geoms,
        crs=crs,
        crs_source=source,
        encoding=str(meta.get("encoding") or "UTF-8"),
        repaired_on_read=fixed,
        unreadable=unreadable,
    )


def _geoms_from_wkb(
    wkb: np.ndarray[Any, Any],
) -> tuple[np.ndarray[Any, Any], list[int], list[int]]:
    """Parse WKB feature by feature, closing unclosed rings rather than failing the file."""
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    fixed: list[int] = []
    unreadable: list[int] = []
    for i in np.flatnonzero(pd.isna(geoms) & ~pd.isna(wkb)):
        g = shapely.from_wkb(wkb[i], on_invalid="fix")
        if g is None:
            unreadable.append(int(i))
        else:
            geoms[i] = g
            fixed.append(int(i))
    return geoms, fixed, unreadable


def _too_many_features(n: int) -> LayerImportError:
    return _err(
        f"要素太多（{n} 个，上限 {MAX_FEATURES}）。请拆分图层后重试。",
        f"Too many features ({n}; the limit is {MAX_FEATURES}). Split the layer and try again.",
    )


def _parse_crs(text: str) -> CRS:
    try:
        crs = CRS.from_user_input(text)
    except ProjCRSError:
        raise _unknown_crs(text) from None
    if crs.is_engineering or not (crs.is_geographic or crs.is_projected):
        raise _unknown_crs(crs.name)
    return crs


def _unknown_crs(text: str) -> LayerImportError:
    shown = _clean_text(text, 60)
    return _err(
        f"文件声明的坐标系“{shown}”无法识别。请在 GIS 软件中改为标准坐标系"
        "（如 EPSG:4326 或 CGCS2000 高斯-克吕格 EPSG:4547）后重新导出。",
        f"The coordinate reference system the file declares ('{shown}') is not recognised. "
        "Re-export it with a standard one (e.g. EPSG:4326, or CGCS2000 Gauss-Kruger EPSG:4547).",
    )


# GeoJSON (2008) `crs` member, e.g. {"type": "name", "properties": {"name":
# "urn:ogc:def:crs:EPSG::4547"}} or {"type": "EPSG", "properties": {"code": 4547}}. GDAL maps an
# unknown code to EPSG:4326 silently, so the member is looked up here (a linear regex scan, not a
# JSON parse, which would be slow on large files).
_CRS_MEMBER_RE = re.compile(r'"crs"\s*:\s*\{')
_CRS_NAME_RE = re.compile(r'"name"\s*:\s*"([^"\\]{1,200})"')
_CRS_CODE_RE = re.compile(r'"code"\s*:\s*"?(\d{1,9})"?')


def _legacy_geojson_crs(text: str) -> str | None:
    m = _CRS_MEMBER_RE.search(text)
    if not m:
        return None
    window = text[m.end() : m.end() + 600]
    name = _CRS_NAME_RE.search(window)
    if name:
        return name.group(1)
    code = _CRS_CODE_RE.search(window)
    if code:
        return f"EPSG:{code.group(1)}"
    raise _unknown_crs(window[:60])


def _read_geojson(data: bytes, workdir: Path) -> _RawLayer:
    text, encoding = _decode_text(data)
    declared = _legacy_geojson_crs(text)
    crs = _parse_crs(declared) if declared else None
    path = workdir / "upload.geojson"
    # GDAL's GeoJSON driver reads UTF-8 only: hand it UTF-8 whatever the upload used.
    path.write_bytes(
        data[3:]
        if encoding == "UTF-8 (BOM)"
        else data
        if encoding == "UTF-8"
        else text.encode("utf-8")
    )
    try:
        raw = _ogr_read(f"GeoJSON:{path}", "GeoJSON")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise _geojson_error(text, exc) from None
    raw.encoding = encoding
    raw.warnings += _encoding_warning(encoding)
    if crs is not None:
        raw.crs, raw.crs_source = crs, "legacy GeoJSON crs member"
    else:
        # RFC 7946: GeoJSON without a crs member is WGS84 lon/lat; the extent check still runs.
        raw.crs, raw.crs_source = CRS.from_epsg(4326), "RFC 7946 default"
    return raw


def _geojson_error(text: str, exc: Exception) -> LayerImportError:
    msg = str(exc).lower()
    if "nested" in msg:
        return _library_error(exc, "geojson")
    if len(text) <= 5 * 1024**2:
        # Python's parser says *where* the syntax breaks; only on the failure path, small files.
        try:
            json.loads(text)
        except json.JSONDecodeError as jerr:
            return _err(
                f"文件不是有效的 JSON：第 {jerr.lineno} 行第 {jerr.colno} 列附近有语法错误。"
                "请修正或重新导出后再上传。",
                f"The file is not valid JSON: syntax error near line {jerr.lineno}, column "
                f"{jerr.colno}. Fix it or export it again.",
            )
        except RecursionError:
            return _library_error(ValueError("nested"), "geojson")
        else:
            return _err(
                "文件是 JSON，但不是 GeoJSON（缺少 FeatureCollection/Feature/几何对象）。",
                "The file is JSON but not GeoJSON (no FeatureCollection, Feature or geometry).",
            )
    return _library_error(exc, "geojson")


def _read_gpkg(path: str, dataset_name: str) -> _RawLayer:
    layers = pyogrio.list_layers(path)
    spatial_layers = [str(name) for name, gtype in layers if gtype is not None]
    if not spatial_layers:
        raise _err("GeoPackage 中没有带几何的图层。", "The GeoPackage has no layer with geometry.")
    if len(spatial_layers) > 1:
        raise _several_layers("GeoPackage", spatial_layers)
    raw = _ogr_read(path, "GeoPackage", layer=spatial_layers[0])
    raw.dataset_name = dataset_name or spatial_layers[0]
    return raw


def _several_layers(label: str, names: Sequence[str]) -> LayerImportError:
    shown = "、".join(f"“{_clean_text(n, 30)}”" for n in names[:5])
    shown_en = ", ".join(f"'{_clean_text(n, 30)}'" for n in names[:5])
    more = len(names) - 5
    return _err(
        f"{label} 中有 {len(names)} 个图层（{shown}{'等' if more > 0 else ''}），"
        "每次只能导入一个。请把要导入的图层单独导出后再上传。",
        f"The {label} holds {len(names)} layers ({shown_en}{', ...' if more > 0 else ''}); "
        "one can be imported at a time. Export the layer you want on its own and upload it.",
    )


_DOCTYPE_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL_ENC_RE = re.compile(r'^(\s*<\?xml[^>]*encoding\s*=\s*["\'])([^"\']+)(["\'])')


def _read_kml(data: bytes, workdir: Path, dataset_name: str = "") -> _RawLayer:
    if _DOCTYPE_RE.search(data):
        # KML never needs a DTD; entities are how XXE and "billion laughs" attacks work.
        raise _err(
            "KML 文件包含 DOCTYPE/实体声明，出于安全原因不予读取。请在 GIS 软件中重新导出。",
            "The KML file contains DOCTYPE/entity declarations, which are refused for safety. "
            "Export it again from your GIS software.",
        )
    text, encoding = _decode_text(data)
    text = _XML_DECL_ENC_RE.sub(r"\g<1>UTF-8\g<3>", text, count=1)
    path = workdir / "upload.kml"
    path.write_bytes(text.encode("utf-8"))
    layers = [str(name) for name, _g in pyogrio.list_layers(str(path))]
    parts: list[_RawLayer] = []
    for name in layers:
        part = _ogr_read(str(path), "KML", layer=name)
        if len(part.geoms):
            part.columns = part.columns.assign(kml_folder=name) if len(layers) > 1 else part.columns
            parts.append(part)
    if not parts:
        raise _err("KML 文件中没有地物。", "The KML file contains no placemarks.")
    raw = parts[0] if len(parts) == 1 else _concat(parts)
    raw.encoding = encoding
    raw.dataset_name = dataset_name
    raw.warnings += _encoding_warning(encoding)
    if len(parts) > 1:
        raw.warnings.append(
            f"KML 中的 {len(parts)} 个文件夹已合并为一个图层，文件夹名保存在 kml_folder 列。 / "
            f"The KML's {len(parts)} folders were merged into one layer; the folder name is in "
            "the kml_folder column."
        )
    return raw


def _concat(parts: list[_RawLayer]) -> _RawLayer:
    offsets = np.cumsum([0] + [len(p.geoms) for p in parts])
    first = parts[0]
    return _RawLayer(
        fmt=first.fmt,
        columns=pd.concat([p.columns for p in parts], ignore_index=True),
        geoms=np.concatenate([p.geoms for p in parts]),
        crs=first.crs,
        crs_source=first.crs_source,
        repaired_on_read=[
            i + int(o) for p, o in zip(parts, offsets, strict=False) for i in p.repaired_on_read
        ],
        unreadable=[i + int(o) for p, o in zip(parts, offsets, strict=False) for i in p.unreadable],
    )


# --- CSV ---------------------------------------------------------------------------------------

_LON_NAMES = {"lon", "lng", "long", "longitude", "x", "经度", "东经", "x坐标", "坐标x", "经度坐标"}
_LAT_NAMES = {"lat", "latitude", "y", "纬度", "北纬", "y坐标", "坐标y", "纬度坐标"}
_WKT_NAMES = {"wkt", "geometry", "geom", "the_geom", "几何"}


def _header_key(name: str) -> str:
    # "经度(°)", "Longitude [deg]", " X " -> "经度", "longitude", "x"
    key = re.sub(r"[\(（\[【].*?[\)）\]】]", "", str(name)).strip().lower()
    return key.replace(" ", "").replace("_", "") if key not in ("x", "y") else key


def _read_csv(data: bytes) -> _RawLayer:
    text, encoding = _decode_text(data)
    sample = text[:8192]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        df = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        raise _err(
            "CSV 文件格式有误，无法读取（列数不一致或内容为空）。",
            "The CSV file is malformed (inconsistent columns or no content).",
        ) from None
    if len(df) > MAX_FEATURES:
        raise _too_many_features(len(df))
    if len(df.columns) > MAX_FIELDS:
        raise _err(f"列太多（上限 {MAX_FIELDS}）。", f"Too many columns (limit {MAX_FIELDS}).")
    keys = {_header_key(c): c for c in reversed(list(df.columns))}
    lon_col = next((keys[k] for k in _LON_NAMES if k in keys), None)
    lat_col = next((keys[k] for k in _LAT_NAMES if k in keys), None)
    wkt_col = next((keys[k] for k in _WKT_NAMES if k in keys), None)
    if lon_col is not None and lat_col is not None:
        lon = pd.to_numeric(df[lon_col].str.strip(), errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(df[lat_col].str.strip(), errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        geoms = np.full(len(df), None, dtype=object)
        geoms[ok] = shapely.points(lon[ok], lat[ok])
        unreadable = [int(i) for i in np.flatnonzero(~ok)]
        columns = df.drop(columns=[lon_col, lat_col])
        # The coordinates stay visible as numbers (Excel users expect their columns back).
        columns = columns.assign(**{str(lon_col): lon, str(lat_col): lat})
    elif wkt_col is not None:
        geoms = shapely.from_wkt(df[wkt_col].to_numpy(dtype=object), on_invalid="ignore")
        unreadable = [int(i) for i in np.flatnonzero(pd.isna(geoms) & df[wkt_col].notna())]
        columns = df.drop(columns=[wkt_col])
    else:
        raise _err(
            "CSV 中没有找到坐标列。请提供经度和纬度列（列名如 经度/纬度、lon/lat、X/Y）"
            "或一列 WKT 几何。",
            "No coordinate columns found in the CSV. Provide longitude and latitude columns "
            "(named e.g. 经度/纬度, lon/lat or X/Y) or one WKT geometry column.",
        )
    raw = _RawLayer(
        fmt="CSV",
        columns=columns.reset_index(drop=True),
        geoms=np.asarray(geoms, dtype=object),
        crs=None,
        crs_source="none",
        encoding=encoding,
        unreadable=unreadable,
    )
    raw.warnings += _encoding_warning(encoding)
    return raw


# --- zip / KMZ ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    name: str  # as stored (GDAL sees the same decoded name)
    size: int
    display: str  # for people: legacy (non-UTF-8) names re-decoded, e.g. GBK "道路.shp"


def _inspect_zip(data: bytes, label: str) -> tuple[zipfile.ZipFile, list[_Entry]]:
    """Judge a zip by its central directory alone: nothing is inflated here."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise _err(
            f"{label} 文件已损坏，无法打开。", f"The {label} file is damaged and cannot be opened."
        ) from None
    if len(infos) > MAX_ZIP_ENTRIES:
        raise _err(
            f"压缩包中的文件太多（{len(infos)} 个，上限 {MAX_ZIP_ENTRIES}）。",
            f"The archive holds too many files ({len(infos)}; the limit is {MAX_ZIP_ENTRIES}).",
        )
    entries: list[_Entry] = []
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        norm = name.replace("\\", "/")
        parts = PurePosixPath(norm).parts
        if (
            norm.startswith("/")
            or re.match(r"^[A-Za-z]:", norm)
            or ".." in parts
            or any(unicodedata.category(ch)[0] == "C" for ch in name)
        ):
            raise _err(
                "压缩包中含有不安全的路径（如 ../ 或绝对路径），不予读取。请重新打包。",
                "The archive contains unsafe paths (such as ../ or absolute paths) and is "
                "refused. Zip the files again.",
            )
        if (info.external_attr >> 16) & 0o170000 == 0o120000:
            raise _err(
                "压缩包中含有符号链接，不予读取。请只打包数据文件本身。",
                "The archive contains symbolic links and is refused. Zip the data files "
                "themselves.",
            )
        if info.flag_bits & 0x1:
            raise _err(
                "压缩包有密码保护，无法读取。请去掉密码后重新打包。",
                "The archive is password-protected. Zip the files again without a password.",
            )
        if (
            info.is_dir()
            or norm.startswith("__MACOSX/")
            or PurePosixPath(norm).name.startswith("._")
        ):
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _err(
                "压缩包使用了不支持的压缩方式。请用标准 zip（deflate）重新打包。",
                "The archive uses an unsupported compression method. Zip it again with "
                "standard (deflate) compression.",
            )
        if norm.lower().endswith(_NESTED_ARCHIVE_EXT):
            raise _err(
                "压缩包中还套有压缩包，不予读取。请解开内层压缩包，只打包数据文件。",
                "The archive contains another archive and is refused. Unpack the inner archive "
                "and zip only the data files.",
            )
        if norm.lower() in seen:
            raise _err(
                "压缩包中有重名文件，无法确定读取哪一个。请重新打包。",
                "The archive contains two files with the same name. Zip the files again.",
            )
        seen.add(norm.lower())
        total += info.file_size
        if info.file_size > _RATIO_MIN_SIZE and info.file_size > MAX_ZIP_RATIO * max(
            info.compress_size, 1
        ):
            raise _zip_too_big()
        if total > MAX_INFLATED_BYTES:
            raise _zip_too_big()
        entries.append(_Entry(name, info.file_size, _display_name(name, info.flag_bits)))
    return zf, entries


def _display_name(name: str, flag_bits: int) -> str:
    """The entry name as its author saw it.

    Without the UTF-8 flag a zip name is raw bytes that zipfile (and GDAL)
    decode as CP437; Chinese Windows tools write GBK there, so such names are
    re-decoded for display (the CP437 form is still what opens the entry).
    """
    if flag_bits & 0x800:
        return name
    try:
        raw = name.encode("cp437")
    except UnicodeEncodeError:
        return name
    for codec in ("utf-8", "gb18030"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return name


def _zip_too_big() -> LayerImportError:
    return _err(
        f"压缩包解压后过大（上限 {MAX_INFLATED_BYTES // 1024**2} MB）或压缩比异常，疑似“压缩炸弹”，"
        "不予读取。",
        f"The archive would inflate to too much data (limit {MAX_INFLATED_BYTES // 1024**2} MB) "
        "or has an abnormal compression ratio (a possible zip bomb); it is refused.",
    )


def _read_zip(data: bytes, kind: str, workdir: Path) -> _RawLayer:
    label = "KMZ" if kind == "kmz" else "ZIP"
    zf, entries = _inspect_zip(data, label)
    by_ext: dict[str, list[_Entry]] = {}
    for e in entries:
        by_ext.setdefault(PurePosixPath(e.name.replace("\\", "/")).suffix.lower(), []).append(e)
    if kind == "kmz":
        kmls = by_ext.get(".kml", [])
        if not kmls:
            raise _err("KMZ 中没有 KML 文件。", "The KMZ contains no KML file.")
        doc = next((e for e in kmls if e.name.lower() == "doc.kml"), kmls[0])
        return _read_kml(zf.read(doc.name), workdir)
    shps = by_ext.get(".shp", [])
    others = [
        e for ext in (".geojson", ".json", ".gpkg", ".kml", ".csv") for e in by_ext.get(ext, [])
    ]
    if len(shps) + len(others) > 1:
        raise _several_layers("ZIP", [e.display for e in shps + others])
    if shps:
        return _read_zipped_shapefile(data, zf, entries, shps[0], workdir)
    if not others:
        found = ", ".join(_clean_text(e.display, 30) for e in entries[:5]) or "-"
        raise _err(
            f"压缩包中没有可读取的图层（找到：{found}）。请放入 .shp（连同 .shx、.dbf、.prj）"
            "或 GeoJSON/GeoPackage/KML/CSV 文件。",
            f"The archive contains no readable layer (found: {found}). Include a .shp (with its "
            ".shx, .dbf and .prj) or a GeoJSON/GeoPackage/KML/CSV file.",
        )
    inner = others[0]
    ext = PurePosixPath(inner.name).suffix.lower()
    inner_kind = SUPPORTED_EXTENSIONS[ext]
    if inner_kind == "gpkg":
        # Read in place through /vsizip/ (a GeoPackage is random-access; no need to unpack it).
        path = workdir / "upload.zip"
        path.write_bytes(data)
        with zf.open(inner.name) as f:
            _require("gpkg", f.read(100), ("gpkg",))
        return _read_gpkg(f"GPKG:/vsizip/{path}/{inner.name}", PurePosixPath(inner.name).stem)
    # Text formats: the entry's bytes (size already capped) go through the same checks as an upload.
    return _read_raw(zf.read(inner.name), inner_kind, workdir)


def _read_zipped_shapefile(
    data: bytes, zf: zipfile.ZipFile, entries: list[_Entry], shp: _Entry, workdir: Path
) -> _RawLayer:
    stem = shp.name[: -len(".shp")]
    siblings = {e.name[len(stem) :].lower(): e for e in entries if e.name[: len(stem)] == stem}
    missing = [ext for ext in (".shx", ".dbf") if ext not in siblings]
    if missing:
        what = " 和 ".join(missing)
        raise _err(
            f"Shapefile 不完整：压缩包中缺少 {what} 文件。请把同名的 .shp、.shx、.dbf、.prj "
            "一起打包。",
            f"The Shapefile is incomplete: the archive lacks the {' and '.join(missing)} file. "
            "Zip the .shp, .shx, .dbf and .prj of the same name together.",
        )
    encoding: str | None = None
    warnings: list[str] = []
    if ".cpg" not in siblings:
        dbf = zf.read(siblings[".dbf"].name)
        if len(dbf) > 29 and dbf[29] == 0:  # no language driver id: GDAL would assume Latin-1
            encoding, warnings = _guess_dbf_encoding(dbf)
    path = workdir / "upload.zip"
    path.write_bytes(data)
    raw = _ogr_read(f"/vsizip/{path}/{shp.name}", "Shapefile", encoding=encoding)
    if ".prj" in siblings and raw.crs is None:
        raise _unknown_crs(".prj")
    raw.dataset_name = PurePosixPath(shp.display.replace("\\", "/")).stem
    raw.encoding = encoding or raw.encoding
    raw.warnings += warnings
    return raw


def _guess_dbf_encoding(dbf: bytes) -> tuple[str | None, list[str]]:
    """Decide a DBF's text encoding from its record bytes (no .cpg, no language id)."""
    header_len = int.from_bytes(dbf[8:10], "little")
    body = dbf[header_len:]
    try:
        body.decode("ascii")
        return None, []
    except UnicodeDecodeError:
        pass
    try:
        body.decode("utf-8")
        return "UTF-8", []
    except UnicodeDecodeError:
        pass
    try:
        body.decode("gb18030")
        return "GB18030", _encoding_warning("GBK")
    except UnicodeDecodeError:
        pass
    return "CP1252", [
        "Shapefile 没有 .cpg 编码文件，文字编码无法确定，中文可能显示为乱码。请连同 .cpg 文件一起"
        "上传。 / The Shapefile has no .cpg file and its text encoding could not be determined; "
        "text may be garbled. Upload it together with its .cpg file."
    ]


# =================================================================================================
# Common checks: CRS, geometry policy, columns, report
# =================================================================================================

# China, generously: a located layer of this app should fall inside.
_CHINA = (73.0, 17.0, 136.0, 54.0)


def _finish(raw: _RawLayer) -> tuple[gpd.GeoDataFrame, dict[str, Any], list[str]]:
    n_in = len(raw.geoms)
    if n_in == 0:
        raise _err("文件中没有要素。", "The file contains no features.")
    if n_in > MAX_FEATURES:
        raise _too_many_features(n_in)
    warnings = list(raw.warnings)
    geoms = np.asarray(raw.geoms, dtype=object)
    columns = _clean_columns(raw.columns)
    labels = _feature_labeller(columns)

    skipped: dict[str, list[int]] = {"null": [], "empty": [], "non_finite": [], "invalid": []}
    skipped["invalid"] += raw.unreadable
    is_null = pd.isna(geoms)
    for i in np.flatnonzero(is_null):
        if int(i) not in raw.unreadable:
            skipped["null"].append(int(i))
    present = ~is_null
    empty = np.zeros(n_in, dtype=bool)
    empty[present] = shapely.is_empty(geoms[present].astype(object))
    skipped["empty"] += [int(i) for i in np.flatnonzero(empty)]
    finite = np.zeros(n_in, dtype=bool)
    finite[present & ~empty] = _all_finite(geoms[present & ~empty])
    skipped["non_finite"] += [int(i) for i in np.flatnonzero(present & ~empty & ~finite)]
    keep = present & ~empty & finite
    if not keep.any():
        raise _err(
            "文件中没有可用的几何（全部为空、缺失或坐标无效）。",
            "The file has no usable geometry (all missing, empty or with invalid coordinates).",
        )

    crs_found = raw.crs
    src_crs, crs_note = _check_crs(raw, shapely.total_bounds(geoms[keep].astype(object)))
    if crs_note:
        warnings.append(crs_note)
    series = gpd.GeoSeries(geoms, crs=src_crs)
    if not src_crs.equals(CRS.from_epsg(4326)):
        series = series.to_crs(WGS84)
    else:
        series = series.set_crs(WGS84, allow_override=True)
    geoms = np.asarray(series.values, dtype=object)
    # A projection can fail point by point (e.g. far outside its zone): those become non-finite.
    lost = np.flatnonzero(keep)[~_all_finite(geoms[keep])]
    keep[lost] = False
    skipped["non_finite"] += [int(i) for i in lost]
    if not keep.any():
        raise _err(
            "坐标无法转换到经纬度：坐标与声明的坐标系不符。",
            "The coordinates cannot be converted to longitude/latitude: they do not fit the "
            "declared coordinate reference system.",
        )

    repaired = sorted(raw.repaired_on_read)
    valid = np.ones(n_in, dtype=bool)
    valid[keep] = shapely.is_valid(geoms[keep].astype(object))
    for i in np.flatnonzero(keep & ~valid):
        fixed = _repair(geoms[i])
        if fixed is None:
            keep[i] = False
            skipped["invalid"].append(int(i))
        else:
            geoms[i] = fixed
            repaired.append(int(i))
    repaired = sorted(set(repaired) - {i for v in skipped.values() for i in v})

    kept_idx = np.flatnonzero(keep)
    gdf = gpd.GeoDataFrame(
        columns.iloc[kept_idx].reset_index(drop=True),
        geometry=gpd.GeoSeries(geoms[kept_idx], crs=WGS84),
        crs=WGS84,
    )
    minx, miny, maxx, maxy = gdf.total_bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if not (_CHINA[0] <= cx <= _CHINA[2] and _CHINA[1] <= cy <= _CHINA[3]):
        warnings.append(
            f"图层中心位于经度 {cx:.2f}、纬度 {cy:.2f}，不在中国境内，请确认坐标系是否正确。 / "
            f"The layer's centre is at longitude {cx:.2f}, latitude {cy:.2f}, outside China; "
            "check that its coordinate reference system is right."
        )
    warnings += _geometry_warnings(skipped, repaired, labels)
    all_skipped = sorted({i for v in skipped.values() for i in v})
    report: dict[str, Any] = {
        "format": raw.fmt,
        "dataset_name": raw.dataset_name,
        "features": len(gdf),
        "features_in_file": n_in,
        "geometry_types": dict(Counter(str(t) for t in gdf.geometry.geom_type)),
        "crs_found": _crs_label(crs_found) if crs_found is not None else None,
        "crs_source": raw.crs_source,
        "encoding": raw.encoding,
        "repaired": len(repaired),
        "repaired_features": [i + 1 for i in repaired],
        "skipped": len(all_skipped),
        "skipped_by_reason": {k: len(v) for k, v in skipped.items()},
        "skipped_features": [i + 1 for i in all_skipped],
        "columns": [str(c) for c in gdf.columns if c != gdf.geometry.name],
    }
    return gdf, report, warnings


def _all_finite(geoms: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Per geometry: are all its coordinates (x, y and z if present) finite? Vectorised."""
    arr = np.asarray(geoms, dtype=object)
    ok = np.ones(len(arr), dtype=bool)
    coords, index = shapely.get_coordinates(arr, return_index=True)
    np.logical_and.at(ok, index, np.isfinite(coords).all(axis=1))
    has_z = shapely.has_z(arr)
    if has_z.any():
        zpos = np.flatnonzero(has_z)
        coords_z, index_z = shapely.get_coordinates(arr[has_z], include_z=True, return_index=True)
        np.logical_and.at(ok, zpos[index_z], np.isfinite(coords_z[:, 2]))
    return ok


def _crs_label(crs: CRS) -> str:
    code = crs.to_epsg(min_confidence=70)
    return f"EPSG:{code} ({crs.name})" if code else crs.name


# CGCS2000 Gauss-Kruger zones in the EPSG registry: 6-degree 4491-4512, 3-degree 4513-4554.
def _is_cgcs2000_gk(code: int | None) -> bool:
    return code is not None and 4491 <= code <= 4554


def _check_crs(raw: _RawLayer, bounds: np.ndarray[Any, Any]) -> tuple[CRS, str]:
    """Decide the source CRS or refuse; returns the CRS and an optional warning."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    degrees = minx >= -180 and maxx <= 180 and miny >= -90 and maxy <= 90
    crs = raw.crs
    declared = raw.crs_source in ("file", "legacy GeoJSON crs member")
    if crs is None or crs.is_geographic:
        if not degrees:
            if minx >= -90 and maxx <= 90 and miny >= -180 and maxy <= 180:
                raise _swapped()
            raise _projected_without_crs(minx, miny, maxx, maxy, declared=declared)
        # Lon 15-55 with lat 70-90 is the Arctic; for a Chinese planning layer it means swapped.
        if minx >= 15 and maxx <= 55 and miny >= 70 and maxy <= 90:
            raise _swapped()
        if crs is None:
            return CRS.from_epsg(4326), (
                "文件没有声明坐标系，已按 WGS84 经纬度（EPSG:4326）读取。 / The file declares no "
                "coordinate reference system; it was read as WGS84 longitude/latitude (EPSG:4326)."
            )
        return crs, ""
    # Projected: the declared CRS must turn the extent into real longitudes and latitudes.
    try:
        from pyproj import Transformer

        tr = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
        lon, lat = tr.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    except Exception:
        raise _unknown_crs(crs.name) from None
    ok = all(math.isfinite(v) for v in (*lon, *lat))
    if not ok or not (all(-180 <= v <= 180 for v in lon) and all(-90 <= v <= 90 for v in lat)):
        raise _err(
            f"坐标与文件声明的坐标系（{_crs_label(crs)}）不符，无法换算为经纬度。"
            "请检查坐标系设置（例如是否带了带号前缀）后重新导出。",
            f"The coordinates do not fit the declared coordinate reference system "
            f"({_crs_label(crs)}) and cannot be converted to longitude/latitude. Check the CRS "
            "(e.g. whether the zone prefix is included) and export again.",
        )
    return crs, ""


def _swapped() -> LayerImportError:
    return _err(
        "坐标的经度和纬度似乎颠倒了（纬度不可能超过 90°，或经纬度落在北极一带）。"
        "请交换经度、纬度的顺序后重新上传。",
        "Longitude and latitude appear to be swapped (a latitude cannot exceed 90°, or the "
        "points fall in the Arctic). Swap the two and upload again.",
    )


def _projected_without_crs(
    minx: float, miny: float, maxx: float, maxy: float, declared: bool
) -> LayerImportError:
    hint_zh, hint_en = "", ""
    zone = int(minx // 1_000_000)
    if 25 <= zone <= 45 and zone == int(maxx // 1_000_000):
        code = 4513 + zone - 25
        hint_zh = f"看起来是带带号的 CGCS2000 3 度带高斯-克吕格坐标（第 {zone} 带，EPSG:{code}）。"
        hint_en = (
            f" They look like CGCS2000 3-degree Gauss-Kruger coordinates with zone prefix "
            f"(zone {zone}, EPSG:{code})."
        )
    elif 13 <= zone <= 23 and zone == int(maxx // 1_000_000):
        code = 4491 + zone - 13
        hint_zh = f"看起来是带带号的 CGCS2000 6 度带高斯-克吕格坐标（第 {zone} 带，EPSG:{code}）。"
        hint_en = (
            f" They look like CGCS2000 6-degree Gauss-Kruger coordinates with zone prefix "
            f"(zone {zone}, EPSG:{code})."
        )
    elif minx >= 0 and maxx <= 1_000_000 and miny >= 0 and maxy <= 10_000_000:
        hint_zh = "看起来是以米为单位的投影坐标（如鹤壁所在的 CGCS2000 3 度带，EPSG:4547）。"
        hint_en = (
            " They look like projected metres (e.g. the CGCS2000 3-degree zone of Hebi, EPSG:4547)."
        )
    if declared:
        return _err(
            "文件声明为经纬度坐标系，但坐标数值超出经纬度范围。"
            + hint_zh
            + "请在 GIS 软件中设置正确的坐标系后重新导出。",
            "The file declares longitude/latitude, but its coordinates are outside the degree "
            "range." + hint_en + " Set the right coordinate reference system in your GIS "
            "software and export again.",
        )
    return _err(
        "文件没有声明坐标系，而坐标不是经纬度（数值以米计）。"
        + hint_zh
        + "为避免画错位置，未予导入。"
        "请在 GIS 软件中为图层指定坐标系（或附上 .prj 文件）后重新导出。",
        "The file declares no coordinate reference system and its coordinates are not "
        "longitude/latitude (they look like metres)." + hint_en + " To avoid drawing it in the "
        "wrong place it was not imported. Assign the CRS in your GIS software (or include the "
        ".prj file) and export again.",
    )


def _repair(geom: Any) -> Any | None:
    """Repair an invalid geometry like QGIS "Fix geometries", or None if that is not safe.

    Polygons are rebuilt with GEOS ``make_valid`` ('structure'). The repair is
    accepted only if it keeps the area the rings *enclose as drawn* to 1 %:
    each ring is made valid on its own, and the area is that of the outer
    rings minus that of the holes, summed over parts. A bow-tie keeps its two
    triangles (accepted); a hole drawn outside its shell, or overlapping parts
    of a multipolygon, would change the area materially (refused).
    """
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        fixed = shapely.make_valid(geom, method="structure", keep_collapsed=False)
        if fixed.is_empty or fixed.geom_type not in ("Polygon", "MultiPolygon"):
            return None
        drawn = 0.0
        for part in shapely.get_parts(geom):
            drawn += _ring_area(part.exterior)
            drawn -= sum(_ring_area(r) for r in part.interiors)
        area = float(fixed.area)
        if area <= 0 or abs(area - drawn) > 0.01 * max(area, abs(drawn)):
            return None
        return fixed
    fixed = shapely.make_valid(geom)
    if fixed.is_empty or fixed.geom_type != geom.geom_type:
        return None
    return fixed


def _ring_area(ring: Any) -> float:
    """Area a ring encloses, even if it crosses itself (a bow-tie counts both lobes)."""
    return float(shapely.make_valid(shapely.Polygon(ring), method="structure").area)


def _clean_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Unique, non-empty column names that do not clash with GeoPackage's reserved ones."""
    out = df.copy()
    names: list[str] = []
    taken: set[str] = set()
    for i, c in enumerate(out.columns):
        name = _clean_text(str(c), 60) or f"field_{i + 1}"
        if name.lower() in ("fid", "geom", "geometry", "ogc_fid"):
            name = f"{name}_src"
        base, k = name, 2
        while name.lower() in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name.lower())
        names.append(name)
    out.columns = pd.Index(names)
    return out


_NAME_COLUMNS = ("name", "名称", "名字", "title", "标题", "mc")


def _feature_labeller(columns: pd.DataFrame) -> Any:
    name_col = next((c for c in columns.columns if str(c).strip().lower() in _NAME_COLUMNS), None)

    def label(i: int) -> tuple[str, str]:
        name = ""
        if name_col is not None:
            v = columns[name_col].iloc[i]
            name = "" if _is_missing(v) else _clean_text(str(v), 30)
        return (
            f"第 {i + 1} 个" + (f"（{name}）" if name else ""),
            f"#{i + 1}" + (f" ({name})" if name else ""),
        )

    return label


def _list_features(idx: Iterable[int], labels: Any, limit: int = 5) -> tuple[str, str]:
    idx = list(idx)
    parts = [labels(i) for i in idx[:limit]]
    zh = "、".join(p[0] for p in parts) + (f" 等 {len(idx)} 个" if len(idx) > limit else "")
    en = ", ".join(p[1] for p in parts) + (
        f" and {len(idx) - limit} more" if len(idx) > limit else ""
    )
    return zh, en


def _geometry_warnings(
    skipped: dict[str, list[int]], repaired: list[int], labels: Any
) -> list[str]:
    out = []
    reasons = {
        "null": ("没有几何", "have no geometry"),
        "empty": ("几何为空", "have empty geometry"),
        "non_finite": (
            "坐标无效（NaN/无穷大或无法换算）",
            "have invalid coordinates (NaN/infinity or not convertible)",
        ),
        "invalid": (
            "几何无效且无法可靠修复",
            "have invalid geometry that cannot be repaired reliably",
        ),
    }
    for key, (zh, en) in reasons.items():
        idx = sorted(set(skipped[key]))
        if idx:
            fz, fe = _list_features(idx, labels)
            out.append(
                f"{len(idx)} 个要素{zh}，已跳过：{fz}。 / {len(idx)} feature(s) {en} and were "
                f"skipped: {fe}."
            )
    if repaired:
        fz, fe = _list_features(repaired, labels)
        out.append(
            f"{len(repaired)} 个要素的几何无效（如自相交、环未闭合），已自动修复：{fz}。"
            "请核对形状。 / "
            f"{len(repaired)} feature(s) had invalid geometry (e.g. self-intersection, unclosed "
            f"ring) and were repaired: {fe}. Check their shapes."
        )
    return out
