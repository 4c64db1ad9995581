"""The store contracts (:class:`LayerStore`, :class:`ProjectStore`) and the shipped GeoJSON store.

The analysis and the UI only see these protocols. Back ends: the shipped
GeoJSON directory (read-only, here), the desk workspace in one GeoPackage
(:mod:`spatial.storage.geopackage`) and a project in PostGIS
(:mod:`spatial.storage.postgis`). One contract test suite runs against both
project stores.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

import geopandas as gpd
import pyogrio

from spatial._errors import LayerValidationError, SpatialError
from spatial.audit import AuditEntry
from spatial.crs import WGS84

__all__ = [
    "ITEM_KINDS",
    "GeoJSONDirectoryStore",
    "LayerStore",
    "ProjectStore",
    "UserLayerInfo",
    "check_item_kind",
    "check_layer_name",
    "layer_id_for",
    "missing_layer_error",
    "normalise_title",
    "read_only_error",
]

_TITLE_MAX = 100

# The kinds of JSON document a project keeps beside its layers (scenario records, the 生活圈
# rule table, uploaded statistics sheets); each kind has its own audit actions.
ITEM_KINDS: Final = ("scenario", "rules", "statistics")

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


def check_item_kind(kind: str) -> str:
    """Return ``kind`` if it is one of :data:`ITEM_KINDS`, else raise ``ValueError`` (a bug)."""
    if kind not in ITEM_KINDS:
        raise ValueError(f"unknown item kind {kind[:20]!r}")
    return kind


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


@dataclass(frozen=True)
class UserLayerInfo:
    """What the "my layers" list shows about one stored layer.

    Attributes
    ----------
    layer_id : str
        The safe id of the layer (a table name inside the store).
    title : str
        The user-visible title (untrusted text: escape it before it reaches HTML).
    feature_count : int
        Number of features stored.
    saved_utc : str
        ISO 8601 time of the last save, UTC (a cache key: it changes on every save).
    report : dict
        The import report saved with the layer (empty if none).
    warnings : list of str
        The import warnings saved with the layer.
    """

    layer_id: str
    title: str
    feature_count: int
    saved_utc: str
    report: dict[str, Any]
    warnings: list[str]


@runtime_checkable
class ProjectStore(LayerStore, Protocol):
    """A project's own layers, with their metadata, audit trail and restore.

    Layers are addressed by title. Every write and delete is recorded in the
    audit trail in the same transaction; removed and replaced content is kept
    so that :meth:`restore` can bring it back.
    """

    @property
    def key(self) -> str:
        """A string naming this store for caches (:func:`spatial.storage.open_store` reopens it)."""
        ...

    @property
    def can_write(self) -> bool:
        """Whether this user may upload, replace and remove layers here."""
        ...

    def layer_infos(self) -> list[UserLayerInfo]:
        """Return what is known about every stored layer, sorted by title."""
        ...

    def has_layer(self, name: str) -> bool:
        """Whether a layer with this title is stored."""
        ...

    def audit_entries(self, limit: int = 500) -> list[AuditEntry]:
        """Return the newest audit records first."""
        ...

    def restore(self, entry_id: int) -> str:
        """Bring back the layer kept by audit record ``entry_id``; return its title."""
        ...

    def save_item(
        self, kind: str, name: str, payload: dict[str, Any], count: int = 0
    ) -> None:
        """Keep (create or replace) a JSON document of ``kind`` (:data:`ITEM_KINDS`), audited.

        ``count`` is what the audit trail records as the size (rule rows, sheet rows).
        """
        ...

    def load_item(self, kind: str, name: str) -> dict[str, Any] | None:
        """The JSON document ``name`` of ``kind``, or None."""
        ...

    def list_items(self, kind: str) -> list[str]:
        """The names of the documents of ``kind``, sorted."""
        ...

    def item_versions(self, kind: str) -> dict[str, str]:
        """Name -> ``saved_utc`` of the documents of ``kind`` (a cache key per saved version)."""
        ...

    def delete_item(self, kind: str, name: str) -> None:
        """Remove a document (audited); removing a missing one is not an error."""
        ...


def normalise_title(title: str) -> str:
    """Return the canonical form of a layer title, or raise if nothing is left.

    Control characters are dropped, whitespace is collapsed, Unicode is NFC and
    the length is capped, so that two titles that look the same are the same.
    """
    text = unicodedata.normalize("NFC", str(title))
    # Tabs and newlines become spaces; other control characters are dropped.
    text = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )
    text = " ".join(text.split())[:_TITLE_MAX]
    if not text:
        raise SpatialError("图层名称不能为空。", "The layer title must not be empty.")
    return text


def layer_id_for(title: str) -> str:
    """Map a title to its safe table id (stable: same title, same id)."""
    digest = hashlib.sha256(normalise_title(title).encode("utf-8")).hexdigest()[:20]
    return check_layer_name(f"u_{digest}")


def missing_layer_error(name: str) -> SpatialError:
    """The one message for "there is no layer with this title"."""
    shown = normalise_title(name)[:40]
    return SpatialError(f"找不到图层“{shown}”。", f"There is no layer titled '{shown}'.")


def read_only_error() -> SpatialError:
    """The one message for a write by someone who may only view."""
    return SpatialError(
        "您只有查看权限，不能上传、替换或删除图层。",
        "You may only view: uploading, replacing or removing layers is not allowed.",
    )


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
