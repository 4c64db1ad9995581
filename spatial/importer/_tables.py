"""CSV (and spreadsheet) point tables, read in the parser process."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from spatial.crs import bd09_to_wgs84, gcj02_to_wgs84
from spatial.importer._common import (
    COORDINATE_SYSTEMS,
    MAX_FEATURES,
    MAX_FIELDS,
    LayerImportError,
    _decode_text,
    _encoding_warning,
    _err,
    _RawLayer,
    _too_many_features,
)
from spatial.importer._points import _Points

_LON_NAMES = {"lon", "lng", "long", "longitude", "x", "经度", "东经", "x坐标", "坐标x", "经度坐标"}
_LAT_NAMES = {"lat", "latitude", "y", "纬度", "北纬", "y坐标", "坐标y", "纬度坐标"}
_WKT_NAMES = {"wkt", "geometry", "geom", "the_geom", "几何"}


def _header_key(name: str) -> str:
    # "经度(°)", "Longitude [deg]", " X " -> "经度", "longitude", "x"
    key = re.sub(r"[\(（\[【].*?[\)）\]】]", "", str(name)).strip().lower()
    return key.replace(" ", "").replace("_", "") if key not in ("x", "y") else key


# 高德 POI exports put "lng,lat" in one cell.
_PAIR_NAMES = {"location", "坐标", "经纬度", "lnglat", "lonlat"}


def _read_csv(data: bytes, coordinates: str = "wgs84") -> _RawLayer:
    """Read a CSV of points (lon/lat columns) or WKT geometries."""
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
    raw = _points_from_table(df, "CSV", coordinates)
    raw.encoding = encoding
    raw.warnings += _encoding_warning(encoding)
    return raw


def _read_xlsx(data: bytes, coordinates: str = "wgs84") -> _RawLayer:
    """Read the first worksheet of an .xlsx of points, as CSV would be read.

    The container checks (macros, inflation) and the cell texts are those of
    the statistics import, so a workbook means the same thing on both pages.
    """
    from spatial._errors import SpatialError
    from spatial.statistics_import import _cell_text, first_worksheet

    rows: list[list[str]] = []
    try:
        with first_worksheet(data) as ws:
            for row in ws.iter_rows(values_only=True):
                texts = [_cell_text(v) for v in row]
                if not any(texts):
                    continue
                rows.append(texts)
                if len(rows) > MAX_FEATURES + 1:
                    raise _too_many_features(len(rows) - 1)
    except LayerImportError:
        raise
    except SpatialError as exc:  # the statistics reader's error, re-said as an import error
        raise _err(exc.zh, exc.en) from None
    if not rows:
        raise _err("工作表是空的。", "The worksheet is empty.")
    width = max(len(r) for r in rows)
    if width > MAX_FIELDS:
        raise _err(f"列太多（上限 {MAX_FIELDS}）。", f"Too many columns (limit {MAX_FIELDS}).")
    header = [h or f"列 {i + 1}" for i, h in enumerate(rows[0] + [""] * (width - len(rows[0])))]
    body = [r + [""] * (width - len(r)) for r in rows[1:]]
    df = pd.DataFrame(body, columns=pd.Index(header), dtype=object).replace("", None)
    return _points_from_table(df, "Excel", coordinates)


def _to_wgs84(lon: np.ndarray, lat: np.ndarray, coordinates: str) -> tuple[np.ndarray, np.ndarray]:
    if coordinates == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if coordinates == "bd09":
        return bd09_to_wgs84(lon, lat)
    return lon, lat


def _points_from_table(df: pd.DataFrame, fmt: str, coordinates: str) -> _RawLayer:
    """Geometry from lon/lat columns (or one "lng,lat" column, or WKT), converted to WGS84."""
    if coordinates not in COORDINATE_SYSTEMS:
        raise _err("未知的坐标系选项。", "Unknown coordinate system option.")
    if len(df) > MAX_FEATURES:
        raise _too_many_features(len(df))
    if len(df.columns) > MAX_FIELDS:
        raise _err(f"列太多（上限 {MAX_FIELDS}）。", f"Too many columns (limit {MAX_FIELDS}).")
    keys = {_header_key(c): c for c in reversed(list(df.columns))}
    lon_col = next((keys[k] for k in _LON_NAMES if k in keys), None)
    lat_col = next((keys[k] for k in _LAT_NAMES if k in keys), None)
    pair_col = next((keys[k] for k in _PAIR_NAMES if k in keys), None)
    wkt_col = next((keys[k] for k in _WKT_NAMES if k in keys), None)
    if (lon_col is None or lat_col is None) and pair_col is not None:
        parts = df[pair_col].astype("string").str.split(r"[,，\s]+", n=1, regex=True, expand=True)
        if parts.shape[1] == 2:
            df = df.assign(__lon=parts[0], __lat=parts[1]).drop(columns=[pair_col])
            lon_col, lat_col = "__lon", "__lat"
    if lon_col is not None and lat_col is not None:
        lon = pd.to_numeric(df[lon_col].astype("string").str.strip(), errors="coerce")
        lat = pd.to_numeric(df[lat_col].astype("string").str.strip(), errors="coerce")
        lon_a = lon.to_numpy(dtype=float, na_value=np.nan)
        lat_a = lat.to_numpy(dtype=float, na_value=np.nan)
        ok = np.isfinite(lon_a) & np.isfinite(lat_a)
        wlon, wlat = _to_wgs84(lon_a[ok], lat_a[ok], coordinates)
        # Coordinates, not a shapely object per row: a point table can hold a million rows.
        xy = np.full((len(df), 2), np.nan)
        xy[ok, 0] = wlon
        xy[ok, 1] = wlat
        points = _Points(xy, null=~ok, nan_is_empty=False)
        geoms = None
        unreadable = [int(i) for i in np.flatnonzero(~ok)]
        columns = df.drop(columns=[lon_col, lat_col])
        if lon_col != "__lon":
            # The coordinates stay visible as numbers (Excel users expect their columns back).
            columns = columns.assign(**{str(lon_col): lon_a, str(lat_col): lat_a})
    elif wkt_col is not None:
        geoms = shapely.from_wkt(df[wkt_col].to_numpy(dtype=object), on_invalid="ignore")
        if coordinates != "wgs84":
            geoms = shapely.transform(
                geoms, lambda c: np.column_stack(_to_wgs84(c[:, 0], c[:, 1], coordinates))
            )
        unreadable = [int(i) for i in np.flatnonzero(pd.isna(geoms) & df[wkt_col].notna())]
        columns = df.drop(columns=[wkt_col])
        points = None
    else:
        raise _err(
            "表格中没有找到坐标列。请提供经度和纬度列（列名如 经度/纬度、lon/lat、X/Y）、"
            "一列“经度,纬度”（如高德导出的 location），或一列 WKT 几何。",
            "No coordinate columns found in the table. Provide longitude and latitude columns "
            "(named e.g. 经度/纬度, lon/lat or X/Y), one 'lng,lat' column (such as Gaode's "
            "location) or one WKT geometry column.",
        )
    raw = _RawLayer(
        fmt=fmt,
        columns=columns.reset_index(drop=True),
        geoms=None if geoms is None else np.asarray(geoms, dtype=object),
        crs=None,
        crs_source="none",
        unreadable=unreadable,
        points=points,
    )
    if coordinates != "wgs84":
        zh, en = COORDINATE_SYSTEMS[coordinates]
        raw.crs, raw.crs_source = CRS.from_epsg(4326), f"user choice: {coordinates}"
        raw.coordinates = coordinates
        raw.warnings.append(
            f"坐标按 {zh} 读取，已转换为 WGS84 经纬度。 / The coordinates were read as {en} "
            "and converted to WGS84 longitude/latitude."
        )
    return raw
