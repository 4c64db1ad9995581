"""Issue 17: layers of plain points are checked and sent as coordinates, with the same results.

The parser reads a WKB column of plain 2D points as two numpy columns instead of
one shapely object per point; these tests hold that path to what shapely says.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import shapely
from shapely.geometry.base import BaseGeometry

from spatial import read_user_layer
from spatial.importer._points import points_from_wkb, points_to_shapes, points_to_wkb

_NAN = float("nan")


def _wkb_column(geoms: Sequence[BaseGeometry | None]) -> pa.Array:
    return pa.array(
        [None if g is None else shapely.to_wkb(g) for g in geoms], type=pa.large_binary()
    )


def test_point_coordinates_are_what_shapely_reads() -> None:
    geoms = [
        shapely.Point(114.1, 35.1),
        None,
        shapely.from_wkt("POINT EMPTY"),
        shapely.Point(-0.0, 1e-300),
    ]
    points = points_from_wkb(_wkb_column(geoms))
    assert points is not None
    assert points.null.tolist() == [False, True, False, False]
    rebuilt = points_to_shapes(points)
    for got, want in zip(rebuilt, geoms, strict=True):
        if want is None:
            assert got is None
        else:
            assert shapely.equals_identical(got, want)
            assert shapely.to_wkb(got) == shapely.to_wkb(want)
    # The same on a slice (an Arrow offset) and on the 32-bit-offset binary type.
    sliced = points_from_wkb(_wkb_column(geoms).slice(2))
    assert sliced is not None and sliced.xy[1].tolist() == [-0.0, 1e-300]
    small = points_from_wkb(_wkb_column(geoms).cast(pa.binary()))
    assert small is not None and small.null.tolist() == points.null.tolist()


def test_anything_but_plain_2d_points_takes_the_general_path() -> None:
    for other in (
        shapely.Point(1, 2, 3),
        shapely.MultiPoint([(1, 2)]),
        shapely.LineString([(0, 0), (1, 1)]),
    ):
        assert points_from_wkb(_wkb_column([shapely.Point(1, 2), other])) is None
    big_endian = struct.pack(">BIdd", 0, 1, 1.0, 2.0)
    assert points_from_wkb(pa.array([big_endian], type=pa.large_binary())) is None
    with_m = struct.pack("<BIddd", 1, 2001, 1.0, 2.0, 3.0)
    assert points_from_wkb(pa.array([with_m], type=pa.large_binary())) is None


def test_points_written_as_wkb_match_shapely_byte_for_byte() -> None:
    xy = np.array([[114.1, 35.1], [-0.0, 0.5], [1e-300, -1e300]])
    ours = points_to_wkb(xy).to_pylist()
    assert ours == list(shapely.to_wkb(shapely.points(xy)))


def test_points_with_missing_empty_and_nan_geometry_are_counted_and_skipped(
    tmp_path: Path,
) -> None:
    layer = gpd.GeoDataFrame(
        {"name": ["甲", "乙", "丙", "丁", "戊"], "v": [1, 2, 3, 4, 5]},
        geometry=[
            shapely.Point(114.1, 35.1),
            None,
            shapely.from_wkt("POINT EMPTY"),
            shapely.Point(_NAN, 35.2),
            shapely.Point(114.3, 35.3),
        ],
        crs=4326,
    )
    path = tmp_path / "pois.gpkg"
    layer.to_file(path)
    gdf = read_user_layer(path.read_bytes(), "pois.gpkg")
    report = gdf.attrs["import_report"]
    assert report["skipped_by_reason"] == {"null": 1, "empty": 1, "non_finite": 1, "invalid": 0}
    assert report["skipped_features"] == [2, 3, 4]
    assert report["geometry_types"] == {"Point": 2} and report["vertices"] == 2
    assert gdf["name"].tolist() == ["甲", "戊"]
    assert [g.wkt for g in gdf.geometry] == ["POINT (114.1 35.1)", "POINT (114.3 35.3)"]


def test_projected_points_are_reprojected_like_other_geometry(tmp_path: Path) -> None:
    # CGCS2000 3-degree Gauss-Kruger, central meridian 114°E (EPSG:4547), Hebi's own zone.
    layer = gpd.GeoDataFrame(
        {"v": [1, 2]},
        geometry=shapely.points([[500000.0, 3950000.0], [501000.0, 3951000.0]]),
        crs=4547,
    )
    path = tmp_path / "proj.gpkg"
    layer.to_file(path)
    gdf = read_user_layer(path.read_bytes(), "proj.gpkg")
    want = layer.to_crs(4326)
    assert gdf.crs.to_epsg() == 4326
    for got, expected in zip(gdf.geometry, want.geometry, strict=True):
        assert got.equals_exact(expected, tolerance=1e-9)
