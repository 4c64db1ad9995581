"""规划实施监测: paths, levels by an editable rule, missing years, the reader, the PDF report."""

from __future__ import annotations

import io
import math

import numpy as np
import openpyxl
import pytest
from pypdf import PdfReader

from spatial.monitoring import (
    YEARS,
    Actuals,
    MonitoringError,
    Rule,
    default_rule,
    indicator_chart,
    monitor,
    overview_table,
    read_actuals,
    report_pdf,
    rules_from_table,
    rules_table,
    template_csv,
    year_table,
)
from spatial.plan_indicators import load_plan_indicators


@pytest.fixture(scope="module")
def plan():
    return load_plan_indicators()


@pytest.fixture(scope="module")
def by(plan):
    return {p.key: p for p in plan}


def one(plan, key, values, rules=None):
    ms = monitor([p for p in plan if p.key == key], Actuals({key: values}), rules)
    assert len(ms) == 1
    return ms[0]


def on_path(rule, year) -> float:
    value = rule.path(year)
    assert value is not None
    return float(value)


def levels(m):
    return [c.level for c in m.checks]


def test_default_paths_follow_table_1(by):
    gdp = default_rule(by["gdp"])
    assert (gdp.kind, gdp.base, gdp.growth_pct) == ("growth", 83.14, 14.0)
    assert gdp.path(2025) == pytest.approx(83.14 * 1.14 ** 5)  # 160.08, the plan's 160
    green = default_rule(by["urban_green_rate"])
    assert green.kind == "linear" and green.path(2023) == pytest.approx(29.6 + 7.4 * 3 / 5)
    assert default_rule(by["leading_industry_va_growth"]).path(2022) == 15.0  # a yearly rate
    jobs = default_rule(by["new_urban_jobs"])
    assert jobs.kind == "cumulative" and jobs.path(2022) == pytest.approx(1.275 * 2 / 5)
    jobless = default_rule(by["unemployment_rate"])
    assert jobless.kind == "threshold" and jobless.lower_is_better and jobless.path(2021) == 5.0
    assert default_rule(by["energy_intensity_cut"]).kind == "none"


@pytest.mark.parametrize("key", ["gdp", "urban_green_rate", "leading_industry_va_growth",
                                 "four_above_enterprises", "unemployment_rate"])
def test_an_indicator_exactly_on_its_path_is_on_track(plan, by, key):
    rule = default_rule(by[key])
    m = one(plan, key, {y: on_path(rule, y) for y in YEARS})
    assert levels(m) == ["ok"] * 5
    assert all(c.shortfall_pct == pytest.approx(0.0, abs=1e-9) for c in m.checks)
    assert m.latest_level() == "ok"


def test_a_cumulative_indicator_on_its_path_is_on_track(plan):
    m = one(plan, "new_urban_jobs", dict.fromkeys(YEARS, 0.255))
    assert levels(m) == ["ok"] * 5
    assert m.checks[-1].actual == pytest.approx(1.275)  # the running total reaches [1.275]


def test_behind_by_more_than_the_band_is_a_warning_and_within_it_watch(plan, by):
    rule = default_rule(by["gdp"])  # tolerance 2 %, band 10 %
    path = {y: on_path(rule, y) for y in YEARS}
    m = one(plan, "gdp", {2021: path[2021] * 0.89, 2022: path[2022] * 0.95,
                          2023: path[2023] * 0.99, 2024: path[2024] * 1.2,
                          2025: path[2025] * 0.90})
    assert levels(m) == ["warn", "watch", "ok", "ok", "watch"]
    assert m.checks[0].shortfall_pct == pytest.approx(11.0)
    assert m.checks[3].shortfall_pct == pytest.approx(-20.0)  # ahead of the path


def test_lower_is_better_for_unemployment(plan):
    m = one(plan, "unemployment_rate", {2021: 4.0, 2022: 5.0, 2023: 5.3, 2024: 5.6})
    # 5.3 is 6 % above the ceiling 5 (watch), 5.6 is 12 % above (warning)
    assert levels(m)[:4] == ["ok", "ok", "watch", "warn"]


def test_the_rule_is_editable_per_indicator(plan, by):
    rule = default_rule(by["gdp"])
    m = one(plan, "gdp", {2021: on_path(rule, 2021) * 0.89})
    assert m.checks[0].level == "warn"
    wider = Rule("growth", base=83.14, growth_pct=14.0, tolerance_pct=5.0, band_pct=15.0)
    m = one(plan, "gdp", {2021: on_path(rule, 2021) * 0.89}, {"gdp": wider})
    assert m.checks[0].level == "watch"
    assert "15%" in wider.describe("zh") and "越高越好" in wider.describe("zh")
    assert "more than 15 % behind" in wider.describe("en")
    # A threshold without a base becomes a path once the planner gives one.
    table = rules_table(monitor(plan, Actuals({})))
    defaults = {p.key: default_rule(p) for p in plan}
    row = table.index[table["key"] == "innovation_platforms"][0]
    table.at[row, "kind"] = "linear"
    table.at[row, "base"] = 30.0
    rules = rules_from_table(table, defaults)
    assert rules["innovation_platforms"].path(2021) == pytest.approx(32.0)
    assert rules["gdp"] == defaults["gdp"]
    # The page edits numbers as text (blank = none): the same rules come back.
    as_text = rules_table(monitor(plan, Actuals({})))
    for col in ("base", "target", "growth_pct"):
        as_text[col] = as_text[col].map(lambda v: "" if v is None or v != v else f"{v:g}")
    assert rules_from_table(as_text, defaults) == defaults


def test_missing_years_are_missing_never_interpolated(plan, by):
    m = one(plan, "gdp", {2021: 95.0, 2023: 123.0})
    assert [c.actual for c in m.checks] == [95.0, None, 123.0, None, None]
    assert levels(m) == ["ok", "missing", "ok", "missing", "missing"]
    assert m.checks[1].shortfall_pct is None
    assert m.latest().year == 2023
    table = year_table(m, "zh")
    assert list(table["实际值"]) == ["95", "缺失", "123", "缺失", "缺失"]
    # The chart draws no point for a missing year and names it.
    fig = indicator_chart(m, "zh")
    ax = fig.axes[0]
    actual_line = next(line for line in ax.get_lines() if line.get_label() == "实际")
    ys = [float(v) for v in np.asarray(actual_line.get_ydata(), dtype=float)]
    assert math.isnan(ys[1]) and math.isnan(ys[3]) and ys[0] == 95.0
    assert [t.get_text() for t in ax.texts].count("缺失") == 3
    # A running total stops at the first missing year.
    jobs = one(plan, "new_urban_jobs", {2021: 0.26, 2023: 0.25, 2024: 0.3})
    assert [c.actual for c in jobs.checks][:2] == [0.26, None]
    assert levels(jobs) == ["ok", "missing", "missing", "missing", "missing"]
    assert jobs.checks[2].entered == 0.25


def test_not_assessed_without_a_number(plan):
    m = one(plan, "energy_intensity_cut", {2021: 3.0})
    assert levels(m) == ["none"] * 5 and m.latest_level() == "none"
    assert "不作预警" in m.rule.describe("zh")


SHEET = ("指标,单位,2021,2022,2023年,2024,2025\n"
         "\"地区生产总值(亿元,%)\",亿元,94.8,108,,130,\n"
         "城镇调查失业率（%）,%,5.0,暂无,6,,\n"
         "城镇新增就业人数,万人,0.25,\"0.26\",,0.3,\n"
         "未知指标,,1,2,3,4,5\n"
         "地区生产总值,亿元,1,1,1,1,1\n")


def test_read_wide_sheet_reports_what_it_did_not_use(plan):
    a = read_actuals(SHEET.encode("utf-8"), "实际值.csv", plan)
    assert a.values["gdp"] == {2021: 94.8, 2022: 108.0, 2024: 130.0}
    assert a.values["unemployment_rate"] == {2021: 5.0, 2023: 6.0}
    assert a.values["new_urban_jobs"] == {2021: 0.25, 2022: 0.26, 2024: 0.3}
    zh = " ".join(a.problem_texts("zh"))
    assert "未知指标" in zh and "暂无" in zh and "重复" in zh
    assert "not a Table 1 indicator" in " ".join(a.problem_texts("en"))
    # GBK, as Chinese Excel saves CSV, reads the same.
    assert read_actuals(SHEET.encode("gbk"), "实际值.csv", plan).values == a.values


def test_read_years_in_rows_and_xlsx(plan):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["年份", "地区生产总值（亿元）", "城市绿地率(%)", "2019年外的列"])
    ws.append([2021, 95, 31.0, 1])
    ws.append(["2022年", 108, None, 2])
    ws.append([2019, 80, 29, 3])
    buf = io.BytesIO()
    wb.save(buf)
    a = read_actuals(buf.getvalue(), "actuals.xlsx", plan)
    assert a.values["gdp"] == {2021: 95.0, 2022: 108.0}
    assert a.values["urban_green_rate"] == {2021: 31.0}
    assert any("2019" in p for p in a.problem_texts("zh"))


def test_read_long_layout(plan):
    sheet = ("指标,年份,实际值\n地区生产总值,2021,95\n地区生产总值,2022年,108\n"
             "城市绿地率,2021,30.5\n地区生产总值,2022,109\n无此指标,2021,1\n").encode()
    a = read_actuals(sheet, "long.csv", plan)
    assert a.values == {"gdp": {2021: 95.0, 2022: 108.0}, "urban_green_rate": {2021: 30.5}}
    text = " ".join(a.problem_texts("zh"))
    assert "重复" in text and "第 6 行" in text


def test_bad_files_are_one_plain_bilingual_message(plan):
    with pytest.raises(MonitoringError) as err:
        read_actuals(b"x", "a.xls", plan)
    assert ".xlsx" in err.value.zh and ".xlsx" in err.value.en
    with pytest.raises(MonitoringError) as err:
        read_actuals("名称,数值\n甲,1\n".encode(), "a.csv", plan)
    assert "年份" in err.value.zh and "year" in err.value.en


def test_the_template_reads_back_empty(plan):
    a = read_actuals(template_csv(plan), "monitoring_template.csv", plan)
    assert a.values == {} and a.problems == ()
    a = read_actuals(template_csv(plan, "en"), "monitoring_template.csv", plan)
    assert a.values == {} and a.problems == ()


def pdf_rows(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader.pages[0].extract_text().splitlines()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_pdf_lists_the_same_levels_as_the_screen(plan, lang):
    a = read_actuals(SHEET.encode("utf-8"), "实际值.csv", plan)
    ms = monitor(plan, a)
    screen = overview_table(ms, lang)
    pdf = report_pdf(ms, lang)
    lines = pdf_rows(pdf)
    name_col = "指标" if lang == "zh" else "Indicator"
    level_cols = [*map(str, YEARS), "最新等级" if lang == "zh" else "Latest"]
    for rec in screen.to_dict("records"):
        start = rec[name_col][:12]
        line = next(ln for ln in lines if start in ln)
        tail = line.split()[-len(level_cols):] if lang == "zh" else None
        if lang == "zh":
            assert tail == [rec[c] for c in level_cols], line
        else:
            expected = " ".join(rec[c] for c in level_cols)
            assert line.endswith(expected), (line, expected)
    # The levels of the uploaded indicators are really there, and the charts follow.
    gdp = screen[screen[name_col].str.startswith("地区生产总值" if lang == "zh" else "Gross")]
    assert list(gdp.iloc[0][level_cols]) == (
        ["正常", "正常", "缺失", "关注", "缺失", "关注"] if lang == "zh"
        else ["on track", "on track", "missing", "watch", "missing", "watch"])
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages[1:])
    assert ("路径：2020 年基数 83.14" if lang == "zh" else "the 2020 base 83.14") in text


def test_cli_writes_the_report_and_prints_the_same_levels(tmp_path, capsys, plan):
    from spatial.monitoring_cli import main

    sheet = tmp_path / "实际值.csv"
    sheet.write_bytes(SHEET.encode())
    out = tmp_path / "report.pdf"
    assert main(["--actuals", str(sheet), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "1,地区生产总值,表1,亿元,按年均增长,正常,正常,缺失,关注,缺失,关注" in printed.out
    assert "未知指标" in printed.err
    assert "地区生产总值" in PdfReader(io.BytesIO(out.read_bytes())).pages[0].extract_text()
    assert main(["--actuals", str(tmp_path / "none.csv")]) == 2
    assert "Cannot read" in capsys.readouterr().err
    template = tmp_path / "t.csv"
    assert main(["--template", str(template)]) == 0
    assert read_actuals(template.read_bytes(), "t.csv", plan).values == {}
