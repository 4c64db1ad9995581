"""Big point and polygon layers in the GeoJSON path against a naive ``explore()``, in one run.

Run: ``.venv/bin/python -m benchmarks.bench_map_scale [--points 10000,100000,300000]
[--polygons 10000,30000,100000] [--timeout 180]``

For each size, a synthetic layer around Hebi (points scattered over the plan
area; small building-sized boxes) is drawn two ways on a page of its own,
served from a loopback static server to headless Debian chromium (no basemap):

* **ours**: the app's base map and :func:`spatial.webmap.catalogue_payload`
  (what an uploaded layer below the vector-tile threshold is drawn from):
  thousands of points on one canvas, clustered by zoom; thousands of lines and
  areas merged per style on the map's shared canvas, simplified per zoom in
  screen pixels; one tooltip/identify handler per layer;
* **naive**: ``GeoDataFrame.explore(tiles=None)`` with its defaults (one SVG
  element and one tooltip per feature), with the same vendored Leaflet.

Per page it prints the HTML bytes, the time from navigation start to every
feature drawn and that frame painted, the tab's JS heap and DOM nodes after
drawing (Chrome DevTools ``Performance.getMetrics``), the longest main-thread
block while loading and while zooming in and out once after it (long-task
``PerformanceObserver``; a block over 1 s is a frozen tab), and the time of
that zoom in and out; then naive/ours ratios. A page that does not paint within
``--timeout`` seconds is reported as such, and its ratio as a lower bound.
Prints figures only; it never asserts.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_map import CHROMIUM, _serve  # noqa: E402
from benchmarks.synthetic import LAT, LON, boxes, points, user_spec  # noqa: E402
from layers.schema import LayerSpec  # noqa: E402
from spatial.webmap import (  # noqa: E402
    build_base_map,
    catalogue_payload,
    payload_overlay,
    use_local_assets,
)

ZOOM = 13

# Time since navigation start at which every feature is drawn and that frame painted (as in
# bench_map): SVG paths and markers count one each, a merged path as many as it says in
# data-hebi-n, a canvas as many as it draws (data-hebi-points, data-hebi-shapes). Long tasks
# (main-thread blocks over 50 ms) are collected from the start.
_PROBE = """
window.__painted = null; window.__longest = 0; window.__longestAfter = 0;
try {
  new PerformanceObserver(function (list) {
    list.getEntries().forEach(function (e) {
      if (window.__painted === null) window.__longest = Math.max(window.__longest, e.duration);
      else window.__longestAfter = Math.max(window.__longestAfter, e.duration);
    });
  }).observe({type: "longtask", buffered: true});
} catch (e) { /* no long-task timing: reported as 0 */ }
(function poll() {
  var want = %d, n = document.getElementsByClassName("leaflet-interactive").length;
  var merged = document.querySelectorAll("path[data-hebi-n]");
  for (var i = 0; i < merged.length; i++) n += Number(merged[i].getAttribute("data-hebi-n")) - 1;
  var cs = document.querySelectorAll("canvas[data-hebi-points], canvas[data-hebi-shapes]");
  for (i = 0; i < cs.length; i++) {
    if (cs[i].classList.contains("leaflet-interactive")) n -= 1;  // a hovered canvas
    n += Number(cs[i].getAttribute("data-hebi-points") || 0);
    n += Number(cs[i].getAttribute("data-hebi-shapes") || 0);
  }
  if (n >= want) {
    setTimeout(function () { window.__painted = performance.now(); }, 0);
    return;
  }
  requestAnimationFrame(poll);
})();
"""
_MAP = "Object.keys(window).map(k => window[k]).find(v => v instanceof L.Map)"
# Zoom in one level and back, each time until the next painted frame after zoomend.
_ZOOM = """async () => {
  const m = MAP, z = m.getZoom(), t0 = performance.now();
  const step = (to) => new Promise(res => {
    m.once("zoomend", () => requestAnimationFrame(() => setTimeout(res, 0)));
    m.setZoom(to, {animate: false});
  });
  await step(z + 1); await step(z);
  await new Promise(res => setTimeout(res, 200));  // let a last long task report
  return performance.now() - t0;
}""".replace("MAP", _MAP, 1)


def _points(n: int) -> gpd.GeoDataFrame:
    return points(n, 0.1, 0.08)


def _polygons(n: int) -> gpd.GeoDataFrame:
    return boxes(n, 0.1, 0.08, 0.0003)


def _spec(geometry: str) -> LayerSpec:
    return user_spec(geometry, "大图层", "Big layer", 3.0)


def _pages(gdf: gpd.GeoDataFrame, geometry: str) -> tuple[str, str]:
    """Our page and the naive page of one layer."""
    m = build_base_map("zh", center=(LAT, LON), zoom=ZOOM)
    payload_overlay(catalogue_payload(_spec(geometry), gdf)).add_to(m)
    ours: str = m.get_root().render()
    naive: str = gdf.explore(tiles=None, location=[LAT, LON], zoom_start=ZOOM).get_root().render()
    return ours, naive


def _measure(base: str, name: str, n: int, timeout_s: float) -> dict[str, Any]:
    from playwright.sync_api import Error, sync_playwright

    out: dict[str, Any] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                  else r.abort())
        ctx.add_init_script(_PROBE % n)
        page = ctx.new_page()
        try:
            page.goto(f"{base}/{name}", wait_until="commit", timeout=timeout_s * 1000)
            page.wait_for_function("window.__painted !== null", timeout=timeout_s * 1000,
                                   polling=250)
            out["paint_s"] = float(page.evaluate("window.__painted")) / 1000
            page.wait_for_timeout(300)
            out["block_load_s"] = float(page.evaluate("window.__longest")) / 1000
            cdp = ctx.new_cdp_session(page)
            cdp.send("Performance.enable")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            out["heap_mb"] = metrics.get("JSHeapUsedSize", 0) / 1024 / 1024
            out["nodes"] = int(metrics.get("Nodes", 0))
            out["zoom_s"] = float(page.evaluate(_ZOOM)) / 1000
            out["block_zoom_s"] = float(page.evaluate("window.__longestAfter")) / 1000
        except Error as exc:
            out["error"] = f"did not paint within {timeout_s:.0f} s ({type(exc).__name__})"
        browser.close()
    return out


def _fmt(r: dict[str, Any], key: str, unit: str, digits: int = 2) -> str:
    return f"{r[key]:.{digits}f}{unit}" if key in r else "–"


def _ratio(naive: dict[str, Any], ours: dict[str, Any], key: str, timeout_s: float) -> str:
    if key not in ours or not ours[key]:
        return "n/a"
    if key not in naive:  # naive never painted: at least timeout/ours
        return f">={timeout_s / ours[key]:.1f}x" if key == "paint_s" else "n/a"
    return f"{naive[key] / ours[key]:.2f}x"


def _sizes(text: str) -> list[int]:
    return [int(s) for s in text.split(",") if s.strip()]


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=_sizes, default=[10_000, 100_000, 300_000])
    ap.add_argument("--polygons", type=_sizes, default=[10_000, 30_000, 100_000])
    ap.add_argument("--timeout", type=float, default=180.0)
    args = ap.parse_args(argv)
    use_local_assets()
    cases = [("points", _points, "Point", n) for n in args.points]
    cases += [("polygons", _polygons, "Polygon", n) for n in args.polygons]
    print(f"{'layer':<18}{'page':<7}{'HTML MB':>9}{'paint':>9}{'JS heap':>10}{'DOM nodes':>11}"
          f"{'block load':>12}{'zoom in+out':>13}{'block zoom':>12}")
    for kind, make, geometry, n in cases:
        gdf = make(n)
        t0 = time.perf_counter()
        ours_html, naive_html = _pages(gdf, geometry)
        build_s = time.perf_counter() - t0
        res: dict[str, dict[str, Any]] = {}
        with _serve({"ours.html": ours_html, "naive.html": naive_html}) as base:
            for page in ("ours.html", "naive.html"):
                res[page] = _measure(base, page, n, args.timeout)
        for page, html in (("ours.html", ours_html), ("naive.html", naive_html)):
            r = res[page]
            label = f"{n:,} {kind}"
            print(f"{label:<18}{page[:-5]:<7}{len(html.encode()) / 1e6:>9.2f}"
                  f"{_fmt(r, 'paint_s', ' s'):>9}{_fmt(r, 'heap_mb', ' MB', 0):>10}"
                  f"{r.get('nodes', 0):>11,}{_fmt(r, 'block_load_s', ' s'):>12}"
                  f"{_fmt(r, 'zoom_s', ' s'):>13}{_fmt(r, 'block_zoom_s', ' s'):>12}"
                  + (f"  {r['error']}" if "error" in r else ""))
        o, v = res["ours.html"], res["naive.html"]
        print(f"{'':<18}naive/ours: paint {_ratio(v, o, 'paint_s', args.timeout)}, "
              f"JS heap {_ratio(v, o, 'heap_mb', args.timeout)}, "
              f"zoom {_ratio(v, o, 'zoom_s', args.timeout)}; HTML "
              f"{len(naive_html.encode()) / len(ours_html.encode()):.2f}x "
              f"(pages built in {build_s:.1f} s)")
        del ours_html, naive_html
    print("paint = navigation start to every feature drawn and that frame painted; block = "
          "longest main-thread task (over 1 s the tab is frozen). Targets: paint >= 1x naive at "
          "every size; no block over 1 s up to 100k points.")


if __name__ == "__main__":
    main()
