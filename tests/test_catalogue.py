"""The catalogue mechanism: declarations, validation messages, styles and legends."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, Polygon

import layers
import layers.fields
from layers.catalogue import validate_layer
from layers.schema import LayerSpec, PropertySpec, Style
from spatial import LayerValidationError

SPEC = LayerSpec(
    id="test_parks",
    title_zh="测试园区",
    title_en="Test parks",
    group="parks",
    geometry="Polygon",
    style=Style("#336699"),
    properties=(PropertySpec("area_km2_plan", "float", required=False),),
    allow_null_geometry=True,
)

SQUARE = Polygon([(114.30, 35.76), (114.31, 35.76), (114.31, 35.77), (114.30, 35.77)])


def _feature(**over: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": "p1",
        "name": "园区",
        "name_en": "Park",
        "kind": "park",
        "source": "规划纲要 第三章",
        "confidence": "low",
        "geometry": SQUARE,
    }
    props.update(over)
    return props


def _gdf(*features: dict[str, Any]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(list(features), geometry="geometry", crs="EPSG:4326")


def test_a_conforming_layer_passes() -> None:
    validate_layer(SPEC, _gdf(_feature(), _feature(id="p2", area_km2_plan=2.87)))


@pytest.mark.parametrize(
    ("override", "needle"),
    [
        ({"confidence": "sure"}, "confidence"),
        ({"name": ""}, "name"),
        ({"area_km2_plan": "big"}, "area_km2_plan"),
        ({"geometry": LineString([(114.3, 35.76), (114.31, 35.77)])}, "LineString"),
        ({"geometry": Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])}, "invalid geometry"),
        ({"geometry": None}, "geometry is missing"),
    ],
)
def test_a_broken_feature_is_named_with_its_file_and_problem(
    override: dict[str, Any], needle: str
) -> None:
    bad = _feature(id="broken-one", **override)
    with pytest.raises(LayerValidationError) as err:
        validate_layer(SPEC, _gdf(_feature(), bad))
    msg = str(err.value)
    assert "test_parks.geojson" in msg
    assert "broken-one" in msg
    assert needle in msg


def test_missing_required_property_is_reported() -> None:
    gdf = _gdf(_feature()).drop(columns=["source"])
    with pytest.raises(LayerValidationError, match="'source' is missing"):
        validate_layer(SPEC, gdf)


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(LayerValidationError, match="duplicate id"):
        validate_layer(SPEC, _gdf(_feature(), _feature()))


def test_null_geometry_only_for_an_unlocated_feature() -> None:
    unlocated = _feature(id="fushan", geometry=None, location_known=False)
    located = _feature(id="p1", location_known=True)
    validate_layer(SPEC, _gdf(located, unlocated))
    with pytest.raises(LayerValidationError, match="fushan"):
        validate_layer(SPEC, _gdf(located, _feature(id="fushan", geometry=None,
                                                    location_known=True)))


def test_wrong_crs_is_refused() -> None:
    gdf = _gdf(_feature()).to_crs(4547)
    with pytest.raises(LayerValidationError, match="WGS84"):
        validate_layer(SPEC, gdf)


def test_schematic_features_are_dashed_and_others_keep_their_style() -> None:
    assert SPEC.style_for({"confidence": "schematic"}).leaflet()["dashArray"] == "8 6"
    assert "dashArray" not in SPEC.style_for({"confidence": "high"}).leaflet()


def test_style_by_property_drives_style_and_legend() -> None:
    lake, zone = Style("#2288cc"), Style("#cc8822")
    spec = LayerSpec(
        id="areas", title_zh="区", title_en="Areas", group="parks", geometry="Polygon",
        style=Style("#000000"), style_by="kind",
        style_map={"lake": (lake, "景观湖", "Lake"), "zone": (zone, "片区", "Zone")},
    )
    assert spec.style_for({"kind": "lake"}) == lake
    assert spec.style_for({"kind": "other"}) == Style("#000000")
    assert [e.label("en") for e in spec.legend()] == ["Lake", "Zone"]
    assert {e.symbol for e in spec.legend()} == {"fill"}


def test_unknown_group_is_a_declaration_error() -> None:
    with pytest.raises(KeyError):
        LayerSpec(id="x", title_zh="x", title_en="x", group="nope", geometry="Point",
                  style=Style("#000000"))


def test_point_layer_accepts_multipoint_family() -> None:
    spec = LayerSpec(id="pts", title_zh="点", title_en="Points", group="facilities",
                     geometry="Point", style=Style("#000000"))
    validate_layer(spec, _gdf(_feature(geometry=Point(114.3, 35.76))))


def test_stored_areas_are_those_of_the_drawn_shapes() -> None:
    # They are shown as 图上面积 ("area as drawn"); the plan's own figure is area_km2_plan.
    from spatial.crs import area_m2

    for spec in layers.all_specs():
        gdf = layers.load_layer(spec.id)
        for field, unit in (("area_km2", 1e6), ("area_ha", 1e4)):
            if field not in gdf.columns:
                continue
            stored = gdf[field].astype(float)
            known = stored.notna().to_numpy()
            drawn = area_m2(gdf[known]) / unit
            assert drawn == pytest.approx(stored[known].to_numpy(), rel=0.01), (spec.id, field)
    assert layers.fields.field_label("area_km2") == "图上面积"
