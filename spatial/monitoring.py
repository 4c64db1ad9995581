"""规划实施监测: the plan's Table 1 indicators followed year by year, with an early warning.

A planner uploads yearly actuals (2021–2025) for Table 1 indicators as CSV or
.xlsx; the sheet is read by the same safe reader as statistics
(:func:`spatial.statistics_import.read_sheet`). For each indicator a
:class:`Rule` gives the path from the 2020 base to the 2025 target:

* ``growth`` — compound, by the plan's stated average growth (地区生产总值 14 %);
* ``linear`` — straight from base to target where the plan states no growth;
* ``rate`` — the indicator is itself a yearly rate (主导产业增加值增速 15 %):
  every year is held against that rate;
* ``cumulative`` — a five-year total ([1.275] 万人, 新增…30个): the running
  total of the yearly figures is held against an even share of it;
* ``threshold`` — a target without a base (“>25”, “5左右”): every year is held
  against the target itself;
* ``none`` — no number to follow (按省市下达目标, 与经济增长基本同步).

The warning level of a year is read from the shortfall against the path, in % of
the path value and direction aware (for 城镇调查失业率 lower is better):
正常 when the shortfall is at most the rule's tolerance, 关注 up to its band,
预警 beyond it. Both numbers are shown with the rule and editable per indicator.
A year without an actual is 缺失: nothing is interpolated, and a running total
stops at the first missing year.

Per-area indicators (绿地占比, 生活圈覆盖率 of each 片区) are followed by the same
machinery (:mod:`spatial.monitoring_areas`); their monitors carry a
:class:`TargetSource` (the plan's target, or the planner's: 非规划指标), shown in
the overview table and the report.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal, Protocol

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from spatial._errors import SpatialError
from spatial.export import _export_style as export_style  # the exports' CJK fonts and PDF style
from spatial.plan_indicators import PlanIndicator, find_plan_indicator
from spatial.statistics_import import (
    RawSheet,
    StatisticsImportError,
    parse_number,
    read_sheet,
    split_header_unit,
)

__all__ = [
    "BASE_YEAR",
    "KINDS",
    "LEVELS",
    "LEVEL_COLOURS",
    "YEARS",
    "Actuals",
    "Cell",
    "IndicatorMonitor",
    "MonitoringError",
    "Named",
    "Rule",
    "TargetSource",
    "YearCheck",
    "collect_cells",
    "default_rule",
    "indicator_chart",
    "kind_name",
    "level_name",
    "monitor",
    "open_sheet",
    "overview_table",
    "read_actuals",
    "report_pages",
    "report_pdf",
    "rules_from_table",
    "rules_table",
    "template_csv",
    "year_of",
    "year_table",
]

BASE_YEAR = 2020
YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)
Kind = Literal["growth", "linear", "rate", "cumulative", "threshold", "none"]
KINDS: tuple[Kind, ...] = ("growth", "linear", "rate", "cumulative", "threshold", "none")
Level = Literal["ok", "watch", "warn", "missing", "none"]
LEVELS: dict[Level, tuple[str, str]] = {
    "ok": ("正常", "on track"),
    "watch": ("关注", "watch"),
    "warn": ("预警", "warning"),
    "missing": ("缺失", "missing"),
    "none": ("不评价", "not assessed"),
}
LEVEL_COLOURS: dict[Level, str] = {
    "ok": "#2e7d32", "watch": "#ef8f00", "warn": "#c62828", "missing": "#9e9e9e",
    "none": "#9e9e9e",
}
_KIND_NAMES: dict[Kind, tuple[str, str]] = {
    "growth": ("按年均增长", "compound"),
    "linear": ("线性", "linear"),
    "rate": ("逐年增速", "yearly rate"),
    "cumulative": ("累计", "running total"),
    "threshold": ("门槛值", "threshold"),
    "none": ("不评价", "not assessed"),
}


class MonitoringError(SpatialError):
    """An actuals sheet or a rule cannot be used."""


def level_name(level: Level, lang: str = "zh") -> str:
    """Return 正常 / 关注 / 预警 / 缺失 / 不评价 (or English)."""
    zh, en = LEVELS[level]
    return en if lang == "en" else zh


def kind_name(kind: Kind, lang: str = "zh") -> str:
    """Return the name of a path kind (按年均增长, 线性 …)."""
    zh, en = _KIND_NAMES[kind]
    return en if lang == "en" else zh


def _fmt(x: float | None, digits: int = 2) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{round(x, digits) + 0.0:g}"  # + 0.0: no "-0"


# --- rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """How one indicator is followed: its path and its warning thresholds.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS` (see the module docstring).
    base : float, optional
        The 2020 base (``growth`` and ``linear``).
    target : float, optional
        The 2025 target, the yearly rate (``rate``), the five-year total
        (``cumulative``) or the threshold (``threshold``).
    growth_pct : float, optional
        Average annual growth in % (``growth``).
    lower_is_better : bool
        True when a smaller actual is better (城镇调查失业率).
    tolerance_pct : float
        A shortfall up to this many % of the path value is still 正常.
    band_pct : float
        A shortfall beyond this many % of the path value is 预警 (between: 关注).
    """

    kind: Kind
    base: float | None = None
    target: float | None = None
    growth_pct: float | None = None
    lower_is_better: bool = False
    tolerance_pct: float = 2.0
    band_pct: float = 10.0

    def problem(self) -> tuple[str, str] | None:
        """Return why the rule cannot give a path (Chinese, English), or None."""
        if self.kind == "none":
            return None
        if not (0 <= self.tolerance_pct <= self.band_pct) or not math.isfinite(self.band_pct):
            return ("容差应在 0 与预警带之间。", "The tolerance must lie between 0 and the band.")
        needs = {
            "growth": (self.base, self.growth_pct),
            "linear": (self.base, self.target),
            "rate": (self.target,),
            "cumulative": (self.target,),
            "threshold": (self.target,),
        }[self.kind]
        if any(v is None or not math.isfinite(v) for v in needs):
            return ("规划未给出此路径所需的数值（可在规则中补填）。",
                    "The plan gives no number this path needs (it can be filled in the rule).")
        return None

    def path(self, year: int) -> float | None:
        """Return the path value for a year (None when the rule cannot give one)."""
        if self.problem() is not None or self.kind == "none":
            return None
        n = year - BASE_YEAR
        if self.kind == "growth":
            assert self.base is not None and self.growth_pct is not None
            return self.base * (1.0 + self.growth_pct / 100.0) ** n
        assert self.target is not None
        if self.kind == "linear":
            assert self.base is not None
            return self.base + (self.target - self.base) * n / (YEARS[-1] - BASE_YEAR)
        if self.kind == "cumulative":
            return self.target * n / (YEARS[-1] - BASE_YEAR)
        return self.target  # rate, threshold: the same every year

    def shortfall_pct(self, actual: float, path: float) -> float:
        """Return how far the actual is behind the path, in % of the path (negative: ahead)."""
        behind = (actual - path) if self.lower_is_better else (path - actual)
        if path == 0:
            return 0.0 if behind <= 0 else math.inf
        return 100.0 * behind / abs(path)

    def level(self, actual: float | None, year: int) -> tuple[Level, float | None]:
        """Return the warning level of a year and the shortfall in %."""
        if self.kind == "none" or self.problem() is not None:
            return "none", None
        if actual is None:
            return "missing", None
        path = self.path(year)
        assert path is not None
        short = self.shortfall_pct(actual, path)
        if short <= self.tolerance_pct:
            return "ok", short
        if short <= self.band_pct:
            return "watch", short
        return "warn", short

    def describe(self, lang: str = "zh", unit: str = "") -> str:
        """Return the rule in words, as shown to the planner and printed in the report."""
        en = lang == "en"
        if self.kind == "none":
            return ("No numeric target in the plan: not assessed." if en
                    else "规划未给出数值目标，不作预警。")
        problem = self.problem()
        if problem is not None:
            return problem[1] if en else problem[0]
        u = f" {unit}" if unit else ""
        b, g, tg = _fmt(self.base, 4), _fmt(self.growth_pct, 4), _fmt(self.target, 4)
        if self.kind == "growth":
            path = (f"Path: the 2020 base {b}{u} growing {g} % a year" if en
                    else f"路径：2020 年基数 {b}{u} 按年均增长 {g}% 逐年递增")
        elif self.kind == "linear":
            path = (f"Path: straight from the 2020 base {b} to the 2025 target {tg}{u}" if en
                    else f"路径：自 2020 年基数 {b} 线性达到 2025 年目标 {tg}{u}")
        elif self.kind == "rate":
            path = (f"Each year's rate against {tg}{u}" if en
                    else f"逐年增速对照 {tg}{u}")
        elif self.kind == "cumulative":
            path = (f"Running total of the yearly figures against {tg}{u} over five years, "
                    "an even share a year" if en
                    else f"当年数逐年累加，对照五年累计 {tg}{u} 的均匀进度")
        else:
            path = (f"Each year against the threshold {tg}{u} (no 2020 base in the plan)" if en
                    else f"逐年对照门槛值 {tg}{u}（规划未给 2020 年基数）")
        direction = ("lower is better" if self.lower_is_better else "higher is better") if en \
            else ("越低越好" if self.lower_is_better else "越高越好")
        tol, band = _fmt(self.tolerance_pct), _fmt(self.band_pct)
        if en:
            return (f"{path} ({direction}). On track: at most {tol} % behind the path value; "
                    f"watch: {tol}–{band} % behind; warning: more than {band} % behind.")
        return (f"{path}（{direction}）。正常：落后路径值不超过 {tol}%；"
                f"关注：落后 {tol}%–{band}%；预警：落后超过 {band}%。")


def default_rule(ind: PlanIndicator, tolerance_pct: float = 2.0,
                 band_pct: float = 10.0) -> Rule:
    """Return the rule Table 1 implies for an indicator (its ``monitor`` column)."""
    kind: Kind = next((k for k in KINDS if k == ind.monitor), "none")
    target = ind.target_2025
    # A yearly rate and a [five-year total] sit in the plan's growth column.
    if kind == "rate" or (kind == "cumulative" and ind.cumulative):
        target = ind.avg_growth_pct
    return Rule(kind=kind, base=ind.base_2020, target=target,
                growth_pct=ind.avg_growth_pct if kind == "growth" else None,
                lower_is_better=ind.lower_is_better, tolerance_pct=tolerance_pct,
                band_pct=band_pct)


# --- actuals -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Actuals:
    """Yearly actuals read from a sheet: ``values[key][year]``, plus what was not used."""

    values: Mapping[str, Mapping[int, float]]
    problems: tuple[tuple[str, str], ...] = ()

    def get(self, key: str, year: int) -> float | None:
        """Return the actual of an indicator in a year, None when missing."""
        return self.values.get(key, {}).get(year)

    def problem_texts(self, lang: str = "zh") -> list[str]:
        """Return the problems in one language."""
        return [en if lang == "en" else zh for zh, en in self.problems]


_YEAR_RE = re.compile(r"^\s*(\d{4})\s*(?:年)?\s*$")


def year_of(text: str) -> int | None:
    """Return the year a header or cell names ("2021", "2021年"), or None."""
    m = _YEAR_RE.match(text)
    return int(m.group(1)) if m else None


class Named(Protocol):
    """What a sheet cell is read for: a Table 1 row or a per-area pair (key and names)."""

    @property
    def key(self) -> str:
        """Stable key of ``values``."""

    @property
    def name_zh(self) -> str:
        """Chinese name, for messages."""

    @property
    def name_en(self) -> str:
        """English name, for messages."""


# (indicator, year, cell text, spreadsheet row, column name)
Cell = tuple[Named, int, str, int, str]


def open_sheet(data: bytes, filename: str) -> RawSheet:
    """Read an uploaded sheet with the statistics reader; its refusal as a MonitoringError."""
    try:
        return read_sheet(data, filename)
    except StatisticsImportError as err:
        raise MonitoringError(err.zh, err.en) from None


def collect_cells(cells: Sequence[Cell], problems: list[tuple[str, str]],
                  years: Sequence[int] = YEARS) -> dict[str, dict[int, float]]:
    """Parse the cells of the given years into ``values[key][year]``, noting what is not used.

    A year outside ``years``, text in a number cell and a value given twice
    are added to ``problems``; an empty cell is simply missing.
    """
    values: dict[str, dict[int, float]] = {}
    span = f"{years[0]}–{years[-1]}"
    bad_years = sorted({y for _, y, _, _, _ in cells if y not in years})
    if bad_years:
        shown = "、".join(str(y) for y in bad_years[:5])
        problems.append((f"{shown} 年不在 {span} 监测期内，未使用。",
                         f"{shown.replace('、', ', ')}: outside {span}; not used."))
    for ind, y, text, rownum, col in cells:
        if y not in years:
            continue
        try:
            v = parse_number(text)
        except ValueError:
            problems.append((f"第 {rownum} 行“{col[:20]}”：“{text[:20]}”不是数字，按缺失处理。",
                             f"Row {rownum}, '{col[:20]}': '{text[:20]}' is not a number; "
                             "treated as missing."))
            continue
        if v is not None:
            if y in values.get(ind.key, {}):
                problems.append((f"第 {rownum} 行：“{ind.name_zh}”{y} 年重复，未使用。",
                                 f"Row {rownum}: '{ind.name_en}' {y} given twice; not used."))
                continue
            values.setdefault(ind.key, {})[y] = v
    return values


def _match(name: str, indicators: Sequence[PlanIndicator]) -> PlanIndicator | None:
    text = name.strip()
    if not text:
        return None
    found = find_plan_indicator(text, list(indicators))
    if found is None:
        found = find_plan_indicator(split_header_unit(text)[0], list(indicators))
    return found


def read_actuals(data: bytes, filename: str,
                 indicators: Sequence[PlanIndicator]) -> Actuals:
    """Read yearly actuals from an uploaded CSV or .xlsx.

    Three layouts are accepted: one row per indicator with year columns
    (指标, 2021, 2022 … — the layout of :func:`template_csv`), one row per
    year (a 年份 column) with one column per indicator, or one row per
    indicator and year (指标, 年份, 实际值). Indicators are matched
    by their Table 1 name, with or without the unit ("地区生产总值(亿元)").
    For a cumulative indicator (城镇新增就业人数, 新增…工厂) enter each year's
    own figure, not the running total.

    Returns
    -------
    Actuals
        The numbers, and every row, column or cell that was not used and why
        (unknown indicator, text in a number cell, a year outside 2021–2025,
        an indicator given twice). An empty cell is simply missing.

    Raises
    ------
    MonitoringError
        If the file cannot be read (as for statistics) or has no year columns.
    """
    sheet = open_sheet(data, filename)
    header = [h.strip() for h in sheet.header]
    year_cols = {i: y for i, h in enumerate(header) if (y := year_of(h)) is not None}
    problems: list[tuple[str, str]] = []
    cells: list[Cell] = []
    seen: dict[str, str] = {}

    def claim(ind: PlanIndicator, where_zh: str, where_en: str) -> bool:
        if ind.key in seen:
            problems.append((f"{where_zh}：“{ind.name_zh}”重复出现（已用{seen[ind.key]}），未使用。",
                             f"{where_en}: '{ind.name_en}' appears twice; not used."))
            return False
        seen[ind.key] = where_zh
        return True

    def column(*names: str) -> int | None:
        return next((i for i, h in enumerate(header)
                     if split_header_unit(h)[0].casefold() in names), None)

    long_cols = (column("指标", "指标名称", "indicator"), column("年份", "年度", "year"),
                 column("实际值", "数值", "值", "actual", "value"))
    if not year_cols and None not in long_cols:
        # Long layout (one row per indicator and year), as statistics systems export it.
        ni, yi, vi = (i for i in long_cols if i is not None)
        for row, rownum in zip(sheet.rows, sheet.row_numbers, strict=True):
            if not row[ni].strip():
                continue
            ind, y = _match(row[ni], indicators), year_of(row[yi])
            if ind is None or y is None:
                problems.append((f"第 {rownum} 行：指标或年份无法识别，未使用。",
                                 f"Row {rownum}: indicator or year not understood; not used."))
                continue
            cells.append((ind, y, row[vi], rownum, header[vi]))
    elif year_cols:
        name_col = next((i for i in range(len(header)) if i not in year_cols
                         and split_header_unit(header[i])[0] in ("指标", "指标名称", "indicator",
                                                                "Indicator")), None)
        if name_col is None:
            name_col = next(i for i in range(len(header)) if i not in year_cols) \
                if len(year_cols) < len(header) else None
        if name_col is None:
            raise MonitoringError("表格缺少指标名称列。", "The sheet has no indicator name column.")
        for row, rownum in zip(sheet.rows, sheet.row_numbers, strict=True):
            name = row[name_col]
            if not name.strip():
                continue
            ind = _match(name, indicators)
            if ind is None:
                problems.append((f"第 {rownum} 行：“{name[:30]}”不是表1中的指标，未使用。",
                                 f"Row {rownum}: '{name[:30]}' is not a Table 1 indicator; "
                                 "not used."))
                continue
            if claim(ind, f"第 {rownum} 行", f"Row {rownum}"):
                cells.extend((ind, y, row[i], rownum, header[i]) for i, y in year_cols.items())
    else:
        year_col = next((i for i, h in enumerate(header)
                         if split_header_unit(h)[0] in ("年份", "年度", "year", "Year")), None)
        if year_col is None:
            raise MonitoringError(
                "未找到年份：请用“指标, 2021, 2022 …”的列，或一列“年份”（可下载模板）。",
                "No years found: use columns 'indicator, 2021, 2022 …' or a 'year' column "
                "(a template can be downloaded).",
            )
        cols: dict[int, PlanIndicator] = {}
        for i, h in enumerate(header):
            if i == year_col or not h:
                continue
            ind = _match(h, indicators)
            if ind is None:
                problems.append((f"列“{h[:30]}”不是表1中的指标，未使用。",
                                 f"Column '{h[:30]}' is not a Table 1 indicator; not used."))
            elif claim(ind, f"列“{h[:30]}”", f"Column '{h[:30]}'"):
                cols[i] = ind
        for row, rownum in zip(sheet.rows, sheet.row_numbers, strict=True):
            y = year_of(row[year_col])
            if y is None:
                if (bad := row[year_col].strip()):
                    problems.append((f"第 {rownum} 行：年份“{bad[:12]}”无法识别，未使用。",
                                     f"Row {rownum}: year '{bad[:12]}' not understood; "
                                     "not used."))
                continue
            cells.extend((ind, y, row[i], rownum, header[i]) for i, ind in cols.items())
    values = collect_cells(cells, problems)
    return Actuals(values, tuple(problems))


def template_csv(indicators: Sequence[PlanIndicator], lang: str = "zh") -> bytes:
    """Return a CSV (UTF-8 with BOM, for Excel) to fill in: one row per indicator, 2021–2025."""
    en = lang == "en"
    rows = []
    for ind in indicators:
        how = ""
        if ind.monitor == "cumulative":
            how = "each year's own figure" if en else "填当年新增数（不是累计数）"
        elif ind.monitor == "rate":
            how = "the year's rate in %" if en else "填当年增速（%）"
        rows.append({
            ("No." if en else "序号"): ind.number or "",
            ("Indicator" if en else "指标"): ind.name(lang),
            ("Unit" if en else "单位"): ind.unit(lang),
            **{str(y): "" for y in YEARS},
            ("How to fill in" if en else "填写说明"): how,
        })
    return pd.DataFrame(rows).to_csv(index=False).encode("utf-8-sig")


# --- monitoring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearCheck:
    """One year of one indicator: path, actual (as compared), shortfall and level."""

    year: int
    path: float | None
    actual: float | None
    entered: float | None
    shortfall_pct: float | None
    level: Level


@dataclass(frozen=True)
class TargetSource:
    """Where a monitored target comes from, when it is not a Table 1 row.

    ``planned`` is False for a target the planner entered (shown as 非规划指标);
    ``zh`` and ``en`` say where the target and base come from, in full.
    """

    planned: bool
    zh: str
    en: str

    def label(self, lang: str = "zh") -> str:
        """Return the short label of the overview table (规划目标 / 非规划指标)."""
        if self.planned:
            return "plan target" if lang == "en" else "规划目标"
        return "not in the plan" if lang == "en" else "非规划指标"

    def text(self, lang: str = "zh") -> str:
        """Return the full source in one language."""
        return self.en if lang == "en" else self.zh


@dataclass(frozen=True)
class IndicatorMonitor:
    """An indicator, its rule and its five yearly checks.

    ``source`` is None for a Table 1 row; a per-area indicator
    (:mod:`spatial.monitoring_areas`) says where its target comes from.
    """

    indicator: PlanIndicator
    rule: Rule
    checks: tuple[YearCheck, ...] = field(default_factory=tuple)
    source: TargetSource | None = None

    def source_label(self, lang: str = "zh") -> str:
        """Return 表1 / 规划目标 / 非规划指标 (or English)."""
        if self.source is None:
            return "Table 1" if lang == "en" else "表1"
        return self.source.label(lang)

    def latest(self) -> YearCheck | None:
        """Return the latest year with an actual (None if there is none)."""
        have = [c for c in self.checks if c.actual is not None]
        return have[-1] if have else None

    def latest_level(self) -> Level:
        """Return the level of the latest year with an actual (缺失 / 不评价 otherwise)."""
        if self.rule.kind == "none" or self.rule.problem() is not None:
            return "none"
        last = self.latest()
        return "missing" if last is None else last.level


def monitor(indicators: Iterable[PlanIndicator], actuals: Actuals,
            rules: Mapping[str, Rule] | None = None) -> list[IndicatorMonitor]:
    """Check every indicator's actuals against its path, year by year.

    Parameters
    ----------
    indicators : iterable of PlanIndicator
        Table 1 rows, in the order to report them.
    actuals : Actuals
        What :func:`read_actuals` read.
    rules : mapping, optional
        Rules edited by the planner, by indicator key; :func:`default_rule` otherwise.

    Returns
    -------
    list of IndicatorMonitor
        One per indicator. A year without an actual is 缺失; for a cumulative
        indicator the running total is missing from the first missing year on.
    """
    out = []
    for ind in indicators:
        rule = (rules or {}).get(ind.key) or default_rule(ind)
        checks = []
        running: float | None = 0.0
        for y in YEARS:
            entered = actuals.get(ind.key, y)
            actual = entered
            if rule.kind == "cumulative":
                running = None if running is None or entered is None else running + entered
                actual = running
            level, short = rule.level(actual, y)
            checks.append(YearCheck(y, rule.path(y), actual, entered, short, level))
        out.append(IndicatorMonitor(ind, rule, tuple(checks)))
    return out


def overview_table(monitors: Sequence[IndicatorMonitor], lang: str = "zh") -> pd.DataFrame:
    """Return one row per indicator: number, name, target source, unit, path, levels, latest."""
    en = lang == "en"
    rows = []
    for m in monitors:
        ind = m.indicator
        row: dict[str, str] = {
            ("No." if en else "序号"): ind.number or "—",
            ("Indicator" if en else "指标"): ind.name(lang),
            ("Target from" if en else "目标来源"): m.source_label(lang),
            ("Unit" if en else "单位"): ind.unit(lang) or "—",
            ("Path" if en else "路径"): kind_name(m.rule.kind, lang),
        }
        for c in m.checks:
            row[str(c.year)] = level_name(c.level, lang)
        row["Latest" if en else "最新等级"] = level_name(m.latest_level(), lang)
        rows.append(row)
    return pd.DataFrame(rows)


def year_table(m: IndicatorMonitor, lang: str = "zh") -> pd.DataFrame:
    """Return an indicator's years: path value, actual, shortfall and level."""
    en = lang == "en"
    cum = m.rule.kind == "cumulative"
    rows = []
    for c in m.checks:
        row = {
            ("Year" if en else "年份"): str(c.year),
            ("Path value" if en else "路径值"): _fmt(c.path),
            ("Actual" if en else "实际值"): (
                _fmt(c.actual) if c.actual is not None else level_name("missing", lang)),
        }
        if cum:
            row["Entered (that year)" if en else "当年数"] = (
                _fmt(c.entered) if c.entered is not None else level_name("missing", lang))
        row["Behind the path (%)" if en else "落后路径（%）"] = _fmt(c.shortfall_pct, 1)
        row["Level" if en else "等级"] = level_name(c.level, lang)
        rows.append(row)
    return pd.DataFrame(rows)


def rules_table(monitors: Sequence[IndicatorMonitor]) -> pd.DataFrame:
    """Return the rules as an editable table (one row per indicator, plain values)."""
    return pd.DataFrame([{
        "key": m.indicator.key,
        "kind": m.rule.kind,
        "base": m.rule.base,
        "target": m.rule.target,
        "growth_pct": m.rule.growth_pct,
        "lower_is_better": m.rule.lower_is_better,
        "tolerance_pct": m.rule.tolerance_pct,
        "band_pct": m.rule.band_pct,
    } for m in monitors])


def rules_from_table(table: pd.DataFrame, defaults: Mapping[str, Rule]) -> dict[str, Rule]:
    """Return the rules of an edited :func:`rules_table` (a bad cell keeps the default)."""
    out: dict[str, Rule] = {}
    for rec in table.to_dict("records"):
        key = str(rec.get("key", ""))
        if key not in defaults:
            continue

        def num(name: str, rec: Mapping[object, object] = rec) -> float | None:
            v = rec.get(name)
            try:
                f = float(v)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return None
            return f if math.isfinite(f) else None

        kind: Kind = next((k for k in KINDS if k == rec.get("kind")), defaults[key].kind)
        tol, band = num("tolerance_pct"), num("band_pct")
        rule = replace(
            defaults[key], kind=kind,
            base=num("base"), target=num("target"), growth_pct=num("growth_pct"),
            lower_is_better=bool(rec.get("lower_is_better")),
            tolerance_pct=defaults[key].tolerance_pct if tol is None else tol,
            band_pct=defaults[key].band_pct if band is None else band,
        )
        out[key] = rule
    return out


# --- chart and report ----------------------------------------------------------------------------


def _draw_chart(ax: Axes, m: IndicatorMonitor, lang: str, size: float = 8.0) -> None:
    """Draw one indicator: path, tolerance and band, actuals coloured by level, gaps as gaps."""
    en = lang == "en"
    ind, rule = m.indicator, m.rule
    unit = ind.unit(lang)
    title = ind.name(lang) + (f" ({unit})" if unit and en else f"（{unit}）" if unit else "")
    ax.set_title(title, fontsize=size + 1, parse_math=False, loc="left")
    years = [BASE_YEAR, *YEARS]
    path = [rule.path(y) for y in years]
    if rule.kind in ("growth", "linear", "cumulative"):
        start = rule.base if rule.kind != "cumulative" else 0.0
        path[0] = start
    else:
        path[0] = None
    have = [(y, p) for y, p in zip(years, path, strict=True) if p is not None]
    if have:
        xs, ps = zip(*have, strict=True)
        sign = 1.0 if rule.lower_is_better else -1.0
        tol = [p + sign * abs(p) * rule.tolerance_pct / 100.0 for p in ps]
        band = [p + sign * abs(p) * rule.band_pct / 100.0 for p in ps]
        ax.fill_between(xs, ps, tol, color=LEVEL_COLOURS["ok"], alpha=0.10, lw=0)
        ax.fill_between(xs, tol, band, color=LEVEL_COLOURS["watch"], alpha=0.12, lw=0)
        ax.plot(xs, ps, ls="--", color="#455a64", lw=1.0,
                label="Path" if en else "路径")
    xs_a = list(YEARS)
    ys_a = [c.actual if c.actual is not None else math.nan for c in m.checks]
    ax.plot(xs_a, ys_a, color="#1f3b57", lw=1.2, label="Actual" if en else "实际")
    for c in m.checks:
        if c.actual is not None:
            ax.scatter([c.year], [c.actual], s=22, color=LEVEL_COLOURS[c.level], zorder=3)
    lo, hi = ax.get_ylim()
    for c in m.checks:
        if c.actual is None:
            ax.text(c.year, lo + (hi - lo) * 0.04, level_name("missing", lang), ha="center",
                    fontsize=size - 1, color=LEVEL_COLOURS["missing"], parse_math=False)
    ax.set_xticks(years)
    ax.set_xticklabels([str(y) for y in years], fontsize=size - 1)
    ax.tick_params(axis="y", labelsize=size - 1)
    ax.grid(axis="y", color="#dddddd", lw=0.5)
    ax.legend(fontsize=size - 1, loc="upper left", frameon=False)
    for spine in ("top", "right"):
        ax.spines[spine].set_visible(False)


def indicator_chart(m: IndicatorMonitor, lang: str = "zh") -> Figure:
    """Return the chart of one indicator (path, bands, actuals by level, missing years named)."""
    with export_style():
        fig = Figure(figsize=(6.0, 3.0), dpi=100, layout="constrained")
        _draw_chart(fig.add_subplot(1, 1, 1), m, lang)
    return fig


_A4 = (8.27, 11.69)


def _page_header(fig: Figure, title: str, subtitle: str) -> None:
    fig.text(0.06, 0.965, title, fontsize=13, parse_math=False)
    fig.text(0.06, 0.945, subtitle, fontsize=8, color="#555555", parse_math=False)


def report_pages(monitors: Sequence[IndicatorMonitor], lang: str = "zh",
                 title: str | None = None, when: date | None = None) -> list[Figure]:
    """Return the report's A4 pages: the overview table, then three indicator charts a page.

    The overview lists the same levels as :func:`overview_table`; each chart
    prints the indicator's rule (:meth:`Rule.describe`) and its yearly levels.
    Call inside :func:`spatial.export._export_style` (as :func:`report_pdf` does)
    so the CJK font is used.
    """
    en = lang == "en"
    title = title or ("Plan implementation monitoring" if en else "规划实施监测")
    stamp = (when or date.today()).isoformat()
    areas = any(m.source is not None for m in monitors)
    what = (" and per-area indicators" if en else "及分片区指标") if areas else ""
    subtitle = (f"Hebi ETDZ 14th Five-Year Plan, Table 1{what} · {stamp} · levels: on track / "
                "watch / warning / missing" if en
                else f"鹤壁经开区“十四五”规划纲要 表1{what} · {stamp} · "
                "等级：正常 / 关注 / 预警 / 缺失")
    table = overview_table(monitors, lang)
    pages: list[Figure] = []
    colours = {name: LEVEL_COLOURS[lv] for lv, names in LEVELS.items() for name in names}
    cols = list(table.columns)
    # English words are longer: a narrower name column leaves room for "not assessed".
    widths = ([0.04, 0.19, 0.10, 0.10, 0.10] + [0.075] * len(YEARS) if en
              else [0.05, 0.27, 0.09, 0.10, 0.09] + [0.06] * len(YEARS))
    size = 6.5 if en else 7.0
    xs = [0.03 if en else 0.04]
    for w in widths:
        xs.append(xs[-1] + w)
    per_page = 30  # 29 rows fit one A4 page at 7 pt
    for start in range(0, max(len(table), 1), per_page):
        fig = Figure(figsize=_A4)
        _page_header(fig, title, subtitle)
        y = 0.91
        for x, c in zip(xs, cols, strict=True):
            fig.text(x, y, c, fontsize=7.5, color="#000000", parse_math=False)
        y -= 0.026
        for rec in table.iloc[start:start + per_page].to_dict("records"):
            for x, c in zip(xs, cols, strict=True):
                text = str(rec[c])
                limit = 24 if en else 16
                if c in ("指标", "Indicator") and len(text) > limit:
                    text = text[:limit - 1] + "…"
                fig.text(x, y, text, fontsize=size, color=colours.get(text, "#111111"),
                         parse_math=False)
            y -= 0.028
        pages.append(fig)
    # Charts for the indicators with at least one actual: the others have only their path.
    shown = [m for m in monitors if m.rule.kind != "none" and m.latest() is not None]
    if len(shown) < len([m for m in monitors if m.rule.kind != "none"]):
        note = ("Charts follow for the indicators with at least one actual." if en
                else "下列各页附有实际值的指标的图表；无实际值的指标只列于上表。")
        pages[0].text(0.04, 0.035, note, fontsize=7, color="#555555", parse_math=False)
    for start in range(0, len(shown), 3):
        fig = Figure(figsize=_A4)
        _page_header(fig, title, subtitle)
        for slot, m in enumerate(shown[start:start + 3]):
            top = 0.90 - slot * 0.30
            ax = fig.add_axes((0.10, top - 0.19, 0.84, 0.17))
            _draw_chart(ax, m, lang, size=7.5)
            levels = "  ".join(f"{c.year}: {level_name(c.level, lang)}" for c in m.checks)
            fig.text(0.10, top - 0.225, levels, fontsize=7, parse_math=False)
            rule = m.rule.describe(lang, m.indicator.unit(lang))
            if m.source is not None:
                label = m.source.label(lang)
                rule = (f"Target from ({label}): {m.source.en}. " if en
                        else f"目标来源（{label}）：{m.source.zh}。") + rule
            fig.text(0.10, top - 0.24, _wrap(rule, 118 if en else 62), fontsize=6.5,
                     va="top", parse_math=False, color="#333333")
        pages.append(fig)
    return pages


def report_pdf(monitors: Sequence[IndicatorMonitor], lang: str = "zh",
               title: str | None = None, when: date | None = None) -> bytes:
    """Return the monitoring report as a PDF (:func:`report_pages`, text kept as text)."""
    buf = io.BytesIO()
    with export_style():
        pages = report_pages(monitors, lang, title, when)
        with PdfPages(buf, metadata={"Title": title or "规划实施监测"}) as pdf:
            for fig in pages:
                pdf.savefig(fig)
    return buf.getvalue()


def _wrap(text: str, width: int) -> str:
    """Break English at spaces and Chinese every ``width`` characters (it has no spaces)."""
    if not re.search(r"[\u3400-\u9fff]", text):
        return textwrap.fill(text, width)
    return "\n".join(text[i:i + width] for i in range(0, len(text), width))
