"""Limits, shared types and plain messages of the importer (app and parser process)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS
from pyproj.exceptions import CRSError as ProjCRSError

from spatial._errors import LayerImportError
from spatial._sandbox import SandboxError, SandboxLimits
from spatial.importer._points import _Points, points_to_shapes

# --- limits ------------------------------------------------------------------------------------
# Matches server.maxUploadSize in .streamlit/config.toml. A layer of 1,000,000 points with a few
# attributes is ~140 MB as GeoJSON or GeoPackage; the parser's own limits bound the work.
MAX_UPLOAD_BYTES = 200 * 1024**2
MAX_INFLATED_BYTES = 300 * 1024**2  # sum of the uncompressed sizes in a zip
MAX_ZIP_RATIO = 200  # deflate tops out near 1030:1; real data (even blank DBF fields) stays below
_RATIO_MIN_SIZE = 1024**2  # ratio is judged only for entries above this size
MAX_ZIP_ENTRIES = 1000
# Above 20,000 features a layer is drawn from vector tiles (spatial.tiles), so 1 M points show.
MAX_FEATURES = 1_000_000
# Work is bounded by vertices, not features: one MultiPoint of 1 M points is one "feature".
# Real planning data stays far below: a detailed county boundary has ~50 k vertices.
MAX_VERTICES = 2_000_000
MAX_FEATURE_VERTICES = 200_000
MAX_FIELDS = 500
_SANDBOX_LIMITS = SandboxLimits(cpu_seconds=30, wall_seconds=60.0, queue_seconds=180.0)

# Extension -> format handled by the reader. ``.shp`` alone cannot work (needs .shx/.dbf).
SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".zip": "zip",
    ".kml": "kml",
    ".kmz": "kmz",
    ".csv": "csv",
    ".xlsx": "xlsx",
}
_FORMAT_LABEL = {
    "geojson": "GeoJSON",
    "gpkg": "GeoPackage",
    "shapefile": "Shapefile",
    "kml": "KML",
    "csv": "CSV",
    "xlsx": "Excel",
}
_ALLOWED_DRIVERS = frozenset({"GeoJSON", "GPKG", "ESRI Shapefile", "KML", "LIBKML"})
_NESTED_ARCHIVE_EXT = (".zip", ".kmz", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz")

_UTF8_BOM = b"\xef\xbb\xbf"


def _err(zh: str, en: str) -> LayerImportError:
    return LayerImportError(zh, en)


def _clean_text(s: str, limit: int) -> str:
    """Drop control characters and trim; for titles and names quoted in messages."""
    s = unicodedata.normalize("NFC", str(s))
    s = "".join(ch for ch in s if unicodedata.category(ch)[0] != "C")
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _sandbox_error(exc: SandboxError) -> LayerImportError:
    if exc.kind == "timeout":
        # Name the limit that was actually reached (CPU time or wall clock), not a fixed figure.
        limit = exc.limit_seconds or _SANDBOX_LIMITS.wall_seconds
        return _err(
            f"读取文件超时（超过 {limit:.0f} 秒）：文件可能过大或过于复杂。"
            "请拆分图层或简化几何后重试。",
            f"Reading the file took too long (over {limit:.0f} s); it may be "
            "too large or too complex. Split the layer or simplify its geometry and try again.",
        )
    if exc.kind == "busy":
        limit = exc.limit_seconds or _SANDBOX_LIMITS.queue_seconds
        return _err(
            f"服务器正忙：排队等待超过 {limit:.0f} 秒仍未轮到读取该文件。请稍后重试。",
            f"The server is busy: the file waited over {limit:.0f} s in the queue without being "
            "read. Try again later.",
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


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


COORDINATE_SYSTEMS: dict[str, tuple[str, str]] = {
    "wgs84": ("WGS84（GPS、天地图）", "WGS84 (GPS, Tianditu)"),
    "gcj02": ("GCJ-02（高德、腾讯）", "GCJ-02 (Gaode/AMap, Tencent)"),
    "bd09": ("BD-09（百度）", "BD-09 (Baidu)"),
}


@dataclass
class _ReadOptions:
    """What the app asked of the parser process (plain values, sent as JSON arguments).

    ``layers``: the GeoPackage layers to read (None: all); ``coordinates``: the
    coordinate system of a point table's lon/lat columns (a key of
    :data:`COORDINATE_SYSTEMS`); ``list_only``: only list the layers.
    """

    layers: tuple[str, ...] | None = None
    coordinates: str = "wgs84"
    list_only: bool = False
    single: bool = False  # refuse a file of several layers when none was chosen
    choices: list[dict[str, Any]] = field(default_factory=list)
    # In the parser: hands a layer's WKB to the app early (see ``_transport``); returns the
    # part's number, or None if it was not sent.
    publish: Callable[[Any], int | None] | None = None


@dataclass
class _RawLayer:
    """What a format reader hands to the common checks."""

    fmt: str
    columns: pd.DataFrame
    # Shapely geometries or None, one per feature; None for a layer of plain points (``points``).
    geoms: np.ndarray[Any, Any] | None
    crs: CRS | None
    crs_source: str  # "file", "legacy GeoJSON crs member", "RFC 7946 default", "none"
    encoding: str = "UTF-8"
    dataset_name: str = ""
    warnings: list[str] = field(default_factory=list)
    repaired_on_read: list[int] = field(default_factory=list)  # e.g. rings closed
    unreadable: list[int] = field(default_factory=list)  # geometry bytes GEOS refused
    coordinates: str = "wgs84"  # what a point table's lon/lat were, before conversion
    # The file's own WKB (an Arrow binary array, one per feature), sent back unchanged when no
    # geometry was reprojected or repaired; None when the geometries were built here.
    wkb: Any = None
    # A layer of plain 2D points as coordinates, instead of one shapely object per feature.
    points: _Points | None = None
    # The early part that holds ``wkb`` as read (all features, in order), if one was sent.
    part: int | None = None

    def size(self) -> int:
        """Number of features (with or without geometry)."""
        if self.points is not None:
            return len(self.points.xy)
        return 0 if self.geoms is None else len(self.geoms)

    def shapes(self) -> np.ndarray[Any, Any]:
        """The geometries as shapely objects (built from ``points`` when the layer has those)."""
        if self.geoms is None:
            assert self.points is not None
            self.geoms = points_to_shapes(self.points)
        return self.geoms


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
