"""Coverage a planner can trust: CRS-independent figures, honest inputs, polygon facilities, CLI."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from spatial._errors import AnalysisError
from spatial.coverage import (
    analyse,
    input_basis,
    n_facilities,
    rests_on_estimates,
    summary_table,
)
from spatial.coverage_cli import main
from spatial.coverage_rules import load_rules
from tests.coverage_synthetic import (
    GK,
    ORIGIN,
    blocks,
    random_city,
    random_facilities,
    random_places,
    street,
)

RULES = load_rules()


@pytest.fixture(scope="module")
def city() -> dict[str, gpd.GeoDataFrame]:
    roads = random_city(5, n=10, origin=ORIGIN)
    return {
        "roads": roads,
        "facilities": random_facilities(roads, 30, 6),
        "residential": random_places(roads, 50, 7),
    }


def test_coverage_in_utm_and_web_mercator_equals_gk_to_1_cm(
    city: dict[str, gpd.GeoDataFrame],
) -> None:
    gk, _ = analyse(city["roads"], city["facilities"], city["residential"], RULES)
    assert gk.network.crs.to_epsg() == 4547
    for crs in ("EPSG:32650", "EPSG:3857"):
        other, _ = analyse(
            city["roads"].to_crs(crs), city["facilities"].to_crs(crs),
            city["residential"].to_crs(crs), RULES,
        )
        assert other.network.crs.to_epsg() == 4547, crs
        a, b = gk.combo_dist, other.combo_dist
        assert (np.isfinite(a) == np.isfinite(b)).all(), crs
        assert np.abs(a[np.isfinite(a)] - b[np.isfinite(b)]).max() < 0.01, crs
        assert (gk.covered == other.covered).all(), crs
        pd.testing.assert_series_equal(
            summary_table(gk)["pop_share"], summary_table(other)["pop_share"], check_exact=False
        )


def _street_facilities(rows: list[tuple[str, int, float, float, str, bool]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": [f"s{i}" for i in range(len(rows))],
            "name": [f"设施{i}" for i in range(len(rows))],
            "category": [r[0] for r in rows],
            "level_min": [r[1] for r in rows],
            "confidence": [r[4] for r in rows],
            "named_in_plan": [r[5] for r in rows],
        },
        geometry=[shapely.Point(r[2], r[3]) for r in rows],
        crs=GK,
    )


def test_figures_say_how_much_rests_on_estimates() -> None:
    res = blocks().assign(population_basis=[
        "area 0.002 km² × 2.8万人/km²", "2020年第七次人口普查", "",
    ])
    fac = _street_facilities([
        ("education", 5, 20, -5, "high", True),
        ("education", 5, 600, -5, "schematic", True),
        ("health", 15, 900, -5, "high", False),
    ])
    model, _ = analyse(street(), fac, res, RULES)
    s = summary_table(model).set_index(["category", "level_min"])
    edu = s.xs(("education", 5))
    # Covered: r1 (estimated, 1000) and r2 (census, 2000) → 1/3 of the covered population.
    assert edu["population_covered"] == pytest.approx(3000)
    assert edu["pop_estimated_share"] == pytest.approx(1000 / 3000)
    assert edu["facilities_unsurveyed_share"] == pytest.approx(0.5)
    assert s.xs(("health", 15))["facilities_unsurveyed_share"] == pytest.approx(1.0)
    assert np.isnan(s.xs(("health", 5))["pop_share"])
    basis = input_basis(model)
    assert basis["pop_estimated_share"] == pytest.approx(1000 / 6000)
    assert basis["facilities_unsurveyed_share"] == pytest.approx(2 / 3)
    assert rests_on_estimates(model)
    surveyed = _street_facilities([("education", 5, 20, -5, "high", True)])
    clean, _ = analyse(street(), surveyed, blocks(), RULES)
    assert not rests_on_estimates(clean)


def test_polygon_facility_is_reached_at_its_edge_not_its_centroid() -> None:
    # A 200 × 200 m park south of the street, its north edge 10 m from it, centre at x = 1000.
    park = gpd.GeoDataFrame(
        {"name": ["公园"], "category": ["fitness"], "level_min": [15]},
        geometry=[shapely.box(900, -210, 1100, -10)], crs=GK,
    )
    model, _ = analyse(street(), park, blocks(), RULES)
    j = summary_table(model).index[
        (summary_table(model)["category"] == "fitness") & (summary_table(model)["level_min"] == 15)
    ][0]
    # Block r3 (x = 1000, access 30 m north) reaches the park's edge at ~x = 1000 along the
    # street, not the centroid 110 m further south.
    assert model.combo_dist[2, j] < 60
    assert n_facilities(model) == 1
    assert summary_table(model).loc[j, "n_facilities"] == 1
    model.remove_facility(str(model.facilities["facility_id"].iloc[0]))
    assert len(model.facilities) == 0


def test_polygons_as_facilities_without_category_get_their_own_message() -> None:
    with pytest.raises(AnalysisError, match="面要素"):
        analyse(street(), blocks().drop(columns="population"), blocks(), RULES)


def test_errors_name_facilities_not_internal_ids() -> None:
    fac = gpd.GeoDataFrame(
        {"名称": ["卫生站"], "类别": ["nine"]}, geometry=[shapely.Point(0, 0)], crs=GK
    )
    with pytest.raises(AnalysisError) as err:
        analyse(street(), fac, blocks(), RULES)
    assert "卫生站" in str(err.value) and "@" not in str(err.value)
    unnamed = gpd.GeoDataFrame({"类别": ["nine"]}, geometry=[shapely.Point(0, 0)], crs=GK)
    with pytest.raises(AnalysisError) as err:
        analyse(street(), unnamed, blocks(), RULES)
    assert "#1" in str(err.value) and "f0" not in str(err.value)


@pytest.fixture()
def files(tmp_path: Path, city: dict[str, gpd.GeoDataFrame]) -> dict[str, Path]:
    paths = {}
    for key, layer in city.items():
        path = tmp_path / f"{key}.geojson"
        layer.to_crs(4326).to_file(path, driver="GeoJSON")
        paths[key] = path
    return paths


def _args(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return ["--roads", str(files["roads"]), "--facilities", str(files["facilities"]),
            "--residential", str(files["residential"]), "--out", str(out), *extra]


def test_cli_banner_counts_each_facility_once(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Facilities without a level count at every tier (3 rows each) but once in the banner.
    fac = gpd.read_file(files["facilities"]).drop(columns=["level_min"])
    fac.to_file(files["facilities"], driver="GeoJSON")
    assert main(_args(files, tmp_path / "out")) == 0
    assert f", {len(fac)} facilities;" in capsys.readouterr().out


@pytest.mark.parametrize(
    "flag, value",
    [("--max-snap-m", "nan"), ("--max-snap-m", "-1"), ("--max-snap-m", "0"),
     ("--snap-gap-m", "inf"), ("--snap-gap-m", "-0.5"), ("--search-limit-m", "nan"),
     ("--max-snap-m", "abc")],
)
def test_cli_refuses_bad_numbers_with_exit_2(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    flag: str, value: str,
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(_args(files, tmp_path / "out", flag, value))
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "有限数值" in err and "finite number" in err and "Traceback" not in err


def test_cli_refuses_existing_or_unwritable_out(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a_file = tmp_path / "taken.txt"
    a_file.write_text("keep")
    assert main(_args(files, a_file)) == 2
    assert a_file.read_text() == "keep"
    out = tmp_path / "out"
    assert main(_args(files, out)) == 0
    capsys.readouterr()
    assert main(_args(files, out)) == 2  # earlier results: refused without --overwrite
    assert "--overwrite" in capsys.readouterr().err
    (out / "summary.csv").unlink()
    (out / "summary.csv").mkdir()  # not a regular file: refused even with --overwrite
    assert main(_args(files, out, "--overwrite")) == 2
    assert "不是普通文件" in capsys.readouterr().err
    (out / "summary.csv").rmdir()
    target = tmp_path / "elsewhere.csv"
    target.write_text("x")
    (out / "summary.csv").symlink_to(target)
    assert main(_args(files, out, "--overwrite")) == 2
    assert target.read_text() == "x"
    (out / "summary.csv").unlink()
    assert main(_args(files, out, "--overwrite")) == 0
    # An unwritable place (works as root too: /proc takes no new directories).
    status = main(_args(files, Path("/proc/coverage-out-test")))
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err and "无法写入" in err


def test_cli_crs_option(files: dict[str, Path], tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(_args(files, tmp_path / "a", "--crs", "EPSG:3857")) == 2
    assert "Web Mercator" in capsys.readouterr().err
    assert main(_args(files, tmp_path / "b", "--crs", "EPSG:32650")) == 0


def test_confidence_and_source_are_carried_for_what_is_printed() -> None:
    # A print of the results needs each place's and facility's confidence (the 示意图 note, the
    # dashed outline) and source (the sources line); a planner may write 示意 in Chinese.
    fac = gpd.GeoDataFrame(
        {"category": ["education"] * 3, "level_min": [10, 10, 10], "name": ["甲", "乙", "丙"],
         "confidence": ["schematic", "示意", None], "source": ["示意设施（规划未具名）", "", None]},
        geometry=[shapely.Point(20, -5), shapely.Point(400, -5), shapely.Point(800, -5)], crs=GK,
    )
    res = blocks().assign(confidence=["low", " Schematic ", ""],
                          source=["调查", "示意街坊（规划未具名）", ""])
    model, _ = analyse(street(), fac, res, RULES)
    places = model.places
    assert places.confidence is not None and places.source is not None
    assert list(places.confidence) == ["low", "schematic", ""]
    assert list(places.source) == ["调查", "示意街坊（规划未具名）", ""]
    f = model.facilities
    assert list(f["confidence"]) == ["schematic", "schematic", ""]
    assert list(f["source"]) == ["示意设施（规划未具名）", "", ""]
    model.add_facility("education", 10, 600.0, -5.0)  # a what-if says nothing of either
    last = model.facilities.iloc[-1]
    assert bool(last["hypothetical"]) and last["confidence"] == "" and last["source"] == ""
    # A layer without the columns: nothing said, nothing invented.
    bare, _ = analyse(street(), fac.drop(columns=["confidence", "source"]),
                      blocks(), RULES)
    assert bare.places.confidence is None and bare.places.source is None
    assert set(bare.facilities["confidence"]) == {""}
