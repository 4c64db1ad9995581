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

Big layers are drawn on one canvas per map (and pane) in the browser: a
layer of more than 2,000 points (clustered by zoom; only what is in view
becomes a marker) or more than 1,000 lines and areas (merged per style in
paths of at most 100 nearby features, simplified per zoom in screen pixels),
each with one shared tooltip/identify handler. The plan's own layers stay SVG
paths (labels, highlight and tests read them), merged per style: the points of
a style too, as one Leaflet layer of circles or shapes writing one SVG path per
256-pixel cell at the current zoom (``window.HebiDots``). See ``window.hebiManyPoints`` and
``window.hebiShapes`` in :mod:`spatial.webmap_base`, ``window.hebiDots`` in
:mod:`spatial.webmap_dots`.

By concern: :mod:`spatial.webmap_assets` (vendored JS/CSS),
:mod:`spatial.webmap_base` (base map, controls, basemap tiles and their
error notice, the drawing JavaScript), :mod:`spatial.webmap_encode`
(compact geometries) and :mod:`spatial.webmap_labels` (注记 from each
layer's label rule, placed in the browser); their public names are
importable from here as before.

Other pages draw their own overlays on the same base map with
:func:`geojson_overlay` (any GeoDataFrame, per-feature styles and plain-text
tooltips) and pass them, after :func:`basemap_overlay`, to ``st_folium``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template

from layers.fields import feature_rows
from layers.schema import LayerSpec
from spatial.basemaps import get_basemap
from spatial.crs import WGS84, project_to_gk
from spatial.text import escape_text
from spatial.view import View
from spatial.webmap_assets import (
    VENDOR_URL,
    PlanMap,
    after_paint_assets,
    external_asset_urls,
    use_local_assets,
)
from spatial.webmap_base import (
    _ATTRIBUTION_JS,
    _MAP_JS,
    _SCALE_JS,
    _BasemapState,
    _MapCode,
    _measure_control,
    _mouse_position,
    _NorthArrow,
    basemap_overlay,
    build_base_map,
)
from spatial.webmap_encode import (
    _B64,
    _B64_INDEX,
    _GEOM_CODES,
    COORD_DECIMALS,
    SIMPLIFY_MIN_VERTICES,
    SIMPLIFY_TOLERANCE_M,
    _decode_coords,
    _encode_coords,
    _encode_geometry,
    _light_geometries,
    _rings,
    _round_coords,
    _safe_json,
    decode_geometry,
)
from spatial.webmap_labels import LabelData, label_json

__all__ = [
    "COORD_DECIMALS",
    "VENDOR_URL",
    "LayerPayload",
    "MapParts",
    "PlanMap",
    "TooltipText",
    "after_paint_assets",
    "basemap_overlay",
    "build_base_map",
    "build_map",
    "catalogue_overlay",
    "catalogue_payload",
    "catalogue_tooltip",
    "decode_geometry",
    "decode_tooltips",
    "embedded_refs",
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

# Moved to their own modules (assets, base map, encoding); still importable from here.
_REEXPORTED = (
    _ATTRIBUTION_JS, _B64, _B64_INDEX, _GEOM_CODES, _MAP_JS, _SCALE_JS, _BasemapState, _MapCode,
    _NorthArrow, _decode_coords, _encode_coords, _measure_control, _mouse_position, _rings,
    _round_coords, SIMPLIFY_MIN_VERTICES, SIMPLIFY_TOLERANCE_M,
)


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



# A layer's tooltip pieces travel as ONE string, split in the browser only when a tooltip is
# first needed: thousands of small string literals and arrays cost the page's parser before the
# first paint, one literal less. Every byte of the page costs its parsers too, so a piece
# repeated in the layer (a source cited by every feature, a kind) is sent once, in a table, and
# the hidden references ([[ref:layer#row]], feature_ref) as their row numbers. The markers are
# characters that escape_text always turns into entities, so no text (escaped before it is
# joined) can forge one; each is one byte in the page's JSON.
_TIP_FEATURE = "`"  # between features (in payload order; "" for a feature without tooltip)
_TIP_FIELD = "'"  # between the pieces of one feature: title, ref, values
_TIP_NULL = "$"  # a piece that is None (no ref, a missing value)
_TIP_SHARED = "{"  # "{n": the layer's shared piece n


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


def _join_tooltips(rows: Sequence[Sequence[str | None] | None]) -> dict[str, Any]:
    """Pack escaped tooltip rows into a layer's ``t``, ``s`` and ``r`` (:func:`decode_tooltips`).

    ``t`` is the one string, ``s`` the pieces shared by several features
    (titles and values; worth it only when longer than their reference),
    ``r`` the ``[before, after]`` of the row number when every reference is
    a :func:`feature_ref` of one layer (then only the numbers are sent).
    """
    present = [row for row in rows if row is not None]
    # The hidden references (feature_ref), when every one names the same layer.
    refs = [_REF_RE.fullmatch(row[1] or "") for row in present]
    layer_ids = {m.group(1) for m in refs if m is not None}
    numbered = bool(present) and len(layer_ids) == 1 and all(m is not None for m in refs)
    counts: dict[str, int] = {}
    for row in present:
        for k, v in enumerate(row):
            if k != 1 and v is not None and len(v) > 3:
                counts[v] = counts.get(v, 0) + 1
    shared = [v for v, n in counts.items() if n > 1]
    number = {v: f"{_TIP_SHARED}{k}" for k, v in enumerate(shared)}

    def piece(k: int, v: str | None) -> str:
        if v is None:
            return _TIP_NULL
        if k == 1:
            m = _REF_RE.fullmatch(v) if numbered else None
            return m.group(2) if m is not None else v
        return number.get(v, v)

    text = _TIP_FEATURE.join(
        "" if row is None else _TIP_FIELD.join(piece(k, v) for k, v in enumerate(row))
        for row in rows
    )
    out: dict[str, Any] = {"t": text, "s": shared}
    if numbered:
        ref = feature_ref(layer_ids.pop(), 0)  # what goes around the row number
        cut = ref.rindex("0")
        out["r"] = [ref[:cut], ref[cut + 1:]]
    return out


def decode_tooltips(data: Mapping[str, Any]) -> list[list[str | None] | None]:
    """Return each feature's tooltip pieces from a decoded layer payload, as the browser reads them.

    Per feature of ``data["f"]``: ``[title, ref, values…]`` (escaped text,
    None for a missing piece), or None when it has no tooltip.
    """
    text, shared, ref = data["t"], data["s"], data.get("r")
    records = text.split(_TIP_FEATURE) if text or data["f"] else []
    if len(records) != len(data["f"]):
        raise ValueError("tooltip records do not match the features")

    def piece(k: int, v: str) -> str | None:
        if v == _TIP_NULL:
            return None
        if k == 1:
            return f"{ref[0]}{v}{ref[1]}" if ref else v
        return str(shared[int(v[1:])]) if v.startswith(_TIP_SHARED) else v

    return [
        [piece(k, v) for k, v in enumerate(rec.split(_TIP_FIELD))] if f[2] else None
        for rec, f in zip(records, data["f"], strict=True)
    ]


def embedded_refs(script: str) -> list[str]:
    """Return the hidden references of every feature drawn by a page or overlay script, in order.

    ``script`` is rendered HTML or a feature group's JavaScript; each
    ``window.hebiLayer(...)`` payload in it is decoded (:func:`decode_tooltips`).
    Tests and tools read what a map draws this way, the references being
    packed in the page (row numbers only).
    """
    decoder = json.JSONDecoder()
    refs: list[str] = []
    for m in re.finditer(r"window\.hebiLayer\(", script):
        data, _end = decoder.raw_decode(script, m.end())
        refs += [row[1] for row in decode_tooltips(data) if row is not None and row[1] is not None]
    return refs


@dataclass(frozen=True)
class LayerPayload:
    """The serialised data of one overlay: cheap to cache, turned into a group per run.

    ``st_folium`` mutates the feature groups it is given, so groups cannot be
    cached across Streamlit reruns; these strings can (``st.cache_data``).

    Attributes
    ----------
    data_json : str
        The encoded layer, script-safe JSON: ``k`` tooltip row labels, ``c``
        rows constant over the layer, ``t`` every feature's other tooltip
        pieces in one string, with ``s`` its shared pieces and ``r`` the
        parts of its references (:func:`decode_tooltips`), ``f`` features
        (encoded geometry, style index, 1 if it has a tooltip else 0), ``m``
        present when drawn merged per style.
    styles_json : str
        The style table, script-safe JSON.
    name : str
        Escaped layer name.
    n_features : int
        Features drawn (null geometries are skipped).
    labels_json : str
        The layer's label candidates (:func:`spatial.webmap_labels.label_json`),
        "" for none.
    """

    data_json: str
    styles_json: str
    name: str
    n_features: int
    labels_json: str = ""


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
        Draw the lines, the polygons and the points that share a style as
        one Leaflet path each instead of one per feature. Hundreds of small
        features (streets, residential blocks, facilities) then cost a few
        SVG elements instead of hundreds: on the full plan this is most of
        the browser's drawing time. Tooltips and a click's tooltip text
        still name the feature under the pointer (``hebiPick`` and
        ``HebiDots.hebiDotAt`` in the browser), and overlapping polygons and
        markers stay filled (nonzero rule). Translucent polygons or markers
        of one style that overlap are filled once where they overlap, not twice;
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
    # Per feature a flag "has a tooltip" (merged paths group by it); the text goes in "t".
    features = [
        [_encode_geometry(geoms[i]), idx[i], int(row is not None)]
        for i, row in zip(keep, rows, strict=True)
    ]
    data: dict[str, Any] = {"k": labels, "c": constants, **_join_tooltips(rows), "f": features}
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
    if payload.labels_json:
        LabelData(payload.labels_json).add_to(fg)
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
    # The layer's name only where it says something the title does not (a layer of one
    # feature, e.g. 鹤壁综合保税区, is named like it).
    layer = spec.title(lang)
    rows: list[tuple[str, str]] = [] if layer == title else [("", layer)]
    fields = [k for k in spec.tooltip if k not in {"name", "name_en", "confidence"}]
    fields.append("confidence")
    rows += feature_rows(props, lang, fields=fields, overrides=spec.field_aliases(), names=names)
    return TooltipText(title=title, rows=tuple(rows), ref=ref)


def catalogue_payload(
    spec: LayerSpec,
    gdf: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    gcj02: bool = False,
    labels: bool = True,
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
    labels : bool
        Add the layer's labels (注记) per its ``label`` rule.
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
    payload = layer_payload(
        gdf, styles=styles, style_index=index, tooltips=tips, name=spec.title(lang), gcj02=gcj02,
        merge=True,
    )
    if not labels:
        return payload
    return replace(payload, labels_json=label_json(spec, gdf, lang=lang, gcj02=gcj02))


def catalogue_overlay(
    spec: LayerSpec,
    gdf: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    gcj02: bool = False,
    labels: bool = True,
) -> folium.FeatureGroup:
    """Return the overlay of one catalogue layer (see :func:`catalogue_payload`)."""
    return payload_overlay(catalogue_payload(spec, gdf, lang=lang, gcj02=gcj02, labels=labels))


def view_overlays(
    view: View,
    layers: Mapping[str, gpd.GeoDataFrame],
    specs: Mapping[str, LayerSpec],
    *,
    key: str | None = None,
    labels: bool = True,
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
    labels : bool
        Draw the layers' labels (注记).

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
        out.append(catalogue_overlay(
            specs[layer_id], gdf, lang=view.lang, gcj02=bm.gcj02, labels=labels
        ))
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
    labels: bool = True,
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
    labels : bool
        Draw the layers' labels (注记); off only to measure what they cost.
    """
    if standalone:
        base = build_base_map(
            view.lang, center=view.center, zoom=view.zoom, asset_prefix=asset_prefix
        )
    else:
        base = build_base_map(view.lang, asset_prefix=asset_prefix)
    return MapParts(base, view_overlays(view, layers, specs, key=key, labels=labels))


def render_html(parts: MapParts) -> str:
    """Render base map and overlays into one standalone HTML page (benchmarks, exports)."""
    for fg in parts.overlays:
        fg.add_to(parts.base)
    html: str = parts.base.get_root().render()
    return html
