"""The plan map's small point layers, drawn merged per style (:data:`DOTS_JS`).

A plan layer's points (facilities, nodes, reference anchors …) were each an
SVG ``L.circleMarker`` (or a shape marker, ``window.hebiMarker``) with its
own tooltip and listeners: some 190 elements, tooltips and focus listeners
built before the first paint. A merged layer (``spatial.webmap.layer_payload``
with ``merge=True``: every catalogue layer) now draws all the points that
share a style as ONE Leaflet layer (``window.HebiDots``): circles as two half
arcs each, as Leaflet draws a circle marker, shapes from the style's unit
vertices scaled by the radius, as ``hebiMarker`` draws them; the outline is
rebuilt from the projected points on each redraw (points off the drawn area
are left out, as Leaflet leaves out a marker). On SVG the layer writes one
path element per cell of 256 world pixels at the current zoom
(``HEBI_DOT_PX``, a raster tile: a browser rasterises a path again in every
tile its box touches), so a style's points strewn over the plan are not one
path drawn in every tile. One shared tooltip names the
point under the pointer and a click reports it (``hebiDotAt``: the topmost
point whose marker, stroke included, holds the pointer, else the nearest
within a few pixels of its outline); the click highlight asks the path which
point it was (``hebiHighlight``, used by ``spatial.map_overlays``). Each path
says how many features it draws in ``data-hebi-n`` (the layer's own path also
those off the drawn area, ``data-hebi-off`` of them).

Overlapping markers of one style fill once ("nonzero"), and every outline of
a path is stroked over every fill of it. A layer not drawn merged, and a
layer of thousands of points (``window.hebiManyPoints``, on a canvas), keep
their markers.
"""

from __future__ import annotations

__all__ = ["DOTS_JS"]

DOTS_JS = r"""
// The small point layers of the plan (a payload drawn merged, data.m): all the points of a
// layer that share a style, as ONE path (circles as two arcs each, shapes from the style's unit
// vertices scaled by the radius) rebuilt from the projected points on each redraw, instead of an
// SVG element, a tooltip and its listeners per point. One shared tooltip names the point under
// the pointer, and a click reports it (hebiDotAt: the topmost point whose marker holds the
// pointer, else the nearest within a few pixels). What a point marker looked like is kept: the
// same outline, radius and dash (SVG restarts a dash on each subpath, as on each marker).
window.hebiDotClass = function () {
  if (window.HebiDots) return window.HebiDots;
  var NEAR = 3;  // pixels beyond a marker's outline that still pick it
  window.HebiDots = L.Path.extend({
    // Overlapping markers of one path fill once ("nonzero"; every outline turns the same way).
    options: {fill: true, radius: 10, fillRule: "nonzero"},
    // counted: whether each point is a feature of its own (a multipoint's extra points are
    // not), for the count each SVG path reports.
    initialize: function (lls, options, counted) {
      L.setOptions(this, options);
      this._lls = lls;
      this._pts = [];
      this._counted = counted || null;
      this._pieces = [];  // the SVG paths of cells 2, 3, ... at this zoom (see _updatePath)
      this._used = 0;
      var v = this.options.shape, ext = 1;
      if (v) {
        ext = 0;
        for (var i = 0; i < v.length; i++) {
          ext = Math.max(ext, Math.abs(v[i][0]), Math.abs(v[i][1]));
        }
      }
      this._ext = ext;  // how far the shape reaches, in radii
    },
    getLatLngs: function () { return this._lls; },
    getBounds: function () { return L.latLngBounds(this._lls); },
    // How far past its outline a marker is drawn: its stroke.
    _reach: function () {
      var o = this.options;
      return o.stroke && o.weight ? o.weight / 2 : 0;
    },
    _project: function () {
      var m = this._map, pts = this._pts = [], b = new L.Bounds();
      for (var i = 0; i < this._lls.length; i++) {
        var p = m.latLngToLayerPoint(this._lls[i]);
        pts.push(p);
        b.extend(p);
      }
      var pad = this.options.radius * this._ext + this._clickTolerance();
      this._pxBounds = pts.length
        ? new L.Bounds(b.min.subtract([pad, pad]), b.max.add([pad, pad])) : null;
    },
    _update: function () { if (this._map) this._updatePath(); },
    // Leaflet's own outlines: CircleMarker (radius rounded, two half arcs) and hebiMarker shapes.
    _updatePath: function () {
      var rd = this._renderer, v = this.options.shape, r0 = this.options.radius;
      var r = Math.max(Math.round(r0), 1), pad = r0 * this._ext + this._clickTolerance();
      var b = rd._bounds, canvas = !rd._setPath, d = "", ctx = rd._ctx, i, k, p;
      if (canvas) {
        if (!rd._drawing) return;
        ctx.beginPath();
      }
      var arc = "a" + r + "," + r + " 0 1,0 ", C = window.HEBI_DOT_PX, o = this._map._pixelOrigin;
      // SVG: one path per cell of C world pixels (see HEBI_DOT_PX), the cells in the order of
      // their first point; each path says how many features it draws (data-hebi-n). The
      // layer's own path also counts those off the drawn area (data-hebi-off of them), so the
      // paths together count every feature of the layer, as a path of lines or areas does.
      var cell = {}, ds = [], ns = [0], at = 0, off = 0;
      for (i = 0; i < this._pts.length; i++) {
        p = this._pts[i];
        var one = !this._counted || this._counted[i] ? 1 : 0;
        if (p.x + pad < b.min.x || p.x - pad > b.max.x || p.y + pad < b.min.y
            || p.y - pad > b.max.y) {  // off the drawn area, as Leaflet skips a marker
          off += one;
          continue;
        }
        if (!canvas) {
          var key = Math.floor((p.x + o.x) / C) + ":" + Math.floor((p.y + o.y) / C);
          at = cell[key];
          if (at === undefined) {
            at = cell[key] = ds.length;
            ds.push("");
            if (at) ns.push(0);
          }
          ns[at] += one;
          d = ds[at];
        }
        if (canvas && !v) {
          ctx.moveTo(p.x + r, p.y);
          ctx.arc(p.x, p.y, r, 0, Math.PI * 2, false);
        } else if (canvas) {
          for (k = 0; k < v.length; k++) {
            ctx[k ? "lineTo" : "moveTo"](p.x + v[k][0] * r0, p.y + v[k][1] * r0);
          }
          ctx.closePath();
        } else if (!v) {
          d += "M" + (p.x - r) + "," + p.y + arc + (r * 2) + ",0 " + arc + (-r * 2) + ",0 ";
        } else {
          for (k = 0; k < v.length; k++) {
            d += (k ? "L" : "M") + (p.x + v[k][0] * r0).toFixed(2) + ","
              + (p.y + v[k][1] * r0).toFixed(2);
          }
          d += "z";
        }
        if (!canvas) ds[at] = d;
      }
      if (canvas) { rd._fillStroke(ctx, this); return; }
      rd._setPath(this, ds[0] || "M0 0");
      if (this._path) {
        this._path.setAttribute("data-hebi-n", ns[0] + off);
        this._path.setAttribute("data-hebi-off", off);
      }
      for (i = 1; i < ds.length; i++) {
        var el = this._piece(i);
        el.setAttribute("d", ds[i]);
        el.setAttribute("data-hebi-n", ns[i]);
      }
      this._used = Math.max(ds.length - 1, 0);
      this._place();
    },
    // The SVG path of cell i (>= 1) at this zoom (window.hebiPiece).
    _piece: function (i) {
      return this._pieces[i - 1] || (this._pieces[i - 1] = window.hebiPiece(this, this.options));
    },
    // The cells' paths in use follow the layer's own in the page (also after bringToFront or
    // bringToBack); the others leave it.
    _place: function () { window.hebiPlacePieces(this, this._pieces, this._used); },
    onAdd: function (map) {
      L.Path.prototype.onAdd.call(this, map);
      this._place();  // Leaflet draws a path before putting it in the page
    },
    onRemove: function (map) {
      this._used = 0;
      this._place();
      L.Path.prototype.onRemove.call(this, map);
    },
    setStyle: function (style) {
      L.Path.prototype.setStyle.call(this, style);
      var rd = this._renderer, o = this.options;
      if (rd && rd._setPath) {
        this._pieces.forEach(function (el) { rd._updateStyle({_path: el, options: o}); });
      }
      return this;
    },
    bringToFront: function () {
      L.Path.prototype.bringToFront.call(this);
      this._place();
      return this;
    },
    bringToBack: function () {
      L.Path.prototype.bringToBack.call(this);
      this._place();
      return this;
    },
    _empty: function () { return !this._pts.length; },
    // How far (pixels) a layer point lies outside point i's marker outline; 0 inside.
    _gap: function (i, p) {
      var c = this._pts[i], v = this.options.shape, r = this.options.radius;
      var dx = p.x - c.x, dy = p.y - c.y;
      if (!v) return Math.max(0, Math.sqrt(dx * dx + dy * dy) - Math.max(Math.round(r), 1));
      var inside = false, dMin = Infinity, q = L.point(dx, dy);
      for (var a = 0, z = v.length - 1; a < v.length; z = a++) {
        var A = L.point(v[a][0] * r, v[a][1] * r), B = L.point(v[z][0] * r, v[z][1] * r);
        if ((A.y > dy) !== (B.y > dy) && dx < (B.x - A.x) * (dy - A.y) / (B.y - A.y) + A.x) {
          inside = !inside;
        }
        dMin = Math.min(dMin, L.LineUtil.pointToSegmentDistance(q, A, B));
      }
      return inside ? 0 : dMin;
    },
    // The point under a layer point: the topmost (last drawn) whose marker, stroke included,
    // holds it, else the nearest within NEAR pixels of its outline; -1 for none.
    hebiDotAt: function (p) {
      var reach = this._reach() + 0.5, near = -1, dMin = Infinity;
      var tol = reach + Math.max(NEAR, this._renderer.options.tolerance || 0);
      var R = this.options.radius * this._ext + tol;
      for (var i = this._pts.length - 1; i >= 0; i--) {
        var c = this._pts[i];
        if (Math.abs(p.x - c.x) > R || Math.abs(p.y - c.y) > R) continue;
        var g = this._gap(i, p);
        if (g <= reach) return i;
        if (g <= tol && g < dMin) { dMin = g; near = i; }
      }
      return near;
    },
    _containsPoint: function (p) {  // the canvas renderer asks what is under the pointer
      return !!this._pxBounds && this._pxBounds.contains(p) && this.hebiDotAt(p) >= 0;
    },
    // The click highlight (spatial.map_overlays.ClickHighlight): the clicked point's marker.
    hebiHighlight: function (e, style) {
      var i = this.hebiDotAt(e.layerPoint);
      return i < 0 ? null : L.circleMarker(this._lls[i],
        L.extend(style, {radius: (this.options.radius || 5) + 5}));
    }
  });
  return window.HebiDots;
};
// A browser rasterises the map in tiles and draws a whole path in every tile its box touches:
// one path of points strewn over the plan was drawn some twenty times on each pan or zoom. So
// an SVG path holds the points of one cell of HEBI_DOT_PX world pixels (a raster tile: 256)
// at the current zoom, as many paths as cells with points in view. They are the paths of ONE
// Leaflet layer per style: a Leaflet layer per cell (its events, tooltip and element each)
// cost the first paint more than all the points together.
window.HEBI_DOT_PX = 256;
// Draw a merged layer's small points: one HebiDots per style (and tooltip or not), in the
// order of their first feature. dots: [[lat, lon], feature index, extra part of a multipoint,
// style].
window.hebiDots = function (dots, styles, tip, group, data) {
  var Dots = window.hebiDotClass(), sets = {}, keys = [];
  dots.forEach(function (m) {
    var key = m[3] + (data.f[m[1]][2] ? "t" : "n"), s = sets[key];
    if (!s) { s = sets[key] = {style: m[3], lls: [], owners: [], counted: []}; keys.push(key); }
    s.lls.push(L.latLng(m[0]));
    s.owners.push(m[1]);
    s.counted.push(!m[2]);  // a multipoint's extra points draw the same feature: counted once
  });
  keys.forEach(function (key) {
    var s = sets[key], layer = new Dots(s.lls, styles[s.style] || {}, s.counted);
    var shown = s.owners[0];
    // Registered before the tooltip's own handlers and st_folium's click handler: the
    // tooltip, and what a click reports, name the point under the pointer.
    layer.on("mouseover mousemove click", function (e) {
      var j = this.hebiDotAt(e.layerPoint), i = j >= 0 ? s.owners[j] : -1;
      if (i >= 0 && i !== shown) { shown = i; var h = tip(i); if (h) this.setTooltipContent(h); }
    });
    window.hebiTipLater(layer, function () { return tip(shown); });
    layer.addTo(group);
  });
};
"""
