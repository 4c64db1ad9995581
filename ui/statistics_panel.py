"""The indicators page's statistics sheet: upload one, or choose one kept by the project.

A sheet saved to the project is kept as the file itself (a ``statistics``
document of the store, audited like a layer write) and is re-read with every
limit of an upload when chosen, so what a member sees is what was uploaded.
Editors save and remove; viewers choose. Joining is
:mod:`spatial.statistics_import`; this module only lays it out.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import pandas as pd
import streamlit as st

from spatial._errors import SpatialError
from spatial.statistics_import import (
    STATISTICS_KIND,
    SavedSheet,
    Statistics,
    import_statistics,
    saved_sheet,
    sheet_payload,
)
from spatial.storage import ProjectStore, normalise_title, open_store
from spatial.text import escape_markdown
from ui.data import current_store
from ui.i18n import t

__all__ = ["statistics_panel"]


@st.cache_data(show_spinner=False, max_entries=16)
def _statistics(
    digest: str, filename: str, area_key: str, version: str, key_column: str | None,
    _data: bytes, _areas: gpd.GeoDataFrame,
) -> Statistics:
    """An uploaded sheet joined to an area set (cached per file content and area set)."""
    del digest, area_key, version
    return import_statistics(_data, filename, pd.DataFrame(_areas.drop(columns="geometry")),
                             key_column=key_column)


@st.cache_data(show_spinner=False, max_entries=16)
def _saved_sheet(store_key: str, name: str, saved_utc: str) -> SavedSheet | None:
    """A sheet kept by the store ``store_key`` (made by :func:`current_store`), per version."""
    del saved_utc  # cache key only
    payload = open_store(store_key).load_item(STATISTICS_KIND, name)
    return None if payload is None else saved_sheet(payload)


def _keep_valid(key: str, allowed: list[str], default: str) -> None:
    """Reset a widget's stored choice when it is no longer offered."""
    if st.session_state.get(key) not in allowed:
        st.session_state[key] = default


def _project_sheets() -> tuple[ProjectStore | None, dict[str, str]]:
    """The user's store and its saved statistics sheets (name -> version); none if unreachable."""
    try:
        store = current_store()
        return store, store.item_versions(STATISTICS_KIND)
    except (SpatialError, OSError):
        return None, {}


def statistics_panel(
    area_key: str, area_version: str, areas: gpd.GeoDataFrame, lang: str
) -> Statistics | None:
    """The statistics sheet: uploaded now or kept by the project; its key column and report.

    ``area_key`` and ``area_version`` name the area set and its data version (cache keys).
    """
    store, saved = _project_sheets()
    pending = st.session_state.pop("ind_stats_pending", None)
    if isinstance(pending, str) and pending in saved:
        st.session_state["ind_saved_stats"] = pending  # just saved: show it as the project's
    notice = st.session_state.pop("ind_stats_notice", None)
    title = t("上传统计表（CSV 或 Excel .xlsx）", "Upload statistics (CSV or Excel .xlsx)")
    with st.expander(title, expanded=bool(notice)):
        st.caption(t(
            "每行一个区域，一列为区域名称或编号（与地图一致），"
            "其余各列为数值，如 亩均税收、规上企业数、产值。"
            "表头可带单位，如“产值（亿元）”。支持 UTF-8、GBK 编码的 CSV 和 .xlsx。"
            "保存到项目后，项目成员都可以选用。",
            "One row per area, one column with the area name or id (as on the map), the other "
            "columns numbers such as tax per mu, enterprises or output. A header may carry its "
            "unit, e.g. “产值（亿元）”. CSV in UTF-8 or GBK, and .xlsx, are accepted. A sheet "
            "saved to the project can be chosen by every member.",
        ))
        if notice:
            st.success(notice)
        pick = ""
        if saved:
            names = ["", *sorted(saved)]
            _keep_valid("ind_saved_stats", names, "")
            none_label = t("（不用，上传新表）", "(none: upload a sheet)")
            pick = str(st.selectbox(
                t("项目中保存的统计表", "Statistics saved in the project"), names,
                key="ind_saved_stats", format_func=lambda n: n or none_label,
            ))
        kept_key: str | None = None
        if pick and store is not None:
            try:
                sheet = _saved_sheet(store.key, pick, saved[pick])
            except SpatialError as err:
                st.error(escape_markdown(err.message(lang)))
                return None
            if sheet is None:  # removed meanwhile
                return None
            data, filename, kept_key = sheet.data, sheet.filename, sheet.key_column
        else:
            up = st.file_uploader(t("统计表", "Statistics sheet"), type=["csv", "xlsx"],
                                  key="ind_upload")
            if up is None:
                return None
            data, filename = up.getvalue(), up.name
        digest = hashlib.sha256(data).hexdigest()
        key_choice = st.session_state.get("ind_key_column", "") or kept_key or ""
        try:
            stats = _statistics(digest, filename, area_key,
                                area_version + "|" + ",".join(areas["id"]),
                                key_choice or None, data, areas)
        except SpatialError as err:
            st.error(escape_markdown(err.message(lang)))
            return None
        rep = stats.report
        columns = ["", *[h for h in (rep.key_column, *rep.numeric_columns, *rep.text_columns)]]
        if st.session_state.get("ind_key_column", "") not in columns:
            st.session_state["ind_key_column"] = ""
        # Labels are made now, not inside format_func (which may run outside the script).
        automatic = t(f"自动（{rep.key_column}）", f"automatic ({rep.key_column})")
        st.selectbox(t("区域键列", "Area key column"), columns, key="ind_key_column",
                     format_func=lambda c: c or automatic)
        (st.success if rep.clean else st.warning)(rep.summary(lang))
        problems = rep.problems(lang)
        if len(problems):
            st.dataframe(problems, hide_index=True, width="stretch")
        if rep.text_columns:
            st.caption(t("以下列不是数值，未用于制图：", "Not numeric, not offered for mapping: ")
                       + "、".join(escape_markdown(c) for c in rep.text_columns))
        if store is not None:
            _keep_in_project(store, pick, data, filename, key_choice or None, rep.n_rows, lang)
        return stats


def _keep_in_project(
    store: ProjectStore, pick: str, data: bytes, filename: str, key_column: str | None,
    n_rows: int, lang: str,
) -> None:
    """Save the uploaded sheet to the project, or remove the chosen saved one (editors only)."""
    if not store.can_write:
        st.caption(t("只有编辑者可以把统计表保存到项目。",
                     "Only editors can save statistics to the project."))
        return
    try:
        if pick:
            if st.button(t("从项目中删除此统计表", "Remove this sheet from the project"),
                         key="ind_stats_delete"):
                store.delete_item(STATISTICS_KIND, pick)
                st.session_state["ind_stats_notice"] = t(
                    f"已从项目中删除统计表“{escape_markdown(pick)}”。",
                    f"Removed “{escape_markdown(pick)}” from the project.",
                )
                st.rerun()
            return
        c1, c2 = st.columns([3, 1])
        stem = filename.rsplit(".", 1)[0].strip() or t("统计表", "Statistics")
        name = c1.text_input(t("保存名称", "Save as"), value=stem[:60], max_chars=60,
                             key="ind_stats_name")
        if c2.button(t("保存到项目", "Save to the project"), key="ind_stats_save"):
            shown = normalise_title(name)
            store.save_item(STATISTICS_KIND, shown, sheet_payload(data, filename, key_column),
                            count=n_rows)
            st.session_state["ind_stats_pending"] = shown
            st.session_state["ind_stats_notice"] = t(
                f"已将统计表保存到项目：“{escape_markdown(shown)}”。",
                f"Saved the sheet to the project as “{escape_markdown(shown)}”.",
            )
            st.rerun()
    except SpatialError as err:
        st.error(escape_markdown(err.message(lang)))
    except OSError:
        st.error(t("无法写入工作区。", "Cannot write to the workspace."))
