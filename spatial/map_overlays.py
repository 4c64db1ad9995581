"""Extra overlays of the plan map: the highlighted feature, and layers faded by the layer tree.

Both travel through ``st_folium(feature_group_to_add=...)`` like every other
overlay, so selecting a feature or changing a layer's opacity never remounts
the map. The payload format and the decoder are those of
:mod:`spatial.webmap`; nothing here changes them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement
from folium.template import Template

from spatial.text import escape_text
from spatial.webmap import LayerPayload, _safe_json, layer_payload, payload_overlay

__all__ = [
    "HIGHLIGHT_CLASS",
    "HIGHLIGHT_STYLE",
    "ClickHighlight",
    "faded_payload",
    "highlight_overlay",
]

HIGHLIGHT_CLASS = "hebi-highlight"
# Cyan reads against every plan colour (reds, oranges, greens, purples) and every basemap.
# Not interactive: a click passes through to the feature underneath, which stays identifiable.
HIGHLIGHT_STYLE: dict[str, Any] = {
    "color": "#00e5ff",
    "weight": 6,
    "opacity": 1.0,
    "fillColor": "#00e5ff",
    "fillOpacity": 0.1,
    "radius": 12,
    "interactive": False,
    "className": HIGHLIGHT_CLASS,
}


def faded_payload(payload: LayerPayload, factor: float) -> LayerPayload:
    """Return a layer's payload with stroke and fill opacity multiplied by ``factor``.

    Only the small style table is rewritten, so the cached geometry is reused.
    """
    if factor >= 1.0:
        return payload
    styles = json.loads(payload.styles_json)
    for style in styles:
        for key in ("opacity", "fillOpacity"):
            base = style.get(key, 1.0 if key == "opacity" else 0.2)
            if isinstance(base, int | float):
                style[key] = round(float(base) * max(0.0, factor), 3)
    return replace(payload, styles_json=_safe_json(styles))


class _HighlightMark(MacroElement):
    """Tells the page (and tests) what is highlighted and where: ``window.hebiHighlight``."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (group) {
          group.on("add", function () {
            var b = group.getBounds();
            window.hebiHighlight = {label: {{ this.label|tojson }}, bounds: b.isValid()
              ? [[b.getSouth(), b.getWest()], [b.getNorth(), b.getEast()]] : null};
            if (group.bringToFront) group.bringToFront();
            if (window.hebiClearClickHighlight) window.hebiClearClickHighlight();
          });
          group.on("remove", function () { window.hebiHighlight = null; });
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, label: str) -> None:
        super().__init__()
        self._name = "HighlightMark"
        self.label = escape_text(label)


def highlight_overlay(
    feature: gpd.GeoDataFrame, *, label: str = "", gcj02: bool = False
) -> folium.FeatureGroup:
    """Return an overlay outlining one (or a few) features on top of everything.

    Parameters
    ----------
    feature : GeoDataFrame
        The feature(s) to highlight, any CRS.
    label : str
        What is highlighted (escaped; exposed as ``window.hebiHighlight.label``).
    gcj02 : bool
        Shift for display on Gaode tiles, as the layers are.
    """
    payload = layer_payload(feature, styles=[HIGHLIGHT_STYLE], name=label, gcj02=gcj02)
    fg = payload_overlay(payload)
    _HighlightMark(label).add_to(fg)
    return fg


class ClickHighlight(MacroElement):
    """Outline, in the browser, the feature a click lands on (no round trip to the server).

    Attached to the base map; its JavaScript is constant, so the map is never
    remounted. Every vector layer added later gets a click handler that draws
    the clicked feature on top in :data:`HIGHLIGHT_STYLE`: for a merged path
    (many features of one style, see :func:`spatial.webmap.layer_payload`) only
    the part under the pointer. A click on empty map clears it; a server-side
    highlight (:func:`highlight_overlay`) replaces it.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map) {
          var style = {{ this.style|tojson }};
          var clear = function () {
            if (window.hebiClickHighlight) { window.hebiClickHighlight.remove(); }
            window.hebiClickHighlight = null;
          };
          var inside = function (ring, ll) {
            var c = false;
            for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
              var a = ring[i], b = ring[j];
              if ((a.lat > ll.lat) !== (b.lat > ll.lat) &&
                  ll.lng < (b.lng - a.lng) * (ll.lat - a.lat) / (b.lat - a.lat) + a.lng) c = !c;
            }
            return c;
          };
          var near = function (line, p, m) {
            var d = Infinity;
            for (var i = 1; i < line.length; i++) {
              d = Math.min(d, L.LineUtil.pointToSegmentDistance(
                p, m.latLngToLayerPoint(line[i - 1]), m.latLngToLayerPoint(line[i])));
            }
            return d;
          };
          // The part of a (merged) path under the click: areas by containment, lines by distance.
          var part = function (layer, e, style) {
            var lls = layer.getLatLngs();
            if (layer instanceof L.Polygon) {
              var polys = L.LineUtil.isFlat(lls[0]) ? [lls] : lls, best = null;
              polys.forEach(function (poly) { if (inside(poly[0], e.latlng)) best = poly; });
              if (best) return L.polygon(best, style);
              var dMin = Infinity;
              polys.forEach(function (poly) {
                var d = near(poly[0].concat([poly[0][0]]), e.layerPoint, layer._map);
                if (d < dMin) { dMin = d; best = poly; }
              });
              return best ? L.polygon(best, style) : null;
            }
            var lines = L.LineUtil.isFlat(lls) ? [lls] : lls, pick = null, m = Infinity;
            lines.forEach(function (line) {
              var d = near(line, e.layerPoint, layer._map);
              if (d < m) { m = d; pick = line; }
            });
            return pick ? L.polyline(pick, style) : null;
          };
          var onClick = function (e) {
            window.hebiClickOnLayer = true;
            // Drawn where the clicked feature is: its pane (卷帘 right side) and its map (分屏).
            var own = L.extend({}, style, {pane: this.options.pane || "overlayPane"});
            // A plan layer's merged points (window.HebiDots) know which of them was clicked.
            var shape = this.hebiHighlight ? this.hebiHighlight(e, own)
              : this instanceof L.CircleMarker ? L.circleMarker(this.getLatLng(), L.extend(own,
                  {radius: (this.options.radius || 5) + 5}))
              : part(this, e, own);
            clear();
            if (shape) { window.hebiClickHighlight = shape.addTo(this._map || map); }
          };
          map.on("layeradd", function (e) {
            var l = e.layer;
            if (l instanceof L.Path && l.options.interactive !== false && !l.hebiClickable) {
              l.hebiClickable = true;
              l.on("click", onClick);
            }
          });
          map.on("click", function () {
            if (!window.hebiClickOnLayer) clear();
            window.hebiClickOnLayer = false;
          });
          window.hebiClearClickHighlight = clear;
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "ClickHighlight"
        self.style = {k: v for k, v in HIGHLIGHT_STYLE.items() if k != "radius"}
