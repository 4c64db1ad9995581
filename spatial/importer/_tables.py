"""CSV (and spreadsheet) point tables, read in the parser process."""

from __future__ import annotations

import csv
import io
import re

import numpy as np
import pandas as pd
import shapely

from spatial.importer._common import (
    MAX_FEATURES,
    MAX_FIELDS,
    _decode_text,
    _encoding_warning,
    _err,
    _RawLayer,
    _too_many_features,
)

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


