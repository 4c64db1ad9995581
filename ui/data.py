"""Where the pages get their data: the shipped plan layers and workspace layers (cached), secrets.

:func:`current_store` is the one way a page reaches the user's own layers: the
desk GeoPackage when no database is configured, otherwise the PostGIS store of
the project chosen by the signed-in user (membership checked on every run).

One place for what every page needs, so that ``HEBI_DATA_DIR`` (tests,
deployments with re-digitised data) and the cache keys mean the same thing on
the map, coverage, indicator and export pages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import streamlit as st

import layers
from spatial._errors import SpatialError
from spatial.storage import GeoJSONDirectoryStore, ProjectStore, open_store
from spatial.tiles import sync_tiles
from ui.i18n import t

__all__ = [
    "current_store",
    "layer_mtime",
    "load_plan_layer",
    "load_user_layer",
    "plan_data_dir",
    "plan_layer",
    "refresh_tiles",
    "secrets_or_none",
]


def plan_data_dir() -> Path:
    """Where the plan layers are read from: ``HEBI_DATA_DIR`` (tests, deployments) or data/geo."""
    env = os.environ.get("HEBI_DATA_DIR")
    return Path(env) if env else layers.DATA_DIR


def layer_mtime(layer_id: str) -> float:
    """File modification time, so the cache notices a re-digitised layer."""
    path = plan_data_dir() / f"{layers.get_spec(layer_id).file_stem}.geojson"
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@st.cache_data(show_spinner=False, max_entries=256)
def load_plan_layer(layer_id: str, data_dir: str, mtime: float) -> gpd.GeoDataFrame:
    """Read and validate one catalogue layer (cached per directory and file version)."""
    del mtime  # cache key only
    return layers.load_layer(layer_id, GeoJSONDirectoryStore(Path(data_dir), read_only=True))


@st.cache_data(show_spinner=False, max_entries=64)
def load_user_layer(key: str, title: str, saved_utc: str) -> gpd.GeoDataFrame:
    """One layer of the store ``key`` (:attr:`ProjectStore.key`), cached per saved version.

    The key comes from :func:`current_store` (access already checked), never from a request.
    """
    del saved_utc  # cache key only
    return open_store(key).read_layer(title)


def current_store() -> ProjectStore:
    """The user's own layers: the desk workspace, or the signed-in user's current project."""
    from ui.session import current_project_store

    return current_project_store()


def refresh_tiles(store: ProjectStore) -> None:
    """After a write: build the vector tiles of new city-scale layers, prune replaced ones.

    A failure here loses nothing (the layer is stored; the map builds missing
    tiles on its first view), so it is not shown as an error of the write.
    """
    try:
        with st.spinner(t("正在生成矢量切片…", "Building vector tiles…")):
            sync_tiles(store)
    except (SpatialError, OSError):
        pass


def plan_layer(layer_id: str) -> gpd.GeoDataFrame:
    """The current version of one shipped plan layer, validated and cached."""
    return load_plan_layer(layer_id, str(plan_data_dir()), layer_mtime(layer_id))


def secrets_or_none() -> Mapping[str, Any] | None:
    """``st.secrets`` when a secrets file exists, else None (then no 天地图 key)."""
    try:
        return st.secrets
    except Exception:  # Streamlit raises its own error types when no secrets file exists
        return None
