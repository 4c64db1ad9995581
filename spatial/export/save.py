"""Saving pages as PNG / PDF and the public entry points: one view, or an atlas of areas."""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import geopandas as gpd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from layers.fields import local_today
from layers.schema import LayerSpec
from spatial._errors import ExportError, SpatialError
from spatial.export.basemap import fetch_basemap
from spatial.export.content import (
    BasemapImage,
    ChoroplethLayer,
    MapContent,
    MapOverlay,
    _catalogue_source,
    _to_gk,
    focus_on_area,
    prepare_content,
)
from spatial.export.layout import _extent_for_frame, _layout
from spatial.export.legend import _legend_rows
from spatial.export.options import (
    _PRODUCER,
    MM_PER_INCH,
    ExportOptions,
    LayerSource,
    _export_style,
    _t,
)
from spatial.export.page import PageInfo, render_page
from spatial.export.text import default_title

if TYPE_CHECKING:
    from spatial.view import View


@dataclass(frozen=True)
class ExportResult:
    """An exported file and the facts of its pages.

    Attributes
    ----------
    data : bytes
        The PNG or PDF file.
    pages : tuple of PageInfo
        One per page (one, except in an atlas).
    fmt : {"pdf", "png"}
        The format of :attr:`data`.
    """

    data: bytes
    pages: tuple[PageInfo, ...]
    fmt: str

    @property
    def info(self) -> PageInfo:
        """The first (usually the only) page."""
        return self.pages[0]

    @property
    def mime(self) -> str:
        """MIME type for a download."""
        return "application/pdf" if self.fmt == "pdf" else "image/png"


def _creation_datetime(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _pdf_metadata(title: str, d: date) -> dict[str, Any]:
    return {
        "Title": title,
        "Creator": _PRODUCER,
        "Producer": _PRODUCER,
        "CreationDate": _creation_datetime(d),
        "ModDate": None,
    }


def _with_date(options: ExportOptions) -> ExportOptions:
    """Date the map today in Beijing time (the planners' day, whatever the server's zone)."""
    return options if options.map_date else replace(options, map_date=local_today())


def _basemap_for(
    content: MapContent, options: ExportOptions, key: str | None
) -> tuple[BasemapImage | None, str | None]:
    """Fetch tiles for the page's final extent at the page's resolution (capped at 200 dpi)."""
    if not content.basemap.sources:
        return None, None
    _, frame, _, _ = _layout(options, len(_legend_rows(content)))
    extent, _ = _extent_for_frame(content.extent_gk, frame, options.round_scale)
    dpi = min(options.dpi, 200)
    size = (round(frame.w / MM_PER_INCH * dpi), round(frame.h / MM_PER_INCH * dpi))
    lang = options.lang or content.lang
    return fetch_basemap(content.basemap, extent, size, epsg=content.epsg, lang=lang, key=key,
                         timeout_s=options.tile_timeout_s)


def _in_page_language(view: View, options: ExportOptions) -> View:
    """The view in the page's language: the legend, subtitle and names follow ``options.lang``."""
    # Without this a page asked for in English from a Chinese view had an English title over a
    # Chinese legend and subtitle (prepare_content reads the view's language).
    return view.replace(lang=options.lang) if options.lang and options.lang != view.lang else view


@contextmanager
def _export_failure() -> Iterator[None]:
    """Turn a drawing or encoding failure into a planner-facing ExportError."""
    try:
        yield
    except SpatialError:
        raise
    except (ValueError, OSError, RuntimeError, MemoryError) as exc:
        raise ExportError("出图失败，请缩小范围或降低分辨率后重试。",
                          "The export failed; try a smaller extent or a lower resolution.") \
            from exc


def _save(fig: Figure, options: ExportOptions, title: str) -> bytes:
    buf = io.BytesIO()
    assert options.map_date is not None
    if options.fmt == "pdf":
        fig.savefig(buf, format="pdf", metadata=_pdf_metadata(title, options.map_date))
    else:
        w_px, h_px = options.page_pixels()
        # Size the figure to whole pixels so the PNG is exactly paper × dpi.
        fig.set_size_inches(w_px / options.dpi, h_px / options.dpi)
        fig.savefig(buf, format="png", dpi=options.dpi,
                    metadata={"Software": _PRODUCER, "Title": title})
    return buf.getvalue()


def export_view(
    view: View,
    options: ExportOptions,
    *,
    layer_source: LayerSource | None = None,
    extra_layers: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]] = (),
    choropleth: ChoroplethLayer | None = None,
    area: tuple[str, str] | None = None,
    content: MapContent | None = None,
    tianditu_key: str | None = None,
    overlays: Sequence[MapOverlay] = (),
) -> ExportResult:
    """Export a view as one PNG or PDF page.

    Parameters
    ----------
    view : View
        The view on screen.
    options : ExportOptions
        Paper, format, dpi and texts.
    layer_source, extra_layers, choropleth, area
        As for :func:`prepare_content`.
    content : MapContent, optional
        Already prepared content (then the four above are not used).
    tianditu_key : str, optional
        Key for a 天地图 basemap.
    overlays : sequence of MapOverlay
        Extra content on top of the map with its legend rows (e.g. the project's markups).

    Returns
    -------
    ExportResult
        The file content and the page's facts.

    Raises
    ------
    ExportError
        With a bilingual message when the export cannot be made.
    """
    options = _with_date(options)
    view = _in_page_language(view, options)
    with _export_style(), _export_failure():
        content = content or prepare_content(
            view, layer_source=layer_source, extra_layers=extra_layers,
            choropleth=choropleth, area=area)
        if overlays:
            content = replace(content, overlays=(*content.overlays, *overlays))
        image, note = _basemap_for(content, options, tianditu_key)
        fig, info = render_page(content, options, basemap=image, basemap_note=note)
        title = options.title or default_title(options.lang or content.lang,
                                               content.choropleth)
        data = _save(fig, options, title)
    return ExportResult(data, (info,), options.fmt)


def atlas_features(content_layer: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """Return (id, name) of the located features of an area layer, in id order."""
    rows = content_layer[content_layer.geometry.notna() & ~content_layer.geometry.is_empty]
    out = [(str(r["id"]), str(r.get("name", r["id"]))) for _, r in rows.iterrows()]
    return sorted(out, key=lambda p: p[0])


def export_atlas(
    view: View,
    area_layer: str,
    options: ExportOptions,
    *,
    layer_source: LayerSource | None = None,
    extra_layers: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]] = (),
    choropleth: ChoroplethLayer | None = None,
    tianditu_key: str | None = None,
    overlays: Sequence[MapOverlay] = (),
) -> ExportResult:
    """Export one PDF page per area of a layer (each park, each living circle): an atlas.

    The layers are read and projected once; each page frames one area (in id
    order), outlines it and names it in the title.

    Parameters
    ----------
    view : View
        Layers, basemap and language of every page.
    area_layer : str
        Layer whose features are the pages.
    options : ExportOptions
        Paper and texts; the format is always PDF.
    layer_source, extra_layers, choropleth
        As for :func:`prepare_content`.
    tianditu_key : str, optional
        Key for a 天地图 basemap.
    overlays : sequence of MapOverlay
        Drawn on every page, each page listing in its legend what it shows (e.g. markups).

    Returns
    -------
    ExportResult
        A multi-page PDF and one :class:`PageInfo` per page.
    """
    options = replace(_with_date(options), fmt="pdf")
    assert options.map_date is not None
    source = layer_source or _catalogue_source
    extra = {spec.id: (spec, gdf) for spec, gdf in extra_layers}
    spec, gdf = extra[area_layer] if area_layer in extra else source(area_layer)
    areas = atlas_features(gdf) if "id" in gdf.columns else []
    if not areas:
        raise ExportError(f"图层“{spec.title_zh}”没有可出图的区域。",
                          f"Layer '{spec.title_en}' has no located areas to print.")
    view = _in_page_language(view, options)
    lang = view.lang
    title = options.title or default_title(lang, choropleth)
    infos: list[PageInfo] = []
    buf = io.BytesIO()
    with _export_style(), _export_failure():
        base = prepare_content(view, layer_source=layer_source, extra_layers=extra_layers,
                               choropleth=choropleth)
        base = replace(base, overlays=(*base.overlays, *overlays))
        areas_gk = _to_gk(gdf, base.epsg)
        with PdfPages(buf, metadata=_pdf_metadata(title, options.map_date)) as pdf:
            for i, (fid, _name) in enumerate(areas, start=1):
                content = focus_on_area(base, spec, areas_gk, fid)
                image, note = _basemap_for(content, options, tianditu_key)
                page_title = f"{title} — {content.highlight_label}"
                page_label = _t(lang, f"第 {i}/{len(areas)} 页", f"page {i}/{len(areas)}")
                number = None if options.figure_no is None else options.figure_no + i - 1
                fig, info = render_page(content, replace(options, title=page_title,
                                                         figure_no=number),
                                        basemap=image, basemap_note=note, page_label=page_label)
                pdf.savefig(fig)
                infos.append(info)
    return ExportResult(buf.getvalue(), tuple(infos), "pdf")
