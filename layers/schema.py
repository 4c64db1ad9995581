"""The layer catalogue's schema: what a layer means, declared once.

A :class:`LayerSpec` says what a layer is (titles, group, geometry type), which
properties every feature must carry, how it is drawn (style, dash for
schematic features), its legend entries, default visibility and drawing
order. The GeoJSON file holds only features. The map, the legend on screen and
the legend in a printed snapshot are all built from these declarations, so
they cannot drift apart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from layers.fields import field_label
from layers.label_text import map_name_en

__all__ = [
    "COMMON_PROPERTIES",
    "CONFIDENCE_LEVELS",
    "GROUPS",
    "MARKERS",
    "GeometryType",
    "Group",
    "LabelRule",
    "LayerSpec",
    "LegendEntry",
    "PropertySpec",
    "PropertyType",
    "Style",
    "group_by_id",
]

GeometryType = Literal["Point", "LineString", "Polygon"]
PropertyType = Literal["str", "int", "float", "bool", "list"]

CONFIDENCE_LEVELS: tuple[str, ...] = ("high", "medium", "low", "schematic")


@dataclass(frozen=True)
class Group:
    """A layer group as the planner sees it in the layer switcher."""

    id: str
    title_zh: str
    title_en: str


GROUPS: tuple[Group, ...] = (
    Group("structure", "规划结构", "Plan structure"),
    Group("parks", "园区与保税区", "Parks and bonded zone"),
    Group("green", "绿地水系", "Green space and water"),
    Group("life_circles", "生活圈", "Living circles"),
    Group("facilities", "服务设施", "Service facilities"),
    Group("roads", "道路", "Roads"),
    Group("reference", "参考底图要素", "Reference features"),
    Group("user", "我的图层", "My layers"),
)


def group_by_id(group_id: str) -> Group:
    """Return the group with this id.

    Raises
    ------
    KeyError
        If no group has this id.
    """
    for g in GROUPS:
        if g.id == group_id:
            return g
    raise KeyError(group_id)


@dataclass(frozen=True)
class PropertySpec:
    """One property every feature of a layer must (or may) carry.

    Attributes
    ----------
    name : str
        Property key.
    type : {"str", "int", "float", "bool", "list"}
        Expected JSON type; ``float`` also accepts integers.
    required : bool
        The key must be present.
    nullable : bool
        ``null`` is an accepted value.
    allowed : tuple, optional
        The value must be one of these.
    label_zh, label_en : str
        The field's name as a planner reads it (表头, tooltip); empty: the
        catalogue-wide alias of :data:`layers.fields.FIELD_LABELS`.
    """

    name: str
    type: PropertyType = "str"
    required: bool = True
    nullable: bool = False
    allowed: tuple[Any, ...] | None = None
    label_zh: str = ""
    label_en: str = ""

    def label(self, lang: str = "zh") -> str:
        """Return the field's alias in ``lang`` (never the raw key for a catalogue field)."""
        own = (self.label_zh, self.label_en or self.label_zh) if self.label_zh else None
        return field_label(self.name, lang, own)

    def problem(self, value: Any) -> str | None:
        """Return what is wrong with ``value`` for this property, or None if it fits."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            # An optional property absent from one feature reads back as null.
            return None if self.nullable or not self.required else f"“{self.name}” is empty"
        ok = {
            "str": isinstance(value, str) and value.strip() != "",
            "int": isinstance(value, int) and not isinstance(value, bool),
            "float": isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(float(value)),
            "bool": isinstance(value, bool),
            "list": isinstance(value, list | tuple),
        }[self.type]
        if not ok:
            return f"“{self.name}” should be {self.type}, got {value!r:.60}"
        if self.allowed is not None and value not in self.allowed:
            allowed = ", ".join(map(str, self.allowed))
            return f"“{self.name}” is {value!r:.60}, expected one of: {allowed}"
        return None


COMMON_PROPERTIES: tuple[PropertySpec, ...] = (
    PropertySpec("id", label_zh="编号", label_en="ID"),
    PropertySpec("name", label_zh="名称", label_en="Name"),
    PropertySpec("name_en", label_zh="英文名称", label_en="English name"),
    PropertySpec("kind", label_zh="类型", label_en="Type"),
    PropertySpec("source", label_zh="来源", label_en="Source"),
    PropertySpec("confidence", allowed=CONFIDENCE_LEVELS, label_zh="位置可信度",
                 label_en="Position reliability"),
)


def _regular(n: int, turn: float = 0.0, scale: float = 1.0) -> tuple[tuple[float, float], ...]:
    return tuple(
        (round(scale * math.sin(turn + 2 * math.pi * k / n), 3),
         round(-scale * math.cos(turn + 2 * math.pi * k / n), 3))
        for k in range(n)
    )


def _star() -> tuple[tuple[float, float], ...]:
    outer, inner = _regular(5, scale=1.25), _regular(5, math.pi / 5, scale=0.5)
    return tuple(p for pair in zip(outer, inner, strict=True) for p in pair)


_CROSS_W = 0.38
# Marker outlines with radius 1 (y grows downwards, as on screen). "circle" has none.
MARKERS: dict[str, tuple[tuple[float, float], ...]] = {
    "circle": (),
    "square": ((-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)),
    "triangle": _regular(3, scale=1.2),
    "triangle_down": _regular(3, math.pi, scale=1.2),
    "diamond": _regular(4, scale=1.2),
    "pentagon": _regular(5, scale=1.05),
    "hexagon": _regular(6, scale=1.05),
    "star": _star(),
    "cross": ((-_CROSS_W, -1.0), (_CROSS_W, -1.0), (_CROSS_W, -_CROSS_W), (1.0, -_CROSS_W),
              (1.0, _CROSS_W), (_CROSS_W, _CROSS_W), (_CROSS_W, 1.0), (-_CROSS_W, 1.0),
              (-_CROSS_W, _CROSS_W), (-1.0, _CROSS_W), (-1.0, -_CROSS_W), (-_CROSS_W, -_CROSS_W)),
}


@dataclass(frozen=True)
class Style:
    """How features are drawn, on screen (Leaflet path options) and in print.

    Attributes
    ----------
    colour : str
        Stroke colour (hex).
    fill_colour : str, optional
        Fill colour for polygons and point markers; defaults to ``colour``.
    weight : float
        Stroke width in CSS pixels (screen) / points (print, × 0.75).
    opacity : float
        Stroke opacity.
    fill_opacity : float
        Fill opacity (polygons, point markers).
    dash : str, optional
        Leaflet ``dashArray`` such as ``"8 6"``; None draws a solid line.
    radius : float
        Point marker radius in pixels.
    marker : str
        Point marker shape, one of :data:`MARKERS` (``"circle"`` by default).
    """

    colour: str
    fill_colour: str | None = None
    weight: float = 2.0
    opacity: float = 0.9
    fill_opacity: float = 0.25
    dash: str | None = None
    radius: float = 5.0
    marker: str = "circle"

    def marker_vertices(self) -> tuple[tuple[float, float], ...]:
        """Return the marker outline as unit vertices (radius 1, y down); () for a circle.

        Screen (the map and its legend) and print scale the same outline by
        the radius, so a shape means the same category everywhere.
        """
        return MARKERS.get(self.marker, ())

    # Schematic lines are dashed everywhere so nobody mistakes them for surveyed ones.
    SCHEMATIC_DASH = "8 6"

    def schematic(self) -> Style:
        """Return this style with the schematic dash applied."""
        return replace(self, dash=self.dash or self.SCHEMATIC_DASH)

    def leaflet(self) -> dict[str, Any]:
        """Return Leaflet path options (``color``, ``weight``, ``dashArray`` …)."""
        opts: dict[str, Any] = {
            "color": self.colour,
            "weight": self.weight,
            "opacity": self.opacity,
            "fillColor": self.fill_colour or self.colour,
            "fillOpacity": self.fill_opacity,
        }
        if self.dash:
            opts["dashArray"] = self.dash
            # Square dash ends and corners: a dash reads as drawn ("8 6" is 8 px on, 6 off),
            # not lengthened by round caps; it also rasterises faster.
            opts["lineCap"] = "butt"
            opts["lineJoin"] = "miter"
        vertices = self.marker_vertices()
        if vertices:
            opts["shape"] = [list(v) for v in vertices]
        return opts


LabelPlacement = Literal["line", "point", "area"]
# A trailing note in full- or half-width brackets: "（第七轴，规划未具名）", " (schematic)".
_NOTE_RE = re.compile(r"\s*[（(][^（）()]*[）)]\s*$")


@dataclass(frozen=True)
class LabelRule:
    """How a layer's features are labelled (注记), on screen and in print alike.

    One rule per layer, declared in the catalogue; the web map and the print
    export both read it, so a name shown on screen is the name printed.

    Attributes
    ----------
    placement : {"line", "point", "area"}
        ``line``: text along the line; ``point``: beside the point;
        ``area``: at a point inside the polygon.
    priority : int
        When two labels overlap, the one with the higher priority stays
        (structure > parks > green/water > roads > facilities).
    min_zoom : int
        Smallest web-map zoom at which the label is shown. Print shows the
        label when the figure's scale is at least as detailed as this zoom.
    size : float
        Text size in CSS pixels on screen; print uses ``size * 0.75`` points.
    colour : str
        Text colour (hex).
    halo : str
        Halo colour drawn around the text so it reads on any basemap.
    bold : bool
        Bold text (structure elements).
    field_zh, field_en : str
        Properties holding the label text in each language.
    drop_note : bool
        Leave a trailing bracketed note out of the label ("京广高速铁路（石武段）" →
        "京广高速铁路"): a map name is short; the note stays in the tooltip and details.
    short_en : bool
        Label in English with the short map form of the name
        (:func:`layers.label_text.map_name_en`: "Xue'er St transport axis"); the
        tooltip and details keep the full name.
    """

    placement: LabelPlacement
    priority: int = 50
    min_zoom: int = 12
    size: float = 12.0
    colour: str = "#222222"
    halo: str = "#ffffff"
    bold: bool = False
    field_zh: str = "name"
    field_en: str = "name_en"
    drop_note: bool = True
    short_en: bool = True

    def text(self, props: Mapping[str, Any], lang: str = "zh") -> str | None:
        """Return the label text of one feature in ``lang``, or None if it gets no label.

        A feature that is only illustrative and that the plan does not name
        (``confidence == "schematic"`` and ``named_in_plan`` false, e.g. a
        generated local street) gets no label: its name is ours, not the
        plan's. Screen and print both ask this method, so they agree.
        """
        # str(): the flag may arrive as a numpy boolean from a GeoDataFrame row.
        if props.get("confidence") == "schematic" and str(props.get("named_in_plan")) == "False":
            return None
        value = props.get(self.field_en if lang == "en" else self.field_zh)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        text = str(value).strip()
        if self.drop_note:
            text = _NOTE_RE.sub("", text).strip() or text
        if lang == "en" and self.short_en:
            text = map_name_en(text)
        return text or None


@dataclass(frozen=True)
class LegendEntry:
    """One row of a legend: a symbol and a label."""

    label_zh: str
    label_en: str
    style: Style
    symbol: Literal["point", "line", "fill"]

    def label(self, lang: str = "zh") -> str:
        """Return the label in ``"zh"`` or ``"en"``."""
        return self.label_en if lang == "en" else self.label_zh


_SYMBOL_FOR_GEOMETRY: dict[str, Literal["point", "line", "fill"]] = {
    "Point": "point",
    "LineString": "line",
    "Polygon": "fill",
}


@dataclass(frozen=True)
class LayerSpec:
    """The declaration of one catalogue layer.

    Attributes
    ----------
    id : str
        Layer id; the file is ``data/geo/<file or id>.geojson``.
    title_zh, title_en : str
        Layer titles.
    group : str
        Id of one of :data:`GROUPS`.
    geometry : {"Point", "LineString", "Polygon"}
        Geometry family; Multi* variants of the same family are accepted.
    properties : tuple of PropertySpec
        Layer-specific properties, checked in addition to :data:`COMMON_PROPERTIES`.
    style : Style
        Default style.
    style_by : str, optional
        A property whose value selects a style from ``style_map`` (e.g. ``kind``).
    style_map : mapping, optional
        Property value → (style, legend label zh, legend label en).
    schematic_labels : mapping, optional
        Property value → (zh, en) legend name of its schematic row, where the
        value's schematic features are another thing than its solid ones (the
        context role: 鹤壁东区 drawn as estimated, the ETDZ extent as schematic).
    visible : bool
        Shown when the app opens.
    z_order : int
        Drawing order; higher draws on top.
    tooltip : tuple of str
        Properties shown on hover, in this order.
    allow_null_geometry : bool
        Features with ``location_known: false`` may have no geometry.
    description_zh, description_en : str
        What the layer is and where it came from (shown in the details panel).
    file : str, optional
        File stem when it differs from ``id``.
    label : LabelRule, optional
        How the layer's features are labelled on screen and in print; None draws no labels.
    """

    id: str
    title_zh: str
    title_en: str
    group: str
    geometry: GeometryType
    style: Style
    properties: tuple[PropertySpec, ...] = ()
    style_by: str | None = None
    style_map: Mapping[Any, tuple[Style, str, str]] = field(default_factory=dict)
    schematic_labels: Mapping[Any, tuple[str, str]] = field(default_factory=dict)
    visible: bool = True
    z_order: int = 0
    tooltip: tuple[str, ...] = ("name", "name_en", "confidence")
    allow_null_geometry: bool = False
    description_zh: str = ""
    description_en: str = ""
    file: str | None = None
    label: LabelRule | None = None

    def __post_init__(self) -> None:
        group_by_id(self.group)  # fail at import time on a typo in a declaration

    @property
    def file_stem(self) -> str:
        """File stem of the layer's GeoJSON in the data directory."""
        return self.file or self.id

    def title(self, lang: str = "zh") -> str:
        """Return the title in ``"zh"`` or ``"en"``."""
        return self.title_en if lang == "en" else self.title_zh

    def all_properties(self) -> tuple[PropertySpec, ...]:
        """Common properties followed by the layer's own."""
        own = {p.name for p in self.properties}
        return tuple(p for p in COMMON_PROPERTIES if p.name not in own) + self.properties

    def style_for(self, props: Mapping[str, Any]) -> Style:
        """Return the style of one feature: by ``style_by``, dashed when schematic."""
        style = self.style
        if self.style_by is not None:
            hit = self.style_map.get(props.get(self.style_by))
            if hit is not None:
                style = hit[0]
        if props.get("confidence") == "schematic":
            style = style.schematic()
        return style

    def field_aliases(self) -> dict[str, tuple[str, str]]:
        """Field → (zh, en) aliases declared on this layer's properties (common ones included)."""
        return {p.name: (p.label("zh"), p.label("en")) for p in self.all_properties()}

    def legend(self) -> list[LegendEntry]:
        """Return the legend entries of this layer, from the declaration alone."""
        symbol = _SYMBOL_FOR_GEOMETRY[self.geometry]
        if self.style_by is not None and self.style_map:
            return [
                LegendEntry(zh, en, style, symbol) for style, zh, en in self.style_map.values()
            ]
        return [LegendEntry(self.title_zh, self.title_en, self.style, symbol)]


def specs_in_groups(specs: Iterable[LayerSpec], groups: Iterable[str]) -> list[LayerSpec]:
    """Return the specs whose group is in ``groups``, in drawing order."""
    wanted = set(groups)
    return sorted((s for s in specs if s.group in wanted), key=lambda s: s.z_order)
