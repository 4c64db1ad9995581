"""The catalogue: registered layer declarations, and loading with validation.

Loading a layer reads its file through a :class:`spatial.storage.LayerStore`
and checks every feature against the layer's declaration; a mismatch raises
:class:`spatial.LayerValidationError` naming the file, the feature id and
what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import shapely
from shapely.geometry.base import BaseGeometry

from layers.schema import LayerSpec, specs_in_groups
from spatial._errors import LayerValidationError
from spatial.crs import WGS84
from spatial.storage import GeoJSONDirectoryStore, LayerStore

__all__ = [
    "DATA_DIR",
    "all_specs",
    "default_store",
    "get_spec",
    "load_layer",
    "register",
    "specs_for_groups",
    "validate_layer",
]

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "geo"

_CATALOGUE: dict[str, LayerSpec] = {}

_FAMILY = {
    "Point": {"Point", "MultiPoint"},
    "LineString": {"LineString", "MultiLineString"},
    "Polygon": {"Polygon", "MultiPolygon"},
}


def register(spec: LayerSpec) -> LayerSpec:
    """Add a declaration to the catalogue (ids must be unique)."""
    if spec.id in _CATALOGUE and _CATALOGUE[spec.id] != spec:
        raise ValueError(f"layer id {spec.id!r} is declared twice")
    _CATALOGUE[spec.id] = spec
    return spec


def all_specs() -> list[LayerSpec]:
    """Return every declared layer in drawing order."""
    return sorted(_CATALOGUE.values(), key=lambda s: s.z_order)


def get_spec(layer_id: str) -> LayerSpec:
    """Return the declaration of one layer.

    Raises
    ------
    LayerValidationError
        If no layer has this id.
    """
    try:
        return _CATALOGUE[layer_id]
    except KeyError:
        raise LayerValidationError(
            f"目录中没有图层“{layer_id}”。", f"No layer '{layer_id}' in the catalogue."
        ) from None


def specs_for_groups(groups: Iterable[str]) -> list[LayerSpec]:
    """Return the declared layers of the given groups, in drawing order."""
    return specs_in_groups(_CATALOGUE.values(), groups)


def default_store() -> LayerStore:
    """Return the store of the shipped plan data (read-only GeoJSON directory)."""
    return GeoJSONDirectoryStore(DATA_DIR, read_only=True)


def _fail(spec: LayerSpec, fid: object, what_zh: str, what_en: str) -> LayerValidationError:
    name = f"{spec.file_stem}.geojson"
    return LayerValidationError(
        f"图层文件 {name} 中要素 {fid}：{what_zh}", f"Layer file {name}, feature {fid}: {what_en}"
    )


def validate_layer(spec: LayerSpec, gdf: gpd.GeoDataFrame) -> None:
    """Check every feature of a layer against its declaration.

    Checks: CRS is WGS84; ids unique; each declared property present, of its
    type and allowed value; geometry of the declared family, valid and
    non-empty (a null geometry only where the declaration allows it and the
    feature says ``location_known: false``).

    Raises
    ------
    LayerValidationError
        At the first problem, naming the file, the feature id and the problem.
    """
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        raise _fail(spec, "-", "坐标系不是 WGS84 (EPSG:4326)", "CRS is not WGS84 (EPSG:4326)")
    columns = set(gdf.columns)
    seen: set[object] = set()
    for pos, (_, row) in enumerate(gdf.iterrows()):
        fid = row.get("id") if "id" in columns else None
        label = fid if isinstance(fid, str) and fid else f"#{pos + 1}"
        if label in seen:
            raise _fail(spec, label, "id 重复", "duplicate id")
        seen.add(label)
        for prop in spec.all_properties():
            if prop.name not in columns:
                if prop.required:
                    raise _fail(spec, label, f"缺少属性“{prop.name}”",
                                f"property '{prop.name}' is missing")
                continue
            problem = prop.problem(_plain(row[prop.name]))
            if problem is not None:
                raise _fail(spec, label, f"属性值不合规：{problem}", problem)
        geom = row.geometry
        if not isinstance(geom, BaseGeometry) or geom.is_empty:
            located = row.get("location_known") if "location_known" in columns else True
            if spec.allow_null_geometry and located is False:
                continue
            raise _fail(spec, label, "没有几何", "geometry is missing or empty")
        if geom.geom_type not in _FAMILY[spec.geometry]:
            raise _fail(spec, label, f"几何类型应为 {spec.geometry}，实为 {geom.geom_type}",
                        f"geometry should be {spec.geometry}, got {geom.geom_type}")
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            raise _fail(spec, label, f"几何无效（{reason}）", f"invalid geometry ({reason})")


def _plain(value: object) -> object:
    """Turn numpy scalars/arrays from GDAL into plain Python values for type checks."""
    if hasattr(value, "tolist"):
        return value.tolist()  # numpy scalar -> int/float/bool, array -> list
    return value


def load_layer(layer_id: str, store: LayerStore | None = None) -> gpd.GeoDataFrame:
    """Read a catalogue layer and validate it against its declaration.

    Parameters
    ----------
    layer_id : str
        Id of a declared layer.
    store : LayerStore, optional
        Where to read from; the shipped ``data/geo`` by default.

    Returns
    -------
    GeoDataFrame
        The layer in EPSG:4326, every feature checked.
    """
    spec = get_spec(layer_id)
    gdf = (store or default_store()).read_layer(spec.file_stem)
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    validate_layer(spec, gdf)
    return gdf
