"""The national and provincial roads, railways and expressway the plan names, and the
city roads it names without a course (listed, not drawn).

The plan's words are in 第一章、第十三章、第十四章、专栏9 and 专栏10.

Only lines with some evidence of their course are drawn; the provincial roads and
the 鹤煤热电厂 railway siding, whose courses no source gives, are listed with a
null geometry and ``location_known: false`` (not invented).
"""

from __future__ import annotations

import shapely.affinity
from shapely.geometry import LineString, box
from shapely.geometry.base import BaseGeometry

from tools.plan_layers.geometry import PLACES, PLAN, Feature, gk, wgs
from tools.plan_layers.reference import G4_OFFSET_M, RAILWAY, Frame

# 107国道: PLACES.md §2 "N–S ≈1 km east of 京广铁路 through the north of the city" (no coordinates).
G107_OFFSET_M = 1_000.0
MEIYE_ROADS = "重点推进镁业小镇渤海路、淇山路、淇水路、创业路等道路市政设施综合提升"
JINYANG_WORDS = "金阳大街段、渤海路西段、新大白线北段、铁路沿线段等道路新建污水管网建设"
S304_WORDS = "推进实施省道304改建工程,促进开发区与汤阴县及淇滨区道路、管网、水系衔接"
DRAWN_BOX = box(114.15, 35.66, 114.45, 35.86)  # the map's working extent


def transport_features(frame: Frame) -> list[Feature]:
    """京广铁路, 京港澳高速 (the plan's “高速”), 107国道 and the undrawn provincial roads."""
    railway_gk = gk(LineString(RAILWAY))
    g107 = shapely.affinity.translate(railway_gk, xoff=G107_OFFSET_M)
    g4 = shapely.affinity.translate(gk(frame.hsr), xoff=G4_OFFSET_M)

    def clip(g: BaseGeometry) -> BaseGeometry:
        """The part of a line inside the working extent, in WGS84."""
        return wgs(g).intersection(DRAWN_BOX)

    def cite(chapter: str, words: str) -> str:
        """The plan, the chapter and its verbatim words."""
        return f"{PLAN} {chapter} “{words}”"

    specs: tuple[tuple[str, str, str, str, str, str, BaseGeometry | None], ...] = (
        ("jingguang-railway", "京广铁路", "Beijing–Guangzhou railway", "railway",
         f"{cite('专栏9', '京广铁路西和高速高铁两侧风景防护林')}; {PLACES} §2 line through 鹤壁站 "
         "(simplified: medium at the station, low elsewhere)", "low", clip(railway_gk)),
        ("g4-expressway", "京港澳高速（规划称“高速”）", "Beijing–HK–Macau Expressway (G4)",
         "expressway",
         f"{cite('第十四章', '推动廊道绿化、高速高铁绿化等项目建设')}; the expressway "
         f"beside the HSR is the G4 ({PLACES} §2): the HSR line moved {G4_OFFSET_M:.0f} m east "
         "(parallel assumed)",
         "low", clip(g4)),
        ("g107", "107国道", "National road G107", "national_road",
         f"{cite('第一章', '107国道综合整治及廊道绿化打造成景')}; 专栏10 107国道综合整治; "
         f"{PLACES} §2: N–S about {G107_OFFSET_M / 1000:.0f} km east of 京广铁路 (no coordinates; "
         "course assumed parallel to the railway)", "low", clip(g107)),
        ("s304", "S304濮鹤线", "Provincial road S304 (Puyang–Hebi)", "provincial_road",
         f"{cite('第十三章', S304_WORDS)}; "
         "course not given by the plan or a reference: not drawn", "low", None),
        ("s225", "S225安平线", "Provincial road S225", "provincial_road",
         f"{cite('专栏10', 'S225安平线干线')}; course not given: not drawn", "low", None),
        ("s542", "S542安鹤线", "Provincial road S542", "provincial_road",
         f"{cite('专栏10', 'S542安鹤线干线')}; course not given: not drawn", "low", None),
        ("hemei-railway-siding", "鹤煤热电厂铁路专用线", "Hemei power-plant railway siding",
         "railway_siding", f"{cite('专栏10', '加快推进鹤煤热电厂铁路专用线站场')}; course not "
         "given: not drawn", "low", None),
        ("wuyanshan-rd", "五岩山路", "Wuyanshan Road", "city_road",
         f"{cite('专栏10', '五岩山路改造提升工程')}; course not given: not drawn", "low", None),
        ("qishan-rd", "淇山路", "Qishan Road", "city_road",
         f"{cite('专栏9', MEIYE_ROADS)}; "
         "in 镁业小镇, course not given: not drawn", "low", None),
        ("qishui-rd", "淇水路", "Qishui Road", "city_road",
         f"{cite('专栏9', MEIYE_ROADS)}; "
         "in 镁业小镇, course not given: not drawn", "low", None),
        ("chuangye-rd", "创业路", "Chuangye Road", "city_road",
         f"{cite('专栏9', MEIYE_ROADS)}; "
         "in 镁业小镇, course not given: not drawn", "low", None),
        ("jinyang-st", "金阳大街", "Jinyang Street", "city_road",
         f"{cite('专栏9', JINYANG_WORDS)}; "
         "course not given: not drawn", "low", None),
    )
    return [
        Feature(fid, nm, en, kind, src, conf, geom,
                {"location_known": geom is not None, "named_in_plan": True})
        for fid, nm, en, kind, src, conf, geom in specs
    ]
