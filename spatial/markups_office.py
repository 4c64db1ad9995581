"""Markups of an office project (PostGIS database): kept in the project, audited in its trail.

:class:`OfficeMarkupStore` is a :class:`~spatial.markups.MarkupStore` whose markups
live in the project's documents (``hebi_items``, kind ``markups``) and whose every
change — create, edit, reply, delete — is also a record of the shared audit trail
(``hebi_audit``, shown on the 留痕与管理 page), written **in the same transaction** as
the change: a change without its record, or a record without its change, cannot exist.

It is only ever made from a :class:`~spatial.storage.postgis.PostGISStore` that
:func:`spatial.projects.open_project_store` handed out, i.e. after the membership
check; it takes the project, the user's name and role from there. The author of every
change is that user (a name typed into the page is never trusted in office mode), and
a viewer may read but not write.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import sqlalchemy as sa
from shapely.geometry import mapping, shape

from spatial._errors import SpatialError
from spatial.db import audit, items, projects
from spatial.markups import AuditRecord, Markup, MarkupStore, Reply, _now, _one_line
from spatial.storage.postgis import PostGISStore

__all__ = ["ITEM_KIND", "OfficeMarkupStore"]

ITEM_KIND = "markups"
_ITEM_NAME = "markups"


def _markup_json(m: Markup) -> dict[str, Any]:
    return {"mid": m.id, "no": m.no, "category": m.category, "comment": m.comment,
            "author": m.author, "created_utc": m.created_utc, "updated_utc": m.updated_utc,
            "replies": [r.__dict__ for r in m.replies], "geometry": mapping(m.geometry)}


def _markup_from_json(d: Mapping[str, Any]) -> Markup:
    replies = tuple(Reply(str(r["author"]), str(r["time_utc"]), str(r["text"]))
                    for r in d.get("replies") or [])
    return Markup(str(d["mid"]), int(d["no"]), shape(d["geometry"]), str(d["category"]),
                  str(d["comment"]), str(d["author"]), str(d["created_utc"]),
                  str(d["updated_utc"]), replies)


def _checksum(markups: list[dict[str, Any]]) -> str:
    text = json.dumps(markups, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class OfficeMarkupStore(MarkupStore):
    """The markups of one office project, for the signed-in user of ``store``.

    Parameters
    ----------
    store : PostGISStore
        The project's store as :func:`spatial.projects.open_project_store` returned it
        (membership checked); its ``actor`` is the author of every change and its
        ``role`` decides whether the user may write.
    """

    def __init__(self, store: PostGISStore) -> None:
        # The base class's layer store and audit sink are not used: both live in the database.
        self.store = store
        self.pg = store
        self.engine = store.engine
        self.project_id = store.project_id
        self.project = str(store.project_id)
        self.actor = store.actor
        self.role = store.role
        # The change under way (connection, the project's document) per thread: an object
        # shared by two threads still runs two separate transactions.
        self._local = threading.local()

    @property
    def can_write(self) -> bool:
        """Editors and admins write; a viewer reads."""
        return self.pg.can_write

    # --- reading ------------------------------------------------------------------------------

    def _load(self, con: sa.Connection) -> dict[str, Any]:
        row = con.execute(sa.select(items.c.payload).where(
            items.c.project_id == self.project_id, items.c.kind == ITEM_KIND,
            items.c.name == _ITEM_NAME)).first()
        payload = dict(row.payload) if row is not None else {}
        return {"markups": list(payload.get("markups") or []),
                "log": list(payload.get("log") or [])}

    @property
    def _con(self) -> sa.Connection | None:
        con: sa.Connection | None = getattr(self._local, "con", None)
        return con

    @property
    def _payload(self) -> dict[str, Any] | None:
        payload: dict[str, Any] | None = getattr(self._local, "payload", None)
        return payload

    def _current(self) -> dict[str, Any]:
        if self._payload is not None:
            return self._payload
        with self.engine.connect() as con:
            return self._load(con)

    def _read(self) -> list[Markup]:
        try:
            return [_markup_from_json(d) for d in self._current()["markups"]]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise SpatialError("批注数据无法读取。", "The markups could not be read.") from exc

    def audit_trail(self) -> list[AuditRecord]:
        """Return the project's markup changes with their details, oldest first."""
        return [AuditRecord(str(r["time_utc"]), self.project, str(r["actor"]),
                            str(r["action"]), int(r["markup_no"]), str(r["detail"]))
                for r in self._current()["log"]]

    # --- changes ------------------------------------------------------------------------------

    @contextmanager
    def _change(self) -> Iterator[None]:
        """One change: one transaction, the project row locked, the document written at the end."""
        if not self.can_write:
            raise SpatialError("您只有查看权限，不能新建、修改、回复或删除批注。",
                               "You may only view: adding, editing, replying to or deleting "
                               "markups is not allowed.")
        if self._con is not None:  # one change at a time per object and thread
            raise RuntimeError("nested markup change")
        with self.engine.begin() as con:
            # Serialise the writers of this project across every app process (row lock).
            found = con.execute(sa.select(projects.c.id).where(
                projects.c.id == self.project_id).with_for_update()).first()
            if found is None:
                raise SpatialError("项目不存在。", "The project does not exist.")
            self._local.con, self._local.payload = con, self._load(con)
            try:
                yield
                stmt = sa.dialects.postgresql.insert(items).values(
                    project_id=self.project_id, kind=ITEM_KIND, name=_ITEM_NAME,
                    payload=self._payload, saved_utc=_now())
                con.execute(stmt.on_conflict_do_update(
                    index_elements=["project_id", "kind", "name"],
                    set_={"payload": stmt.excluded.payload,
                          "saved_utc": stmt.excluded.saved_utc}))
            finally:
                self._local.con, self._local.payload = None, None

    def _transaction(self) -> AbstractContextManager[Any]:
        return self._change()

    def _write(self, markups: Any) -> None:
        assert self._payload is not None
        self._payload["markups"] = [_markup_json(m) for m in markups]

    def _record(self, actor: str, action: str, m: Markup, detail: Mapping[str, Any]) -> None:
        assert self._payload is not None and self._con is not None
        record = AuditRecord(_now(), self.project, actor, action, m.no,
                             json.dumps(detail, ensure_ascii=False))
        self._payload["log"].append({"time_utc": record.time_utc, "actor": record.actor,
                                     "action": record.action, "markup_no": record.markup_no,
                                     "detail": record.detail})
        # The shared trail: what changed (action), which markup (number and the start of its
        # comment, untrusted text that the admin page shows as text) and the content's checksum.
        self._con.execute(audit.insert().values(
            project_id=self.project_id, at_utc=record.time_utc, actor=actor,
            action=f"markup_{action}", title=f"#{m.no} {_one_line(m.comment, 40)}",
            feature_count=len(self._payload["markups"]),
            checksum=_checksum(self._payload["markups"]), archive=""))

    # The author is always the signed-in user: a name sent by the page is not trusted.

    def create(self, geometry: Any, category: str, comment: str, author: str = "") -> Markup:
        """Store a new markup by the signed-in user; record it in both trails."""
        return super().create(geometry, category, comment, self.actor)

    def edit(self, markup_id: str, actor: str = "", *, category: str | None = None,
             comment: str | None = None) -> Markup:
        """Change a markup's category and/or comment as the signed-in user."""
        return super().edit(markup_id, self.actor, category=category, comment=comment)

    def reply(self, markup_id: str, author: str = "", text: str = "") -> Markup:
        """Append the signed-in user's reply to a markup's thread."""
        return super().reply(markup_id, self.actor, text)

    def delete(self, markup_id: str, actor: str = "") -> None:
        """Remove a markup as the signed-in user (its content stays in the change log)."""
        super().delete(markup_id, self.actor)
