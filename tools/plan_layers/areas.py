"""Parks, sub-areas, context areas and the bonded zone."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import (
    LineString,
    MultiLineString,
    Point,
    Polygon,
    box,
)
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, polygonize, unary_union

from tools.plan_layers.geometry import (
    BONDED_AREA_KM2,
    PLACES,
    PLAN,
    Feature,
    bisect,
    circle,
    crossing,
    gk,
    polygonal,
    wgs,
)
from tools.plan_layers.reference import Frame
from tools.plan_layers.roads import RoadPiece

# --- areas: parks, sub-areas, context -----------------------------------------------------------


def _sector(lon: float, lat: float, r_in: float, r_out: float, a0: float, a1: float) -> Polygon:
    """An annulus sector around a centre, angles in degrees anticlockwise from east."""
    c = gk(Point(lon, lat))
    assert isinstance(c, Point)
    ts = np.radians(np.linspace(a0, a1, 33))
    wedge = Polygon([(c.x, c.y), *((c.x + 5e3 * math.cos(t), c.y + 5e3 * math.sin(t)) for t in ts)])
    ring = c.buffer(r_out, quad_segs=16).difference(c.buffer(r_in, quad_segs=16))
    out = wgs(ring.intersection(wedge))
    assert isinstance(out, Polygon)
    return out


# 第十六章 “以中部景观湖为核心”: in the middle of 龙岗 (its centroid is ~35.791°N), between 科学大道
# and 北环路 so no road crosses the core. PLACES.md's guess (114.355,35.780) was the middle of the
# whole 城东 envelope; it (and later 420 m further south) put the lake in 龙岗's south-west.
LAKE = (114.355, 35.7900)
LAKE_R_M = 300.0
# Outer radius of the 生态+创新服务核心区 (the lake and the three areas around it), assumed; it
# leaves room east of the core, inside 淇滨区, for the 人才社区 and the 生态田园板块.
LAKE_RING_R_M = 700.0
# 生态田园板块: the east edge of 龙岗 up to the 淇滨/浚县 border (west edge assumed).
ECO_FARMLAND_WEST_LON = 114.3725

# The schematic ETDZ extent of PLACES.md §1 (淇滨区 clipped to the park envelopes, ~87 km²).
ETDZ_EXTENT = (
    (114.320, 35.740), (114.320, 35.755), (114.243, 35.755), (114.233, 35.761),
    (114.218, 35.755), (114.215, 35.830), (114.227, 35.830), (114.237, 35.793),
    (114.246, 35.793), (114.257, 35.777), (114.250, 35.775), (114.249, 35.767),
    (114.264, 35.761), (114.289, 35.794), (114.298, 35.793), (114.344, 35.816),
    (114.390, 35.817), (114.390, 35.798), (114.378, 35.768), (114.388, 35.741),
)

# The three areas around the lake, as the plan orients them (第十六章): (id, name, name_en,
# kind, first and last angle of the sector in degrees anticlockwise from east, the plan's words).
LAKE_AREAS: tuple[tuple[str, str, str, str, float, float, str], ...] = (
    ("chuangzhi-area", "创智服务区", "Innovation service area", "service_area", 45.0, 135.0,
     "景观湖以北布局商务金融、企业办公、商业综合体、特色街区、创智坊等功能,形成创智服务区"),
    ("keji-area", "科技创新区", "Technology innovation area", "innovation_area", 135.0, 225.0,
     "景观湖以西布局科创园、海创园、实验室等功能,形成科技创新区"),
    ("rencai-area", "人才高地", "Talent highland", "talent_services", 225.0, 315.0,
     "景观湖以南布局人才公园、人才健康中心、康体建设设施等服务功能,形成人才高地"),
)


def park_features(frame: Frame, zone: BaseGeometry) -> list[Feature]:
    """Parks, their sub-areas and the context areas, clipped to 淇滨区 (and the HSR side).

    北部新城 and the bonded zone are separate carriers of the plan (第十六章
    “一城一镇一园一区”), so 北部新城 leaves the zone out.
    """
    qb = frame.qibin
    west = qb.intersection(frame.west_of_hsr)
    east = qb.intersection(frame.east_of_g4)
    src3 = f"{PLACES} §3 envelope, clipped to 淇滨区 (410611)"
    chengbei = polygonal(box(114.262, 35.757, 114.322, 35.798).intersection(west))
    jinshan = polygonal(box(114.215, 35.765, 114.257, 35.800).intersection(qb))
    chengdong = polygonal(box(114.325, 35.742, 114.388, 35.817).intersection(east))
    farmland = polygonal(
        box(ECO_FARMLAND_WEST_LON, 35.762, 114.40, 35.788).intersection(chengdong)
    )
    longgang = polygonal(
        box(114.330, 35.762, 114.40, 35.817).intersection(chengdong).difference(farmland)
    )
    # 北部新城 reaches south to 延河路: the plan strings its 双创 nodes along
    # 兴鹤大街、渤海路、延河路.
    xincheng = polygonal(box(114.285, 35.767, 114.322, 35.798).intersection(chengbei)
                         .difference(zone))
    lake = circle(*LAKE, LAKE_R_M)
    core = circle(*LAKE, LAKE_RING_R_M)
    c = gk(Point(*LAKE))
    assert isinstance(c, Point)
    # 人才社区: east of the core (第十六章 核心区东侧), up to the 生态田园板块's west edge (依托生态
    # 田园资源); N-S extent assumed.
    talent = polygonal(
        wgs(box(c.x + LAKE_RING_R_M, c.y - 500.0, c.x + 3_000.0, c.y + 500.0))
        .intersection(box(-180.0, -90.0, ECO_FARMLAND_WEST_LON, 90.0))
        .intersection(longgang).difference(core)
    )
    feats = [
        Feature("chengbei-park", "城北园区", "North park", "industrial_park",
                f"{PLAN} 第十一章 城北园区 (汽车电子, 天章双创园); {src3}; "
                "west of the HSR/G4", "medium",
                chengbei, {"role": "park"}),
        Feature("beibu-xincheng", "北部新城", "North New Town", "new_town",
                f"{PLAN} 第十六章 “高质量、高品质建设北部新城”; 专栏11 (one of the four carriers, "
                f"separate from the 综合保税区); {src3}: the part of 城北园区 from 延河路 north "
                "(“沿兴鹤大街、渤海路、延河路,形成共享型双创功能节点”), the bonded zone left out",
                "low", xincheng, {"role": "sub-area", "parent": "chengbei-park"}),
        Feature("jinshan-park", "金山园区", "Jinshan park", "industrial_park",
                f"{PLAN} 第十一章 金山园区 (镁基新材料); {src3}; west of the SNWD canal, "
                "north of the 淇河",
                "medium", jinshan, {"role": "park"}),
        Feature("meiye-town", "鹤壁金山镁业小镇", "Jinshan magnesium town", "specialty_town",
                f"{PLAN} 第六章/第十一章/专栏11 鹤壁金山镁业小镇 (carrier of 金山园区); "
                "专栏9 渤海路西段; "
                f"{src3}; spot on 渤海路西段 assumed", "low",
                polygonal(box(114.229, 35.771, 114.243, 35.781).intersection(jinshan)),
                {"role": "sub-area", "parent": "jinshan-park"}),
        Feature("chengdong-park", "城东园区", "East park", "industrial_park",
                f"{PLAN} 第十一章 城东园区 (光电子, 中原光谷); {src3}; "
                "east of the HSR/G4", "medium",
                chengdong, {"role": "park"}),
        Feature("longgang-park", "龙岗创新创业园", "Longgang innovation park", "innovation_park",
                f"{PLAN} 第十三章/第十六章 “高质量、高标准建设龙岗创新创业园”, "
                "“打造高品质龙岗工业园”; "
                f"专栏11 龙岗工业园; {src3}: the north of 城东园区 west of the 生态田园板块 "
                "(extent assumed)", "low", longgang,
                {"role": "sub-area", "parent": "chengdong-park"}),
        Feature("longgang-lake", "景观湖", "Landscape lake", "lake",
                f"{PLAN} 第十六章 “以中部景观湖为核心,打造生态+创新服务核心区”; "
                f"{PLACES} §3 guess (114.355,35.780) r≈300 m (the middle of the 城东 envelope), "
                "moved 1.1 km north into the middle of 龙岗, between 科学大道 and 北环路", "low",
                lake, {"role": "sub-area", "parent": "longgang-park"}),
        Feature("rencai-community", "人才社区", "Talent community", "talent_housing",
                f"{PLAN} 第十六章 “核心区东侧,依托生态田园资源,打造高品质人才社区”: east of the "
                f"{LAKE_RING_R_M:.0f} m core, up to the 生态田园板块's west edge (extent assumed)",
                "low",
                talent, {"role": "sub-area", "parent": "longgang-park"}),
        Feature("eco-farmland", "生态田园板块", "Eco-farmland sector", "eco_farmland",
                f"{PLAN} 第十五章 一廊 links “龙岗工业园和生态田园板块” (its east end); "
                "第十六章 人才社区 "
                "依托生态田园资源: the east edge of 城东 beyond 龙岗, clipped to 淇滨区 (it may "
                "reach on into 浚县; west edge assumed)", "low", farmland,
                {"role": "sub-area", "parent": "chengdong-park"}),
    ]
    for fid, nm, en, kind, a0, a1, words in LAKE_AREAS:
        geom = polygonal(_sector(*LAKE, LAKE_R_M, LAKE_RING_R_M, a0, a1).intersection(longgang))
        src = (f"{PLAN} 第十六章 “{words}”: the sector {a0:.0f}°–{a1:.0f}° "
               "(anticlockwise from east) "
               f"of a {LAKE_R_M:.0f}–{LAKE_RING_R_M:.0f} m ring around the lake (radii assumed)")
        feats.append(Feature(fid, nm, en, kind, src, "low", geom,
                             {"role": "sub-area", "parent": "longgang-park"}))
    feats.append(Feature(
        "hebi-east", "鹤壁东区", "Hebi East District", "district",
        f"{PLACES} §3 (context, not an ETDZ park); east of the HSR/G4, clipped to 淇滨区", "low",
        polygonal(box(114.300, 35.690, 114.385, 35.742).intersection(east)),
        {"role": "context"},
    ))
    feats.append(Feature(
        "etdz-extent", "鹤壁经济技术开发区（示意范围）", "Hebi ETDZ (schematic extent)",
        "etdz_extent",
        f"{PLACES} §1: no published boundary; 淇滨区 clipped to the three park envelopes",
        "schematic", polygonal(Polygon(ETDZ_EXTENT).intersection(qb)), {"role": "context"},
    ))
    return feats


# --- bonded zone --------------------------------------------------------------------------------

BONDED_SPLIT_N_M = 450.0  # 口岸联动区/综合服务区 strip along 科学大道 (depth assumed)
BONDED_SPLIT_LON = 114.3060  # between 综合服务区 (west) and 口岸联动区 (east, at the gate)


def _road_gk(pieces: list[RoadPiece], road_id: str) -> LineString:
    """The whole line of one road in EPSG:4547, its pieces joined."""
    parts = [p.geom for p in pieces if p.road.id == road_id]
    merged = linemerge(MultiLineString(parts)) if len(parts) > 1 else parts[0]
    assert isinstance(merged, LineString)
    return merged


def bonded_features(pieces: list[RoadPiece], frame: Frame) -> dict[str, list[Feature]]:
    """The 2.87 km² bonded zone, its three tiling sub-zones, gate and inspection centre.

    The block is bounded by 衡山路 (W), 科学大道 (S), 北环路 (N) and the HSR on
    the east; the set-back from the HSR is solved so the area is exactly the
    plan's 2.87 km² in EPSG:4547.
    """
    heng = _road_gk(pieces, "hengshan-rd")
    kexue = _road_gk(pieces, "kexue-ave")
    beihuan = _road_gk(pieces, "beihuan-rd")
    hsr = gk(frame.hsr)
    seed = gk(Point(114.311, 35.789))

    def zone(setback_m: float) -> Polygon:
        """The block for a given set-back of its east edge from the HSR."""
        east = shapely.affinity.translate(hsr, xoff=-setback_m)
        for face in polygonize(unary_union([heng, kexue, beihuan, east])):
            if face.contains(seed):
                return face
        raise ValueError("bonded-zone block not closed")

    setback = bisect(lambda s: zone(s).area / 1e6, BONDED_AREA_KM2, 0.0, 600.0)
    block = zone(setback)
    # Split lines: a strip along 科学大道, and a N-S line through the strip.
    # Split lines cross the block boundary and each other, so noding is exact; the short
    # overshoots are dangles that polygonize drops.
    strip_edge = shapely.affinity.translate(kexue, yoff=BONDED_SPLIT_N_M)
    ref_pt = gk(Point(BONDED_SPLIT_LON, 35.781))
    assert isinstance(ref_pt, Point)
    ns_long = LineString([(ref_pt.x, ref_pt.y - 500), (ref_pt.x, ref_pt.y + 2_000)])
    cut_at = crossing(ns_long, strip_edge)
    ns_south = LineString([(ref_pt.x, ref_pt.y - 500), (ref_pt.x, cut_at.y + 0.5)])
    faces = [
        f for f in polygonize(unary_union([block.exterior, strip_edge, ns_south]))
        if block.contains(f.representative_point())
    ]
    if len(faces) != 3:
        raise ValueError(f"bonded zone split into {len(faces)} faces, expected 3")
    zone_gk = unary_union(faces)
    assert isinstance(zone_gk, Polygon)

    def face_at(pred: Callable[[Point], bool]) -> Polygon:
        """The one face whose representative point satisfies ``pred``."""
        hit = [f for f in faces if pred(f.representative_point())]
        assert len(hit) == 1
        return hit[0]

    y_cut = cut_at.y
    north = face_at(lambda p: p.y > y_cut)
    south_west = face_at(lambda p: p.y < y_cut and p.x < cut_at.x)
    south_east = face_at(lambda p: p.y < y_cut and p.x > cut_at.x)
    src = (f"{PLAN} 专栏11 “园区规划面积2.87平方公里,分为口岸联动区、综合服务区、"
           "保税功能区三大功能分区”; "
           f"block from {PLACES} §3 (衡山路/科学大道/北环路/"
           f"HSR), HSR set-back {setback:.0f} m solved for the area in EPSG:4547")
    zone_feat = Feature(
        "bonded-zone", "鹤壁综合保税区", "Hebi Comprehensive Bonded Zone", "bonded_zone", src,
        "low", wgs(zone_gk),
        {"area_km2_plan": BONDED_AREA_KM2, "area_km2": round(zone_gk.area / 1e6, 4),
         "first_roads": ["衡山路", "科学大道"]},
    )
    sub_src = (f"{PLAN} 专栏11 “分为口岸联动区、综合服务区、保税功能区三大功能分区”; "
               "split layout assumed"
               " (strip along 科学大道 at the gate)")
    subs = [
        Feature(fid, nm, en, "bonded_subzone", sub_src, "low", wgs(g),
                {"parent": "bonded-zone", "area_km2": round(g.area / 1e6, 4)})
        for fid, nm, en, g in (
            ("bonded-port", "口岸联动区", "Port linkage area", south_east),
            ("bonded-service", "综合服务区", "Comprehensive service area", south_west),
            ("bonded-function", "保税功能区", "Bonded function area", north),
        )
    ]
    gate_gk = Point(_road_gk(pieces, "taishan-rd").coords[-1])
    inspect_gk = Point(gate_gk.x + 60.0, gate_gk.y + 150.0)
    if not south_east.contains(inspect_gk) or south_east.distance(gate_gk) > 0.01:
        raise ValueError("gate/inspection centre not on the port linkage area")
    pts_src = f"{PLAN} 专栏11 “先期推进衡山路、科学大道、主卡口、查验中心”; position assumed"
    points = [
        Feature("main-gate", "主卡口", "Main gate", "gate",
                f"{pts_src}: where 泰山路 meets 科学大道 on the zone's south edge", "low",
                wgs(gate_gk), {"parent": "bonded-port"}),
        Feature("inspection-centre", "查验中心", "Inspection centre", "inspection_centre",
                f"{pts_src}: inside 口岸联动区 beside the gate", "low", wgs(inspect_gk),
                {"parent": "bonded-port"}),
    ]
    return {"bonded_zone": [zone_feat], "bonded_subzones": subs, "bonded_points": points}
