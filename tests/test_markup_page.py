"""The 批注 page under AppTest: a drawn markup with hostile text, the filter and a reply thread."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import layers
from tests.apptest_helpers import map_args

PAYLOAD = "<script>alert(1)</script> {{7*7}} ${x} ![img](http://evil.example/a.png)"
DRAWN = {"type": "Feature", "properties": {},
         "geometry": {"type": "Point", "coordinates": [114.30, 35.70]}}
LINE = {"type": "Feature", "properties": {},
        "geometry": {"type": "LineString", "coordinates": [[114.30, 35.70], [114.31, 35.71]]}}


def _app() -> None:
    from ui.pages.markup_page import render

    render()


@pytest.fixture(autouse=True)
def _workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))


def _run(lang: str = "zh") -> AppTest:
    at = AppTest.from_function(_app, default_timeout=90)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception
    return at


def _draw(at: AppTest, feature: dict, category: str, text: str) -> None:
    """What the map reports after a drawing, then the form filled and saved."""
    at.session_state["markup_pending"] = feature
    at.run()
    at.radio(key="markup_cat").set_value(category)
    at.text_area(key="markup_text").input(text)
    next(b for b in at.button if b.label in ("保存批注", "Save markup")).click()
    at.run()
    assert not at.exception


def _shown(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [e.label for e in at.expander])


def test_drawn_markup_with_hostile_comment_is_listed_as_plain_text_and_filtered() -> None:
    at = _run()
    assert at.title[0].value == "批注"
    _draw(at, DRAWN, "issue", PAYLOAD)
    _draw(at, LINE, "suggestion", "道路宜加宽")
    labels = [e.label for e in at.expander]
    assert any(lbl.startswith("#1 问题 · 本机用户") for lbl in labels)
    assert any(lbl.startswith("#2 建议") for lbl in labels)
    # The comment is on screen, every markdown/HTML character escaped: shown, never run.
    comment = next(m.value for m in at.markdown if "alert" in m.value)
    assert "<script>" not in comment and "![" not in comment and "{{" not in comment
    assert "\\<script\\>" in comment and "\\!\\[img\\]" in comment and "\\$\\{x\\}" in comment
    # On the map, the tooltip/popup text is entity-escaped.
    fg = str(map_args(at))
    assert "<script>alert(1)" not in fg and "&lt;script&gt;alert(1)" in fg
    assert "leaflet-draw/leaflet.draw.js" in fg

    at.multiselect(key="markup_f_cat").set_value(["suggestion"]).run()
    labels = [e.label for e in at.expander if e.label.startswith("#")]
    assert labels and all(lbl.startswith("#2 建议") for lbl in labels)
    at.multiselect(key="markup_f_cat").set_value([]).run()
    at.text_input(key="markup_f_text").input("alert").run()
    labels = [e.label for e in at.expander if e.label.startswith("#")]
    assert len(labels) == 1 and labels[0].startswith("#1")
    # Downloads offered in Chinese.
    names = [b.proto.label for b in at.get("download_button")]
    assert names == ["下载 GeoJSON", "下载 GeoPackage"]


def test_reply_appears_in_the_thread_and_in_the_audit_trail() -> None:
    at = _run()
    at.text_input(key="markup_author_input").input("规划科 <b>王</b>").run()
    _draw(at, DRAWN, "verify", "用地边界待核实")
    reply_key = next(str(t.key) for t in at.text_input if str(t.key).startswith("mk_reply_text_"))
    at.text_input(key=reply_key).input("已现场核实 **ok**")
    next(b for b in at.button if b.label == "发送回复").click()
    at.run()
    assert not at.exception
    thread = [m.value for m in at.markdown if m.value.startswith("↳")]
    assert len(thread) == 1
    assert "规划科 \\<b\\>王\\<\\/b\\>" in thread[0] and "\\*\\*ok\\*\\*" in thread[0]
    audit = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert list(audit["操作"]) == ["回复", "新建"]
    assert set(audit["操作人"]) == {"规划科 <b>王</b>"}  # a table cell is plain text


def _beijing_now_minutes_off(shown: str) -> float:
    from datetime import datetime

    from layers.fields import LOCAL_TZ

    when = datetime.strptime(shown[:16], "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL_TZ)
    return abs((datetime.now(LOCAL_TZ) - when).total_seconds()) / 60


@pytest.mark.parametrize(("lang", "zone"), [("zh", "（北京时间）"), ("en", " (Beijing time)")])
def test_thread_and_change_log_read_beijing_time(lang: str, zone: str) -> None:
    # One convention on screen: 北京时间 (stored values stay UTC).
    at = _run(lang)
    _draw(at, DRAWN, "verify", "用地边界待核实")
    label = next(e.label for e in at.expander if e.label.startswith("#1"))
    assert "UTC" not in label
    # The desk author is stored as one value and read in the page's language.
    assert (" · 本机用户 · " if lang == "zh" else " · Local user · ") in label
    found = re.search(r"(\d{4}-\d\d-\d\d \d\d:\d\d)" + re.escape(zone), label)
    assert found and _beijing_now_minutes_off(found.group(1)) < 10, label
    header = "时间（北京时间）" if lang == "zh" else "Time (Beijing time)"
    audit = next(d.value for d in at.dataframe if header in d.value.columns)
    assert _beijing_now_minutes_off(str(audit[header].iloc[0])) < 10
    assert "北京时间" in str(map_args(at)) or "Beijing time" in str(map_args(at))


def test_english_mode_and_a_bad_drawing_gives_one_message() -> None:
    at = _run("en")
    assert at.title[0].value == "Markups"
    _draw(at, {"type": "Feature", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}},
          "issue", "far away")
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("The markup lies outside Hebi")
    assert not [e for e in at.expander if e.label.startswith("#")]


def test_print_with_markups_offers_the_figure() -> None:
    at = _run()
    _draw(at, DRAWN, "issue", "$\\frac$ 问题")
    at.selectbox(key="markup_print_fmt").set_value("png")
    at.button(key="markup_print_go").click()
    at.run()
    assert not at.exception and not at.error
    names = [b.proto.label for b in at.get("download_button")]
    assert "下载出图" in names
    data, mime, ext = at.session_state["markup_print"]
    assert (mime, ext) == ("image/png", "png") and data.startswith(b"\x89PNG")


def test_zoom_to_edit_and_delete_from_the_list() -> None:
    at = _run()
    _draw(at, LINE, "issue", "原批注")
    assert map_args(at)["zoom"] == 12
    next(b for b in at.button if b.label == "定位").click()
    at.run()
    after = map_args(at)  # the map opens on the markup at a planning scale, not street detail
    assert after["zoom"] == 15
    assert after["center"] == pytest.approx([35.705, 114.305])
    edit_key = next(str(t.key) for t in at.text_area if str(t.key).startswith("mk_edit_text_"))
    at.text_area(key=edit_key).input("改后的批注")
    cat_key = next(str(s.key) for s in at.selectbox if str(s.key).startswith("mk_edit_cat_"))
    at.selectbox(key=cat_key).set_value("verify")
    next(b for b in at.button if b.label == "保存修改").click()
    at.run()
    assert not at.exception
    assert any(e.label.startswith("#1 核实") for e in at.expander)
    assert any(m.value == "改后的批注" for m in at.markdown)
    next(b for b in at.button if b.label == "删除").click()
    at.run()
    assert not [e for e in at.expander if e.label.startswith("#")]
    audit = next(d.value for d in at.dataframe if "操作" in d.value.columns)
    assert list(audit["操作"]) == ["删除", "修改", "新建"]
    assert "批注：原批注 → 改后的批注" in audit.iloc[1]["内容"]


def test_markups_sit_above_the_labels_with_their_number_and_zoom_stops_at_planning_scale(
) -> None:
    from spatial.markups import CATEGORY_COLOURS
    from spatial.markups_map import MARKUP_MAX_ZOOM

    at = _run()
    _draw(at, DRAWN, "issue", "节点旁的问题")
    fg = str(map_args(at))
    # Their own pane above the label pane (640) and under tooltips (650).
    assert 'createPane(\\"hebiMarkups\\")' in fg or 'createPane("hebiMarkups")' in fg
    assert "p.style.zIndex = 645" in fg
    assert fg.count('"pane": "hebiMarkups"') >= 2  # the symbol and its number
    badge = fg.index("hebi-markup-no")
    assert fg.count("hebi-markup-no") == 1 and "#1" in fg[badge:badge + 400]
    # A colour no plan symbol uses (the nodes are red).
    plan_colours = {s.style.colour.lower() for s in layers.all_specs()} | {
        st.colour.lower() for s in layers.all_specs() for st, _zh, _en in s.style_map.values()}
    assert not {c.lower() for c in CATEGORY_COLOURS.values()} & plan_colours
    next(b for b in at.button if b.label == "定位").click()
    at.run()
    assert map_args(at)["zoom"] == MARKUP_MAX_ZOOM <= 16
