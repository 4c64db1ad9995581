"""Industry boards of the parks and the plan's located projects.

The plan's words are in 第五章、第六章、第十一章、第十六章 and 专栏11.

Each board or project carries the plan's own wording for its industry and the
carrier (park) the text puts it in. Where the text gives a carrier but no spot,
the point is placed inside that carrier and marked ``location_basis: carrier``
(``confidence: schematic``); where it gives neither, the geometry is null and
``location_known`` is false.
"""

from __future__ import annotations

from typing import Any

from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from tools.plan_layers.geometry import PLAN, Feature, gk, polygonal, wgs
from tools.plan_layers.roads import RoadPiece, road_line

# (id, name, name_en, industry in the plan's words, carrier id, chapter + verbatim words, how)
Board = tuple[str, str, str, str, str, str, str]


def _cite(chapter: str, words: str) -> str:
    """A source: the plan, the chapter and its verbatim words in quotation marks."""
    return f"{PLAN} {chapter} “{words}”"


def industry_features(parks: list[Feature], zone: BaseGeometry,
                      green: list[Feature]) -> list[Feature]:
    """The industry boards: the three parks' industries and 龙岗's three boards (专栏11)."""
    by_id = {f.id: f.geometry for f in parks}
    geoms: dict[str, BaseGeometry] = {}
    for key in ("chengbei-park", "chengdong-park", "jinshan-park", "longgang-park",
                "eco-farmland", "rencai-community"):
        g = by_id[key]
        assert g is not None
        geoms[key] = g
    core = unary_union([by_id[k] for k in ("longgang-lake", "chuangzhi-area", "keji-area",
                                           "rencai-area") if by_id[k] is not None])
    longgang = geoms["longgang-park"]
    cx, cy = longgang.centroid.x, longgang.centroid.y
    minx, miny, maxx, maxy = longgang.bounds
    country = next(f.geometry for f in green if f.id == "longgang-country-park")
    assert country is not None
    # 龙岗's quadrants about its centroid: the plan orients the boards within 龙岗 itself.
    lg_nw = polygonal(box(minx, cy, cx, maxy).intersection(longgang).difference(core))
    lg_sw = polygonal(box(minx, miny, cx, cy).intersection(longgang).difference(core))
    lg_ne = polygonal(box(cx, cy, maxx, maxy).intersection(longgang).difference(core)
                      .difference(country).difference(geoms["rencai-community"]))
    chengbei = polygonal(geoms["chengbei-park"].difference(zone))
    chengdong = polygonal(geoms["chengdong-park"].difference(longgang)
                          .difference(geoms["eco-farmland"]))
    boards: tuple[tuple[Board, BaseGeometry, str], ...] = (
        (("chengbei-auto-board", "城北汽车电子产业板块", "Chengbei automotive electronics board",
          "汽车电子", "chengbei-park", "专栏11",
          "西北对接城北汽车电子产业板块"),
         chengbei, "城北园区 without the bonded zone; 第十一章 “城北园区以做强汽车电子产业为重点”"),
        (("chengdong-photonics-board", "城东园区光电子产业", "Chengdong photonics",
          "光电子", "chengdong-park", "第十一章", "城东园区以做优光电子产业为重点"),
         chengdong, "the part of 城东园区 outside 龙岗 and the 生态田园板块 (split assumed)"),
        (("jinshan-magnesium-board", "金山园区镁基新材料产业", "Jinshan magnesium new materials",
          "镁基新材料", "jinshan-park", "第十一章", "金山园区以做大镁基新材料为重点"),
         geoms["jinshan-park"], "the whole 金山园区"),
        (("longgang-nw-auto-board", "龙岗西北汽车电子产业拓展战略空间",
          "Longgang north-west: automotive electronics strategic expansion space", "汽车电子",
          "longgang-park", "专栏11", "西北对接城北汽车电子产业板块,作为汽车电子产业的拓展战略空间"),
         lg_nw, "龙岗 north-west of its centroid, outside the 核心区 (extent assumed)"),
        (("longgang-sw-urban-board", "龙岗西南部光电子和都市产业板块",
          "Longgang south-west: photonics and urban industry board", "光电子、都市产业",
          "longgang-park", "专栏11",
          "西南部整合梳理园区现有企业,保留规模较大、效益较好的光电子及通信类企业,腾退质量差、"
          "效益低的工业用地,与西侧城北片区对接,打造形成光电子和都市产业板块"),
         lg_sw, "龙岗 south-west of its centroid, outside the 核心区 (extent assumed)"),
        (("longgang-ne-magnesium-board", "龙岗东北片区镁基新材料产业发展用地",
          "Longgang north-east: magnesium new materials land", "镁基新材料",
          "longgang-park", "专栏11",
          "预留龙岗东北片区作为镁基新材料产业发展用地"),
         lg_ne, "龙岗 north-east of its centroid, outside the 核心区, the 龙岗郊野公园 and the "
         "人才社区 (extent assumed)"),
    )
    out = []
    for (fid, nm, en, industry, carrier, chapter, words), geom, how in boards:
        out.append(Feature(fid, nm, en, "industry_board", f"{_cite(chapter, words)}; {how}",
                           "low", geom, {
                               "industry": industry, "carrier": carrier,
                               "named_in_plan": True, "location_known": True,
                           }))
    return out


# (id, name, name_en, industry, carrier id, chapter, verbatim words, where: "text" with a
#  point, "carrier" with a point inside the carrier, or "unknown" with no point, note)
PROJECTS: tuple[tuple[str, str, str, str, str | None, str, str, str,
                      tuple[float, float] | None, str], ...] = (
    ("jinshan-rd-centre", "金山研发孵化服务中心", "Jinshan R&D incubation service centre",
     "镁基新材料", "meiye-town", "第十五章/专栏11",
     "连接金山研发孵化服务中心", "carrier", (114.2365, 35.7778),
     "the 一廊's west end; its carrier and spot are an inference, not the plan's words: "
     "专栏11 puts the 镁业小镇 “科创中心及孵化中心” in “小镇北部保留的工业厂房”, taken as the same "
     "centre: in the north of 镁业小镇 (spot schematic)"),
    ("shuangchuang-node-yanhe", "共享型双创功能节点（延河路）",
     "Shared innovation node (Yanhe Road)", "双创", "beibu-xincheng", "第十六章",
     "沿兴鹤大街、渤海路、延河路,形成共享型双创功能节点", "text", None,
     "at 兴鹤大街 × 延河路 (the 兴鹤大街 × 渤海路 one is the 孵化园 node)"),
    ("rd-service-park", "研发服务园", "R&D service park", "研发服务", "beibu-xincheng", "第十六章",
     "打造集产业研发、产业服务、生活服务等功能于一体的研发服务园", "carrier",
     (114.2990, 35.7745), "inside 北部新城, spot schematic"),
    ("chuangzhi-twin-towers", "创智双子塔", "Chuangzhi twin towers", "研发", "beibu-xincheng",
     "第十六章", "建设创智双子塔,构筑形成研发综合体", "carrier", (114.2925, 35.7768),
     "inside 北部新城, spot schematic"),
    ("hebeihu-complex", "鹤北湖商业综合体", "Hebeihu commercial complex", "商业服务",
     "beibu-xincheng", "第十六章", "建设鹤北湖商业综合体", "carrier", (114.2900, 35.7930),
     "inside 北部新城, spot schematic (the lake it is named after is not located)"),
    ("xincheng-complex", "北部新城商业综合体", "North New Town commercial complex", "商业服务",
     "beibu-xincheng", "专栏4", "推进北部新城商业综合体建设", "carrier", (114.2990, 35.7800),
     "inside 北部新城, spot schematic"),
    ("ronghe-zhixin", "“融合智芯”新城板块", "'Ronghe Zhixin' new-town board", "光电子、汽车电子",
     "beibu-xincheng", "第十六章", "科学构建“融合智芯”新城、生态城市公园两大板块", "unknown", None,
     "one of 北部新城's two boards; the text does not say which part"),
    ("eco-city-park", "生态城市公园板块", "Eco city park board", "生态", "beibu-xincheng",
     "第十六章", "科学构建“融合智芯”新城、生态城市公园两大板块", "unknown", None,
     "one of 北部新城's two boards; the text does not say which part"),
    ("ring-green-corridor", "环城生态绿廊", "Ring ecological green corridor", "生态",
     "beibu-xincheng", "第十六章", "建设环城生态绿廊", "unknown", None,
     "no course given"),
    ("tianzhang-park", "天章双创园", "Tianzhang innovation park", "汽车电子", "chengbei-park",
     "第十一章", "以天章双创园为载体", "carrier", (114.2760, 35.7620),
     "the carrier of 城北园区's incubation; inside 城北园区, spot schematic"),
    ("chengbei-innovation-park", "城北创新服务园", "Chengbei innovation service park", "科技服务",
     "chengbei-park", "专栏4/专栏6", "城北创新服务园", "carrier", (114.2780, 35.7700),
     "inside 城北园区, spot schematic"),
    ("zhongyuan-guanggu", "中原光谷", "Zhongyuan Optics Valley", "光电子", "longgang-park",
     "第十一章/第十六章", "重点推进海尔轻量化产业园、中原光谷等项目,打造高品质龙岗工业园",
     "carrier",
     (114.3340, 35.7660), "城东园区's carrier (第十一章 “以中原光谷为载体”) and a 龙岗 project: "
     "inside 龙岗, spot schematic"),
    ("haier-magnesium-park", "海尔镁合金轻量化装备产业园",
     "Haier magnesium-alloy lightweight equipment park", "镁基新材料", "longgang-park", "专栏11",
     "预留龙岗东北片区作为镁基新材料产业发展用地,并重点推进海尔镁合金轻量化装备产业园项目建设",
     "text", None, "in 龙岗's 东北片区 (the board's representative point)"),
    ("longgang-auto-park", "龙岗汽车电子产业园", "Longgang automotive electronics park", "汽车电子",
     "longgang-park", "第五章", "加快推进龙岗汽车电子产业园", "carrier", None,
     "inside 龙岗 (the 西北 汽车电子 board's representative point; the board is 专栏11's)"),
    ("meiye-deep-processing-park", "镁精深加工产业园", "Magnesium deep-processing park",
     "镁基新材料", "meiye-town", "专栏11", "依托镁精深加工产业园建设", "carrier",
     (114.2405, 35.7735), "inside 镁业小镇, spot schematic"),
    ("emergency-industry-park", "应急产业园", "Emergency industry park", "综合应急", None,
     "第一章/第十三章", "推动应急产业园、高分子材料产业园等项目落地", "unknown", None,
     "tied to the 城东片区–鹤壁东区 link, no spot"),
    ("polymer-park", "高分子材料产业园", "Polymer materials park", "高分子材料", None,
     "第一章/第十三章", "推动应急产业园、高分子材料产业园等项目落地", "unknown", None,
     "tied to the 城东片区–鹤壁东区 link, no spot"),
    ("third-hospital", "市第三人民医院", "Hebi No. 3 People's Hospital", "医疗卫生", None,
     "专栏15", "谋划推进市第三人民医院项目建设", "unknown", None, "no spot given"),
    ("xiangjiang-health-centre", "香江社区卫生服务中心", "Xiangjiang community health centre",
     "医疗卫生", None, "专栏15", "重点推进松江社区、香江社区、兰庭社区卫生服务中心建设",
     "unknown", None, "香江社区 is not located"),
    ("lanting-health-centre", "兰庭社区卫生服务中心", "Lanting community health centre",
     "医疗卫生", None, "专栏15", "重点推进松江社区、香江社区、兰庭社区卫生服务中心建设",
     "unknown", None, "兰庭社区 is not located"),
    ("lanting-primary", "兰庭小学", "Lanting primary school", "教育", None, "专栏15",
     "兴鹤中小学、兰庭小学等教育提质", "unknown", None, "兰庭社区 is not located"),
    # Communities the plan names with no evidence of their position (see
    # tools.plan_layers.residential.NAMED_COMMUNITIES for the two that are drawn).
    ("heming-community", "鹤鸣社区", "Heming community", "社区建设", None, "第十五章",
     "加快北国之春、鹤鸣社区等智慧社区建设", "unknown", None,
     "the plan calls it a “村改居社区” (第一章); no evidence of its position"),
    ("beiguo-zhichun", "北国之春社区", "Beiguo Zhichun community", "社区建设", None, "第十五章",
     "加快北国之春、鹤鸣社区等智慧社区建设", "unknown", None, "no evidence of its position"),
    ("xiangshan-community", "香山社区", "Xiangshan community", "社区建设", None, "第十五章",
     "全力推进兴鹤社区、八角社区、松江铭苑、香山社区等项目建设", "unknown", None,
     "no evidence of its position"),
    ("bajiao-community", "八角社区", "Bajiao community", "社区建设", None, "专栏10",
     "兴鹤社区、杨庄社区、八角社区二期城市棚户区改造", "unknown", None,
     "a “城市棚户区改造” community (also 第十五章); no evidence of its position"),
    ("yangzhuang-community", "杨庄社区", "Yangzhuang community", "社区建设", None, "专栏10",
     "兴鹤社区、杨庄社区、八角社区二期城市棚户区改造", "unknown", None,
     "a “城市棚户区改造” community (also 专栏8); no evidence of its position"),
    ("zhonghe-community", "中鹤社区", "Zhonghe community", "社区建设", None, "专栏12",
     "海河路街道兴鹤社区、中鹤社区服务群众应急保障中心", "unknown", None,
     "in 海河路街道 with 兴鹤社区; neither the 街道's extent nor its position is known"),
    ("beiguo-day-care", "北国之春社区巴黎华亭小区日间照料中心",
     "Beiguo Zhichun (Bali Huating) Day-Care Centre", "养老", None, "第一章",
     "北国之春社区巴黎华亭小区建成一所高标准、智能化日间照料中心", "unknown", None,
     "北国之春 is not located; the map's 日间照料中心 are illustrative"),
    ("anbo-school", "安博外国语中学", "Anbo foreign-language school", "教育", None, "第一章",
     "安博外国语中学设立办学", "unknown", None, "no spot given"),
    ("elderly-rehab-hospital", "老年康复医院（300张床位）", "Elderly rehabilitation hospital",
     "养老", None, "专栏15", "建设300张床位的老年康复医院和500张床位的养老院各1家", "unknown",
     None, "no spot given"),
    ("nursing-home-500", "养老院（500张床位）", "Nursing home (500 beds)", "养老", None,
     "专栏15", "建设300张床位的老年康复医院和500张床位的养老院各1家", "unknown", None,
     "no spot given; the map's 养老院 are illustrative"),
)


def project_features(pieces: list[RoadPiece], parks: list[Feature],
                     boards: list[Feature]) -> list[Feature]:
    """The plan's named projects: placed by the text, inside their carrier, or not at all."""
    areas = {f.id: f.geometry for f in parks + boards}
    xinghe, yanhe = road_line(pieces, "xinghe-st"), road_line(pieces, "yanhe-rd")
    text_points: dict[str, BaseGeometry] = {
        "shuangchuang-node-yanhe": xinghe.intersection(yanhe),
    }
    for fid, board in (("haier-magnesium-park", "longgang-ne-magnesium-board"),
                       ("longgang-auto-park", "longgang-nw-auto-board")):
        g = areas[board]
        assert g is not None
        text_points[fid] = g.representative_point()
    out = []
    for fid, nm, en, industry, carrier, chapter, words, basis, xy, note in PROJECTS:
        geom: BaseGeometry | None
        if basis == "unknown":
            geom = None
        elif fid in text_points:
            geom = text_points[fid]
        else:
            assert xy is not None
            geom = Point(*xy)
        if geom is not None and carrier is not None:
            area = areas[carrier]
            assert area is not None
            if not gk(area).buffer(1.0).contains(gk(geom)):
                raise ValueError(f"project {fid} outside its carrier {carrier}")
        confidence = {"text": "low", "carrier": "schematic", "unknown": "low"}[basis]
        extra: dict[str, Any] = {
            "industry": industry, "carrier": carrier, "location_basis": basis,
            "location_known": basis != "unknown", "named_in_plan": True,
        }
        geom_out = None if geom is None else wgs(gk(geom))
        out.append(Feature(fid, nm, en, "plan_project", f"{_cite(chapter, words)}; {note}",
                           confidence, geom_out, extra))
    return out
