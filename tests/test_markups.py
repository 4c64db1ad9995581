"""Markups core: store round trip, audit trail, validation, exports, map overlay and printing."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from matplotlib.figure import Figure
from shapely.geometry import LineString, Point, Polygon

from layers.fields import local_time
from spatial._errors import SpatialError
from spatial.crs import project_to_gk
from spatial.markups import (
    CATEGORY_COLOURS,
    MarkupStore,
    audit_table,
    draw_markups,
    filter_markups,
    geometry_from_geojson,
    markups_geojson_bytes,
    markups_gpkg_bytes,
)
from spatial.markups_map import add_draw_control, markups_overlay
from spatial.webmap_assets import external_asset_urls
from spatial.webmap_base import build_base_map
from spatial.workspace import GeoPackageWorkspace

PAYLOAD = "<script>alert(1)</script> {{7*7}} ${x} `t` ![i](http://x/a.png) $\\frac$"
PT = Point(114.30, 35.70)
LINE = LineString([(114.30, 35.70), (114.31, 35.71)])
AREA = Polygon([(114.30, 35.70), (114.31, 35.70), (114.31, 35.71), (114.30, 35.70)])


@pytest.fixture
def store(tmp_path: Path) -> MarkupStore:
    return MarkupStore(GeoPackageWorkspace(tmp_path / "markups.gpkg"), "default")


def test_create_reply_edit_delete_round_trip_and_every_change_audited(
    store: MarkupStore, tmp_path: Path
) -> None:
    a = store.create(PT, "issue", PAYLOAD, "张三")
    b = store.create(LINE, "suggestion", "道路宜加宽", "李四")
    c = store.create(AREA, "verify", "用地性质待核实", "张三")
    assert [m.no for m in store.markups()] == [1, 2, 3]
    store.reply(a.id, "李四", "已收到 <b>x</b>")
    store.reply(a.id, "王五", "同意")
    store.edit(b.id, "李四", category="issue", comment="道路必须加宽")
    store.delete(c.id, "王五")

    # A second store on the same file (another session) reads the same thing.
    again = MarkupStore(GeoPackageWorkspace(tmp_path / "markups.gpkg"), "default").markups()
    assert [m.no for m in again] == [1, 2]
    first, second = again
    assert first.comment == PAYLOAD  # kept as typed: escaping is the display's job
    assert first.geometry.equals(PT) and second.geometry.equals(LINE)
    assert [(r.author, r.text) for r in first.replies] == [("李四", "已收到 <b>x</b>"),
                                                           ("王五", "同意")]
    assert (second.category, second.comment) == ("issue", "道路必须加宽")
    assert second.updated_utc >= second.created_utc

    trail = store.audit_trail()
    assert [(r.action, r.markup_no, r.actor) for r in trail] == [
        ("create", 1, "张三"), ("create", 2, "李四"), ("create", 3, "张三"),
        ("reply", 1, "李四"), ("reply", 1, "王五"), ("edit", 2, "李四"), ("delete", 3, "王五")]
    edit = json.loads(trail[5].detail)
    assert edit == {"before": {"category": "suggestion", "comment": "道路宜加宽"},
                    "after": {"category": "issue", "comment": "道路必须加宽"}}
    table = audit_table(trail, "zh")
    assert list(table.columns) == ["时间（北京时间）", "操作人", "操作", "批注编号", "内容"]
    first_shown = table.iloc[-1]["时间（北京时间）"]  # newest first: the first record is last
    assert first_shown == local_time(trail[0].time_utc, seconds=True, zone=False)
    assert local_time("2026-12-03T13:06:47Z", seconds=True, zone=False) == "2026-12-03 21:06:47"
    assert table.iloc[0]["操作"] == "删除"
    assert "类别：建议 → 问题" in table.iloc[1]["内容"]
    assert "category" not in " ".join(table["内容"])  # no raw field name in Chinese mode


def test_projects_are_separate_and_deleting_the_last_markup_leaves_an_empty_list(
    tmp_path: Path,
) -> None:
    ws = GeoPackageWorkspace(tmp_path / "m.gpkg")
    one, two = MarkupStore(ws, "alpha"), MarkupStore(ws, "beta")
    m = one.create(PT, "issue", "甲项目", "张三")
    assert two.markups() == []
    one.delete(m.id, "张三")
    assert one.markups() == []
    assert one.create(PT, "issue", "再建", "张三").no == 2  # a deleted number is not reused
    assert two.create(PT, "issue", "乙项目", "李四").no == 1


def test_custom_audit_sink_receives_every_change(tmp_path: Path) -> None:
    seen: list[str] = []
    s = MarkupStore(GeoPackageWorkspace(tmp_path / "m.gpkg"), audit=lambda r: seen.append(r.action))
    m = s.create(PT, "issue", "x", "a")
    s.edit(m.id, "a", comment="y")
    s.edit(m.id, "a", comment="y")  # no change: nothing recorded
    s.reply(m.id, "b", "z")
    s.delete(m.id, "a")
    assert seen == ["create", "edit", "reply", "delete"]


@pytest.mark.parametrize("category", ["", "bug", "问题", "ISSUE", "<script>"])
def test_category_must_be_one_of_three(store: MarkupStore, category: str) -> None:
    with pytest.raises(SpatialError) as err:
        store.create(PT, category, "x", "a")
    assert "问题" in err.value.zh and "Issue" in err.value.en
    assert store.markups() == [] and store.audit_trail() == []


def test_comment_and_geometry_are_checked(store: MarkupStore) -> None:
    with pytest.raises(SpatialError, match="不能为空"):
        store.create(PT, "issue", "  \x00 \u200e ", "a")
    with pytest.raises(SpatialError, match="过长"):
        store.create(PT, "issue", "字" * 2001, "a")
    with pytest.raises(SpatialError, match="鹤壁"):
        store.create(Point(0, 0), "issue", "x", "a")
    bowtie = Polygon([(114.30, 35.70), (114.31, 35.71), (114.31, 35.70), (114.30, 35.71)])
    with pytest.raises(SpatialError, match="无效"):
        store.create(bowtie, "issue", "x", "a")
    with pytest.raises(SpatialError):
        geometry_from_geojson({"type": "Feature", "geometry": {"type": "Point"}})
    with pytest.raises(SpatialError):
        geometry_from_geojson({"type": "Feature", "geometry": {"type": "Point",
                                                               "coordinates": ["x", 1]}})
    drawn = geometry_from_geojson({"type": "Feature", "properties": {},
                                   "geometry": {"type": "Point", "coordinates": [114.3, 35.7]}})
    assert drawn.equals(PT)
    with pytest.raises(SpatialError, match="不存在"):
        store.reply("nope", "a", "x")


def test_filter_by_category_author_and_text(store: MarkupStore) -> None:
    a = store.create(PT, "issue", "绿地不足", "张三")
    store.create(LINE, "suggestion", "道路加宽", "李四")
    store.reply(a.id, "李四", "公园选址")
    ms = store.markups()
    assert [m.no for m in filter_markups(ms, categories=["suggestion"])] == [2]
    assert [m.no for m in filter_markups(ms, authors=["张三"])] == [1]
    assert [m.no for m in filter_markups(ms, text="公园")] == [1]  # replies are searched
    assert [m.no for m in filter_markups(ms, categories=["issue"], text="道路")] == []
    assert len(filter_markups(ms)) == 2


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_geojson_and_gpkg_exports_are_readable_with_shown_column_names(
    store: MarkupStore, tmp_path: Path, lang: str
) -> None:
    a = store.create(PT, "issue", PAYLOAD, "张三")
    store.create(AREA, "verify", "面", "李四")
    store.reply(a.id, "李四", "回复一")
    ms = store.markups()
    gj = tmp_path / "m.geojson"
    gj.write_bytes(markups_geojson_bytes(ms, lang))
    gp = tmp_path / "m.gpkg"
    gp.write_bytes(markups_gpkg_bytes(ms, lang))
    for gdf in (gpd.read_file(gj), gpd.read_file(gp)):
        assert len(gdf) == 2 and gdf.crs.to_epsg() == 4326
        if lang == "zh":
            assert {"编号", "类别", "批注", "作者", "回复"} <= set(gdf.columns)
            assert list(gdf["类别"]) == ["问题", "核实"]
            assert gdf.iloc[0]["批注"] == PAYLOAD
            assert "回复一" in gdf.iloc[0]["回复"]
        else:
            assert list(gdf["Category"]) == ["Issue", "To verify"]
        names = " ".join(map(str, gdf.columns))
        assert "mid" not in names and "utc" not in names  # no raw field names
    assert gpd.list_layers(gp)["name"].tolist() == ["批注" if lang == "zh" else "markups"]


def test_map_overlay_escapes_every_text_and_draw_tool_is_served_by_the_app(
    store: MarkupStore,
) -> None:
    a = store.create(PT, "issue", PAYLOAD, "<img src=x onerror=alert(2)>")
    store.create(AREA, "verify", "${y}", "b")
    store.reply(a.id, "`r`", "{{ 6*6 }}")
    m = build_base_map("zh", icons=True)
    add_draw_control(m, "zh")
    markups_overlay(store.markups()).add_to(m)
    html = m.get_root().render()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "{{7*7}}" not in html and "&#123;&#123;7*7&#125;&#125;" in html  # not evaluated
    assert "${x}" not in html and "${y}" not in html and "`r`" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "leaflet-draw/leaflet.draw.js" in html
    assert html.find('"circlemarker": "画点"') < html.find("new L.Control.Draw")  # labels first
    assert external_asset_urls(m) == []


def test_draw_markups_on_a_figure_without_mathtext(store: MarkupStore) -> None:
    store.create(PT, "issue", PAYLOAD, "a")
    store.create(LINE, "suggestion", "b", "a")
    store.create(AREA, "verify", "c", "a")
    fig = Figure()
    ax = fig.add_subplot()

    def to_metric(g):
        return project_to_gk(gpd.GeoSeries([g], crs=4326), 4547).iloc[0]

    legend = draw_markups(ax, store.markups(), to_metric, "zh")
    fig.canvas.draw()  # a live "$\frac$" would make this raise
    assert legend == ["批注：问题", "批注：建议", "批注：核实"]
    texts = [t.get_text() for t in ax.texts]
    assert {"1", "2", "3"} <= set(texts)
    assert any(PAYLOAD.split()[0] in t for t in texts)


def test_export_with_markups_prints_every_markup_on_the_page(store: MarkupStore) -> None:
    import io

    from PIL import Image

    from spatial.export import ExportOptions
    from spatial.markups_print import export_with_markups, markups_extent_gk
    from spatial.view import DEFAULT_VIEW

    store.create(PT, "issue", PAYLOAD, "a")
    far = Point(114.45, 35.90)  # outside the default view: the page widens to show it
    store.create(far, "verify", "远处", "a")
    ms = store.markups()
    result = export_with_markups(DEFAULT_VIEW, ExportOptions(fmt="png", dpi=72), ms)
    x0, y0, x1, y1 = result.info.extent_gk
    mx0, my0, mx1, my1 = markups_extent_gk(ms, 4547) or (0, 0, 0, 0)
    assert x0 <= mx0 and y0 <= my0 and x1 >= mx1 and y1 >= my1
    img = Image.open(io.BytesIO(result.data))
    assert img.size == ExportOptions(fmt="png", dpi=72).page_pixels()
    # The category colours of both markups are on the page.
    colours = {c for _, c in img.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    def rgb(hex_colour: str) -> tuple[int, int, int]:
        return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))

    assert rgb(CATEGORY_COLOURS["issue"]) in colours and rgb(CATEGORY_COLOURS["verify"]) in colours


def test_concurrent_sessions_keep_every_markup(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> None:  # each session opens its own store on the same file
        s = MarkupStore(GeoPackageWorkspace(tmp_path / "m.gpkg"))
        s.create(PT, "issue", f"第{i}条", f"用户{i}")

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(8)))
    ms = MarkupStore(GeoPackageWorkspace(tmp_path / "m.gpkg")).markups()
    assert sorted(m.no for m in ms) == list(range(1, 9))
    assert len(MarkupStore(GeoPackageWorkspace(tmp_path / "m.gpkg")).audit_trail()) == 8


def test_a_damaged_markups_file_gives_one_plain_message(tmp_path: Path) -> None:
    path = tmp_path / "m.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(SpatialError) as err:
        MarkupStore(GeoPackageWorkspace(path)).markups()
    assert str(tmp_path) not in str(err.value)


def test_gcj02_drawing_is_stored_in_wgs84() -> None:
    from spatial.crs import shift_geometry_to_gcj02
    from spatial.markups_map import unshift_gcj02

    gcj = shift_geometry_to_gcj02(gpd.GeoSeries([LINE], crs=4326)).iloc[0]
    assert gcj.distance(LINE) > 1e-4  # the GCJ-02 shift is hundreds of metres
    back = unshift_gcj02(gcj)
    assert back.equals_exact(LINE, tolerance=1e-7)
