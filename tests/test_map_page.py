"""The plan-viewer page under Streamlit's AppTest: runs, toggles, basemaps, URL, details.

AppTest shows ``st_folium`` as an ``UnknownElement`` whose ``proto.json_args``
holds the base map script and the overlays (``feature_group``); each drawn
layer is recognisable there by the hidden click references ``[[ref:<id>#n]]``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import shapely
from streamlit.testing.v1 import AppTest

import layers
from layers.schema import GROUPS
from spatial.webmap import decode_geometry, embedded_refs
from tests.apptest_helpers import map_args

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PLAN_GROUPS = [g.id for g in GROUPS if g.id != "user"]
REF_RE = re.compile(r"\[\[ref:([a-z0-9_]+)#\d+\]\]")


@pytest.fixture
def no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty private workspace, so the developer's own uploads do not leak in."""
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    return tmp_path


def _app(default_view: bool = False, **params: str) -> AppTest:
    """Run the app; every plan group shown unless ``default_view`` (the curated first view)."""
    at = AppTest.from_file(APP, default_timeout=60)
    shown = {} if default_view else {"groups": ",".join(PLAN_GROUPS)}
    for k, v in {"basemap": "none", **shown, **params}.items():
        at.query_params[k] = v
    return at.run()


def _qp(at: AppTest, key: str) -> str:
    """A URL query parameter as the app left it (AppTest may hold a list)."""
    value = at.query_params[key]
    return str(value[-1] if isinstance(value, list) else value)


def _drawn_layers(args: dict[str, Any]) -> set[str]:
    fg = "".join(embedded_refs(args["feature_group"] or ""))
    refs = REF_RE.findall(fg)
    # Each drawn feature appears exactly once (no layer drawn twice).
    assert len(re.findall(r"\[\[ref:[a-z0-9_]+#\d+\]\]", fg)) == len(set(
        re.findall(r"\[\[ref:[a-z0-9_]+#\d+\]\]", fg)))
    return set(refs)


def _expected(groups: list[str]) -> set[str]:
    return {s.id for s in layers.specs_for_groups(groups) if _has_geometry(s.id)}


def _has_geometry(layer_id: str) -> bool:
    gdf = layers.load_layer(layer_id)
    return bool((gdf.geometry.notna() & ~gdf.geometry.is_empty).any())


def test_app_runs_and_draws_every_plan_layer(no_workspace: Path) -> None:
    at = _app()
    assert not at.exception
    assert not at.error
    args = map_args(at)
    assert _drawn_layers(args) == _expected(PLAN_GROUPS)
    assert _expected(PLAN_GROUPS), "the plan has layers"
    # Local assets only, and the details/ view state are the only things returned.
    assert all(link.startswith("/app/static/vendor/") for link in
               args["js_links"] + args["css_links"])
    # Only clicks come back: a pan or zoom never waits on the server (issue 17); the map writes
    # its view into the URL itself.
    assert set(args["returned_objects"]) == {"last_object_clicked_tooltip", "last_object_clicked"}
    assert "history.replaceState" in args["script"]
    assert "tileLayer" not in args["script"]
    # The legend outside the iframe names every drawn layer.
    legend = "".join(m.value for m in at.markdown if "hebi-legend" in m.value)
    for layer_id in _drawn_layers(args):
        assert layers.get_spec(layer_id).title_zh in legend


@pytest.mark.parametrize("group", PLAN_GROUPS)
def test_each_group_toggles_its_layers(no_workspace: Path, group: str) -> None:
    at = _app()
    base_key = map_args(at)["key"]
    at.checkbox(key=f"map_group_{group}").uncheck().run()
    assert not at.exception
    args = map_args(at)
    others = [g for g in PLAN_GROUPS if g != group]
    assert _drawn_layers(args) == _expected(others)
    assert args["key"] == base_key, "toggling a group must not remount the map"
    assert _qp(at, "groups").split(",") == others
    at.checkbox(key=f"map_group_{group}").check().run()
    assert _drawn_layers(map_args(at)) == _expected(PLAN_GROUPS)


def _default_expected() -> set[str]:
    from spatial.view import DEFAULT_VIEW

    return {i for i in DEFAULT_VIEW.visible_layer_ids() if _has_geometry(i)}


def test_the_first_view_is_curated(no_workspace: Path) -> None:
    at = _app(default_view=True, basemap="")
    assert not at.exception
    drawn = _drawn_layers(map_args(at))
    assert drawn == _default_expected()
    assert {"corridor", "spines", "axes", "nodes", "parks", "bonded_zone", "green",
            "water"} <= drawn
    assert not drawn & {"facilities", "communities", "life_circles", "ref_anchors"}
    assert [c.value for c in at.checkbox if c.key and c.key.startswith("map_group_")] == [
        g in {"structure", "parks", "green", "roads", "reference"} for g in PLAN_GROUPS]
    assert at.radio(key="map_basemap").value == "none"  # works offline
    # Asking for a hidden group shows all of it.
    at.checkbox(key="map_group_facilities").check().run()
    assert _drawn_layers(map_args(at)) == _default_expected() | {"facilities"}
    # The labels (注记) travel with their layers.
    fg = map_args(at)["feature_group"]
    assert "window.hebiLabelSet(" in fg and "渤海路创智服务走廊" in fg


def test_only_one_group(no_workspace: Path) -> None:
    at = _app(groups="parks")
    assert [c.value for c in at.checkbox if c.key and c.key.startswith("map_group_")] == [
        g == "parks" for g in PLAN_GROUPS
    ]
    assert _drawn_layers(map_args(at)) == _expected(["parks"])


@pytest.mark.parametrize("basemap", ["osm", "gaode", "none"])
def test_each_basemap(no_workspace: Path, basemap: str) -> None:
    at = _app()
    base_key = map_args(at)["key"]
    at.radio(key="map_basemap").set_value(basemap).run()
    assert not at.exception
    args = map_args(at)
    assert args["key"] == base_key, "switching the basemap must not remount the map"
    fg = args["feature_group"]
    assert ("tileLayer" in fg) == (basemap != "none")
    assert ("autonavi.com" in fg) == (basemap == "gaode")
    assert ("window.hebiGcj02 = true" in fg) == (basemap == "gaode")
    assert _qp(at, "basemap") == basemap
    assert _drawn_layers(args) == _expected(PLAN_GROUPS)


def test_gaode_shifts_the_overlays(no_workspace: Path) -> None:
    def coords(at: AppTest) -> list[tuple[float, float]]:
        fg = map_args(at)["feature_group"]
        out: list[tuple[float, float]] = []
        for data in re.findall(r"window\.hebiLayer\((\{.*\}), (\[\{.*\}\]),\n", fg):
            for feature in json.loads(data[0])["f"]:
                geom = shapely.geometry.shape(decode_geometry(feature[0]))
                out += [(x, y) for x, y in shapely.get_coordinates(geom)[:3]]
        return out

    at = _app()
    plain = coords(at)
    at.radio(key="map_basemap").set_value("gaode").run()
    shifted = coords(at)
    assert len(plain) == len(shifted) > 0
    # About 500 m east at Hebi: every vertex moves.
    assert all(b[0] - a[0] > 0.004 for a, b in zip(plain, shifted, strict=True))
    at.radio(key="map_basemap").set_value("osm").run()
    assert coords(at) == plain


def test_tianditu_is_offered_only_with_a_key(
    no_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "tianditu_vec" not in _app().radio(key="map_basemap").options
    monkeypatch.setenv("TIANDITU_KEY", "0123456789abcdef0123456789abcdef")
    at = _app()
    radio = at.radio(key="map_basemap")
    assert {"天地图 矢量", "天地图 影像"} <= set(radio.options)
    radio.set_value("tianditu_img").run()
    fg = map_args(at)["feature_group"]
    assert "img_w" in fg and "cia_w" in fg and "tk=0123456789abcdef0123456789abcdef" in fg


def test_no_setting_name_or_crs_code_reaches_a_planner(no_workspace: Path) -> None:
    # Without a key the sidebar says who can enable 天地图 (the setting's name is for admins).
    at = _app()
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "天地图底图需由管理员配置密钥后可用" in captions
    assert "TIANDITU_KEY" not in captions and "环境变量" not in captions
    en = " ".join(c.value for c in _app(lang="en").sidebar.caption)
    assert "administrator" in en and "TIANDITU_KEY" not in en
    # Layer descriptions (the details panel) name the projection in words, not as a code.
    for spec in layers.all_specs():
        assert "EPSG" not in spec.description_zh and "EPSG" not in spec.description_en
    bonded = layers.get_spec("bonded_zone")
    assert "CGCS2000高斯投影（3度带，中央经线东经114°）" in bonded.description_zh


def test_url_reopens_the_view(no_workspace: Path) -> None:
    at = _app(groups="parks,roads", basemap="gaode", lat="35.77", lon="114.31", zoom="14")
    args = map_args(at)
    assert args["center"] == [35.77, 114.31] and args["zoom"] == 14
    assert _drawn_layers(args) == _expected(["parks", "roads"])
    assert at.radio(key="map_basemap").value == "gaode"
    assert _qp(at, "lat") == "35.77" and _qp(at, "zoom") == "14"


def test_bad_url_values_are_ignored(no_workspace: Path) -> None:
    at = _app(groups="<script>", basemap="x", lat="nan", zoom="1e9")
    assert not at.exception
    args = map_args(at)
    assert args["zoom"] == 12 and _drawn_layers(args) == set()


def test_english_interface(no_workspace: Path) -> None:
    at = _app(lang="en")
    assert not at.exception
    labels = [c.label for c in at.checkbox if c.key and c.key.startswith("map_group_")]
    assert labels == [g.title_en for g in GROUPS if g.id != "user"]
    # The English build of the measuring tool, loaded by the map's script after its first paint.
    args = map_args(at)
    assert "/app/static/vendor/leaflet-measure/leaflet-measure.en.js" in args["script"]
    assert "leaflet-measure" not in " ".join(args["js_links"])


def test_schematic_layers_are_named_in_the_caption(no_workspace: Path) -> None:
    at = _app()
    schematic = [s for s in layers.all_specs() if _has_schematic(s.id)]
    caption = " ".join(c.value for c in at.caption)
    assert "虚线为示意性要素" in caption
    for spec in schematic:
        assert spec.title_zh in caption


def _has_schematic(layer_id: str) -> bool:
    gdf = layers.load_layer(layer_id)
    return "confidence" in gdf.columns and bool((gdf["confidence"] == "schematic").any())


def _details_script() -> None:
    import layers as lyr
    from ui.pages import map_page

    ids = [s.id for s in lyr.all_specs()]
    loaded = map_page._load_all("zh", ids, False)
    map_page._details(("bonded_zone", 0), loaded, "zh")


def test_details_of_the_bonded_zone(no_workspace: Path) -> None:
    at = AppTest.from_function(_details_script, default_timeout=60).run()
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    gdf = layers.load_layer("bonded_zone")
    name = str(gdf["name"].iloc[0])
    assert name.replace("(", "\\(") in text or name in text
    # 2.87 km² = 287 ha = 4,305 亩 (1 亩 = 666.67 m²), measured in EPSG:4547.
    assert "2.870 km² · 287.0 ha · 4,305 亩" in text
    subzones = layers.load_layer("bonded_subzones")
    for sub in subzones.loc[subzones["parent"] == gdf["id"].iloc[0], "name"]:
        assert str(sub) in text
    assert "可信度" in text and "来源" in text


def test_my_layers_are_shown_as_their_own_group(no_workspace: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from spatial.workspace import default_workspace, layer_id_for

    title = "调研点 <b>{{ 7*7 }}</b>"
    gdf = gpd.GeoDataFrame({"name": ["甲", "乙"]},
                           geometry=[Point(114.30, 35.76), Point(114.31, 35.77)], crs=4326)
    default_workspace().write_layer(title, gdf)
    at = _app(default_view=True)
    assert not at.exception
    # Issue 15: the workspace is shared, so uploads are not drawn for everyone by default.
    assert not at.checkbox(key="map_group_user").value
    assert _drawn_layers(map_args(at)) == _default_expected()
    at.checkbox(key="map_group_user").check().run()
    args = map_args(at)
    assert layer_id_for(title) in _drawn_layers(args)
    assert _drawn_layers(args) - {layer_id_for(title)} == _default_expected()
    # The title is escaped everywhere it appears (legend HTML, map payload).
    legend = "".join(m.value for m in at.markdown if "hebi-legend" in m.value)
    assert "调研点 &lt;b&gt;&#123;&#123; 7*7 &#125;&#125;&lt;/b&gt;" in legend
    assert "<b>{{" not in args["feature_group"] and "49" not in legend
    at.checkbox(key="map_group_user").uncheck().run()
    assert _drawn_layers(map_args(at)) == _default_expected()


def test_a_broken_layer_file_is_reported_and_the_rest_drawn(
    no_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    data = tmp_path / "geo"
    shutil.copytree(layers.DATA_DIR, data)
    (data / "parks.geojson").write_text('{"type": "FeatureCollection", "features": [{"type": '
                                        '"Feature", "properties": {"id": "p"}, "geometry": null}]}')
    monkeypatch.setenv("HEBI_DATA_DIR", str(data))
    at = _app()
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning).replace("\\", "")  # markdown escapes
    assert "园区" in warnings and "parks.geojson" in warnings and "缺少属性" in warnings
    assert "Traceback" not in warnings and str(tmp_path) not in warnings
    assert _drawn_layers(map_args(at)) == _expected(PLAN_GROUPS) - {"parks"}


def test_a_tiled_layer_is_drawn_from_a_gaode_shifted_tile_set_on_gaode(
    no_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geopandas as gpd
    import mapbox_vector_tile
    import numpy as np

    from spatial import tiles
    from spatial.crs import wgs84_to_gcj02
    from spatial.workspace import default_workspace

    monkeypatch.setattr(tiles, "TILE_THRESHOLD", 40)
    monkeypatch.setattr(tiles, "STATIC_TILES", tmp_path / "tiles")
    rng = np.random.default_rng(3)
    lon, lat = 114.25 + rng.random(60) * 0.1, 35.7 + rng.random(60) * 0.1
    ws = default_workspace()
    ws.write_layer("城市建筑", gpd.GeoDataFrame({"名称": [f"楼{i}" for i in range(60)]},
                                            geometry=gpd.points_from_xy(lon, lat), crs=4326))
    info = ws.layer_infos()[0]
    at = _app(default_view=True, basemap="osm")
    at.checkbox(key="map_group_user").check().run()
    assert not at.exception
    plain = tiles.tile_token(ws.key, info.layer_id, info.saved_utc)
    gaode = tiles.tile_token(ws.key, info.layer_id, info.saved_utc, gcj02=True)
    fg = map_args(at)["feature_group"]
    assert f"/tiles/{plain}/" in fg and gaode not in fg
    at.radio(key="map_basemap").set_value("gaode").run()
    assert not at.exception
    fg = map_args(at)["feature_group"]
    assert f"/tiles/{gaode}/" in fg and plain not in fg
    # The 高德 set holds every feature at its GCJ-02 position (the tile it falls in there).
    glon, glat = wgs84_to_gcj02(lon[5], lat[5])
    x, y = tiles.tile_count_at(float(glon), float(glat), tiles.MAX_ZOOM)
    data = (tmp_path / "tiles" / gaode / f"{tiles.MAX_ZOOM}/{x}/{y}.pbf").read_bytes()
    fids = {f["properties"]["fid"] for f in mapbox_vector_tile.decode(data)[tiles.TILE_LAYER][
        "features"]}
    assert 5 in fids
