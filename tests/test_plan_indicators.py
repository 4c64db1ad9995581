"""The shipped plan Table 1: known values, unknown cells left empty, links to per-area figures."""

from __future__ import annotations

import pandas as pd
import pytest

from spatial.plan_indicators import (
    PlanTableError,
    find_plan_indicator,
    load_plan_indicators,
    plan_for_area_indicator,
    plan_table,
)


@pytest.fixture(scope="module")
def plan():
    return {p.key: p for p in load_plan_indicators()}


def test_known_values_from_the_plan(plan):
    assert (plan["gdp"].base_2020, plan["gdp"].target_2025, plan["gdp"].unit_zh) == (
        83.14, 160.0, "亿元")
    green = plan["urban_green_rate"]
    assert (green.name_zh, green.base_2020, green.target_2025) == ("城市绿地率", 29.6, 37.0)
    assert plan["green_coverage_rate"].base_2020 == 32.6
    assert (plan["garden_factories"].base_2020, plan["garden_factories"].target_2025) == (51, 130)
    tax = plan["tax_per_mu"]
    assert (tax.target_2025, tax.target_op, tax.unit_zh) == (15.0, ">", "万元/亩")
    assert all(p.source for p in plan.values())


def test_unknown_cells_stay_empty(plan):
    assert plan["green_coverage_rate"].target_2025 is None
    assert plan["green_coverage_rate"].target() is None
    assert plan["tax_per_mu"].base_2020 is None
    # The plan's own growth figures and 预期性/约束性 were not transcribed: none invented.
    assert all(p.avg_growth_pct is None and p.nature is None for p in plan.values())


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
    assert find_plan_indicator("产值") is None


def test_plan_table_for_display(plan):
    table = plan_table(list(plan.values()), "zh")
    row = table[table["指标"] == "城市绿地率"].iloc[0]
    assert row["2025 年目标"] == "≥ 37" and row["2020 年基数"] == 29.6
    empty = table[table["指标"] == "绿化覆盖率"].iloc[0]
    assert empty["2025 年目标"] == ""
    assert "Implied growth (computed, %/yr)" in plan_table(list(plan.values()), "en").columns
    gdp = table[table["指标"] == "地区生产总值"].iloc[0]
    assert gdp["推算年均增长（计算，%）"] == 14.0
    assert pd.isna(gdp["年均增长（规划，%）"])


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
