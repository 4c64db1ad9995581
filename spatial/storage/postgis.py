"""A project's layers in PostGIS: :class:`PostGISStore` (selected by ``HEBI_DATABASE_URL``).

Each stored version of a layer is its own table (``l_`` + a random id) with a
GiST spatial index, described by a row of ``hebi_layers``. Writing a layer is
one PostgreSQL transaction: the new table, its index, the switch of the
"current" version and the audit record are committed together or not at all,
so a process killed mid-upload leaves no half layer (PostgreSQL DDL is
transactional). A replaced or removed version is kept (state ``archived``),
so an admin can restore it from its audit record.

Column names are user text (Chinese, long, any case): they are stored as
``c0``, ``c1``… and mapped back from ``hebi_layers.columns``, so no name can
collide after PostgreSQL's 63-byte truncation or need quoting rules.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from spatial._errors import SpatialError
from spatial.audit import (
    ITEM_ARCHIVE,
    AuditEntry,
    action_for,
    item_action,
    json_checksum,
    layer_checksum,
)
from spatial.crs import WGS84
from spatial.db import ROLES, audit, item_archive, items, layer_versions, projects
from spatial.storage.base import (
    UserLayerInfo,
    check_item_kind,
    check_layer_name,
    missing_layer_error,
    normalise_title,
    read_only_error,
)

__all__ = ["PostGISStore"]

_FID = "hebi_fid"
_GEOM = "geometry"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class PostGISStore:
    """The layers, items and audit trail of one project in PostGIS.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The office database (:func:`spatial.db.engine_from_env`).
    project_id : int
        The project (规划项目) whose layers this store sees; it sees no other.
    actor : str
        Who the audit trail names for changes made through this object.
    role : str
        ``viewer`` (read only), ``editor`` (upload, replace, remove) or ``admin`` (also restore).
    """

    def __init__(
        self, engine: sa.Engine, project_id: int, actor: str = "system", role: str = "admin"
    ) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        self.engine = engine
        self.project_id = int(project_id)
        self.actor = actor
        self.role = role

    @property
    def key(self) -> str:
        """``pg:`` + the project id (reopened by :func:`spatial.storage.open_store`)."""
        return f"pg:{self.project_id}"

    @property
    def can_write(self) -> bool:
        """Whether this user may upload, replace and remove layers."""
        return ROLES.index(self.role) >= ROLES.index("editor")

    # --- LayerStore ---------------------------------------------------------------------------

    def list_layers(self) -> list[str]:
        """Return the titles of the project's current layers, sorted."""
        return [info.title for info in self.layer_infos()]

    def read_layer(self, name: str) -> gpd.GeoDataFrame:
        """Return the current version of the layer titled ``name`` in EPSG:4326."""
        title = normalise_title(name)
        with self.engine.connect() as con:
            row = self._current(con, title)
            if row is None:
                raise missing_layer_error(name)
            table = check_layer_name(row.table_name)
            gdf = gpd.read_postgis(
                sa.text(f'SELECT * FROM "{table}" ORDER BY {_FID}'), con, geom_col=_GEOM
            )
        gdf = gdf.drop(columns=[_FID])
        names = list(row.columns)
        gdf = gdf.rename(columns={f"c{i}": n for i, n in enumerate(names)})
        gdf = gdf[[*names, _GEOM]]
        gdf = gdf.set_crs(WGS84, allow_override=True)
        gdf.attrs["title"] = row.title
        gdf.attrs["import_report"] = dict(row.report)
        gdf.attrs["warnings"] = list(row.warnings)
        return gdf

    def write_layer(self, name: str, gdf: gpd.GeoDataFrame) -> None:
        """Store the layer under the title ``name`` (replacing one of that title), atomically."""
        self._require("editor")
        self._write(normalise_title(name), gdf)

    def delete_layer(self, name: str) -> None:
        """Remove the layer titled ``name`` (kept for a restore); missing is not an error."""
        self._require("editor")
        title = normalise_title(name)
        with self.engine.begin() as con:
            self._lock_project(con)
            row = self._current(con, title)
            if row is None:
                return
            con.execute(
                layer_versions.update()
                .where(layer_versions.c.id == row.id)
                .values(state="archived")
            )
            self._record(con, "delete", title, row.feature_count, row.checksum, str(row.id))

    # --- ProjectStore extras ------------------------------------------------------------------

    def layer_infos(self) -> list[UserLayerInfo]:
        """Return what is known about every current layer of the project, sorted by title."""
        lv = layer_versions
        with self.engine.connect() as con:
            rows = con.execute(
                sa.select(lv)
                .where(lv.c.project_id == self.project_id, lv.c.state == "current")
                .order_by(lv.c.title)
            ).all()
        return [
            UserLayerInfo(
                layer_id=r.table_name, title=r.title, feature_count=int(r.feature_count),
                saved_utc=r.saved_utc, report=dict(r.report), warnings=list(r.warnings),
            )
            for r in rows
        ]

    def has_layer(self, name: str) -> bool:
        """Whether a current layer with this title is stored in the project."""
        with self.engine.connect() as con:
            return self._current(con, normalise_title(name)) is not None

    def audit_entries(self, limit: int = 500) -> list[AuditEntry]:
        """Return the project's newest audit records first (at most ``limit``)."""
        with self.engine.connect() as con:
            rows = con.execute(
                sa.select(audit)
                .where(audit.c.project_id == self.project_id)
                .order_by(audit.c.id.desc())
                .limit(int(limit))
            ).all()
        return [
            AuditEntry(
                entry_id=int(r.id), at_utc=r.at_utc, actor=r.actor, action=r.action,
                title=r.title, feature_count=int(r.feature_count), checksum=r.checksum,
                archive=r.archive, restorable=bool(r.archive) and not r.restored,
            )
            for r in rows
        ]

    def restore(self, entry_id: int) -> str:
        """Make the version kept by audit record ``entry_id`` current again (admins only).

        The record may keep a layer or a project document (rule table, statistics).
        """
        self._require("admin")
        with self.engine.begin() as con:
            self._lock_project(con)
            entry = con.execute(
                sa.select(audit).where(
                    audit.c.id == int(entry_id), audit.c.project_id == self.project_id
                )
            ).first()
            if entry is None or not entry.archive or entry.restored:
                raise SpatialError(
                    "这条记录没有可恢复的图层。", "This record has no layer that can be restored."
                )
            if entry.archive.startswith(ITEM_ARCHIVE):
                return self._restore_item(con, entry)
            version = con.execute(
                sa.select(layer_versions).where(
                    layer_versions.c.id == int(entry.archive),
                    layer_versions.c.project_id == self.project_id,
                )
            ).first()
            if version is None:
                raise SpatialError(
                    "这条记录没有可恢复的图层。", "This record has no layer that can be restored."
                )
            current = self._current(con, version.title)
            if current is not None:
                con.execute(
                    layer_versions.update()
                    .where(layer_versions.c.id == current.id)
                    .values(state="archived")
                )
            con.execute(
                layer_versions.update()
                .where(layer_versions.c.id == version.id)
                .values(state="current", saved_utc=_now())
            )
            con.execute(audit.update().where(audit.c.id == entry.id).values(restored=True))
            archive = str(current.id) if current is not None else ""
            self._record(
                con, "restore", version.title, version.feature_count, version.checksum, archive
            )
        return str(version.title)

    # --- scenarios, rule tables, statistics -----------------------------------------------------

    def save_item(
        self, kind: str, name: str, payload: dict[str, Any], count: int = 0
    ) -> None:
        """Keep a JSON document of the project (``kind``: scenario, rules, statistics), audited.

        A document it replaces is kept for a restore, like a replaced layer.
        """
        self._require("editor")
        check_item_kind(kind)
        title = normalise_title(name)
        doc = _jsonable(payload)
        with self.engine.begin() as con:
            self._lock_project(con)
            archive = self._archive_item(con, kind, title)
            self._put_item(con, kind, title, doc)
            self._record(con, item_action(kind), title, count, json_checksum(doc), archive)

    def load_item(self, kind: str, name: str) -> dict[str, Any] | None:
        """A project's JSON document, or None."""
        with self.engine.connect() as con:
            row = con.execute(
                sa.select(items.c.payload).where(
                    items.c.project_id == self.project_id,
                    items.c.kind == check_item_kind(kind),
                    items.c.name == normalise_title(name),
                )
            ).first()
        return None if row is None else dict(row.payload)

    def list_items(self, kind: str) -> list[str]:
        """Names of the project's documents of one kind, sorted."""
        return sorted(self.item_versions(kind))

    def item_versions(self, kind: str) -> dict[str, str]:
        """Name -> ``saved_utc`` of the project's documents of one kind."""
        with self.engine.connect() as con:
            rows = con.execute(
                sa.select(items.c.name, items.c.saved_utc)
                .where(items.c.project_id == self.project_id,
                       items.c.kind == check_item_kind(kind))
                .order_by(items.c.name)
            ).all()
        return {str(r.name): str(r.saved_utc) for r in rows}

    def delete_item(self, kind: str, name: str) -> None:
        """Remove a document of the project (kept for a restore, audited); missing is no error."""
        self._require("editor")
        check_item_kind(kind)
        title = normalise_title(name)
        with self.engine.begin() as con:
            self._lock_project(con)
            row = self._item(con, kind, title)
            if row is None:
                return
            archive = self._archive_item(con, kind, title)
            con.execute(sa.delete(items).where(
                (items.c.project_id == self.project_id) & (items.c.kind == kind)
                & (items.c.name == title)
            ))
            self._record(
                con, item_action(kind, "delete"), title, 0, json_checksum(dict(row.payload)),
                archive,
            )

    def _item(self, con: sa.Connection, kind: str, title: str) -> Any:
        return con.execute(sa.select(items.c.payload).where(
            (items.c.project_id == self.project_id) & (items.c.kind == kind)
            & (items.c.name == title)
        )).first()

    def _put_item(self, con: sa.Connection, kind: str, title: str, doc: dict[str, Any]) -> None:
        stmt = sa.dialects.postgresql.insert(items).values(
            project_id=self.project_id, kind=kind, name=title, payload=doc, saved_utc=_now()
        )
        con.execute(stmt.on_conflict_do_update(
            index_elements=["project_id", "kind", "name"],
            set_={"payload": stmt.excluded.payload, "saved_utc": stmt.excluded.saved_utc},
        ))

    def _archive_item(self, con: sa.Connection, kind: str, title: str) -> str:
        """Keep the stored document ``kind``/``title`` (if any); return its audit archive."""
        row = self._item(con, kind, title)
        if row is None:
            return ""
        kept = con.execute(item_archive.insert().values(
            project_id=self.project_id, kind=kind, name=title, payload=row.payload,
        ).returning(item_archive.c.id)).scalar_one()
        return f"{ITEM_ARCHIVE}{kept}"

    def _restore_item(self, con: sa.Connection, entry: Any) -> str:
        """Put back the document kept by ``entry`` (in the caller's transaction)."""
        kept = con.execute(sa.select(item_archive).where(
            item_archive.c.id == int(entry.archive[len(ITEM_ARCHIVE):]),
            item_archive.c.project_id == self.project_id,
        )).first()
        if kept is None:
            raise SpatialError("这条记录没有可恢复的内容。", "This record has nothing to restore.")
        archive = self._archive_item(con, kept.kind, kept.name)
        self._put_item(con, kept.kind, kept.name, dict(kept.payload))
        con.execute(audit.update().where(audit.c.id == entry.id).values(restored=True))
        self._record(con, item_action(kept.kind, "restore"), kept.name, 0,
                     json_checksum(dict(kept.payload)), archive)
        return str(kept.name)

    # --- internals ------------------------------------------------------------------------------

    def _require(self, role: str) -> None:
        if ROLES.index(self.role) < ROLES.index(role):
            if role == "admin":
                raise SpatialError(
                    "只有管理员可以恢复图层。", "Only an administrator can restore layers."
                )
            raise read_only_error()

    def _lock_project(self, con: sa.Connection) -> None:
        """Serialise writers of one project (row lock, released at commit or rollback)."""
        found = con.execute(
            sa.select(projects.c.id).where(projects.c.id == self.project_id).with_for_update()
        ).first()
        if found is None:
            raise SpatialError("项目不存在。", "The project does not exist.")

    def _current(self, con: sa.Connection, title: str) -> Any:
        lv = layer_versions
        return con.execute(
            sa.select(lv).where(
                lv.c.project_id == self.project_id, lv.c.title == title, lv.c.state == "current"
            )
        ).first()

    def _write(self, title: str, gdf: gpd.GeoDataFrame) -> None:
        """Write a new version of ``title`` in one transaction (restores switch versions in SQL)."""
        data = gdf.to_crs(WGS84) if gdf.crs is not None else gdf.set_crs(WGS84)
        report = data.attrs.get("import_report") or {}
        warnings = [str(w) for w in data.attrs.get("warnings") or []]
        geom_name = data.geometry.name
        names = [str(c) for c in data.columns if c != geom_name]
        plain = pd.DataFrame(
            {f"c{i}": data[c].to_numpy() for i, c in enumerate(
                c for c in data.columns if c != geom_name
            )},
            index=pd.RangeIndex(len(data), name=_FID),
        )
        plain[_GEOM] = gpd.GeoSeries(data.geometry.to_numpy(), index=plain.index, crs=WGS84)
        out = gpd.GeoDataFrame(plain, geometry=_GEOM, crs=WGS84)
        checksum = layer_checksum(
            gpd.GeoDataFrame(data.drop(columns=[geom_name]), geometry=data.geometry, crs=WGS84)
        )
        table = check_layer_name(f"l_{uuid.uuid4().hex[:24]}")
        with self.engine.begin() as con:
            self._lock_project(con)
            if out.geometry.notna().any():
                out.to_postgis(table, con, if_exists="fail", index=True)
            else:  # a table with no geometry at all (scenario records): geopandas refuses it
                pd.DataFrame(out.drop(columns=[_GEOM])).to_sql(
                    table, con, if_exists="fail", index=True
                )
                con.execute(sa.text(
                    f'ALTER TABLE "{table}" ADD COLUMN {_GEOM} geometry(Geometry, 4326)'
                ))
            con.execute(sa.text(f'ALTER TABLE "{table}" ADD PRIMARY KEY ({_FID})'))
            if not _has_spatial_index(con, table):
                con.execute(
                    sa.text(f'CREATE INDEX "{table}_geom" ON "{table}" USING GIST ({_GEOM})')
                )
            old = self._current(con, title)
            if old is not None:
                con.execute(
                    layer_versions.update()
                    .where(layer_versions.c.id == old.id)
                    .values(state="archived")
                )
            con.execute(
                layer_versions.insert().values(
                    project_id=self.project_id, title=title, table_name=table,
                    feature_count=len(out), checksum=checksum, saved_utc=_now(),
                    report=_jsonable(report), warnings=warnings, columns=names, state="current",
                )
            )
            what = "replace" if old is not None else "upload"
            self._record(
                con, what, title, len(out), checksum, str(old.id) if old is not None else ""
            )

    def _record(
        self, con: sa.Connection, action: str, title: str, count: int, checksum: str, archive: str
    ) -> None:
        con.execute(
            audit.insert().values(
                project_id=self.project_id, at_utc=_now(), actor=self.actor,
                action=action_for(title, action),
                title=title, feature_count=int(count), checksum=checksum, archive=archive,
            )
        )


def _has_spatial_index(con: sa.Connection, table: str) -> bool:
    """Whether GeoAlchemy2 already gave the new table its GiST index (it does on create)."""
    found = con.execute(
        sa.text("SELECT 1 FROM pg_indexes WHERE tablename = :t AND indexdef ILIKE '%USING gist%'"),
        {"t": table},
    ).first()
    return found is not None


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy (import reports may hold numpy numbers and the like)."""
    result: dict[str, Any] = json.loads(json.dumps(value, ensure_ascii=False, default=str))
    return result
