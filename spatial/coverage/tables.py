"""Coverage tables: shares per category and level, per unit, completeness, gaps and checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from spatial.coverage.model import CoverageModel
from spatial.coverage.prepare import (
    _COMBO_INDEX,
    _DECIMALS,
    _NAME_EN,
    _NAME_ZH,
    COMBOS,
    UnitWeights,
)
from spatial.service_categories import CATEGORY_CODES, LEVELS_MIN

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
GeomArray = NDArray[np.object_]


def _share(num: FloatArray, den: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


_COMBO_COLUMNS: dict[str, list[object]] = {
    "category": [c for c, _ in COMBOS],
    "category_name": [_NAME_ZH[c] for c, _ in COMBOS],
    "category_name_en": [_NAME_EN[c] for c, _ in COMBOS],
    "level_min": [lv for _, lv in COMBOS],
}


def _combo_frame() -> pd.DataFrame:
    return pd.DataFrame(_COMBO_COLUMNS)


def n_facilities(model: CoverageModel) -> int:
    """Number of facilities, each counted once (not once per level nor per gate of a park)."""
    return int(model.facilities["source_id"].nunique())


def summary_table(model: CoverageModel) -> pd.DataFrame:
    """Population and residential-area share covered, per category × level, for the whole zone.

    Columns: category, category_name, category_name_en, level_min, n_facilities
    (on the network, each counted once), applicable (False where the level has
    no facility: its shares are NaN, "not applicable", never 0 %),
    default_max_walk_m, population, population_covered, pop_share, area_m2,
    area_covered_m2, area_share, and how much each figure rests on estimated
    inputs: pop_estimated_share (share of the covered population living in
    blocks whose population is estimated) and facilities_unsurveyed_share (share
    of the level's facilities not surveyed).
    """
    covered = model.covered.astype(float)
    pop = model.places.pop_weight
    area = model.places.area_weight
    f = model.facilities
    group = f["group"].to_numpy(dtype=np.int64)
    on = np.flatnonzero(group >= 0)
    combo = model.group_combo[group[on]]
    # One count per facility (a park's gates share its id); numpy only: this runs on every
    # what-if click, where pandas' groupby would cost more than the shortest paths.
    _, code = np.unique(f["facility_id"].to_numpy(dtype=object)[on], return_inverse=True)
    key = combo * (len(on) + 1) + code.reshape(-1)
    _, first = np.unique(key, return_index=True)
    count = np.bincount(combo[first], minlength=len(COMBOS))
    unsurveyed = ~f["surveyed"].to_numpy(dtype=bool)[on][first]
    n_unsurveyed = np.bincount(combo[first], weights=unsurveyed, minlength=len(COMBOS))
    applicable = count > 0
    total_pop = float(pop.sum())
    total_area = float(area.sum())
    pop_cov = pop @ covered
    area_cov = area @ covered
    est = np.where(model.places.estimated_flags, pop, 0.0)
    na = np.full(len(COMBOS), np.nan)
    columns: dict[str, object] = {
        "category": _COMBO_COLUMNS["category"],
        "category_name": _COMBO_COLUMNS["category_name"],
        "category_name_en": _COMBO_COLUMNS["category_name_en"],
        "level_min": _COMBO_COLUMNS["level_min"],
        "n_facilities": count,
        "applicable": applicable,
        "default_max_walk_m": [model.rules.default_m(c, lv) for c, lv in COMBOS],
        "population": np.full(len(COMBOS), total_pop),
        "population_covered": pop_cov,
        "pop_share": np.where(applicable, _share(pop_cov, np.full(len(COMBOS), total_pop)), na),
        "area_m2": np.full(len(COMBOS), total_area),
        "area_covered_m2": area_cov,
        "area_share": np.where(
            applicable, _share(area_cov, np.full(len(COMBOS), total_area)), na
        ),
        "pop_estimated_share": np.where(applicable, _share(est @ covered, pop_cov), na),
        "facilities_unsurveyed_share": np.where(
            applicable, _share(n_unsurveyed.astype(float), count.astype(float)), na
        ),
    }
    return pd.DataFrame(columns)


def input_basis(model: CoverageModel) -> dict[str, float]:
    """How much of the run rests on estimated or schematic inputs, for the whole zone.

    Returns ``pop_estimated_share`` (population in blocks whose population is
    an estimate), ``facilities_unsurveyed_share`` (facilities not surveyed,
    each counted once) and ``n_facilities``; NaN where there is nothing to count.
    """
    pop = model.places.pop_weight
    total = float(pop.sum())
    est = float(pop[model.places.estimated_flags].sum())
    f = model.facilities[~model.facilities["hypothetical"].to_numpy(dtype=bool)]
    per = f.drop_duplicates("source_id")
    n = len(per)
    unsurveyed = int((~per["surveyed"].to_numpy(dtype=bool)).sum())
    return {
        "pop_estimated_share": est / total if total > 0 else math.nan,
        "facilities_unsurveyed_share": unsurveyed / n if n else math.nan,
        "n_facilities": float(n),
    }


def rests_on_estimates(model: CoverageModel) -> bool:
    """True when any population is estimated or any facility not surveyed (show a notice)."""
    basis = input_basis(model)
    return any(
        np.isfinite(basis[k]) and basis[k] > 0
        for k in ("pop_estimated_share", "facilities_unsurveyed_share")
    )


def unit_table(model: CoverageModel, units: list[UnitWeights]) -> pd.DataFrame:
    """The shares of :func:`summary_table` for each planning unit.

    Columns: unit_layer, unit_id, unit_name, category, category_name, level_min,
    population, population_covered, pop_share, area_m2, area_covered_m2, area_share.
    """
    covered = model.covered.astype(float)
    frames = []
    combos = _combo_frame()
    for u in units:
        pop_total = np.asarray(u.pop.sum(axis=1)).ravel()
        area_total = np.asarray(u.area.sum(axis=1)).ravel()
        pop_cov = np.asarray(u.pop @ covered)
        area_cov = np.asarray(u.area @ covered)
        n_units = len(u.ids)
        frame = pd.DataFrame(
            {
                "unit_layer": u.layer,
                "unit_id": np.repeat(u.ids, len(COMBOS)),
                "unit_name": np.repeat(u.names, len(COMBOS)),
                "category": np.tile(combos["category"].to_numpy(), n_units),
                "category_name": np.tile(combos["category_name"].to_numpy(), n_units),
                "level_min": np.tile(combos["level_min"].to_numpy(), n_units),
                "population": np.repeat(pop_total, len(COMBOS)),
                "population_covered": pop_cov.ravel(),
                "area_m2": np.repeat(area_total, len(COMBOS)),
                "area_covered_m2": area_cov.ravel(),
            }
        )
        frame["pop_share"] = _share(
            frame["population_covered"].to_numpy(), frame["population"].to_numpy()
        )
        frame["area_share"] = _share(
            frame["area_covered_m2"].to_numpy(), frame["area_m2"].to_numpy()
        )
        frames.append(frame)
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def categories_in_reach(model: CoverageModel) -> dict[str, IntArray]:
    """Number of the nine categories in reach per place, per level and for any level.

    Keys ``"5"``, ``"10"``, ``"15"`` count categories covered at that level;
    ``"any"`` counts categories covered at at least one level.
    """
    covered = model.covered.reshape(len(model.places), len(CATEGORY_CODES), len(LEVELS_MIN))
    out = {
        str(lv): covered[:, :, i].sum(axis=1).astype(np.int64) for i, lv in enumerate(LEVELS_MIN)
    }
    out["any"] = covered.any(axis=2).sum(axis=1).astype(np.int64)
    return out


def completeness_table(model: CoverageModel) -> pd.DataFrame:
    """Completeness: how many categories residents have in reach, and who has all nine.

    One row per level (5, 10, 15, any): population with 0 … 9 categories in
    reach (columns ``pop_0`` … ``pop_9``), the mean number of categories per
    resident, and ``share_all_nine`` (完整生活圈覆盖率).
    """
    pop = model.places.pop_weight
    total = pop.sum()
    rows = []
    for level, counts in categories_in_reach(model).items():
        hist = np.bincount(counts, weights=pop, minlength=len(CATEGORY_CODES) + 1)
        row: dict[str, object] = {"level": level}
        row.update({f"pop_{k}": float(hist[k]) for k in range(len(CATEGORY_CODES) + 1)})
        row["mean_categories"] = float(pop @ counts / total) if total > 0 else math.nan
        row["share_all_nine"] = float(hist[len(CATEGORY_CODES)] / total) if total > 0 else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _finite_or_nan(values: FloatArray) -> FloatArray:
    return np.where(np.isfinite(values), np.round(values, _DECIMALS), np.nan)


def gap_table(model: CoverageModel) -> pd.DataFrame:
    """Residential places not covered, per category × level, largest population first.

    Only (category, level) pairs with at least one facility on the network are
    listed (a pair without any facility is one gap for everyone and shows in
    :func:`summary_table` as ``n_facilities = 0``). Unlocated places are not
    listed here (see :func:`unsnapped_table`).

    Columns: place_id, place_name, population, category, category_name,
    level_min, nearest_m (NaN = beyond the search limit or not on the network),
    excess_m (how much farther than the rule distance), status
    (``too_far`` / ``beyond_search_limit`` / ``not_on_network``).
    """
    with_fac = summary_table(model)["n_facilities"].to_numpy() > 0
    p = model.places
    gap = ~model.covered & with_fac[None, :] & p.located[:, None]
    pi, j = np.nonzero(gap)
    nearest = model.combo_dist[pi, j]
    excess = model.combo_excess[pi, j]
    status = np.where(
        ~p.snapped.ok[pi],
        "not_on_network",
        np.where(np.isfinite(nearest), "too_far", "beyond_search_limit"),
    )
    out = pd.DataFrame(
        {
            "place_id": p.ids[pi],
            "place_name": p.names[pi],
            "population": p.population[pi],
            "category": [COMBOS[k][0] for k in j],
            "category_name": [_NAME_ZH[COMBOS[k][0]] for k in j],
            "level_min": [COMBOS[k][1] for k in j],
            "nearest_m": _finite_or_nan(nearest),
            "excess_m": _finite_or_nan(excess),
            "status": status,
        }
    )
    return out.sort_values(
        ["population", "excess_m"], ascending=[False, False], na_position="first", kind="stable"
    ).reset_index(drop=True)


def straight_line_distances(model: CoverageModel) -> tuple[FloatArray, BoolArray]:
    """Straight-line distance to the nearest facility per combo, and straight-line coverage.

    Uses every located facility (also those not on the network) and the
    places' access points, i.e. what a radius drawn around each facility claims.

    Returns
    -------
    tuple
        (n_places, 27) distances and (n_places, 27) covered flags.
    """
    p = model.places
    n = len(p)
    dist = np.full((n, len(COMBOS)), np.inf)
    excess = np.full((n, len(COMBOS)), np.inf)
    f = model.facilities
    ok = np.isfinite(f["x"].to_numpy(dtype=float)) & np.isfinite(
        f["max_walk_m"].to_numpy(dtype=float)
    )
    xy = np.full((n, 2), np.nan)
    xy[p.located] = shapely.get_coordinates(p.access[p.located])
    located = np.flatnonzero(p.located)
    fl = f[ok]
    for (cat, lv, thr), grp in fl.groupby(["category", "level_min", "max_walk_m"]):
        j = _COMBO_INDEX[(str(cat), int(lv))]
        tree = cKDTree(grp[["x", "y"]].to_numpy(dtype=float))
        d, _ = tree.query(xy[located])
        dist[located, j] = np.minimum(dist[located, j], d)
        excess[located, j] = np.minimum(excess[located, j], d - float(thr))
    return dist, excess <= 0


def straight_line_table(model: CoverageModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where a straight-line radius would over-claim coverage.

    Returns
    -------
    tuple of DataFrame
        Per category × level: ``pop_share_network``, ``pop_share_straight``,
        ``overclaim_population`` (covered by a radius, not on foot),
        ``overclaim_share``, ``underclaim_population``; and per place the
        over-claimed pairs: place_id, place_name, population, category,
        level_min, straight_m, network_m.
    """
    straight_d, straight_cov = straight_line_distances(model)
    net_cov = model.covered
    pop = model.places.pop_weight
    total = pop.sum()
    over = straight_cov & ~net_cov
    under = ~straight_cov & net_cov
    summary = _combo_frame()
    summary["pop_share_network"] = _share(pop @ net_cov, np.full(len(COMBOS), total))
    summary["pop_share_straight"] = _share(pop @ straight_cov, np.full(len(COMBOS), total))
    summary["overclaim_population"] = pop @ over
    summary["overclaim_share"] = _share(pop @ over, np.full(len(COMBOS), total))
    summary["underclaim_population"] = pop @ under
    pi, j = np.nonzero(over & model.places.located[:, None])
    p = model.places
    detail = pd.DataFrame(
        {
            "place_id": p.ids[pi],
            "place_name": p.names[pi],
            "population": p.population[pi],
            "category": [COMBOS[k][0] for k in j],
            "level_min": [COMBOS[k][1] for k in j],
            "straight_m": np.round(straight_d[pi, j], _DECIMALS),
            "network_m": _finite_or_nan(model.combo_dist[pi, j]),
        }
    ).sort_values("population", ascending=False, kind="stable")
    return summary, detail.reset_index(drop=True)


def unsnapped_table(model: CoverageModel) -> pd.DataFrame:
    """Places and facilities that are not on the walking network, and why.

    Columns: layer (``residential`` / ``facilities``), id, name, status
    (``no_location`` / ``too_far_from_road`` / ``no_rule``), distance_to_road_m.
    """
    p = model.places
    rows = []
    for i in np.flatnonzero(~p.located):
        rows.append(("residential", p.ids[i], p.names[i], "no_location", math.nan))
    for i in np.flatnonzero(p.located & ~p.snapped.ok):
        rows.append(("residential", p.ids[i], p.names[i], "too_far_from_road", p.snapped.offset[i]))
    f = model.facilities
    x = f["x"].to_numpy(dtype=float)
    seg = f["segment"].to_numpy(dtype=np.int64)
    rule = np.isfinite(f["max_walk_m"].to_numpy(dtype=float))
    offset = f["offset"].to_numpy(dtype=float)
    fid = f["facility_id"].to_numpy(dtype=object)
    name = f["name"].to_numpy(dtype=object)
    for k in range(len(f)):
        if not np.isfinite(x[k]):
            status, dist = "no_location", math.nan
        elif seg[k] < 0:
            status, dist = "too_far_from_road", float(offset[k])
        elif not rule[k]:
            status, dist = "no_rule", float(offset[k])
        else:
            continue
        rows.append(("facilities", fid[k], name[k], status, dist))
    out = pd.DataFrame(rows, columns=["layer", "id", "name", "status", "distance_to_road_m"])
    out["distance_to_road_m"] = np.round(out["distance_to_road_m"].astype(float), _DECIMALS)
    return out


def place_table(model: CoverageModel) -> pd.DataFrame:
    """Long table: each place × category × level with distance, rule margin and coverage."""
    p = model.places
    n = len(p)
    combos = _combo_frame()
    out = pd.DataFrame(
        {
            "place_id": np.repeat(p.ids, len(COMBOS)),
            "place_name": np.repeat(p.names, len(COMBOS)),
            "population": np.repeat(p.population, len(COMBOS)),
            "category": np.tile(combos["category"].to_numpy(), n),
            "level_min": np.tile(combos["level_min"].to_numpy(), n),
            "nearest_m": _finite_or_nan(model.combo_dist.ravel()),
            "excess_m": _finite_or_nan(model.combo_excess.ravel()),
            "covered": model.covered.ravel(),
        }
    )
    return out



# --- names in words (never an internal id) -------------------------------------------------------

_UNNAMED: dict[str, tuple[str, str]] = {
    "facility": ("未命名设施", "Unnamed facility"),
    "place": ("未命名居住区", "Unnamed residential block"),
    "unit": ("未命名单元", "Unnamed unit"),
}


def unnamed_label(kind: str, ordinal: int, lang: str = "zh") -> str:
    """Return a name in words for a feature without one, e.g. 未命名设施（第3个）.

    ``kind`` is ``facility``, ``place`` or ``unit``; ``ordinal`` the feature's
    1-based position in its layer. Shown instead of the internal id (``f2``,
    a slug), which means nothing to a planner.
    """
    zh, en = _UNNAMED[kind]
    return f"{en} (no. {ordinal})" if lang == "en" else f"{zh}（第{ordinal}个）"


def facility_ordinals(model: CoverageModel) -> dict[str, int]:
    """Return each facility's 1-based position in its layer, by facility id and by source id.

    A facility serving several levels, or a park with several gates, has
    several rows but one position (the order of its source layer).
    """
    f = model.facilities
    order: dict[str, int] = {}
    for sid in f["source_id"].astype(str):
        order.setdefault(sid, len(order) + 1)
    out = dict(order)
    out.update({str(fid): order[str(sid)]
                for fid, sid in zip(f["facility_id"], f["source_id"], strict=True)})
    return out


def facility_names(model: CoverageModel, lang: str = "zh") -> NDArray[np.object_]:
    """Return each facility row's name, or 未命名设施（第k个） where it has none.

    In English a facility with a ``name_en`` is named by it.
    """
    f = model.facilities
    pos = facility_ordinals(model)
    names = f["name"].astype("string").fillna("")
    if lang == "en" and "name_en" in f.columns:
        en = f["name_en"].astype("string").fillna("").str.strip()
        names = en.where(en != "", names)
    return np.asarray([
        str(n).strip() or unnamed_label("facility", pos[str(i)], lang)
        for n, i in zip(names, f["facility_id"], strict=True)
    ], dtype=object)


def place_names(model: CoverageModel, lang: str = "zh") -> NDArray[np.object_]:
    """Return each residential place's name in ``lang``, or 未命名居住区（第k个） where none."""
    p = model.places
    names = p.names
    if lang == "en" and p.names_en is not None:
        names = np.asarray([str(e).strip() or str(n) for e, n in zip(p.names_en, p.names,
                                                                      strict=True)], dtype=object)
    return np.asarray([str(n).strip() or unnamed_label("place", k + 1, lang)
                       for k, n in enumerate(names)], dtype=object)


def _blank(values: pd.Series) -> NDArray[np.bool_]:
    return np.asarray(values.astype("string").fillna("").str.strip() == "", dtype=bool)


def _english(names: NDArray[np.object_] | None, ids: NDArray[np.object_]) -> dict[str, str]:
    """Id → English name, for the features that have one."""
    if names is None:
        return {}
    return {str(i): str(n).strip() for i, n in zip(ids, names, strict=True)
            if str(n).strip() and str(n) != "<NA>"}


def _english_names(
    out: pd.DataFrame, model: CoverageModel, units: list[UnitWeights] | None
) -> pd.DataFrame:
    """Put each feature's ``name_en`` where the table names it (the Chinese name where none)."""
    cols = set(map(str, out.columns))
    places = _english(model.places.names_en, model.places.ids)
    f = model.facilities
    fac = _english(f["name_en"].astype("string").fillna("").to_numpy(dtype=object)
                   if "name_en" in f.columns else None, f["facility_id"].to_numpy(dtype=object))
    fac.update(_english(f["name_en"].astype("string").fillna("").to_numpy(dtype=object)
                        if "name_en" in f.columns else None,
                        f["source_id"].to_numpy(dtype=object)))

    def put(col: str, found: list[str | None]) -> None:
        current = out[col].astype(object).to_numpy(copy=True)
        for k, name in enumerate(found):
            if name:
                current[k] = name
        out[col] = current

    if {"place_id", "place_name"} <= cols:
        put("place_name", [places.get(str(i)) for i in out["place_id"]])
    if "name" in cols and {"layer", "id"} <= cols:
        put("name", [(places if layer == "residential" else fac).get(str(i))
                     for layer, i in zip(out["layer"], out["id"], strict=True)])
    elif "name" in cols and ("facility_id" in cols or "source_id" in cols):
        ids = out["facility_id" if "facility_id" in cols else "source_id"]
        put("name", [fac.get(str(i)) for i in ids])
        out = out.drop(columns=[c for c in out.columns if str(c) == "name_en"])
    if {"unit_id", "unit_name"} <= cols and units:
        by_unit = {(u.layer, str(i)): n for u in units
                   for i, n in _english(u.names_en, u.ids).items()}
        layers = out.get("unit_layer", pd.Series([""] * len(out), index=out.index))
        put("unit_name", [by_unit.get((str(la), str(i)))
                          for la, i in zip(layers, out["unit_id"], strict=True)])
    return out


def name_unnamed(
    table: pd.DataFrame, model: CoverageModel, lang: str = "zh",
    units: list[UnitWeights] | None = None,
) -> pd.DataFrame:
    """Return a coverage table with every blank name filled in words (see :func:`unnamed_label`).

    In English (``lang="en"``) a place, facility or unit (given ``units``) with
    a ``name_en`` is named by it, as the plan map names it.

    Fills ``place_name`` (by ``place_id``), a facility's ``name`` (by
    ``facility_id`` or ``source_id``), the ``name`` of :func:`unsnapped_table`
    (by ``layer`` and ``id``) and ``unit_name`` (by its first row in the
    table), so that, once :func:`layers.fields.present_table` drops the id
    columns, every row still says which feature it is, without its id.
    """
    out = table.copy()
    if lang == "en":
        out = _english_names(out, model, units)
    cols = set(map(str, out.columns))
    places = {str(i): n + 1 for n, i in enumerate(model.places.ids)}
    facilities = facility_ordinals(model)

    def fill(name_col: str, labels: list[str]) -> None:
        blank = _blank(out[name_col])
        if blank.any():
            current = out[name_col].astype(object).to_numpy(copy=True)
            current[blank] = np.asarray(labels, dtype=object)[blank]
            out[name_col] = current

    if {"place_id", "place_name"} <= cols:
        fill("place_name", [unnamed_label("place", places.get(str(i), 0), lang)
                            for i in out["place_id"]])
    if "name" in cols and {"layer", "id"} <= cols:
        fill("name", [unnamed_label("place", places.get(str(i), 0), lang)
                      if layer == "residential"
                      else unnamed_label("facility", facilities.get(str(i), 0), lang)
                      for layer, i in zip(out["layer"], out["id"], strict=True)])
    elif "name" in cols and ("facility_id" in cols or "source_id" in cols):
        ids = out["facility_id" if "facility_id" in cols else "source_id"]
        fill("name", [unnamed_label("facility", facilities.get(str(i), 0), lang) for i in ids])
    if {"unit_id", "unit_name"} <= cols:
        keys = list(zip(out.get("unit_layer", pd.Series([""] * len(out), index=out.index)),
                        out["unit_id"], strict=True))
        first: dict[tuple[object, object], int] = {}
        for k in keys:
            first.setdefault(k, len(first) + 1)
        fill("unit_name", [unnamed_label("unit", first[k], lang) for k in keys])
    return out
