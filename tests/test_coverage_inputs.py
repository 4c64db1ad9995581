"""Column variants of coverage inputs: own layers give the same answers as canonical ones."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Point

from spatial._errors import AnalysisError
from spatial.coverage import analyse, combo_index, summary_table
from spatial.coverage_inputs import (
    MissingColumnError,
    category_code,
    find_column,
    geometry_family,
    parse_level,
    standardise_facilities,
    standardise_residential,
)
from spatial.coverage_rules import load_rules
from tests.coverage_synthetic import GK, blocks, street

RULES = load_rules()


def _points(columns: dict[str, list[object]], n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=[Point(20, -5)] * n, crs=GK)


def test_category_codes_chinese_and_english_names_map_to_codes() -> None:
    assert category_code("education") == "education"
    assert category_code("就学便利圈") == "education"
    assert category_code("就学便利") == "education"
    assert category_code(" Health care ") == "health"
    assert category_code("GREEN_MOBILITY") == "green_mobility"
    assert category_code("公园") is None
    assert category_code(None) is None
    assert category_code(float("nan")) is None


def test_levels_are_read_from_numbers_and_text() -> None:
    assert [parse_level(v) for v in (5, 10.0, "15", "5分钟", "10 min", "十五分钟", "十分钟")] == [
        5, 10, 15, 5, 10, 15, 10,
    ]
    assert parse_level(None) is None and parse_level("") is None and parse_level(np.nan) is None
    assert parse_level("20") == 20  # reported by the analysis as not a tier
    assert parse_level("半小时") == -1


def test_find_column_ignores_case_spaces_and_underscores_and_prefers_the_first_name() -> None:
    frame = _points({"Level_Min": [5], "层级": [10], "人 口": [3]}, 1)
    assert find_column(frame, ("level_min", "层级")) == "Level_Min"
    assert find_column(frame, ("层级", "level_min")) == "层级"
    assert find_column(frame, ("人口",)) == "人 口"
    assert find_column(frame, ("geometry",)) is None  # the geometry is never a data column
    assert find_column(frame, ("population",)) is None


def test_chinese_facility_columns_are_standardised() -> None:
    fac = _points({"类别": ["就学便利圈", "健康医疗圈"], "层级": ["5分钟", "15"],
                   "设施类型": ["幼儿园", ""], "名称": ["甲", "乙"]}, 2)
    out = standardise_facilities(fac, RULES)
    assert out["category"].tolist() == ["education", "health"]
    assert out["level_min"].tolist() == [5, 15]
    assert out["facility_type"].tolist() == ["幼儿园", ""]
    assert out["name"].tolist() == ["甲", "乙"]


def test_a_facility_without_level_takes_the_tiers_its_type_has_rules_for() -> None:
    fac = _points({"id": ["k", "bus", "x"], "category": ["education", "绿色出行圈", "health"],
                   "facility_type": ["幼儿园", "公交车站", ""]}, 3)
    out = standardise_facilities(fac, RULES)
    # 幼儿园 has a 5-min rule only; 公交车站 rules at 5 and 10; an untyped one at every tier.
    assert list(zip(out["id"], out["level_min"], strict=True)) == [
        ("k", 5), ("bus@5", 5), ("bus@10", 10), ("x@5", 5), ("x@10", 10), ("x@15", 15),
    ]


def test_missing_category_column_names_the_column_in_both_languages() -> None:
    fac = _points({"名称": ["甲"], "层级": [5]}, 1)
    with pytest.raises(MissingColumnError) as err:
        standardise_facilities(fac, RULES)
    assert isinstance(err.value, AnalysisError)
    assert err.value.column == "category" and err.value.layer == "facilities"
    assert "设施图层缺少“category”字段" in err.value.zh and "类别" in err.value.zh
    assert "The facility layer has no 'category' column" in err.value.en


def test_population_variants_and_area_only_when_missing() -> None:
    res = blocks().rename(columns={"population": "人口"})
    res["人口"] = ["1,000", "2000人", "3000"]
    out, known = standardise_residential(res)
    assert known and out["population"].astype(float).tolist() == [1000.0, 2000.0, 3000.0]
    bare = blocks().drop(columns="population")
    with pytest.raises(MissingColumnError) as err:
        standardise_residential(bare)
    assert err.value.column == "population" and "人口" in err.value.zh and "pop" in err.value.en
    out, known = standardise_residential(bare, require_population=False)
    assert not known and out["population"].tolist() == [0.0, 0.0, 0.0]


def test_variant_layers_give_the_canonical_answer() -> None:
    canonical = gpd.GeoDataFrame(
        {"id": ["f0"], "category": ["education"], "level_min": [5], "facility_type": ["幼儿园"]},
        geometry=[Point(20, -5)], crs=GK,
    )
    variant = gpd.GeoDataFrame(
        {"类别": ["就学便利圈"], "设施类型": ["幼儿园"]},
        geometry=[Point(20, -5)], crs=GK,
    )
    res = blocks().rename(columns={"population": "pop", "name": "小区名称"})
    a, _ = analyse(street(), canonical, blocks(), RULES)
    b, _ = analyse(street(), variant, res, RULES)
    j = combo_index("education", 5)
    assert b.covered[:, j].tolist() == a.covered[:, j].tolist() == [True, False, False]
    assert summary_table(b)["pop_share"].iloc[j] == pytest.approx(1000 / 6000)
    assert b.places.names.tolist() == ["东苑", "中苑", "西苑"]


def test_area_only_analysis_has_area_shares_and_no_population_shares() -> None:
    fac = gpd.GeoDataFrame({"category": ["education"], "level_min": [5]},
                           geometry=[Point(20, -5)], crs=GK)
    with pytest.raises(MissingColumnError):
        analyse(street(), fac, blocks().drop(columns="population"), RULES)
    model, _ = analyse(street(), fac, blocks().drop(columns="population"), RULES,
                       require_population=False)
    assert not model.places.population_known
    row = summary_table(model).iloc[combo_index("education", 5)]
    assert row["area_share"] == pytest.approx(1 / 3)
    assert np.isnan(row["pop_share"])


def test_geometry_family() -> None:
    assert geometry_family(street()) == "line"
    assert geometry_family(blocks()) == "polygon"
    pts = gpd.GeoDataFrame(geometry=[Point(0, 0), None], crs=GK)
    assert geometry_family(pts) == "point"
    mixed = gpd.GeoDataFrame(geometry=[Point(0, 0), shapely.box(0, 0, 1, 1)], crs=GK)
    assert geometry_family(mixed) is None
    assert geometry_family(gpd.GeoDataFrame(geometry=[], crs=GK)) is None
