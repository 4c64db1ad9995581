"""Build the folium map of a :class:`~spatial.view.View`: a stable base map plus overlays.

The map is split in two so that Streamlit never has to remount it:

* the **base map** (:func:`build_base_map`) holds only controls — metric
  scale bar, north arrow, coordinate readout, distance/area measure — and is
  identical whatever layers or basemap are chosen, so its JavaScript (which
  ``st_folium`` hashes into the component key) never changes;
* the **overlays** (:func:`view_overlays`) are ``folium.FeatureGroup`` objects
  — the basemap tiles first, then one group per visible layer — which
  ``st_folium(feature_group_to_add=...)`` swaps in place.

Every asset is served by the app (:func:`use_local_assets`); nothing comes
from a CDN. Every text that reaches the page is escaped with
:func:`spatial.text.escape_text`, and feature data are embedded as JSON
with ``<``, ``>`` and ``&`` written as ``\\u`` escapes, so attribute text can
neither close the script nor run. Payloads are light: coordinates rounded to
1e-6° (≈0.1 m), only a style index and the tooltip kept per feature, dense
lines and polygons simplified in metres. While a GCJ-02 basemap (高德) is
shown, every overlay is shifted to GCJ-02 for display, and only then.

Other pages draw their own overlays on the same base map with
:func:`geojson_overlay` (any GeoDataFrame, per-feature styles and plain-text
tooltips) and pass them, after :func:`basemap_overlay`, to ``st_folium``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template
from folium.utilities import JsCode

from layers.fields import feature_rows
from layers.schema import LayerSpec
from spatial.basemaps import Basemap, get_basemap
from spatial.crs import WGS84, project_to_gk, shift_geometry_to_gcj02
from spatial.text import escape_text
from spatial.view import DEFAULT_CENTER, DEFAULT_ZOOM, MAX_ZOOM, MIN_ZOOM, View

__all__ = [
    "COORD_DECIMALS",
    "VENDOR_URL",
    "LayerPayload",
    "MapParts",
    "PlanMap",
    "TooltipText",
    "basemap_overlay",
    "build_base_map",
    "build_map",
    "catalogue_overlay",
    "catalogue_payload",
    "catalogue_tooltip",
    "decode_geometry",
    "external_asset_urls",
    "feature_ref",
    "features_at",
    "geojson_overlay",
    "layer_payload",
    "metres_per_pixel",
    "parse_feature_ref",
    "payload_overlay",
    "render_html",
    "use_local_assets",
    "view_overlays",
]

VENDOR_URL = "/app/static/vendor/"
# 1e-6 degree is about 0.1 m on the ground: far below the accuracy of any plan layer.
COORD_DECIMALS = 6
# Lines/polygons with more vertices than this are simplified before they are sent.
SIMPLIFY_MIN_VERTICES = 2_000
SIMPLIFY_TOLERANCE_M = 0.5

CONFIDENCE_LABELS: dict[str, tuple[str, str]] = {
    "high": ("高", "high"),
    "medium": ("中", "medium"),
    "low": ("低", "low"),
    "schematic": ("示意", "schematic"),
}


# --- assets --------------------------------------------------------------------------------------


def _local_assets(prefix: str) -> dict[Any, tuple[list[tuple[str, str]], list[tuple[str, str]]]]:
    p = prefix
    return {
        folium.Map: (
            [
                ("leaflet", p + "leaflet/leaflet.js"),
                ("jquery", p + "jquery/jquery.min.js"),
                ("bootstrap", p + "bootstrap/bootstrap.bundle.min.js"),
                ("awesome_markers", p + "awesome-markers/leaflet.awesome-markers.js"),
            ],
            [
                ("leaflet_css", p + "leaflet/leaflet.css"),
                ("bootstrap_css", p + "bootstrap/bootstrap.min.css"),
                ("glyphicons_css", p + "bootstrap3/css/glyphicons.css"),
                ("awesome_markers_font_css", p + "fontawesome/css/all.min.css"),
                ("awesome_markers_css", p + "awesome-markers/leaflet.awesome-markers.css"),
                ("awesome_rotate_css", p + "folium/leaflet.awesome.rotate.min.css"),
            ],
        ),
        PlanMap: (
            [("leaflet", p + "leaflet/leaflet.js")],
            [("leaflet_css", p + "leaflet/leaflet.css")],
        ),
        folium.plugins.MeasureControl: (
            [("leaflet_measure_js", p + "leaflet-measure/leaflet-measure.cn.js")],
            [("leaflet_measure_css", p + "leaflet-measure/leaflet-measure.css")],
        ),
        folium.plugins.MousePosition: (
            [("Control_MousePosition_js", p + "mouse-position/L.Control.MousePosition.js")],
            [("Control_MousePosition_css", p + "mouse-position/L.Control.MousePosition.css")],
        ),
    }


class PlanMap(folium.Map):
    """A folium Map that loads only Leaflet itself (plugins add their own files).

    folium's Map also loads jQuery, Bootstrap, awesome-markers, Font Awesome
    and glyphicons for its ``Marker``/``Icon`` classes; the plan map draws
    with vector paths and circle markers and needs none of them, and leaving
    them out roughly halves what the browser loads before the first paint.
    :func:`build_base_map` (``icons=True``) uses the full folium set instead.
    """

    # folium declares these as plain list attributes (not ClassVar); keep its shape.
    default_js = [("leaflet", VENDOR_URL + "leaflet/leaflet.js")]  # noqa: RUF012
    default_css = [("leaflet_css", VENDOR_URL + "leaflet/leaflet.css")]  # noqa: RUF012


def use_local_assets(prefix: str = VENDOR_URL) -> None:
    """Point folium's Map and every plugin this module uses at the app's own files.

    Parameters
    ----------
    prefix : str
        URL prefix of the vendored files (``scripts/vendor_assets.sh`` puts
        them in ``static/vendor``, which Streamlit serves at
        ``/app/static/vendor/``). A standalone HTML file may use a relative
        or ``file://`` prefix instead.

    Notes
    -----
    folium keeps its asset lists as class attributes, so this changes them
    for the whole process (idempotent). Other plugins (``Draw``,
    ``MarkerCluster`` …) still point at CDNs: vendor them before use, and
    check a map with :func:`external_asset_urls`.
    """
    for cls, (js, css) in _local_assets(prefix).items():
        cls.default_js = js
        cls.default_css = css


def external_asset_urls(m: folium.Map) -> list[str]:
    """Return every JS/CSS URL of a map (and its children) that the app does not serve.

    A URL counts as served by the app when it is relative (starts with ``/``
    but not ``//``, or has no scheme). Use it in tests of any page that adds
    its own elements to the map.
    """
    found: list[str] = []

    def walk(el: Any) -> None:
        for _name, url in [*getattr(el, "default_js", []), *getattr(el, "default_css", [])]:
            if re.match(r"^([a-z][a-z0-9+.-]*:|//)", url, flags=re.IGNORECASE):
                found.append(url)
        for child in getattr(el, "_children", {}).values():
            walk(child)

    walk(m)
    return list(dict.fromkeys(found))


# --- base map controls ---------------------------------------------------------------------------

# WGS84 -> GCJ-02 forward formula (same constants as spatial.crs) and a fixed-point inverse, so the
# coordinate readout shows WGS84 even while the map is drawn in GCJ-02 on Gaode tiles.
_MAP_JS = """
window.hebiGcj02 = window.hebiGcj02 || false;
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
window.hebiDecode = (function () {
  var A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var T = new Int8Array(128);
  for (var j = 0; j < 64; j++) T[A.charCodeAt(j)] = j;
  // Returns [lon, lat] pairs, or [lat, lon] (what Leaflet takes) when latFirst is true.
  return function (s, latFirst) {
    var pts = [], i = 0, x = 0, y = 0, n = s.length, sh, res, b;
    while (i < n) {
      sh = 0; res = 0;
      do { b = T[s.charCodeAt(i++)]; res |= (b & 31) << sh; sh += 5; } while (b >= 32);
      x += (res & 1) ? ~(res >> 1) : (res >> 1);
      sh = 0; res = 0;
      do { b = T[s.charCodeAt(i++)]; res |= (b & 31) << sh; sh += 5; } while (b >= 32);
      y += (res & 1) ? ~(res >> 1) : (res >> 1);
      pts.push(latFirst ? [y / 1e6, x / 1e6] : [x / 1e6, y / 1e6]);
    }
    return pts;
  };
})();
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
window.hebiTooltip = function (data, t) {
  var html = "<b>" + t[0] + "</b>", v = 2;
  for (var i = 0; i < data.k.length; i++) {
    var value = data.c[i] !== null ? data.c[i] : t[v++];
    if (value === null) continue;
    html += data.k[i] ? '<br><span style="color:#666">' + data.k[i] + "</span> " + value
                      : "<br>" + value;
  }
  if (t[1] !== null) html += '<span style="display:none">' + t[1] + "</span>";
  return html;
};
// The feature of a merged path under a layer point: the last (topmost) one whose rings contain
// it, else the one with the nearest edge (a line, or a click on a polygon's outline).
window.hebiPick = function (layer, owners, filled, p) {
  var rings = layer._rings || [], inside = {}, best = -1, near = -1, dMin = Infinity;
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
// Signed area (shoelace) of a [lat, lon] ring: merged polygons are filled "nonzero", so every
// outer ring must turn one way and every hole the other.
window.hebiArea = function (r) {
  var a = 0;
  for (var i = 0, j = r.length - 1; i < r.length; j = i++) {
    a += (r[j][1] - r[i][1]) * (r[j][0] + r[i][0]);
  }
  return a;
};
// Draw one merged path: the features of a layer that share a style (data.m) or one feature.
window.hebiPath = function (b, data, style, tip, group) {
  var filled = b.kind === "p", many = b.n > 1;
  var opts = many && filled ? L.extend({}, style, {fillRule: "nonzero"}) : style;
  var layer = filled ? L.polygon(b.parts, opts) : L.polyline(b.parts, opts);
  var first = tip(b.owners[0]);
  if (many) {
    // One SVG path stands for many features: tooltips (and what st_folium reads on a click)
    // follow the feature under the pointer. Registered before the tooltip's own handlers, so
    // the content is right when it opens, and before st_folium's click handler.
    var ringOwner = [], shown = b.owners[0];
    b.parts.forEach(function (part, k) {
      if (filled) part.forEach(function () { ringOwner.push(b.owners[k]); });
      else ringOwner.push(b.owners[k]);
    });
    layer.on("mouseover mousemove click", function (e) {
      var i = window.hebiPick(this, ringOwner, filled, e.layerPoint);
      if (i >= 0 && i !== shown) { shown = i; var h = tip(i); if (h) this.setTooltipContent(h); }
    });
    // How many features the path draws (tests and benchmarks count drawn features).
    layer.on("add", function () { if (this._path) this._path.setAttribute("data-hebi-n", b.n); });
  }
  if (first) layer.bindTooltip(first, {sticky: true});
  layer.addTo(group);
};
window.hebiLayer = function (data, styles, group) {
  var dec = window.hebiDecode, area = window.hebiArea, keys = [], paths = {}, dots = [];
  var tip = function (i) { var t = data.f[i][2]; return t ? window.hebiTooltip(data, t) : null; };
  var ring = function (r, k) {
    var pts = dec(r, true);
    if (data.m && (area(pts) > 0) !== (k === 0)) pts.reverse();
    return pts;
  };
  var path = function (kind, f, i) {
    // Merged per style (and tooltip or not) when the payload asks for it, else one per feature.
    var key = data.m ? kind + f[1] + (f[2] ? "t" : "n") : kind + i;
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
        dots.push([L.circleMarker(ll, styles[s]), i, k > 0]);
      });
    } else if (c === 2 || c === 5) {
      b = path("l", f, i);
      (c === 2 ? [d] : d).forEach(function (l) { b.parts.push(dec(l, true)); b.owners.push(i); });
    } else if (c === 3 || c === 6) {
      b = path("p", f, i);
      (c === 3 ? [d] : d).forEach(function (p) { b.parts.push(p.map(ring)); b.owners.push(i); });
    } else {  // anything else (e.g. a GeometryCollection) arrives as GeoJSON
      dots.push([L.geoJSON(d, {style: styles[s], pointToLayer: function (g, ll) {
        return L.circleMarker(ll, styles[s]); }}), i, false]);
    }
  });
  keys.forEach(function (k) { window.hebiPath(paths[k], data, styles[paths[k].s], tip, group); });
  // Points last, so they stay clickable above the lines and areas of their layer.
  dots.forEach(function (m) {
    var h = tip(m[1]);
    if (h) m[0].bindTooltip(h, {sticky: true});
    // A multipoint's extra markers draw the same feature: counted once.
    if (m[2]) {
      m[0].on("add", function () { if (this._path) this._path.setAttribute("data-hebi-n", 0); });
    }
    m[0].addTo(group);
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
        self.code = code


# Plain "Leaflet" credit (no flag icon, no outside link) before the providers' credits.
_ATTRIBUTION_JS = '__MAP__.attributionControl.setPrefix("Leaflet");'
# Leaflet's scale bar, metric only (Chinese plans use metres and kilometres).
_SCALE_JS = (
    'L.control.scale({position: "bottomleft", metric: true, imperial: false, maxWidth: 160})'
    ".addTo(__MAP__);"
)


class _NorthArrow(MacroElement):
    """A north arrow control (the web map is never rotated, so north is up)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function () {
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
          ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}"""
    )

    def __init__(self, lang: str) -> None:
        super().__init__()
        self._name = "NorthArrow"
        self.label = escape_text("N" if lang == "en" else "北")
        self.title = escape_text("North" if lang == "en" else "指北针")


def _measure_control(lang: str, prefix: str) -> folium.plugins.MeasureControl:
    """Distance/area measuring (leaflet-measure 3.1, Chinese build), with 亩 for areas."""
    ctl = folium.plugins.MeasureControl(
        position="topright",
        primary_length_unit="meters",
        secondary_length_unit="kilometers",
        primary_area_unit="sqmeters",
        secondary_area_unit="hectares" if lang == "en" else "mu",
        units={"mu": {"factor": 1.0 / (10000.0 / 15.0), "display": "亩", "decimals": 1}},
    )
    # Per-instance asset lists: the English build where the UI is English.
    build = "en" if lang == "en" else "cn"
    ctl.default_js = [("leaflet_measure_js", f"{prefix}leaflet-measure/leaflet-measure.{build}.js")]
    return ctl


def _mouse_position(lang: str) -> folium.plugins.MousePosition:
    lon_label = "Lon" if lang == "en" else "经度"
    lat_label = "Lat" if lang == "en" else "纬度"
    formatter = JsCode(
        "function (lng, lat) {"
        " var p = window.hebiGcj02 ? window.hebiGcjToWgs(lng, lat) : [lng, lat];"
        f" return {json.dumps(escape_text(lon_label))} + ' ' + p[0].toFixed(6) + '&nbsp; '"
        f" + {json.dumps(escape_text(lat_label))} + ' ' + p[1].toFixed(6) + ' (WGS84)'; }}"
    )
    return folium.plugins.MousePosition(
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
    for code in (_MAP_JS, _ATTRIBUTION_JS, _SCALE_JS):
        _MapCode(code).add_to(m)
    _NorthArrow(lang).add_to(m)
    _mouse_position(lang).add_to(m)
    if measure:
        _measure_control(lang, asset_prefix).add_to(m)
    return m


# --- overlays ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TooltipText:
    """Plain text of one feature's tooltip; escaped when the overlay is built.

    Attributes
    ----------
    title : str
        First line, in bold.
    rows : tuple of (str, str)
        ``(label, value)`` lines.
    ref : str, optional
        A reference (see :func:`feature_ref`) hidden in the tooltip so a click
        can be traced back to the feature: ``st_folium`` returns the tooltip's
        text as ``last_object_clicked_tooltip``.
    """

    title: str
    rows: tuple[tuple[str, str], ...] = ()
    ref: str | None = None




_REF_RE = re.compile(r"\[\[ref:([a-z][a-z0-9_]{0,62})#(\d{1,9})\]\]")


def feature_ref(layer_id: str, position: int) -> str:
    """Return the hidden reference of feature ``position`` (0-based row) of a layer."""
    return f"[[ref:{layer_id}#{int(position)}]]"


def parse_feature_ref(tooltip_text: str | None) -> tuple[str, int] | None:
    """Return ``(layer_id, row position)`` from a clicked tooltip's text, or None.

    The last reference in the text counts (a feature's own text comes first).
    """
    if not tooltip_text:
        return None
    hits = _REF_RE.findall(tooltip_text)
    if not hits:
        return None
    layer_id, pos = hits[-1]
    return layer_id, int(pos)


def metres_per_pixel(lat: float, zoom: float) -> float:
    """Ground size of one CSS pixel of a web-mercator map at this latitude and zoom."""
    return 2 * math.pi * 6378137.0 * math.cos(math.radians(lat)) / (256.0 * 2.0**zoom)


def features_at(
    lon: float,
    lat: float,
    frames: Mapping[str, gpd.GeoDataFrame],
    order: Sequence[str],
    tolerance_m: float = 0.0,
) -> list[tuple[str, int]]:
    """Return every feature under a clicked point, topmost first (like a GIS identify tool).

    Leaflet reports only the topmost feature of a click; when layers overlap
    (the bonded zone under its sub-zones, a park under both) the others
    could never be picked. This finds them all.

    Parameters
    ----------
    lon, lat : float
        The point in WGS84 (undo the GCJ-02 shift first on Gaode tiles:
        :func:`spatial.crs.gcj02_to_wgs84`).
    frames : mapping of str to GeoDataFrame
        Layers by id.
    order : sequence of str
        Ids of the drawn layers in drawing order (bottom first).
    tolerance_m : float
        How near a line or point must be, in metres (e.g. 6 px ×
        :func:`metres_per_pixel`); polygons are hit inside or within it.

    Returns
    -------
    list of (layer id, row position)
        Topmost first: later layers, then later rows, are drawn on top.
    """
    hits: list[tuple[str, int]] = []
    click = gpd.GeoSeries([shapely.Point(lon, lat)], crs=WGS84)
    for layer_id in reversed(list(order)):
        gdf = frames.get(layer_id)
        if gdf is None or gdf.empty:
            continue
        geo = gdf.geometry if gdf.crs is not None else gdf.geometry.set_crs(WGS84)
        located = geo.notna() & ~geo.is_empty
        if not located.any():
            continue
        # Metric distance in the Gauss-Krüger zone of the click (EPSG:4547 at Hebi).
        gk_click = project_to_gk(click)
        gk = geo[located].to_crs(gk_click.crs)
        near = gk.distance(gk_click.iloc[0]) <= tolerance_m
        positions = np.flatnonzero(located.to_numpy())[near.to_numpy()]
        hits += [(layer_id, int(p)) for p in positions[::-1]]
    return hits


class _GeoJsonData(MacroElement):
    """A compact layer: style table, encoded geometries, tooltip pieces (see :func:`layer_payload`).

    Unlike ``folium.GeoJson`` it sends no per-feature style functions or
    property tables; the base map's ``hebiLayer`` turns it into a Leaflet
    GeoJSON layer in the browser.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        window.hebiLayer({{ this.data_json }}, {{ this.styles_json }},
                         {{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, data_json: str, styles_json: str) -> None:
        super().__init__()
        self._name = "GeoJsonData"
        self.data_json = data_json
        self.styles_json = styles_json


def _safe_json(obj: Any) -> str:
    """JSON that is safe inside a <script> element and inside JS source."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _round_coords(geoms: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return np.asarray(
        shapely.transform(geoms, lambda c: np.round(c, COORD_DECIMALS)), dtype=object
    )


def _light_geometries(gdf: gpd.GeoDataFrame, gcj02: bool) -> np.ndarray[Any, Any]:
    """Display geometries: simplified where dense, shifted for GCJ-02 if asked, rounded."""
    geo = gdf.geometry
    if geo.crs is None:
        geo = geo.set_crs(WGS84)
    geo = geo.to_crs(WGS84)
    dense = shapely.get_num_coordinates(np.asarray(geo.values)) > SIMPLIFY_MIN_VERTICES
    if dense.any():
        # Simplify in metres so the tolerance means the same everywhere; keep topology valid.
        gk = project_to_gk(geo[dense])
        geo = geo.copy()
        geo[dense] = gk.simplify(SIMPLIFY_TOLERANCE_M, preserve_topology=True).to_crs(WGS84)
    if gcj02:
        geo = shift_geometry_to_gcj02(geo)
    return _round_coords(np.asarray(geo.values))


def _tooltip_table(
    tips: Sequence[TooltipText | None],
) -> tuple[list[str], list[str | None], list[list[str | None] | None]]:
    """Split tooltips into escaped row labels, rows constant over the layer, and per-feature rest.

    Returns ``(labels, constants, rows)``: ``constants[i]`` is the escaped
    value of row ``i`` when every feature has the same one (sent once),
    else None; each feature's row is ``[title, ref, values of the other
    rows…]`` (escaped; None for no tooltip or a missing value).
    """
    labels: list[str] = []
    for tip in tips:
        for label, _ in tip.rows if tip is not None else ():
            if label not in labels:
                labels.append(label)
    values = [
        [dict(tip.rows).get(label) if tip is not None else None for label in labels]
        for tip in tips
    ]
    constants: list[str | None] = []
    for i in range(len(labels)):
        column = {v[i] for v in values}
        only = next(iter(column)) if len(column) == 1 else None
        constants.append(escape_text(only) if only is not None and len(tips) > 1 else None)
    rows: list[list[str | None] | None] = []
    for tip, vals in zip(tips, values, strict=True):
        if tip is None:
            rows.append(None)
            continue
        row: list[str | None] = [escape_text(tip.title),
                                 escape_text(tip.ref) if tip.ref is not None else None]
        row += [escape_text(v) if v is not None else None
                for v, c in zip(vals, constants, strict=True) if c is None]
        rows.append(row)
    return [escape_text(k) for k in labels], constants, rows


# Google's encoded-polyline scheme (zig-zag deltas in 5-bit groups plus a continuation bit), but
# each 6-bit group written with the base64url alphabet instead of chr(63 + n): no braces (which
# folium's Jinja re-rendering would read as template syntax), backslashes or quotes.
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_B64_INDEX = {c: i for i, c in enumerate(_B64)}


def _encode_coords(coords: np.ndarray[Any, Any]) -> str:
    """Encode (lon, lat) pairs at 1e-6 degree as a compact base64url string."""
    ints = np.round(np.asarray(coords, dtype=float)[:, :2] * 1e6).astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel().tolist()
    out: list[str] = []
    for v in deltas:
        v = ~(v << 1) if v < 0 else v << 1
        while v >= 0x20:
            out.append(_B64[0x20 | (v & 0x1F)])
            v >>= 5
        out.append(_B64[v])
    return "".join(out)


_GEOM_CODES = {"Point": 1, "LineString": 2, "Polygon": 3, "MultiPoint": 4,
               "MultiLineString": 5, "MultiPolygon": 6}


def _rings(poly: Any) -> list[str]:
    return [_encode_coords(np.asarray(r.coords)) for r in (poly.exterior, *poly.interiors)]


def _encode_geometry(geom: Any) -> list[Any]:
    """``[type code, encoded coordinates]``, about a quarter of the size of GeoJSON text."""
    kind = geom.geom_type
    code = _GEOM_CODES.get(kind, 0)
    if code in (1, 2):
        return [code, _encode_coords(np.asarray(geom.coords))]
    if code == 3:
        return [code, _rings(geom)]
    if code == 4:
        return [code, _encode_coords(np.asarray([p.coords[0] for p in geom.geoms]))]
    if code == 5:
        return [code, [_encode_coords(np.asarray(g.coords)) for g in geom.geoms]]
    if code == 6:
        return [code, [_rings(g) for g in geom.geoms]]
    return [0, json.loads(shapely.to_geojson(geom))]  # e.g. GeometryCollection, sent as is


def _decode_coords(text: str) -> list[list[float]]:
    pts: list[list[float]] = []
    i, x, y = 0, 0, 0
    while i < len(text):
        pair = []
        for _ in range(2):
            shift = result = 0
            while True:
                b = _B64_INDEX[text[i]]
                i += 1
                result |= (b & 0x1F) << shift
                shift += 5
                if b < 0x20:
                    break
            pair.append(~(result >> 1) if result & 1 else result >> 1)
        x, y = x + pair[0], y + pair[1]
        pts.append([x / 1e6, y / 1e6])
    return pts


def decode_geometry(encoded: Sequence[Any]) -> dict[str, Any]:
    """Return the GeoJSON geometry of an encoded one (what the browser draws; for tests)."""
    code, data = encoded[0], encoded[1]
    kind = {v: k for k, v in _GEOM_CODES.items()}.get(code)
    if kind is None:
        return dict(data)
    if code == 1:
        return {"type": kind, "coordinates": _decode_coords(data)[0]}
    if code in (2, 4):
        return {"type": kind, "coordinates": _decode_coords(data)}
    if code in (3, 5):
        return {"type": kind, "coordinates": [_decode_coords(r) for r in data]}
    return {"type": kind, "coordinates": [[_decode_coords(r) for r in p] for p in data]}


@dataclass(frozen=True)
class LayerPayload:
    """The serialised data of one overlay: cheap to cache, turned into a group per run.

    ``st_folium`` mutates the feature groups it is given, so groups cannot be
    cached across Streamlit reruns; these strings can (``st.cache_data``).

    Attributes
    ----------
    data_json : str
        The encoded layer, script-safe JSON: ``k`` tooltip row labels, ``c``
        rows constant over the layer, ``f`` features (encoded geometry, style
        index, tooltip pieces), ``m`` present when drawn merged per style.
    styles_json : str
        The style table, script-safe JSON.
    name : str
        Escaped layer name.
    n_features : int
        Features drawn (null geometries are skipped).
    """

    data_json: str
    styles_json: str
    name: str
    n_features: int


def layer_payload(
    gdf: gpd.GeoDataFrame,
    *,
    styles: Sequence[Mapping[str, Any]],
    style_index: Sequence[int] | None = None,
    tooltips: Sequence[TooltipText | None] | None = None,
    name: str = "",
    gcj02: bool = False,
    merge: bool = False,
) -> LayerPayload:
    """Serialise a layer for drawing, light and safe.

    Parameters
    ----------
    gdf : GeoDataFrame
        Features with a CRS (any; drawn in WGS84). Null or empty geometries
        are skipped. No attribute is sent to the browser except the tooltip.
    styles : sequence of mapping
        Leaflet path options (``color``, ``weight``, ``fillColor``,
        ``fillOpacity``, ``dashArray``, ``radius`` for points …), e.g. from
        :meth:`layers.Style.leaflet`. String values are escaped.
    style_index : sequence of int, optional
        Per feature, the index of its style (all 0 by default).
    tooltips : sequence of TooltipText or None, optional
        Per feature, plain text escaped here; None for no tooltip.
    name : str
        Layer name (escaped; informative only).
    gcj02 : bool
        Shift to GCJ-02 for display on Gaode tiles.
    merge : bool
        Draw the lines, and the polygons, that share a style as one Leaflet
        path each instead of one per feature. Hundreds of small features
        (streets, residential blocks) then cost a few SVG elements instead of
        hundreds: on the full plan this is most of the browser's drawing
        time. Tooltips and a click's tooltip text still name the feature
        under the pointer (``hebiPick`` in the browser), and overlapping
        polygons stay filled (nonzero rule). Translucent polygons of one
        style that overlap are filled once where they overlap, not twice;
        leave it False where each feature must be its own SVG element
        (e.g. a choropleth whose paths a test reads one by one).

    Returns
    -------
    LayerPayload

    Raises
    ------
    ValueError
        If ``style_index`` or ``tooltips`` do not have one entry per feature,
        or an index points outside ``styles`` (a programming error).
    """
    n = len(gdf)
    idx = [0] * n if style_index is None else [int(i) for i in style_index]
    tips: Sequence[TooltipText | None] = [None] * n if tooltips is None else tooltips
    if len(idx) != n or len(tips) != n:
        raise ValueError("style_index and tooltips need one entry per feature")
    if any(i < 0 or i >= len(styles) for i in idx):
        raise ValueError("style_index points outside styles")
    geoms = _light_geometries(gdf, gcj02) if n else np.asarray([], dtype=object)
    drawn = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) if n else []
    keep = [i for i in range(n) if drawn[i]]
    labels, constants, rows = _tooltip_table([tips[i] for i in keep])
    features = [
        [_encode_geometry(geoms[i]), idx[i], row] for i, row in zip(keep, rows, strict=True)
    ]
    data: dict[str, Any] = {"k": labels, "c": constants, "f": features}
    if merge:
        data["m"] = 1
    return LayerPayload(
        data_json=_safe_json(data),
        styles_json=_safe_json([_clean_style(s) for s in styles]),
        name=escape_text(name),
        n_features=len(features),
    )


def payload_overlay(payload: LayerPayload) -> folium.FeatureGroup:
    """Return a fresh feature group drawing a serialised layer."""
    fg = folium.FeatureGroup(name=payload.name or None, control=False)
    _GeoJsonData(payload.data_json, payload.styles_json).add_to(fg)
    return fg


def geojson_overlay(
    gdf: gpd.GeoDataFrame,
    *,
    styles: Sequence[Mapping[str, Any]],
    style_index: Sequence[int] | None = None,
    tooltips: Sequence[TooltipText | None] | None = None,
    name: str = "",
    gcj02: bool = False,
    merge: bool = False,
) -> folium.FeatureGroup:
    """Return a feature group drawing any layer (see :func:`layer_payload` for the arguments).

    This is what other pages call to draw their own results (coverage rings,
    choropleths …) on the shared base map; pass the group to
    ``st_folium(feature_group_to_add=[basemap_overlay(...), group, ...])``.
    """
    return payload_overlay(
        layer_payload(
            gdf, styles=styles, style_index=style_index, tooltips=tooltips, name=name,
            gcj02=gcj02, merge=merge,
        )
    )


def _clean_style(style: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in style.items():
        if isinstance(v, float) and not math.isfinite(v):
            continue
        out[str(k)] = escape_text(v) if isinstance(v, str) else v
    return out


def _value_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


def catalogue_tooltip(
    spec: LayerSpec, props: Mapping[str, Any], lang: str, ref: str | None,
    names: Mapping[str, str] | None = None,
) -> TooltipText:
    """Return the tooltip of one catalogue feature: name, layer, declared fields, confidence.

    Field names are the catalogue's aliases and values the words a planner
    reads (:mod:`layers.fields`): no raw key, code, id or boolean is shown, and
    in Chinese no English name or note; the source is cited by chapter/专栏.
    """
    name_key = "name_en" if lang == "en" else "name"
    title = _value_text(props.get(name_key)) or _value_text(props.get("name")) or spec.title(lang)
    rows: list[tuple[str, str]] = [("", spec.title(lang))]
    fields = [k for k in spec.tooltip if k not in {"name", "name_en", "confidence"}]
    fields.append("confidence")
    rows += feature_rows(props, lang, fields=fields, overrides=spec.field_aliases(), names=names)
    return TooltipText(title=title, rows=tuple(rows), ref=ref)


def catalogue_payload(
    spec: LayerSpec, gdf: gpd.GeoDataFrame, *, lang: str = "zh", gcj02: bool = False
) -> LayerPayload:
    """Serialise one catalogue layer, styled from its declaration.

    Each feature gets ``spec.style_for(props)`` (dashed when schematic) and a
    tooltip with its name, the layer, the declared tooltip fields, its
    confidence and a hidden :func:`feature_ref` (row position) for click-through.

    Parameters
    ----------
    spec : LayerSpec
        The layer's declaration (catalogue or a user layer's).
    gdf : GeoDataFrame
        The layer's features (WGS84).
    lang : str
        Tooltip language.
    gcj02 : bool
        Shift for display on Gaode tiles.
    """
    styles: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    index: list[int] = []
    tips: list[TooltipText | None] = []
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    for pos, row in enumerate(gdf[columns].itertuples(index=False, name=None)):
        props = dict(zip(columns, row, strict=True))
        style = spec.style_for(props)
        opts = {**style.leaflet(), "radius": style.radius}
        key = json.dumps(opts, sort_keys=True)
        if key not in seen:
            seen[key] = len(styles)
            styles.append(opts)
        index.append(seen[key])
        tips.append(catalogue_tooltip(spec, props, lang, feature_ref(spec.id, pos)))
    if not styles:
        styles.append(spec.style.leaflet())
    # Catalogue layers are drawn merged per style: the full plan has hundreds of small features.
    return layer_payload(
        gdf, styles=styles, style_index=index, tooltips=tips, name=spec.title(lang), gcj02=gcj02,
        merge=True,
    )


def catalogue_overlay(
    spec: LayerSpec, gdf: gpd.GeoDataFrame, *, lang: str = "zh", gcj02: bool = False
) -> folium.FeatureGroup:
    """Return the overlay of one catalogue layer (see :func:`catalogue_payload`)."""
    return payload_overlay(catalogue_payload(spec, gdf, lang=lang, gcj02=gcj02))


class _BasemapState(MacroElement):
    """Tell the map which basemap is on: GCJ-02 flag for the readout, paper colour when none."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        window.hebiGcj02 = {{ this.gcj02|tojson }};
        {{ this._parent.get_name() }}.on("add", function (e) {
          window.hebiGcj02 = {{ this.gcj02|tojson }};
          if (e.target._map) {
            e.target._map.getContainer().style.background = {{ this.background|tojson }};
          }
        });
        {% endmacro %}"""
    )

    def __init__(self, gcj02: bool, background: str) -> None:
        super().__init__()
        self._name = "BasemapState"
        self.gcj02 = bool(gcj02)
        self.background = background


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


def view_overlays(
    view: View,
    layers: Mapping[str, gpd.GeoDataFrame],
    specs: Mapping[str, LayerSpec],
    *,
    key: str | None = None,
) -> list[folium.FeatureGroup]:
    """Return the overlays of a view: basemap tiles first, then each visible layer.

    Parameters
    ----------
    view : View
        What to show; its basemap decides the GCJ-02 shift.
    layers : mapping of str to GeoDataFrame
        Loaded layers by id; a visible layer missing here is skipped.
    specs : mapping of str to LayerSpec
        Declarations by id (catalogue plus any user layers).
    key : str, optional
        天地图 key.

    Returns
    -------
    list of folium.FeatureGroup
        In drawing order, for ``st_folium(feature_group_to_add=...)``.
    """
    bm = get_basemap(view.basemap)
    out = [basemap_overlay(bm, key=key, lang=view.lang)]
    visible = [s for s in view.visible_layer_ids(list(specs.values())) if s in specs]
    for layer_id in visible:
        gdf = layers.get(layer_id)
        if gdf is None:
            continue
        out.append(catalogue_overlay(specs[layer_id], gdf, lang=view.lang, gcj02=bm.gcj02))
    return out


@dataclass
class MapParts:
    """A base map and the overlays to put on it."""

    base: folium.Map
    overlays: list[folium.FeatureGroup]


def build_map(
    view: View,
    layers: Mapping[str, gpd.GeoDataFrame],
    specs: Mapping[str, LayerSpec],
    *,
    key: str | None = None,
    standalone: bool = False,
    asset_prefix: str = VENDOR_URL,
) -> MapParts:
    """Return the base map and overlays of a view.

    Parameters
    ----------
    view, layers, specs, key
        As for :func:`view_overlays`.
    standalone : bool
        Open the base map at the view's centre and zoom (for a standalone
        HTML page or an export). Leave False in Streamlit, where the view
        goes to ``st_folium(center=..., zoom=...)`` instead.
    asset_prefix : str
        Where the vendored assets are served.
    """
    if standalone:
        base = build_base_map(
            view.lang, center=view.center, zoom=view.zoom, asset_prefix=asset_prefix
        )
    else:
        base = build_base_map(view.lang, asset_prefix=asset_prefix)
    return MapParts(base, view_overlays(view, layers, specs, key=key))


def render_html(parts: MapParts) -> str:
    """Render base map and overlays into one standalone HTML page (benchmarks, exports)."""
    for fg in parts.overlays:
        fg.add_to(parts.base)
    html: str = parts.base.get_root().render()
    return html
