"""Labels (注记) sent to the web map, and the symbology rules of the first view (issue 12)."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import folium
import geopandas as gpd
import shapely

import layers
from layers.label_text import map_name_en
from layers.schema import MARKERS, LabelRule, LayerSpec, Style
from spatial.service_categories import CATEGORIES
from spatial.webmap import catalogue_payload, decode_geometry
from spatial.webmap_labels import LabelData, label_json


def _labels(layer_id: str, lang: str = "zh") -> dict[str, list]:
    data = json.loads(label_json(layers.get_spec(layer_id), layers.load_layer(layer_id), lang=lang))
    return {row[1]: row for row in data["f"]}


def test_every_structure_element_gets_one_label_from_its_rule() -> None:
    corridor = _labels("corridor")
    name = str(layers.load_layer("corridor")["name"].iloc[0])
    assert list(corridor) == [name]
    kind, _, anchor, length = corridor[name][:4]
    assert kind == "l" and length > 1000  # metres, the longest run of the line
    line = shapely.geometry.shape(decode_geometry([2, anchor]))
    assert line.length > 0
    axes = layers.load_layer("axes")
    # The six axes the plan names; the seventh (兴鹤大街, schematic and not in the plan's list)
    # gets no label, like every schematic feature the plan does not name (the legend shows it).
    named = axes[axes["named_in_plan"].astype(bool)]
    assert set(_labels("axes")) == set(named["name"]) and len(named) == 6
    nodes = _labels("nodes")
    assert len(nodes) == 7 and all(row[0] == "p" for row in nodes.values())
    (zone,) = _labels("bonded_zone").values()
    assert zone[0] == "a" and zone[4][0] > 0 and zone[4][1] > 0  # its extent in degrees
    # The area label's anchor lies inside the zone.
    point = shapely.geometry.shape(decode_geometry([1, zone[2]]))
    assert layers.load_layer("bonded_zone").geometry.iloc[0].buffer(1e-6).contains(point)


def test_segments_of_one_road_share_one_label_and_generated_names_are_not_drawn() -> None:
    roads = layers.load_layer("roads")
    labelled = _labels("roads")
    named = roads[roads["name"].isin(labelled)]
    assert len(named) > len(labelled)  # several segments per named road, one label each
    generated = roads[(roads["confidence"] == "schematic")
                      & (roads["named_in_plan"].astype(str) == "False")]
    assert not generated.empty
    assert not set(generated["name"]) & set(labelled)


def test_label_text_rule() -> None:
    rule = LabelRule("line")
    assert rule.text({"name": "衡山路联动轴（第七轴，规划未具名）"}) == "衡山路联动轴"
    assert rule.text({"name": "（示意）"}) == "（示意）"  # never emptied by the note rule
    assert rule.text({"name": "支路12", "confidence": "schematic", "named_in_plan": False}) is None
    named = {"name": "渤海路", "confidence": "schematic", "named_in_plan": True}
    assert rule.text(named) == "渤海路"
    # English labels take the short map form; the full name stays for tooltips.
    assert rule.text({"name": "x", "name_en": "Bohai Road"}, "en") == "Bohai Rd"
    assert LabelRule("line", short_en=False).text({"name_en": "Bohai Road"}, "en") == "Bohai Road"
    assert LabelRule("line", drop_note=False).text({"name": "甲（乙）"}) == "甲（乙）"


def test_label_text_is_escaped_and_english_labels_follow_the_language() -> None:
    spec = LayerSpec("t", "t", "t", "user", "Point", Style("#000000"),
                     label=LabelRule("point"))
    gdf = gpd.GeoDataFrame({"name": ["<img src=x onerror=alert(1)>${x}`"], "name_en": ["a"]},
                           geometry=[shapely.Point(114.3, 35.76)], crs=4326)
    text = label_json(spec, gdf)
    assert "<img" not in text and "${" not in text and "`" not in text
    assert "&lt;img" in text.replace("\\u0026", "&")
    assert '"a"' in label_json(spec, gdf, lang="en")
    english = _labels("corridor", "en")
    assert list(english) == [map_name_en(str(layers.load_layer("corridor")["name_en"].iloc[0]))]



def test_label_candidates_go_to_the_page_as_text_that_reads_back_exactly() -> None:
    # The page carries a layer's candidates as a string literal of their JSON (parsed when labels
    # are first placed): hostile text still cannot close the script, and node reads the literal
    # back as exactly the JSON the server wrote.
    spec = LayerSpec("t", "t", "t", "user", "Point", Style("#000000"),
                     label=LabelRule("point"))
    hostile = "</script><img src=x onerror=alert(1)>${x}`'\"\\\u2028\u001f"
    gdf = gpd.GeoDataFrame({"name": [hostile], "name_en": ["a"]},
                           geometry=[shapely.Point(114.3, 35.76)], crs=4326)
    fg = folium.FeatureGroup()
    LabelData(label_json(spec, gdf)).add_to(fg)
    page = folium.Map(tiles=None)
    fg.add_to(page)
    (literal,) = re.findall(r"window\.hebiLabelSet\(\w+, (.*)\);\n", page.get_root().render())
    assert "<" not in literal and ">" not in literal and "\u2028" not in literal
    out = subprocess.run(["node", "-e", f"process.stdout.write({literal})"], capture_output=True,
                         text=True, check=True)
    assert out.stdout == label_json(spec, gdf)
    assert json.loads(out.stdout)["f"][0][1].startswith("&lt;/script&gt;")

def test_map_name_en_shortens_street_types_and_the_plan_structure_types() -> None:
    assert map_name_en("Xue'er Street regional transport axis") == "Xue'er St transport axis"
    assert map_name_en("Dabai road regional transport axis") == "Dabai Rd transport axis"
    assert map_name_en("Kexue Avenue comprehensive service axis") == "Kexue Ave service axis"
    assert map_name_en("Bohai Road innovation service corridor") == "Bohai Rd innovation corridor"
    assert map_name_en("Liyang Road industry-city service axis") == "Liyang Rd industry-city axis"
    assert map_name_en("Huaxia Road main city spine") == "Huaxia Rd city spine"
    assert map_name_en("Business and living service node") == "Business & living node"
    assert map_name_en("Hebi Comprehensive Bonded Zone") == "Hebi Bonded Zone"
    # Only a street type after a name, never before a route number; other words stay.
    for kept in ("National road G107", "Dabai county road", "Provincial road S304", "Roads",
                 "Qi River National Wetland Park", "Beijing–HK–Macau Expressway"):
        assert map_name_en(kept) == kept
    # Every English structure label of the shipped data is shorter than its full name.
    for layer_id in ("corridor", "spines", "axes"):
        for full in layers.load_layer(layer_id)["name_en"].dropna():
            assert len(map_name_en(str(full))) < len(str(full)), full


def test_payload_carries_labels_only_when_asked() -> None:
    spec, gdf = layers.get_spec("axes"), layers.load_layer("axes")
    assert catalogue_payload(spec, gdf).labels_json
    assert catalogue_payload(spec, gdf, labels=False).labels_json == ""


def test_facility_categories_differ_in_colour_and_shape() -> None:
    colours = {c.colour.lower() for c in CATEGORIES}
    shapes = {c.marker for c in CATEGORIES}
    assert len(colours) == len(shapes) == len(CATEGORIES) == 9
    assert shapes <= set(MARKERS)
    # Okabe–Ito, the colour-blind-safe set.
    okabe_ito = {"#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7",
                 "#000000", "#999999"}
    assert colours == okabe_ito
    spec = layers.get_spec("facilities")
    drawn = {spec.style_map[c.code][0].leaflet().get("shape") is not None for c in CATEGORIES}
    assert drawn == {True, False}  # one circle, eight outlined shapes


def test_sub_areas_do_not_share_the_axes_orange_dashes() -> None:
    axes = layers.get_spec("axes")
    sub = layers.get_spec("parks").style_map["sub-area"][0]
    for style, _, _ in axes.style_map.values():
        shown = style.schematic()
        assert (sub.colour.lower(), sub.dash) != (shown.colour.lower(), shown.dash)
        assert sub.colour.lower() != shown.colour.lower()
    assert sub.dash is not None and sub.dash != Style.SCHEMATIC_DASH


def test_an_area_name_is_never_set_inside_a_park_it_holds() -> None:
    import json

    import geopandas as gpd
    from shapely.geometry import box

    import layers
    from spatial.webmap_labels import label_json

    spec = layers.get_spec("parks")

    def named(park: Any) -> set[str]:
        gdf = gpd.GeoDataFrame(
            {"name": ["开发区范围", "城东园区"], "name_en": ["Zone", "East park"],
             "role": ["context", "park"], "kind": ["context", "park"],
             "confidence": ["low", "low"]},
            geometry=[box(114.20, 35.70, 114.40, 35.80), park], crs=4326)
        return {f[1] for f in json.loads(label_json(spec, gdf))["f"]}

    # A park over the zone's middle, where its name would go: the zone's name would read as
    # the park's, so it is left out; a park to one side leaves the zone its name.
    assert named(box(114.26, 35.70, 114.40, 35.80)) == {"城东园区"}
    assert named(box(114.36, 35.70, 114.40, 35.72)) == {"开发区范围", "城东园区"}
