"""Checks common to every format: CRS, geometry policy, columns and the import report."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from spatial._errors import LayerImportError
from spatial.crs import WGS84
from spatial.importer._common import (
    MAX_FEATURE_VERTICES,
    MAX_FEATURES,
    MAX_VERTICES,
    _clean_text,
    _err,
    _is_missing,
    _RawLayer,
    _too_many_features,
    _unknown_crs,
)
from spatial.importer._points import points_to_wkb

# China, generously: a located layer of this app should fall inside.
_CHINA = (73.0, 17.0, 136.0, 54.0)


@dataclass
class _Finished:
    """A layer after the checks, as the transport sends it.

    ``columns`` are the kept features' attributes; the geometry is ``wkb`` (an
    Arrow binary array: the file's own WKB when no geometry was reprojected or
    repaired, or points written from their coordinates) or else ``geoms``
    (shapely objects, encoded by the transport). When the file's WKB went to
    the app early (``part``), the answer names that part instead: all of it, or
    its rows ``take`` (``wkb`` and ``geoms`` are then None).
    """

    columns: pd.DataFrame
    geoms: np.ndarray[Any, Any] | None
    wkb: Any
    report: dict[str, Any]
    warnings: list[str]
    part: int | None = None
    take: np.ndarray[Any, Any] | None = None


def _finish(raw: _RawLayer) -> _Finished:
    """Apply the common checks and policies to a layer as read (the result is in WGS84).

    A layer of plain points (``raw.points``) is checked on its coordinates, with
    no shapely object per feature: a point can only be missing, empty or
    non-finite, never otherwise invalid.
    """
    n_in = raw.size()
    if n_in == 0:
        raise _err("文件中没有要素。", "The file contains no features.")
    if n_in > MAX_FEATURES:
        raise _too_many_features(n_in)
    warnings = list(raw.warnings)
    columns = _clean_columns(raw.columns)
    labels = _feature_labeller(columns)

    skipped: dict[str, list[int]] = {"null": [], "empty": [], "non_finite": [], "invalid": []}
    skipped["invalid"] += raw.unreadable
    unreadable = set(raw.unreadable)
    points = raw.points
    geoms: np.ndarray[Any, Any] | None = None
    if points is not None:
        is_null = points.null
        x, y = points.xy[:, 0], points.xy[:, 1]
        empty = np.zeros(n_in, dtype=bool)
        if points.nan_is_empty:  # WKB's POINT EMPTY
            empty = ~is_null & np.isnan(x) & np.isnan(y)
        finite = ~is_null & np.isfinite(x) & np.isfinite(y)
    else:
        geoms = np.asarray(raw.geoms, dtype=object)
        # Each test once over the whole array (shapely answers False for a missing one), and
        # no subset copied when it is all of them: the usual layer has no null or empty feature.
        is_null = shapely.is_missing(geoms)
        empty = shapely.is_empty(geoms)
        live = ~is_null & ~empty
        # Validity is needed anyway; GEOS finds a non-finite x or y invalid, so only the
        # invalid ones (and any z) need their coordinates looked at for finiteness.
        valid = shapely.is_valid(geoms) & live
        finite = np.zeros(n_in, dtype=bool)
        finite[live] = _all_finite(_subset(geoms, live), valid[live])
    present = ~is_null
    skipped["null"] += [int(i) for i in np.flatnonzero(is_null) if int(i) not in unreadable]
    skipped["empty"] += [int(i) for i in np.flatnonzero(empty)]
    skipped["non_finite"] += [int(i) for i in np.flatnonzero(present & ~empty & ~finite)]
    keep = present & ~empty & finite
    counts = None
    if geoms is not None:
        counts = _check_vertices(_subset(geoms, present), np.flatnonzero(present), labels)
    # (A layer of points has one vertex a feature, within both caps since MAX_FEATURES is.)
    if not keep.any():
        raise _err(
            "文件中没有可用的几何（全部为空、缺失或坐标无效）。",
            "The file has no usable geometry (all missing, empty or with invalid coordinates).",
        )

    crs_found = raw.crs
    if geoms is None:
        assert points is not None
        kept_xy = points.xy[keep]
        bounds = np.concatenate([kept_xy.min(axis=0), kept_xy.max(axis=0)])
    else:
        bounds = shapely.total_bounds(_subset(geoms, keep))
    kept_at_crs_check = int(keep.sum())
    src_crs, crs_note = _check_crs(raw, bounds)
    if crs_note:
        warnings.append(crs_note)
    reprojected = not src_crs.equals(CRS.from_epsg(4326))
    if reprojected:
        geoms = raw.shapes() if geoms is None else geoms
        geoms = np.asarray(gpd.GeoSeries(geoms, crs=src_crs).to_crs(WGS84).values, dtype=object)
        # A projection can fail point by point (e.g. far outside its zone): those become
        # non-finite.
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
    if geoms is not None:
        if reprojected:  # validity is judged on what is kept: the geometries in WGS84
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
    all_kept = len(kept_idx) == n_in
    # The file's WKB goes on unchanged (below): the app has it as an early part already, if sent.
    take = None if all_kept else kept_idx
    wkb = None
    from_file = False
    kept_geoms: np.ndarray[Any, Any] | None = None
    if geoms is None:
        assert points is not None
        kept_xy = points.xy if all_kept else points.xy[kept_idx]
        # The file's WKB holds exactly these points; a point table's are written here.
        if raw.wkb is not None:
            from_file = True
            wkb = raw.wkb if all_kept or raw.part is not None else raw.wkb.take(kept_idx)
        else:
            wkb = points_to_wkb(kept_xy)
        bounds = np.concatenate([kept_xy.min(axis=0), kept_xy.max(axis=0)])
        type_ids: np.ndarray[Any, Any] = np.zeros(len(kept_idx), dtype=np.int64)
        vertices = len(kept_idx)
    else:
        kept_geoms = geoms if all_kept else geoms[kept_idx].astype(object)
        # Measures (M) would survive in the file's WKB but not in a shapely round trip.
        if (
            raw.wkb is not None
            and not reprojected
            and not repaired
            and not shapely.has_m(kept_geoms).any()
        ):
            from_file = True
            wkb = raw.wkb if all_kept or raw.part is not None else raw.wkb.take(kept_idx)
        # Unchanged since the CRS check (same features, same geometries): reuse its figures.
        unchanged = not reprojected and not repaired and len(kept_idx) == kept_at_crs_check
        if not unchanged:
            bounds = shapely.total_bounds(kept_geoms)
        type_ids = shapely.get_type_id(kept_geoms)
        if unchanged and counts is not None:
            vertices = int(counts[keep[present]].sum())
        else:
            vertices = int(shapely.get_num_coordinates(kept_geoms).sum())
    kept_columns = (
        columns.reset_index(drop=True)
        if all_kept
        else columns.iloc[kept_idx].reset_index(drop=True)
    )
    minx, miny, maxx, maxy = bounds
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    if not (_CHINA[0] <= cx <= _CHINA[2] and _CHINA[1] <= cy <= _CHINA[3]):
        warnings.append(
            f"图层中心位于经度 {cx:.2f}、纬度 {cy:.2f}，不在中国境内，请确认坐标系是否正确。 / "
            f"The layer's centre is at longitude {cx:.2f}, latitude {cy:.2f}, outside China; "
            "check that its coordinate reference system is right."
        )
    warnings += _geometry_warnings(skipped, repaired, labels)
    collections = np.flatnonzero(type_ids == _TYPE_NAMES.index("GeometryCollection"))
    if len(collections):
        fz, fe = _list_features([int(kept_idx[i]) for i in collections], labels)
        warnings.append(
            f"{len(collections)} 个要素是几何集合（GeometryCollection，点线面混在一个要素中）："
            f"{fz}。地图上可以显示，但面积、覆盖率等统计只计其中的面，出图图例按面绘制。"
            "建议在 GIS 软件中拆分为单一类型后重新导入。 / "
            f"{len(collections)} feature(s) are geometry collections (points, lines and polygons "
            f"mixed in one feature): {fe}. They are shown on the map, but area and coverage "
            "figures count only their polygons and the legend draws them as areas. Consider "
            "splitting them into single types in your GIS software and importing again."
        )
    all_skipped = sorted({i for v in skipped.values() for i in v})
    report: dict[str, Any] = {
        "format": raw.fmt,
        "dataset_name": raw.dataset_name,
        "features": len(kept_idx),
        "features_in_file": n_in,
        "geometry_types": _geometry_types(type_ids),
        "crs_found": _crs_label(crs_found) if crs_found is not None else None,
        "crs_source": raw.crs_source,
        "encoding": raw.encoding,
        "repaired": len(repaired),
        "repaired_features": [i + 1 for i in repaired],
        "skipped": len(all_skipped),
        "skipped_by_reason": {k: len(v) for k, v in skipped.items()},
        "skipped_features": [i + 1 for i in all_skipped],
        "columns": [str(c) for c in kept_columns.columns],
        "coordinate_system": raw.coordinates,
        "vertices": vertices,
    }
    if from_file and raw.part is not None:
        return _Finished(kept_columns, None, None, report, warnings, part=raw.part, take=take)
    return _Finished(kept_columns, None if wkb is not None else kept_geoms, wkb, report, warnings)


def _subset(geoms: np.ndarray[Any, Any], mask: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """``geoms[mask]``, or ``geoms`` itself when the mask selects all (no copy of the array)."""
    return geoms if mask.all() else geoms[mask].astype(object)


_TYPE_NAMES = (
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiPoint",
    "MultiLineString",
    "MultiPolygon",
    "GeometryCollection",
)


def _geometry_types(ids: np.ndarray[Any, Any]) -> dict[str, int]:
    """Count of features per geometry type id, in first-seen order (vectorised)."""
    kinds, first, counts = np.unique(ids[ids >= 0], return_index=True, return_counts=True)
    order = np.argsort(first)
    return {_TYPE_NAMES[int(kinds[i])]: int(counts[i]) for i in order}


def _check_vertices(
    geoms: np.ndarray[Any, Any], index: np.ndarray[Any, Any], labels: Any
) -> np.ndarray[Any, Any]:
    """Refuse a layer whose vertices (per feature or in all) exceed what can be drawn and checked.

    Returns the vertex count of each geometry.

    Features are a poor measure of work: one MultiPoint can hold a million
    points. Every later step (validity, reprojection, the map, the export)
    costs in proportion to vertices, so that is what is capped.
    """
    counts = shapely.get_num_coordinates(np.asarray(geoms, dtype=object))
    total = int(counts.sum())
    if len(counts) and int(counts.max()) > MAX_FEATURE_VERTICES:
        worst = int(np.argmax(counts))
        fz, fe = labels(int(index[worst]))
        raise _err(
            f"{fz}要素的节点太多（{int(counts[worst]):,} 个，单个要素上限 "
            f"{MAX_FEATURE_VERTICES:,}）。请在 GIS 软件中简化或拆分后重试。",
            f"Feature {fe} has too many vertices ({int(counts[worst]):,}; the limit per "
            f"feature is {MAX_FEATURE_VERTICES:,}). Simplify or split it in your GIS software "
            "and try again.",
        )
    if total > MAX_VERTICES:
        raise _err(
            f"图层的节点总数太多（{total:,} 个，上限 {MAX_VERTICES:,}）。"
            "请简化几何或拆分图层后重试。",
            f"The layer has too many vertices in all ({total:,}; the limit is "
            f"{MAX_VERTICES:,}). Simplify the geometry or split the layer and try again.",
        )
    return counts


def _all_finite(
    geoms: np.ndarray[Any, Any], valid: np.ndarray[Any, Any] | None = None
) -> np.ndarray[Any, Any]:
    """Per geometry: are all its coordinates (x, y and z if present) finite? Vectorised.

    ``valid`` (GEOS validity of each, if known) spares the x, y of the valid ones:
    GEOS finds a geometry with a non-finite x or y invalid.
    """
    arr = np.asarray(geoms, dtype=object)
    ok = np.ones(len(arr), dtype=bool)
    look = np.arange(len(arr)) if valid is None else np.flatnonzero(~valid)
    coords, index = shapely.get_coordinates(arr[look], return_index=True)
    # Scatter only the bad ones: a plain fancy assignment, no ufunc.at over every vertex.
    ok[look[index[~np.isfinite(coords).all(axis=1)]]] = False
    has_z = shapely.has_z(arr)
    if has_z.any():
        zpos = np.flatnonzero(has_z)
        coords_z, index_z = shapely.get_coordinates(arr[has_z], include_z=True, return_index=True)
        ok[zpos[index_z[~np.isfinite(coords_z[:, 2])]]] = False
    return ok


def _crs_label(crs: CRS) -> str:
    code = crs.to_epsg(min_confidence=70)
    return f"EPSG:{code} ({crs.name})" if code else crs.name


# CGCS2000 Gauss-Kruger zones in the EPSG registry: 6-degree 4491-4512, 3-degree 4513-4554.
def _is_cgcs2000_gk(code: int | None) -> bool:
    return code is not None and 4491 <= code <= 4554


_EDGE_SLACK_DEG = 1e-6


def _check_crs(raw: _RawLayer, bounds: np.ndarray[Any, Any]) -> tuple[CRS, str]:
    """Decide the source CRS or refuse; returns the CRS and an optional warning."""
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    # World data (Natural Earth) touches ±180°/±90°, often a few ulps beyond after its own
    # reprojection; that is the edge of the world, not projected metres.
    e = _EDGE_SLACK_DEG
    degrees = minx >= -180 - e and maxx <= 180 + e and miny >= -90 - e and maxy <= 90 + e
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
    e = _EDGE_SLACK_DEG
    if not ok or not (
        all(-180 - e <= v <= 180 + e for v in lon) and all(-90 - e <= v <= 90 + e for v in lat)
    ):
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
    names: list[str] = []
    taken: set[str] = set()
    for i, c in enumerate(df.columns):
        name = _clean_text(str(c), 60) or f"field_{i + 1}"
        if name.lower() in ("fid", "geom", "geometry", "ogc_fid"):
            name = f"{name}_src"
        base, k = name, 2
        while name.lower() in taken:
            name, k = f"{base}_{k}", k + 1
        taken.add(name.lower())
        names.append(name)
    # A new frame with the same column data (copy-on-write: nothing is copied).
    return df.set_axis(pd.Index(names), axis=1)


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
