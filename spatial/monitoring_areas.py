"""规划实施监测 per area: the green share and 生活圈 coverage of each 片区, year by year.

A planner uploads yearly values per area (CSV or .xlsx, read by the statistics
reader through :func:`spatial.monitoring.open_sheet`), the areas named as in
the shipped layers (园区, 综保区 sub-zones, 生活圈). Each (area, indicator) pair
is followed by the same machinery as the Table 1 indicators
(:func:`spatial.monitoring.monitor`, its :class:`~spatial.monitoring.Rule`,
overview table, charts and PDF report): the pair is made a
:class:`~spatial.plan_indicators.PlanIndicator` of its own, named
"片区·指标", and its monitor says where its target comes from
(:class:`~spatial.monitoring.TargetSource`).

Where the targets come from:

* an indicator linked to a Table 1 row (``area_indicator``: 绿地占比 →
  城市绿地率, 37 % in 2025, restated in 第十四章 “到2025年,城市绿地率、绿化覆盖率分别达到
  37%、40%”) takes the plan's target. The plan's figure is zone-wide; each area
  is held against it on a straight path from the area's own 2020 value when the
  sheet gives one, else from the plan's zone-wide 2020 base;
* any other (生活圈覆盖率: the plan states no coverage share) takes a target the
  planner enters, marked 非规划指标; without one the pair is 不评价.

An area already at its target in 2020 is held against the target every year
(a threshold), not on a path that would go down to it.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import pandas as pd

from spatial.indicators import indicator_def
from spatial.monitoring import (
    BASE_YEAR,
    YEARS,
    Actuals,
    Cell,
    IndicatorMonitor,
    Kind,
    MonitoringError,
    Rule,
    TargetSource,
    collect_cells,
    monitor,
    open_sheet,
    year_of,
)
from spatial.plan_indicators import (
    PlanIndicator,
    chapter_en,
    load_indicator_sources,
    plan_for_area_indicator,
)
from spatial.statistics_import import split_header_unit

__all__ = [
    "MEASURES",
    "Area",
    "AreaMeasure",
    "AreaPair",
    "AreaSheet",
    "add_area_values",
    "area_monitors",
    "area_template_csv",
    "coverage_by_area",
    "read_area_actuals",
]

_SHEET_YEARS: tuple[int, ...] = (BASE_YEAR, *YEARS)


@dataclass(frozen=True)
class Area:
    """A 片区 as the shipped layer names it."""

    name_zh: str
    name_en: str = ""

    def name(self, lang: str = "zh") -> str:
        """Return the name in ``"zh"`` or ``"en"`` (the Chinese one when there is no English)."""
        return self.name_en if lang == "en" and self.name_en else self.name_zh


@dataclass(frozen=True)
class AreaMeasure:
    """A per-area indicator that can be monitored: names, unit and the sheet headers it matches."""

    key: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    aliases: tuple[str, ...] = ()


_GREEN = indicator_def("green_share_pct")
MEASURES: tuple[AreaMeasure, ...] = (
    AreaMeasure(_GREEN.key, _GREEN.name_zh, _GREEN.name_en, _GREEN.unit_zh, _GREEN.unit_en,
                ("绿地率", "城市绿地率", "green share", "green space share")),
    AreaMeasure("coverage_pct", "生活圈覆盖率", "Living-circle coverage", "%", "%",
                ("覆盖率", "生活圈覆盖人口比例", "coverage", "living circle coverage")),
)


@dataclass(frozen=True)
class AreaPair:
    """One area and one measure: what a sheet row is read for (a :class:`Named`)."""

    area: Area
    measure: AreaMeasure

    @property
    def key(self) -> str:
        """Stable key (never shown): the measure and the area's Chinese name."""
        return f"{self.measure.key}@{self.area.name_zh}"

    @property
    def name_zh(self) -> str:
        """片区·指标."""
        return f"{self.area.name_zh}·{self.measure.name_zh}"

    @property
    def name_en(self) -> str:
        """Area · indicator."""
        return f"{self.area.name('en')} · {self.measure.name_en}"


@dataclass(frozen=True)
class AreaSheet:
    """What :func:`read_area_actuals` read: the pairs in the sheet, 2021–2025 values, 2020 bases."""

    pairs: tuple[AreaPair, ...]
    actuals: Actuals
    base_2020: Mapping[str, float]


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def _measure(header: str) -> AreaMeasure | None:
    text = _norm(split_header_unit(header)[0])
    return next((m for m in MEASURES
                 if text in {_norm(n) for n in (m.name_zh, m.name_en, m.key, *m.aliases)}), None)


def read_area_actuals(data: bytes, filename: str, areas: Sequence[Area]) -> AreaSheet:
    """Read yearly per-area values from an uploaded CSV or .xlsx.

    Two layouts: one row per area and indicator with year columns (片区, 指标,
    2020, 2021 … — the layout of :func:`area_template_csv`), or one row per
    area and year (片区, 年份) with one column per indicator (绿地占比,
    生活圈覆盖率, with or without the unit). Areas are matched by their name
    in the shipped layer (Chinese or English); 2020 is the area's base.

    Returns
    -------
    AreaSheet
        The pairs with at least one number, in the order of ``areas`` and
        :data:`MEASURES`, and every row, column or cell not used and why.

    Raises
    ------
    MonitoringError
        If the file cannot be read or has neither an area nor a year column.
    """
    sheet = open_sheet(data, filename)
    header = [h.strip() for h in sheet.header]
    by_name = {_norm(n): a for a in areas for n in (a.name_zh, a.name_en) if n}

    def column(*names: str) -> int | None:
        wanted = {_norm(n) for n in names}
        return next((i for i, h in enumerate(header)
                     if _norm(split_header_unit(h)[0]) in wanted), None)

    area_col = column("片区", "区域", "单元", "园区", "area", "名称", "name")
    if area_col is None:
        raise MonitoringError("表格缺少“片区”列（片区名称与地图图层一致）。",
                              "The sheet has no 'area' column (area names as on the map).")
    problems: list[tuple[str, str]] = []
    cells: list[Cell] = []
    year_cols = {i: y for i, h in enumerate(header) if (y := year_of(h)) is not None}

    def area_of(text: str, rownum: int) -> Area | None:
        found = by_name.get(_norm(text))
        if found is None and text.strip():
            problems.append((f"第 {rownum} 行：“{text[:30]}”不是地图上的片区，未使用。",
                             f"Row {rownum}: '{text[:30]}' is not an area on the map; not used."))
        return found

    if year_cols:
        ind_col = column("指标", "指标名称", "indicator")
        if ind_col is None:
            raise MonitoringError("表格有年份列但缺少“指标”列。",
                                  "The sheet has year columns but no 'indicator' column.")
        for row, rownum in zip(sheet.rows, sheet.row_numbers, strict=True):
            area = area_of(row[area_col], rownum)
            if area is None:
                continue
            measure = _measure(row[ind_col])
            if measure is None:
                problems.append((f"第 {rownum} 行：指标“{row[ind_col][:20]}”无法识别"
                                 "（可用：绿地占比、生活圈覆盖率），未使用。",
                                 f"Row {rownum}: indicator '{row[ind_col][:20]}' not understood "
                                 "(green share or living-circle coverage); not used."))
                continue
            pair = AreaPair(area, measure)
            cells.extend((pair, y, row[i], rownum, header[i]) for i, y in year_cols.items())
    else:
        year_col = column("年份", "年度", "year")
        if year_col is None:
            raise MonitoringError(
                "未找到年份：请用“片区, 指标, 2020, 2021 …”的列，"
                "或“片区, 年份”加指标列（可下载模板）。",
                "No years found: use columns 'area, indicator, 2020, 2021 …', or 'area, year' "
                "and one column per indicator (a template can be downloaded).")
        cols: dict[int, AreaMeasure] = {}
        for i, h in enumerate(header):
            if i in (area_col, year_col) or not h:
                continue
            if (measure := _measure(h)) is None:
                problems.append((f"列“{h[:30]}”不是可监测的片区指标，未使用。",
                                 f"Column '{h[:30]}' is not a per-area indicator; not used."))
            else:
                cols[i] = measure
        for row, rownum in zip(sheet.rows, sheet.row_numbers, strict=True):
            area, y = area_of(row[area_col], rownum), year_of(row[year_col])
            if area is None:
                continue
            if y is None:
                problems.append((f"第 {rownum} 行：年份“{row[year_col][:12]}”无法识别，未使用。",
                                 f"Row {rownum}: year '{row[year_col][:12]}' not understood; "
                                 "not used."))
                continue
            cells.extend((AreaPair(area, m), y, row[i], rownum, header[i])
                         for i, m in cols.items())
    values = collect_cells(cells, problems, _SHEET_YEARS)
    pairs = {c[0] for c in cells if c[0].key in values and isinstance(c[0], AreaPair)}
    base = {k: v[BASE_YEAR] for k, v in values.items() if BASE_YEAR in v}
    yearly = {k: {y: x for y, x in v.items() if y != BASE_YEAR} for k, v in values.items()}
    return AreaSheet(_ordered(pairs, areas), Actuals(yearly, tuple(problems)), base)


def _ordered(pairs: set[AreaPair], areas: Sequence[Area]) -> tuple[AreaPair, ...]:
    """The pairs by measure, then in the order of the areas (the layers' order)."""
    order = {a.name_zh: n for n, a in enumerate(areas)}
    return tuple(sorted(pairs, key=lambda p: (MEASURES.index(p.measure),
                                              order.get(p.area.name_zh, len(order)))))


def coverage_by_area(units: pd.DataFrame, category: str, level: int) -> dict[str, float]:
    """Return the share of residents covered, in %, of each planning unit by name.

    ``units`` is :func:`spatial.coverage.unit_table` of a run; one service
    category and level. A unit without residents is left out (a share of
    nobody is undefined).
    """
    sel = units[(units["category"] == category) & (units["level_min"] == level)]
    return {str(n): 100.0 * float(v) for n, v in zip(sel["unit_name"], sel["pop_share"],
                                                     strict=True)
            if math.isfinite(float(v))}


def add_area_values(sheet: AreaSheet | None, values: Mapping[str, Mapping[int, float]],
                    measure_key: str, areas: Sequence[Area],
                    origin: tuple[str, str]) -> AreaSheet:
    """Return a sheet with computed yearly values of one measure added, by area name.

    Used for the coverage of saved 方案 run for given years. A year the
    uploaded sheet already gives for the area keeps the sheet's value, and an
    area that is not on the map is left out; both are noted with ``origin``
    (Chinese, English) among the sheet's problems.
    """
    measure = next(m for m in MEASURES if m.key == measure_key)
    by_name = {a.name_zh: a for a in areas}
    pairs = set(sheet.pairs) if sheet else set()
    yearly = {k: dict(v) for k, v in (sheet.actuals.values if sheet else {}).items()}
    base = dict(sheet.base_2020) if sheet else {}
    problems = list(sheet.actuals.problems) if sheet else []
    zh, en = origin
    for name, by_year in values.items():
        area = by_name.get(name)
        if area is None:
            problems.append((f"{zh}：单元“{name[:30]}”不是地图上的片区，未使用。",
                             f"{en}: unit '{name[:30]}' is not an area on the map; not used."))
            continue
        pair = AreaPair(area, measure)
        pairs.add(pair)
        row = yearly.setdefault(pair.key, {})
        for y, v in by_year.items():
            if (pair.key in base) if y == BASE_YEAR else (y in row):
                problems.append((f"{zh}：“{pair.name_zh}”{y} 年上传表已有值，用上传表的值。",
                                 f"{en}: '{pair.name_en}' {y} is in the uploaded sheet; "
                                 "the sheet's value is used."))
            elif y == BASE_YEAR:
                base[pair.key] = v
            else:
                row[y] = v
    return AreaSheet(_ordered(pairs, areas), Actuals(yearly, tuple(problems)), base)


def area_template_csv(areas: Sequence[Area], lang: str = "zh") -> bytes:
    """Return a CSV (UTF-8 with BOM) to fill in: one row per area and indicator, 2020–2025."""
    en = lang == "en"
    rows = [{("Area" if en else "片区"): a.name(lang),
             ("Indicator" if en else "指标"): m.name_en if en else m.name_zh,
             **{str(y): "" for y in _SHEET_YEARS}}
            for m in MEASURES for a in areas]
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8-sig")


def _plan_source(plan_ind: PlanIndicator) -> tuple[str, str]:
    """The plan's words for a Table 1 target that an area indicator is held against."""
    target = f"{plan_ind.target_2025:g}{plan_ind.unit_zh}"
    zh = f"规划表1“{plan_ind.name_zh}”2025 年目标 {target}"
    en = (f"the plan's Table 1 target for “{plan_ind.name_en}”, {plan_ind.target_2025:g} "
          f"{plan_ind.unit_en} in 2025")
    quote = next((s for s in load_indicator_sources()
                  if s.key == plan_ind.key and s.field == "target_2025"), None)
    if quote is not None:
        zh += f"（{quote.chapter}：“{quote.quote}”）"
        en += f" (also stated in {chapter_en(quote.chapter)})"
    return (zh + "；全区指标，逐片区对照",
            en + "; a zone-wide figure, held against each area")


def _rule(base: float | None, target: float | None, tolerance_pct: float,
          band_pct: float) -> Rule:
    """A straight path from the base to the target, or the target itself when there is no way up."""
    kind: Kind = "linear" if base is not None and target is not None and base < target \
        else "threshold"
    return Rule(kind=kind, base=base if kind == "linear" else None, target=target,
                tolerance_pct=tolerance_pct, band_pct=band_pct)


def area_monitors(sheet: AreaSheet, plan: Sequence[PlanIndicator],
                  targets: Mapping[str, float] | None = None,
                  rules: Mapping[str, Rule] | None = None,
                  tolerance_pct: float = 2.0, band_pct: float = 10.0,
                  ) -> tuple[list[IndicatorMonitor], dict[str, Rule]]:
    """Check every (area, indicator) pair of a sheet against its path, as for Table 1.

    Parameters
    ----------
    sheet : AreaSheet
        What :func:`read_area_actuals` read.
    plan : sequence of PlanIndicator
        Table 1 (for the targets of linked indicators).
    targets : mapping, optional
        The planner's 2025 target by measure key, for the measures the plan
        gives none (非规划指标).
    rules : mapping, optional
        Rules edited by the planner, by pair key (the defaults otherwise).
    tolerance_pct, band_pct : float
        Thresholds of the default rules.

    Returns
    -------
    tuple
        The monitors (one per pair, in the sheet's order, each with its
        :class:`TargetSource`) and the default rules by pair key.
    """
    inds: list[PlanIndicator] = []
    sources: list[TargetSource] = []
    defaults: dict[str, Rule] = {}
    for pair in sheet.pairs:
        m, key = pair.measure, pair.key
        own = sheet.base_2020.get(key)
        linked = plan_for_area_indicator(m.key, list(plan))
        if linked is not None and linked.target_2025 is not None:
            target: float | None = linked.target_2025
            base = own if own is not None else linked.base_2020
            zh, en = _plan_source(linked)
            planned = True
            if own is not None:
                zh, en = (zh + f"；基数为本片区 2020 年值 {own:g}",
                          en + f"; base: the area's 2020 value {own:g}")
            elif base is not None:
                zh, en = (zh + f"；基数为表1全区 2020 年值 {base:g}",
                          en + f"; base: Table 1's zone-wide 2020 {base:g}")
        else:
            target, base, planned = (targets or {}).get(m.key), own, False
            zh = ("规划未给出此指标的目标；目标由规划人员填写"
                  + (f"（2025 年 {target:g}{m.unit_zh}）" if target is not None
                     else "（尚未填写）"))
            en = ("the plan sets no target for it; the target is the planner's"
                  + (f" ({target:g} {m.unit_en} in 2025)" if target is not None
                     else " (not entered yet)"))
        rule = _rule(base, target, tolerance_pct, band_pct)
        defaults[key] = rule
        sources.append(TargetSource(planned, zh, en))
        inds.append(PlanIndicator(
            key=key, name_zh=pair.name_zh, name_en=pair.name_en, unit_zh=m.unit_zh,
            unit_en=m.unit_en, base_2020=rule.base, target_2025=target, target_op=">=",
            avg_growth_pct=None, nature=None, area_indicator=m.key, source=zh,
            monitor=rule.kind))
    chosen = {k: (rules or {}).get(k) or r for k, r in defaults.items()}
    out = monitor(inds, sheet.actuals, chosen)
    return [replace(m, source=s) for m, s in zip(out, sources, strict=True)], defaults
