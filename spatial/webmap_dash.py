"""Long dashed outlines on the web map, drawn as short pieces (:data:`DASH_JS`).

The plan map dashes what is schematic (示意), the 街道 and district boundaries
(dash-dot) and the railways. A browser rasterises an SVG page in tiles of
about 256 px and, for every tile a path's box touches, computes the path's
whole dash pattern again: a boundary dashed across the map was dashed some
thirty times on every pan or zoom, and the map settled two to three times
slower than the same features undashed (``benchmarks.bench_map``, "pan/zoom
until settled").

So a dashed path longer than a few hundred pixels on screen is stroked as
pieces of about :data:`PIECE_PX` px, each an SVG path carrying the dash
offset of its start, so the pattern runs on unbroken across the cuts; a
tile then dashes only the pieces it shows. The layer's own path keeps the
fill and its place in the drawing order, and its events: the pieces pass
the pointer to the layer (Leaflet's interactive targets), so the tooltip,
the click and the identify of a merged path behave as before. Pieces say
``data-hebi-n="0"``: tests and benchmarks that count drawn features count
the layer's own path only. The pieces are cut just after the page's first
frame (``hebiAfterPaint``): that frame dashes each path whole, as the
browser would, and the pattern is the same before and after.
"""

from __future__ import annotations

__all__ = ["DASH_JS", "PIECE_PX"]

# About one raster tile: smaller pieces cost more elements per redraw than they save.
PIECE_PX = 256

DASH_JS = r"""
(function () {
  if (window.hebiDashPieces) return;
  // An extra SVG path of a layer (a dash piece, a cell of points: spatial.webmap_dots),
  // styled by Leaflet's own renderer with options, answering the pointer as the layer.
  window.hebiPiece = function (layer, options) {
    var el = L.SVG.create("path");
    layer._renderer._updateStyle({_path: el, options: options});
    if (layer.options.interactive) {
      L.DomUtil.addClass(el, "leaflet-interactive");
      layer.addInteractiveTarget(el);
    }
    return el;
  };
  // The first used of a layer's extra paths follow its own path in the page, in order; the
  // others leave it. Leaflet draws a path once before putting it in the page: call again then.
  window.hebiPlacePieces = function (layer, pieces, used) {
    var path = layer._path, parent = path && path.parentNode, prev = path;
    for (var k = 0; k < pieces.length; k++) {
      var el = pieces[k];
      if (k >= used || !parent) {
        if (el.parentNode) el.parentNode.removeChild(el);
      } else {
        if (el.previousSibling !== prev) parent.insertBefore(el, prev.nextSibling);
        prev = el;
      }
    }
  };
  window.HEBI_DASH_PIECE = __PIECE__;
  window.hebiDashPieces = function (layer) {
    var C = window.HEBI_DASH_PIECE, pieces = [], used = 0, closed = layer instanceof L.Polygon;
    var o = layer.options, period = 0;
    String(o.dashArray).split(/[ ,]+/).forEach(function (v) { period += Math.abs(+v) || 0; });
    if (!(period > 0)) return;
    var own = Object.getPrototypeOf(layer)._updatePath, stroke = L.extend({}, o, {fill: false});
    layer._hebiPieces = pieces;  // tests read them
    function emit(d, off) {
      var el = pieces[used];
      if (!el) {
        // The layer's stroke (colour, width, opacity, dash, ends); no fill.
        el = window.hebiPiece(layer, stroke);
        el.setAttribute("data-hebi-n", "0");
        pieces.push(el);
      }
      el.setAttribute("d", d);
      el.setAttribute("stroke-dashoffset", (off % period).toFixed(1));
      used++;
    }
    var later = false;
    layer._updatePath = function () {
      own.call(this);
      // Until the page's first frame is painted a long dashed path is dashed whole, by the
      // browser; its pieces (the same pattern) replace it just after, so they cost the first
      // paint nothing (bench_map_variants, "no dash pieces").
      if (!window.hebiDashNow) {
        if (!later) {
          later = true;
          window.hebiAfterPaint(function () {
            window.hebiDashNow = true;
            if (layer._map && layer._path) layer._updatePath();
          });
        }
        return;
      }
      var parts = this._parts || [], box = this._pxBounds, i, k;
      used = 0;
      var small = !box || (box.max.x - box.min.x < 2 * C && box.max.y - box.min.y < 2 * C);
      if (!this._path || small) {  // a small path is dashed by itself, as usual
        if (this._path) this._path.setAttribute("stroke", o.color);
        window.hebiPlacePieces(layer, pieces, 0);
        return;
      }
      this._path.setAttribute("stroke", "none");
      // A piece grows, ring after ring, until its box would pass C px either way: then it is
      // cut there (inside a long segment too) and the next piece starts with the dash offset of
      // that point, so a cut line's pattern runs on. The small rings of a merged layer share
      // pieces with their neighbours; SVG starts each ring's pattern anew anyway.
      var d = "", x0 = 0, y0 = 0, x1 = 0, y1 = 0, off = 0, open = false;
      function fits(x, y) {
        return Math.max(x1, x) - Math.min(x0, x) <= C && Math.max(y1, y) - Math.min(y0, y) <= C;
      }
      function begin(x, y, at) {
        if (open) emit(d, off);
        d = "M" + x + " " + y; x0 = x1 = x; y0 = y1 = y; off = at; open = true;
      }
      function grow(x, y) {
        if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
      for (k = 0; k < parts.length; k++) {
        var ring = parts[k], n = ring.length;
        if (n < 2) continue;
        var ax = ring[0].x, ay = ring[0].y, at = 0;
        if (open && fits(ax, ay)) { d += "M" + ax + " " + ay; grow(ax, ay); } else begin(ax, ay, 0);
        for (i = 1; i <= (closed ? n : n - 1); i++) {
          var b = ring[i % n], bx = b.x, by = b.y;
          var seg = Math.sqrt((bx - ax) * (bx - ax) + (by - ay) * (by - ay));
          // Steps of at most half a piece, so a long straight edge is cut where it must be.
          var steps = Math.ceil(seg / (C / 2)) || 1, px = ax, py = ay;
          for (var s = 1; s <= steps; s++) {
            var x = s === steps ? bx : Math.round((ax + (bx - ax) * s / steps) * 10) / 10;
            var y = s === steps ? by : Math.round((ay + (by - ay) * s / steps) * 10) / 10;
            if (!fits(x, y)) begin(px, py, at + seg * (s - 1) / steps);  // cut at the last point
            d += "L" + x + " " + y; grow(x, y);
            px = x; py = y;
          }
          at += seg; ax = bx; ay = by;
        }
      }
      if (open) emit(d, off);
      window.hebiPlacePieces(layer, pieces, used);
    };
    layer.on("add", function () { window.hebiPlacePieces(layer, pieces, used); });
    layer.on("remove", function () { window.hebiPlacePieces(layer, pieces, 0); });
  };
})();
""".replace("__PIECE__", str(PIECE_PX))
