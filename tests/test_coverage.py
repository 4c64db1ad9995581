"""Coverage: shares, units, completeness, gaps, straight-line over-claim, what-if, sites."""

from __future__ import annotations

import io
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import LineString, Point

from spatial._errors import AnalysisError
from spatial.coverage import (
    COMBOS,
    CoverageModel,
    CoverageSettings,
    analyse,
    combo_index,
    completeness_table,
    gap_table,
    report_tables,
    result_layers,
    straight_line_table,
    suggest_sites,
    summary_table,
    unit_table,
    unsnapped_table,
)
from spatial.coverage_rules import (
    DEFAULT_RULES_PATH,
    RuleTableError,
    load_rules,
    rules_from_frame,
)
from spatial.service_categories import CATEGORY_CODES
from spatial.tables import to_safe_csv
from tests.coverage_synthetic import (
    GK,
    blocks,
    random_city,
    random_facilities,
    random_places,
    street,
)

RULES = load_rules()
# Wide enough to see every distance on the 1.2 km street (the default is 2 × the rule distance).
WIDE = CoverageSettings(search_limit_m=3000)


def facilities(rows: Sequence[tuple[str, int, str, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [f"f{i}" for i in range(len(rows))],
            "name": [f"设施{i}" for i in range(len(rows))],
            "category": [r[0] for r in rows],
            "level_min": [r[1] for r in rows],
            "facility_type": [r[2] for r in rows],
        },
        geometry=[Point(r[3], r[4]) for r in rows],
        crs=GK,
    )


def row(table: pd.DataFrame, category: str, level: int) -> pd.Series:
    hit = table[(table["category"] == category) & (table["level_min"] == level)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_street_example_distances_and_shares() -> None:
    fac = facilities(
        [
            ("education", 5, "幼儿园", 20, -5),  # 300 m rule
            ("education", 15, "初中", 0, 0),  # 1000 m rule, at the junction x=0
        ]
    )
    model, _ = analyse(street(), fac, blocks(), RULES, WIDE)
    j5, j15 = combo_index("education", 5), combo_index("education", 15)
    assert model.combo_dist[:, j5] == pytest.approx([80.0, 480.0, 980.0])
    assert model.combo_dist[:, j15] == pytest.approx([100.0, 500.0, 1000.0])
    assert model.covered[:, j5].tolist() == [True, False, False]
    assert model.covered[:, j15].tolist() == [True, True, True]  # 1000 m is within ≤ 1000 m
    s = summary_table(model)
    assert row(s, "education", 5)["pop_share"] == pytest.approx(1000 / 6000)
    assert row(s, "education", 5)["area_share"] == pytest.approx(1 / 3)
    assert row(s, "education", 15)["pop_share"] == pytest.approx(1.0)
    # Tiers do not cover each other: the 15-min school does not count at 10 min.
    # ... and a level with no facility is "not applicable", never 0 %.
    assert np.isnan(row(s, "education", 10)["pop_share"])
    assert not row(s, "education", 10)["applicable"]
    assert row(s, "education", 10)["n_facilities"] == 0
    assert row(s, "education", 5)["n_facilities"] == 1
    assert row(s, "education", 5)["population"] == 6000.0


def test_type_rules_override_the_tier_default() -> None:
    fac = facilities(
        [
            ("green_mobility", 15, "轨道交通站点", 1200, 5),  # 800 m
            ("health", 15, "", 1200, 5),  # tier default 1000 m
        ]
    )
    model, _ = analyse(street(), fac, blocks(), RULES)
    gm = model.covered[:, combo_index("green_mobility", 15)]
    health = model.covered[:, combo_index("health", 15)]
    # Distances from x=1200: r1 1100, r2 700, r3 200.
    assert gm.tolist() == [False, True, True]
    assert health.tolist() == [False, True, True]
    fac2 = facilities([("green_mobility", 15, "轨道交通站点", 300, 5)])
    model2, _ = analyse(street(), fac2, blocks(), RULES)
    # From x=300: r3 is 700 m (≤ 800 m) away; r1 200 m, r2 200 m.
    assert model2.covered[:, combo_index("green_mobility", 15)].tolist() == [True, True, True]
    assert model2.facilities["max_walk_m"].tolist() == [800.0]
    assert "轨道交通站点" in model2.facilities["rule_source"].iloc[0]


def test_rules_match_the_chinese_type_when_the_type_is_a_code() -> None:
    fac = facilities([("green_mobility", 15, "metro_station", 300, 5)])
    fac["facility_type_zh"] = ["轨道交通站点"]
    model, _ = analyse(street(), fac, blocks(), RULES)
    assert model.facilities["max_walk_m"].tolist() == [800.0]
    fac["facility_type_zh"] = ["未知类型"]
    model, _ = analyse(street(), fac, blocks(), RULES)
    assert model.facilities["max_walk_m"].tolist() == [1000.0]  # the tier default


def test_gap_list_is_sorted_by_population_with_excess_distance() -> None:
    fac = facilities([("education", 5, "幼儿园", 20, -5)])
    model, _ = analyse(street(), fac, blocks(), RULES, WIDE)
    gaps = gap_table(model)
    assert gaps["place_id"].tolist() == ["r3", "r2"]
    assert gaps["excess_m"].tolist() == pytest.approx([680.0, 180.0])
    assert gaps["nearest_m"].tolist() == pytest.approx([980.0, 480.0])
    assert set(gaps["status"]) == {"too_far"}
    # Only pairs with a facility are gaps: no rows for categories without any facility.
    assert set(gaps["category"]) == {"education"}
    # With the default radius (2 × 300 m) r3 at 980 m is simply "beyond the search limit".
    default, _ = analyse(street(), fac, blocks(), RULES)
    gaps = gap_table(default)
    assert gaps["status"].tolist() == ["beyond_search_limit", "too_far"]
    assert np.isnan(gaps["excess_m"].iloc[0])
    assert gaps["excess_m"].iloc[1] == pytest.approx(180.0)


def test_access_offset_option_adds_the_walk_to_the_road() -> None:
    fac = facilities([("education", 5, "幼儿园", 20, -5)])
    settings = CoverageSettings(add_access_offset=True)
    model, _ = analyse(street(), fac, blocks(), RULES, settings)
    # 30 m from block to street, 80 m along it, 5 m from street to the kindergarten.
    assert model.combo_dist[0, combo_index("education", 5)] == pytest.approx(115.0)


def test_units_apportion_population_by_area() -> None:
    fac = facilities([("education", 5, "幼儿园", 20, -5)])
    # The unit holds all of r1 and the west half of r2.
    units = gpd.GeoDataFrame(
        {"name": ["五分钟生活圈A"]}, geometry=[shapely.box(0, 0, 500, 100)], crs=GK
    )
    model, weights = analyse(street(), fac, blocks(), RULES, units={"life_circles": units})
    table = unit_table(model, weights)
    r = row(table, "education", 5)
    assert r["unit_layer"] == "life_circles"
    assert r["unit_name"] == "五分钟生活圈A"
    assert r["population"] == pytest.approx(2000.0)
    assert r["pop_share"] == pytest.approx(0.5)
    assert r["area_m2"] == pytest.approx(1600 + 800)
    assert r["area_share"] == pytest.approx(1600 / 2400)
    with pytest.raises(AnalysisError, match="polygons"):
        analyse(street(), fac, blocks(), RULES, units={"bad": gpd.GeoDataFrame(
            geometry=[Point(0, 0)], crs=GK)})


def test_completeness_counts_categories_and_all_nine() -> None:
    rows = [(c, 5, "", 100, -5) for c in CATEGORY_CODES]  # everything next to r1
    rows.append(("education", 15, "", 600, -5))  # r1..r3 all within 1000 m of x=600
    model, _ = analyse(street(), facilities(rows), blocks(), RULES)
    table = completeness_table(model).set_index("level")
    assert table.loc["5", "pop_9"] == 1000.0
    assert table.loc["5", "pop_0"] == 5000.0
    assert table.loc["5", "share_all_nine"] == pytest.approx(1000 / 6000)
    assert table.loc["15", "pop_1"] == 6000.0
    # "any" level: r1 has all nine, r2 and r3 only education (via the 15-min school).
    assert table.loc["any", "pop_9"] == 1000.0
    assert table.loc["any", "pop_1"] == 5000.0
    assert table.loc["any", "mean_categories"] == pytest.approx((1000 * 9 + 5000) / 6000)


def test_unsnapped_places_count_as_uncovered_and_unlocated_are_left_out() -> None:
    res = pd.concat(
        [
            blocks(),
            gpd.GeoDataFrame(
                {
                    "id": ["far", "nowhere"],
                    "name": ["远处", "未定位"],
                    "population": [500.0, 700.0],
                },
                geometry=[shapely.box(5000, 5000, 5040, 5040), None],
                crs=GK,
            ),
        ],
        ignore_index=True,
    )
    fac = facilities([("education", 15, "初中", 0, 0), ("health", 5, "", 9000, 9000)])
    model, _ = analyse(street(), fac, res, RULES)
    s = summary_table(model)
    assert row(s, "education", 15)["population"] == 6500.0  # unlocated 700 excluded
    assert row(s, "education", 15)["pop_share"] == pytest.approx(6000 / 6500)
    report = unsnapped_table(model)
    got = {(r.layer, r.id, r.status) for r in report.itertuples()}
    assert got == {
        ("residential", "far", "too_far_from_road"),
        ("residential", "nowhere", "no_location"),
        ("facilities", "f1", "too_far_from_road"),
    }
    far = report[report["id"] == "far"].iloc[0]
    assert far["distance_to_road_m"] > 4000
    gaps = gap_table(model)
    assert gaps.loc[gaps["place_id"] == "far", "status"].tolist() == ["not_on_network"]
    assert "nowhere" not in set(gaps["place_id"])


def test_straight_line_over_claims_across_a_river() -> None:
    # Two streets 200 m apart (a river between them) joined only at x=0.
    roads = gpd.GeoDataFrame(
        geometry=[
            LineString([(0, 0), (1500, 0)]),
            LineString([(0, 200), (1500, 200)]),
            LineString([(0, 0), (0, 200)]),
        ],
        crs=GK,
    )
    res = gpd.GeoDataFrame(
        {"id": ["north"], "population": [800.0]},
        geometry=[shapely.box(980, 215, 1020, 255)],
        crs=GK,
    )
    fac = facilities([("health", 5, "", 1000, -5)])
    model, _ = analyse(roads, fac, res, RULES)
    summary, detail = straight_line_table(model)
    r = row(summary, "health", 5)
    assert r["pop_share_straight"] == 1.0
    assert r["pop_share_network"] == 0.0
    assert r["overclaim_population"] == 800.0
    assert detail["place_id"].tolist() == ["north"]
    assert detail["straight_m"].iloc[0] == pytest.approx(240.0)  # (1000,235) to (1000,-5)
    assert np.isnan(detail["network_m"].iloc[0])  # 2200 m: beyond the 600 m search radius
    wide = CoverageSettings(search_limit_m=5000)
    model2, _ = analyse(roads, fac, res, RULES, wide)
    assert model2.combo_dist[0, combo_index("health", 5)] == pytest.approx(1000 + 200 + 1000)


def _city_model(seed: int = 11, settings: CoverageSettings | None = None) -> CoverageModel:
    roads = random_city(seed)
    model, _ = analyse(
        roads,
        random_facilities(roads, 40, seed + 1),
        random_places(roads, 250, seed + 2),
        RULES,
        settings,
    )
    return model


def _assert_same_figures(a: CoverageModel, b: CoverageModel) -> None:
    assert np.array_equal(np.isinf(a.combo_dist), np.isinf(b.combo_dist))
    fin = np.isfinite(a.combo_dist)
    assert np.max(np.abs(a.combo_dist[fin] - b.combo_dist[fin]), initial=0) < 1e-9
    assert np.array_equal(a.covered, b.covered)
    pd.testing.assert_frame_equal(summary_table(a), summary_table(b))
    pd.testing.assert_frame_equal(completeness_table(a), completeness_table(b))


@pytest.mark.parametrize("offset", [False, True])
def test_what_if_incremental_equals_full_recompute(offset: bool) -> None:
    model = _city_model(settings=CoverageSettings(add_access_offset=offset))
    before = summary_table(model)
    xmin, ymin, xmax, ymax = shapely.total_bounds(model.network.segments)
    rng = np.random.default_rng(5)
    added = []
    for cat, lv, ftype in [
        ("health", 5, None),
        ("health", 5, None),
        ("education", 10, "小学"),
        ("green_mobility", 15, "轨道交通站点"),
        ("sanitation", 5, "公共厕所"),
    ]:
        x, y = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        added.append(model.add_facility(cat, lv, x, y, facility_type=ftype, name="拟建"))
    model.move_facility(added[1], xmin + 100, ymin + 100)
    model.move_facility("fac3", xmax - 50, ymax - 50)
    model.remove_facility(added[0])
    model.remove_facility("fac7")
    full = CoverageModel(
        model.network, model.places, model.facilities.drop(columns=["group"]), RULES,
        model.settings,
    )
    _assert_same_figures(model, full)
    assert not summary_table(model).equals(before)
    assert model.facilities["hypothetical"].sum() == 4


def test_what_if_add_raises_share_and_remove_restores_it() -> None:
    fac = facilities([("education", 5, "幼儿园", 20, -5)])
    model, _ = analyse(street(), fac, blocks(), RULES)
    j = combo_index("education", 5)
    fid = model.add_facility("education", 5, 1000, -3, facility_type="幼儿园")
    assert model.covered[:, j].tolist() == [True, False, True]
    assert row(summary_table(model), "education", 5)["pop_share"] == pytest.approx(4000 / 6000)
    model.move_facility(fid, 500, 4)
    assert model.covered[:, j].tolist() == [True, True, False]
    model.remove_facility(fid)
    assert model.covered[:, j].tolist() == [True, False, False]
    with pytest.raises(AnalysisError, match="nearest road"):
        model.add_facility("education", 5, 5000, 5000)
    with pytest.raises(AnalysisError, match="no facility"):
        model.remove_facility("nope")
    with pytest.raises(AnalysisError, match="Unknown category"):
        model.add_facility("parks", 5, 0, 0)


def test_greedy_picks_the_obvious_site_and_stops() -> None:
    model, _ = analyse(street(), facilities([]), blocks(), RULES)
    sites = suggest_sites(model, "commerce", 10, k=3)  # 500 m
    # Node x=600 reaches r1 (500 m), r2 (100 m) and r3 (400 m); nothing is left after it.
    assert len(sites) == 1
    assert (sites["x"].iloc[0], sites["y"].iloc[0]) == pytest.approx((600.0, 0.0))
    assert sites["gain_population"].iloc[0] == 6000.0
    assert sites["pop_share"].iloc[0] == 1.0


def test_greedy_sites_improve_coverage_monotonically_as_predicted() -> None:
    model = _city_model(seed=21)
    j = combo_index("health", 5)
    start = float(model.places.pop_weight @ model.covered[:, j])
    sites = suggest_sites(model, "health", 5, k=6)
    assert len(sites) == 6
    gains = sites["gain_population"].to_numpy()
    assert np.all(gains > 0)
    assert np.all(np.diff(gains) <= 1e-9)  # greedy marginal gains never grow
    assert np.all(np.diff(sites["population_covered"].to_numpy()) > 0)
    covered = start
    cols = ["x", "y", "gain_population", "population_covered"]
    for x, y, gain, expected in sites[cols].to_numpy():
        model.add_facility("health", 5, x, y)
        now = float(model.places.pop_weight @ model.covered[:, j])
        assert now - covered == pytest.approx(gain)
        assert now == pytest.approx(expected)
        covered = now


def test_invalid_layers_raise_bilingual_errors() -> None:
    bad_cat = facilities([("parks", 5, "", 0, 0)])
    with pytest.raises(AnalysisError, match="not one of the nine") as err:
        analyse(street(), bad_cat, blocks(), RULES)
    assert "九类" in str(err.value)
    bad_level = facilities([("health", 7, "", 0, 0)])
    with pytest.raises(AnalysisError, match="level_min"):
        analyse(street(), bad_level, blocks(), RULES)
    no_pop = blocks().drop(columns="population")
    with pytest.raises(AnalysisError, match="population"):
        analyse(street(), facilities([]), no_pop, RULES)
    neg = blocks().assign(population=[1.0, -2.0, 3.0])
    with pytest.raises(AnalysisError, match="中苑"):
        analyse(street(), facilities([]), neg, RULES)


def test_lon_lat_layers_are_measured_in_gauss_kruger() -> None:
    roads = random_city(4, origin=(527_000.0, 3_952_000.0))
    fac = random_facilities(roads, 12, 5)
    res = random_places(roads, 30, 6)
    metric, _ = analyse(roads, fac, res, RULES)
    lonlat, _ = analyse(roads.to_crs(4326), fac.to_crs(4326), res.to_crs(4326), RULES)
    assert lonlat.network.crs.to_epsg() == 4547
    fin = np.isfinite(metric.combo_dist)
    assert np.array_equal(fin, np.isfinite(lonlat.combo_dist))
    assert np.max(np.abs(metric.combo_dist[fin] - lonlat.combo_dist[fin])) < 0.05


def _to_hebi(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Move a synthetic layer from (0, 0) to Hebi's part of EPSG:4547."""
    return gdf.set_geometry(gdf.geometry.translate(527_000, 3_952_000))


def test_report_tables_and_layers_hold_every_output() -> None:
    park = gpd.GeoDataFrame({"name": ["园区"]}, geometry=[shapely.box(0, 0, 600, 60)], crs=GK)
    fac = facilities([("education", 5, "幼儿园", 20, -5)])
    model, weights = analyse(
        _to_hebi(street()), _to_hebi(fac), _to_hebi(blocks()), RULES, WIDE,
        units={"parks": _to_hebi(park)},
    )
    tables = report_tables(model, weights)
    assert set(tables) == {
        "summary", "completeness", "gaps", "straight_line", "straight_line_overclaims",
        "places", "unsnapped", "facilities", "units", "checkup",
    }
    assert tables["checkup"].set_index("code").loc["elderly_5", "applicable"] == False  # noqa: E712
    assert len(tables["places"]) == 3 * len(COMBOS)
    assert len(tables["summary"]) == 27
    assert len(tables["units"]) == 27
    layers = result_layers(model)
    wide = layers["residential_coverage"]
    assert wide.crs.to_epsg() == 4326
    assert wide["ok_education_5"].tolist() == [True, False, False]
    assert wide["d_education_5"].tolist() == pytest.approx([80.0, 480.0, 980.0])
    assert wide["n_in_reach_5"].tolist() == [1, 0, 0]
    lon, lat = wide.geometry.iloc[0].representative_point().coords[0]
    assert 114 < lon < 115 and 35 < lat < 36
    assert set(layers) == {
        "residential_coverage", "facilities", "access_points", "network", "walksheds",
        "facility_walksheds",
    }
    assert layers["walksheds"]["category"].tolist() == ["education"]
    assert layers["facility_walksheds"].crs.to_epsg() == 4326


# --- rule table ---------------------------------------------------------------------------------
def _rules_csv() -> pd.DataFrame:
    return pd.read_csv(DEFAULT_RULES_PATH, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_shipped_rules_cover_every_category_and_level_and_cite_sources() -> None:
    table = RULES.table
    defaults = table[table["facility_type"] == "*"]
    assert len(defaults) == 27
    assert set(table["evidence"]) <= {"cited", "secondary", "GK"}
    assert (table["source"].str.len() > 10).all()
    assert RULES.lookup("education", 5, "幼儿园")[0] == 300.0
    assert RULES.lookup("education", 10, "小学")[0] == 500.0
    assert RULES.lookup("education", 15, "初中")[0] == 1000.0
    assert RULES.lookup("green_mobility", 15, "轨道交通站点")[0] == 800.0
    # Unknown type: the tier default of its category and level.
    assert RULES.lookup("education", 5, "早教中心")[0] == 300.0
    kinder = table[table["facility_type"] == "幼儿园"].iloc[0]
    assert "GB 50180-2018" in kinder["source"] and kinder["evidence"] == "GK"


@pytest.mark.parametrize(
    ("edit", "en_fragment", "zh_fragment"),
    [
        (lambda t: t.drop(columns="source"), "lacks column(s): source", "缺少列"),
        (lambda t: t.assign(category=t["category"].where(t.index != 3, "parks")),
         "line(s) 5: category", "第 5 行"),
        (lambda t: t.assign(level_min=t["level_min"].where(t.index != 0, "7")),
         "level_min must be", "层级"),
        (lambda t: t.assign(max_walk_m=t["max_walk_m"].where(t.index != 1, "三百")),
         "max_walk_m must be", "步行距离"),
        (lambda t: t.assign(evidence=t["evidence"].where(t.index != 1, "maybe")),
         "evidence must be", "依据"),
        (lambda t: pd.concat([t, t.iloc[[40]]]), "appear twice", "重复"),
        (lambda t: t.iloc[1:], "tier defaults", "通用规则"),
    ],
)
def test_rule_table_errors_name_the_line_in_both_languages(edit, en_fragment, zh_fragment) -> None:
    with pytest.raises(RuleTableError) as err:
        rules_from_frame(edit(_rules_csv()))
    assert en_fragment in err.value.en
    assert zh_fragment in err.value.zh


def test_rule_table_reads_bytes_with_bom_and_rejects_other_encodings() -> None:
    raw = DEFAULT_RULES_PATH.read_bytes()
    assert len(load_rules(b"\xef\xbb\xbf" + raw).table) == len(RULES.table)
    with pytest.raises(RuleTableError, match="UTF-8"):
        load_rules(raw.decode("utf-8").encode("gb18030"))
    edited = _rules_csv()
    edited.loc[edited["facility_type"] == "幼儿园", "max_walk_m"] = "250"
    assert rules_from_frame(edited).lookup("education", 5, "幼儿园")[0] == 250.0


# --- safe CSV -----------------------------------------------------------------------------------
def test_safe_csv_neutralises_formulas_and_keeps_numbers() -> None:
    table = pd.DataFrame(
        {
            "名称": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "安全"],
            "value": [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0],
            "=bad": ["a", "b", "c", "d", "e", "f"],
        }
    )
    raw = to_safe_csv(table)
    assert raw.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", keep_default_na=False)
    assert back.columns.tolist() == ["名称", "value", "'=bad"]
    assert back["名称"].tolist() == [
        "'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "安全",
    ]
    assert back["value"].tolist() == [-1.5, 2.0, 3.0, 4.0, 5.0, 6.0]
