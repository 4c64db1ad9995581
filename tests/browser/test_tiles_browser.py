"""Real browser: a city-scale uploaded layer is drawn from vector tiles; identify still works."""

from __future__ import annotations

import os
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from playwright.sync_api import Page, expect

from spatial.storage import GeoPackageWorkspace
from spatial.tiles import TILE_THRESHOLD
from tests.browser.conftest import _free_port, map_frame, open_page, wait_idle
from tests.browser.test_map_browser import _page_xy
from tests.browser.test_office_browser import _start, _wait_healthy

pytestmark = pytest.mark.browser

LAT, LON = 35.75, 114.30
N = TILE_THRESHOLD + 5_000


@pytest.fixture(scope="module")
def tiled_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A desk-mode app whose workspace holds one layer above the tile threshold."""
    ws_dir = tmp_path_factory.mktemp("tiled-workspace")
    rng = np.random.default_rng(3)
    x = np.concatenate([[LON], LON - 0.05 + rng.random(N - 1) * 0.1])
    y = np.concatenate([[LAT], LAT - 0.05 + rng.random(N - 1) * 0.1])
    # Keep the other points off the target so the click can only mean feature 0.
    far = (np.abs(x - LON) < 0.002) & (np.abs(y - LAT) < 0.002)
    far[0] = False
    x[far] += 0.01
    names = ["目标点", *(f"点{i}" for i in range(1, N))]
    gdf = gpd.GeoDataFrame({"name": names}, geometry=gpd.points_from_xy(x, y), crs=4326)
    GeoPackageWorkspace(ws_dir / "user_layers.gpkg").write_layer("城市级点层", gdf)
    log = tmp_path_factory.mktemp("tiled-logs") / "app.log"
    port = _free_port()
    env = {**os.environ, "HEBI_WORKSPACE": str(ws_dir), "HEBI_DEFAULT_BASEMAP": "none",
           "HEBI_TILE_SECRET": "browser-test-secret"}
    env.pop("HEBI_DATABASE_URL", None)
    proc: subprocess.Popen[bytes] = _start(port, env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_city_scale_layer_comes_as_tiles_and_identify_works(
    page: Page, tiled_server: str
) -> None:
    tiles: list[tuple[str, int]] = []
    page.on("response", lambda r: tiles.append((r.url, r.status)) if ".pbf" in r.url else None)
    open_page(page, tiled_server, f"?basemap=none&groups=user&lat={LAT}&lon={LON}&zoom=14")
    frame = map_frame(page)
    frame.locator("canvas").first.wait_for(timeout=120_000)
    for _ in range(120):
        if any(status == 200 for _, status in tiles):
            break
        page.wait_for_timeout(500)
    ok = [u for u, s in tiles if s == 200]
    assert ok, tiles[:5]
    assert all(re.search(r"/app/static/tiles/[0-9a-f]{32}/14/\d+/\d+\.pbf$", u) for u in ok)
    # Not one GeoJSON payload: none of the layer's features is an SVG path of the map.
    assert frame.locator("path.leaflet-interactive").count() < 100
    # A wrong token is not served.
    bad = re.sub(r"/tiles/[0-9a-f]{32}/", "/tiles/" + "0" * 32 + "/", ok[0])
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(bad, timeout=10)
    for listing in ("/app/static/tiles/", "/app/static/tiles"):  # no directory listing either
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(tiled_server + listing, timeout=10)
    # Identify on click: the details panel names the feature under the pointer.
    x, y = _page_xy(page, LAT, LON)
    page.mouse.click(x, y)
    wait_idle(page)
    details = page.locator('[data-testid="stColumn"]').filter(has_text="要素详情").last
    expect(details).to_contain_text("目标点", timeout=30_000)


def test_tile_folder_is_outside_version_control() -> None:
    ignored = (Path(__file__).resolve().parents[2] / ".gitignore").read_text()
    assert "static/tiles/" in ignored
