"""The PostGIS test database: a fixture that never silently skips in CI.

``HEBI_TEST_DATABASE_URL`` names a throwaway database (``scripts/test.sh``
starts one with ``scripts/pg_throwaway.sh``; so does ``.ci/run``). Without it
the PostGIS tests skip locally, and fail when ``CI`` is set: a CI run in
which the database tests did not run is not a green run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

TEST_DB_ENV = "HEBI_TEST_DATABASE_URL"


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.fixture(scope="session")
def pg_url() -> str:
    """The URL of the throwaway test database (skip locally without one, fail in CI)."""
    url = os.environ.get(TEST_DB_ENV, "").strip()
    if not url:
        if _in_ci():
            pytest.fail(f"{TEST_DB_ENV} is not set in CI: the PostGIS tests must run there")
        pytest.skip(f"no test database ({TEST_DB_ENV} unset; scripts/test.sh starts one)")
    from spatial.db import engine_for

    try:
        engine_for(url)
    except sa.exc.OperationalError as exc:
        if _in_ci():
            pytest.fail(f"the test database is not reachable in CI: {exc}")
        pytest.skip("the test database is not reachable")
    return url


@pytest.fixture(scope="session")
def pg_engine(pg_url: str) -> sa.Engine:
    """The engine of the test database, with the app's tables in place."""
    from spatial.db import engine_for

    return engine_for(pg_url)


@pytest.fixture
def pg_project(pg_engine: sa.Engine) -> Iterator[int]:
    """A fresh project (unique name) so tests never see each other's layers."""
    from spatial.projects import create_project

    yield create_project(pg_engine, f"测试项目 {uuid.uuid4().hex[:10]}")
