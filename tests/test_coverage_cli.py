"""The coverage command line: GeoJSON/GeoPackage in, safe CSV tables and a GeoPackage out."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from spatial.coverage import analyse, summary_table
from spatial.coverage_cli import main
from spatial.coverage_rules import load_rules
from spatial.service_categories import CATEGORIES
from tests.coverage_synthetic import ORIGIN, random_city, random_facilities, random_places

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    roads = random_city(8, n=10, origin=ORIGIN)
    fac = random_facilities(roads, 20, 9)
    fac.loc[0, "name"] = "=HYPERLINK(\"http://x\")"
    res = random_places(roads, 40, 10)
    x0, y0, x1, y1 = roads.total_bounds
    units = gpd.GeoDataFrame(
        {"name": ["西片", "东片"], "minutes": [10, 10]},
        geometry=[shapely.box(x0, y0, (x0 + x1) / 2, y1), shapely.box((x0 + x1) / 2, y0, x1, y1)],
        crs=roads.crs,
    )
    return {"roads": roads, "facilities": fac, "residential": res, "units": units}


def _write(layers: dict[str, gpd.GeoDataFrame], tmp: Path) -> dict[str, Path]:
    paths = {
        "roads": tmp / "roads.geojson",
        "facilities": tmp / "facilities.gpkg",
        "residential": tmp / "communities.geojson",
        "units": tmp / "life_circles.geojson",
    }
    for key, path in paths.items():
        driver = "GPKG" if path.suffix == ".gpkg" else "GeoJSON"
        layers[key].to_crs(4326).to_file(path, driver=driver)
    return paths


def test_cli_writes_tables_and_geopackage_matching_the_library(
    layers: dict[str, gpd.GeoDataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _write(layers, tmp_path)
    out = tmp_path / "out"
    status = main(
        [
            "--roads", str(paths["roads"]),
            "--facilities", str(paths["facilities"]),
            "--residential", str(paths["residential"]),
            "--units", str(paths["units"]),
            "--out", str(out),
        ]
    )
    assert status == 0
    assert "education" in capsys.readouterr().out
    names = {p.name for p in out.iterdir()}
    assert {"summary.csv", "gaps.csv", "units.csv", "completeness.csv", "straight_line.csv",
            "unsnapped.csv", "places.csv", "facilities.csv", "coverage.gpkg"} <= names
    raw = (out / "summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    summary = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig")
    # Same figures as the library on the same layers (the files went through WGS84 and back).
    model, _ = analyse(layers["roads"], layers["facilities"], layers["residential"], load_rules())
    expected = summary_table(model)
    assert summary["category_name"].tolist() == expected["category_name"].tolist()
    assert summary["pop_share"].fillna(-1).to_numpy() == pytest.approx(
        expected["pop_share"].fillna(-1).to_numpy(), abs=1e-9
    )
    units = pd.read_csv(out / "units.csv", encoding="utf-8-sig")
    assert set(units["unit_name"]) == {"西片", "东片"}
    assert set(units["unit_layer"]) == {"life_circles"}
    facilities = pd.read_csv(out / "facilities.csv", encoding="utf-8-sig")
    assert facilities.loc[0, "name"] == "'=HYPERLINK(\"http://x\")"
    gpkg_layers = {name for name, _ in pyogrio.list_layers(out / "coverage.gpkg")}
    assert gpkg_layers == {"residential_coverage", "facilities", "access_points", "network",
                           "walksheds", "facility_walksheds"}
    res = gpd.read_file(out / "coverage.gpkg", layer="residential_coverage")
    assert res.crs.to_epsg() == 4326
    assert len(res) == len(layers["residential"])
    assert "ok_education_5" in res.columns


def test_cli_reports_bad_input_in_both_languages_without_traceback(
    layers: dict[str, gpd.GeoDataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _write(layers, tmp_path)
    no_pop = tmp_path / "no_population.geojson"
    layers["residential"].drop(columns="population").to_crs(4326).to_file(no_pop)
    args = ["--roads", str(paths["roads"]), "--facilities", str(paths["facilities"]),
            "--out", str(tmp_path / "o")]
    assert main([*args, "--residential", str(no_pop)]) == 2
    err = capsys.readouterr().err
    assert "人口" in err and "population" in err and "Traceback" not in err
    assert main([*args, "--residential", str(tmp_path / "missing.geojson")]) == 2
    err = capsys.readouterr().err
    assert "missing.geojson" in err and str(tmp_path) not in err  # no server path
    bad_rules = tmp_path / "rules.csv"
    bad_rules.write_text("facility_type,category\n*,health\n", encoding="utf-8")
    status = main([*args, "--residential", str(paths["residential"]), "--rules", str(bad_rules)])
    assert status == 2
    assert "规则表" in capsys.readouterr().err


def test_cli_runs_as_a_module(layers: dict[str, gpd.GeoDataFrame], tmp_path: Path) -> None:
    paths = _write(layers, tmp_path)
    out = tmp_path / "batch"
    proc = subprocess.run(
        [
            sys.executable, "-m", "spatial.coverage_cli",
            "--roads", str(paths["roads"]), "--facilities", str(paths["facilities"]),
            "--residential", str(paths["residential"]), "--out", str(out),
            "--search-limit-m", "3000", "--access-offset",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "coverage.gpkg").is_file()
    assert "wrote" in proc.stdout


def test_cli_accepts_chinese_column_names_and_category_names(
    layers: dict[str, gpd.GeoDataFrame], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _write(layers, tmp_path)
    names = {c.code: c.name for c in CATEGORIES}
    fac = layers["facilities"]
    variant = gpd.GeoDataFrame(
        {
            "id": fac["id"],
            "类别": [names[c] for c in fac["category"]],
            "层级": [f"{lv}分钟" for lv in fac["level_min"]],
            "设施类型": fac["facility_type"],
        },
        geometry=fac.geometry, crs=fac.crs,
    )
    fac_path = tmp_path / "设施.geojson"
    variant.to_crs(4326).to_file(fac_path)
    res_path = tmp_path / "居住.geojson"
    layers["residential"].rename(columns={"population": "人口"}).to_crs(4326).to_file(res_path)
    out = tmp_path / "variant"
    args = ["--roads", str(paths["roads"]), "--out", str(out)]
    assert main([*args, "--facilities", str(fac_path), "--residential", str(res_path)]) == 0
    capsys.readouterr()
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig")
    model, _ = analyse(layers["roads"], layers["facilities"], layers["residential"], load_rules())
    expected = summary_table(model)
    assert summary["n_facilities"].tolist() == expected["n_facilities"].tolist()
    assert summary["pop_share"].fillna(-1).to_numpy() == pytest.approx(
        expected["pop_share"].fillna(-1).to_numpy(), abs=1e-9
    )
    # A facility file without any category column: one message naming the column, status 2.
    variant.drop(columns="类别").to_crs(4326).to_file(tmp_path / "no_cat.geojson")
    status = main([*args, "--facilities", str(tmp_path / "no_cat.geojson"),
                   "--residential", str(res_path)])
    assert status == 2
    err = capsys.readouterr().err
    assert "缺少“category”字段" in err and "no 'category' column" in err
    assert "Traceback" not in err
