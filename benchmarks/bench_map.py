"""Benchmark the plan map against a naive ``GeoDataFrame.explore()`` of the same layers.

Run: ``.venv/bin/python -m benchmarks.bench_map [--runs 5] [--data-dir data/geo]``

For the full plan view (every catalogue layer, no basemap tiles so nothing
leaves the machine) it prints, for our map (:mod:`spatial.webmap`) and for
the naive page (``explore()`` chained over the same layers, default
options, same vendored Leaflet assets), measured in the same run:

* the HTML bytes sent to the browser;
* the Python time to build the map and render its HTML (median of runs);
* the browser time from navigation start to every feature painted, in
  headless Debian chromium loading the page from a loopback static server:
  on a first visit (fresh browser context, empty cache) and with the
  assets cached (second load), medians of runs, the two pages alternated;
* the renderer main thread's own CPU time from navigation start to that
  paint, on one more (traced) first visit: unlike wall time it does not
  count what other processes on a shared machine take, so its ratio holds
  under load;
* Leaflet alone (an empty map, what both pages pay before drawing
  anything), and each page's time and CPU above it;
* pan and zoom: zoom in twice, pan there and back, zoom out twice (no
  animation), each move timed until its frame is painted, and until the
  work queued after it (our labels) is painted too, summed over the moves,
  on the cached page;

and the naive/ours ratio of each. Targets: at least 2× smaller and faster
than naive, first paint under 1 s, pan/zoom never slower than naive. Prints
figures only; it never asserts.

``--points N`` adds a synthetic layer of N points (issue 17: thousands of points are drawn on
one canvas, clustered by zoom, with one shared tooltip handler) and prints its paint time
against ``explore()`` of the same points.

Big layers (points 10k–300k, polygons 10k–100k: paint, tab memory, longest main-thread
block) are measured against ``explore()`` by :mod:`benchmarks.bench_map_scale`.

The labels (注记, :mod:`spatial.webmap_labels`) are measured the same way: our
page is also built without them, and the with/without ratio of first paint is
printed (target: labels cost at most 20 %), with the time until the labels
are placed.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely

import layers
from spatial.storage import GeoJSONDirectoryStore
from spatial.view import DEFAULT_VIEW
from spatial.webmap import (
    MapParts,
    PlanMap,
    TooltipText,
    build_base_map,
    build_map,
    geojson_overlay,
    render_html,
    use_local_assets,
)

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

# Record the time since navigation start (performance.now() counts from the navigation's time
# origin) once every feature is drawn and that frame has been painted: the poll runs in
# requestAnimationFrame callbacks (before the frame's style, layout and paint); the timeout it
# then schedules runs after them. A drawn feature is an SVG path or marker in the DOM; a path
# standing for several features of one style (spatial.webmap merge) says how many in
# data-hebi-n, so both pages wait for the same features.
_PAINT_PROBE = """
window.__painted = null;
(function poll() {
  var want = %d, n = 0;
  var drawn = document.querySelectorAll('path.leaflet-interactive, .leaflet-marker-icon');
  for (var i = 0; i < drawn.length; i++) {
    var k = drawn[i].getAttribute('data-hebi-n');
    n += k === null ? 1 : Number(k);
  }
  // Points, lines and areas on the map's shared canvas.
  var many = document.querySelectorAll('canvas[data-hebi-points], canvas[data-hebi-shapes]');
  for (i = 0; i < many.length; i++) {
    n += Number(many[i].getAttribute('data-hebi-points') || 0);
    n += Number(many[i].getAttribute('data-hebi-shapes') || 0);
  }
  if (n >= want && document.querySelector('.leaflet-map-pane')) {
    setTimeout(function () { window.__painted = performance.now(); }, 0);
    return;
  }
  requestAnimationFrame(poll);
})();
window.__labelled = null;
(function labelled() {
  if (document.querySelector('.hebi-label')) {
    window.__labelled = performance.now();
    return;
  }
  if (performance.now() < 20000) requestAnimationFrame(labelled);
})();
"""


# Pan and zoom: the map is moved programmatically, without animation (the CSS zoom animation
# lasts the same on both pages and measures nothing), and each move is timed from the call
# until the frame drawing it is painted: a requestAnimationFrame callback registered before
# the move runs in that frame (before its style, layout and paint) and the timeout it then
# schedules runs after the paint. Work a page queues for after that frame (our labels, 注记)
# is timed as well, until the next frame is painted ("settled"). Two idle frames before each
# move let the previous one finish.
_REDRAW = """
async (steps) => {
  const map = Object.keys(window).filter(k => /^map_[0-9a-f]{32}$/.test(k))
    .map(k => window[k]).find(v => v instanceof L.Map);
  const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  const moves = {
    in: () => map.setZoom(map.getZoom() + 1, {animate: false}),
    out: () => map.setZoom(map.getZoom() - 1, {animate: false}),
    east: () => map.panBy([360, -240], {animate: false}),
    west: () => map.panBy([-360, 240], {animate: false}),
  };
  const out = [];
  for (const step of steps) {
    await frame(); await frame();
    const t0 = performance.now();
    const painted = frame();
    moves[step]();
    await painted;
    const t1 = performance.now();
    await frame();
    out.push([t1 - t0, performance.now() - t0]);
  }
  return out;
}
"""
_TRACE_CATEGORIES = (
    "blink.user_timing,devtools.timeline,disabled-by-default-devtools.timeline,loading,v8"
)
# Zoom in twice, pan there and back, zoom out twice: back at the plan view.
_STEPS = ["in", "in", "east", "west", "out", "out"]


def _load(data_dir: Path) -> tuple[dict[str, Any], dict[str, gpd.GeoDataFrame]]:
    store = GeoJSONDirectoryStore(data_dir, read_only=True)
    specs = {s.id: s for s in layers.all_specs()}
    frames = {i: layers.load_layer(i, store) for i in specs}
    return specs, frames


def _synthetic_points(n: int) -> gpd.GeoDataFrame:
    """N points scattered over the plan area (fixed seed), each with a name."""
    rng = np.random.default_rng(12)
    pts = shapely.points(114.22 + rng.random(n) * 0.16, 35.70 + rng.random(n) * 0.12)
    return gpd.GeoDataFrame({"name": [f"点{i}" for i in range(n)]}, geometry=pts, crs=4326)


def _points_pages(n: int) -> tuple[str, str]:
    """Our page and the naive page for N points alone."""
    gdf = _synthetic_points(n)
    base = build_base_map("zh", center=DEFAULT_VIEW.center, zoom=DEFAULT_VIEW.zoom)
    overlay = geojson_overlay(gdf, styles=[{"color": "#0072B2", "radius": 4}],
                              tooltips=[TooltipText(str(v)) for v in gdf["name"]])
    ours = render_html(MapParts(base, [overlay]))
    naive: str = gdf.explore(tiles=None).get_root().render()
    return ours, naive


def _ours(
    specs: dict[str, Any], frames: dict[str, gpd.GeoDataFrame], labels: bool = True
) -> str:
    view = DEFAULT_VIEW.replace(groups=tuple({s.group for s in specs.values()}), layers=None,
                                basemap="none")
    return render_html(build_map(view, frames, specs, standalone=True, labels=labels))


def _floor() -> str:
    """Leaflet alone: an empty map at the plan view, what every Leaflet page pays first."""
    m = PlanMap(location=list(DEFAULT_VIEW.center), zoom_start=DEFAULT_VIEW.zoom, tiles=None)
    html: str = m.get_root().render()
    return html


def _naive(frames: dict[str, gpd.GeoDataFrame]) -> str:
    m: folium.Map | None = None
    for gdf in frames.values():
        drawn = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        if drawn.empty:
            continue
        # What a first version typically does: explore() with its defaults, one call per layer.
        m = drawn.explore(m=m, tiles=None) if m is None else drawn.explore(m=m)
    assert m is not None
    html: str = m.get_root().render()
    return html


def _time(fn: Callable[[], str], runs: int) -> tuple[float, str]:
    times: list[float] = []
    out = ""
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


@contextmanager
def _serve(pages: dict[str, str]) -> Iterator[str]:
    """Serve the pages and the vendored assets (at /app/static/) from a loopback server."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "app").mkdir()
        (root / "app" / "static").symlink_to(ROOT / "static")
        for name, html in pages.items():
            (root / name).write_text(html, encoding="utf-8")

        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        handler = functools.partial(Quiet, directory=str(root))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()


def _main_thread_cpu(page: Any, url: str) -> float:
    """Load ``url`` traced; return the page's main-thread CPU time (s) until the paint probe.

    Wall time on a shared machine measures the other processes as much as the page; the
    renderer main thread's own CPU time (trace events' thread time, top-level tasks from the
    navigation start to the paint) does not, so it compares two pages under any load.
    """
    cdp = page.context.new_cdp_session(page)
    cdp.send("Tracing.start", {"categories": _TRACE_CATEGORIES, "transferMode": "ReturnAsStream"})
    page.goto(url, wait_until="load")
    page.wait_for_function("window.__painted !== null", timeout=60_000)
    painted_ms = float(page.evaluate("window.__painted"))
    done: dict[str, str] = {}
    cdp.on("Tracing.tracingComplete", lambda e: done.setdefault("h", e["stream"]))
    cdp.send("Tracing.end")
    while "h" not in done:
        page.wait_for_timeout(20)
    chunks: list[str] = []
    while True:
        got = cdp.send("IO.read", {"handle": done["h"]})
        chunks.append(got["data"])
        if got.get("eof"):
            break
    cdp.send("IO.close", {"handle": done["h"]})
    cdp.detach()
    trace = json.loads("".join(chunks))
    events: list[dict[str, Any]] = trace["traceEvents"] if isinstance(trace, dict) else trace
    nav = [e for e in events if e.get("name") == "navigationStart"
           and e.get("args", {}).get("data", {}).get("documentLoaderURL") == url]
    if not nav:
        return float("nan")
    pid, t0 = nav[-1]["pid"], nav[-1]["ts"]
    t1 = t0 + painted_ms * 1000.0
    main = {e["tid"] for e in events if e.get("name") == "thread_name" and e.get("pid") == pid
            and e.get("args", {}).get("name") == "CrRendererMain"}
    tasks = sorted((e for e in events if e.get("ph") == "X" and e.get("pid") == pid
                    and e.get("tid") in main and t0 <= e["ts"] <= t1),
                   key=lambda e: (e["ts"], -e.get("dur", 0)))
    cpu, end = 0.0, -1.0
    for e in tasks:  # top-level tasks only: nested events are part of their task's time
        if e["ts"] >= end:
            cpu += e.get("tdur", 0) / 1e6
            end = e["ts"] + e.get("dur", 0)
    return cpu


def _paint_times(
    base: str, names: list[str], n_features: int | dict[str, int], runs: int,
    labelled: dict[str, list[float]],
    redraw: dict[str, list[tuple[float, float]]] | None = None,
    cpu: dict[str, list[float]] | None = None,
) -> dict[str, tuple[list[float], list[float]]]:
    """Per page: (cold, warm) paint times in seconds, pages alternated to share the load.

    ``n_features`` is what each page draws (one number for all, or per page name);
    ``labelled`` receives, per page, the cold-load times until the first label was placed;
    ``redraw``, when given, per page and run, the pan/zoom time (s) summed over the moves of
    ``_STEPS``: until the redraw is painted, and until the page has settled; ``cpu``, when
    given, per page and run, the main-thread CPU time (s) of one more first visit, traced.
    """
    from playwright.sync_api import sync_playwright

    out: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in names}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for _ in range(runs):
            for name in names:
                # A fresh context has an empty cache: the first load is a planner's first visit.
                ctx = browser.new_context(viewport={"width": 1400, "height": 900})
                # Only loopback: a stray outside request would distort (and betray) the figures.
                ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                          else r.abort())
                want = n_features if isinstance(n_features, int) else n_features[name]
                ctx.add_init_script(_PAINT_PROBE % want)
                page = ctx.new_page()
                for k, times in enumerate(out[name]):  # cold, then warm (assets cached)
                    page.goto(f"{base}/{name}", wait_until="load")
                    page.wait_for_function("window.__painted !== null", timeout=60_000)
                    times.append(float(page.evaluate("window.__painted")) / 1000.0)
                    if k == 0:
                        page.wait_for_timeout(300)
                        t_lab = page.evaluate("window.__labelled")
                        if t_lab is not None:
                            labelled.setdefault(name, []).append(float(t_lab) / 1000.0)
                    elif redraw is not None and want:
                        page.wait_for_timeout(300)  # the labels and deferred controls are in
                        moves = page.evaluate(_REDRAW, _STEPS)
                        redraw.setdefault(name, []).append(
                            (sum(m[0] for m in moves) / 1000.0, sum(m[1] for m in moves) / 1000.0)
                        )
                ctx.close()
                if cpu is not None:
                    ctx = browser.new_context(viewport={"width": 1400, "height": 900})
                    ctx.route("**/*", lambda r: r.continue_()
                              if r.request.url.startswith(base) else r.abort())
                    ctx.add_init_script(_PAINT_PROBE % want)
                    cpu.setdefault(name, []).append(
                        _main_thread_cpu(ctx.new_page(), f"{base}/{name}"))
                    ctx.close()
        browser.close()
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--data-dir", type=Path, default=layers.DATA_DIR)
    ap.add_argument("--points", type=int, default=0,
                    help="also time N synthetic points against explore() (e.g. 10000)")
    args = ap.parse_args(argv)

    specs, frames = _load(args.data_dir)
    if not specs:
        sys.exit("no catalogue layers: nothing to benchmark")
    use_local_assets()
    n_features = sum(
        int((g.geometry.notna() & ~g.geometry.is_empty).sum()) for g in frames.values()
    )
    print(f"plan: {len(frames)} layers, {n_features} features with geometry")

    _ours(specs, frames), _naive(frames)  # warm imports and caches
    t_ours, html_ours = _time(lambda: _ours(specs, frames), args.runs)
    t_naive, html_naive = _time(lambda: _naive(frames), args.runs)
    t_bare, html_bare = _time(lambda: _ours(specs, frames, labels=False), args.runs)
    b_ours, b_naive = len(html_ours.encode()), len(html_naive.encode())

    pages = {"ours.html": html_ours, "naive.html": html_naive, "bare.html": html_bare}
    labelled: dict[str, list[float]] = {}
    redraw: dict[str, list[tuple[float, float]]] = {}
    cpu: dict[str, list[float]] = {}
    pages["floor.html"] = _floor()
    want = {name: 0 if name == "floor.html" else n_features for name in pages}
    with _serve(pages) as base:
        paint = _paint_times(base, list(pages), want, args.runs, labelled, redraw, cpu)
    c_ours, w_ours = (statistics.median(x) for x in paint["ours.html"])
    c_naive, w_naive = (statistics.median(x) for x in paint["naive.html"])
    c_bare, _w_bare = (statistics.median(x) for x in paint["bare.html"])
    c_floor, w_floor = (statistics.median(x) for x in paint["floor.html"])

    rows = [
        ("HTML bytes", f"{b_ours:,}", f"{b_naive:,}", b_naive / b_ours),
        ("Python build+render (s)", f"{t_ours:.4f}", f"{t_naive:.4f}", t_naive / t_ours),
        ("browser paint, first visit (s)", f"{c_ours:.3f}", f"{c_naive:.3f}", c_naive / c_ours),
        ("browser paint, assets cached (s)", f"{w_ours:.3f}", f"{w_naive:.3f}", w_naive / w_ours),
    ]
    u_ours, u_naive, u_floor = (statistics.median(cpu[k])
                                for k in ("ours.html", "naive.html", "floor.html"))
    rows.append(("main-thread CPU to first paint (s)", f"{u_ours:.3f}", f"{u_naive:.3f}",
                 u_naive / u_ours))
    r_ours, s_ours = (statistics.median(m[i] for m in redraw["ours.html"]) for i in (0, 1))
    r_naive, s_naive = (statistics.median(m[i] for m in redraw["naive.html"]) for i in (0, 1))
    rows += [
        (f"pan/zoom redraw, {len(_STEPS)} moves (s)", f"{r_ours:.3f}", f"{r_naive:.3f}",
         r_naive / r_ours),
        ("pan/zoom until settled (s)", f"{s_ours:.3f}", f"{s_naive:.3f}", s_naive / s_ours),
    ]
    print(f"{'measure':<38}{'ours':>14}{'naive explore()':>18}{'naive/ours':>12}")
    for label, ours, naive, ratio in rows:
        print(f"{label:<38}{ours:>14}{naive:>18}{ratio:>11.2f}x")
    # What both pages pay alike (navigation, Leaflet's own load, an empty map painted), and
    # each page's own work above it: the part of the first paint a page can change.
    print(f"Leaflet alone (empty map): first visit {c_floor:.3f} s, cached {w_floor:.3f} s; "
          f"above it, first visit ours {c_ours - c_floor:.3f} vs naive {c_naive - c_floor:.3f} s"
          f" = {(c_naive - c_floor) / max(c_ours - c_floor, 1e-6):.2f}x, cached ours "
          f"{w_ours - w_floor:.3f} vs naive {w_naive - w_floor:.3f} s = "
          f"{(w_naive - w_floor) / max(w_ours - w_floor, 1e-6):.2f}x; main-thread CPU "
          f"{u_floor:.3f} s, above it ours {u_ours - u_floor:.3f} vs naive "
          f"{u_naive - u_floor:.3f} s = {(u_naive - u_floor) / max(u_ours - u_floor, 1e-6):.2f}x")
    lab = statistics.median(labelled["ours.html"]) if labelled.get("ours.html") else float("nan")
    print(f"labels (注记): HTML {len(html_ours.encode()) - len(html_bare.encode()):+,} bytes, "
          f"Python {t_ours - t_bare:+.4f} s; first paint with/without labels "
          f"{c_ours:.3f}/{c_bare:.3f} s = {c_ours / c_bare:.2f}x (target <= 1.20x); "
          f"labels placed at {lab:.3f} s")
    if args.points > 0:
        p_ours, p_naive = _points_pages(args.points)
        with _serve({"pts_ours.html": p_ours, "pts_naive.html": p_naive}) as base:
            pts = _paint_times(base, ["pts_ours.html", "pts_naive.html"], args.points,
                               args.runs, {})
        po, pn = (statistics.median(pts[k][0]) for k in ("pts_ours.html", "pts_naive.html"))
        print(f"{args.points:,} points: HTML {len(p_ours.encode()):,} vs {len(p_naive.encode()):,}"
              f" bytes; first paint {po:.3f} vs {pn:.3f} s = {pn / po:.2f}x naive/ours "
              f"(one canvas, clustered by zoom)")
    print(f"medians of {args.runs} runs; paint = navigation start to every feature drawn and "
          f"that frame painted. Targets: >= 2x smaller and faster; first paint < 1 s "
          f"(ours: {c_ours:.3f} s first visit, {w_ours:.3f} s cached)")
    print(f"pan/zoom = {' '.join(_STEPS)} without animation, each from the call to its frame "
          f"painted (settled: and the work queued after it, our labels, painted too); "
          f"target: never slower than naive (naive/ours >= 1x)")


if __name__ == "__main__":
    main()
