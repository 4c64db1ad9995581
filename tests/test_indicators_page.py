"""The indicators page in AppTest on the shipped data: legend, table and map agree with the core."""

from __future__ import annotations

import json
import re
from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import box
from streamlit.testing.v1 import AppTest

import layers
from spatial.classify import Target, classify, target_status
from spatial.indicators import compute_area_indicators
from spatial.view import IndicatorSelection, View
from spatial.workspace import default_workspace, layer_id_for

LABEL_RE = re.compile(
    r'class="hebi-ind-label">(.*?)</span><span class="hebi-ind-count"> ?[（(](\d+)[）)]'
)


def _app() -> None:
    from ui.pages.indicators_page import render

    render()


@pytest.fixture
def at(tmp_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    app = AppTest.from_function(_app, default_timeout=60)
    return app


@pytest.fixture(scope="module")
def parks_table():
    """Indicators of the parks the page shows first (role "park": the three parks)."""
    sources = {k: layers.load_layer(k) for k in ("green", "roads", "facilities", "communities")}
    parks = layers.load_layer("parks")
    return compute_area_indicators(parks[parks["role"] == "park"], **sources)


def legend_html(at: AppTest) -> str:
    found = [m.value for m in at.markdown if "hebi-ind-legend" in m.value]
    assert found, "no legend on the page"
    return found[0]


def legend_rows(html: str) -> list[tuple[str, int]]:
    return [(label, int(n)) for label, n in LABEL_RE.findall(html)]


def maps(at: AppTest) -> list[dict[str, Any]]:
    """The st_folium components' arguments, wherever they sit in the page."""
    out: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if type(node).__name__ == "UnknownElement":
            proto = getattr(node, "proto", None)
            args = getattr(proto, "json_args", None)
            if args:
                out.append(json.loads(args))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return out


def choose(at: AppTest, key: str, value: Any) -> AppTest:
    return at.selectbox(key=key).select(value).run()


def test_default_view_legend_and_table_match_the_core(at, parks_table):
    at.run()
    assert not at.exception
    assert at.selectbox(key="ind_area").value == "parks"
    assert at.selectbox(key="ind_column").value == "area_km2"
    expected = classify(parks_table["area_km2"].to_numpy(), scheme="Quantiles", k=5,
                        min_decimals=2)
    html = legend_html(at)
    assert legend_rows(html) == list(zip(expected.labels, expected.counts, strict=True))
    assert "面积（平方公里）" in html and f"分级方法：{expected.describe('zh')}" in html
    table = at.dataframe[0].value
    names = layers.load_layer("parks").set_index("id")["name"]
    assert "编号" not in table.columns  # ids stay in the CSV download only
    assert list(table["名称"]) == [names[i] for i in parks_table.index]
    assert list(table["分级"]) == [expected.label_of(v) for v in parks_table["area_km2"]]
    sel = at.session_state["indicator_selection"]
    assert isinstance(sel, IndicatorSelection)
    assert (sel.area_layer, sel.column, sel.scheme, sel.k) == ("parks", "area_km2", "Quantiles", 5)
    assert sel.breaks == expected.breaks
    # One map, on the shared base map, with no asset from outside the app.
    (m,) = maps(at)
    assert not [u for u in m["js_links"] if re.match(r"^(https?:)?//", u)]
    assert "L.divIcon" in m["feature_group"]


def test_plan_linked_green_share_checks_the_37_percent_target(at, parks_table):
    at.run()
    at.radio(key="ind_origin").set_value("plan").run()
    assert at.selectbox(key="ind_column").value == "green_share_pct"
    assert at.checkbox(key="ind_target_on").value is True
    assert at.number_input(key="ind_target_value").value == 37.0
    html = legend_html(at)
    statuses = target_status(parks_table["green_share_pct"], Target(37.0, ">="))
    met, below = int((statuses == "pass").sum()), int((statuses == "fail").sum())
    # The drawn green share only stands in for 城市绿地率, counted otherwise: the page says so.
    assert (f"目标 ≥ 37.0（规划 2025 年目标：城市绿地率，口径不同，仅供参考）：达标 {met} · "
            f"未达标 {below}") in html
    caveat = " ".join(c.value for c in at.caption).replace("\\", "")
    assert "口径提示" in caveat and "下限" in caveat and "29.6%" in caveat
    table = at.dataframe[0].value
    assert list(table["目标"]) == [{"pass": "达标", "fail": "未达标"}[s] for s in statuses]
    assert at.session_state["indicator_selection"].target == 37.0


def test_user_defined_breaks_start_from_the_target_and_are_kept(at, parks_table):
    at.run()
    at.radio(key="ind_origin").set_value("plan").run()
    choose(at, "ind_scheme", "UserDefined")
    assert at.text_input(key="ind_breaks").value == "37"
    at.text_input(key="ind_breaks").input("1, 2, 37").run()
    values = parks_table["green_share_pct"].to_numpy()
    expected = classify(values, scheme="UserDefined", breaks=[1, 2, 37], min_decimals=1)
    assert legend_rows(legend_html(at)) == list(zip(expected.labels, expected.counts,
                                                    strict=True))
    assert at.session_state["indicator_selection"].breaks == expected.breaks
    at.text_input(key="ind_breaks").input("1, zwei").run()
    assert any("zwei" in e.value for e in at.error)


def test_switching_classification_and_palette(at, parks_table):
    at.run()
    choose(at, "ind_column", "road_density")
    for scheme in ("EqualInterval", "FisherJenks"):
        choose(at, "ind_scheme", scheme)
        at.number_input(key="ind_k").set_value(3).run()
        expected = classify(parks_table["road_density"].to_numpy(), scheme=scheme, k=3,
                            min_decimals=2)
        rows = legend_rows(legend_html(at))
        assert rows == list(zip(expected.labels, expected.counts, strict=True))
        assert at.session_state["indicator_selection"].scheme == scheme
    choose(at, "ind_palette", "cividis")
    m = maps(at)[0]
    expected = classify(parks_table["road_density"].to_numpy(), scheme="FisherJenks", k=3,
                        palette="cividis", min_decimals=2)
    for colour in expected.colours:
        assert colour in m["feature_group"]


GBK_SHEET = (
    "区域名称,亩均税收（万元/亩）,规上企业数\n"
    "城北园区,18.5,12\n"
    "金山园区,暂无,7\n"
    "新区,9.1,3\n"
    "城东园区,12,30\n"
).encode("gbk")


def test_uploaded_gbk_sheet_maps_what_matched_and_reports_the_rest(at):
    at.run()
    at.file_uploader(key="ind_upload").set_value(("统计.csv", GBK_SHEET, "text/csv")).run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "1 行未匹配到区域" in warning and "1 个非数字单元格" in warning
    problems = at.dataframe[0].value
    assert "新区" in list(problems["键 / 区域"]) and "暂无" in list(problems["单元格"])
    at.radio(key="ind_origin").set_value("upload").run()
    assert at.selectbox(key="ind_column").value == "upload:亩均税收（万元/亩）"
    # 亩均税收 is a plan indicator: its "> 15" target applies.
    assert at.checkbox(key="ind_target_on").value is True
    assert at.selectbox(key="ind_target_op").value == ">"
    html = legend_html(at)
    rows = legend_rows(html)
    assert rows[-1] == ("无数据", 1)  # 金山园区: 暂无
    assert "亩均税收（万元/亩）" in html
    assert "达标 1 · 未达标 1 · 无数据 1" in html


def test_compare_two_indicators_and_base_against_target(at):
    at.run()
    at.radio(key="ind_origin").set_value("plan").run()
    at.toggle(key="ind_compare").set_value(True).run()
    assert not at.exception
    assert at.radio(key="ind_compare_mode").options == [
        "与另一指标并排", "2020 年基数 与 2025 年目标"
    ]
    assert len(maps(at)) == 3
    at.radio(key="ind_compare_mode").set_value("base_target").run()
    html = " ".join(m.value for m in at.markdown if "hebi-ind-legend" in m.value)
    assert "目标 ≥ 29.6" in html and "目标 ≥ 37.0" in html
    assert len(maps(at)) == 3


def test_workspace_zones_with_hostile_names_are_escaped(at, tmp_path):
    x0, y0 = 528_000.0, 3_955_000.0
    zones = gpd.GeoDataFrame(
        {"id": ["z1", "z2"], "name": ["<img src=x onerror=alert(1)>", "`${alert(2)}`"]},
        geometry=[box(x0, y0, x0 + 1000, y0 + 1000), box(x0 + 1000, y0, x0 + 1500, y0 + 1000)],
        crs="EPSG:4547",
    ).to_crs("EPSG:4326")
    default_workspace().write_layer("我的分区", zones)
    at.run()
    choose(at, "ind_area", layer_id_for("我的分区"))
    assert not at.exception
    (m,) = maps(at)
    # What the browser's JS strings hold once the JSON \u escapes are read.
    drawn = (m["feature_group"].replace("\\u003c", "<").replace("\\u003e", ">")
             .replace("\\u0026", "&"))
    assert "<img" not in drawn and "&lt;img src=x onerror=alert(1)&gt;" in drawn
    assert "${alert" not in drawn
    assert re.search(r"&#96;&#36;(\{|&#123;)alert\(2\)(\}|&#125;)&#96;", drawn)
    # Areas of 1 km² and 0.5 km², measured in Gauss–Krüger after the WGS84 round trip.
    assert list(at.dataframe[0].value["面积（平方公里）"]) == [1.0, 0.5]


def test_kinds_of_area_can_be_added_and_nested_areas_draw_on_top(at):
    at.run()
    assert at.multiselect(key="ind_groups_parks").value == ["park"]
    assert len(at.dataframe[0].value) == 3
    at.multiselect(key="ind_groups_parks").select("sub-area").run()
    parks = layers.load_layer("parks")
    shown = parks[parks["role"].isin(["park", "sub-area"])]
    table = at.dataframe[0].value
    assert list(table["名称"]) == list(shown["name"])
    # The choropleth draws the largest area first: a sub-area lies on top of its park.
    drawn = maps(at)[0]["feature_group"]
    assert drawn.index("城东园区") < drawn.index("景观湖")
    at.multiselect(key="ind_groups_parks").unselect("park").unselect("sub-area").run()
    assert any("至少选择一类区域" in i.value for i in at.info)


def test_the_indicator_and_its_breaks_travel_in_the_url(at, parks_table):
    at.run()
    sel = at.session_state["indicator_selection"]
    params = {k: at.query_params[k] for k in at.query_params}
    full = View(indicator=sel).to_query_params()
    assert all(full[k] == v for k, v in params.items())  # the ind_* part of the view
    assert (params["ind_layer"], params["ind_col"], params["ind_scheme"]) == (
        "parks", "area_km2", "Quantiles")
    assert tuple(float(b) for b in params["ind_breaks"].split(",")) == pytest.approx(sel.breaks)
    shared = AppTest.from_function(_app, default_timeout=60)
    for key, value in {
        "ind_layer": "parks", "ind_col": "green_share_pct", "ind_scheme": "UserDefined",
        "ind_k": "5", "ind_breaks": "1,2,37", "ind_target": "2",
    }.items():
        shared.query_params[key] = value
    shared.run()
    assert not shared.exception
    assert shared.selectbox(key="ind_column").value == "green_share_pct"
    assert shared.text_input(key="ind_breaks").value == "1, 2, 37"
    assert shared.number_input(key="ind_target_value").value == 2.0
    expected = classify(parks_table["green_share_pct"].to_numpy(), scheme="UserDefined",
                        breaks=[1, 2, 37], min_decimals=1)
    assert legend_rows(legend_html(shared)) == list(zip(expected.labels, expected.counts,
                                                        strict=True))
    assert "目标 ≥ 2.0：" in legend_html(shared)
    # Breaks of a computed scheme are used as the link says while nothing else changes.
    linked = AppTest.from_function(_app, default_timeout=60)
    for key, value in {"ind_layer": "parks", "ind_col": "area_km2", "ind_scheme": "Quantiles",
                       "ind_k": str(sel.k), "ind_breaks": "10,20,50"}.items():
        linked.query_params[key] = value
    linked.run()
    assert linked.session_state["indicator_selection"].breaks == (10.0, 20.0, 50.0)
    assert "断点（含上限）：10.00 | 20.00 | 50.00" in legend_html(linked)
    linked.number_input(key="ind_k").set_value(2).run()
    assert linked.session_state["indicator_selection"].breaks != (10.0, 20.0, 50.0)


def test_english_ui(at, parks_table):
    at.session_state["lang"] = "en"
    # Chosen before the run: the export panel's option labels follow the session language
    # inside the script only, so AppTest cannot replay its widgets in English.
    at.session_state["ind_origin"] = "plan"
    at.run()
    html = legend_html(at)
    expected = classify(parks_table["green_share_pct"].to_numpy(), min_decimals=1)
    assert "Green share (%)" in html and f"Method: {expected.describe('en')}" in html
    assert legend_rows(html) == list(zip(expected.labels, expected.counts, strict=True))
    assert ("Target ≥ 37.0 (plan 2025 target: Urban green-space rate, counted differently, "
            "indicative only): met 0 · below 3") in html
    assert list(at.dataframe[0].value.columns) == ["Name", "Green share (%)", "Class",
                                                   "Target"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_fewer_classes_are_explained_and_map_labels_carry_units(at, parks_table, lang):
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception
    n = len(parks_table)
    assert n < 5  # three parks: 级数 5 cannot be drawn
    html = legend_html(at)
    assert (f"有数据的区域仅 {n} 个，级数由 5 降为 {n}。" if lang == "zh"
            else f"Only {n} areas have data, so {n} classes instead of 5.") in html
    # The map's value labels say their unit; the table shows the same decimals as the map.
    fg = maps(at)[0]["feature_group"]
    unit = "平方公里" if lang == "zh" else "km²"
    for v in parks_table["area_km2"]:
        assert json.dumps(f"{v:.2f} {unit}")[1:-1] in fg  # as folium writes it (\\u escapes)
    table = at.dataframe[0]
    header = "面积（平方公里）" if lang == "zh" else next(
        c for c in table.value.columns if c.startswith("Area"))
    assert json.loads(table.proto.columns)[header]["type_config"]["format"] == "%.2f"
