"""Vector tiles for city-scale layers: content, identify ids, thinning, unguessable paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


# --- built at save, pruned when replaced or removed ----------------------------------------------


@pytest.fixture(params=["geopackage", "postgis"])
def big_store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """A project store in which 40 features already count as city-scale."""
    monkeypatch.setattr(tiles, "TILE_THRESHOLD", 40)
    if request.param == "geopackage":
        from spatial.storage import GeoPackageWorkspace

        return GeoPackageWorkspace(tmp_path / "w.gpkg")
    from spatial.storage.postgis import PostGISStore

    return PostGISStore(request.getfixturevalue("pg_engine"), request.getfixturevalue("pg_project"))


def _folders(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()} if root.is_dir() else set()


def test_tiles_are_built_at_save_and_pruned_when_replaced_or_removed(
    big_store: Any, tmp_path: Path
) -> None:
    from spatial.tiles import sync_tiles

    store = big_store
    root = tmp_path / "tiles"
    # Another store's tiles in the same folder are never touched.
    other = ensure_tiles(_points(50), "gpkg:/elsewhere.gpkg", "u_x", "v1", root=root)
    store.write_layer("城市建筑", _points(60))
    store.write_layer("小图层", _points(5))
    built = sync_tiles(store, root=root)
    info = next(i for i in store.layer_infos() if i.title == "城市建筑")
    first = tile_token(store.key, info.layer_id, info.saved_utc)
    assert [b.directory.name for b in built] == [first]  # only the city-scale layer
    assert _folders(root) == {first, other.directory.name}
    assert sync_tiles(store, root=root) == []  # nothing to do twice
    # The tiles are those of the stored layer, ready before anyone views the map.
    seen = {f["properties"]["fid"] for p in (root / first / str(MAX_ZOOM)).rglob("*.pbf")
            for f in _decode(p)}
    assert seen == set(range(60))
    # A 高德 view builds its own set, which is kept while the version is current.
    gcj = ensure_tiles(store.read_layer("城市建筑"), store.key, info.layer_id,
                       info.saved_utc, gcj02=True, root=root)
    assert sync_tiles(store, root=root) == [] and gcj.directory.is_dir()
    store.write_layer("城市建筑", _points(70))
    sync_tiles(store, root=root)
    info = next(i for i in store.layer_infos() if i.title == "城市建筑")
    second = tile_token(store.key, info.layer_id, info.saved_utc)
    assert second != first
    assert _folders(root) == {second, other.directory.name}  # both old sets are gone
    store.delete_layer("城市建筑")
    sync_tiles(store, root=root)
    assert _folders(root) == {other.directory.name}


def test_the_import_page_builds_tiles_when_a_big_layer_is_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from spatial.workspace import GeoPackageWorkspace, workspace_path

    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.delenv("HEBI_DATABASE_URL", raising=False)
    monkeypatch.setattr(tiles, "TILE_THRESHOLD", 40)
    monkeypatch.setattr(tiles, "STATIC_TILES", tmp_path / "static-tiles")
    data = json.loads(_points(60).to_json())

    def script() -> None:
        from ui.pages.import_page import render

        render()

    at = AppTest.from_function(script, default_timeout=60).run()
    at.file_uploader[0].set_value(
        ("建筑.geojson", json.dumps(data).encode(), "application/geo+json")
    ).run()
    at.button(key="FormSubmitter:import_save_0-加入我的图层").click().run()
    assert not at.exception
    ws = GeoPackageWorkspace(workspace_path())
    info = ws.layer_infos()[0]
    token = tile_token(ws.key, info.layer_id, info.saved_utc)
    assert _folders(tmp_path / "static-tiles") == {token}  # no map has been opened
    at.button(key=f"import_del_{info.layer_id}").click().run()
    at.button(key=f"import_yes_{info.layer_id}").click().run()
    assert not at.exception and ws.list_layers() == []
    assert _folders(tmp_path / "static-tiles") == set()


# --- 高德 (GCJ-02): the tiled layer is shifted like its GeoJSON twin -----------------------------


def _tile_lonlat(tileset_dir: Path, fid: int, lon: float, lat: float) -> tuple[float, float]:
    """Where feature ``fid`` is drawn in a tile set: its max-zoom tile pixel, back to lon/lat."""
    x, y = tile_count_at(lon, lat, MAX_ZOOM)
    feats = _decode(tileset_dir / f"{MAX_ZOOM}/{x}/{y}.pbf")
    gx, gy = next(f for f in feats if f["properties"]["fid"] == fid)["geometry"]["coordinates"]
    size = 2 * tiles._ORIGIN / 2**MAX_ZOOM
    mx = -tiles._ORIGIN + x * size + gx / 4096 * size
    my = tiles._ORIGIN - (y + 1) * size + gy / 4096 * size
    out = gpd.GeoSeries(gpd.points_from_xy([mx], [my]), crs=3857).to_crs(4326).iloc[0]
    return float(out.x), float(out.y)


def test_on_gaode_a_tiled_feature_lands_where_its_geojson_twin_does(tmp_path: Path) -> None:
    from spatial.crs import wgs84_to_gcj02
    from spatial.webmap import layer_payload
    from spatial.webmap_encode import decode_geometry

    gdf = _points(200)
    fid = 17
    plain = ensure_tiles(gdf, "pg:1", "l_x", "v1", root=tmp_path)
    gaode = ensure_tiles(gdf, "pg:1", "l_x", "v1", gcj02=True, root=tmp_path)
    assert gaode.directory != plain.directory and gaode.url != plain.url
    payload = layer_payload(gdf, styles=[{"color": "#000000"}], gcj02=True)
    twin = json.loads(payload.data_json)["f"][fid][0]
    glon, glat = decode_geometry(twin)["coordinates"]
    assert (glon, glat) == pytest.approx(wgs84_to_gcj02(gdf.geometry.iloc[fid].x,
                                                        gdf.geometry.iloc[fid].y), abs=1e-6)
    lon, lat = _tile_lonlat(gaode.directory, fid, glon, glat)
    metre = 1 / 111_320
    # Within one max-zoom tile pixel (0.6 m) plus the GeoJSON's 6-decimal rounding.
    assert abs(lon - glon) < 1.0 * metre / np.cos(np.radians(lat)) and abs(lat - glat) < metre
    # The unshifted set would be drawn a few hundred metres off the Gaode tiles.
    wx, wy = gdf.geometry.iloc[fid].x, gdf.geometry.iloc[fid].y
    plon, plat = _tile_lonlat(plain.directory, fid, wx, wy)
    assert 300 * metre < np.hypot((plon - glon) * np.cos(np.radians(lat)), plat - glat)

