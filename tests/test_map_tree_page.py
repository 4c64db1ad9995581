"""The plan map's layer tree, feature search and attribute table under AppTest.

The map's overlays are read from the ``st_folium`` payload (``feature_group``):
each drawn feature carries its hidden reference ``[[ref:<layer>#<row>]]``, the
highlight overlay its class ``hebi-highlight``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import shapely
import shapely.geometry
from streamlit.testing.v1 import AppTest

import layers
from spatial.attribute_table import attribute_table
from spatial.feature_search import feature_target
from spatial.map_overlays import HIGHLIGHT_CLASS, faded_payload
from spatial.webmap import catalogue_payload, decode_geometry, embedded_refs
from tests.apptest_helpers import map_args

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture(autouse=True)
def no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty private workspace, so the developer's own uploads do not leak in."""
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    return tmp_path


def _app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in {"basemap": "none", **params}.items():
        at.query_params[k] = v
    return at.run()


def _qp(at: AppTest, key: str) -> str | None:
    if key not in at.query_params:
        return None
    value = at.query_params[key]
    return str(value[-1] if isinstance(value, list) else value)


def _fg(at: AppTest) -> str:
    return str(map_args(at)["feature_group"] or "")


def _drawn(at: AppTest) -> list[str]:
    """Layers drawn, in drawing order (first reference of each)."""
    refs = "".join(embedded_refs(_fg(at)))
    return list(dict.fromkeys(re.findall(r"\[\[ref:([a-z0-9_]+)#\d+\]\]", refs)))


def _highlighted(at: AppTest) -> list[Any]:
    """Geometries drawn by the highlight overlay (decoded from the map payload)."""
    fg = _fg(at)
    decoder = json.JSONDecoder()
    found: list[Any] = []
    for m in re.finditer(r"window\.hebiLayer\(", fg):
        data, end = decoder.raw_decode(fg, m.end())
        rest = fg[end:].lstrip().lstrip(",").lstrip()
        styles, _ = decoder.raw_decode(rest)
        if styles and styles[0].get("className") == HIGHLIGHT_CLASS:
            found += [shapely.geometry.shape(decode_geometry(f[0])) for f in data["f"]]
    return found


def test_unticking_one_layer_hides_only_it(no_workspace: Path) -> None:
    at = _app()
    key = map_args(at)["key"]
    assert "axes" in _drawn(at)
    at.checkbox(key="map_layer_axes").uncheck().run()
    assert not at.exception
    drawn = _drawn(at)
    assert "axes" not in drawn and {"corridor", "spines", "nodes"} <= set(drawn)
    assert at.checkbox(key="map_group_structure").value  # the group stays ticked
    assert "axes" in (_qp(at, "hide") or "").split(",")
    assert map_args(at)["key"] == key, "the map is not remounted"
    legend = "".join(m.value for m in at.markdown if "hebi-legend" in m.value)
    assert layers.get_spec("axes").title_zh not in legend
    at.checkbox(key="map_layer_axes").check().run()
    assert "axes" in _drawn(at) and "axes" not in (_qp(at, "hide") or "").split(",")


def test_a_layer_checkbox_is_disabled_while_its_group_is_off(no_workspace: Path) -> None:
    at = _app()
    at.checkbox(key="map_group_structure").uncheck().run()
    assert at.checkbox(key="map_layer_axes").disabled
    assert "axes" not in _drawn(at)


def test_opacity_fades_the_layer_on_the_map_and_in_the_link(no_workspace: Path) -> None:
    at = _app()
    at.selectbox(key="map_tree_current").set_value("parks").run()
    at.slider(key="map_opacity_parks").set_value(40).run()
    assert not at.exception
    gdf = layers.load_layer("parks")
    payload = catalogue_payload(layers.get_spec("parks"), gdf, lang="zh")
    fg = _fg(at)
    assert faded_payload(payload, 0.4).styles_json in fg
    assert payload.styles_json not in fg
    assert _qp(at, "opacity") == "parks:0.4"
    # The tree shows the opacity beside the layer's name.
    assert "40%" in at.checkbox(key="map_layer_parks").label


def test_moving_a_layer_up_changes_the_drawing_order(no_workspace: Path) -> None:
    at = _app()
    before = _drawn(at)
    assert before.index("spines") < before.index("axes")
    at.selectbox(key="map_tree_current").set_value("spines").run()
    at.button(key="map_layer_up").click().run()
    assert not at.exception
    after = _drawn(at)
    assert after.index("axes") < after.index("spines")
    assert sorted(after) == sorted(before)
    assert "spines" in (_qp(at, "order") or "")
    at.button(key="map_layer_down").click().run()
    assert _drawn(at) == before and _qp(at, "order") is None


def test_a_link_reopens_the_tree(no_workspace: Path) -> None:
    at = _app(hide="axes", opacity="parks:0.5", order="axes,spines")
    assert not at.exception
    assert at.checkbox(key="map_layer_axes").value is False
    drawn = _drawn(at)
    assert "axes" not in drawn and "spines" in drawn
    assert _qp(at, "opacity") == "parks:0.5"
    at.checkbox(key="map_layer_axes").check().run()
    drawn = _drawn(at)
    assert drawn.index("axes") < drawn.index("spines")


def _pick_search(at: AppTest, query: str, name: str) -> AppTest:
    at.text_input(key="map_search").input(query).run()
    radio = next(r for r in at.radio if r.key and r.key.startswith("map_search_pick_"))
    labels = list(radio.options)  # as shown (formatted)
    index = next(i for i, label in enumerate(labels) if str(label).startswith(name))
    return radio.set_value(index).run()


def test_search_zooms_to_and_highlights_a_feature(no_workspace: Path) -> None:
    at = _app()
    key = map_args(at)["key"]
    assert HIGHLIGHT_CLASS not in _fg(at)
    at = _pick_search(at, "保税区", "鹤壁综合保税区")
    assert not at.exception
    args = map_args(at)
    assert HIGHLIGHT_CLASS in args["feature_group"] and args["key"] == key
    target = feature_target(layers.load_layer("bonded_zone"), [0], 760, 520)
    assert target is not None
    assert args["center"] == pytest.approx(list(target[0]), abs=1e-6)
    assert args["zoom"] == target[1] > 12
    details = "\n".join(m.value for m in at.markdown)
    assert "鹤壁综合保税区" in details
    (outline,) = _highlighted(at)
    zone = layers.load_layer("bonded_zone").geometry.iloc[0]
    assert outline.hausdorff_distance(zone) < 2e-6  # the zone itself, to 0.2 m
    # Once cleared (a click on the map does that), 再次定位 brings the highlight back.
    at.session_state["map_selected"] = None
    at.run()
    assert HIGHLIGHT_CLASS not in _fg(at)
    at.button(key="map_search_zoom").click().run()
    assert len(_highlighted(at)) == 1


def test_search_finds_a_feature_of_a_hidden_layer(no_workspace: Path) -> None:
    at = _app(groups="parks")
    at = _pick_search(at, "Bohai Road innovation service corridor", "渤海路创智服务走廊")
    assert not at.exception
    fg = _fg(at)
    assert "corridor" not in _drawn(at) and HIGHLIGHT_CLASS in fg


def _table(at: AppTest) -> Any:
    return next(d for d in at.dataframe if d.key and d.key.startswith("attr_table_"))


def test_attribute_table_filters_sorts_and_a_row_highlights(no_workspace: Path) -> None:
    at = _app()
    at.selectbox(key="attr_layer").set_value("roads").run()
    at.text_input(key="attr_query").input("渤海路").run()
    at.selectbox(key="attr_sort_roads").set_value("长度（千米）").run()
    at.toggle(key="attr_desc").set_value(True).run()
    assert not at.exception
    shown = _table(at).value
    assert "名称" in shown.columns and "id" not in shown.columns
    assert set(shown["名称"]) == {"渤海路"}
    lengths = list(shown["长度（千米）"])
    assert lengths == sorted(lengths, reverse=True)
    assert not {"True", "False"} & set(shown.astype(str).to_numpy().ravel())
    # Pick the second row: the second-longest segment of 渤海路 is highlighted and framed.
    expected = attribute_table(layers.get_spec("roads"), layers.load_layer("roads"),
                               query="渤海路", sort_by="长度（千米）", descending=True)
    pos = expected.positions[1]
    at.session_state["attr_table_roads"] = {"selection": {"rows": [1], "columns": []}}
    at.run()
    assert not at.exception
    args = map_args(at)
    assert HIGHLIGHT_CLASS in args["feature_group"]
    target = feature_target(layers.load_layer("roads"), [pos], 760, 520)
    assert target is not None
    assert args["center"] == pytest.approx(list(target[0]), abs=1e-6)
    assert args["zoom"] == target[1]
    (outline,) = _highlighted(at)
    road = layers.load_layer("roads").geometry.iloc[pos]
    assert outline.hausdorff_distance(road) < 2e-6  # that segment itself


def test_english_tree_and_table(no_workspace: Path) -> None:
    at = _app(lang="en")
    assert not at.exception
    assert at.checkbox(key="map_layer_axes").label == layers.get_spec("axes").title_en
    # (No second run: AppTest formats the export panel's options outside the session, in Chinese.)
    columns = list(_table(at).value.columns)
    assert columns[0] == "Name" and not any(re.search(r"[\u4e00-\u9fff]", c) for c in columns)


def test_a_link_with_a_layer_list_holds_back_only_its_groups_layers(no_workspace: Path) -> None:
    at = _app(groups="parks,structure", layers="parks,bonded_zone,corridor")
    assert not at.exception
    assert at.checkbox(key="map_layer_bonded_points").value is False
    assert set(_drawn(at)) == {"parks", "bonded_zone", "corridor"}
    # A group ticked later shows all its layers; the held-back ones can be ticked in the tree.
    at.checkbox(key="map_group_green").check().run()
    assert {"green", "water"} <= set(_drawn(at))
    at.checkbox(key="map_layer_axes").check().run()
    assert "axes" in _drawn(at)
    assert "layers" not in at.query_params and "axes" not in (_qp(at, "hide") or "")


def test_search_on_gaode_frames_the_shifted_feature(no_workspace: Path) -> None:
    from spatial.crs import wgs84_to_gcj02

    at = _pick_search(_app(basemap="gaode"), "保税区", "鹤壁综合保税区")
    assert not at.exception
    target = feature_target(layers.load_layer("bonded_zone"), [0], 760, 520)
    assert target is not None
    glon, glat = wgs84_to_gcj02(target[0][1], target[0][0])
    assert map_args(at)["center"] == pytest.approx([float(glat), float(glon)], abs=1e-6)


def test_the_highlighted_feature_is_in_the_link(no_workspace: Path) -> None:
    at = _pick_search(_app(), "保税区", "鹤壁综合保税区")
    assert _qp(at, "sel") == "bonded_zone:bonded-zone"
    # A link with it opens with the same feature outlined (the map stays where the link says).
    again = _app(sel="bonded_zone:bonded-zone", zoom="13")
    assert not again.exception
    assert len(_highlighted(again)) == 1 and map_args(again)["zoom"] == 13
    bad = _app(sel="bonded_zone:nope")
    assert not bad.exception and _highlighted(bad) == [] and _qp(bad, "sel") is None


def test_zoom_to_layer_frames_the_whole_layer(no_workspace: Path) -> None:
    at = _app()
    at.selectbox(key="map_tree_current").set_value("bonded_points").run()
    at.button(key="map_layer_zoom").click().run()
    assert not at.exception
    gdf = layers.load_layer("bonded_points")
    target = feature_target(gdf, range(len(gdf)), 760, 520)
    assert target is not None and target[1] > 12
    args = map_args(at)
    assert args["center"] == pytest.approx(list(target[0]), abs=1e-6)
    assert args["zoom"] == target[1]


def test_the_curated_first_view_is_the_trees_ticks(no_workspace: Path) -> None:
    from spatial.view import DEFAULT_VIEW

    at = _app()
    held_back = [s.id for s in layers.all_specs()
                 if s.group in DEFAULT_VIEW.groups and DEFAULT_VIEW.layers is not None
                 and s.id not in DEFAULT_VIEW.layers]
    assert "bonded_subzones" in held_back
    for layer_id in held_back:
        assert at.checkbox(key=f"map_layer_{layer_id}").value is False, layer_id
    assert "bonded_subzones" not in _drawn(at)
    at.checkbox(key="map_layer_bonded_subzones").check().run()
    assert "bonded_subzones" in _drawn(at)
    # A group off in the first view shows all its layers once ticked.
    at.checkbox(key="map_group_facilities").check().run()
    assert "facilities" in _drawn(at)
