"""The plan statement table against the plan text, and the plan's words as geometry tests.

Every check below is written from a sentence of the plan (quoted in the test),
not from today's data: a bearing from the reference the sentence names, a
containment, a disjointness, an order along a line or an area.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from layers import load_layer
from layers.fields import cite_source
from spatial._errors import SpatialError
from spatial.crs import GK_EPSG_HEBI, project_to_gk
from spatial.plan_statements import (
    KINDS,
    STATEMENTS_PATH,
    chapter_en,
    confidence_words,
    load_statements,
    statements_for,
)

ROOT = Path(__file__).resolve().parents[1]
PLAN_PATH = ROOT.parent / "shared" / "plan" / "001_da5027ec7b0eb358.txt"
GEO = ROOT / "data" / "geo"

needs_plan = pytest.mark.skipif(not PLAN_PATH.exists(), reason="plan text not beside the repo")


def plan_lines() -> list[str]:
    return PLAN_PATH.read_text(encoding="utf-8").split("\n")


def all_features() -> dict[str, dict]:
    out = {}
    for path in sorted(GEO.glob("*.geojson")):
        for f in json.loads(path.read_text(encoding="utf-8"))["features"]:
            out[f["properties"]["id"]] = {"layer": path.stem, **f}
    return out


def gk_geom(layer_id: str, fid: str) -> BaseGeometry:
    gdf = load_layer(layer_id).set_index("id")
    return project_to_gk(gpd.GeoSeries([gdf.geometry[fid]], crs=4326), epsg=GK_EPSG_HEBI).iloc[0]


def bearing(a: BaseGeometry, b: BaseGeometry) -> float:
    """Compass bearing (degrees clockwise from north) from a's centroid to b's centroid."""
    pa, pb = a.centroid, b.centroid
    return math.degrees(math.atan2(pb.x - pa.x, pb.y - pa.y)) % 360.0


# --- the table against the plan ------------------------------------------------------------------


def test_table_has_the_columns_and_kinds() -> None:
    with STATEMENTS_PATH.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["statement_id", "chapter", "line", "quote", "kind", "feature_ids",
                             "not_drawn_reason"]
    assert len(rows) >= 80
    assert {r["kind"] for r in rows} == set(KINDS)
    assert len({r["statement_id"] for r in rows}) == len(rows)
    for r in rows:
        assert re.fullmatch(r"第[一二三四五六七八九十]+章|专栏\d+", r["chapter"]), r


@needs_plan
def test_every_quote_is_verbatim_on_its_line_in_its_chapter() -> None:
    lines = plan_lines()
    for s in load_statements():
        assert s.quote in lines[s.line - 1], s.statement_id
        # The chapter is the last 第X章 / 专栏N heading above the line.
        heading = next(
            h for h in reversed(lines[: s.line])
            if re.match(r"^(第[一二三四五六七八九十]+章|专栏\d+)", h)
        )
        assert heading.startswith(s.chapter), s.statement_id


@needs_plan
def test_every_quotation_in_the_plan_data_is_the_plans_own_words() -> None:
    text = PLAN_PATH.read_text(encoding="utf-8")
    files = [*GEO.glob("*.geojson"), GEO / "README.md", STATEMENTS_PATH]
    for path in files:
        for quoted in re.findall(r"“([^“”]*)”", path.read_text(encoding="utf-8")):
            assert quoted in text, (path.name, quoted)


def test_every_cited_feature_exists() -> None:
    feats = all_features()
    for s in load_statements():
        for fid in s.feature_ids:
            assert fid in feats, (s.statement_id, fid)


def test_every_feature_named_in_the_plan_cites_a_statement() -> None:
    cited = {fid for s in load_statements() for fid in s.feature_ids}
    named = [fid for fid, f in all_features().items() if f["properties"].get("named_in_plan")]
    assert len(named) > 80
    assert sorted(set(named) - cited) == []


def test_every_placing_statement_points_at_a_feature_or_says_why_not() -> None:
    for s in load_statements():
        if s.kind in ("places", "orients", "membership", "sizes", "links", "order"):
            assert s.feature_ids or s.not_drawn_reason, s.statement_id


def test_features_without_a_location_are_cited_with_the_reason() -> None:
    feats = all_features()
    unplaced = [fid for fid, f in feats.items() if f["geometry"] is None]
    assert {"fushan-forest-park", "beicheng-country-park", "s304", "ronghe-zhixin"} <= set(
        unplaced)
    for fid in unplaced:
        rows = statements_for(fid)
        assert rows and any(r.not_drawn_reason for r in rows), fid


def test_statements_for_a_feature_come_in_the_plans_order() -> None:
    rows = statements_for("beibu-xincheng")
    assert len(rows) >= 5
    assert [r.line for r in rows] == sorted(r.line for r in rows)
    assert statements_for("no-such-feature") == []
    orient = statements_for("keji-area")
    assert any(r.kind == "orients" and "景观湖以西" in r.quote for r in orient)
    assert orient[0].kind_label("zh") in {"方位", "定位"}


def test_a_malformed_table_is_refused_with_one_bilingual_message(tmp_path: Path) -> None:
    bad = tmp_path / "s.csv"
    bad.write_text("statement_id,chapter\nS1,第一章\n", encoding="utf-8")
    with pytest.raises(SpatialError):
        load_statements(bad)
    bad.write_text("statement_id,chapter,line,quote,kind,feature_ids,not_drawn_reason\n"
                   "S1,第一章,x,q,places,,\n", encoding="utf-8")
    with pytest.raises(SpatialError):
        load_statements(bad)


def test_chapter_and_confidence_words() -> None:
    assert chapter_en("第十六章") == "Chapter 16"
    assert chapter_en("第五章") == "Chapter 5"
    assert chapter_en("第二十章") == "Chapter 20"
    assert chapter_en("专栏11") == "Box 11"
    assert confidence_words("low").startswith("推测：") and "0.5–2公里" in confidence_words("low")
    assert "0.5–2 km" in confidence_words("low", "en")
    assert confidence_words("high").endswith("50米以内")
    assert confidence_words("nonsense") == ""


# --- the plan's words as geometry ----------------------------------------------------------------


def test_lake_areas_lie_on_the_sides_the_plan_names() -> None:
    # 第十六章: “景观湖以北…形成创智服务区”, “景观湖以西…形成科技创新区”,
    # “景观湖以南…形成人才高地”, “核心区东侧…打造高品质人才社区”.
    lake = gk_geom("parks", "longgang-lake")
    expected = {"chuangzhi-area": 0.0, "keji-area": 270.0, "rencai-area": 180.0,
                "rencai-community": 90.0}
    for fid, due in expected.items():
        b = bearing(lake, gk_geom("parks", fid))
        assert min(abs(b - due), 360.0 - abs(b - due)) <= 30.0, (fid, b)
        assert gk_geom("parks", fid).within(gk_geom("parks", "longgang-park").buffer(0.5)), fid
    core = shapely.union_all([gk_geom("parks", f) for f in
                              ("longgang-lake", "chuangzhi-area", "keji-area", "rencai-area")])
    talent = gk_geom("parks", "rencai-community")
    assert talent.intersection(core).area < 1.0
    assert talent.centroid.x > core.bounds[2] - 50.0  # wholly east of the core
    # “依托生态田园资源”: the 人才社区 borders the 生态田园板块.
    assert talent.distance(gk_geom("parks", "eco-farmland")) < 50.0


def test_the_landscape_lake_is_in_the_middle_of_longgang() -> None:
    # 第十六章: “以中部景观湖为核心,打造生态+创新服务核心区”: the lake is in the middle of 龙岗
    # (its middle third north–south and west–east, near its centroid), and it is water: no road
    # crosses it.
    park = gk_geom("parks", "longgang-park")
    lake = gk_geom("parks", "longgang-lake")
    minx, miny, maxx, maxy = park.bounds
    c = lake.centroid
    assert miny + (maxy - miny) / 3 < c.y < maxy - (maxy - miny) / 3, (c.y - miny, maxy - miny)
    assert minx + (maxx - minx) / 3 < c.x < maxx - (maxx - minx) / 3, (c.x - minx, maxx - minx)
    assert c.distance(park.centroid) < 1_000.0
    roads = project_to_gk(load_layer("roads"), epsg=GK_EPSG_HEBI)
    assert not roads.intersects(lake).any()
    # The whole core (lake and the three areas around it) lies in 龙岗.
    for fid in ("longgang-lake", "chuangzhi-area", "keji-area", "rencai-area"):
        assert gk_geom("parks", fid).within(park.buffer(0.5)), fid


def test_longgang_housing_and_its_life_circle_are_in_the_talent_community() -> None:
    # 第十六章: “景观湖以南布局人才公园、人才健康中心、康体建设设施等服务功能,形成人才高地”
    # (services), “核心区外围布局智能制造、创新创业产业园区” (industry), “核心区东侧,依托生态
    # 田园资源,打造高品质人才社区,提供人才公园、职工社区、现代住区等多样化居住产品,形成安居
    # 乐业的生活圈”: in 龙岗 the homes, and the living circle they form, are in the 人才社区.
    blocks = project_to_gk(load_layer("communities"), epsg=GK_EPSG_HEBI)
    housing = shapely.union_all(list(blocks.geometry))
    park = gk_geom("parks", "longgang-park")
    talent = gk_geom("parks", "rencai-community")
    in_longgang = housing.intersection(park)
    in_talent = housing.intersection(talent)
    assert in_talent.area > 20e4  # a residential quarter, not a stray block (m²)
    assert in_talent.area >= 0.9 * in_longgang.area, (in_talent.area, in_longgang.area)
    core = shapely.union_all([gk_geom("parks", f) for f in
                              ("longgang-lake", "chuangzhi-area", "keji-area", "rencai-area")])
    assert housing.intersection(core).area < 1e3  # 0.1 ha: the core holds no homes
    for fid in ("longgang-nw-auto-board", "longgang-sw-urban-board",
                "longgang-ne-magnesium-board"):
        assert housing.intersection(gk_geom("industry", fid)).area < 1e4, fid  # < 1 ha
    # The five-minute circle drawn for these homes lies on them, not on the core.
    circles = load_layer("life_circles").set_index("id")
    rencai = circles.loc["lc5-rencai"]
    assert rencai["minutes"] == 5
    disc = gk_geom("life_circles", "lc5-rencai")
    assert disc.intersection(in_talent).area >= 0.5 * disc.intersection(housing).area
    assert disc.intersection(in_talent).area > 0.25 * disc.area
    assert disc.intersection(core).area < 0.05 * disc.area
    # The plan gives the 生活圈 but not its name or tier: marked as schematic, not named.
    assert not rencai["named_in_plan"] and rencai["confidence"] == "schematic"
    assert rencai["name"].startswith("示意") and rencai["name"].endswith("规划未具名）")
    assert "人才社区" in rencai["name"]


def test_longgang_boards_lie_where_box_11_puts_them() -> None:
    # 专栏11: “西北对接城北汽车电子产业板块”, “西南部…打造形成光电子和都市产业板块”,
    # “预留龙岗东北片区作为镁基新材料产业发展用地”.
    park = gk_geom("parks", "longgang-park")
    for fid, lo, hi in (("longgang-nw-auto-board", 270.0, 360.0),
                        ("longgang-sw-urban-board", 180.0, 270.0),
                        ("longgang-ne-magnesium-board", 0.0, 90.0)):
        board = gk_geom("industry", fid)
        assert lo < bearing(park, board) < hi, fid
        assert board.within(park.buffer(0.5)), fid
    # Both west boards face 城北 (“与西侧城北片区对接”): nearer to it than the east board.
    chengbei = gk_geom("parks", "chengbei-park")
    ne = gk_geom("industry", "longgang-ne-magnesium-board").distance(chengbei)
    for fid in ("longgang-nw-auto-board", "longgang-sw-urban-board"):
        assert gk_geom("industry", fid).distance(chengbei) < ne, fid
    # The 海尔镁合金轻量化装备产业园 is in the 东北片区.
    haier = gk_geom("plan_projects", "haier-magnesium-park")
    assert haier.within(gk_geom("industry", "longgang-ne-magnesium-board"))


def test_park_industries_follow_chapter_11() -> None:
    # 第十一章: 城北园区 汽车电子 (天章双创园), 城东园区 光电子 (中原光谷),
    # 金山园区 镁基新材料 (鹤壁金山镁业小镇).
    boards = load_layer("industry").set_index("id")
    assert boards.loc["chengbei-auto-board", "industry"] == "汽车电子"
    assert boards.loc["chengdong-photonics-board", "industry"] == "光电子"
    assert boards.loc["jinshan-magnesium-board", "industry"] == "镁基新材料"
    assert boards.loc["longgang-sw-urban-board", "industry"] == "光电子、都市产业"
    for board, park in (("chengbei-auto-board", "chengbei-park"),
                        ("chengdong-photonics-board", "chengdong-park"),
                        ("jinshan-magnesium-board", "jinshan-park")):
        assert gk_geom("industry", board).within(gk_geom("parks", park).buffer(0.5)), board
    for project, park in (("tianzhang-park", "chengbei-park"),
                          ("zhongyuan-guanggu", "chengdong-park"),
                          ("zhongyuan-guanggu", "longgang-park"),
                          ("meiye-deep-processing-park", "meiye-town")):
        assert gk_geom("plan_projects", project).within(gk_geom("parks", park)), project
    assert gk_geom("parks", "meiye-town").within(gk_geom("parks", "jinshan-park").buffer(0.5))


def test_north_new_town_and_bonded_zone_are_separate_carriers() -> None:
    # 第十六章 “一城一镇一园一区”; 专栏11 “北部新城、镁业小镇、龙岗工业园、综合保税区四大…”.
    carriers = {fid: gk_geom(layer, fid) for layer, fid in (
        ("parks", "beibu-xincheng"), ("parks", "meiye-town"), ("parks", "longgang-park"),
        ("bonded_zone", "bonded-zone"))}
    for a, ga in carriers.items():
        for b, gb in carriers.items():
            if a < b:
                assert ga.intersection(gb).area < 1.0, (a, b)
    # 第十六章 “沿兴鹤大街、渤海路、延河路,形成共享型双创功能节点”: all three run through 北部新城.
    town = carriers["beibu-xincheng"]
    for road in ("xinghe-st", "yanhe-rd"):
        assert gk_geom("roads", road).intersects(town), road
    bohai = shapely.union_all([gk_geom("roads", f"bohai-rd-{k}") for k in range(1, 8)])
    assert bohai.intersects(town)
    for fid in ("rd-service-park", "chuangzhi-twin-towers", "hebeihu-complex",
                "xincheng-complex", "shuangchuang-node-yanhe"):
        assert gk_geom("plan_projects", fid).within(town.buffer(0.5)), fid


def test_bonded_zone_is_the_plans_2_87_km2_with_its_three_areas() -> None:
    # 专栏11 “园区规划面积2.87平方公里,分为口岸联动区、综合服务区、保税功能区三大功能分区”.
    zone = gk_geom("bonded_zone", "bonded-zone")
    assert zone.area / 1e6 == pytest.approx(2.87, rel=1e-3)
    subs = load_layer("bonded_subzones")
    assert set(subs["name"]) == {"口岸联动区", "综合服务区", "保税功能区"}
    # “先期推进衡山路、科学大道…”: the zone lies on both roads.
    for road in ("hengshan-rd",):
        assert gk_geom("roads", road).distance(zone) < 1.0
    kexue = shapely.union_all([gk_geom("roads", f"kexue-ave-{k}") for k in range(1, 4)])
    assert kexue.distance(zone) < 1.0


def test_corridor_links_its_four_places_west_to_east_in_the_plans_order() -> None:
    # 第十五章 “连接金山研发孵化服务中心、北部新城孵化节点、龙岗工业园和生态田园板块”.
    corridor = gk_geom("corridor", "bohai-corridor")
    places = [gk_geom("plan_projects", "jinshan-rd-centre"), gk_geom("nodes", "fuhua-node"),
              gk_geom("parks", "longgang-park"), gk_geom("parks", "eco-farmland")]
    # The corridor reaches each place (within 300 m of a point; through an area).
    assert corridor.distance(places[0]) < 300.0 and corridor.distance(places[1]) < 1.0
    assert corridor.intersects(places[2]) and corridor.intersects(places[3])
    along = [corridor.project(p.representative_point()) for p in places]
    assert along == sorted(along)
    xs = [corridor.interpolate(d).x for d in along]
    assert xs == sorted(xs)  # and the order runs west to east (“东西贯通”)
    assert gk_geom("plan_projects", "jinshan-rd-centre").within(gk_geom("parks", "meiye-town"))
    assert gk_geom("nodes", "fuhua-node").within(gk_geom("parks", "beibu-xincheng"))


def test_seven_axes_six_named_and_the_seventh_from_the_plans_hint() -> None:
    # 第十五章 names six “等七条板块联动轴”; 第十六章 “…进一步完善兴鹤大街功能形象,打造轴线”.
    axes = load_layer("axes").set_index("id")
    assert len(axes) == 7
    named = axes[axes["named_in_plan"].astype(bool)]
    assert set(named["name"]) == {
        "渤海路创智服务联动轴", "北环路区域交通联系轴", "学而大街区域交通联系轴",
        "大白线区域交通联系轴", "黎阳路产城服务联动轴", "科学大道综合服务联动轴"}
    seventh = axes.loc["xinghe-axis"]
    assert not seventh["named_in_plan"] and "兴鹤大街" in seventh["name"]
    assert "打造轴线" in seventh["source"]
    assert gk_geom("axes", "xinghe-axis").hausdorff_distance(gk_geom("roads", "xinghe-st")) < 1.0


def test_nodes_sit_on_axis_crossings_in_the_places_the_text_ties_them_to() -> None:
    # 第十五章 “于轴线交汇处,塑造…七大节点”.
    nodes = load_layer("nodes").set_index("id")
    for fid, row in nodes.iterrows():
        node = gk_geom("nodes", fid)
        for axis in row["axes"]:
            assert gk_geom("axes", axis).distance(node) < 0.5, (fid, axis)
    inside = {
        "dushi-node": ("industry", "longgang-sw-urban-board"),  # 专栏11 西南部 都市产业板块
        "chuangxin-node": ("parks", "longgang-park"),  # 龙岗创新创业园
        "fuhua-node": ("parks", "beibu-xincheng"),  # 北部新城孵化节点
        "chanye-node": ("parks", "meiye-town"),  # 第十三章 镁业小镇 “产业服务”
        "zhizao-node": ("parks", "chengdong-park"),
    }
    for fid, (layer, area) in inside.items():
        assert gk_geom("nodes", fid).within(gk_geom(layer, area).buffer(0.5)), fid
    # 都市型产业服务 is not in 金山/镁业小镇 (the text ties 都市产业 to 龙岗 only).
    assert not gk_geom("nodes", "dushi-node").within(gk_geom("parks", "jinshan-park"))
    # 智能制造产业服务 lies towards 鹤壁东区 (专栏11 “协同鹤壁东区智能制造产业园”), outside the
    # core.
    core = gk_geom("parks", "longgang-lake").buffer(700.0)
    zhizao = gk_geom("nodes", "zhizao-node")
    assert not zhizao.within(core)
    assert zhizao.distance(gk_geom("parks", "hebi-east")) < zhizao.distance(
        gk_geom("parks", "longgang-lake"))
    # 外向型经济服务 is the crossing beside the 综合保税区.
    zone = gk_geom("bonded_zone", "bonded-zone")
    waixiang = gk_geom("nodes", "waixiang-node")
    others = [gk_geom("nodes", f) for f in nodes.index if f != "waixiang-node"]
    assert waixiang.distance(zone) < 1_000.0
    assert all(waixiang.distance(zone) < o.distance(zone) for o in others)


def test_a_point_a_sentence_places_in_a_park_lies_in_that_park() -> None:
    # A `places` row listing a park and a point says the sentence puts the point in the park.
    # (S077, 第十六章 “核心区外围布局智能制造…” about 龙岗, once listed the 智能制造产业服务节点,
    # which is drawn 836 m outside 龙岗.)
    feats = all_features()
    kinds = ("nodes", "plan_projects", "facilities", "bonded_points")
    checked = 0
    for s in load_statements():
        if s.kind != "places":
            continue
        areas = [f for f in s.feature_ids if feats[f]["layer"] == "parks"]
        for fid in s.feature_ids:
            f = feats[fid]
            if not areas or f["layer"] not in kinds or f["geometry"] is None:
                continue
            point = gk_geom(f["layer"], fid)
            assert any(point.distance(gk_geom("parks", a)) < 1.0 for a in areas), (
                s.statement_id, fid)
            checked += 1
    assert checked >= 5


def test_the_smart_manufacturing_node_claims_only_what_places_it() -> None:
    # 第十五章 (line 281) only lists 智能制造产业服务; 专栏11 (line 307)
    # “协同鹤壁东区智能制造产业园” is its one tie. Its source must not tie it to 龙岗's
    # 核心区外围, where it does not lie.
    node = load_layer("nodes").set_index("id").loc["zhizao-node"]
    assert "核心区外围" not in node["source"] and "inferred" in node["source"]
    assert "“协同鹤壁东区智能制造产业园”" in node["source"]
    assert not gk_geom("nodes", "zhizao-node").within(gk_geom("parks", "longgang-park"))
    for row in statements_for("zhizao-node"):
        assert "longgang-park" not in row.feature_ids, row.statement_id


@needs_plan
def test_nodes_are_listed_in_the_plans_order() -> None:
    # 第十五章 “塑造外向型经济服务、产业服务、孵化园、创新园、智能制造产业服务、都市型产业服务、
    # 商务及生活综合服务等七大节点”: the file (and so the attribute table and exports) keeps it.
    line = plan_lines()[280]
    listed = re.search(r"塑造(.+?)等七大节点", line)
    assert listed is not None
    order = listed.group(1).split("、")
    assert len(order) == 7
    names = list(load_layer("nodes")["name"])
    assert names == [f"{n}节点" for n in order]


@needs_plan
def test_roads_spines_and_boards_carry_the_plans_own_names() -> None:
    lines = plan_lines()
    text = "\n".join(lines)
    # 第十五章 “延展华夏路、天赉大街城市主脊”.
    assert "延展华夏路、天赉大街城市主脊" in lines[280]
    spines = load_layer("spines").set_index("id")
    assert spines.loc["huaxia-spine", "name"] == "华夏路城市主脊"
    assert spines.loc["tianlai-spine", "name"] == "天赉大街城市主脊"
    # 专栏11 “作为汽车电子产业的拓展战略空间”.
    assert "汽车电子产业的拓展战略空间" in lines[306]
    board = load_layer("industry").set_index("id").loc["longgang-nw-auto-board", "name"]
    assert board.endswith("汽车电子产业拓展战略空间")
    # Every road flagged as the plan's carries a name the plan uses (第一章/专栏8 name only
    # 泰伯北大街; 泰伯大街, the drone label's name further south, is not the plan's).
    roads = load_layer("roads")
    named = roads[roads["named_in_plan"].fillna(False).astype(bool)]
    assert all(n in text for n in named["name"]), sorted(set(named["name"]) - set(
        n for n in named["name"] if n in text))
    assert "泰伯北大街" in lines[16] and "泰伯北大街" in lines[258]
    taibo = roads[roads["name"].str.startswith("泰伯")]
    north = taibo[taibo["name"] == "泰伯北大街"]
    assert len(north) == 1 and bool(north["named_in_plan"].iloc[0])
    south = taibo[taibo["name"] != "泰伯北大街"]
    assert not south["named_in_plan"].fillna(False).astype(bool).any()
    # The plan's 泰伯北大街 is the northern part: it lies north of the part the plan leaves unnamed.
    north_gk = project_to_gk(north.geometry, epsg=GK_EPSG_HEBI).iloc[0]
    for g in project_to_gk(south.geometry, epsg=GK_EPSG_HEBI):
        assert north_gk.bounds[1] >= g.bounds[3] - 1.0
    assert statements_for(str(north["id"].iloc[0]))


def test_communities_in_the_street_office_box_12_names() -> None:
    # 专栏12 “海河路街道兴鹤社区、中鹤社区服务群众应急保障中心”: both in 海河路街道. 兴鹤社区 is
    # drawn (by its name, beside 兴鹤大街); nothing places 中鹤社区: listed, not drawn.
    com = load_layer("communities").set_index("id")
    assert com.loc["xinghe-community", "street_office"] == "海河路街道"
    # It does not sit in 金山 (a different 街道 in PLACES.md).
    assert not gk_geom("communities", "xinghe-community").intersects(
        gk_geom("parks", "jinshan-park"))
    zhonghe = all_features()["zhonghe-community"]
    assert zhonghe["geometry"] is None and "海河路街道" in zhonghe["properties"]["source"]


@needs_plan
def test_community_kinds_follow_the_plans_words() -> None:
    # 第一章 “鹤鸣社区被评为“五强”村改居社区”; 专栏10 “加快推进兴鹤社区、杨庄社区、八角社区二期
    # 城市棚户区改造”: one resettled village, three urban redevelopments (the same kind each).
    lines = plan_lines()
    assert "鹤鸣社区被评为“五强”村改居社区" in lines[19]
    assert "兴鹤社区、杨庄社区、八角社区二期城市棚户区改造" in lines[294]
    features = all_features()
    kinds = {"heming-community": "村改居社区", "xinghe-community": "城市棚户区改造",
             "yangzhuang-community": "城市棚户区改造", "bajiao-community": "城市棚户区改造"}
    densities = {}
    for fid, word in kinds.items():
        props = features[fid]["properties"]
        said = f"{props.get('source', '')} {props.get('population_basis') or ''}"
        assert f"“{word}”" in said, fid  # the kind, in the plan's words
        if features[fid]["layer"] == "communities" and features[fid]["geometry"]:
            densities[fid] = props["population"] / props["area_km2"]
            # Never the other kind's label.
            other = "城市棚户区改造" if word == "村改居社区" else "resettled-village"
            assert other not in said, fid
    town = [d for f, d in densities.items() if kinds[f] == "城市棚户区改造"]
    assert town, "兴鹤社区 is drawn"
    # The 棚户区 communities share one density; a drawn 村改居社区 has the lower one.
    assert max(town) / min(town) < 1.05
    if "heming-community" in densities:
        assert densities["heming-community"] < 0.7 * min(town)


def test_named_communities_nothing_places_are_listed_not_drawn() -> None:
    # The plan names 鹤鸣社区、北国之春 (第一章/第十五章), 香山社区、八角社区 (第十五章), 杨庄社区
    # (专栏8/专栏10), 中鹤社区 (专栏12) and the 日间照料中心 in 北国之春社区 (第一章), but neither
    # the plan nor PLACES.md gives a spot: no geometry, no population, a not-drawn reason.
    feats = all_features()
    unplaced = {"heming-community": "鹤鸣社区", "beiguo-zhichun": "北国之春",
                "xiangshan-community": "香山社区", "bajiao-community": "八角社区",
                "yangzhuang-community": "杨庄社区", "zhonghe-community": "中鹤社区",
                "beiguo-day-care": "北国之春社区巴黎华亭小区日间照料中心"}
    for fid, name in unplaced.items():
        f = feats[fid]
        assert f["geometry"] is None and f["properties"]["name"].startswith(name), fid
        assert f["properties"]["location_known"] is False, fid
        assert any("列出不绘制" in r.not_drawn_reason for r in statements_for(fid)), fid
    # No drawn block, facility or circle carries their names (nor a population under them).
    words = ("鹤鸣", "北国之春", "香山", "八角", "杨庄", "中鹤", "巴黎华亭")
    for layer in ("communities", "facilities", "life_circles"):
        gdf = load_layer(layer)
        for text in list(gdf["name"]) + list(gdf["name_en"]):
            assert not any(w in text for w in words), (layer, text)
    # The day-care centre that stood for 北国之春's is an illustration now.
    day_care = load_layer("facilities").set_index("id").loc["cb-east-day-care"]
    assert day_care["confidence"] == "schematic" and not day_care["named_in_plan"]
    assert day_care["name"].startswith("示意")
    # The named communities still drawn say what places them.
    com = load_layer("communities")
    named = com[com["named_in_plan"].astype(bool)]
    assert set(named["name"]) == {"兴鹤社区", "松江铭苑"}
    assert named["source"].str.contains("position: ").all()
    assert (named["confidence"] == "low").all()


def test_no_drawn_community_claims_to_be_a_wanren_community() -> None:
    # 第十五章 “集中建设3个万人社区”: the plan does not say which; the size is in the word
    # (≈1万 residents), so no block of a few thousand may be called one.
    com = load_layer("communities")
    assert not com["name"].str.contains("万人").any()
    row = next(s for s in load_statements() if "3个万人社区" in s.quote)
    assert not row.feature_ids and "万人社区" in row.not_drawn_reason


@needs_plan
def test_life_circles_cite_chapter_15_where_the_plan_names_them() -> None:
    # 第十五章 “…三个十分钟生活圈和镁业小镇等七个五分钟生活圈” names the circles; 专栏15 (第二十章)
    # only lists the nine 圈 categories, so neither the source nor the shown citation may say so.
    line = plan_lines()[290]
    words = "三个十分钟生活圈和镁业小镇等七个五分钟生活圈"
    assert words in line
    for _, row in load_layer("life_circles").iterrows():
        src = row["source"]
        assert "第十五章" in src and words in src, row["id"]
        quoted = [q for q in re.findall(r"“([^”]+)”", src) if q != "十四五"]  # the plan's title
        assert quoted and all(q in line for q in quoted), row["id"]
        for lang, want in (("zh", "第十五章"), ("en", "ch. 15")):
            cited = cite_source(src, lang)
            assert cited.endswith(want), (row["id"], cited)
    # The mapping is right for a circle source that names no chapter, even beside a place word.
    assert cite_source("鹤壁经开区“十四五”规划 五分钟生活圈; 景观湖以南").endswith("第十五章")
    assert cite_source("鹤壁经开区“十四五”规划 十分钟生活圈").endswith("第十五章")


def test_features_not_in_the_plan_are_schematic_and_carry_no_real_name() -> None:
    for layer in ("facilities", "communities", "roads", "life_circles"):
        gdf = load_layer(layer)
        unnamed = gdf[~gdf["named_in_plan"].fillna(False).astype(bool)]
        generated = unnamed[unnamed["name"].str.startswith("示意")]
        assert (generated["confidence"] == "schematic").all(), layer
        if layer != "roads":
            assert len(generated) == len(unnamed), layer
    roads = load_layer("roads")
    local = roads[roads["road_class"] == "local"]
    assert local["name"].str.startswith("示意").all()
    assert (local["confidence"] == "schematic").all()
    # The plan names none of these roads: flagged so.
    for name in ("九州路", "卫河路", "松江路"):
        assert not roads.loc[roads["name"] == name, "named_in_plan"].astype(bool).any(), name
    for conf in ("high",):
        for layer in ("parks", "industry", "plan_projects", "transport", "axes", "nodes"):
            assert (load_layer(layer)["confidence"] != conf).all(), layer


def test_a_drawn_feature_whose_position_is_unknown_is_schematic() -> None:
    # PLACES.md §2: 学而大街 “location unknown”; 第十五章 names only its axis. A line drawn
    # where it makes the nodes work is a construction (schematic), not an inference (low).
    for fid, f in all_features().items():
        src = str(f["properties"].get("source", ""))
        if f["geometry"] is not None and "location unknown" in src:
            assert f["properties"]["confidence"] == "schematic", fid
    xueer = load_layer("roads").set_index("id").loc["xueer-st"]
    assert xueer["confidence"] == "schematic" and bool(xueer["named_in_plan"])
    assert "constructed" in xueer["source"] and cite_source(xueer["source"]).endswith("第十五章")


def test_a_project_placed_by_an_inference_is_not_shown_as_placed_by_the_text() -> None:
    # location_basis “text” is drawn as 规划文字给出位置. 第十五章 only says the 一廊 “连接金山研发
    # 孵化服务中心”; tying it to 专栏11's 镁业小镇 科创中心 is an inference: carrier, schematic.
    projects = load_layer("plan_projects").set_index("id")
    for fid, row in projects.iterrows():
        if row["location_basis"] == "text":
            assert not re.search(r"inference|taken as|assumed", row["source"]), fid
        if row["location_basis"] == "carrier":
            assert row["confidence"] == "schematic", fid
    centre = projects.loc["jinshan-rd-centre"]
    assert centre["location_basis"] == "carrier" and centre["confidence"] == "schematic"


@needs_plan
def test_the_4_ha_green_is_the_leisure_area_around_the_fitness_centre() -> None:
    # 第十五章 “依托全民健身中心,着力打造主城区北部4万平方米绿色生态、健康休闲生活圈”: the 4 ha
    # are the leisure area around the centre; the centre is the facility at its middle.
    words = "依托全民健身中心,着力打造主城区北部4万平方米绿色生态、健康休闲生活圈"
    assert words in plan_lines()[290]
    area = load_layer("green").set_index("id").loc["fitness-centre-park"]
    assert area["name"] != "全民健身中心" and area["name"].endswith("健康休闲生活圈")
    centre = load_layer("facilities").set_index("id").loc["cb-fitness-centre"]
    assert centre["name"] == "全民健身中心"
    assert gk_geom("facilities", "cb-fitness-centre").within(
        gk_geom("green", "fitness-centre-park"))


@needs_plan
def test_xinghe_school_is_a_primary_and_a_middle_school() -> None:
    # 专栏15 “兴鹤中小学、兰庭小学等教育提质”: a 中小学 is both a 小学 and a 初中.
    assert "兴鹤中小学" in plan_lines()[351]
    fac = load_layer("facilities")
    school = fac[fac["name"] == "兴鹤中小学"]
    assert set(school["facility_type_zh"]) == {"小学", "初中"}
    assert school["named_in_plan"].astype(bool).all()
    assert len({(round(g.x, 6), round(g.y, 6)) for g in school.geometry}) == 1  # one school


@needs_plan
def test_schools_with_a_high_school_part_are_typed_so_and_count_as_middle_schools() -> None:
    # 专栏15 “松江初级及高级中学、龙岗小学初中高中” (第二十章 “松江初高中”) name a 高级中学 part;
    # 鹤壁市外国语中学 is a 中学 with no level named. GB 50180-2018 has no 高中 in any tier, so a
    # school with one counts in coverage as its 初中 part, and its type says it has both.
    from layers.fields import VALUE_LABELS
    from spatial.coverage_rules import load_rules

    line = plan_lines()[351]
    assert "松江初级及高级中学" in line and "龙岗小学初中高中" in line
    assert "松江初高中" in plan_lines()[341]
    fac = load_layer("facilities").set_index("id")
    rules = load_rules()
    for fid in ("sj-middle", "lg-middle"):
        row = fac.loc[fid]
        assert row["facility_type"] == "middle_high_school", fid
        assert "高中" in VALUE_LABELS["facility_type"][row["facility_type"]][0]
        assert row["facility_type_zh"] == "初中" and row["level_min"] == 15, fid
        assert rules.lookup("education", 15, row["facility_type_zh"])[0] == 1000.0
        assert "高级中学" in row["source"], fid
    foreign = fac.loc["tw-foreign-school"]
    assert not re.search(r"外国语(高级中学|高中)", "\n".join(plan_lines()))
    assert foreign["facility_type"] == "middle_school" and "no 高级中学" in foreign["source"]


def test_named_facilities_placed_alike_have_the_same_confidence() -> None:
    # data/geo/README: `low` = inferred from the plan text or naming (a name that ties the spot to
    # a located feature: 松江…, 兴鹤中小学 beside 兴鹤社区, 市外国语小学 beside 外国语中学);
    # `schematic` = placed only inside the park the plan names ("spot schematic").
    fac = load_layer("facilities").set_index("id")
    named = fac[fac["named_in_plan"].astype(bool)]
    for fid, row in named.iterrows():
        want = "schematic" if "spot schematic" in row["source"] else "low"
        assert row["confidence"] == want, (fid, row["confidence"])
    by_name = ["sj-kindergarten", "sj-health-centre", "tw-foreign-primary", "cb-primary",
               "cb-middle"]
    assert set(fac.loc[by_name, "confidence"]) == {"low"}
    assert all("by its name" in fac.loc[f, "source"] or "beside" in fac.loc[f, "source"]
               for f in by_name)


@needs_plan
def test_a_road_the_plan_names_cites_the_plans_words_first() -> None:
    # data/geo/README: plan-based sources start with the plan and its chapter. A road the plan
    # names cites the chapter and line that name it (then the place-name evidence), and no road
    # is credited to OpenStreetMap: no road's course comes from it (华夏路 only ends beside the
    # 鹤壁东站 point, which ref_anchors credits).
    lines = plan_lines()
    roads = load_layer("roads")
    named = roads[roads["named_in_plan"].astype(bool)]
    assert len(named) > 20
    head = re.compile(r"^鹤壁经开区“十四五”规划 (第[一二三四五六七八九十]+章|专栏\d+)(?:/专栏\d+)? "
                      r"“([^”]+)”(?: \(line (\d+)\))?")
    for _, row in named.iterrows():
        m = head.match(row["source"])
        assert m is not None, row["id"]
        words, line_no = m.group(2), m.group(3)
        stem = row["name"].removesuffix("（规划未具名）")
        assert stem[:2] in words, (row["id"], words)
        if line_no is not None:
            assert words in lines[int(line_no) - 1], row["id"]
        if "PLACES.md" in row["source"]:
            assert row["source"].index("PLACES.md") > m.end(), row["id"]
        for lang in ("zh", "en"):
            cited = cite_source(row["source"], lang)
            assert "OpenStreetMap" not in cited and ("规划" in cited or "Plan" in cited), cited
    huaxia = roads.set_index("id").loc["huaxia-rd"]
    assert cite_source(huaxia["source"]).endswith("第十五章")
    liyang_east = roads[roads["name"] == "黎阳东路"]
    assert len(liyang_east) and liyang_east["source"].str.contains("“黎阳东路").all()


def test_transport_names_the_plans_lines_and_invents_no_course() -> None:
    # 专栏10 “持续推进S304濮鹤线干线、S225安平线干线、S542安鹤线干线、107国道综合整治”.
    t = load_layer("transport").set_index("id")
    assert {"京广铁路", "107国道", "S304濮鹤线", "S225安平线", "S542安鹤线",
            "鹤煤热电厂铁路专用线"} <= set(t["name"])
    for fid in ("s304", "s225", "s542", "hemei-railway-siding"):
        assert t.geometry[fid] is None and not t.loc[fid, "location_known"], fid
    # 专栏9 “107国道与高速高铁之间…风景防护林”: the 107 lies west of the HSR, the belt between.
    hsr = gk_geom("ref_hsr", "hsr-anyang-east-hebi-east")
    g107 = gk_geom("transport", "g107")
    belt = gk_geom("green", "hsr-g4-green-belt")
    probe = belt.representative_point()
    across = shapely.LineString([(probe.x - 20_000.0, probe.y), (probe.x + 20_000.0, probe.y)])
    x_107, x_hsr = (across.intersection(line).centroid.x for line in (g107, hsr))
    assert x_107 < probe.x < x_hsr
