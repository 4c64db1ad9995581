"""Synthetic layers for the coverage tests (EPSG:4547, metres): small and with known structure."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely.affinity import translate
from shapely.geometry import LineString

from spatial.service_categories import CATEGORY_CODES, LEVELS_MIN

GK = "EPSG:4547"
# Somewhere in Hebi in EPSG:4547 (x ≈ 114.3°E, y ≈ 35.7°N), so WGS84 exports land in the zone.
ORIGIN = (527_000.0, 3_952_000.0)


def random_city(
    seed: int, n: int = 14, step: float = 80.0, origin: tuple[float, float] = (0.0, 0.0)
) -> gpd.GeoDataFrame:
    """A jittered n × n street grid with missing links, bent streets, a bridge and a loop road."""
    rng = np.random.default_rng(seed)
    jitter = rng.uniform(-15, 15, size=(n, n, 2))
    pts = np.stack(np.meshgrid(np.arange(n) * step, np.arange(n) * step, indexing="ij"), -1)
    pts = pts + jitter + np.asarray(origin)
    lines: list[LineString] = []
    bridge: list[bool] = []
    for i in range(n):
        for j in range(n):
            for di, dj in ((1, 0), (0, 1)):
                if i + di < n and j + dj < n and rng.random() > 0.12:
                    a, b = pts[i, j], pts[i + di, j + dj]
                    mid = (a + b) / 2 + rng.uniform(-10, 10, 2)  # bent: length ≠ chord
                    lines.append(LineString([a, mid, b]))
                    bridge.append(False)
    # A long bridge across the grid diagonal (crosses many streets, joins none of them).
    lines.append(LineString([pts[1, 1], pts[n - 2, n - 3]]))
    bridge.append(True)
    # A closed loop road attached at one point.
    cx, cy = pts[n // 3, n // 3]
    loop = [(cx, cy), (cx + 30, cy + 20), (cx, cy + 40), (cx - 30, cy + 20), (cx, cy)]
    lines.append(LineString(loop))
    bridge.append(False)
    return gpd.GeoDataFrame({"bridge": bridge, "road_class": "local"}, geometry=lines, crs=GK)


def random_places(roads: gpd.GeoDataFrame, n: int, seed: int) -> gpd.GeoDataFrame:
    """n square residential blocks (20–60 m) with populations 50–3000."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = roads.total_bounds
    cx, cy = rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)
    half = rng.uniform(10, 30, n)
    geoms = shapely.box(cx - half, cy - half, cx + half, cy + half)
    return gpd.GeoDataFrame(
        {
            "id": [f"res{i}" for i in range(n)],
            "name": [f"小区{i}" for i in range(n)],
            "population": rng.integers(50, 3000, n).astype(float),
        },
        geometry=geoms,
        crs=roads.crs,
    )


def random_facilities(roads: gpd.GeoDataFrame, n: int, seed: int) -> gpd.GeoDataFrame:
    """n facilities of random category and level; a few typed ones with their own rule distance."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = roads.total_bounds
    cats = rng.choice(CATEGORY_CODES, n)
    levels = rng.choice(LEVELS_MIN, n)
    types = np.full(n, "", dtype=object)
    types[: n // 6] = "轨道交通站点"
    cats[: n // 6] = "green_mobility"
    levels[: n // 6] = 15
    return gpd.GeoDataFrame(
        {
            "id": [f"fac{i}" for i in range(n)],
            "name": [f"设施{i}" for i in range(n)],
            "category": cats,
            "level_min": levels,
            "facility_type": types,
        },
        geometry=shapely.points(rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)),
        crs=roads.crs,
    )


def street(origin: tuple[float, float] = (0.0, 0.0)) -> gpd.GeoDataFrame:
    """A main street y=0 from x=0 to 1200 with cross streets every 300 m (shifted by origin)."""
    lines = [LineString([(0, 0), (1200, 0)])]
    lines += [LineString([(x, -100), (x, 100)]) for x in (0, 300, 600, 900, 1200)]
    return gpd.GeoDataFrame(geometry=[translate(g, *origin) for g in lines], crs=GK)


def blocks(origin: tuple[float, float] = (0.0, 0.0)) -> gpd.GeoDataFrame:
    """Three 40 × 40 m blocks north of :func:`street`, access points 30 m from it.

    Populations 1000, 2000, 3000 at x = 100, 500, 1000: a facility at (20, -5)
    is 80, 480 and 980 m away along the street.
    """
    return gpd.GeoDataFrame(
        {
            "id": ["r1", "r2", "r3"],
            "name": ["东苑", "中苑", "西苑"],
            "population": [1000.0, 2000.0, 3000.0],
        },
        geometry=[
            translate(shapely.box(x - 20, 10, x + 20, 50), *origin) for x in (100, 500, 1000)
        ],
        crs=GK,
    )
