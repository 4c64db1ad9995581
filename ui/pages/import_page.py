"""My layers: upload a planner's own data, see what was read, keep or remove it.

The page only wires widgets to the core: :func:`spatial.read_user_layer`
parses the upload (sandboxed) and :func:`spatial.workspace.default_workspace`
keeps accepted layers in a GeoPackage, so they survive reloads and restarts.

Everything that came from a file (titles, names, warnings quoting them) is
untrusted text. Streamlit already refuses raw HTML in markdown, but markdown
itself (links, ``:material/...:`` icons, ``$`` maths, emphasis) would still be
interpreted, so such text is markdown-escaped before it is shown, and tables
are shown with ``st.dataframe`` (plain cells).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd
import streamlit as st

from spatial import LayerImportError, SpatialError, read_user_layer
from spatial.importer import MAX_UPLOAD_BYTES, SUPPORTED_EXTENSIONS
from spatial.storage import ProjectStore as GeoPackageWorkspace
from spatial.storage import UserLayerInfo
from spatial.tables import to_safe_csv
from ui.data import current_store
from ui.i18n import current_lang, t

__all__ = ["render"]

_UPLOAD_TYPES = sorted(ext.lstrip(".") for ext in SUPPORTED_EXTENSIONS)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$=^])")
_K_RESULT = "import_result"
_K_UPLOADER = "import_uploader_n"
_K_CONFIRM = "import_confirm_delete"
_K_NOTICE = "import_notice"


def md_escape(text: str) -> str:
    """Make untrusted text show literally in Streamlit markdown (no links, icons, maths)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\n", " ")


def _msg(err: SpatialError) -> str:
    return err.message(current_lang())


def _warning_text(warning: str) -> str:
    """Pick the session's language from a "中文 / English" warning sentence."""
    zh, sep, en = warning.partition(" / ")
    if not sep:
        return warning
    return en if current_lang() == "en" else zh


# --- upload --------------------------------------------------------------------------------------


def _read_upload(file: Any) -> dict[str, Any]:
    """Parse an uploaded file once; the result is kept in the session by file id."""
    try:
        gdf = read_user_layer(file.getvalue(), file.name)
    except LayerImportError as err:
        return {"file_id": file.file_id, "error": err}
    return {"file_id": file.file_id, "gdf": gdf}


def _report_table(report: dict[str, Any]) -> pd.DataFrame:
    types = ", ".join(f"{k} × {v}" for k, v in report.get("geometry_types", {}).items())
    skipped = report.get("skipped_by_reason", {})
    skipped_text = str(report.get("skipped", 0))
    details = ", ".join(f"{k}: {v}" for k, v in skipped.items() if v)
    if details:
        skipped_text += f" ({details})"
    rows = [
        (t("格式", "Format"), report.get("format", "")),
        (t("导入要素数", "Features imported"), str(report.get("features", 0))),
        (t("文件中要素数", "Features in file"), str(report.get("features_in_file", 0))),
        (t("几何类型", "Geometry types"), types),
        (t("文件坐标系", "CRS found"), report.get("crs_found") or t("未声明", "none declared")),
        (t("文字编码", "Text encoding"), report.get("encoding", "")),
        (t("已修复", "Repaired"), str(report.get("repaired", 0))),
        (t("已跳过", "Skipped"), skipped_text),
    ]
    return pd.DataFrame(rows, columns=[t("项目", "Item"), t("结果", "Result")])


def _show_report(gdf: Any) -> None:
    st.dataframe(_report_table(gdf.attrs.get("import_report", {})), hide_index=True)
    for w in gdf.attrs.get("warnings", []):
        st.warning(md_escape(_warning_text(w)))


def _upload_section(ws: GeoPackageWorkspace) -> None:
    st.subheader(t("上传图层", "Upload a layer"))
    st.caption(
        t(
            "支持 GeoJSON、GeoPackage、压缩的 Shapefile（.zip）、KML/KMZ，"
            "以及带经度/纬度列的 CSV（列名如 经度/纬度、lon/lat、X/Y）。"
            f"单个文件不超过 {MAX_UPLOAD_BYTES // 1024**2} MB。",
            "GeoJSON, GeoPackage, zipped Shapefile (.zip), KML/KMZ, and CSV with longitude/"
            "latitude columns (named e.g. 经度/纬度, lon/lat, X/Y). Up to "
            f"{MAX_UPLOAD_BYTES // 1024**2} MB per file.",
        )
    )
    n = st.session_state.get(_K_UPLOADER, 0)
    file = st.file_uploader(
        t("选择文件", "Choose a file"), type=_UPLOAD_TYPES, key=f"import_upload_{n}"
    )
    if file is None:
        st.session_state.pop(_K_RESULT, None)
        return
    result = st.session_state.get(_K_RESULT)
    if result is None or result["file_id"] != file.file_id:
        with st.spinner(t("正在读取文件…", "Reading the file…")):
            result = _read_upload(file)
        st.session_state[_K_RESULT] = result
    if "error" in result:
        st.error(md_escape(_msg(result["error"])), icon=":material/error:")
        return
    gdf = result["gdf"]
    st.success(
        t(f"读取成功：{len(gdf)} 个要素。", f"Read successfully: {len(gdf)} features."),
        icon=":material/check_circle:",
    )
    _show_report(gdf)
    with st.expander(t("属性预览（前 50 行）", "Attribute preview (first 50 rows)")):
        st.dataframe(pd.DataFrame(gdf.drop(columns=gdf.geometry.name).head(50)))
    with st.form(key=f"import_save_{n}"):
        title = st.text_input(
            t("图层名称", "Layer title"), value=str(gdf.attrs.get("title", "")), max_chars=100
        )
        saved = st.form_submit_button(t("加入我的图层", "Add to my layers"), type="primary")
    if saved:
        _save(ws, title, gdf)


def _save(ws: GeoPackageWorkspace, title: str, gdf: Any) -> None:
    try:
        replaced = ws.has_layer(title)
        ws.write_layer(title, gdf)
    except SpatialError as err:
        st.error(md_escape(_msg(err)))
        return
    except OSError:
        st.error(
            t(
                "无法保存图层：工作区文件不可写。",
                "The layer could not be saved: the workspace file is not writable.",
            )
        )
        return
    shown = md_escape(title.strip())
    st.session_state[_K_NOTICE] = (
        t(f"已替换图层“{shown}”。", f"Replaced layer “{shown}”.")
        if replaced
        else t(f"已加入图层“{shown}”。", f"Added layer “{shown}”.")
    )
    # A new uploader key clears the widget, so the same file is not offered again.
    st.session_state[_K_UPLOADER] = st.session_state.get(_K_UPLOADER, 0) + 1
    st.session_state.pop(_K_RESULT, None)
    st.rerun()


# --- my layers -----------------------------------------------------------------------------------


def _layer_csv(ws: GeoPackageWorkspace, info: UserLayerInfo) -> bytes:
    gdf = ws.read_layer(info.title)
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    table["wkt"] = gdf.geometry.to_wkt()
    return to_safe_csv(table)


def _layer_row(ws: GeoPackageWorkspace, info: UserLayerInfo) -> None:
    with st.container(border=True):
        cols = st.columns([6, 2, 2])
        cols[0].markdown(f"**{md_escape(info.title)}**")
        fmt = md_escape(str(info.report.get("format", "")))
        cols[0].caption(
            t(
                f"{info.feature_count} 个要素 · {fmt} · 保存于 {info.saved_utc} UTC",
                f"{info.feature_count} features · {fmt} · saved {info.saved_utc} UTC",
            )
        )
        cols[1].download_button(
            t("下载 CSV", "Download CSV"),
            data=lambda: _layer_csv(ws, info),
            file_name=f"{info.layer_id}.csv",
            mime="text/csv",
            key=f"import_csv_{info.layer_id}",
        )
        if getattr(ws, "can_write", True) and cols[2].button(
            t("删除", "Remove"), key=f"import_del_{info.layer_id}"
        ):
            st.session_state[_K_CONFIRM] = info.layer_id
        if st.session_state.get(_K_CONFIRM) == info.layer_id:
            st.warning(
                t(
                    f"确定要删除图层“{md_escape(info.title)}”吗？此操作不能撤销。",
                    f"Remove the layer “{md_escape(info.title)}”? This cannot be undone.",
                )
            )
            yes, no = st.columns(2)
            if yes.button(
                t("确认删除", "Yes, remove"), key=f"import_yes_{info.layer_id}", type="primary"
            ):
                st.session_state.pop(_K_CONFIRM, None)
                try:
                    ws.delete_layer(info.title)
                except SpatialError as err:  # e.g. a viewer's crafted request
                    st.error(md_escape(_msg(err)))
                    return
                st.session_state[_K_NOTICE] = t(
                    f"已删除图层“{md_escape(info.title)}”。",
                    f"Removed the layer “{md_escape(info.title)}”.",
                )
                st.rerun()
            if no.button(t("取消", "Cancel"), key=f"import_no_{info.layer_id}"):
                st.session_state.pop(_K_CONFIRM, None)
                st.rerun()


def _layers_section(ws: GeoPackageWorkspace) -> None:
    st.subheader(t("我的图层", "My layers"))
    try:
        infos = ws.layer_infos()
    except (OSError, ValueError):
        st.error(t("无法读取工作区文件。", "The workspace file cannot be read."))
        return
    if not infos:
        st.info(
            t(
                "还没有图层。上传的图层会保存在这里。",
                "No layers yet. Uploaded layers are kept here.",
            )
        )
        return
    for info in infos:
        _layer_row(ws, info)


def render() -> None:
    """Draw the "My layers" page: upload, report, saved layers with remove."""
    st.title(t("我的图层", "My layers"))
    notice = st.session_state.pop(_K_NOTICE, None)
    if notice:
        st.success(notice)
    ws = current_store()
    if getattr(ws, "can_write", True):
        _upload_section(ws)
    else:
        st.info(t("您只有查看权限。", "You may only view this project."))
    st.divider()
    _layers_section(ws)
