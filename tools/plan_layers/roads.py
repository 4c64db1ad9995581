"""The road network: digitised roads, barrier bridges, generated block streets."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from shapely.geometry import (
    LineString,
    MultiLineString,
    MultiPoint,
    Point,
    Polygon,
    box,
)
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, polygonize, split, substring, unary_union

from tools.plan_layers.geometry import PLACES, PLAN, Coords, Feature, gk, line, wgs
from tools.plan_layers.reference import Frame

# --- roads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadDef:
    """A road as digitised: vertices, class and evidence.

    ``trim`` ends that overshoot a crossing road by up to ``TRIM_WINDOW_M`` are
    cut back onto it, so that junctions are exact instead of "nearly touching".
    """

    id: str
    name: str
    name_en: str
    road_class: str
    coords: Coords
    confidence: str
    evidence: str
    named_in_plan: bool = True
    trim: tuple[bool, bool] = (False, False)
    name_east: tuple[str, str] | None = None  # name of the part east of the HSR
    # (road id, name, name_en): the part north of that road has this name and is the plan's
    # (named_in_plan), the rest keeps ``name`` and ``named_in_plan``.
    name_north: tuple[str, str, str] | None = None


TRIM_WINDOW_M = 210.0

_LOCAL = "示意支路（规划未具名）；为步行网络补足街坊内部道路，位置按居住街坊布置"
_LOCAL_EN = "local street"

ROAD_DEFS: tuple[RoadDef, ...] = (
    # --- arterials (E-W) -------------------------------------------------------------------------
    RoadDef(
        "bohai-rd", "渤海路", "Bohai Road", "arterial",
        # West end in 金山 (镁业小镇 "渤海路西段"), east end in 龙岗; lat ≈ 35.773.
        [(114.2250, 35.7760), (114.2385, 35.7755), (114.2600, 35.7745), (114.3050, 35.7728),
         (114.3400, 35.7722), (114.3700, 35.7720)],
        "low", f"{PLACES} §2 渤海路; anchor 渤海路（路上一点）(114.305,35.7728) triangulated",
    ),
    RoadDef(
        "kexue-ave", "科学大道", "Kexue Avenue", "arterial",
        # Starts east of the 汤阴 wedge (its "西段" is still to be built).
        [(114.2800, 35.7812), (114.2957, 35.7806), (114.3400, 35.7803), (114.3750, 35.7800)],
        "low", f"{PLACES} §2 科学大道; anchor 科学大道（路上一点）(114.2957,35.7806)",
    ),
    RoadDef(
        "beihuan-rd", "北环路", "North Ring Road", "arterial",
        # Kept ≥150 m inside the 淇滨/汤阴 border (35.794 at 114.29E, 35.800 at 114.315E).
        [(114.2840, 35.7880), (114.2958, 35.7915), (114.3025, 35.7955), (114.3150, 35.7975),
         (114.3300, 35.7995), (114.3760, 35.7995)],
        "low", f"{PLACES} §2 北环路 (plan text only; placed south of the 汤阴 border)",
    ),
    RoadDef(
        "liyang-rd", "黎阳路", "Liyang Road", "arterial",
        [(114.2695, 35.7568), (114.2815, 35.7563), (114.3355, 35.7545), (114.3700, 35.7540)],
        "medium", f"{PLACES} §2 黎阳路/黎阳东路; anchors 黎阳路312号, 黎阳东路（路上一点）",
        name_east=("黎阳东路", "Liyang East Road"),
    ),
    RoadDef(
        "jiuzhou-rd", "九州路", "Jiuzhou Road", "arterial",
        [(114.2650, 35.7480), (114.2895, 35.7476), (114.3055, 35.7464)],
        "low", f"{PLACES} §2 九州路 (city-government area; crosses 泰山路)",
        trim=(False, True),
        named_in_plan=False,
    ),
    # --- arterials (N-S) -------------------------------------------------------------------------
    RoadDef(
        "xinghe-st", "兴鹤大街", "Xinghe Street", "arterial",
        [(114.2880, 35.7050), (114.2895, 35.7480), (114.2950, 35.7843), (114.2961, 35.7928)],
        "low", f"{PLACES} §2 兴鹤大街; anchor 兴鹤大街（路上一点，北延段）",
        trim=(False, True),
    ),
    RoadDef(
        "huaxia-rd", "华夏路", "Huaxia Road", "arterial",
        # South end beside 鹤壁东站 (high); north of 35.72 low. Ends at 科学大道 (嵩山路 goes on).
        [(114.2938, 35.7068), (114.2962, 35.7480), (114.2980, 35.7822)],
        "low", f"{PLACES} §2 华夏路 (south end beside 鹤壁东站, whose point is an OpenStreetMap "
        "node; the course north of it is suggested, no OSM line)",
        trim=(False, True),
    ),
    RoadDef(
        "taibo-st", "泰伯大街", "Taibo Street", "arterial",
        [(114.3180, 35.7000), (114.3195, 35.7210), (114.3260, 35.7600), (114.3300, 35.8010)],
        "low", f"{PLACES} §2 泰伯大街 (passes ≤50 m from drone point 114.3192,35.7210)",
        # The plan names only 泰伯北大街 (第一章, 专栏8), an ETDZ–东区 link road; 泰伯大街 is the
        # drone label's name in 鹤壁东区. Where one becomes the other is not known: 黎阳路.
        named_in_plan=False, trim=(False, True),
        name_north=("liyang-rd", "泰伯北大街", "Taibo North Street"),
    ),
    RoadDef(
        "tianlai-st", "天赉大街", "Tianlai Street", "arterial",
        [(114.3400, 35.7000), (114.3420, 35.7545), (114.3430, 35.8010)],
        "low", f"{PLACES} §2 天赉大街 (plan: ETDZ-东区 link road; lon assumed 114.34)",
        trim=(False, True),
    ),
    RoadDef(
        "dabai-rd", "大白线", "Dabai county road", "arterial",
        # 新大白线北段 through 镁业小镇, then to 大赉店 (鹤壁站) and onto 黎阳路's west end.
        [(114.2310, 35.7960), (114.2385, 35.7755), (114.2520, 35.7660), (114.2580, 35.7595),
         (114.2695, 35.7568)],
        "low", f"{PLACES} §2 大白线 (plan text: 新大白线北段 in 镁业小镇; 大赉店 = 鹤壁站)",
    ),
    # --- secondary -------------------------------------------------------------------------------
    RoadDef(
        "weihe-rd", "卫河路", "Weihe Road", "secondary",
        [(114.2700, 35.7606), (114.3150, 35.7603)],
        "low", f"{PLACES} §2 卫河路 (order of 卫河/海河/延河 assumed)", trim=(False, True),
        named_in_plan=False,
    ),
    RoadDef(
        "haihe-rd", "海河路", "Haihe Road", "secondary",
        [(114.2730, 35.7660), (114.3150, 35.7657)],
        "low", f"{PLACES} §2 海河路 (order assumed)", trim=(False, True),
    ),
    RoadDef(
        "yanhe-rd", "延河路", "Yanhe Road", "secondary",
        [(114.2750, 35.7695), (114.3150, 35.7692)],
        "low", f"{PLACES} §2 延河路 (仕佳光子 延河路201号; order assumed)", trim=(False, True),
    ),
    RoadDef(
        "songjiang-rd", "松江路", "Songjiang Road", "secondary",
        [(114.2970, 35.7768), (114.3158, 35.7767)],
        "low", f"{PLACES} §5; anchor 松江路（路上一点）(114.307,35.7768); E-W by naming convention",
        trim=(True, True),
        named_in_plan=False,
    ),
    RoadDef(
        "hengshan-rd", "衡山路", "Hengshan Road", "secondary",
        [(114.2995, 35.7300), (114.3000, 35.7400), (114.3021, 35.7768), (114.3026, 35.7968)],
        "low", f"{PLACES} §2 衡山路; anchor 衡山路（路上一点）(114.3021,35.7768); bonded-zone road",
        trim=(False, True),
    ),
    RoadDef(
        "taishan-rd", "泰山路", "Taishan Road", "secondary",
        # Ends at 科学大道: north of it lies the fenced bonded zone (main gate here).
        [(114.3040, 35.7430), (114.3077, 35.7755), (114.3085, 35.7818)],
        "low", f"{PLACES} §2 泰山路; anchor 泰山路（路上一点）(114.3077,35.7755)",
        trim=(False, True),
    ),
    RoadDef(
        "songshan-rd", "嵩山路", "Songshan Road", "secondary",
        [(114.2980, 35.7795), (114.2988, 35.7950)],
        "low", f"{PLACES} §2 嵩山路; anchor 嵩山路（路上一点）(114.2967,35.7816), 120 m off",
        trim=(True, True),
    ),
    RoadDef(
        "xueer-st", "学而大街", "Xue'er Street", "secondary",
        # Position unknown (PLACES.md: "probably in 东区/龙岗"). Placed N-S on the west side of
        # 龙岗, where the plan's 龙岗 boards (西北 汽车电子, 西南部 光电子和都市产业) need an
        # axis crossing for their nodes.
        [(114.3380, 35.7420), (114.3380, 35.8010)],
        "schematic", f"{PLAN} 第十五章 “学而大街区域交通联系轴”; {PLACES} §2 学而大街 (location "
        "unknown): position constructed, not evidence: placed N-S on the west side of 龙岗 so "
        "that the 龙岗 boards have an axis crossing for their nodes",
        trim=(False, True),
    ),
    RoadDef(
        "lg-east-st", "示意道路（规划未具名）", "Illustrative road (not named in the plan)",
        "secondary",
        [(114.3650, 35.7420), (114.3650, 35.8010)],
        "schematic", "示意道路（规划未具名）: a N-S street through 城东/龙岗 east of the core for "
        "the walking network; position illustrative", named_in_plan=False,
        trim=(False, True),
    ),
    RoadDef(
        "mudanjiang-rd", "牡丹江路", "Mudanjiang Road", "secondary",
        [(114.3245, 35.7630), (114.3700, 35.7625)],
        "low", f"{PLACES} §2 牡丹江路 (plan: sewage pump station 牡丹江路及城东园区)",
        trim=(True, False),
    ),
    # --- local streets (not in the plan) ---------------------------------------------------------
    RoadDef("cb-local-1", "示意支路01（规划未具名）", _LOCAL_EN, "local",
            [(114.2860, 35.7862), (114.3040, 35.7862)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cb-local-2", "示意支路02（规划未具名）", _LOCAL_EN, "local",
            [(114.2860, 35.7838), (114.2970, 35.7838)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cb-local-3", "示意支路03（规划未具名）", _LOCAL_EN, "local",
            [(114.2915, 35.7795), (114.2915, 35.7914)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cb-local-4", "示意支路04（规划未具名）", _LOCAL_EN, "local",
            [(114.2900, 35.7890), (114.2970, 35.7890)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cb-local-5", "示意支路05（规划未具名）", _LOCAL_EN, "local",
            [(114.2875, 35.7795), (114.2875, 35.7905)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cb-local-6", "示意支路06（规划未具名）", _LOCAL_EN, "local",
            [(114.2975, 35.7905), (114.3035, 35.7905)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cz-local-5", "示意支路07（规划未具名）", _LOCAL_EN, "local",
            [(114.3032, 35.7540), (114.3036, 35.7705)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cz-local-1", "示意支路08（规划未具名）", _LOCAL_EN, "local",
            [(114.3103, 35.7540), (114.3110, 35.7780)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cz-local-2", "示意支路09（规划未具名）", _LOCAL_EN, "local",
            [(114.3138, 35.7540), (114.3144, 35.7780)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cz-local-3", "示意支路10（规划未具名）", _LOCAL_EN, "local",
            [(114.2965, 35.7632), (114.3150, 35.7632)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cz-local-4", "示意支路11（规划未具名）", _LOCAL_EN, "local",
            [(114.2965, 35.7578), (114.3150, 35.7578)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cd-local-1", "示意支路12（规划未具名）", _LOCAL_EN, "local",
            [(114.3480, 35.7455), (114.3480, 35.7735)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cd-local-2", "示意支路13（规划未具名）", _LOCAL_EN, "local",
            [(114.3355, 35.7455), (114.3355, 35.7645)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cd-local-3", "示意支路14（规划未具名）", _LOCAL_EN, "local",
            [(114.3240, 35.7510), (114.3670, 35.7510)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cd-local-4", "示意支路15（规划未具名）", _LOCAL_EN, "local",
            [(114.3232, 35.7470), (114.3670, 35.7470)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cd-local-5", "示意支路16（规划未具名）", _LOCAL_EN, "local",
            [(114.3240, 35.7580), (114.3670, 35.7580)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("cd-local-6", "示意支路17（规划未具名）", _LOCAL_EN, "local",
            [(114.3545, 35.7455), (114.3545, 35.7640)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("lg-local-3", "示意支路18（规划未具名）", _LOCAL_EN, "local",
            [(114.3590, 35.7612), (114.3590, 35.7735)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("lg-local-1", "示意支路19（规划未具名）", _LOCAL_EN, "local",
            [(114.3400, 35.7675), (114.3670, 35.7675)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("lg-local-2", "示意支路20（规划未具名）", _LOCAL_EN, "local",
            [(114.3530, 35.7610), (114.3530, 35.7735)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("js-local-1", "示意支路21（规划未具名）", _LOCAL_EN, "local",
            [(114.2315, 35.7790), (114.2445, 35.7790)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("js-local-2", "示意支路22（规划未具名）", _LOCAL_EN, "local",
            [(114.2330, 35.7745), (114.2330, 35.7805)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("js-local-3", "示意支路23（规划未具名）", _LOCAL_EN, "local",
            [(114.2430, 35.7705), (114.2430, 35.7805)], "schematic", _LOCAL, False, (True, True)),
    # The 人才社区 block: rc-local-1 closes it on the east (科学大道 to 北环路; the strip east of
    # it, up to the 生态田园板块, is left for the community's schools and green), rc-local-2/3 at
    # the community's south and north edges (it spans 500 m either side of the lake's latitude).
    RoadDef("rc-local-1", "示意支路24（规划未具名）", _LOCAL_EN, "local",
            [(114.3698, 35.7795), (114.3698, 35.8000)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("rc-local-2", "示意支路25（规划未具名）", _LOCAL_EN, "local",
            [(114.3640, 35.7858), (114.3710, 35.7858)], "schematic", _LOCAL, False, (True, True)),
    RoadDef("rc-local-3", "示意支路26（规划未具名）", _LOCAL_EN, "local",
            [(114.3640, 35.7942), (114.3710, 35.7942)], "schematic", _LOCAL, False, (True, True)),
)


# Where the plan names each road it names (chapter, line of the plan file, verbatim words): a
# named road's source starts with these, so that it cites the plan's chapter before the place-name
# evidence that positions it (and never a reference credit for a course no reference gives).
_MAIN_ROADS = "改造提升兴鹤大街、渤海路、泰山路、延河路等主要城市道路"
_BUILT = "兴鹤大街北延、衡山路、科学大道等建成通车"
_TO_BUILD = "高标准谋划建设科学大道西段、海河路、嵩山路等城市道路"
_SPINES = "延展华夏路、天赉大街城市主脊"
PLAN_ROAD_WORDS: dict[str, tuple[str, int, str]] = {
    "bohai-rd": ("第十五章", 282, _MAIN_ROADS),
    "kexue-ave": ("第一章", 17, _BUILT),
    "beihuan-rd": ("专栏11", 307, "通过渤海路、科学大道、北环路与城北连接"),
    "liyang-rd": ("第十五章", 281, "黎阳路产城服务联动轴"),
    "xinghe-st": ("第十五章", 282, _MAIN_ROADS),
    "huaxia-rd": ("第十五章", 281, _SPINES),
    "tianlai-st": ("第十五章", 281, _SPINES),
    "dabai-rd": ("第十五章", 281, "大白线区域交通联系轴"),
    "haihe-rd": ("第十五章", 282, _TO_BUILD),
    "yanhe-rd": ("第十五章", 282, _MAIN_ROADS),
    "hengshan-rd": ("第一章", 17, _BUILT),
    "taishan-rd": ("第十五章", 282, _MAIN_ROADS),
    "songshan-rd": ("第十五章", 282, _TO_BUILD),
    "mudanjiang-rd": ("专栏9", 277, "加快牡丹江路及城东园区污水泵站和配套管网工程项目建设"),
}
# The part of a road east of the HSR that has its own name in the plan (黎阳东路).
PLAN_ROAD_WORDS_EAST: dict[str, tuple[str, int, str]] = {
    "liyang-rd": ("第一章", 17, "黎阳东路、泰伯北大街、天赉北大街三条路建设积极推进"),
}


def _plan_cite(words: tuple[str, int, str]) -> str:
    """The plan, its chapter, the words naming a road and their line: a source's head."""
    chapter, line_no, text = words
    return f"{PLAN} {chapter} “{text}” (line {line_no})"


def _trim_end(ln: LineString, others: Iterable[BaseGeometry], at_start: bool) -> LineString:
    """Cut an overshooting end back to the crossing road nearest to it (within the window)."""
    length = ln.length
    best: float | None = None
    for other in others:
        hit = ln.intersection(other)
        for pt in getattr(hit, "geoms", [hit]):
            if not isinstance(pt, Point):
                continue
            d = ln.project(pt)
            if at_start and 1e-6 < d <= TRIM_WINDOW_M:
                best = d if best is None else min(best, d)
            if not at_start and length - TRIM_WINDOW_M <= d < length - 1e-6:
                best = d if best is None else max(best, d)
    if best is None:
        raise ValueError("a trimmed road end crosses no road within the window")
    out = substring(ln, best, length) if at_start else substring(ln, 0.0, best)
    assert isinstance(out, LineString)
    return out


def _insert_vertices(ln: LineString, points: Sequence[Point]) -> LineString:
    """Return ``ln`` with ``points`` (lying on it) inserted as vertices in order."""
    coords = list(ln.coords)
    dist = [ln.project(Point(c)) for c in coords]
    for pt in points:
        d = ln.project(pt)
        if any(abs(d - e) < 1e-6 for e in dist):
            # Replace the nearby vertex by the exact junction so both roads share it.
            k = min(range(len(dist)), key=lambda i: abs(dist[i] - d))
            coords[k] = (pt.x, pt.y)
            continue
        k = next(i for i, e in enumerate(dist) if e > d)
        coords.insert(k, (pt.x, pt.y))
        dist.insert(k, d)
    return LineString(coords)


@dataclass
class RoadPiece:
    """A piece of a road between barrier crossings (GK metres while building)."""

    road: RoadDef
    geom: LineString
    bridge_over: str | None


def build_road_pieces(frame: Frame, avoid_gk: BaseGeometry) -> list[RoadPiece]:
    """Trim, split at barriers (bridges) and node the roads; return pieces in EPSG:4547.

    ``avoid_gk`` (green areas) is kept free of the generated block streets.
    """
    lines = {r.id: gk(line(r.coords)) for r in ROAD_DEFS}
    for r in ROAD_DEFS:  # arterials first in the table, so locals trim against trimmed roads
        ln = lines[r.id]
        assert isinstance(ln, LineString)
        others = [g for k, g in lines.items() if k != r.id]
        try:
            if r.trim[0]:
                ln = _trim_end(ln, others, at_start=True)
            if r.trim[1]:
                ln = _trim_end(ln, others, at_start=False)
        except ValueError as err:
            raise ValueError(f"{r.id}: {err}") from None
        lines[r.id] = ln
    pieces: list[RoadPiece] = []
    for r in ROAD_DEFS:
        ln = lines[r.id]
        assert isinstance(ln, LineString)
        cut: BaseGeometry = ln
        if r.name_north is not None:  # two pieces, named apart (see road_features)
            cut = MultiLineString([g for g in split(ln, lines[r.name_north[0]]).geoms
                                   if isinstance(g, LineString)])
        for _, barrier in frame.barriers_gk:
            if cut.intersects(barrier.boundary):
                parts = split(cut, barrier.boundary)
                cut = MultiLineString([g for g in parts.geoms if isinstance(g, LineString)])
        for part in getattr(cut, "geoms", [cut]):
            assert isinstance(part, LineString)
            mid = part.interpolate(0.5, normalized=True)
            over = next((nm for nm, b in frame.barriers_gk if b.contains(mid)), None)
            pieces.append(RoadPiece(r, part, over))
    pieces.extend(_block_streets(pieces, avoid_gk))
    # Node the ground pieces: every crossing becomes a shared vertex of both pieces.
    ground = [p for p in pieces if p.bridge_over is None]
    for p in ground:
        hits: list[Point] = []
        for q in ground:
            if q is p:
                continue
            inter = p.geom.intersection(q.geom)
            hits.extend(g for g in getattr(inter, "geoms", [inter]) if isinstance(g, Point))
            # A trimmed end lies on the other road only up to rounding: take it exactly.
            ends = (Point(q.geom.coords[0]), Point(q.geom.coords[-1]))
            hits.extend(e for e in ends if p.geom.distance(e) < 1e-6)
        p.geom = _insert_vertices(p.geom, hits)
    for b in (p for p in pieces if p.bridge_over is not None):
        for q in ground:
            inter = b.geom.intersection(q.geom)
            b_ends = MultiPoint([b.geom.coords[0], b.geom.coords[-1]])
            for g in getattr(inter, "geoms", [inter]):
                if isinstance(g, Point) and g.distance(b_ends) > 0.01:
                    raise ValueError(f"bridge of {b.road.id} crosses {q.road.id} at grade")
    return pieces


# Residential clusters (lon0, lat0, lon1, lat1): the parts of the life circles where people live.
# Blocks are the street blocks inside them (faces of the road network), set back from the
# road centre lines; green areas are taken out.
RESIDENTIAL_AREAS: tuple[tuple[str, str, str, tuple[float, float, float, float]], ...] = (
    ("cb", "城北片区", "Chengbei", (114.2875, 35.7808, 114.3023, 35.7940)),
    ("cz", "泰山路片区", "Taishan Road", (114.2965, 35.7552, 114.3145, 35.7695)),
    ("sj", "松江路片区", "Songjiang Road", (114.3078, 35.7728, 114.3150, 35.7767)),
    # North edge at 龙岗's south edge (35.762°N): 龙岗 outside the 人才社区 is core and industry.
    ("cd", "城东片区", "Chengdong", (114.3420, 35.7470, 114.3560, 35.7620)),
    # 第十六章 puts 龙岗's homes in the 人才社区 east of the core (“核心区东侧…打造高品质人才社区,
    # 提供人才公园、职工社区、现代住区等多样化居住产品”): the block of it between
    # the street at 114.365°E and rc-local-1/2/3 (it was south of the lake, in 人才高地 and the
    # 西南部 board, which the plan gives to services and industry).
    ("rc", "人才社区", "Talent community", (114.3650, 35.7858, 114.3725, 35.7942)),
    ("js", "镁业小镇", "Magnesium town", (114.2300, 35.7740, 114.2450, 35.7810)),
)

# Street blocks in the residential areas are cut to at most this size by local streets, so
# that walking distances to 5-minute facilities (300 m) are measured along real-sized blocks
# (GB 50180-2018 居住街坊: 2–4 ha).
BLOCK_MAX_M = 220.0
_GRID_EVIDENCE = (
    "示意街坊路（规划未具名）: generated to cut the street blocks of a residential area to "
    f"≤{BLOCK_MAX_M:.0f} m (GB 50180-2018 居住街坊 2–4 ha); positions schematic"
)


def residential_faces(pieces: list[RoadPiece]) -> list[tuple[str, str, Polygon]]:
    """Faces of the road network lying mostly inside a residential area (EPSG:4547)."""
    faces = list(polygonize(unary_union([p.geom for p in pieces])))
    out = []
    for prefix, zh, _, bounds in RESIDENTIAL_AREAS:
        area = gk(box(*bounds))
        for face in faces:
            if face.intersection(area).area > 0.5 * face.area:
                out.append((prefix, zh, face))
    return out


def _block_streets(pieces: list[RoadPiece], avoid_gk: BaseGeometry) -> list[RoadPiece]:
    """Local streets that subdivide the residential faces of the network into blocks."""
    out: list[RoadPiece] = []
    counters: dict[str, int] = {}
    for prefix, _zh, face in residential_faces(pieces):
        minx, miny, maxx, maxy = face.bounds
        cuts: list[LineString] = []
        nx = math.ceil((maxx - minx) / BLOCK_MAX_M)
        ny = math.ceil((maxy - miny) / BLOCK_MAX_M)
        for x in np.linspace(minx, maxx, nx + 1)[1:-1]:
            cuts.append(LineString([(x, miny - 10.0), (x, maxy + 10.0)]))
        for y in np.linspace(miny, maxy, ny + 1)[1:-1]:
            cuts.append(LineString([(minx - 10.0, y), (maxx + 10.0, y)]))
        for cut in cuts:
            inside = cut.intersection(face).difference(avoid_gk)
            for part in getattr(inside, "geoms", [inside]):
                if not isinstance(part, LineString) or part.length < 60.0:
                    continue
                counters[prefix] = counters.get(prefix, 0) + 1
                n = counters[prefix]
                total = sum(counters.values())
                wgs_part = wgs(part)
                assert isinstance(wgs_part, LineString)
                road = RoadDef(
                    f"{prefix}-street-{n:03d}", f"示意街坊路{total:03d}（规划未具名）",
                    "local street", "local",
                    [(x, y) for x, y in wgs_part.coords], "schematic", _GRID_EVIDENCE,
                    named_in_plan=False,
                )
                out.append(RoadPiece(road, part, None))
    return out


def road_features(pieces: list[RoadPiece], frame: Frame) -> list[Feature]:
    """Road pieces as features, ids numbered along each road."""
    out: list[Feature] = []
    counters: dict[str, int] = {}
    hsr_gk = gk(frame.hsr)
    for p in pieces:
        r = p.road
        n = counters.get(r.id, 0) + 1
        counters[r.id] = n
        name, name_en = r.name, r.name_en
        named = r.named_in_plan
        source = f"{r.evidence}; digitised by tools/build_plan_layers.py"
        east = r.name_east is not None and _east_of_hsr(p.geom, hsr_gk)
        words = PLAN_ROAD_WORDS_EAST.get(r.id) if east else None
        words = words or PLAN_ROAD_WORDS.get(r.id)
        if named and words is not None:
            source = f"{_plan_cite(words)}; {source}"
        if r.name_north is not None:
            south_end = min(p.geom.coords[0], p.geom.coords[-1], key=lambda c: c[1])
            cross = unary_union([q.geom for q in pieces if q.road.id == r.name_north[0]])
            if cross.distance(Point(south_end)) < 0.01:  # starts on that road: the north part
                name, name_en, named = r.name_north[1], r.name_north[2], True
                across = next(d.name for d in ROAD_DEFS if d.id == r.name_north[0])
                source = (f"{PLAN} 第一章/专栏8 “{r.name_north[1]}”; the part north of "
                          f"{across} (where {r.name} becomes {r.name_north[1]} is assumed); "
                          f"{source}")
            else:
                source = f"{r.name} (规划未具名: the plan names only {r.name_north[1]}); {source}"
        if r.name_east is not None and east:
            name, name_en = r.name_east
        extra: dict[str, Any] = {
            "road_class": r.road_class,
            "bridge": p.bridge_over is not None,
            "tunnel": False,
            "named_in_plan": named,
        }
        if p.bridge_over is not None:
            extra["crosses"] = p.bridge_over
        pid = f"{r.id}-{n}" if len([q for q in pieces if q.road is r]) > 1 else r.id
        out.append(
            Feature(pid, name, name_en, "road", source, r.confidence, wgs(p.geom), extra)
        )
    return out


def _east_of_hsr(geom: LineString, hsr_gk: BaseGeometry) -> bool:
    """True for a piece starting east of the HSR (a bridge belongs to the east road: it crosses)."""
    start = Point(geom.coords[0])
    return bool(start.x > hsr_gk.interpolate(hsr_gk.project(start)).x - 100)


def road_line(pieces: list[RoadPiece], road_id: str) -> LineString:
    """The whole (trimmed) line of one road in WGS84, pieces joined."""
    parts = [p.geom for p in pieces if p.road.id == road_id]
    merged = linemerge(MultiLineString(parts)) if len(parts) > 1 else parts[0]
    assert isinstance(merged, LineString)
    out = wgs(merged)
    assert isinstance(out, LineString)
    return out
