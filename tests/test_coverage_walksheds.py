"""Walksheds (service-area polygons), 体检 indicators read three ways, and before → after."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from layers.fields import display_value, present_table
from spatial.coverage import (
    analyse,
    category_walksheds,
    checkup_table,
    combo_index,
    compare_figures,
    facility_walksheds,
    figures,
    reach_changes,
    study_area,
)
from spatial.coverage.checkup import (
    CHECKUP_INDICATORS,
    LIFE_CIRCLE_TARGET_SOURCE,
    USER_TARGET_SOURCE,
)
from spatial.coverage_rules import load_rules
from tests.coverage_synthetic import (
    GK,
    ORIGIN,
    blocks,
    random_city,
    random_facilities,
    random_places,
    street,
)

RULES = load_rules()


def _fac(rows: list[tuple[str, int, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": [f"设施{i}" for i in range(len(rows))], "category": [r[0] for r in rows],
         "level_min": [r[1] for r in rows]},
        geometry=[shapely.Point(r[2], r[3]) for r in rows], crs=GK,
    )


def test_facility_walkshed_follows_the_streets() -> None:
    # A 5-min kindergarten (300 m) at (20, -5): the main street to x = 320, the cross
    # street at x = 0 whole (20 m away), the one at x = 300 for 20 m either side.
    model, _ = analyse(street(), _fac([("education", 5, 20, -5)]), blocks(), RULES)
    shed = facility_walksheds(model, band_m=1.0).to_crs(GK)
    assert len(shed) == 1
    poly = shed.geometry.iloc[0]
    inside = [(319, 0), (0, 99), (0, -99), (300, 19), (300, -19), (150, 0)]
    outside = [(322, 0), (300, 22), (600, 0), (150, 30)]
    assert all(poly.contains(shapely.Point(p)) for p in inside)
    assert not any(poly.contains(shapely.Point(p)) for p in outside)
    # The category walkshed is the same polygon here, and is given per category and level.
    cat = category_walksheds(model, band_m=1.0).to_crs(GK)
    assert cat[["category", "level_min"]].values.tolist() == [["education", 5]]
    assert cat.geometry.iloc[0].symmetric_difference(poly).area < 1.0


def test_walkshed_agrees_with_coverage_on_a_random_city() -> None:
    roads = random_city(11, n=9, origin=ORIGIN)
    model, _ = analyse(roads, random_facilities(roads, 25, 12), random_places(roads, 60, 13),
                       RULES)
    sheds = category_walksheds(model, band_m=0.01).to_crs(GK)
    p = model.places
    on_road = shapely.line_interpolate_point(
        model.network.segments[p.snapped.segment[p.snapped.ok]], p.snapped.along[p.snapped.ok]
    )
    rows = np.flatnonzero(p.snapped.ok)
    checked = 0
    for r in sheds.itertuples():
        j = combo_index(str(r.category), int(r.level_min))
        inside = shapely.covers(shapely.buffer(r.geometry, 0.05), on_road)
        # A snapped access point is in the walkshed exactly when the block is covered.
        assert (inside == model.covered[rows, j]).all(), (r.category, r.level_min)
        checked += 1
    assert checked >= 5
    # One walkshed per facility on the network.
    per = facility_walksheds(model)
    assert len(per) == model.facilities.loc[model.facilities["group"] >= 0, "facility_id"].nunique()


def test_checkup_indicators_three_shares_and_not_applicable() -> None:
    # Only a 5-min 卫生服务站 at (20, -5): within the 15-min distance (1000 m) of all three blocks.
    model, _ = analyse(street(), _fac([("health", 5, 20, -5)]), blocks(), RULES)
    area = shapely.box(0, -100, 1200, 100)
    table = checkup_table(model, area=area, targets={"health_15": 0.9}).set_index("code")
    health = table.loc["health_15"]
    assert health["name"] == "社区卫生服务设施15分钟步行覆盖率"
    assert health["pop_share"] == pytest.approx(1.0)
    assert health["area_share"] == pytest.approx(1.0)
    assert 0.0 < health["total_area_share"] <= 1.0
    assert health["target"] == 0.9 and bool(health["meets"])
    # No elderly facility: not applicable, never 0 %.
    assert np.isnan(float(table["pop_share"]["elderly_5"]))
    assert not table.loc["elderly_5", "applicable"]
    # 15-min life circle: every category that has a facility (health only) within reach.
    assert table.loc["life_circle_15", "pop_share"] == pytest.approx(1.0)
    # Primary school 10 min (500 m) at x = 20: 东苑 (80 m) and 中苑 (480 m) of 6000 residents.
    model2, _ = analyse(street(), _fac([("education", 10, 20, -5)]), blocks(), RULES)
    t2 = checkup_table(model2, area=area).set_index("code")
    assert t2.loc["primary_10", "pop_share"] == pytest.approx(3000 / 6000)
    assert t2.loc["primary_10", "area_share"] == pytest.approx(2 / 3)
    assert not bool(t2.loc["primary_10", "meets"])
    assert study_area(model2).area > 0


NATIONAL_85 = "国家层面“十四五”目标 85 %（转引自《人文地理》2024，非本规划指标）"


def test_life_circle_target_is_a_quoted_national_figure_not_this_plans() -> None:
    # Audit 2 U1: the ETDZ plan sets no 生活圈 coverage target; the 85 % is the national 14th
    # FYP figure quoted by 人文地理 2024. No text may credit it to this plan.
    model, _ = analyse(street(), _fac([("health", 5, 20, -5)]), blocks(), RULES)
    table = checkup_table(model).set_index("code")
    life = table.loc["life_circle_15"]
    assert life["target"] == pytest.approx(0.85)
    assert life["target_source"] == LIFE_CIRCLE_TARGET_SOURCE
    assert "not a target of the ETDZ plan" in life["target_source"]  # the CLI's CSV as written
    assert display_value("target_source", life["target_source"], "zh") == NATIONAL_85
    assert display_value("target_source", life["target_source"], "en") == (
        "National 14th FYP target 85 % (quoted from Human Geography 2024; "
        "not a target of this plan)")
    # The downloaded table (Chinese headers, sources in words): every source is worded.
    shown = present_table(table.reset_index(), "zh")
    sources = set(shown["目标出处"])
    assert NATIONAL_85 in sources and "" not in sources
    assert not any("“十四五”规划" in s and "非本规划" not in s for s in sources)
    # An edited target is the planner's own: the 85 %'s source no longer stands beside it.
    edited = checkup_table(model, targets={"life_circle_15": 0.9}).set_index("code")
    assert edited.loc["life_circle_15", "target_source"] == USER_TARGET_SOURCE
    assert display_value("target_source", USER_TARGET_SOURCE, "zh") == "用户设定"
    kept = str(edited.loc["health_15", "target_source"])
    assert kept == str(table.loc["health_15", "target_source"])
    for ind in CHECKUP_INDICATORS:  # every default source has its words, in both languages
        assert display_value("target_source", ind.target_source, "zh")
        assert display_value("target_source", ind.target_source, "en")


def test_what_if_before_after_and_changed_blocks() -> None:
    model, _ = analyse(street(), _fac([("education", 5, 20, -5)]), blocks(), RULES)
    before, covered = figures(model), model.covered.copy()
    model.add_facility("education", 5, 500, -5)
    diff = compare_figures(before, figures(model)).set_index("key")
    row = diff.loc["education/5/pop_share"]
    assert row["before"] == pytest.approx(1000 / 6000)
    assert row["after"] == pytest.approx(3000 / 6000)
    assert row["figure_zh"] == "就学便利圈 5分钟 人口覆盖率"
    # Only figures that changed are listed.
    assert "health/5/pop_share" not in diff.index
    gained, lost = reach_changes(covered, model.covered)
    assert gained.tolist() == [False, True, False] and not lost.any()


def test_scenarios_are_kept_in_the_workspace_and_compared(tmp_path: Path) -> None:
    from spatial.coverage import (
        Scenario,
        compare_scenarios,
        delete_scenario,
        list_scenarios,
        save_scenario,
    )
    from spatial.workspace import GeoPackageWorkspace

    ws = GeoPackageWorkspace(tmp_path / "ws.gpkg")
    inputs = {"roads": "plan", "facilities": "我的设施", "residential": "plan", "units": "plan"}
    edit = {"kind": "add", "category": "health", "level": 5, "facility_type": None,
            "x": 1.0, "y": 2.0, "fid": ""}
    save_scenario(ws, Scenario("  方案 A ", inputs, {"max_snap_m": 300.0}, [edit]))
    save_scenario(ws, Scenario("方案B", inputs))
    save_scenario(ws, Scenario("方案 A", inputs))  # replaces by name
    names = [s.name for s in list_scenarios(ws)]
    assert names == ["方案 A", "方案B"]
    assert list_scenarios(ws)[0].edits == [] and list_scenarios(ws)[0].saved_utc
    with pytest.raises(Exception, match="方案名称"):
        save_scenario(ws, Scenario("", inputs))
    delete_scenario(ws, "方案B")
    assert [s.name for s in list_scenarios(ws)] == ["方案 A"]
    # Side by side: the same run with one more kindergarten.
    a, _ = analyse(street(), _fac([("education", 5, 20, -5)]), blocks(), RULES)
    b, _ = analyse(street(), _fac([("education", 5, 20, -5), ("education", 5, 500, -5)]),
                   blocks(), RULES)
    side = compare_scenarios(a, b).set_index("key")
    assert side.loc["education/5/pop_share", "before"] == pytest.approx(1 / 6)
    assert side.loc["education/5/pop_share", "after"] == pytest.approx(0.5)
    assert len(side) > 50  # every figure, changed or not


def test_large_walksheds_are_drawn_on_cells_close_to_the_exact_band(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import spatial.coverage.walksheds as ws

    roads = random_city(11, n=9, origin=ORIGIN)
    model, _ = analyse(roads, random_facilities(roads, 25, 12), random_places(roads, 60, 13),
                       RULES)
    exact = category_walksheds(model).to_crs(GK).set_index(["category", "level_min"])
    monkeypatch.setattr(ws, "EXACT_MAX_PARTS", 0)
    cells = category_walksheds(model).to_crs(GK).set_index(["category", "level_min"])
    assert list(cells.index) == list(exact.index)
    for key in exact.index:
        a, b = exact.geometry[key], cells.geometry[key]
        # Every street part in reach is inside the cell drawing, and the areas agree.
        assert b.buffer(1.0).covers(a.buffer(-40.0)), key
        assert abs(b.area - a.area) / a.area < 0.25, key


def test_readme_figures_are_the_code_constants() -> None:
    from spatial.coverage import CHECKUP_INDICATORS, WALKSHED_BAND_M
    from spatial.coverage.prepare import GATE_SPACING_M
    from spatial.coverage.walksheds import EXACT_MAX_PARTS

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert (WALKSHED_BAND_M, GATE_SPACING_M, EXACT_MAX_PARTS) == (50.0, 100.0, 200)
    assert "50 m band" in readme and "gates every 100 m" in readme and "more than 200" in readme
    targets = {i.code: i.target for i in CHECKUP_INDICATORS}
    assert targets.pop("life_circle_15") == 0.85 and set(targets.values()) == {1.0}
    for ind in CHECKUP_INDICATORS:
        assert ind.name.split("步行")[0].split("覆盖率")[0][:6] in readme, ind.name


def test_cell_walkshed_works_at_negative_coordinates() -> None:
    from spatial.coverage.walksheds import _cells

    line = np.asarray([shapely.LineString([(-500, -300), (-100, -300)])], dtype=object)
    poly = _cells(line, 50.0)
    assert poly.covers(shapely.Point(-300, -300)) and poly.covers(shapely.Point(-300, -260))
    assert not poly.covers(shapely.Point(-300, -200))
    assert abs(poly.area - shapely.buffer(line[0], 50.0).area) / poly.area < 0.25
