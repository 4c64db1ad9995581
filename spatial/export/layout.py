"""Page geometry: header, map frame, legend panel and footer boxes in millimetres."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from spatial.export.options import _INK, PT_TO_MM, ExportOptions
from spatial.export.scale import nice_scale_denominator

if TYPE_CHECKING:
    pass


@dataclass(frozen=True)
class _Box:
    """A rectangle on the page in millimetres from the lower-left corner."""

    x: float
    y: float
    w: float
    h: float


_LEGEND_SIZES = (7.5, 7.0, 6.5, 6.0, 5.5, 5.0)  # legend text sizes tried, largest first


_LEGEND_LINE = 1.55  # row height / font size


_PORTRAIT_LEGEND_COLS = 3


def _layout(opts: ExportOptions, legend_rows: int) -> tuple[_Box, _Box, _Box, _Box]:
    """Return the header, map frame, legend panel and footer boxes of the page.

    Landscape puts the legend in a panel right of the map; portrait puts it
    under the map, as tall as its rows need in three columns (within bounds).
    """
    W, H = opts.page_mm()  # noqa: N806 - page size, as on a drawing
    k = opts.k
    m = 10.0 * k
    header_h = 15.0 * k
    footer_h = 15.0 * k
    gap = 3.0 * k
    header = _Box(m, H - m - header_h, W - 2 * m, header_h)
    footer = _Box(m, m, W - 2 * m, footer_h)
    top = header.y - gap
    bottom = footer.y + footer.h + gap
    if opts.orientation == "landscape":
        # One column while the rows fit at a readable size, else a wider panel with two.
        one_col = math.floor((top - bottom - 12.0 * k) / (6.5 * PT_TO_MM * _LEGEND_LINE * k))
        legend_w = (64.0 if legend_rows <= one_col else 96.0) * k
        legend = _Box(W - m - legend_w, bottom, legend_w, top - bottom)
        frame = _Box(m, bottom, W - 2 * m - legend_w - gap, top - bottom)
    else:
        per_col = math.ceil(max(legend_rows, 1) / _PORTRAIT_LEGEND_COLS)
        row_h = _LEGEND_SIZES[0] * PT_TO_MM * _LEGEND_LINE
        legend_h = min(max(12.5 + per_col * row_h, 24.0), 80.0) * k
        legend = _Box(m, bottom, W - 2 * m, legend_h)
        frame = _Box(m, bottom + legend_h + gap, W - 2 * m, top - bottom - legend_h - gap)
    return header, frame, legend, footer


def _extent_for_frame(
    aoi: tuple[float, float, float, float], frame: _Box, round_scale: bool
) -> tuple[tuple[float, float, float, float], float]:
    """Return the GK extent that fills the frame around the AOI, and its scale denominator."""
    minx, miny, maxx, maxy = aoi
    required = max((maxx - minx) / (frame.w / 1000.0), (maxy - miny) / (frame.h / 1000.0))
    scale = nice_scale_denominator(required) if round_scale else required
    cx, cy = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    half_w = scale * frame.w / 1000.0 / 2.0
    half_h = scale * frame.h / 1000.0 / 2.0
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h), scale


class _Page:
    """Helpers to place things on a figure in millimetres."""

    def __init__(self, fig: Figure, opts: ExportOptions) -> None:
        self.fig = fig
        self.W, self.H = opts.page_mm()
        self.k = opts.k
        self.texts: list[str] = []

    def rect(self, box: _Box) -> tuple[float, float, float, float]:
        return (box.x / self.W, box.y / self.H, box.w / self.W, box.h / self.H)

    def text(self, x: float, y: float, s: str, size: float, **kw: Any) -> None:
        """Place text at (x, y) mm; ``size`` in A4 points (scaled on A3)."""
        if not s:
            return
        self.texts.append(s)
        kw.setdefault("color", _INK)
        kw.setdefault("parse_math", False)  # "$" in a title is a dollar sign, not mathtext
        self.fig.text(x / self.W, y / self.H, s, fontsize=size * self.k, **kw)

    def line(self, xs: Sequence[float], ys: Sequence[float], **kw: Any) -> None:
        self.fig.add_artist(Line2D([x / self.W for x in xs], [y / self.H for y in ys],
                                   transform=self.fig.transFigure, **kw))

    def patch(self, patch: Any) -> None:
        patch.set_transform(self.fig.transFigure)
        self.fig.add_artist(patch)

    def box(self, box: _Box, **kw: Any) -> None:
        self.patch(Rectangle((box.x / self.W, box.y / self.H), box.w / self.W, box.h / self.H,
                             **kw))
