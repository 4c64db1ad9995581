"""The desk workspace: one user's layers in one local GeoPackage.

:class:`GeoPackageWorkspace` implements :class:`spatial.storage.ProjectStore`.
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

The audit record (``hebi_audit``) is written into the same copy, so it is
swapped in together with the change. A removed or replaced layer is first
copied into a small GeoPackage in the archive folder beside the workspace
(``.<name>-archive/``), from which an admin can restore it; the workspace
itself is vacuumed after a removal, so the file shrinks, and it has a quota
(``HEBI_WORKSPACE_QUOTA_MB``, default 500).

A project document (the rule table, a statistics sheet: ``save_item``) is one
row of ``hebi_items``; it and its audit record are written in one SQLite
transaction on the workspace itself (a single transaction is atomic, so no
copy is needed), under the same lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from spatial._errors import SpatialError
from spatial.audit import (
    DESK_ACTOR,
    ITEM_ARCHIVE,
    AuditEntry,
    action_for,
    item_action,
    json_checksum,
    layer_checksum,
)
from spatial.crs import WGS84
from spatial.storage.base import (
    UserLayerInfo,
    check_item_kind,
    check_layer_name,
    layer_id_for,
    missing_layer_error,
    normalise_title,
)

__all__ = [
    "GeoPackageWorkspace",
    "default_workspace",
    "workspace_path",
    "workspace_quota_bytes",
]

_META_TABLE = "hebi_user_layers"
_AUDIT_TABLE = "hebi_audit"
_ITEMS_TABLE = "hebi_items"
_ITEM_ARCHIVE_TABLE = "hebi_item_archive"
_PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKSPACE_ENV = "HEBI_WORKSPACE"
QUOTA_ENV = "HEBI_WORKSPACE_QUOTA_MB"
WORKSPACE_FILE = "user_layers.gpkg"
_DEFAULT_QUOTA_MB = 500.0


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


def workspace_quota_bytes() -> int:
    """The largest the workspace file may grow: ``$HEBI_WORKSPACE_QUOTA_MB`` (default 500 MB)."""
    raw = os.environ.get(QUOTA_ENV, "").strip()
    try:
        mb = float(raw) if raw else _DEFAULT_QUOTA_MB
    except ValueError:
        mb = _DEFAULT_QUOTA_MB
    if not (mb > 0 and mb < 1e7):  # also refuses nan and inf
        mb = _DEFAULT_QUOTA_MB
    return int(mb * 1024 * 1024)


def default_workspace() -> GeoPackageWorkspace:
    """The desk workspace at :func:`workspace_path`."""
    return GeoPackageWorkspace(workspace_path())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class GeoPackageWorkspace:
    """User layers in one ``.gpkg`` file, safe for concurrent writers, with an audit trail.

    Parameters
    ----------
    path : str or Path
        The GeoPackage (created on the first write; its folder too).
    actor : str
        Who the audit trail names for changes made through this object.
    """

    def __init__(self, path: str | Path, actor: str = DESK_ACTOR) -> None:
        self.path = Path(path).absolute()
        self.actor = actor
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self.archive_dir = self.path.with_name(f".{self.path.stem}-archive")

    @property
    def key(self) -> str:
        """``gpkg:`` + the file's path (reopened by :func:`spatial.storage.open_store`)."""
        return f"gpkg:{self.path}"

    @property
    def can_write(self) -> bool:
        """The desk user owns the workspace: always True."""
        return True

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
            raise missing_layer_error(name)
        gdf = _read_gpkg(self.path, info.layer_id)
        gdf.attrs["title"] = info.title
        gdf.attrs["import_report"] = info.report
        gdf.attrs["warnings"] = info.warnings
        return gdf

    def write_layer(self, name: str, gdf: gpd.GeoDataFrame) -> None:
        """Store the layer under the title ``name``, replacing one of the same title."""
        self._write(normalise_title(name), gdf, action=None, restored_entry=None)

    def delete_layer(self, name: str) -> None:
        """Remove the layer titled ``name`` (kept in the archive); missing is not an error."""
        layer_id = layer_id_for(name)
        with self._locked():
            info = self._info_by_id(layer_id)
            if info is None:
                return
            archive, count, checksum = self._archive(info)
            with self._swap(vacuum=True) as tmp, _connect(tmp) as con:
                _drop_layer(con, layer_id)
                con.execute(f"DELETE FROM {_META_TABLE} WHERE id = ?", (layer_id,))
                self._record(con, "delete", info.title, count, checksum, archive)

    # --- ProjectStore extras ------------------------------------------------------------------

    def layer_infos(self) -> list[UserLayerInfo]:
        """Return what is known about every stored layer, sorted by title."""
        rows = self._query(
            _META_TABLE,
            f"SELECT id, title, feature_count, saved_utc, report, warnings FROM {_META_TABLE}",
        )
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

    def audit_entries(self, limit: int = 500) -> list[AuditEntry]:
        """Return the newest audit records first (at most ``limit``)."""
        rows = self._query(
            _AUDIT_TABLE,
            "SELECT id, at_utc, actor, action, title, feature_count, checksum, archive, restored "
            f"FROM {_AUDIT_TABLE} ORDER BY id DESC LIMIT ?",
            (int(limit),),
        )
        return [
            AuditEntry(
                entry_id=int(r[0]), at_utc=str(r[1]), actor=str(r[2]), action=str(r[3]),
                title=str(r[4]), feature_count=int(r[5]), checksum=str(r[6]),
                archive=str(r[7] or ""),
                restorable=bool(r[7]) and not r[8] and (
                    str(r[7]).startswith(ITEM_ARCHIVE) or (self.archive_dir / str(r[7])).is_file()
                ),
            )
            for r in rows
        ]

    def restore(self, entry_id: int) -> str:
        """Bring back the layer (or document) kept by audit record ``entry_id``; return its title.

        A layer now stored under the same title is replaced (and archived in turn);
        so is a document (rule table, statistics sheet).
        """
        entry = next((e for e in self.audit_entries(10**9) if e.entry_id == entry_id), None)
        if entry is None or not entry.restorable:
            raise SpatialError(
                "这条记录没有可恢复的图层。", "This record has no layer that can be restored."
            )
        if entry.archive.startswith(ITEM_ARCHIVE):
            return self._restore_item(entry)
        gdf = _read_gpkg(self.archive_dir / entry.archive, "layer")
        self._write(entry.title, gdf, action="restore", restored_entry=entry.entry_id)
        return entry.title

    # --- scenarios, rule tables, statistics -----------------------------------------------------

    def save_item(
        self, kind: str, name: str, payload: dict[str, Any], count: int = 0
    ) -> None:
        """Keep a JSON document (``kind``: scenario, rules, statistics), audited in one transaction.

        A document is a row, not a layer, so it is written in one SQLite
        transaction on the workspace itself (atomic on its own), under the
        writers' lock, with the quota checked before the commit. A document it
        replaces is kept for a restore.
        """
        check_item_kind(kind)
        title = normalise_title(name)
        text = json.dumps(payload, ensure_ascii=False, default=str)
        with self._item_transaction() as con:
            archive = _archive_item(con, kind, title)
            _put_item(con, kind, title, text)
            self._record(
                con, item_action(kind), title, int(count), json_checksum(json.loads(text)), archive
            )
            _check_quota_in(con)

    def load_item(self, kind: str, name: str) -> dict[str, Any] | None:
        """The JSON document ``name`` of ``kind``, or None (also when the record does not parse)."""
        rows = self._query(
            _ITEMS_TABLE,
            f"SELECT payload FROM {_ITEMS_TABLE} WHERE kind = ? AND name = ?",
            (check_item_kind(kind), normalise_title(name)),
        )
        if not rows:
            return None
        try:
            doc = json.loads(rows[0][0])
        except (TypeError, ValueError):
            return None  # the file is the user's: a damaged record reads as none
        return doc if isinstance(doc, dict) else None

    def list_items(self, kind: str) -> list[str]:
        """The names of the documents of ``kind``, sorted."""
        return sorted(self.item_versions(kind))

    def item_versions(self, kind: str) -> dict[str, str]:
        """Name -> ``saved_utc`` of the documents of ``kind``."""
        rows = self._query(
            _ITEMS_TABLE,
            f"SELECT name, saved_utc FROM {_ITEMS_TABLE} WHERE kind = ?",
            (check_item_kind(kind),),
        )
        return {str(r[0]): str(r[1]) for r in rows}

    def delete_item(self, kind: str, name: str) -> None:
        """Remove a document (kept for a restore, audited); a missing one is not an error."""
        check_item_kind(kind)
        title = normalise_title(name)
        if not self.path.exists():
            return
        with self._item_transaction() as con:
            row = con.execute(
                f"SELECT payload FROM {_ITEMS_TABLE} WHERE kind = ? AND name = ?", (kind, title)
            ).fetchone()
            if row is None:
                return
            archive = _archive_item(con, kind, title)
            con.execute(f"DELETE FROM {_ITEMS_TABLE} WHERE kind = ? AND name = ?", (kind, title))
            self._record(
                con, item_action(kind, "delete"), title, 0, _text_checksum(row[0]), archive
            )

    def _restore_item(self, entry: AuditEntry) -> str:
        """Put back the document kept by ``entry`` (the one stored now is kept in turn)."""
        with self._item_transaction() as con:
            kept = con.execute(
                f"SELECT kind, name, payload FROM {_ITEM_ARCHIVE_TABLE} WHERE id = ?",
                (int(entry.archive[len(ITEM_ARCHIVE):]),),
            ).fetchone()
            if kept is None:
                raise SpatialError(
                    "这条记录没有可恢复的内容。", "This record has nothing to restore."
                )
            kind, name, text = str(kept[0]), str(kept[1]), str(kept[2])
            archive = _archive_item(con, kind, name)
            _put_item(con, kind, name, text)
            con.execute(f"UPDATE {_AUDIT_TABLE} SET restored = 1 WHERE id = ?", (entry.entry_id,))
            self._record(
                con, item_action(kind, "restore"), name, 0, _text_checksum(text), archive
            )
            _check_quota_in(con)
        return name

    @contextlib.contextmanager
    def _item_transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction on the workspace itself, under the writers' lock (created if new)."""
        with self._locked():
            if not self.path.exists():
                self._create_empty()
            with _connect(self.path) as con:
                con.execute(
                    f"CREATE TABLE IF NOT EXISTS {_ITEMS_TABLE} (kind TEXT NOT NULL, "
                    "name TEXT NOT NULL, payload TEXT NOT NULL, saved_utc TEXT NOT NULL, "
                    "PRIMARY KEY (kind, name))"
                )
                con.execute(
                    f"CREATE TABLE IF NOT EXISTS {_ITEM_ARCHIVE_TABLE} ("
                    "id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, "
                    "name TEXT NOT NULL, payload TEXT NOT NULL)"
                )
                _ensure_audit(con)
                yield con

    def _create_empty(self) -> None:
        """Create an empty GeoPackage at :attr:`path` atomically (GDAL can add layers to it)."""
        tmp = self.path.with_name(f".{self.path.stem}.{uuid.uuid4().hex}.tmp.gpkg")
        try:
            with contextlib.closing(sqlite3.connect(tmp)) as con:
                con.executescript(_EMPTY_GPKG)
                con.commit()
            tmp.replace(self.path)
        finally:
            tmp.unlink(missing_ok=True)

    # --- internals ------------------------------------------------------------------------------

    def _write(
        self, title: str, gdf: gpd.GeoDataFrame, action: str | None, restored_entry: int | None
    ) -> None:
        layer_id = layer_id_for(title)
        data = gdf.to_crs(WGS84) if gdf.crs is not None else gdf.set_crs(WGS84)
        report = data.attrs.get("import_report") or {}
        warnings = [str(w) for w in data.attrs.get("warnings") or []]
        # attrs are ours to keep in the metadata table, not GDAL's to serialise.
        plain = gpd.GeoDataFrame(data.copy(), geometry=data.geometry.name, crs=WGS84)
        plain.attrs = {}
        checksum = layer_checksum(plain)
        with self._locked():
            old = self._info_by_id(layer_id)
            archive = ""
            if old is not None:
                archive = self._archive(old)[0]
            with self._swap(vacuum=old is not None) as tmp:
                if tmp.exists():
                    with _connect(tmp) as con:
                        _drop_layer(con, layer_id)
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
                            # The time is also the cache key (and tile folder) of this version:
                            # to the microsecond, so a replacement in the same second is new.
                            datetime.now(UTC).isoformat(timespec="microseconds"),
                            json.dumps(report, ensure_ascii=False, default=str),
                            json.dumps(warnings, ensure_ascii=False),
                        ),
                    )
                    what = action or ("replace" if old is not None else "upload")
                    self._record(con, what, title, len(plain), checksum, archive)
                    if restored_entry is not None:
                        con.execute(
                            f"UPDATE {_AUDIT_TABLE} SET restored = 1 WHERE id = ?",
                            (restored_entry,),
                        )

    def _archive(self, info: UserLayerInfo) -> tuple[str, int, str]:
        """Copy a stored layer into the archive folder; return (file name, features, checksum)."""
        gdf = _read_gpkg(self.path, info.layer_id)
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.gpkg"
        pyogrio.write_dataframe(
            gdf, self.archive_dir / name, layer="layer", driver="GPKG", promote_to_multi=False
        )
        return name, len(gdf), layer_checksum(gdf)

    def _record(
        self, con: sqlite3.Connection, action: str, title: str, count: int, checksum: str,
        archive: str,
    ) -> None:
        _ensure_audit(con)
        con.execute(
            f"INSERT INTO {_AUDIT_TABLE} "
            "(at_utc, actor, action, title, feature_count, checksum, archive, restored) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            (_now(), self.actor, action_for(title, action), title, count, checksum, archive),
        )

    def _query(
        self, table: str, sql: str, params: tuple[object, ...] = ()
    ) -> list[tuple[Any, ...]]:
        """Rows of a read-only query, or [] while the file or the table does not exist."""
        if not self.path.exists():
            return []
        con = sqlite3.connect(f"{self.path.as_uri()}?mode=ro", uri=True)
        try:
            if not _table_exists(con, table):
                return []
            return list(con.execute(sql, params).fetchall())
        finally:
            con.close()

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
    def _swap(self, vacuum: bool = False) -> Iterator[Path]:
        """Yield a private copy of the workspace; swap it in if the block succeeds.

        With ``vacuum`` the copy is compacted first (pages freed by a removal are
        returned, so the file shrinks); the quota is checked before the swap.
        """
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
            if vacuum and tmp.exists():
                with contextlib.closing(sqlite3.connect(tmp)) as con:
                    con.execute("VACUUM")
            _check_quota(tmp)
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


def _quota_error(quota: int) -> SpatialError:
    mb = quota / 1024 / 1024
    return SpatialError(
        f"工作区已满（上限 {mb:.0f} MB）：请先删除不用的图层，或请管理员调高上限。",
        f"The workspace is full (limit {mb:.0f} MB): remove layers you no longer need, "
        "or ask the administrator to raise the limit.",
    )


def _check_quota(path: Path) -> None:
    """Refuse a workspace that would outgrow the quota (one bilingual message)."""
    quota = workspace_quota_bytes()
    size = path.stat().st_size if path.exists() else 0
    if size > quota:
        raise _quota_error(quota)


def _put_item(con: sqlite3.Connection, kind: str, title: str, text: str) -> None:
    con.execute(
        f"INSERT OR REPLACE INTO {_ITEMS_TABLE} (kind, name, payload, saved_utc) "
        "VALUES (?, ?, ?, ?)",
        # The time is the document's cache key: to the microsecond, so every save is new.
        (kind, title, text, datetime.now(UTC).isoformat(timespec="microseconds")),
    )


def _archive_item(con: sqlite3.Connection, kind: str, title: str) -> str:
    """Keep the stored document ``kind``/``title`` (if any); return its audit archive."""
    row = con.execute(
        f"SELECT payload FROM {_ITEMS_TABLE} WHERE kind = ? AND name = ?", (kind, title)
    ).fetchone()
    if row is None:
        return ""
    cur = con.execute(
        f"INSERT INTO {_ITEM_ARCHIVE_TABLE} (kind, name, payload) VALUES (?, ?, ?)",
        (kind, title, row[0]),
    )
    return f"{ITEM_ARCHIVE}{cur.lastrowid}"


def _text_checksum(text: object) -> str:
    """:func:`spatial.audit.json_checksum` of a stored document ("" if it does not parse)."""
    try:
        doc = json.loads(str(text))
    except ValueError:
        return ""
    return json_checksum(doc) if isinstance(doc, dict) else ""


def _check_quota_in(con: sqlite3.Connection) -> None:
    """Refuse (roll back) a transaction that would grow the workspace past the quota."""
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    size = con.execute("PRAGMA page_size").fetchone()[0]
    quota = workspace_quota_bytes()
    if int(pages) * int(size) > quota:
        raise _quota_error(quota)


# The least a file needs for GDAL to open it as a GeoPackage and add layers to it
# (OGC GeoPackage 1.2: application id, user version and the three mandatory tables).
_EMPTY_GPKG = """
PRAGMA application_id = 1196444487;
PRAGMA user_version = 10200;
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL, description TEXT);
INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined',
  'undefined cartesian coordinate reference system');
INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined',
  'undefined geographic coordinate reference system');
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,
  m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
"""


def _read_gpkg(path: Path, layer: str) -> gpd.GeoDataFrame:
    # The file is our own, but pin the driver anyway: it is only ever read as a GeoPackage.
    gdf = pyogrio.read_dataframe(f"GPKG:{path}", layer=layer)
    return gdf.set_crs(WGS84) if gdf.crs is None else gdf.to_crs(WGS84)


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


def _ensure_audit(con: sqlite3.Connection) -> None:
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {_AUDIT_TABLE} ("
        "id INTEGER PRIMARY KEY AUTOINCREMENT, at_utc TEXT NOT NULL, actor TEXT NOT NULL, "
        "action TEXT NOT NULL, title TEXT NOT NULL, feature_count INTEGER NOT NULL, "
        "checksum TEXT NOT NULL, archive TEXT, restored INTEGER NOT NULL DEFAULT 0)"
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
