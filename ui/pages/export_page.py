"""The export page: print the plan (or the current map view) as PDF/PNG, or an atlas per area.

Everything printed is made by :mod:`spatial.export`; this page only turns
widgets into a :class:`spatial.view.View` and :class:`spatial.export.ExportOptions`.
It starts from the plan map's current view when the planner has one open
(groups, basemap, extent), and can frame one area or print one page per
area of a layer (each park, each living circle) into one PDF.
"""

from __future__ import annotations

import hashlib

import streamlit as st

import layers
from layers.schema import GROUPS
from spatial._errors import SpatialError
from spatial.basemaps import available_basemaps, get_basemap, tianditu_key
from spatial.export import ChoroplethLayer, ExportOptions, MapOverlay, default_title, export_view
from spatial.text import escape_markdown
from spatial.view import DEFAULT_BBOX, DEFAULT_VIEW, View
from ui.data import plan_layer, secrets_or_none
from ui.export_panel import (
    export_file_name,
    file_signature,
    options_form,
    prepared_download,
    render_atlas_download,
)
from ui.i18n import current_lang, t
from ui.markup_store import markup_print_choice

__all__ = ["render"]

# Polygon layers whose features make sensible atlas pages, best first.
ATLAS_LAYERS: tuple[str, ...] = ("parks", "life_circles", "bonded_subzones")
PREVIEW_DPI = 72  # the lowest resolution an export accepts
_KEY = "exp"



def _polygon_layers() -> list[str]:
    ids = [s.id for s in layers.all_specs() if s.geometry == "Polygon"]
    return [i for i in ATLAS_LAYERS if i in ids] + [i for i in ids if i not in ATLAS_LAYERS]


@st.cache_data(show_spinner=False, max_entries=16)
def _features(layer_id: str) -> list[tuple[str, str, str]]:
    """(id, name, name_en) of the located features of a catalogue layer."""
    gdf = plan_layer(layer_id)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    return [(str(r["id"]), str(r.get("name", r["id"])), str(r.get("name_en", r["id"])))
            for _, r in gdf.sort_values("id").iterrows()]


def _base_view(lang: str) -> tuple[View, bool]:
    """The plan map's current view if the planner has one, else the default; and which."""
    view = st.session_state.get("map_view")
    if isinstance(view, View):
        return view.replace(lang=lang), True
    return DEFAULT_VIEW.replace(lang=lang, basemap="none"), False


def _content(lang: str, base: View, from_map: bool) -> tuple[View, tuple[str, str] | None]:
    """Widgets for what to print; return the view and an optional (layer, feature) area."""
    plan_groups = [g for g in GROUPS if g.id != "user"]
    default_groups = [g.id for g in plan_groups if g.id in base.groups]
    groups = st.multiselect(
        t("图层组", "Layer groups"), [g.id for g in plan_groups], default=default_groups,
        key=f"{_KEY}_groups", placeholder=t("选择图层组", "Choose layer groups"),
        format_func=lambda gid: next(g.title_en if lang == "en" else g.title_zh
                                     for g in plan_groups if g.id == gid),
    )
    basemaps = [b.id for b in available_basemaps(tianditu_key(secrets_or_none()))]
    start = base.basemap if base.basemap in basemaps else "none"
    basemap = st.selectbox(t("底图", "Basemap"), basemaps, index=basemaps.index(start),
                           key=f"{_KEY}_basemap",
                           format_func=lambda b: get_basemap(b).title(lang))
    extents = ["view", "plan", "area"] if from_map else ["plan", "area"]
    extent = st.radio(
        t("范围", "Extent"), extents, horizontal=True, key=f"{_KEY}_extent",
        format_func=lambda e: {"view": t("规划图当前视图", "Current map view"),
                               "plan": t("全部规划范围", "Whole plan"),
                               "area": t("单个区域", "One area")}[e],
    )
    view = base.replace(groups=tuple(groups), basemap=basemap, layers=None)
    area = None
    if extent == "plan":
        view = view.replace(bbox=DEFAULT_BBOX)
    elif extent == "area":
        polys = _polygon_layers()
        c1, c2 = st.columns(2)
        layer_id = c1.selectbox(t("区域图层", "Area layer"), polys, key=f"{_KEY}_area_layer",
                                format_func=lambda i: layers.get_spec(i).title(lang))
        feats = _features(layer_id)
        if not feats:
            st.info(t("该图层没有可出图的区域。", "This layer has no located areas."))
        else:
            fid = c2.selectbox(t("区域", "Area"), [f[0] for f in feats], key=f"{_KEY}_area",
                               format_func=lambda i: next(f[2] if lang == "en" else f[1]
                                                          for f in feats if f[0] == i))
            area = (layer_id, fid)
    return view, area


def _choropleth(view: View) -> ChoroplethLayer | None:
    """The indicators page's classes, when the planner chooses to print them."""
    choro = st.session_state.get("indicator_choropleth")
    if not isinstance(choro, ChoroplethLayer):
        return None
    label = t(f"叠加指标分级：{choro.name}", f"Overlay the indicator classes: {choro.name}")
    return choro if st.checkbox(label, key=f"{_KEY}_indicator") else None


def _preview(view: View, options: ExportOptions, area: tuple[str, str] | None,
             choro: ChoroplethLayer | None, lang: str,
             overlays: tuple[MapOverlay, ...] = (), made_of: object = None) -> None:
    """A small PNG of the page, made on request (the download is made on its own click)."""
    small = ExportOptions(paper=options.paper, orientation=options.orientation, fmt="png",
                          dpi=PREVIEW_DPI, title=options.title, review_no=options.review_no,
                          lang=options.lang)
    signature = hashlib.sha256(
        repr((view, small, area, choro is not None, made_of)).encode()).hexdigest()
    if st.button(t("预览", "Preview"), key=f"{_KEY}_preview_btn"):
        try:
            with st.spinner(t("正在生成预览……", "Rendering the preview…")):
                result = export_view(view, small, area=area, choropleth=choro,
                                     tianditu_key=tianditu_key(secrets_or_none()),
                                     overlays=overlays)
        except SpatialError as err:
            st.error(escape_markdown(err.message(lang)))
            return
        st.session_state[f"{_KEY}_preview"] = (signature, result.data, result.info)
    kept = st.session_state.get(f"{_KEY}_preview")
    if kept and kept[0] == signature:
        _, png, info = kept
        st.image(png, caption=t(f"预览 · 比例尺 1:{info.scale_denominator:.0f}",
                                f"Preview · scale 1:{info.scale_denominator:.0f}"))
    elif kept:
        st.caption(t("设置已更改，请重新预览。", "Settings changed; preview again."))


def render() -> None:
    """Draw the export page."""
    lang = current_lang()
    st.title(t("出图", "Export"))
    st.caption(t(
        "导出带图例、比例尺、指北针、来源与日期的规划图（PDF 矢量或 PNG 图片），"
        "或按区域逐页导出图集。"
        "比例尺在 CGCS2000 高斯-克吕格投影（EPSG:4547）中量算。",
        "Print the plan with legend, scale bar, north arrow, sources and date (vector PDF or "
        "PNG), or an atlas with one page per area. The scale is measured in CGCS2000 "
        "Gauss–Krüger (EPSG:4547).",
    ))
    if not layers.all_specs():
        st.info(t("规划图层尚未发布。", "The plan layers are not published yet."))
        return
    base, from_map = _base_view(lang)
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.subheader(t("内容", "Content"))
        view, area = _content(lang, base, from_map)
        choro = _choropleth(view)
        markups, made_of = markup_print_choice(_KEY, lang)
        overlays: tuple[MapOverlay, ...] = (markups,) if markups is not None else ()
        st.subheader(t("版式", "Layout"))
        options = options_form(_KEY, lang, default_title(lang, choro))
        if "user" in base.groups:
            st.caption(t("“我的图层”请在规划图页面的“出图”按钮中导出。",
                         "Export “My layers” with the Export button of the plan map."))
    with right:
        st.subheader(t("导出", "Export"))
        if options is None:
            return
        mode = st.radio(t("方式", "Mode"), ("page", "atlas"), horizontal=True,
                        key=f"{_KEY}_mode",
                        format_func=lambda m: {"page": t("单页", "One page"),
                                               "atlas": t("图集（每个区域一页）",
                                                          "Atlas (one page per area)")}[m])
        if mode == "atlas":
            polys = _polygon_layers()
            layer_id = st.selectbox(t("按哪个图层分页", "One page per feature of"), polys,
                                    key=f"{_KEY}_atlas_layer",
                                    format_func=lambda i: layers.get_spec(i).title(lang))
            n = len(_features(layer_id))
            st.caption(t(f"共 {n} 页，PDF 格式。", f"{n} pages, PDF."))
            render_atlas_download(view, layer_id, options, f"{_KEY}_atlas_download",
                                  choropleth=choro, overlays=overlays, made_of=made_of)
            return
        _preview(view, options, area, choro, lang, overlays, made_of)
        key_tdt = tianditu_key(secrets_or_none())

        def make() -> bytes:
            return export_view(view, options, area=area, choropleth=choro,
                               tianditu_key=key_tdt, overlays=overlays).data

        mime = "application/pdf" if options.fmt == "pdf" else "image/png"
        signature = file_signature(view, options, area, choro is not None, made_of)
        prepared_download(make, export_file_name(t("鹤壁经开区规划图", "hebi-map"), options),
                          mime, _KEY, signature,
                          make_label=t("生成 PDF", "Make the PDF") if options.fmt == "pdf"
                          else t("生成 PNG", "Make the PNG"))
