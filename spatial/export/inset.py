"""The location inset (区位图): where the printed map lies within 鹤壁市.

A small map in a corner of the frame: the city's boundary and its districts
(reference layer ``ref_admin``), the development zone (the plan's ETDZ extent,
else the parks) filled, and the printed frame as a red rectangle, so a reader
of a report page knows where the figure is. Drawn from the shipped catalogue;
when the reference layer cannot be read the page simply has no inset.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import geopandas as gpd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from layers.schema import Style
from spatial._errors import SpatialError
from spatial.export.content import _catalogue_source, _to_gk
from spatial.export.draw import _draw_features
from spatial.export.options import _INK, _t

__all__ = ["draw_inset", "inset_layers"]

_CITY = Style("#444444", "#ffffff", weight=1.4, fill_opacity=1.0)
_DISTRICT = Style("#9a9a9a", weight=0.6, fill_opacity=0.0, dash="3 2")
_ZONE = Style("#b2182b", "#f4a582", weight=0.9, fill_opacity=0.9)
_FRAME_COLOUR = "#d7301f"


@lru_cache(maxsize=4)
def inset_layers(epsg: int) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame] | None:
    """City, districts and the zone in the page's CRS; None when the reference data are missing."""
    try:
        _, admin = _catalogue_source("ref_admin")
        _, parks = _catalogue_source("parks")
    except (SpatialError, KeyError, OSError):
        return None
    admin = _to_gk(admin, epsg)
    if "level" in admin.columns:
        city = admin[admin["level"] == "city"]
        districts = admin[admin["level"].isin(["district", "county"])]
    else:
        city, districts = admin.iloc[:1], admin.iloc[1:]
    parks = _to_gk(parks, epsg)
    zone = parks[parks["kind"] == "etdz_extent"] if "kind" in parks.columns else parks.iloc[0:0]
    if zone.empty and "role" in parks.columns:
        zone = parks[parks["role"] == "park"]
    if city.empty:
        return None
    return city, districts, zone


def draw_inset(
    fig: Figure,
    rect: tuple[float, float, float, float],
    frame_extent: tuple[float, float, float, float],
    epsg: int,
    lang: str,
    k: float,
) -> Any | None:
    """Draw the inset in ``rect`` (figure fractions); return its axes, or None if not drawn.

    Parameters
    ----------
    fig : Figure
        The page.
    rect : tuple of float
        ``(left, bottom, width, height)`` in figure fractions.
    frame_extent : tuple of float
        What the main map shows (GK metres), outlined in red.
    epsg : int
        The page's CRS.
    lang : {"zh", "en"}
        Language of the inset's caption.
    k : float
        Page size factor.
    """
    found = inset_layers(epsg)
    if found is None:
        return None
    city, districts, zone = found
    ax = fig.add_axes(rect, zorder=55)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6 * k)
        spine.set_color(_INK)
    minx, miny, maxx, maxy = (float(v) for v in city.total_bounds)
    fx0, fy0, fx1, fy1 = frame_extent
    minx, miny = min(minx, fx0), min(miny, fy0)
    maxx, maxy = max(maxx, fx1), max(maxy, fy1)
    # Square-ish view with a margin; the axes keep metres equal on both axes.
    pad = 0.06 * max(maxx - minx, maxy - miny)
    w_in, h_in = rect[2] * fig.get_figwidth(), rect[3] * fig.get_figheight()
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w = max(maxx - minx, (maxy - miny) * w_in / h_in) / 2 + pad
    half_h = half_w * h_in / w_in
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy - half_h, cy + half_h)
    ax.set_facecolor("#f2f2f2")
    _draw_features(ax, "Polygon", list(city.geometry), _CITY, k, 1)
    if not districts.empty:
        _draw_features(ax, "Polygon", list(districts.geometry), _DISTRICT, k, 2)
    if not zone.empty:
        _draw_features(ax, "Polygon", list(zone.geometry), _ZONE, k, 3)
    ax.add_patch(Rectangle((fx0, fy0), fx1 - fx0, fy1 - fy0, fill=False,
                           edgecolor=_FRAME_COLOUR, lw=1.0 * k, zorder=4))
    name = city["name"].iloc[0] if "name" in city.columns else "鹤壁市"
    if lang == "en":
        name = str(city["name_en"].iloc[0]) if "name_en" in city.columns else "Hebi"
    ax.text(0.04, 0.96, _t(lang, f"区位图（{name}）", f"Location ({name})"),
            transform=ax.transAxes, ha="left", va="top", fontsize=6.0 * k, color=_INK,
            parse_math=False, zorder=6,
            bbox={"boxstyle": "square,pad=0.2", "fc": (1, 1, 1, 0.85), "ec": "none"})
    ax.set_aspect("auto")
    return ax
