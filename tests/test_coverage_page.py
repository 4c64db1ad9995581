"""The coverage page under Streamlit's AppTest: shipped data, tables, what-if, best sites.

AppTest cannot click inside the folium iframe, so the what-if here goes through
"add at coordinates" (the browser test clicks the map). The figures the page
shows are checked against :mod:`spatial.coverage` run on the same layers.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer
from streamlit.testing.v1 import AppTest

import layers
from spatial.coverage import (
    CoverageModel,
    analyse,
    combo_index,
    gap_table,
    network_to_lonlat,
    summary_table,
    unit_table,
)
from spatial.coverage_rules import load_rules
from spatial.crs import WGS84
from spatial.service_categories import CATEGORIES
from spatial.workspace import GeoPackageWorkspace, layer_id_for, workspace_path
from tests.apptest_helpers import map_args
from tests.coverage_synthetic import GK, ORIGIN, blocks, street


def _script(lang: str = "zh") -> None:
    import streamlit as st

    st.session_state.setdefault("lang", lang)
    from ui.pages.coverage_page import render

    render()


@pytest.fixture(autouse=True)
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("HEBI_DEFAULT_BASEMAP", "none")
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    monkeypatch.delenv("HEBI_DATA_DIR", raising=False)


@pytest.fixture(scope="module")
def core() -> CoverageModel:
    """The same analysis the page runs, straight from the library."""
    frames = {i: layers.load_layer(i) for i in ("roads", "facilities", "communities")}
    model, _ = analyse(frames["roads"], frames["facilities"], frames["communities"], load_rules())
    return model


def _app(lang: str = "zh") -> AppTest:
    at = AppTest.from_function(_script, kwargs={"lang": lang}, default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at


def _metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return str(m.value)
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def _frame(at: AppTest, *columns: str) -> Any:
    """The first table on the page with these columns."""
    for df in at.dataframe:
        value = df.value
        if set(columns) <= set(value.columns):
            return value
    raise AssertionError(f"no table with columns {columns!r}")


def _choose(at: AppTest, category: str, level: int) -> AppTest:
    at.selectbox(key="cov_category").set_value(category)
    at.radio(key="cov_level").set_value(level)
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_tables_and_metrics_match_the_library(core: CoverageModel) -> None:
    at = _app()
    assert at.header[0].value == "生活圈步行覆盖分析"
    expected = summary_table(core)
    table = _frame(at, "5分钟 设施数")
    assert len(table) == 9
    edu = table[table["类别"] == "就学便利圈"].iloc[0]
    j = combo_index("education", 5)
    assert edu["5分钟 人口"] == f"{expected['pop_share'].iloc[j] * 100:.1f}%"
    # A level without any facility reads "不适用", never 0.0 %.
    none = expected[expected["n_facilities"] == 0]
    for code, level in zip(none["category"], none["level_min"], strict=True):
        name = next(c.name for c in CATEGORIES if c.code == code)
        assert table[table["类别"] == name].iloc[0][f"{level}分钟 人口"] == "不适用"
    assert edu["5分钟 设施数"] == expected["n_facilities"].iloc[j]
    units = _frame(at, "单元")
    assert len(units) == len(layers.load_layer("life_circles")) + len(layers.load_layer("parks"))
    # One category and level: the metric is that pair's population share.
    _choose(at, "education", 5)
    assert _metric(at, "覆盖人口比例") == f"{expected['pop_share'].iloc[j] * 100:.1f}%"
    # Unit shares as the library computes them (life circles apportioned by area).
    unit_layers = {u: layers.load_layer(u) for u in ("life_circles", "parks")}
    frames = {i: layers.load_layer(i) for i in ("roads", "facilities", "communities")}
    model, weights = analyse(
        frames["roads"], frames["facilities"], frames["communities"], load_rules(),
        units=unit_layers,
    )
    lib = unit_table(model, weights)
    lib = lib[(lib["category"] == "education") & (lib["level_min"] == 5)]
    shown = _frame(at, "单元", "5分钟 用地")
    assert shown["5分钟 人口"].fillna(-1).to_numpy() == pytest.approx(
        (lib["pop_share"] * 100).fillna(-1).to_numpy()
    )
    assert shown["5分钟 用地"].fillna(-1).to_numpy() == pytest.approx(
        (lib["area_share"] * 100).fillna(-1).to_numpy()
    )


def test_what_if_add_by_coordinates_raises_the_share(core: CoverageModel) -> None:
    gaps = gap_table(core)
    gaps = gaps[(gaps["category"] == "health") & (gaps["level_min"] == 5)]
    assert len(gaps), "the shipped data should have health gaps at 5 min"
    place = gaps["place_id"].iloc[0]
    i = int(np.flatnonzero(core.places.ids == place)[0])
    seg, along = core.places.snapped.segment[i], core.places.snapped.along[i]
    on_road = core.network.segments[seg].interpolate(along)
    lon, lat = network_to_lonlat(core.network, [on_road.x], [on_road.y])

    at = _choose(_app(), "health", 5)
    before = float(_metric(at, "覆盖人口比例").rstrip("%"))
    at.selectbox(key="cov_edit_cat").set_value("health")
    at.selectbox(key="cov_edit_level").set_value(5)
    at.number_input(key="cov_lon").set_value(float(lon[0]))
    at.number_input(key="cov_lat").set_value(float(lat[0]))
    next(b for b in at.button if b.label == "按坐标添加").click()
    at.run()
    assert not at.exception, at.exception
    after = float(_metric(at, "覆盖人口比例").rstrip("%"))
    # The library, given the same facility, says what the page must show.
    frames = {k: layers.load_layer(k) for k in ("roads", "facilities", "communities")}
    fresh, _ = analyse(frames["roads"], frames["facilities"], frames["communities"], load_rules())
    fresh.add_facility("health", 5, on_road.x, on_road.y)
    expected = summary_table(fresh)["pop_share"].iloc[combo_index("health", 5)] * 100
    assert after > before
    assert after == pytest.approx(expected, abs=0.051)
    assert fresh.covered[i, combo_index("health", 5)]
    assert len(at.session_state["cov_ops"]) == 1
    assert any("推演修改" in c.value for c in at.caption)
    # Undo puts the figure back.
    next(b for b in at.button if b.label == "撤销全部推演").click()
    at.run()
    assert float(_metric(at, "覆盖人口比例").rstrip("%")) == pytest.approx(before)


def test_suggested_sites_can_be_taken_as_what_ifs() -> None:
    at = _choose(_app(), "elderly", 5)
    at.selectbox(key="cov_edit_cat").set_value("elderly")
    at.selectbox(key="cov_edit_level").set_value(5)
    at.number_input(key="cov_k").set_value(2)
    next(b for b in at.button if b.label == "计算建议选址").click()
    at.run()
    assert not at.exception, at.exception
    sites = _frame(at, "新增覆盖人口")
    assert len(sites) == 2
    assert _formats(_table(at, "新增覆盖人口"))["累计覆盖率"] == "%.1f%%"
    # On the map: a numbered square per site (1, 2 as in the table), and a legend row.
    drawn = str(map_args(at)["feature_group"])
    assert drawn.count("hebi-cov-site") == 2
    for rank in sites["序号"]:
        assert f"\\u003e{int(rank)}\\u003c/div" in drawn  # the number, HTML in JSON
    assert any("建议选址（编号同选址表）" in m.value and "hebi-cov-site-key" in m.value
               for m in at.markdown)
    predicted = float(sites["累计覆盖率"].iloc[-1])
    next(b for b in at.button if b.label == "将建议选址加入推演").click()
    at.run()
    assert not at.exception, at.exception
    assert float(_metric(at, "覆盖人口比例").rstrip("%")) == pytest.approx(predicted, abs=0.06)


def test_too_far_click_position_gives_a_bilingual_warning_not_a_traceback() -> None:
    at = _app(lang="en")
    assert at.header[0].value == "Living-circle walking coverage"
    at.number_input(key="cov_lon").set_value(113.0)
    at.number_input(key="cov_lat").set_value(35.0)
    next(b for b in at.button if b.label == "Add at coordinates").click()
    at.run()
    assert not at.exception, at.exception
    assert any("nearest road" in w.value for w in at.warning)


def test_hostile_names_reach_the_map_only_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "geo"
    shutil.copytree(layers.DATA_DIR, data)
    communities = gpd.read_file(data / "communities.geojson")
    hostile = "<img src=x onerror=alert(1)>${x}`"
    communities.loc[0, "name"] = hostile
    communities.to_file(data / "communities.geojson", driver="GeoJSON")
    monkeypatch.setenv("HEBI_DATA_DIR", str(data))
    at = _app()
    payload = json.dumps(map_args(at))
    # The name is in the map's data only as HTML entities (shown, never run).
    assert "lt;img src=x onerror=alert(1)" in payload
    assert "<img" not in payload and "${x}" not in payload


def _save_my_layers(facility_columns: dict[str, list[object]], population: bool = True) -> None:
    """Roads, one facility at (20, -5) and three blocks near Hebi, saved into the test workspace.

    Along the street the facility is 80, 480 and 980 m from blocks of 1000,
    2000 and 3000 residents (see ``tests.coverage_synthetic.blocks``).
    """
    ws = GeoPackageWorkspace(workspace_path())
    ws.write_layer("我的道路", street(ORIGIN).to_crs(WGS84))
    facility = gpd.GeoDataFrame(
        facility_columns, geometry=[shapely.Point(ORIGIN[0] + 20, ORIGIN[1] - 5)], crs=GK
    )
    ws.write_layer("我的设施", facility.to_crs(WGS84))
    res = blocks(ORIGIN).rename(columns={"population": "人口", "name": "小区名称"})
    if not population:
        res = res.drop(columns="人口")
    ws.write_layer("我的小区", res.to_crs(WGS84))
    x0, y0 = ORIGIN
    unit = gpd.GeoDataFrame({"名称": ["东片"]}, geometry=[shapely.box(x0, y0, x0 + 700, y0 + 100)],
                            crs=GK)
    ws.write_layer("我的单元", unit.to_crs(WGS84))


def _use_my_layers(at: AppTest) -> AppTest:
    for role, title in (("roads", "我的道路"), ("facilities", "我的设施"),
                        ("residential", "我的小区"), ("units", "我的单元")):
        at.selectbox(key=f"cov_src_{role}").set_value(layer_id_for(title))
    at.run()
    assert not at.exception, at.exception
    return at


def test_my_layers_serve_as_inputs_with_a_known_answer() -> None:
    # A kindergarten (5-min tier, 300 m) given as 类别 = 就学便利圈 and a type, without a level.
    _save_my_layers({"类别": ["就学便利圈"], "设施类型": ["幼儿园"], "名称": ["小太阳幼儿园"]})
    at = _app()
    roads_box = at.selectbox(key="cov_src_roads")
    assert roads_box.options == ["规划道路", "我的图层：我的道路"]
    # Only layers of the right geometry are offered for an input.
    assert not any("我的设施" in o for o in roads_box.options)
    assert not any("我的道路" in o for o in at.selectbox(key="cov_src_residential").options)
    at = _choose(_use_my_layers(at), "education", 5)
    # 80 m ≤ 300 m covers 东苑 (1000 of 6000 residents, 1 of 3 equal blocks); 480 m does not.
    assert _metric(at, "覆盖人口比例") == "16.7%"
    assert _metric(at, "覆盖居住用地比例") == "33.3%"
    assert _metric(at, "设施数量") == "1"
    units = _frame(at, "单元", "5分钟 人口")
    assert units["单元"].tolist() == ["东片"]
    assert units["5分钟 人口"].iloc[0] == pytest.approx(100 / 3)  # 1000 of 东苑 + 中苑's 3000
    # The what-if still works: a second kindergarten on the street at 中苑 covers it too.
    to_lonlat = Transformer.from_crs(GK, WGS84, always_xy=True)
    lon, lat = to_lonlat.transform(ORIGIN[0] + 500, ORIGIN[1])
    at.selectbox(key="cov_edit_cat").set_value("education")
    at.selectbox(key="cov_edit_level").set_value(5)
    at.number_input(key="cov_lon").set_value(float(lon))
    at.number_input(key="cov_lat").set_value(float(lat))
    next(b for b in at.button if b.label == "按坐标添加").click()
    at.run()
    assert not at.exception, at.exception
    assert _metric(at, "覆盖人口比例") == "50.0%"
    assert _metric(at, "设施数量") == "2"


def test_a_layer_missing_a_column_gives_one_plain_message_and_the_page_keeps_working() -> None:
    _save_my_layers({"名称": ["没有类别的设施"], "层级": [5]})
    at = _use_my_layers(_app(lang="en"))
    # Messages are markdown-escaped (issue 15); compare the text the user sees.
    assert [re.sub(r"\\(.)", r"\1", e.value).replace("\u2060", "") for e in at.error] == [
        "The facility layer has no 'category' column (accepted names: category / 类别 / 服务类别 / "
        "生活圈类别)."
    ]
    # The choosers are still there: going back to the plan's facilities analyses again.
    at.selectbox(key="cov_src_facilities").set_value("plan")
    at.run()
    assert not at.exception and not at.error
    assert _metric(at, "Residents with all nine")


def test_residential_without_population_gives_area_shares_only() -> None:
    _save_my_layers({"category": ["education"], "level_min": [5]}, population=False)
    at = _choose(_use_my_layers(_app()), "education", 5)
    assert any("没有人口字段" in i.value for i in at.info)
    assert _metric(at, "覆盖人口比例") == "—"
    assert _metric(at, "覆盖居住用地比例") == "33.3%"
    assert next(b for b in at.button if b.label == "计算建议选址").disabled


def test_estimated_input_notice_on_shipped_data_not_on_a_surveyed_scenario() -> None:
    # The planner's own layers carry no estimate (no population_basis, no confidence).
    _save_my_layers({"类别": ["就学便利圈"], "层级": [5], "名称": ["幼儿园"]})
    at = _app()
    assert any("示意数据" in w.value for w in at.warning)
    assert any("估算人口" in c.value for c in at.caption)
    at = _choose(_use_my_layers(at), "education", 5)
    assert not any("示意数据" in w.value for w in at.warning)
    assert not any("估算人口" in c.value for c in at.caption)
    assert any("实测输入" in c.value for c in at.caption)
    # ... and a level with no facility is "not applicable", not 0.0 %.
    _choose(at, "health", 5)
    assert _metric(at, "覆盖人口比例") == "不适用"


def test_what_if_lists_before_and_after_and_the_blocks_that_gained() -> None:
    _save_my_layers({"类别": ["就学便利圈"], "层级": [5], "名称": ["幼儿园"]})
    at = _choose(_use_my_layers(_app()), "education", 5)
    to_lonlat = Transformer.from_crs(GK, WGS84, always_xy=True)
    lon, lat = to_lonlat.transform(ORIGIN[0] + 500, ORIGIN[1])
    at.selectbox(key="cov_edit_cat").set_value("education")
    at.selectbox(key="cov_edit_level").set_value(5)
    at.number_input(key="cov_lon").set_value(float(lon))
    at.number_input(key="cov_lat").set_value(float(lat))
    next(b for b in at.button if b.label == "按坐标添加").click()
    at.run()
    assert not at.exception, at.exception
    diff = _frame(at, "指标", "推演前", "推演后")
    row = diff[diff["指标"] == "就学便利圈 5分钟 人口覆盖率"].iloc[0]
    assert (row["推演前"], row["推演后"]) == ("16.7%", "50.0%")
    assert any("1 个居住区新增可达" in c.value for c in at.caption)
    overlays = json.dumps(map_args(at), ensure_ascii=False)
    assert "新增可达" in overlays


def test_scenarios_save_open_and_compare_side_by_side() -> None:
    _save_my_layers({"类别": ["就学便利圈"], "层级": [5], "名称": ["幼儿园"]})
    at = _choose(_use_my_layers(_app()), "education", 5)
    at.text_input(key="cov_scn_name").set_value("现状")
    next(b for b in at.button if b.label == "保存当前方案").click()
    at.run()
    assert not at.exception, at.exception
    # Back to the plan's layers; the saved scenario compares side by side and reopens.
    for role in ("roads", "facilities", "residential", "units"):
        at.selectbox(key=f"cov_src_{role}").set_value("plan")
    at.run()
    assert at.selectbox(key="cov_scn_pick").options == ["现状"]
    at.selectbox(key="cov_scn_compare").set_value("现状")
    at.run()
    assert not at.exception, at.exception
    side = _frame(at, "指标", "当前", "现状")
    row = side[side["指标"] == "就学便利圈 5分钟 人口覆盖率"].iloc[0]
    assert row["现状"] == "16.7%"
    # On the map: off by default; 卷帘 draws the saved scenario's blocks right of the bar
    # (their own pane), 分屏 on the second map; the current run stays the left view.
    assert "东苑" not in json.dumps(map_args(at), ensure_ascii=False)
    at.radio(key="cov_cmp_mode").set_value("swipe")
    at.run()
    assert not at.exception, at.exception
    swipe = str(map_args(at)["feature_group"])  # the overlays (not the constant base script)
    assert "东苑" in swipe and '"pane":"hebiRightLayers"' in swipe
    assert '"swipe" === "swipe"' in swipe
    at.radio(key="cov_cmp_mode").set_value("split")
    at.run()
    split = str(map_args(at)["feature_group"])
    assert "东苑" in split and "window.hebiRightMap" in split
    assert '"pane":"hebiRightLayers"' not in split
    next(b for b in at.button if b.label == "载入").click()
    at.run()
    assert not at.exception, at.exception
    assert at.selectbox(key="cov_src_roads").value == layer_id_for("我的道路")
    _choose(at, "education", 5)
    assert _metric(at, "覆盖人口比例") == "16.7%"


def test_checkup_tab_and_walkshed_layer() -> None:
    _save_my_layers({"类别": ["就学便利圈"], "层级": [10], "名称": ["小学"]})
    at = _choose(_use_my_layers(_app()), "education", 10)
    table = _frame(at, "指标", "人口覆盖率", "居住用地覆盖率", "总面积覆盖率")
    primary = table[table["指标"] == "社区小学10分钟步行覆盖率"].iloc[0]
    # 500 m from x = 20: 东苑 (80 m) and 中苑 (480 m), 3000 of 6000 residents.
    assert primary["人口覆盖率"] == "50.0%"
    assert primary["评价（按人口）"] == "未达标"
    assert table[table["指标"] == "社区养老设施5分钟步行覆盖率"].iloc[0]["人口覆盖率"] == "不适用"
    at.checkbox(key="cov_show_sheds").check()
    at.run()
    assert not at.exception, at.exception
    assert "步行服务范围" in json.dumps(map_args(at), ensure_ascii=False)


def test_unnamed_inputs_are_named_in_words_never_by_id() -> None:
    # A facility without name or id (it gets the row id f0) and a block without a name (r3).
    _save_my_layers({"类别": ["就学便利圈"], "设施类型": ["幼儿园"]})
    ws = GeoPackageWorkspace(workspace_path())
    res = blocks(ORIGIN).rename(columns={"population": "人口", "name": "小区名称"})
    res.loc[2, "小区名称"] = None
    ws.write_layer("我的小区", res.to_crs(WGS84))
    at = _choose(_use_my_layers(_app()), "education", 5)
    at.selectbox(key="cov_edit_cat").set_value("education")
    at.selectbox(key="cov_edit_level").set_value(5)
    at.run()
    assert not at.exception, at.exception
    chooser = at.selectbox(key="cov_edit_fid")
    assert chooser.options == ["—", "未命名设施（第1个）"]
    ids = {"f0", "r1", "r2", "r3"}
    gaps = _frame(at, "居住街坊", "状况")
    assert "未命名居住区（第3个）" in set(gaps["居住街坊"])
    for df in at.dataframe:
        table = df.value
        assert not ids & set(map(str, table.columns))
        assert not ids & {str(v) for v in table.to_numpy().ravel()}


def _texts(at: AppTest) -> list[str]:
    """Every caption, markdown, alert and table cell the page shows."""
    texts = [e.value for e in (*at.caption, *at.markdown, *at.info, *at.warning)]
    for df in at.dataframe:
        texts.extend(str(v) for v in df.value.to_numpy().ravel())
        texts.extend(str(c) for c in df.value.columns)
    return texts


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_85_percent_is_a_quoted_national_target_and_one_quarter_hour_is_explained(
        lang: str) -> None:
    # Audit 2 U1: the ETDZ plan gives no 生活圈 coverage target; C8: its 一刻钟生活圈 is the
    # standard's 十五分钟生活圈.
    at = _app(lang=lang)
    zh = lang == "zh"
    table = _frame(at, "指标" if zh else "Indicator", "目标出处" if zh else "Target source")
    name = "15分钟社区生活圈覆盖率" if zh else "15-minute community living-circle coverage"
    row = table[table["指标" if zh else "Indicator"] == name].iloc[0]
    assert row["目标" if zh else "Target"] == "85%"
    assert row["目标出处" if zh else "Target source"] == (
        "国家层面“十四五”目标 85 %（转引自《人文地理》2024，非本规划指标）" if zh
        else "National 14th FYP target 85 % (quoted from Human Geography 2024; "
             "not a target of this plan)")
    texts = _texts(at)
    joined = "\n".join(texts)
    if zh:
        assert "非本规划指标" in joined and "本规划未给出生活圈覆盖率目标" in joined
        assert "引自“十四五”规划" not in joined and "“十四五”规划 2025 年目标" not in joined
        assert any("一刻钟生活圈" in c.value and "十五分钟生活圈" in c.value
                   and "GB 50180-2018" in c.value for c in at.caption)
    else:
        assert "not a target of this plan" in joined
        assert "the 14th Five-Year Plan's" not in joined
        assert any("一刻钟生活圈" in c.value and "15-minute living circle" in c.value
                   for c in at.caption)
    # Whatever the wording, the 85 % is never said to come from this plan.
    for text in texts:
        if "85" in text and ("十四五" in text or "14th" in text):
            assert "非本规划" in text or "not a target of this plan" in text, text


# --- the tables in planner words (UI sweep items 1, 2, 6, 7, 8, 9, 14, 20) ----------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _table(at: AppTest, *columns: str) -> Any:
    """The first table element on the page with these columns (its proto says how it shows)."""
    for df in at.dataframe:
        if set(columns) <= set(df.value.columns):
            return df
    raise AssertionError(f"no table with columns {columns!r}")


def _formats(element: Any) -> dict[str, str]:
    """Column header → the number format the browser shows it in."""
    config = json.loads(element.proto.columns or "{}")
    out = {}
    for key, value in config.items():
        fmt = (value.get("type_config") or {}).get("format")
        if fmt:
            out[re.sub(r"^(name|col):", "", key)] = fmt
    return out


def test_tables_in_planner_words_chinese(core: CoverageModel) -> None:
    at = _choose(_app(), "comprehensive", 5)
    # 1. The rule table: headers and values in words, never a code, * or GK.
    rules = at.data_editor(key="cov_rules_editor").value
    assert list(rules.columns) == [
        "设施类型", "服务类别", "生活圈层级（分钟）", "最大步行距离（米）", "依据", "出处"]
    first = rules.iloc[0]
    assert (first["设施类型"], first["服务类别"], first["依据"]) == (
        "通用（层级默认）", "综合服务圈", "通用知识")
    assert set(rules["服务类别"]) == {c.name for c in CATEGORIES}
    assert set(rules["依据"]) <= {"通用知识", "已引用", "二手资料"}
    assert "*" not in set(rules["设施类型"])
    for text in rules["出处"]:
        assert "GK" not in text and ".md" not in text and "plan item" not in text, text
    # 2. A block with no facility within the search range: "—", not None.
    gaps = _table(at, "最近设施步行距离（m）", "超出距离（m）", "状况")
    beyond = gaps.value[gaps.value["状况"] == "搜索范围内无设施"]
    assert len(beyond) and beyond["最近设施步行距离（m）"].isna().all()
    assert gaps.proto.placeholder == "—"
    # 7. Straight-line check: shares in per cent (one decimal), distances in whole metres.
    straight = _table(at, "路网步行覆盖率", "直线半径覆盖率", "直线高估比例")
    fmt = _formats(straight)
    assert all(fmt[c] == "%.1f%%" for c in ("路网步行覆盖率", "直线半径覆盖率", "直线高估比例"))
    row = straight.value[straight.value["服务类别"] == "综合服务圈"].iloc[0]
    expected = summary_table(core)["pop_share"].iloc[combo_index("comprehensive", 5)] * 100
    assert row["路网步行覆盖率"] == pytest.approx(expected)
    detail = _table(at, "直线距离（m）", "步行距离（m）")
    assert _formats(detail)["直线距离（m）"] == "%.0f"
    assert _formats(detail)["步行距离（m）"] == "%.0f"
    metres = detail.value[["直线距离（m）", "步行距离（m）"]].to_numpy(dtype=float)
    assert len(metres) and (metres == np.round(metres)).all()
    # 8. Under the 覆盖率 table: what a level counts (15 min below 10 min is not an error).
    assert any("各层级只计该层级配置的设施（不含下级设施）" in c.value for c in at.caption)
    # 9. Everything is on the network: a sentence, not an empty table saying "empty".
    assert any(i.value == "全部居住区与设施均已接入路网。" for i in at.info)
    assert not any("距道路（m）" in df.value.columns for df in at.dataframe)


def test_tables_in_planner_words_english() -> None:
    at = _choose(_app(lang="en"), "comprehensive", 5)
    rules = at.data_editor(key="cov_rules_editor").value
    assert list(rules.columns) == [
        "Facility type", "Service category", "Living-circle level (min)",
        "Max walking distance (m)", "Evidence", "Source"]
    assert rules.iloc[0]["Facility type"] == "Tier default"
    assert set(rules["Service category"]) == {c.name_en for c in CATEGORIES}
    # 6. No Chinese left in the rule table (types and sources in English, the standard's number
    # kept) ...
    for col in ("Facility type", "Service category", "Evidence", "Source"):
        assert not any(_CJK.search(str(v)) for v in rules[col]), col
    assert any("GB 50180-2018 Appendix C: kindergarten" in s for s in rules["Source"])
    # ... and blocks and living circles by their English names, as on the plan map.
    gaps = _table(at, "Residential block", "Status")
    blocks_named = gaps.value["Residential block"]
    assert blocks_named.str.startswith("Illustrative block").any()
    assert not blocks_named.map(lambda n: bool(_CJK.search(str(n)))).any()
    assert gaps.proto.placeholder == "—"
    units = _frame(at, "Unit", "5 min residents")
    named = units[units["Unit layer"] == "Living circle"]["Unit"]
    assert len(named) and not any(_CJK.search(str(n)) for n in named)
    assert any("Each level counts only the facilities of that level" in c.value
               for c in at.caption)
    assert any(i.value == "Every residential area and facility is on the walking network."
               for i in at.info)
    # The coverage map's tooltips name blocks in English too.
    assert "Illustrative block" in json.dumps(map_args(at), ensure_ascii=False)


def test_rule_table_words_turn_back_into_codes() -> None:
    from layers.fields import rule_type_label
    from ui.coverage_tables import rules_from_view, rules_view

    table = load_rules().table
    # Each type has its own English word (else an edit in English could not be read back).
    english = [rule_type_label(str(ft), "en") for ft in set(table["facility_type"])]
    assert len(set(english)) == len(english)
    for lang in ("zh", "en"):
        back = rules_from_view(rules_view(table, lang), lang)
        assert back.astype(str).equals(table.astype(str)), lang
