"""卷帘 / 分屏 compare: its state in the View and the URL, and what the map page sends."""

from __future__ import annotations

from pathlib import Path

import folium
import pytest
from streamlit.testing.v1 import AppTest

from spatial.basemaps import get_basemap
from spatial.map_compare import compare_overlays
from spatial.view import View
from tests.apptest_helpers import map_args

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_compare_round_trips_through_the_url() -> None:
    view = View(compare="split", compare_basemap="osm", compare_groups=("green", "roads"))
    params = view.to_query_params()
    assert params["cmp"] == "split" and params["cmp_groups"] == "green,roads"
    assert View.from_query_params(params) == view
    assert "cmp" not in View().to_query_params()


def test_bad_compare_values_fall_back() -> None:
    view = View.from_query_params({"cmp": "<x>", "cmp_basemap": "evil", "cmp_groups": "a,green"})
    assert view.compare is None and view.compare_basemap == "none"
    assert view.compare_groups == ("green",)


def test_swipe_draws_the_right_view_in_its_own_pane() -> None:
    m = folium.Map(tiles=None)
    for group in compare_overlays("swipe", get_basemap("osm"), []):
        group.add_to(m)
    html = m.get_root().render()
    assert '"pane": "hebiRightTiles"' in html and 'hebiSwipe' in html
    with pytest.raises(ValueError):
        compare_overlays("other", get_basemap("none"), [])


@pytest.fixture
def no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    return tmp_path


@pytest.mark.parametrize("mode", ["swipe", "split"])
def test_map_page_sends_the_compared_view(no_workspace: Path, mode: str) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in {"basemap": "none", "groups": "structure", "cmp": mode,
                 "cmp_basemap": "none", "cmp_groups": "green"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    args = map_args(at)
    assert at.radio(key="map_cmp_mode").value == mode
    fg = args["feature_group"]
    assert ("hebiSwipe" if mode == "swipe" else "hebiSplit") in fg
    assert "[[ref:green#" in fg and "[[ref:corridor#" in fg
    assert ("hebiRightLayers" in fg) == (mode == "swipe")
    links = " ".join(args["js_links"])
    assert "side-by-side/leaflet-side-by-side.js" in links and "leaflet-sync/L.Map.Sync.js" in links
    key = args["key"]
    at.radio(key="map_cmp_mode").set_value("off").run()
    args = map_args(at)
    assert "hebiSwipe" not in args["feature_group"] and "hebiSplit" not in args["feature_group"]
    assert args["key"] == key, "turning compare off does not remount the map"
    assert "cmp" not in at.query_params
