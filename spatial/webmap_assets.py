"""The map's front-end assets: every JS/CSS file is served by the app, never by a CDN."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import folium
import folium.plugins

__all__ = [
    "VENDOR_URL", "PlanMap", "after_paint_assets", "external_asset_urls", "use_local_assets",
]

VENDOR_URL = "/app/static/vendor/"

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


def _elements(el: Any) -> Iterator[Any]:
    """A map element and all its children, depth first."""
    yield el
    for child in getattr(el, "_children", {}).values():
        yield from _elements(child)


def external_asset_urls(m: folium.Map) -> list[str]:
    """Return every JS/CSS URL of a map (and its children) that the app does not serve.

    A URL counts as served by the app when it is relative (starts with ``/``
    but not ``//``, or has no scheme). Use it in tests of any page that adds
    its own elements to the map. Files loaded after the first paint
    (:func:`after_paint_assets`) count too.
    """
    listed = [url for el in _elements(m)
              for _name, url in [*getattr(el, "default_js", []), *getattr(el, "default_css", [])]]
    found = [url for url in listed + after_paint_assets(m)
             if re.match(r"^([a-z][a-z0-9+.-]*:|//)", url, flags=re.IGNORECASE)]
    return list(dict.fromkeys(found))


def after_paint_assets(m: folium.Map) -> list[str]:
    """Return the JS/CSS URLs a map (and its children) loads only after its first paint.

    The measuring tool and the coordinate readout of
    :func:`spatial.webmap.build_base_map` load their files from the page's
    script (``hebiLoad``), in an element's ``late_assets``: they are in no
    ``<script>``/``<link>`` tag of the page, nor in what ``st_folium`` loads.
    """
    late = [url for el in _elements(m) for url in getattr(el, "late_assets", [])]
    return list(dict.fromkeys(late))
