"""Basemap tiles fetched and resampled onto the page's Gauss–Krüger extent."""

from __future__ import annotations

import http.client
import io
import math
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pyproj
from numpy.typing import NDArray

from spatial.basemaps import Basemap, TileSource
from spatial.crs import GK_EPSG_HEBI, WGS84, wgs84_to_gcj02
from spatial.export.content import BasemapImage
from spatial.export.options import _t

if TYPE_CHECKING:
    pass


def _basemap_line(basemap: Basemap, lang: str, status: str) -> str:
    """The footer's basemap text: provider credit, or why there is no basemap."""
    label = _t(lang, "底图：", "Basemap: ")
    if status == "none":
        return label + _t(lang, "无（离线出图）", "none (offline export)")
    name = basemap.title(lang)
    if status == "unreachable":
        return label + _t(lang, f"{name} 瓦片无法获取，本图未绘制底图",
                          f"{name} tiles could not be fetched; drawn without a basemap")
    if status == "no_key":
        return label + _t(lang, f"{name} 未配置密钥，本图未绘制底图",
                          f"{name} has no key configured; drawn without a basemap")
    text = f"{label}{name} {basemap.attribution}".rstrip()
    if basemap.gcj02:
        text += _t(lang, "（GCJ-02 瓦片已校正至 WGS84）", " (GCJ-02 tiles aligned to WGS84)")
    if basemap.review_no:
        text += _t(lang, f"；底图审图号：{basemap.review_no}",
                   f"; basemap approval No. {basemap.review_no}")
    return text


_EARTH_CIRCUMFERENCE = 2 * math.pi * 6378137.0


_MAX_TILES = 160


_TILE_BUDGET_S = 20.0  # all tiles of one page; an export never hangs on a slow provider


_USER_AGENT = "hebi-etdz-viewer-export/0.1"


_TILE_CACHE: dict[str, bytes] = {}


_TILE_CACHE_MAX = 512


def _tile_url(src: TileSource, z: int, x: int, y: int) -> str:
    sub = src.subdomains[(x + y) % len(src.subdomains)] if src.subdomains else ""
    return (src.url.replace("{s}", sub).replace("{z}", str(z)).replace("{x}", str(x))
            .replace("{y}", str(y)))


def _get_tile(url: str, timeout: float) -> bytes:
    if url in _TILE_CACHE:
        return _TILE_CACHE[url]
    req = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # provider URLs only
        data: bytes = resp.read(4_000_000)
    if len(_TILE_CACHE) >= _TILE_CACHE_MAX:
        _TILE_CACHE.clear()
    _TILE_CACHE[url] = data
    return data


def _decode_tile(data: bytes) -> NDArray[np.uint8]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGBA").resize((256, 256)), dtype=np.uint8)


def _lonlat_to_world_px(
    lon: NDArray[np.float64], lat: NDArray[np.float64], z: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Web-Mercator global pixel coordinates at zoom ``z`` (256-pixel tiles)."""
    size = 256.0 * 2.0**z
    x = (lon + 180.0) / 360.0 * size
    s = np.sin(np.radians(np.clip(lat, -85.0511, 85.0511)))
    y = (0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)) * size
    return x, y


def _fetch_all(urls: list[str], timeout_s: float) -> list[NDArray[np.uint8]]:
    """Fetch and decode tiles: the first alone (fail fast), the rest four at a time.

    The whole fetch is bounded by ``_TILE_BUDGET_S``; on any failure the
    pending requests are cancelled and the error propagates.
    """
    first = _get_tile(urls[0], timeout_s)
    pool = ThreadPoolExecutor(max_workers=4)
    try:
        rest = list(pool.map(lambda u: _get_tile(u, timeout_s), urls[1:],
                             timeout=_TILE_BUDGET_S))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return [_decode_tile(b) for b in (first, *rest)]


def fetch_basemap(
    basemap: Basemap,
    extent_gk: tuple[float, float, float, float],
    size_px: tuple[int, int],
    *,
    epsg: int = GK_EPSG_HEBI,
    lang: str = "zh",
    key: str | None = None,
    timeout_s: float = 3.0,
) -> tuple[BasemapImage | None, str]:
    """Fetch a basemap's tiles and resample them onto a GK extent.

    Each output pixel's GK position is taken to WGS84, then (Gaode only) to
    GCJ-02, then to Web-Mercator tile pixels; so the tile image lines up with
    the WGS84 data without moving any data.

    Parameters
    ----------
    basemap : Basemap
        The provider.
    extent_gk : tuple of float
        What the map frame shows, EPSG ``epsg`` metres.
    size_px : tuple of int
        Output raster (width, height).
    epsg : int
        The page's metric CRS.
    lang : str
        Chooses English label layers where the provider has them.
    key : str, optional
        天地图 key.
    timeout_s : float
        Per-request timeout; the first failure stops fetching.

    Returns
    -------
    BasemapImage or None, str
        The image (None when there is no basemap or it could not be fetched)
        and the footer's basemap line saying which.
    """
    sources = basemap.tiles(key=key, lang=lang)
    if not basemap.sources:
        return None, _basemap_line(basemap, lang, "none")
    if not sources:
        return None, _basemap_line(basemap, lang, "no_key")
    w, h = size_px
    minx, miny, maxx, maxy = extent_gk
    to_wgs = pyproj.Transformer.from_crs(f"EPSG:{epsg}", WGS84, always_xy=True)
    # Transform a coarse grid and interpolate: the mapping is smooth over a map frame.
    gx, gy = 33, 33
    xs = np.linspace(minx, maxx, gx)
    ys = np.linspace(maxy, miny, gy)
    mx, my = np.meshgrid(xs, ys)
    lon, lat = to_wgs.transform(mx, my)
    if basemap.gcj02:
        lon, lat = wgs84_to_gcj02(lon, lat)
    metres_per_px = (maxx - minx) / w
    lat_c = float(np.mean(lat))
    zf = math.log2(_EARTH_CIRCUMFERENCE * math.cos(math.radians(lat_c)) / 256.0 / metres_per_px)
    z = int(min(max(math.ceil(zf), 0), basemap.max_zoom))
    while True:
        px, py = _lonlat_to_world_px(lon, lat, z)
        tx0, tx1 = int(np.floor(px.min() / 256)), int(np.floor(px.max() / 256))
        ty0, ty1 = int(np.floor(py.min() / 256)), int(np.floor(py.max() / 256))
        if (tx1 - tx0 + 1) * (ty1 - ty0 + 1) <= _MAX_TILES or z == 0:
            break
        z -= 1
    tiles = [(x, y) for y in range(ty0, ty1 + 1) for x in range(tx0, tx1 + 1)]
    mosaic = np.zeros(((ty1 - ty0 + 1) * 256, (tx1 - tx0 + 1) * 256, 4), dtype=np.float64)
    for src in sources:
        urls = [_tile_url(src, z, x, y) for x, y in tiles]
        try:
            images = _fetch_all(urls, timeout_s)
        except (OSError, ValueError, http.client.HTTPException):
            # Unreachable, refused, too slow or not an image (PIL raises OSError subclasses):
            # print without tiles rather than fail, and say so on the map.
            return None, _basemap_line(basemap, lang, "unreachable")
        for (x, y), img in zip(tiles, images, strict=True):
            r0, c0 = (y - ty0) * 256, (x - tx0) * 256
            tile = img.astype(np.float64) / 255.0
            alpha = tile[..., 3:4]
            region = mosaic[r0:r0 + 256, c0:c0 + 256]
            region[..., :3] = tile[..., :3] * alpha + region[..., :3] * (1 - alpha)
            region[..., 3:] = alpha + region[..., 3:] * (1 - alpha)
    # Sample the mosaic at every output pixel (bilinear over the coarse grid, then the image).
    from scipy.ndimage import map_coordinates, zoom

    fx = zoom(px - tx0 * 256, ((h / gy), (w / gx)), order=1, grid_mode=True, mode="nearest")
    fy = zoom(py - ty0 * 256, ((h / gy), (w / gx)), order=1, grid_mode=True, mode="nearest")
    fx, fy = fx[:h, :w], fy[:h, :w]
    out = np.empty((h, w, 4), dtype=np.uint8)
    for c in range(4):
        band = map_coordinates(mosaic[..., c], [fy - 0.5, fx - 0.5], order=1, mode="nearest")
        out[..., c] = np.clip(band * 255.0 + 0.5, 0, 255).astype(np.uint8)
    return BasemapImage(out, extent_gk), _basemap_line(basemap, lang, "drawn")
