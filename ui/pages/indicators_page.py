"""Indicators by area: computed, plan-linked or uploaded figures as a classed choropleth.

The planner picks a set of areas (parks, 综保区 sub-zones, living circles, or
a polygon layer of their own from the workspace) and an indicator, and sees
a choropleth with the value on each area, a legend beside the map (unit,
method, breaks, "no data"), a table, and pass/fail against a target (the
plan's 2025 target where one applies). Two indicators, or the 2020 base and
the 2025 target, can be compared side by side.

Everything shown is computed in :mod:`spatial.indicators`,
:mod:`spatial.classify`, :mod:`spatial.plan_indicators` and
:mod:`spatial.statistics_import`; the map is drawn with :mod:`spatial.webmap`.
The selection and its class breaks are kept as a
:class:`spatial.view.IndicatorSelection` (session key ``indicator_selection``,
and in the plan map's view when that exists), and the classes with their
values as a :class:`spatial.export.ChoroplethLayer` (session key
``indicator_choropleth``), so an export prints exactly what the screen shows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

import layers
from spatial._errors import SpatialError
from spatial.audit import json_checksum
from spatial.basemaps import available_basemaps, get_basemap, tianditu_key
from spatial.classify import (
    DEFAULT_PALETTE,
    DIVERGING_PALETTE,
    MISSING_COLOUR,
    PALETTES,
    SCHEMES,
    Classification,
    Comparison,
    Target,
    classify,
    data_decimals,
    format_number,
    parse_breaks,
    scheme_name,
    target_status,
)
from spatial.coverage_rules import RULES_ITEM, CoverageRules, load_rules, rules_from_payload
from spatial.crs import WGS84, shift_geometry_to_gcj02
from spatial.export import ChoroplethLayer
from spatial.indicators import (
    area_units,
    compute_area_indicators,
    coverage_shares,
    indicator_def,
)
from spatial.plan_indicators import (
    PlanIndicator,
    load_plan_indicators,
    load_plan_targets,
    plan_for_area_indicator,
    plan_for_uploaded_column,
    plan_sources_table,
    plan_table,
    plan_targets_table,
)
from spatial.statistics_import import Statistics
from spatial.tables import to_safe_csv
from spatial.text import escape_markdown, escape_text
from spatial.view import IndicatorSelection, View, bbox_from_view
from spatial.webmap import TooltipText, basemap_overlay, build_base_map, geojson_overlay
from ui.data import current_store, layer_mtime, plan_layer, secrets_or_none
from ui.export_panel import render_indicator_export_panel
from ui.i18n import current_lang, t
from ui.statistics_panel import statistics_panel
from ui.tables import download_name, show_table

__all__ = ["render"]

MAP_HEIGHT = 560
COMPARE_HEIGHT = 420
# Catalogue layers that are sets of areas, in the order offered.
AREA_LAYERS: tuple[str, ...] = ("parks", "bonded_subzones", "life_circles")
# Catalogue layers the computed indicators measure against.
SOURCE_LAYERS: tuple[str, ...] = ("green", "roads", "facilities", "communities")
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_OPS: tuple[Comparison, ...] = (">=", ">", "<=", "<")
_OP_TEXT = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}


# --- data ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaSet:
    """A set of areas to compute indicators for.

    ``areas`` has columns ``id`` (unique text), ``name``, ``name_en``,
    ``group`` and the geometry, in WGS84; ``version`` changes when the data
    change (cache key). ``groups`` names the values of ``group`` (the
    catalogue's ``style_by`` property, e.g. park / sub-area / context) in the
    order offered; empty when the layer has no such split.
    """

    id: str
    title: str
    areas: gpd.GeoDataFrame
    version: str
    groups: Mapping[str, str] = field(default_factory=dict)


def _layer_version(layer_id: str) -> str:
    """Version of a catalogue layer's file, so caches notice new data."""
    return repr(layer_mtime(layer_id))


def _declared(layer_id: str) -> bool:
    return any(s.id == layer_id for s in layers.all_specs())


def _plan_layer(layer_id: str, problems: list[str]) -> gpd.GeoDataFrame | None:
    """A shipped layer, or None when it is not published (yet) or does not load."""
    if not _declared(layer_id):
        return None
    try:
        return plan_layer(layer_id)
    except SpatialError as err:
        problems.append(str(err))
        return None


def _normalise_areas(gdf: gpd.GeoDataFrame, group_col: str | None = None) -> gpd.GeoDataFrame:
    """Polygons with text ``id`` (unique), ``name``, ``name_en`` and ``group``, in WGS84."""
    gdf = gdf.to_crs(WGS84) if gdf.crs is not None else gdf.set_crs(WGS84)
    geoms = np.asarray(gdf.geometry.values)
    polygonal = shapely.is_missing(geoms) | np.isin(shapely.get_type_id(geoms), (3, 6))
    gdf = gdf[polygonal]
    n = len(gdf)
    ids = gdf["id"].astype("string") if "id" in gdf.columns else None
    if ids is None or ids.isna().any() or not ids.is_unique:
        ids = pd.Series([f"f{i + 1}" for i in range(n)], index=gdf.index, dtype="string")
    names = gdf["name"].astype("string") if "name" in gdf.columns else ids
    names = names.fillna(ids)
    names_en = gdf["name_en"].astype("string").fillna(names) if "name_en" in gdf.columns \
        else names
    group = (gdf[group_col].astype("string").fillna("") if group_col in gdf.columns
             else pd.Series("", index=gdf.index, dtype="string"))
    return gpd.GeoDataFrame(
        {"id": ids.astype(str).to_numpy(), "name": names.astype(str).to_numpy(),
         "name_en": names_en.astype(str).to_numpy(), "group": group.astype(str).to_numpy()},
        geometry=gdf.geometry.to_numpy(),
        crs=WGS84,
    )


def _area_sets(lang: str, problems: list[str]) -> list[AreaSet]:
    """Every set of areas that can be shown: shipped ones, then the planner's polygon layers."""
    out: list[AreaSet] = []
    for layer_id in AREA_LAYERS:
        gdf = _plan_layer(layer_id, problems)
        if gdf is not None and not gdf.empty:
            spec = layers.get_spec(layer_id)
            areas = _normalise_areas(gdf, spec.style_by)
            present = set(areas["group"])
            groups = {str(v): (en if lang == "en" else zh)
                      for v, (_style, zh, en) in spec.style_map.items() if str(v) in present}
            out.append(AreaSet(layer_id, spec.title(lang), areas, _layer_version(layer_id),
                               groups if len(groups) > 1 else {}))
    ws = current_store()
    try:
        infos = ws.layer_infos()
    except (SpatialError, OSError):
        infos = []
    for info in infos:
        try:
            gdf = ws.read_layer(info.title)
        except (SpatialError, OSError) as err:
            problems.append(f"{info.title}: {err}")
            continue
        areas = _normalise_areas(gdf)
        if len(areas):
            title = f"{t('我的图层', 'My layer')}：{info.title}"
            out.append(AreaSet(info.layer_id, title, areas, info.saved_utc))
    return out


def _sources(problems: list[str]) -> tuple[dict[str, gpd.GeoDataFrame], str]:
    """The shipped layers indicators are measured against, and their joint version."""
    found = {lid: g for lid in SOURCE_LAYERS if (g := _plan_layer(lid, problems)) is not None}
    version = ";".join(f"{lid}:{_layer_version(lid)}" for lid in sorted(found))
    return found, version


@st.cache_data(show_spinner=False, max_entries=32)
def _computed(
    area_key: str, version: str, _areas: gpd.GeoDataFrame,
    _sources: Mapping[str, gpd.GeoDataFrame],
) -> pd.DataFrame:
    """Computed indicators of an area set (cached per area set and data version)."""
    del area_key, version  # cache key only
    return compute_area_indicators(
        _areas,
        green=_sources.get("green"),
        roads=_sources.get("roads"),
        facilities=_sources.get("facilities"),
        communities=_sources.get("communities"),
    )


@st.cache_data(show_spinner=False, max_entries=8)
def _coverage(
    area_key: str, version: str, _areas: gpd.GeoDataFrame,
    _sources: Mapping[str, gpd.GeoDataFrame], _rules: CoverageRules,
) -> pd.DataFrame:
    """Living-circle coverage shares per area (walking network; cached, it is the slow part).

    ``version`` covers the data and the rule table (:func:`_project_rules`).
    """
    del version
    from spatial.coverage import analyse, unit_table

    model, weights = analyse(
        _sources["roads"], _sources["facilities"], _sources["communities"], _rules,
        units={area_key: _areas},
    )
    return coverage_shares(unit_table(model, weights), area_key)


def _project_rules() -> tuple[str, CoverageRules]:
    """The project's 生活圈 rule table (as the coverage page applies it) and its version key."""
    try:
        payload = current_store().load_item("rules", RULES_ITEM)
        if payload is not None:
            return json_checksum(payload), rules_from_payload(payload)
    except (SpatialError, OSError):
        pass  # unreadable or unusable: the coverage page says so; the default applies
    return "default", load_rules()


@st.cache_data(show_spinner=False)
def _plan() -> list[PlanIndicator]:
    return load_plan_indicators()


# --- indicator options ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorOption:
    """One indicator the planner can map.

    ``column`` is what the :class:`IndicatorSelection` stores: a computed key
    (``green_share_pct``) or ``upload:<sheet column>``.
    """

    column: str
    origin: str  # "computed" | "upload"
    name: str
    unit: str
    decimals: int | None
    values: pd.Series
    plan: PlanIndicator | None = None

    def label(self, lang: str) -> str:
        """Name, unit and plan target, for the indicator list."""
        text = self.caption(lang)
        if self.plan is not None and self.plan.target() is not None:
            target = self.plan.target()
            assert target is not None
            shown = _target_text(target, self.decimals)
            text += " · " + (f"plan target {shown}" if lang == "en" else f"规划目标 {shown}")
        return text

    def caption(self, lang: str) -> str:
        """Name with its unit, e.g. "绿地占比（%）" / "Green share (%)"."""
        if not self.unit:
            return self.name
        return f"{self.name} ({self.unit})" if lang == "en" else f"{self.name}（{self.unit}）"


def _options(computed: pd.DataFrame, stats: Statistics | None, lang: str,
             plan: list[PlanIndicator], ids: pd.Index) -> list[IndicatorOption]:
    """Every indicator on offer, with its values for the shown areas (``ids``) only."""
    computed = computed.reindex(ids)
    out: list[IndicatorOption] = []
    for key in computed.columns:
        try:
            d = indicator_def(str(key))
        except KeyError:
            continue
        out.append(IndicatorOption(
            str(key), "computed", d.name(lang), d.unit(lang), d.decimals, computed[key],
            plan_for_area_indicator(str(key), plan),
        ))
    if stats is not None:
        for col in stats.values.columns:
            name = stats.names.get(col, col)
            out.append(IndicatorOption(
                f"upload:{col}", "upload", name, stats.units.get(col, ""), None,
                stats.values[col].reindex(ids), plan_for_uploaded_column(name, plan),
            ))
    return out


def _target_text(target: Target, decimals: int | None) -> str:
    """The target as the planner typed it, at least at the indicator's precision ("≥ 37.0")."""
    return target.text(max(decimals or 0, data_decimals([target.value], cap=4)))


# --- drawing -------------------------------------------------------------------------------------


def _fit(areas: gpd.GeoDataFrame, width_px: int, height_px: int) -> tuple[
    tuple[float, float], int
]:
    """Centre and the deepest zoom at which the areas fit a map of this size."""
    geoms = areas.geometry[~(areas.geometry.isna() | areas.geometry.is_empty)]
    if geoms.empty:
        return View().center, View().zoom
    minx, miny, maxx, maxy = geoms.total_bounds
    center = ((miny + maxy) / 2.0, (minx + maxx) / 2.0)
    for zoom in range(17, 3, -1):
        bx = bbox_from_view(center, zoom, int(width_px * 0.9), int(height_px * 0.9))
        if bx[0] <= minx and bx[1] <= miny and bx[2] >= maxx and bx[3] >= maxy:
            return center, zoom
    return center, 4


def _status_text(status: str, lang: str) -> str:
    return {
        "pass": t("达标", "meets target"),
        "fail": t("未达标", "below target"),
        "missing": t("无数据", "no data"),
    }[status] if lang in {"zh", "en"} else status


def _shown_decimals(opt: IndicatorOption) -> int:
    """Decimals of values on the map and in the table: the indicator's own precision.

    The legend may need more (class bounds must read unambiguously); a value
    label only has to be readable.
    """
    if opt.decimals is not None:
        return opt.decimals
    return data_decimals(opt.values.dropna().to_numpy(dtype=float))


def _value_text(value: float | None, decimals: int) -> str:
    if value is None or not math.isfinite(value):
        return t("无数据", "no data")
    return format_number(value, decimals)


def _with_unit(text: str, unit: str) -> str:
    """A value with its unit, as printed on the map: ``2.3%``, ``11.60 km²``."""
    if not unit:
        return text
    return f"{text}{unit}" if unit in {"%", "‰"} else f"{text} {unit}"


def _fewer_classes_note(opt: IndicatorOption, c: Classification, k: int | None,
                        lang: str) -> str | None:
    """Why the legend shows fewer classes than asked for (too few areas or distinct values)."""
    if k is None or c.scheme == "UserDefined" or len(c.breaks) >= k:
        return None
    values = opt.values.to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    n_areas, n_distinct = len(values), len(np.unique(values))
    got = len(c.breaks)
    if n_areas <= k and n_areas == n_distinct:
        return (f"Only {n_areas} areas have data, so {got} classes instead of {k}."
                if lang == "en" else f"有数据的区域仅 {n_areas} 个，级数由 {k} 降为 {got}。")
    if n_distinct <= k:
        return (f"Only {n_distinct} distinct values, so {got} classes instead of {k}."
                if lang == "en" else f"仅有 {n_distinct} 个不同数值，级数由 {k} 降为 {got}。")
    return (f"Equal values share a class bound, so {got} classes instead of {k}."
            if lang == "en" else f"数值重复，部分分级断点重合，级数由 {k} 降为 {got}。")


def _overlays(
    areas: gpd.GeoDataFrame, opt: IndicatorOption, c: Classification, target: Target | None,
    lang: str, gcj02: bool,
) -> list[folium.FeatureGroup]:
    """The choropleth and the value labels, as overlays for the shared base map."""
    # Largest first, so that nested areas (a sub-area inside its park) are drawn on top.
    order = np.argsort(-area_units(areas)["area_m2"].fillna(0.0).to_numpy(), kind="stable")
    areas = areas.iloc[order]
    values = opt.values.reindex(areas["id"]).to_numpy(dtype=float)
    decimals = _shown_decimals(opt)
    styles: list[dict[str, Any]] = [
        {"color": "#333333", "weight": 1, "opacity": 0.9, "fillColor": col, "fillOpacity": 0.8}
        for col in c.colours
    ]
    # No data: white fill with a dashed outline, never a class colour.
    styles.append({"color": "#555555", "weight": 1.2, "opacity": 0.9, "dashArray": "4 3",
                   "fillColor": MISSING_COLOUR, "fillOpacity": 0.7})
    missing_style = len(styles) - 1
    index: list[int] = []
    tips: list[TooltipText | None] = []
    labels: list[str] = []
    for name, v in zip(areas["name_en" if lang == "en" else "name"], values, strict=True):
        b = c.bin_of(v)
        index.append(missing_style if b is None else b)
        rows = [(opt.caption(lang), _value_text(v, decimals)),
                (t("分级", "Class"), c.label_of(v, lang))]
        label = "–" if b is None else _with_unit(format_number(float(v), decimals), opt.unit)
        if target is not None:
            status = {True: "pass", False: "fail", None: "missing"}[target.meets(v)]
            rows.append((t("目标", "Target") + " " + _target_text(target, opt.decimals),
                         _status_text(status, lang)))
            label += {"pass": " ✓", "fail": " ✗", "missing": ""}[status]
        tips.append(TooltipText(title=str(name), rows=tuple(rows)))
        labels.append(label)
    choropleth = geojson_overlay(areas, styles=styles, style_index=index, tooltips=tips,
                                 name=opt.caption(lang), gcj02=gcj02)
    points = areas.geometry.copy()
    present = ~(points.isna() | points.is_empty)
    points[present] = points[present].representative_point()
    if gcj02:
        points = shift_geometry_to_gcj02(points)
    label_group = folium.FeatureGroup(name=escape_text(t("数值", "Values")), control=False)
    for pt, ok, text in zip(points, present, labels, strict=True):
        if not ok:
            continue
        html = (
            '<div style="transform:translate(-50%,-50%);white-space:nowrap;'
            "font:600 12px/1.2 sans-serif;color:#111;text-shadow:0 0 3px #fff,0 0 3px #fff,"
            f'0 0 3px #fff">{escape_text(text)}</div>'
        )
        folium.Marker(
            location=[round(pt.y, 6), round(pt.x, 6)],
            icon=folium.DivIcon(html=html, icon_size=(0, 0), class_name="hebi-ind-value"),
        ).add_to(label_group)
    return [choropleth, label_group]


def _legend_html(opt: IndicatorOption, c: Classification, target: Target | None,
                 target_source: str | None, statuses: pd.Series | None, lang: str,
                 k: int | None = None) -> str:
    """The legend drawn beside the map: title, unit, method, classes, breaks, no data, target.

    ``k`` is the number of classes asked for: when fewer are drawn the legend says why.
    """
    e = escape_text
    rows = [f'<div class="hebi-ind-title">{e(opt.caption(lang))}</div>',
            f'<div class="hebi-ind-method">{e(t("分级方法：", "Method: ") + c.describe(lang))}'
            "</div>"]
    note = _fewer_classes_note(opt, c, k, lang)
    if note:
        rows.append(f'<div class="hebi-ind-method">{e(note)}</div>')
    for row in c.legend(lang):
        colour = row.colour if _HEX.match(row.colour) else MISSING_COLOUR
        border = "1px dashed #555" if row.missing else "1px solid #333"
        rows.append(
            '<div class="hebi-ind-row">'
            f'<span class="hebi-ind-swatch" style="background:{colour};border:{border}"></span>'
            f'<span class="hebi-ind-label">{e(row.label)}</span>'
            f'<span class="hebi-ind-count">{e(_paren(str(row.count), lang))}</span></div>'
        )
    if c.breaks:
        shown = " | ".join(format_number(b, c.decimals) for b in c.breaks)
        head = t("断点（含上限）：", "Breaks (upper, inclusive): ")
        rows.append(f'<div class="hebi-ind-breaks">{e(head)}{e(shown)}</div>')
    if target is not None and statuses is not None:
        counts = statuses.value_counts()
        line = (t("目标 ", "Target ") + _target_text(target, opt.decimals)
                + (_paren(target_source, lang) if target_source else "") + t("：", ": ")
                + t("达标 ", "met ") + str(int(counts.get("pass", 0))) + " · "
                + t("未达标 ", "below ") + str(int(counts.get("fail", 0))))
        if counts.get("missing", 0):
            line += " · " + t("无数据 ", "no data ") + str(int(counts.get("missing", 0)))
        rows.append(f'<div class="hebi-ind-target">{e(line)}</div>')
    style = (
        "<style>.hebi-ind-legend{font-size:0.88rem;line-height:1.5}"
        ".hebi-ind-title{font-weight:600}.hebi-ind-method,.hebi-ind-breaks{color:#444}"
        ".hebi-ind-row{display:flex;align-items:center;gap:6px}"
        ".hebi-ind-swatch{display:inline-block;width:22px;height:14px}"
        ".hebi-ind-count{color:#666}.hebi-ind-target{margin-top:4px;font-weight:600}</style>"
    )
    return style + f'<div class="hebi-ind-legend">{"".join(rows)}</div>'


def _paren(text: str, lang: str) -> str:
    return f" ({text})" if lang == "en" else f"（{text}）"


def _table(areas: gpd.GeoDataFrame, opt: IndicatorOption, c: Classification,
           statuses: pd.Series | None, lang: str) -> pd.DataFrame:
    """The table beside the map (same classes as the map and the legend)."""
    values = opt.values.reindex(areas["id"])
    header = opt.caption(lang)
    table = pd.DataFrame({
        t("名称", "Name"): areas["name_en" if lang == "en" else "name"].to_numpy(),
        t("编号", "Id"): areas["id"].to_numpy(),
        header: values.round(_shown_decimals(opt)).to_numpy(),
        t("分级", "Class"): [c.label_of(v, lang) for v in values],
    })
    if statuses is not None:
        table[t("目标", "Target")] = [_status_text(s, lang) for s in statuses]
    return table


def _map(areas: gpd.GeoDataFrame, opt: IndicatorOption, c: Classification,
         target: Target | None, lang: str, basemap_id: str, key: str, height: int,
         width_px: int) -> None:
    bm = get_basemap(basemap_id)
    center, zoom = _fit(areas, width_px, height)
    overlays = [basemap_overlay(bm, key=tianditu_key(secrets_or_none()), lang=lang),
                *_overlays(areas, opt, c, target, lang, bm.gcj02)]
    st_folium(
        build_base_map(lang),
        key=key,
        center=center,
        zoom=zoom,
        feature_group_to_add=overlays,
        returned_objects=[],  # a static view: panning must not rerun the page
        use_container_width=True,
        height=height,
    )



# --- widgets -------------------------------------------------------------------------------------


def _keep_valid(key: str, allowed: list[str], default: str) -> None:
    """Reset a widget's stored choice when it is no longer offered (data or language changed)."""
    if st.session_state.get(key) not in allowed:
        st.session_state[key] = default


def _pick_indicator(label: str, key: str, options: list[IndicatorOption],
                    lang: str) -> IndicatorOption:
    """A selectbox over indicators (stored by column name); returns the chosen one."""
    by_column = {o.column: o for o in options}
    _keep_valid(key, list(by_column), options[0].column)
    column = st.selectbox(label, list(by_column), key=key,
                          format_func=lambda c: by_column[c].label(lang))
    return by_column[str(column)]


def _classification_controls(opt: IndicatorOption, target: Target | None,
                             lang: str) -> tuple[str, int, tuple[float, ...], str]:
    """Method, number of classes, typed breaks and palette."""
    c1, c2, c3, c4 = st.columns([2, 1, 2, 2])
    scheme = c1.selectbox(t("分级方法", "Classification"), SCHEMES, key="ind_scheme",
                          format_func=lambda s: scheme_name(s, lang))
    k = int(c2.number_input(t("级数", "Classes"), min_value=2, max_value=9, value=5, step=1,
                            key="ind_k", disabled=scheme == "UserDefined"))
    breaks: tuple[float, ...] = ()
    if scheme == "UserDefined":
        if "ind_breaks" not in st.session_state and target is not None:
            st.session_state["ind_breaks"] = format_number(target.value, 4).rstrip("0").rstrip(".")
        text = c3.text_input(t("断点（逗号分隔）", "Breaks (comma-separated)"), key="ind_breaks",
                             placeholder="20, 37, 50")
        try:
            breaks = parse_breaks(text)
        except SpatialError as err:
            c3.error(err.message(lang))
    palettes = [p for p in PALETTES.values()
                if p.kind == "sequential" or target is not None]
    ids = [p.id for p in palettes]
    _keep_valid("ind_palette", ids, DEFAULT_PALETTE)
    palette = c4.selectbox(t("配色", "Colours"), ids, key="ind_palette",
                           format_func=lambda p: PALETTES[p].name(lang))
    return str(scheme), k, breaks, str(palette)


def _target_controls(opt: IndicatorOption, lang: str) -> tuple[Target | None, str | None]:
    """Whether and against what to check pass/fail; defaults to the plan's 2025 target."""
    plan_target = opt.plan.target() if opt.plan is not None else None
    if st.session_state.get("ind_target_for") != opt.column:
        # A new indicator: start from the target of a shared link, else its plan target.
        url = st.session_state.get("ind_url_selection")
        url_target = (url.target if isinstance(url, IndicatorSelection)
                      and url.column == opt.column else None)
        st.session_state["ind_target_for"] = opt.column
        st.session_state["ind_target_on"] = url_target is not None or plan_target is not None
        st.session_state["ind_target_value"] = (
            url_target if url_target is not None else plan_target.value if plan_target else 0.0
        )
        st.session_state["ind_target_op"] = plan_target.op if plan_target else ">="
    # A figure computed from the drawing stands in for a plan indicator counted otherwise (the
    # drawn green share for 城市绿地率): the planner is told how far the comparison goes.
    stands_in = opt.plan if opt.origin == "computed" else None
    if stands_in is not None:
        note = stands_in.note_en if lang == "en" else stands_in.note_zh
        st.caption(t("口径提示：", "How it is counted: ") + escape_markdown(note))
    c1, c2, c3 = st.columns([2, 1, 2])
    on = c1.checkbox(t("对照目标检查达标", "Check against a target"), key="ind_target_on")
    if not on:
        return None, None
    op = c2.selectbox(t("条件", "Condition"), _OPS, key="ind_target_op",
                      format_func=lambda o: _OP_TEXT[o])
    value = float(c3.number_input(t("目标值", "Target value"), key="ind_target_value",
                                  format="%.4g"))
    target = Target(value, op)
    source = None
    if plan_target is not None and plan_target == target and opt.plan is not None:
        source = t(f"规划 2025 年目标：{opt.plan.name_zh}", f"plan 2025 target: {opt.plan.name_en}")
        if stands_in is not None:
            source += t("，口径不同，仅供参考", ", counted differently, indicative only")
    return target, source


def _classify(opt: IndicatorOption, scheme: str, k: int, breaks: tuple[float, ...],
              palette: str, target: Target | None) -> Classification:
    centre = target.value if target is not None and PALETTES[palette].kind == "diverging" \
        else None
    return classify(opt.values.to_numpy(dtype=float), scheme=scheme, k=k, breaks=breaks,
                    palette=palette, centre=centre, min_decimals=opt.decimals)


def _kept_selection(area_id: str, opt: IndicatorOption, scheme: str, k: int,
                    breaks: tuple[float, ...], target: Target | None) -> IndicatorSelection:
    """The selection to class with.

    Breaks that came with a shared link (the URL's ``ind_breaks``) are used as
    they are while the area set, indicator, method and number of classes
    still match the link, so the receiver sees the sender's classes; once the
    planner changes one of these, the breaks are computed afresh.
    """
    wanted = IndicatorSelection(area_layer=area_id, column=opt.column, scheme=scheme, k=k,
                                breaks=breaks, target=target.value if target else None)
    url = st.session_state.get("ind_url_selection")
    if not isinstance(url, IndicatorSelection):
        return wanted
    if (url.area_layer, url.column, url.scheme, url.k) != (area_id, opt.column, scheme, k):
        del st.session_state["ind_url_selection"]
        return wanted
    if url.breaks and scheme != "UserDefined":
        return IndicatorSelection(area_id, opt.column, scheme, k, url.breaks, wanted.target)
    return wanted


_URL_KEYS = ("ind_layer", "ind_col", "ind_scheme", "ind_k", "ind_breaks", "ind_target")


def _read_url(area_ids: list[str]) -> None:
    """On a session's first run, start from the indicator of a shared link (if any)."""
    if st.session_state.get("ind_url_read"):
        return
    st.session_state["ind_url_read"] = True
    sel = View.from_query_params(st.query_params).indicator
    if sel is None or sel.area_layer not in area_ids:
        return
    st.session_state["ind_url_selection"] = sel
    st.session_state["ind_area"] = sel.area_layer
    st.session_state["ind_origin"] = (
        "coverage" if sel.column.startswith("coverage_")
        else "upload" if sel.column.startswith("upload:") else "computed"
    )
    st.session_state["ind_column"] = sel.column
    if sel.scheme in SCHEMES:
        st.session_state["ind_scheme"] = sel.scheme
    st.session_state["ind_k"] = min(max(sel.k, 2), 9)
    if sel.scheme == "UserDefined" and sel.breaks:
        st.session_state["ind_breaks"] = ", ".join(f"{b:.10g}" for b in sel.breaks)


def _write_url(selection: IndicatorSelection) -> None:
    """Mirror the indicator in the URL (only the ``ind_*`` keys), so a link reopens it."""
    wanted = {k: v for k, v in View(indicator=selection).to_query_params().items()
              if k in _URL_KEYS}
    for key in _URL_KEYS:
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
    changed = {k: v for k, v in wanted.items() if st.query_params.get(k) != v}
    if changed:
        st.query_params.update(changed)


def _plan_section(plan: list[PlanIndicator], lang: str) -> None:
    st.subheader(t("规划主要指标（表1）", "The plan's main indicators (Table 1)"))
    table = plan_table(plan, lang)
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(t(
        "共 29 项，按规划表1顺序。规划文本提取时删去了与上文重复的单元格："
        "此类数值据正文恢复并注明章节；“推定”的序号和属性由删除规则推出"
        "（“约束性”首次出现在能耗一行，此前各行缺失的属性只能是重复的“预期性”）；"
        "无法恢复的单元格显示“规划未给出/未能恢复”，不作猜测。",
        "All 29 rows in the plan's order. The plan's text extraction dropped every cell that "
        "repeats an earlier one: such values are restored from the body text with their chapter; "
        "row numbers and types marked “deduced” follow from that rule (“binding” first appears "
        "in the energy row, so a lost type above it can only be a repeated “expected”); a cell "
        "that cannot be recovered reads “not given / not recovered”, never a guess.",
    ))
    st.download_button(t("下载规划指标表（CSV）", "Download the plan table (CSV)"),
                       to_safe_csv(table), mime="text/csv",
                       file_name=t("规划指标表.csv", "plan_indicators.csv"),
                       key="ind_plan_csv")
    with st.expander(t("表1数值的正文依据", "Where the body text states Table 1's values")):
        st.dataframe(plan_sources_table(plan, lang), hide_index=True, width="stretch")
    with st.expander(t("正文中的其他量化目标", "Other quantitative targets in the plan's text")):
        targets = plan_targets_table(load_plan_targets(), lang)
        st.dataframe(targets, hide_index=True, width="stretch")
        st.download_button(t("下载其他目标（CSV）", "Download the other targets (CSV)"),
                           to_safe_csv(targets),
                           file_name=t("规划其他目标.csv", "plan_targets.csv"),
                           mime="text/csv", key="ind_plan_targets_csv")


def _compare(areas: gpd.GeoDataFrame, options: list[IndicatorOption], opt: IndicatorOption,
             scheme: str, k: int, palette: str, lang: str, basemap_id: str) -> None:
    """Two maps side by side: another indicator, or the 2020 base against the 2025 target."""
    modes = ["other"]
    base = opt.plan.base_threshold() if opt.plan is not None else None
    goal = opt.plan.target() if opt.plan is not None else None
    if base is not None and goal is not None:
        modes.append("base_target")
    mode_names = {
        "other": t("与另一指标并排", "with another indicator"),
        "base_target": t("2020 年基数 与 2025 年目标", "2020 base vs 2025 target"),
    }
    mode = st.radio(t("对比", "Compare"), modes, horizontal=True, key="ind_compare_mode",
                    format_func=mode_names.__getitem__)
    panels: list[tuple[IndicatorOption, Target | None, str]]
    if mode == "base_target" and base is not None and goal is not None:
        panels = [(opt, base, t("对照 2020 年基数", "against the 2020 base")),
                  (opt, goal, t("对照 2025 年目标", "against the 2025 target"))]
    else:
        others = [o for o in options if o.column != opt.column]
        if not others:
            st.info(t("没有可对比的其他指标。", "There is no other indicator to compare with."))
            return
        other = _pick_indicator(t("对比指标", "Second indicator"), "ind_compare_column",
                                others, lang)
        other_target = other.plan.target() if other.plan is not None else None
        panels = [(opt, None, opt.caption(lang)), (other, other_target, other.caption(lang))]
    left, right = st.columns(2)
    for n, (column, (o, target, title)) in enumerate(zip((left, right), panels, strict=True)):
        with column:
            st.markdown(f"**{escape_markdown(title)}**")
            if mode == "base_target" and target is not None:
                # Two classes split at the threshold, coloured either side of it.
                c = classify(o.values.to_numpy(dtype=float), scheme="UserDefined",
                             breaks=(target.value,), palette=DIVERGING_PALETTE,
                             centre=target.value, min_decimals=o.decimals)
            else:
                c = classify(o.values.to_numpy(dtype=float), scheme=scheme, k=k,
                             palette=palette if PALETTES[palette].kind == "sequential"
                             else DEFAULT_PALETTE, min_decimals=o.decimals)
            statuses = target_status(o.values, target) if target is not None else None
            _map(areas, o, c, target, lang, basemap_id, f"ind_compare_map_{n}",
                 COMPARE_HEIGHT, 560)
            src = (t("规划", "plan") if target is not None and o.plan is not None else None)
            st.markdown(_legend_html(o, c, target, src, statuses, lang,
                                     None if mode == "base_target" and target is not None else k),
                        unsafe_allow_html=True)


# --- page ----------------------------------------------------------------------------------------


def render() -> None:
    """Draw the indicators page."""
    lang = current_lang()
    st.title(t("分区指标", "Indicators by area"))
    st.caption(t(
        "按区域计算或上传的指标分级设色；面积、绿地占比、路网密度在 CGCS2000 高斯-克吕格投影"
        "（EPSG:4547）中量算。",
        "Indicators per area, computed or uploaded, as classed maps; areas, green shares and road "
        "densities are measured in CGCS2000 Gauss–Krüger (EPSG:4547).",
    ))
    problems: list[str] = []
    plan = _plan()
    area_sets = _area_sets(lang, problems)
    for p in problems:
        st.warning(p)
    if not area_sets:
        st.info(t(
            "还没有可用的区域图层：规划的园区、综保区分区和生活圈尚未发布，工作区中也没有面图层。",
            "No area layer is available yet: the plan's parks, bonded sub-zones and living "
            "circles are not published, and the workspace holds no polygon layer.",
        ))
        _plan_section(plan, lang)
        return

    ids = [a.id for a in area_sets]
    _read_url(ids)
    _keep_valid("ind_area", ids, ids[0])
    c_area, c_base = st.columns([3, 1])
    area_id = c_area.selectbox(t("区域", "Areas"), ids, key="ind_area",
                               format_func=lambda i: next(a.title for a in area_sets
                                                          if a.id == i))
    basemaps = [b.id for b in available_basemaps(tianditu_key(secrets_or_none()))]
    # A choropleth reads best, and prints best, on a blank background.
    _keep_valid("ind_basemap", basemaps, "none" if "none" in basemaps else basemaps[0])
    basemap_id = str(c_base.selectbox(t("底图", "Basemap"), basemaps, key="ind_basemap",
                                      format_func=lambda b: get_basemap(b).title(lang)))
    area_set = next(a for a in area_sets if a.id == area_id)
    areas = _shown_areas(area_set, lang)
    if areas.empty:
        st.info(t("请至少选择一类区域。", "Choose at least one kind of area."))
        _plan_section(plan, lang)
        return

    sources, version = _sources(problems)
    try:
        computed = _computed(area_set.id, area_set.version + "|" + version, area_set.areas,
                             sources)
    except SpatialError as err:
        st.error(err.message(lang))
        return
    if {"roads", "facilities", "communities"} <= set(sources):
        try:
            rules_key, rules = _project_rules()
            cov = _coverage(area_set.id, f"{area_set.version}|{version}|{rules_key}",
                            area_set.areas, sources, rules)
            computed = computed.join(cov, how="left")
        except SpatialError as err:
            st.warning(t("生活圈覆盖率无法计算：", "Living-circle coverage unavailable: ")
                       + err.message(lang))
    missing_sources = [s for s in SOURCE_LAYERS if s not in sources]
    if missing_sources:
        st.caption(t("尚未发布、暂不能计算的来源图层：", "Source layers not published yet: ")
                   + ", ".join(missing_sources))

    stats = statistics_panel(area_set.id, area_set.version, areas, lang)
    options = _options(computed, stats, lang, plan, pd.Index(areas["id"]))
    origins = {
        "computed": t("计算指标", "Computed"),
        "coverage": t("生活圈覆盖率", "Living-circle coverage"),
        "plan": t("与规划目标关联", "Linked to a plan target"),
        "upload": t("上传的统计", "Uploaded statistics"),
    }
    present = [o for o in origins if any(_in_origin(x, o) for x in options)]
    _keep_valid("ind_origin", present, present[0])
    origin = st.radio(t("指标来源", "Indicator source"), present, horizontal=True,
                      key="ind_origin", format_func=origins.__getitem__)
    shown = [o for o in options if _in_origin(o, str(origin))]
    opt = _pick_indicator(t("指标", "Indicator"), "ind_column", shown, lang)

    target, target_source = _target_controls(opt, lang)
    scheme, k, breaks, palette = _classification_controls(opt, target, lang)
    if scheme == "UserDefined" and not breaks:
        st.info(t("请输入至少一个断点。", "Type at least one break."))
        return
    selection = _kept_selection(area_set.id, opt, scheme, k, breaks, target)
    try:
        c = _classify(opt, scheme, k, selection.breaks, palette, target)
    except SpatialError as err:
        st.error(err.message(lang))
        return
    selection = IndicatorSelection(area_set.id, opt.column, scheme, k, c.breaks,
                                   selection.target)
    st.session_state["indicator_selection"] = selection
    values = opt.values
    st.session_state["indicator_choropleth"] = ChoroplethLayer(
        area_layer=area_set.id, classification=c,
        values={str(i): (None if pd.isna(v) else float(v)) for i, v in values.items()},
        name=opt.caption(lang), target=_target_text(target, opt.decimals) if target else None,
        value_decimals=_shown_decimals(opt),
    )
    view = st.session_state.get("map_view")
    if isinstance(view, View) and view.indicator != selection:
        st.session_state["map_view"] = view.replace(indicator=selection)
    _write_url(selection)

    statuses = target_status(values, target) if target is not None else None
    left, right = st.columns([3, 2], gap="medium")
    with left:
        _map(areas, opt, c, target, lang, basemap_id, "ind_map", MAP_HEIGHT, 820)
        if opt.origin == "upload":
            st.caption(t("数值来自上传的统计表。", "Values from the uploaded sheet."))
    with right:
        st.markdown(f"**{escape_text(t('图例', 'Legend'))}**")
        st.markdown(_legend_html(opt, c, target, target_source, statuses, lang, k),
                    unsafe_allow_html=True)
        table = _table(areas, opt, c, statuses, lang)
        # The id stays in the download (statistics are joined by it) but not on screen.
        # The map's labels and the table show the same decimals (11.60 in both).
        show_table(table.drop(columns=[t("编号", "Id")]),
                   decimals={opt.caption(lang): _shown_decimals(opt)}, width="stretch")
        st.download_button(t("下载表格（CSV）", "Download table (CSV)"), to_safe_csv(table),
                           file_name=download_name(t(f"分区指标-{area_set.title}",
                                                      f"indicator_{area_set.id}"), "csv"),
                           mime="text/csv",
                           key="ind_csv")
        render_indicator_export_panel(area_set.id, area_set.title, areas, basemap_id)

    if st.toggle(t("并排对比", "Compare side by side"), key="ind_compare"):
        _compare(areas, options, opt, scheme, k, palette, lang, basemap_id)
    _plan_section(plan, lang)


def _shown_areas(area_set: AreaSet, lang: str) -> gpd.GeoDataFrame:
    """The areas to show: all, or the kinds ticked when the layer mixes kinds of area."""
    if not area_set.groups:
        return area_set.areas
    key = f"ind_groups_{area_set.id}"
    values = list(area_set.groups)
    if key not in st.session_state:
        # Start with the layer's main kind (e.g. the parks themselves): nested sub-areas and
        # context extents on one choropleth would hide each other.
        st.session_state[key] = values[:1]
    chosen = st.multiselect(t("区域类型", "Kinds of area"), values, key=key,
                            format_func=lambda v: area_set.groups.get(v, v),
                            placeholder=t("选择区域类型", "Choose kinds of area"))
    return area_set.areas[area_set.areas["group"].isin(chosen)].reset_index(drop=True)


def _in_origin(o: IndicatorOption, origin: str) -> bool:
    """Whether an indicator is listed under a source choice (a plan-linked one is in two)."""
    if origin == "plan":
        return o.plan is not None and o.plan.target() is not None
    if origin == "coverage":
        return o.column.startswith("coverage_")
    if origin == "computed":
        return o.origin == "computed" and not o.column.startswith("coverage_")
    return o.origin == origin
