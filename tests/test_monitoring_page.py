"""The 规划实施监测 page under AppTest: template, upload, overview levels, rules, chart, PDF."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

CJK = re.compile(r"[\u3400-\u9fff]")
SHEET = ("指标,2021,2022,2023,2024,2025\n"
         "地区生产总值,94.78,108,,130,\n"
         "城镇调查失业率,5.0,5.6,,,\n"
         "<script>alert(1)</script>,1,2,3,4,5\n").encode()


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch: pytest.MonkeyPatch):
    """A desk workspace of the test's own (the page lists the saved coverage 方案 in it)."""
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("HEBI_DATA_DIR", raising=False)
    return tmp_path


def _app() -> None:
    from ui.pages.monitoring_page import render

    render()


def run(lang: str = "zh") -> AppTest:
    at = AppTest.from_function(_app, default_timeout=90)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception
    return at


def overview(at: AppTest):
    frames = [d.value for d in at.dataframe if "2021" in d.value.columns]
    assert frames
    return frames[0]


def test_without_upload_every_year_is_missing_or_not_assessed():
    at = run()
    table = overview(at)
    assert len(table) == 29
    years = table[["2021", "2022", "2023", "2024", "2025"]]
    assert set(years.to_numpy().ravel()) == {"缺失", "不评价"}
    assert any("模板" in str(b.proto.label) for b in at.get("download_button"))


def test_upload_shows_levels_rules_chart_and_a_pdf_with_the_same_levels():
    at = run()
    at.file_uploader(key="mon_upload").set_value(("实际值.csv", SHEET, "text/csv")).run()
    assert not at.exception
    table = overview(at).set_index("指标")
    assert list(table.loc["地区生产总值", ["2021", "2022", "2023", "2024", "2025"]]) == [
        "正常", "正常", "缺失", "关注", "缺失"]
    assert table.loc["城镇调查失业率", "2022"] == "预警"
    # The unknown row is reported as text, never run.
    warnings = " ".join(w.value for w in at.warning)
    assert "不是表1中的指标" in warnings
    # The rule of the shown indicator is on screen, and its chart.
    assert any("正常：落后路径值不超过 2%" in t.value for t in at.text)
    # The PDF offered for download lists the same levels.
    pdf_buttons = [b for b in at.get("download_button") if "PDF" in str(b.proto.label)]
    assert pdf_buttons
    at.selectbox(key="mon_indicator").set_value("unemployment_rate").run()
    assert any("越低越好" in t.value for t in at.text)


def test_english_mode_is_clean():
    at = run("en")
    table = overview(at)
    for col in table.columns:
        assert not CJK.search(col)
        assert not any(CJK.search(str(v)) for v in table[col]), col
    assert set(table["2021"]) <= {"missing", "not assessed"}


def test_pdf_levels_match_the_screen_for_the_uploaded_sheet():
    from spatial.monitoring import monitor, overview_table, read_actuals, report_pdf
    from spatial.plan_indicators import load_plan_indicators

    plan = load_plan_indicators()
    ms = monitor(plan, read_actuals(SHEET, "实际值.csv", plan))
    text = PdfReader(io.BytesIO(report_pdf(ms))).pages[0].extract_text()
    row = next(ln for ln in text.splitlines() if "城镇调查失业率" in ln)
    screen = overview_table(ms).set_index("指标").loc["城镇调查失业率"]
    assert row.split()[-6:] == list(screen[["2021", "2022", "2023", "2024", "2025", "最新等级"]])


def test_a_refused_file_is_one_plain_message():
    at = run()
    at.file_uploader(key="mon_upload").set_value(("a.csv", b"\xff\xfe\x00garbage\x00", "text/csv"))
    at.run()
    assert not at.exception
    assert at.error and "Traceback" not in at.error[0].value


# --- the rule editor and the per-area indicators ---------------------------------------------

AREA_SHEET = ("片区,指标,2020,2021,2022,2023\n"
              "北部新城,绿地占比,30,31.4,,20\n"
              "口岸联动区,生活圈覆盖率,50,70,80,40\n"
              "<img src=x onerror=alert(1)>,绿地占比,1,2,3,4\n").encode()


@pytest.fixture
def pdfs(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every PDF the page hands to a download button, as the browser would receive it."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    seen: list[bytes] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        if mimetype == "application/pdf" and isinstance(path_or_data, bytes):
            seen.append(path_or_data)
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return seen


def pdf_rows(data: bytes) -> list[str]:
    """The lines of every page (the overview runs over two pages with the area rows)."""
    return [ln for p in PdfReader(io.BytesIO(data)).pages for ln in p.extract_text().splitlines()]


def test_editing_a_band_changes_the_level_on_screen_and_in_the_pdf(pdfs):
    at = run()
    at.file_uploader(key="mon_upload").set_value(("实际值.csv", SHEET, "text/csv")).run()
    gdp = overview(at).set_index("指标").loc["地区生产总值"]
    assert gdp["2024"] == "关注"  # 130 against the path's 140.4: 7.4 % behind, inside 10 %
    row = next(r for r in pdf_rows(pdfs[-1]) if "地区生产总值" in r)
    assert row.split()[-3:] == ["关注", "缺失", "关注"]
    band = next(d for d in at.data_editor if d.key == "mon_rule_editor").value
    assert band.loc[0, "band_pct"] == 10.0  # row 0 is 地区生产总值, the band as shipped
    # The planner narrows the warning band of 地区生产总值 to 5 %.
    at.session_state["mon_rule_editor"] = {
        "edited_rows": {0: {"band_pct": 5.0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    gdp = overview(at).set_index("指标").loc["地区生产总值"]
    assert list(gdp[["2021", "2022", "2023", "2024", "2025", "最新等级"]]) == [
        "正常", "正常", "缺失", "预警", "缺失", "预警"]
    row = next(r for r in pdf_rows(pdfs[-1]) if "地区生产总值" in r)
    assert row.split()[-6:] == ["正常", "正常", "缺失", "预警", "缺失", "预警"]
    at.selectbox(key="mon_indicator").set_value("gdp").run()
    assert any("预警：落后超过 5%" in x.value for x in at.text)
    # Another indicator keeps its band.
    assert overview(at).set_index("指标").loc["城镇调查失业率", "2022"] == "预警"


def test_per_area_rows_join_the_overview_chart_and_pdf(pdfs):
    at = run()
    at.file_uploader(key="mon_area_upload").set_value(
        ("片区.csv", AREA_SHEET, "text/csv")).run()
    assert not at.exception
    table = overview(at).set_index("指标")
    assert len(table) == 31  # Table 1's 29 rows, then the two areas
    green = table.loc["北部新城·绿地占比"]
    assert green["目标来源"] == "规划目标"
    assert list(green[["2021", "2022", "2023", "2024", "2025"]]) == [
        "正常", "缺失", "预警", "缺失", "缺失"]
    cover = table.loc["口岸联动区·生活圈覆盖率"]
    assert cover["目标来源"] == "非规划指标" and cover["最新等级"] == "不评价"
    assert "不是地图上的片区" in " ".join(w.value for w in at.warning)
    # The planner's target makes the coverage row assessed, still marked as not the plan's.
    at.number_input(key="mon_area_cov_target").set_value(90).run()
    cover = overview(at).set_index("指标").loc["口岸联动区·生活圈覆盖率"]
    assert cover["目标来源"] == "非规划指标"
    assert list(cover[["2021", "2022", "2023"]]) == ["正常", "正常", "预警"]
    rows = pdf_rows(pdfs[-1])
    row = next(r for r in rows if r.startswith("— 口岸联动区·生活圈覆盖率"))
    assert row.split()[2] == "非规划指标"
    assert row.split()[-6:] == ["正常", "正常", "预警", "缺失", "缺失", "预警"]
    at.selectbox(key="mon_indicator").set_value("coverage_pct@口岸联动区").run()
    assert any("目标来源（非规划指标）" in x.value and "90%" in x.value for x in at.text)
    at.selectbox(key="mon_indicator").set_value("green_share_pct@北部新城").run()
    assert any("第十四章" in x.value and "37%" in x.value for x in at.text)
    assert at.get("image")  # the area's chart (st.pyplot)
    # The per-area rule editor holds both pairs.
    area_rules = next(d for d in at.data_editor if d.key == "mon_area_rule_editor").value
    assert list(area_rules["name"]) == ["北部新城·绿地占比", "口岸联动区·生活圈覆盖率"]


def test_per_area_rows_in_english_are_clean():
    at = run("en")
    at.file_uploader(key="mon_area_upload").set_value(
        ("areas.csv", AREA_SHEET, "text/csv")).run()
    table = overview(at)
    assert "North New Town · Green share" in set(table["Indicator"])
    for col in table.columns:
        assert not CJK.search(col)
        assert not any(CJK.search(str(v)) for v in table[col]), col


def test_coverage_of_saved_scenarios_fills_the_years_they_stand_for():
    import layers
    from spatial.coverage import SCENARIO_ROLES, Scenario, analyse, save_scenario, unit_table
    from spatial.coverage_rules import load_rules
    from spatial.monitoring_areas import coverage_by_area
    from spatial.workspace import GeoPackageWorkspace, workspace_path

    ws = GeoPackageWorkspace(workspace_path())
    for name in ("2021年布局", "2023年布局"):
        save_scenario(ws, Scenario(name, {role: "plan" for role in SCENARIO_ROLES}))
    at = run()
    at.selectbox(key="mon_scn_cat").set_value("education")
    at.selectbox(key="mon_scn_level").set_value(15)
    at.number_input(key="mon_area_cov_target").set_value(90)
    at.session_state["mon_scn_years"] = {
        "edited_rows": {0: {"year": "2021"}, 1: {"year": "2023"}},
        "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    # The same figures straight from the library, on the same shipped layers.
    frames = {i: layers.load_layer(i) for i in ("roads", "facilities", "communities",
                                                 "life_circles", "parks")}
    model, units = analyse(frames["roads"], frames["facilities"], frames["communities"],
                           load_rules(), units={"life_circles": frames["life_circles"],
                                                "parks": frames["parks"]},
                           require_population=False)
    expected = coverage_by_area(unit_table(model, units), "education", 15)
    table = overview(at).set_index("指标")
    rows = [n for n in table.index if n.endswith("·生活圈覆盖率")]
    assert rows and {n.split("·")[0] for n in rows} <= set(expected)
    for n in rows:
        assert table.loc[n, "目标来源"] == "非规划指标"
        assert table.loc[n, "2022"] == "缺失" and table.loc[n, "2024"] == "缺失"
        assert table.loc[n, "2021"] != "缺失" and table.loc[n, "2023"] != "缺失"
    area = rows[0].split("·")[0]
    at.selectbox(key="mon_indicator").set_value(f"coverage_pct@{area}").run()
    years = next(d.value for d in at.dataframe if "路径值" in d.value.columns).set_index("年份")
    shown = f"{round(expected[area], 2) + 0.0:g}"
    assert years.loc["2021", "实际值"] == shown and years.loc["2023", "实际值"] == shown
    assert years.loc["2022", "实际值"] == "缺失"
