#!/usr/bin/env bash
# Install everything the app needs on a Debian machine (Python 3.11):
#   system packages (CJK fonts; with --dev also Debian chromium for browser tests),
#   a virtualenv in .venv with the pinned Python packages,
#   the map's front-end assets from npm into static/vendor (served by the app, no CDN).
# Options: --dev  also Debian chromium for the browser tests (scripts/test.sh uses it);
#          --db   also PostgreSQL + PostGIS from Debian for office mode (sign-in, projects);
#                 as root it then creates the role and database `hebi` on the local cluster and
#                 prints the HEBI_DATABASE_URL to use (see README, "Office mode").
# Idempotent: re-running installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
db=0
for arg in "$@"; do
  case "$arg" in
    --dev) dev=1 ;;
    --db) db=1 ;;
    *) echo "setup: unknown option $arg (use --dev and/or --db)" >&2; exit 2 ;;
  esac
done

# fonts-wqy-microhei: a TrueType CJK font with Latin glyphs, embedded in PDF exports as real text
# (Noto CJK is CFF, which matplotlib cannot embed as TrueType; Droid has no Latin glyphs).
apt_pkgs=(fonts-noto-cjk fonts-droid-fallback fonts-wqy-microhei)
[ "$dev" = 1 ] && apt_pkgs+=(chromium)
if [ "$db" = 1 ]; then
  # PostGIS for the PostgreSQL major version Debian ships (15 on Debian 12).
  pg_major=$(apt-cache policy postgresql 2>/dev/null | awk '/Candidate:/ {split($2, v, "+"); print v[1]}')
  [ -n "$pg_major" ] && [ "$pg_major" != "(none)" ] || pg_major=15
  apt_pkgs+=(postgresql "postgresql-$pg_major" "postgresql-$pg_major-postgis-3")
fi
missing=()
# npm fetches the map's pinned JS/CSS from the npm registry (scripts/vendor_assets.sh).
command -v npm >/dev/null || missing+=(npm)
for p in "${apt_pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then sudo_cmd=(); elif command -v sudo >/dev/null; then sudo_cmd=(sudo); else sudo_cmd=(false); fi
  echo "setup: installing Debian packages: ${missing[*]}"
  if ! { "${sudo_cmd[@]}" apt-get update -qq && DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    echo "setup: could not install ${missing[*]} (need root or sudo); exports may lack CJK fonts and browser tests cannot run" >&2
    [ "$dev" = 1 ] && exit 1
  fi
fi

py=${PYTHON:-python3.11}
command -v "$py" >/dev/null || py=python3
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
req=requirements.txt
[ "$dev" = 1 ] && req=requirements-dev.txt
stamp=".venv/.installed-$(sha256sum requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)-$dev"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
  touch "$stamp"
fi

if [ "$db" = 1 ] && [ "$(id -u)" = 0 ] && [ -z "${CI:-}" ] && command -v pg_lsclusters >/dev/null; then
  # The office database on the machine's own cluster (not in CI: tests use a throwaway cluster).
  pg_ctlcluster "$pg_major" main start 2>/dev/null || true
  if ! runuser -u postgres -- psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='hebi'" | grep -q 1; then
    pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
    runuser -u postgres -- psql -q -c "CREATE ROLE hebi LOGIN PASSWORD '$pw'"
    runuser -u postgres -- createdb -O hebi hebi
    runuser -u postgres -- psql -q -d hebi -c "CREATE EXTENSION IF NOT EXISTS postgis"
    umask 077
    echo "HEBI_DATABASE_URL=postgresql://hebi:$pw@127.0.0.1:5432/hebi" > .hebi-database.env
    echo "setup: database hebi created; its URL is in .hebi-database.env (readable by you only)"
  fi
fi

if [ -f scripts/vendor_assets.sh ]; then
  bash scripts/vendor_assets.sh
fi
echo "setup: done"
