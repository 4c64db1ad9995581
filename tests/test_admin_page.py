"""The 留痕与管理 page in desk mode: the audit trail and restoring a removed layer."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point
from streamlit.testing.v1 import AppTest

from layers.fields import LOCAL_TZ
from spatial.workspace import GeoPackageWorkspace, workspace_path


def _script(lang: str = "zh") -> None:
    import streamlit as st

    st.session_state.setdefault("lang", lang)
    from ui.pages.admin_page import render

    render()


def test_desk_audit_trail_lists_every_write_and_restores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.delenv("HEBI_DATABASE_URL", raising=False)
    ws = GeoPackageWorkspace(workspace_path())
    layer = gpd.GeoDataFrame({"name": ["<b>甲</b>"]}, geometry=[Point(114.3, 35.7)], crs=4326)
    ws.write_layer("道路 <script>", layer)
    ws.write_layer("道路 <script>", layer)
    ws.delete_layer("道路 <script>")
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception
    table = at.table[0].value
    assert list(table.iloc[:, 1]) == ["删除图层", "替换图层", "上传图层"]  # newest first
    assert set(table.iloc[:, 2]) == {"道路 <script>"} and set(table.iloc[:, 3]) == {1}
    # Beijing time on screen, as on every page (the store keeps UTC).
    assert table.index.name == "时间（北京时间）"
    shown = datetime.strptime(str(table.index[0]), "%Y-%m-%d %H:%M:%S").replace(tzinfo=LOCAL_TZ)
    assert abs((datetime.now(LOCAL_TZ) - shown).total_seconds()) < 600
    assert any("（北京时间）" in m.value for m in at.markdown)
    restore = [b for b in at.button if b.label == "恢复"]
    assert len(restore) == 2  # the removed version and the replaced one
    restore[0].click().run()
    assert ws.list_layers() == ["道路 <script>"]
    assert any("已恢复图层" in s.value for s in at.success)
    assert not any("<script>" in m.value for m in at.markdown)  # titles are escaped
    en = AppTest.from_function(_script, kwargs={"lang": "en"}, default_timeout=60).run()
    assert "Layer restored" in list(en.table[0].value.iloc[:, 1])
    assert set(en.table[0].value.iloc[:, 0]) == {"Local user"}  # the desk actor, in English
    assert en.table[0].value.index.name == "Time (Beijing time)"


def test_desk_admin_restores_a_removed_rule_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from spatial.coverage_rules import RULES_ITEM, load_rules, rules_to_payload

    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path / "ws"))
    monkeypatch.delenv("HEBI_DATABASE_URL", raising=False)
    ws = GeoPackageWorkspace(workspace_path())
    payload = rules_to_payload(load_rules())
    ws.save_item("rules", RULES_ITEM, payload, count=len(payload["rows"]))
    ws.delete_item("rules", RULES_ITEM)
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception
    table = at.table[0].value
    assert list(table.iloc[:, 1]) == ["恢复默认规则表", "修改规则表"]
    assert list(table.iloc[:, 3]) == [0, len(payload["rows"])]
    restore = [b for b in at.button if b.label == "恢复"]
    assert len(restore) == 1  # the removed table (the first save replaced nothing)
    assert not any("个要素" in m.value for m in at.markdown if RULES_ITEM in m.value)
    restore[0].click().run()
    assert not at.exception
    assert ws.load_item("rules", RULES_ITEM) == payload
    assert any(f"已恢复“{RULES_ITEM}”" in s.value for s in at.success)
    assert at.table[0].value.iloc[0, 1] == "恢复规则表"
