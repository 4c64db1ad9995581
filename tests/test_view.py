"""The View value: URL round trip, robust parsing, visible layers, extents."""

from __future__ import annotations

import math
import os

import pytest

import layers
from spatial.basemaps import BASEMAP_IDS, default_basemap_id
from spatial.view import (
    DEFAULT_BBOX,
    DEFAULT_GROUPS,
    DEFAULT_VIEW,
    IndicatorSelection,
    View,
    bbox_from_view,
)


def test_default_view_is_the_recommended_extent() -> None:
    assert DEFAULT_VIEW.bbox == (114.20, 35.69, 114.40, 35.83)
    assert DEFAULT_VIEW.center == (35.76, 114.30)
    assert DEFAULT_VIEW.lang == "zh"
    assert "user" not in DEFAULT_VIEW.groups
    # The curated first view (issue 12): structure, parks, green/water on; facilities and living
    # circles (and, within the shown groups, layers declared hidden) wait until asked for.
    assert set(DEFAULT_GROUPS) == {"structure", "parks", "green", "roads", "reference"}
    shown = DEFAULT_VIEW.visible_layer_ids()
    for layer_id in ("corridor", "spines", "axes", "nodes", "parks", "bonded_zone", "green",
                     "water"):
        assert layer_id in shown
    for layer_id in ("facilities", "communities", "life_circles", "ref_anchors"):
        assert layer_id not in shown
    # Offline first: no basemap unless HEBI_DEFAULT_BASEMAP says otherwise.
    assert DEFAULT_VIEW.basemap in BASEMAP_IDS
    assert default_basemap_id() == os.environ.get("HEBI_DEFAULT_BASEMAP", "none")


def test_a_link_naming_groups_shows_them_whole() -> None:
    view = View.from_query_params({"groups": "life_circles,parks"}, default=DEFAULT_VIEW)
    assert view.layers is None
    assert {"life_circles", "communities", "bonded_subzones"} <= set(view.visible_layer_ids())
    assert View.from_query_params({}, default=DEFAULT_VIEW).layers == DEFAULT_VIEW.layers


def test_round_trip_of_a_full_view() -> None:
    view = View(
        groups=("parks", "roads"),
        layers=("bonded_zone",),
        basemap="gaode",
        center=(35.771234, 114.301234),
        zoom=15,
        bbox=(114.25, 35.74, 114.35, 35.8),
        indicator=IndicatorSelection("parks", "绿地率", "FisherJenks", 4, (0.1, 0.2, 0.35), 0.3),
        lang="en",
    )
    params = view.to_query_params()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in params.items())
    assert params["groups"] == "parks,roads"
    assert params["lang"] == "en"
    assert View.from_query_params(params) == view


def test_url_keeps_six_decimals_of_the_centre() -> None:
    # 1e-6 degree is about 0.1 m: enough for a link, short in the URL.
    params = DEFAULT_VIEW.replace(center=(35.7712345678, 114.30123456)).to_query_params()
    assert (params["lat"], params["lon"]) == ("35.771235", "114.301235")


def test_chinese_is_not_written_to_the_url() -> None:
    # ui.i18n removes ?lang for Chinese; the view must agree.
    assert "lang" not in DEFAULT_VIEW.to_query_params()


def test_missing_parameters_keep_the_default() -> None:
    assert View.from_query_params({}) == DEFAULT_VIEW


def test_empty_groups_means_nothing_ticked() -> None:
    assert View.from_query_params({"groups": ""}).groups == ()


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        ({"groups": "parks,<script>,parks,nope"}, "groups", ("parks",)),
        ({"basemap": "javascript:alert(1)"}, "basemap", DEFAULT_VIEW.basemap),
        ({"lat": "nan", "lon": "114"}, "center", DEFAULT_VIEW.center),
        ({"lat": "95", "lon": "114"}, "center", DEFAULT_VIEW.center),
        ({"lat": "35.7", "lon": "1e999"}, "center", DEFAULT_VIEW.center),
        ({"zoom": "99"}, "zoom", DEFAULT_VIEW.zoom),
        ({"zoom": "abc"}, "zoom", DEFAULT_VIEW.zoom),
        ({"zoom": "14.6"}, "zoom", 15),
        ({"bbox": "1,2,3"}, "bbox", DEFAULT_BBOX),
        ({"bbox": "114.4,35.7,114.2,35.8"}, "bbox", DEFAULT_BBOX),  # min > max
        ({"bbox": "a,b,c,d"}, "bbox", DEFAULT_BBOX),
        ({"lang": "fr"}, "lang", "zh"),
        ({"layers": "ok_id,bad id,<x>"}, "layers", ("ok_id",)),
        ({"ind_layer": "parks"}, "indicator", None),  # no column: no indicator
        ({"ind_layer": "../etc", "ind_col": "x"}, "indicator", None),
    ],
)
def test_bad_values_fall_back_and_never_raise(
    params: dict[str, str], field: str, expected: object
) -> None:
    assert getattr(View.from_query_params(params), field) == expected


def test_indicator_parts_are_parsed_defensively() -> None:
    view = View.from_query_params(
        {"ind_layer": "parks", "ind_col": "far", "ind_scheme": "bad scheme!", "ind_k": "50",
         "ind_breaks": "3,2,1", "ind_target": "inf"}
    )
    assert view.indicator == IndicatorSelection("parks", "far", "Quantiles", 5, (), None)


def test_list_values_use_the_last_one() -> None:
    # Some callers hand over multi-valued query strings.
    assert View.from_query_params({"basemap": ["osm", "none"]}).basemap == "none"


def test_a_hostile_mapping_does_not_break_parsing() -> None:
    class Hostile(dict[str, str]):
        def get(self, key: str, default: object = None) -> str:
            raise RuntimeError("boom")

    assert View.from_query_params(Hostile()) == DEFAULT_VIEW


def test_visible_layers_follow_the_ticked_groups() -> None:
    specs = [layers.LayerSpec("my_a", "甲", "A", "user", "Point", layers.Style("#000"), z_order=5),
             layers.LayerSpec("my_b", "乙", "B", "user", "Point", layers.Style("#000"), z_order=1)]
    view = View(groups=("user",))
    assert view.visible_layer_ids(specs) == ["my_b", "my_a"]  # drawing order
    assert View(groups=()).visible_layer_ids(specs) == []
    assert View(groups=("user",), layers=("my_a",)).visible_layer_ids(specs) == ["my_a"]
    # Passing catalogue specs again (as the page does with everything it loaded) adds nothing.
    assert DEFAULT_VIEW.visible_layer_ids(layers.all_specs()) == DEFAULT_VIEW.visible_layer_ids()
    catalogue = {s.id: s.group for s in layers.all_specs()}
    for layer_id in DEFAULT_VIEW.visible_layer_ids():
        assert catalogue[layer_id] in DEFAULT_VIEW.groups


def test_extent_from_centre_and_zoom() -> None:
    # At zoom z a 256-px tile spans 360/2^z degrees of longitude.
    minx, miny, maxx, maxy = bbox_from_view((0.0, 0.0), 2, 256, 256)
    assert math.isclose(maxx - minx, 90.0)
    assert math.isclose(miny, -maxy)
    view = DEFAULT_VIEW.replace(bbox=None, center=(35.76, 114.3), zoom=12)
    minx, miny, maxx, maxy = view.extent(1000, 700)
    assert math.isclose((minx + maxx) / 2, 114.3, abs_tol=1e-9)
    assert miny < 35.76 < maxy
    assert math.isclose(maxx - minx, 1000 * 360 / (256 * 2**12))
    assert DEFAULT_VIEW.extent() == DEFAULT_BBOX
