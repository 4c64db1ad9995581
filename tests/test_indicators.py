"""Per-area indicators on simple polygons whose answers are computed by hand (metres, EPSG:4547)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from spatial import AnalysisError
from spatial.coverage import analyse, unit_table
from spatial.coverage_rules import load_rules
from spatial.indicators import (
    M2_PER_MU,
    area_units,
    areal_weighted_sum,
    compute_area_indicators,
    cover_share,
    coverage_shares,
    indicator_def,
    line_density,
    point_counts,
)

GK = "EPSG:4547"
# A point near Hebi in EPSG:4547 (central meridian 114°E, so x ≈ 500 km): easting, northing.
X0, Y0 = 528_000.0, 3_955_000.0


def sq(x: float, y: float, w: float, h: float | None = None):
    """Axis-aligned rectangle with its lower-left corner at (X0 + x, Y0 + y), sizes in metres."""
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


def gdf(geoms, crs: str = GK, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=list(geoms), crs=crs)


@pytest.fixture
def areas() -> gpd.GeoDataFrame:
    # a: 1 km × 1 km; b: 2 km × 0.5 km (also 1 km²) east of a; c: 300 m × 200 m north of a.
    return gdf(
        [sq(0, 0, 1000), sq(1000, 0, 2000, 500), sq(0, 1000, 300, 200)],
        id=["a", "b", "c"],
        name=["甲", "乙", "丙"],
    )


def test_area_units_by_hand(areas):
    u = area_units(areas)
    assert u["area_m2"].tolist() == pytest.approx([1e6, 1e6, 60_000.0])
    assert u["area_km2"].tolist() == pytest.approx([1.0, 1.0, 0.06])
    assert u["area_ha"].tolist() == pytest.approx([100.0, 100.0, 6.0])
    # 1 亩 = 10000/15 m²: 1 km² = 1500 亩, 6 ha = 90 亩.
    assert u["area_mu"].tolist() == pytest.approx([1500.0, 1500.0, 90.0])
    assert abs(M2_PER_MU - 666.6667) < 1e-4


def test_area_of_wgs84_input_is_measured_in_gauss_kruger(areas):
    # The same polygons stored in WGS84 are measured after projecting back: same answer.
    u = area_units(areas.to_crs("EPSG:4326"))
    assert u["area_m2"].tolist() == pytest.approx([1e6, 1e6, 60_000.0], rel=1e-6)


def test_missing_geometry_has_no_area_not_zero(areas):
    withnull = pd.concat(
        [areas, gdf([None], id=["d"], name=["丁"])], ignore_index=True
    )
    u = area_units(withnull)
    assert math.isnan(u["area_m2"].iloc[3])
    assert u["area_m2"].iloc[0] == pytest.approx(1e6)


def test_green_share_counts_overlapping_cover_once(areas):
    green = gdf(
        [
            sq(0, 0, 500, 1000),  # west half of a
            sq(250, 0, 500, 1000),  # overlaps: together x ∈ [0, 750] → 75 % of a
            sq(1000, 0, 200, 500),  # 0.1 km² in b → 10 %
            sq(-500, -500, 400, 400),  # entirely outside every area
        ]
    )
    share = cover_share(areas, green)
    assert share.tolist() == pytest.approx([0.75, 0.10, 0.0])


def test_green_share_ignores_non_polygon_cover(areas):
    # A park boundary digitised as a line has no area and must not count.
    green = gdf([LineString([(X0, Y0), (X0 + 1000, Y0 + 1000)]), sq(0, 0, 100, 100)])
    assert cover_share(areas, green).iloc[0] == pytest.approx(0.01)


def test_road_density_km_per_km2(areas):
    roads = gdf(
        [
            # crosses a from west to east and goes on into b: 1 km inside a, 2 km inside b
            LineString([(X0 - 500, Y0 + 250), (X0 + 3500, Y0 + 250)]),
            # 600 m north-south inside a
            LineString([(X0 + 100, Y0 + 200), (X0 + 100, Y0 + 800)]),
            # far away
            LineString([(X0 + 9000, Y0), (X0 + 9500, Y0)]),
        ]
    )
    dens = line_density(areas, roads)
    # a: 1.6 km / 1 km²; b: 2 km / 1 km²; c: nothing → 0 (a real zero, c has an area).
    assert dens.tolist() == pytest.approx([1.6, 2.0, 0.0])


def test_facility_counts_per_category(areas):
    fac = gdf(
        [
            Point(X0 + 10, Y0 + 10),
            Point(X0 + 500, Y0 + 500),
            Point(X0 + 900, Y0 + 100),
            Point(X0 + 1500, Y0 + 100),
            Point(X0 + 5000, Y0 + 5000),  # outside
            Point(X0 + 100, Y0 + 1100),
        ],
        category=["education", "education", "health", "health", "health", None],
    )
    counts = point_counts(areas, fac)
    assert list(counts.columns) == ["total", "education", "health"]
    assert counts["total"].tolist() == [3, 1, 1]
    assert counts["education"].tolist() == [2, 0, 0]
    assert counts["health"].tolist() == [1, 1, 0]


def test_point_on_shared_border_counts_in_both(areas):
    fac = gdf([Point(X0 + 1000, Y0 + 100)], category=["health"])
    assert point_counts(areas, fac)["total"].tolist() == [1, 1, 0]


def test_population_areal_weighting(areas):
    communities = gdf(
        [
            sq(500, 0, 1000, 500),  # 0.5 km²: 0.25 in a, 0.25 in b → 1000 people split 500/500
            sq(0, 500, 500, 500),  # inside a
            Point(X0 + 100, Y0 + 1100),  # a point community in c
        ],
        population=[1000, 300, 42],
    )
    pop = areal_weighted_sum(areas, communities, "population")
    assert pop.tolist() == pytest.approx([800.0, 500.0, 42.0])


def test_unknown_population_makes_overlapped_areas_unknown(areas):
    communities = gdf([sq(0, 0, 200), sq(1000, 0, 100)], population=[np.nan, 50])
    pop = areal_weighted_sum(areas, communities, "population")
    assert math.isnan(pop.iloc[0])
    assert pop.iloc[1] == pytest.approx(50.0)
    assert pop.iloc[2] == 0.0


def test_missing_population_column_is_a_clear_error(areas):
    with pytest.raises(AnalysisError) as err:
        areal_weighted_sum(areas, gdf([sq(0, 0, 10)]), "population")
    assert "population" in str(err.value)


def test_compute_area_indicators_assembles_by_id(areas):
    green = gdf([sq(0, 0, 370, 1000)])  # exactly 37 % of a
    roads = gdf([LineString([(X0, Y0 + 250), (X0 + 3000, Y0 + 250)])])
    fac = gdf([Point(X0 + 10, Y0 + 10)], category=["education"])
    comm = gdf([sq(0, 0, 1000)], population=[2500])
    table = compute_area_indicators(
        areas, green=green, roads=roads, facilities=fac, communities=comm
    )
    assert list(table.index) == ["a", "b", "c"]
    assert table.loc["a", "green_share_pct"] == pytest.approx(37.0)
    assert table.loc["b", "road_density"] == pytest.approx(2.0)
    assert table.loc["a", "facilities_education"] == 1
    assert table.loc["a", "population"] == pytest.approx(2500.0)
    assert table.loc["a", "population_density"] == pytest.approx(2500.0)
    assert table.loc["c", "population_density"] == 0.0
    assert table.loc["c", "area_mu"] == pytest.approx(90.0)


def test_layers_not_given_give_no_column(areas):
    table = compute_area_indicators(areas)
    assert list(table.columns) == ["area_km2", "area_ha", "area_mu"]


def test_duplicate_area_ids_are_refused(areas):
    areas.loc[2, "id"] = "a"
    with pytest.raises(AnalysisError) as err:
        compute_area_indicators(areas)
    assert "a" in err.value.zh and "Duplicate" in err.value.en


def test_indicator_definitions_name_units_and_categories():
    assert indicator_def("area_mu").unit_zh == "亩"
    assert indicator_def("green_share_pct").unit_en == "%"
    edu = indicator_def("facilities_education")
    assert edu.name_zh == "就学便利圈设施数" and edu.decimals == 0
    assert indicator_def("facilities_other").name_en == "other facilities"
    with pytest.raises(KeyError):
        indicator_def("nonsense")


def test_coverage_shares_per_area_from_the_coverage_analysis(areas):
    # One straight road along y = 100 m from x = 0 to 3 km; a 5-minute school at x = 100.
    roads = gdf([LineString([(X0, Y0 + 100), (X0 + 3000, Y0 + 100)])])
    school = gdf([Point(X0 + 100, Y0 + 100)], category=["education"], level_min=[5])
    rules = load_rules()
    reach = rules.default_m("education", 5)
    assert 0 < reach < 900
    homes = gdf(
        [sq(90, 110, 20), sq(2490, 110, 20)],  # one next to the school, one 2.4 km along the road
        id=["near", "far"],
        population=[100.0, 300.0],
    )
    model, weights = analyse(roads, school, homes, rules, units={"test": areas})
    shares = coverage_shares(unit_table(model, weights), "test")
    # Area a holds only the near block (100 % covered); b only the far one (0 %); c nobody.
    assert shares.loc["a", "coverage_education_5"] == pytest.approx(100.0)
    assert shares.loc["b", "coverage_education_5"] == pytest.approx(0.0)
    assert shares["coverage_education_5"].isna()["c"]
    # Tiers do not cover each other: the 5-minute school does not serve the 15-minute level.
    assert shares.loc["a", "coverage_education_15"] == pytest.approx(0.0)
    cols = list(shares.columns)
    assert cols[:3] == ["coverage_comprehensive_5", "coverage_comprehensive_10",
                        "coverage_comprehensive_15"]
    d = indicator_def("coverage_education_15")
    assert d.unit_en == "%" and "15" in d.name_zh and "就学便利圈" in d.name_zh


def test_bow_tie_area_is_repaired_not_measured_as_zero():
    from shapely.geometry import Polygon

    # Two 100 m × 100 m triangles meeting at a point, digitised as one self-crossing ring.
    bow = Polygon([(X0, Y0), (X0 + 200, Y0 + 100), (X0 + 200, Y0), (X0, Y0 + 100)])
    assert not bow.is_valid and bow.area == 0
    u = area_units(gdf([bow], id=["bow"]))
    assert u["area_m2"].iloc[0] == pytest.approx(10_000.0)
