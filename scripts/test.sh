#!/usr/bin/env bash
# Install everything (including Debian chromium for the browser tests), then run
# the linters and the whole test suite. This is what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
echo "== ruff";  .venv/bin/ruff check .
echo "== mypy";  .venv/bin/mypy
echo "== pytest"
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
