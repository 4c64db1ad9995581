"""Synthetic big layers around Hebi shared by the map benchmarks (bench_map_scale, bench_tiles)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from layers.schema import LayerSpec, Style

__all__ = ["LAT", "LON", "boxes", "points", "user_spec"]

LON, LAT = 114.30, 35.75


def points(n: int, half_w: float, half_h: float) -> gpd.GeoDataFrame:
    """``n`` named points scattered uniformly (seed 1) within ±half_w/±half_h degrees of Hebi."""
    rng = np.random.default_rng(1)
    x = LON - half_w + rng.random(n) * 2 * half_w
    y = LAT - half_h + rng.random(n) * 2 * half_h
    return gpd.GeoDataFrame({"name": [f"点{i}" for i in range(n)]},
                            geometry=gpd.points_from_xy(x, y), crs=4326)


def boxes(n: int, half_w: float, half_h: float, size: float) -> gpd.GeoDataFrame:
    """``n`` building-sized named boxes (``size`` degrees wide, seed 0) scattered around Hebi."""
    rng = np.random.default_rng(0)
    x = LON - half_w + rng.random(n) * 2 * half_w
    y = LAT - half_h + rng.random(n) * 2 * half_h
    geoms = shapely.box(x, y, x + size, y + size * 0.8)
    return gpd.GeoDataFrame({"name": [f"建筑{i}" for i in range(n)]}, geometry=geoms, crs=4326)


def user_spec(geometry: str, title_zh: str, title_en: str, radius: float) -> LayerSpec:
    """The catalogue declaration of an uploaded layer as the app draws it (tooltip: its name)."""
    return LayerSpec(id="u_bench", title_zh=title_zh, title_en=title_en, group="user",
                     geometry=geometry,  # type: ignore[arg-type]
                     style=Style("#d62728", weight=1.0, fill_opacity=0.2, radius=radius),
                     tooltip=("name",))
