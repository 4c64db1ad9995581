"""The "出图 / Export" popover: paper, format, resolution, title, 审图号, then make and download.

The file is made only when the planner clicks 生成 (so showing the panel
costs nothing and panning the map never renders a page), with a spinner and,
if it cannot be made, the reason in place; then a 下载 button hands over the
bytes already made. Two steps, because a one-click deferred download loses
the click that lands while a settings change reruns the page: Streamlit
drops the old button's file generator on the rerun and the browser, still
holding it, gets "Deferred file … not found" and nothing else. A made file
is a plain download that survives a rerun, and when the settings change
after it was made the panel says so instead of offering a stale file. What
the file shows is :func:`spatial.export.export_view` of the page's view at
the moment of the click on 生成 - the same view the map on screen is drawn
from (see :func:`live_view`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from layers.fields import local_time, local_today
from layers.schema import LayerSpec, Style
from spatial._errors import SpatialError
from spatial.basemaps import get_basemap, tianditu_key
from spatial.export import (
    ChoroplethLayer,
    ExportOptions,
    MapOverlay,
    default_title,
    export_atlas,
    export_view,
)
from spatial.text import escape_markdown
from spatial.view import View
from ui.data import plan_layer, secrets_or_none
from ui.i18n import t
from ui.markup_store import markup_print_choice
from ui.tables import download_name

__all__ = [
    "DPI_CHOICES",
    "deferred_download",
    "export_file_name",
    "file_signature",
    "live_view",
    "options_form",
    "prepared_download",
    "render_atlas_download",
    "render_coverage_export_panel",
    "render_export_panel",
    "render_indicator_export_panel",
]

DPI_CHOICES: tuple[int, ...] = (150, 200, 300, 400)


def export_file_name(stem: str, options: ExportOptions) -> str:
    """A file name such as ``鹤壁经开区规划图-2026-11-24.pdf`` (the stem in the user's language).

    Only letters (Chinese included), digits, ``_`` and ``-`` are kept from ``stem``.
    """
    day = (options.map_date or local_today()).isoformat()
    return download_name(f"{stem}-{day}", options.fmt)



def options_form(key: str, lang: str, default_title: str) -> ExportOptions | None:
    """Draw the paper/format/dpi/title/审图号 widgets; return the options or None if invalid.

    Parameters
    ----------
    key : str
        Prefix of the widget keys (one form per page).
    lang : str
        Language of the page.
    default_title : str
        Title shown until the planner edits it.
    """
    c1, c2 = st.columns(2)
    paper: Any = c1.selectbox(t("纸张", "Paper"), ("A4", "A3"), key=f"{key}_paper")
    # selectbox returns one of the choices given; typed loosely by Streamlit.
    # Labels are made now, not inside format_func: AppTest and Streamlit may call it outside
    # the script run, where the session's language is not known.
    orientations = {"landscape": t("横向", "Landscape"), "portrait": t("纵向", "Portrait")}
    formats = {"pdf": t("PDF（矢量）", "PDF (vector)"), "png": t("PNG（图片）", "PNG (image)")}
    orientation: Any = c2.selectbox(
        t("方向", "Orientation"), tuple(orientations), key=f"{key}_orientation",
        format_func=orientations.__getitem__,
    )
    c3, c4 = st.columns(2)
    fmt: Any = c3.selectbox(
        t("格式", "Format"), tuple(formats), key=f"{key}_fmt", format_func=formats.__getitem__,
    )
    dpi = c4.selectbox(t("分辨率 (dpi)", "Resolution (dpi)"), DPI_CHOICES, index=2,
                       key=f"{key}_dpi")
    title = st.text_input(t("标题", "Title"), value=default_title, key=f"{key}_title",
                          max_chars=80)
    review_no = st.text_input(t("审图号（可选）", "Map approval No. (optional)"),
                              key=f"{key}_review", max_chars=40,
                              placeholder=t("例如：鹤S(2026)001号", "e.g. 鹤S(2026)001号"))
    try:
        return ExportOptions(
            paper=paper, orientation=orientation, fmt=fmt, dpi=int(dpi),
            title=title.strip() or None, review_no=review_no.strip() or None, lang=lang,
        )
    except SpatialError as err:
        st.error(escape_markdown(err.message(lang)))
        return None


def file_signature(*parts: object) -> str:
    """A short digest of what a file is made from (view, options, classes …)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _size_text(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{max(n // 1024, 1)} KB"


def prepared_download(
    make: Callable[[], bytes], file_name: str, mime: str, key: str, signature: str,
    *, make_label: str | None = None,
) -> None:
    """A 生成 button that makes the file (errors said in place), then a 下载 button for it.

    Parameters
    ----------
    make : callable
        Makes the file's bytes; may raise :class:`spatial._errors.SpatialError`.
    file_name, mime : str
        Name and type of the download.
    key : str
        Widget key prefix.
    signature : str
        What the file is made from (:func:`file_signature`); a file made from
        other settings is not offered.
    make_label : str, optional
        Label of the make button.
    """
    from ui.i18n import current_lang

    lang = current_lang()
    slot = f"{key}_file"
    label = make_label or t("生成文件", "Make the file")
    if st.button(label, key=f"{key}_make", type="primary", icon=":material/print:"):
        try:
            with st.spinner(t("正在出图……", "Making the map…")):
                data = make()
        except SpatialError as err:
            st.session_state.pop(slot, None)
            st.error(err.message(lang), icon=":material/error:")
            return
        made = local_time(datetime.now(UTC), seconds=True, zone=False)
        st.session_state[slot] = (signature, data, file_name, mime, made)
    kept = st.session_state.get(slot)
    if not kept:
        st.caption(t("点击后生成，完成后出现下载按钮。",
                     "Click to make the file; a download button appears when it is ready."))
        return
    kept_sig, data, name, kept_mime, made = kept
    if kept_sig != signature:
        st.caption(t("设置已更改，请重新生成文件。", "The settings changed: make the file again."))
        return
    # The time it was made (Beijing time) tells this file from one made before a change.
    size = _size_text(len(data))
    st.download_button(t(f"下载 {name}（{size}，北京时间 {made} 生成）",
                         f"Download {name} ({size}, made {made} Beijing time)"),
                       data=data, file_name=name, mime=kept_mime, key=f"{key}_download",
                       on_click="ignore", icon=":material/download:")


def deferred_download(
    label: str, make: Callable[[], bytes], file_name: str, mime: str, key: str
) -> None:
    """A download of a file made on request: :func:`prepared_download` keyed by the file name.

    Kept for callers that have no signature of their own: the file name (paper,
    date, format) and ``label`` stand in for it.
    """
    prepared_download(make, file_name, mime, key, file_signature(file_name, label),
                      make_label=label)


def live_view(view: View, key: str | None) -> Callable[[], View]:
    """Return a function giving the page's view as it is when called, from session state.

    A map inside an ``st.fragment`` updates its view in session state on every
    pan and zoom without rerunning the rest of the page, so a view captured
    when the panel was drawn can be out of date by the time the planner
    clicks. The returned function reads ``key`` from this session's state
    (thread-safe; it runs in Streamlit's download thread) and falls back to
    ``view`` when the key is missing or holds something else.
    """
    ctx = get_script_run_ctx(suppress_warning=True) if key else None
    state = ctx.session_state if ctx is not None else None

    def current() -> View:
        if state is None or key is None:
            return view
        try:
            held = state[key]
        except KeyError:
            return view
        return held.replace(lang=view.lang) if isinstance(held, View) else view

    return current


def render_export_panel(
    view: View,
    *,
    live_view_key: str | None = None,
    choropleth: ChoroplethLayer | None = None,
    extra_layers: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]] = (),
    key: str = "export",
    title: str | None = None,
    subtitle: str | None = None,
    markups: bool = False,
) -> None:
    """Draw the export popover for a view; it makes the map as PDF or PNG, then downloads it.

    Parameters
    ----------
    view : View
        What the map on screen shows (layers, basemap, extent, language).
    live_view_key : str, optional
        Session-state key where the page keeps its view current (the plan map
        keeps ``map_view``); the file then shows the view at the moment of the
        click, even after the map was panned inside a fragment.
    choropleth : ChoroplethLayer, optional
        The indicator classes shown on screen, printed with their legend.
    extra_layers : sequence of (LayerSpec, GeoDataFrame)
        The planner's own layers shown on the map.
    key : str
        Widget key prefix (unique per page).
    title : str, optional
        The default title (the page's subject); the plan's or the indicator's by default.
    subtitle : str, optional
        The second line; by default the shown groups or the indicator's classes.
    markups : bool
        Offer 打印批注 (the current project's markups on the map and in the legend).
    """
    lang = view.lang
    with st.popover(t("出图", "Export map"), icon=":material/print:"):
        options = options_form(key, lang, title or default_title(lang, choropleth))
        if options is not None and subtitle is not None:
            options = replace(options, subtitle=subtitle)
        bm = get_basemap(view.basemap)
        if bm.sources:
            st.caption(t(f"底图：{bm.title(lang)}（瓦片无法获取时不绘制底图，并在图上注明）",
                         f"Basemap: {bm.title(lang)} (if tiles cannot be fetched the map is "
                         "drawn without them and says so)"))
        else:
            st.caption(t("底图：无（离线出图）", "Basemap: none (offline)"))
        overlay, made_of = markup_print_choice(key, lang) if markups else (None, None)
        if options is None:
            return
        key_tdt = tianditu_key(secrets_or_none())
        extra = list(extra_layers)
        current = live_view(view, live_view_key)

        def make() -> bytes:
            return export_view(current(), options, choropleth=choropleth, extra_layers=extra,
                               tianditu_key=key_tdt,
                               overlays=(overlay,) if overlay is not None else ()).data

        mime = "application/pdf" if options.fmt == "pdf" else "image/png"
        signature = file_signature(current(), options, choropleth is not None and
                                   (choropleth.name, choropleth.classification.breaks),
                                   [(s.id, len(g)) for s, g in extra], made_of)
        prepared_download(make, export_file_name(t("鹤壁经开区规划图", "hebi-map"), options),
                          mime, key, signature,
                          make_label=t("生成 PDF", "Make the PDF") if options.fmt == "pdf"
                          else t("生成 PNG", "Make the PNG"))


def _area_spec(area_id: str, title: str) -> LayerSpec:
    """A declaration for an area set that is not a catalogue layer (the planner's own)."""
    return LayerSpec(id=area_id, title_zh=title, title_en=title, group="user",
                     geometry="Polygon", style=Style("#333333"), z_order=1000)


def _value_decimals(column: str, values: Sequence[float | None]) -> int:
    """Decimals of the values printed on the areas, as the indicators page prints them."""
    from spatial.classify import data_decimals
    from spatial.indicators import indicator_def

    try:
        return indicator_def(column).decimals
    except KeyError:  # an uploaded column: the precision its values are given with
        return data_decimals(v for v in values if v is not None)


def render_indicator_export_panel(
    area_id: str, title: str, areas: gpd.GeoDataFrame, basemap_id: str
) -> None:
    """Export of the indicators page: its classed areas, legend and basemap, as on screen.

    Reads the page's classes from session state (``indicator_choropleth`` and
    ``indicator_selection``, written by the indicators page).

    Parameters
    ----------
    area_id : str
        Id of the area set (a catalogue layer or a workspace layer).
    title : str
        Its title.
    areas : GeoDataFrame
        The areas shown (WGS84, ``id``/``name``/``name_en``); only these are printed.
    basemap_id : str
        The page's basemap.
    """
    from layers import all_specs, get_spec
    from ui.i18n import current_lang

    choro = st.session_state.get("indicator_choropleth")
    selection = st.session_state.get("indicator_selection")
    if not isinstance(choro, ChoroplethLayer) or choro.area_layer != area_id:
        return
    located = areas[areas.geometry.notna() & ~areas.geometry.is_empty]
    if located.empty:
        return
    if choro.value_decimals is None and selection is not None:
        choro = replace(choro, value_decimals=_value_decimals(
            str(selection.column), list(choro.values.values())))
    minx, miny, maxx, maxy = (float(v) for v in located.total_bounds)
    view = View(groups=(), layers=(), basemap=basemap_id, bbox=(minx, miny, maxx, maxy),
                indicator=selection, lang=current_lang())
    if any(s.id == area_id for s in all_specs()):
        # The catalogue features themselves (with their sources), limited to the shown ones.
        full = plan_layer(area_id)
        shown = full[full["id"].astype(str).isin(set(areas["id"].astype(str)))]
        extra = [(get_spec(area_id), shown)]
    else:
        extra = [(_area_spec(area_id, title), areas)]
    render_export_panel(view, choropleth=choro, extra_layers=extra, key="ind_export")


def render_atlas_download(
    view: View, area_layer: str, options: ExportOptions, key: str,
    choropleth: ChoroplethLayer | None = None,
    overlays: Sequence[MapOverlay] = (),
    made_of: object = None,
) -> None:
    """A download button for an atlas: one PDF page per area of ``area_layer``.

    ``overlays`` (e.g. the markups) are printed on every page; ``made_of`` is what they are
    made of, for the file signature.
    """
    pdf = replace(options, fmt="pdf")
    key_tdt = tianditu_key(secrets_or_none())

    def make() -> bytes:
        return export_atlas(view, area_layer, pdf, choropleth=choropleth,
                            tianditu_key=key_tdt, overlays=overlays).data

    from layers import all_specs

    spec = next((s for s in all_specs() if s.id == area_layer), None)
    zh_name, en_name = (spec.title("zh"), spec.title("en")) if spec else (area_layer, area_layer)
    name = export_file_name(t(f"鹤壁经开区图集-{zh_name}", f"hebi-atlas-{en_name}"), pdf)
    prepared_download(make, name,
                      "application/pdf", key,
                      file_signature(view, area_layer, pdf, choropleth is not None, made_of),
                      make_label=t("生成图集（PDF）", "Make the atlas (PDF)"))


def render_coverage_export_panel(
    model: Any, category: str, level: int, *, units: gpd.GeoDataFrame | None,
    sites: Any, basemap_id: str,
) -> None:
    """出图 of the coverage page: the places in their coverage classes, the gaps, the
    facilities (what-ifs ringed), the suggested sites and the units, with their legend.

    Parameters
    ----------
    model : CoverageModel
        The page's model, what-ifs included.
    category : str
        The category shown (a code, or ``"all"``).
    level : int
        The walking minutes shown.
    units : GeoDataFrame, optional
        The planning units outlined on the page's map.
    sites : DataFrame or None
        The suggested sites shown on the map, if any.
    basemap_id : str
        The page's basemap.
    """
    from spatial.export.coverage_layers import (
        coverage_layers,
        coverage_subtitle,
        coverage_title,
    )
    from ui.i18n import current_lang

    lang = current_lang()
    extra = coverage_layers(model, category, level, sites=sites, units=units, lang=lang)
    places = extra[0][1]
    if places.empty:
        return
    minx, miny, maxx, maxy = (float(v) for v in places.total_bounds)
    view = View(groups=("user",), layers=tuple(spec.id for spec, _ in extra),
                basemap=basemap_id, bbox=(minx, miny, maxx, maxy), lang=lang)
    render_export_panel(view, extra_layers=extra, key="cov_export",
                        title=coverage_title(category, level, lang),
                        subtitle=coverage_subtitle(category, level, lang))
