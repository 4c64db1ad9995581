"""A whole coverage run on layers in any CRS, its tables and result layers, and coordinates."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

from spatial.coverage.checkup import checkup_table
from spatial.coverage.model import CoverageModel
from spatial.coverage.prepare import (
    _DECIMALS,
    COMBOS,
    CoverageSettings,
    UnitWeights,
    prepare_facilities,
    prepare_places,
    prepare_units,
)
from spatial.coverage.tables import (
    _finite_or_nan,
    categories_in_reach,
    completeness_table,
    gap_table,
    place_table,
    straight_line_table,
    summary_table,
    unit_table,
    unsnapped_table,
)
from spatial.coverage.walksheds import category_walksheds, facility_walksheds
from spatial.coverage_rules import CoverageRules
from spatial.crs import WGS84
from spatial.network import (
    WalkNetwork,
    build_network,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
GeomArray = NDArray[np.object_]


def lonlat_to_network(network: WalkNetwork, lon: float, lat: float) -> tuple[float, float]:
    """WGS84 lon/lat of a click or a typed position → the network's metric x, y."""
    x, y = Transformer.from_crs(WGS84, network.crs, always_xy=True).transform(lon, lat)
    return float(x), float(y)


def network_to_lonlat(
    network: WalkNetwork, x: ArrayLike, y: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """The network's metric x, y → WGS84 lon/lat arrays."""
    lon, lat = Transformer.from_crs(network.crs, WGS84, always_xy=True).transform(
        np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    )
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


# --- whole run ----------------------------------------------------------------------------------
def analyse(
    roads: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    residential: gpd.GeoDataFrame,
    rules: CoverageRules,
    settings: CoverageSettings | None = None,
    units: Mapping[str, gpd.GeoDataFrame] | None = None,
    network: WalkNetwork | None = None,
    require_population: bool = True,
) -> tuple[CoverageModel, list[UnitWeights]]:
    """Run the coverage analysis on layers in any CRS.

    Distances are measured in ``settings.crs`` when given, else in the road
    layer's local metric CRS (its Gauss–Krüger zone in China, e.g. EPSG:4547
    for Hebi; its UTM zone elsewhere; a layer already in a GK zone is kept; Web
    Mercator is always reprojected): see :func:`spatial.metric_crs.to_metric`.
    The other layers are brought to that CRS.

    Parameters
    ----------
    roads, facilities, residential : GeoDataFrame
        See :func:`spatial.network.build_network`, :func:`prepare_facilities`
        and :func:`prepare_places`.
    rules : CoverageRules
    settings : CoverageSettings, optional
    units : mapping of layer name to GeoDataFrame, optional
        Planning-unit polygon layers (life circles, parks …).
    network : WalkNetwork, optional
        A network already built from ``roads`` (to reuse a cached one).
    require_population : bool
        If False, a residential layer without population is analysed for the
        area shares only (see :func:`prepare_places`).

    Returns
    -------
    tuple
        The model and the unit weights (for :func:`unit_table`).
    """
    settings = settings or CoverageSettings()
    if network is None:
        network = build_network(roads, snap_gap_m=settings.snap_gap_m, crs=settings.crs)
    epsg = network.crs.to_epsg()
    places = prepare_places(
        residential.to_crs(epsg if epsg else network.crs), network, settings.max_snap_m,
        require_population,
    )
    fac = prepare_facilities(
        facilities.to_crs(epsg if epsg else network.crs), network, rules, settings.max_snap_m
    )
    model = CoverageModel(network, places, fac, rules, settings)
    weights = [
        prepare_units(name, layer.to_crs(network.crs), places)
        for name, layer in (units or {}).items()
    ]
    return model, weights


def report_tables(
    model: CoverageModel,
    units: list[UnitWeights],
    area: Any = None,
    targets: Mapping[str, float] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every output table of a run, by file stem (for CSV export).

    ``area`` is the study area of the 体检 indicators' total-area share (see
    :func:`spatial.coverage.checkup.study_area`); ``targets`` their targets.
    """
    straight, overclaims = straight_line_table(model)
    tables = {
        "summary": summary_table(model),
        "checkup": checkup_table(model, targets=targets, area=area),
        "completeness": completeness_table(model),
        "gaps": gap_table(model),
        "straight_line": straight,
        "straight_line_overclaims": overclaims,
        "places": place_table(model),
        "unsnapped": unsnapped_table(model),
        "facilities": model.facilities.drop(columns=["group"]).round(_DECIMALS),
    }
    if units:
        tables["units"] = unit_table(model, units)
    return tables


def result_layers(model: CoverageModel) -> dict[str, gpd.GeoDataFrame]:
    """Return the result layers in WGS84 (coverage, facilities, access points, network, walksheds).

    ``walksheds`` has one polygon per category and level, ``facility_walksheds``
    one per facility (see :mod:`spatial.coverage.walksheds`).
    """
    p = model.places
    crs = model.network.crs
    wide: dict[str, object] = {
        "place_id": p.ids,
        "name": p.names,
        "population": p.population,
        "area_m2": np.round(p.area_m2, _DECIMALS),
        "on_network": p.snapped.ok,
        "road_offset_m": np.round(p.snapped.offset, _DECIMALS),
    }
    for j, (cat, lv) in enumerate(COMBOS):
        wide[f"d_{cat}_{lv}"] = _finite_or_nan(model.combo_dist[:, j])
        wide[f"ok_{cat}_{lv}"] = model.covered[:, j]
    for level, counts in categories_in_reach(model).items():
        wide[f"n_in_reach_{level}"] = counts
    residential = gpd.GeoDataFrame(wide, geometry=list(p.geometry), crs=crs)
    fac = model.facilities.drop(columns=["group"]).copy()
    facilities = gpd.GeoDataFrame(fac, geometry=list(model.facility_points()), crs=crs)
    access = gpd.GeoDataFrame(
        {"place_id": p.ids, "on_network": p.snapped.ok}, geometry=list(p.access), crs=crs
    )
    return {
        "residential_coverage": residential.to_crs(WGS84),
        "facilities": facilities.to_crs(WGS84),
        "access_points": access.to_crs(WGS84),
        "network": model.network.segments_gdf().to_crs(WGS84),
        "walksheds": category_walksheds(model),
        "facility_walksheds": facility_walksheds(model),
    }
