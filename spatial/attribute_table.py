"""The attribute table (属性表) of one layer: readable headers and values, filter, sort.

A row per feature, indexed by the feature's row position in its layer (what
:func:`spatial.webmap.feature_ref` and the highlight use). Headers are the
catalogue's field aliases (:meth:`layers.schema.PropertySpec.label`, else
:func:`layers.fields.field_label`); values are shown as the planner reads
them: 是/否 for booleans, the legend's wording for styled values, names for
references to other features. In Chinese mode a column whose values would be
English codes or text (``kind`` slugs, methods, file sources) is left out, and
the same holds the other way round in English mode; ids are never shown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.fields import CONFIDENCE_WORDS, display_value, field_label
from layers.schema import LayerSpec
from spatial.crs import area_m2, length_m
from spatial.feature_search import normalise
from spatial.service_categories import CATEGORIES

__all__ = ["AttributeTable", "attribute_table"]

# Shown nowhere in the table: ids, and sources that quote files (the details panel cites them).
_NEVER = {"id", "source", "facility_type"}
# A stored area is the drawn shape's (or repeats it): the table measures every area itself
# (面积（公顷）), so a second, unit-less "面积" column would only confuse. The plan's own
# figure (area_km2_plan, 规划面积) stays.
_MEASURED = {"Polygon": {"area_km2", "area_ha"}}
# Units in the header of a numeric column (its cells are bare numbers).
_HEADER_UNITS = {
    "area_km2_plan": ("平方公里", "km²"), "width_m": ("米", "m"), "radius_m": ("米", "m"),
    "minutes": ("分钟", "min"), "level_min": ("分钟", "min"),
}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# An English word in a Chinese text (codes such as "GB 50180" or "km²" are fine).
_ENGLISH_WORD = re.compile(r"[A-Za-z]{4,}")
_ENGLISH_NAME_HEADERS = {"name_en": "Name", "name": "Chinese name"}
_CATEGORY = {c.code: (c.name, c.name_en) for c in CATEGORIES}
# Fields holding the id of another feature (shown by its name).
_REFERENCES = {"parent", "carrier"}
_ROAD_CLASS = {"arterial": ("主干路", "arterial"), "secondary": ("次干路", "secondary"),
               "local": ("支路", "local")}


@dataclass(frozen=True)
class AttributeTable:
    """A layer's table as shown: typed columns with readable headers.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per feature, index = row position in the layer, columns =
        headers in the table's language.
    total : int
        Rows before filtering.
    decimals : dict of str to int
        Header → decimals every cell of that column shows (measured lengths and
        areas: 2, so 0.30 and 4.19 line up).
    """

    frame: pd.DataFrame
    total: int
    decimals: dict[str, int] = dc_field(default_factory=dict)

    @property
    def positions(self) -> list[int]:
        """Row positions (in the layer) of the rows shown, top to bottom."""
        return [int(i) for i in self.frame.index]

    def display(self) -> pd.DataFrame:
        """The frame with missing values as empty text (no "None"/"nan" on screen)."""
        out = self.frame.copy()
        for col in out.columns:
            if out[col].isna().any():
                out[col] = out[col].map(lambda v: "" if _missing(v) else v).astype(object)
        return out


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _in_lang(text: str, lang: str) -> bool:
    """Whether a text value reads in ``lang``: Chinese text has Han characters, English none."""
    has_cjk = bool(_CJK.search(text))
    if lang == "zh":
        return has_cjk and not _ENGLISH_WORD.search(text)
    return not has_cjk


def _value(spec: LayerSpec, field: str, value: Any, lang: str,
           names: Mapping[str, str]) -> Any:
    """One cell as shown, or the sentinel ``_NO`` when it cannot be shown in ``lang``."""
    value = _plain(value)
    if _missing(value) if not isinstance(value, list) else False:
        return None
    en = lang == "en"
    sep = ", " if en else "、"
    if field in {"name", "name_en"}:  # proper names, shown as written
        return sep.join(map(str, value)) if isinstance(value, list) else str(value)
    if isinstance(value, bool):
        return ("Yes" if value else "No") if en else ("是" if value else "否")
    if field == "confidence" and value in CONFIDENCE_WORDS:  # the tooltip's and panel's words
        return CONFIDENCE_WORDS[value][1 if en else 0]
    if field == "category" and value in _CATEGORY:
        return _CATEGORY[value][1 if en else 0]
    if field == "road_class" and value in _ROAD_CLASS:
        return _ROAD_CLASS[value][1 if en else 0]
    if spec.style_by == field and value in spec.schematic_labels:
        # The legend names its solid and schematic features apart; the value is their kind.
        word = display_value(field, value, lang)
        if word:
            return word
    if spec.style_by == field and isinstance(value, str) and value in spec.style_map:
        _, zh, en_label = spec.style_map[value]
        return en_label if en else zh
    if field in _REFERENCES or (isinstance(value, list) and value and all(
            isinstance(v, str) and v in names for v in value)):
        refs = value if isinstance(value, list) else [value]
        shown = [names.get(str(r)) for r in refs]
        return _NO if any(s is None for s in shown) else sep.join(s for s in shown if s)
    if isinstance(value, list):
        value = sep.join(str(v) for v in value)
    if isinstance(value, int | float):
        return value if math.isfinite(value) else None
    text = str(value)
    if field == "kind" and en:
        return text.replace("_", " ")
    return text if _in_lang(text, lang) else _NO


_NO = object()  # a value that has no reading in the table's language


def _header(spec: LayerSpec, field: str, lang: str) -> str | None:
    """The column header of a field, or None: a raw field name never reaches the planner."""
    prop = next((p for p in spec.all_properties() if p.name == field), None)
    # The catalogue's alias (the layer's own, else the catalogue-wide one); both give back the
    # raw key for a field they do not know.
    text = prop.label(lang) if prop is not None else field_label(field, lang)
    return None if text == field else text


def _names_by_id(frames: Mapping[str, gpd.GeoDataFrame], lang: str) -> dict[str, str]:
    col_pref = ("name_en", "name") if lang == "en" else ("name", "name_en")
    out: dict[str, str] = {}
    for gdf in frames.values():
        if "id" not in gdf.columns:
            continue
        col = next((c for c in col_pref if c in gdf.columns), None)
        if col is None:
            continue
        for fid, name in zip(gdf["id"], gdf[col], strict=True):
            if isinstance(fid, str) and not _missing(name):
                out.setdefault(fid, str(name))
    return out


def attribute_table(
    spec: LayerSpec,
    gdf: gpd.GeoDataFrame,
    *,
    lang: str = "zh",
    query: str = "",
    sort_by: str | None = None,
    descending: bool = False,
    frames: Mapping[str, gpd.GeoDataFrame] | None = None,
) -> AttributeTable:
    """Return the attribute table of a layer, filtered and sorted.

    Parameters
    ----------
    spec : LayerSpec
        The layer's declaration (which fields, their styles).
    gdf : GeoDataFrame
        Its features (WGS84).
    lang : str
        ``"zh"`` or ``"en"``: headers and values.
    query : str
        Keep rows where every word occurs in some cell (case, width and
        spaces ignored, as in the feature search).
    sort_by : str, optional
        A header of the table; unknown headers leave the layer's order.
    descending : bool
        Sort from largest to smallest.
    frames : mapping of str to GeoDataFrame, optional
        All loaded layers, to show the names of referenced features
        (``parent``, a node's axes) instead of their ids.

    Returns
    -------
    AttributeTable
    """
    names = _names_by_id({**(frames or {}), spec.id: gdf}, lang)
    first = ["name_en", "name"] if lang == "en" else ["name"]
    declared = [p.name for p in spec.all_properties()]
    extra = [c for c in spec.tooltip if c not in declared]
    fields = list(dict.fromkeys(first + declared + extra))
    columns: dict[str, list[Any]] = {}
    decimals: dict[str, int] = {}
    for field in fields:
        if field in _NEVER or field not in gdf.columns:
            continue
        if field in _MEASURED.get(spec.geometry, set()):
            continue
        if lang == "zh" and field in {"name_en", "facility_type"}:
            continue
        if lang == "en" and field == "facility_type_zh":
            continue
        # In English the English name is *the* name; the Chinese one is the extra column.
        header = (_ENGLISH_NAME_HEADERS.get(field) if lang == "en" else None) or _header(
            spec, field, lang)
        if header is None or header in columns:
            continue
        if field in _HEADER_UNITS:
            zh_unit, en_unit = _HEADER_UNITS[field]
            header = f"{header} ({en_unit})" if lang == "en" else f"{header}（{zh_unit}）"
        cells = [_value(spec, field, v, lang, names) for v in gdf[field].tolist()]
        if any(c is _NO for c in cells):
            continue  # one value cannot be read in this language: the column is left out
        columns[header] = [None if c is _NO else c for c in cells]
    located = gdf.geometry.notna() & ~gdf.geometry.is_empty
    if spec.geometry == "Polygon" and located.any():
        header = "Area (ha)" if lang == "en" else "面积（公顷）"
        values = np.full(len(gdf), np.nan)
        values[located.to_numpy()] = np.round(area_m2(gdf[located]) / 1e4, 2)
        columns[header] = values.tolist()
        decimals[header] = 2
    elif spec.geometry == "LineString" and located.any():
        header = "Length (km)" if lang == "en" else "长度（千米）"
        values = np.full(len(gdf), np.nan)
        values[located.to_numpy()] = np.round(length_m(gdf[located]) / 1e3, 2)
        columns[header] = values.tolist()
        decimals[header] = 2
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(gdf)))
    total = len(frame)
    words = [normalise(w) for w in query.split()]
    words = [w for w in words if w]
    if words and not frame.empty:
        cells = frame.apply(lambda col: col.map(lambda v: "" if _missing(v) else str(v)))
        text = cells.agg(" ".join, axis=1).map(normalise)
        frame = frame[text.map(lambda row: all(w in row for w in words)).astype(bool)]
    if sort_by is not None and sort_by in frame.columns:
        col = frame[sort_by]
        numeric = pd.to_numeric(col, errors="coerce")
        key = numeric if numeric.notna().sum() == col.notna().sum() else col.astype(str)
        order = key.sort_values(ascending=not descending, na_position="last", kind="stable")
        frame = frame.loc[order.index]
    return AttributeTable(frame=frame, total=total, decimals=decimals)
