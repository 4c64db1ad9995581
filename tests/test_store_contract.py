"""ONE contract suite for both project stores: the desk GeoPackage and a PostGIS project.

Each test gets an empty store of each kind (``store`` is parametrised). The
PostGIS half uses the throwaway database of ``HEBI_TEST_DATABASE_URL``: it
skips locally without one and fails in CI (tests/pg_support.py).
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import types
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
import sqlalchemy as sa
from shapely.geometry import LineString, Point, Polygon

from spatial import SpatialError
from spatial.audit import json_checksum, layer_checksum
from spatial.storage import GeoPackageWorkspace, LayerStore, ProjectStore, open_store

StoreFactory = Callable[[], Any]


def _layer(n: int, tag: str = "") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"{tag}点{i}" for i in range(n)], "n": list(range(n))},
        geometry=[Point(114.3 + i * 1e-3, 35.75) for i in range(n)],
        crs=4326,
    )


@pytest.fixture(params=["geopackage", "postgis"])
def make_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> StoreFactory:
    """A factory of stores over the same place (two factories: two handles, one store)."""
    if request.param == "geopackage":
        path = tmp_path / "w.gpkg"
        return lambda: GeoPackageWorkspace(path, actor="张工")
    engine = request.getfixturevalue("pg_engine")
    monkeypatch.setenv("HEBI_DATABASE_URL", request.getfixturevalue("pg_url"))
    project = request.getfixturevalue("pg_project")
    from spatial.storage.postgis import PostGISStore

    return lambda: PostGISStore(engine, project, actor="张工", role="admin")


@pytest.fixture
def store(make_store: StoreFactory) -> Any:
    return make_store()


def test_is_a_project_store(store: Any) -> None:
    assert isinstance(store, LayerStore) and isinstance(store, ProjectStore)
    assert store.list_layers() == [] and store.layer_infos() == [] and store.audit_entries() == []


def test_roundtrip_titles_columns_and_metadata(store: Any) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "名称": ["人民公园", "<img src=x onerror=alert(1)>"],
            "code": pd.array([1, None], "Int64"),
            "一个很长很长很长很长很长很长很长很长很长很长很长的中文字段名称": ["a", "b"],
            "Name": ["x", "y"],
        },
        geometry=[Point(114.3, 35.75), Polygon([(114, 35), (114.1, 35), (114.1, 35.1)])],
        crs=4326,
    )
    gdf.attrs["import_report"] = {"format": "GeoJSON", "features": 2}
    gdf.attrs["warnings"] = ["中文 / English"]
    store.write_layer("控规 地块 <b>2024</b>", gdf)
    assert store.list_layers() == ["控规 地块 <b>2024</b>"]
    assert store.has_layer(" 控规  地块 <b>2024</b> ")
    back = store.read_layer("控规 地块 <b>2024</b>")
    assert back.crs.to_epsg() == 4326
    assert list(back.columns[:-1]) == list(gdf.columns[:-1])
    assert back["名称"].tolist() == ["人民公园", "<img src=x onerror=alert(1)>"]
    assert back["Name"].tolist() == ["x", "y"]
    assert back["code"].iloc[0] == 1 and pd.isna(back["code"].iloc[1])
    assert back.geometry.iloc[0].equals(Point(114.3, 35.75))
    assert back.geometry.iloc[1].equals(gdf.geometry.iloc[1])
    assert back.attrs["import_report"] == {"format": "GeoJSON", "features": 2}
    assert back.attrs["warnings"] == ["中文 / English"]
    info = store.layer_infos()[0]
    assert info.feature_count == 2 and info.title == "控规 地块 <b>2024</b>"


def test_reprojects_to_wgs84_and_keeps_row_order(store: Any) -> None:
    store.write_layer("gk", _layer(30).to_crs(4547))
    back = store.read_layer("gk")
    p = back.geometry.iloc[0]
    assert abs(p.x - 114.3) < 1e-9 and abs(p.y - 35.75) < 1e-9
    assert back["n"].tolist() == list(range(30))


def test_mixed_geometries_and_null_geometry(store: Any) -> None:
    gdf = gpd.GeoDataFrame(
        {"k": ["p", "l", "none"]},
        geometry=[Point(114.3, 35.7), LineString([(114.3, 35.7), (114.4, 35.8)]), None],
        crs=4326,
    )
    store.write_layer("mixed", gdf)
    back = store.read_layer("mixed")
    assert back.geom_type.tolist()[:2] == ["Point", "LineString"]
    assert back.geometry.iloc[2] is None or back.geometry.iloc[2].is_empty


def test_replace_delete_and_missing(store: Any) -> None:
    store.write_layer("a", _layer(3))
    store.write_layer("b", _layer(1))
    store.write_layer(" a ", _layer(5))  # same title after normalisation: replaces
    assert store.list_layers() == ["a", "b"]
    assert len(store.read_layer("a")) == 5
    store.delete_layer("a")
    store.delete_layer("a")  # missing: not an error
    assert store.list_layers() == ["b"]
    with pytest.raises(SpatialError):
        store.read_layer("a")


def test_two_handles_see_one_store(make_store: StoreFactory) -> None:
    make_store().write_layer("共享", _layer(4))
    other = make_store()
    assert other.list_layers() == ["共享"] and len(other.read_layer("共享")) == 4
    assert open_store(other.key).list_layers() == ["共享"]


def test_audit_records_every_change_with_who_what_and_checksum(store: Any) -> None:
    first, second = _layer(3, "一"), _layer(4, "二")
    store.write_layer("道路", first)
    store.write_layer("道路", second)
    store.delete_layer("道路")
    entries = store.audit_entries()
    assert [e.action for e in entries] == ["delete", "replace", "upload"]
    assert {e.actor for e in entries} == {"张工"} and {e.title for e in entries} == {"道路"}
    assert [e.feature_count for e in entries] == [4, 4, 3]
    assert entries[2].checksum == layer_checksum(first)
    assert entries[1].checksum == layer_checksum(second) == entries[0].checksum
    assert entries[0].restorable and entries[1].restorable and not entries[2].restorable
    assert entries[0].entry_id > entries[1].entry_id > entries[2].entry_id


def test_admin_restores_a_deleted_and_a_replaced_layer(store: Any) -> None:
    store.write_layer("绿地", _layer(3, "旧"))
    store.write_layer("绿地", _layer(6, "新"))
    store.delete_layer("绿地")
    deleted = store.audit_entries()[0]
    assert store.restore(deleted.entry_id) == "绿地"
    back = store.read_layer("绿地")
    assert len(back) == 6 and back["name"].iloc[0] == "新点0"
    assert layer_checksum(back[["name", "n", "geometry"]]) == deleted.checksum
    with pytest.raises(SpatialError):
        store.restore(deleted.entry_id)  # once only
    replaced = next(e for e in store.audit_entries() if e.action == "replace")
    store.restore(replaced.entry_id)  # the version before the replacement comes back
    assert store.read_layer("绿地")["name"].iloc[0] == "旧点0"
    actions = [e.action for e in store.audit_entries()]
    assert actions[:2] == ["restore", "restore"]


def test_failed_write_leaves_store_untouched(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write_layer("a", _layer(2))
    before = [(i.title, i.feature_count, i.saved_utc) for i in store.layer_infos()]
    audit_before = store.audit_entries()

    def die(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    # Dies after the data were written but before the metadata (each store's last step).
    if isinstance(store, GeoPackageWorkspace):
        monkeypatch.setattr("spatial.storage.geopackage._ensure_meta", die)
    else:
        monkeypatch.setattr("spatial.storage.postgis._has_spatial_index", die)
    with pytest.raises(RuntimeError):
        store.write_layer("b", _layer(3))
    with pytest.raises(RuntimeError):
        store.write_layer("a", _layer(9))
    assert [(i.title, i.feature_count, i.saved_utc) for i in store.layer_infos()] == before
    assert store.audit_entries() == audit_before
    assert len(store.read_layer("a")) == 2


def _write_and_hang(key: str, url: str | None, ready: Any) -> None:
    """Child process: write a layer, signal once its data are in, then hang (to be killed)."""
    import os
    import time

    if url:
        os.environ["HEBI_DATABASE_URL"] = url
    import spatial.storage.geopackage as gp
    import spatial.storage.postgis as pg

    def hang(*args: object, **kwargs: object) -> bool:
        ready.set()
        time.sleep(600)
        return True

    gp._ensure_meta = hang  # type: ignore[assignment]
    pg._has_spatial_index = hang
    store: Any = open_store(key)
    if hasattr(store, "role"):
        store.role = "editor"
    store.write_layer("killed", _layer(2000, "k"))


def test_killed_upload_leaves_no_half_layer(
    store: Any, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    store.write_layer("kept", _layer(3))
    url = None if isinstance(store, GeoPackageWorkspace) else request.getfixturevalue("pg_url")
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=_write_and_hang, args=(store.key, url, ready))
    proc.start()
    try:
        assert ready.wait(120), "the child never reached the middle of its write"
    finally:
        proc.kill()  # SIGKILL: no cleanup code of the child runs
        proc.join(30)
    assert store.list_layers() == ["kept"]
    assert [e.action for e in store.audit_entries()] == ["upload"]
    if isinstance(store, GeoPackageWorkspace):
        # A leftover private copy is never read; the workspace file itself is intact.
        import sqlite3

        con = sqlite3.connect(store.path)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        con.close()
    else:
        with store.engine.connect() as con:
            tables = {r[0] for r in con.execute(sa.text(
                "SELECT tablename FROM pg_tables WHERE tablename LIKE 'l\\_%'"))}
            known = {r[0] for r in con.execute(sa.text("SELECT table_name FROM hebi_layers"))}
        assert tables <= known  # the killed transaction's table was rolled back
    store.write_layer("after", _layer(1))  # and the store still takes writes
    assert store.list_layers() == ["after", "kept"]


def test_scenario_changes_are_audited_as_scenarios(store: Any) -> None:
    from spatial.audit import SCENARIO_TITLES
    from spatial.coverage.scenarios import (
        SCENARIO_LAYER,
        Scenario,
        delete_scenario,
        list_scenarios,
        save_scenario,
    )

    assert SCENARIO_LAYER in SCENARIO_TITLES  # one name, declared by the scenarios module
    inputs = {"roads": "plan", "facilities": "plan", "residential": "plan", "units": "plan"}
    save_scenario(store, Scenario("方案一", inputs))
    assert [s.name for s in list_scenarios(store)] == ["方案一"]
    delete_scenario(store, "方案一")
    entries = store.audit_entries()
    assert [e.action for e in entries] == ["scenario_delete", "scenario"]
    assert entries[0].restorable  # a deleted scenario set can be brought back too


# --- project documents: rule tables, statistics, scenarios ---------------------------------------

_RULES = {"columns": ["facility_type", "max_walk_m"], "rows": [["幼儿园", 300], ["*", 500]]}


def test_items_round_trip_with_versions_and_an_audit_record(store: Any) -> None:
    assert store.load_item("rules", "生活圈规则表") is None and store.list_items("rules") == []
    store.save_item("rules", "生活圈规则表", _RULES, count=2)
    store.save_item("statistics", "园区统计 <b>2024</b>", {"filename": "统计.csv", "data": "5a6e"})
    assert store.load_item("rules", " 生活圈规则表 ") == _RULES
    assert store.list_items("rules") == ["生活圈规则表"]
    assert store.list_items("statistics") == ["园区统计 <b>2024</b>"]
    assert store.load_item("statistics", "生活圈规则表") is None  # kinds do not mix
    first = store.item_versions("rules")["生活圈规则表"]
    changed = {**_RULES, "rows": [["幼儿园", 250], ["*", 500]]}
    store.save_item("rules", "生活圈规则表", changed, count=2)
    assert store.load_item("rules", "生活圈规则表") == changed
    assert store.item_versions("rules")["生活圈规则表"] != first  # a new cache key
    store.delete_item("rules", "生活圈规则表")
    store.delete_item("rules", "生活圈规则表")  # missing: not an error, and no record
    assert store.load_item("rules", "生活圈规则表") is None
    entries = store.audit_entries()
    assert [(e.action, e.title) for e in entries] == [
        ("rules_delete", "生活圈规则表"), ("rules", "生活圈规则表"),
        ("statistics", "园区统计 <b>2024</b>"), ("rules", "生活圈规则表"),
    ]
    assert {e.actor for e in entries} == {"张工"}
    assert entries[3].feature_count == 2
    assert entries[3].checksum == json_checksum(_RULES)
    assert entries[1].checksum == entries[0].checksum == json_checksum(changed)
    with pytest.raises(ValueError):
        store.save_item("passwords", "x", {})


def test_items_do_not_disturb_layers(store: Any) -> None:
    store.save_item("rules", "规则", _RULES)  # the first write creates the store
    store.write_layer("道路", _layer(3))
    store.save_item("statistics", "统计", {"n": 1})
    assert store.list_layers() == ["道路"] and len(store.read_layer("道路")) == 3
    assert store.load_item("rules", "规则") == _RULES
    assert [e.action for e in store.audit_entries()] == ["statistics", "upload", "rules"]


def test_admin_restores_a_replaced_and_a_removed_document(store: Any) -> None:
    changed = {**_RULES, "rows": [["幼儿园", 250], ["*", 500]]}
    store.save_item("rules", "规则", _RULES, count=2)
    store.save_item("rules", "规则", changed, count=2)
    store.delete_item("rules", "规则")
    removed, replaced, first = store.audit_entries()
    assert (removed.restorable, replaced.restorable, first.restorable) == (True, True, False)
    assert store.restore(removed.entry_id) == "规则"
    assert store.load_item("rules", "规则") == changed
    with pytest.raises(SpatialError):
        store.restore(removed.entry_id)  # once only
    store.restore(replaced.entry_id)  # the table before the change comes back ...
    assert store.load_item("rules", "规则") == _RULES
    newest = store.audit_entries()[0]
    assert (newest.action, newest.checksum) == ("rules_restore", json_checksum(_RULES))
    store.restore(newest.entry_id)  # ... and the one it replaced is kept in turn
    assert store.load_item("rules", "规则") == changed
    assert store.list_layers() == []  # documents never become layers


@pytest.fixture(params=["geopackage", "postgis"])
def two_projects(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Any, Any]:
    """The stores of two projects (desk mode: two workspaces) on the same back end."""
    if request.param == "geopackage":
        return (GeoPackageWorkspace(tmp_path / "a" / "w.gpkg"),
                GeoPackageWorkspace(tmp_path / "b" / "w.gpkg"))
    engine = request.getfixturevalue("pg_engine")
    from spatial.projects import create_project
    from spatial.storage.postgis import PostGISStore

    pa = create_project(engine, f"项目甲 {uuid.uuid4().hex[:10]}")
    pb = create_project(engine, f"项目乙 {uuid.uuid4().hex[:10]}")
    return PostGISStore(engine, pa, actor="甲"), PostGISStore(engine, pb, actor="乙")


def test_a_projects_rule_table_and_statistics_stay_in_it(two_projects: tuple[Any, Any]) -> None:
    a, b = two_projects
    a.save_item("rules", "生活圈规则表", _RULES)
    a.save_item("statistics", "甲的统计", {"filename": "a.csv", "data": "YQ=="})
    assert b.load_item("rules", "生活圈规则表") is None
    assert b.list_items("statistics") == [] and b.item_versions("rules") == {}
    assert b.load_item("statistics", "甲的统计") is None
    b.delete_item("statistics", "甲的统计")  # B cannot remove A's sheet by naming it
    assert a.list_items("statistics") == ["甲的统计"]
    assert b.audit_entries() == []
    b.save_item("rules", "生活圈规则表", {"rows": []})
    assert a.load_item("rules", "生活圈规则表") == _RULES
    a.delete_item("statistics", "甲的统计")
    with pytest.raises(SpatialError):  # B cannot restore A's sheet by naming A's record
        b.restore(a.audit_entries()[0].entry_id)
    assert b.list_items("statistics") == [] and a.list_items("statistics") == []
