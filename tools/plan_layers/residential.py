"""Living circles and residential communities."""

from __future__ import annotations

from typing import Any

from shapely.geometry import (
    Point,
    Polygon,
    box,
)
from shapely.geometry.base import BaseGeometry
from shapely.ops import polygonize, unary_union

from tools.plan_layers.geometry import (
    DENSITY_NEW_TOWN,
    DENSITY_RESETTLED,
    PLACES,
    PLAN,
    RADIUS_5MIN_M,
    RADIUS_10MIN_M,
    Feature,
    circle,
    gk,
    polygonal,
    wgs,
)
from tools.plan_layers.green import FITNESS_CENTRE
from tools.plan_layers.reference import Frame
from tools.plan_layers.roads import RESIDENTIAL_AREAS, RoadPiece

# --- life circles -------------------------------------------------------------------------------

# 第十五章 (line 291) names the circles; 专栏15 only lists the nine 圈 categories.
CIRCLES_QUOTE = ("打造城东片区黎阳路东段、城北片区全民健身中心周边、"
                 "泰山路外国语中学周边三个十分钟生活圈和镁业小镇等七个五分钟生活圈")

SCHOOL = (114.3048, 35.7618)  # 鹤壁市外国语中学: 泰山路, between 卫河路 and 海河路 (PLACES.md §5)


def _illustrative(n: int, place: str = "", place_en: str = "") -> tuple[str, str]:
    """Name (zh, en) of the n-th five-minute circle the plan counts but does not name."""
    zh = f"{place}，" if place else ""
    en = f"{place_en}; " if place_en else ""
    return (f"示意五分钟生活圈{n:02d}（{zh}规划未具名）",
            f"Illustrative 5-min circle {n:02d} ({en}not named in the plan)")


# (id, name, name_en, minutes, named_in_plan, centre, basis of the centre). A five-minute circle's
# `parent` is computed (see PARENT_SHARE), not declared.
LIFE_CIRCLES: tuple[tuple[str, str, str, int, bool, tuple[float, float], str], ...] = (
    ("lc10-chengdong", "城东片区黎阳路东段十分钟生活圈",
     "10-min circle: Chengdong, east section of Liyang Road", 10, True, (114.345, 35.755),
     f"{PLACES} §6 ≈(114.345,35.755), 黎阳东路 east of the G4"),
    ("lc10-chengbei", "城北片区全民健身中心周边十分钟生活圈",
     "10-min circle: Chengbei, around the National Fitness Centre", 10, True, FITNESS_CENTRE,
     "centred on the 全民健身中心 (green layer)"),
    ("lc10-taishan", "泰山路外国语中学周边十分钟生活圈",
     "10-min circle: around the Foreign Language Middle School, Taishan Road", 10, True, SCHOOL,
     "centred on 鹤壁市外国语中学 (facilities layer)"),
    ("lc5-meiye", "镁业小镇五分钟生活圈", "5-min circle: magnesium town", 5, True,
     (114.2365, 35.7770), "centre of 镁业小镇 on 渤海路西段"),
    ("lc5-chengbei-west", *_illustrative(1), 5, False,
     (114.2930, 35.7865), "兴鹤社区 (assumed)"),
    ("lc5-chengbei-east", *_illustrative(2), 5, False,
     (114.2995, 35.7900),
     "residential blocks north-east of 兴鹤社区 (assumed)"),
    ("lc5-taishan-west", *_illustrative(3), 5, False,
     (114.3015, 35.7625),
     "residential blocks west of 泰山路 (assumed)"),
    ("lc5-taishan-east", *_illustrative(4), 5, False,
     (114.3090, 35.7660), "residential blocks east of 泰山路 (assumed)"),
    ("lc5-chengdong", *_illustrative(5), 5, False,
     (114.3455, 35.7570),
     "residential blocks of 城东 by 黎阳东路 (assumed)"),
    # 第十六章 gives the 人才社区 a 生活圈 (“形成安居乐业的生活圈”) but neither its tier nor a
    # name (the plan names only 镁业小镇 among the seven): a schematic, unnamed five-minute circle.
    ("lc5-rencai", *_illustrative(6, "人才社区", "talent community"), 5, False,
     (114.3674, 35.7900),
     # No quotation here: the source quotes the circle sentence; S104 quotes this one.
     "the 人才社区 homes east of the core, where 第十六章 says a 生活圈 forms (statement S104)"),
)


# A five-minute circle is filed under (所属) the ten-minute circle holding more than this share of
# its area; one mostly outside every ten-minute circle has no parent (the plan nests none).
PARENT_SHARE = 0.5


def life_circle_features(frame: Frame, bonded: BaseGeometry) -> list[Feature]:
    """3 ten-minute and 7 five-minute circles, GB 50180 radii, clipped to 淇滨区 minus the zone."""
    out = []
    for fid, nm, en, minutes, named, (lon, lat), basis in LIFE_CIRCLES:
        radius = RADIUS_10MIN_M if minutes == 10 else RADIUS_5MIN_M
        geom = polygonal(circle(lon, lat, radius).intersection(frame.qibin).difference(bonded))
        src = (f"{PLAN} 第十五章 “{CIRCLES_QUOTE}”: " + ("named in the plan" if named else
               "the plan counts 7 five-minute circles but names only 镁业小镇; placed at a "
               "residential cluster") + f"; centre: {basis}; radius {radius:.0f} m "
               "(straight-line radius taken from the GB 50180-2018 walking distance of the tier; "
               "schematic)")
        extra: dict[str, Any] = {
            "minutes": minutes, "named_in_plan": named, "radius_m": int(radius), "parent": None,
        }
        out.append(Feature(fid, nm, en, "life_circle", src, "low" if named else "schematic",
                           geom, extra))
    tens = [(c.id, gk(c.geometry)) for c in out
            if c.extra["minutes"] == 10 and c.geometry is not None]
    for c in out:
        if c.extra["minutes"] != 5 or c.geometry is None:
            continue
        own = gk(c.geometry)
        share, pid = max((own.intersection(g).area / own.area, tid) for tid, g in tens)
        c.extra["parent"] = pid if share > PARENT_SHARE else None
    return out


# --- residential communities --------------------------------------------------------------------

BLOCK_SETBACK_M = 10.0  # half a street plus pavement
WATER_SETBACK_M = 15.0  # channel and bank of a river or ditch
MIN_BLOCK_M2 = 5_000.0

# The communities the plan names that some evidence places, each given the street block nearest
# this point: 兴鹤社区 by its name beside 兴鹤大街, 松江铭苑 by PLACES.md §5 (near 松江路). The
# others the plan names (鹤鸣, 北国之春, 香山, 八角, 杨庄, 中鹤) have no evidence of position: they
# are listed in the plan projects with no geometry (tools.plan_layers.industry.PROJECTS), and
# the blocks they used to claim are illustrative blocks. A 村改居社区 (第一章: 鹤鸣社区) would get
# the resettled-village density; the 城市棚户区改造 ones (专栏10: 兴鹤、杨庄、八角) are urban
# redevelopment and get the new-town density like the rest.
NAMED_COMMUNITIES: tuple[tuple[str, str, str, bool, float, float], ...] = (
    ("xinghe-community", "兴鹤社区", "Xinghe community", False, 114.2935, 35.7850),
    ("songjiang-mingyuan", "松江铭苑", "Songjiang Mingyuan", False, 114.3095, 35.7750),
)

# What the plan says of each named community: (chapter, verbatim words, 街道 the text puts it
# in or None).
COMMUNITY_TEXT: dict[str, tuple[str, str, str | None]] = {
    "xinghe-community": ("第十五章/专栏10/专栏12",
                         "海河路街道兴鹤社区、中鹤社区服务群众应急保障中心", "海河路街道"),
    "songjiang-mingyuan": ("第十五章", "全力推进兴鹤社区、八角社区、松江铭苑、香山社区等项目建设",
                           None),
}

# What places each drawn named community (the evidence for its spot).
COMMUNITY_SPOT: dict[str, str] = {
    "xinghe-community": "beside 兴鹤大街 (by its name; the spot along the street is assumed)",
    "songjiang-mingyuan": f"near 松江路 ({PLACES} §5: 松江小学 (松江铭苑, 松江初高中), name match)",
}


# The kind of community the plan's words make it (for the density), by id.
COMMUNITY_KIND: dict[str, str] = {
    "xinghe-community": "专栏10 “城市棚户区改造”: urban redevelopment",
}


def _blocks(
    pieces: list[RoadPiece], within_gk: BaseGeometry, exclude_gk: BaseGeometry
) -> list[tuple[str, Polygon]]:
    """Street blocks (EPSG:4547) inside the residential areas, tagged with the area prefix."""
    network = unary_union([p.geom for p in pieces])
    faces = list(polygonize(network))
    # Streets that stop at a park edge are dangles polygonize ignores: cut them out too.
    exclude_gk = unary_union([exclude_gk, network.buffer(BLOCK_SETBACK_M)])
    out: list[tuple[str, Polygon]] = []
    for prefix, _, _, bounds in RESIDENTIAL_AREAS:
        area = gk(box(*bounds)).intersection(within_gk)
        found: list[Polygon] = []
        for face in faces:
            part = face.buffer(-BLOCK_SETBACK_M).intersection(area).difference(exclude_gk)
            found.extend(
                g for g in getattr(part, "geoms", [part])
                if isinstance(g, Polygon) and g.area >= MIN_BLOCK_M2
            )
        # Number blocks north to south, then west to east (stable ids).
        found.sort(key=lambda g: (-round(g.centroid.y, -1), round(g.centroid.x, -1)))
        out.extend((prefix, g) for g in found)
    return out


def community_features(
    pieces: list[RoadPiece], frame: Frame, green: list[Feature], water: list[Feature]
) -> list[Feature]:
    """Residential blocks with a population estimate from area × typical density.

    Blocks leave out green areas and a strip along the water lines.
    """
    exclude = unary_union(
        [gk(f.geometry) for f in green if f.geometry is not None]
        + [gk(f.geometry).buffer(WATER_SETBACK_M) for f in water if f.geometry is not None]
    )
    counters: dict[str, int] = {}
    claimed: set[str] = set()
    out = []
    blocks = _blocks(pieces, gk(frame.qibin), exclude)
    # Each named community takes the nearest street block not already taken.
    owner: dict[int, tuple[str, str, str, bool, float, float]] = {}
    for community in NAMED_COMMUNITIES:
        at = gk(Point(community[4], community[5]))
        free = [i for i in range(len(blocks)) if i not in owner]
        owner[min(free, key=lambda i: blocks[i][1].distance(at))] = community
    for k, (prefix, block_gk) in enumerate(blocks):
        block = wgs(block_gk)
        named = [owner[k]] if k in owner else []
        if named:
            fid, nm, en, resettled = named[0][:4]
            claimed.add(fid)
        else:
            counters[prefix] = counters.get(prefix, 0) + 1
            n = counters[prefix]
            fid, resettled = f"{prefix}-block-{n:02d}", False
            nm = f"示意街坊{sum(counters.values()):03d}（规划未具名）"
            en = f"Illustrative block {sum(counters.values()):03d} (not named in the plan)"
        km2 = block_gk.area / 1e6
        density = DENSITY_RESETTLED if resettled else DENSITY_NEW_TOWN
        basis = (
            f"area {km2:.3f} km² (EPSG:4547) × {density / 1e4:.1f}万人/km² "
            + ("(resettled-village community, multi-storey: ~60 % of the new-town density)"
               if resettled else
               "(Hebi new town: ~30万 residents on 35 km² built-up, ~30 % residential)")
            + (f"; the plan's kind: {COMMUNITY_KIND[fid]}" if fid in COMMUNITY_KIND else "")
            + "; GB 50180-2018 10-min circle: 1.5–2.5万 residents on 32–50 ha"
        )
        office: str | None = None
        if named:
            chapter, words, office = COMMUNITY_TEXT[fid]
            src = (f"{PLAN} {chapter} “{words}”; position: {COMMUNITY_SPOT[fid]}; its street "
                   "block is the nearest free one to that point (assumed)")
        else:
            src = ("示意街坊（规划未具名）: plausible residential street block in a life circle "
                   "(not in the plan)")
        out.append(Feature(fid, nm, en, "residential_community", src,
                           "low" if named else "schematic", block, {
            "population": int(round(km2 * density, -1)), "population_basis": basis,
            "named_in_plan": bool(named), "area_km2": round(km2, 4), "street_office": office,
        }))
    missing = {c[0] for c in NAMED_COMMUNITIES} - claimed
    if missing:
        raise ValueError(f"named communities without a block: {sorted(missing)}")
    return out
