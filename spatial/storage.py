"""Where layers are kept: a small interface with interchangeable back ends.

The analysis and the UI only see :class:`LayerStore`. Today there are two
back ends: the shipped GeoJSON directory (read-only) and the user's GeoPackage
workspace (`spatial.workspace.GeoPackageWorkspace`). A PostGIS store for
city-wide data and many users implements the same four methods.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol, runtime_checkable

import geopandas as gpd
import pyogrio

from spatial._errors import LayerValidationError, SpatialError
from spatial.crs import WGS84

__all__ = ["GeoJSONDirectoryStore", "LayerStore", "check_layer_name"]

# Layer names double as file and table names: keep them to a safe identifier.
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def check_layer_name(name: str) -> str:
    """Return ``name`` if it is a safe layer identifier, else raise.

    A safe name is lower-case ASCII letters, digits and ``_``, starting with a
    letter, at most 63 characters: valid as a file stem, a GeoPackage table
    and a PostgreSQL identifier without quoting.
    """
    if not _NAME_RE.match(name):
        raise SpatialError(
            f"图层标识“{name[:40]}”不合法：只能用小写字母、数字和下划线，以字母开头。",
            f"Layer id '{name[:40]}' is not valid: use lower-case letters, digits and _, "
            "starting with a letter.",
        )
    return name


@runtime_checkable
class LayerStore(Protocol):
    """A place that holds named layers in WGS84."""

    def list_layers(self) -> list[str]:
        """Return the names of the stored layers, sorted."""
        ...

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        """Return one layer as a GeoDataFrame in EPSG:4326."""
        ...

    def write_layer(self, name: str, gdf: gpd.GeoDataFrame) -> None:
        """Store (create or replace) a layer."""
        ...

    def delete_layer(self, name: str) -> None:
        """Remove a layer; removing a missing layer is not an error."""
        ...


class GeoJSONDirectoryStore:
    """Layers kept as ``<name>.geojson`` files in one directory.

    Parameters
    ----------
    root : Path
        The directory (the shipped data live in ``data/geo``).
    read_only : bool
        Refuse writes and deletes (the shipped plan data are read-only in the app).
    """

    def __init__(self, root: Path, read_only: bool = True) -> None:
        self.root = Path(root)
        self.read_only = read_only

    def _path(self, name: str) -> Path:
        return self.root / f"{check_layer_name(name)}.geojson"

    def list_layers(self) -> list[str]:
        """Return the names of the GeoJSON files in the directory, sorted."""
        return sorted(p.stem for p in self.root.glob("*.geojson") if _NAME_RE.match(p.stem))

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        """Read ``<name>.geojson`` with the GeoJSON driver pinned."""
        path = self._path(name)
        if not path.is_file():
            raise LayerValidationError(
                f"找不到图层“{name}”。", f"Layer '{name}' does not exist."
            )
        # Pin the driver so that the file is read as GeoJSON and nothing else.
        gdf = pyogrio.read_dataframe(f"GeoJSON:{path}")
        if gdf.crs is None:
            gdf = gdf.set_crs(WGS84)
        return gdf.to_crs(WGS84)

    def write_layer(self, name: str, gdf: gpd.GeoDataFrame) -> None:
        """Write ``<name>.geojson`` in WGS84 (refused when read-only)."""
        self._refuse_if_read_only()
        path = self._path(name)
        tmp = path.with_suffix(".tmp")
        gdf.to_crs(WGS84).to_file(tmp, driver="GeoJSON")
        tmp.replace(path)  # atomic: a reader never sees half a file

    def delete_layer(self, name: str) -> None:
        """Delete ``<name>.geojson`` (refused when read-only)."""
        self._refuse_if_read_only()
        self._path(name).unlink(missing_ok=True)

    def _refuse_if_read_only(self) -> None:
        if self.read_only:
            raise SpatialError(
                "内置规划图层为只读，不能修改。", "The shipped plan layers are read-only."
            )
