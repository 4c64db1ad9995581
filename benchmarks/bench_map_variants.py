"""Where the plan map's first paint and pan/zoom time go: the same page with one thing changed.

Run: ``.venv/bin/python -m benchmarks.bench_map_variants [--runs 5]``

:mod:`benchmarks.bench_map` compares the plan map with a naive ``explore()``
page. This one explains the gap that is left (issue 17). It loads the plan
map as built and variants of it, each with one piece taken away or replaced:

* first paint, as the renderer main thread's CPU time from navigation start:
  plan features on a canvas instead of SVG; outlines cut to a tenth of their
  vertices; no tooltips; no point markers; no dash pieces; no plan layer at
  all; the files of the measuring tool and the coordinate readout loaded with
  the page (as before they moved after the first paint: what that saves); and
  Leaflet's empty map and the naive page for scale;
* pan and zoom (the moves of :mod:`benchmarks.bench_map`, until settled):
  solid instead of dashed strokes, labels (注记) without their halo, and no labels.

Each figure is a median over runs, and every page is measured in the same run.
The variants are measuring devices, not options of the app. Prints figures
only; it never asserts.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import layers
from benchmarks import bench_map as bm
from spatial.webmap import use_local_assets

_LEAFLET = '<script src="/app/static/vendor/leaflet/leaflet.js"></script>'
_VENDOR = "/app/static/vendor/"
# The measuring tool's and coordinate readout's files, which the page loads after its first
# paint (hebiLoad), put back in its head: what they cost before the first paint.
_LATE_FILES = "".join(
    [f'<script src="{_VENDOR}{js}"></script>' for js in (
        "mouse-position/L.Control.MousePosition.js", "leaflet-measure/leaflet-measure.cn.js")]
    + [f'<link rel="stylesheet" href="{_VENDOR}{css}"/>' for css in (
        "mouse-position/L.Control.MousePosition.css", "leaflet-measure/leaflet-measure.css")])


def _trap(name: str, body: str) -> str:
    """Script that replaces ``window[name]`` with ``body`` (given the page's own ``f``)."""
    return (f"(function () {{ var v; Object.defineProperty(window, {name!r}, {{configurable: true,"
            f" get: function () {{ return v; }}, set: function (f) {{ v = {body}; }}}}); }})();")


# Scripts run right after Leaflet loads, before the page's own code.
_AFTER_LEAFLET = {
    "outlines cut to 1/10 of their vertices": _trap(
        "hebiRing",
        "function (s, c, o) { var p = window.hebiInts(s), n = p.length >> 1;"
        " if (n < 12) return f(s, c, o);"
        " var q = []; for (var i = 0; i < n; i += 10) q.push(p[2 * i], p[2 * i + 1]);"
        " q.push(p[2 * n - 2], p[2 * n - 1]); return f(Int32Array.from(q), c, o); }"),
    "no tooltips": "L.Layer.prototype.bindTooltip = function () { return this; };",
    # The plan's points are merged per style (hebiDots); hebiMarker draws the others.
    "no point markers": _trap("hebiDots", "function () {}"),
    "no dash pieces": _trap("hebiDashPieces", "function () {}"),
    "no plan layer": _trap("hebiLayer", "function () {}"),
}


def _variants(ours: str) -> dict[str, str]:
    """The first-paint variants of our page, by description."""
    out = {"as built": ours,
           "features on a canvas": ours.replace("window.HEBI_MANY_SHAPES = 1000",
                                                "window.HEBI_MANY_SHAPES = -1")}
    for name, js in _AFTER_LEAFLET.items():
        out[name] = ours.replace(_LEAFLET, f"{_LEAFLET}<script>{js}</script>", 1)
    if f'src="{_VENDOR}leaflet-measure/' in ours or "leaflet-measure.cn.js" not in ours:
        raise SystemExit("the page no longer loads the measuring tool after its first paint")
    out["measuring tool, readout files in the page"] = ours.replace(
        _LEAFLET, _LEAFLET + _LATE_FILES, 1)
    for name, html in out.items():
        if name != "as built" and html == ours:
            raise SystemExit(f"variant {name!r} changed nothing: the page no longer matches it")
    return out


def _styled(ours: str, css: str) -> str:
    return ours.replace("</head>", f"<style>{css}</style></head>", 1)


def main(argv: list[str] | None = None) -> None:
    """Run the variants and print their figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    specs, frames = bm._load(layers.DATA_DIR)
    use_local_assets()
    ours = bm._ours(specs, frames)
    first = _variants(ours)
    first["Leaflet alone (empty map)"] = bm._floor()
    first["naive explore()"] = bm._naive(frames)
    moving = {"as built": ours,
              "solid strokes": _styled(ours, "path{stroke-dasharray:none!important}"),
              "labels without their halo": _styled(
                  ours, "[class*=hebi-ls]{text-shadow:none!important}"),
              "no labels": _styled(ours, ".hebi-label{display:none!important}"),
              "naive explore()": first["naive explore()"]}
    files = {f"f{i}.html": html for i, html in enumerate(first.values())}
    files.update({f"m{i}.html": html for i, html in enumerate(moving.values())})
    cpu: dict[str, list[float]] = {k: [] for k in first}
    moves: dict[str, list[tuple[float, float]]] = {k: [] for k in moving}
    from playwright.sync_api import sync_playwright

    with bm._serve(files) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=bm.CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu"])

        def context() -> Any:
            ctx = browser.new_context(viewport={"width": 1400, "height": 900})
            ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(base)
                      else r.abort())
            # Every page's features are drawn by its first script, before its first frame:
            # the probe needs no count (variants draw different numbers of elements).
            ctx.add_init_script(bm._PAINT_PROBE % 0)
            return ctx

        for _ in range(args.runs):
            for i, name in enumerate(first):
                ctx = context()
                cpu[name].append(bm._main_thread_cpu(ctx.new_page(), f"{base}/f{i}.html"))
                ctx.close()
            for i, name in enumerate(moving):
                ctx = context()
                page = ctx.new_page()
                page.goto(f"{base}/m{i}.html", wait_until="load")
                page.wait_for_function("window.__painted !== null", timeout=60_000)
                page.wait_for_timeout(400)  # the labels and deferred controls are in
                done = page.evaluate(bm._REDRAW, bm._STEPS)
                moves[name].append((sum(m[0] for m in done) / 1000.0,
                                    sum(m[1] for m in done) / 1000.0))
                ctx.close()
        browser.close()

    base_cpu = statistics.median(cpu["as built"])
    print(f"main-thread CPU to first paint (median of {args.runs}):")
    for name, values in cpu.items():
        c = statistics.median(values)
        print(f"  {name:<42}{c:8.4f} s  {1000 * (c - base_cpu):+7.1f} ms vs as built")
    base_settle = statistics.median(m[1] for m in moves["as built"])
    print(f"pan/zoom, {len(bm._STEPS)} moves (median of {args.runs}): redraw / until settled")
    for name, timed in moves.items():
        r = statistics.median(m[0] for m in timed)
        s = statistics.median(m[1] for m in timed)
        print(f"  {name:<42}{r:8.3f} s {s:8.3f} s  {1000 * (s - base_settle):+7.1f} ms settled"
              " vs as built")


if __name__ == "__main__":
    main()
