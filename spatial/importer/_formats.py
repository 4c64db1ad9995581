"""Format readers run in the parser process: GeoJSON, GeoPackage, KML (and the dispatch)."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS

from spatial._errors import LayerImportError
from spatial.importer._common import (
    _ALLOWED_DRIVERS,
    MAX_FEATURES,
    MAX_FIELDS,
    _clean_text,
    _decode_text,
    _encoding_warning,
    _err,
    _library_error,
    _parse_crs,
    _RawLayer,
    _ReadOptions,
    _require,
    _too_many_features,
    _unknown_crs,
)
from spatial.importer._points import points_from_wkb
from spatial.importer._tables import (
    _read_csv,
    _read_xlsx,
)


def _read_raw(data: bytes, kind: str, workdir: Path, opts: _ReadOptions) -> list[_RawLayer]:
    """Read the upload's layers (one, except for a GeoPackage holding several)."""
    if kind == "geojson":
        _require(kind, data, ("json",))
        return [_read_geojson(data, workdir, opts.publish)]
    if kind == "gpkg":
        _require(kind, data, ("gpkg",))
        # Read from memory (pyogrio's /vsimem/ file), not from a copy on disk: writing the
        # file and having SQLite read it back through the file system is a tenth of the
        # parse. The driver is then checked rather than named (see ``_ogr_read``).
        return _read_gpkg(data, "", opts)
    if kind == "kml":
        _require(kind, data, ("kml",))
        return [_read_kml(data, workdir)]
    if kind == "csv":
        _require(kind, data, ("text",))
        return [_read_csv(data, opts.coordinates)]
    if kind == "xlsx":
        _require(kind, data, ("zip",))
        return [_read_xlsx(data, opts.coordinates)]
    if kind in ("zip", "kmz"):
        from spatial.importer._archives import _read_zip  # archives hold the other formats

        _require(kind, data, ("zip",))
        return _read_zip(data, kind, workdir, opts)
    raise _err("不支持该文件格式。", "This file type is not supported.")


def _ogr_read(
    path: str | bytes,
    fmt: str,
    layer: str | None = None,
    encoding: str | None = None,
    driver: str | None = None,
    publish: Callable[[Any], int | None] | None = None,
) -> _RawLayer:
    """Read one layer via pyogrio's Arrow path (WKB to shapely; plain points to coordinates).

    ``path`` is a path, or the file's bytes (read from memory); ``driver``, if
    given, is the one GDAL must have chosen. ``publish``, if given, is offered
    the layer's WKB once every value of it has been parsed (``_RawLayer.part``).
    """
    # A "GeoJSON:"/"GPKG:" prefix pins the driver already; asking GDAL for the layer's info
    # first would parse a GeoJSON twice (its features are counted by reading them).
    if isinstance(path, bytes) or not path.startswith(("GeoJSON:", "GPKG:")):
        info = pyogrio.read_info(path, layer=layer, encoding=encoding)
        if info["driver"] not in _ALLOWED_DRIVERS or driver not in (None, info["driver"]):
            raise _err("文件内容与扩展名不符。", "The file content does not match its extension.")
        if info["features"] is not None and info["features"] > MAX_FEATURES:
            raise _too_many_features(int(info["features"]))
        _check_fields(len(info["fields"]))
    # Columnar all the way: GDAL fills Arrow buffers (for a GeoPackage without building a
    # feature object per row), and the WKB column can travel back to the app unchanged.
    meta, table = pyogrio.raw.read_arrow(
        path, layer=layer, encoding=encoding, datetime_as_string=True
    )
    names = [str(n) for n in meta["fields"]]
    _check_fields(len(names))
    geometry_at = _geometry_column(table)
    fields = [i for i in range(table.num_columns) if i != geometry_at]
    n = table.num_rows
    columns = pd.DataFrame(
        {f"__c{k}": _field_values(table.column(i)) for k, i in enumerate(fields)},
        index=range(n),
    )
    if len(fields) == len(names):
        columns.columns = pd.Index(names)
    wkb_arrow = None if geometry_at is None else table.column(geometry_at).combine_chunks()
    del table  # its columns live on in ``columns`` and ``wkb_arrow``
    # A layer of plain 2D points needs no shapely object per feature (see ``_points``).
    points = points_from_wkb(wkb_arrow)
    geoms: np.ndarray[Any, Any] | None = None
    fixed: list[int] = []
    unreadable: list[int] = []
    part = None
    if points is None:
        wkb = (
            np.full(n, None, dtype=object)
            if wkb_arrow is None
            else wkb_arrow.to_numpy(zero_copy_only=False)
        )
        geoms, fixed, unreadable = _geoms_from_wkb(wkb)
        del wkb
    # Once GEOS (or the plain-point layout check) has read every value, the app may decode the
    # same bytes while this process checks them: validity, repairs, limits, CRS.
    if publish is not None and wkb_arrow is not None and not fixed and not unreadable:
        part = publish(wkb_arrow)
    crs, source = None, "none"
    if meta.get("crs"):
        crs = _parse_crs(str(meta["crs"]))
        source = "file"
    return _RawLayer(
        fmt=fmt,
        columns=columns,
        geoms=geoms,
        crs=crs,
        crs_source=source,
        encoding=str(meta.get("encoding") or "UTF-8"),
        repaired_on_read=fixed,
        unreadable=unreadable,
        wkb=wkb_arrow,
        points=points,
        part=part,
    )


def _geometry_column(table: pa.Table) -> int | None:
    """Index of the WKB column pyogrio marks as geometry (None: the layer has none)."""
    for i, field in enumerate(table.schema):
        meta = field.metadata or {}
        if meta.get(b"ARROW:extension:name") == b"geoarrow.wkb":
            return i
    return None


def _field_values(col: pa.ChunkedArray) -> Any:
    """One attribute column, in the types the rest of the importer has always seen.

    Those are the ones of pyogrio's non-Arrow reader: integers and booleans with
    a missing value become floats (NaN), dates become ISO text, text stays text.
    """
    kind = col.type
    if isinstance(kind, pa.ExtensionType):  # e.g. GDAL's JSON fields: the text is the value
        col = pa.chunked_array([c.storage for c in col.chunks], type=kind.storage_type)
        kind = col.type
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        if col.null_count:
            return col.cast(pa.float64()).to_numpy()
        return col.to_numpy()
    if pa.types.is_floating(kind):
        return col.cast(pa.float64()).to_numpy()
    if pa.types.is_temporal(kind):
        col = col.cast(pa.string())
        kind = col.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return col.to_pandas()
    return col.to_numpy()


def _check_fields(n: int) -> None:
    if n > MAX_FIELDS:
        raise _err(
            f"属性字段太多（{n} 个，上限 {MAX_FIELDS}）。",
            f"Too many attribute fields ({n}; the limit is {MAX_FIELDS}).",
        )


def _geoms_from_wkb(
    wkb: np.ndarray[Any, Any],
) -> tuple[np.ndarray[Any, Any], list[int], list[int]]:
    """Parse WKB feature by feature, closing unclosed rings rather than failing the file."""
    geoms = shapely.from_wkb(wkb, on_invalid="ignore")
    fixed: list[int] = []
    unreadable: list[int] = []
    missing = shapely.is_missing(geoms)
    if not missing.any():  # the usual case: every value parsed (no scan of the bytes for None)
        return geoms, fixed, unreadable
    for i in np.flatnonzero(missing & ~pd.isna(wkb)):
        g = shapely.from_wkb(wkb[i], on_invalid="fix")
        if g is None:
            unreadable.append(int(i))
        else:
            geoms[i] = g
            fixed.append(int(i))
    return geoms, fixed, unreadable


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


def _read_geojson(
    data: bytes, workdir: Path, publish: Callable[[Any], int | None] | None = None
) -> _RawLayer:
    text, encoding = _decode_text(data)
    declared = _legacy_geojson_crs(text)
    crs = _parse_crs(declared) if declared else None
    path = workdir / "upload.geojson"
    # GDAL's GeoJSON driver reads UTF-8 only: hand it UTF-8 whatever the upload used.
    path.write_bytes(
        memoryview(data)[3:]
        if encoding == "UTF-8 (BOM)"
        else data
        if encoding == "UTF-8"
        else text.encode("utf-8")
    )
    # The decoded text (up to 4 bytes a character) is not held while GDAL parses, the most
    # memory-hungry step; a failure decodes it again for its message.
    del text
    try:
        raw = _ogr_read(f"GeoJSON:{path}", "GeoJSON", publish=publish)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise _geojson_error(_decode_text(data)[0], exc) from None
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


def _read_gpkg(path: str | bytes, dataset_name: str, opts: _ReadOptions) -> list[_RawLayer]:
    """Read the chosen (default: all) spatial layers of a GeoPackage, or only list them.

    ``path`` is a ``GPKG:`` path, or the file's bytes.
    """
    with warnings.catch_warnings():
        # pyogrio names a file read from memory without an extension, which GDAL remarks on.
        warnings.filterwarnings("ignore", "(?s).*non conformant file extension", RuntimeWarning)
        return _read_gpkg_layers(path, dataset_name, opts)


def _read_gpkg_layers(path: str | bytes, dataset_name: str, opts: _ReadOptions) -> list[_RawLayer]:
    """The body of :func:`_read_gpkg`."""
    layers = pyogrio.list_layers(path)
    spatial_layers = [str(name) for name, gtype in layers if gtype is not None]
    if not spatial_layers:
        raise _err("GeoPackage 中没有带几何的图层。", "The GeoPackage has no layer with geometry.")
    if opts.list_only:
        for name, gtype in layers:
            if gtype is not None:
                info = pyogrio.read_info(path, layer=str(name))
                opts.choices.append(
                    {"name": str(name), "geometry_type": str(gtype), "features": info["features"]}
                )
        return []
    if opts.single and opts.layers is None and len(spatial_layers) > 1:
        raise _several_layers("GeoPackage", spatial_layers)
    wanted = spatial_layers if opts.layers is None else list(opts.layers)
    unknown = [n for n in wanted if n not in spatial_layers]
    if unknown or not wanted:
        raise _err(
            f"GeoPackage 中没有所选的图层“{_clean_text(unknown[0] if unknown else '', 30)}”。"
            "请重新选择。",
            f"The GeoPackage has no layer '{_clean_text(unknown[0] if unknown else '', 30)}'. "
            "Choose again.",
        )
    out = []
    total = 0
    for name in wanted:
        raw = _ogr_read(path, "GeoPackage", layer=name, driver="GPKG", publish=opts.publish)
        total += raw.size()
        if total > MAX_FEATURES:
            raise _too_many_features(total)
        raw.dataset_name = name if len(spatial_layers) > 1 else (dataset_name or name)
        out.append(raw)
    return out


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
        if part.size():
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
    offsets = np.cumsum([0] + [p.size() for p in parts])
    first = parts[0]
    return _RawLayer(
        fmt=first.fmt,
        columns=pd.concat([p.columns for p in parts], ignore_index=True),
        geoms=np.concatenate([p.shapes() for p in parts]),
        crs=first.crs,
        crs_source=first.crs_source,
        repaired_on_read=[
            i + int(o) for p, o in zip(parts, offsets, strict=False) for i in p.repaired_on_read
        ],
        unreadable=[i + int(o) for p, o in zip(parts, offsets, strict=False) for i in p.unreadable],
    )
