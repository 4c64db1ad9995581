"""Markups on the printed figure: :class:`MarkupsOverlay` for :mod:`spatial.export`.

The export draws the overlay on its map frame (after the layers) and lists its rows in
the page legend; :func:`export_with_markups` is the 批注 page's own figure (the view
widened to hold every markup, no basemap tiles). The export page prints the same overlay
when the planner ticks 打印批注.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

import geopandas as gpd
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from layers.schema import LegendEntry, Style
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
from spatial.markups import CATEGORIES, CATEGORY_COLOURS, Markup, category_name, draw_markups
from spatial.view import View

__all__ = ["MarkupsOverlay", "export_with_markups", "markups_extent_gk"]


class MarkupsOverlay:
    """The project's markups as an export overlay (:class:`spatial.export.MapOverlay`).

    Draws each markup that touches the page's area of interest with its category's colour
    and its number (and, with ``comments``, a box listing "number · category · comment");
    the page legend gets a 批注 heading and one row per category drawn, with its count.

    Parameters
    ----------
    markups : sequence of Markup
        The project's markups (WGS84).
    comments : bool
        Also list the comments in the map frame.
    """

    def __init__(self, markups: Sequence[Markup], *, comments: bool = True) -> None:
        self.markups = tuple(markups)
        self.comments = comments

    def shown(self, extent_gk: tuple[float, float, float, float], epsg: int) -> list[Markup]:
        """The markups that touch ``extent_gk`` (metres in ``epsg``), by number."""
        if not self.markups:
            return []
        gs = gpd.GeoSeries([m.geometry for m in self.markups], crs=WGS84).to_crs(epsg)
        hits = gs.intersects(box(*extent_gk))
        return [m for m, hit in zip(self.markups, hits, strict=True) if hit]

    def legend_rows(self, extent_gk: tuple[float, float, float, float], epsg: int,
                    lang: str) -> list[tuple[str, LegendEntry | None]]:
        """A 批注 heading and one row per category drawn: "问题（2）"."""
        shown = self.shown(extent_gk, epsg)
        if not shown:
            return []
        rows: list[tuple[str, LegendEntry | None]] = [
            ("Markups (numbered)" if lang == "en" else "批注（图中编号）", None)]
        for code in CATEGORIES:
            n = sum(m.category == code for m in shown)
            if n:
                label = f"{category_name(code, lang)} ({n})" if lang == "en" else \
                    f"{category_name(code, lang)}（{n}）"
                style = Style(colour="#ffffff", fill_colour=CATEGORY_COLOURS[code],
                              fill_opacity=1.0, weight=1.2, radius=4.5)
                rows.append((label, LegendEntry(label, label, style, "point")))
        return rows

    def draw(self, ax: Any, extent_gk: tuple[float, float, float, float], epsg: int,
             lang: str) -> None:
        """Symbols, numbers and (optionally) the comment list; no legend of its own."""

        def to_metric(geom: BaseGeometry) -> BaseGeometry:
            out: BaseGeometry = gpd.GeoSeries([geom], crs=WGS84).to_crs(epsg).iloc[0]
            return out

        draw_markups(ax, self.shown(extent_gk, epsg), to_metric, lang,
                     comments=self.comments, frame_legend=False)


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
        What to draw (numbered symbols, legend rows and, with ``comments``, their comments).
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
        content = replace(content, overlays=(MarkupsOverlay(markups, comments=comments),))
        fig, info = render_page(content, options)
        lang = options.lang or content.lang
        title = options.title or default_title(lang, content.choropleth)
        data = _save(fig, options, title)
    return ExportResult(data, (info,), options.fmt)

