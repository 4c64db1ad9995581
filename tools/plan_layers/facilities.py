"""Service facilities of the nine living-circle categories."""

from __future__ import annotations

from shapely.geometry import (
    Point,
)

from tools.plan_layers.geometry import PLAN, Feature, gk, wgs
from tools.plan_layers.residential import LIFE_CIRCLES, SCHOOL
from tools.plan_layers.roads import RoadPiece, road_line

# --- service facilities -------------------------------------------------------------------------

# facility_type -> (category code, GB 50180 level in minutes, GB 50180 item name, English)
FACILITY_TYPES: dict[str, tuple[str, int, str, str]] = {
    "kindergarten": ("education", 5, "幼儿园", "kindergarten"),
    "primary_school": ("education", 10, "小学", "primary school"),
    "middle_school": ("education", 15, "初中", "middle school"),
    # A school the plan names with a 高级中学 part (松江初级及高级中学, 龙岗…初中高中).
    # GB 50180-2018 has no 高中 in any 5/10/15-minute tier, so only its 初中 part is a
    # life-circle item: it is counted as a 初中 (the GB 50180 item), its type says it has a
    # high-school section too.
    "middle_high_school": ("education", 15, "初中", "middle and high school"),
    "health_station": ("health", 5, "社区卫生服务站", "community health station"),
    "health_centre": ("health", 15, "社区卫生服务中心", "community health centre"),
    "elderly_day_care": ("elderly", 5, "老年人日间照料中心", "elderly day-care centre"),
    "nursing_home": ("elderly", 15, "养老院", "nursing home"),
    "fitness_site": ("fitness", 5, "室外综合健身场地", "outdoor fitness site"),
    "sports_field": ("fitness", 10, "中型多功能运动场地", "multi-sport ground"),
    "sports_park": ("fitness", 15, "体育公园", "sports park"),
    "fitness_centre": ("fitness", 15, "全民健身中心", "national fitness centre"),
    "culture_station": ("culture", 5, "文化活动站", "culture station"),
    "culture_centre": ("culture", 15, "文化活动中心", "culture centre"),
    "community_service_station": ("comprehensive", 5, "社区服务站", "community service station"),
    "community_service_centre": ("comprehensive", 15, "社区服务中心", "community service centre"),
    "convenience_store": ("commerce", 5, "便利店", "convenience store"),
    "market": ("commerce", 10, "菜市场", "fresh market"),
    "community_shop": ("commerce", 5, "社区商业网点", "community shop (supermarket/pharmacy)"),
    "fresh_supermarket": ("commerce", 10, "生鲜超市", "fresh-food supermarket"),
    "mall": ("commerce", 15, "商场", "shopping centre"),
    "bus_stop": ("green_mobility", 10, "公交车站", "bus stop"),
    # GB 50180-2018 lists 公交车站 at the 5-minute tier too (社区服务设施, ≤300 m service radius:
    # general knowledge, not checked against the published text); a stop inside a 5-minute circle
    # serves that tier. A separate type, so that each type keeps one level.
    "bus_stop_5min": ("green_mobility", 5, "公交车站", "bus stop (5-minute tier)"),
    "bus_terminal": ("green_mobility", 15, "公交首末站", "bus terminus"),
    "waste_collection": ("sanitation", 5, "生活垃圾收集站", "waste collection point"),
    "public_toilet": ("sanitation", 5, "公共厕所", "public toilet"),
    "waste_transfer": ("sanitation", 15, "垃圾转运站", "waste transfer station"),
}

# (id, name, facility_type, lon, lat, named_in_plan). Named ones are the facilities the plan
# lists; the rest are plausible GB 50180 provision for the residential clusters.
FACILITIES: tuple[tuple[str, str, str, float, float, bool], ...] = (
    # 城北片区 (全民健身中心 10-min circle)
    ("cb-kindergarten-1", "城北片区幼儿园", "kindergarten", 114.2930, 35.7850, False),
    ("cb-kindergarten-2", "北国之春幼儿园", "kindergarten", 114.3005, 35.7905, False),
    ("cb-primary", "城北片区小学", "primary_school", 114.2903, 35.7875, False),
    ("cb-health-station", "城北社区卫生服务站", "health_station", 114.2938, 35.7880, False),
    ("cb-day-care", "城北日间照料中心", "elderly_day_care", 114.2925, 35.7898, False),
    ("cb-nursing-home", "城北养老院", "nursing_home", 114.2905, 35.7815, False),
    ("cb-culture-station", "城北文化活动站", "culture_station", 114.2945, 35.7868, False),
    ("cb-culture-centre", "城北文化活动中心", "culture_centre", 114.2965, 35.7830, False),
    ("cb-service-station", "城北党群服务站", "community_service_station", 114.2925, 35.7845,
     False),
    ("cb-service-centre", "城北社区服务中心", "community_service_centre", 114.2943, 35.7822,
     False),
    ("cb-market", "城北菜市场", "market", 114.2905, 35.7828, False),
    ("cb-convenience-1", "北国之春便利店", "convenience_store", 114.3000, 35.7880, False),
    ("cb-convenience-2", "鹤鸣便利店", "convenience_store", 114.2928, 35.7912, False),
    ("cb-fitness-site", "北国之春健身场地", "fitness_site", 114.3008, 35.7925, False),
    ("cb-toilet", "城北公共厕所", "public_toilet", 114.2975, 35.7865, False),
    ("cb-waste-collection", "城北垃圾收集站", "waste_collection", 114.2906, 35.7906, False),
    ("cb-waste-transfer", "垃圾中转站", "waste_transfer", 114.2875, 35.7870, True),
    ("cb-east-health-station", "北国之春卫生服务站", "health_station", 114.3000, 35.7895, False),
    ("cb-east-day-care", "北国之春日间照料中心", "elderly_day_care", 114.3010, 35.7910, False),
    ("cb-east-culture-station", "北国之春文化活动站", "culture_station", 114.2995, 35.7912,
     False),
    ("cb-east-service-station", "北国之春社区服务站", "community_service_station", 114.3010,
     35.7880, False),
    # 泰山路外国语中学片区
    ("tw-foreign-school", "鹤壁市外国语中学", "middle_school", *SCHOOL, True),
    ("tw-kindergarten-1", "香山幼儿园", "kindergarten", 114.2995, 35.7645, False),
    ("tw-kindergarten-2", "泰山路东幼儿园", "kindergarten", 114.3120, 35.7620, False),
    ("tw-primary", "泰山路小学", "primary_school", 114.3090, 35.7645, False),
    ("tw-health-centre", "社区卫生服务中心", "health_centre", 114.3095, 35.7588, True),
    ("tw-health-station", "香山社区卫生服务站", "health_station", 114.3000, 35.7675, False),
    ("tw-day-care", "日间照料中心", "elderly_day_care", 114.3030, 35.7590, True),
    ("tw-nursing-home", "养老院", "nursing_home", 114.3122, 35.7680, True),
    ("tw-culture-centre", "泰山路文化活动中心", "culture_centre", 114.3030, 35.7675, False),
    ("tw-culture-station", "泰山路文化活动站", "culture_station", 114.3122, 35.7595, False),
    ("tw-service-centre", "香山社区服务中心", "community_service_centre", 114.3000, 35.7590,
     False),
    ("tw-service-station", "泰山路社区服务站", "community_service_station", 114.3085, 35.7675,
     False),
    ("tw-market", "泰山路菜市场", "market", 114.3085, 35.7615, False),
    ("tw-mall", "黎阳路商业中心", "mall", 114.2990, 35.7562, False),
    ("tw-convenience", "泰山路便利店", "convenience_store", 114.3125, 35.7650, False),
    ("tw-fitness-site", "泰山路健身场地", "fitness_site", 114.3060, 35.7682, False),
    ("tw-sports-field", "外国语中学运动场", "sports_field", 114.3022, 35.7648, False),
    ("tw-toilet", "泰山路公共厕所", "public_toilet", 114.3040, 35.7668, False),
    ("tw-waste-collection", "泰山路垃圾收集站", "waste_collection", 114.3128, 35.7565, False),
    ("tw-west-health-station", "香山卫生服务站", "health_station", 114.3010, 35.7612, False),
    ("tw-west-culture-station", "香山文化活动站", "culture_station", 114.3000, 35.7630, False),
    ("tw-west-service-station", "香山社区服务站", "community_service_station", 114.3022,
     35.7605, False),
    ("tw-west-convenience", "香山便利店", "convenience_store", 114.3012, 35.7640, False),
    ("tw-west-fitness-site", "香山健身场地", "fitness_site", 114.2995, 35.7615, False),
    ("tw-east-health-station", "泰山路东卫生服务站", "health_station", 114.3095, 35.7655, False),
    ("tw-east-day-care", "泰山路东日间照料中心", "elderly_day_care", 114.3080, 35.7650, False),
    ("tw-east-culture-station", "泰山路东文化活动站", "culture_station", 114.3100, 35.7668,
     False),
    ("tw-east-fitness-site", "泰山路东健身场地", "fitness_site", 114.3075, 35.7640, False),
    # 松江路
    ("sj-primary", "松江小学", "primary_school", 114.3125, 35.7757, True),
    ("sj-middle", "松江初高中", "middle_high_school", 114.3140, 35.7742, True),
    ("sj-kindergarten", "松江铭苑幼儿园", "kindergarten", 114.3095, 35.7740, False),
    ("sj-convenience", "松江铭苑便利店", "convenience_store", 114.3100, 35.7760, False),
    # 城东片区 (黎阳路东段 10-min circle)
    ("cd-kindergarten", "城东幼儿园", "kindergarten", 114.3450, 35.7590, False),
    ("cd-primary", "城东小学", "primary_school", 114.3505, 35.7540, False),
    ("cd-middle", "城东初中", "middle_school", 114.3510, 35.7600, False),
    ("cd-health-station", "城东社区卫生服务站", "health_station", 114.3440, 35.7528, False),
    ("cd-health-centre", "城东社区卫生服务中心", "health_centre", 114.3460, 35.7495, False),
    ("cd-day-care", "城东日间照料中心", "elderly_day_care", 114.3465, 35.7562, False),
    ("cd-nursing-home", "城东养老院", "nursing_home", 114.3520, 35.7485, False),
    ("cd-culture-station", "城东文化活动站", "culture_station", 114.3435, 35.7605, False),
    ("cd-service-station", "八角社区服务站", "community_service_station", 114.3455, 35.7540,
     False),
    ("cd-service-centre", "城东社区服务中心", "community_service_centre", 114.3465, 35.7617,
     False),
    ("cd-market", "城东菜市场", "market", 114.3495, 35.7568, False),
    ("cd-convenience", "八角便利店", "convenience_store", 114.3440, 35.7562, False),
    ("cd-fitness-site", "城东健身场地", "fitness_site", 114.3500, 35.7612, False),
    ("cd-toilet", "城东公共厕所", "public_toilet", 114.3462, 35.7522, False),
    ("cd-waste-collection", "城东垃圾收集站", "waste_collection", 114.3525, 35.7515, False),
    ("cd-waste-transfer", "城东垃圾转运站", "waste_transfer", 114.3600, 35.7475, False),
    # 镁业小镇
    ("js-kindergarten", "镁业小镇幼儿园", "kindergarten", 114.2355, 35.7782, False),
    ("js-primary", "镁业小镇小学", "primary_school", 114.2400, 35.7792, False),
    ("js-health-station", "镁业小镇卫生服务站", "health_station", 114.2375, 35.7768, False),
    ("js-day-care", "镁业小镇日间照料中心", "elderly_day_care", 114.2345, 35.7765, False),
    ("js-culture-station", "镁业小镇文化活动站", "culture_station", 114.2395, 35.7780, False),
    ("js-service-station", "镁业小镇社区服务站", "community_service_station", 114.2362, 35.7797,
     False),
    ("js-convenience", "镁业小镇便利店", "convenience_store", 114.2370, 35.7762, False),
    ("js-market", "镁业小镇菜市场", "market", 114.2415, 35.7748, False),
    ("js-fitness-site", "镁业小镇健身场地", "fitness_site", 114.2340, 35.7797, False),
    ("js-toilet", "镁业小镇公共厕所", "public_toilet", 114.2405, 35.7765, False),
    ("js-waste-collection", "镁业小镇垃圾收集站", "waste_collection", 114.2335, 35.7762, False),
    # 人才社区 (第十六章: 龙岗's homes are east of the core; they were south of the lake)
    ("rc-kindergarten", "人才社区幼儿园", "kindergarten", 114.3660, 35.7909, False),
    ("rc-health-station", "人才社区卫生服务站", "health_station", 114.3685, 35.7904, False),
    ("rc-day-care", "人才社区日间照料中心", "elderly_day_care", 114.3688, 35.7889, False),
    ("rc-service-station", "人才社区社区服务站", "community_service_station", 114.3662, 35.7894,
     False),
    ("rc-culture-station", "人才社区文化活动站", "culture_station", 114.3660, 35.7884, False),
    ("rc-convenience", "人才社区便利店", "convenience_store", 114.3685, 35.7917, False),
    ("rc-fitness-site", "人才社区健身场地", "fitness_site", 114.3690, 35.7879, False),
    ("rc-waste-collection", "人才社区垃圾收集站", "waste_collection", 114.3692, 35.7929, False),
    # 绿色出行: the bus terminus by 鹤壁站 (east of the railway)
    ("bus-terminal-hebi-station", "鹤壁站公交首末站", "bus_terminal", 114.2712, 35.7571, False),
)

# What a school with a 高级中学 part counts as (see FACILITY_TYPES["middle_high_school"]).
_HIGH_PART = ("the 高级中学 part is in no GB 50180-2018 life-circle tier, so the school counts "
              "as a 初中")

# How sure a named facility's spot is, by what places it (data/geo/README): `low` where its
# name ties it to a located feature or a reference gives the spot (beside 兴鹤社区, the 松江
# schools, 鹤壁市外国语中学; PLACES.md), `schematic` where it only says which park it is in.
# The facilities the plan names and places, by id: (name as the plan names it, chapter and the
# plan's verbatim words, how the spot was chosen, confidence). Where an illustrative facility
# already stood at a fitting spot with the same GB 50180 item, it takes the plan's name there
# (so the coverage analysis keeps its inputs); the others are added below.
PLAN_NAMED: dict[str, tuple[str, str, str, str, str]] = {
    "tw-foreign-school": ("鹤壁市外国语中学", "第十五章/第二十章",
                          "泰山路外国语中学周边", "PLACES.md §5 (泰山路, 卫河路–海河路); the plan "
                          "says 中学 and names no 高级中学 part (专栏15 “市外国语中学及小学”): "
                          "typed as a 初中, the GB 50180-2018 item", "low"),
    "sj-primary": ("松江小学", "第二十章", "以松江小学数字校园建设为契机",
                   "PLACES.md §5 (near 松江路)", "low"),
    "sj-middle": ("松江初高中", "第二十章", "松江初高中",
                  f"PLACES.md §5 (near 松江路); 专栏15 “松江初级及高级中学”: {_HIGH_PART}", "low"),
    "sj-kindergarten": ("松江公立幼儿园", "第二十章/专栏15", "松江公立幼儿园",
                        "beside the 松江 schools (by its name; assumed)", "low"),
    "rc-kindergarten": ("龙岗公立幼儿园", "第二十章/专栏15", "龙岗公立幼儿园",
                        "inside 龙岗 (by its name); spot schematic", "schematic"),
    "js-primary": ("金山学校", "第二十章/专栏15", "金山学校",
                   "inside 金山园区/镁业小镇 (by its name); spot schematic; taken as a primary "
                   "school (the plan gives no level)", "schematic"),
    "cb-primary": ("兴鹤中小学", "专栏15", "兴鹤中小学",
                   "beside 兴鹤社区 (by its name; assumed); its primary part (中小学: a primary "
                   "and a middle school; the middle part is cb-middle at the same spot)",
                   "low"),
    "cb-day-care": ("城北园区日间照料中心", "专栏15",
                    "推进建设城北园区、金山园区社区养老服务体系日间照料中心项目",
                    "inside 城北园区; spot schematic", "schematic"),
    "js-day-care": ("金山园区日间照料中心", "专栏15",
                    "推进建设城北园区、金山园区社区养老服务体系日间照料中心项目",
                    "inside 金山园区; spot schematic", "schematic"),
}
# 北国之春社区巴黎华亭小区日间照料中心 (第一章) is not here: 北国之春 is not located, so the plan
# projects list it with no geometry; the day-care centre that stood for it is illustrative.

PLAN_NAMES_EN: dict[str, str] = {
    "鹤壁市外国语中学": "Hebi Foreign Language Middle School",
    "市外国语小学": "Hebi Foreign Language Primary School",
    "松江小学": "Songjiang Primary School",
    "松江初高中": "Songjiang Middle and High School",
    "松江公立幼儿园": "Songjiang Public Kindergarten",
    "龙岗公立幼儿园": "Longgang Public Kindergarten",
    "金山学校": "Jinshan School",
    "兴鹤中小学": "Xinghe Primary and Middle School",
    "龙岗小学": "Longgang Primary School",
    "龙岗初中高中": "Longgang Middle and High School",
    "松江社区卫生服务中心": "Songjiang Community Health Centre",
    "城北园区日间照料中心": "Chengbei Park Day-Care Centre",
    "金山园区日间照料中心": "Jinshan Park Day-Care Centre",
    "全民健身中心": "National Fitness Centre",
    "嵩山体育公园": "Songshan Sports Park",
}

# Named in the plan and placed by it, added to the illustrative provision:
# (id, name, facility_type, lon, lat, chapter, verbatim words, how, confidence).
PLAN_ADDED: tuple[tuple[str, str, str, float, float, str, str, str, str], ...] = (
    ("tw-foreign-primary", "市外国语小学", "primary_school", 114.3062, 35.7608, "专栏15",
     "重点推进市外国语中学及小学", "beside 鹤壁市外国语中学 (assumed)", "low"),
    ("sj-health-centre", "松江社区卫生服务中心", "health_centre", 114.3110, 35.7745, "专栏15",
     "重点推进松江社区、香江社区、兰庭社区卫生服务中心建设",
     "beside 松江铭苑 and the 松江 schools (by its name; assumed)", "low"),
    # 兴鹤中小学 is a primary and a middle school: its middle part, at the primary's spot.
    ("cb-middle", "兴鹤中小学", "middle_school", 114.2903, 35.7875, "专栏15", "兴鹤中小学",
     "beside 兴鹤社区 (by its name; assumed); its middle part (中小学), at the spot of its "
     "primary part cb-primary", "low"),
    ("lg-primary", "龙岗小学", "primary_school", 114.3706, 35.7907, "专栏15",
     "龙岗小学初中高中", "inside 龙岗 (by its name), beside the 人才社区 homes; spot schematic",
     "schematic"),
    ("lg-middle", "龙岗初中高中", "middle_high_school", 114.3706, 35.7879, "专栏15",
     "龙岗小学初中高中", "inside 龙岗 (by its name), beside the 人才社区 homes; spot schematic; "
     f"its 初中 and 高中: {_HIGH_PART}", "schematic"),
)


# Bus stops: (id, road id, lon, lat near the road) - snapped onto the road centreline.
BUS_STOPS: tuple[tuple[str, str, float, float], ...] = (
    ("bus-xinghe-1", "xinghe-st", 114.2950, 35.7850),
    ("bus-kexue-1", "kexue-ave", 114.2925, 35.7808),
    ("bus-beihuan-1", "beihuan-rd", 114.2935, 35.7908),
    ("bus-taishan-1", "taishan-rd", 114.3060, 35.7620),
    ("bus-hengshan-1", "hengshan-rd", 114.3015, 35.7660),
    ("bus-liyang-1", "liyang-rd", 114.3050, 35.7550),
    ("bus-haihe-1", "haihe-rd", 114.3100, 35.7658),
    ("bus-songjiang-1", "songjiang-rd", 114.3100, 35.7767),
    ("bus-liyang-east-1", "liyang-rd", 114.3450, 35.7542),
    ("bus-tianlai-1", "tianlai-st", 114.3423, 35.7580),
    ("bus-lg-east-1", "lg-east-st", 114.3650, 35.7560),
    ("bus-bohai-jinshan", "bohai-rd", 114.2360, 35.7756),
    ("bus-bohai-longgang", "bohai-rd", 114.3555, 35.7721),
    ("bus-bohai-chengbei", "bohai-rd", 114.2990, 35.7730),
    ("bus-dabai-1", "dabai-rd", 114.2420, 35.7730),
)


# GB 50180-2018 tier items added to SOME living circles only, so that the completeness figures
# have a spread: 城北（西） gets the health station and fresh-food supermarket its southern blocks
# lack, 泰山路（西） a public toilet and 泰山路（东） a waste collection station; the other circles
# keep their health/commerce/sanitation gaps for the planner to see (and test with the what-if
# tool). (id, name, facility_type, circle id, lon, lat, GB 50180-2018 tier of the item)
GB_TIER_SUPPLEMENTS: tuple[tuple[str, str, str, str, float, float, str], ...] = (
    ("cb-west-health-station", "城北（西）社区卫生服务站", "health_station", "lc5-chengbei-west",
     114.2925, 35.7850, "五分钟生活圈 社区卫生服务站"),
    ("cb-west-fresh-supermarket", "城北（西）生鲜超市", "fresh_supermarket", "lc5-chengbei-west",
     114.2940, 35.7862, "十分钟生活圈 菜市场或生鲜超市"),
    ("tw-west-toilet", "香山公共厕所", "public_toilet", "lc5-taishan-west", 114.3032, 35.7612,
     "五分钟生活圈 公共厕所"),
    ("tw-east-waste-collection", "泰山路东生活垃圾收集站", "waste_collection", "lc5-taishan-east",
     114.3070, 35.7660, "五分钟生活圈 生活垃圾收集站"),
)


_BUS_5MIN_SOURCE = (
    "GB 50180-2018 lists 公交车站 among the 5-minute 社区服务设施 (≤300 m service radius: "
    "general knowledge, not checked against the published text)"
)


def facility_features(
    pieces: list[RoadPiece], green: list[Feature], circles: list[Feature]
) -> list[Feature]:
    """Service facilities in the nine categories, with their GB 50180 level.

    The plan's 全民健身中心 and 嵩山体育公园 are both green areas and (at their
    centroids) fitness facilities. A bus stop inside a 5-minute circle serves
    the 5-minute tier; a 5-minute circle with no stop gets one on the main road
    nearest its centre (GB 50180-2018 lists 公交车站 at both tiers).
    """
    out = []

    def make(fid: str, name: str, ftype: str, geom: Point, named: bool, where: str,
             confidence: str = "schematic", basis: str | None = None) -> Feature:
        """A facility feature with the category and level of its type."""
        cat, level, item, item_en = FACILITY_TYPES[ftype]
        src = (f"{PLAN} {where}" if named else
               f"示意设施（规划未具名）: plausible GB 50180-2018 provision (not in the plan); "
               f"position illustrative ({where})")
        if basis:
            src += f"; {basis}"
        # English: the plan's facilities by their type, the others say they are illustrations.
        name_en = (PLAN_NAMES_EN.get(name, item_en) if named else
                   f"Illustrative {item_en} {name.split('（')[0].removeprefix('示意' + item)} "
                   "(not named in the plan)")
        return Feature(fid, name, name_en, ftype, src, confidence, geom, {
            "category": cat, "level_min": level, "facility_type": ftype,
            "facility_type_zh": item, "named_in_plan": named,
        })

    counters: dict[str, int] = {}

    def illustrative(ftype: str) -> str:
        """A name that says the facility is an illustration: no real place's name."""
        item = FACILITY_TYPES[ftype][2]
        counters[item] = counters.get(item, 0) + 1
        return f"示意{item}{counters[item]:02d}（规划未具名）"

    for fid, _old_name, ftype, lon, lat, _named in FACILITIES:
        if fid in PLAN_NAMED:
            name, chapter, words, how, conf = PLAN_NAMED[fid]
            out.append(make(fid, name, ftype, Point(lon, lat), True,
                            f"{chapter} “{words}”; position: {how}", confidence=conf))
        else:
            out.append(make(fid, illustrative(ftype), ftype, Point(lon, lat), False,
                            "inside its residential cluster"))
    for fid, name, ftype, lon, lat, chapter, words, how, conf in PLAN_ADDED:
        out.append(make(fid, name, ftype, Point(lon, lat), True,
                        f"{chapter} “{words}”; position: {how}", confidence=conf))
    areas = {c.id: (c.name, c.geometry) for c in circles}
    for fid, _name, ftype, cid, lon, lat, tier in GB_TIER_SUPPLEMENTS:
        cname, disc = areas[cid]
        pt = Point(lon, lat)
        if disc is None or not disc.contains(pt):
            raise ValueError(f"{fid} is not inside its living circle {cid}")
        out.append(make(fid, illustrative(ftype), ftype, pt, False, f"inside {cid}",
                        basis=(f"GB 50180-2018 {tier}: schematic placement inside {cname} "
                               f"({cid}), not a real facility")))
    parks = {f.id: f.geometry for f in green}
    for fid, name, ftype, park_id, words in (
        ("cb-fitness-centre", "全民健身中心", "fitness_centre", "fitness-centre-park",
         "第二十章 “加快推进全民健身中心、室外体育场、嵩山体育公园等公共设施场所建设”"),
        ("cb-sports-park", "嵩山体育公园", "sports_park", "songshan-sports-park",
         "第十四章 “完善嵩山体育公园、仕佳游园、急速游园等游园绿化景观功能”"),
    ):
        area = parks[park_id]
        assert area is not None
        out.append(make(fid, name, ftype, area.centroid, True,
                        f"{words}; position: centroid of {park_id}", confidence="low"))
    roads = {p.road.id: p.road for p in pieces}
    five = [(c.id, c.name, c.geometry) for c in circles
            if c.extra["minutes"] == 5 and c.geometry is not None]
    for fid, road_id, lon, lat in BUS_STOPS:
        ln = road_line(pieces, road_id)
        pt = ln.interpolate(ln.project(Point(lon, lat)))
        out.append(make(fid, illustrative("bus_stop"), "bus_stop", pt, False,
                        f"on {roads[road_id].name}"))
    # A 5-minute stop for each 5-minute circle (the 10-minute stops above keep their tier: a
    # facility counts at its own level): on the arterial or secondary road (where buses run)
    # nearest the circle centre, at the point of that road closest to the centre; if no main
    # road enters the circle, on the nearest street (a feeder/community bus stop).
    ground = [p for p in pieces if p.bridge_over is None]
    mains = [p for p in ground if p.road.road_class in ("arterial", "secondary")]
    for cid, _cname, geom in five:
        centre = gk(circle_centre(cid))
        assert isinstance(centre, Point)
        for candidates in (mains, ground):
            best = min(candidates, key=lambda p: p.geom.distance(centre))
            stop = wgs(best.geom.interpolate(best.geom.project(centre)))
            assert isinstance(stop, Point)
            if geom.contains(stop):
                break
        else:
            raise ValueError(f"no street inside the 5-minute circle {cid}")
        road = best.road
        out.append(make(f"bus5-{cid.removeprefix('lc5-')}", illustrative("bus_stop_5min"),
                        "bus_stop_5min", stop, False,
                        f"on {road.name}, the point of it nearest {cid}'s centre",
                        basis=f"{_BUS_5MIN_SOURCE}; serves the 5-minute tier of {cid}"))
    return out


def circle_centre(circle_id: str) -> Point:
    """The centre of a living circle as declared in :data:`LIFE_CIRCLES`."""
    for cid, *_rest, (lon, lat), _basis in LIFE_CIRCLES:
        if cid == circle_id:
            return Point(lon, lat)
    raise KeyError(circle_id)
