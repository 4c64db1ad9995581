"""生活圈 coverage page: walking distance to the nine service categories, gaps and what-if.

Widgets → :mod:`spatial.coverage` (all figures) → tables and a map drawn with
:mod:`spatial.webmap`. Each input (roads, facilities, residential places,
planning units) is the shipped plan layer or a suitable layer of the planner's
workspace (issue 7); their columns are mapped by :mod:`spatial.coverage_inputs`.
The walking network is built once per road-layer version (file time or
``saved_utc``; ``st.cache_resource``); the coverage model lives in the session
so what-if edits (click the map, or type coordinates) update every figure
incrementally. Edits are kept as a list of operations and replayed when the
inputs, rules or settings change, so a planner never loses them silently.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from layers.fields import column_label, present_table
from spatial._errors import SpatialError
from spatial.basemaps import (
    BASEMAP_IDS,
    Basemap,
    available_basemaps,
    default_basemap_id,
    get_basemap,
    tianditu_key,
)
from spatial.coverage import (
    PLAN_SOURCE,
    CoverageModel,
    CoverageSettings,
    Scenario,
    UnitWeights,
    analyse,
    combo_index,
    completeness_table,
    facility_names,
    facility_ordinals,
    gap_table,
    lonlat_to_network,
    name_unnamed,
    network_to_lonlat,
    straight_line_table,
    suggest_sites,
    summary_table,
    unit_table,
    unsnapped_table,
)
from spatial.coverage_inputs import INPUT_GEOMETRY, POPULATION_COLUMNS, geometry_family
from spatial.coverage_rules import (
    ANY_TYPE,
    RULES_ITEM,
    CoverageRules,
    load_rules,
    rules_from_payload,
)
from spatial.crs import gcj02_to_wgs84
from spatial.map_compare import CompareSupport, compare_overlays
from spatial.network import DEFAULT_MAX_SNAP_M, DEFAULT_SNAP_GAP_M, WalkNetwork, build_network
from spatial.service_categories import CATEGORIES, LEVELS_MIN
from spatial.storage import UserLayerInfo, layer_id_for
from spatial.text import escape_markdown
from spatial.view import COMPARE_MODES
from spatial.webmap import (
    basemap_overlay,
    build_base_map,
    payload_overlay,
)
from ui.coverage_map import (
    coverage_legend,
    facility_payload,
    place_payload,
    roads_payload,
    unit_outline_overlay,
)
from ui.coverage_panels import (
    basis_caption,
    changes_overlay,
    checkup_panel,
    estimate_notice,
    forget_before,
    keep_before,
    remember_before,
    scenario_panel,
    sites_overlay,
    walkshed_overlay,
    whatif_changes_panel,
)
from ui.coverage_tables import (
    ALL,
    category_labels,
    downloads,
    level_note,
    pct,
    percent_config,
    rules_editor,
    share_pivot,
    show_coverage_table,
    unit_pivot,
)
from ui.data import current_store, layer_mtime, load_plan_layer, load_user_layer, plan_data_dir
from ui.export_panel import render_coverage_export_panel
from ui.i18n import current_lang, t

__all__ = ["render", "run_scenario"]

MAP_HEIGHT = 560
PLAN = "plan"
# The inputs of the analysis and the shipped plan layers each one defaults to.
_PLAN_INPUTS: dict[str, tuple[str, ...]] = {
    "roads": ("roads",),
    "facilities": ("facilities",),
    "residential": ("communities",),
    "units": ("life_circles", "parks"),
}


@dataclass(frozen=True)
class _Op:
    """One what-if edit, replayable on a rebuilt model."""

    kind: str  # "add" | "move" | "remove"
    category: str = ""
    level: int = 0
    facility_type: str | None = None
    x: float = 0.0
    y: float = 0.0
    fid: str = ""


@dataclass(frozen=True)
class _Input:
    """One chosen input: the shipped plan layer(s) or one workspace layer."""

    role: str  # a key of _PLAN_INPUTS
    source: str  # PLAN or the workspace file's path
    title: str  # the workspace layer's title ("" for the plan)
    version: str  # cache key: the plan files' times, or the layer's saved_utc


# --- data ----------------------------------------------------------------------------------------


def _frames(inp: _Input) -> dict[str, gpd.GeoDataFrame]:
    """The input's layers by name (the plan's catalogue ids, or the workspace title)."""
    if inp.source == PLAN:
        data_dir = str(plan_data_dir())
        # The plan layers are read exactly as the plan map reads them (same files, same cache).
        return {i: load_plan_layer(i, data_dir, layer_mtime(i)) for i in _PLAN_INPUTS[inp.role]}
    return {inp.title: load_user_layer(inp.source, inp.title, inp.version)}


def _frame(inp: _Input) -> gpd.GeoDataFrame:
    return next(iter(_frames(inp).values()))


@st.cache_resource(show_spinner=False, max_entries=4)
def _network(
    source: str, title: str, version: str, snap_gap_m: float, _roads: gpd.GeoDataFrame
) -> WalkNetwork:
    """The walking network of a road layer (built once per layer version)."""
    del source, title, version  # cache key only
    # The local metric CRS of the roads' place: GK in China, UTM elsewhere (spatial.metric_crs).
    return build_network(_roads, snap_gap_m=snap_gap_m)


@st.cache_data(show_spinner=False, max_entries=128)
def _family(path: str, title: str, saved_utc: str) -> str | None:
    """Point, line or polygon: which inputs a workspace layer can serve as (per version)."""
    return geometry_family(load_user_layer(path, title, saved_utc))


def _workspace_choices() -> tuple[str, dict[str, list[UserLayerInfo]]]:
    """The workspace file and its layers by geometry family (unreadable ones left out)."""
    ws = current_store()
    try:
        infos = ws.layer_infos()
    except (SpatialError, OSError):
        infos = []
    path = ws.key
    by_family: dict[str, list[UserLayerInfo]] = {}
    for info in infos:
        try:
            family = _family(path, info.title, info.saved_utc)
        except (SpatialError, OSError):
            continue
        if family is not None:
            by_family.setdefault(family, []).append(info)
    return path, by_family


# Per input: its chooser's label and the shipped plan layer's name, each (zh, en).
_ROLE_LABELS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "roads": (("道路（线）", "Roads (lines)"), ("规划道路", "Plan roads")),
    "facilities": (("服务设施（点）", "Facilities (points)"), ("规划设施", "Plan facilities")),
    "residential": (
        ("居住区（面）", "Residential places (polygons)"), ("规划社区", "Plan communities")
    ),
    "units": (
        ("规划单元（面）", "Planning units (polygons)"),
        ("生活圈与园区", "Living circles and parks"),
    ),
}


def _inputs() -> dict[str, _Input]:
    """Let the planner pick each input: the shipped layer or one of their own of the right kind."""
    path, by_family = _workspace_choices()
    chosen: dict[str, _Input] = {}
    mine = t("我的图层", "My layer")
    with st.expander(t("分析图层", "Input layers"), expanded=bool(by_family)):
        if not by_family:
            st.caption(t(
                "可在“我的图层”上传道路、设施、居住区或规划单元，在此替换规划图层。",
                "Upload roads, facilities, residential places or planning units under "
                "“My layers” to use them here instead of the plan's layers.",
            ))
        cols = st.columns(len(_PLAN_INPUTS))
        for col, role in zip(cols, _PLAN_INPUTS, strict=True):
            infos = {i.layer_id: i for i in by_family.get(INPUT_GEOMETRY[role], [])}
            chooser, plan = _ROLE_LABELS[role]
            labels = {PLAN: t(*plan)} | {
                lid: f"{mine}：{i.title}" for lid, i in infos.items()
            }
            pick = col.selectbox(
                t(*chooser), list(labels), format_func=labels.__getitem__,
                key=f"cov_src_{role}",
            )
            if pick in infos:
                info = infos[pick]
                chosen[role] = _Input(role, path, info.title, info.saved_utc)
            else:
                version = ";".join(str(layer_mtime(i)) for i in _PLAN_INPUTS[role])
                chosen[role] = _Input(role, PLAN, "", f"{plan_data_dir()}|{version}")
    return chosen


def _rules() -> CoverageRules:
    """The rule table in force: the project's saved one, else the shipped default.

    Kept in the session per (store, saved version), so the model is rebuilt only
    when the project's table changes (or this session applies its own edit).
    """
    try:
        store = current_store()
        saved = store.item_versions("rules").get(RULES_ITEM)
        source: tuple[str, str | None] = (store.key, saved)
    except (SpatialError, OSError):
        store, saved, source = None, None, ("", None)
    held = st.session_state.get("cov_rules")
    if isinstance(held, tuple) and held[0] == source and isinstance(held[1], CoverageRules):
        return held[1]
    rules = load_rules()
    if store is not None and saved is not None:
        try:
            payload = store.load_item("rules", RULES_ITEM)
            if payload is not None:
                rules = rules_from_payload(payload)
        except (SpatialError, OSError) as err:
            st.session_state["cov_error"] = t(
                "项目中保存的规则表无法使用，已改用默认规则：",
                "The project's saved rule table cannot be used; the default rules apply: ",
            ) + (err.message(current_lang()) if isinstance(err, SpatialError) else "")
    st.session_state["cov_rules"] = (source, rules)
    return rules


def _apply(model: CoverageModel, op: _Op) -> None:
    if op.kind == "add":
        model.add_facility(
            op.category, op.level, op.x, op.y, facility_type=op.facility_type,
            name=t("拟建设施", "Proposed facility"),
        )
    elif op.kind == "move":
        model.move_facility(op.fid, op.x, op.y)
    elif op.kind == "remove":
        model.remove_facility(op.fid)


def _model(
    inputs: dict[str, _Input], settings: CoverageSettings
) -> tuple[CoverageModel, list[UnitWeights]]:
    """The session's coverage model, rebuilt (and edits replayed) when inputs change."""
    rules = _rules()
    key = (tuple(inputs.values()), id(rules), settings)
    if st.session_state.get("cov_key") != key:
        roads = inputs["roads"]
        network = _network(
            roads.source, roads.title, roads.version, settings.snap_gap_m, _frame(roads)
        )
        # A planner's residential layer may lack population: then area shares only.
        model, units = analyse(
            _frame(roads), _frame(inputs["facilities"]), _frame(inputs["residential"]), rules,
            settings, units=_frames(inputs["units"]), network=network, require_population=False,
        )
        kept = []
        for op in st.session_state.get("cov_ops", []):
            try:
                _apply(model, op)
                kept.append(op)
            except SpatialError:
                continue  # e.g. a facility type the edited rules no longer know
        st.session_state["cov_ops"] = kept
        st.session_state.pop("cov_sites", None)  # computed on the previous inputs
        forget_before()
        _bump()
        st.session_state.update(cov_key=key, cov_model=model, cov_units=units)
    return st.session_state["cov_model"], st.session_state["cov_units"]


def _bump() -> None:
    """Mark the model changed (cached walksheds and indicators are keyed on this)."""
    st.session_state["cov_version"] = int(st.session_state.get("cov_version", 0)) + 1


def _version() -> int:
    return int(st.session_state.get("cov_version", 0))


def _do(model: CoverageModel, op: _Op) -> None:
    """Apply a what-if edit, remember it and what it changed, or show why it cannot be done."""
    before = remember_before(model)
    try:
        _apply(model, op)
    except SpatialError as err:
        st.session_state["cov_error"] = err.message(current_lang())
        return
    keep_before(before)
    _bump()
    st.session_state.setdefault("cov_ops", []).append(op)
    st.session_state.pop("cov_sites", None)


# --- map -----------------------------------------------------------------------------------------


def _facility_choices(model: CoverageModel, fids: list[str]) -> dict[str, str]:
    """Facility id → what the chooser shows: its name (its position when several share it)."""
    lang = current_lang()
    f = model.facilities
    names = dict(zip(f["facility_id"], facility_names(model, lang), strict=True))
    pos = facility_ordinals(model)
    shown = [names[i] for i in fids]
    # Two 示意公交站 in one list: told apart by their place in the layer, never by id.
    return {i: n if shown.count(n) == 1 else n + t(f"（第{pos[i]}个）", f" (no. {pos[i]})")
            for i, n in zip(fids, shown, strict=True)}


def _sites_table(model: CoverageModel, sites: object) -> None:
    """The suggested sites, numbered as on the map, where a table has the map's width."""
    if not isinstance(sites, pd.DataFrame) or sites.empty:
        return
    lon, lat = network_to_lonlat(model.network, sites["x"], sites["y"])
    st.markdown(f"**{t('建议选址', 'Suggested sites')}**")
    gain, share = t("新增覆盖人口", "Residents gained"), t("累计覆盖率", "Share after")
    st.dataframe(
        pd.DataFrame({
            t("序号", "Rank"): sites["rank"].astype(int),
            t("经度", "Lon"): np.round(lon, 6),
            t("纬度", "Lat"): np.round(lat, 6),
            gain: sites["gain_population"].round(0),
            share: (sites["pop_share"] * 100).round(1),
        }),
        hide_index=True, key="cov_sites_table", column_config={
            gain: st.column_config.NumberColumn(format="%.0f"),
            share: st.column_config.NumberColumn(format="%.1f%%"),
        },
    )


def _basemap_choice() -> str:
    """Basemap: the plan map's choice, else ``?basemap=``, else the deployment default."""
    if "cov_basemap" not in st.session_state:
        view = st.session_state.get("map_view")
        chosen = getattr(view, "basemap", None) or st.query_params.get("basemap")
        if chosen not in BASEMAP_IDS:
            chosen = default_basemap_id()
        st.session_state["cov_basemap"] = chosen
    return str(st.session_state["cov_basemap"])


def _scenario_compare(
    other: tuple[str, CoverageModel] | None, category: str, level: int, bm: Basemap,
    key: str | None,
) -> list[Any]:
    """The right-hand view of 方案对比: the compared scenario's places and facilities.

    Offered when a saved scenario is chosen for comparison; 卷帘 puts it right of a
    draggable bar over the current run, 分屏 on a second, synchronised map.
    """
    if other is None:
        return []
    name, other_model = other
    names = {"off": t("关闭", "Off"), "swipe": t("卷帘", "Swipe"),
             "split": t("分屏", "Side by side")}
    mode = st.radio(
        t(f"方案对比（右侧：{escape_markdown(name)}）",
          f"Compare scenario (right: {escape_markdown(name)})"),
        ["off", *COMPARE_MODES], format_func=names.__getitem__, horizontal=True,
        key="cov_cmp_mode",
    )
    if mode not in COMPARE_MODES:
        return []
    st.caption(t("左侧为当前方案，右侧为所选方案；同一服务类别与层级。",
                 "Left: the current run; right: the chosen scenario, same category and level."))
    right = [place_payload(other_model, category, level, bm.gcj02),
             roads_payload(other_model, bm.gcj02),
             facility_payload(other_model, category, level, bm.gcj02)]
    return list(compare_overlays(mode, bm, right, key=key, lang=current_lang()))


def _map(
    model: CoverageModel, category: str, level: int, inputs: dict[str, _Input],
    mode: str, edit: dict[str, Any], other: tuple[str, CoverageModel] | None = None,
) -> None:
    """Draw the map; a click adds or moves a facility, depending on the mode.

    With ``other`` (a saved scenario chosen for comparison) the map can show it
    beside the current run, by 卷帘 or 分屏.
    """
    lang = current_lang()
    key = tianditu_key(None)
    basemaps = available_basemaps(key)
    ids = [b.id for b in basemaps]
    current = _basemap_choice()
    bm_id = st.selectbox(
        t("底图", "Basemap"), ids, index=ids.index(current) if current in ids else 0,
        format_func=lambda i: get_basemap(i).title(lang), key="cov_basemap_box",
    )
    st.session_state["cov_basemap"] = bm_id
    show_sheds = st.checkbox(
        t("显示步行服务范围（沿路网）", "Show walksheds (along the network)"), False,
        key="cov_show_sheds",
    )
    bm = get_basemap(bm_id)
    units = inputs["units"]
    # The plan's parks are large and drawn on the plan map; its life circles frame the analysis.
    outline = (
        _frames(units)["life_circles"] if units.source == PLAN else _frame(units)
    )
    outline_name = (
        t("生活圈", "Living circles") if units.source == PLAN else t("规划单元", "Planning units")
    )
    overlays = [
        basemap_overlay(bm, key=key, lang=lang),
        unit_outline_overlay(outline, outline_name, bm.gcj02),
        payload_overlay(place_payload(model, category, level, bm.gcj02)),
    ]
    if show_sheds:
        sheds = walkshed_overlay(
            model, category, level, bm.gcj02, (st.session_state.get("cov_key"), _version()),
            {c.code: c.colour for c in CATEGORIES},
        )
        if sheds is not None:
            overlays.append(sheds)
    changed = changes_overlay(model, bm.gcj02)
    if changed is not None:
        overlays.append(changed)
    overlays += [
        payload_overlay(roads_payload(model, bm.gcj02)),
        payload_overlay(facility_payload(model, category, level, bm.gcj02)),
    ]
    sites = st.session_state.get("cov_sites")
    if isinstance(sites, pd.DataFrame) and len(sites):
        overlays.append(sites_overlay(model, sites, bm.gcj02))
    overlays += _scenario_compare(other, category, level, bm, key)
    centre = _frame(inputs["residential"]).to_crs(4326).union_all().centroid
    base = build_base_map(lang)
    CompareSupport().add_to(base)  # constant script: 卷帘 / 分屏 of 方案对比 (no remount)
    out = st_folium(
        base,
        key="coverage_map",
        center=(centre.y, centre.x),
        zoom=13,
        feature_group_to_add=overlays,
        returned_objects=["last_clicked"],
        use_container_width=True,
        height=MAP_HEIGHT,
    )
    click = (out or {}).get("last_clicked")
    if not click or click == st.session_state.get("cov_last_click"):
        return
    st.session_state["cov_last_click"] = click
    if mode == "off":
        return
    lon, lat = float(click["lng"]), float(click["lat"])
    if bm.gcj02:
        lo, la = gcj02_to_wgs84(lon, lat)
        lon, lat = float(lo), float(la)
    x, y = lonlat_to_network(model.network, lon, lat)
    if mode == "add":
        _do(model, _Op("add", edit["category"], edit["level"], edit["type"], x, y))
    elif mode == "move" and edit.get("fid"):
        _do(model, _Op("move", x=x, y=y, fid=str(edit["fid"])))
    st.rerun()


# --- what-if panel -------------------------------------------------------------------------------


def _type_options(rules: CoverageRules, category: str, level: int) -> list[str]:
    table = rules.table
    rows = table[(table["category"] == category) & (table["level_min"] == level)]
    types = [ft for ft in rows["facility_type"] if ft != ANY_TYPE]
    return [ANY_TYPE, *types]


def _what_if(model: CoverageModel, category: str, level: int) -> tuple[str, dict[str, Any]]:
    """The what-if controls; returns the click mode and what a click should add or move."""
    st.markdown(f"**{t('情景推演', 'What-if')}**")
    mode = st.radio(
        t("点击地图", "Map click"), ["add", "move", "off"], horizontal=True, key="cov_mode",
        format_func={
            "add": t("添加设施", "Add facility"),
            "move": t("移动所选设施", "Move selected"),
            "off": t("不响应", "Do nothing"),
        }.__getitem__,
    )
    codes = [c.code for c in CATEGORIES]
    edit_cat = st.selectbox(
        t("设施类别", "Facility category"), codes,
        index=codes.index(category) if category in codes else 0,
        format_func=category_labels(codes).__getitem__, key="cov_edit_cat",
    )
    edit_level = st.selectbox(
        t("层级（分钟）", "Level (min)"), list(LEVELS_MIN),
        index=list(LEVELS_MIN).index(level), key="cov_edit_level",
    )
    rules = model.rules
    types = _type_options(rules, edit_cat, edit_level)
    tier = t("通用（层级默认）", "Tier default")
    type_labels = {ft: tier if ft == ANY_TYPE else ft for ft in types}
    ftype = st.selectbox(
        t("设施类型（决定服务距离）", "Facility type (sets the walking rule)"),
        types, key="cov_edit_type", format_func=type_labels.__getitem__,
    )
    chosen_type = None if ftype == ANY_TYPE else ftype
    walk = rules.lookup(edit_cat, edit_level, chosen_type)[0]
    st.caption(t(f"服务距离 {walk:.0f} 米（步行，沿路网）", f"Walking rule {walk:.0f} m"))
    f = model.facilities
    same = f[(f["category"] == edit_cat) & (f["level_min"] == edit_level) & f["x"].notna()]
    fids = same["facility_id"].tolist()
    labels = _facility_choices(model, fids)
    fid = st.selectbox(
        t("所选设施（移动/删除）", "Selected facility (move/remove)"), [None, *fids],
        format_func=lambda i: "—" if i is None else labels[i],
        key="cov_edit_fid",
    )
    if st.button(t("删除所选设施", "Remove selected"), disabled=fid is None, key="cov_remove"):
        _do(model, _Op("remove", fid=str(fid)))
        st.rerun()
    with st.form("cov_add_form", border=False):
        c1, c2 = st.columns(2)
        # Anywhere on Earth (the network's own CRS is local); a point far from every road is
        # refused with the distance. The default is the network's centre.
        mid = model.network.node_xy.mean(axis=0) if model.network.n_nodes else (0.0, 0.0)
        lon0, lat0 = network_to_lonlat(model.network, [mid[0]], [mid[1]])
        lon = c1.number_input(
            t("经度", "Longitude"), -180.0, 180.0, round(float(lon0[0]), 6), format="%.6f",
            key="cov_lon",
        )
        lat = c2.number_input(
            t("纬度", "Latitude"), -85.0, 85.0, round(float(lat0[0]), 6), format="%.6f",
            key="cov_lat",
        )
        if st.form_submit_button(t("按坐标添加", "Add at coordinates")):
            x, y = lonlat_to_network(model.network, float(lon), float(lat))
            _do(model, _Op("add", edit_cat, int(edit_level), chosen_type, x, y))
            st.rerun()
    if st.session_state.get("cov_ops"):
        st.caption(t(
            f"已做 {len(st.session_state['cov_ops'])} 项推演修改。",
            f"{len(st.session_state['cov_ops'])} what-if edit(s) applied.",
        ))
        if st.button(t("撤销全部推演", "Undo all what-ifs"), key="cov_reset"):
            st.session_state["cov_ops"] = []
            st.session_state.pop("cov_key", None)
            st.session_state.pop("cov_sites", None)
            st.rerun()
    st.markdown(f"**{t('最优新增选址', 'Best new sites')}**")
    k = st.number_input(t("选址数量 k", "Number of sites k"), 1, 20, 3, key="cov_k")
    # Sites are ranked by residents gained, which a layer without population cannot tell.
    can_suggest = model.places.population_known
    if not can_suggest:
        st.caption(t("居住图层没有人口，无法按新增覆盖人口选址。",
                     "Without population the sites cannot be ranked by residents gained."))
    if st.button(t("计算建议选址", "Suggest sites"), key="cov_suggest", disabled=not can_suggest):
        try:
            st.session_state["cov_sites"] = suggest_sites(
                model, edit_cat, int(edit_level), int(k), facility_type=chosen_type
            )
            st.session_state["cov_sites_for"] = (edit_cat, int(edit_level), chosen_type)
        except SpatialError as err:
            st.warning(escape_markdown(err.message(current_lang())))
    sites = st.session_state.get("cov_sites")
    if isinstance(sites, pd.DataFrame):
        if sites.empty:
            st.caption(t("没有能增加覆盖人口的选址。", "No site adds any resident."))
        else:
            # The table is under the map, where its columns have room; the map numbers the sites.
            st.caption(t(
                f"已算出 {len(sites)} 处建议选址：地图上以紫色编号方块标出，明细见地图下方。",
                f"{len(sites)} suggested site(s): numbered purple squares on the map; the "
                "table is under the map.",
            ))
            if st.button(t("将建议选址加入推演", "Add suggestions as what-ifs"), key="cov_take"):
                cat_s, lvl_s, type_s = st.session_state["cov_sites_for"]
                for x, y in zip(sites["x"], sites["y"], strict=True):
                    _do(model, _Op("add", cat_s, lvl_s, type_s, float(x), float(y)))
                st.rerun()
    return str(mode), {"category": edit_cat, "level": int(edit_level), "type": chosen_type,
                       "fid": fid}


def _study_units(inputs: dict[str, _Input]) -> gpd.GeoDataFrame:
    """The planning units the total-area share divides by (the plan's life circles)."""
    units = inputs["units"]
    return _frames(units)["life_circles"] if units.source == PLAN else _frame(units)


# --- 方案 ----------------------------------------------------------------------------------------


def _scenario_inputs(scn: Scenario) -> dict[str, _Input]:
    """The inputs a saved scenario names, as they are in the workspace now."""
    path, by_family = _workspace_choices()
    infos = {i.title: i for group in by_family.values() for i in group}
    out: dict[str, _Input] = {}
    for role in _PLAN_INPUTS:
        source = scn.inputs.get(role, PLAN_SOURCE)
        if source == PLAN_SOURCE:
            version = ";".join(str(layer_mtime(i)) for i in _PLAN_INPUTS[role])
            out[role] = _Input(role, PLAN, "", f"{plan_data_dir()}|{version}")
        elif source in infos:
            out[role] = _Input(role, path, source, infos[source].saved_utc)
        else:
            raise SpatialError(
                f"方案“{scn.name}”所用的图层“{source}”已不在“我的图层”中。",
                f"The layer “{source}” of scenario “{scn.name}” is no longer under My layers.",
            )
    return out


def _scenarios(
    inputs: dict[str, _Input], settings: CoverageSettings, model: CoverageModel
) -> tuple[str, CoverageModel] | None:
    def current(name: str) -> Scenario:
        return Scenario(
            name,
            {r: PLAN_SOURCE if i.source == PLAN else i.title for r, i in inputs.items()},
            {"max_snap_m": settings.max_snap_m, "snap_gap_m": settings.snap_gap_m,
             "add_access_offset": settings.add_access_offset},
            [asdict(op) for op in st.session_state.get("cov_ops", [])],
        )

    def load(scn: Scenario) -> None:
        try:
            chosen = _scenario_inputs(scn)
        except SpatialError as err:
            st.session_state["cov_error"] = err.message(current_lang())
            return
        for role, inp in chosen.items():
            st.session_state[f"cov_src_{role}"] = (
                PLAN if inp.source == PLAN else layer_id_for(inp.title)
            )
        st.session_state["cov_snap"] = float(scn.settings.get("max_snap_m", DEFAULT_MAX_SNAP_M))
        st.session_state["cov_gap"] = float(scn.settings.get("snap_gap_m", DEFAULT_SNAP_GAP_M))
        st.session_state["cov_offset"] = bool(scn.settings.get("add_access_offset", False))
        st.session_state["cov_ops"] = [_Op(**_op_fields(e)) for e in scn.edits]
        st.session_state.pop("cov_key", None)

    return scenario_panel(current, load, lambda scn: run_scenario(scn)[0], model)


def run_scenario(scn: Scenario) -> tuple[CoverageModel, list[UnitWeights]]:
    """A saved scenario run on its layers as they are now, what-ifs replayed, with its units.

    Kept per session for the last few scenarios (the compare panel and the
    monitoring page ask for the same ones again on every rerun).
    """
    chosen = _scenario_inputs(scn)
    other = CoverageSettings(
        max_snap_m=float(scn.settings.get("max_snap_m", DEFAULT_MAX_SNAP_M)),
        snap_gap_m=float(scn.settings.get("snap_gap_m", DEFAULT_SNAP_GAP_M)),
        add_access_offset=bool(scn.settings.get("add_access_offset", False)),
    )
    key = (scn.to_json(), tuple(chosen.values()), id(_rules()))
    cache: dict[Any, tuple[CoverageModel, list[UnitWeights]]] = st.session_state.setdefault(
        "cov_scn_models", {})
    if key in cache:
        return cache[key]
    roads = chosen["roads"]
    network = _network(roads.source, roads.title, roads.version, other.snap_gap_m, _frame(roads))
    result = analyse(
        _frame(roads), _frame(chosen["facilities"]), _frame(chosen["residential"]), _rules(),
        other, units=_frames(chosen["units"]), network=network, require_population=False,
    )
    for edit in scn.edits:
        try:
            _apply(result[0], _Op(**_op_fields(edit)))
        except (SpatialError, TypeError):
            continue  # an edit the current rules or layers no longer allow
    while len(cache) >= 6:
        cache.pop(next(iter(cache)))
    cache[key] = result
    return result


def _op_fields(edit: dict[str, Any]) -> dict[str, Any]:
    """The fields of a stored edit that an ``_Op`` takes (anything else is ignored)."""
    names = {f.name for f in fields(_Op)}
    return {k: v for k, v in edit.items() if k in names}


def _settings() -> CoverageSettings:
    with st.expander(t("分析设置", "Analysis settings")):
        c1, c2, c3 = st.columns(3)
        snap = c1.number_input(
            t("最大接入距离（米）", "Max distance to a road (m)"), 10.0, 2000.0,
            DEFAULT_MAX_SNAP_M, 10.0, key="cov_snap",
        )
        gap = c2.number_input(
            t("路网缝隙容差（米）", "Road gap tolerance (m)"), 0.0, 20.0, DEFAULT_SNAP_GAP_M, 0.5,
            key="cov_gap",
        )
        offset = c3.checkbox(
            t("计入到道路的接入距离", "Add the walk to the road"), False, key="cov_offset"
        )
    return CoverageSettings(max_snap_m=float(snap), snap_gap_m=float(gap), add_access_offset=offset)


# --- page ----------------------------------------------------------------------------------------


def render() -> None:
    """Draw the living-circle coverage page."""
    lang = current_lang()
    st.header(t("生活圈步行覆盖分析", "Living-circle walking coverage"))
    st.caption(t(
        "沿道路网络计算每个居住区到九类服务设施的最近步行距离（非直线半径），"
        "按 GB 50180-2018 / TD/T 1062-2021 的服务距离规则判断是否覆盖。",
        "Walking distance along the road network (not straight-line radii) from every residential "
        "area to the nearest facility of each of the nine categories, judged against the "
        "GB 50180-2018 / TD/T 1062-2021 walking rules.",
    ))
    inputs = _inputs()
    settings = _settings()
    try:
        model, units = _model(inputs, settings)
    except SpatialError as err:
        # E.g. a chosen layer lacks a column: say which; the choosers above stay usable.
        st.error(escape_markdown(err.message(lang)))
        return
    # Roads, facilities and residential places carry the figures; units only group them.
    shipped = any(inputs[r].source == PLAN for r in ("roads", "facilities", "residential"))
    estimate_notice(model, shipped)
    other = _scenarios(inputs, settings, model)
    if not model.places.population_known:
        names = " / ".join(POPULATION_COLUMNS[:3])
        st.info(t(
            f"居住图层没有人口字段（{names}），只能计算居住用地面积覆盖率；人口比例显示为“—”。",
            f"The residential layer has no population column ({names}): only the residential "
            "area shares can be computed; population shares show as “—”.",
        ))

    c1, c2 = st.columns([2, 1])
    codes = [ALL, *[c.code for c in CATEGORIES]]
    # A link can open the page on one category and level: ?category=health&level=10.
    asked_cat = st.query_params.get("category")
    asked_level = st.query_params.get("level")
    category = c1.selectbox(
        t("服务类别", "Service category"), codes, format_func=category_labels(codes).__getitem__,
        index=codes.index(asked_cat) if asked_cat in codes else 0, key="cov_category",
    )
    level_options = list(LEVELS_MIN)
    level_index = next((i for i, lv in enumerate(level_options) if str(lv) == asked_level), 0)
    level = int(c2.radio(
        t("生活圈层级", "Living-circle level"), level_options, index=level_index, horizontal=True,
        format_func={lv: t(f"{lv} 分钟", f"{lv} min") for lv in LEVELS_MIN}.__getitem__,
        key="cov_level",
    ))
    # The plan says 一刻钟生活圈 (第四章, 专栏15); the tiers here use the standard's words.
    c2.caption(t("规划所称“一刻钟生活圈”即 GB 50180-2018 的十五分钟生活圈（15 分钟层级）。",
                 "The plan's 一刻钟生活圈 (“quarter-hour circle”) is GB 50180-2018's "
                 "15-minute living circle (the 15 min tier)."))
    if (asked_cat, asked_level) != (category, str(level)):
        st.query_params.update(category=category, level=str(level))

    summary = summary_table(model)
    completeness = completeness_table(model)
    levels = completeness["level"].tolist()
    all_nine = completeness["share_all_nine"].to_numpy(dtype=float)
    mean_cats = completeness["mean_categories"].to_numpy(dtype=float)
    m1, m2, m3 = st.columns(3)
    if category == ALL:
        i = levels.index(str(level))
        m1.metric(t("九类齐全的居民比例", "Residents with all nine"), pct(all_nine[i]))
        m2.metric(t("人均可达类别数", "Categories per resident"), f"{mean_cats[i]:.2f}")
        m3.metric(
            t("任一层级九类齐全", "All nine at any level"), pct(all_nine[levels.index("any")])
        )
    else:
        r = summary.iloc[combo_index(category, level)]
        no_pop = "—" if not model.places.population_known and bool(r["applicable"]) else None
        m1.metric(t("覆盖人口比例", "Residents covered"), pct(float(r["pop_share"]), no_pop))
        m2.metric(t("覆盖居住用地比例", "Residential area covered"), pct(float(r["area_share"])))
        m3.metric(t("设施数量", "Facilities"), f"{int(r['n_facilities'])}")
        basis_caption(r.to_dict())

    error = st.session_state.pop("cov_error", None)
    if error:
        st.warning(escape_markdown(error))
    col_map, col_side = st.columns([3, 1], gap="small")
    with col_side:
        mode, edit = _what_if(model, category, level)
        whatif_changes_panel(model)
    with col_map:
        _map(model, category, level, inputs, mode, edit, other)
        shown_sites = st.session_state.get("cov_sites")
        coverage_legend(category, level,
                        isinstance(shown_sites, pd.DataFrame) and not shown_sites.empty)
        _sites_table(model, shown_sites)
        render_coverage_export_panel(
            model, category, level, units=_study_units(inputs),
            sites=st.session_state.get("cov_sites"), basemap_id=_basemap_choice())

    tabs = st.tabs([
        t("覆盖率", "Coverage"), t("规划单元", "Planning units"), t("完整度", "Completeness"),
        t("缺口清单", "Gaps"), t("直线半径对比", "Straight-line check"),
        t("未接入路网", "Not on network"), t("规则表", "Rules"), t("下载", "Downloads"),
        t("体检指标", "Check-up indicators"),
    ])
    with tabs[0]:
        pivot = share_pivot(summary, model.places.population_known)
        st.dataframe(pivot, hide_index=True, key="cov_summary_table")
        st.caption(level_note())
    with tabs[1]:
        up = unit_pivot(name_unnamed(unit_table(model, units), model, current_lang(), units),
                        category, level)
        st.dataframe(up, hide_index=True, column_config=percent_config(up, 3),
                     key="cov_unit_table")
    with tabs[2]:
        comp = completeness_table(model)
        comp["share_all_nine"] = comp["share_all_nine"] * 100
        share_col = column_label("share_all_nine", current_lang())
        st.dataframe(present_table(comp, current_lang()), hide_index=True,
                     key="cov_completeness_table", column_config={
                         share_col: st.column_config.NumberColumn(format="%.1f%%"),
                     })
    with tabs[3]:
        gaps = gap_table(model)
        gaps = gaps[gaps["level_min"] == level]
        if category != ALL:
            gaps = gaps[gaps["category"] == category]
        st.caption(t("按受影响人口排序；超出距离 = 最近设施距离 − 规则距离。",
                     "Largest population first; excess = nearest distance − walking rule."))
        show_coverage_table(gaps.head(500), model, "cov_gap_table")
    with tabs[4]:
        straight, detail = straight_line_table(model)
        straight = straight[straight["level_min"] == level]
        st.caption(t(
            "直线半径会把河流、铁路、围墙另一侧的居民也算作覆盖；此处列出高估的人口。",
            "A straight-line radius counts residents across rivers, rails and walls as covered; "
            "the over-claimed population is listed here.",
        ))
        show_coverage_table(straight, model, "cov_straight_table")
        show_coverage_table(detail[detail["level_min"] == level], model, "cov_overclaim_table")
    with tabs[5]:
        unsnapped = unsnapped_table(model)
        if unsnapped.empty:
            st.info(t("全部居住区与设施均已接入路网。",
                      "Every residential area and facility is on the walking network."))
        else:
            show_coverage_table(unsnapped, model, "cov_unsnapped_table")
    with tabs[6]:
        rules_editor(model.rules)
    with tabs[7]:
        downloads(model, units, _study_units(inputs))
    with tabs[8]:
        checkup_panel(model, _study_units(inputs), (st.session_state.get("cov_key"), _version()))
