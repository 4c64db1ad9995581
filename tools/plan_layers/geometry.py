"""Geometry helpers, shared constants and the output :class:`Feature`."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry import (
    LineString,
    MultiPolygon,
    Point,
    Polygon,
    mapping,
)
from shapely.geometry.base import BaseGeometry

from spatial.crs import GK_EPSG_HEBI, WGS84

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "data" / "geo"
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"

BONDED_AREA_KM2 = 2.87  # 鹤壁综合保税区, approved area (plan text)
WETLAND_AREA_HA = 332.5  # 淇河国家湿地公园, published area (PLACES.md §4)
FITNESS_CENTRE_HA = 4.0  # 全民健身中心: 4万平方米 green leisure area (第十五章)

# GB 50180-2018 walking radii of the life-circle tiers (coverage-methods.md §1.1).
RADIUS_10MIN_M = 500.0
RADIUS_5MIN_M = 300.0

# Residential densities for the population estimates (persons per km² of residential block).
# Hebi's new city had ~30万 residents on 35 km² built-up land (日照日报 2013-10-18 "生态鹤壁");
# with roughly 30 % of it residential that is ≈2.8万/km² - low next to GB 50180-2018, whose
# 10-min circle puts 1.5–2.5万 on 32–50 ha (3–8万/km²), as expected for the province's least
# dense city. Resettled-village communities (multi-storey) are taken at ~60 % of that.
DENSITY_NEW_TOWN = 28_000.0
DENSITY_RESETTLED = 16_000.0

PLAN = "鹤壁经开区“十四五”规划"  # the plan text; chapter numbers are not cited (no copy here)
PLACES = "shared/reference/PLACES.md"

Coords = Sequence[tuple[float, float]]

_TO_GK = Transformer.from_crs(WGS84, f"EPSG:{GK_EPSG_HEBI}", always_xy=True)
_TO_WGS = Transformer.from_crs(f"EPSG:{GK_EPSG_HEBI}", WGS84, always_xy=True)

# --- geometry helpers ---------------------------------------------------------------------------


def _transform(geom: BaseGeometry, tr: Transformer) -> BaseGeometry:
    """Apply a pyproj transformer to every vertex of a geometry."""
    def fn(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def gk(geom: BaseGeometry) -> BaseGeometry:
    """Project a WGS84 geometry to EPSG:4547 (metres)."""
    return _transform(geom, _TO_GK)


def wgs(geom: BaseGeometry) -> BaseGeometry:
    """Unproject an EPSG:4547 geometry to WGS84."""
    return _transform(geom, _TO_WGS)


def line(coords: Coords) -> LineString:
    """A WGS84 LineString from lon/lat pairs."""
    return LineString(coords)


def circle(lon: float, lat: float, radius_m: float) -> Polygon:
    """A WGS84 polygon approximating a circle of ``radius_m`` metres (64 vertices)."""
    poly = wgs(gk(Point(lon, lat)).buffer(radius_m, quad_segs=16))
    assert isinstance(poly, Polygon)
    return poly


def area_km2(geom: BaseGeometry) -> float:
    """Area of a WGS84 geometry in km², measured in EPSG:4547."""
    return float(gk(geom).area) / 1e6


def round_geom(geom: BaseGeometry) -> BaseGeometry:
    """Round coordinates to 6 decimals and drop repeated vertices; refuse invalid results."""
    out = shapely.remove_repeated_points(shapely.transform(geom, lambda xy: np.round(xy, 6)))
    if not out.is_valid and geom.geom_type in ("Polygon", "MultiPolygon"):
        # A sliver pinched by rounding: snap-round instead (GEOS keeps the result valid).
        out = shapely.set_precision(geom, 1e-6)
    if not out.is_valid:
        raise ValueError(f"geometry invalid after rounding: {shapely.is_valid_reason(out)}")
    return out


def bisect(fn: Callable[[float], float], target: float, lo: float, hi: float) -> float:
    """Solve ``fn(x) = target`` for a monotone ``fn`` on ``[lo, hi]`` (60 halvings)."""
    f_lo = fn(lo) - target
    if f_lo * (fn(hi) - target) > 0:
        raise ValueError(f"target {target} not bracketed by [{lo}, {hi}]")
    for _ in range(60):
        mid = (lo + hi) / 2.0
        f_mid = fn(mid) - target
        if f_lo * f_mid <= 0:
            hi = mid
        else:
            lo, f_lo = mid, f_mid
    return (lo + hi) / 2.0


def crossing(a: BaseGeometry, b: BaseGeometry) -> Point:
    """The single crossing point of two lines (raises if they do not cross exactly once)."""
    hit = a.intersection(b)
    if not isinstance(hit, Point):
        raise ValueError(f"expected one crossing, got {hit.geom_type}")
    return hit


def slug(text: str) -> str:
    """An ascii slug: lower case, runs of other characters become '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def polygonal(geom: BaseGeometry, min_m2: float = 1_000.0) -> Polygon | MultiPolygon:
    """Keep only the polygon parts of an overlay result larger than ``min_m2``."""
    parts = [
        g for g in getattr(geom, "geoms", [geom])
        if isinstance(g, Polygon) and gk(g).area >= min_m2
    ]
    if not parts:
        raise ValueError("overlay left no polygon")
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


# --- features -----------------------------------------------------------------------------------


@dataclass
class Feature:
    """One output feature: the common properties, its geometry and layer-specific extras."""

    id: str
    name: str
    name_en: str
    kind: str
    source: str
    confidence: str
    geometry: BaseGeometry | None
    extra: dict[str, Any] = field(default_factory=dict)

    def properties(self) -> dict[str, Any]:
        """Common properties first, then the extras, in a stable order."""
        props: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "name_en": self.name_en,
            "kind": self.kind,
            "source": self.source,
            "confidence": self.confidence,
        }
        props.update(self.extra)
        return props

    def to_json(self) -> dict[str, Any]:
        """The GeoJSON Feature with coordinates rounded to 6 decimals."""
        geom = None if self.geometry is None else mapping(round_geom(self.geometry))
        return {"type": "Feature", "properties": self.properties(), "geometry": geom}
