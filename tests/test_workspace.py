"""GeoPackageWorkspace: the LayerStore contract, titles, persistence and concurrent writers."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import sys
import threading
import types
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, Polygon

from spatial import GeoPackageWorkspace, SpatialError
from spatial.storage import LayerStore, check_layer_name
from spatial.workspace import layer_id_for, normalise_title, workspace_path


def _layer(n: int, tag: str = "") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"{tag}点{i}" for i in range(n)], "n": list(range(n))},
        geometry=[Point(114.3 + i * 1e-3, 35.75) for i in range(n)],
        crs=4326,
    )


def test_is_a_layer_store(tmp_path: Path) -> None:
    assert isinstance(GeoPackageWorkspace(tmp_path / "w.gpkg"), LayerStore)


def test_roundtrip_titles_and_metadata(tmp_path: Path) -> None:
    ws = GeoPackageWorkspace(tmp_path / "w.gpkg")
    assert ws.list_layers() == []
    gdf = gpd.GeoDataFrame(
        {
            "名称": ["人民公园", "<img src=x onerror=alert(1)>"],
            "code": pd.array([1, None], "Int64"),
        },
        geometry=[Point(114.3, 35.75), Polygon([(114, 35), (114.1, 35), (114.1, 35.1)])],
        crs=4326,
    )
    gdf.attrs["import_report"] = {"format": "GeoJSON", "features": 2}
    gdf.attrs["warnings"] = ["中文 / English"]
    ws.write_layer("控规 地块 <b>2024</b>", gdf)
    assert ws.list_layers() == ["控规 地块 <b>2024</b>"]
    back = ws.read_layer("控规 地块 <b>2024</b>")
    assert back.crs.to_epsg() == 4326
    assert back["名称"].tolist() == ["人民公园", "<img src=x onerror=alert(1)>"]
    assert back.geometry.iloc[0].equals(Point(114.3, 35.75))
    assert back.attrs["import_report"] == {"format": "GeoJSON", "features": 2}
    assert back.attrs["warnings"] == ["中文 / English"]
    info = ws.layer_infos()[0]
    assert info.feature_count == 2 and check_layer_name(info.layer_id) == info.layer_id
    # The table in the GeoPackage has the safe id, never the user's title.
    tables = [str(name) for name, _ in pyogrio.list_layers(tmp_path / "w.gpkg")]
    assert info.layer_id in tables and not any("<" in t for t in tables)


def test_reprojects_to_wgs84_on_write(tmp_path: Path) -> None:
    ws = GeoPackageWorkspace(tmp_path / "w.gpkg")
    ws.write_layer("gk", _layer(1).to_crs(4547))
    p = ws.read_layer("gk").geometry.iloc[0]
    assert abs(p.x - 114.3) < 1e-9 and abs(p.y - 35.75) < 1e-9


def test_replace_same_title_and_delete(tmp_path: Path) -> None:
    ws = GeoPackageWorkspace(tmp_path / "w.gpkg")
    ws.write_layer("a", _layer(3))
    ws.write_layer("b", _layer(1))
    ws.write_layer(" a ", _layer(5))  # same title after normalisation: replaces
    assert ws.list_layers() == ["a", "b"]
    assert len(ws.read_layer("a")) == 5
    ws.delete_layer("a")
    ws.delete_layer("a")  # missing: not an error
    assert ws.list_layers() == ["b"]
    with pytest.raises(SpatialError):
        ws.read_layer("a")
    con = sqlite3.connect(tmp_path / "w.gpkg")
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    contents = {r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")}
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()
    a_id = layer_id_for("a")
    assert not any(a_id in n for n in names) and a_id not in contents  # rtree and rows gone


def test_persists_across_instances(tmp_path: Path) -> None:
    GeoPackageWorkspace(tmp_path / "w.gpkg").write_layer("kept", _layer(2))
    assert GeoPackageWorkspace(tmp_path / "w.gpkg").list_layers() == ["kept"]


def test_titles_normalised_and_empty_refused() -> None:
    assert normalise_title("  人民\t公园\x00 ") == "人民 公园"
    assert layer_id_for("人民 公园") == layer_id_for(" 人民  公园")
    with pytest.raises(SpatialError):
        normalise_title(" \x07 ")


def test_workspace_path_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    assert workspace_path() == tmp_path / "user_layers.gpkg"
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path / "x.gpkg"))
    assert workspace_path() == tmp_path / "x.gpkg"
    monkeypatch.delenv("HEBI_WORKSPACE")
    assert workspace_path().parts[-2:] == ("workspace", "user_layers.gpkg")


def test_failed_write_leaves_workspace_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = GeoPackageWorkspace(tmp_path / "w.gpkg")
    ws.write_layer("a", _layer(2))
    before = (tmp_path / "w.gpkg").read_bytes()
    real_write = pyogrio.write_dataframe

    def write_then_die(*args: object, **kwargs: object) -> None:
        real_write(*args, **kwargs)  # GDAL has written the layer into the copy...
        raise RuntimeError("power cut")  # ...and the process dies before the metadata

    monkeypatch.setattr("spatial.storage.geopackage.pyogrio.write_dataframe", write_then_die)
    with pytest.raises(RuntimeError):
        ws.write_layer("b", _layer(3))
    assert (tmp_path / "w.gpkg").read_bytes() == before
    assert ws.list_layers() == ["a"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp.gpkg")] == []


def _writer(path: str, tag: str, rounds: int) -> None:
    ws = GeoPackageWorkspace(path)
    for i in range(rounds):
        ws.write_layer(f"{tag}-{i}", _layer(20 + i, tag))
        ws.write_layer(f"shared-{tag}", _layer(5, tag))


def test_concurrent_writers_in_two_processes_lose_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An AppTest that ran earlier in this worker leaves __main__ pointing at its temporary
    # script, which "spawn" would re-run in each child; give the children a clean __main__.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    path = str(tmp_path / "w.gpkg")
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, tag, 6)) for tag in ("A", "B")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    ws = GeoPackageWorkspace(path)
    expected = sorted([f"{t}-{i}" for t in "AB" for i in range(6)] + ["shared-A", "shared-B"])
    assert ws.list_layers() == expected
    for t in "AB":
        for i in range(6):
            layer = ws.read_layer(f"{t}-{i}")
            assert len(layer) == 20 + i and layer["name"].iloc[0] == f"{t}点0"
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    con.close()


def test_concurrent_writers_in_threads_lose_nothing(tmp_path: Path) -> None:
    """Two browser sessions are two threads of one Streamlit process."""
    path = str(tmp_path / "w.gpkg")
    errors: list[BaseException] = []

    def run(tag: str) -> None:
        try:
            _writer(path, tag, 4)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(t,)) for t in ("C", "D")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert len(GeoPackageWorkspace(path).list_layers()) == 10
