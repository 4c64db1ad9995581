"""Projects (规划项目) in office mode: who is a member, and the one way to open a project's store.

A user sees only the projects they are a member of (an admin sees all).
:func:`open_project_store` is the only place a :class:`PostGISStore` is made
for a user, and it checks membership first, so a project id typed into a URL
or sent in a crafted request cannot open another team's layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from spatial._errors import SpatialError
from spatial.auth import User
from spatial.db import members, projects, users
from spatial.storage.postgis import PostGISStore

__all__ = [
    "Project",
    "add_member",
    "create_project",
    "open_project_store",
    "project_by_name",
    "projects_for",
]


@dataclass(frozen=True)
class Project:
    """One project: id and name (the name is user text: escape before display)."""

    project_id: int
    name: str


def create_project(engine: sa.Engine, name: str) -> int:
    """Create a project; return its id."""
    text = " ".join(str(name).split())[:100]
    if not text:
        raise SpatialError("项目名称不能为空。", "The project name must not be empty.")
    with engine.begin() as con:
        try:
            new_id = con.execute(
                projects.insert().values(name=text).returning(projects.c.id)
            ).scalar_one()
        except sa.exc.IntegrityError as exc:
            raise SpatialError("项目名称已存在。", "A project with this name exists.") from exc
    return int(new_id)


def project_by_name(engine: sa.Engine, name: str) -> int | None:
    """The id of the project called ``name``, or None."""
    with engine.connect() as con:
        found = con.execute(sa.select(projects.c.id).where(projects.c.name == name)).first()
    return None if found is None else int(found.id)


def add_member(engine: sa.Engine, project_id: int, username: str) -> None:
    """Make an account a member of a project (idempotent)."""
    with engine.begin() as con:
        uid = con.execute(sa.select(users.c.id).where(users.c.username == username)).first()
        if uid is None:
            raise SpatialError("没有这个用户。", "There is no such user.")
        exists = con.execute(
            sa.select(members.c.user_id).where(
                members.c.project_id == project_id, members.c.user_id == uid.id
            )
        ).first()
        if exists is None:
            con.execute(members.insert().values(project_id=project_id, user_id=uid.id))


def projects_for(engine: sa.Engine, user: User) -> list[Project]:
    """The projects ``user`` may open, by name (all of them for an admin)."""
    query = sa.select(projects.c.id, projects.c.name).order_by(projects.c.name)
    if not user.is_admin:
        query = query.join(members, members.c.project_id == projects.c.id).where(
            members.c.user_id == user.user_id
        )
    with engine.connect() as con:
        return [Project(int(r.id), str(r.name)) for r in con.execute(query).all()]


def open_project_store(engine: sa.Engine, user: User, project_id: int) -> PostGISStore:
    """The store of one project for ``user``, after checking that they may open it."""
    if not any(p.project_id == project_id for p in projects_for(engine, user)):
        raise SpatialError("您不是该项目的成员。", "You are not a member of this project.")
    return PostGISStore(engine, project_id, actor=user.username, role=user.role)
