"""城市体检 coverage indicators (TD/T 1063-2021) by their names, each read three ways.

TD/T 1063-2021《国土空间规划城市体检评估规程》 names walking-coverage indicators
such as 社区养老设施5分钟步行覆盖率 or 社区小学10分钟步行覆盖率. In practice the
覆盖率 is read three ways, so each indicator is given as all three:

* ``pop_share`` — residents whose block reaches a facility on foot / all residents;
* ``area_share`` — residential land (block area) that does / all residential land;
* ``total_area_share`` — the study area (the planning units, else the hull of the
  residential blocks) inside the indicator's walkshed / the study area.

An indicator counts the facilities of its category at the listed tiers within
its own walking distance (the rule table's default for the named minutes), in
its own Dijkstra run, so a 5-minute 卫生服务站 500 m away does count for the
15-minute health indicator. 15分钟社区生活圈覆盖率 asks for every category that
has any facility within its 15-minute distance. The indicator list and the
default targets are general knowledge (GK) and editable. The 85 % for the
15-minute life circle is the *national* 14th Five-Year Plan figure, quoted
second-hand (人文地理 2024, coverage-methods.md [T5]); the ETDZ plan sets no
生活圈 coverage target (its 一刻钟生活圈 sentences give none), so the target's
source says so rather than reading as this plan's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from spatial.coverage.model import CoverageModel
from spatial.coverage.walksheds import WALKSHED_BAND_M, walkshed_polygons
from spatial.network import PointSources, distances_from_point_sources, point_distances
from spatial.service_categories import CATEGORY_CODES

__all__ = [
    "CHECKUP_INDICATORS",
    "LIFE_CIRCLE_TARGET_SOURCE",
    "USER_TARGET_SOURCE",
    "CheckupIndicator",
    "checkup_table",
    "study_area",
]


@dataclass(frozen=True)
class CheckupIndicator:
    """One 体检 indicator: which facilities, within how many minutes, and its default target."""

    code: str
    name: str
    name_en: str
    categories: tuple[str, ...]  # empty = every category (the life-circle indicator)
    levels: tuple[int, ...]
    minutes: int
    target: float  # share, 0–1
    target_source: str


# Not this plan's: a national figure quoted second-hand (the CSV of the CLI writes it as is).
LIFE_CIRCLE_TARGET_SOURCE = (
    "national 14th Five-Year Plan 2025 target 85 %, quoted from Human Geography (人文地理) 2024 "
    "(coverage-methods.md [T5]); not a target of the ETDZ plan"
)

USER_TARGET_SOURCE = "set by the user"

CHECKUP_INDICATORS: tuple[CheckupIndicator, ...] = (
    CheckupIndicator("elderly_5", "社区养老设施5分钟步行覆盖率",
                     "Community elderly care within 5 min walk", ("elderly",), (5, 10, 15), 5,
                     1.0, "GK: full coverage, the usual planning aim"),
    CheckupIndicator("primary_10", "社区小学10分钟步行覆盖率",
                     "Primary school within 10 min walk", ("education",), (10,), 10,
                     1.0, "GK: full coverage, the usual planning aim"),
    CheckupIndicator("middle_15", "社区中学15分钟步行覆盖率",
                     "Middle school within 15 min walk", ("education",), (15,), 15,
                     1.0, "GK: full coverage, the usual planning aim"),
    CheckupIndicator("health_15", "社区卫生服务设施15分钟步行覆盖率",
                     "Community health facility within 15 min walk", ("health",), (5, 10, 15),
                     15, 1.0, "GK: full coverage, the usual planning aim"),
    CheckupIndicator("fitness_15", "社区体育设施15分钟步行覆盖率",
                     "Community sport facility within 15 min walk", ("fitness",), (5, 10, 15),
                     15, 1.0, "GK: full coverage, the usual planning aim"),
    CheckupIndicator("culture_15", "社区文化活动设施15分钟步行覆盖率",
                     "Community culture facility within 15 min walk", ("culture",), (5, 10, 15),
                     15, 1.0, "GK: full coverage, the usual planning aim"),
    CheckupIndicator("life_circle_15", "15分钟社区生活圈覆盖率",
                     "15-minute community living-circle coverage", (), (5, 10, 15), 15,
                     0.85, LIFE_CIRCLE_TARGET_SOURCE),
)


def study_area(model: CoverageModel, units: gpd.GeoDataFrame | None = None) -> Any:
    """The area the total-area share divides by: the units' union, else the blocks' hull."""
    if units is not None and len(units):
        geoms = np.asarray(units.to_crs(model.network.crs).geometry.values, dtype=object)
        return shapely.union_all(shapely.make_valid(geoms[~shapely.is_missing(geoms)]))
    located = model.places.geometry[model.places.located]
    return shapely.convex_hull(shapely.union_all(np.asarray(located, dtype=object)))


def _facility_rows(
    model: CoverageModel, category: str, levels: tuple[int, ...]
) -> NDArray[np.int64]:
    f = model.facilities
    ok = (
        (f["group"].to_numpy(dtype=np.int64) >= 0)
        & (f["category"].to_numpy() == category)
        & np.isin(f["level_min"].to_numpy(dtype=np.int64), levels)
    )
    return np.flatnonzero(ok)


def checkup_table(
    model: CoverageModel,
    targets: Mapping[str, float] | None = None,
    area: Any = None,
    band_m: float = WALKSHED_BAND_M,
) -> pd.DataFrame:
    """The 体检 indicators with their three shares, target and verdict.

    Parameters
    ----------
    model : CoverageModel
    targets : mapping of indicator code → share (0–1), optional
        Overrides the default targets.
    area : geometry, optional
        The study area in the network CRS (:func:`study_area` by default).
    band_m : float
        Walkshed band (see :mod:`spatial.coverage.walksheds`).

    Returns
    -------
    DataFrame
        code, name, name_en, walk_m, n_facilities, applicable, pop_share,
        area_share, total_area_share, target, target_source (the default's source, or
        :data:`USER_TARGET_SOURCE` where ``targets`` changed it), meets (True/False;
        NA where not applicable or no population).
    """
    targets = dict(targets or {})
    area = study_area(model) if area is None else area
    area_total = float(shapely.area(area)) if area is not None else 0.0
    p = model.places
    pop, res_area = p.pop_weight, p.area_weight
    # One Dijkstra call: one group per (indicator, category), each with its own distance.
    keys: list[tuple[int, str]] = []
    for k, ind in enumerate(CHECKUP_INDICATORS):
        for cat in ind.categories or CATEGORY_CODES:
            keys.append((k, cat))
    seg, along, grp, extra, limits = [], [], [], [], []
    base = model.sources(np.arange(0))
    for g, (k, cat) in enumerate(keys):
        ind = CHECKUP_INDICATORS[k]
        rows = _facility_rows(model, cat, ind.levels)
        src = model.sources(rows)
        seg.append(src.segment)
        along.append(src.along)
        extra.append(src.extra)
        grp.append(np.full(len(rows), g, dtype=np.int64))
        limits.append(model.rules.default_m(cat, ind.minutes))
    sources = PointSources(
        np.concatenate([base.segment, *seg]), np.concatenate([base.along, *along]),
        np.concatenate([base.group, *grp]), np.concatenate([base.extra, *extra]),
    )
    lim = np.asarray(limits, dtype=float)
    node = distances_from_point_sources(model.network, sources, len(keys), lim)
    dist = point_distances(model.network, node, p.snapped.segment, p.snapped.along, sources)
    if model.settings.add_access_offset:
        dist = dist + np.nan_to_num(p.snapped.offset)[:, None]
    reach = dist <= lim[None, :]
    has = np.bincount(sources.group, minlength=len(keys)) > 0
    sheds = walkshed_polygons(model.network, node, lim, sources, band_m)
    rows_out = []
    for k, ind in enumerate(CHECKUP_INDICATORS):
        gs = [g for g, (kk, _) in enumerate(keys) if kk == k and has[g]]
        shed: Any
        applicable = bool(gs)
        if ind.categories:
            covered = reach[:, gs].any(axis=1) if gs else np.zeros(len(p), dtype=bool)
            shed_parts = [sheds[g] for g in gs if sheds[g] is not None]
            shed = (
                shapely.union_all(np.asarray(shed_parts, dtype=object)) if shed_parts else None
            )
        else:
            # Every category that has a facility must be in reach; the shed is their overlap.
            covered = reach[:, gs].all(axis=1) if gs else np.zeros(len(p), dtype=bool)
            shed = None
            for g in gs:
                part = sheds[g]
                shed = part if shed is None else (
                    None if part is None else shapely.intersection(shed, part)
                )
        n_fac = sum(
            model.facilities.iloc[_facility_rows(model, cat, ind.levels)]["facility_id"].nunique()
            for cat in (ind.categories or CATEGORY_CODES)
        )
        pop_share = float(pop @ covered / pop.sum()) if pop.sum() > 0 else math.nan
        area_share = float(res_area @ covered / res_area.sum()) if res_area.sum() > 0 else math.nan
        total_share = (
            float(shapely.area(shapely.intersection(shed, area)) / area_total)
            if shed is not None and area_total > 0 else 0.0
        )
        if not applicable:
            pop_share = area_share = total_share = math.nan
        target = float(targets.get(ind.code, ind.target))
        meets: object = pd.NA if not np.isfinite(pop_share) else bool(pop_share >= target - 1e-12)
        rows_out.append({
            "code": ind.code, "name": ind.name, "name_en": ind.name_en,
            "walk_m": float(max(lim[[g for g, (kk, _) in enumerate(keys) if kk == k]])),
            "n_facilities": int(n_fac), "applicable": applicable, "pop_share": pop_share,
            "area_share": area_share, "total_area_share": total_share, "target": target,
            # An edited target is the planner's own: its default's source no longer applies.
            "target_source": (ind.target_source if abs(target - ind.target) < 1e-12
                              else USER_TARGET_SOURCE),
            "meets": meets,
        })
    return pd.DataFrame(rows_out)
