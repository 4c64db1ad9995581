"""Feature search by name and the attribute table, on the shipped plan layers."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

import layers
from layers.schema import LayerSpec, Style
from spatial.attribute_table import attribute_table
from spatial.feature_search import feature_target, normalise, search_features

FRAMES = {s.id: layers.load_layer(s.id) for s in layers.all_specs()}


def test_normalise_folds_width_case_and_spaces() -> None:
    assert normalise("ＢＯＨＡＩ  Road") == "bohairoad"
    assert normalise(" 渤海 路 ") == "渤海路"


def test_partial_chinese_name_finds_the_bonded_zone() -> None:
    hits = search_features(FRAMES, "综合保税")
    assert ("bonded_zone", (0,)) in [(h.layer_id, h.positions) for h in hits]


def test_english_name_any_case_and_width() -> None:
    for query in ("bonded zone", "BONDED ZONE", "ｂｏｎｄｅｄ"):
        hits = search_features(FRAMES, query)
        assert "bonded_zone" in {h.layer_id for h in hits}, query


def test_exact_name_comes_first_and_segments_of_one_road_are_one_hit() -> None:
    hits = search_features(FRAMES, "渤海路")
    first = hits[0]
    assert first.layer_id == "roads" and first.rank == 0
    roads = FRAMES["roads"]
    assert list(first.positions) == [i for i, n in enumerate(roads["name"]) if n == "渤海路"]
    assert len(first.positions) > 1
    # Others contain the text (corridor, axis …) and rank after it.
    assert all(h.rank > 0 for h in hits[1:]) and len(hits) > 1


def test_hidden_and_unlocated_features_are_found() -> None:
    gdf = FRAMES["green"]
    unlocated = gdf[gdf.geometry.isna() | gdf.geometry.is_empty]
    assert not unlocated.empty
    name = str(unlocated["name"].iloc[0])
    hits = search_features(FRAMES, name[:3])
    hit = next(h for h in hits if h.name == name)
    assert not hit.located
    assert feature_target(gdf, hit.positions) is None


@pytest.mark.parametrize("query", ["", "   ", "不存在的地名xyz"])
def test_nothing_for_blank_or_unknown(query: str) -> None:
    assert search_features(FRAMES, query) == []


def test_all_words_must_match() -> None:
    hits = search_features(FRAMES, "渤海 走廊")
    assert [h.layer_id for h in hits] == ["corridor"]


def test_feature_target_frames_the_feature() -> None:
    (lat, lon), zoom = feature_target(FRAMES["bonded_zone"], [0]) or ((0, 0), 0)
    minx, miny, maxx, maxy = FRAMES["bonded_zone"].total_bounds
    assert miny < lat < maxy and minx < lon < maxx
    assert 13 <= zoom <= 16
    (_, _), node_zoom = feature_target(FRAMES["nodes"], [0]) or ((0, 0), 0)
    assert node_zoom == 17


# --- attribute table -------------------------------------------------------------------------

_ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
_ALLOWED = {"km", "GB", "ha"}


@pytest.mark.parametrize("layer_id", sorted(FRAMES))
def test_chinese_table_has_no_field_names_ids_booleans_or_english(layer_id: str) -> None:
    spec = layers.get_spec(layer_id)
    gdf = FRAMES[layer_id]
    table = attribute_table(spec, gdf, lang="zh", frames=FRAMES)
    shown = table.display()
    declared = {p.name for p in spec.all_properties()} | set(gdf.columns)
    for header in shown.columns:
        assert header not in declared, header
        assert not set(_ASCII_WORD.findall(header)) - _ALLOWED, header
    for value in shown.astype(str).to_numpy().ravel():
        assert value not in {"True", "False", "None", "nan"}
        assert not set(_ASCII_WORD.findall(value)) - _ALLOWED, (layer_id, value)
    ids = set(gdf["id"].astype(str))
    assert not ids & set(shown.astype(str).to_numpy().ravel())
    assert len(shown) == len(gdf) and table.positions == list(range(len(gdf)))


def test_english_table_reads_in_english() -> None:
    table = attribute_table(layers.get_spec("roads"), FRAMES["roads"], lang="en", frames=FRAMES)
    assert table.frame.columns[0] == "Name"
    assert {"Yes", "No"} >= set(table.frame["Bridge"])
    assert "arterial" in set(table.frame["Road class"])


def test_filter_and_sort() -> None:
    spec, gdf = layers.get_spec("roads"), FRAMES["roads"]
    table = attribute_table(spec, gdf, query="渤海路", sort_by="长度（千米）", descending=True)
    lengths = list(table.frame["长度（千米）"])
    assert lengths == sorted(lengths, reverse=True) and len(lengths) > 1
    assert set(table.frame["名称"]) == {"渤海路"}
    assert all(gdf["name"].iloc[p] == "渤海路" for p in table.positions)
    up = attribute_table(spec, gdf, sort_by="名称")
    assert list(up.frame["名称"]) == sorted(up.frame["名称"])
    assert len(attribute_table(spec, gdf, query="主干路 是").frame) < len(gdf)


def test_references_show_names_and_booleans_read_yes_no() -> None:
    nodes = attribute_table(layers.get_spec("nodes"), FRAMES["nodes"], frames=FRAMES)
    axis_names = set(FRAMES["axes"]["name"])
    first = str(nodes.frame["所在联动轴"].iloc[0])
    assert all(part in axis_names for part in first.split("、"))
    roads = attribute_table(layers.get_spec("roads"), FRAMES["roads"])
    assert set(roads.frame["桥梁"]) <= {"是", "否"}


def test_user_layer_without_declared_fields_still_lists_its_names() -> None:
    spec = LayerSpec("u1", "调研点", "Survey", "user", "Point", Style("#333333"))
    gdf = gpd.GeoDataFrame({"name": ["甲", None], "secret_code": ["x1", "x2"]},
                           geometry=[Point(114.3, 35.7), Point(114.31, 35.71)], crs=4326)
    table = attribute_table(spec, gdf, lang="zh")
    assert list(table.frame.columns) == ["名称"]
    assert list(table.display()["名称"]) == ["甲", ""]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_attribute_table_numbers_carry_their_units_and_area_is_measured_once(lang: str) -> None:
    # A number without its unit cannot be read; a stored "面积" beside the measured one (of the
    # same drawn shape, in another unit) only confuses: each polygon table has one area column.
    area = "Area (ha)" if lang == "en" else "面积（公顷）"
    for spec in layers.all_specs():
        table = attribute_table(spec, layers.load_layer(spec.id), lang=lang).frame
        headers = list(table.columns)
        assert len(headers) == len(set(headers)), (spec.id, headers)
        if spec.geometry == "Polygon":
            assert [h for h in headers if h.startswith("面积") or h.startswith("Area")] == [area]
        for header in headers:
            numbers = pd.to_numeric(table[header], errors="coerce")
            codes = {"名称", "Name", "Chinese name", "行政区划代码", "Division code"}
            if numbers.notna().any() and header not in codes:
                assert re.search(r"[（(].+[）)]", header), (spec.id, header)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_confidence_reads_as_in_the_tooltip_and_lengths_have_two_decimals(lang: str) -> None:
    from layers.fields import CONFIDENCE_WORDS
    from ui.tables import display_frame

    header = "Position reliability" if lang == "en" else "位置可信度"
    for layer_id in ("roads", "bonded_zone"):
        table = attribute_table(layers.get_spec(layer_id), FRAMES[layer_id], lang=lang)
        words = {pair[1 if lang == "en" else 0] for pair in CONFIDENCE_WORDS.values()}
        assert set(table.frame[header]) <= words, layer_id  # one mapping: layers.fields
    roads = attribute_table(layers.get_spec("roads"), FRAMES["roads"], lang=lang)
    length = "Length (km)" if lang == "en" else "长度（千米）"
    assert roads.decimals == {length: 2}
    shown, config = display_frame(roads.frame, roads.decimals)
    if length in config:  # a complete column keeps numbers, shown with two decimals
        assert config[length]["type_config"]["format"] == "%.2f"
    else:  # a column with gaps is text, every number with two decimals
        assert all(re.fullmatch(r"\d+\.\d\d|", str(v)) for v in shown[length])
