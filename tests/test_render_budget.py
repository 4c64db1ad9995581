"""Issue 15: an accepted but heavy upload is drawn lighter, never shipped whole to every map."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from spatial.render_budget import MAP_VERTEX_BUDGET, fit_to_budget, layer_vertices
from tests.apptest_helpers import map_args

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _many_points(n: int) -> np.ndarray:
    rng = np.random.default_rng(15)
    return rng.uniform([114.2, 35.6], [114.4, 35.8], (n, 2))


def test_points_lines_and_polygons_fit_the_budget() -> None:
    xy = _many_points(120_000)
    multi = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.MultiPoint(xy)], crs=4326)
    single = gpd.GeoDataFrame({"n": range(60_000)}, geometry=shapely.points(xy[:60_000]), crs=4326)
    th = np.linspace(0, 2 * np.pi, 150_000)
    ring = np.c_[
        114.3 + 0.05 * np.cos(th) * (1 + 0.01 * np.sin(th * 500)), 35.7 + 0.05 * np.sin(th)
    ]
    poly = gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.Polygon(ring)], crs=4326)
    for gdf in (multi, single, poly):
        light, note = fit_to_budget(gdf, 20_000)
        assert note is not None and layer_vertices(light) <= 20_000
        assert light.crs == gdf.crs and light.geometry.is_valid.all()
        assert note.vertices_before == layer_vertices(gdf)
    small = poly.iloc[:0]
    assert fit_to_budget(small)[1] is None


def test_heavy_upload_is_not_drawn_by_default_and_drawn_lighter_when_ticked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    from spatial.workspace import default_workspace

    n = 3 * MAP_VERTEX_BUDGET
    gdf = gpd.GeoDataFrame(
        {"name": ["热点"]}, geometry=[shapely.MultiPoint(_many_points(n))], crs=4326
    )
    default_workspace().write_layer("大量点", gdf)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["basemap"] = "none"
    at.run()
    assert not at.exception
    plain = map_args(at)["feature_group"] or ""
    at.checkbox(key="map_group_user").check().run()
    assert not at.exception
    fg = map_args(at)["feature_group"] or ""
    added = len(fg) - len(plain)
    # Whole, the layer adds ~1.15 MB (~7.7 bytes a point); within the budget about a third.
    assert 0 < added < 12 * MAP_VERTEX_BUDGET
    captions = " ".join(c.value for c in at.caption)
    assert re.search(r"已简化显示", captions) and "大量点" in captions
