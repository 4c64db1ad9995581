"""The metric CRS distances are measured in: chosen for the data's place, or given by the user.

Distances must be taken in a conformal projection whose scale is ~1 over the
study area. Web Mercator (EPSG:3857) is projected but its "metres" are
1/cos(latitude) too long (×1.24 at Hebi, ×2 at 60°), so a projected CRS is
never trusted as is. The rule:

* a CRS given by the user (``--crs``) must be projected in metres; it is used;
* a layer already in a CGCS2000 3-degree Gauss–Krüger zone (EPSG:4513–4554,
  China's planning CRS) is kept;
* anything else (lon/lat, UTM, Web Mercator, a local grid …) is reprojected to
  the *local* CRS of the data's centre: the CGCS2000 3-degree GK zone inside
  China (EPSG:4534–4554, e.g. EPSG:4547 for Hebi), the WGS84 UTM zone elsewhere
  (EPSG:326xx north / 327xx south), UPS near the poles.

So the same network given in GK, UTM or EPSG:3857 is measured in the same CRS.
"""

from __future__ import annotations

import math

import geopandas as gpd
from pyproj import CRS
from pyproj.exceptions import CRSError as PyprojCRSError

from spatial._errors import AnalysisError
from spatial.crs import WGS84, gk_epsg_for_lon

__all__ = ["is_gk_crs", "local_metric_crs", "parse_metric_crs", "to_metric"]

# CGCS2000 3-degree GK: with zone prefix 4513–4533, central-meridian codes 4534–4554.
_GK_CODES = range(4513, 4555)
# Mainland China and its coastal waters (the GK zones' useful area).
_CHINA_LON = (73.5, 136.5)
_CHINA_LAT = (3.0, 54.0)


def is_gk_crs(crs: CRS | str | int | None) -> bool:
    """Return True when the CRS is a CGCS2000 3-degree Gauss–Krüger zone."""
    if crs is None:
        return False
    epsg = CRS.from_user_input(crs).to_epsg()
    return epsg is not None and epsg in _GK_CODES


def local_metric_crs(lon: float, lat: float) -> CRS:
    """Return the local metric CRS of a place: its GK zone in China, its UTM zone elsewhere.

    Raises
    ------
    AnalysisError
        If the coordinates are not finite lon/lat.
    """
    if not (math.isfinite(lon) and math.isfinite(lat)) or abs(lat) > 90:
        raise AnalysisError(
            "无法确定图层的位置（坐标无效）。", "Cannot locate the layer (invalid coordinates)."
        )
    lon = ((lon + 180.0) % 360.0) - 180.0
    if _CHINA_LON[0] <= lon <= _CHINA_LON[1] and _CHINA_LAT[0] <= lat <= _CHINA_LAT[1]:
        return CRS.from_epsg(gk_epsg_for_lon(lon))
    if lat > 84.0:
        return CRS.from_epsg(32661)
    if lat < -80.0:
        return CRS.from_epsg(32761)
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    return CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def parse_metric_crs(text: str | int | CRS) -> CRS:
    """Read a user's CRS (``EPSG:32650``, ``4547`` …) and check it is projected in metres.

    Raises
    ------
    AnalysisError
        If it is unknown, geographic or not in metres, or is Web Mercator.
    """
    try:
        given = str(text).strip()
        crs = CRS.from_user_input(int(given) if given.isdigit() else text)
    except (PyprojCRSError, ValueError, TypeError) as exc:
        raise AnalysisError(
            f"无法识别坐标系“{text}”。", f"Unknown coordinate reference system '{text}'."
        ) from exc
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    mercator = crs.to_epsg() in (3857, 900913, 3395) or "Pseudo-Mercator" in crs.name
    if not crs.is_projected or unit not in ("metre", "meter") or mercator:
        raise AnalysisError(
            f"坐标系“{text}”不能用于量算距离：需要以米为单位的投影坐标系（高斯-克吕格或 UTM）。",
            f"The CRS '{text}' cannot measure distances: use a projected CRS in metres "
            "(Gauss–Krüger or UTM), not lon/lat or Web Mercator.",
        )
    return crs


def _centre_lonlat(layer: gpd.GeoDataFrame) -> tuple[float, float]:
    geoms = layer.geometry
    if layer.empty or (geoms.isna() | geoms.is_empty).all():
        raise AnalysisError("图层没有任何位置。", "The layer has no location at all.")
    minx, miny, maxx, maxy = layer.to_crs(WGS84).total_bounds
    return (minx + maxx) / 2.0, (miny + maxy) / 2.0


def to_metric(layer: gpd.GeoDataFrame, crs: CRS | str | int | None = None) -> gpd.GeoDataFrame:
    """Return the layer in the CRS distances are measured in (see the module docstring).

    Raises
    ------
    AnalysisError
        If the layer has no CRS, ``crs`` is not a metric CRS, or the layer has
        no location to choose one from.
    """
    if layer.crs is None:
        raise AnalysisError(
            "图层没有坐标参考系（CRS），无法量算距离。",
            "The layer has no coordinate reference system (CRS); distances cannot be measured.",
        )
    if crs is not None:
        return layer.to_crs(parse_metric_crs(crs))
    if is_gk_crs(layer.crs):
        return layer
    target = local_metric_crs(*_centre_lonlat(layer))
    if CRS.from_user_input(layer.crs) == target:
        return layer
    return layer.to_crs(target)
