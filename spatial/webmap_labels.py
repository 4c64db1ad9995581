"""Labels (注记) on the web map, from each layer's :class:`~layers.schema.LabelRule`.

The server only says *what* may be labelled and where it lies: per layer the
rule (size, colour, halo, bold, priority, minimum zoom) and per named feature
its text and a compact anchor — the longest run of a line (segments of one
road share one label), a point, or a polygon's pole of inaccessibility with
its extent. Placement runs in the browser alone (:data:`LABELS_JS`), on every
``zoomend``/``moveend``, without a round trip to the server (each label's
candidate places are worked out once per zoom level, in world pixels, and a
label placed where it stood keeps its element across a pan):

* labels of every layer on the map are taken in a greedy pass, highest
  priority first (then the longer line, the larger area), each trying a few
  positions and kept only when its screen boxes, halo included, overlap no
  label already placed and no labelled point symbol, and lie inside the map;
  a few more passes put the structure names left out first;
* a structure name (一廊, 两脊, 七轴, 七大节点) still left out then moves names
  of no higher rank out of its way (each of its rank must find another place;
  a lesser one may give way): the 渤海路 axis, on the corridor's own road,
  pushes a neighbouring axis name along its line instead of being dropped.
  Each structure name then takes the nearest place it can get back, and the
  lesser names fill the room left;
* Chinese text along a line is set character by character on the line,
  each character upright (the 规划图 habit for road names), reading left to
  right or top to bottom; other text is rotated along the line,
  and a name in Latin letters too long for its line breaks into two lines
  (an area's name in Latin letters too, when one line finds no room);
* point labels try the corners beside the symbol first (a node sits where two
  axes cross: a corner leaves both lines clear), then right, left, above and
  below; an area label is shown only when the area is at least as wide as its
  text at that zoom;
* every label has a halo (the rule's colour) so it reads on any basemap.

Features the plan does not name and that are only illustrative get no label
(:meth:`LabelRule.text`). Label text is escaped on the server and inserted as
text, never as markup.
"""

from __future__ import annotations

import json
import re
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template
from shapely.ops import polylabel

from layers.schema import LabelRule, LayerSpec
from spatial.crs import WGS84, project_to_gk, shift_geometry_to_gcj02
from spatial.label_areas import class_rank, smaller_areas
from spatial.text import escape_text
from spatial.webmap_encode import COORD_DECIMALS, encode_coords, safe_json

__all__ = ["LABELS_JS", "LabelData", "label_json"]

_HEX_RE = re.compile(r"^#[0-9a-fA-F]{3,8}$")
# Lines are simplified for labelling only (a label needs the course of the line, not its detail).
_LINE_SIMPLIFY_M = 8.0


def _colour(value: str, fallback: str) -> str:
    return value if _HEX_RE.match(value) else fallback


def _rule_json(spec: LayerSpec, rule: LabelRule) -> dict[str, Any]:
    style = spec.style
    return {
        "id": escape_text(spec.id),
        "p": rule.placement,
        "r": int(rule.priority),
        "z": int(rule.min_zoom),
        "s": float(rule.size),
        "c": _colour(rule.colour, "#222222"),
        "h": _colour(rule.halo, "#ffffff"),
        "b": 1 if rule.bold else 0,
        # Room to leave around the symbol: half the line width or the marker radius.
        "w": float(style.weight),
        "rad": float(style.radius),
        "o": int(spec.z_order),
    }


def _longest_run(geoms: list[Any]) -> Any:
    """The longest continuous line through the parts (segments of one road share a name)."""
    merged = shapely.line_merge(shapely.union_all(geoms))
    parts = list(getattr(merged, "geoms", [merged]))
    parts = [p for p in parts if p.geom_type == "LineString" and not p.is_empty]
    if not parts:
        return None
    return max(parts, key=lambda p: p.length)


def label_json(
    spec: LayerSpec, gdf: gpd.GeoDataFrame, *, lang: str = "zh", gcj02: bool = False
) -> str:
    """Return the label candidates of one layer as script-safe JSON ("" when none).

    Parameters
    ----------
    spec : LayerSpec
        The layer's declaration; without a ``label`` rule nothing is labelled.
    gdf : GeoDataFrame
        The layer's features (any CRS).
    lang : str
        Label language (``rule.field_zh`` or ``rule.field_en``).
    gcj02 : bool
        Shift anchors for display on Gaode tiles, as the features are.

    Returns
    -------
    str
        ``{"r": rule, "f": [[kind, text, anchor, weight, extent?], ...]}``;
        kind ``l`` (anchor: encoded line), ``p`` (encoded point) or ``a``
        (encoded point plus the polygon's extent in degrees). Empty when the
        layer has no rule or no labelled feature.
    """
    rule = spec.label
    if rule is None or gdf.empty:
        return ""
    geo = gdf.geometry if gdf.crs is not None else gdf.geometry.set_crs(WGS84)
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    records = [dict(zip(columns, row, strict=True))
               for row in gdf[columns].itertuples(index=False, name=None)]
    texts: list[str | None] = [rule.text(rec, lang) for rec in records]
    located = (geo.notna() & ~geo.is_empty).to_numpy()
    keep = [i for i, t in enumerate(texts) if t is not None and located[i]]
    if not keep:
        return ""
    # Work in metres (EPSG:4547 at Hebi) so lengths and simplification mean the same everywhere.
    gk = project_to_gk(geo.iloc[keep])
    by_text: dict[str, list[Any]] = {}
    rank: dict[str, int] = {}
    for pos, geom in zip(keep, gk.values, strict=True):
        by_text.setdefault(str(texts[pos]), []).append(geom)
        rank[str(texts[pos])] = min(rank.get(str(texts[pos]), 1 << 30),
                                    class_rank(spec, records[pos]))
    anchors: list[tuple[str, str, Any, float]] = []
    for text, geoms in by_text.items():
        if rule.placement == "line":
            line = _longest_run([g for g in geoms if "Line" in g.geom_type])
            if line is None:
                continue
            anchors.append(("l", text, line.simplify(_LINE_SIMPLIFY_M), float(line.length)))
        elif rule.placement == "point":
            point = shapely.centroid(shapely.union_all(geoms))
            anchors.append(("p", text, point, 0.0))
        else:
            polys = [p for g in geoms for p in getattr(g, "geoms", [g])
                     if p.geom_type == "Polygon" and not p.is_empty]
            if not polys:
                continue
            largest = max(polys, key=lambda p: p.area)
            anchors.append(("a", text, largest, float(largest.area)))
    if not anchors:
        return ""
    # An area's name never stands inside a smaller area of a class named before it (the
    # zone's extent around the parks), where it would read as that park's name: it is left
    # out there (moved elsewhere it would crowd out the names the first view must show). A
    # park's name may stand in its own sub-areas, which are parts of it.
    def misread(text: str, shape: Any) -> bool:
        first = [a[2] for a in anchors if a[0] == "a" and rank[a[1]] < rank[text]]
        avoid = smaller_areas(shape, first)
        tol = max(shape.bounds[2] - shape.bounds[0], shape.bounds[3] - shape.bounds[1]) / 200.0
        return avoid is not None and avoid.contains(polylabel(shape, tolerance=tol or 1.0))

    anchors = [a for a in anchors if a[0] != "a" or not misread(a[1], a[2])]
    if not anchors:
        return ""
    shapes = gpd.GeoSeries([a[2] for a in anchors], crs=gk.crs).to_crs(WGS84)
    features: list[list[Any]] = []
    for (kind, text, _, weight), shape in zip(anchors, shapes.values, strict=True):
        extent: list[float] | None = None
        if kind == "a":
            minx, miny, maxx, maxy = shape.bounds
            extent = [round(maxx - minx, COORD_DECIMALS), round(maxy - miny, COORD_DECIMALS)]
            # The pole of inaccessibility: inside even a crescent or a ring, where a label reads.
            tol = max(maxx - minx, maxy - miny) / 200.0 or 1e-6
            shape = polylabel(shape, tolerance=tol)
        if gcj02:
            shape = shift_geometry_to_gcj02(gpd.GeoSeries([shape], crs=WGS84)).iloc[0]
        coords = np.asarray(shape.coords)
        row: list[Any] = [kind, escape_text(text), encode_coords(coords), round(weight, 1)]
        if extent is not None:
            row.append(extent)
        features.append(row)
    return safe_json({"r": _rule_json(spec, rule), "f": features})


class LabelData(MacroElement):
    """Hands one layer's label candidates to the map's label engine (see :data:`LABELS_JS`).

    The candidates go as a string literal of their JSON, parsed when labels
    are first placed (after the first paint): the page's parser then scans
    one literal instead of building hundreds of small arrays and strings
    before the plan is drawn.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        window.hebiLabelSet({{ this._parent.get_name() }}, {{ this.data_text }});
        {% endmacro %}"""
    )

    def __init__(self, data_json: str) -> None:
        super().__init__()
        self._name = "LabelData"
        self.data_json = data_json
        # A JS string literal of script-safe JSON: still no "<", ">" or "&" (they stay \u
        # escapes), and quotes and backslashes are escaped by json.dumps.
        self.data_text = json.dumps(data_json, ensure_ascii=False)


# The engine: one per map, fed by LabelData of each overlay; placement is client-side only.
LABELS_JS = r"""
(function () {
  if (window.hebiLabelSet) return;
  var CJK = /[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]/;
  var FONT = '"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",'
    + '"WenQuanYi Micro Hei",sans-serif';
  var measurer = null;
  function textWidth(text, font) {
    measurer = measurer || document.createElement("canvas").getContext("2d");
    measurer.font = font;
    return measurer.measureText(text).width;
  }
  function plain(escaped) {  // server-escaped text back to characters (no markup can result)
    var d = document.createElement("div");
    d.innerHTML = escaped;
    return d.textContent;
  }
  function halo(c) {  // four offset copies and a soft rim: reads on any basemap, paints fast
    return "-1px -1px 0 " + c + ",1px -1px 0 " + c + ",-1px 1px 0 " + c + ",1px 1px 0 " + c
      + ",0 0 2px " + c;
  }
  // A name in Latin letters on one line, then broken into two at the space nearest its
  // middle: [text, width, lines] each.
  function latinVariants(text, font) {
    var out = [[text, textWidth(text, font), 1]], cut = -1;
    for (var i = 0; i < text.length; i++) {
      if (text[i] === " " && (cut < 0 || Math.abs(i - text.length / 2)
          < Math.abs(cut - text.length / 2))) cut = i;
    }
    if (cut > 0) {
      var l1 = text.slice(0, cut), l2 = text.slice(cut + 1);
      out.push([l1 + "\n" + l2, Math.max(textWidth(l1, font), textWidth(l2, font)), 2]);
    }
    return out;
  }
  function hits(b, placed) {
    for (var i = 0; i < placed.length; i++) {
      var p = placed[i];
      if (b[0] < p[2] && b[2] > p[0] && b[1] < p[3] && b[3] > p[1]) return true;
    }
    return false;
  }
  function outline(bs) {  // the box around a label's boxes (a quick test before each box)
    var o = [Infinity, Infinity, -Infinity, -Infinity];
    bs.forEach(function (b) {
      o[0] = Math.min(o[0], b[0]); o[1] = Math.min(o[1], b[1]);
      o[2] = Math.max(o[2], b[2]); o[3] = Math.max(o[3], b[3]);
    });
    return o;
  }
  function clash(a, b) {  // two spots' boxes overlap
    if (!hits(a.bb, [b.bb])) return false;
    for (var i = 0; i < a.boxes.length; i++) if (hits(a.boxes[i], b.boxes)) return true;
    return false;
  }
  function inside(b, corner, size) {  // a box (world px) within the map, 2 px from its edges
    return b[0] - corner.x >= 2 && b[1] - corner.y >= 2 && b[2] - corner.x <= size.x - 2
      && b[3] - corner.y <= size.y - 2;
  }

  function Engine(map) {
    this.map = map;
    this.sets = {};
    this.raf = null;
    var pane = map.getPane("hebiLabels") || map.createPane("hebiLabels");
    pane.style.zIndex = 640;  // above paths (400) and markers (600), under tooltips (650)
    pane.style.pointerEvents = "none";
    this.pane = pane;
    var self = this;
    map.on("zoomstart", function () { pane.style.display = "none"; });
    map.on("zoomend moveend resize viewreset", function () { self.schedule(); });
  }
  Engine.prototype.schedule = function () {
    var self = this;
    if (this.raf !== null) return;
    // After the next frame is painted (a task queued from requestAnimationFrame runs after the
    // paint): the features show first, labels never delay the first paint of the plan.
    this.raf = 1;
    requestAnimationFrame(function () {
      setTimeout(function () { self.raf = null; self.layout(); }, 0);
    });
  };
  Engine.prototype.add = function (id, data) { this.sets[id] = data; this.schedule(); };
  Engine.prototype.remove = function (id) { delete this.sets[id]; this.schedule(); };

  // Positions are in world pixels at the zoom being laid out (map.project): they hold for every
  // pan at that zoom, so each label's places are worked out once per zoom level and kept.
  Engine.prototype.px = function (ll) { return this.map.project(ll, this.z); };
  // Positions for one label: each a list of boxes (world px) and the cells of its element.
  Engine.prototype.lineSpots = function (c) {
    var self = this, r = c.r, size = r.s, text = c.text;
    var pts = c.ll.map(function (ll) { return self.px(ll); });
    var cum = [0];
    for (var i = 1; i < pts.length; i++) cum.push(cum[i - 1] + pts[i].distanceTo(pts[i - 1]));
    var total = cum[cum.length - 1];
    function at(s) {  // point and direction at distance s along the line (straight beyond it)
      var k = 1;
      while (k < cum.length - 1 && cum[k] < s) k++;
      var a = pts[k - 1], b = pts[k], seg = (cum[k] - cum[k - 1]) || 1;
      var t = (s - cum[k - 1]) / seg;
      return [a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, (b.x - a.x) / seg, (b.y - a.y) / seg];
    }
    var cjk = CJK.test(text), chars = Array.from(text), spots = [];
    // Each way to set the name: on one line; a name in Latin letters, too long for its line
    // at this zoom, may then break into two lines at the space nearest its middle.
    var variants = cjk ? [[text, 0, 1]] : latinVariants(text, c.font);
    variants.forEach(function (v) {
      var label = v[0], width = v[1], lines = v[2];
      var step = size * 1.02;
      if (cjk && total > chars.length * size * 5) step = size * 1.8;  // spread on long lines
      var need = cjk ? chars.length * step : width;
      // A line shorter than its name at this zoom (an axis seen from afar) is still named:
      // the text runs on past its ends, centred on it, up to twice its length.
      var short = need > total * 0.95;
      if (need > total * 2.0 || total < 12) return;
      // Beside the line, clear of its stroke and of the point symbols (≤ 8 px) set on it.
      var gap = Math.max(r.w / 2, 8) + size * 0.58 * lines + 2;
      // From the middle outwards, above (or left of) the line first, then below (or right);
      // beside the line, then a little further off it when the near places are taken.
      var tries = [];
      [1, -1, 2, -2].forEach(function (side) {
        for (var k = 0; k <= 9; k++) {
          tries.push([0.5 + 0.05 * k, side]);
          if (k) tries.push([0.5 - 0.05 * k, side]);
        }
      });
      if (short) {
        tries = [];
        [1, -1, 2, -2].forEach(function (side) {
          [0, 0.25, -0.25, 0.5, -0.5].forEach(function (k) { tries.push([k, side]); });
        });
      }
      tries.forEach(function (tr) {
        var frac = tr[0];
        var s0 = short ? (total - need) / 2 + frac * (need - total) / 2
          : Math.max(0, Math.min(total - need, frac * total - need / 2));
        var p0 = at(s0), p1 = at(s0 + need);
        var dx = p1[0] - p0[0], dy = p1[1] - p0[1];
        var along = Math.abs(dx) >= Math.abs(dy);
        var reverse = along ? dx < 0 : dy < 0;  // read left to right, or top to bottom
        var len = Math.sqrt(dx * dx + dy * dy) || 1;
        // Normal pointing up (or left for a steep line): the label sits above/left of it.
        var nx = dy / len, ny = -dx / len;
        if (along ? ny > 0 : nx > 0) { nx = -nx; ny = -ny; }
        // First choice above (or left of) the line, then below (or right of) it.
        var sx = nx * gap * tr[1], sy = ny * gap * tr[1], boxes = [], cells = [];
        if (cjk) {
          var h = size * 0.58;
          for (var i = 0; i < chars.length; i++) {
            var d = reverse ? s0 + need - (i + 0.5) * step : s0 + (i + 0.5) * step;
            var q = at(d), x = q[0] + sx, y = q[1] + sy;
            boxes.push([x - h, y - h, x + h, y + h]);
            cells.push([x, y, chars[i]]);
          }
        } else {
          var m = at(s0 + need / 2), ang = Math.atan2(dy, dx);
          if (ang > Math.PI / 2) ang -= Math.PI; else if (ang <= -Math.PI / 2) ang += Math.PI;
          var hw = width / 2 + 2, hh = size * 0.65 * lines;
          var ex = Math.abs(Math.cos(ang)) * hw + Math.abs(Math.sin(ang)) * hh;
          var ey = Math.abs(Math.sin(ang)) * hw + Math.abs(Math.cos(ang)) * hh;
          var cx = m[0] + sx, cy = m[1] + sy;
          boxes.push([cx - ex, cy - ey, cx + ex, cy + ey]);
          cells.push([cx, cy, label, ang * 180 / Math.PI, lines > 1]);
        }
        spots.push({boxes: boxes, cells: cells});
      });
    });
    return spots;
  };
  Engine.prototype.pointSpots = function (c) {
    var r = c.r, size = r.s, p = this.px(c.ll[0]);
    var w = CJK.test(c.text) ? Array.from(c.text).length * size * 1.02 : textWidth(c.text, c.font);
    var hh = size * 0.65, g = r.rad + 4, x = p.x, y = p.y, spots = [];
    var dg = g * 0.75;
    // The corners first (upper right, lower right, upper left, lower left): a node sits where
    // two axes cross, and a name in a corner leaves both lines and their names room; then
    // right, left, above and below (the print's order too).
    [[dg + w / 2, -dg - hh], [dg + w / 2, dg + hh], [-dg - w / 2, -dg - hh],
     [-dg - w / 2, dg + hh], [g + w / 2, 0], [-g - w / 2, 0], [0, -g - hh],
     [0, g + hh]].forEach(function (d) {
      var cx = x + d[0], cy = y + d[1];
      spots.push({boxes: [[cx - w / 2 - 2, cy - hh, cx + w / 2 + 2, cy + hh]],
                  cells: [[p.x + d[0], p.y + d[1], c.text, 0]]});
    });
    return spots;
  };
  Engine.prototype.areaSpots = function (c) {
    var r = c.r, size = r.s, p = this.px(c.ll[0]);
    var a = this.px([c.ll[0][0] - c.f[4][1] / 2, c.ll[0][1] - c.f[4][0] / 2]);
    var b = this.px([c.ll[0][0] + c.f[4][1] / 2, c.ll[0][1] + c.f[4][0] / 2]);
    var wide = Math.abs(b.x - a.x), high = Math.abs(b.y - a.y), x = p.x, y = p.y, spots = [];
    // On one line first; a name in Latin letters may then take two (an English name is two to
    // three times as wide as the Chinese one, and an area is seldom as wide as that).
    var variants = CJK.test(c.text) ? [[c.text, Array.from(c.text).length * size * 1.02, 1]]
      : latinVariants(c.text, c.font);
    variants.forEach(function (v) {
      var w = v[1], lines = v[2], hh = size * 0.65 * lines;
      // An area much narrower than its name at this zoom is left unlabelled (it would label
      // its neighbours); a name a little wider than its area may spill over its outline.
      if (w > wide * 2.2 || size * lines > high * 1.5) return;
      // At its centre, above and below; a name on two lines then also a little to the left or
      // right (a structure name across its middle leaves it room beside).
      var at = [[0, 0], [0, -1], [0, 1]];
      if (lines > 1) at = at.concat([[-1, 0], [1, 0], [-1, -1], [1, -1], [-1, 1], [1, 1]]);
      at.forEach(function (d) {
        var dx = d[0] * wide / 4, dy = d[1] * 1.6 * size * lines;
        spots.push({boxes: [[x + dx - w / 2 - 2, y + dy - hh, x + dx + w / 2 + 2, y + dy + hh]],
                    cells: [[p.x + dx, p.y + dy, v[0], 0, lines > 1]]});
      });
    });
    return spots;
  };
  // One style sheet rule per label rule (colour, font, halo), not the same long inline style
  // on every label: the browser matches a class instead of parsing a style per element on
  // every zoom. Only validated colours, numbers and the font list go in (see _rule_json).
  var sheet = null, styles = {}, nStyles = 0;  // shared by the maps of a page (分屏: two)
  Engine.prototype.styleOf = function (r) {
    var key = r.c + "|" + r.h + "|" + r.s + "|" + r.b, k = styles[key];
    if (!sheet) {
      sheet = document.head.appendChild(document.createElement("style"));
      sheet.textContent = ".hebi-label{position:absolute;left:0;top:0;white-space:nowrap}"
        + ".hebi-label-cell{position:absolute;transform:translate(-50%,-50%)}"
        + ".hebi-label-two{white-space:pre;text-align:center;line-height:1.1}";
    }
    if (k === undefined) {
      k = styles[key] = nStyles++;
      sheet.appendChild(document.createTextNode(
        ".hebi-ls" + k + "{color:" + r.c + ";font:" + (r.b ? "bold " : "") + r.s + "px/1 "
        + FONT + ";text-shadow:" + halo(r.h) + "}"));
    }
    return "hebi-ls" + k;
  };
  Engine.prototype.element = function (c, spot, origin) {
    var r = c.r, el = document.createElement("div");
    el.className = "hebi-label hebi-label-" + r.id + " " + this.styleOf(r);
    el.setAttribute("data-hebi-layer", r.id);
    spot.cells.forEach(function (cell) {
      var span = document.createElement("span");
      span.className = cell[4] ? "hebi-label-cell hebi-label-two" : "hebi-label-cell";
      span.textContent = cell[2];
      span.style.cssText = "left:" + (cell[0] - origin.x).toFixed(1) + "px;top:"
        + (cell[1] - origin.y).toFixed(1) + "px"
        + (cell[3] ? ";transform:translate(-50%,-50%) rotate(" + cell[3].toFixed(1) + "deg)" : "");
      el.appendChild(span);
    });
    return el;
  };
  Engine.prototype.layout = function () {
    var map = this.map;
    if (!map._loaded) { this.schedule(); return; }
    var z = map.getZoom(), size = map.getSize(), origin = map.getPixelOrigin();
    var corner = map.containerPointToLayerPoint([0, 0]).add(origin);  // the map's corner, world px
    var cands = [], symbols = [], self = this;
    this.z = z;
    for (var id in this.sets) {
      var set = this.sets[id];
      // A layer's candidates arrive as JSON text (LabelData): parsed here, on first use.
      if (typeof set === "string") set = this.sets[id] = JSON.parse(set);
      var r = set.r;
      if (z < r.z) continue;
      set.f.forEach(function (f) {
        if (!f.ll) {  // decoded once, on first use
          f.ll = window.hebiDecode(f[2], true);
          f.text = plain(f[1]);
        }
        cands.push({r: r, f: f, ll: f.ll, text: f.text,
                    font: (r.b ? "bold " : "") + r.s + "px " + FONT});
        if (r.p === "point") {  // a labelled symbol is never covered by another label
          var q = self.px(f.ll[0]), g = r.rad;
          symbols.push([q.x - g, q.y - g, q.x + g, q.y + g]);
        }
      });
    }
    // Each label's possible places: inside the map and clear of the labelled symbols.
    cands.forEach(function (c) {
      var kind = c.f[0], known = c.f.spots || (c.f.spots = {}), all = known[z];
      if (!all) {
        all = kind === "l" ? self.lineSpots(c)
          : kind === "p" ? self.pointSpots(c) : self.areaSpots(c);
        all.forEach(function (sp) { sp.bb = outline(sp.boxes); });
        known[z] = all;
      }
      c.spots = all.filter(function (sp) {
        return sp.boxes.every(function (b) {
          return inside(b, corner, size) && !hits(b, symbols);
        });
      });
    });
    // Highest priority first, by tiers of ten (一廊 100; 七大节点 92, 两脊 95 and 七轴 90; …).
    // Within a tier the label with the fewest places to go comes first, so a long spine yields
    // a crossing to a short axis instead of taking it; then priority, then the larger feature.
    cands.sort(function (a, b) {
      return (Math.floor(b.r.r / 10) - Math.floor(a.r.r / 10))
        || (a.spots.length - b.spots.length) || (b.r.r - a.r.r) || (b.f[3] - a.f[3]);
    });
    function pass(order) {  // one greedy pass: each label takes its first free place
      var placed = symbols.slice(), chosen = [], missed = [];
      order.forEach(function (c) {
        for (var i = 0; i < c.spots.length; i++) {
          var bs = c.spots[i].boxes, ok = true;
          for (var j = 0; j < bs.length && ok; j++) ok = !hits(bs[j], placed);
          if (!ok) continue;
          for (j = 0; j < bs.length; j++) placed.push(bs[j]);
          chosen.push([c, c.spots[i], i]);
          return;
        }
        missed.push(c);
      });
      return {chosen: chosen, missed: missed};
    }
    function better(a, b) {  // fewer labels missed in the highest tier where they differ
      var ta = {}, tb = {}, t;
      a.missed.forEach(function (c) { t = Math.floor(c.r.r / 10); ta[t] = (ta[t] || 0) + 1; });
      b.missed.forEach(function (c) { t = Math.floor(c.r.r / 10); tb[t] = (tb[t] || 0) + 1; });
      for (t = 20; t >= 0; t--) {
        if ((ta[t] || 0) !== (tb[t] || 0)) return (ta[t] || 0) < (tb[t] || 0);
      }
      return false;
    }
    function tier(c) { return Math.floor(c.r.r / 10); }
    function free(c, chosen, limit) {  // the first spot of c clear of every chosen label
      for (var i = 0; i < (limit === undefined ? c.spots.length : limit); i++) {
        var sp = c.spots[i], ok = true;
        for (var k = 0; k < chosen.length && ok; k++) ok = !clash(sp, chosen[k][1]);
        if (ok) return i;
      }
      return -1;
    }
    // A label left out (or placed far off, ``limit``) takes a spot by moving the labels in
    // its way: every one of them ranks no higher, and each of the same rank (each at all,
    // when ``drop`` is false) finds another free spot. So the 渤海路 axis, on the corridor's
    // own road, pushes a neighbouring axis name along its line and a park's name aside,
    // instead of being left out. Returns the new choice, or null.
    // With ``up`` the labels in the way may rank higher too: each then finds another free
    // spot (a structure name moves along its line, it is never dropped), and only a label of
    // lower priority than ``c`` may give way.
    function repair(chosen, c, limit, drop, up) {
      var t = tier(c), n = limit === undefined ? c.spots.length : limit;
      for (var i = 0; i < n; i++) {
        var sp = c.spots[i], hit = [], next = [], lost = false;
        chosen.forEach(function (e) { (clash(sp, e[1]) ? hit : next).push(e); });
        if (!up && hit.some(function (e) { return tier(e[0]) > t; })) continue;
        next.push([c, sp, i]);
        hit.sort(function (a, b) { return b[0].r.r - a[0].r.r; });
        for (var h = 0; h < hit.length && !lost; h++) {
          var o = hit[h][0], k = free(o, next);
          if (k >= 0) next.push([o, o.spots[k], k]);
          else if (!drop || (up ? o.r.r >= c.r.r : tier(o) >= t)) lost = true;
        }
        if (!lost) return next;
      }
      return null;
    }
    function settle(res) {
      var chosen = res.chosen, top = Math.floor((cands.length ? cands[0].r.r : 0) / 10);
      // Which labels are placed: a set, rebuilt only when the choice changes (a new list or
      // one more label), instead of a scan of the choice per question.
      var inSet = null, inFor = null, inLen = -1;
      var isIn = function (c) {
        if (inFor !== chosen || inLen !== chosen.length) {
          inSet = new Set(chosen.map(function (e) { return e[0]; }));
          inFor = chosen; inLen = chosen.length;
        }
        return inSet.has(c);
      };
      var structure = cands.filter(function (c) { return tier(c) >= top - 1; });
      // The structure's names left out move names of no higher rank out of their way.
      for (var round = 0; round < 3; round++) {
        var fixed = 0;
        structure.forEach(function (c) {
          if (isIn(c)) return;
          var next = repair(chosen, c, undefined, true);
          if (next) { chosen = next; fixed++; }
        });
        if (!fixed) break;
      }
      // Each structure name placed far off takes a nearer spot back when the names in the way
      // all find another place (highest priority first).
      structure.slice().sort(function (a, b) { return b.r.r - a.r.r; }).forEach(function (c) {
        var e = null;
        chosen.forEach(function (x) { if (x[0] === c) e = x; });
        if (!e || !e[2]) return;
        var next = repair(chosen.filter(function (x) { return x !== e; }), c, e[2], false);
        if (next) chosen = next;
      });
      // The bonded zone's and the parks' names (the tier below the structure) left out take a
      // place by moving the names in their way, structure names too, when each finds another
      // (a name of lower priority, water or a road, may give way).
      cands.forEach(function (c) {
        if (tier(c) !== top - 2 || isIn(c) || !c.spots.length) return;
        var next = repair(chosen, c, undefined, true, true);
        if (next) chosen = next;
      });
      // The lesser names left out (or moved aside) take what room is left, in order.
      cands.forEach(function (c) {
        if (isIn(c)) return;
        var k = free(c, chosen);
        if (k >= 0) chosen.push([c, c.spots[k], k]);
      });
      return {chosen: chosen, missed: cands.filter(function (c) { return !isIn(c); })};
    }
    // A label of the top tiers left out goes first on the next try (a few tries, the best
    // kept): the crowded core of the plan gets all its structure names when it can.
    var order = cands, best = pass(order), cur = best;
    var top = Math.floor((cands.length ? cands[0].r.r : 0) / 10);
    for (var round = 0; round < 10; round++) {
      var missing = cur.missed.filter(function (c) { return Math.floor(c.r.r / 10) >= top - 1; });
      if (!missing.length) break;
      // Put first, even before a higher tier; a try no worse than the last is followed (so
      // another crowded label gets its turn), and the best of all tries is kept.
      order = missing.concat(order.filter(function (c) { return missing.indexOf(c) < 0; }));
      var next = pass(order);
      if (!better(cur, next)) cur = next;
      if (better(next, best)) best = next;
    }
    best = settle(best);
    this.last = best;  // what the pass chose and missed (tests and debugging read it)
    // A label placed where it already stands (a pan: same zoom, same pixel origin, same place)
    // keeps its element: only the labels that come, go or move touch the page.
    var same = this.shownAt && this.shownAt.equals(origin);
    var frag = document.createDocumentFragment(), was = same ? this.shown : new Map();
    var now = new Map();
    if (!same) this.pane.textContent = "";
    best.chosen.forEach(function (cs) {
      var el = was.get(cs[1]);
      if (el) {
        was.delete(cs[1]);
      } else {
        el = self.element(cs[0], cs[1], origin);
        frag.appendChild(el);
      }
      now.set(cs[1], el);
    });
    was.forEach(function (el) { el.remove(); });
    this.shown = now;
    this.shownAt = origin;
    this.pane.appendChild(frag);
    this.pane.style.display = "";
  };

  function engine(map) {
    if (!map._hebiLabels) map._hebiLabels = new Engine(map);
    return map._hebiLabels;
  }
  // Called by each overlay that has labels: follows the overlay on and off the map.
  window.hebiLabelSet = function (group, data) {
    var id = L.stamp(group), on = null;
    // Events of the group's own layers reach it too (with e.layer): only its own count here.
    group.on("add", function (e) {
      if (e.layer || !group._map) return;
      on = group._map;
      engine(on).add(id, data);
    });
    group.on("remove", function (e) {
      if (e.layer) return;
      var m = group._map || on;
      if (m && m._hebiLabels) m._hebiLabels.remove(id);
    });
    if (group._map) { on = group._map; engine(on).add(id, data); }
  };
})();
"""
