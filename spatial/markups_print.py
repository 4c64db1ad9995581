"""出图（含批注）: the plan figure of :mod:`spatial.export` with the markups drawn on it.

The export lays out the page (:func:`spatial.export.render_page`); this module then draws
the markups on its map frame with :func:`spatial.markups.draw_markups` and saves the page
as the export does. It is kept apart from ``spatial/export.py`` on purpose: when the
export offers an extension point for extra map content, one guarded call there replaces
:func:`export_with_markups`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import geopandas as gpd
from shapely.geometry.base import BaseGeometry

from spatial.crs import WGS84

# _export_style (the CJK fonts and rc settings every export page is drawn under) and _save
# (PDF metadata, exact PNG pixel size) are the export's own; reused, not copied.
from spatial.export import (
    ExportOptions,
    ExportResult,
    default_title,
    prepare_content,
    render_page,
)
from spatial.export.options import _export_style
from spatial.export.save import _export_failure, _save
from spatial.markups import Markup, draw_markups
from spatial.view import View

__all__ = ["export_with_markups", "markups_extent_gk"]


def markups_extent_gk(markups: Sequence[Markup], epsg: int,
                      pad_m: float = 150.0) -> tuple[float, float, float, float] | None:
    """Return the padded extent of the markups in the metric CRS ``epsg`` (None when none)."""
    if not markups:
        return None
    gs = gpd.GeoSeries([m.geometry for m in markups], crs=WGS84).to_crs(epsg)
    x0, y0, x1, y1 = (float(v) for v in gs.total_bounds)
    return (x0 - pad_m, y0 - pad_m, x1 + pad_m, y1 + pad_m)


def export_with_markups(
    view: View,
    options: ExportOptions,
    markups: Sequence[Markup],
    *,
    fit_markups: bool = True,
    comments: bool = True,
    layer_source: Any = None,
) -> ExportResult:
    """Export the view as one PNG/PDF page with the markups drawn on the map frame.

    Parameters
    ----------
    view : View
        The layers and extent to print (no basemap tiles are fetched).
    options : ExportOptions
        Paper, format, dpi, texts.
    markups : sequence of Markup
        What to draw (numbered symbols, a legend and, with ``comments``, their comments).
    fit_markups : bool
        Widen the extent so that every markup is on the page.
    comments : bool
        List "number · category · comment" in the map frame.
    layer_source : optional
        As for :func:`spatial.export.prepare_content`.

    Raises
    ------
    ExportError
        With a bilingual message when the page cannot be made.
    """
    options = options if options.map_date else replace(options, map_date=date.today())
    with _export_style(), _export_failure():
        content = prepare_content(view.replace(basemap="none"), layer_source=layer_source)
        extent = markups_extent_gk(markups, content.epsg) if fit_markups else None
        if extent is not None:
            cx0, cy0, cx1, cy1 = content.extent_gk
            content = content.with_extent((min(cx0, extent[0]), min(cy0, extent[1]),
                                           max(cx1, extent[2]), max(cy1, extent[3])))
        fig, info = render_page(content, options)
        ax = _map_axes(fig, info.extent_gk)
        lang = options.lang or content.lang

        def to_metric(geom: BaseGeometry) -> BaseGeometry:
            out: BaseGeometry = gpd.GeoSeries([geom], crs=WGS84).to_crs(content.epsg).iloc[0]
            return out

        draw_markups(ax, markups, to_metric, lang, comments=comments)
        title = options.title or default_title(lang, content.choropleth)
        data = _save(fig, options, title)
    return ExportResult(data, (info,), options.fmt)


def _map_axes(fig: Any, extent: tuple[float, float, float, float]) -> Any:
    """The page's map frame: the axes whose limits are the printed extent."""
    for ax in fig.axes:
        (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
        if max(abs(a - b) for a, b in zip((x0, y0, x1, y1), extent, strict=True)) < 1e-3:
            return ax
    return fig.axes[0]
