"""The plan's main indicators (Table 1) as data, and their link to per-area figures.

The shipped table ``data/tables/plan_indicators.csv`` transcribes all 29 rows of
the plan's 《“十四五”经济社会发展主要指标》: number, section, indicator, unit,
2020 base, 2025 target, five-year average growth or cumulative total ([…]),
预期性/约束性, the cells the text extraction kept (``table_cells``) and, per value,
where it comes from (``*_src``): ``table`` (read from the table), ``body`` (the
table cell was dropped by the extraction and the value is restored from a
sentence of the body text, cited in ``plan_indicator_sources.csv``), ``deduced``
(from the extraction rule, explained in the row's note and the docs) or
``unknown`` (never filled in). A 2025 target is read as "at least" (``>=``)
unless the plan states otherwise (亩均税收 "> 15 万元/亩" is ``>``).

The plan's other quantitative targets stated in the body text (亩均产出, 海绵城市,
绿色建筑, 游园 …) are in ``data/tables/plan_targets.csv``, each with its chapter
and verbatim sentence (:func:`load_plan_targets`).

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
from spatial.text import quote_zh

__all__ = [
    "PLAN_SOURCES_PATH",
    "PLAN_TABLE_PATH",
    "PLAN_TARGETS_PATH",
    "UNKNOWN_EN",
    "UNKNOWN_ZH",
    "PlanIndicator",
    "PlanSource",
    "PlanTableError",
    "PlanTarget",
    "chapter_en",
    "find_plan_indicator",
    "load_indicator_sources",
    "load_plan_indicators",
    "load_plan_targets",
    "plan_for_area_indicator",
    "plan_for_uploaded_column",
    "plan_sources_table",
    "plan_table",
    "plan_targets_table",
]

PLAN_TABLE_PATH = (
    Path(__file__).resolve().parent.parent / "data" / "tables" / "plan_indicators.csv"
)
PLAN_SOURCES_PATH = PLAN_TABLE_PATH.with_name("plan_indicator_sources.csv")
PLAN_TARGETS_PATH = PLAN_TABLE_PATH.with_name("plan_targets.csv")
_COLUMNS = (
    "key", "indicator", "indicator_en", "unit", "unit_en", "base_2020", "target_2025",
    "target_op", "avg_growth_pct", "nature", "area_indicator", "source", "note", "note_en",
)
# Columns of the complete Table 1; a table without them (an older 5-row file) still loads.
_OPTIONAL = (
    "seq", "number", "number_src", "section", "section_en", "plan_name", "table_cells",
    "base_text", "base_src", "target_text", "target_src", "growth_text", "growth_kind",
    "growth_src", "nature_src", "monitor",
)
_OPS = (">=", ">", "<=", "<")
_NATURES = ("预期性", "约束性")
_VALUE_SOURCES = ("table", "body", "deduced", "unknown")
_MONITOR = ("growth", "linear", "rate", "cumulative", "threshold", "none")
UNKNOWN_ZH = "规划未给出/未能恢复"
UNKNOWN_EN = "not given / not recovered"


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
        Indicator name (``plan_name`` is the name exactly as the table prints it).
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
    seq, number, number_src : int, str, str
        Position (1–29), the printed row number ("" if lost) and its source.
    base_text, target_text, growth_text : str
        A cell as the plan prints it when it is not a plain number
        ("—", ">25", "5左右", "[1.275]", "按省市下达目标").
    base_src, target_src, growth_src, nature_src : str
        ``table``, ``body``, ``deduced`` or ``unknown`` (see the module docstring).
    growth_kind : str
        ``annual`` (average % a year), ``cumulative`` (five-year total) or "".
    monitor : str
        How 规划实施监测 follows it: ``growth`` (compound path by the stated
        growth), ``linear`` (base to target), ``rate`` (a yearly rate against
        a constant), ``cumulative`` (running total against an even share),
        ``threshold`` (no base: each year against the target) or ``none``.
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
    seq: int = 0
    number: str = ""
    number_src: str = "table"
    section_zh: str = ""
    section_en: str = ""
    plan_name: str = ""
    table_cells: tuple[str, ...] = ()
    base_text: str = ""
    base_src: str = "table"
    target_text: str = ""
    target_src: str = "table"
    growth_text: str = ""
    growth_kind: str = ""
    growth_src: str = "table"
    nature_src: str = "table"
    monitor: str = "none"

    @property
    def lower_is_better(self) -> bool:
        """True when the target is a ceiling (城镇调查失业率 “5左右” is read as ≤ 5)."""
        return self.target_op in ("<=", "<")

    @property
    def comparable_per_area(self) -> bool:
        """True when an area's own figure can be held against the target (a rate or intensity).

        A zone total (地区生产总值 160 亿元, 花园式工厂 130 家) is not a target for each area.
        """
        return self.target_2025 is not None and (self.unit_en == "%" or "/" in self.unit_zh)

    @property
    def cumulative(self) -> bool:
        """True when the growth column holds a five-year total ([…] in the plan)."""
        return self.growth_kind == "cumulative"

    def section(self, lang: str = "zh") -> str:
        """Return the Table 1 section (一、经济发展 …) in ``"zh"`` or ``"en"``."""
        return self.section_en if lang == "en" else self.section_zh

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
        opt = {c: str(rec.get(c, "")).strip() for c in _OPTIONAL}
        for col in ("number_src", "base_src", "target_src", "growth_src", "nature_src"):
            if opt[col] and opt[col] not in _VALUE_SOURCES:
                raise PlanTableError(f"规划指标表第 {row} 行“{col}”无效：{opt[col][:10]}",
                                     f"Plan indicator table, row {row}: invalid {col}.")
        if opt["monitor"] and opt["monitor"] not in _MONITOR:
            raise PlanTableError(f"规划指标表第 {row} 行监测方式无效：{opt['monitor'][:10]}",
                                 f"Plan indicator table, row {row}: invalid monitor kind.")
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
                seq=int(opt["seq"]) if opt["seq"].isdigit() else pos - 1,
                number=opt["number"],
                number_src=opt["number_src"] or "table",
                section_zh=opt["section"],
                section_en=opt["section_en"],
                plan_name=opt["plan_name"],
                table_cells=tuple(c for c in opt["table_cells"].split("｜") if c),
                base_text=opt["base_text"],
                base_src=opt["base_src"] or "table",
                target_text=opt["target_text"],
                target_src=opt["target_src"] or "table",
                growth_text=opt["growth_text"],
                growth_kind=opt["growth_kind"],
                growth_src=opt["growth_src"] or "table",
                nature_src=opt["nature_src"] or "table",
                monitor=opt["monitor"] or "none",
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
    The name as the table prints it ("地区生产总值(亿元,%)") also matches.
    Width, case and spaces are ignored.
    """
    wanted = _norm(name)
    if not wanted:
        return None
    for ind in indicators if indicators is not None else load_plan_indicators():
        if wanted in {_norm(ind.name_zh), _norm(ind.name_en), _norm(ind.key),
                      _norm(ind.plan_name)}:
            return ind
    return None


# --- the body text's evidence and other targets -------------------------------------------------


@dataclass(frozen=True)
class PlanSource:
    """A sentence of the plan's body text that states a Table 1 value.

    Attributes
    ----------
    key : str
        The :class:`PlanIndicator` it concerns.
    field : str
        ``base_2020``, ``target_2025``, ``avg_growth_pct`` or ``nature``.
    value : float, optional
        The number the sentence states (None for a sentence in words).
    role : str
        ``restores`` (the table cell was lost; the value comes from here),
        ``confirms`` (the table gives it and the text says the same) or
        ``related`` (the text says something about it that is not the cell).
    chapter, box : str
        第X章 and, inside a box, 专栏N.
    line : int
        Line of the plan text file (1-based).
    quote : str
        The plan's words, verbatim.
    """

    key: str
    field: str
    value: float | None
    role: str
    chapter: str
    box: str
    line: int
    quote: str

    def where(self, lang: str = "zh") -> str:
        """Return "第十四章" / "专栏9（第十四章）" or their English form."""
        ch = chapter_en(self.chapter) if lang == "en" else self.chapter
        if not self.box:
            return ch
        box = self.box.replace("专栏", "Box ") if lang == "en" else self.box
        return f"{box} ({ch})" if lang == "en" else f"{box}（{ch}）"


@dataclass(frozen=True)
class PlanTarget:
    """A quantitative target stated in the plan's body text (not in Table 1).

    ``value`` is the number a check uses (the lower end of a range such as
    "3-4家"); ``value_text`` is the plan's own wording of it.
    """

    key: str
    name_zh: str
    name_en: str
    value: float
    op: Comparison
    value_text: str
    unit_zh: str
    unit_en: str
    year: str
    chapter: str
    box: str
    line: int
    quote: str
    table_key: str = ""

    def name(self, lang: str = "zh") -> str:
        """Return the name in ``"zh"`` or ``"en"``."""
        return self.name_en if lang == "en" else self.name_zh

    def target(self) -> Target:
        """Return the target as a pass/fail threshold."""
        return Target(self.value, self.op)


_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def chapter_en(chapter: str) -> str:
    """Return "Chapter 14" for "第十四章" (1–99); other text unchanged."""
    body = chapter.removeprefix("第").removesuffix("章")
    if not body or body == chapter or any(c not in _CN_DIGITS and c != "十" for c in body):
        return chapter
    tens, _, ones = body.rpartition("十")
    if "十" in body:
        n = (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + _CN_DIGITS.get(ones, 0)
    else:
        n = _CN_DIGITS[body]
    return f"Chapter {n}"


def _read(source: Path | bytes, what_zh: str, what_en: str,
          columns: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
        frame = pd.read_csv(io.StringIO(raw.decode("utf-8-sig")), dtype=str,
                            keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError):
        raise PlanTableError(f"无法读取{what_zh}（应为 UTF-8 CSV）。",
                             f"The {what_en} cannot be read (UTF-8 CSV expected).") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise PlanTableError(f"{what_zh}缺少列：{', '.join(missing)}",
                             f"The {what_en} lacks columns: {', '.join(missing)}")
    return [{str(k): str(v).strip() for k, v in rec.items()} for rec in frame.to_dict("records")]


def load_indicator_sources(source: Path | bytes | None = None) -> list[PlanSource]:
    """Read the body-text sentences behind Table 1's values (``plan_indicator_sources.csv``)."""
    cols = ("key", "field", "value", "role", "chapter", "box", "line", "quote")
    out = []
    for pos, rec in enumerate(_read(source or PLAN_SOURCES_PATH, "规划指标依据表",
                                    "plan indicator sources table", cols), start=2):
        if rec["role"] not in ("restores", "confirms", "related") or not rec["quote"] \
                or not rec["line"].isdigit():
            raise PlanTableError(f"规划指标依据表第 {pos} 行不完整。",
                                 f"Plan indicator sources table, row {pos} is incomplete.")
        out.append(PlanSource(rec["key"], rec["field"], _num(rec["value"], str(pos), "value"),
                              rec["role"], rec["chapter"], rec["box"], int(rec["line"]),
                              rec["quote"]))
    return out


def load_plan_targets(source: Path | bytes | None = None) -> list[PlanTarget]:
    """Read the plan's other quantitative targets (``plan_targets.csv``)."""
    cols = ("key", "target", "target_en", "value", "op", "value_text", "unit", "unit_en",
            "year", "chapter", "box", "line", "quote", "table_key")
    out = []
    for pos, rec in enumerate(_read(source or PLAN_TARGETS_PATH, "规划目标表",
                                    "plan targets table", cols), start=2):
        value = _num(rec["value"], str(pos), "value")
        if value is None or rec["op"] not in _OPS or not rec["line"].isdigit() \
                or not rec["quote"]:
            raise PlanTableError(f"规划目标表第 {pos} 行不完整。",
                                 f"Plan targets table, row {pos} is incomplete.")
        out.append(PlanTarget(
            rec["key"], rec["target"], rec["target_en"], value,
            cast(Comparison, rec["op"]), rec["value_text"], rec["unit"], rec["unit_en"],
            rec["year"], rec["chapter"], rec["box"], int(rec["line"]), rec["quote"],
            rec["table_key"],
        ))
    return out


# --- display -------------------------------------------------------------------------------------

_TEXT_EN = {
    "按省市下达目标": "as set by the province and city",
    "与经济增长基本同步": "broadly in step with economic growth",
    "—": "—",
}
_NATURE_EN = {"预期性": "expected", "约束性": "binding"}
_YEAR_EN = {"“十四五”": "14th FYP period", "三年内": "within three years",
            "5年内": "within five years"}


def _text_en(text: str) -> str:
    """English of a cell printed in words or with 左右 ("14左右" → "about 14")."""
    if text in _TEXT_EN:
        return _TEXT_EN[text]
    if text.endswith("左右"):
        return "about " + text.removesuffix("左右")
    return text


def _number_text(x: float) -> str:
    return f"{x:g}"


def _restored_from(sources: list[PlanSource], key: str, field: str) -> PlanSource | None:
    return next((s for s in sources if s.key == key and s.field == field
                 and s.role == "restores"), None)


def _mark(text: str, src: str, restored: PlanSource | None, lang: str) -> str:
    """A value with its origin when it is not read from the table."""
    en = lang == "en"
    if src == "unknown" or not text:
        return UNKNOWN_EN if en else UNKNOWN_ZH
    if src == "body" and restored is not None:
        return (f"{text} (restored from {restored.where('en')})" if en
                else f"{text}（据正文{restored.where('zh')}恢复）")
    if src == "deduced":
        return f"{text} (deduced)" if en else f"{text}（推定）"
    return text


def _cell(ind: PlanIndicator, field: str, sources: list[PlanSource], lang: str) -> str:
    en = lang == "en"
    if field == "base_2020":
        text = ind.base_text or ("" if ind.base_2020 is None else _number_text(ind.base_2020))
        src = ind.base_src
    elif field == "target_2025":
        text = ind.target_text or (
            "" if ind.target_2025 is None else _number_text(ind.target_2025))
        src = ind.target_src
    elif field == "avg_growth_pct":
        if ind.growth_text:
            text = ind.growth_text
        elif ind.avg_growth_pct is None:
            text = ""
        else:
            text = _number_text(ind.avg_growth_pct)
            text = f"[{text}]" if ind.cumulative else text
        src = ind.growth_src
    else:
        text = ind.nature or ""
        src = ind.nature_src
        if en and text:
            text = _NATURE_EN[text]
        return _mark(text, src, None, lang)
    if en:
        text = _text_en(text)
    return _mark(text, src, _restored_from(sources, ind.key, field), lang)


def plan_for_uploaded_column(
    name: str, indicators: list[PlanIndicator] | None = None
) -> PlanIndicator | None:
    """Return the plan indicator an uploaded per-area column is checked against, if any.

    Only a rate or an intensity (:attr:`PlanIndicator.comparable_per_area`): an
    uploaded "地区生产总值" per area is not held against the zone's 160 亿元.
    """
    found = find_plan_indicator(name, indicators)
    return found if found is not None and found.comparable_per_area else None


def plan_table(indicators: list[PlanIndicator], lang: str = "zh",
               sources: list[PlanSource] | None = None) -> pd.DataFrame:
    """Return Table 1 for display and download, with headers in one language.

    One row per indicator in the plan's order: number, section, name, unit,
    2020 base, 2025 target, five-year growth or cumulative total ([…]), 属性 and
    a note. A value restored from the body text says so with its chapter
    ("40（据正文第十四章恢复）"), a deduced one says "（推定）", and a cell that
    could not be recovered reads :data:`UNKNOWN_ZH` / :data:`UNKNOWN_EN`.
    """
    en = lang == "en"
    if sources is None:
        sources = load_indicator_sources()
    rows = []
    for ind in indicators:
        number = ind.number or (UNKNOWN_EN if en else UNKNOWN_ZH)
        if ind.number and ind.number_src == "deduced":
            number += " (deduced)" if en else "（推定）"
        rows.append(
            {
                ("No." if en else "序号"): number,
                ("Section" if en else "类别"): ind.section(lang),
                ("Indicator" if en else "指标"): ind.name(lang),
                ("Unit" if en else "单位"): ind.unit(lang) or (
                    "not given" if en else "未注明"),
                ("2020 base" if en else "2020年基数"): _cell(ind, "base_2020", sources, lang),
                ("2025 target" if en else "2025年目标"): _cell(ind, "target_2025", sources, lang),
                ("Five-year average growth (%) or [total]" if en else "五年年均增长或[累计]"):
                    _cell(ind, "avg_growth_pct", sources, lang),
                ("Type" if en else "属性"): _cell(ind, "nature", sources, lang),
                ("Note" if en else "说明"): ind.note_en if en else ind.note_zh,
            }
        )
    return pd.DataFrame(rows)


_FIELD_NAMES = {
    "base_2020": ("2020年基数", "2020 base"),
    "target_2025": ("2025年目标", "2025 target"),
    "avg_growth_pct": ("五年年均增长或累计", "five-year growth or total"),
    "nature": ("属性", "type"),
}
_ROLE_NAMES = {
    "restores": ("表中缺失，据此恢复", "lost from the table, restored from this"),
    "confirms": ("与表中数值一致", "agrees with the table"),
    "related": ("相关表述（不作为表值）", "related wording (not the table's value)"),
}


def plan_sources_table(indicators: list[PlanIndicator], lang: str = "zh",
                       sources: list[PlanSource] | None = None) -> pd.DataFrame:
    """Return the body-text sentences behind Table 1: indicator, item, role, chapter, quote."""
    en = lang == "en"
    names = {ind.key: ind.name(lang) for ind in indicators}
    order = {ind.key: ind.seq for ind in indicators}
    rows = []
    for s in sorted(sources if sources is not None else load_indicator_sources(),
                    key=lambda s: (order.get(s.key, 99), s.line)):
        if s.key not in names:
            continue
        field_zh, field_en = _FIELD_NAMES.get(s.field, (s.field, s.field))
        role_zh, role_en = _ROLE_NAMES[s.role]
        rows.append({
            ("Indicator" if en else "指标"): names[s.key],
            ("Item" if en else "项目"): field_en if en else field_zh,
            ("Value" if en else "数值"): "" if s.value is None else _number_text(s.value),
            ("Use" if en else "用途"): role_en if en else role_zh,
            ("Where" if en else "出处"): s.where(lang),
            ("Plan text (Chinese, verbatim)" if en else "规划原文"): quote_zh(s.quote),
        })
    return pd.DataFrame(rows)


def plan_targets_table(targets: list[PlanTarget], lang: str = "zh") -> pd.DataFrame:
    """Return the plan's other quantitative targets for display and download."""
    en = lang == "en"
    rows = []
    for tg in targets:
        year = _YEAR_EN.get(tg.year, tg.year) if en else tg.year
        value = tg.target().text(data_decimals([tg.value], cap=2)) if en else tg.value_text
        rows.append({
            ("Target" if en else "目标"): tg.name(lang),
            ("Value" if en else "目标值"): value,
            ("Unit" if en else "单位"): (tg.unit_en if en else tg.unit_zh) or "—",
            ("By" if en else "期限"): year,
            ("Where" if en else "出处"): (
                PlanSource("", "", None, "related", tg.chapter, tg.box, tg.line, "").where(lang)),
            ("Plan text (Chinese, verbatim)" if en else "规划原文"): quote_zh(tg.quote),
        })
    return pd.DataFrame(rows)
