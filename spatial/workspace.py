"""The planner's own layers, kept in one local GeoPackage.

:class:`GeoPackageWorkspace` implements :class:`spatial.storage.LayerStore`.
Layers are addressed by their user-visible *title* (any text, e.g. "控规地块
2024"); each title maps to a safe table id (``u_`` + a hash, checked with
:func:`spatial.storage.check_layer_name`) and the titles live in a metadata
table, ``hebi_user_layers``, together with the import report and warnings.

Why copy-and-swap: GDAL writes a layer in several SQLite transactions, so a
crash in the middle of a write could leave a half layer behind. Every change
is therefore made on a private copy of the file and then swapped in with
``os.replace`` (atomic on POSIX): a reader sees the old file or the new one,
never a mixture. Writers are serialised with an exclusive ``flock`` on a lock
file next to the GeoPackage, which holds between processes and between
threads (each call opens its own file description), so two browser sessions
saving at once cannot lose each other's layers.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import sqlite3
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from spatial._errors import SpatialError
from spatial.crs import WGS84
from spatial.storage import check_layer_name

__all__ = ["GeoPackageWorkspace", "UserLayerInfo", "default_workspace", "workspace_path"]

_META_TABLE = "hebi_user_layers"
_PROJECT_ROOT = Path(__file__).resolve().parent.parent
WORKSPACE_ENV = "HEBI_WORKSPACE"
WORKSPACE_FILE = "user_layers.gpkg"
_TITLE_MAX = 100


@dataclass(frozen=True)
class UserLayerInfo:
    """What the "my layers" list shows about one stored layer.

    Attributes
    ----------
    layer_id : str
        The safe table name inside the GeoPackage.
    title : str
        The user-visible title (untrusted text: escape it before it reaches HTML).
    feature_count : int
        Number of features stored.
    saved_utc : str
        ISO 8601 time of the last save, UTC.
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


def workspace_path() -> Path:
    """Where the app keeps the user's layers.

    ``$HEBI_WORKSPACE`` names a directory (the file inside is
    ``user_layers.gpkg``) or, if it ends in ``.gpkg``, the file itself; the
    default is ``workspace/user_layers.gpkg`` in the project.
    """
    env = os.environ.get(WORKSPACE_ENV, "").strip()
    if env:
        path = Path(env).expanduser()
        return path if path.suffix.lower() == ".gpkg" else path / WORKSPACE_FILE
    return _PROJECT_ROOT / "workspace" / WORKSPACE_FILE


def default_workspace() -> GeoPackageWorkspace:
    """The app's workspace at :func:`workspace_path`."""
    return GeoPackageWorkspace(workspace_path())


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
    """Map a title to its safe GeoPackage table id (stable: same title, same id)."""
    digest = hashlib.sha256(normalise_title(title).encode("utf-8")).hexdigest()[:20]
    return check_layer_name(f"u_{digest}")


class GeoPackageWorkspace:
    """User layers in one ``.gpkg`` file, safe for concurrent writers.

    Parameters
    ----------
    path : str or Path
        The GeoPackage (created on the first write; its folder too).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).absolute()
        self._lock_path = self.path.with_name(self.path.name + ".lock")

    # --- LayerStore ---------------------------------------------------------------------------

    def list_layers(self) -> list[str]:
        """Return the titles of the stored layers, sorted."""
        return [info.title for info in self.layer_infos()]

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        """Return the layer titled ``name`` in EPSG:4326.

        ``attrs`` carries ``title``, ``import_report`` and ``warnings`` as saved.

        Raises
        ------
        SpatialError
            If there is no layer with this title.
        """
        info = self._info_by_title(name)
        if info is None:
            raise SpatialError(
                f"找不到图层“{normalise_title(name)[:40]}”。",
                f"There is no layer titled '{normalise_title(name)[:40]}'.",
            )
        # The file is our own, but pin the driver anyway: it is only ever read as a GeoPackage.
        gdf = pyogrio.read_dataframe(f"GPKG:{self.path}", layer=info.layer_id)
        gdf = gdf.set_crs(WGS84) if gdf.crs is None else gdf.to_crs(WGS84)
        gdf.attrs["title"] = info.title
        gdf.attrs["import_report"] = info.report
        gdf.attrs["warnings"] = info.warnings
        return gdf

    def write_layer(self, name: str, gdf: gpd.GeoDataFrame) -> None:
        """Store the layer under the title ``name``, replacing one of the same title."""
        title = normalise_title(name)
        layer_id = layer_id_for(title)
        data = gdf.to_crs(WGS84) if gdf.crs is not None else gdf.set_crs(WGS84)
        report = data.attrs.get("import_report") or {}
        warnings = [str(w) for w in data.attrs.get("warnings") or []]
        with self._locked(), self._swap() as tmp:
            if tmp.exists():
                with _connect(tmp) as con:
                    _drop_layer(con, layer_id)
            # attrs are ours to keep in the metadata table, not GDAL's to serialise.
            plain = gpd.GeoDataFrame(data.copy(), geometry=data.geometry.name, crs=WGS84)
            plain.attrs = {}
            pyogrio.write_dataframe(
                plain, tmp, layer=layer_id, driver="GPKG", promote_to_multi=False
            )
            with _connect(tmp) as con:
                _ensure_meta(con)
                con.execute(
                    f"INSERT OR REPLACE INTO {_META_TABLE} "
                    "(id, title, feature_count, saved_utc, report, warnings) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        layer_id,
                        title,
                        len(plain),
                        datetime.now(UTC).isoformat(timespec="seconds"),
                        json.dumps(report, ensure_ascii=False, default=str),
                        json.dumps(warnings, ensure_ascii=False),
                    ),
                )

    def delete_layer(self, name: str) -> None:
        """Remove the layer titled ``name``; a missing layer is not an error."""
        layer_id = layer_id_for(name)
        with self._locked():
            if self._info_by_id(layer_id) is None:
                return
            with self._swap() as tmp, _connect(tmp) as con:
                _drop_layer(con, layer_id)
                con.execute(f"DELETE FROM {_META_TABLE} WHERE id = ?", (layer_id,))

    # --- extras for the UI ----------------------------------------------------------------------

    def layer_infos(self) -> list[UserLayerInfo]:
        """Return what is known about every stored layer, sorted by title."""
        if not self.path.exists():
            return []
        con = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
        try:
            exists = con.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (_META_TABLE,)
            ).fetchone()
            if not exists:
                return []
            rows = con.execute(
                f"SELECT id, title, feature_count, saved_utc, report, warnings FROM {_META_TABLE}"
            ).fetchall()
        finally:
            con.close()
        infos = [
            UserLayerInfo(
                layer_id=str(r[0]),
                title=str(r[1]),
                feature_count=int(r[2]),
                saved_utc=str(r[3]),
                report=json.loads(r[4]) if r[4] else {},
                warnings=json.loads(r[5]) if r[5] else [],
            )
            for r in rows
        ]
        return sorted(infos, key=lambda i: i.title)

    def has_layer(self, name: str) -> bool:
        """Whether a layer with this title is stored."""
        return self._info_by_title(name) is not None

    # --- internals ------------------------------------------------------------------------------

    def _info_by_title(self, name: str) -> UserLayerInfo | None:
        return self._info_by_id(layer_id_for(name))

    def _info_by_id(self, layer_id: str) -> UserLayerInfo | None:
        return next((i for i in self.layer_infos() if i.layer_id == layer_id), None)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock_path.open("a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _swap(self) -> Iterator[Path]:
        """Yield a private copy of the workspace; swap it in if the block succeeds."""
        tmp = self.path.with_name(f".{self.path.stem}.{uuid.uuid4().hex}.tmp.gpkg")
        try:
            if self.path.exists():
                # SQLite page copy through the backup API: consistent even if a reader is open.
                with (
                    contextlib.closing(sqlite3.connect(self.path)) as src,
                    contextlib.closing(sqlite3.connect(tmp)) as dst,
                ):
                    src.backup(dst)
            yield tmp
            with tmp.open("rb") as fh:
                os.fsync(fh.fileno())
            tmp.replace(self.path)  # atomic rename on POSIX
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        finally:
            tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    """One transaction on ``path``: committed if the block succeeds, rolled back if not."""
    con = sqlite3.connect(path)
    try:
        with con:
            yield con
    finally:
        con.close()


def _ensure_meta(con: sqlite3.Connection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {_META_TABLE} ("
        "id TEXT PRIMARY KEY, title TEXT NOT NULL UNIQUE, feature_count INTEGER NOT NULL, "
        "saved_utc TEXT NOT NULL, report TEXT, warnings TEXT)"
    )


def _table_exists(con: sqlite3.Connection, name: str) -> bool:
    row = con.execute(
        "SELECT 1 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?", (name,)
    ).fetchone()
    return row is not None


def _drop_layer(con: sqlite3.Connection, layer_id: str) -> None:
    """Remove a feature table and its GeoPackage bookkeeping (what GDAL's DeleteLayer does)."""
    layer_id = check_layer_name(layer_id)  # safe identifier: it is interpolated into DDL below
    if _table_exists(con, "gpkg_extensions"):
        rows = con.execute(
            "SELECT column_name FROM gpkg_extensions "
            "WHERE lower(table_name) = lower(?) AND extension_name = 'gpkg_rtree_index'",
            (layer_id,),
        ).fetchall()
        for (column,) in rows:
            rtree = f"rtree_{layer_id}_{column}"
            if _table_exists(con, rtree):
                con.execute(f'DROP TABLE "{rtree.replace(chr(34), "")}"')
    con.execute(f'DROP TABLE IF EXISTS "{layer_id}"')
    for table in (
        "gpkg_extensions",
        "gpkg_geometry_columns",
        "gpkg_contents",
        "gpkg_ogr_contents",
        "gpkg_data_columns",
        "gpkg_metadata_reference",
    ):
        if _table_exists(con, table):
            con.execute(f"DELETE FROM {table} WHERE lower(table_name) = lower(?)", (layer_id,))
