"""The plan structure: 一廊, 两脊, 七轴 and 七大节点."""

from __future__ import annotations

from shapely.geometry import (
    LineString,
)

from tools.plan_layers.geometry import PLACES, PLAN, Feature, crossing
from tools.plan_layers.roads import RoadPiece, road_line

# --- plan structure: corridor, spines, axes, nodes ----------------------------------------------

STRUCTURE_SOURCE = f"{PLAN} 空间布局“一廊两脊七轴七节点”"


def structure_features(pieces: list[RoadPiece]) -> dict[str, list[Feature]]:
    """一廊, 两脊, 七轴 and 七大节点 (schematic lines following the roads they are named after)."""
    bohai = road_line(pieces, "bohai-rd")
    # The corridor reaches on east to the 生态田园板块 at the 浚县 border.
    corridor_geom = LineString([*bohai.coords, (114.3765, 35.7719)])
    corridor = Feature(
        "bohai-corridor", "渤海路创智服务走廊", "Bohai Road innovation service corridor",
        "corridor", f"{STRUCTURE_SOURCE}（一廊）; follows 渤海路 ({PLACES} §6)", "schematic",
        corridor_geom,
        {"links": ["金山研发孵化服务中心", "北部新城孵化节点", "龙岗工业园", "生态田园板块"]},
    )
    huaxia = road_line(pieces, "huaxia-rd")
    songshan = road_line(pieces, "songshan-rd")
    spine1 = LineString([*huaxia.coords, *songshan.coords[1:]])
    tianlai = road_line(pieces, "tianlai-st")
    spines = [
        Feature("huaxia-spine", "华夏路城市脊", "Huaxia Road city spine", "spine",
                f"{STRUCTURE_SOURCE}（两脊）; 华夏路 from 鹤壁东站 north, continued by 嵩山路",
                "schematic", spine1, {"road": "华夏路"}),
        Feature("tianlai-spine", "天赉大街城市脊", "Tianlai Street city spine", "spine",
                f"{STRUCTURE_SOURCE}（两脊）; 天赉大街/天赉北大街 east of the HSR/G4",
                "schematic", tianlai, {"road": "天赉大街"}),
    ]
    hengshan = road_line(pieces, "hengshan-rd")
    axis_geoms: list[tuple[str, str, str, LineString, bool, str, str]] = [
        ("bohai-axis", "渤海路创智服务联动轴", "Bohai Road innovation service axis", bohai,
         True, "schematic", "follows 渤海路"),
        ("beihuan-axis", "北环路区域交通联系轴", "North Ring Road regional transport axis",
         road_line(pieces, "beihuan-rd"), True, "schematic", "follows 北环路"),
        ("xueer-axis", "学而大街区域交通联系轴", "Xue'er Street regional transport axis",
         road_line(pieces, "xueer-st"), True, "schematic",
         "follows 学而大街, whose position is assumed (N-S in 龙岗)"),
        ("dabai-axis", "大白线区域交通联系轴", "Dabai road regional transport axis",
         road_line(pieces, "dabai-rd"), True, "schematic",
         "follows 大白线 (新大白线北段 through 镁业小镇 to 大赉店/鹤壁站)"),
        ("liyang-axis", "黎阳路产城服务联动轴", "Liyang Road industry-city service axis",
         LineString([*road_line(pieces, "liyang-rd").coords]), True, "schematic",
         "follows 黎阳路/黎阳东路"),
        ("kexue-axis", "科学大道综合服务联动轴", "Kexue Avenue comprehensive service axis",
         road_line(pieces, "kexue-ave"), True, "schematic", "follows 科学大道"),
        ("hengshan-axis", "衡山路联动轴（第七轴，规划未具名）",
         "Hengshan Road axis (7th axis, not named in the plan)", hengshan, False, "low",
         "the plan counts seven axes but names six. Best candidate: 衡山路, the only N-S road "
         "that meets 科学大道, 渤海路 and 黎阳路 at the places the plan puts its 外向型经济服务, "
         "孵化园 and 商务及生活综合服务 nodes (bonded-zone road, PLACES.md §3/§6)"),
    ]
    axes = [
        Feature(aid, nm, en, "axis", f"{STRUCTURE_SOURCE}（七轴）; {why}", conf, g,
                {"named_in_plan": named})
        for aid, nm, en, g, named, conf, why in axis_geoms
    ]
    by_id = {a.id: a.geometry for a in axes}
    node_defs = [
        ("waixiang-node", "外向型经济服务节点", "Export-economy service node",
         "kexue-axis", "hengshan-axis", "at the bonded zone (科学大道 × 衡山路)"),
        ("fuhua-node", "孵化园节点", "Incubator park node",
         "bohai-axis", "hengshan-axis", "北部新城孵化节点 on 渤海路"),
        ("shangwu-node", "商务及生活综合服务节点", "Business and living service node",
         "liyang-axis", "hengshan-axis", "黎阳路 near the city centre"),
        ("chuangxin-node", "创新园节点", "Innovation park node",
         "bohai-axis", "xueer-axis", "龙岗创新创业园 on 渤海路"),
        ("zhizao-node", "智能制造产业服务节点", "Smart-manufacturing service node",
         "kexue-axis", "xueer-axis", "龙岗 on 科学大道"),
        ("chanye-node", "产业服务节点", "Industry service node",
         "liyang-axis", "xueer-axis", "城东 industrial area on 黎阳东路"),
        ("dushi-node", "都市型产业服务节点", "Urban-industry service node",
         "bohai-axis", "dabai-axis", "金山/镁业小镇 on 渤海路西段"),
    ]
    nodes = []
    for nid, nm, en, a1, a2, where in node_defs:
        g1, g2 = by_id[a1], by_id[a2]
        assert g1 is not None and g2 is not None
        nodes.append(Feature(
            nid, nm, en, "node",
            f"{STRUCTURE_SOURCE}（七大节点）; crossing of {a1} × {a2}: {where} "
            f"(assignment of names to crossings follows {PLACES} §6)",
            "schematic", crossing(g1, g2), {"axes": [a1, a2]},
        ))
    return {"corridor": [corridor], "spines": spines, "axes": axes, "nodes": nodes}
