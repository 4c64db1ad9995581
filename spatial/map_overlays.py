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

__all__ = ["HIGHLIGHT_CLASS", "HIGHLIGHT_STYLE", "faded_payload", "highlight_overlay"]

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
