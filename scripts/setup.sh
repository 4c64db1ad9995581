#!/usr/bin/env bash
# Install everything the app needs on a Debian machine (Python 3.11):
#   system packages (CJK fonts; with --dev also Debian chromium for browser tests),
#   a virtualenv in .venv with the pinned Python packages,
#   the map's front-end assets from npm into static/vendor (served by the app, no CDN).
# Idempotent: re-running installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

# fonts-wqy-microhei: a TrueType CJK font with Latin glyphs, embedded in PDF exports as real text
# (Noto CJK is CFF, which matplotlib cannot embed as TrueType; Droid has no Latin glyphs).
apt_pkgs=(fonts-noto-cjk fonts-droid-fallback fonts-wqy-microhei)
[ "$dev" = 1 ] && apt_pkgs+=(chromium)
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

if [ -f scripts/vendor_assets.sh ]; then
  bash scripts/vendor_assets.sh
fi
echo "setup: done"
