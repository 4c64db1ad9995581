#!/usr/bin/env bash
# Install everything (including Debian chromium for the browser tests, PostgreSQL + PostGIS for
# the database tests), then run the linters and the whole test suite. This is what CI runs (.ci/run).
# Unless HEBI_TEST_DATABASE_URL is already set, a throwaway PostGIS cluster is started for the run
# (scripts/pg_throwaway.sh, as the postgres user) and removed afterwards; with CI set, the database
# tests fail rather than skip when it cannot be started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev --db
echo "== ruff";  .venv/bin/ruff check .
echo "== mypy";  .venv/bin/mypy
if [ -z "${HEBI_TEST_DATABASE_URL:-}" ]; then
  pgdir=$(mktemp -d /tmp/hebi-pg.XXXXXX)
  chmod 755 "$pgdir"   # the postgres user must reach its cluster folder inside
  trap 'bash scripts/pg_throwaway.sh stop "$pgdir/cluster"; rmdir "$pgdir" 2>/dev/null || true' EXIT
  if url=$(bash scripts/pg_throwaway.sh start "$pgdir/cluster"); then
    export HEBI_TEST_DATABASE_URL="$url"
    echo "== PostGIS test database on ${url##*@}"
  else
    echo "== no PostGIS test database (the database tests skip locally and fail in CI)" >&2
  fi
fi
echo "== pytest"
.venv/bin/python -m pytest -n 2 --dist loadgroup -rR "$@"   # -rR names any test that needed a rerun
