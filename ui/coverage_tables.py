"""Coverage page tables: labels, share pivots, downloads and the rule editor.

Split from :mod:`ui.pages.coverage_page` (one module per concern); every figure
comes from :mod:`spatial.coverage`.
"""


from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from layers.fields import (
    ANY_TYPE_WORDS,
    RULE_LABELS,
    VALUE_LABELS,
    column_label,
    present_table,
    rule_source_label,
    rule_type_label,
)
from spatial._errors import SpatialError
from spatial.coverage import (
    CoverageModel,
    UnitWeights,
    combo_index,
    name_unnamed,
    report_tables,
    result_layers,
    study_area,
)
from spatial.coverage_rules import (
    ANY_TYPE,
    EVIDENCE_VALUES,
    RULE_COLUMNS,
    RULES_ITEM,
    CoverageRules,
    load_rules,
    rules_from_frame,
    rules_to_payload,
)
from spatial.service_categories import CATEGORIES, LEVELS_MIN, category_by_code
from spatial.storage import ProjectStore
from spatial.tables import to_gpkg_bytes, to_safe_csv
from spatial.text import escape_markdown
from ui.coverage_panels import (
    na_text,
)
from ui.data import current_store
from ui.i18n import current_lang, t
from ui.tables import download_name

__all__ = [
    "ALL",
    "cat_label",
    "category_labels",
    "dist_text",
    "downloads",
    "level_note",
    "pct",
    "percent_config",
    "rules_editor",
    "rules_from_view",
    "rules_view",
    "share_pivot",
    "show_coverage_table",
    "shown_table",
    "unit_pivot",
]

ALL = "all"  # the "all nine categories" choice


# --- labels --------------------------------------------------------------------------------------


def cat_label(code: str) -> str:
    if code == ALL:
        return t("全部九类", "All nine categories")
    c = category_by_code(code)
    return t(c.name, c.name_en)


def category_labels(codes: list[str]) -> dict[str, str]:
    """Labels resolved now, in this run's language (a format_func may run outside the run)."""
    return {c: cat_label(c) for c in codes}


def pct(value: float, missing: str | None = None) -> str:
    """A share as a percentage; a missing one is "not applicable" unless told otherwise."""
    if value is None or not np.isfinite(value):
        return na_text() if missing is None else missing
    return f"{value * 100:.1f}%"


def dist_text(value: float) -> str:
    return t("超出搜索范围", "beyond search radius") if not np.isfinite(value) else f"{value:.0f} m"


# Under the 覆盖率 table: what one level counts (GB 50180-2018 gives each tier its own items,
# so a 5-minute 卫生服务站 does not make a 15-minute 卫生服务中心; the 体检 indicators count the
# lower tiers too, which is why they can read higher).
_LEVEL_NOTE = (
    "各层级只计该层级配置的设施（不含下级设施）：如“15分钟”只看社区卫生服务中心、初中等十五分钟级"
    "设施是否在 1000 米步行范围内，五分钟级的卫生服务站、幼儿园不计入，故 15 分钟的比例可能低于"
    " 5 或 10 分钟；某层级没有设施时显示“不适用”。“体检指标”按 TD/T 1063 的口径把各层级设施都计入，"
    "数值因此可能更高。",
    "Each level counts only the facilities of that level (not those of the lower levels): "
    "“15 min” asks whether a 15-minute facility such as a community health centre or a middle "
    "school is within 1,000 m on foot; 5-minute health stations or kindergartens do not count, "
    "so a 15-minute share can be lower than the 5- or 10-minute one. A level with no facility "
    "reads “not applicable”. The check-up indicators count the facilities of every level "
    "(TD/T 1063), so they can read higher.",
)
def level_note() -> str:
    """Under the 覆盖率 table: which facilities one level counts, and why 体检 can read higher."""
    return t(*_LEVEL_NOTE)


# --- tables --------------------------------------------------------------------------------------


def share_pivot(summary: pd.DataFrame, population_known: bool = True) -> pd.DataFrame:
    """Shares per category and level as text: a level with no facility reads "not applicable"."""
    pop = summary["pop_share"].to_numpy(dtype=float)
    area = summary["area_share"].to_numpy(dtype=float)
    count = summary["n_facilities"].to_numpy(dtype=np.int64)
    rows = []
    for c in CATEGORIES:
        row: dict[str, Any] = {t("类别", "Category"): cat_label(c.code)}
        for lv in LEVELS_MIN:
            j = combo_index(c.code, lv)
            no_pop = "—" if not population_known and count[j] else None
            row[t(f"{lv}分钟 人口", f"{lv} min residents")] = pct(pop[j], no_pop)
            row[t(f"{lv}分钟 用地", f"{lv} min area")] = pct(area[j])
            row[t(f"{lv}分钟 设施数", f"{lv} min facilities")] = int(count[j])
        rows.append(row)
    return pd.DataFrame(rows)


def unit_pivot(units: pd.DataFrame, category: str, level: int) -> pd.DataFrame:
    if units.empty:
        return units
    label: Callable[[Any], str]
    if category == ALL:
        sel = units[units["level_min"] == level]
        cols, label = "category", lambda code: cat_label(str(code))
    else:
        sel = units[units["category"] == category]
        cols, label = "level_min", lambda lv: t(f"{lv}分钟", f"{lv} min")
    # One row per unit, in layer order; units without residents stay listed with blanks.
    indexed = sel.set_index(["unit_layer", "unit_id", cols])
    pop_share = indexed["pop_share"].to_dict()
    area_share = indexed["area_share"].to_dict()
    units_in_order = sel.drop_duplicates(["unit_layer", "unit_id"])
    keys = list(dict.fromkeys(sel[cols].tolist()))
    rows = []
    for layer_id, unit_id, unit_name, pop in units_in_order[
        ["unit_layer", "unit_id", "unit_name", "population"]
    ].itertuples(index=False):
        row: dict[str, Any] = {
            "unit_layer": layer_id, "unit_name": unit_name, "population": round(float(pop)),
        }
        for k in keys:
            row[t(f"{label(k)} 人口", f"{label(k)} residents")] = pop_share[
                (layer_id, unit_id, k)
            ] * 100
        if category != ALL:
            for k in keys:
                row[t(f"{label(k)} 用地", f"{label(k)} area")] = area_share[
                    (layer_id, unit_id, k)
                ] * 100
        rows.append(row)
    pivot = pd.DataFrame(rows)
    layer_name = {"life_circles": t("生活圈", "Living circle"), "parks": t("园区", "Park")}
    pivot["unit_layer"] = pivot["unit_layer"].map(lambda v: layer_name.get(v, v))
    return pivot.rename(columns={
        "unit_layer": t("单元图层", "Unit layer"), "unit_name": t("单元", "Unit"),
        "population": t("居住人口", "Residents"),
    })


def shown_table(
    table: pd.DataFrame, model: CoverageModel, lang: str | None = None,
    units: list[UnitWeights] | None = None,
) -> Any:
    """A coverage table as the planner reads it: names in words, never an internal id."""
    lang = lang or current_lang()
    return present_table(name_unnamed(table, model, lang, units), lang)


def _is_share(col: str) -> bool:
    return col.endswith("_share") or col.startswith("pop_share") or col == "share_all_nine"


def show_coverage_table(
    table: pd.DataFrame, model: CoverageModel, key: str,
    units: list[UnitWeights] | None = None,
) -> None:
    """Show a coverage table on the page, its figures written alike on every tab.

    Shares as percentages with one decimal (9.5%), distances and residents in
    whole numbers; a figure that does not exist (no facility within the search
    range) reads "—", never None. The numbers stay numbers, so columns still sort.
    """
    lang = current_lang()
    raw = table.copy()
    cols = [str(c) for c in raw.columns]
    shares = [c for c in cols if _is_share(c)]
    whole = [c for c in cols if c.endswith("_m") or c.endswith("population")]
    for c in shares:
        raw[c] = raw[c].astype(float) * 100
    for c in whole:
        raw[c] = raw[c].astype(float).round(0)
    config: dict[str, Any] = {
        column_label(c, lang): st.column_config.NumberColumn(format="%.1f%%") for c in shares
    }
    config.update({
        column_label(c, lang): st.column_config.NumberColumn(format="%.0f") for c in whole
    })
    st.dataframe(shown_table(raw, model, lang, units), hide_index=True, key=key,
                 column_config=config, placeholder="—")


def percent_config(frame: pd.DataFrame, skip: int) -> dict[str, Any]:
    return {
        c: st.column_config.NumberColumn(c, format="%.1f%%")
        for c in frame.columns[skip:]
        if not str(c).endswith(("设施数", "facilities"))
    }


def downloads(
    model: CoverageModel, units: list[UnitWeights], area_units: gpd.GeoDataFrame | None
) -> None:
    labels = {
        "summary": t("覆盖率汇总", "Coverage summary"),
        "checkup": t("体检指标", "Check-up indicators"),
        "units": t("规划单元覆盖率", "Coverage per unit"),
        "completeness": t("完整度", "Completeness"),
        "gaps": t("缺口清单", "Gap list"),
        "straight_line": t("直线距离对比", "Straight-line comparison"),
        "straight_line_overclaims": t("直线距离高估明细", "Straight-line over-claims"),
        "places": t("居住区逐项距离", "Per-place distances"),
        "unsnapped": t("未接入路网", "Not on the network"),
        "facilities": t("设施（含推演）", "Facilities (with what-ifs)"),
    }
    names = [k for k in labels if k != "units" or units]
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    which = c1.selectbox(
        t("下载表格（CSV）", "Download a table (CSV)"), names,
        format_func=lambda k: labels.get(k, k), key="cov_dl_table",
    )
    targets = st.session_state.get("cov_targets")
    lang = current_lang()  # read now: the file is made outside the script run

    # Built only when the button is pressed: the walksheds and indicators cost a few seconds.
    def make_csv() -> bytes:
        area = study_area(model, area_units)
        table = report_tables(model, units, area=area, targets=targets)[which]
        # Headers, codes and names in words.
        return to_safe_csv(shown_table(table, model, lang, units))

    c2.download_button(
        t("下载 CSV", "Download CSV"), make_csv,
        file_name=download_name(t("生活圈覆盖-", "coverage-") + labels.get(which, which), "csv"),
        mime="text/csv", on_click="ignore", key="cov_dl_csv",
    )
    make_gpkg: Callable[[], bytes] = lambda: to_gpkg_bytes(result_layers(model))  # noqa: E731
    # Its own row: the whole label fits at 1366 px (beside the chooser it was cut off).
    st.download_button(
        t("下载结果图层（GeoPackage，含步行服务范围）",
          "Download result layers (GeoPackage, with walksheds)"), make_gpkg,
        file_name=download_name(t("生活圈覆盖结果图层", "coverage-result-layers"), "gpkg"),
        mime="application/geopackage+sqlite3", on_click="ignore",
        key="cov_dl_gpkg",
    )


def rules_editor(rules: CoverageRules) -> None:
    """Edit the rule table; "Apply" saves it to the project (audited), for every member."""
    try:
        store: ProjectStore | None = current_store()
    except (SpatialError, OSError):
        store = None
    can_write = store is not None and store.can_write
    st.caption(t(
        "每类设施的步行服务距离及出处；GK 表示依据通用知识、尚未与标准原文核对。修改后点“应用”，"
        "规则表随项目保存，项目成员共用。",
        "Walking distance per facility type and its source; GK = general knowledge, not yet "
        "checked against the standard text. Edit, then press Apply: the table is saved with the "
        "project and shared by its members.",
    ))
    if not can_write:
        st.caption(t(
            "您只有查看权限：修改的规则只在本次会话中生效，不会保存到项目。",
            "You may only view: edited rules apply to this session only and are not saved.",
        ))
    lang = current_lang()
    shown = rules_view(rules.table, lang)
    edited = st.data_editor(
        shown, num_rows="dynamic", hide_index=True, key="cov_rules_editor",
        width="stretch", column_config=_rules_config(lang),
    )
    c1, c2 = st.columns(2)
    if c1.button(t("应用规则", "Apply rules"), key="cov_rules_apply"):
        try:
            new = rules_from_frame(rules_from_view(pd.DataFrame(edited), lang))
            if store is not None and can_write:
                store.save_item("rules", RULES_ITEM, rules_to_payload(new), count=len(new.table))
                # The page reloads the saved table (a new version) on the next run.
                st.session_state.pop("cov_rules", None)
            else:  # this session only, until the project's own table changes
                held = st.session_state.get("cov_rules")
                source = held[0] if isinstance(held, tuple) else ("", None)
                st.session_state["cov_rules"] = (source, new)
            st.rerun()
        except SpatialError as err:
            st.error(escape_markdown(err.message(current_lang())))
        except OSError:
            st.error(t("无法写入工作区。", "Cannot write to the workspace."))
    if c2.button(t("恢复默认规则", "Restore default rules"), key="cov_rules_reset"):
        try:
            if store is not None and can_write:
                store.delete_item("rules", RULES_ITEM)
                st.session_state.pop("cov_rules", None)
            else:
                held = st.session_state.get("cov_rules")
                source = held[0] if isinstance(held, tuple) else ("", None)
                st.session_state["cov_rules"] = (source, load_rules())
        except SpatialError as err:
            st.error(escape_markdown(err.message(current_lang())))
            return
        except OSError:
            st.error(t("无法写入工作区。", "Cannot write to the workspace."))
            return
        st.session_state.pop("cov_rules_editor", None)
        st.rerun()


# --- the rule table in words ---------------------------------------------------------------------


def _label(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _words(field: str, lang: str) -> dict[str, str]:
    """Code → the word shown for it (the same words as every other table of the app)."""
    return {str(code): _label(pair, lang) for code, pair in VALUE_LABELS[field].items()}


def rules_view(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The rule table as the planner reads and edits it: headers, categories and sources in words.

    ``*`` reads 通用（层级默认）, categories their 九类“圈” names, evidence
    通用知识/已引用, the shipped citations in ``lang``; :func:`rules_from_view`
    turns an edited copy back into codes.
    """
    cats, evidence = _words("category", lang), _words("evidence", lang)
    out = pd.DataFrame({
        "facility_type": [rule_type_label(str(v), lang) for v in table["facility_type"]],
        "category": [cats.get(str(v), str(v)) for v in table["category"]],
        "level_min": table["level_min"].astype(int),
        "max_walk_m": table["max_walk_m"].astype(float),
        "evidence": [evidence.get(str(v), str(v)) for v in table["evidence"]],
        "source": [rule_source_label(str(v), lang) for v in table["source"]],
    })
    return out.rename(columns={c: _label(RULE_LABELS[c], lang) for c in RULE_COLUMNS})


def rules_from_view(view: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The edited rule table back in codes (:data:`spatial.coverage_rules.RULE_COLUMNS`)."""
    table = view.rename(columns={_label(RULE_LABELS[c], lang): c for c in RULE_COLUMNS})
    missing = [c for c in RULE_COLUMNS if c not in table.columns]
    if missing:  # a header the editor never gives: let the validator name it
        return table

    def back(words: dict[str, str]) -> dict[str, str]:
        return {w: code for code, w in words.items()}

    cats, evidence = back(_words("category", lang)), back(_words("evidence", lang))
    # Types and citations as shown for every rule the app knows, in either language.
    known_types = {rule_type_label(str(ft), la): str(ft)
                   for ft in load_rules().table["facility_type"] for la in ("zh", "en")}
    known_types.update({w: ANY_TYPE for w in ANY_TYPE_WORDS})
    known_sources = {rule_source_label(str(s), la): str(s)
                     for s in load_rules().table["source"] for la in ("zh", "en")}

    def text(v: object) -> str:
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()

    out = pd.DataFrame({
        "facility_type": [known_types.get(text(v), text(v)) for v in table["facility_type"]],
        "category": [cats.get(text(v), text(v)) for v in table["category"]],
        "level_min": table["level_min"],
        "max_walk_m": table["max_walk_m"],
        "evidence": [evidence.get(text(v), text(v)) for v in table["evidence"]],
        "source": [known_sources.get(text(v), text(v)) for v in table["source"]],
    })
    return out


def _rules_config(lang: str) -> dict[str, Any]:
    """Choices the rule editor offers: the nine categories, the three levels, the evidence words."""
    def head(c: str) -> str:
        return _label(RULE_LABELS[c], lang)

    return {
        head("category"): st.column_config.SelectboxColumn(
            options=list(_words("category", lang).values()), required=True),
        head("level_min"): st.column_config.SelectboxColumn(
            options=list(LEVELS_MIN), required=True),
        head("max_walk_m"): st.column_config.NumberColumn(
            min_value=1, max_value=5000, step=10, format="%.0f", required=True),
        head("evidence"): st.column_config.SelectboxColumn(
            options=[_words("evidence", lang)[e] for e in EVIDENCE_VALUES], required=True),
        head("facility_type"): st.column_config.TextColumn(required=True),
        head("source"): st.column_config.TextColumn(width="large"),
    }
