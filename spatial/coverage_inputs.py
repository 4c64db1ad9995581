"""Coverage inputs from any layer: find the columns the analysis needs under their usual names.

A planner's own layer rarely uses this project's column names: a facility list
may say ``类别`` = ``就学便利圈`` where the analysis wants ``category`` =
``education``, and a residential layer may count people in ``人口`` or
``pop``. The functions here map those variants onto the canonical columns of
:func:`spatial.coverage.prepare_facilities` and
:func:`spatial.coverage.prepare_places`, so the app, the command line and any
script accept the same files. A column that cannot be found raises
:class:`MissingColumnError`, naming the column in both languages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from spatial._errors import AnalysisError
from spatial.coverage_rules import ANY_TYPE, CoverageRules
from spatial.service_categories import CATEGORIES, LEVELS_MIN

__all__ = [
    "CATEGORY_COLUMNS",
    "INPUT_GEOMETRY",
    "LEVEL_COLUMNS",
    "NAME_COLUMNS",
    "POPULATION_COLUMNS",
    "TYPE_COLUMNS",
    "MissingColumnError",
    "category_code",
    "facility_surveyed",
    "find_column",
    "geometry_family",
    "parse_level",
    "population_estimated",
    "standardise_facilities",
    "standardise_residential",
]

# Accepted column names, canonical first; matched ignoring case, spaces, '_' and '-'.
CATEGORY_COLUMNS: tuple[str, ...] = (
    "category", "类别", "服务类别", "生活圈类别", "设施类别", "圈", "service_category", "cat",
)
LEVEL_COLUMNS: tuple[str, ...] = (
    "level_min", "level", "层级", "生活圈层级", "级别", "tier", "minutes", "分钟",
)
TYPE_COLUMNS: tuple[str, ...] = ("facility_type", "设施类型", "类型", "type")
NAME_COLUMNS: tuple[str, ...] = ("name", "名称", "设施名称", "小区名称", "社区名称", "名字")
POPULATION_COLUMNS: tuple[str, ...] = (
    "population", "人口", "pop", "居住人口", "常住人口", "人口数", "人数", "户籍人口",
    "residents", "inhabitants", "pop_total",
)

# Which geometry family each coverage input needs (see :func:`geometry_family`).
INPUT_GEOMETRY: dict[str, str] = {
    "roads": "line",
    "facilities": "point",
    "residential": "polygon",
    "units": "polygon",
}

_FAMILY_OF_TYPE = {0: "point", 4: "point", 1: "line", 2: "line", 5: "line", 3: "polygon",
                   6: "polygon"}
_LAYER_NAMES = {
    "facilities": ("设施图层", "facility layer"),
    "residential": ("居住图层", "residential layer"),
}
# Chinese numerals a planner may write for the tiers ("五分钟").
_ZH_LEVELS = {"十五": 15, "十": 10, "五": 5}


class MissingColumnError(AnalysisError):
    """A layer lacks a column the analysis needs.

    Attributes
    ----------
    layer : str
        Which input (``"facilities"`` or ``"residential"``).
    column : str
        The canonical name of the missing column.
    """

    def __init__(self, layer: str, column: str, accepted: Sequence[str]) -> None:
        self.layer = layer
        self.column = column
        zh_layer, en_layer = _LAYER_NAMES.get(layer, ("图层", "layer"))
        names = " / ".join(accepted[:4])
        super().__init__(
            f"{zh_layer}缺少“{column}”字段（可用列名：{names}）。",
            f"The {en_layer} has no '{column}' column (accepted names: {names}).",
        )


def _key(name: object) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).casefold()


def find_column(frame: pd.DataFrame, accepted: Sequence[str]) -> str | None:
    """Return the frame's column that matches the first possible accepted name, or None.

    Names match ignoring case, spaces, underscores and hyphens (``Level_Min``
    finds ``level_min``); the geometry column is never returned.
    """
    geometry = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    by_key: dict[str, str] = {}
    for col in frame.columns:
        if col != geometry:
            by_key.setdefault(_key(col), str(col))
    for name in accepted:
        found = by_key.get(_key(name))
        if found is not None:
            return found
    return None


def _category_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for c in CATEGORIES:
        for label in (c.code, c.name, c.name.removesuffix("圈"), c.name_en):
            table[_key(label)] = c.code
    return table


_CATEGORY_LOOKUP = _category_lookup()


def category_code(value: object) -> str | None:
    """The category code for a code, Chinese name (``就学便利圈``) or English name, else None."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    return _CATEGORY_LOOKUP.get(_key(value))


def parse_level(value: object) -> int | None:
    """A life-circle level from ``5``, ``"10"``, ``"15分钟"``, ``"5 min"`` or ``"十分钟"``.

    Returns None for a blank value; a value that is not a tier comes back as the
    number written (the caller reports it), or -1 when no number can be read.
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return None if np.isnan(float(value)) else int(float(value))
    text = str(value).strip()
    if not text:
        return None
    digits = re.match(r"^\s*(\d+(?:\.\d+)?)", text)
    if digits:
        return int(float(digits.group(1)))
    for zh, minutes in _ZH_LEVELS.items():
        if text.startswith(zh):
            return minutes
    return -1


def _levels_for(rules: CoverageRules | None, category: str, facility_type: str) -> list[int]:
    """The tiers at which the rule table knows this type in this category (all if none)."""
    if rules is not None and facility_type:
        table = rules.table
        rows = table[
            (table["category"] == category)
            & (table["facility_type"].astype(str).str.strip() == facility_type)
            & (table["facility_type"] != ANY_TYPE)
        ]
        levels = sorted({int(v) for v in rows["level_min"]})
        if levels:
            return levels
    return list(LEVELS_MIN)


def standardise_facilities(
    facilities: gpd.GeoDataFrame, rules: CoverageRules | None = None
) -> gpd.GeoDataFrame:
    """Map a facility layer's columns onto ``category``, ``level_min``, ``facility_type``, ``name``.

    Parameters
    ----------
    facilities : GeoDataFrame
        Needs a category column (see :data:`CATEGORY_COLUMNS`) holding codes of
        :data:`spatial.service_categories.CATEGORY_CODES` or the Chinese or
        English category names. The level (:data:`LEVEL_COLUMNS`) and the type
        (:data:`TYPE_COLUMNS`) are optional.
    rules : CoverageRules, optional
        Used when a facility has no level: a type the rule table knows gives
        its tier(s).

    Returns
    -------
    GeoDataFrame
        A copy with the canonical columns. A facility without a level whose
        tier the rules cannot tell counts at every tier where its type (or the
        category) has a rule: its row is repeated once per tier, with ids
        ``<id>@<level>``, because GB 50180 tiers do not cover each other and
        the planner did not say which one it serves. Category values that are
        not understood are kept as written (the analysis names them).

    Raises
    ------
    MissingColumnError
        If no category column is found.
    """
    cat_col = find_column(facilities, CATEGORY_COLUMNS)
    if cat_col is None:
        if geometry_family(facilities) == "polygon":
            # Polygons (parks, school grounds …) are valid facilities, but the planner may
            # have picked a residential or unit layer by mistake: say what the layer lacks.
            raise AnalysisError(
                "所选设施图层是面要素，但没有类别字段（如 category / 类别）。面状设施（公园、"
                "学校用地等）可以参与分析，按边界每 100 米一处出入口计算；请确认选的是设施图层。",
                "The chosen facility layer holds polygons but no category column (category / "
                "类别 …). Polygon facilities (parks, school grounds) are accepted and reached at "
                "gates every 100 m along their edge; check that this is a facility layer.",
            )
        raise MissingColumnError("facilities", "category", CATEGORY_COLUMNS)
    out = facilities.copy()
    # Which input row each output row comes from (a facility may be repeated per tier).
    out["source_row"] = np.arange(len(out), dtype=np.int64)
    written = out[cat_col].astype("string").fillna("").str.strip()
    codes = [category_code(v) for v in written]
    out["category"] = [c if c is not None else str(v) for c, v in zip(codes, written, strict=True)]
    for canonical, accepted in (("facility_type", TYPE_COLUMNS), ("name", NAME_COLUMNS)):
        col = find_column(facilities, accepted)
        if col is not None and col != canonical:
            out[canonical] = facilities[col]
    ftype = (
        out["facility_type"].astype("string").fillna("").str.strip()
        if "facility_type" in out.columns
        else pd.Series("", index=out.index, dtype="string")
    )
    level_col = find_column(facilities, LEVEL_COLUMNS)
    levels: list[int | None] = (
        [parse_level(v) for v in facilities[level_col]] if level_col is not None
        else [None] * len(out)
    )
    if all(lv is not None for lv in levels):
        out["level_min"] = np.asarray(levels, dtype=np.int64)
        return out
    # Some facilities have no level: one row per tier they may serve.
    rows: list[int] = []
    row_levels: list[int] = []
    for i, (lv, cat, ft) in enumerate(zip(levels, out["category"], ftype, strict=True)):
        tiers = [lv] if lv is not None else _levels_for(rules, str(cat), str(ft))
        rows.extend([i] * len(tiers))
        row_levels.extend(tiers)
    repeated = np.bincount(rows, minlength=len(out)) > 1
    numbered = pd.Series([f"f{i}" for i in range(len(out))], index=out.index, dtype="string")
    ids = out["id"].astype("string").fillna(numbered) if "id" in out.columns else numbered
    expanded = out.iloc[rows].copy()
    expanded["level_min"] = np.asarray(row_levels, dtype=np.int64)
    expanded["id"] = [
        f"{ids.iloc[i]}@{lv}" if repeated[i] else ids.iloc[i]
        for i, lv in zip(rows, row_levels, strict=True)
    ]
    return expanded.reset_index(drop=True)


def standardise_residential(
    residential: gpd.GeoDataFrame, require_population: bool = True
) -> tuple[gpd.GeoDataFrame, bool]:
    """Map a residential layer's columns onto ``population`` and ``name``.

    Parameters
    ----------
    residential : GeoDataFrame
        Residential places; population under any of :data:`POPULATION_COLUMNS`.
        Thousands separators and a trailing unit (``"1,200人"``) are accepted.
    require_population : bool
        If False, a layer without a population column is still usable for the
        area shares: its ``population`` is set to 0 and the flag returned is False.

    Returns
    -------
    tuple
        The standardised copy and whether a population column was found.

    Raises
    ------
    MissingColumnError
        If no population column is found and ``require_population`` is True.
    """
    out = residential.copy()
    name_col = find_column(residential, NAME_COLUMNS)
    if name_col is not None and name_col != "name":
        out["name"] = residential[name_col]
    pop_col = find_column(residential, POPULATION_COLUMNS)
    if pop_col is None:
        if require_population:
            raise MissingColumnError("residential", "population", POPULATION_COLUMNS)
        out["population"] = 0.0
        return out, False
    values = residential[pop_col]
    if not pd.api.types.is_numeric_dtype(values):
        # "1,200" or "1200人": drop separators and units, keep what is left for the check.
        values = values.astype("string").str.replace(r"[,，\s]|人$", "", regex=True)
    out["population"] = values
    return out, True


def geometry_family(frame: gpd.GeoDataFrame) -> str | None:
    """``"point"``, ``"line"`` or ``"polygon"`` when every located feature is of that family.

    Returns None for an empty layer, one without any geometry, or a mixture.
    """
    geoms = np.asarray(frame.geometry.values, dtype=object)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    families = {_FAMILY_OF_TYPE.get(int(t)) for t in shapely.get_type_id(geoms[present])}
    if len(families) != 1:
        return None
    return families.pop()


# A population_basis that cites one of these is a count, not an area × density estimate.
_COUNTED = re.compile(r"census|survey|count|统计|普查|调查|实测|户籍|公安|登记|年鉴", re.I)
_UNSURVEYED_CONFIDENCE = frozenset({"schematic", "low", "示意", "低"})


def population_estimated(residential: pd.DataFrame) -> NDArray[np.bool_]:
    """True for places whose population is an estimate (a ``population_basis`` that is no count).

    A layer without ``population_basis`` is taken as given (the planner's own
    counts); a basis citing a census, survey or register counts as surveyed.
    """
    if "population_basis" not in residential.columns:
        return np.zeros(len(residential), dtype=bool)
    basis = residential["population_basis"].astype("string").fillna("").str.strip()
    estimated = (basis != "") & ~basis.str.contains(_COUNTED)
    return np.asarray(estimated.to_numpy(dtype=bool), dtype=bool)


def facility_surveyed(facilities: pd.DataFrame) -> NDArray[np.bool_]:
    """False for facilities not surveyed: ``confidence`` schematic/low, or ``named_in_plan`` false.

    Columns that are absent say nothing, so a planner's own POI layer counts as surveyed.
    """
    ok = np.ones(len(facilities), dtype=bool)
    if "confidence" in facilities.columns:
        conf = facilities["confidence"].astype("string").fillna("").str.strip().str.lower()
        ok &= ~conf.isin(_UNSURVEYED_CONFIDENCE).to_numpy(dtype=bool)
    if "named_in_plan" in facilities.columns:
        named = facilities["named_in_plan"].astype("string").fillna("").str.strip().str.lower()
        ok &= ~named.isin(["false", "0", "no", "否"]).to_numpy(dtype=bool)
    return ok
