"""Vector tiles for city-scale layers: content, identify ids, thinning, unguessable paths."""

from __future__ import annotations

from pathlib import Path

import folium
import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import pytest
from shapely.geometry import box

from spatial import tiles
from spatial.tiles import (
    MAX_PER_TILE,
    MAX_ZOOM,
    MIN_ZOOM,
    TILE_LAYER,
    build_tiles,
    ensure_tiles,
    needs_tiles,
    tile_count_at,
    tile_overlay,
    tile_token,
)
from spatial.webmap import use_local_assets


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEBI_TILE_SECRET", "test-secret")


def _points(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(1)
    return gpd.GeoDataFrame(
        {"名称": [f"点{i}" for i in range(n)]},
        geometry=gpd.points_from_xy(114.25 + rng.random(n) * 0.1, 35.7 + rng.random(n) * 0.1),
        crs=4326,
    )


def _decode(path: Path) -> list[dict]:
    return mapbox_vector_tile.decode(path.read_bytes())[TILE_LAYER]["features"]


def test_threshold_is_a_feature_count() -> None:
    assert not needs_tiles(tiles.TILE_THRESHOLD) and needs_tiles(tiles.TILE_THRESHOLD + 1)


def test_every_feature_is_in_the_max_zoom_tiles_with_its_id_and_fields(tmp_path: Path) -> None:
    gdf = _points(3000)
    n_tiles, n_bytes = build_tiles(gdf, tmp_path / "t", fields=("名称",), min_zoom=12)
    assert n_tiles > 0 and n_bytes > 0
    seen: dict[int, str] = {}
    for path in (tmp_path / "t" / str(MAX_ZOOM)).rglob("*.pbf"):
        for f in _decode(path):
            seen[f["properties"]["fid"]] = f["properties"]["名称"]
    assert seen == {i: f"点{i}" for i in range(3000)}
    # A known point is in the tile the web-map tile scheme puts it in.
    x, y = tile_count_at(gdf.geometry.iloc[7].x, gdf.geometry.iloc[7].y, MAX_ZOOM)
    feats = _decode(tmp_path / "t" / f"{MAX_ZOOM}/{x}/{y}.pbf")
    seven = next(f for f in feats if f["properties"]["fid"] == 7)
    # ... at the pixel the web-map scheme gives (decoded with y up, extent 4096).
    merc = gdf.geometry.iloc[[7]].to_crs(3857).iloc[0]
    size = 2 * tiles._ORIGIN / 2**MAX_ZOOM
    px = (merc.x - (-tiles._ORIGIN + x * size)) / size * 4096
    py = (merc.y - (tiles._ORIGIN - (y + 1) * size)) / size * 4096
    gx, gy = seven["geometry"]["coordinates"]
    assert abs(gx - px) <= 1 and abs(gy - py) <= 1


def test_low_zoom_tiles_are_thinned_and_polygons_cross_tiles(tmp_path: Path) -> None:
    gdf = _points(MAX_PER_TILE * 2 + 10)
    build_tiles(gdf, tmp_path / "p", min_zoom=MIN_ZOOM, max_zoom=MIN_ZOOM + 1)
    low = list((tmp_path / "p" / str(MIN_ZOOM)).rglob("*.pbf"))
    assert len(low) == 1 and len(_decode(low[0])) == MAX_PER_TILE
    big = gpd.GeoDataFrame({"k": ["大"]}, geometry=[box(114.0, 35.5, 114.6, 35.9)], crs=4326)
    build_tiles(big, tmp_path / "b", min_zoom=12, max_zoom=12)
    assert len(list((tmp_path / "b").rglob("*.pbf"))) > 4  # one polygon, many tiles


def test_tile_paths_are_unguessable_and_change_with_the_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = tile_token("pg:1", "l_x", "v1")
    assert len(a) == 32 and a != tile_token("pg:1", "l_x", "v2") != tile_token("pg:2", "l_x", "v1")
    monkeypatch.setenv("HEBI_TILE_SECRET", "another-server")
    assert tile_token("pg:1", "l_x", "v1") != a  # derived from the server secret, not the ids
    ts = ensure_tiles(_points(50), "pg:1", "l_x", "v1", root=tmp_path, url_root="/t")
    assert ts.url.startswith(f"/t/{ts.directory.name}/") and ts.tiles > 0
    again = ensure_tiles(_points(50), "pg:1", "l_x", "v1", root=tmp_path, url_root="/t")
    assert again == ts  # built once, reused
    use_local_assets()
    m = folium.Map()
    tile_overlay(ts, "#ff0000", "<b>名称</b>").add_to(m)
    html = m.get_root().render()
    assert "L.vectorGrid.protobuf" in html and "/app/static/vendor/vectorgrid/" in html
    assert "<b>名称</b>" not in html and "cdn" not in html.lower()
