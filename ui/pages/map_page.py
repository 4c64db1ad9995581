"""The plan viewer: layer groups, basemap, the map, its legend and a feature's details.

Widgets → a :class:`spatial.view.View` → the map built by :mod:`spatial.webmap`.
The base map's JavaScript never changes (so the iframe is never remounted);
layers and basemap tiles travel as ``feature_group_to_add``. The map and the
details panel live in a fragment, so panning or clicking reruns only them.
The view (groups, basemap, centre, zoom, extent) is mirrored in the URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

import layers
from layers.fields import feature_rows, field_label
from layers.legend import LegendRow, has_schematic, legend_sections
from layers.schema import GROUPS, LayerSpec, Style
from spatial._errors import SpatialError
from spatial.basemaps import available_basemaps, get_basemap, tianditu_key
from spatial.crs import area_m2, gcj02_to_wgs84, length_m
from spatial.map_compare import CompareSupport, compare_overlays
from spatial.map_overlays import ClickHighlight, faded_payload, highlight_overlay
from spatial.render_budget import MAP_VERTEX_BUDGET, fit_to_budget
from spatial.text import escape_text, quote_zh
from spatial.tiles import TileSet, ensure_tiles, needs_tiles, tile_fields, tile_overlay
from spatial.view import DEFAULT_VIEW, View
from spatial.webmap import (
    LayerPayload,
    basemap_overlay,
    build_base_map,
    catalogue_payload,
    features_at,
    metres_per_pixel,
    parse_feature_ref,
    payload_overlay,
)
from ui.attribute_table import render_attribute_table
from ui.compare_panel import compare_view, render_compare_controls
from ui.data import (
    current_store,
    layer_mtime,
    load_plan_layer,
    load_user_layer,
    plan_data_dir,
    secrets_or_none,
)
from ui.export_panel import render_export_panel
from ui.feature_search import SELECTED_KEY, render_feature_search, selected_feature
from ui.i18n import current_lang, t
from ui.layer_tree import render_layer_tree, tree_view
from ui.pages.import_page import md_escape

__all__ = ["render"]

MAP_HEIGHT = 560  # first paint; the page's CSS then sizes the map to the window (_LAYOUT_CSS)
M2_PER_MU = 10000.0 / 15.0  # 1 亩 = 666.67 m²
_PLAN_GROUPS = tuple(g.id for g in GROUPS if g.id != "user")
# Only clicks come back to the server: a pan or zoom never waits on it. The map keeps the view in
# the URL itself and reports it (centre/zoom/bounds) only when the server needs it: see
# _view_from_map.
_RETURNED = ["last_object_clicked_tooltip", "last_object_clicked"]
# With a vector-tile layer shown, also "last_clicked" (a click on the map itself): tiles draw on
# a canvas with no clickable objects, so their features are identified from the clicked point.
_RETURNED_TILED = [*_RETURNED, "last_clicked"]
# The map fills the window below the page heading, so the legend beside it and the 出图 button
# above it stay in view on a 1366×768 laptop; the legend scrolls inside its own box.
_LAYOUT_CSS = """<style>
[data-testid="stMainBlockContainer"]{padding-top:2.6rem;padding-bottom:1rem}
iframe[title="streamlit_folium.st_folium"]{height:max(420px, calc(100vh - 150px)) !important}
.hebi-legend{max-height:max(160px, calc(100vh - 430px));overflow-y:auto;padding-right:4px}
.hebi-legend-group{margin-bottom:6px}
.hebi-legend-layer{font-weight:600;font-size:0.85rem}
.hebi-legend-row{display:flex;align-items:center;gap:6px;font-size:0.8rem;margin-left:4px}
.hebi-schematic{color:#b03a2e;white-space:pre}
</style>"""
_HIT_PX = 6  # how near (in screen pixels) a click must be to a line or point to pick it
_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{3,8}$")
_USER_COLOURS = ("#8e44ad", "#16a085", "#d35400", "#2c3e50", "#c0392b", "#7f8c8d")


# --- data ----------------------------------------------------------------------------------------




@st.cache_data(show_spinner=False, max_entries=512)
def _plan_payload(
    layer_id: str, data_dir: str, mtime: float, lang: str, gcj02: bool
) -> LayerPayload:
    """Serialised overlay of one catalogue layer (cached: panning re-uses it)."""
    gdf = load_plan_layer(layer_id, data_dir, mtime)
    return catalogue_payload(layers.get_spec(layer_id), gdf, lang=lang, gcj02=gcj02)


def _workspace() -> Any | None:
    """The user's GeoPackage workspace, when that feature is installed and configured."""
    try:
        return current_store()
    except (SpatialError, OSError):
        return None


def _user_spec(layer_id: str, title: str, gdf: gpd.GeoDataFrame, n: int) -> LayerSpec:
    """A declaration for an uploaded layer: group "user", geometry from its data."""
    kinds = {g.split("Multi")[-1] for g in gdf.geom_type.dropna().unique()}
    geometry: Any = next(iter(kinds)) if len(kinds) == 1 else "Polygon"
    if geometry not in {"Point", "LineString", "Polygon"}:
        geometry = "Polygon"
    fields = tuple(c for c in gdf.columns if c != gdf.geometry.name)[:8]
    colour = _USER_COLOURS[n % len(_USER_COLOURS)]
    return LayerSpec(
        id=layer_id,
        title_zh=title,
        title_en=title,
        group="user",
        geometry=geometry,
        style=Style(colour, weight=2.0, fill_opacity=0.2, radius=6.0),
        tooltip=fields,
        z_order=1000 + n,
    )


@st.cache_data(show_spinner=False, max_entries=64)
def _read_user_layer(path: str, title: str, saved_utc: str) -> gpd.GeoDataFrame:
    """One uploaded layer, cached per saved version (``saved_utc`` is the cache key)."""
    return load_user_layer(path, title, saved_utc)


@st.cache_data(show_spinner=False, max_entries=128)
def _user_payload(
    path: str, title: str, saved_utc: str, n: int, lang: str, gcj02: bool,
    budget: int = MAP_VERTEX_BUDGET,
) -> LayerPayload:
    """Serialised overlay of an uploaded layer (cached: panning re-uses it)."""
    from spatial.workspace import layer_id_for

    gdf = _read_user_layer(path, title, saved_utc)
    spec = _user_spec(layer_id_for(title), title, gdf, n)
    # Issue 15: never ship a layer whole past its share of the map's budget (drawn lighter).
    light, _note = fit_to_budget(gdf, budget)
    return catalogue_payload(spec, light, lang=lang, gcj02=gcj02)


@st.cache_data(show_spinner=False, max_entries=128)
def _user_budget_note(path: str, title: str, saved_utc: str, budget: int, lang: str) -> str:
    """The notice for an uploaded layer drawn lighter than stored ("" if drawn whole)."""
    note = fit_to_budget(_read_user_layer(path, title, saved_utc), budget)[1]
    return "" if note is None else md_escape(note.message(title, lang))


def _user_tiles(layer_id: str, loaded: _Loaded, gcj02: bool) -> Any:
    """The vector-tile overlay of a city-scale uploaded layer.

    Its tiles were built when it was saved; the 高德 (GCJ-02) set is built on
    its first view there, shifted exactly as the GeoJSON layers are.
    """
    key, title, saved_utc, _n = loaded.user_keys[layer_id]
    spec = loaded.specs[layer_id]
    gdf = loaded.frames[layer_id]
    args = (key, title, saved_utc, layer_id, tile_fields(gdf), gcj02)
    with st.spinner(t("正在生成矢量切片…", "Building vector tiles…")):
        tileset = _tileset(*args, _gdf=gdf)
        if not (tileset.directory / "meta.json").is_file():  # pruned by another process
            _tileset.clear()
            tileset = _tileset(*args, _gdf=gdf)
    return tile_overlay(tileset, spec.style.colour, title)


@st.cache_resource(show_spinner=False, max_entries=32)
def _tileset(
    key: str, title: str, saved_utc: str, layer_id: str, fields: tuple[str, ...], gcj02: bool,
    _gdf: gpd.GeoDataFrame,
) -> TileSet:
    del title  # cache key only
    return ensure_tiles(_gdf, key, layer_id, saved_utc, fields=fields, gcj02=gcj02)


@dataclass
class _Loaded:
    """What the page has to draw: specs, data and problems to report."""

    specs: dict[str, LayerSpec]
    frames: dict[str, gpd.GeoDataFrame]
    # Uploaded layers: id -> (workspace file, title, saved time, colour index), the cache keys.
    user_keys: dict[str, tuple[str, str, str, int]]
    problems: list[str]


def _load_all(lang: str, wanted: list[str], with_user: bool) -> _Loaded:
    specs = {s.id: s for s in layers.all_specs()}
    frames: dict[str, gpd.GeoDataFrame] = {}
    problems: list[str] = []
    data_dir = str(plan_data_dir())
    for layer_id in wanted:
        if layer_id not in specs:
            continue
        try:
            frames[layer_id] = load_plan_layer(layer_id, data_dir, layer_mtime(layer_id))
        except SpatialError as err:
            problems.append(f"{specs[layer_id].title(lang)}：{err.message(lang)}")
    user_keys: dict[str, tuple[str, str, str, int]] = {}
    ws = _workspace() if with_user else None
    if ws is not None:
        try:
            infos = ws.layer_infos()
        except (SpatialError, OSError):
            infos = []
        for n, info in enumerate(infos):
            keys = (ws.key, info.title, info.saved_utc, n)
            try:
                gdf = _read_user_layer(*keys[:3])
            except SpatialError as err:
                problems.append(f"{info.title}：{err.message(lang)}")
                continue
            except OSError:
                problems.append(f"{info.title}：" + t("无法读取。", "cannot be read."))
                continue
            spec = _user_spec(info.layer_id, info.title, gdf, n)
            specs[spec.id] = spec
            frames[spec.id] = gdf
            user_keys[spec.id] = keys
    return _Loaded(specs, frames, user_keys, problems)


# --- view state ----------------------------------------------------------------------------------


def _initial_view(lang: str) -> View:
    """The view of this session: from the URL on the first run, then from session state."""
    first = "map_view" not in st.session_state
    if first:
        view = View.from_query_params(st.query_params, default=DEFAULT_VIEW).replace(lang=lang)
        st.session_state["map_view"] = view
        st.session_state["map_target"] = (view.center, view.zoom)
        st.session_state["map_generation"] = 0
    view = st.session_state["map_view"]
    assert isinstance(view, View)
    # The group checkboxes and the basemap radio stand for the held view: set from it on the
    # first run (a link's view wins), and whenever Streamlit has dropped their state, which it
    # does when a run of another page does not draw them. Without that, back on the map
    # (规划图 → 我的图层 → 规划图) no group was ticked and the basemap was the first one (OSM
    # tiles from outside, grey offline). Issue 15: the workspace is shared, so uploaded layers
    # are not drawn for everyone by default; a user ticks "我的图层" (or a link names the group).
    held: dict[str, bool | str] = {f"map_group_{g.id}": g.id in view.groups for g in GROUPS}
    held["map_basemap"] = view.basemap
    for k, v in held.items():
        if first or k not in st.session_state:
            st.session_state[k] = v
    return view.replace(lang=lang)


def _sync_url(view: View) -> None:
    """Mirror the view in the URL (only the keys this page owns), so a link reopens it."""
    wanted = view.to_query_params()
    wanted.pop("lang", None)  # ui.i18n owns the language parameter
    for key in ("groups", "layers", "basemap", "lat", "lon", "zoom", "bbox", "hide", "opacity",
                "order", "cmp", "cmp_basemap", "cmp_groups", "sel"):
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    changed = {k: v for k, v in wanted.items() if st.query_params.get(k) != v}
    if changed:
        st.query_params.update(changed)


# --- legend --------------------------------------------------------------------------------------


_DASH_RE = re.compile(r"^[0-9. ]{1,20}$")


def _symbol_svg(row: LegendRow) -> str:
    """The row's swatch as inline SVG, dashed as the map draws it."""
    style = row.style
    colour = style.colour if _COLOUR_RE.match(style.colour) else "#555555"
    fill = style.fill_colour or colour
    fill = fill if _COLOUR_RE.match(fill) else colour
    dash = ""
    if style.dash and _DASH_RE.match(style.dash):
        dash = f' stroke-dasharray="{style.dash}"'
    vertices = style.marker_vertices()
    if row.symbol == "point" and vertices:
        # The same outline the map draws (layers.schema.MARKERS), scaled to the swatch.
        points = " ".join(f"{11 + 5.5 * x:.2f},{8 + 5.5 * y:.2f}" for x, y in vertices)
        shape = (f'<polygon points="{points}" fill="{fill}" fill-opacity="0.95" '
                 f'stroke="{colour}" stroke-width="1"/>')
    elif row.symbol == "point":
        shape = (f'<circle cx="11" cy="8" r="5" fill="{fill}" fill-opacity="0.8" '
                 f'stroke="{colour}" stroke-width="1.5"{dash}/>')
    elif row.symbol == "line":
        width = max(1.0, min(style.weight, 6.0))
        shape = (f'<line x1="1" y1="8" x2="21" y2="8" stroke="{colour}" '
                 f'stroke-width="{width}"{dash}/>')
    else:
        shape = (f'<rect x="2" y="2" width="18" height="12" fill="{fill}" '
                 f'fill-opacity="{max(style.fill_opacity, 0.15)}" stroke="{colour}" '
                 f'stroke-width="1.5"{dash}/>')
    return f'<svg width="22" height="16" viewBox="0 0 22 16" aria-hidden="true">{shape}</svg>'


def legend_html(
    specs: list[LayerSpec], frames: Mapping[str, gpd.GeoDataFrame], lang: str
) -> str:
    """Return the legend of the drawn layers as HTML (every label escaped).

    Sections and rows come from :func:`layers.legend.legend_sections`, the rule
    the printed legend uses, so both list the same rows; this only renders them.
    """
    sections = legend_sections((spec, frames[spec.id]) for spec in specs if spec.id in frames)
    parts: list[str] = []
    for section in sections:
        parts.append('<div class="hebi-legend-group">')
        heading = section.heading(lang)
        if heading is not None:
            parts.append(f'<div class="hebi-legend-layer">{escape_text(heading)}</div>')
        for row in section.rows:
            label = f'<span class="hebi-legend-label">{escape_text(row.name(lang))}'
            if row.schematic:
                label += f'<span class="hebi-schematic">{escape_text(row.suffix(lang))}</span>'
            parts.append(f'<div class="hebi-legend-row">{_symbol_svg(row)} {label}</span></div>')
        parts.append("</div>")
    if not parts:
        return ""
    return f'<div class="hebi-legend">{"".join(parts)}</div>'


# --- details panel -------------------------------------------------------------------------------

def _fmt_area(m2: float) -> str:
    return f"{m2 / 1e6:,.3f} km² · {m2 / 1e4:,.1f} ha · {m2 / M2_PER_MU:,.0f} 亩"


def _contained(
    spec: LayerSpec, row: gpd.GeoDataFrame, loaded: _Loaded, lang: str
) -> list[str]:
    """Names of the sub-zones of a polygon: features of the same group naming it as ``parent``,
    or else polygons of the same group whose inner point lies inside it."""
    geom = row.geometry.iloc[0]
    fid = row["id"].iloc[0] if "id" in row.columns else None
    by_parent: list[str] = []
    inside: list[str] = []
    for other in loaded.specs.values():
        gdf = loaded.frames.get(other.id)
        if other.id == spec.id or other.group != spec.group or gdf is None or gdf.empty:
            continue
        col = "name_en" if lang == "en" and "name_en" in gdf.columns else "name"
        if col not in gdf.columns:
            continue
        if fid is not None and "parent" in gdf.columns:
            by_parent += [str(v) for v in gdf.loc[gdf["parent"] == fid, col]]
        if (
            other.geometry == "Polygon" and spec.geometry == "Polygon"
            and geom is not None and not geom.is_empty
        ):
            located = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
            hit = located.geometry.representative_point().within(geom)
            inside += [str(v) for v in located.loc[hit, col]]
    return by_parent or inside


def _confidence_row(
    props: Mapping[str, Any], lang: str, overrides: Mapping[str, tuple[str, str]]
) -> tuple[str, str] | None:
    """The one 位置可信度 row of the details panel: what the feature's ``confidence`` means in
    a planner's words (the same level word the tooltip and the attribute table show)."""
    from spatial.plan_statements import confidence_words

    conf = props.get("confidence")
    words = confidence_words(conf, lang) if isinstance(conf, str) else ""
    if words:
        return field_label("confidence", lang, overrides.get("confidence")), words
    # An uploaded layer's own confidence column: shown as the attribute rows show it.
    rows = feature_rows(props, lang, fields=("confidence",), overrides=overrides)
    return rows[0] if rows else None


def _plan_statements(props: Mapping[str, Any], lang: str) -> None:
    """The plan's sentences behind a feature (chapter/专栏, line, quote, what each does);
    nothing for a feature the statement table does not cite."""
    # Imported here so this panel stays one self-contained block of the page.
    from spatial.plan_statements import chapter_en, statements_for

    fid = props.get("id")
    rows = statements_for(fid) if isinstance(fid, str) else []
    if not rows:
        return
    st.markdown(f"**{t('规划原文', 'In the plan’s words')}**")
    for s in rows:
        where = (f"{chapter_en(s.chapter)}, line {s.line}" if lang == "en"
                 else f"{s.chapter}（第{s.line}行）")
        st.markdown(f"> {md_escape(quote_zh(s.quote))}  \n> — {md_escape(where)} · "
                    f"{md_escape(s.kind_label(lang))}")


def _details(ref: tuple[str, int], loaded: _Loaded, lang: str) -> None:
    layer_id, pos = ref
    spec = loaded.specs.get(layer_id)
    gdf = loaded.frames.get(layer_id)
    if spec is None or gdf is None or not 0 <= pos < len(gdf):
        st.info(t("所选要素已不在图上。", "The selected feature is no longer on the map."))
        return
    row = gdf.iloc[[pos]]
    props = {k: v for k, v in row.iloc[0].items() if k != gdf.geometry.name}
    name = props.get("name_en" if lang == "en" else "name") or props.get("name") or spec.title(lang)
    st.markdown(f"#### {md_escape(name)}")
    lines = [f"**{t('图层', 'Layer')}**：{md_escape(spec.title(lang))}"]
    geom = row.geometry.iloc[0]
    if geom is not None and not geom.is_empty:
        if geom.geom_type in {"Polygon", "MultiPolygon"}:
            # Measured on the drawing: for an estimated or schematic shape that is all it is.
            area = _fmt_area(float(area_m2(row)[0]))
            lines.append(f"**{t('图上面积', 'Area as drawn')}**：{area}")
        elif geom.geom_type in {"LineString", "MultiLineString"}:
            km = float(length_m(row)[0]) / 1000.0
            lines.append(f"**{t('长度', 'Length')}**：{km:,.2f} km")
        elif geom.geom_type == "Point":
            lines.append(f"**{t('位置', 'Location')}**：{geom.x:.6f}, {geom.y:.6f} (WGS84)")
    subs = _contained(spec, row, loaded, lang)
    if subs:
        lines.append(f"**{t('子区', 'Sub-zones')}**：" + "、".join(md_escape(s) for s in subs))
    conf = props.get("confidence")
    names = _names_by_id(loaded, lang)
    aliases = spec.field_aliases()
    trust = _confidence_row(props, lang, aliases)
    shown = [trust] if trust else []
    for label, value in [*shown, *feature_rows(props, lang, fields=("source",),
                                               overrides=aliases, names=names)]:
        lines.append(f"**{md_escape(label)}**：{md_escape(value)}")
    st.markdown("  \n".join(lines))
    _plan_statements(props, lang)
    if conf == "schematic":
        st.warning(t("示意性要素：位置与形状为规划示意，非测绘成果。",
                     "Schematic: position and shape illustrate the plan; not surveyed."))
    description = spec.description_en if lang == "en" else spec.description_zh
    if description:
        st.caption(md_escape(description))
    with st.expander(t("全部属性", "All attributes")):
        rows = feature_rows(props, lang, overrides=spec.field_aliases(), names=names)
        st.dataframe(
            {t("属性", "Property"): [r[0] for r in rows], t("值", "Value"): [r[1] for r in rows]},
            hide_index=True,
            use_container_width=True,
        )


def _names_by_id(loaded: _Loaded, lang: str) -> dict[str, str]:
    """Feature id → name over the loaded layers, so a ``parent`` or ``axes`` reads as names."""
    out: dict[str, str] = {}
    for gdf in loaded.frames.values():
        if gdf is None or "id" not in gdf.columns or "name" not in gdf.columns:
            continue
        col = "name_en" if lang == "en" and "name_en" in gdf.columns else "name"
        for fid, name in zip(gdf["id"], gdf[col], strict=True):
            if isinstance(name, str) and name.strip():
                out.setdefault(str(fid), name.strip())
    return out


# --- page ----------------------------------------------------------------------------------------


def _hits(
    out: Mapping[str, Any], loaded: _Loaded, visible: list[str], view: View
) -> list[tuple[str, int]]:
    """Every drawn feature under the last click, the one Leaflet reported first.

    Cached in the session per click, so panning afterwards costs nothing.
    """
    ref = parse_feature_ref(out.get("last_object_clicked_tooltip"))
    clicked = out.get("last_object_clicked")
    if not isinstance(clicked, Mapping) and any(
        needs_tiles(len(loaded.frames[i])) for i in visible if i in loaded.user_keys
    ):
        clicked = out.get("last_clicked")
    if not isinstance(clicked, Mapping) or "lat" not in clicked or "lng" not in clicked:
        return [ref] if ref is not None else []
    lat, lon = float(clicked["lat"]), float(clicked["lng"])
    gcj = get_basemap(view.basemap).gcj02
    sig = (lat, lon, view.zoom, tuple(visible), gcj, ref)
    cached = st.session_state.get("map_hits")
    if cached is not None and cached[0] == sig:
        return list(cached[1])
    if gcj:  # the map is drawn in GCJ-02 on Gaode tiles: back to WGS84 before testing
        wlon, wlat = gcj02_to_wgs84(lon, lat)
        lon, lat = float(wlon), float(wlat)
    tolerance = _HIT_PX * metres_per_pixel(lat, view.zoom)
    hits = features_at(lon, lat, loaded.frames, visible, tolerance)
    if ref is not None:  # what was actually clicked (topmost) comes first
        hits = [ref] + [h for h in hits if h != ref]
    st.session_state["map_hits"] = (sig, hits)
    return hits


def _hit_label(hit: tuple[str, int], loaded: _Loaded, lang: str) -> str:
    layer_id, pos = hit
    spec = loaded.specs.get(layer_id)
    gdf = loaded.frames.get(layer_id)
    if spec is None or gdf is None or not 0 <= pos < len(gdf):
        return "?"
    col = "name_en" if lang == "en" and "name_en" in gdf.columns else "name"
    name = gdf[col].iloc[pos] if col in gdf.columns else None
    label = str(name) if name is not None and str(name) != "nan" else spec.title(lang)
    if label == spec.title(lang):
        return md_escape(label)
    return f"{md_escape(label)} · {md_escape(spec.title(lang))}"


def _sidebar(lang: str, key: str | None, has_user: bool, loaded: _Loaded) -> None:
    with st.sidebar:
        render_layer_tree(list(loaded.specs.values()), lang, has_user, loaded.frames)
        st.subheader(t("底图", "Basemap"))
        options = [b.id for b in available_basemaps(key)]
        if st.session_state.get("map_basemap") not in options:
            st.session_state["map_basemap"] = options[0]
        st.radio(
            t("底图", "Basemap"),
            options,
            key="map_basemap",
            format_func=lambda b: get_basemap(b).title(lang),
            label_visibility="collapsed",
        )
        render_compare_controls(st.session_state["map_view"], lang, key, has_user)
        if key is None:
            # Planner words: the setting's name is in README's admin section, not on screen.
            st.caption(t("天地图底图需由管理员配置密钥后可用。",
                         "The Tianditu basemap is available once an administrator sets its key."))
        if st.button(t("回到默认视图", "Reset view"), key="map_reset"):
            st.session_state["map_target"] = (DEFAULT_VIEW.center, DEFAULT_VIEW.zoom)
            st.session_state["map_generation"] = int(st.session_state["map_generation"]) + 1



def _view_from_map(view: View, out: Mapping[str, Any] | None) -> View:
    """Fold the map's reported centre/zoom/bounds into the view.

    The map reports them only when the server needs them (see
    ``spatial.webmap_base._VIEW_URL_JS``): with a click, or when the planner
    turns from the map to the page (出图, a layer, a basemap). Until then
    st_folium returns no centre, and the view is left as it is.
    """
    if not out or not isinstance(out.get("center"), Mapping):
        return view
    changes: dict[str, Any] = {}
    center = out.get("center")
    if isinstance(center, Mapping) and "lat" in center and "lng" in center:
        changes["center"] = (round(float(center["lat"]), 6), round(float(center["lng"]), 6))
    zoom = out.get("zoom")
    if isinstance(zoom, int | float) and not isinstance(zoom, bool):
        changes["zoom"] = round(zoom)
    bounds = out.get("bounds")
    try:
        sw, ne = bounds["_southWest"], bounds["_northEast"]  # type: ignore[index]
        bbox = (float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"]))
        if bbox[0] < bbox[2] and bbox[1] < bbox[3]:
            changes["bbox"] = tuple(round(v, 6) for v in bbox)
    except (TypeError, KeyError, ValueError):
        pass
    return view.replace(**changes) if changes else view


def _compare_overlays(view: View, loaded: _Loaded, lang: str, key: str | None) -> list[Any]:
    """The right-hand view of 卷帘/分屏: its basemap and the layers of its groups."""
    bm = get_basemap(view.compare_basemap)
    right = View(groups=view.compare_groups, basemap=view.compare_basemap)
    data_dir = str(plan_data_dir())
    payloads = []
    for layer_id in right.visible_layer_ids(list(loaded.specs.values())):
        if layer_id in loaded.user_keys:
            payloads.append(_user_payload(*loaded.user_keys[layer_id], lang, bm.gcj02))
        elif layer_id in loaded.frames:
            payloads.append(_plan_payload(layer_id, data_dir, layer_mtime(layer_id), lang,
                                          bm.gcj02))
    assert view.compare is not None
    return compare_overlays(view.compare, bm, payloads, key=key, lang=lang)


def _selection_ids(loaded: _Loaded) -> tuple[str, tuple[str, ...]] | None:
    """The highlighted feature(s) as the URL names them: layer id and feature ids."""
    selected = _valid_selection(selected_feature(), loaded)
    if selected is None:
        return None
    layer_id, positions = selected
    gdf = loaded.frames[layer_id]
    if "id" not in gdf.columns:
        return None
    ids = tuple(str(gdf["id"].iloc[p]) for p in positions)
    return (layer_id, ids) if all(ids) else None


def _restore_selection(
    selected: tuple[str, tuple[str, ...]] | None, loaded: _Loaded
) -> None:
    """Highlight the features a link names (``sel=``); unknown ids are ignored."""
    if selected is None:
        return
    layer_id, ids = selected
    gdf = loaded.frames.get(layer_id)
    if gdf is None or "id" not in gdf.columns:
        return
    wanted = set(ids)
    positions = tuple(i for i, v in enumerate(gdf["id"].astype(str)) if v in wanted)
    if positions:
        st.session_state[SELECTED_KEY] = (layer_id, positions)


def _valid_selection(
    selected: tuple[str, tuple[int, ...]] | None, loaded: _Loaded
) -> tuple[str, tuple[int, ...]] | None:
    """The searched/table feature if it still exists (a layer may have been re-uploaded)."""
    if selected is None:
        return None
    layer_id, positions = selected
    gdf = loaded.frames.get(layer_id)
    if gdf is None or not positions or not all(0 <= p < len(gdf) for p in positions):
        return None
    return selected


def _highlight(
    selected: tuple[str, tuple[int, ...]], loaded: _Loaded, lang: str, gcj02: bool
) -> Any:
    """The highlight overlay of the searched/table feature (drawn even if its layer is hidden)."""
    layer_id, positions = selected
    gdf = loaded.frames[layer_id]
    col = "name_en" if lang == "en" and "name_en" in gdf.columns else "name"
    name = gdf[col].iloc[positions[0]] if col in gdf.columns else None
    label = str(name) if isinstance(name, str) and name else loaded.specs[layer_id].title(lang)
    return highlight_overlay(gdf.iloc[list(positions)], label=label, gcj02=gcj02)


def _note_click(out: Any) -> bool:
    """Record the map's last click; True when it is new (it then replaces a searched feature).

    The component's value is in session state before ``st_folium`` is called,
    so a new click clears the search/table highlight in the same run.
    """
    if not isinstance(out, Mapping):
        return False
    clicked = out.get("last_object_clicked")
    if not isinstance(clicked, Mapping) or "lat" not in clicked:
        return False
    click = (clicked.get("lat"), clicked.get("lng"), out.get("last_object_clicked_tooltip"))
    if click == st.session_state.get("map_last_click"):
        return False
    st.session_state["map_last_click"] = click
    st.session_state.pop(SELECTED_KEY, None)
    return True


@st.fragment
def _map_and_panel(loaded: _Loaded, visible: list[str], lang: str, key: str | None) -> None:
    """The map, its legend and the details panel; reruns alone on a click or a view report."""
    view: View = st.session_state["map_view"]
    bm = get_basemap(view.basemap)
    data_dir = str(plan_data_dir())
    overlays = [basemap_overlay(bm, key=key, lang=lang)]
    tiled = False
    shown_user = [i for i in visible if i in loaded.user_keys]
    share = MAP_VERTEX_BUDGET // max(1, len(shown_user))
    for layer_id in visible:
        if layer_id in loaded.user_keys and needs_tiles(len(loaded.frames[layer_id])):
            # City-scale: vector tiles, not one GeoJSON payload (identify stays server-side).
            overlays.append(_user_tiles(layer_id, loaded, bm.gcj02))
            tiled = True
            continue
        if layer_id in loaded.user_keys:
            payload = _user_payload(*loaded.user_keys[layer_id], lang, bm.gcj02, share)
            note = _user_budget_note(*loaded.user_keys[layer_id][:3], share, lang)
            if note:
                st.caption(note)
        else:
            payload = _plan_payload(layer_id, data_dir, layer_mtime(layer_id), lang, bm.gcj02)
        overlays.append(payload_overlay(faded_payload(payload, view.opacity_of(layer_id))))
    map_key = f"plan_map_{st.session_state['map_generation']}"
    _note_click(st.session_state.get(map_key))  # the click that triggered this run, if any
    selected = _valid_selection(selected_feature(), loaded)
    if selected is not None:
        overlays.append(_highlight(selected, loaded, lang, bm.gcj02))
    if view.compare is not None:
        overlays += _compare_overlays(view, loaded, lang, key)
    target_center, target_zoom = st.session_state["map_target"]
    col_map, col_side = st.columns([3, 1], gap="small")
    # Beside the map and first in its column: in view on a laptop, folded on request.
    with col_side, st.expander(t("图例", "Legend"), expanded=True):
        html = legend_html([loaded.specs[i] for i in visible], loaded.frames, lang)
        if html:
            st.markdown(html, unsafe_allow_html=True)
        else:
            st.caption(t("未勾选图层。", "No layer ticked."))
    with col_map:
        base = build_base_map(lang, view_in_url=True)
        ClickHighlight().add_to(base)  # constant script: the clicked feature is outlined at once
        CompareSupport().add_to(base)  # constant script: 卷帘 / 分屏 machinery
        out = st_folium(
            base,
            key=map_key,
            center=target_center,
            zoom=target_zoom,
            feature_group_to_add=overlays,
            returned_objects=_RETURNED_TILED if tiled else _RETURNED,
            use_container_width=True,
            height=MAP_HEIGHT,
        )
        attribution = bm.attribution or t("无底图", "no basemap")
        notes = [t("底图：", "Basemap: ") + attribution]
        if bm.gcj02:
            notes.append(t(
                "高德底图为 GCJ-02 坐标，图层已临时偏移以对齐；坐标读数为 WGS84。",
                "Gaode tiles are GCJ-02; layers are shifted to match; readout is WGS84.",
            ))
        st.caption(" · ".join(notes))
    new_view = _view_from_map(view, out).replace(selected=_selection_ids(loaded))
    if new_view != view:
        st.session_state["map_view"] = new_view
        _sync_url(new_view)
        view = new_view
    hits = _hits(out or {}, loaded, visible, view)
    if _note_click(out):
        selected = None
    with col_side:
        st.markdown(f"**{t('要素详情', 'Feature details')}**")
        if selected is not None:
            layer_id, positions = selected
            _details((layer_id, positions[0]), loaded, lang)
            if len(positions) > 1:
                st.caption(t(f"同名要素共 {len(positions)} 段，均已高亮。",
                             f"{len(positions)} parts of this name, all highlighted."))
        elif not hits:
            st.caption(t("点击地图上的要素查看详情。", "Click a feature on the map for details."))
        else:
            chosen = hits[0]
            if len(hits) > 1:
                pick = st.radio(
                    t("该位置的要素", "Features here"),
                    range(len(hits)),
                    format_func=lambda i: _hit_label(hits[i], loaded, lang),
                    key=f"map_pick_{abs(hash(tuple(hits)))}",
                )
                chosen = hits[int(pick or 0)]
            _details(chosen, loaded, lang)


def render() -> None:
    """Draw the plan-viewer page."""
    lang = current_lang()
    key = tianditu_key(secrets_or_none())
    _initial_view(lang)
    has_user = False
    ws = _workspace()
    if ws is not None:
        try:
            has_user = bool(ws.layer_infos())
        except (SpatialError, OSError):
            has_user = False
    # Every layer is loaded (cached), shown or not: search and the attribute table cover them all.
    plan_ids = [s.id for s in layers.specs_for_groups(_PLAN_GROUPS)]
    loaded = _load_all(lang, plan_ids, has_user)
    specs = list(loaded.specs.values())
    search_box = st.sidebar.container()
    _sidebar(lang, key, has_user, loaded)

    basemap = str(st.session_state.get("map_basemap", DEFAULT_VIEW.basemap))
    view = compare_view(tree_view(_initial_view(lang), specs, has_user).replace(basemap=basemap))
    if "map_sel_restored" not in st.session_state:  # a shared link's highlighted feature
        st.session_state["map_sel_restored"] = True
        _restore_selection(view.selected, loaded)
    view = view.replace(selected=_selection_ids(loaded))
    st.session_state["map_view"] = view
    _sync_url(view)
    visible = [i for i in view.visible_layer_ids(specs) if i in loaded.frames]
    tree_top_first = [i for i in reversed(view.visible_layer_ids(specs)) if i in loaded.frames]
    tree_top_first += [i for i in reversed(list(loaded.frames)) if i not in tree_top_first]
    with search_box:
        render_feature_search(loaded.frames, loaded.specs, tree_top_first, visible, lang)

    st.markdown(_LAYOUT_CSS, unsafe_allow_html=True)
    head, tools = st.columns([4, 1], vertical_alignment="center")
    with head:
        st.markdown(f"#### {t('鹤壁经开区 空间布局规划图', 'Hebi ETDZ spatial layout plan')}")
    with tools:
        # Export (issue 8) above the map, in view without scrolling; the file shows session
        # "map_view" at the click.
        render_export_panel(view, live_view_key="map_view", extra_layers=[
            (s, loaded.frames[i]) for i, s in loaded.specs.items()
            if s.group == "user" and i in loaded.frames], markups=True)
    for problem in loaded.problems:
        st.warning(md_escape(problem))
    if not layers.all_specs():
        st.info(t("规划图层尚未发布（data/geo 为空）。", "The plan layers are not published yet."))
    map_slot, below_map, table_slot = st.container(), st.container(), st.container()
    # The table is drawn first (its row pick must reach the map of this same run), shown last.
    with table_slot:
        render_attribute_table(loaded.specs, loaded.frames, tree_top_first, lang)
    with map_slot:
        _map_and_panel(loaded, visible, lang, key)

    with below_map:
        schematic = [loaded.specs[i].title(lang) for i in visible
                     if has_schematic(loaded.frames[i])]
        caption = t(
            "虚线为示意性要素：位置和形状为规划示意，并非测绘成果。",
            "Dashed features are schematic: position and shape illustrate the plan; not surveyed.",
        )
        if schematic:
            caption += t("含示意要素的图层：", " Layers with schematic features: ") + "、".join(
                md_escape(s) for s in schematic
            )
        st.caption(caption)
