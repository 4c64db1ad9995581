"""City-scale layers as vector tiles: pre-built Mapbox Vector Tiles in an unguessable static path.

A layer with more than :data:`TILE_THRESHOLD` features is not sent to the
browser as one GeoJSON payload. Instead its tiles (z :data:`MIN_ZOOM` –
:data:`MAX_ZOOM`, ``{z}/{x}/{y}.pbf``) are encoded once per saved version with
``mapbox-vector-tile`` into ``static/tiles/<token>/``, which Streamlit serves
as static files, and drawn with ``leaflet.vectorgrid`` (vendored from npm).

Why static tiles: Streamlit has no custom routes, and a second tile server
would need its own proxy and sign-in. The directory name is an HMAC of the
store, the layer and its version under a server secret (128 bits), so it can
be neither guessed nor derived by someone who was never shown the map; only a
member who opens the project's map receives it. Identify-on-click keeps
working because it is answered on the server from the layer itself (the
clicked point is matched against the features, as for every other layer).

Tiles are built when a city-scale layer is saved (:func:`sync_tiles`, called
by the pages that write), not on its first view, and the folders of replaced
and removed versions are pruned then: each folder carries an opaque owner tag
(an HMAC of its store), so a store's stale folders can be found without
naming the store in the served tree. On the 高德 basemap (GCJ-02) a layer is
drawn from a second tile set built from the shifted geometries
(:func:`spatial.crs.shift_geometry_to_gcj02`, the same shift as its GeoJSON
twin), built on the first 高德 view: a GCJ-02 shift is display-only, so it
never goes into the stored layer.

At zooms below :data:`MAX_ZOOM` a tile keeps at most :data:`MAX_PER_TILE`
features (an even sample, so dense areas stay readable and tiles stay small);
at :data:`MAX_ZOOM` every feature is drawn. Geometries are simplified to a
quarter of a tile pixel at each zoom.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import os
import secrets
import shutil
import uuid
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import mapbox_vector_tile
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from spatial.crs import shift_geometry_to_gcj02
from spatial.text import escape_text

__all__ = [
    "MAX_PER_TILE",
    "MAX_ZOOM",
    "MIN_ZOOM",
    "TILE_LAYER",
    "TILE_THRESHOLD",
    "TileSet",
    "VectorTileOverlay",
    "build_tiles",
    "ensure_tiles",
    "needs_tiles",
    "owner_tag",
    "prune_tiles",
    "sync_tiles",
    "tile_fields",
    "tile_token",
]

TILE_THRESHOLD: Final = 20_000  # features; above this a layer is drawn from vector tiles
MIN_ZOOM: Final = 9
MAX_ZOOM: Final = 14
MAX_PER_TILE: Final = 4_000
EXTENT: Final = 4096
TILE_LAYER: Final = "layer"  # the one MVT layer name inside every tile
_ORIGIN: Final = 20037508.342789244  # half the EPSG:3857 world width, metres
_PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATIC_TILES: Final = _PROJECT_ROOT / "static" / "tiles"
STATIC_URL: Final = "/app/static/tiles"
SECRET_ENV: Final = "HEBI_TILE_SECRET"
_MAKE_VALID = mapbox_vector_tile.encoder.on_invalid_geometry_make_valid
_OWNER_FILE: Final = "owner"
_GCJ02: Final = "gcj02"  # the version suffix of a layer's tile set shifted for 高德


def needs_tiles(feature_count: int) -> bool:
    """Whether a layer of this size is drawn from vector tiles rather than GeoJSON."""
    return feature_count > TILE_THRESHOLD


def _secret() -> bytes:
    """The server secret: ``$HEBI_TILE_SECRET``, else a random one kept outside the served tree."""
    env = os.environ.get(SECRET_ENV, "").strip()
    if env:
        return env.encode("utf-8")
    path = _PROJECT_ROOT / "workspace" / ".tile-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tile-secret.{uuid.uuid4().hex}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # first writer wins; every process then reads the same secret
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_bytes().strip()


def tile_token(store_key: str, layer_id: str, version: str, *, gcj02: bool = False) -> str:
    """The unguessable directory name of one layer version's tiles (HMAC-SHA256, 128 bits).

    ``gcj02`` names the tile set shifted for the 高德 basemap (its own folder).
    """
    shown = f"{version}\x1f{_GCJ02}" if gcj02 else version
    msg = f"{store_key}\x1f{layer_id}\x1f{shown}".encode()
    return hmac.new(_secret(), msg, hashlib.sha256).hexdigest()[:32]


def owner_tag(store_key: str) -> str:
    """The opaque tag a store's tile folders carry (so its stale ones can be pruned)."""
    msg = f"owner\x1f{store_key}".encode()
    return hmac.new(_secret(), msg, hashlib.sha256).hexdigest()[:32]


def tile_fields(gdf: gpd.GeoDataFrame) -> tuple[str, ...]:
    """The attribute fields a layer's tiles carry: its first four, as the map's tooltip shows."""
    return tuple(str(c) for c in gdf.columns if c != gdf.geometry.name)[:4]


def _tiles_root(root: Path | None) -> Path:
    # Read at call time, so that a deployment (or a test) can point the tiles elsewhere.
    return STATIC_TILES if root is None else root


@dataclass(frozen=True)
class TileSet:
    """Where a layer's tiles are and what they hold."""

    url: str  # "{z}/{x}/{y}" template under the app's static route
    directory: Path
    tiles: int
    bytes: int
    fields: tuple[str, ...]


def _tile_range(lo: np.ndarray[Any, Any], hi: np.ndarray[Any, Any], z: int) -> tuple[Any, ...]:
    """Tile columns/rows covering mercator x/y intervals at zoom ``z`` (clamped to the world)."""
    n = 2**z
    size = 2 * _ORIGIN / n
    x0 = np.clip(np.floor((lo[:, 0] + _ORIGIN) / size), 0, n - 1).astype(np.int64)
    x1 = np.clip(np.floor((hi[:, 0] + _ORIGIN) / size), 0, n - 1).astype(np.int64)
    y0 = np.clip(np.floor((_ORIGIN - hi[:, 1]) / size), 0, n - 1).astype(np.int64)
    y1 = np.clip(np.floor((_ORIGIN - lo[:, 1]) / size), 0, n - 1).astype(np.int64)
    return x0, x1, y0, y1


def _to_pixels(origin: np.ndarray[Any, Any], factor: float) -> Any:
    """Mercator metres -> whole tile pixels (y up) for ``shapely.transform``."""

    def fn(coords: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return np.round((coords - origin) * factor)

    return fn


def _properties(gdf: gpd.GeoDataFrame, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    cols = {f: gdf[f].astype("string").fillna("").str.slice(0, 80).tolist() for f in fields}
    return [
        {"fid": i, **{f: cols[f][i] for f in fields}} for i in range(len(gdf))
    ]


def build_tiles(
    gdf: gpd.GeoDataFrame,
    directory: Path,
    *,
    fields: tuple[str, ...] = (),
    min_zoom: int = MIN_ZOOM,
    max_zoom: int = MAX_ZOOM,
    owner: str = "",
) -> tuple[int, int]:
    """Encode a WGS84 layer into ``directory/{z}/{x}/{y}.pbf``; return (tiles, bytes).

    Each feature carries ``fid`` (its row position in the layer, for identify)
    and the text of ``fields`` (at most 80 characters each). Written into a
    private folder and renamed into place, so a reader never sees half a set.
    ``owner`` (:func:`owner_tag`) is kept beside the tiles for :func:`prune_tiles`.
    """
    merc = gdf.geometry.to_crs(3857).to_numpy()
    keep = ~(shapely.is_missing(merc) | shapely.is_empty(merc))
    rows = np.flatnonzero(keep)
    props = _properties(gdf, fields)
    bounds = shapely.bounds(merc[rows])
    lo, hi = bounds[:, :2], bounds[:, 2:]
    work = directory.with_name(f".{directory.name}.{uuid.uuid4().hex}.tmp")
    count = size = 0
    try:
        for z in range(min_zoom, max_zoom + 1):
            tile_m = 2 * _ORIGIN / 2**z
            geoms = shapely.simplify(merc[rows], tile_m / EXTENT / 4, preserve_topology=True)
            x0, x1, y0, y1 = _tile_range(lo, hi, z)
            members: dict[tuple[int, int], list[int]] = defaultdict(list)
            single = (x0 == x1) & (y0 == y1)
            for k in np.flatnonzero(single):
                members[(int(x0[k]), int(y0[k]))].append(int(k))
            for k in np.flatnonzero(~single):
                for x in range(int(x0[k]), int(x1[k]) + 1):
                    for y in range(int(y0[k]), int(y1[k]) + 1):
                        members[(x, y)].append(int(k))
            for (x, y), ks in members.items():
                if z < max_zoom and len(ks) > MAX_PER_TILE:
                    step = len(ks) / MAX_PER_TILE
                    ks = [ks[int(i * step)] for i in range(MAX_PER_TILE)]
                minx = -_ORIGIN + x * tile_m
                maxy = _ORIGIN - y * tile_m
                pad = tile_m / 64  # a little beyond the edge: no seams between tiles
                clipped = shapely.clip_by_rect(
                    geoms[ks], minx - pad, maxy - tile_m - pad, minx + tile_m + pad, maxy + pad
                )
                # Tile pixel coordinates for the whole tile at once (the encoder's own per-feature
                # quantisation is its slowest step); y up, as the encoder expects.
                pixels = shapely.transform(
                    clipped, _to_pixels(np.array([minx, maxy - tile_m]), EXTENT / tile_m)
                )
                features = [
                    {"geometry": g, "properties": props[int(rows[k])], "id": int(rows[k])}
                    for k, g in zip(ks, pixels, strict=True)
                    if g is not None and not g.is_empty
                ]
                if not features:
                    continue
                data = mapbox_vector_tile.encode(
                    [{"name": TILE_LAYER, "features": features}],
                    default_options={"extents": EXTENT, "on_invalid_geometry": _MAKE_VALID},
                )
                path = work / str(z) / str(x) / f"{y}.pbf"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                count += 1
                size += len(data)
        (work / "meta.json").write_text(json.dumps({"fields": list(fields)}, ensure_ascii=False))
        if owner:
            (work / _OWNER_FILE).write_text(owner)
        directory.parent.mkdir(parents=True, exist_ok=True)
        try:
            work.rename(directory)
        except OSError:  # another process built the same version first: keep theirs
            if not directory.is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return count, size


def ensure_tiles(
    gdf: gpd.GeoDataFrame,
    store_key: str,
    layer_id: str,
    version: str,
    *,
    fields: tuple[str, ...] = (),
    gcj02: bool = False,
    root: Path | None = None,
    url_root: str = STATIC_URL,
) -> TileSet:
    """The tiles of one layer version, built if missing (then reused by every process).

    With ``gcj02`` the tiles are built from the geometries shifted to GCJ-02,
    for the 高德 basemap, exactly as the GeoJSON layers are shifted there.
    """
    token = tile_token(store_key, layer_id, version, gcj02=gcj02)
    directory = _tiles_root(root) / token
    if not (directory / "meta.json").is_file():
        shown = shift_geometry_to_gcj02(gdf) if gcj02 else gdf
        build_tiles(shown, directory, fields=fields, owner=owner_tag(store_key))
    files = [p for p in directory.rglob("*.pbf")]
    return TileSet(
        url=f"{url_root}/{token}/{{z}}/{{x}}/{{y}}.pbf",
        directory=directory,
        tiles=len(files),
        bytes=sum(p.stat().st_size for p in files),
        fields=fields,
    )


def prune_tiles(store_key: str, keep: set[str], *, root: Path | None = None) -> int:
    """Remove the tile folders of ``store_key`` whose names are not in ``keep``; return how many.

    Only folders tagged with this store's :func:`owner_tag` are touched, and
    never a folder still being built (hidden work folders).
    """
    base = _tiles_root(root)
    if not base.is_dir():
        return 0
    tag = ""  # made on the first tagged folder: no server secret is needed while there is none
    removed = 0
    for directory in base.iterdir():
        if directory.name.startswith(".") or directory.name in keep:
            continue
        try:
            owner = (directory / _OWNER_FILE).read_text().strip()
        except OSError:
            continue  # not a tagged tile folder (or already gone)
        tag = tag or owner_tag(store_key)
        if hmac.compare_digest(owner, tag):
            shutil.rmtree(directory, ignore_errors=True)
            removed += 1
    return removed


def sync_tiles(store: Any, *, root: Path | None = None) -> list[TileSet]:
    """After a store changed: build missing tiles of its city-scale layers, prune stale ones.

    ``store`` is a :class:`spatial.storage.ProjectStore`. Called by the pages
    that write (upload, remove, restore), so a layer above the threshold has
    its tiles before anyone opens the map. The 高德 (GCJ-02) set of a current
    version is kept if it exists but built only when first viewed.

    Returns
    -------
    list of TileSet
        The tile sets built now.
    """
    keep: set[str] = set()
    built: list[TileSet] = []
    for info in store.layer_infos():
        if not needs_tiles(info.feature_count):
            continue
        for gcj in (False, True):
            keep.add(tile_token(store.key, info.layer_id, info.saved_utc, gcj02=gcj))
        token = tile_token(store.key, info.layer_id, info.saved_utc)
        if (_tiles_root(root) / token / "meta.json").is_file():
            continue
        gdf = store.read_layer(info.title)
        built.append(ensure_tiles(
            gdf, store.key, info.layer_id, info.saved_utc, fields=tile_fields(gdf), root=root
        ))
    prune_tiles(store.key, keep, root=root)
    return built


class VectorTileOverlay(MacroElement):
    """A ``leaflet.vectorgrid`` layer (canvas) drawing a :class:`TileSet` in a folium map.

    The vendored script is loaded on demand from the app's own static route
    (no CDN). Points are circles, lines and polygons use the layer's colour.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function () {
  var host = {{ this._parent.get_name() }};
  var add = function () {
    var style = {{ this.style_json }};
    var vg = L.vectorGrid.protobuf({{ this.url_json }}, {
      rendererFactory: L.canvas.tile, interactive: false, maxNativeZoom: {{ this.max_zoom }},
      minZoom: {{ this.min_zoom }},
      vectorTileLayerStyles: {"{{ this.layer }}": function (p, z) { return style; }}
    });
    vg.addTo(host);
  };
  if (window.L && L.vectorGrid) { add(); return; }
  var s = document.createElement("script");
  s.src = {{ this.script_json }};
  s.addEventListener("load", add);
  document.head.appendChild(s);
})();
{% endmacro %}
"""
    )

    def __init__(
        self, tiles: TileSet, colour: str, *, name: str = "",
        script: str = "/app/static/vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js",
    ) -> None:
        super().__init__()
        self._name = "VectorTileOverlay"
        self.layer = TILE_LAYER
        self.title = escape_text(name)
        self.url_json = json.dumps(tiles.url)
        self.script_json = json.dumps(script)
        self.min_zoom = MIN_ZOOM
        self.max_zoom = MAX_ZOOM
        safe = colour if colour.startswith("#") and len(colour) in (4, 7) else "#3388ff"
        self.style_json = json.dumps({
            "color": safe, "weight": 1, "fill": True, "fillColor": safe, "fillOpacity": 0.25,
            "radius": 2, "opacity": 0.9,
        })


def tile_overlay(tiles: TileSet, colour: str, name: str = "") -> folium.FeatureGroup:
    """A feature group holding one vector-tile layer (for ``st_folium(feature_group_to_add=…)``)."""
    fg = folium.FeatureGroup(name=escape_text(name) or None, control=False)
    VectorTileOverlay(tiles, colour, name=name).add_to(fg)
    return fg


def tile_count_at(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The tile (x, y) holding a WGS84 point at zoom ``z`` (for tests and benchmarks)."""
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return x, y
