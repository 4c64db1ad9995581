"""The 规划实施监测 page under AppTest: template, upload, overview levels, rules, chart, PDF."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

CJK = re.compile(r"[\u3400-\u9fff]")
SHEET = ("指标,2021,2022,2023,2024,2025\n"
         "地区生产总值,94.78,108,,130,\n"
         "城镇调查失业率,5.0,5.6,,,\n"
         "<script>alert(1)</script>,1,2,3,4,5\n").encode()


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
