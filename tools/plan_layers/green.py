"""Green spaces, green belts and water lines."""

from __future__ import annotations

import math

import shapely
import shapely.affinity
from shapely.geometry import (
    LineString,
    Point,
    box,
    shape,
)
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring, unary_union

from tools.plan_layers.areas import LAKE, LAKE_R_M
from tools.plan_layers.geometry import (
    FITNESS_CENTRE_HA,
    PLACES,
    PLAN,
    WETLAND_AREA_HA,
    Feature,
    area_km2,
    bisect,
    gk,
    line,
    polygonal,
    wgs,
)
from tools.plan_layers.reference import (
    CANAL_HALF_WIDTH_M,
    RAILWAY,
    RAILWAY_HALF_WIDTH_M,
    Frame,
    Reference,
)
from tools.plan_layers.roads import ROAD_DEFS, RoadPiece, residential_faces

# --- green and water ----------------------------------------------------------------------------

FITNESS_CENTRE = (114.2971, 35.7889)
FITNESS_WORDS = "依托全民健身中心,着力打造主城区北部4万平方米绿色生态、健康休闲生活圈"
LINKED_PARKS = "联动浮山森林公园、龙岗郊野公园、淇河国家湿地公园等要素"


def _reach(river: LineString, a: Point, b: Point) -> LineString:
    """The part of a river line between the projections of two points."""
    da, db = sorted((river.project(a), river.project(b)))
    out = substring(river, da, db)
    assert isinstance(out, LineString)
    return out


def green_features(ref: Reference, frame: Frame) -> list[Feature]:
    """Green spaces; 浮山森林公园 is recorded with no geometry (location not found)."""
    qihe = shape(ref.qihe[0]["geometry"])
    assert isinstance(qihe, LineString)
    reach = gk(_reach(qihe, Point(114.193, 35.798), ref.anchor("新村水文站（淇河）")))
    width = bisect(lambda w: reach.buffer(w).area / 1e4, WETLAND_AREA_HA, 20.0, 1_500.0)
    wetland = wgs(reach.buffer(width))
    c = gk(Point(*FITNESS_CENTRE))
    assert isinstance(c, Point)
    half = math.sqrt(FITNESS_CENTRE_HA * 1e4) / 2.0
    fitness = wgs(box(c.x - half, c.y - half, c.x + half, c.y + half))
    lg = gk(Point(114.3720, 35.8070)).buffer(1.0, quad_segs=16)
    lg = shapely.affinity.scale(lg, 800.0, 380.0)
    country = polygonal(wgs(lg).intersection(frame.qibin))

    def ha(g: BaseGeometry) -> float:
        """Area in hectares (EPSG:4547), 2 decimals."""
        return round(area_km2(g) * 100.0, 2)

    return [
        Feature("qihe-wetland", "淇河国家湿地公园", "Qi River National Wetland Park",
                "wetland_park",
                f"{PLAN} 第十五章 “{LINKED_PARKS}”; {PLACES} §4 (332.5 ha, 贺家村→庞村): 淇河 "
                f"proxy reach buffered {width:.0f} m to the published area", "low", wetland,
                {"area_ha": ha(wetland), "location_known": True, "named_in_plan": True}),
        Feature("longgang-country-park", "龙岗郊野公园", "Longgang Country Park", "country_park",
                f"{PLAN} 第十五章 “{LINKED_PARKS}”; {PLACES} §4 ellipse in 龙岗 north of "
                "北环路 (assumed)",
                "low", country,
                {"area_ha": ha(country), "location_known": True, "named_in_plan": True}),
        Feature("songshan-sports-park", "嵩山体育公园", "Songshan Sports Park", "sports_park",
                f"{PLAN} 第十四章 “完善嵩山体育公园、仕佳游园、急速游园等游园绿化景观功能”; "
                f"{PLACES} §4 along 嵩山路 in 城北 (east side assumed)", "low",
                box(114.2990, 35.7822, 114.3017, 35.7856),
                {"area_ha": ha(box(114.2990, 35.7822, 114.3017, 35.7856)),
                 "location_known": True, "named_in_plan": True}),
        # The 4万平方米 is the leisure area 依托 the centre (第十五章), not the centre itself.
        Feature("fitness-centre-park", "全民健身中心周边健康休闲生活圈",
                "Green leisure area around the National Fitness Centre", "fitness_centre",
                f"{PLAN} 第十五章 “{FITNESS_WORDS}”: the 4万平方米 (4 ha) green leisure area "
                f"around the centre, drawn as a square of exactly 4 ha; {PLACES} §5 "
                "≈(114.295,35.790), between 兴鹤大街 and 嵩山路", "low", fitness,
                {"area_ha": ha(fitness), "location_known": True, "named_in_plan": True}),
        Feature("auto-theme-park", "汽车主题公园", "Automobile theme park", "theme_park",
                f"{PLAN} 第十五章 “加快汽车主题公园建设”; position assumed near the 城北 "
                "auto-electronics cluster (天海/航盛)",
                "low", box(114.2860, 35.7700, 114.2925, 35.7727),
                {"area_ha": ha(box(114.2860, 35.7700, 114.2925, 35.7727)),
                 "location_known": True, "named_in_plan": True}),
        Feature("fushan-forest-park", "浮山森林公园", "Fushan Forest Park", "forest_park",
                f"{PLAN} 第十五章 “{LINKED_PARKS}”; {PLACES} §4: location not found, not "
                "invented", "low", None,
                {"area_ha": None, "location_known": False, "named_in_plan": True}),
        Feature("beicheng-country-park", "北城郊野公园", "Beicheng country park", "country_park",
                f"{PLAN} 专栏9 “重点推进北城郊野公园”: in the north of the city, no spot given; "
                "not drawn", "low", None,
                {"area_ha": None, "location_known": False, "named_in_plan": True}),
    ]


# Green the plan asks for beyond the named parks (added so that per-area green share is not
# measured against five drawn parks only). Widths are assumptions: neither the plan nor PLACES.md
# gives one. The belts are drawn only where no residential street block lies (the faces of the
# road network in RESIDENTIAL_AREAS are cut out), so they change no road or community.
CANAL_BELT_M = 100.0  # each side, beyond the canal's 40 m half-width (assumed)
HSR_BELT_M = 100.0  # west of the HSR/G4 band (assumed, schematic)
HSR_BELT_SOUTH_LAT = 35.7563  # 黎阳路: the belt runs through the north of the city only
HUAXIA_BELT_M = 40.0  # total width of the 华夏南路 central green belt (assumed)
HUAXIA_SOUTH_END_LAT = 35.7476  # 华夏南路 taken as 华夏路 south of 九州路 (assumed)
LAKE_PARK_RING_M = 100.0  # ring of lakeside park around the 景观湖 (assumed)
RAILWAY_BELT_M = 100.0  # west of the 京广铁路 (assumed, schematic)
FOREST_WORDS = ("推进107国道与高速高铁之间、南水北调两侧、京广铁路西和高速高铁两侧"
                "风景防护林等项目建设")


def green_belt_features(
    frame: Frame,
    pieces: list[RoadPiece],
    zone: BaseGeometry,
    parks: list[Feature],
    lake: BaseGeometry,
) -> list[Feature]:
    """Green belts of the plan (canal, HSR/G4, 华夏南路, lake ring), clear of other land.

    Each belt is clipped to 淇滨区 and leaves out the bonded zone, the residential
    street blocks (faces of the network in the residential areas), the lake, the
    drawn parks and the belts before it, so no land is counted twice.
    """
    taken = unary_union(
        [gk(zone), gk(lake)]
        + [gk(f.geometry) for f in parks if f.geometry is not None]
        + [face for _, _, face in residential_faces(pieces)]
    )
    qibin = gk(frame.qibin)
    canal = gk(frame.canal)
    siphon_south = gk(box(113.9, 35.7433, 114.8, 36.1))  # from the 淇河倒虹吸 northwards
    canal_belt = (
        canal.buffer(CANAL_HALF_WIDTH_M + CANAL_BELT_M).difference(canal.buffer(CANAL_HALF_WIDTH_M))
        .intersection(siphon_south)
    )
    band = next(b for nm, b in frame.barriers_gk if nm == "京广高铁、京港澳高速")
    west = gk(frame.west_of_hsr)
    hsr_belt = (
        band.buffer(HSR_BELT_M).intersection(west).difference(band)
        .intersection(gk(box(113.9, HSR_BELT_SOUTH_LAT, 114.8, 36.1)))
    )
    huaxia = next(r for r in ROAD_DEFS if r.id == "huaxia-rd")
    huaxia_belt = (
        gk(line(huaxia.coords)).buffer(HUAXIA_BELT_M / 2.0, cap_style="flat")
        .intersection(gk(box(113.9, 35.0, 114.8, HUAXIA_SOUTH_END_LAT)))
    )
    centre = gk(Point(*LAKE))
    # The inner edge is the lake polygon itself (not a second circle of the same radius): both
    # then round to the same vertices, and the ring and the lake share no sliver of land.
    lake_ring = centre.buffer(LAKE_R_M + LAKE_PARK_RING_M, quad_segs=16).difference(gk(lake))
    east = gk(frame.east_of_g4)
    hsr_east_belt = (
        band.buffer(HSR_BELT_M).intersection(east).difference(band)
        .intersection(gk(box(113.9, HSR_BELT_SOUTH_LAT, 114.8, 36.1)))
    )
    railway = gk(line(RAILWAY))
    # Left of the railway's south->north direction is its west side.
    railway_belt = (
        railway.buffer(RAILWAY_HALF_WIDTH_M + RAILWAY_BELT_M, single_sided=True)
        .difference(railway.buffer(RAILWAY_HALF_WIDTH_M)).intersection(siphon_south)
    )
    forest = f"{PLAN} 专栏9 “{FOREST_WORDS}”"
    specs: tuple[tuple[str, str, str, str, str, str, bool, BaseGeometry, float], ...] = (
        ("snwd-canal-green-belt", "南水北调两侧风景防护林", "SNWD canal green belt",
         "canal_green_belt",
         f"{forest}; the canal line (gates joined, {PLACES} §4) from the 淇河倒虹吸 north, "
         f"{CANAL_BELT_M:.0f} m each side beyond its {CANAL_HALF_WIDTH_M:.0f} m half-width "
         "(width assumed)", "low", True, canal_belt, CANAL_BELT_M),
        ("hsr-g4-green-belt", "107国道与高速高铁之间风景防护林", "Green belt west of the HSR/G4",
         "corridor_green_belt",
         f"{forest}; {PLACES} §2 107国道: a "
         f"{HSR_BELT_M:.0f} m strip along the west side of the HSR/G4 band north of 黎阳路, "
         "only where no residential block lies (width and extent assumed)", "schematic", True,
         hsr_belt, HSR_BELT_M),
        ("huaxia-central-green-belt", "华夏南路中央绿带", "Huaxia South Road central green belt",
         "boulevard_green_belt",
         f"{PLAN} 第十六章 “延续和优化华夏南路中央绿带”; {HUAXIA_BELT_M:.0f} m wide on "
         "the 华夏路 line from 鹤壁东站 to 九州路 (华夏南路 taken as the part south of 九州路; "
         "width assumed)", "low", True, huaxia_belt, HUAXIA_BELT_M),
        ("longgang-lake-park", "景观湖滨湖公园（示意）", "Landscape lake park (illustrative)",
         "lake_park",
         f"{PLAN} 第十六章 龙岗创新创业园以景观湖为核心; a {LAKE_PARK_RING_M:.0f} m ring of "
         f"lakeside park around the 景观湖 ({PLACES} §3; ring and width assumed)", "schematic",
         False, lake_ring, LAKE_PARK_RING_M),
        ("hsr-east-green-belt", "高速高铁两侧风景防护林（东侧）",
         "Green belt east of the HSR/G4", "corridor_green_belt",
         f"{forest}; the east side: a {HSR_BELT_M:.0f} m strip along the east side of the "
         "HSR/G4 band north of 黎阳路 (width and extent assumed)", "schematic", True,
         hsr_east_belt, HSR_BELT_M),
        ("railway-west-green-belt", "京广铁路西风景防护林", "Green belt west of the railway",
         "railway_green_belt",
         f"{forest}; a {RAILWAY_BELT_M:.0f} m strip west of the 京广铁路 ({PLACES} §2 line) "
         "from the 淇河倒虹吸 north (width assumed)", "schematic", True, railway_belt,
         RAILWAY_BELT_M),
    )
    out = []
    for fid, nm, en, kind, src, conf, named, geom_gk, width in specs:
        clear = geom_gk.intersection(qibin).difference(taken)
        geom = polygonal(wgs(clear))
        taken = unary_union([taken, gk(geom)])
        out.append(Feature(fid, nm, en, kind, src, conf, geom, {
            "area_ha": round(area_km2(geom) * 100.0, 2), "location_known": True,
            "named_in_plan": named, "width_m": width,
        }))
    return out


GAIZU_DITCH = (
    (114.2860, 35.7905), (114.2960, 35.7930), (114.3030, 35.7968), (114.3150, 35.7990),
    (114.3300, 35.8020), (114.3500, 35.8040), (114.3640, 35.8010), (114.3800, 35.7960),
    (114.3850, 35.7930),
)
LIUWA_RIVER = (
    (114.3700, 35.7960), (114.3680, 35.7840), (114.3630, 35.7760), (114.3600, 35.7640),
    (114.3560, 35.7480), (114.3540, 35.7300), (114.3560, 35.7100), (114.3600, 35.6950),
)


def water_features(ref: Reference, frame: Frame) -> list[Feature]:
    """淇河 (proxy), the SNWD canal, 盖族沟 and 刘洼河 as lines."""
    upper, lower = (shape(f["geometry"]) for f in ref.qihe)
    assert isinstance(upper, LineString) and isinstance(lower, LineString)
    # The two proxy pieces leave a ~150 m gap at the 淇滨/淇县/浚县 tripoint; join them.
    qihe = LineString([*upper.coords, *lower.coords])
    return [
        Feature("qihe", "淇河", "Qi River", "river",
                "hebi_qihe_proxy.geojson: county-border proxy (淇滨/淇县 then 淇县/浚县), "
                "the two pieces joined end to end; medium only for 114.19–114.28°E, low "
                f"upstream ({PLACES} §4; west of ~114.19°E the border probably leaves the "
                "river): the weaker level for the whole line", "low", qihe,
                {"method": "county-border proxy", "location_known": True}),
        Feature("snwd-canal", "南水北调中线总干渠", "South-to-North Water Diversion middle route",
                "canal", "hebi_anchor_points.geojson: SNWD gates/offtakes joined in order "
                f"({PLACES} §4)", "medium", frame.canal,
                {"method": "gates joined", "location_known": True}),
        Feature("gaizu-ditch", "盖族沟", "Gaizu ditch", "drainage_channel",
                f"{PLAN} 专栏9 “对盖族沟(开发区段)进行综合治理”; water article: 北部盖族沟; "
                f"{PLACES} §4 drawn W→E just north of 北环路", "low", line(GAIZU_DITCH),
                {"method": "schematic", "location_known": True}),
        Feature("liuwa-river", "刘洼河", "Liuwa River", "river",
                f"{PLAN} 第十四章 “加快刘洼河综合治理,疏通城东片区内部水系”; {PLACES} §4 drawn "
                "N→S east of the G4 through 城东/东区",
                "low", line(LIUWA_RIVER), {"method": "schematic", "location_known": True}),
        Feature("beicheng-water", "北城水系河渠（城市北部水系）", "North city water channels",
                "drainage_channel",
                f"{PLAN} 专栏9 “北城水系河渠开挖”; 专栏10 “城市北部水系”; 第十四章 "
                "“形成城北片区水系与新城组团整体贯通”: no course given, not drawn", "low", None,
                {"method": "not drawn", "location_known": False}),
    ]
