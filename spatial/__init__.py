"""Computing core of the Hebi ETDZ spatial-layout viewer (no Streamlit here).

The public API is small and curated; import from here rather than from the
submodules where a name is listed.
"""

from spatial._errors import (
    AnalysisError,
    CRSError,
    ExportError,
    LayerImportError,
    LayerValidationError,
    SpatialError,
)
from spatial.crs import (
    GK_EPSG_HEBI,
    WGS84,
    area_m2,
    gcj02_to_wgs84,
    gk_epsg_for_lon,
    length_m,
    project_to_gk,
    shift_geometry_to_gcj02,
    to_wgs84,
    wgs84_to_gcj02,
)
from spatial.importer import read_user_layer
from spatial.text import escape_text, escape_value
from spatial.workspace import GeoPackageWorkspace

__all__ = [
    "GK_EPSG_HEBI",
    "WGS84",
    "AnalysisError",
    "CRSError",
    "ExportError",
    "GeoPackageWorkspace",
    "LayerImportError",
    "LayerValidationError",
    "SpatialError",
    "area_m2",
    "escape_text",
    "escape_value",
    "gcj02_to_wgs84",
    "gk_epsg_for_lon",
    "length_m",
    "project_to_gk",
    "read_user_layer",
    "shift_geometry_to_gcj02",
    "to_wgs84",
    "wgs84_to_gcj02",
]
