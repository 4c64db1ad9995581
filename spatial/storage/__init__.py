"""Where layers are kept: small contracts with interchangeable back ends.

* :class:`GeoJSONDirectoryStore` – the shipped plan layers (read-only).
* :class:`GeoPackageWorkspace` – desk mode: one person's layers in a local GeoPackage.
* :class:`spatial.storage.postgis.PostGISStore` – office mode: a project's layers in
  PostGIS (imported lazily: desk mode needs no database driver).

:func:`open_store` reopens a project store from its ``key`` (used as a cache key by the UI).
"""

from __future__ import annotations

from spatial.storage.base import (
    ITEM_KINDS,
    GeoJSONDirectoryStore,
    LayerStore,
    ProjectStore,
    UserLayerInfo,
    check_item_kind,
    check_layer_name,
    layer_id_for,
    missing_layer_error,
    normalise_title,
    read_only_error,
)
from spatial.storage.geopackage import GeoPackageWorkspace

__all__ = [
    "ITEM_KINDS",
    "GeoJSONDirectoryStore",
    "GeoPackageWorkspace",
    "LayerStore",
    "ProjectStore",
    "UserLayerInfo",
    "check_item_kind",
    "check_layer_name",
    "layer_id_for",
    "missing_layer_error",
    "normalise_title",
    "open_store",
    "read_only_error",
]


def open_store(key: str) -> ProjectStore:
    """Reopen a project store for reading from its :attr:`ProjectStore.key`.

    ``gpkg:<path>`` is a desk workspace; ``pg:<project id>`` a project in the
    database of ``HEBI_DATABASE_URL``. Keys are made by the server, never taken
    from a request: access was checked when the store behind the key was made.
    """
    kind, _, rest = key.partition(":")
    if kind == "gpkg":
        return GeoPackageWorkspace(rest)
    if kind == "pg":
        from spatial.db import engine_from_env
        from spatial.storage.postgis import PostGISStore

        return PostGISStore(engine_from_env(), int(rest), role="viewer")
    raise ValueError(f"unknown store key {key[:20]!r}")
