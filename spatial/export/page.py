"""One page laid out: map frame, title, legend, scale bar, north arrow, inset and footer."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyproj
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Polygon as MplPolygon
from matplotlib.patches import Rectangle
from matplotlib.transforms import Bbox

from layers.fields import local_today
from spatial.crs import WGS84
from spatial.export.basemap import _basemap_line
from spatial.export.content import BasemapImage, MapContent
from spatial.export.draw import _draw_basemap, _draw_features, _draw_layers
from spatial.export.inset import draw_inset
from spatial.export.labels import draw_labels, label_candidates
from spatial.export.layout import _Box, _extent_for_frame, _layout, _Page
from spatial.export.legend import _draw_legend, _legend_rows
from spatial.export.options import (
    _HIGHLIGHT_STYLE,
    _INK,
    _SCHEMATIC_RED,
    MM_PER_INCH,
    PT_TO_MM,
    ExportOptions,
    _t,
)
from spatial.export.scale import (
    _fmt_int,
    _length_label,
    _meridian_convergence_deg,
    scale_bar_length_m,
)
from spatial.export.sources import _sources
from spatial.export.text import (
    _default_subtitle,
    _ellipsize,
    _text_width_mm,
    _wrap,
    default_title,
)

if TYPE_CHECKING:
    pass


@dataclass
class PageInfo:
    """Facts about a rendered page (what tests and the UI check).

    Attributes
    ----------
    scale_denominator : float
        The page's ratio scale 1 : n, true on paper.
    scale_bar_m : float
        Ground length of the scale bar.
    scale_bar_mm : float
        Its length on paper.
    extent_gk : tuple of float
        What the map frame shows, in EPSG:4547 metres.
    frame_mm : tuple of float
        Map frame ``(x, y, width, height)`` on the page, millimetres from the
        lower-left corner.
    legend_labels : list of str
        Legend rows as printed.
    schematic : bool
        A schematic feature is on the page (the "示意图" note is shown).
    basemap_note : str
        The basemap line as printed.
    texts : list of str
        Every text on the page.
    labels : list of str
        The names (注记) printed on the map, after overlaps were removed.
    """

    scale_denominator: float
    scale_bar_m: float
    scale_bar_mm: float
    extent_gk: tuple[float, float, float, float]
    frame_mm: tuple[float, float, float, float]
    legend_labels: list[str] = field(default_factory=list)
    schematic: bool = False
    basemap_note: str = ""
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


def _draw_north_arrow(page: _Page, frame: _Box, lang: str) -> _Box:
    """A north arrow in the frame's top-right corner pointing to grid north; returns its box."""
    k = page.k
    cx = frame.x + frame.w - 9.0 * k
    top = frame.y + frame.h - 4.5 * k
    h, half = 11.0 * k, 3.2 * k
    base = top - h
    # White backing from below "网格北" to just under the frame's top edge.
    backing = _Box(cx - 6.0 * k, base - 5.8 * k, 12.0 * k, frame.y + frame.h - 0.6 * k
                   - (base - 5.8 * k))
    page.box(backing, facecolor=(1, 1, 1, 0.8), edgecolor="none", zorder=50)
    W, H = page.W, page.H  # noqa: N806
    left = [(cx / W, top / H), ((cx - half) / W, base / H), (cx / W, (base + 2.4 * k) / H)]
    right = [(cx / W, top / H), ((cx + half) / W, base / H), (cx / W, (base + 2.4 * k) / H)]
    page.patch(MplPolygon(left, closed=True, facecolor=_INK, edgecolor=_INK, lw=0.6 * k,
                          zorder=51))
    page.patch(MplPolygon(right, closed=True, facecolor="white", edgecolor=_INK, lw=0.6 * k,
                          zorder=51))
    page.text(cx, top + 0.6 * k, "N", 8.5, ha="center", va="bottom", zorder=52)
    page.text(cx, base - 1.0 * k, _t(lang, "网格北", "grid N"), 5.5, ha="center", va="top",
              zorder=52)
    return backing


def _draw_scale_bar(
    page: _Page, frame: _Box, scale: float, lang: str
) -> tuple[float, float, _Box]:
    """A segmented scale bar in the frame's lower-left corner; returns (metres, mm, its box)."""
    k = page.k
    length_m = scale_bar_length_m(scale, max_paper_mm=frame.w * 0.28)
    length_mm = length_m * 1000.0 / scale
    x0 = frame.x + 6.0 * k
    y0 = frame.y + 9.0 * k
    bar_h = 1.6 * k
    div, unit = _length_label(length_m, lang)
    backing = _Box(x0 - 3.0 * k, frame.y + 2.0 * k, length_mm + 6.0 * k + 8.0 * k, 13.5 * k)
    page.box(backing, facecolor=(1, 1, 1, 0.85), edgecolor="none", zorder=50)
    segments = 4
    seg = length_mm / segments
    for i in range(segments):
        rect = Rectangle(((x0 + i * seg) / page.W, y0 / page.H), seg / page.W, bar_h / page.H,
                         facecolor=_INK if i % 2 == 0 else "white", edgecolor=_INK,
                         lw=0.5 * k, zorder=51, gid="scalebar-segment")
        page.patch(rect)
    # One invisible rectangle spanning the whole bar: tests measure the bar by this artist.
    page.patch(Rectangle((x0 / page.W, y0 / page.H), length_mm / page.W, bar_h / page.H,
                         fill=False, edgecolor="none", lw=0, zorder=51, gid="scalebar"))
    for i in (0, segments // 2, segments):
        value = length_m * i / segments / div
        label = _fmt_int(value) if i else "0"
        page.text(x0 + i * seg, y0 + bar_h + 0.8 * k, label, 6.0, ha="center", va="bottom",
                  zorder=52)
    page.text(x0 + length_mm + 1.8 * k, y0 + bar_h / 2, unit, 6.0, ha="left", va="center",
              zorder=52)
    page.text(x0, y0 - 1.2 * k, _t(lang, "比例尺 1:", "Scale 1:") + _fmt_int(scale), 6.5,
              ha="left", va="top", zorder=52)
    return length_m, length_mm, backing


def _inset_box(content: MapContent, frame: _Box, extent: tuple[float, float, float, float],
               k: float) -> _Box:
    """Where the location inset goes: the free map corner that hides the fewest features.

    The bottom right is the usual place; when the view ends at the data (a coverage map
    framed on its blocks) the inset would hide some, so the top-left corner (the other one
    clear of the north arrow and the scale bar) is taken when it hides fewer.
    """
    side = min(0.26 * min(frame.w, frame.h), 46.0 * k)
    corners = [_Box(frame.x + frame.w - side - 2.0 * k, frame.y + 2.0 * k, side, side),
               _Box(frame.x + 2.0 * k, frame.y + frame.h - side - 2.0 * k, side, side)]
    sx = (extent[2] - extent[0]) / frame.w
    sy = (extent[3] - extent[1]) / frame.h

    def hidden(b: _Box) -> int:
        area = shapely.box(extent[0] + (b.x - frame.x) * sx, extent[1] + (b.y - frame.y) * sy,
                           extent[0] + (b.x + b.w - frame.x) * sx,
                           extent[1] + (b.y + b.h - frame.y) * sy)
        return sum(int(shapely.intersects(layer.gdf.geometry.values, area).sum())
                   for layer in content.layers)

    counts = [hidden(b) for b in corners]
    return corners[counts.index(min(counts))]


def _display_box(fig: Figure, page: _Page, box: _Box) -> Bbox:
    """A box in page millimetres as a display-space Bbox (what the label boxes are in)."""
    w, h = fig.bbox.width, fig.bbox.height
    return Bbox.from_extents(box.x / page.W * w, box.y / page.H * h,
                             (box.x + box.w) / page.W * w, (box.y + box.h) / page.H * h)


def render_page(
    content: MapContent,
    options: ExportOptions,
    *,
    basemap: BasemapImage | None = None,
    basemap_note: str | None = None,
    page_label: str | None = None,
) -> tuple[Figure, PageInfo]:
    """Lay out one page: map frame, title, legend, scale bar, north arrow and footer.

    Parameters
    ----------
    content : MapContent
        What to draw (from :func:`prepare_content`).
    options : ExportOptions
        Paper, language and texts.
    basemap : BasemapImage, optional
        Tiles already resampled to the page's extent (see :func:`fetch_basemap`).
    basemap_note : str, optional
        The basemap line of the footer; derived from the content when None.
    page_label : str, optional
        E.g. "第 2/7 页" in an atlas.

    Returns
    -------
    Figure, PageInfo
        The figure (not yet saved; call inside the export rc settings) and
        the page's facts.
    """
    lang = options.lang or content.lang
    k = options.k
    W, H = options.page_mm()  # noqa: N806
    fig = Figure(figsize=(W / MM_PER_INCH, H / MM_PER_INCH))
    FigureCanvasAgg(fig)
    page = _Page(fig, options)
    rows = _legend_rows(content)
    header, frame, legend_box, footer = _layout(options, len(rows))

    extent, scale = _extent_for_frame(content.extent_gk, frame, options.round_scale)
    ax = fig.add_axes(page.rect(frame))
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.8 * k)
        spine.set_color(_INK)
        spine.set_zorder(60)
    ax.set_facecolor("white")
    if basemap is not None:
        _draw_basemap(ax, basemap)
    schematic = _draw_layers(ax, content, extent, k)
    if content.highlight is not None:
        hl = _HIGHLIGHT_STYLE
        gtype = content.highlight.geom_type.iloc[0]
        family = "Polygon" if "Polygon" in gtype else "LineString" if "Line" in gtype else "Point"
        _draw_features(ax, family, list(content.highlight), hl, k, 40)
    for overlay in content.overlays:
        overlay.draw(ax, content.extent_gk, content.epsg, lang)
    ax.set_xlim(extent[0], extent[2])  # scatter/imshow may have touched the limits
    ax.set_ylim(extent[1], extent[3])

    # Header: title, subtitle, the schematic note.
    title = options.title or default_title(lang, content.choropleth)
    if options.figure_no is not None:
        title = _t(lang, f"图{options.figure_no}　", f"Figure {options.figure_no}. ") + title
    subtitle = options.subtitle if options.subtitle is not None else _default_subtitle(content)
    note_w = 48.0 * k if schematic else 0.0
    title_w = header.w - note_w - 2.0 * k
    title_size = 16.0
    while title_size > 11.0 and _text_width_mm(title, title_size * k) > title_w:
        title_size -= 0.5
    # A title that still does not fit goes on two lines (the subtitle then yields its place).
    title_lines = _wrap(title, title_w, title_size * k)
    if len(title_lines) > 1:
        title_size = 10.0
        title_lines = _wrap(title, title_w, title_size * k)[:2]
        title_lines[-1] = _ellipsize(title_lines[-1], title_w, title_size * k)
    for i, line in enumerate(title_lines):
        page.text(header.x, header.y + header.h - i * title_size * PT_TO_MM * k * 1.3, line,
                  title_size, ha="left", va="top")
    if page_label:
        subtitle = f"{subtitle}    {page_label}" if subtitle else page_label
    if len(title_lines) == 1:
        sub_size = 9.0
        while sub_size > 7.0 and _text_width_mm(subtitle, sub_size * k) > title_w:
            sub_size -= 0.5
        page.text(header.x, header.y + 1.0 * k, _ellipsize(subtitle, title_w, sub_size * k),
                  sub_size, ha="left", va="bottom", color="#444444")
    if schematic:
        nx = header.x + header.w - note_w
        page.box(_Box(nx, header.y + 1.0 * k, note_w, header.h - 1.0 * k), facecolor="white",
                 edgecolor=_SCHEMATIC_RED, lw=0.9 * k)
        page.text(nx + note_w / 2, header.y + header.h - 2.0 * k,
                  _t(lang, "示意图", "Schematic map"), 11.0,
                  ha="center", va="top", color=_SCHEMATIC_RED)
        page.text(nx + note_w / 2, header.y + 2.5 * k,
                  _t(lang, "虚线要素为示意位置，不作定位依据",
                     "Dashed features are schematic, not surveyed"),
                  6.0, ha="center", va="bottom", color=_SCHEMATIC_RED)
    page.line([header.x, header.x + header.w], [header.y - 1.5 * k] * 2, color=_INK,
              lw=0.8 * k)

    # Map furniture.
    reserved = [_draw_north_arrow(page, frame, lang)]
    bar_m, bar_mm, bar_box = _draw_scale_bar(page, frame, scale, lang)
    reserved.append(bar_box)
    if options.inset:
        inset_box = _inset_box(content, frame, extent, k)
        if draw_inset(fig, page.rect(inset_box), extent, content.epsg, lang, k) is not None:
            reserved.append(inset_box)
    # Names last, so their boxes can keep clear of the furniture (the same rule as on screen).
    label_texts = draw_labels(
        ax, label_candidates(content, extent, scale, k, lang), k,
        reserved=[_display_box(fig, page, b) for b in reserved])

    legend_labels = _draw_legend(page, legend_box, rows, lang)

    # Footer: sources, basemap, CRS; date and 审图号 on the right.
    map_date = options.map_date or local_today()
    centre_lon, centre_lat = pyproj.Transformer.from_crs(
        f"EPSG:{content.epsg}", WGS84, always_xy=True
    ).transform((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2)
    gamma = _meridian_convergence_deg(centre_lon, centre_lat, content.epsg)
    if basemap_note is None:
        basemap_note = _basemap_line(content.basemap, lang, status="none"
                                     if not content.basemap.sources else "drawn")
    sources = _sources(content, extent, lang)
    src_label = _t(lang, "数据来源：", "Sources: ")
    joined = _t(lang, "；", "; ").join(sources)
    src_text = src_label + (joined if sources else _t(lang, "无", "none"))
    crs_text = _t(
        lang,
        f"坐标系：CGCS2000 高斯-克吕格 3° 带（EPSG:{content.epsg}），比例尺按此量算；"
        f"指北针为坐标网格北（与真北夹角 {abs(gamma):.2f}°）",
        f"CRS: CGCS2000 3° Gauss-Krüger (EPSG:{content.epsg}), scale measured in it; "
        f"north arrow = grid north ({abs(gamma):.2f}° from true north)",
    )
    right_w = 46.0 * k
    left_w = footer.w - right_w - 3.0 * k
    # The basemap credit and the CRS line are printed whole; the list of sources gives way
    # (smaller text, then its last line shortened) when the footer is full.
    for size in (6.0, 5.5, 5.0):
        line_h = size * PT_TO_MM * k * 1.45
        room = math.floor(footer.h / line_h + 1e-6)
        fixed = _wrap(basemap_note, left_w, size * k) + _wrap(crs_text, left_w, size * k)
        src_lines = _wrap(src_text, left_w, size * k)
        if len(src_lines) + len(fixed) <= room:
            break
    keep = max(room - len(fixed), 1)
    if len(src_lines) > keep:
        src_lines = [*src_lines[: keep - 1],
                     _ellipsize("".join(src_lines[keep - 1:]), left_w, size * k)]
    for i, line in enumerate([*src_lines, *fixed]):
        page.text(footer.x, footer.y + footer.h - i * line_h, line, size, ha="left", va="top",
                  color="#333333")
    rx = footer.x + footer.w
    page.text(rx, footer.y + footer.h, _t(lang, "制图日期：", "Date: ") + map_date.isoformat(),
              7.0, ha="right", va="top")
    if options.review_no:
        page.text(rx, footer.y + footer.h - 4.0 * k,
                  _t(lang, "审图号：", "Map approval No.: ") + options.review_no, 7.0,
                  ha="right", va="top")
    page.text(rx, footer.y, _t(lang, "鹤壁经开区空间布局查看器", "Hebi ETDZ layout viewer"),
              5.5, ha="right", va="bottom", color="#777777")

    info = PageInfo(
        scale_denominator=scale,
        scale_bar_m=bar_m,
        scale_bar_mm=bar_mm,
        extent_gk=extent,
        frame_mm=(frame.x, frame.y, frame.w, frame.h),
        legend_labels=legend_labels,
        schematic=schematic,
        basemap_note=basemap_note,
        texts=list(page.texts),
        labels=label_texts,
    )
    return fig, info
