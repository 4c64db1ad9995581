"""The map's compiled per-vertex loops (spatial.webmap_kernel) give the JavaScript's numbers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import numpy as np
import pytest
import shapely

import layers
from spatial.webmap import _MAP_JS as MAP_JS
from spatial.webmap_encode import _encode_coords
from spatial.webmap_kernel import KERNEL_JS, assemble, kernel_bytes
from spatial.webmap_rings import RINGS_JS


def test_the_shipped_kernel_is_its_source_assembled() -> None:
    pytest.importorskip("wasmtime", reason="the dev tools (requirements-dev.txt) assemble it")
    assert assemble() == kernel_bytes(), "run: python -m spatial.webmap_kernel"


def _js_part(start: str, end: str) -> str:
    """The map JavaScript from the line that starts with ``start`` to the one before ``end``."""
    m = re.search(rf"^{re.escape(start)}.*?(?=^{re.escape(end)})", RINGS_JS, re.S | re.M)
    assert m, (start, end)
    return m.group(0)


def _plan_rings() -> list[str]:
    """Every line and ring of the catalogue, encoded as the map receives it."""
    out: list[str] = []
    for spec in layers.all_specs():
        gdf = layers.load_layer(spec.id)
        for geom in gdf.geometry:
            if geom is None or geom.is_empty or geom.geom_type in ("Point", "MultiPoint"):
                continue
            parts = getattr(geom, "geoms", [geom])
            for part in parts:
                rings = ([part.exterior, *part.interiors] if part.geom_type == "Polygon"
                         else [part])
                out.extend(_encode_coords(np.asarray(r.coords)) for r in rings)
    return out


# Runs in node: the JavaScript loops (the map's fallback) and the kernel on the same input;
# prints what differs. Compared with Object.is: -0 and NaN count.
_COMPARE = r"""
var input = JSON.parse(require("fs").readFileSync(0, "utf8")), diffs = [], counts = {};
var K = window.hebiKernel;
function same(a, b) { return Object.is(a, b); }
function note(what, detail) { if (diffs.length < 20) diffs.push([what, detail]); }
function count(what) { counts[what] = (counts[what] || 0) + 1; }
var SM = L.Projection.SphericalMercator, D = Math.PI / 180;
function mx(lng) { return SM.R * lng * D; }  // L.Projection.SphericalMercator.project
function my(lat) {
  var sin = Math.sin(Math.max(Math.min(SM.MAX_LATITUDE, lat), -SM.MAX_LATITUDE) * D);
  return SM.R * Math.log((1 + sin) / (1 - sin)) / 2;
}
var jsRing = window.hebiRing;
window.hebiKernel = null;  // the JavaScript's own ring, then the kernel's
input.rings.forEach(function (s, r) {
  [[false, 0], [true, 1], [true, -1]].forEach(function (co) {
    var want = jsRing(s, co[0], co[1]);
    window.hebiKernel = K;
    var got = jsRing(s, co[0], co[1]);
    window.hebiKernel = null;
    count("ring");
    ["n", "x0", "y0", "x1", "y1"].forEach(function (k) {
      if (!same(got[k], want[k])) note("ring " + k, [r, got[k], want[k]]);
    });
    // The box in Mercator metres, as the rings module's box() computes it from the box.
    if (got.n) {
      var mb = [mx(want.x0 / 1e6), my(want.y0 / 1e6), mx(want.x1 / 1e6), my(want.y1 / 1e6)];
      if (!got.mb || mb.some(function (v, i) { return !same(got.mb[i], v); })) {
        note("ring mb", [r, got.mb, mb]);
      }
    }
    if (got.xy.length !== want.xy.length
        || Array.prototype.some.call(want.xy, function (v, i) { return !same(got.xy[i], v); })) {
      note("ring xy", r);
    }
  });
});
// Projection (Leaflet's own formulas as the oracle), simplify and clip at several views.
input.views.forEach(function (v) {
  var z = v[0], ox = v[1], oy = v[2], s = 256 * Math.pow(2, z), a = 0.5 / (Math.PI * SM.R);
  var box = [v[3], v[4], v[5], v[6]];
  input.rings.forEach(function (str, r) {
    var g = jsRing(str, false, 0), n = g.n, cnt = 2 * n;
    var m = new Float64Array(cnt), xy = new Float64Array(cnt), want = new Float64Array(cnt);
    for (var i = 0; i < n; i++) {  // L.Projection.SphericalMercator.project, transformation
      var lat = Math.max(Math.min(SM.MAX_LATITUDE, g.xy[2 * i + 1] / 1e6), -SM.MAX_LATITUDE);
      var sin = Math.sin(lat * D);
      var mx = SM.R * (g.xy[2 * i] / 1e6) * D, my = SM.R * Math.log((1 + sin) / (1 - sin)) / 2;
      want[2 * i] = Math.round(s * (a * mx + 0.5)) - ox;
      want[2 * i + 1] = Math.round(s * (-a * my + 0.5)) - oy;
    }
    K.project([0], [g], [0], m, [0], xy, s, a, 0.5, -a, 0.5, ox, oy);
    count("vertex");
    for (i = 0; i < cnt; i++) if (!same(xy[i], want[i])) { note("project", [r, i]); break; }
    var xy2 = new Float64Array(cnt);  // from the metres kept, at the next zoom
    K.project([0], [g], [0], m, [1], xy2, 2 * s, a, 0.5, -a, 0.5, ox, oy);
    for (i = 0; i < cnt; i++) {
      if (!same(xy2[i], Math.round(2 * s * (i % 2 ? -a * m[i] + 0.5 : a * m[i] + 0.5))
                - (i % 2 ? oy : ox))) { note("project again", [r, i]); break; }
    }
    [1, 1.5, 0].forEach(function (tol) {
      if (!tol) return;
      var w = simplify(xy, 0, n, tol), k = K.simplify(xy, 0, n, tol);
      count("simplify");
      if (w.length !== k.length || w.some(function (p, i) {
        return !same(p.x, k[i].x) || !same(p.y, k[i].y); })) note("simplify", [r, tol]);
      if (n < 3) return;
      var len = clip(xy, 0, n, box), c = K.cut(xy, 0, n, box, tol);
      count("cut");
      if (c && c.length) count("cut drawn");
      var wc = len ? simplify(PX[0], 0, len, tol) : null;
      if ((wc === null) !== (c === null)) { note("cut empty", [r, len]); return; }
      if (wc && (wc.length !== c.length || wc.some(function (p, i) {
        return !same(p.x, c[i].x) || !same(p.y, c[i].y); }))) note("cut", [r, tol]);
    });
  });
});
// Lines across the box: Leaflet's own Polyline._clipPoints (L.LineUtil.clipSegment with its
// last code, round: true; transcribed from Leaflet 1.9.4) and simplify as the oracle, over
// paths of five lines (the third not projected, so empty, as the map leaves it).
function lcode(p, b) {
  var c = 0;
  if (p.x < b[0]) c |= 1; else if (p.x > b[2]) c |= 2;
  if (p.y < b[1]) c |= 4; else if (p.y > b[3]) c |= 8;
  return c;
}
var lastCode;
function ledge(a, e, code, b) {
  var x, y, dx = e.x - a.x, dy = e.y - a.y;
  if (code & 8) { x = a.x + dx * (b[3] - a.y) / dy; y = b[3]; }
  else if (code & 4) { x = a.x + dx * (b[1] - a.y) / dy; y = b[1]; }
  else if (code & 2) { x = b[2]; y = a.y + dy * (b[2] - a.x) / dx; }
  else if (code & 1) { x = b[0]; y = a.y + dy * (b[0] - a.x) / dx; }
  return new L.Point(Math.round(x), Math.round(y));
}
function lsegment(a, e, b, useLast) {
  var ca = useLast ? lastCode : lcode(a, b), ce = lcode(e, b), out, p, c;
  lastCode = ce;
  for (;;) {
    if (!(ca | ce)) return [a, e];
    if (ca & ce) return false;
    out = ca || ce; p = ledge(a, e, out, b); c = lcode(p, b);
    if (out === ca) { a = p; ca = c; } else { e = p; ce = c; }
  }
}
function lclip(rings, b) {
  var parts = [], k = 0;
  rings.forEach(function (pts) {
    for (var j = 0, n = pts.length; j < n - 1; j++) {
      var seg = lsegment(pts[j], pts[j + 1], b, j);
      if (!seg) continue;
      parts[k] = parts[k] || [];
      parts[k].push(seg[0]);
      if (seg[1] !== pts[j + 1] || j === n - 2) { parts[k].push(seg[1]); k++; }
    }
  });
  return parts;
}
input.views.forEach(function (v) {
  var z = v[0], s = 256 * Math.pow(2, z), a = 0.5 / (Math.PI * SM.R);
  var box = [v[3], v[4], v[5], v[6]];
  for (var r0 = 0; r0 + 5 <= input.rings.length; r0 += 5) {
    var rings = [], off = [], on = [1, 1, 0, 1, 1], total = 0;
    for (var q = 0; q < 5; q++) {
      rings.push(jsRing(input.rings[r0 + q], false, 0));
      off.push(total); total += rings[q].n;
    }
    var m = new Float64Array(2 * total), xy = new Float64Array(2 * total);
    K.project([0, 1, 3, 4], rings, off, m, [0, 0, 0, 0, 0], xy, s, a, 0.5, -a, 0.5, v[1], v[2]);
    var pts = rings.map(function (g, q) {
      var out = [];
      for (var i = 0; on[q] && i < g.n; i++) {
        out.push(new L.Point(xy[2 * (off[q] + i)], xy[2 * (off[q] + i) + 1]));
      }
      return out;
    });
    [1, 1.5].forEach(function (tol) {  // the rings drawn whole, simplified in one call
      var cache = [];
      K.wholeMany([0, 1, 3, 4], rings, off, xy, tol, cache);
      [0, 1, 3, 4].forEach(function (q) {
        var w = simplify(xy, off[q], rings[q].n, tol), k = cache[q];
        count("whole");
        if (!k || k.tol !== tol || !k.hebiDone || w.length !== k.length || w.some(function (p, i) {
          return !same(p.x, k[i].x) || !same(p.y, k[i].y); })) note("whole", [r0 + q, tol]);
      });
    });
    [1, 1.5].forEach(function (tol) {
      var want = lclip(pts, box).map(function (part) {
        var f = new Float64Array(2 * part.length);
        part.forEach(function (p, i) { f[2 * i] = p.x; f[2 * i + 1] = p.y; });
        return simplify(f, 0, part.length, tol);
      });
      var got = K.lines(rings, off, on, xy, box, tol);
      count("lines");
      if (got.length > 1) count("lines in parts");
      if (got.length !== want.length || want.some(function (part, i) {
        return part.length !== got[i].length || !got[i].hebiDone || part.some(function (p, j) {
          return !same(p.x, got[i][j].x) || !same(p.y, got[i][j].y); });
      })) note("lines", [r0, tol, got.length, want.length]);
    });
  }
});
console.log(JSON.stringify({diffs: diffs, counts: counts}));
"""


# What of Leaflet the kernel and the loops use.
_LEAFLET = ("var L = {Point: function (x, y) { this.x = x; this.y = y; }, Projection:"
            " {SphericalMercator: {R: 6378137, MAX_LATITUDE: 85.0511287798}}};\n")


def _compare(rings: list[str], views: list[list[float]]) -> dict[str, Any]:
    if shutil.which("node") is None:
        pytest.fail("node is missing: run `bash scripts/setup.sh` (npm installs the map assets)")
    math = _js_part("  var EDGES", "  function define(Base)") + _js_part(
        "  // Leaflet's L.LineUtil.simplify", "  // Leaflet's L.PolyUtil.clipPolygon")
    ring = _js_part("  window.hebiRing = function", "  var SM = null")
    script = ("var window = {};\n" + MAP_JS + "\n" + _LEAFLET + KERNEL_JS + "\n" + ring + math
              + _COMPARE)
    out = subprocess.run(["node", "-e", script], input=json.dumps({"rings": rings,
                                                                   "views": views}),
                         capture_output=True, text=True, check=True, timeout=300)
    result: dict[str, Any] = json.loads(out.stdout)
    return result


# Zoom, pixel origin, and the box a path is cut to (layer pixels): the plan in a 1400x900 map
# at four zooms (at 17.5 a half-pixel origin), the box as the renderer pads the view.
_VIEWS: list[list[float]] = [[12, 856511, 412174, -140, -90, 1540, 990],
                             [15, 6856987, 3300539, -140, -90, 1540, 990],
                             [17.5, 38792236.5, 18672762.25, -140, -90, 1540, 990],
                             [9, 106451, 51128, -140, -90, 1540, 990]]


def test_the_kernel_gives_the_javascripts_numbers_for_every_plan_ring() -> None:
    rings = _plan_rings()
    assert len(rings) > 400
    got = _compare(rings, _VIEWS)
    assert got["diffs"] == []
    counts = got["counts"]
    assert counts["ring"] == 3 * len(rings) and counts["vertex"] == len(_VIEWS) * len(rings)
    assert counts["cut"] > 1000 and counts["simplify"] > 2000 and counts["lines"] > 500
    # Most rings are drawn at some zoom, and lines leave and enter the box.
    assert counts["cut drawn"] > 1000 and counts["lines in parts"] > 100 and counts["whole"] > 2000


def test_the_kernel_gives_the_javascripts_numbers_for_odd_input() -> None:
    # Rings crossing the box in every way, degenerate ones, half pixels, and text that is not
    # a well-formed ring (cut short, characters outside the alphabet).
    rng = np.random.default_rng(7)
    centre = np.array([114.3, 35.76])
    shapes = [rng.normal(0, 0.004, (k, 2)) + centre for k in (1, 2, 3, 4, 9, 60, 400)]
    square = np.array([(114.2, 35.7), (114.4, 35.7), (114.4, 35.8), (114.2, 35.8), (114.2, 35.7)])
    rings = [_encode_coords(c) for c in [*shapes, square, square[::-1]]]
    rings += ["", "A", "_", "gw8y5G", "zzzzzzzzzzz", "!!@@##", "gw8y5Gg4zmkC" + "A" * 40]
    line = shapely.LineString(square).segmentize(0.0005)
    rings.append(_encode_coords(np.asarray(line.coords)))
    tiny_box: list[float] = [12, 856511, 412174, 600.5, 400.5, 640.5, 430.5]
    got = _compare(rings, [*_VIEWS, tiny_box])
    assert got["diffs"] == []
