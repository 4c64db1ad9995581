"""Coverage page panels: input-basis notice, what-if changes, 体检, walksheds, 方案.

Each panel is one function the page calls where it wants it (so the page's
layout, and an 出图 button beside the map, can be arranged without touching
them). Every figure comes from :mod:`spatial.coverage`; this module only lays
it out. The page's own types stay in the page: panels take plain values and
callbacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from layers.fields import display_value
from spatial._errors import SpatialError
from spatial.coverage import (
    CHECKUP_INDICATORS,
    CoverageModel,
    Scenario,
    category_walksheds,
    checkup_table,
    compare_figures,
    compare_scenarios,
    figures,
    input_basis,
    list_scenarios,
    network_to_lonlat,
    reach_changes,
    save_scenario,
    study_area,
    unnamed_label,
)
from spatial.crs import wgs84_to_gcj02
from spatial.text import escape_markdown, escape_text
from spatial.webmap import TooltipText, geojson_overlay
from ui.data import current_store
from ui.i18n import current_lang, t

__all__ = [
    "basis_caption",
    "changes_overlay",
    "checkup_panel",
    "estimate_notice",
    "na_text",
    "remember_before",
    "scenario_panel",
    "site_legend_html",
    "sites_overlay",
    "walkshed_overlay",
    "whatif_changes_panel",
]

_BEFORE = "cov_whatif_before"


def na_text() -> str:
    """What a figure with no facility at its level shows (never 0.0 %)."""
    return t("不适用", "not applicable")


def _pct(value: float) -> str:
    return na_text() if value is None or not np.isfinite(value) else f"{value * 100:.1f}%"


# --- honest inputs -------------------------------------------------------------------------------


def estimate_notice(model: CoverageModel, shipped: bool) -> None:
    """Say when the figures rest on the shipped illustrative data or on estimated inputs."""
    basis = input_basis(model)
    pop = basis["pop_estimated_share"]
    fac = basis["facilities_unsurveyed_share"]
    if shipped:
        st.warning(t(
            "示意数据：当前分析使用随应用附带的示意数据——居住人口按面积×密度估算，多数道路与设施"
            "位置为示意。结果只演示方法，不是体检结论；请在“分析图层”中换用实测图层。",
            "Illustrative data: this run uses the shipped illustrative data — populations are "
            "area × density estimates and most roads and facilities are schematic. The figures "
            "show the method, not findings; choose surveyed layers under “Input layers”.",
        ), icon="⚠️")
    parts = []
    if np.isfinite(pop) and pop > 0:
        parts.append(t(f"{pop * 100:.0f}% 的人口来自估算人口的街坊",
                       f"{pop * 100:.0f}% of residents live in blocks with estimated population"))
    if np.isfinite(fac) and fac > 0:
        parts.append(t(f"{fac * 100:.0f}% 的设施未经核实（示意/低可信度或规划未点名）",
                       f"{fac * 100:.0f}% of facilities are not surveyed (schematic/low "
                       "confidence or not named in the plan)"))
    if parts:
        st.caption(t("输入依据：", "Input basis: ") + t("；", "; ").join(parts) + t("。", "."))


def basis_caption(row: Mapping[Any, Any]) -> None:
    """Under one figure: how much of it rests on estimated population and unsurveyed facilities."""
    pop = float(row.get("pop_estimated_share", np.nan))
    fac = float(row.get("facilities_unsurveyed_share", np.nan))
    if not (np.isfinite(pop) or np.isfinite(fac)):
        return
    if (not np.isfinite(pop) or pop == 0) and (not np.isfinite(fac) or fac == 0):
        st.caption(t("该项依据实测输入。", "This figure rests on surveyed inputs."))
        return
    st.caption(t(
        f"其中 {_pct(pop)} 的覆盖人口为估算人口；该层级 {_pct(fac)} 的设施未经核实。",
        f"Of it, {_pct(pop)} of the covered residents are estimates; {_pct(fac)} of this "
        "level's facilities are not surveyed.",
    ))


# --- what-if: before → after ---------------------------------------------------------------------


def remember_before(model: CoverageModel) -> tuple[pd.DataFrame, Any]:
    """Snapshot the figures and reach before an edit (kept only if the edit succeeds)."""
    return figures(model), model.covered.copy()


def keep_before(snapshot: tuple[pd.DataFrame, Any]) -> None:
    """Keep the snapshot of the edit that just succeeded."""
    st.session_state[_BEFORE] = snapshot


def forget_before() -> None:
    """Drop the snapshot (the inputs changed: the places may differ)."""
    st.session_state.pop(_BEFORE, None)


def whatif_changes_panel(model: CoverageModel) -> None:
    """Every figure the last what-if edit changed, before → after."""
    snap = st.session_state.get(_BEFORE)
    if not snap:
        return
    before, covered = snap
    if covered.shape != model.covered.shape:
        forget_before()
        return
    diff = compare_figures(before, figures(model))
    gained, lost = reach_changes(covered, model.covered)
    st.markdown(f"**{t('上一次推演的变化', 'What the last what-if changed')}**")
    if diff.empty:
        st.caption(t("没有任何指标变化。", "No figure changed."))
        return
    label = "figure_zh" if current_lang() == "zh" else "figure_en"
    shown = pd.DataFrame({
        t("指标", "Figure"): diff[label],
        t("推演前", "Before"): [_pct(v) for v in diff["before"]],
        t("推演后", "After"): [_pct(v) for v in diff["after"]],
        t("变化（百分点）", "Change (points)"): [
            "" if not np.isfinite(v) else f"{v * 100:+.1f}" for v in diff["change"]
        ],
    })
    st.dataframe(shown, hide_index=True, key="cov_whatif_diff")
    st.caption(t(
        f"{int(gained.sum())} 个居住区新增可达、{int(lost.sum())} 个失去可达（地图上以蓝色/黑色"
        "粗边框标出）。",
        f"{int(gained.sum())} residential block(s) gained reach and {int(lost.sum())} lost it "
        "(outlined in blue / black on the map).",
    ))


def changes_overlay(model: CoverageModel, gcj02: bool) -> Any | None:
    """Outline the blocks that gained (blue) or lost (black) reach with the last what-if."""
    snap = st.session_state.get(_BEFORE)
    if not snap or snap[1].shape != model.covered.shape:
        return None
    gained, lost = reach_changes(snap[1], model.covered)
    rows = np.flatnonzero(gained | lost)
    if rows.size == 0:
        return None
    p = model.places
    gdf = gpd.GeoDataFrame(geometry=list(p.geometry[rows]), crs=p.crs)
    styles = [
        {"color": "#2166ac", "weight": 4.0, "fillOpacity": 0.0},
        {"color": "#000000", "weight": 4.0, "fillOpacity": 0.0, "dashArray": "6 3"},
    ]
    index = [0 if gained[i] else 1 for i in rows]
    tips: list[TooltipText | None] = [
        TooltipText(
            str(p.names[i]) or unnamed_label("place", int(i) + 1, current_lang()),
            ((t("推演变化", "What-if"),
              t("新增可达", "gained reach") if gained[i] else t("失去可达", "lost reach")),),
        )
        for i in rows
    ]
    return geojson_overlay(gdf, styles=styles, style_index=index, tooltips=tips,
                           name=t("推演变化", "What-if changes"), gcj02=gcj02)


# --- walksheds -----------------------------------------------------------------------------------


def _walksheds(model: CoverageModel, version: object) -> gpd.GeoDataFrame:
    cached = st.session_state.get("cov_walksheds")
    if cached is not None and cached[0] == version:
        return cached[1]
    sheds = category_walksheds(model)
    st.session_state["cov_walksheds"] = (version, sheds)
    return sheds


def walkshed_overlay(
    model: CoverageModel,
    category: str,
    level: int,
    gcj02: bool,
    version: object,
    colours: Mapping[str, str],
) -> Any | None:
    """Draw the walksheds of the shown category and level (all nine for any other ``category``)."""
    sheds = _walksheds(model, version)
    sel = sheds[sheds["level_min"] == level]
    if category in colours:
        sel = sel[sel["category"] == category]
    if sel.empty:
        return None
    cats = list(colours)
    styles = [{"color": colours[c], "weight": 1.0, "fillColor": colours[c], "fillOpacity": 0.15}
              for c in cats]
    name_col = "category_name" if current_lang() == "zh" else "category_name_en"
    tips: list[TooltipText | None] = [
        TooltipText(
            t(f"{n} {lv}分钟步行服务范围", f"{n} {lv} min walkshed"),
            ((t("设施数", "Facilities"), str(k)),
             (t("面积", "Area"), f"{a / 1e4:,.1f} ha")),
        )
        for n, lv, k, a in zip(sel[name_col], sel["level_min"], sel["n_facilities"],
                               sel["area_m2"], strict=True)
    ]
    return geojson_overlay(
        sel, styles=styles, style_index=[cats.index(c) for c in sel["category"]], tooltips=tips,
        name=t("步行服务范围", "Walksheds"), gcj02=gcj02,
    )


# --- suggested sites ------------------------------------------------------------------------

# Suggested sites: a numbered purple square, unlike any facility (coloured circles), with the
# number of the row of the result table.
SITE_COLOUR = "#762a83"


def _site_marker_html(rank: int) -> str:
    return (
        '<div style="transform:translate(-50%,-50%);width:22px;height:22px;box-sizing:border-box;'
        f"background:{SITE_COLOUR};border:2px solid #fff;border-radius:4px;"
        "box-shadow:0 0 0 1px #333;color:#fff;font:700 13px/18px sans-serif;text-align:center"
        f'">{escape_text(str(int(rank)))}</div>'
    )


def sites_overlay(model: CoverageModel, sites: pd.DataFrame, gcj02: bool) -> Any:
    """The suggested sites, numbered as in the result table, each with its gain as a tooltip."""
    lon, lat = network_to_lonlat(model.network, sites["x"], sites["y"])
    if gcj02:
        lon, lat = wgs84_to_gcj02(np.asarray(lon), np.asarray(lat))
    group = folium.FeatureGroup(name=escape_text(t("建议选址", "Suggested sites")), control=False)
    for rank, gain, x, y in zip(sites["rank"], sites["gain_population"], lon, lat, strict=True):
        tip = escape_text(t(f"建议选址 {int(rank)}：新增覆盖人口 {gain:,.0f}",
                            f"Suggested site {int(rank)}: {gain:,.0f} residents gained"))
        folium.Marker(
            location=[round(float(y), 6), round(float(x), 6)],
            icon=folium.DivIcon(html=_site_marker_html(int(rank)), icon_size=(0, 0),
                                class_name="hebi-cov-site"),
            tooltip=tip, z_index_offset=1000,
        ).add_to(group)
    return group


def site_legend_html() -> str:
    """The legend row of the suggested sites (the map's numbered square)."""
    return (
        '<span class="hebi-cov-site-key" style="display:inline-block;width:16px;height:16px;'
        f"background:{SITE_COLOUR};border:2px solid #fff;border-radius:3px;"
        "box-shadow:0 0 0 1px #333;color:#fff;font:700 10px/12px sans-serif;"
        'text-align:center;margin:0 4px 0 10px;vertical-align:middle">1</span>'
        + escape_text(t("建议选址（编号同选址表）", "Suggested site (numbered as in the table)"))
    )


# --- 体检 indicators -----------------------------------------------------------------------------


def checkup_panel(model: CoverageModel, units: gpd.GeoDataFrame | None, version: object) -> None:
    """TD/T 1063 体检 indicators by name, three shares each, against editable targets."""
    st.caption(t(
        "TD/T 1063-2021 城市体检步行覆盖率指标。覆盖率按三种口径给出：人口、居住用地面积、"
        "总面积（规划单元范围内落在步行服务范围的面积）。目标值可修改；指标表与默认目标为通用"
        "知识（GK）。15分钟社区生活圈的 85 % 为国家层面“十四五”目标（转引自《人文地理》2024，"
        "非本规划指标）：本规划未给出生活圈覆盖率目标。",
        "TD/T 1063-2021 urban check-up walking-coverage indicators, each read three ways: by "
        "residents, by residential land and by total area (the planning units' area inside the "
        "walkshed). Targets are editable; the list and default targets are general knowledge "
        "(GK). The 85 % for the 15-minute living circle is the national 14th FYP target (quoted "
        "from Human Geography 2024; not a target of this plan): the ETDZ plan sets no "
        "living-circle coverage target.",
    ))
    targets = st.session_state.setdefault(
        "cov_targets", {i.code: i.target for i in CHECKUP_INDICATORS}
    )
    names = {i.code: t(i.name, i.name_en) for i in CHECKUP_INDICATORS}
    editor = pd.DataFrame({
        t("指标", "Indicator"): [names[c] for c in targets],
        t("目标（%）", "Target (%)"): [targets[c] * 100 for c in targets],
    })
    edited = st.data_editor(
        editor, hide_index=True, key="cov_targets_editor", disabled=[editor.columns[0]],
        column_config={editor.columns[1]: st.column_config.NumberColumn(
            min_value=0.0, max_value=100.0, step=1.0, format="%.0f")},
    )
    values = pd.to_numeric(pd.DataFrame(edited)[editor.columns[1]], errors="coerce").to_numpy()
    new = {c: float(v) / 100 if np.isfinite(v) else targets[c]
           for c, v in zip(targets, values, strict=True)}
    st.session_state["cov_targets"] = new
    key = (version, tuple(sorted(new.items())))
    cached = st.session_state.get("cov_checkup")
    if cached is None or cached[0] != key:
        area = study_area(model, units)
        cached = (key, checkup_table(model, targets=new, area=area))
        st.session_state["cov_checkup"] = cached
    table = cached[1]
    verdict = [
        na_text() if not a else (t("达标", "meets") if bool(m) else t("未达标", "below target"))
        for a, m in zip(table["applicable"], table["meets"].fillna(False), strict=True)
    ]
    st.dataframe(pd.DataFrame({
        t("指标", "Indicator"): [names[c] for c in table["code"]],
        t("步行距离", "Walk"): [f"{w:.0f} m" for w in table["walk_m"]],
        t("设施数", "Facilities"): table["n_facilities"],
        t("人口覆盖率", "By residents"): [_pct(v) for v in table["pop_share"]],
        t("居住用地覆盖率", "By residential land"): [_pct(v) for v in table["area_share"]],
        t("总面积覆盖率", "By total area"): [_pct(v) for v in table["total_area_share"]],
        t("目标", "Target"): [f"{v * 100:.0f}%" for v in table["target"]],
        # Where each default comes from, so the 85 % is not read as this plan's.
        t("目标出处", "Target source"): [
            display_value("target_source", s, current_lang()) or "" for s in table["target_source"]
        ],
        t("评价（按人口）", "Verdict (residents)"): verdict,
    }), hide_index=True, key="cov_checkup_table")


# --- 方案 ----------------------------------------------------------------------------------------


def scenario_panel(
    current: Callable[[str], Scenario],
    load: Callable[[Scenario], None],
    run: Callable[[Scenario], CoverageModel],
    model: CoverageModel,
) -> tuple[str, CoverageModel] | None:
    """Save the current inputs and what-ifs as a named 方案, reopen one, or compare side by side.

    ``current(name)`` describes the page's present run as a scenario, ``load``
    sets the page's choosers to one (as a widget callback), ``run`` analyses one.
    Returns the scenario chosen for comparison (its name and run), so the map can
    show it beside the current run (卷帘/分屏), or None.
    """
    store = current_store()
    try:
        saved = list_scenarios(store)
    except (SpatialError, OSError):
        saved = []
    with st.expander(t("方案（保存、载入、对比）", "Scenarios (save, open, compare)")):
        c1, c2 = st.columns([3, 1])
        name = c1.text_input(t("方案名称", "Scenario name"), key="cov_scn_name", max_chars=60)
        saved_now = st.session_state.pop("cov_scn_saved", None)
        if saved_now:
            shown = escape_markdown(str(saved_now))
            st.success(t(f"已保存方案“{shown}”。", f"Saved “{shown}”."))
        if c2.button(t("保存当前方案", "Save current"), key="cov_scn_save"):
            try:
                save_scenario(store, current(name))
                # Shown after the rerun that lists the new scenario (a message before it is lost).
                st.session_state["cov_scn_saved"] = name.strip()
                st.rerun()
            except (SpatialError, OSError) as err:
                st.error(err.message(current_lang()) if isinstance(err, SpatialError)
                         else t("无法写入工作区。", "Cannot write to the workspace."))
        if not saved:
            st.caption(t("尚无已保存的方案。", "No saved scenario yet."))
            return None
        by_name = {s.name: s for s in saved}
        c3, c4 = st.columns([3, 1])
        pick = c3.selectbox(t("已保存的方案", "Saved scenarios"), list(by_name), key="cov_scn_pick")
        c4.button(t("载入", "Open"), key="cov_scn_load", on_click=load, args=(by_name[pick],))
        other = st.selectbox(
            t("与当前方案并排对比", "Compare side by side with the current run"),
            [None, *by_name], key="cov_scn_compare",
            format_func=lambda n: "—" if n is None else str(n),
        )
        if other is None:
            return None
        try:
            other_model = run(by_name[other])
        except SpatialError as err:
            st.error(err.message(current_lang()))
            return None
        side = compare_scenarios(model, other_model)
        label = "figure_zh" if current_lang() == "zh" else "figure_en"
        order = np.argsort(-np.nan_to_num(np.abs(side["change"].to_numpy(dtype=float)), nan=2.0))
        side = side.iloc[order]
        st.dataframe(pd.DataFrame({
            t("指标", "Figure"): side[label],
            t("当前", "Current"): [_pct(v) for v in side["before"]],
            str(other)[:60]: [_pct(v) for v in side["after"]],
            t("差值（百分点）", "Difference (points)"): [
                "" if not np.isfinite(v) else f"{v * 100:+.1f}" for v in side["change"]
            ],
        }), hide_index=True, key="cov_scn_table")
        st.caption(t("在地图上用卷帘或分屏对比：见地图上方的“方案对比”。",
                     "To compare on the map (swipe or side by side), use “Compare scenario” "
                     "above the map."))
    return str(other), other_model
