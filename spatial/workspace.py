"""The desk workspace (kept for existing imports): see :mod:`spatial.storage.geopackage`."""

from __future__ import annotations

from spatial.storage.base import UserLayerInfo, layer_id_for, normalise_title
from spatial.storage.geopackage import (
    GeoPackageWorkspace,
    default_workspace,
    workspace_path,
    workspace_quota_bytes,
)

__all__ = [
    "GeoPackageWorkspace",
    "UserLayerInfo",
    "default_workspace",
    "layer_id_for",
    "normalise_title",
    "workspace_path",
    "workspace_quota_bytes",
]
