"""Coordinate reference systems: metric Gauss–Krüger for measuring, GCJ-02 for Gaode display.

Data are stored and displayed in WGS84 (EPSG:4326). Areas, lengths and
distances are computed in a CGCS2000 3-degree Gauss–Krüger zone without
false-easting zone prefix (EPSG:4534–4554, central meridians 75°E–135°E);
Hebi (≈114.3°E) falls in EPSG:4547, central meridian 114°E. CGCS2000 and
WGS84 agree to a few centimetres, below the accuracy of any layer here, so
PROJ treats the datum change as a no-op.

GCJ-02 is the obfuscated datum of Gaode/AMap tiles. It is not an EPSG CRS
and is applied only while a Gaode basemap is shown; GCJ-02 coordinates are
never stored or exported.
"""

from __future__ import annotations

import math
from typing import TypeVar

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from spatial._errors import CRSError

__all__ = [
    "GK_EPSG_HEBI",
    "WGS84",
    "area_m2",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "gk_epsg_for_lon",
    "length_m",
    "project_to_gk",
    "shift_geometry_to_gcj02",
    "to_wgs84",
    "wgs84_to_gcj02",
]

WGS84 = "EPSG:4326"
GK_EPSG_HEBI = 4547

# CGCS2000 / 3-degree Gauss-Kruger CM 75E is EPSG:4534; each next code is 3° further east.
_GK_FIRST_EPSG = 4534
_GK_FIRST_CM = 75
_GK_LAST_CM = 135

GeoT = TypeVar("GeoT", gpd.GeoDataFrame, gpd.GeoSeries)


def gk_epsg_for_lon(lon: float) -> int:
    """Return the CGCS2000 3-degree Gauss–Krüger EPSG code for a longitude.

    Parameters
    ----------
    lon : float
        Longitude in degrees east (China spans about 73.5°E–135°E).

    Returns
    -------
    int
        EPSG code of the zone whose central meridian is nearest, e.g. 4547
        for Hebi (CM 114°E).

    Raises
    ------
    CRSError
        If the longitude lies outside the zones defined for China.
    """
    if not math.isfinite(lon) or lon < _GK_FIRST_CM - 1.5 or lon > _GK_LAST_CM + 1.5:
        raise CRSError(
            f"经度 {lon} 不在中国 3 度带（73.5°E–136.5°E）范围内，无法选择高斯-克吕格投影带。",
            f"Longitude {lon} is outside China's 3-degree zones (73.5°E–136.5°E); "
            "no Gauss–Krüger zone fits.",
        )
    cm = int(round(lon / 3.0) * 3)
    cm = min(max(cm, _GK_FIRST_CM), _GK_LAST_CM)
    return _GK_FIRST_EPSG + (cm - _GK_FIRST_CM) // 3


def _require_crs(data: gpd.GeoDataFrame | gpd.GeoSeries) -> None:
    if data.crs is None:
        raise CRSError(
            "图层没有坐标参考系，请先指定（例如 EPSG:4326）。",
            "The layer has no coordinate reference system; set one first "
            "(e.g. gdf.set_crs('EPSG:4326')).",
        )


def project_to_gk(data: GeoT, epsg: int | None = None) -> GeoT:
    """Project a layer to the CGCS2000 Gauss–Krüger zone that fits it.

    Parameters
    ----------
    data : GeoDataFrame or GeoSeries
        Any layer with a CRS.
    epsg : int, optional
        Force a zone. By default the zone is chosen from the longitude of the
        layer's centre (EPSG:4547 for Hebi).

    Returns
    -------
    GeoDataFrame or GeoSeries
        The same layer in metres.
    """
    _require_crs(data)
    if epsg is None:
        # Empty geometries have NaN bounds: treat a layer of only empty/null ones as Hebi's.
        geoms = data.geometry
        if data.empty or (geoms.isna() | geoms.is_empty).all():
            epsg = GK_EPSG_HEBI
        else:
            minx, _miny, maxx, _maxy = data.to_crs(WGS84).total_bounds
            epsg = gk_epsg_for_lon((minx + maxx) / 2.0)
    return data.to_crs(epsg=epsg)


def to_wgs84(data: GeoT) -> GeoT:
    """Return the layer in WGS84 lon/lat (EPSG:4326), the storage and display CRS."""
    _require_crs(data)
    return data.to_crs(WGS84)


def area_m2(data: gpd.GeoDataFrame | gpd.GeoSeries) -> NDArray[np.float64]:
    """Area of each feature in square metres, measured in Gauss–Krüger.

    Returns
    -------
    ndarray of float
        One value per feature; 0 for points, lines and null geometries.
    """
    geoms = project_to_gk(data.geometry if isinstance(data, gpd.GeoDataFrame) else data)
    return np.nan_to_num(np.asarray(geoms.area, dtype=float))


def length_m(data: gpd.GeoDataFrame | gpd.GeoSeries) -> NDArray[np.float64]:
    """Length of each feature in metres (perimeter for polygons), in Gauss–Krüger."""
    geoms = project_to_gk(data.geometry if isinstance(data, gpd.GeoDataFrame) else data)
    return np.nan_to_num(np.asarray(geoms.length, dtype=float))


# --- GCJ-02 -------------------------------------------------------------------------------------
# The published forward formula (Krasovsky ellipsoid parameters). China's bounding box decides
# where the shift applies; outside it GCJ-02 equals WGS84.
_A = 6378245.0
_EE = 0.00669342162296594323


def _in_china(
    lon: NDArray[np.float64], lat: NDArray[np.float64], slack: float = 0.0
) -> NDArray[np.bool_]:
    return (
        (lon >= 72.004 - slack)
        & (lon <= 137.8347 + slack)
        & (lat >= 0.8293 - slack)
        & (lat <= 55.8271 + slack)
    )


def _raw_delta(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The GCJ-02 shift in degrees, everywhere (without the China mask)."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    dlat += common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    dlon += common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


def _delta(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The GCJ-02 shift in degrees: zero outside China's bounding box."""
    dlon, dlat = _raw_delta(lon, lat)
    inside = _in_china(lon, lat)
    return np.where(inside, dlon, 0.0), np.where(inside, dlat, 0.0)


def wgs84_to_gcj02(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shift WGS84 lon/lat to GCJ-02 (for drawing on Gaode tiles only).

    Parameters
    ----------
    lon, lat : array_like
        WGS84 degrees; scalars or arrays of the same shape.

    Returns
    -------
    tuple of ndarray
        GCJ-02 longitude and latitude. Points outside China are unchanged.
    """
    lo = np.asarray(lon, dtype=float)
    la = np.asarray(lat, dtype=float)
    dlon, dlat = _delta(lo, la)
    return lo + dlon, la + dlat


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Invert the GCJ-02 shift by fixed-point iteration.

    The forward shift varies slowly (a few hundred metres over hundreds of
    kilometres), so ``w ← g − δ(w)`` converges in a handful of steps to well
    under a millimetre. The iteration uses the shift *without* the China mask
    and the mask is applied to the answer: near the edges of China's bounding
    box the forward shift moves points out of the box, and a masked iteration
    would stop at once there, ~700 m off. A GCJ-02 point whose pre-image lies
    outside the box was never shifted and is returned unchanged. (Within ~1 km
    outside the box edges the forward map is not one-to-one, so no inverse can
    be exact for every point there; those edges lie outside China's land.)

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.
    tol_deg : float
        Stop when every point moves less than this (1e-10° ≈ 0.01 mm).
    max_iter : int
        Upper bound on iterations.

    Returns
    -------
    tuple of ndarray
        WGS84 longitude and latitude.
    """
    glon = np.asarray(lon, dtype=float)
    glat = np.asarray(lat, dtype=float)
    wlon, wlat = glon.copy(), glat.copy()
    for _ in range(max_iter):
        dlon, dlat = _raw_delta(wlon, wlat)
        nlon, nlat = glon - dlon, glat - dlat
        moved = np.maximum(np.abs(nlon - wlon), np.abs(nlat - wlat))
        wlon, wlat = nlon, nlat
        if np.all(moved < tol_deg):
            break
    # The slack keeps points exactly on the box edge (converged to within 1e-10°) inside.
    inside = _in_china(wlon, wlat, slack=10 * tol_deg)
    return np.where(inside, wlon, glon), np.where(inside, wlat, glat)


# BD-09 (Baidu) is a further obfuscation of GCJ-02: a polar-form rotation and offset.
# The constants are the ones Baidu's own JS API uses (x_pi = π·3000/180).
_BD_X_PI = math.pi * 3000.0 / 180.0


def gcj02_to_bd09(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Shift GCJ-02 degrees to Baidu's BD-09.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 degrees.

    Returns
    -------
    tuple of ndarray
        BD-09 longitude and latitude.
    """
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(
    lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-10, max_iter: int = 30
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Invert :func:`gcj02_to_bd09` by fixed-point iteration (to ~0.01 mm).

    The usual closed form (Baidu's own inverse) is off by up to ~1 m; the
    iteration ``g ← g + (b − fwd(g))`` converges in a few steps because the
    forward map is a near-identity.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees.
    tol_deg : float
        Stop when every point moves less than this.
    max_iter : int
        Upper bound on iterations.

    Returns
    -------
    tuple of ndarray
        GCJ-02 longitude and latitude.
    """
    blon = np.asarray(lon, dtype=float)
    blat = np.asarray(lat, dtype=float)
    glon, glat = blon - 0.0065, blat - 0.006
    for _ in range(max_iter):
        flon, flat = gcj02_to_bd09(glon, glat)
        dlon, dlat = blon - flon, blat - flat
        glon, glat = glon + dlon, glat + dlat
        if np.all(np.maximum(np.abs(dlon), np.abs(dlat)) < tol_deg):
            break
    return glon, glat


def bd09_to_wgs84(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Convert Baidu BD-09 degrees to WGS84 (BD-09 → GCJ-02 → WGS84).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 degrees.

    Returns
    -------
    tuple of ndarray
        WGS84 longitude and latitude.
    """
    glon, glat = bd09_to_gcj02(lon, lat)
    return gcj02_to_wgs84(glon, glat)


def _gcj_coords(coords: NDArray[np.float64]) -> NDArray[np.float64]:
    lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def shift_geometry_to_gcj02(data: GeoT) -> GeoT:
    """Return a display copy of a WGS84 layer shifted to GCJ-02.

    Use only to draw on Gaode tiles; never store or export the result.
    """
    _require_crs(data)
    wgs = data.to_crs(WGS84)
    out = wgs.copy()
    if isinstance(out, gpd.GeoDataFrame):
        out[out.geometry.name] = shapely.transform(np.asarray(wgs.geometry.values), _gcj_coords)
        return out
    return gpd.GeoSeries(
        shapely.transform(np.asarray(wgs.values), _gcj_coords), index=wgs.index, crs=WGS84
    )
