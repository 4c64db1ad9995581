"""规划实施监测 per area: paths to the plan's or planner's target, levels, missing years, PDF."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from pypdf import PdfReader

import layers
from spatial.monitoring import (
    IndicatorMonitor,
    MonitoringError,
    TargetSource,
    overview_table,
    report_pdf,
    year_table,
)
from spatial.monitoring_areas import (
    MEASURES,
    Area,
    area_monitors,
    area_template_csv,
    read_area_actuals,
)
from spatial.plan_indicators import load_plan_indicators
from spatial.storage import GeoJSONDirectoryStore

CJK = re.compile(r"[\u3400-\u9fff]")
YEAR_COLS = ["2021", "2022", "2023", "2024", "2025"]


@pytest.fixture(scope="module")
def plan():
    return load_plan_indicators()


@pytest.fixture(scope="module")
def areas() -> list[Area]:
    """The 片区 of the shipped layers, as the page offers them."""
    store = GeoJSONDirectoryStore(layers.DATA_DIR, read_only=True)
    out = []
    for layer_id in ("parks", "bonded_subzones", "life_circles"):
        gdf = layers.load_layer(layer_id, store)
        out += [Area(str(zh), str(en)) for zh, en in zip(gdf["name"], gdf["name_en"], strict=True)]
    return out


def sheet(text: str, areas):
    return read_area_actuals(text.encode(), "片区.csv", areas)


def source(m: IndicatorMonitor) -> TargetSource:
    assert m.source is not None  # every per-area monitor says where its target comes from
    return m.source


def line(start: float, end: float, year: int) -> float:
    return start + (end - start) * (year - 2020) / 5


def test_green_share_on_its_path_is_on_track_and_cites_the_plan(plan, areas):
    # 北部新城 from its own 2020 value 30 % straight to the plan's 37 %, exactly.
    values = ",".join(f"{line(30, 37, y):.6f}" for y in range(2021, 2026))
    s = sheet(f"片区,指标,2020,2021,2022,2023,2024,2025\n北部新城,绿地占比,30,{values}\n", areas)
    (m,), defaults = area_monitors(s, plan)
    assert [c.level for c in m.checks] == ["ok"] * 5
    assert m.rule.kind == "linear" and m.rule.base == 30 and m.rule.target == 37
    assert m.source is not None and source(m).planned
    assert "37%" in source(m).zh and "第十四章" in source(m).zh
    assert "本片区 2020 年值 30" in source(m).zh
    assert "城市绿地率、绿化覆盖率分别达到37%、40%" in source(m).zh
    assert m.source_label() == "规划目标"
    assert defaults[m.indicator.key] == m.rule


def test_behind_by_more_than_the_band_is_a_warning_and_missing_years_stay_missing(plan, areas):
    # Without its own 2020 value the area starts from Table 1's zone-wide base 29.6.
    s = sheet("片区,指标,2021,2022,2023,2024,2025\n"
              f"金山园区,绿地占比,{line(29.6, 37, 2021)},,{line(29.6, 37, 2023) * 0.95},20,\n",
              areas)
    (m,), _ = area_monitors(s, plan)
    assert m.rule.base == pytest.approx(29.6)
    assert "表1全区 2020 年值 29.6" in source(m).zh
    assert [c.level for c in m.checks] == ["ok", "missing", "watch", "warn", "missing"]
    assert [c.actual for c in m.checks][1] is None  # never interpolated
    assert m.latest_level() == "warn"
    years = year_table(m)
    assert list(years["实际值"])[1] == "缺失" and list(years["等级"])[4] == "缺失"


def test_coverage_has_no_plan_target_until_the_planner_enters_one(plan, areas):
    s = sheet("片区,年份,生活圈覆盖率（%）\n"
              "镁业小镇五分钟生活圈,2020,60\n镁业小镇五分钟生活圈,2021,66\n"
              "镁业小镇五分钟生活圈,2023,60\n", areas)
    (m,), _ = area_monitors(s, plan)
    assert m.latest_level() == "none" and not source(m).planned
    assert "尚未填写" in source(m).zh
    (m,), _ = area_monitors(s, plan, {"coverage_pct": 90})
    assert m.source_label() == "非规划指标" and m.source_label("en") == "not in the plan"
    assert "由规划人员填写（2025 年 90%）" in source(m).zh
    # 60 → 90: the path is 66 in 2021 (on track) and 78 in 2023 (60 is 23 % behind).
    assert [c.level for c in m.checks] == ["ok", "missing", "warn", "missing", "missing"]
    table = overview_table([m]).set_index("指标")
    assert table.loc["镁业小镇五分钟生活圈·生活圈覆盖率", "目标来源"] == "非规划指标"


def test_an_area_already_at_its_target_is_held_against_the_target(plan, areas):
    s = sheet("片区,指标,2020,2021\n人才社区,绿地占比,45,36\n", areas)
    (m,), _ = area_monitors(s, plan)
    assert m.rule.kind == "threshold" and m.rule.target == 37
    assert m.checks[0].level == "watch"  # 36 against 37: 2.7 % behind


def test_edited_rules_are_used(plan, areas):
    s = sheet("片区,指标,2020,2021\n北部新城,绿地占比,30,30\n", areas)
    (m,), defaults = area_monitors(s, plan)
    assert m.checks[0].level == "watch"  # 30 against 31.4: 4.5 % behind
    key = m.indicator.key
    wider = replace(defaults[key], tolerance_pct=5.0)
    (m,), _ = area_monitors(s, plan, rules={key: wider})
    assert m.checks[0].level == "ok"


def test_reader_reports_what_it_does_not_use(areas):
    s = sheet("片区,指标,2019,2021,2022\n"
              "<script>alert(1)</script>,绿地占比,1,2,3\n"
              "北部新城,人口,1,2,3\n"
              "North New Town,Green share,1,abc,33\n", areas)
    texts = " ".join(s.actuals.problem_texts())
    assert "不是地图上的片区" in texts and "<script>" in texts  # quoted as text, never run
    assert "无法识别" in texts and "不是数字" in texts and "2019 年不在 2020–2025" in texts
    (pair,) = s.pairs
    assert pair.area.name_zh == "北部新城"  # matched by its English name
    assert s.actuals.values[pair.key] == {2022: 33.0}
    with pytest.raises(MonitoringError):
        read_area_actuals("指标,2021\n绿地占比,1\n".encode(), "a.csv", areas)
    with pytest.raises(MonitoringError):
        read_area_actuals("片区,绿地占比\n北部新城,1\n".encode(), "a.csv", areas)


def test_template_lists_every_area_and_reads_back_empty(areas):
    data = area_template_csv(areas)
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0] == "片区,指标,2020,2021,2022,2023,2024,2025"
    assert len(text.splitlines()) == 1 + len(areas) * len(MEASURES)
    assert read_area_actuals(data, "t.csv", areas).pairs == ()
    assert not CJK.search(area_template_csv(areas, "en").decode("utf-8-sig"))


def test_pdf_lists_the_area_rows_with_the_screen_levels_and_the_target_source(plan, areas):
    s = sheet("片区,指标,2020,2021,2022,2023\n"
              "北部新城,绿地占比,30,31.4,,20\n口岸联动区,生活圈覆盖率,50,70,80,40\n", areas)
    ms, _ = area_monitors(s, plan, {"coverage_pct": 90})
    reader = PdfReader(io.BytesIO(report_pdf(ms)))
    first = reader.pages[0].extract_text()
    screen = overview_table(ms)
    for rec in screen.to_dict("records"):
        row = next(ln for ln in first.splitlines() if ln.split()[1:2] == [rec["指标"]])
        assert row.split()[2] == rec["目标来源"]
        assert row.split()[-6:] == [*(rec[c] for c in YEAR_COLS), rec["最新等级"]]
    charts = "".join(p.extract_text() for p in reader.pages[1:])
    assert "目标来源（非规划指标）" in charts and "目标来源（规划目标）" in charts


def test_english_is_clean(plan, areas):
    s = sheet("片区,指标,2020,2021\n北部新城,绿地占比,30,31\n"
              "口岸联动区,生活圈覆盖率,50,70\n", areas)
    ms, _ = area_monitors(s, plan, {"coverage_pct": 90})
    table = overview_table(ms, "en")
    for col in table.columns:
        assert not CJK.search(col)
        assert not any(CJK.search(str(v)) for v in table[col]), col
    assert all(not CJK.search(source(m).en) for m in ms)


def test_scenario_values_join_the_sheet_and_the_sheet_wins_a_shared_year(plan, areas):
    import pandas as pd

    from spatial.monitoring_areas import add_area_values, coverage_by_area

    units = pd.DataFrame({
        "unit_name": ["北部新城", "北部新城", "无人单元", "示意单元"],
        "category": ["education", "health", "education", "education"],
        "level_min": [15, 15, 15, 15],
        "pop_share": [0.6, 0.9, float("nan"), 0.5],
    })
    shares = coverage_by_area(units, "education", 15)
    assert shares == {"北部新城": pytest.approx(60.0), "示意单元": pytest.approx(50.0)}
    uploaded = sheet("片区,指标,2020,2021\n北部新城,生活圈覆盖率,40,45\n", areas)
    merged = add_area_values(uploaded, {name: {2021: v, 2023: v} for name, v in shares.items()},
                             "coverage_pct", areas, ("方案取值", "From scenarios"))
    (pair,) = merged.pairs
    assert merged.actuals.values[pair.key] == {2021: 45.0, 2023: pytest.approx(60.0)}
    assert merged.base_2020[pair.key] == 40.0
    texts = " ".join(merged.actuals.problem_texts())
    assert "方案取值：“北部新城·生活圈覆盖率”2021 年上传表已有值" in texts
    assert "方案取值：单元“示意单元”不是地图上的片区" in texts
    (m,), _ = area_monitors(merged, plan, {"coverage_pct": 90})
    # 40 → 90: the path is 50 in 2021 (45 is 10 % behind) and 70 in 2023 (60: 14 % behind).
    assert [c.level for c in m.checks] == ["watch", "missing", "warn", "missing", "missing"]
    alone = add_area_values(None, {"北部新城": {2022: 70.0}}, "coverage_pct", areas,
                            ("方案取值", "From scenarios"))
    assert alone.actuals.values == {pair.key: {2022: 70.0}} and alone.base_2020 == {}
