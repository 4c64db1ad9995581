"""The shipped plan Table 1: all 29 rows traced to the plan text, cell by cell.

The plan text (``../shared/plan/``) lost every table cell that repeats an earlier
line of the file. These tests read the table region of the text themselves and
check the shipped CSVs against it: the cells kept per row, each value's source,
every body-text quote verbatim at its line and chapter, and that a value restored
from the body text is one the extraction would have dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from spatial.plan_indicators import (
    UNKNOWN_EN,
    UNKNOWN_ZH,
    PlanTableError,
    chapter_en,
    find_plan_indicator,
    load_indicator_sources,
    load_plan_indicators,
    load_plan_targets,
    plan_for_area_indicator,
    plan_for_uploaded_column,
    plan_sources_table,
    plan_table,
    plan_targets_table,
)

PLAN_FILE = Path(__file__).resolve().parents[1] / ".." / "shared" / "plan" / \
    "001_da5027ec7b0eb358.txt"
CJK = re.compile(r"[\u3400-\u9fff]")

pytestmark = pytest.mark.skipif(not PLAN_FILE.exists(), reason="plan text not checked out")


@pytest.fixture(scope="module")
def lines() -> list[str]:
    return PLAN_FILE.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def rows():
    return load_plan_indicators()


@pytest.fixture(scope="module")
def plan(rows):
    return {p.key: p for p in rows}


@pytest.fixture(scope="module")
def sources():
    return load_indicator_sources()


def table_region(lines):
    start = lines.index("表1:“十四五”经济社会发展主要指标")
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("注:[]内数据"))
    return start, end


def chapter_at(lines, lineno):
    for i in range(lineno - 1, -1, -1):
        m = re.match(r"^(第[一二三四五六七八九十]+章)", lines[i])
        if m:
            return m.group(1)
    return ""


def worded_in(value_text, quote):
    """The plan's wording of a target is in its sentence; a verb the sentence shares over a list
    (“分别突破400亿元和100亿元”) is carried to each value (“突破100亿元”)."""
    if value_text in quote:
        return True
    m = re.match(r"(突破|超过)(.+)", value_text)
    if m is None:
        return False
    return m.group(2) in quote and quote.find(m.group(1)) < quote.rfind(m.group(2))


def number_text(x):
    return f"{x:g}"


# --- Table 1 against the text ---------------------------------------------------------------------


def test_29_rows_in_the_plans_order_each_named_as_the_table_prints_it(rows, lines):
    assert len(rows) == 29
    assert [r.seq for r in rows] == list(range(1, 30))
    start, end = table_region(lines)
    at = [lines.index(r.plan_name, start, end) for r in rows]
    assert at == sorted(at)
    assert len({r.key for r in rows}) == 29
    assert {r.section_zh for r in rows} == {
        "一、经济发展", "二、创新驱动", "三、开放合作", "三、民生福祉", "四、数字转型及绿色生态"}
    for r in rows:  # a row sits below its section's header line
        header = max(i for i in range(start, lines.index(r.plan_name, start, end))
                     if re.match(r"^[一二三四五]、", lines[i]))
        assert lines[header] == r.section_zh


def test_the_cells_the_extraction_kept_are_the_lines_under_each_row(rows, lines):
    start, end = table_region(lines)
    names = [lines.index(r.plan_name, start, end) for r in rows] + [end]
    for i, (r, here, nxt) in enumerate(zip(rows, names, names[1:], strict=False)):
        between = [c for c in lines[here + 1:nxt] if not re.match(r"^[一二三四五]、", c)]
        following = rows[i + 1] if i + 1 < len(rows) else None
        if following is not None and following.number_src == "table":
            assert between[-1] == following.number  # the next row's printed number
            between = between[:-1]
        assert tuple(between) == r.table_cells, r.key


def test_every_value_has_a_source_and_a_table_value_is_one_of_its_rows_cells(rows, sources):
    restored = {(s.key, s.field) for s in sources if s.role == "restores"}
    for r in rows:
        fields = {
            "base_2020": (r.base_2020, r.base_text, r.base_src),
            "target_2025": (r.target_2025, r.target_text, r.target_src),
            "avg_growth_pct": (r.avg_growth_pct, r.growth_text, r.growth_src),
            "nature": (None, r.nature or "", r.nature_src),
        }
        for field, (value, text, src) in fields.items():
            assert src in ("table", "body", "deduced", "unknown"), (r.key, field)
            present = value is not None or bool(text)
            assert present == (src != "unknown"), (r.key, field)  # unknown ⇔ empty
            if src == "table":
                shown = text or (f"[{number_text(value)}]" if r.cumulative and field ==
                                 "avg_growth_pct" else number_text(value))
                assert shown in r.table_cells, (r.key, field, shown)
            if src == "body":
                assert (r.key, field) in restored, (r.key, field)
            if src == "deduced":
                assert field == "nature", (r.key, field)
        assert r.number_src in ("table", "deduced", "unknown")


def test_a_value_restored_from_the_text_is_one_the_extraction_would_have_dropped(
        rows, plan, sources, lines):
    # The extraction drops a cell that repeats an earlier line: a restored value must
    # therefore be written exactly like a line above its row in the table.
    start, end = table_region(lines)
    for s in sources:
        if s.role != "restores":
            continue
        r = plan[s.key]
        above = set(lines[start:lines.index(r.plan_name, start, end)])
        assert number_text(s.value) in above, s.key


def test_each_body_sentence_is_verbatim_at_its_line_and_chapter(sources, plan, lines):
    assert sources
    for s in sources:
        assert s.key in plan
        assert s.quote in lines[s.line - 1], s.quote
        assert chapter_at(lines, s.line) == s.chapter, s.quote
        if s.value is not None:
            assert number_text(s.value) in s.quote, s.quote


def test_each_value_the_body_text_states_equals_the_tables(plan, sources):
    checked = 0
    for s in sources:
        if s.role == "related" or s.value is None:
            continue
        r = plan[s.key]
        assert getattr(r, s.field) == pytest.approx(s.value), (s.key, s.field)
        checked += 1
    assert checked >= 30
    # The values the extraction lost, restored from the chapters that state them:
    assert plan["green_coverage_rate"].target_2025 == 40.0  # 第十四章 37%、40%
    assert plan["green_factories"].target_2025 == 40.0  # 第十章
    assert plan["leading_firms_1_5bn"].target_2025 == 10.0  # 第四章
    assert plan["incubators"].target_2025 == 3.0  # 第十一章
    assert plan["leading_industry_investment"].avg_growth_pct == 15.0  # 第四章 年增15%
    assert plan["tech_contract_growth"].avg_growth_pct == 10.0
    assert plan["trade_growth"].avg_growth_pct == 10.0


def test_natures_deduced_from_where_the_first_binding_cell_sits(rows, lines):
    # "约束性" first appears under 万元工业增加值能耗降低率: a row above it that was 约束性
    # would have kept that line, so its lost 属性 cell can only repeat "预期性".
    start, end = table_region(lines)
    first_binding = lines.index("约束性", start, end)
    assert lines[start:end].count("预期性") == 1
    for r in rows:
        at = lines.index(r.plan_name, start, end)
        if r.nature_src == "deduced":
            assert at < first_binding and r.nature == "预期性", r.key
        if at > first_binding:  # below it, either value is possible: never filled in
            assert r.nature is None and r.nature_src == "unknown", r.key
    assert [r.key for r in rows if r.nature_src == "table"] == ["gdp", "energy_intensity_cut"]


def test_numbers_deduced_only_where_a_repeat_was_dropped(rows, lines):
    start, end = table_region(lines)
    for prev, r, nxt in zip(rows, rows[1:], rows[2:], strict=False):
        if r.number_src == "deduced":
            assert int(r.number) == int(prev.number) + 1 == int(nxt.number) - 1
            assert r.number in lines[:lines.index(r.plan_name, start, end)]
    assert [r.number for r in rows if r.number_src == "unknown"] == [""]


def test_unknown_cells_stay_empty(plan):
    cap = plan["external_capital"]  # only "60" survives; its column and unit are unknown
    assert cap.table_cells == ("60",)
    assert (cap.base_2020, cap.target_2025, cap.avg_growth_pct, cap.unit_zh) == (
        None, None, None, "")
    assert plan["tax_per_mu"].base_2020 is None
    assert plan["pollution_intensity"].target_2025 is None
    assert plan["pollution_intensity"].target_text == ""


def test_known_values_from_the_plan(plan):
    gdp = plan["gdp"]
    assert (gdp.base_2020, gdp.target_2025, gdp.avg_growth_pct, gdp.growth_text, gdp.nature) \
        == (83.14, 160.0, 14.0, "14左右", "预期性")
    green = plan["urban_green_rate"]
    assert (green.name_zh, green.base_2020, green.target_2025) == ("城市绿地率", 29.6, 37.0)
    assert (plan["garden_factories"].base_2020, plan["garden_factories"].target_2025) == (51, 130)
    tax = plan["tax_per_mu"]
    assert (tax.target_2025, tax.target_op, tax.unit_zh) == (15.0, ">", "万元/亩")
    jobs = plan["new_urban_jobs"]
    assert jobs.cumulative and jobs.avg_growth_pct == 1.275 and jobs.growth_text == "[1.275]"
    assert plan["unemployment_rate"].lower_is_better
    assert not plan["gdp"].lower_is_better
    assert plan["energy_intensity_cut"].nature == "约束性"
    assert all(p.source for p in plan.values())


def test_targets_and_base_thresholds(plan):
    green = plan["urban_green_rate"]
    assert green.target() is not None and green.target().meets(37.0) is True
    assert green.target().meets(36.9) is False
    assert green.base_threshold().value == 29.6
    assert plan["tax_per_mu"].target().meets(15.0) is False  # "> 15" is strict
    assert green.change() == pytest.approx(7.4)


def test_implied_growth_is_computed_not_stated(plan):
    # (160 / 83.14)^(1/5) − 1 = exp(ln(1.92446) / 5) − 1 = 13.989 %
    assert plan["gdp"].implied_growth_pct() == pytest.approx(13.989, abs=1e-3)
    assert plan["urban_green_rate"].implied_growth_pct() is None  # a rate changes in points


def key_of(ind):
    return None if ind is None else ind.key


def test_links_to_area_indicators_and_uploaded_columns():
    assert key_of(plan_for_area_indicator("green_share_pct")) == "urban_green_rate"
    assert plan_for_area_indicator("road_density") is None
    assert key_of(find_plan_indicator("亩均税收")) == "tax_per_mu"
    assert key_of(find_plan_indicator(" 亩均 税收 ")) == "tax_per_mu"
    assert key_of(find_plan_indicator("tax revenue per MU")) == "tax_per_mu"
    assert key_of(find_plan_indicator("地区生产总值(亿元,%)")) == "gdp"
    assert find_plan_indicator("产值") is None
    # An uploaded per-area column meets a target only where the target is a rate or intensity.
    assert key_of(plan_for_uploaded_column("亩均税收")) == "tax_per_mu"
    assert key_of(plan_for_uploaded_column("城市绿地率")) == "urban_green_rate"
    assert plan_for_uploaded_column("地区生产总值") is None
    assert plan_for_uploaded_column("花园式工厂") is None


# --- display ---------------------------------------------------------------------------------


def test_table_1_for_display_lists_29_rows_with_sources_and_unknowns(rows):
    table = plan_table(rows, "zh")
    assert len(table) == 29
    assert list(table.columns[:8]) == ["序号", "类别", "指标", "单位", "2020年基数", "2025年目标",
                                       "五年年均增长或[累计]", "属性"]
    by = table.set_index("指标")
    assert by.loc["城市绿地率", "2025年目标"] == "37"
    assert by.loc["绿化覆盖率", "2025年目标"] == "40（据正文第十四章恢复）"
    assert by.loc["主导产业投资", "五年年均增长或[累计]"] == "15（据正文第四章恢复）"
    assert by.loc["城镇新增就业人数", "五年年均增长或[累计]"] == "[1.275]"
    assert by.loc["亩均税收", "2020年基数"] == UNKNOWN_ZH
    assert by.loc["亩均税收", "序号"] == "7（推定）"
    assert by.loc["主导产业增加值增速", "属性"] == "预期性（推定）"
    assert by.loc["城市绿地率", "属性"] == UNKNOWN_ZH
    assert by.loc["万元工业增加值能耗降低率", "属性"] == "约束性"
    assert (table == "").sum().sum() == 0 or table["说明"].eq("").any()  # only notes may be empty


def test_english_table_1_has_no_chinese(rows):
    table = plan_table(rows, "en")
    assert len(table) == 29
    for col in table.columns:
        assert not CJK.search(col)
        for cell in table[col]:
            assert not CJK.search(str(cell)), (col, cell)
    by = table.set_index("Indicator")
    assert by.loc["Green coverage rate", "2025 target"] == "40 (restored from Chapter 14)"
    assert by.loc["Tax revenue per mu", "2020 base"] == UNKNOWN_EN
    assert by.loc["Surveyed urban unemployment rate", "2025 target"] == "about 5"


def test_sources_table_quotes_and_chapters(rows):
    zh = plan_sources_table(rows, "zh")
    assert len(zh) == len(load_indicator_sources())
    assert {"指标", "项目", "数值", "用途", "出处", "规划原文"} <= set(zh.columns)
    row = zh[(zh["指标"] == "绿化覆盖率") & (zh["项目"] == "2025年目标")].iloc[0]
    assert row["用途"] == "表中缺失，据此恢复" and row["出处"] == "第十四章"
    en = plan_sources_table(rows, "en")
    assert set(en["Where"]) <= {chapter_en(c) for c in zh["出处"]}
    assert not any(CJK.search(str(v)) for v in en.drop(columns=["Plan text (Chinese, verbatim)",
                                                                "Indicator"]).to_numpy().ravel()
                   if not str(v).startswith("“"))


# --- the plan's other quantitative targets ---------------------------------------------------


def test_other_targets_are_verbatim_with_their_chapter(lines):
    targets = load_plan_targets()
    assert len(targets) >= 40
    keys = {t.key for t in targets}
    for key in ("output_per_mu", "sponge_city", "green_building", "kindergarten_coverage",
                "preschool_enrolment", "pocket_parks", "smart_communities",
                "five_excellent_communities", "wanren_communities", "transfer_stations",
                "magnesium_cluster", "auto_cluster", "optoelectronics_cluster"):
        assert key in keys
    for t in targets:
        assert t.quote in lines[t.line - 1], t.quote
        assert chapter_at(lines, t.line) == t.chapter, t.key
        assert worded_in(t.value_text, t.quote), t.key
    by = {t.key: t for t in targets}
    assert (by["output_per_mu"].value, by["output_per_mu"].unit_zh) == (190.0, "万元/亩")
    assert by["sponge_city"].value == 50.0 and by["green_building"].value == 70.0
    assert by["kindergarten_coverage"].value == 90.0 and by["preschool_enrolment"].value == 95.0
    assert by["pocket_parks"].value == 15.0 and by["smart_communities"].value == 10.0
    assert by["transfer_stations"].box == "专栏9"
    assert by["magnesium_cluster"].value == 50.0


def test_other_targets_table_in_both_languages():
    targets = load_plan_targets()
    zh = plan_targets_table(targets, "zh")
    assert len(zh) == len(targets)
    row = zh[zh["目标"] == "工业用地亩均产出"].iloc[0]
    assert (row["目标值"], row["单位"], row["出处"]) == ("190万元以上", "万元/亩", "第十四章")
    en = plan_targets_table(targets, "en")
    for col in en.columns.drop("Plan text (Chinese, verbatim)"):
        for cell in en[col]:
            assert not CJK.search(str(cell)), (col, cell)


def test_malformed_table_is_a_clear_error():
    head = ("key,indicator,indicator_en,unit,unit_en,base_2020,target_2025,target_op,"
            "avg_growth_pct,nature,area_indicator,source,note,note_en\n")
    with pytest.raises(PlanTableError) as err:
        load_plan_indicators((head + "a,甲,A,%,%,abc,,,,,,s,,\n").encode())
    assert "base_2020" in err.value.en and "abc" in err.value.zh
    with pytest.raises(PlanTableError):
        load_plan_indicators((head + "a,甲,A,%,%,1,2,=>,,,,s,,\n").encode())
    with pytest.raises(PlanTableError):
        load_plan_indicators(b"key,indicator\na,b\n")
    with pytest.raises(PlanTableError):
        load_plan_indicators("\ufeffkey\n".encode("gbk", errors="ignore") + b"\xff\xfe")
    # An older table without the new columns still loads (its cells default to "table").
    old = load_plan_indicators((head + "a,甲,A,%,%,1,2,>=,,,,s,,\n").encode())
    assert old[0].target_2025 == 2.0 and old[0].monitor == "none"
    with pytest.raises(PlanTableError):
        load_plan_targets(b"key,target\nx,y\n")


def test_chapter_numbers_in_english():
    assert [chapter_en(c) for c in ("第四章", "第十章", "第十四章", "第二十章", "第二十四章")] == [
        "Chapter 4", "Chapter 10", "Chapter 14", "Chapter 20", "Chapter 24"]
    assert isinstance(pd.DataFrame(), pd.DataFrame)
