"""The "My layers" page under Streamlit's AppTest: upload, report, save, confirm-before-remove."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from spatial.importer import MAX_UPLOAD_BYTES
from spatial.workspace import GeoPackageWorkspace, workspace_path
from tests.hostile import corpus as hc

GOOD = json.dumps(
    hc.fc(
        [
            hc.feat(hc.point(hc.HEBI_LON, hc.HEBI_LAT), name="人民公园"),
            hc.feat(hc.square(hc.HEBI_LON, hc.HEBI_LAT), name="淇河"),
        ]
    ),
    ensure_ascii=False,
).encode()


def _script(lang: str = "zh") -> None:
    import streamlit as st

    st.session_state.setdefault("lang", lang)
    from ui.pages.import_page import render

    render()


def _app(lang: str = "zh") -> AppTest:
    at = AppTest.from_function(_script, kwargs={"lang": lang}, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GeoPackageWorkspace:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path / "ws"))
    assert workspace_path() == tmp_path / "ws" / "user_layers.gpkg"
    return GeoPackageWorkspace(workspace_path())


def _texts(at: AppTest) -> str:
    parts = [
        e.value for e in (*at.markdown, *at.error, *at.warning, *at.success, *at.info, *at.caption)
    ]
    return "\n".join(str(p) for p in parts)


def test_empty_workspace_says_so() -> None:
    at = _app()
    assert any("还没有图层" in i.value for i in at.info)
    # The size limit is stated in the page's language (so is Streamlit's refusal: ui.chrome).
    mb = MAX_UPLOAD_BYTES // 1024**2
    assert mb == 200
    assert any(f"单个文件不超过 {mb} MB。" in c.value for c in at.caption)
    assert not any("per file" in c.value for c in at.caption)
    assert at.file_uploader[0].allowed_type == [
        ".csv",
        ".geojson",
        ".gpkg",
        ".json",
        ".kml",
        ".kmz",
        ".xlsx",
        ".zip",
    ]


def test_upload_report_and_save(workspace: GeoPackageWorkspace) -> None:
    at = _app()
    at.file_uploader[0].set_value(("公园.geojson", GOOD, "application/geo+json")).run()
    assert not at.exception
    assert any("2 个要素" in s.value for s in at.success)
    report = at.dataframe[0].value
    values = dict(zip(report.iloc[:, 0], report.iloc[:, 1], strict=True))
    assert values["导入要素数"] == "2" and values["格式"] == "GeoJSON"
    assert values["几何类型"] == "点 × 1, 面 × 1"
    assert at.text_input[0].value == "公园"
    at.text_input[0].set_value("我的公园")
    at.button(key="FormSubmitter:import_save_0-加入我的图层").click().run()
    assert not at.exception
    assert workspace.list_layers() == ["我的公园"]
    saved = workspace.read_layer("我的公园")
    assert saved["name"].tolist() == ["人民公园", "淇河"]
    assert "已加入图层" in _texts(at)
    # Reload (a fresh session, as after a page reload or an app restart) still lists it.
    again = _app()
    assert "我的公园" in _texts(again)


def test_hostile_upload_shows_plain_error_and_app_keeps_working() -> None:
    at = _app()
    case = next(c for c in hc.corpus() if c.id == "vrt_as_geojson_file")
    at.file_uploader[0].set_value((case.filename, case.build(), "application/json")).run()
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert "VRT" in message and "passwd" not in message and "Traceback" not in message
    # The same session then imports a good file.
    at.file_uploader[0].set_value(("ok.geojson", GOOD, "application/json")).run()
    assert not at.exception and not at.error
    assert any("2 个要素" in s.value for s in at.success)


def test_remove_asks_for_confirmation(workspace: GeoPackageWorkspace) -> None:
    gdf = hc.parks_gdf()
    workspace.write_layer("公园", gdf)
    workspace.write_layer("学校", gdf)
    at = _app()
    lid = next(i.layer_id for i in workspace.layer_infos() if i.title == "公园")
    at.button(key=f"import_del_{lid}").click().run()
    assert workspace.list_layers() == ["公园", "学校"]  # nothing removed yet
    assert any("确定要删除" in w.value for w in at.warning)
    at.button(key=f"import_no_{lid}").click().run()
    assert workspace.list_layers() == ["公园", "学校"]
    assert not any("确定要删除" in w.value for w in at.warning)
    at.button(key=f"import_del_{lid}").click().run()
    at.button(key=f"import_yes_{lid}").click().run()
    assert not at.exception
    assert workspace.list_layers() == ["学校"]
    assert "已删除图层" in _texts(at)


def test_untrusted_title_is_shown_as_text(workspace: GeoPackageWorkspace) -> None:
    title = "[点我](javascript:alert(1)) <script>window.__pwned=1</script> :material/home:"
    workspace.write_layer(title, hc.parks_gdf())
    at = _app()
    shown = [m.value for m in at.markdown if "点我" in m.value]
    assert shown, _texts(at)
    # Every markdown metacharacter is backslash-escaped, so nothing becomes a link, tag or icon;
    # a word joiner after each colon keeps ":material/home:" from matching after unescaping.
    plain = shown[0].replace("\u2060", "")
    assert "\\[点我\\]\\(javascript\\:alert\\(1\\)\\)" in plain
    assert "\\<script\\>" in plain and "\\:material\\/home\\:" in plain
    assert ":material/home:" not in shown[0].replace("\\", "")


def test_english_ui() -> None:
    at = _app("en")
    assert any("No layers yet" in i.value for i in at.info)
    case = next(c for c in hc.corpus() if c.id == "metres_without_crs")
    at.file_uploader[0].set_value((case.filename, case.build(), "application/json")).run()
    assert "declares no coordinate reference system" in at.error[0].value.replace("\\", "")


def test_warnings_are_shown_in_the_session_language() -> None:
    case = next(c for c in hc.corpus() if c.id == "bowtie")
    at = _app()
    at.file_uploader[0].set_value((case.filename, case.build(), "application/json")).run()
    texts = [w.value.replace("\\", "") for w in at.warning]
    assert any("已自动修复" in w and "蝴蝶地块" in w for w in texts), texts
    assert not any("repaired" in w for w in texts)


def test_poi_csv_with_gcj02_choice_is_converted_and_reported(
    workspace: GeoPackageWorkspace,
) -> None:
    from spatial.crs import wgs84_to_gcj02

    glon, glat = wgs84_to_gcj02(114.2972, 35.7476)
    data = f"名称,经度,纬度\n超市,{float(glon):.8f},{float(glat):.8f}\n".encode()
    at = _app()
    at.file_uploader[0].set_value(("poi.csv", data, "text/csv")).run()
    radio = at.radio(key="import_coords_0")
    assert radio.options[0].startswith("WGS84") and "GCJ-02（高德、腾讯）" in radio.options
    radio.set_value("gcj02").run()
    assert not at.exception
    report = at.dataframe[0].value
    assert "GCJ-02（高德、腾讯） → WGS84" in report.iloc[:, 1].tolist()
    at.button(key="FormSubmitter:import_save_0-加入我的图层").click().run()
    gdf = workspace.read_layer("poi")
    assert abs(gdf.geometry.x[0] - 114.2972) < 1e-5 and abs(gdf.geometry.y[0] - 35.7476) < 1e-5


def test_multi_layer_geopackage_imports_the_chosen_layers(
    workspace: GeoPackageWorkspace, tmp_path: Path
) -> None:
    import geopandas as gpd
    import shapely

    path = tmp_path / "city.gpkg"
    for name in ("roads", "buildings", "facilities"):
        gpd.GeoDataFrame({"name": [name]}, geometry=[shapely.Point(114.3, 35.7)], crs=4326).to_file(
            path, layer=name
        )
    at = _app()
    at.file_uploader[0].set_value(("city.gpkg", path.read_bytes(), "application/geopackage")).run()
    chooser = at.multiselect(key="import_layers_0")
    assert sorted(chooser.value) == ["buildings", "facilities", "roads"]
    chooser.set_value(["roads", "facilities"]).run()
    assert not at.exception
    at.button(key="import_save_all_0").click().run()
    assert not at.exception
    assert sorted(i.title for i in workspace.layer_infos()) == ["facilities", "roads"]


def test_the_page_starts_a_parser_ahead_for_the_upload() -> None:
    # README: each server process keeps one parser warm, so a planner's upload does not wait
    # for Python, numpy and GDAL to start. Opening the page is enough to have one started.
    from spatial._sandbox import _POOL, _pool_key, _retire
    from spatial.importer import _ENTRY, _gdal_child_env

    key = _pool_key(_ENTRY, _gdal_child_env())
    with _POOL._lock:
        old = _POOL._parked.pop(key, None)
    if old is not None:
        _retire(old)
    _app()
    assert _POOL.wait_ready(key, timeout=60)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_preview_shows_empty_cells_and_no_row_index(lang: str) -> None:
    data = json.dumps(hc.fc([
        hc.feat(hc.point(hc.HEBI_LON, hc.HEBI_LAT), 名称="甲", 备注=None, 是否建成=True),
        hc.feat(hc.point(hc.HEBI_LON + 0.01, hc.HEBI_LAT), 名称="乙", 备注="有", 是否建成=False),
    ]), ensure_ascii=False).encode()
    at = _app(lang)
    at.file_uploader[0].set_value(("调研.geojson", data, "application/geo+json")).run()
    assert not at.exception
    preview = at.dataframe[1]
    # A missing value is an empty cell (Streamlit would print "None"), and pandas' 0/1 row
    # numbers are not a column.
    assert list(preview.value["备注"]) == ["", "有"]
    assert json.loads(preview.proto.columns).get("_index", {}).get("hidden") is True
