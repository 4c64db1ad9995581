"""卷帘 and 分屏: compare the plan view (left) with another view (right) on the plan map.

* **卷帘 (swipe)**: one map; the right view's tiles and layers are drawn in
  their own pane and ``leaflet-side-by-side`` (npm, vendored) clips the left
  view to the left of a draggable bar and the right view to its right.
* **分屏 (split)**: the map's frame is halved and a second Leaflet map on the
  right shows the right view; ``leaflet.sync`` (npm, vendored) keeps both maps
  at the same centre and zoom while either is panned or zoomed.

:class:`CompareSupport` is added to the base map (its script is constant, so
the map never remounts); :func:`compare_overlays` returns the feature groups
of a compare mode for ``st_folium(feature_group_to_add=...)``, which turn the
mode on when added and off when ``st_folium`` replaces them.
"""

from __future__ import annotations

import json
from dataclasses import replace

import folium
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from spatial.basemaps import Basemap
from spatial.view import COMPARE_MODES
from spatial.webmap import VENDOR_URL, LayerPayload, _safe_json, basemap_overlay, payload_overlay

__all__ = ["RIGHT_PANE", "CompareSupport", "compare_overlays"]

RIGHT_PANE = "hebiRight"
_RIGHT_TILES = "hebiRightTiles"
_RIGHT_LAYERS = "hebiRightLayers"

_SUPPORT_JS = """
(function (map) {
  // 卷帘: the right view lives in one pane (tiles under layers), above the left view's panes.
  var right = map.createPane("hebiRight");
  right.style.zIndex = 450;
  map.createPane("hebiRightTiles", right).style.zIndex = 1;
  map.createPane("hebiRightLayers", right).style.zIndex = 2;
  var Side = L.Layer.extend({
    initialize: function (els) { this._els = els; },
    onAdd: function () {}, onRemove: function () {},
    // leaflet-side-by-side sets style.clip on the container: here on every pane of the side.
    getContainer: function () {
      var els = this._els;
      return {style: {set clip(v) { els.forEach(function (e) { e.style.clip = v; }); }}};
    }
  });
  var swipe = null, leftSide = null, rightSide = null;
  window.hebiSwipe = function (on) {
    if (swipe) { swipe.remove(); leftSide.remove(); rightSide.remove(); swipe = null; }
    right.style.display = on ? "" : "none";
    if (!on) return;
    // The left view: Leaflet's own panes and the labels (注记) pane of spatial.webmap_labels.
    leftSide = new Side(["tilePane", "overlayPane", "shadowPane", "markerPane", "hebiLabels"].map(
      function (p) { return map.getPane(p) || map.createPane(p); })).addTo(map);
    rightSide = new Side([right]).addTo(map);
    swipe = L.control.sideBySide(leftSide, rightSide).addTo(map);
    window.hebiSwipeControl = swipe;
  };
  right.style.display = "none";
  // 分屏: halve the frame, put a second map on the right, keep both in step.
  var second = null, holder = null;
  window.hebiSplit = function (on) {
    var box = map.getContainer();
    if (second) {
      map.unsync(second); second.unsync(map); second.remove(); holder.remove();
      second = null; window.hebiRightMap = null;
      box.style.width = "100%"; map.invalidateSize(false);
    }
    if (!on) return;
    holder = document.createElement("div");
    holder.className = "hebi-split-map";
    holder.style.cssText = "position:absolute;top:0;right:0;width:50%;height:100%;"
      + "border-left:2px solid #ffffff;box-sizing:border-box;background:#f7f6f2;";
    box.parentNode.style.position = "relative";
    box.parentNode.appendChild(holder);
    box.style.width = "50%";
    map.invalidateSize(false);
    second = L.map(holder, {zoomControl: false, attributionControl: false,
                            minZoom: map.getMinZoom(), maxZoom: map.getMaxZoom()})
      .setView(map.getCenter(), map.getZoom(), {animate: false});
    L.control.scale({position: "bottomleft", metric: true, imperial: false}).addTo(second);
    map.sync(second); second.sync(map);
    window.hebiRightMap = second;
  };
})(__MAP__);
"""


class CompareSupport(JSCSSMixin, MacroElement):
    """The swipe and split machinery, loaded with the base map (constant script)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "{{ this.code|replace('__MAP__', this._parent.get_name()) }}"
        "{% endmacro %}"
    )

    def __init__(self, prefix: str = VENDOR_URL) -> None:
        super().__init__()
        self._name = "CompareSupport"
        self.code = _SUPPORT_JS
        self.default_js = [
            ("leaflet_side_by_side", prefix + "side-by-side/leaflet-side-by-side.js"),
            ("leaflet_sync", prefix + "leaflet-sync/L.Map.Sync.js"),
        ]
        self.default_css = [
            ("leaflet_side_by_side_layout", prefix + "side-by-side/layout.css"),
            ("leaflet_side_by_side_range", prefix + "side-by-side/range.css"),
        ]


class _CompareMode(MacroElement):
    """Turns a compare mode on when its group is added, off when it is removed."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (group) {
          var fn = {{ this.mode|tojson }} === "swipe" ? "hebiSwipe" : "hebiSplit";
          group.on("add", function () { window[fn](true); });
          group.on("remove", function () { window[fn](false); });
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, mode: str) -> None:
        super().__init__()
        self._name = "CompareMode"
        self.mode = mode


class _OnRightMap(MacroElement):
    """分屏: moves its group's layers to the right-hand map (and takes them away with it)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (group) {
          var moved = [];
          group.on("add", function () {
            var other = window.hebiRightMap, map = group._map;
            if (!other) return;
            group.eachLayer(function (l) { map.removeLayer(l); other.addLayer(l); moved.push(l); });
          });
          group.on("remove", function () {
            moved.forEach(function (l) { if (l._map) l._map.removeLayer(l); });
            moved = [];
          });
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "OnRightMap"


def _in_pane(payload: LayerPayload, pane: str) -> LayerPayload:
    styles = json.loads(payload.styles_json)
    for style in styles:
        style["pane"] = pane
    return replace(payload, styles_json=_safe_json(styles))


def compare_overlays(
    mode: str,
    basemap: Basemap,
    payloads: list[LayerPayload],
    *,
    key: str | None = None,
    lang: str = "zh",
) -> list[folium.FeatureGroup]:
    """Return the feature groups of the right-hand view of a compare mode.

    Parameters
    ----------
    mode : {"swipe", "split"}
        卷帘 or 分屏.
    basemap : Basemap
        The right view's basemap.
    payloads : list of LayerPayload
        The right view's layers in drawing order (shifted to GCJ-02 when the
        right basemap needs it); drawn without their labels (注记).
    key : str, optional
        天地图 key.
    lang : str
        Basemap label language.

    Returns
    -------
    list of folium.FeatureGroup
        To be put after the left view's overlays; the first one switches the mode on.

    Raises
    ------
    ValueError
        For an unknown mode (a programming error).
    """
    if mode not in COMPARE_MODES:
        raise ValueError(f"unknown compare mode {mode!r}")
    switch = folium.FeatureGroup(name=None, control=False)
    _CompareMode(mode).add_to(switch)
    groups = [switch]
    tiles = basemap_overlay(basemap, key=key, lang=lang)
    for name, child in list(tiles._children.items()):
        if isinstance(child, folium.TileLayer):
            if mode == "swipe":
                child.options["pane"] = _RIGHT_TILES
        else:  # the left view's basemap state (paper colour, GCJ-02 readout) stays the left's
            del tiles._children[name]
    groups.append(tiles)
    for payload in payloads:
        # Without labels: the label engine draws one set of 注记 for the whole map (the left
        # view's); the right view's names would show on both sides of the bar.
        payload = replace(payload, labels_json="")
        groups.append(payload_overlay(_in_pane(payload, _RIGHT_LAYERS) if mode == "swipe"
                                      else payload))
    if mode == "split":
        for group in groups[1:]:
            _OnRightMap().add_to(group)
    return groups


