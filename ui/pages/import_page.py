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

from typing import Any

import pandas as pd
import streamlit as st

from layers.fields import column_label, local_time
from spatial import LayerImportError, SpatialError
from spatial.importer import (
    COORDINATE_SYSTEMS,
    MAX_UPLOAD_BYTES,
    SUPPORTED_EXTENSIONS,
    LayerChoice,
    list_user_layers,
    prewarm_parser,
    read_user_layers,
)
from spatial.storage import ProjectStore as GeoPackageWorkspace
from spatial.storage import UserLayerInfo
from spatial.tables import to_safe_csv
from spatial.text import escape_markdown
from ui.data import current_store, refresh_tiles
from ui.i18n import current_lang, t
from ui.tables import download_name, show_table

__all__ = ["render"]

_UPLOAD_TYPES = sorted(ext.lstrip(".") for ext in SUPPORTED_EXTENSIONS)
_K_RESULT = "import_result"
_K_UPLOADER = "import_uploader_n"
_K_CONFIRM = "import_confirm_delete"
_K_NOTICE = "import_notice"


def md_escape(text: str) -> str:
    """Make untrusted text show literally in Streamlit markdown (see ``escape_markdown``)."""
    return escape_markdown(text)


def _msg(err: SpatialError) -> str:
    return err.message(current_lang())


def _warning_text(warning: str) -> str:
    """Pick the session's language from a "中文 / English" warning sentence."""
    zh, sep, en = warning.partition(" / ")
    if not sep:
        return warning
    return en if current_lang() == "en" else zh


# --- upload --------------------------------------------------------------------------------------


def _wait_notice(box: Any) -> Any:
    """A callback that shows the queue while the upload waits for a parser."""

    shown: list[tuple[int, int]] = []

    def show(ahead: int, waited: float) -> None:
        # Redraw only when the figures change (the callback runs ~5 times a second).
        now = (ahead, int(waited) // 2 * 2)
        if shown and shown[-1] == now:
            return
        shown.append(now)
        box.info(
            t(
                f"服务器正在读取其他文件，您的文件在排队（前面还有 {ahead} 个），"
                f"已等待 {now[1]} 秒…",
                f"The server is reading other files; yours is queued ({ahead} ahead), "
                f"waited {now[1]} s…",
            ),
            icon=":material/hourglass_top:",
        )

    return show


def _read_upload(
    file: Any, coordinates: str = "wgs84", layers: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Parse an uploaded file once; the result is kept in the session by file id and choices."""
    box = st.empty()
    try:
        gdfs = read_user_layers(
            file.getvalue(), file.name, layers=layers, coordinates=coordinates,
            on_wait=_wait_notice(box),
        )
    except LayerImportError as err:
        return {"error": err}
    finally:
        box.empty()
    return {"gdfs": gdfs}


def _list_layers(file: Any) -> list[LayerChoice] | LayerImportError:
    key = ("import_layers", file.file_id)
    if st.session_state.get("import_layers_key") != key:
        box = st.empty()
        try:
            found: list[LayerChoice] | LayerImportError = list_user_layers(
                file.getvalue(), file.name, on_wait=_wait_notice(box)
            )
        except LayerImportError as err:
            found = err
        finally:
            box.empty()
        st.session_state["import_layers_key"] = key
        st.session_state["import_layers"] = found
    result: list[LayerChoice] | LayerImportError = st.session_state["import_layers"]
    return result


def _report_table(report: dict[str, Any]) -> pd.DataFrame:
    types = ", ".join(
        f"{_geometry_name(k)} × {v}" for k, v in report.get("geometry_types", {}).items()
    )
    skipped = report.get("skipped_by_reason", {})
    skipped_text = str(report.get("skipped", 0))
    details = ", ".join(f"{_SKIP_REASONS.get(k, (k, k))[0 if current_lang() != 'en' else 1]}: {v}"
                        for k, v in skipped.items() if v)
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
    system = report.get("coordinate_system", "wgs84")
    if system in COORDINATE_SYSTEMS and system != "wgs84":
        zh, en = COORDINATE_SYSTEMS[system]
        rows.append((t("坐标转换", "Coordinates converted"),
                     t(f"{zh} → WGS84", f"{en} → WGS84")))
    return pd.DataFrame(rows, columns=[t("项目", "Item"), t("结果", "Result")])


_GEOMETRY_NAMES = {
    "Point": ("点", "point"),
    "MultiPoint": ("多点", "multipoint"),
    "LineString": ("线", "line"),
    "MultiLineString": ("多线", "multiline"),
    "Polygon": ("面", "polygon"),
    "MultiPolygon": ("多面", "multipolygon"),
    "GeometryCollection": ("几何集合", "geometry collection"),
}


def _geometry_name(kind: str) -> str:
    """A geometry type in the session's language (GeoPackage may add Z/M: kept as suffix)."""
    base = kind.removesuffix(" Z").removesuffix(" M").removesuffix(" ZM")
    for key, (zh, en) in _GEOMETRY_NAMES.items():
        if base.lower() == key.lower():
            return t(zh, en) + kind[len(base):]
    return t("几何", "geometry") if kind.lower() in ("unknown", "geometry") else kind


_SKIP_REASONS = {
    "null": ("无几何", "no geometry"),
    "empty": ("空几何", "empty"),
    "non_finite": ("坐标无效", "invalid coordinates"),
    "invalid": ("几何无效", "invalid geometry"),
}


def _show_report(gdf: Any) -> None:
    st.dataframe(_report_table(gdf.attrs.get("import_report", {})), hide_index=True)
    for w in gdf.attrs.get("warnings", []):
        st.warning(md_escape(_warning_text(w)))


def _size_limit_text() -> str:
    # In the page's language: Streamlit's own refusal of a larger file is in it too (ui.chrome).
    mb = MAX_UPLOAD_BYTES // 1024**2
    return t(f"单个文件不超过 {mb} MB。", f"Up to {mb} MB per file.")


def _choices(file: Any, n: int) -> tuple[str, tuple[str, ...] | None] | None:
    """The coordinate system (point tables) and layers (GeoPackage) the user chose.

    Returns None while a multi-layer file waits for the user's choice.
    """
    ext = "." + file.name.rsplit(".", 1)[-1].lower() if "." in file.name else ""
    coordinates = "wgs84"
    if ext in (".csv", ".xlsx"):
        systems = list(COORDINATE_SYSTEMS)
        coordinates = str(st.radio(
            t("表中经纬度的坐标系", "Coordinate system of the table's lon/lat"),
            systems,
            format_func=lambda k: t(*COORDINATE_SYSTEMS[k]),
            horizontal=True,
            key=f"import_coords_{n}",
            help=t(
                "高德、腾讯导出的 POI 为 GCJ-02，百度为 BD-09；导入时换算为 WGS84。",
                "POI exported from Gaode or Tencent are GCJ-02, from Baidu BD-09; they are "
                "converted to WGS84 on import.",
            ),
        ))
    layers: tuple[str, ...] | None = None
    if ext in (".gpkg", ".zip"):
        found = _list_layers(file)
        if isinstance(found, LayerImportError):
            return coordinates, None  # the read reports the same error
        if len(found) > 1:
            names = [c.name for c in found]
            info = {c.name: c for c in found}
            picked = st.multiselect(
                t(f"该 GeoPackage 有 {len(found)} 个图层，选择要导入的图层（默认全部）",
                  f"This GeoPackage has {len(found)} layers; choose the layers to import "
                  "(all by default)"),
                names,
                default=names,
                placeholder=t("选择图层", "Choose layers"),
                format_func=lambda name: _choice_label(info[name]),
                key=f"import_layers_{n}",
            )
            if not picked:
                st.info(t("请至少选择一个图层。", "Choose at least one layer."))
                return None
            layers = tuple(picked)
    return coordinates, layers


def _choice_label(c: LayerChoice) -> str:
    count = "?" if c.features is None else f"{c.features:,}"
    kind = _geometry_name(c.geometry_type)
    return t(f"{c.name}（{kind}，{count} 个要素）", f"{c.name} ({kind}, {count} features)")


def _upload_section(ws: GeoPackageWorkspace) -> None:
    st.subheader(t("上传图层", "Upload a layer"))
    st.caption(
        t(
            "支持 GeoJSON、GeoPackage（可含多个图层）、压缩的 Shapefile（.zip）、KML/KMZ，"
            "以及带经度/纬度列的 CSV 或 Excel（.xlsx）点表（列名如 经度/纬度、lon/lat、X/Y，"
            "或高德的 location 列）。",
            "GeoJSON, GeoPackage (one or more layers), zipped Shapefile (.zip), KML/KMZ, and "
            "CSV or Excel (.xlsx) point tables with longitude/latitude columns (named e.g. "
            "经度/纬度, lon/lat, X/Y, or Gaode's location column).",
        )
        + " "
        + _size_limit_text()
    )
    # An upload is likely next: have its parser process started (no-op when one waits already).
    prewarm_parser()
    n = st.session_state.get(_K_UPLOADER, 0)
    file = st.file_uploader(
        t("选择文件", "Choose a file"), type=_UPLOAD_TYPES, key=f"import_upload_{n}",
        help=_size_limit_text(),
    )
    if file is None:
        st.session_state.pop(_K_RESULT, None)
        return
    chosen = _choices(file, n)
    if chosen is None:
        return
    key = (file.file_id, *chosen)
    result = st.session_state.get(_K_RESULT)
    if result is None or result.get("key") != key:
        with st.spinner(t("正在读取文件…", "Reading the file…")):
            result = {"key": key, **_read_upload(file, *chosen)}
        st.session_state[_K_RESULT] = result
    if "error" in result:
        st.error(md_escape(_msg(result["error"])), icon=":material/error:")
        return
    gdfs = result["gdfs"]
    total = sum(len(g) for g in gdfs)
    st.success(
        t(f"读取成功：{len(gdfs)} 个图层，{total} 个要素。" if len(gdfs) > 1
          else f"读取成功：{total} 个要素。",
          f"Read successfully: {len(gdfs)} layers, {total} features." if len(gdfs) > 1
          else f"Read successfully: {total} features."),
        icon=":material/check_circle:",
    )
    if len(gdfs) == 1:
        gdf = gdfs[0]
        _show_report(gdf)
        with st.expander(t("属性预览（前 50 行）", "Attribute preview (first 50 rows)")):
            show_table(pd.DataFrame(gdf.drop(columns=gdf.geometry.name).head(50)))
        with st.form(key=f"import_save_{n}"):
            title = st.text_input(
                t("图层名称", "Layer title"), value=str(gdf.attrs.get("title", "")),
                max_chars=100,
            )
            saved = st.form_submit_button(t("加入我的图层", "Add to my layers"), type="primary")
        if saved:
            _save_all(ws, [(title, gdf)])
        return
    for gdf in gdfs:
        with st.expander(md_escape(str(gdf.attrs.get("title", ""))), expanded=False):
            _show_report(gdf)
    label = t(f"将 {len(gdfs)} 个图层加入我的图层", f"Add the {len(gdfs)} layers to my layers")
    if st.button(label, type="primary", key=f"import_save_all_{n}"):
        _save_all(ws, [(str(g.attrs.get("title", "")), g) for g in gdfs])


def _save_all(ws: GeoPackageWorkspace, layers: list[tuple[str, Any]]) -> None:
    notices = []
    for title, gdf in layers:
        notice = _save(ws, title, gdf)
        if notice is None:
            refresh_tiles(ws)  # for the layers saved before the one that failed
            return
        notices.append(notice)
    # City-scale layers get their tiles now, not when the map first shows them.
    refresh_tiles(ws)
    st.session_state[_K_NOTICE] = " ".join(notices)
    # A new uploader key clears the widget, so the same file is not offered again.
    st.session_state[_K_UPLOADER] = st.session_state.get(_K_UPLOADER, 0) + 1
    st.session_state.pop(_K_RESULT, None)
    st.rerun()


def _save(ws: GeoPackageWorkspace, title: str, gdf: Any) -> str | None:
    """Store one layer; returns the notice, or None after showing an error."""
    try:
        replaced = ws.has_layer(title)
        ws.write_layer(title, gdf)
    except SpatialError as err:
        st.error(md_escape(_msg(err)))
        return None
    except OSError:
        st.error(
            t(
                "无法保存图层：工作区文件不可写。",
                "The layer could not be saved: the workspace file is not writable.",
            )
        )
        return None
    shown = md_escape(title.strip())
    return (
        t(f"已替换图层“{shown}”。", f"Replaced layer “{shown}”.")
        if replaced
        else t(f"已加入图层“{shown}”。", f"Added layer “{shown}”.")
    )


# --- my layers -----------------------------------------------------------------------------------


def _layer_csv(ws: GeoPackageWorkspace, info: UserLayerInfo, lang: str) -> bytes:
    gdf = ws.read_layer(info.title)
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    # The planner's own columns keep their names; only the geometry column is ours to name.
    table[column_label("wkt", lang)] = gdf.geometry.to_wkt()
    return to_safe_csv(table)


def _layer_row(ws: GeoPackageWorkspace, info: UserLayerInfo) -> None:
    with st.container(border=True):
        cols = st.columns([6, 2, 2])
        cols[0].markdown(f"**{md_escape(info.title)}**")
        fmt = md_escape(str(info.report.get("format", "")))
        lang = current_lang()
        saved = md_escape(local_time(info.saved_utc, lang))
        cols[0].caption(
            t(
                f"{info.feature_count} 个要素 · {fmt} · 保存于 {saved}",
                f"{info.feature_count} features · {fmt} · saved {saved}",
            )
        )
        cols[1].download_button(
            t("下载 CSV", "Download CSV"),
            data=lambda: _layer_csv(ws, info, lang),
            file_name=download_name(info.title, "csv"),
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
                refresh_tiles(ws)  # the removed layer's tiles go too
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
