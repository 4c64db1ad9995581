"""City-scale layers on the map: the GeoJSON path vs the vector-tile path, in one run.

Run: ``.venv/bin/python -m benchmarks.bench_tiles [--polygons 100000] [--points 1000000]``

For a layer of N small polygons and one of M points around Hebi, each drawn both
ways on the app's own base map (:func:`spatial.webmap.build_base_map`; no basemap,
served from a loopback static server, headless Debian chromium), it prints:

* bytes the browser downloads (HTML + tiles; the shared Leaflet assets excluded);
* Python time to prepare the page (payload, or building the tiles once);
* time from navigation start to the first drawn features;
* the page's JS heap after drawing (Chrome DevTools ``Performance.getMetrics``);
* a layer toggle: time to remove and re-add the layer until the next painted frame;

and the GeoJSON/tile ratio of each. A page that does not draw within ``--timeout``
seconds is reported as such. Prints figures only; it never asserts.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import geopandas as gpd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_map import CHROMIUM, _serve  # noqa: E402
from benchmarks.synthetic import LAT, LON, boxes, points, user_spec  # noqa: E402
from layers.schema import LayerSpec  # noqa: E402
from spatial.tiles import (  # noqa: E402
    TileSet,
    build_tiles,
    tile_overlay,
)
from spatial.webmap import (  # noqa: E402
    build_base_map,
    catalogue_payload,
    payload_overlay,
    use_local_assets,
)

_MAP = "Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map)"
_GROUP = ("(() => { const m = " + _MAP + "; let g = null; m.eachLayer(l => {"
          " if (l instanceof L.FeatureGroup && !g) g = l; }); return g; })()")
# Time since navigation start at which the first feature is on screen: an SVG path of the
# GeoJSON layer, or a loaded vector-grid canvas tile (checked each animation frame).
_PROBE = """
window.__first = null;
(function poll() {
  if (document.querySelector('path.leaflet-interactive, canvas.leaflet-tile-loaded')) {
    requestAnimationFrame(() => setTimeout(() => { window.__first = performance.now(); }, 0));
    return;
  }
  requestAnimationFrame(poll);
})();
"""
_TOGGLE_TEMPLATE = """async () => {
  const m = MAP; const g = GROUP;
  const t0 = performance.now();
  m.removeLayer(g); m.addLayer(g);
  const tiles = () => document.querySelectorAll('canvas.leaflet-tile-loaded').length;
  const hasTiles = document.querySelector('canvas.leaflet-tile') !== null;
  await new Promise(res => { (function wait() {
    if (!hasTiles || tiles() > 0) requestAnimationFrame(() => setTimeout(res, 0));
    else requestAnimationFrame(wait);
  })(); });
  return performance.now() - t0;
}"""
_TOGGLE = _TOGGLE_TEMPLATE.replace("MAP", _MAP, 1).replace("GROUP", _GROUP, 1)


def _polygons(n: int) -> gpd.GeoDataFrame:
    return boxes(n, 0.15, 0.12, 0.0004)


def _points(n: int) -> gpd.GeoDataFrame:
    return points(n, 0.2, 0.15)


def _spec(geometry: str) -> LayerSpec:
    return user_spec(geometry, "城市级图层", "City-scale layer", 2.0)


def _geojson_page(gdf: gpd.GeoDataFrame, geometry: str) -> str:
    m = build_base_map("zh", center=(LAT, LON), zoom=14)
    payload_overlay(catalogue_payload(_spec(geometry), gdf)).add_to(m)
    html: str = m.get_root().render()
    return html


def _tile_page(gdf: gpd.GeoDataFrame, name: str) -> tuple[str, Path]:
    directory = ROOT / "static" / "tiles" / f"bench-{name}-{uuid.uuid4().hex[:8]}"
    n_tiles, n_bytes = build_tiles(gdf, directory, fields=("name",))
    ts = TileSet(f"/app/static/tiles/{directory.name}/{{z}}/{{x}}/{{y}}.pbf", directory,
                 n_tiles, n_bytes, ("name",))
    m = build_base_map("zh", center=(LAT, LON), zoom=14)
    tile_overlay(ts, "#d62728", "城市级图层").add_to(m)
    html: str = m.get_root().render()
    return html, directory


def _measure(base: str, page_name: str, timeout_s: float) -> dict[str, Any]:
    from playwright.sync_api import Error, sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                  else r.abort())
        ctx.add_init_script(_PROBE)
        page = ctx.new_page()
        sizes: list[int] = []

        def on_done(req: Any) -> None:
            if "/vendor/" not in req.url:
                with contextlib.suppress(Error):
                    sizes.append(int(req.sizes()["responseBodySize"]))

        page.on("requestfinished", on_done)
        try:
            page.goto(f"{base}/{page_name}", wait_until="commit", timeout=timeout_s * 1000)
            page.wait_for_function("window.__first !== null", timeout=timeout_s * 1000)
            out["first_s"] = float(page.evaluate("window.__first")) / 1000
            page.wait_for_timeout(1500)  # let the rest of the visible tiles arrive
            cdp = ctx.new_cdp_session(page)
            cdp.send("Performance.enable")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            out["heap_mb"] = metrics.get("JSHeapUsedSize", 0) / 1024 / 1024
            out["toggle_s"] = float(page.evaluate(_TOGGLE)) / 1000
        except Error as exc:
            out["error"] = f"did not draw within {timeout_s:.0f} s ({type(exc).__name__})"
        out["bytes"] = sum(sizes)
        browser.close()
    return out


def _row(label: str, prep_s: float, r: dict[str, Any]) -> None:
    if "error" in r:
        print(f"  {label:8} prepare {prep_s:7.1f} s  bytes {r['bytes'] / 1e6:9.2f} MB  "
              f"{r['error']}")
        return
    print(f"  {label:8} prepare {prep_s:7.1f} s  bytes {r['bytes'] / 1e6:9.2f} MB  "
          f"first features {r['first_s']:7.2f} s  JS heap {r['heap_mb']:7.1f} MB  "
          f"toggle {r['toggle_s']:6.2f} s")


def _ratio(g: dict[str, Any], t: dict[str, Any], key: str) -> str:
    if key not in g or key not in t or not t[key]:
        return "n/a"
    return f"x{g[key] / t[key]:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polygons", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--timeout", type=float, default=240.0)
    args = parser.parse_args()
    use_local_assets()
    for name, make, geometry, n in (("polygons", _polygons, "Polygon", args.polygons),
                                     ("points", _points, "Point", args.points)):
        gdf = make(n)
        t0 = time.perf_counter()
        geo_html = _geojson_page(gdf, geometry)
        geo_prep = time.perf_counter() - t0
        t0 = time.perf_counter()
        tile_html, tile_dir = _tile_page(gdf, name)
        tile_prep = time.perf_counter() - t0
        try:
            with _serve({"geojson.html": geo_html, "tiles.html": tile_html}) as base:
                geo = _measure(base, "geojson.html", args.timeout)
                tiles = _measure(base, "tiles.html", args.timeout)
        finally:
            shutil.rmtree(tile_dir, ignore_errors=True)
        print(f"{n:,} {name} (view at zoom 14):")
        _row("GeoJSON", geo_prep, geo)
        _row("tiles", tile_prep, tiles)
        print(f"  GeoJSON/tiles: bytes {_ratio(geo, tiles, 'bytes')}, first features "
              f"{_ratio(geo, tiles, 'first_s')}, JS heap {_ratio(geo, tiles, 'heap_mb')}, "
              f"toggle {_ratio(geo, tiles, 'toggle_s')}")
        del geo_html, tile_html


if __name__ == "__main__":
    main()
