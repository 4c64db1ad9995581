"""The rings of the plan map's lines and areas, kept as numbers and projected only when seen.

Leaflet keeps every vertex of a path as an ``L.LatLng`` and, at every zoom,
projects every one of them (spherical Mercator: a sine and a logarithm, and
three new points) before it clips the path to the view. The plan's merged
paths hold some ten thousand vertices, most of them (the 68 km of the
reference admin boundaries) off screen at the first view: that work and its
garbage were a good part of the first paint (issue 17).

:data:`RINGS_JS` keeps each ring as the integers of the payload (1e-6°) in a
typed array with its box. A ring is turned into Mercator metres the first
time it comes near the view (once per page), and into layer pixels the first
time it is drawn at a zoom, by a scale and an offset; a ring whose box stays
outside the drawn area is never projected. ``L.LatLng`` objects are made only
if asked for (``getLatLngs``: the click highlight, fitting a view). Every
number is computed as Leaflet computes it, so what is drawn is what
Leaflet's own ``L.polygon``/``L.polyline`` of the same coordinates draws, at
every zoom (``tests/browser/test_map_browser.py`` compares the two).

A ring that is drawn whole keeps its simplified points per zoom: a pan
simplifies only the rings it cuts.
"""

from __future__ import annotations

__all__ = ["RINGS_JS"]

RINGS_JS = r"""
(function () {
  if (window.hebiRingPath) return;
  // A ring from its encoded text (window.hebiInts) or its integers: integers, vertex count and
  // box. orient (merged areas, filled "nonzero"): +1 an outer ring, -1 a hole,
  // 0 as it comes; the signed area (shoelace) is summed over the degrees, term by term in the
  // same floating point as it was over L.LatLng, so a ring turns exactly as it did. An area's
  // closing vertex goes, as Leaflet drops it.
  window.hebiRing = function (s, closed, orient) {
    var K = typeof s === "string" && window.hebiKernel, got = K && K.ring(s, closed, orient);
    if (got) return got;  // the same numbers, from the compiled loops (spatial.webmap_kernel)
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, a = 0, i, j, t, x, y;
    var own = typeof s === "string", xy = own ? window.hebiInts(s) : s, n = xy.length >> 1;
    for (i = 0; i < n; i++) {
      x = xy[2 * i]; y = xy[2 * i + 1];
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    }
    var shut = n >= 2 && xy[0] === xy[2 * n - 2] && xy[1] === xy[2 * n - 1];
    if (orient) {
      // From the closing term (last to first; zero when the ring is shut) on, in degrees: the
      // same terms in the same floating point as over L.LatLng, so a ring turns as it did.
      for (a = 0, i = 0, j = n - 1; i < n; j = i++) {
        a += (xy[2 * j] / 1e6 - xy[2 * i] / 1e6) * (xy[2 * j + 1] / 1e6 + xy[2 * i + 1] / 1e6);
      }
      if ((a > 0) !== (orient > 0)) {
        if (!own) xy = xy.slice();
        for (i = 0, j = n - 1; i < j; i++, j--) {
          t = xy[2 * i]; xy[2 * i] = xy[2 * j]; xy[2 * j] = t;
          t = xy[2 * i + 1]; xy[2 * i + 1] = xy[2 * j + 1]; xy[2 * j + 1] = t;
        }
      }
    }
    if (closed && shut) n--;  // the closing vertex is the first one: the box is the same
    return {xy: xy, n: n, x0: x0, y0: y0, x1: x1, y1: y1, mb: null};
  };
  var SM = null, D = Math.PI / 180;
  // Spherical Mercator metres of one longitude or latitude, as L.Projection.SphericalMercator
  // computes them (the same operations in the same order: the same numbers).
  function mx(lng) { return SM.R * lng * D; }
  function my(lat) {
    var max = SM.MAX_LATITUDE, sin = Math.sin(Math.max(Math.min(max, lat), -max) * D);
    return SM.R * Math.log((1 + sin) / (1 - sin)) / 2;
  }
  function box(r) {  // the box's corners in metres (the projection keeps their order)
    return r.mb || (r.mb = [mx(r.x0 / 1e6), my(r.y0 / 1e6), mx(r.x1 / 1e6), my(r.y1 / 1e6)]);
  }
  var EMPTY = [];
  function latlngs(r) {
    var out = new Array(r.n);
    for (var i = 0; i < r.n; i++) out[i] = new L.LatLng(r.xy[2 * i + 1] / 1e6, r.xy[2 * i] / 1e6);
    return out;
  }
  // Leaflet's L.LineUtil.simplify (radial distance, then Douglas-Peucker: the same steps and
  // sums) over n layer points at xy[2 * o], without a point object per vertex: only the points
  // it keeps are made.
  function simplify(xy, o, n, tol) {
    var out = [], i;
    if (!tol) {
      for (i = 0; i < n; i++) out.push(new L.Point(xy[2 * (o + i)], xy[2 * (o + i) + 1]));
      return out;
    }
    var sq = tol * tol, keep = [o], prev = o, end = o + n - 1;
    for (i = o + 1; i <= end; i++) {
      var dx = xy[2 * prev] - xy[2 * i], dy = xy[2 * prev + 1] - xy[2 * i + 1];
      if (dx * dx + dy * dy > sq) { keep.push(i); prev = i; }
    }
    if (prev < end) keep.push(end);
    var len = keep.length, marks = new Uint8Array(len);
    marks[0] = marks[len - 1] = 1;
    step(xy, keep, marks, sq, 0, len - 1);
    for (i = 0; i < len; i++) {
      if (marks[i]) out.push(new L.Point(xy[2 * keep[i]], xy[2 * keep[i] + 1]));
    }
    return out;
  }
  function step(xy, keep, marks, sq, first, last) {
    var max = 0, index = 0, f = 2 * keep[first], l = 2 * keep[last];
    var x1 = xy[f], y1 = xy[f + 1], ddx = xy[l] - x1, ddy = xy[l + 1] - y1;
    var dot = ddx * ddx + ddy * ddy;
    for (var i = first + 1; i <= last - 1; i++) {
      // L.LineUtil's _sqClosestPointOnSegment(point, first, last, true)
      var k = 2 * keep[i], px = xy[k], py = xy[k + 1], x = x1, y = y1;
      if (dot > 0) {
        var t = ((px - x) * ddx + (py - y) * ddy) / dot;
        if (t > 1) { x = xy[l]; y = xy[l + 1]; } else if (t > 0) { x += ddx * t; y += ddy * t; }
      }
      var dx = px - x, dy = py - y, d = dx * dx + dy * dy;
      if (d > max) { index = i; max = d; }
    }
    if (max > sq) {
      marks[index] = 1;
      step(xy, keep, marks, sq, first, index);
      step(xy, keep, marks, sq, index, last);
    }
  }
  // Leaflet's L.PolyUtil.clipPolygon(points, bounds, true) (Sutherland-Hodgman, edge by edge,
  // crossings rounded to whole pixels) over n layer points at xy[2 * o]: the same points, as
  // numbers ([x, y, x, y, ...]).
  var EDGES = [1, 4, 2, 8];
  function code(x, y, b) {
    return (x < b[0] ? 1 : x > b[2] ? 2 : 0) | (y < b[1] ? 4 : y > b[3] ? 8 : 0);
  }
  var PX = [new Float64Array(256), new Float64Array(256)];  // reused: no garbage per cut
  var PC = [new Uint8Array(128), new Uint8Array(128)];
  function room(i, m) {
    if (PC[i].length < m) { PX[i] = new Float64Array(4 * m); PC[i] = new Uint8Array(2 * m); }
  }
  // The cut ring is left in PX[0], its length returned.
  function clip(xy, o, n, b) {
    var i, j, k, len = n;
    room(0, n);
    var px = PX[0], pc = PC[0];
    for (i = 0; i < n; i++) {
      var x = px[2 * i] = xy[2 * (o + i)], y = px[2 * i + 1] = xy[2 * (o + i) + 1];
      pc[i] = code(x, y, b);
    }
    for (k = 0; k < 4; k++) {
      room(1, 2 * len);
      var edge = EDGES[k], qx = PX[1], qc = PC[1], m = 0;
      px = PX[0]; pc = PC[0];
      for (i = 0, j = len - 1; i < len; j = i++) {
        if (!(pc[i] & edge)) {
          if (pc[j] & edge) m = cross(px, j, i, edge, b, qx, qc, m);
          qx[2 * m] = px[2 * i]; qx[2 * m + 1] = px[2 * i + 1]; qc[m++] = pc[i];
        } else if (!(pc[j] & edge)) {
          m = cross(px, j, i, edge, b, qx, qc, m);
        }
      }
      PX[1] = PX[0]; PC[1] = PC[0]; PX[0] = qx; PC[0] = qc; len = m;
    }
    return len;
  }
  // L.LineUtil._getEdgeIntersection(point j, point i, edge, bounds, true), written at m.
  function cross(p, j, i, edge, b, qx, qc, m) {
    var ax = p[2 * j], ay = p[2 * j + 1], dx = p[2 * i] - ax, dy = p[2 * i + 1] - ay, x, y;
    if (edge & 8) { x = ax + dx * (b[3] - ay) / dy; y = b[3]; }
    else if (edge & 4) { x = ax + dx * (b[1] - ay) / dy; y = b[1]; }
    else if (edge & 2) { x = b[2]; y = ay + dy * (b[2] - ax) / dx; }
    else { x = b[0]; y = ay + dy * (b[0] - ax) / dx; }
    x = Math.round(x); y = Math.round(y);
    qx[2 * m] = x; qx[2 * m + 1] = y; qc[m] = code(x, y, b);
    return m + 1;
  }
  function define(Base) {
    var C = Base.extend({
      // h: {rings: [ring], shape: [[ring index]] (areas: polygons of rings) or [index] (lines)}.
      _setLatLngs: function (h) {
        if (!(h && h.hebiRings)) {
          this._hebi = null;
          return Base.prototype._setLatLngs.call(this, h);
        }
        var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, at = 0;
        var off = this._hebiOff = new Int32Array(h.rings.length);
        h.rings.forEach(function (r, k) {
          off[k] = at; at += r.n;
          if (!r.n) return;
          if (r.x0 < x0) x0 = r.x0; if (r.x1 > x1) x1 = r.x1;
          if (r.y0 < y0) y0 = r.y0; if (r.y1 > y1) y1 = r.y1;
        });
        this._hebi = h;
        this._hebiLL = null;
        this._hebiM = null;  // every vertex in Mercator metres, filled ring by ring when seen
        this._hebiMOn = new Uint8Array(h.rings.length);
        this._hebiXY = null;
        this._bounds = new L.LatLngBounds();  // what Leaflet's, over every vertex, comes to
        if (x0 <= x1) {
          this._bounds.extend(new L.LatLng(y0 / 1e6, x0 / 1e6));
          this._bounds.extend(new L.LatLng(y1 / 1e6, x1 / 1e6));
        }
      },
      // Leaflet projects every vertex here: only each ring's box is projected; its vertices
      // are when the ring is first drawn at this zoom (window.hebiClip calls _hebiRingsIn).
      _project: function () {
        var map = this._map, crs = map.options.crs;
        SM = L.Projection.SphericalMercator;
        this._hebiBox = null;
        if (!this._hebi || crs.projection !== SM || !crs.transformation) {
          return Base.prototype._project.call(this);
        }
        var rings = this._hebi.rings, t = crs.transformation, s = crs.scale(map.getZoom());
        var o = map.getPixelOrigin(), nr = rings.length, bx = new Float64Array(4 * nr);
        var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
        for (var r = 0; r < nr; r++) {
          var b = box(rings[r]);
          var a = bx[4 * r] = Math.round(s * (t._a * b[0] + t._b)) - o.x;
          var c = bx[4 * r + 1] = Math.round(s * (t._c * b[3] + t._d)) - o.y;
          var d = bx[4 * r + 2] = Math.round(s * (t._a * b[2] + t._b)) - o.x;
          var e = bx[4 * r + 3] = Math.round(s * (t._c * b[1] + t._d)) - o.y;
          if (a < x0) x0 = a; if (d > x1) x1 = d; if (c < y0) y0 = c; if (e > y1) y1 = e;
        }
        this._hebiBox = bx;
        this._hebiAt = [s, o.x, o.y, t];
        // This zoom's layer points of every vertex (filled ring by ring: _hebiOn), the
        // simplified points of the rings drawn whole, and the point objects of the others.
        if (!this._hebiXY) {
          this._hebiXY = new Float64Array(nr ? 2 * (this._hebiOff[nr - 1] + rings[nr - 1].n) : 0);
        }
        this._hebiFrozen = false;
        this._hebiOn = new Uint8Array(nr);
        this._hebiS = new Array(nr);
        this._rings = rings.map(function () { return EMPTY; });
        if (this._bounds.isValid() && x0 <= x1) {
          this._rawPxBounds = new L.Bounds([x0, y0], [x1, y1]);
          this._updateBounds();
        }
      },
      // Give every ring in (or across) the box its layer points at this zoom (what
      // latLngToLayerPoint gives), as numbers, before the path is clipped to the box.
      _hebiRingsIn: function (x0, y0, x1, y1) {
        var bx = this._hebiBox, on = this._hebiOn, at = this._hebiAt;
        if (!bx) return;
        var rings = this._hebi.rings, off = this._hebiOff, xy = this._hebiXY;
        var m = this._hebiM || (this._hebiM = new Float64Array(xy.length)), mOn = this._hebiMOn;
        var s = at[0], ox = at[1], oy = at[2], t = at[3], a = t._a, b = t._b, c = t._c, d = t._d;
        var K = window.hebiKernel, todo = K ? [] : null;
        for (var r = 0; r < rings.length; r++) {
          if (on[r] || bx[4 * r + 2] < x0 || bx[4 * r] > x1 ||
              bx[4 * r + 3] < y0 || bx[4 * r + 1] > y1) continue;
          var g = rings[r], n = g.n, k = 2 * off[r], i, e = k + 2 * n;
          if (todo) {  // the same loops compiled (spatial.webmap_kernel), below: the same numbers
            todo.push(r);
            continue;
          }
          if (!mOn[r]) {  // once per page: a sine and a logarithm per vertex (as mx, my)
            var gx = g.xy, R = SM.R, max = SM.MAX_LATITUDE, lat, sin;
            for (i = 0; i < 2 * n; i += 2) {
              m[k + i] = R * (gx[i] / 1e6) * D;
              lat = gx[i + 1] / 1e6;
              sin = Math.sin((lat > max ? max : lat < -max ? -max : lat) * D);
              m[k + i + 1] = R * Math.log((1 + sin) / (1 - sin)) / 2;
            }
            mOn[r] = 1;
          }
          for (i = k; i < e; i += 2) {
            xy[i] = Math.round(s * (a * m[i] + b)) - ox;
            xy[i + 1] = Math.round(s * (c * m[i + 1] + d)) - oy;
          }
          on[r] = 1;
        }
        if (todo && todo.length) {
          K.project(todo, rings, off, m, mOn, xy, s, a, b, c, d, ox, oy);
          todo.forEach(function (q) { mOn[q] = 1; on[q] = 1; });
        }
      },
      // Ring r as point objects (a ring cut by the view's edge, a pointer over the path).
      _hebiPoints: function (r) {
        var ring = this._rings[r];
        if (ring !== EMPTY || !this._hebiOn[r]) return ring;
        var xy = this._hebiXY, o = this._hebiOff[r], n = this._hebi.rings[r].n;
        ring = new Array(n);
        for (var i = 0; i < n; i++) ring[i] = new L.Point(xy[2 * (o + i)], xy[2 * (o + i) + 1]);
        if (this._hebiFrozen) {  // a new array: whoever indexed the old one sees the change
          this._rings = this._rings.slice();
          this._hebiFrozen = false;
        }
        this._rings[r] = ring;
        return ring;
      },
      // Every ring projected at this zoom as point objects, as Leaflet's _rings are (the
      // pointer's feature: window.hebiPick, window.hebiShapes; Leaflet's own line clipping).
      _hebiRingsNow: function () {
        if (!this._hebiBox) return this._rings || [];
        for (var r = 0; r < this._rings.length; r++) this._hebiPoints(r);
        this._hebiFrozen = true;
        return this._rings;
      },
      // With the kernel, every ring drawn whole in the box [x0, y0, x1, y1] (projected: see
      // _hebiRingsIn) simplified in one call, for _hebiWhole to find.
      _hebiWholeIn: function (x0, y0, x1, y1) {
        var K = window.hebiKernel, tol = this.options.smoothFactor, bx = this._hebiBox;
        if (!K || !tol || !bx) return;
        var list = [], got = this._hebiS;
        for (var r = 0; r < got.length; r++) {
          if (this._hebiOn[r] && !(got[r] && got[r].tol === tol) && bx[4 * r] >= x0
              && bx[4 * r + 2] <= x1 && bx[4 * r + 1] >= y0 && bx[4 * r + 3] <= y1) list.push(r);
        }
        if (list.length) K.wholeMany(list, this._hebi.rings, this._hebiOff, this._hebiXY, tol, got);
      },
      // Ring r drawn whole, simplified as Leaflet would (kept until the next zoom).
      _hebiWhole: function (r) {
        var tol = this.options.smoothFactor, got = this._hebiS[r], K = tol && window.hebiKernel;
        if (!got || got.tol !== tol) {
          got = this._hebiS[r] = (K ? K.simplify : simplify)(
            this._hebiXY, this._hebiOff[r], this._hebi.rings[r].n, tol);
          got.tol = tol;
          got.hebiDone = true;
        }
        return got;
      },
      // Ring r cut to the box [x0, y0, x1, y1] (an area's ring across the view's edge) and
      // simplified, as Leaflet's clipPolygon and simplify give it; null when nothing is left.
      _hebiCut: function (r, box) {
        var tol = this.options.smoothFactor, K = tol && window.hebiKernel, out;
        if (K) {
          out = K.cut(this._hebiXY, this._hebiOff[r], this._hebi.rings[r].n, box, tol);
          if (out) out.hebiDone = true;
          return out;
        }
        var len = clip(this._hebiXY, this._hebiOff[r], this._hebi.rings[r].n, box);
        if (!len) return null;
        out = simplify(PX[0], 0, len, tol);
        out.hebiDone = true;
        return out;
      },
      _simplifyPoints: function () {
        var parts = this._parts, tol = this.options.smoothFactor;
        for (var i = 0; i < parts.length; i++) {
          if (!parts[i].hebiDone) parts[i] = L.LineUtil.simplify(parts[i], tol);
        }
      }
    });
    // L.LatLng objects only when asked for: the click highlight, getCenter, fitting a view.
    Object.defineProperty(C.prototype, "_latlngs", {
      configurable: true,
      get: function () {
        var h = this._hebi;
        if (h && !this._hebiLL) {
          var rings = h.rings.map(latlngs);
          this._hebiLL = h.shape.map(function (p) {
            return typeof p === "number" ? rings[p] : p.map(function (k) { return rings[k]; });
          });
        }
        return this._hebiLL;
      },
      set: function (v) { this._hebi = null; this._hebiLL = v; }
    });
    return C;
  }
  var Polygon = null, Polyline = null;
  // A polygon (filled) or polyline of hebiRing rings; shape as in _setLatLngs.
  window.hebiRingPath = function (filled, rings, shape, opts) {
    if (!Polygon) { Polygon = define(L.Polygon); Polyline = define(L.Polyline); }
    var h = {hebiRings: true, rings: rings, shape: shape};
    return filled ? new Polygon(h, opts) : new Polyline(h, opts);
  };
})();
"""
