"""The base map (controls only) and the basemap tiles overlay of the plan map.

The base map's JavaScript depends only on the language, the initial view and
the measuring tool, so ``st_folium`` never remounts the iframe; the basemap
tiles travel as an overlay (:func:`basemap_overlay`).
"""

from __future__ import annotations

import json
from typing import Any

import folium
import folium.plugins
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode

from spatial.basemaps import Basemap, get_basemap
from spatial.text import escape_text
from spatial.view import DEFAULT_CENTER, DEFAULT_ZOOM, MAX_ZOOM, MIN_ZOOM
from spatial.webmap_assets import VENDOR_URL, PlanMap, use_local_assets
from spatial.webmap_dash import DASH_JS
from spatial.webmap_dots import DOTS_JS
from spatial.webmap_kernel import KERNEL_JS
from spatial.webmap_labels import LABELS_JS
from spatial.webmap_rings import RINGS_JS

__all__ = ["basemap_overlay", "build_base_map"]

# --- base map controls ---------------------------------------------------------------------------

# WGS84 -> GCJ-02 forward formula (same constants as spatial.crs) and a fixed-point inverse, so the
# coordinate readout shows WGS84 even while the map is drawn in GCJ-02 on Gaode tiles.
_MAP_JS = """
window.hebiGcj02 = window.hebiGcj02 || false;
// What the first paint of the plan does not need (the measuring tool, the coordinate readout,
// the scale bar, the north arrow) is built just after it: a task queued from
// requestAnimationFrame runs once that frame is painted, so the plan shows first and the
// controls a frame later.
// One frame request for all of them (each request costs the page a little before its paint);
// they run in the order asked, and one that throws does not keep the others from running.
window.hebiAfterPaint = function (fn) {
  var self = window.hebiAfterPaint, queue = self.queue;
  if (queue) { queue.push(fn); return; }
  queue = self.queue = [fn];
  requestAnimationFrame(function () {
    setTimeout(function () {
      self.queue = null;
      queue.forEach(function (f) {
        try { f(); } catch (e) { setTimeout(function () { throw e; }, 0); }
      });
    }, 0);
  });
};
// Load script and style files (served by the app) once per page, then call fn when every one
// is in; not at all if one fails. The files of those controls load this way, after the first
// paint: listed with the page, they would be fetched and run before its first frame.
window.hebiLoad = function (urls, fn) {
  var all = window.hebiLoaded || (window.hebiLoaded = {}), left = urls.length, ok = true;
  function one(loaded) { ok = ok && loaded; if (--left === 0 && ok) fn(); }
  urls.forEach(function (url) {
    var f = all[url];
    if (!f) {
      var css = url.slice(-4) === ".css", el = document.createElement(css ? "link" : "script");
      f = all[url] = {state: null, wait: []};
      if (css) { el.rel = "stylesheet"; el.href = url; } else { el.src = url; }
      var done = function (e) {
        f.state = e.type === "load";
        f.wait.forEach(function (w) { w(f.state); });
        f.wait = [];
      };
      // Listeners, not on* properties: the office tests search what a browser receives for an
      // inline error handler (what hostile user text would carry), and the map's own code must
      // not contain one.
      el.addEventListener("load", done);
      el.addEventListener("error", done);
      document.head.appendChild(el);
    }
    if (f.state === null) f.wait.push(one); else one(f.state);
  });
};
window.hebiGcjToWgs = function (glon, glat) {
  var A = 6378245.0, EE = 0.00669342162296594323, PI = Math.PI;
  function fwd(lon, lat) {
    if (lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271) return [lon, lat];
    var x = lon - 105.0, y = lat - 35.0;
    var c = (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    var dlat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x)) + c;
    dlat += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    dlat += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
    var dlon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x)) + c;
    dlon += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    dlon += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
    var rad = lat / 180 * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dlat = (dlat * 180) / ((A * (1 - EE)) / (magic * sq) * PI);
    dlon = (dlon * 180) / (A / sq * Math.cos(rad) * PI);
    return [lon + dlon, lat + dlat];
  }
  var w = [glon, glat];
  for (var i = 0; i < 6; i++) {
    var f = fwd(w[0], w[1]);
    w = [w[0] - (f[0] - glon), w[1] - (f[1] - glat)];
  }
  return w;
};
// Decode the compact layers of spatial.webmap.layer_payload (coordinates delta-encoded at
// 1e-6 degree in 5-bit groups written with the base64url alphabet, tooltips assembled from
// pieces that were escaped on the server). A lookup table, not indexOf: this loop runs once per
// character of the payload, before anything is drawn.
// The integers of one encoded ring ([lon, lat] pairs in 1e-6 degree, as
// spatial.webmap_encode writes them) in a typed array: no object per vertex.
window.hebiInts = (function () {
  var A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var T = new Int8Array(128);
  for (var j = 0; j < 64; j++) T[A.charCodeAt(j)] = j;
  return function (s) {
    var out = new Int32Array(s.length + (s.length & 1)), i = 0, k = 0, x = 0, y = 0;
    var n = s.length, sh, res, b;
    while (i < n) {
      sh = 0; res = 0;
      do { b = T[s.charCodeAt(i++)]; res |= (b & 31) << sh; sh += 5; } while (b >= 32);
      x += (res & 1) ? ~(res >> 1) : (res >> 1);
      sh = 0; res = 0;
      do { b = T[s.charCodeAt(i++)]; res |= (b & 31) << sh; sh += 5; } while (b >= 32);
      y += (res & 1) ? ~(res >> 1) : (res >> 1);
      out[k++] = x; out[k++] = y;
    }
    return out.subarray(0, k);
  };
})();
// [lon, lat] pairs, or [lat, lon] (what Leaflet takes) when latFirst is true. (The lines and
// areas of hebiLayer stay typed arrays: spatial.webmap_rings.)
window.hebiDecode = function (s, latFirst) {
  var xy = window.hebiInts(s), n = xy.length >> 1, pts = new Array(n);
  for (var i = 0; i < n; i++) {
    var x = xy[2 * i] / 1e6, y = xy[2 * i + 1] / 1e6;
    pts[i] = latFirst ? [y, x] : [x, y];
  }
  return pts;
};
window.hebiGeometry = function (g) {
  var d = g[1], dec = function (s) { return window.hebiDecode(s, false); };  // not map's index
  switch (g[0]) {
    case 1: return {type: "Point", coordinates: dec(d)[0]};
    case 2: return {type: "LineString", coordinates: dec(d)};
    case 3: return {type: "Polygon", coordinates: d.map(dec)};
    case 4: return {type: "MultiPoint", coordinates: dec(d)};
    case 5: return {type: "MultiLineString", coordinates: d.map(dec)};
    case 6: return {type: "MultiPolygon", coordinates: d.map(function (p) { return p.map(dec); })};
    default: return d;
  }
};
// Feature i's tooltip HTML, or null. A layer's pieces come as one string (data.t: features
// split by "`", pieces by "'"; "$" for none, "{n" for the shared piece data.s[n], and the
// reference as its row number when data.r holds what goes around it; see
// spatial.webmap.decode_tooltips), split the first time a tooltip is asked for.
window.hebiTooltip = function (data, i) {
  if (!data.f[i][2]) return null;
  var all = data.tt || (data.tt = data.t.split("`")), t = all[i].split("'");
  for (var p = 0; p < t.length; p++) {
    if (t[p] === "$") t[p] = null;
    else if (p !== 1 && t[p].charAt(0) === "{") t[p] = data.s[+t[p].slice(1)];
  }
  if (data.r && t[1] !== null) t[1] = data.r[0] + t[1] + data.r[1];
  var html = "<b>" + t[0] + "</b>", v = 2;
  for (var j = 0; j < data.k.length; j++) {
    var value = data.c[j] !== null ? data.c[j] : t[v++];
    if (value === null) continue;
    html += data.k[j] ? '<br><span style="color:#666">' + data.k[j] + "</span> " + value
                      : "<br>" + value;
  }
  if (t[1] !== null) html += '<span style="display:none">' + t[1] + "</span>";
  return html;
};
// The feature of a merged path under a layer point: the last (topmost) one whose rings contain
// it, else the one with the nearest edge (a line, or a click on a polygon's outline).
window.hebiPick = function (layer, owners, filled, p) {
  var rings = layer._hebiRingsNow ? layer._hebiRingsNow() : layer._rings || [];
  var inside = {}, best = -1, near = -1, dMin = Infinity;
  for (var r = 0; r < rings.length; r++) {
    var ring = rings[r], o = owners[r], m = ring.length;
    for (var i = 0, j = m - 1; i < m; j = i++) {
      var a = ring[i], b = ring[j];
      if (filled && (a.y > p.y) !== (b.y > p.y) &&
          p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) inside[o] = !inside[o];
      if (!filled && i === 0) continue;  // a line does not close
      var d = L.LineUtil.pointToSegmentDistance(p, a, b);
      if (d <= dMin) { dMin = d; near = o; }
    }
  }
  for (var k in inside) if (inside[k] && +k > best) best = +k;
  return best >= 0 ? best : near;
};
// The pixel box [x0, y0, x1, y1] of a ring of layer points.
window.hebiRingBox = function (ring) {
  var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (var i = 0; i < ring.length; i++) {
    var p = ring[i];
    if (p.x < x0) x0 = p.x; if (p.x > x1) x1 = p.x;
    if (p.y < y0) y0 = p.y; if (p.y > y1) y1 = p.y;
  }
  return [x0, y0, x1, y1];
};
// Leaflet clips every ring of a path to the drawn area on each redraw (Sutherland-Hodgman,
// four passes and a new point per vertex), even a ring wholly inside it. A merged path holds
// hundreds of rings, nearly all inside at a city-wide view: those are kept as they are, those
// wholly outside are dropped, and only the rings across the edge are clipped, by Leaflet. The
// result is what Leaflet's own clipping gives.
window.hebiClip = function () {
  var polygon = this instanceof L.Polygon, clip = null, boxes = this._hebiBox, i;
  // Leaflet widens the bounds by the stroke width for polygons, not for lines.
  var b = this._renderer._bounds, w = polygon ? this.options.weight : 0;
  var x0 = b.min.x - w, y0 = b.min.y - w, x1 = b.max.x + w, y1 = b.max.y + w;
  this._parts = [];
  if (!this._pxBounds || !this._pxBounds.intersects(L.bounds([x0, y0], [x1, y1]))) return;
  // Rings kept as numbers (spatial.webmap_rings) are projected now, those in the box only; a
  // ring drawn whole comes simplified (_hebiWhole), an area's ring across the edge cut and
  // simplified (_hebiCut), both as Leaflet would give them.
  if (boxes) this._hebiRingsIn(x0, y0, x1, y1);
  if (this.options.noClip) {
    if (boxes) this._hebiRingsIn(-Infinity, -Infinity, Infinity, Infinity);
    this._parts = boxes ? this._hebiRingsNow() : this._rings;
    return;
  }
  var rings = this._rings, all = this._pxBounds;
  var whole = all.min.x >= x0 && all.max.x <= x1 && all.min.y >= y0 && all.max.y <= y1;
  // The rings drawn whole simplified in one go (a line across the edge is Leaflet's, below).
  if (boxes && (polygon || whole)) this._hebiWholeIn(x0, y0, x1, y1);
  if (whole) {
    // The whole path inside: every ring is kept as it is.
    for (i = 0; i < rings.length; i++) this._parts.push(boxes ? this._hebiWhole(i) : rings[i]);
    return;
  }
  for (i = 0; i < rings.length; i++) {
    var box = boxes || window.hebiRingBox(rings[i]), q = boxes ? 4 * i : 0;
    var a = box[q], c = box[q + 1], d = box[q + 2], e = box[q + 3];
    if (a >= x0 && d <= x1 && c >= y0 && e <= y1) {
      this._parts.push(boxes ? this._hebiWhole(i) : rings[i]);
    } else if (!(d < x0 || a > x1 || e < y0 || c > y1)) {
      if (!polygon) {  // a line across the edge: Leaflet clips the whole layer
        var K = boxes && this.options.smoothFactor && window.hebiKernel;
        if (K) {  // as Leaflet would, compiled (spatial.webmap_kernel)
          this._parts = K.lines(this._hebi.rings, this._hebiOff, this._hebiOn, this._hebiXY,
                                [x0, y0, x1, y1], this.options.smoothFactor);
          return;
        }
        if (boxes) this._hebiRingsNow();
        return Object.getPrototypeOf(this)._clipPoints.call(this);
      }
      var part = boxes ? this._hebiCut(i, [x0, y0, x1, y1])
        : L.PolyUtil.clipPolygon(rings[i], clip = clip || L.bounds([x0, y0], [x1, y1]), true);
      if (part && part.length) this._parts.push(part);
    }
  }
};
// A path's tooltip (html(): the feature the pointer last named, else its first) is bound just
// after the first paint: nobody can point at the plan before it shows, and binding a tooltip to
// each of a hundred paths (a tooltip object and its listeners each) delayed that paint.
window.hebiTipLater = function (layer, html) {
  window.hebiAfterPaint(function () {
    var h = html();
    if (h && !layer.getTooltip()) layer.bindTooltip(h, {sticky: true});
  });
};
// Draw one merged path: the features of a layer that share a style (data.m) or one feature.
// On a canvas (thousands of lines or areas: hebiLayer) the path is drawn by the map's shared
// canvas and answers the pointer from its own grid index (window.hebiShapes).
window.hebiPath = function (b, data, style, tip, group, canvas) {
  var filled = b.kind === "p", many = b.n > 1;
  var opts = many && filled ? L.extend({}, style, {fillRule: "nonzero"}) : style;
  if (canvas) opts = L.extend({}, opts, {smoothFactor: window.HEBI_SMOOTH});
  // The rings (window.hebiRing) in drawing order, the feature each draws, and the nesting
  // Leaflet's latlngs would have (areas: polygons of rings; lines: one ring each).
  var rings = [], ringOwner = [], shape = [];
  b.parts.forEach(function (part, k) {
    var poly = [];
    (filled ? part : [part]).forEach(function (r) {
      if (!r.n) return;
      poly.push(rings.length); rings.push(r); ringOwner.push(b.owners[k]);
    });
    if (filled && poly.length) shape.push(poly);
    else if (poly.length) shape.push(poly[0]);
  });
  var layer = window.hebiRingPath(filled, rings, shape, opts);
  layer._clipPoints = window.hebiClip;
  if (canvas) {
    window.hebiShapes(layer, b, tip, ringOwner);
    window.hebiTipLater(layer, function () { return tip(b.owners[0]); });
    layer.addTo(group);
    return;
  }
  // A long dashed outline is stroked in pieces (spatial.webmap_dash): far cheaper to raster.
  if (opts.dashArray) window.hebiDashPieces(layer);
  var shown = b.owners[0];
  if (many) {
    // One SVG path stands for many features: tooltips (and what st_folium reads on a click)
    // follow the feature under the pointer. Registered before the tooltip's own handlers, so
    // the content is right when it opens, and before st_folium's click handler.
    layer.on("mouseover mousemove click", function (e) {
      var i = window.hebiPick(this, ringOwner, filled, e.layerPoint);
      if (i >= 0 && i !== shown) { shown = i; var h = tip(i); if (h) this.setTooltipContent(h); }
    });
    // How many features the path draws (tests and benchmarks count drawn features).
    layer.on("add", function () { if (this._path) this._path.setAttribute("data-hebi-n", b.n); });
  }
  window.hebiTipLater(layer, function () { return tip(shown); });
  layer.addTo(group);
};
// A point marker: a circle, or the style's shape (unit vertices from layers.schema.MARKERS,
// scaled by the radius) drawn as a path, so shapes cost no more than circles.
window.hebiMarker = function (ll, style) {
  if (!(style && style.shape)) return L.circleMarker(ll, style);
  window.HebiShape = window.HebiShape || L.CircleMarker.extend({  // defined once Leaflet is here
    _updatePath: function () {
      var v = this.options.shape, p = this._point, r = this._radius, d = "";
      if (!this._renderer._setPath) return L.CircleMarker.prototype._updatePath.call(this);
      for (var i = 0; i < v.length; i++) {
        d += (i ? "L" : "M") + (p.x + v[i][0] * r).toFixed(2) + ","
          + (p.y + v[i][1] * r).toFixed(2);
      }
      this._renderer._setPath(this, d + "z");
    }
  });
  return new window.HebiShape(ll, style);
};
// Many points (thousands: an uploaded survey, a POI layer): drawn on the map's shared canvas
// instead of an SVG element per point, with one shared tooltip handler instead of a tooltip per
// point (bound to the point under the pointer on first hover, so a click still reports its
// text). Points that overlap at the current zoom are drawn as one cluster (a larger dot; its
// tooltip counts them, a click zooms in). Only what is in view (plus a margin) becomes a Leaflet
// marker, refreshed after each pan or zoom: the points themselves stay plain numbers, so a
// hundred thousand of them cost neither a marker each nor a long block of the page.
window.HEBI_MANY_POINTS = 2000;
window.hebiManyPoints = function (dots, styles, tip, group) {
  var n = dots.length, lat = new Float64Array(n), lng = new Float64Array(n);
  var owner = new Int32Array(n), sty = new Int32Array(n), mx = new Float64Array(n);
  var my = new Float64Array(n), projected = null, renderer = null, map = null, CELL = 28;
  var shown = new Map(), singles = new Map();
  dots.forEach(function (m, j) {
    lat[j] = m[0][0]; lng[j] = m[0][1]; owner[j] = m[1]; sty[j] = m[3];
  });
  var first = n ? styles[sty[0]] || {} : {};
  function clusterTip(k) {
    return "<b>" + k + "</b> 个要素 / features";
  }
  // Web-mercator pixels at zoom z: what map.project returns (Leaflet's EPSG:3857), without
  // creating two objects per point.
  function project(z) {
    if (projected === z) return;
    var size = 256 * Math.pow(2, z), D = Math.PI / 180, MAX = 85.0511287798;
    for (var j = 0; j < n; j++) {
      var sn = Math.sin(Math.max(-MAX, Math.min(MAX, lat[j])) * D);
      mx[j] = size * (lng[j] / 360 + 0.5);
      my[j] = size * (0.5 - Math.log((1 + sn) / (1 - sn)) / (4 * Math.PI));
    }
    projected = z;
  }
  function single(j) {
    var mk = singles.get(j);
    if (!mk) {
      mk = window.hebiMarker([lat[j], lng[j]], L.extend({}, styles[sty[j]], {renderer: renderer}));
      mk._hebiI = owner[j];
      singles.set(j, mk);
    }
    return mk;
  }
  function draw() {
    if (!map) return;
    var r = window.hebiCanvasFor(map, first.pane || "overlayPane");
    if (r !== renderer) {  // another map or pane: start afresh
      shown.forEach(function (l) { group.removeLayer(l); });
      shown = new Map(); singles = new Map(); renderer = r;
    }
    var z = map.getZoom(), b = map.getPixelBounds(), lone = z >= map.getMaxZoom() - 2;
    var w = (b.max.x - b.min.x) * 0.3, h = (b.max.y - b.min.y) * 0.3;
    var x0 = b.min.x - w, x1 = b.max.x + w, y0 = b.min.y - h, y1 = b.max.y + h;
    var cells = new Map(), want = new Map();
    project(z);
    for (var j = 0; j < n; j++) {
      var x = mx[j], y = my[j];
      if (x < x0 || x > x1 || y < y0 || y > y1) continue;
      if (lone) { want.set("p" + j, [j]); continue; }
      var k = Math.floor(x / CELL) + ":" + Math.floor(y / CELL), c = cells.get(k);
      if (!c) cells.set(k, c = []);
      c.push(j);
    }
    cells.forEach(function (members, k) {
      want.set(members.length > 1 ? "c" + z + ":" + k + ":" + members.length : "p" + members[0],
               members);
    });
    shown.forEach(function (l, key) {
      if (!want.has(key)) { group.removeLayer(l); shown.delete(key); }
    });
    want.forEach(function (members, key) {
      if (shown.has(key)) return;
      var layer;
      if (members.length === 1) {
        layer = single(members[0]);
      } else {
        var la = 0, ln = 0;
        members.forEach(function (j) { la += lat[j]; ln += lng[j]; });
        var st = styles[sty[members[0]]] || {};
        layer = L.circleMarker([la / members.length, ln / members.length], L.extend({}, st, {
          renderer: renderer, shape: null,
          radius: Math.min(18, (st.radius || 5) + 2 * Math.log(members.length) / Math.LN2)
        }));
        layer._hebiCount = members.length;
      }
      shown.set(key, layer);
      group.addLayer(layer);
    });
  }
  group.on("mouseover click", function (e) {
    var mk = e.layer;
    if (!mk) return;
    if (mk._hebiCount && e.type === "click" && map) {
      map.setView(e.latlng, Math.min(map.getZoom() + 2, map.getMaxZoom()));
      return;
    }
    if (!mk._tooltip) {
      var h = mk._hebiCount ? clusterTip(mk._hebiCount) : tip(mk._hebiI);
      if (!h) return;
      mk.bindTooltip(h, {sticky: true});
      if (e.type === "mouseover") mk.openTooltip(e.latlng);
    }
  });
  // How many points the canvas draws (tests and benchmarks count drawn features).
  function count(by) {
    renderer._hebiPoints = (renderer._hebiPoints || 0) + by;
    renderer._container.setAttribute("data-hebi-points", renderer._hebiPoints);
  }
  function start() {
    map = group._map; map.on("moveend", draw); draw(); count(n);
  }
  // Events of the group's own layers reach it too (with e.layer): only its own count here.
  group.on("add", function (e) { if (!e.layer && group._map) start(); });
  group.on("remove", function (e) {
    if (e.layer) return;
    if (map) { map.off("moveend", draw); count(-n); }
    map = null;
  });
  if (group._map) start();
};
// One canvas per map and pane for every big point, line and polygon layer (Leaflet's
// preferCanvas, but only for them): the plan's own layers stay SVG paths (labels, tests and
// highlight read them). Leaflet stacks a pane's SVG above its canvas and lets pointer events
// through the SVG except on its paths, so the plan's features stay clickable over a canvas.
window.HEBI_MANY_SHAPES = 1000;
// Leaflet simplifies every path per zoom in screen pixels (Douglas-Peucker, this tolerance):
// at a city-wide zoom a block of a few metres is drawn from two or three points.
window.HEBI_SMOOTH = 1.5;
window.HEBI_CHUNK = 100;
window.hebiCanvasFor = function (map, pane) {
  var all = map._hebiCanvas || (map._hebiCanvas = {}), r = all[pane];
  if (!r) {
    r = all[pane] = L.canvas({pane: pane, padding: 0.3, tolerance: 2});
    r._hebiShapes = 0;
  }
  if (!map.hasLayer(r)) map.addLayer(r);
  return r;
};
// Which feature of a merged canvas path is under a layer point: the topmost area containing it,
// else the nearest line or outline within the click tolerance; -1 for none. A grid of the
// rings' boxes (built once per zoom, on the first pointer event) keeps this independent of the
// layer's size; the last answer is kept, since the renderer and the tooltip handler both ask
// about the same point.
window.hebiShapes = function (layer, b, tip, owners) {
  var filled = b.kind === "p", CELL = 64, PAD = 16, idx = null, last = null;
  function index(rings) {
    var cells = new Map(), big = [];
    for (var r = 0; r < rings.length; r++) {
      var ring = rings[r], box = window.hebiRingBox(ring);
      if (!ring.length) continue;
      var x0 = box[0], y0 = box[1], x1 = box[2], y1 = box[3];
      var cx0 = Math.floor((x0 - PAD) / CELL), cx1 = Math.floor((x1 + PAD) / CELL);
      var cy0 = Math.floor((y0 - PAD) / CELL), cy1 = Math.floor((y1 + PAD) / CELL);
      if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > 256) { big.push(r); continue; }
      for (var cx = cx0; cx <= cx1; cx++) {
        for (var cy = cy0; cy <= cy1; cy++) {
          var key = cx + ":" + cy, list = cells.get(key);
          if (!list) cells.set(key, list = []);
          list.push(r);
        }
      }
    }
    return {rings: rings, cells: cells, big: big};
  }
  function hit(p) {
    var rings = layer._hebiRingsNow ? layer._hebiRingsNow() : layer._rings || [];
    if (last && last.rings === rings && last.x === p.x && last.y === p.y) return last.i;
    if (!idx || idx.rings !== rings) idx = index(rings);
    var list = idx.cells.get(Math.floor(p.x / CELL) + ":" + Math.floor(p.y / CELL)) || [];
    var tol = Math.min(PAD, layer._clickTolerance()), inside = {}, best = -1, near = -1;
    var dMin = tol;
    list.concat(idx.big).forEach(function (r) {
      var ring = rings[r], o = owners[r], m = ring.length;
      for (var i = 0, j = m - 1; i < m; j = i++) {
        var a = ring[i], c = ring[j];
        if (filled && (a.y > p.y) !== (c.y > p.y) &&
            p.x < (c.x - a.x) * (p.y - a.y) / (c.y - a.y) + a.x) inside[o] = !inside[o];
        if (!filled && i === 0) continue;  // a line does not close
        var d = L.LineUtil.pointToSegmentDistance(p, a, c);
        if (d <= dMin) { dMin = d; near = o; }
      }
    });
    for (var k in inside) if (inside[k] && +k > best) best = +k;
    last = {rings: rings, x: p.x, y: p.y, i: best >= 0 ? best : near};
    return last.i;
  }
  layer._containsPoint = function (p) {
    return !!this._pxBounds && this._pxBounds.contains(p) && hit(p) >= 0;
  };
  layer.beforeAdd = function (map) {
    this._renderer = window.hebiCanvasFor(map, this.options.pane || "overlayPane");
  };
  var shown = b.owners[0];
  // Registered before the tooltip's own handlers and st_folium's click handler: the tooltip,
  // and what a click reports, name the feature under the pointer.
  layer.on("mouseover mousemove click", function (e) {
    var i = hit(e.layerPoint);
    if (i >= 0 && i !== shown) { shown = i; var h = tip(i); if (h) this.setTooltipContent(h); }
  });
  // How many features the canvas draws (tests and benchmarks count drawn features).
  function count(by) {
    var r = layer._renderer;
    if (!r || !r._container) return;
    r._hebiShapes = (r._hebiShapes || 0) + by;
    r._container.setAttribute("data-hebi-shapes", r._hebiShapes);
  }
  layer.on("add", function () { count(b.n); });
  layer.on("remove", function () { count(-b.n); });
  layer._hebiOwnerAt = hit;
};
window.hebiLayer = function (data, styles, group) {
  var dec = window.hebiDecode, keys = [], paths = {}, dots = [];
  var others = [];
  var tip = function (i) { return window.hebiTooltip(data, i); };
  // Lines and rings stay numbers (spatial.webmap_rings): merged areas are filled "nonzero",
  // so every outer ring turns one way and every hole the other.
  var ring = function (r, k) {
    return window.hebiRing(r, true, data.m || canvas ? (k === 0 ? 1 : -1) : 0);
  };
  var line = function (l) { return window.hebiRing(l, false, 0); };
  var start = function (r) {  // a ring's first vertex (canvas cells)
    return r && r.n ? {lat: r.xy[1] / 1e6, lng: r.xy[0] / 1e6} : {lat: 0, lng: 0};
  };
  // Thousands of lines or areas: merged per style and drawn on the map's shared canvas.
  var shapes = 0;
  data.f.forEach(function (f) { var c = f[0][0]; if (c === 2 || c === 3 || c > 4) shapes++; });
  var canvas = shapes > window.HEBI_MANY_SHAPES;
  // On the canvas, a path holds at most HEBI_CHUNK features of one ~1 km cell (of its first
  // vertex): a canvas fills a hundred small paths far faster than one path of ten thousand
  // rings, and a path off screen is neither clipped nor drawn nor hit-tested.
  var cells = {};
  var path = function (kind, f, i, ll) {
    // Merged per style (and tooltip or not) when the payload asks for it, else one per feature.
    var key = data.m || canvas ? kind + f[1] + (f[2] ? "t" : "n") : kind + i;
    if (canvas) {
      key += "@" + Math.floor(ll.lat * 100) + ":" + Math.floor(ll.lng * 100);
      cells[key] = (cells[key] || 0) + 1;
      key += "#" + Math.floor((cells[key] - 1) / window.HEBI_CHUNK);
    }
    if (!paths[key]) {
      paths[key] = {kind: kind, s: f[1], parts: [], owners: [], n: 0};
      keys.push(key);
    }
    paths[key].n++;
    return paths[key];
  };
  data.f.forEach(function (f, i) {
    var c = f[0][0], d = f[0][1], s = f[1], b;
    if (c === 1 || c === 4) {
      dec(d, true).forEach(function (ll, k) {
        if (c === 1 && k > 0) return;
        dots.push([ll, i, k > 0, s]);
      });
    } else if (c === 2 || c === 5) {
      var ls = (c === 2 ? [d] : d).map(line);
      b = path("l", f, i, start(ls[0]));
      ls.forEach(function (l) { b.parts.push(l); b.owners.push(i); });
    } else if (c === 3 || c === 6) {
      var ps = (c === 3 ? [d] : d).map(function (p) { return p.map(ring); });
      b = path("p", f, i, start(ps[0] && ps[0][0]));
      ps.forEach(function (p) { b.parts.push(p); b.owners.push(i); });
    } else {  // anything else (e.g. a GeometryCollection) arrives as GeoJSON
      others.push([L.geoJSON(d, {style: styles[s], pointToLayer: function (g, ll) {
        return L.circleMarker(ll, styles[s]); }}), i]);
    }
  });
  keys.forEach(function (k) {
    window.hebiPath(paths[k], data, styles[paths[k].s], tip, group, canvas);
  });
  others.forEach(function (m) {
    var h = tip(m[1]);
    if (h) m[0].bindTooltip(h, {sticky: true});
    m[0].addTo(group);
  });
  // Points last, so they stay clickable above the lines and areas of their layer.
  if (dots.length > window.HEBI_MANY_POINTS) {
    window.hebiManyPoints(dots, styles, tip, group);
    return;
  }
  if (data.m) {  // a plan layer: its points merged per style
    window.hebiDots(dots, styles, tip, group, data);
    return;
  }
  dots.forEach(function (m) {
    var mk = window.hebiMarker(m[0], styles[m[3]]), h = tip(m[1]);
    if (h) mk.bindTooltip(h, {sticky: true});
    // A multipoint's extra markers draw the same feature: counted once.
    if (m[2]) {
      mk.on("add", function () { if (this._path) this._path.setAttribute("data-hebi-n", 0); });
    }
    mk.addTo(group);
  });
};
"""


class _MapCode(MacroElement):
    """A constant piece of JavaScript run with the map; ``__MAP__`` stands for the map variable.

    Only code written here goes in: never user text.
    """

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this.code|replace('__MAP__', this._parent.get_name()) }}"
        "{% endmacro %}"
    )

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "MapCode"
        self.code = _compact_js(code)


def _compact_js(code: str) -> str:
    """The code without its comment lines, indentation and blank lines.

    The map's own JavaScript is written to be read (a third of it is comments); the page
    carries it without them: fewer bytes for the browser to load, decode and scan before its
    first paint. Only whole-line ``//`` comments go, so no code can change meaning (the code
    has no multi-line strings).
    """
    lines = (line.strip() for line in code.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


# Plain "Leaflet" credit (no flag icon, no outside link) before the providers' credits.
_ATTRIBUTION_JS = '__MAP__.attributionControl.setPrefix("Leaflet");'
# Leaflet's scale bar, metric only (Chinese plans use metres and kilometres). Built just after
# the first paint: the plan does not wait for its layout.
_SCALE_JS = (
    "window.hebiAfterPaint(function () {"
    ' L.control.scale({position: "bottomleft", metric: true, imperial: false, maxWidth: 160})'
    ".addTo(__MAP__); });"
)


# The map fills its frame and follows it: the page sizes the frame to the window (CSS), and
# Leaflet must be told when its container changes size.
_FIT_JS = """
(function (m) {
  function fit() {
    var c = m.getContainer(), h = window.innerHeight;
    if (h > 200 && Math.abs(c.offsetHeight - h) > 1) {
      c.style.height = h + "px";
      m.invalidateSize();  // keeps the centre where it was
    }
  }
  window.addEventListener("resize", fit);
  setTimeout(fit, 0);
})(__MAP__);
"""


# The view without waiting on the server. After every pan or zoom the map writes its centre, zoom
# and extent into the page's URL (same origin, history.replaceState: no reload, no rerun), and
# writes them again whenever the page rewrites its URL, so a copied link always reopens what is
# shown. The server hears of the view only when it needs it: a click on the map, or the
# planner's first press elsewhere on the page after moving the map (出图, a layer, the basemap),
# when the map reports centre/zoom/bounds (with the last click) as st_folium's value, once.
_VIEW_URL_JS = """
(function (m) {
  var dirty = false, latest = null;
  function num(v) { return String(+v.toFixed(6)); }
  function query() {
    var c = m.getCenter(), b = m.getBounds();
    return {lat: num(c.lat), lon: num(c.lng), zoom: String(Math.round(m.getZoom())),
            bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(num).join(",")};
  }
  function write() {
    try {
      var w = window.parent;
      if (!w || w === window || !latest) return;
      var loc = w.location, q = new URLSearchParams(loc.search), same = true;
      for (var k in latest) {
        if (q.get(k) !== latest[k]) { q.set(k, latest[k]); same = false; }
      }
      if (!same) {
        w.history.replaceState(w.history.state, "", loc.pathname + "?" + q.toString() + loc.hash);
      }
    } catch (e) { /* another origin: the view then stays in the map only */ }
  }
  function report() {
    if (!dirty) return;
    dirty = false;
    var c = m.getCenter(), b = m.getBounds(), g = window.__GLOBAL_DATA__ || {};
    var value = {
      last_object_clicked: g.last_object_clicked || null,
      last_object_clicked_tooltip: g.last_object_clicked_tooltip || null,
      center: {lat: c.lat, lng: c.lng}, zoom: m.getZoom(),
      bounds: {_southWest: {lat: b.getSouth(), lng: b.getWest()},
               _northEast: {lat: b.getNorth(), lng: b.getEast()}}
    };
    window.parent.postMessage({isStreamlitMessage: true, type: "streamlit:setComponentValue",
                               value: value, dataType: "json"}, "*");
  }
  m.on("moveend", function () { latest = query(); dirty = true; write(); });
  // A click after a move: st_folium reports the click (after its 250 ms debounce) without the
  // view; the view follows once, so the server measures "what is here" at the zoom shown.
  m.on("click", function () { if (dirty) setTimeout(report, 400); });
  try {
    window.parent.document.addEventListener("pointerdown", report, true);
  } catch (e) { /* another origin */ }
  setInterval(write, 700);  // the page rewrites its URL after each run: keep the view in it
})(__MAP__);
"""


class _NorthArrow(MacroElement):
    """A north arrow control (the web map is never rotated, so north is up).

    Built just after the first paint: its "北" is the only Chinese text of that
    frame, and the first Chinese glyph costs a font lookup that the plan need
    not wait for. It still goes right below the zoom buttons, above any
    top-left control added since (the markup tools).
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (m) { window.hebiAfterPaint(function () {
          var ctl = L.control({position: "topleft"});
          ctl.onAdd = function () {
            var div = L.DomUtil.create("div", "leaflet-bar hebi-north-arrow");
            div.style.cssText = "background:#fff;width:34px;padding:2px 0;text-align:center;"
              + "font:bold 12px sans-serif;line-height:13px;";
            div.title = {{ this.title|tojson }};
            div.innerHTML = '<svg width="22" height="26" viewBox="0 0 22 26" aria-hidden="true">'
              + '<polygon points="11,1 19,24 11,18" fill="#222"/>'
              + '<polygon points="11,1 3,24 11,18" fill="#fff" stroke="#222" stroke-width="1"/>'
              + '</svg><div>' + {{ this.label|tojson }} + '</div>';
            return div;
          };
          ctl.addTo(m);
          var zoom = m.zoomControl && m.zoomControl.getContainer(), el = ctl.getContainer();
          if (zoom && zoom.parentNode === el.parentNode) {
            el.parentNode.insertBefore(el, zoom.nextSibling);
          }
        }); })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, lang: str) -> None:
        super().__init__()
        self._name = "NorthArrow"
        self.label = escape_text("N" if lang == "en" else "北")
        self.title = escape_text("North" if lang == "en" else "指北针")


class _LoadedAfterPaint:
    """A folium control whose JS/CSS load only after the first paint (``late_assets``).

    No file is listed with the page, so neither the standalone page nor
    ``st_folium`` (which loads every listed file before the map's script)
    fetches or runs them before the first frame: the control's template loads
    them (``hebiLoad`` from ``hebiAfterPaint``) and then builds the control.
    """

    # folium keeps these as plain list attributes; the files travel in late_assets instead.
    default_js: list[tuple[str, str]] = []  # noqa: RUF012
    default_css: list[tuple[str, str]] = []  # noqa: RUF012

    def __init__(self, assets: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.late_assets = assets  # read by spatial.webmap_assets.after_paint_assets


class _MeasureAfterPaint(_LoadedAfterPaint, folium.plugins.MeasureControl):
    """folium's measuring tool (a large bundle), loaded and built just after the first paint."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.hebiAfterPaint(function () {
          window.hebiLoad({{ this.late_assets|tojson }}, function () {
            // The files take a moment: the map may have been removed meanwhile.
            if (!{{ this._parent.get_name() }}._controlCorners) return;
            var {{ this.get_name() }} = new L.Control.Measure(
                {{ this.options|tojavascript }});
            {{this._parent.get_name()}}.addControl({{this.get_name()}});

            // Workaround for using this plugin with Leaflet>=1.8.0
            // https://github.com/ljagis/leaflet-measure/issues/171
            L.Control.Measure.include({
                _setCaptureMarkerIcon: function () {
                    // disable autopan
                    this._captureMarker.options.autoPanOnFocus = false;
                    // default function
                    this._captureMarker.setIcon(
                        L.divIcon({
                            iconSize: this._map.getSize().multiplyBy(2)
                        })
                    );
                },
            });
        }); });
        {% endmacro %}
        """
    )


class _MousePositionAfterPaint(_LoadedAfterPaint, folium.plugins.MousePosition):
    """folium's coordinate readout, loaded and built just after the plan's first paint."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.hebiAfterPaint(function () {
          window.hebiLoad({{ this.late_assets|tojson }}, function () {
            // The files take a moment: the map may have been removed meanwhile.
            if (!{{ this._parent.get_name() }}._controlCorners) return;
            var {{ this.get_name() }} = new L.Control.MousePosition(
                {{ this.options|tojavascript }}
            );
            {{ this.get_name() }}.options["latFormatter"] =
                {{ this.lat_formatter }};
            {{ this.get_name() }}.options["lngFormatter"] =
                {{ this.lng_formatter }};
            {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        }); });
        {% endmacro %}
    """
    )


def _measure_control(lang: str, prefix: str) -> folium.plugins.MeasureControl:
    """Distance/area measuring (leaflet-measure 3.1, Chinese build), with 亩 for areas."""
    # The English build where the UI is English.
    build = "en" if lang == "en" else "cn"
    return _MeasureAfterPaint(
        [f"{prefix}leaflet-measure/leaflet-measure.css",
         f"{prefix}leaflet-measure/leaflet-measure.{build}.js"],
        position="topright",
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="sqmeters",
        secondary_area_unit="hectares" if lang == "en" else "mu",
        units={"mu": {"factor": 1.0 / (10000.0 / 15.0), "display": "亩", "decimals": 1}},
    )


def _mouse_position(lang: str, prefix: str) -> folium.plugins.MousePosition:
    lon_label = "Lon" if lang == "en" else "经度"
    lat_label = "Lat" if lang == "en" else "纬度"
    formatter = JsCode(
        "function (lng, lat) {"
        " var p = window.hebiGcj02 ? window.hebiGcjToWgs(lng, lat) : [lng, lat];"
        f" return {json.dumps(escape_text(lon_label))} + ' ' + p[0].toFixed(6) + '&nbsp; '"
        f" + {json.dumps(escape_text(lat_label))} + ' ' + p[1].toFixed(6) + ' (WGS84)'; }}"
    )
    return _MousePositionAfterPaint(
        [f"{prefix}mouse-position/L.Control.MousePosition.css",
         f"{prefix}mouse-position/L.Control.MousePosition.js"],
        position="bottomright",
        empty_string=escape_text("移动鼠标查看坐标" if lang == "zh" else "Move the mouse"),
        formatter=formatter,
    )


def build_base_map(
    lang: str = "zh",
    *,
    center: tuple[float, float] = DEFAULT_CENTER,
    zoom: int = DEFAULT_ZOOM,
    asset_prefix: str = VENDOR_URL,
    measure: bool = True,
    icons: bool = False,
    view_in_url: bool = False,
) -> folium.Map:
    """Return the base map: controls only, no tiles and no data.

    Its JavaScript depends only on ``lang``, ``center``, ``zoom`` and
    ``measure``. In Streamlit keep the defaults for ``center``/``zoom`` and
    pass the view's centre and zoom to ``st_folium(center=..., zoom=...)``:
    then neither panning, nor ticking layers, nor switching the basemap ever
    changes this JavaScript, so the map iframe is never remounted.

    Parameters
    ----------
    lang : str
        ``"zh"`` or ``"en"`` (control labels, measure-tool language).
    center, zoom : optional
        Initial view, ``(lat, lon)`` and zoom (standalone HTML and exports).
    asset_prefix : str
        Where the vendored JS/CSS are served (see :func:`use_local_assets`).
    measure : bool
        Include the distance/area measuring tool.
    icons : bool
        Also load what folium's ``Marker``/``Icon`` need (jQuery, Bootstrap,
        awesome-markers, Font Awesome, glyphicons); only for a page that
        puts icon markers on the map.
    view_in_url : bool
        Write the map's centre, zoom and extent into the page URL after each
        pan or zoom, in the browser alone (the plan page, whose URL is its view).

    Returns
    -------
    folium.Map
        With metric scale bar, north arrow, WGS84 coordinate readout and the
        measuring tool.
    """
    use_local_assets(asset_prefix)
    m = (folium.Map if icons else PlanMap)(
        location=[center[0], center[1]],
        zoom_start=zoom,
        tiles=None,
        control_scale=False,
        min_zoom=MIN_ZOOM,
        max_zoom=MAX_ZOOM,
        zoom_control=True,
    )
    for code in (_MAP_JS, KERNEL_JS, RINGS_JS, DASH_JS, DOTS_JS, LABELS_JS, _ATTRIBUTION_JS,
                 _SCALE_JS, _FIT_JS):
        _MapCode(code).add_to(m)
    if view_in_url:
        _MapCode(_VIEW_URL_JS).add_to(m)
    _NorthArrow(lang).add_to(m)
    _mouse_position(lang, asset_prefix).add_to(m)
    if measure:
        _measure_control(lang, asset_prefix).add_to(m)
    return m



class _BasemapState(MacroElement):
    """Tell the map which basemap is on, and say so on the map when its tiles fail.

    Sets the GCJ-02 flag for the readout and the paper colour when there are
    no tiles. Without a network a tile basemap would silently go grey: the
    first tile error shows a bilingual notice on the map (removed with the
    basemap), so the planner knows why and can pick "no basemap".
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (group) {
          var notice = null;
          window.hebiGcj02 = {{ this.gcj02|tojson }};
          function clear() { if (notice) { notice.remove(); notice = null; } }
          group.eachLayer(function (layer) {
            if (!layer.on || !(layer instanceof L.TileLayer)) return;
            layer.on("tileerror", function () {
              var map = group._map;
              if (notice || !map) return;
              notice = L.control({position: "topright"});
              notice.onAdd = function () {
                var div = L.DomUtil.create("div", "leaflet-bar hebi-tile-notice");
                div.setAttribute("role", "status");
                div.style.cssText = "background:#fff8e1;border:1px solid #e0b252;padding:4px 8px;"
                  + "max-width:260px;font:12px/1.4 sans-serif;color:#5d4037;";
                div.innerHTML = {{ this.notice|tojson }};
                return div;
              };
              notice.addTo(map);
            });
          });
          group.on("add", function (e) {
            if (e.layer) return;  // one of its tile layers, not the group
            window.hebiGcj02 = {{ this.gcj02|tojson }};
            if (e.target._map) {
              e.target._map.getContainer().style.background = {{ this.background|tojson }};
            }
          });
          group.on("remove", function (e) { if (!e.layer) clear(); });
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, gcj02: bool, background: str) -> None:
        super().__init__()
        self._name = "BasemapState"
        self.gcj02 = bool(gcj02)
        self.background = background
        self.notice = (
            escape_text("底图瓦片无法加载（网络不可用？），规划图层照常显示；可改选“无底图（离线）”。")
            + "<br>"
            + escape_text("Basemap tiles cannot be loaded (no network?); the plan layers are "
                          "still shown. Choose “No basemap (offline)”.")
        )


def basemap_overlay(
    basemap: Basemap | str, *, key: str | None = None, lang: str = "zh"
) -> folium.FeatureGroup:
    """Return the basemap tiles as a feature group (empty for "none").

    Keeping the tiles out of the base map means switching the basemap does
    not remount the iframe. The group also tells the coordinate readout
    whether the map is in GCJ-02.

    Parameters
    ----------
    basemap : Basemap or str
        The provider or its id.
    key : str, optional
        天地图 key (:func:`spatial.basemaps.tianditu_key`); without it a
        天地图 basemap draws no tiles.
    lang : str
        ``"en"`` uses English label layers where the provider has them.
    """
    bm = get_basemap(basemap) if isinstance(basemap, str) else basemap
    fg = folium.FeatureGroup(name=escape_text(bm.title(lang)), control=False)
    attribution = escape_text(bm.attribution)
    if bm.review_no:
        attribution += " " + escape_text(bm.review_no)
    for src in bm.tiles(key, lang):
        folium.TileLayer(
            tiles=src.url,
            attr=attribution,  # Leaflet shows a repeated credit once
            name=escape_text(bm.title(lang)),
            subdomains=src.subdomains or "abc",
            max_native_zoom=src.max_zoom,
            max_zoom=MAX_ZOOM,
            overlay=src.overlay,
            control=False,
        ).add_to(fg)
    # Without tiles the plan is drawn on a light paper colour rather than Leaflet's grey.
    _BasemapState(bm.gcj02, "#f7f6f2" if not bm.sources else "#dddddd").add_to(fg)
    return fg


