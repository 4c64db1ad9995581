"""The map's details panel shows a feature's plan sentences and, once, its confidence in words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import layers
from layers.fields import CONFIDENCE_WORDS
from spatial.plan_statements import confidence_words


def _panel(lang: str, fid: str) -> None:
    import streamlit as st

    from ui.pages import map_page

    st.session_state["lang"] = lang
    map_page._plan_statements({"id": fid}, lang)


def _details(lang: str, layer_id: str, fid: str) -> None:
    import streamlit as st

    from ui.pages import map_page

    st.session_state["lang"] = lang
    loaded = map_page._load_all(lang, [layer_id], False)
    gdf = loaded.frames[layer_id]
    map_page._details((layer_id, int((gdf["id"] == fid).to_numpy().argmax())), loaded, lang)


def _text(at: AppTest) -> str:
    """The panel's markdown as the reader sees it: escaping backslashes and the invisible word
    joiners the markdown escaper puts after ``:`` removed."""
    text = "\n".join(m.value for m in at.markdown).replace("\u2060", "")
    return re.sub(r"\\(.)", r"\1", text)


@pytest.fixture
def no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    return tmp_path


def test_chinese_panel_quotes_the_plan_with_chapter_and_line() -> None:
    at = AppTest.from_function(_panel, args=("zh", "keji-area")).run(timeout=60)
    assert not at.exception
    text = _text(at)
    assert "景观湖以西布局科创园、海创园、实验室等功能,形成科技创新区" in text
    assert "第十六章（第301行）" in text and "方位" in text
    assert "keji-area" not in text


def test_a_quote_inside_the_quote_reads_in_single_quotes() -> None:
    # Chinese typography nests ‘…’ inside “…”; the stored quote keeps the plan's own “…”.
    at = AppTest.from_function(_panel, args=("zh", "bonded-zone")).run(timeout=60)
    text = _text(at)
    assert "“高标准打造‘一城一镇一园一区’”" in text
    assert "“一城一镇一园一区”" not in text
    from spatial.plan_statements import statements_for
    assert any(s.quote == "高标准打造“一城一镇一园一区”" for s in statements_for("bonded-zone"))


def test_english_panel_says_it_in_english() -> None:
    at = AppTest.from_function(_panel, args=("en", "bonded-zone")).run(timeout=60)
    text = _text(at)
    assert "Box 11, line 308" in text and "sizes" in text
    assert "专栏" not in text


@pytest.mark.parametrize("fid", ["cb-block-01", "no-such-id"])
def test_a_feature_the_plan_does_not_cite_gets_no_quotes(fid: str) -> None:
    at = AppTest.from_function(_panel, args=("zh", fid)).run(timeout=60)
    assert not at.exception
    assert "规划原文" not in _text(at)


@pytest.mark.parametrize(("lang", "label"), [("zh", "位置可信度"), ("en", "Position reliability")])
def test_the_details_panel_says_how_far_to_trust_a_position_once(
    no_workspace: Path, lang: str, label: str
) -> None:
    # The bonded zone is `low` and placed from a reference (PLACES.md §3), not from the plan's
    # words alone: one row says so, in the words of data/geo/README.md's `low`.
    zone = layers.load_layer("bonded_zone").iloc[0]
    assert zone["confidence"] == "low" and "PLACES.md" in zone["source"]
    at = AppTest.from_function(_details, args=(lang, "bonded_zone", zone["id"]))
    at.run(timeout=120)
    assert not at.exception, [e.value for e in at.exception]
    text = _text(at).replace("**", "")
    assert text.count(label) == 1, text
    words = confidence_words("low", lang)
    assert f"{label}：{words}" in text or f"{label}: {words}" in text
    assert "How far to trust" not in text and "据规划文字推定，位置可能偏差" not in text
    assert "规划原文" in text or "In the plan’s words" in text  # the quotes are still there


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_long_and_the_short_confidence_words_agree(lang: str) -> None:
    # The tooltip and attribute table say the level in a few words (layers.fields); the panel
    # explains it (spatial.plan_statements). Same level word, and no `low` sentence that says the
    # position rests on the plan's words only (data/geo/README.md: text, names or layout).
    for level, pair in CONFIDENCE_WORDS.items():
        short = pair[1] if lang == "en" else pair[0]
        head = re.split(r"[（(]", short)[0].strip()
        long = confidence_words(level, lang)
        assert long.startswith(head), (level, short, long)
    assert "地名" in confidence_words("low") and "布局" in confidence_words("low")
    assert "name" in confidence_words("low", "en") and "layout" in confidence_words("low", "en")
