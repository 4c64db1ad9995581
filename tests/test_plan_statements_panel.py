"""The map's details panel shows a feature's plan sentences and its confidence in words."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest


def _panel(lang: str, fid: str, confidence: str) -> None:
    import streamlit as st

    from ui.pages import map_page

    st.session_state["lang"] = lang
    map_page._plan_statements({"id": fid, "confidence": confidence}, lang)


def _text(at: AppTest) -> str:
    """The panel's markdown as the reader sees it: escaping backslashes and the invisible word
    joiners the markdown escaper puts after ``:`` removed."""
    text = "\n".join(m.value for m in at.markdown).replace("\u2060", "")
    return re.sub(r"\\(.)", r"\1", text)


def test_chinese_panel_quotes_the_plan_with_chapter_and_line() -> None:
    at = AppTest.from_function(_panel, args=("zh", "keji-area", "low")).run(timeout=60)
    assert not at.exception
    text = _text(at)
    assert "据规划文字推定，位置可能偏差0.5–2公里" in text
    assert "景观湖以西布局科创园、海创园、实验室等功能,形成科技创新区" in text
    assert "第十六章（第301行）" in text and "方位" in text
    assert "keji-area" not in text and "low" not in text  # no raw id or value


def test_english_panel_says_it_in_english() -> None:
    at = AppTest.from_function(_panel, args=("en", "bonded-zone", "low")).run(timeout=60)
    text = _text(at)
    assert "Inferred from the plan's words: may be 0.5–2 km off" in text
    assert "Box 11, line 308" in text and "sizes" in text
    assert "专栏" not in text and "位置可信度" not in text


@pytest.mark.parametrize("fid", ["cb-block-01", "no-such-id"])
def test_a_feature_the_plan_does_not_cite_gets_only_its_confidence(fid: str) -> None:
    at = AppTest.from_function(_panel, args=("zh", fid, "schematic")).run(timeout=60)
    text = _text(at)
    assert "示意：表达规划意图" in text and "规划原文" not in text
