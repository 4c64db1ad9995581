"""Coverage tables and downloads name every facility and place in words, never by internal id.

An uploaded facility layer without ids gets row ids (``f0``, ``f1@10``), the
shipped one slug ids; a layer without names would leave blank cells. Every
table the coverage page offers for download is built here exactly as the
download builds it (:func:`ui.coverage_tables.shown_table`, then
:func:`spatial.tables.to_safe_csv`) and scanned for any id of the run.
"""

from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from spatial.coverage import (
    CoverageModel,
    analyse,
    facility_names,
    facility_ordinals,
    name_unnamed,
    report_tables,
    unnamed_label,
    unsnapped_table,
)
from spatial.coverage_rules import load_rules
from spatial.tables import to_safe_csv
from tests.coverage_synthetic import GK, ORIGIN, blocks, street
from ui.coverage_tables import shown_table

X0, Y0 = ORIGIN


@pytest.fixture(scope="module")
def run() -> tuple[CoverageModel, list]:
    """A street, three blocks (one unnamed) and four facilities: two unnamed, one far off road.

    The facilities have no id column (they get ``f0`` …); the kindergarten with
    no level serves two tiers (``f1@5``/``f1@10``-style rows).
    """
    facilities = gpd.GeoDataFrame(
        {
            "name": [None, "", "社区卫生服务站", "远处的站"],
            "category": ["education", "education", "health", "health"],
            "level_min": [5, None, 5, 5],
            "facility_type": ["幼儿园", "", "", ""],
        },
        geometry=[shapely.Point(X0 + 20, Y0 - 5), shapely.Point(X0 + 500, Y0 - 5),
                  shapely.Point(X0 + 1000, Y0 - 5), shapely.Point(X0 + 600, Y0 - 3000)],
        crs=GK,
    )
    places = blocks(ORIGIN)
    places.loc[2, "name"] = None  # 西苑 loses its name: the third block
    unit = gpd.GeoDataFrame({"id": ["unit-east"], "name": [""]},
                            geometry=[shapely.box(X0, Y0, X0 + 700, Y0 + 100)], crs=GK)
    return analyse(street(ORIGIN), facilities, places, load_rules(), units={"东片": unit})


def ids_of(model: CoverageModel, units: list) -> set[str]:
    f = model.facilities
    out = {*map(str, f["facility_id"]), *map(str, f["source_id"]), *map(str, model.places.ids)}
    out |= {str(i) for u in units for i in getattr(u, "ids", ())}
    out.add("unit-east")
    return out


def test_the_run_really_has_row_ids_and_blank_names(run) -> None:
    model, _ = run
    f = model.facilities
    assert {"f0", "f3"} <= set(f["source_id"])
    assert any("@" in str(i) for i in f["facility_id"])  # one facility, two tiers
    assert (f["name"] == "").sum() >= 2


def test_unnamed_facilities_are_numbered_by_their_place_in_the_layer(run) -> None:
    model, _ = run
    pos = facility_ordinals(model)
    assert pos["f0"] == 1 and pos["f3"] == 4
    names = dict(zip(model.facilities["facility_id"], facility_names(model), strict=True))
    assert names["f0"] == "未命名设施（第1个）"
    assert {n for i, n in names.items() if str(i).startswith("f1")} == {"未命名设施（第2个）"}
    assert names["f2"] == "社区卫生服务站"
    assert unnamed_label("facility", 2, "en") == "Unnamed facility (no. 2)"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_download_shows_an_id_and_every_row_has_a_name(run, lang: str) -> None:
    model, units = run
    ids = ids_of(model, units)
    tables = report_tables(model, units)
    assert {"gaps", "unsnapped", "facilities", "places", "units"} <= set(tables)
    for which, table in tables.items():
        csv = to_safe_csv(shown_table(table, model, lang)).decode("utf-8-sig")
        shown = pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
        assert not ids & set(shown.columns), which
        cells = set(shown.to_numpy().ravel())
        leaked = {c for c in cells if c in ids or c.strip("'") in ids}
        assert not leaked, (which, leaked)
        for col in ("名称", "居住街坊", "单元", "Name", "Residential block", "Unit"):
            if col in shown.columns:
                assert (shown[col].str.strip() != "").all(), (which, col)
    unsnapped = shown_table(unsnapped_table(model), model, lang)
    name_col = "名称" if lang == "zh" else "Name"
    assert list(unsnapped[name_col]) == [
        "远处的站"]  # the off-road facility by its name, not by f3
    facilities = shown_table(tables["facilities"], model, lang)[name_col]
    expected = "未命名设施（第1个）" if lang == "zh" else "Unnamed facility (no. 1)"
    assert expected in set(facilities)
    gaps = shown_table(tables["gaps"], model, lang)
    block = "居住街坊" if lang == "zh" else "Residential block"
    assert ("未命名居住区（第3个）" if lang == "zh" else "Unnamed residential block (no. 3)") \
        in set(gaps[block])


def test_named_rows_keep_their_names(run) -> None:
    model, _ = run
    table = pd.DataFrame({"layer": ["facilities", "residential"], "id": ["f2", "r1"],
                          "name": ["社区卫生服务站", "东苑"], "status": ["no_rule", "no_location"]})
    assert list(name_unnamed(table, model)["name"]) == ["社区卫生服务站", "东苑"]
