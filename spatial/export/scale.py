"""Round ratio scales and scale-bar lengths of a printed map."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pyproj

from spatial._errors import ExportError

if TYPE_CHECKING:
    pass


_NICE_SCALE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)


def nice_scale_denominator(required: float) -> float:
    """Return the smallest round ratio-scale denominator not below ``required``.

    Parameters
    ----------
    required : float
        Metres on the ground per metre on paper needed to show the extent.

    Returns
    -------
    float
        A number ``m × 10^n`` with ``m`` in 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8,
        e.g. 48 700 → 50 000.
    """
    if not math.isfinite(required) or required <= 0:
        raise ExportError("地图范围无效。", "The map extent is not valid.")
    exp = math.floor(math.log10(required))
    for e in (exp, exp + 1):
        for m in _NICE_SCALE_STEPS:
            value = m * 10.0**e
            if value >= required * (1 - 1e-9):
                return value
    return 10.0 ** (exp + 1)  # pragma: no cover - the loop always returns


def scale_bar_length_m(scale_denominator: float, max_paper_mm: float) -> float:
    """Return the longest round ground length whose bar fits in ``max_paper_mm``.

    Parameters
    ----------
    scale_denominator : float
        Ratio scale 1 : ``scale_denominator``.
    max_paper_mm : float
        Longest bar allowed on paper.

    Returns
    -------
    float
        A length ``1, 2 or 5 × 10^n`` metres.
    """
    max_ground = max_paper_mm / 1000.0 * scale_denominator
    exp = math.floor(math.log10(max_ground))
    best = 10.0**exp
    for m in (1.0, 2.0, 5.0):
        if m * 10.0**exp <= max_ground:
            best = m * 10.0**exp
    return best


def _fmt_int(value: float) -> str:
    """Format a round number without a thousands separator, as Chinese maps print scales."""
    return f"{value:.0f}" if abs(value - round(value)) < 1e-6 else f"{value:g}"


def _length_label(metres: float, lang: str) -> tuple[float, str]:
    """Return (divisor, unit) for labelling a length: km from 1 km, else m."""
    del lang  # units are SI in both languages
    return (1000.0, "km") if metres >= 1000 else (1.0, "m")


def _meridian_convergence_deg(lon: float, lat: float, epsg: int) -> float:
    """Angle between grid north and true north at a point (degrees, east positive)."""
    proj = pyproj.Proj(pyproj.CRS.from_epsg(epsg))
    return float(proj.get_factors(lon, lat).meridian_convergence)
