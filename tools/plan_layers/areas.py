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


LAKE = (114.355, 35.7762)  # moved ~420 m south of the PLACES.md guess so 科学大道 clears it
LAKE_R_M = 300.0
LAKE_RING_R_M = 900.0

# The schematic ETDZ extent of PLACES.md §1 (淇滨区 clipped to the park envelopes, ~87 km²).
ETDZ_EXTENT = (
    (114.320, 35.740), (114.320, 35.755), (114.243, 35.755), (114.233, 35.761),
    (114.218, 35.755), (114.215, 35.830), (114.227, 35.830), (114.237, 35.793),
    (114.246, 35.793), (114.257, 35.777), (114.250, 35.775), (114.249, 35.767),
    (114.264, 35.761), (114.289, 35.794), (114.298, 35.793), (114.344, 35.816),
    (114.390, 35.817), (114.390, 35.798), (114.378, 35.768), (114.388, 35.741),
)


def park_features(frame: Frame) -> list[Feature]:
    """Parks, their sub-areas and the context areas, clipped to 淇滨区 (and the HSR side)."""
    qb = frame.qibin
    west = qb.intersection(frame.west_of_hsr)
    east = qb.intersection(frame.east_of_g4)
    src3 = f"{PLAN} 园区布局; envelope from {PLACES} §3, clipped to 淇滨区 (410611)"
    chengbei = polygonal(box(114.262, 35.757, 114.322, 35.798).intersection(west))
    jinshan = polygonal(box(114.215, 35.765, 114.257, 35.800).intersection(qb))
    chengdong = polygonal(box(114.325, 35.742, 114.388, 35.817).intersection(east))
    longgang = polygonal(box(114.330, 35.762, 114.388, 35.817).intersection(chengdong))
    lake = circle(*LAKE, LAKE_R_M)
    feats = [
        Feature("chengbei-park", "城北园区", "North park", "industrial_park",
                f"{src3}; west of the HSR/G4", "medium", chengbei, {"role": "park"}),
        Feature("beibu-xincheng", "北部新城", "North New Town", "new_town",
                f"{src3}; northern part of 城北园区 (split assumed)", "low",
                polygonal(box(114.285, 35.775, 114.322, 35.798).intersection(chengbei)),
                {"role": "sub-area", "parent": "chengbei-park"}),
        Feature("jinshan-park", "金山园区", "Jinshan park", "industrial_park",
                f"{src3}; west of the SNWD canal, north of the 淇河", "medium", jinshan,
                {"role": "park"}),
        Feature("meiye-town", "鹤壁金山镁业小镇", "Jinshan magnesium town", "specialty_town",
                f"{src3}; on 渤海路西段 (spot assumed)", "low",
                polygonal(box(114.229, 35.771, 114.243, 35.781).intersection(jinshan)),
                {"role": "sub-area", "parent": "jinshan-park"}),
        Feature("chengdong-park", "城东园区", "East park", "industrial_park",
                f"{src3}; east of the HSR/G4", "medium", chengdong, {"role": "park"}),
        Feature("longgang-park", "龙岗创新创业园", "Longgang innovation park", "innovation_park",
                f"{src3}; northern part of 城东园区 (龙岗 extent low)", "low", longgang,
                {"role": "sub-area", "parent": "chengdong-park"}),
        Feature("longgang-lake", "景观湖", "Landscape lake", "lake",
                f"{PLAN} 龙岗创新创业园以景观湖为核心; {PLACES} §3 guess (114.355,35.780) r≈300 m, "
                "moved 420 m south so 科学大道 clears it", "low", lake,
                {"role": "sub-area", "parent": "longgang-park"}),
    ]
    ring_src = (f"{PLAN} 景观湖周边布局创智服务区、科技创新区、人才高地; sectors of a 300–900 m "
                "ring around the lake (orientation assumed: service towards 城北, housing south)")
    for fid, nm, en, kind, a0, a1 in (
        ("chuangzhi-area", "创智服务区", "Innovation service area", "service_area", 90, 210),
        ("keji-area", "科技创新区", "Technology innovation area", "innovation_area", -30, 90),
        ("rencai-area", "人才高地", "Talent highland", "talent_housing", 210, 330),
    ):
        geom = polygonal(_sector(*LAKE, LAKE_R_M, LAKE_RING_R_M, a0, a1).intersection(longgang))
        feats.append(Feature(fid, nm, en, kind, ring_src, "low", geom,
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
    src = (f"{PLAN} 鹤壁综合保税区 2.87 km²; block from {PLACES} §3 (衡山路/科学大道/北环路/"
           f"HSR), HSR set-back {setback:.0f} m solved for the area in EPSG:4547")
    zone_feat = Feature(
        "bonded-zone", "鹤壁综合保税区", "Hebi Comprehensive Bonded Zone", "bonded_zone", src,
        "low", wgs(zone_gk),
        {"area_km2_plan": BONDED_AREA_KM2, "area_km2": round(zone_gk.area / 1e6, 4),
         "first_roads": ["衡山路", "科学大道"]},
    )
    sub_src = f"{PLAN} 综保区功能分区; split layout assumed (strip along 科学大道 at the gate)"
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
    pts_src = f"{PLAN} 综保区建设主卡口、查验中心; position assumed"
    points = [
        Feature("main-gate", "主卡口", "Main gate", "gate",
                f"{pts_src}: where 泰山路 meets 科学大道 on the zone's south edge", "low",
                wgs(gate_gk), {"parent": "bonded-port"}),
        Feature("inspection-centre", "查验中心", "Inspection centre", "inspection_centre",
                f"{pts_src}: inside 口岸联动区 beside the gate", "low", wgs(inspect_gk),
                {"parent": "bonded-port"}),
    ]
    return {"bonded_zone": [zone_feat], "bonded_subzones": subs, "bonded_points": points}
