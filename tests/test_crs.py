"""spatial.crs: Gauss–Krüger zones, metric measures, and the GCJ-02 forward/inverse shift."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS, Geod
from shapely.geometry import LineString, Point, Polygon, box

from spatial import CRSError
from spatial.crs import (
    GK_EPSG_HEBI,
    area_m2,
    gcj02_to_wgs84,
    gk_epsg_for_lon,
    length_m,
    project_to_gk,
    shift_geometry_to_gcj02,
    to_wgs84,
    wgs84_to_gcj02,
)

GEOD = Geod(ellps="WGS84")

# Published WGS-84 -> GCJ-02 test vectors (wgs lat, wgs lon, gcj lat, gcj lon): the TESTS list
# of googollee/eviltransform, python/test.py (the same three appear in its php/C# tests):
# Shanghai, Shenzhen, Beijing. eviltransform asserts them to 6 decimals.
EVILTRANSFORM_VECTORS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


def _metres_apart(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Geodesic distance in metres between lon/lat arrays."""
    _, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM_VECTORS)
def test_gcj02_forward_matches_published_vectors(
    wlat: float, wlon: float, glat: float, glon: float
) -> None:
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert float(lon) == pytest.approx(glon, abs=1e-9)
    assert float(lat) == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM_VECTORS)
def test_gcj02_inverse_recovers_published_wgs_point(
    wlat: float, wlon: float, glat: float, glon: float
) -> None:
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert _metres_apart(lon, lat, np.array(wlon), np.array(wlat)) < 0.01


def test_gcj02_round_trip_under_1cm_across_china_bounding_box() -> None:
    # A 120 x 120 grid over the whole box where GCJ-02 applies, edges included: near the north
    # and west edges the forward shift moves points out of the box, the case that once failed.
    grid_lon, grid_lat = np.meshgrid(
        np.linspace(72.004, 137.8347, 120), np.linspace(0.8293, 55.8271, 120)
    )
    lon, lat = grid_lon.ravel(), grid_lat.ravel()
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift = _metres_apart(lon, lat, glon, glat)
    assert shift.min() > 1.0  # every grid point really is shifted
    back_lon, back_lat = gcj02_to_wgs84(glon, glat)
    err = _metres_apart(lon, lat, back_lon, back_lat)
    assert err.max() < 0.01


def test_gcj02_shift_at_hebi_is_about_half_a_kilometre_east() -> None:
    # reference/README: near Hebi GCJ-02 ≈ +0.0059° lon, ≈ 0.0000° lat (~530 m east).
    lon, lat = wgs84_to_gcj02(114.2895, 35.7483)
    assert float(lon) - 114.2895 == pytest.approx(0.0059, abs=0.0003)
    assert abs(float(lat) - 35.7483) < 0.0005


@pytest.mark.parametrize(("lon", "lat"), [(2.3522, 48.8566), (-74.006, 40.7128), (151.2, -33.9)])
def test_no_shift_outside_china(lon: float, lat: float) -> None:
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert (float(glon), float(glat)) == (lon, lat)
    wlon, wlat = gcj02_to_wgs84(lon, lat)
    assert (float(wlon), float(wlat)) == (lon, lat)


def test_shift_geometry_to_gcj02_moves_every_vertex_like_the_point_transform() -> None:
    square = box(114.28, 35.74, 114.30, 35.76)
    shifted = shift_geometry_to_gcj02(gpd.GeoSeries([square], crs="EPSG:4326"))
    got = np.asarray(shifted.iloc[0].exterior.coords)
    lon, lat = wgs84_to_gcj02(*np.asarray(square.exterior.coords).T)
    np.testing.assert_allclose(got, np.column_stack([lon, lat]), atol=1e-12)


@pytest.mark.parametrize(
    ("lon", "epsg", "cm"),
    [
        (114.29, GK_EPSG_HEBI, 114),  # Hebi
        (121.47, 4549, 120),  # Shanghai
        (116.40, 4548, 117),  # Beijing: 116.4 is nearer 117 than 114
        (115.49, 4547, 114),
        (115.51, 4548, 117),
        (87.6, 4538, 87),  # Ürümqi
        (73.6, 4534, 75),  # westernmost zone
        (135.0, 4554, 135),  # easternmost zone
    ],
)
def test_gk_zone_from_longitude(lon: float, epsg: int, cm: int) -> None:
    assert gk_epsg_for_lon(lon) == epsg
    # The code really is the 3-degree zone with that central meridian, no false-easting prefix.
    crs = CRS.from_epsg(epsg)
    assert crs.coordinate_operation is not None
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert params["Longitude of natural origin"] == cm
    assert params["False easting"] == 500000
    assert "CGCS2000" in crs.name


@pytest.mark.parametrize("lon", [70.0, 140.0, float("nan"), float("inf")])
def test_gk_zone_refuses_longitudes_outside_china(lon: float) -> None:
    with pytest.raises(CRSError) as err:
        gk_epsg_for_lon(lon)
    assert "高斯-克吕格" in err.value.zh
    assert "Gauss–Krüger" in err.value.en


def test_area_of_a_known_square_in_metres() -> None:
    # A 1 km × 1 km square laid out in EPSG:4547 at Hebi, stored in WGS84.
    x, y = 500_000.0 + 26_000.0, 3_958_000.0
    square_gk = gpd.GeoSeries([box(x, y, x + 1000.0, y + 1000.0)], crs=GK_EPSG_HEBI)
    square = to_wgs84(square_gk)
    assert area_m2(square)[0] == pytest.approx(1e6, rel=1e-9)
    assert length_m(square)[0] == pytest.approx(4000.0, rel=1e-9)
    # Independent check on the ellipsoid: GK scale error 26 km off the meridian is ~1e-5.
    geodesic, _ = GEOD.geometry_area_perimeter(square.iloc[0])
    assert abs(geodesic) == pytest.approx(1e6, rel=1e-4)


def test_area_elsewhere_uses_that_places_zone() -> None:
    # A 0.01° square in Shanghai: GK area (zone CM 120°E) agrees with the geodesic area.
    sq = gpd.GeoDataFrame(geometry=[box(121.47, 31.23, 121.48, 31.24)], crs="EPSG:4326")
    assert project_to_gk(sq).crs.to_epsg() == 4549
    geodesic, _ = GEOD.geometry_area_perimeter(sq.geometry.iloc[0])
    assert area_m2(sq)[0] == pytest.approx(abs(geodesic), rel=1e-3)


def test_length_and_area_of_points_lines_and_nulls() -> None:
    # A line of 0.01° of latitude at Hebi is ~1109 m; points and null geometries measure 0.
    gdf = gpd.GeoDataFrame(
        geometry=[LineString([(114.3, 35.75), (114.3, 35.76)]), Point(114.3, 35.75), None],
        crs="EPSG:4326",
    )
    lengths = length_m(gdf)
    _, _, geodesic = GEOD.inv(114.3, 35.75, 114.3, 35.76)
    assert lengths[0] == pytest.approx(geodesic, rel=1e-4)
    assert lengths[1] == 0.0 and lengths[2] == 0.0
    assert list(area_m2(gdf)) == [0.0, 0.0, 0.0]


def test_project_to_gk_picks_hebi_zone_and_forced_zone() -> None:
    gdf = gpd.GeoDataFrame(geometry=[Point(114.29, 35.75)], crs="EPSG:4326")
    assert project_to_gk(gdf).crs.to_epsg() == GK_EPSG_HEBI
    assert project_to_gk(gdf, epsg=4548).crs.to_epsg() == 4548
    # Only empty or null geometries: no bounds to choose from, so Hebi's zone.
    empty = gpd.GeoDataFrame(geometry=[Polygon(), None], crs="EPSG:4326")
    assert project_to_gk(empty).crs.to_epsg() == GK_EPSG_HEBI


def test_project_to_gk_without_crs_says_so_in_both_languages() -> None:
    for data in (
        gpd.GeoDataFrame(geometry=[Point(114.29, 35.75)]),
        gpd.GeoSeries([Point(114.29, 35.75)]),
    ):
        with pytest.raises(CRSError) as err:
            project_to_gk(data)
        assert "坐标参考系" in err.value.zh
        assert "coordinate reference system" in err.value.en
        assert " / " in str(err.value)


def test_projected_square_round_trips_through_wgs84() -> None:
    sq = gpd.GeoSeries([box(114.28, 35.74, 114.30, 35.76)], crs="EPSG:4326")
    back = to_wgs84(project_to_gk(sq))
    np.testing.assert_allclose(
        np.asarray(back.iloc[0].exterior.coords), np.asarray(sq.iloc[0].exterior.coords),
        atol=1e-9,
    )
    assert math.isclose(area_m2(back)[0], area_m2(sq)[0], rel_tol=1e-9)
