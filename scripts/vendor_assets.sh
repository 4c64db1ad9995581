#!/usr/bin/env bash
# Install the map's front-end assets (Leaflet, jQuery, Bootstrap, awesome-markers, Font Awesome,
# leaflet-measure, Leaflet.MousePosition, Leaflet.draw, leaflet-side-by-side, leaflet.sync) from the npm
# registry at the versions pinned in
# package-lock.json, and copy the files the map loads into static/vendor/, which Streamlit serves
# at /app/static/vendor/ (server.enableStaticServing). Nothing is ever fetched from a CDN.
#
# Idempotent: skipped when static/vendor already matches package-lock.json and this script.
# Fails loudly when npm is missing or a file is not where it should be.
set -euo pipefail
cd "$(dirname "$0")/.."

dest=static/vendor
stamp_value=$(cat package-lock.json scripts/vendor_assets.sh | sha256sum | cut -c1-16)
if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$stamp_value" ]; then
  echo "vendor_assets: static/vendor is up to date"
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "vendor_assets: ERROR: npm is not installed; the map cannot load without its assets." >&2
  echo "vendor_assets: install Node.js/npm (Debian: apt-get install npm) and re-run scripts/setup.sh" >&2
  exit 1
fi

# --ignore-scripts: the packages need no build step, and install scripts are a needless risk.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

nm=node_modules
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vendor.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

copy() {  # copy SRC DEST_RELATIVE: a file or a directory, which must exist
  local src=$1 rel=$2
  if [ ! -e "$src" ]; then
    echo "vendor_assets: ERROR: $src is missing from the npm package" >&2
    exit 1
  fi
  mkdir -p "$tmp/$(dirname "$rel")"
  cp -R "$src" "$tmp/$rel"
}

copy "$nm/leaflet/dist/leaflet.js" leaflet/leaflet.js
copy "$nm/leaflet/dist/leaflet.css" leaflet/leaflet.css
copy "$nm/leaflet/dist/images" leaflet/images
copy "$nm/jquery/dist/jquery.min.js" jquery/jquery.min.js
copy "$nm/bootstrap/dist/js/bootstrap.bundle.min.js" bootstrap/bootstrap.bundle.min.js
copy "$nm/bootstrap/dist/css/bootstrap.min.css" bootstrap/bootstrap.min.css
copy "$nm/leaflet.awesome-markers/dist/leaflet.awesome-markers.js" awesome-markers/leaflet.awesome-markers.js
copy "$nm/leaflet.awesome-markers/dist/leaflet.awesome-markers.css" awesome-markers/leaflet.awesome-markers.css
copy "$nm/leaflet.awesome-markers/dist/images" awesome-markers/images
copy "$nm/@fortawesome/fontawesome-free/css/all.min.css" fontawesome/css/all.min.css
copy "$nm/@fortawesome/fontawesome-free/webfonts" fontawesome/webfonts
copy "$nm/leaflet-measure/dist/leaflet-measure.cn.js" leaflet-measure/leaflet-measure.cn.js
copy "$nm/leaflet-measure/dist/leaflet-measure.en.js" leaflet-measure/leaflet-measure.en.js
copy "$nm/leaflet-measure/dist/leaflet-measure.css" leaflet-measure/leaflet-measure.css
copy "$nm/leaflet-measure/dist/assets" leaflet-measure/assets
copy "$nm/leaflet-mouse-position/src/L.Control.MousePosition.js" mouse-position/L.Control.MousePosition.js
copy "$nm/leaflet-mouse-position/src/L.Control.MousePosition.css" mouse-position/L.Control.MousePosition.css
copy "$nm/bootstrap3/dist/fonts" bootstrap3/fonts
copy "$nm/leaflet-draw/dist/leaflet.draw.js" leaflet-draw/leaflet.draw.js
copy "$nm/leaflet-draw/dist/leaflet.draw.css" leaflet-draw/leaflet.draw.css
copy "$nm/leaflet-draw/dist/images" leaflet-draw/images
copy "$nm/leaflet.sync/L.Map.Sync.js" leaflet-sync/L.Map.Sync.js
copy "$nm/leaflet-side-by-side/layout.css" side-by-side/layout.css
copy "$nm/leaflet-side-by-side/range.css" side-by-side/range.css
copy "$nm/leaflet-side-by-side/range-icon.png" side-by-side/range-icon.png

# leaflet-side-by-side ships only its CommonJS source (built with browserify by its users): the
# three require() lines at the top are replaced by the page's global Leaflet and the CSS files
# above, the export at the bottom dropped. Anything else in the file fails the build here.
node -e '
const fs = require("fs");
const src = fs.readFileSync(process.argv[1], "utf8").replace(/\r\n/g, "\n");
const head = "var L = require(\x27leaflet\x27)\nrequire(\x27./layout.css\x27)\nrequire(\x27./range.css\x27)\n";
const tail = "module.exports = L.Control.SideBySide\n";
if (!src.startsWith(head) || !src.endsWith(tail) || src.slice(head.length).includes("require(")) {
  console.error("vendor_assets: ERROR: leaflet-side-by-side source is not as expected");
  process.exit(1);
}
const body = src.slice(head.length, src.length - tail.length);
fs.mkdirSync(process.argv[2] + "/side-by-side", { recursive: true });
fs.writeFileSync(process.argv[2] + "/side-by-side/leaflet-side-by-side.js",
                 "(function (L) {\n" + body + "})(window.L);\n");
' "$nm/leaflet-side-by-side/index.js" "$tmp"
# Vector tiles for city-scale layers (issue 14): L.vectorGrid.protobuf, canvas renderer.
copy "$nm/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js" vectorgrid/Leaflet.VectorGrid.bundled.min.js

# folium's Icon defaults to Bootstrap 3 glyphicons. Bootstrap 3 as a whole would clash with
# Bootstrap 5, so only its glyphicon rules (the @font-face and the .glyphicon classes) are kept.
node -e '
const fs = require("fs");
const css = fs.readFileSync(process.argv[1], "utf8");
const start = css.indexOf("@font-face");
const end = css.indexOf("\n* {", start);
if (start < 0 || end < 0 || !css.slice(start, end).includes(".glyphicon-")) {
  console.error("vendor_assets: ERROR: glyphicon rules not found in bootstrap 3 css");
  process.exit(1);
}
fs.mkdirSync(process.argv[2] + "/bootstrap3/css", { recursive: true });
fs.writeFileSync(process.argv[2] + "/bootstrap3/css/glyphicons.css", css.slice(start, end) + "\n");
' "$nm/bootstrap3/dist/css/bootstrap.css" "$tmp"

# folium's awesome-marker rotation classes (.fa-rotate-N, N = 0..359), generated here instead of
# being fetched from folium's GitHub repository.
mkdir -p "$tmp/folium"
for i in $(seq 0 359); do
  printf '.fa-rotate-%d{transform:rotate(%ddeg)}\n' "$i" "$i"
done >"$tmp/folium/leaflet.awesome.rotate.min.css"

echo "$stamp_value" >"$tmp/.stamp"
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp" "$dest"
chmod -R a+rX "$dest"
trap - EXIT
echo "vendor_assets: installed $(find "$dest" -type f | wc -l) files into $dest"
