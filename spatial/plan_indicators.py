"""The plan's main indicators (Table 1) as data, and their link to per-area figures.

The shipped table ``data/tables/plan_indicators.csv`` transcribes the plan's
《“十四五”经济社会发展主要指标》: indicator, unit, 2020 base, 2025 target,
average growth, 预期性/约束性 and the source. A cell the plan's text did not
give us is left empty, never filled in. A 2025 target is read as "at least"
(``>=``) unless the plan states otherwise (亩均税收 "> 15 万元/亩" is ``>``).

Where a per-area figure corresponds to a plan indicator (``area_indicator``
column, e.g. the green share of each area for 城市绿地率 37 %), the map can
check each area against the target with :meth:`PlanIndicator.target`.
"""

from __future__ import annotations

import io
import math
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import pandas as pd

from spatial._errors import SpatialError
from spatial.classify import Comparison, Target, data_decimals

__all__ = [
    "PLAN_TABLE_PATH",
    "PlanIndicator",
    "PlanTableError",
    "find_plan_indicator",
    "load_plan_indicators",
    "plan_for_area_indicator",
    "plan_table",
]

PLAN_TABLE_PATH = (
    Path(__file__).resolve().parent.parent / "data" / "tables" / "plan_indicators.csv"
)
_COLUMNS = (
    "key", "indicator", "indicator_en", "unit", "unit_en", "base_2020", "target_2025",
    "target_op", "avg_growth_pct", "nature", "area_indicator", "source", "note", "note_en",
)
_OPS = (">=", ">", "<=", "<")
_NATURES = ("预期性", "约束性")


class PlanTableError(SpatialError):
    """The plan indicator table is malformed."""


@dataclass(frozen=True)
class PlanIndicator:
    """One row of the plan's Table 1.

    Attributes
    ----------
    key : str
        Stable identifier.
    name_zh, name_en : str
        Indicator name.
    unit_zh, unit_en : str
        Unit.
    base_2020, target_2025 : float, optional
        Base-year value and 2025 target; None where the plan gives none.
    target_op : {">=", ">", "<=", "<"}, optional
        How the target is met.
    avg_growth_pct : float, optional
        Average annual growth as stated by the plan (%), if stated.
    nature : {"预期性", "约束性"}, optional
        Expected (预期性) or binding (约束性), if stated.
    area_indicator : str, optional
        Key of the per-area computed indicator that is checked against it.
    source, note_zh, note_en : str
        Where the row comes from, and what is missing or interpreted.
    """

    key: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    base_2020: float | None
    target_2025: float | None
    target_op: Comparison | None
    avg_growth_pct: float | None
    nature: str | None
    area_indicator: str | None
    source: str
    note_zh: str = ""
    note_en: str = ""

    def name(self, lang: str = "zh") -> str:
        """Return the name in ``"zh"`` or ``"en"``."""
        return self.name_en if lang == "en" else self.name_zh

    def unit(self, lang: str = "zh") -> str:
        """Return the unit in ``"zh"`` or ``"en"``."""
        return self.unit_en if lang == "en" else self.unit_zh

    def target(self) -> Target | None:
        """Return the 2025 target as a pass/fail threshold, if the plan gives one."""
        if self.target_2025 is None:
            return None
        return Target(self.target_2025, self.target_op or ">=")

    def base_threshold(self) -> Target | None:
        """Return the 2020 base as a threshold (same direction), to compare base vs target."""
        if self.base_2020 is None:
            return None
        return Target(self.base_2020, self.target_op or ">=")

    def change(self) -> float | None:
        """Return ``target − base`` in the indicator's unit (percentage points for a %)."""
        if self.base_2020 is None or self.target_2025 is None:
            return None
        return self.target_2025 - self.base_2020

    def implied_growth_pct(self, years: int = 5) -> float | None:
        """Average annual growth the base and target imply, in %.

        Formula: ``g = (target / base)^(1 / years) − 1``. This is computed,
        not the plan's own figure (see :attr:`avg_growth_pct`); None when either
        value is missing or not positive, and for a rate in % (a rate changes
        by percentage points, see :meth:`change`).
        """
        b, t = self.base_2020, self.target_2025
        if b is None or t is None or b <= 0 or t <= 0 or years <= 0 or self.unit_en == "%":
            return None
        return 100.0 * ((t / b) ** (1.0 / years) - 1.0)


def _num(text: str, row: str, col: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise PlanTableError(
            f"规划指标表第 {row} 行“{col}”不是数字：{text[:20]}",
            f"Plan indicator table, row {row}, '{col}' is not a number: {text[:20]}",
        ) from None
    if not math.isfinite(value):
        raise PlanTableError(f"规划指标表第 {row} 行“{col}”不是有限数字。",
                             f"Plan indicator table, row {row}, '{col}' is not finite.")
    return value


def load_plan_indicators(source: Path | bytes | None = None) -> list[PlanIndicator]:
    """Read and check the plan indicator table.

    Parameters
    ----------
    source : Path or bytes, optional
        A CSV file (UTF-8, a BOM is fine) or its content; the shipped table by default.

    Returns
    -------
    list of PlanIndicator
        In the table's order.

    Raises
    ------
    PlanTableError
        If the file is not readable UTF-8 CSV, lacks a column, repeats a key,
        or has a non-number, an unknown comparison or an unknown 指标属性.
    """
    try:
        raw = source if isinstance(source, bytes) else Path(source or PLAN_TABLE_PATH).read_bytes()
        frame = pd.read_csv(io.StringIO(raw.decode("utf-8-sig")), dtype=str,
                            keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise PlanTableError("无法读取规划指标表（应为 UTF-8 CSV）。",
                             "The plan indicator table cannot be read (UTF-8 CSV expected).") \
            from None
    missing = [c for c in _COLUMNS if c not in frame.columns]
    if missing:
        raise PlanTableError(f"规划指标表缺少列：{', '.join(missing)}",
                             f"The plan indicator table lacks columns: {', '.join(missing)}")
    out: list[PlanIndicator] = []
    seen: set[str] = set()
    for pos, rec in enumerate(frame.to_dict("records"), start=2):  # row 1 is the header
        row = str(pos)
        key = rec["key"].strip()
        if not key or key in seen:
            raise PlanTableError(f"规划指标表第 {row} 行的 key 为空或重复。",
                                 f"Plan indicator table, row {row}: key empty or repeated.")
        seen.add(key)
        op = rec["target_op"].strip() or None
        if op is not None and op not in _OPS:
            raise PlanTableError(f"规划指标表第 {row} 行比较符无效：{op[:5]}",
                                 f"Plan indicator table, row {row}: invalid comparison {op[:5]}")
        nature = rec["nature"].strip() or None
        if nature is not None and nature not in _NATURES:
            raise PlanTableError(
                f"规划指标表第 {row} 行指标属性应为 预期性 或 约束性。",
                f"Plan indicator table, row {row}: nature must be 预期性 or 约束性.",
            )
        out.append(
            PlanIndicator(
                key=key,
                name_zh=rec["indicator"].strip(),
                name_en=rec["indicator_en"].strip(),
                unit_zh=rec["unit"].strip(),
                unit_en=rec["unit_en"].strip(),
                base_2020=_num(rec["base_2020"], row, "base_2020"),
                target_2025=_num(rec["target_2025"], row, "target_2025"),
                target_op=cast(Comparison | None, op),
                avg_growth_pct=_num(rec["avg_growth_pct"], row, "avg_growth_pct"),
                nature=nature,
                area_indicator=rec["area_indicator"].strip() or None,
                source=rec["source"].strip(),
                note_zh=rec["note"].strip(),
                note_en=rec["note_en"].strip(),
            )
        )
    return out


def plan_for_area_indicator(
    key: str, indicators: list[PlanIndicator] | None = None
) -> PlanIndicator | None:
    """Return the plan indicator a computed per-area indicator is checked against, if any."""
    for ind in indicators if indicators is not None else load_plan_indicators():
        if ind.area_indicator == key:
            return ind
    return None


def _norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


def find_plan_indicator(
    name: str, indicators: list[PlanIndicator] | None = None
) -> PlanIndicator | None:
    """Return the plan indicator whose Chinese or English name is ``name``.

    Used to link an uploaded column (e.g. "亩均税收") to its plan target.
    Width, case and spaces are ignored.
    """
    wanted = _norm(name)
    if not wanted:
        return None
    for ind in indicators if indicators is not None else load_plan_indicators():
        if wanted in {_norm(ind.name_zh), _norm(ind.name_en), _norm(ind.key)}:
            return ind
    return None


def plan_table(indicators: list[PlanIndicator], lang: str = "zh") -> pd.DataFrame:
    """Return the plan table for display and download, with headers in one language.

    The implied growth column is computed from base and target
    (:meth:`PlanIndicator.implied_growth_pct`) and says so in its header.
    Missing cells stay empty (NaN / "").
    """
    en = lang == "en"
    rows = []
    for ind in indicators:
        target = ind.target()
        rows.append(
            {
                ("Indicator" if en else "指标"): ind.name(lang),
                ("Unit" if en else "单位"): ind.unit(lang),
                ("2020 base" if en else "2020 年基数"): ind.base_2020,
                ("2025 target" if en else "2025 年目标"): (
                    target.text(data_decimals([target.value])) if target is not None else ""
                ),
                ("Change (target − base)" if en else "变化（目标−基数）"): (
                    None if (c := ind.change()) is None else round(c, 2)
                ),
                ("Average growth (plan, %)" if en else "年均增长（规划，%）"): ind.avg_growth_pct,
                ("Implied growth (computed, %/yr)" if en else "推算年均增长（计算，%）"): (
                    None if (g := ind.implied_growth_pct()) is None else round(g, 1)
                ),
                ("Type" if en else "指标属性"): ind.nature or "",
                ("Note" if en else "说明"): ind.note_en if en else ind.note_zh,
                ("Source" if en else "来源"): ind.source,
            }
        )
    return pd.DataFrame(rows)
