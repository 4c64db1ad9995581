"""The shared legend rule (layers.legend): rows per entry, the schematic suffix once."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely.geometry import LineString

import layers
from layers.legend import (
    SCHEMATIC_SUFFIX,
    legend_rows,
    legend_sections,
    strip_schematic_suffix,
)
from layers.schema import LayerSpec, Style

ROADS = LayerSpec(
    "t_roads", "道路", "Roads", "roads", "LineString", Style("#525252"),
    style_by="road_class",
    style_map={
        "arterial": (Style("#404040", weight=4.0), "主干路", "Arterial road"),
        # A label that already says 示意: the rule must not add the suffix a second time.
        "local": (Style("#a3a3a3", weight=1.5), "支路（示意）", "Local street (schematic)"),
    },
)


def _roads(*rows: tuple[str, str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"road_class": [c for c, _ in rows], "confidence": [k for _, k in rows]},
        geometry=[LineString([(114.3, 35.7 + i * 0.01), (114.31, 35.7 + i * 0.01)])
                  for i in range(len(rows))],
        crs="EPSG:4326",
    )


@pytest.mark.parametrize(("label", "expected"), [
    ("支路（示意）", "支路"),
    ("支路(示意)", "支路"),
    ("支路（示意）（示意）", "支路"),
    ("Local street (schematic)", "Local street"),
    ("Local street (Schematic) (schematic)", "Local street"),
    ("背景范围（鹤壁东区、开发区范围）", "背景范围（鹤壁东区、开发区范围）"),
    ("第七轴（规划未具名，候选）", "第七轴（规划未具名，候选）"),
    ("（示意）", "（示意）"),  # nothing but the mark: kept rather than emptied
])
def test_strip_schematic_suffix(label: str, expected: str) -> None:
    assert strip_schematic_suffix(label) == expected


def test_rows_are_decided_per_entry_and_carry_the_suffix_once() -> None:
    gdf = _roads(("arterial", "low"), ("local", "low"), ("local", "schematic"))
    rows = legend_rows(ROADS, gdf)
    assert [r.label("zh") for r in rows] == ["主干路", "支路", "支路（示意）"]
    assert [r.label("en") for r in rows] == ["Arterial road", "Local street",
                                              "Local street (schematic)"]
    # Only the schematic row is dashed; arterials have no schematic feature, so no dashed row.
    assert [r.style.dash for r in rows] == [None, None, Style.SCHEMATIC_DASH]
    assert rows[2].name("zh") + rows[2].suffix("zh") == "支路（示意）"
    assert rows[2].entry.label_en == "Local street (schematic)"


def test_entry_without_features_keeps_its_solid_row() -> None:
    rows = legend_rows(ROADS, _roads(("local", "schematic")))
    assert [(r.label("zh"), r.schematic) for r in rows] == [("主干路", False),
                                                            ("支路（示意）", True)]


def test_entry_whose_features_have_no_location_gets_no_row() -> None:
    gdf = _roads(("arterial", "low"), ("local", "low"))
    gdf.loc[gdf["road_class"] == "local", "geometry"] = None  # known by name, not placed
    rows = legend_rows(ROADS, gdf)
    assert [r.label("zh") for r in rows] == ["主干路"]


def test_unlocated_fushan_forest_park_is_not_in_the_shipped_legend() -> None:
    green = layers.load_layer("green")
    unplaced = green[green["location_known"].eq(False)]
    # 浮山森林公园 and 北城郊野公园 (专栏9 names it, gives no spot); the latter's class still has
    # a row through the located 龙岗郊野公园.
    assert set(unplaced["name"]) == {"浮山森林公园", "北城郊野公园"}
    assert unplaced.geometry.isna().all()
    labels = [r.label("zh") for r in legend_rows(layers.get_spec("green"), green)]
    assert "森林公园" not in labels
    assert "湿地公园" in labels


def test_sections_follow_the_layer_switcher_order_and_skip_redundant_headings() -> None:
    single = LayerSpec("t_single", "鹤壁综合保税区", "Bonded zone", "parks", "Polygon",
                       Style("#000000"), z_order=5)
    empty = gpd.GeoDataFrame({"confidence": []}, geometry=[], crs="EPSG:4326")
    sections = legend_sections([(ROADS, _roads(("arterial", "low"))), (single, empty)])
    assert [s.spec.id for s in sections] == ["t_single", "t_roads"]  # parks before roads
    assert sections[0].heading("zh") is None  # its one entry already says it
    assert sections[1].heading("en") == "Roads"


def test_catalogue_labels_leave_the_suffix_to_the_rule() -> None:
    for spec in layers.all_specs():
        for entry in spec.legend():
            for lang in ("zh", "en"):
                label = entry.label(lang)
                assert strip_schematic_suffix(label) == label, (spec.id, label)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_shipped_legend_row_has_the_suffix_twice(lang: str) -> None:
    suffix = SCHEMATIC_SUFFIX[lang].strip()
    shown = [(spec, layers.load_layer(spec.id)) for spec in layers.all_specs()]
    labels = [row.label(lang) for section in legend_sections(shown) for row in section.rows]
    assert all(label.count(suffix) <= 1 for label in labels), labels
    # Every shipped local street is hand-placed or generated, not in the plan: all schematic,
    # so the class has its schematic row only; the 次干路 has both (one illustrative road).
    local = "支路" if lang == "zh" else "Local street"
    assert local not in labels and local + SCHEMATIC_SUFFIX[lang] in labels
    secondary = "次干路" if lang == "zh" else "Secondary road"
    assert secondary in labels and secondary + SCHEMATIC_SUFFIX[lang] in labels


def test_context_rows_name_what_each_stands_for() -> None:
    # 鹤壁东区 (estimated) and the ETDZ extent (schematic) share the context role: two rows,
    # each naming its own feature, never one name twice.
    gdf = layers.load_layer("parks")
    rows = legend_rows(layers.get_spec("parks"), gdf)
    zh = [r.label("zh") for r in rows]
    assert len(zh) == len(set(zh)) and len({r.name("zh") for r in rows}) == len(rows)
    assert zh[-2:] == ["背景范围：鹤壁东区", "背景范围：开发区范围（示意）"]
    assert [r.label("en") for r in rows][-2:] == ["Context: Hebi East District",
                                                  "Context: ETDZ extent (schematic)"]
    context = gdf[gdf["role"] == "context"].set_index("id")["confidence"]
    assert context["hebi-east"] != "schematic" and context["etdz-extent"] == "schematic"
