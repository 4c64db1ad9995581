"""Issue 15/13 import defects: each hostile or real-world file is generated here, small.

Every test fails on the code before the fix (refused where it was accepted,
accepted where it was refused, or a figure that was wrong) and passes after.
"""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Geod

from spatial import LayerImportError, read_user_layer
from spatial._sandbox import SandboxError, SandboxLimits, remove_stale_workdirs, run_sandboxed
from spatial.crs import bd09_to_gcj02, bd09_to_wgs84, gcj02_to_bd09, wgs84_to_gcj02
from spatial.importer import (
    MAX_FEATURE_VERTICES,
    MAX_FEATURES,
    list_user_layers,
    read_user_layers,
)
from spatial.importer._common import _sandbox_error
from spatial.workspace import GeoPackageWorkspace

_ENTRIES = "tests.hostile.sandbox_entries"
_GEOD = Geod(ellps="WGS84")


def _workdirs() -> set[str]:
    """This process's parser directories (other processes on the machine may be parsing too)."""
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"hebi-sandbox-{os.getpid()}-*")}


# --- work limits ----------------------------------------------------------------------------------


def test_one_multipoint_of_many_vertices_is_refused() -> None:
    # One feature, MAX_FEATURE_VERTICES + 1 points: the old cap counted features and let it in.
    n = MAX_FEATURE_VERTICES + 1
    coords = ",".join(f"[114.{i % 100000:05d},35.7]" for i in range(n))
    doc = (
        '{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
        '"geometry":{"type":"MultiPoint","coordinates":[' + coords + "]}}]}"
    )
    with pytest.raises(LayerImportError) as info:
        read_user_layer(doc.encode(), "points.geojson")
    assert "节点" in info.value.zh and "vertices" in info.value.en


def test_a_million_point_table_is_imported_and_one_more_row_is_refused() -> None:
    # Issue 17: a city-scale point layer (1,000,000 features) is accepted; the cap still holds.
    assert MAX_FEATURES == 1_000_000
    row = "114.1,35.1\n"
    gdf = read_user_layer(("x,y\n" + row * MAX_FEATURES).encode(), "pois.csv")
    assert len(gdf) == MAX_FEATURES
    assert gdf.attrs["import_report"]["geometry_types"] == {"Point": MAX_FEATURES}
    assert gdf.geometry.iloc[-1].equals(shapely.Point(114.1, 35.1))
    del gdf
    with pytest.raises(LayerImportError) as info:
        read_user_layer(("x,y\n" + row * (MAX_FEATURES + 1)).encode(), "pois.csv")
    assert "要素太多" in info.value.zh and "1000001" in info.value.zh
    assert "Too many features" in info.value.en and "1000000" in info.value.en


def _underdeclared_zip() -> bytes:
    """A zipped GeoJSON whose headers claim 100 bytes but whose data inflates to 3 MB."""
    feature = (
        '{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[114.3,35.7]}}'
    )
    body = ('{"type":"FeatureCollection","features":[' + feature + "]}" + " " * 3_000_000).encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("layer.geojson", body)
    data = bytearray(buf.getvalue())
    # Patch the uncompressed size in the local header (offset 22) and the central directory (24).
    struct.pack_into("<I", data, 22, 100)
    cd = data.rfind(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 100)
    return bytes(data)


def test_zip_that_underdeclares_its_sizes_is_not_inflated_beyond_them() -> None:
    data = _underdeclared_zip()
    before = _workdirs()
    with pytest.raises(LayerImportError) as info:
        read_user_layer(data, "layer.zip")
    assert "损坏" in info.value.zh and "damaged" in info.value.en
    assert _workdirs() <= before  # no temp copy left


def test_timeout_message_names_the_limit_actually_reached() -> None:
    with pytest.raises(SandboxError) as info:
        run_sandboxed(f"{_ENTRIES}:sleep", b"", limits=SandboxLimits(wall_seconds=2))
    assert info.value.limit_seconds == 2
    err = _sandbox_error(info.value)
    assert "2 秒" in err.zh and "2 s" in err.en
    with pytest.raises(SandboxError) as info2:
        run_sandboxed(f"{_ENTRIES}:spin", b"", limits=SandboxLimits(cpu_seconds=1))
    assert "1 秒" in _sandbox_error(info2.value).zh


def test_parses_queue_for_a_slot_and_report_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEBI_PARSE_SLOTS", "1")
    import threading

    waits: list[tuple[int, float]] = []
    def slow() -> None:
        with pytest.raises(SandboxError):
            run_sandboxed(f"{_ENTRIES}:sleep", b"", limits=SandboxLimits(wall_seconds=2))

    first = threading.Thread(target=slow)
    first.start()
    time.sleep(0.5)
    out = run_sandboxed(f"{_ENTRIES}:echo", b"x", on_wait=lambda a, s: waits.append((a, s)))
    first.join()
    assert json.loads(out)["data"] == "x"
    assert waits and waits[-1][1] > 0.5  # it waited for the first, and was told so


def test_killed_parse_leaves_no_temp_copy_and_no_orphan(tmp_path: Path) -> None:
    # A parent (the app) killed outright cannot clean up: the child must die with it and the
    # next run must remove the private directory holding the upload's copy.
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from spatial._sandbox import run_sandboxed, SandboxLimits;"
        f"run_sandboxed('{_ENTRIES}:sleep', b'secret-upload',"
        " limits=SandboxLimits(wall_seconds=60))"
    )
    root = str(Path(__file__).resolve().parent.parent)
    parent = subprocess.Popen([sys.executable, "-c", script, root])
    mine = f"hebi-sandbox-{parent.pid}-"
    deadline = time.monotonic() + 60
    started: Path | None = None
    while time.monotonic() < deadline and started is None:
        for d in Path(tempfile.gettempdir()).glob(mine + "*"):
            if (d / "started").exists():
                started = d
        time.sleep(0.1)
    assert started is not None
    child_pid = int((started / "started").read_text())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    for _ in range(50):
        try:
            os.kill(child_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the parser child outlived its parent")
    # The next parse anywhere sweeps it: another test worker's parse may already have done so;
    # otherwise this sweep must.
    if started.exists():
        assert remove_stale_workdirs() >= 1
    assert not started.exists()


def test_refused_parse_leaves_no_temp_file_and_no_half_layer(tmp_path: Path) -> None:
    ws = GeoPackageWorkspace(tmp_path / "ws.gpkg")
    ok = read_user_layer(
        b'{"type":"Feature","properties":{"name":"a"},"geometry":{"type":"Point","coordinates":[114.3,35.7]}}',
        "a.geojson",
    )
    ws.write_layer("a", ok)
    with sqlite3.connect(tmp_path / "ws.gpkg") as con:
        tables = sorted(r[0] for r in con.execute("select name from sqlite_master"))
    before = _workdirs()
    for data, name in ((_underdeclared_zip(), "x.zip"), (b"{not json", "x.geojson")):
        with pytest.raises(LayerImportError):
            read_user_layer(data, name)
    assert _workdirs() <= before
    assert ws.list_layers() == ["a"]
    with sqlite3.connect(tmp_path / "ws.gpkg") as con:
        assert sorted(r[0] for r in con.execute("select name from sqlite_master")) == tables
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob("*-journal"))


# --- issue 13: bring your own data ----------------------------------------------------------------

# Truth points around Hebi (WGS84) and a published vector pair for BD-09.
_TRUTH = np.array([[114.2972, 35.7476], [114.3521, 35.6889], [114.1883, 35.9012]])


def _distance_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    _, _, d = _GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return np.asarray(d)


def test_bd09_matches_published_vectors() -> None:
    # wandergis/coordtransform README: gcj02tobd09(116.404, 39.915) = [116.41036949371029,
    # 39.92133699351021]; bd09togcj02(116.404, 39.915) = [116.39762729119315, 39.90865673957631]
    # (Baidu's closed-form inverse, itself ~1 m approximate).
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert abs(lon - 116.41036949371029) < 1e-9 and abs(lat - 39.92133699351021) < 1e-9
    glon, glat = bd09_to_gcj02(116.404, 39.915)
    assert (
        _distance_m(np.array([[glon, glat]]), np.array([[116.39762729119315, 39.90865673957631]]))[
            0
        ]
        < 2.0
    )
    back = np.column_stack(gcj02_to_bd09(glon, glat))
    assert _distance_m(back, np.array([[116.404, 39.915]]))[0] < 0.001


@pytest.mark.parametrize("system", ["gcj02", "bd09"])
def test_poi_csv_in_chinese_coordinates_lands_within_1m(system: str) -> None:
    glon, glat = wgs84_to_gcj02(_TRUTH[:, 0], _TRUTH[:, 1])
    if system == "bd09":
        glon, glat = gcj02_to_bd09(glon, glat)
    rows = "\n".join(
        f"POI{i},{x:.8f},{y:.8f}" for i, (x, y) in enumerate(zip(glon, glat, strict=True))
    )
    data = ("名称,经度,纬度\n" + rows + "\n").encode("utf-8")
    # Unconverted, the points are hundreds of metres off: the choice matters.
    plain = read_user_layer(data, "poi.csv")
    assert _distance_m(shapely.get_coordinates(plain.geometry.values), _TRUTH).min() > 100
    gdf = read_user_layer(data, "poi.csv", coordinates=system)
    assert _distance_m(shapely.get_coordinates(gdf.geometry.values), _TRUTH).max() < 1.0
    assert gdf.attrs["import_report"]["coordinate_system"] == system
    assert any("WGS84" in w for w in gdf.attrs["warnings"])
    assert np.allclose(
        bd09_to_wgs84(*gcj02_to_bd09(*wgs84_to_gcj02(114.3, 35.7))), (114.3, 35.7), atol=1e-8
    )


def test_poi_xlsx_with_a_gaode_location_column() -> None:
    openpyxl = pytest.importorskip("openpyxl")
    glon, glat = wgs84_to_gcj02(_TRUTH[:, 0], _TRUTH[:, 1])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["name", "location"])
    for i, (x, y) in enumerate(zip(glon, glat, strict=True)):
        ws.append([f"店{i}", f"{x:.8f},{y:.8f}"])
    buf = io.BytesIO()
    wb.save(buf)
    gdf = read_user_layer(buf.getvalue(), "poi.xlsx", coordinates="gcj02")
    assert len(gdf) == 3
    assert _distance_m(shapely.get_coordinates(gdf.geometry.values), _TRUTH).max() < 1.0


def _three_layer_gpkg(path: Path) -> bytes:
    pts = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(114.3, 35.7)], crs=4326)
    lines = gpd.GeoDataFrame(
        {"name": ["r"]}, geometry=[shapely.LineString([(114.3, 35.7), (114.31, 35.71)])], crs=4326
    )
    polys = gpd.GeoDataFrame(
        {"name": ["b", "c"]},
        geometry=[
            shapely.box(114.3, 35.7, 114.31, 35.71),
            shapely.box(114.32, 35.7, 114.33, 35.71),
        ],
        crs=4326,
    )
    for name, gdf in (("facilities", pts), ("roads", lines), ("buildings", polys)):
        gdf.to_file(path, layer=name, driver="GPKG")
    return path.read_bytes()


def test_three_layer_geopackage_imports_the_chosen_layers(tmp_path: Path) -> None:
    data = _three_layer_gpkg(tmp_path / "city.gpkg")
    choices = list_user_layers(data, "city.gpkg")
    assert sorted(c.name for c in choices) == ["buildings", "facilities", "roads"]
    assert {c.name: c.features for c in choices}["buildings"] == 2
    chosen = read_user_layers(data, "city.gpkg", layers=["roads", "buildings"])
    assert [g.attrs["title"] for g in chosen] == ["roads", "buildings"]
    assert [len(g) for g in chosen] == [1, 2]
    everything = read_user_layers(data, "city.gpkg")
    assert sorted(g.attrs["title"] for g in everything) == ["buildings", "facilities", "roads"]
    # The single-layer call still asks the user to choose, naming the layers.
    with pytest.raises(LayerImportError) as info:
        read_user_layer(data, "city.gpkg")
    assert "roads" in info.value.en


def test_natural_earth_like_world_layer_with_180_loads(tmp_path: Path) -> None:
    # Natural Earth style: polygons touching ±180° and ±90°-ish latitudes, with a .prj, zipped.
    world = gpd.GeoDataFrame(
        {"NAME": ["Fiji", "Russia", "Antarctica"]},
        geometry=[
            shapely.MultiPolygon(
                [
                    shapely.box(177.0, -18.3, 180.00000000000006, -16.0),
                    shapely.box(-180.0, -17.0, -179.8, -16.0),
                ]
            ),
            shapely.box(-180.00000000000006, 64.0, -169.0, 71.5),
            shapely.box(-180.0, -90.0, 180.0, -63.0),
        ],
        crs=4326,
    )
    world.to_file(tmp_path / "ne_110m_admin_0_countries.shp")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in tmp_path.glob("ne_110m_admin_0_countries.*"):
            zf.write(p, p.name)
    gdf = read_user_layer(buf.getvalue(), "ne_110m_admin_0_countries.zip")
    assert len(gdf) == 3
    minx, miny, maxx, _ = gdf.total_bounds
    assert minx == pytest.approx(-180.0) and maxx == pytest.approx(180.0) and miny == -90.0
    # The same as GeoJSON.
    gj = read_user_layer(world.to_json().encode(), "world.geojson")
    assert len(gj) == 3


def test_geometry_collection_is_warned() -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "混合"},
                "geometry": {
                    "type": "GeometryCollection",
                    "geometries": [
                        {"type": "Point", "coordinates": [114.3, 35.7]},
                        {
                            "type": "Polygon",
                            "coordinates": [
                                [[114.3, 35.7], [114.31, 35.7], [114.31, 35.71], [114.3, 35.7]]
                            ],
                        },
                    ],
                },
            }
        ],
    }
    gdf = read_user_layer(json.dumps(doc).encode(), "mixed.geojson")
    assert any("GeometryCollection" in w and "混合" in w for w in gdf.attrs["warnings"])
