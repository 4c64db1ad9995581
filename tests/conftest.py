"""Shared fixtures: the PostGIS test database (tests/pg_support.py)."""

pytest_plugins = ["tests.pg_support"]
