"""The plan structure (第十五章): 一廊, 两脊, 七轴 and 七大节点."""

from __future__ import annotations

from shapely.geometry import LineString

from tools.plan_layers.geometry import PLACES, PLAN, Feature, crossing
from tools.plan_layers.roads import RoadPiece, road_line

# --- plan structure: corridor, spines, axes, nodes ----------------------------------------------

CH15 = f"{PLAN} 第十五章"
CORRIDOR_WORDS = ("东西贯通渤海路创智服务走廊,连接金山研发孵化服务中心、北部新城孵化节点、"
                  "龙岗工业园和生态田园板块")
AXES_WORDS = "等七条板块联动轴"
NODES_WORDS = "于轴线交汇处"
XINGHE_HINT = ("沿兴鹤大街、渤海路、延河路,形成共享型双创功能节点,"
               "进一步完善兴鹤大街功能形象,打造轴线")

# (id, name, name_en, road id, the road's role in the words)
NAMED_AXES: tuple[tuple[str, str, str, str], ...] = (
    ("bohai-axis", "渤海路创智服务联动轴", "Bohai Road innovation service axis", "bohai-rd"),
    ("beihuan-axis", "北环路区域交通联系轴", "North Ring Road regional transport axis",
     "beihuan-rd"),
    ("xueer-axis", "学而大街区域交通联系轴", "Xue'er Street regional transport axis", "xueer-st"),
    ("dabai-axis", "大白线区域交通联系轴", "Dabai road regional transport axis", "dabai-rd"),
    ("liyang-axis", "黎阳路产城服务联动轴", "Liyang Road industry-city service axis", "liyang-rd"),
    ("kexue-axis", "科学大道综合服务联动轴", "Kexue Avenue comprehensive service axis",
     "kexue-ave"),
)

# (id, name, name_en, axis 1, axis 2, what the text ties the node to, or that it ties none), in
# the plan's order (第十五章, line 281: 外向型经济服务, 产业服务, 孵化园, 创新园, …).
NODE_DEFS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("waixiang-node", "外向型经济服务节点", "Export-economy service node",
     "kexue-axis", "xinghe-axis",
     "tied to the 综合保税区 (第十六章: 综保区 “促进开发区外向型经济发展”): the axis crossing "
     "nearest the zone, on 科学大道, one of its first roads"),
    ("chanye-node", "产业服务节点", "Industry service node", "bohai-axis", "dabai-axis",
     "the text ties no place to this node; the nearest wording is 第十三章 镁业小镇 “产业服务” "
     "among its functions: placed at 渤海路 × 大白线 in 镁业小镇 (schematic)"),
    ("fuhua-node", "孵化园节点", "Incubator park node", "bohai-axis", "xinghe-axis",
     "the 北部新城孵化节点 of the 一廊 (第十五章) and the 双创 nodes 第十六章 strings along "
     "兴鹤大街、渤海路: 渤海路 × 兴鹤大街 inside 北部新城"),
    ("chuangxin-node", "创新园节点", "Innovation park node", "kexue-axis", "xueer-axis",
     "tied to 龙岗创新创业园 (第十三章/第十六章): the crossing inside 龙岗 nearest its core"),
    ("zhizao-node", "智能制造产业服务节点", "Smart-manufacturing service node",
     "liyang-axis", "xueer-axis",
     # Not 第十六章's 核心区外围 智能制造 parks: those lie inside 龙岗, and this crossing does not.
     "the text places no node; its only tie is 专栏11 “协同鹤壁东区智能制造产业园” (line 307): "
     "placed at the crossing towards 鹤壁东区 (position inferred, schematic)"),
    ("dushi-node", "都市型产业服务节点", "Urban-industry service node", "bohai-axis", "xueer-axis",
     "tied to 龙岗's 西南部 光电子和都市产业板块 (专栏11): the crossing in that board"),
    ("shangwu-node", "商务及生活综合服务节点", "Business and living service node",
     "liyang-axis", "xinghe-axis",
     "the text ties no place to this node: placed at 黎阳路 × 兴鹤大街 near the city centre "
     "(schematic)"),
)


def structure_features(pieces: list[RoadPiece]) -> dict[str, list[Feature]]:
    """一廊, 两脊, 七轴 and 七大节点 (schematic lines following the roads they are named after)."""
    bohai = road_line(pieces, "bohai-rd")
    # The corridor reaches on east into the 生态田园板块 at the 浚县 border.
    corridor_geom = LineString([*bohai.coords, (114.3765, 35.7719)])
    corridor = Feature(
        "bohai-corridor", "渤海路创智服务走廊", "Bohai Road innovation service corridor",
        "corridor", f"{CH15} “{CORRIDOR_WORDS}”; follows 渤海路 ({PLACES} §6)", "schematic",
        corridor_geom,
        {"links": ["金山研发孵化服务中心", "北部新城孵化节点", "龙岗工业园", "生态田园板块"]},
    )
    huaxia = road_line(pieces, "huaxia-rd")
    songshan = road_line(pieces, "songshan-rd")
    spine1 = LineString([*huaxia.coords, *songshan.coords[1:]])
    tianlai = road_line(pieces, "tianlai-st")
    spine_src = f"{CH15} “延展华夏路、天赉大街城市主脊,对接城市发展轴线”"
    spines = [
        Feature("huaxia-spine", "华夏路城市主脊", "Huaxia Road main city spine", "spine",
                f"{spine_src}; 华夏路 from 鹤壁东站 north, continued by 嵩山路 (assumed)",
                "schematic", spine1, {"road": "华夏路"}),
        Feature("tianlai-spine", "天赉大街城市主脊", "Tianlai Street main city spine", "spine",
                f"{spine_src}; 天赉大街/天赉北大街 east of the HSR/G4",
                "schematic", tianlai, {"road": "天赉大街"}),
    ]
    axes = [
        Feature(aid, nm, en, "axis",
                f"{CH15} “{nm}”…“{AXES_WORDS}”; follows {road_line_name(rid)}",
                "schematic", road_line(pieces, rid), {"named_in_plan": True})
        for aid, nm, en, rid in NAMED_AXES
    ]
    # The plan counts seven axes and names six. Its own hint for another: 第十六章 builds an
    # axis along 兴鹤大街 (打造轴线), and 两脊 meet the city's axes. Kept flagged as unnamed.
    axes.append(Feature(
        "xinghe-axis", "兴鹤大街轴线（第七轴，联动轴列表未具名）",
        "Xinghe Street axis (7th axis, not in the plan's list)", "axis",
        f"{CH15}: counts seven axes (“{AXES_WORDS}”) and names six; the plan's own hint for "
        f"the seventh: 第十六章 “{XINGHE_HINT}”; follows 兴鹤大街 (兴鹤大街北延)",
        "schematic", road_line(pieces, "xinghe-st"), {"named_in_plan": False},
    ))
    by_id = {a.id: a.geometry for a in axes}
    nodes = []
    for nid, nm, en, a1, a2, where in NODE_DEFS:
        g1, g2 = by_id[a1], by_id[a2]
        assert g1 is not None and g2 is not None
        nodes.append(Feature(
            nid, nm, en, "node",
            f"{CH15} “{NODES_WORDS},塑造外向型经济服务、产业服务、孵化园、创新园、"
            f"智能制造产业服务、都市型产业服务、商务及生活综合服务等七大节点”; "
            f"crossing of {a1} × {a2}: {where}",
            "schematic", crossing(g1, g2), {"axes": [a1, a2]},
        ))
    return {"corridor": [corridor], "spines": spines, "axes": axes, "nodes": nodes}


_ROAD_NAMES = {
    "bohai-rd": "渤海路", "beihuan-rd": "北环路", "xueer-st": "学而大街 (position assumed)",
    "dabai-rd": "大白线 (新大白线北段 through 镁业小镇 to 大赉店/鹤壁站)",
    "liyang-rd": "黎阳路/黎阳东路", "kexue-ave": "科学大道",
}


def road_line_name(road_id: str) -> str:
    """The road an axis follows, as its source names it."""
    return _ROAD_NAMES[road_id]
