"""The "出图 / Export" popover: paper, format, resolution, title, 审图号 and a download button.

The file is made only when the planner clicks download (a deferred download:
Streamlit calls the export in the background and hands the browser the file),
so showing the panel costs nothing and panning the map never renders a page.
The options are checked while the panel is drawn, so a bad choice is reported
in place; what the file shows is :func:`spatial.export.export_view` of the
page's view at the moment of the click - the same view the map on screen is
drawn from (see :func:`live_view`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import geopandas as gpd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from layers.schema import LayerSpec, Style
from spatial._errors import SpatialError
from spatial.basemaps import get_basemap, tianditu_key
from spatial.export import (
    ChoroplethLayer,
    ExportOptions,
    default_title,
    export_atlas,
    export_view,
)
from spatial.text import escape_markdown
from spatial.view import View
from ui.data import plan_layer, secrets_or_none
from ui.i18n import t

__all__ = [
    "DPI_CHOICES",
    "deferred_download",
    "export_file_name",
    "live_view",
    "options_form",
    "render_atlas_download",
    "render_export_panel",
    "render_indicator_export_panel",
]

DPI_CHOICES: tuple[int, ...] = (150, 200, 300, 400)
_SAFE = re.compile(r"[^A-Za-z0-9_\-]+")


def export_file_name(stem: str, options: ExportOptions) -> str:
    """An ASCII file name such as ``hebi-map-2026-11-24.pdf`` (safe in any browser)."""
    clean = _SAFE.sub("-", stem).strip("-") or "map"
    day = (options.map_date or date.today()).isoformat()
    return f"{clean}-{day}.{options.fmt}"



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
    orientation: Any = c2.selectbox(
        t("方向", "Orientation"), ("landscape", "portrait"), key=f"{key}_orientation",
        format_func=lambda o: {"landscape": t("横向", "Landscape"),
                               "portrait": t("纵向", "Portrait")}[o],
    )
    c3, c4 = st.columns(2)
    fmt: Any = c3.selectbox(
        t("格式", "Format"), ("pdf", "png"), key=f"{key}_fmt",
        format_func=lambda f: {"pdf": t("PDF（矢量）", "PDF (vector)"),
                               "png": t("PNG（图片）", "PNG (image)")}[f],
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


def deferred_download(
    label: str, make: Callable[[], bytes], file_name: str, mime: str, key: str
) -> None:
    """A download button whose file is made by ``make`` only when it is clicked."""
    st.download_button(label, data=make, file_name=file_name, mime=mime, key=key,
                       on_click="ignore", type="primary", icon=":material/download:")


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
) -> None:
    """Draw the export popover for a view; its button downloads the map as PDF or PNG.

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
    """
    lang = view.lang
    with st.popover(t("出图", "Export map"), icon=":material/print:"):
        options = options_form(key, lang, default_title(lang, choropleth))
        bm = get_basemap(view.basemap)
        if bm.sources:
            st.caption(t(f"底图：{bm.title(lang)}（瓦片无法获取时不绘制底图，并在图上注明）",
                         f"Basemap: {bm.title(lang)} (if tiles cannot be fetched the map is "
                         "drawn without them and says so)"))
        else:
            st.caption(t("底图：无（离线出图）", "Basemap: none (offline)"))
        if options is None:
            return
        key_tdt = tianditu_key(secrets_or_none())
        extra = list(extra_layers)
        current = live_view(view, live_view_key)

        def make() -> bytes:
            # Runs when the button is clicked, outside the script: no Streamlit calls here.
            return export_view(current(), options, choropleth=choropleth, extra_layers=extra,
                               tianditu_key=key_tdt).data

        mime = "application/pdf" if options.fmt == "pdf" else "image/png"
        deferred_download(t("下载", "Download"), make, export_file_name("hebi-map", options), mime,
                  f"{key}_download")


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
) -> None:
    """A download button for an atlas: one PDF page per area of ``area_layer``."""
    pdf = replace(options, fmt="pdf")
    key_tdt = tianditu_key(secrets_or_none())

    def make() -> bytes:
        return export_atlas(view, area_layer, pdf, choropleth=choropleth,
                            tianditu_key=key_tdt).data

    deferred_download(t("下载图集（PDF）", "Download atlas (PDF)"), make,
              export_file_name(f"hebi-atlas-{area_layer}", pdf), "application/pdf", key)
