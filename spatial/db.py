"""The office database: connection from ``HEBI_DATABASE_URL`` and the app's own tables.

With no ``HEBI_DATABASE_URL`` the app runs in desk mode (no sign-in, one local
GeoPackage). With it, every account, project, layer and audit record lives in
PostgreSQL + PostGIS, and an app process keeps nothing of its own: any number
of processes can serve one office.
"""

from __future__ import annotations

import os
import threading
from typing import Final

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from spatial._errors import SpatialError

__all__ = [
    "DATABASE_ENV",
    "ROLES",
    "database_url",
    "engine_for",
    "engine_from_env",
    "ensure_schema",
    "metadata",
    "office_mode",
]

DATABASE_ENV: Final = "HEBI_DATABASE_URL"
# Ordered from least to most: a role may do everything the roles before it may.
ROLES: Final = ("viewer", "editor", "admin")

metadata = sa.MetaData()

users = sa.Table(
    "hebi_users", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.Text, nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("failed_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("locked_until", sa.DateTime(timezone=True)),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
    sa.CheckConstraint("role IN ('viewer', 'editor', 'admin')", name="hebi_users_role"),
)

projects = sa.Table(
    "hebi_projects", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now()),
)

members = sa.Table(
    "hebi_members", metadata,
    sa.Column("project_id", sa.ForeignKey("hebi_projects.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("user_id", sa.ForeignKey("hebi_users.id", ondelete="CASCADE"), primary_key=True),
)

sessions = sa.Table(
    "hebi_sessions", metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column("user_id", sa.ForeignKey("hebi_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per stored version of a layer; exactly one "current" row per (project, title).
layer_versions = sa.Table(
    "hebi_layers", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.ForeignKey("hebi_projects.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("table_name", sa.Text, nullable=False, unique=True),
    sa.Column("feature_count", sa.BigInteger, nullable=False),
    sa.Column("checksum", sa.Text, nullable=False),
    sa.Column("saved_utc", sa.Text, nullable=False),
    sa.Column("report", JSONB, nullable=False),
    sa.Column("warnings", JSONB, nullable=False),
    sa.Column("columns", JSONB, nullable=False),
    sa.Column("state", sa.Text, nullable=False),
    sa.Index(
        "hebi_layers_one_current", "project_id", "title", unique=True,
        postgresql_where=sa.text("state = 'current'"),
    ),
)

audit = sa.Table(
    "hebi_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.ForeignKey("hebi_projects.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("at_utc", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("feature_count", sa.BigInteger, nullable=False),
    sa.Column("checksum", sa.Text, nullable=False),
    sa.Column("archive", sa.Text, nullable=False, server_default=""),
    sa.Column("restored", sa.Boolean, nullable=False, server_default=sa.false()),
)

# Scenarios, rule tables and uploaded statistics of a project, as JSON documents.
items = sa.Table(
    "hebi_items", metadata,
    sa.Column("project_id", sa.ForeignKey("hebi_projects.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("payload", JSONB, nullable=False),
    sa.Column("saved_utc", sa.Text, nullable=False),
)

# A replaced or removed document, kept for an admin to restore (audit ``archive``: item:<id>).
item_archive = sa.Table(
    "hebi_item_archive", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("project_id", sa.ForeignKey("hebi_projects.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("payload", JSONB, nullable=False),
)

_engines: dict[str, sa.Engine] = {}
_engines_lock = threading.Lock()
_schema_ready: set[str] = set()


def database_url() -> str | None:
    """``$HEBI_DATABASE_URL`` or None (desk mode)."""
    url = os.environ.get(DATABASE_ENV, "").strip()
    return url or None


def office_mode() -> bool:
    """Whether a database is configured (sign-in, projects, PostGIS)."""
    return database_url() is not None


def _sqlalchemy_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs (what ``psql`` and libpq accept)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def engine_for(url: str) -> sa.Engine:
    """One connection pool per database URL and process, with the app's tables in place."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = sa.create_engine(
                _sqlalchemy_url(url), pool_pre_ping=True, pool_size=5, max_overflow=5
            )
            _engines[url] = engine
        if url not in _schema_ready:
            ensure_schema(engine)
            _schema_ready.add(url)
    return engine


def engine_from_env() -> sa.Engine:
    """The engine of ``$HEBI_DATABASE_URL``; raise a bilingual error when it is not set."""
    url = database_url()
    if url is None:
        raise SpatialError("未配置数据库。", "No database is configured.")
    try:
        return engine_for(url)
    except sa.exc.OperationalError as exc:
        raise SpatialError(
            "无法连接数据库，请联系管理员。",
            "The database cannot be reached; ask the administrator.",
        ) from exc


def ensure_schema(engine: sa.Engine) -> None:
    """Create PostGIS and the app's tables if missing (safe for processes starting together)."""
    with engine.begin() as con:
        # A transaction-scoped advisory lock: two app processes starting together do not race.
        con.execute(sa.text("SELECT pg_advisory_xact_lock(4547)"))
        con.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        metadata.create_all(con)
