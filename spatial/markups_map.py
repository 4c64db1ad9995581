"""Markups on the web map: the drawing tool (Leaflet.draw, served by the app) and the overlay.

Every markup text that reaches the map (tooltip and popup) goes through
:func:`spatial.text.escape_text`, so HTML, JS template literals and Jinja in a comment
are shown, never run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template
from numpy.typing import NDArray
from shapely.geometry.base import BaseGeometry

from layers.fields import local_time
from spatial.audit import actor_label
from spatial.crs import WGS84, gcj02_to_wgs84, shift_geometry_to_gcj02
from spatial.markups import CATEGORY_COLOURS, Markup, category_name
from spatial.text import escape_text
from spatial.view import zoom_for_bbox
from spatial.webmap_assets import VENDOR_URL

__all__ = [
    "MARKUP_MAX_ZOOM", "MARKUP_PANE", "MarkupDraw", "add_draw_control", "draw_control",
    "markup_target", "markups_overlay", "unshift_gcj02",
]


class MarkupDraw(folium.plugins.Draw):
    """folium's Draw plugin loading Leaflet.draw from the app (``static/vendor``), no CDN."""

    default_js = [("leaflet_draw_js", VENDOR_URL + "leaflet-draw/leaflet.draw.js")]  # noqa: RUF012
    default_css = [  # noqa: RUF012
        ("leaflet_draw_css", VENDOR_URL + "leaflet-draw/leaflet.draw.css")
    ]


# Leaflet.draw's labels in Chinese (its own defaults are English). Our constant text only.
_DRAW_LOCAL_ZH = {
    "draw": {
        "toolbar": {
            "actions": {"title": "取消绘制", "text": "取消"},
            "finish": {"title": "完成绘制", "text": "完成"},
            "undo": {"title": "删除最后一个点", "text": "删除最后一点"},
            "buttons": {"polyline": "画线", "polygon": "画面", "circlemarker": "画点"},
        },
        "handlers": {
            "circlemarker": {"tooltip": {"start": "在地图上点击以放置点。"}},
            "polyline": {
                "error": "<strong>错误：</strong>线不能自相交！",
                "tooltip": {"start": "点击开始画线。", "cont": "点击继续画线。",
                            "end": "点击最后一个点结束画线。"},
            },
            "polygon": {"tooltip": {"start": "点击开始画面。", "cont": "点击继续画面。",
                                    "end": "点击第一个点闭合此面。"}},
        },
    },
    "edit": {
        "toolbar": {
            "actions": {"save": {"title": "保存", "text": "保存"},
                        "cancel": {"title": "取消", "text": "取消"},
                        "clearAll": {"title": "清除所有未保存的图形", "text": "全部清除"}},
            "buttons": {"remove": "删除未保存的图形", "removeDisabled": "没有可删除的图形"},
        },
        "handlers": {"remove": {"tooltip": {"text": "点击要删除的图形。"}}},
    },
}


class _DrawLocal(MacroElement):
    """Set Leaflet.draw's labels before its control is built (added to the map first)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function (loc) {"
        " var merge = function (a, b) { for (var k in b) {"
        "  if (typeof b[k] === 'object' && a[k]) { merge(a[k], b[k]); } else { a[k] = b[k]; } } };"
        " if (window.L && L.drawLocal) { merge(L.drawLocal, loc); }"
        "})({{ this.local }});"
        "{% endmacro %}"
    )

    def __init__(self, local: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "DrawLocal"
        self.local = json.dumps(local, ensure_ascii=False)


def add_draw_control(m: folium.Map, lang: str = "zh") -> MarkupDraw:
    """Add the drawing tool to ``m`` with its labels in the UI language."""
    if lang != "en":
        _DrawLocal(_DRAW_LOCAL_ZH).add_to(m)
    control = draw_control()
    control.add_to(m)
    return control


# A shape being drawn: the 问题 colour, never a plan symbol's red.
_DRAWING = CATEGORY_COLOURS["issue"]


def draw_control() -> MarkupDraw:
    """Return the drawing tool: point (circle marker), line and area; no editing of others."""
    return MarkupDraw(
        position="topleft",
        show_geometry_on_click=False,
        draw_options={
            "polyline": {"shapeOptions": {"color": _DRAWING}},
            "polygon": {"allowIntersection": False, "shapeOptions": {"color": _DRAWING}},
            "rectangle": False,
            "circle": False,
            "marker": False,
            "circlemarker": {"color": _DRAWING},
        },
        edit_options={"edit": False, "remove": True},
    )


def unshift_gcj02(geom: BaseGeometry) -> BaseGeometry:
    """Return a geometry drawn on GCJ-02 tiles in WGS84 (the storage CRS)."""

    def back(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        arr = np.asarray(coords, dtype=float)
        lon, lat = gcj02_to_wgs84(arr[:, 0], arr[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, back)


# Markups are drawn in their own pane above the plan's labels (the label pane is 640, see
# spatial/webmap_labels.py) and under tooltips (650) and popups (700): a comment is the point
# of the map it is on and must never hide under a name.
MARKUP_PANE = "hebiMarkups"
MARKUP_PANE_Z = 645
# Dark outline and the number badge tell a markup from any plan symbol.
_OUTLINE = "#111111"
# 定位 stops at a planning scale (about 1:10,000 on screen), never at street detail.
MARKUP_MAX_ZOOM = 15


class _MarkupPane(MacroElement):
    """Create the markups' pane on the map the group is added to (once per map)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "(function (m) { if (!m.getPane({{ this.pane_js }})) {"
        " var p = m.createPane({{ this.pane_js }}); p.style.zIndex = {{ this.z }}; } })"
        "({{ this.map_name }});"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MarkupPane"
        self.pane_js = json.dumps(MARKUP_PANE)
        self.z = MARKUP_PANE_Z
        self.map_name = ""

    def render(self, **kwargs: Any) -> str:
        """Name the map the group sits on (known only once the group is added)."""
        parent = self._parent
        while parent is not None and not isinstance(parent, folium.Map):
            parent = getattr(parent, "_parent", None)
        if parent is None:
            raise ValueError("the markups' group must be added to a map before it is drawn")
        self.map_name = parent.get_name()
        return str(super().render(**kwargs))


def markup_target(geom: BaseGeometry) -> tuple[tuple[float, float], int]:
    """Return the centre ``(lat, lon)`` and zoom that show a markup with its surroundings.

    The zoom frames the markup but stops at :data:`MARKUP_MAX_ZOOM`: a comment on the
    plan is read against the plan around it.
    """
    minx, miny, maxx, maxy = (float(v) for v in geom.bounds)
    pad_x, pad_y = (maxx - minx) * 0.1, (maxy - miny) * 0.1
    return zoom_for_bbox((minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y),
                         900, 600, MARKUP_MAX_ZOOM)


def _badge(m: Markup, colour: str) -> str:
    """The number beside a markup: ``#1`` on its colour, dark outline (constant text only)."""
    return (f'<div class="hebi-markup-no" style="position:absolute;left:7px;top:-24px;'
            f"background:{colour};color:#111;border:2px solid {_OUTLINE};border-radius:9px;"
            f'padding:0 5px;font:700 12px/16px sans-serif;white-space:nowrap">#{int(m.no)}</div>')


def _thread_html(m: Markup, lang: str) -> str:
    """Popup HTML of one markup: every text escaped."""
    en = lang == "en"
    head = (f"<b>#{m.no} {escape_text(category_name(m.category, lang))}</b>"
            f" · {escape_text(actor_label(m.author, lang))}"
            f" · {escape_text(local_time(m.created_utc, lang))}")
    body = escape_text(m.comment).replace("\n", "<br>")
    replies = "".join(
        f"<div style='margin-top:4px;padding-left:6px;border-left:2px solid #ccc'>"
        f"<i>{escape_text(actor_label(r.author, lang))}</i>："
        f"{escape_text(r.text).replace(chr(10), '<br>')}</div>"
        for r in m.replies
    )
    label = "Replies" if en else "回复"
    thread = f"<div style='margin-top:6px'><b>{label}</b>{replies}</div>" if replies else ""
    return f"<div class='hebi-markup' style='max-width:320px'>{head}<div>{body}</div>{thread}</div>"


def markups_overlay(
    markups: Sequence[Markup], *, lang: str = "zh", gcj02: bool = False,
    name: str | None = None,
) -> folium.FeatureGroup:
    """Return the markups as a feature group: colour by category, numbered tooltip, popup thread.

    Parameters
    ----------
    markups : sequence of Markup
        What to show (WGS84).
    lang : str
        ``"zh"`` or ``"en"``.
    gcj02 : bool
        Shift for display on GCJ-02 (Gaode) tiles.
    name : str, optional
        The group's name in a layer control.
    """
    fg = folium.FeatureGroup(name=escape_text(name or ("批注" if lang != "en" else "Markups")))
    _MarkupPane().add_to(fg)
    for m in markups:
        geom = m.geometry
        if gcj02:
            geom = shift_geometry_to_gcj02(gpd.GeoSeries([geom], crs=WGS84)).iloc[0]
        colour = CATEGORY_COLOURS.get(m.category, "#555555")
        tip = escape_text(f"#{m.no} {category_name(m.category, lang)}：{_short(m.comment)}")
        popup = folium.Popup(_thread_html(m, lang), max_width=340, parse_html=False)
        at = geom.representative_point()  # the point itself, or a point on the line/area
        if geom.geom_type == "Point":
            dot = folium.CircleMarker(
                location=[at.y, at.x], radius=8, color=_OUTLINE, weight=2.5,
                fill=True, fill_color=colour, fill_opacity=0.95,
                tooltip=folium.Tooltip(tip, sticky=True), popup=popup,
            )
            dot.options["pane"] = MARKUP_PANE  # folium's path options leave ``pane`` out
            dot.add_to(fg)
        else:
            style = {"color": colour, "weight": 4, "fillColor": colour, "fillOpacity": 0.2,
                     "dashArray": "8 4"}
            shape = folium.GeoJson(
                {"type": "Feature", "properties": {},
                 "geometry": shapely.geometry.mapping(geom)},
                style_function=lambda _f, s=style: s,
                tooltip=folium.Tooltip(tip, sticky=True),
            )
            shape.options["pane"] = MARKUP_PANE  # Leaflet gives the paths the layer's options
            shape.add_child(popup).add_to(fg)
        folium.Marker(
            location=[at.y, at.x], pane=MARKUP_PANE,
            icon=folium.DivIcon(html=_badge(m, colour), icon_size=(0, 0),
                                class_name="hebi-markup-badge"),
            tooltip=folium.Tooltip(tip, sticky=True),
        ).add_to(fg)
    return fg


def _short(text: str, limit: int = 60) -> str:
    s = " ".join(text.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"
