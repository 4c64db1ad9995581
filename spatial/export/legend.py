"""The printed legend: rows from the catalogue (or the classification), laid out to fit."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from matplotlib.colors import to_rgba

from layers.schema import LegendEntry
from spatial.classify import (
    Target,
    format_number,
)
from spatial.export.content import ChoroplethLayer, MapContent
from spatial.export.draw import _dashes, _layer_legend
from spatial.export.layout import _LEGEND_LINE, _LEGEND_SIZES, _Box, _Page
from spatial.export.options import (
    _CLASS_STYLE,
    _HIGHLIGHT_STYLE,
    _INK,
    _MISSING_STYLE,
    PT_TO_MM,
    PX_TO_PT,
    _t,
)
from spatial.export.text import _wrap

if TYPE_CHECKING:
    pass


def _legend_symbol(page: _Page, x: float, y: float, entry: LegendEntry, size: float) -> None:
    """Draw a legend swatch with its lower-left corner at (x, y) mm."""
    k = page.k
    st = entry.style
    w, h = 7.0 * k, size * PT_TO_MM * k * 0.9
    edge = to_rgba(st.colour, st.opacity)
    lw = st.weight * PX_TO_PT * k
    if entry.symbol == "fill":
        page.box(_Box(x, y, w, h), facecolor=to_rgba(st.fill_colour or st.colour,
                                                     st.fill_opacity),
                 edgecolor=edge, lw=lw, linestyle=_dashes(st.dash, k), zorder=40)
    elif entry.symbol == "line":
        page.line([x, x + w], [y + h / 2, y + h / 2], color=edge, lw=lw,
                  linestyle=_dashes(st.dash, k), zorder=40, solid_capstyle="butt")
    else:
        d = 2 * st.radius * PX_TO_PT * k
        page.line([x + w / 2], [y + h / 2], marker="o", markersize=d, linestyle="none",
                  markerfacecolor=to_rgba(st.fill_colour or st.colour,
                                          max(st.fill_opacity, 0.6)),
                  markeredgecolor=edge, markeredgewidth=lw * 0.6, zorder=40)


@dataclass(frozen=True)
class _LegendRow:
    label: str
    entry: LegendEntry | None  # None: a heading


def _target_line(choro: ChoroplethLayer, rule: Target | None, lang: str) -> str:
    """"目标 ≥ 37.0：达标 2 · 未达标 1", counted over the areas as on screen."""
    text = _t(lang, "目标 ", "Target ") + str(choro.target)
    if rule is None:
        return text
    met = below = missing = 0
    for value in choro.values.values():
        ok = rule.meets(None if value is None else float(value))
        met += ok is True
        below += ok is False
        missing += ok is None
    text += "：" + _t(lang, "达标 ", "met ") + str(met) + " · " + _t(lang, "未达标 ", "below ") \
        + str(below)
    if missing:
        text += " · " + _t(lang, "无数据 ", "no data ") + str(missing)
    return text


def _legend_rows(content: MapContent) -> list[_LegendRow]:
    """The legend as printed: indicator classes first (if any), then each layer's rows."""
    lang = content.lang
    rows: list[_LegendRow] = []
    choro = content.choropleth
    if choro is not None:
        c = choro.classification
        rows.append(_LegendRow(choro.name, None))
        rows.append(_LegendRow(_t(lang, "分级方法：", "Method: ") + c.describe(lang), None))
        for row in c.legend(lang):
            style = _MISSING_STYLE if row.missing else replace(_CLASS_STYLE,
                                                                fill_colour=row.colour)
            label = f"{row.label}（{row.count}）"
            rows.append(_LegendRow(label, LegendEntry(label, label, style, "fill")))
        if c.breaks:
            breaks = " | ".join(format_number(b, c.decimals) for b in c.breaks)
            rows.append(_LegendRow(_t(lang, "断点（含上限）：", "Breaks (upper, inclusive): ")
                                   + breaks, None))
        rule = choro.target_rule()
        if choro.target:
            rows.append(_LegendRow(_target_line(choro, rule, lang), None))
    for section in _layer_legend(content):
        heading = section.heading(lang)
        if heading is not None:
            rows.append(_LegendRow(heading, None))
        rows.extend(_LegendRow(row.label(lang), row.entry) for row in section.rows)
    if content.highlight is not None:
        label = _t(lang, "本图范围：", "This map: ") + (content.highlight_label or "")
        rows.append(_LegendRow(label, LegendEntry(label, label, _HIGHLIGHT_STYLE, "fill")))
    for overlay in content.overlays:
        rows.extend(_LegendRow(label, entry) for label, entry in
                    overlay.legend_rows(content.extent_gk, content.epsg, lang))
    return rows


_LegendPlacement = list[tuple[int, int, list[str]]]  # (column, first line slot, lines) per row


def _place_legend(
    rows: list[_LegendRow], size: float, cols: int, inner: _Box, sym_w: float, k: float
) -> _LegendPlacement | None:
    """Fill columns top to bottom, wrapping long labels (at most 3 lines); None if it overflows."""
    row_h = size * PT_TO_MM * k * _LEGEND_LINE
    slots = max(1, math.floor(inner.h / row_h))
    col_w = inner.w / cols
    out: _LegendPlacement = []
    col = used = 0

    def wrapped(row: _LegendRow) -> list[str]:
        avail = col_w - 3.0 * k - (0.0 if row.entry is None else sym_w)  # gutter between columns
        return _wrap(row.label, avail, size * k)

    for i, row in enumerate(rows):
        lines = wrapped(row)
        if len(lines) > 3:
            return None
        # A group heading stays with its first row: a heading at the foot of a column, its
        # symbols at the top of the next, reads as a heading of nothing.
        need = len(lines)
        if row.entry is None and i + 1 < len(rows) and rows[i + 1].entry is not None:
            need += len(wrapped(rows[i + 1]))
        if (used and used + need > slots) or used + len(lines) > slots:
            col, used = col + 1, 0
        if col >= cols:
            return None
        out.append((col, used, lines))
        used += len(lines)
    return out


def _draw_legend(page: _Page, box: _Box, rows: list[_LegendRow], lang: str) -> list[str]:
    """Lay out the legend: the largest text, then the fewest columns, at which every row fits.

    Long labels wrap instead of being cut, so every entry is printed whole. Only
    when even the smallest text in three columns cannot hold the rows does the
    legend end with a "… N more" line.
    """
    k = page.k
    page.box(box, facecolor="white", edgecolor=_INK, lw=0.6 * k, zorder=30)
    heading = _t(lang, "图例", "Legend")
    page.text(box.x + 3.0 * k, box.y + box.h - 2.5 * k, heading, 10.0, ha="left", va="top",
              zorder=41)
    inner = _Box(box.x + 3.0 * k, box.y + 2.5 * k, box.w - 6.0 * k, box.h - 12.0 * k)
    sym_w = 9.0 * k
    placed: _LegendPlacement | None = None
    size, cols = _LEGEND_SIZES[-1], 1
    for size in _LEGEND_SIZES:
        for cols in (1, 2, 3):
            if inner.w / cols < 28.0 * k:
                break
            placed = _place_legend(rows, size, cols, inner, sym_w, k)
            if placed is not None:
                break
        if placed is not None:
            break
    shown = rows
    if placed is None:  # too many rows for the panel: print what fits and say how many are left
        cols = max(1, min(3, math.floor(inner.w / (28.0 * k))))
        for n in range(len(rows) - 1, 0, -1):
            more = _t(lang, f"… 另有 {len(rows) - n} 项", f"… {len(rows) - n} more")
            shown = [*rows[:n], _LegendRow(more, None)]
            placed = _place_legend(shown, size, cols, inner, sym_w, k)
            if placed is not None:
                break
        assert placed is not None
    row_h = size * PT_TO_MM * k * _LEGEND_LINE
    col_w = inner.w / cols
    top = inner.y + inner.h
    printed: list[str] = []
    for row, (col, slot, lines) in zip(shown, placed, strict=True):
        x = inner.x + col * col_w
        first_centre = top - (slot + 0.5) * row_h
        text_x = x
        if row.entry is not None:
            h = size * PT_TO_MM * k * 0.9
            _legend_symbol(page, x, first_centre - h / 2, row.entry, size)
            text_x = x + sym_w
        for i, line in enumerate(lines):
            page.text(text_x, first_centre - i * row_h, line, size, ha="left", va="center",
                      color="#000000" if row.entry is None else _INK, zorder=41)
        printed.append(row.label)
    return printed
