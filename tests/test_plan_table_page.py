"""The indicators page shows the complete Table 1 (29 rows, 属性, unknowns) in both languages."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from spatial.plan_indicators import UNKNOWN_EN, UNKNOWN_ZH

CJK = re.compile(r"[\u3400-\u9fff]")


def _app() -> None:
    from ui.pages.indicators_page import render

    render()


def _tables(lang: str, tmp_path, monkeypatch) -> list:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    at = AppTest.from_function(_app, default_timeout=90)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception
    return [df.value for df in at.dataframe]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_table_1_on_the_indicators_page_is_complete(lang, tmp_path, monkeypatch):
    frames = _tables(lang, tmp_path, monkeypatch)
    name, kind = ("指标", "属性") if lang == "zh" else ("Indicator", "Type")
    table1 = [f for f in frames if name in f.columns and kind in f.columns]
    assert len(table1) == 1
    t1 = table1[0]
    assert len(t1) == 29
    unknown = UNKNOWN_ZH if lang == "zh" else UNKNOWN_EN
    assert (t1 == unknown).to_numpy().sum() > 10
    if lang == "zh":
        assert "绿化覆盖率" in set(t1["指标"]) and "约束性" in set(t1["属性"])
    else:
        for col in t1.columns:
            assert not CJK.search(col)
            assert not any(CJK.search(str(v)) for v in t1[col]), col
