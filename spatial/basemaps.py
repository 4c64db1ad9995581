"""Basemap providers: OpenStreetMap, 天地图 (with labels), 高德 (GCJ-02) and none.

A :class:`Basemap` lists its tile layers (imagery plus a label layer for
天地图), the attribution to show, and whether its tiles are in GCJ-02 — in
which case every overlay must be shifted with
:func:`spatial.crs.shift_geometry_to_gcj02` while it is shown, and only then.

天地图 needs a key (``tk``). It is read from the environment variable
``TIANDITU_KEY`` or from a secrets mapping the UI passes in (Streamlit
secrets); it is never stored in the repository. Without a key the 天地图
basemaps are hidden. The "none" basemap requests nothing at all, so the map
works with no network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BASEMAPS",
    "BASEMAP_IDS",
    "DEFAULT_BASEMAP",
    "Basemap",
    "TileSource",
    "available_basemaps",
    "default_basemap_id",
    "get_basemap",
    "tianditu_key",
]

# 天地图 keys are 32 hex characters; anything else is refused so a key can never inject
# text into a tile URL (which ends up in the page's JavaScript).
_KEY_RE = re.compile(r"^[A-Za-z0-9]{16,64}$")
_TDT_SUBDOMAINS = "01234567"
_TDT_ATTRIBUTION = "天地图 · 国家地理信息公共服务平台 (tianditu.gov.cn)"
_TDT_URL = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)


@dataclass(frozen=True)
class TileSource:
    """One XYZ tile layer of a basemap.

    Attributes
    ----------
    url : str
        Leaflet URL template (``{s}``, ``{z}``, ``{x}``, ``{y}``); for 天地图
        it contains ``{key}`` until :meth:`Basemap.tiles` fills it.
    subdomains : str
        Characters substituted for ``{s}``.
    max_zoom : int
        Deepest zoom the provider serves.
    overlay : bool
        A transparent label layer drawn over the imagery.
    """

    url: str
    subdomains: str = "abc"
    max_zoom: int = 18
    overlay: bool = False


@dataclass(frozen=True)
class Basemap:
    """A basemap choice as the planner sees it in the basemap switch.

    Attributes
    ----------
    id : str
        Stable id used in URLs and the :class:`spatial.view.View`.
    title_zh, title_en : str
        Names in the switch.
    sources : tuple of TileSource
        Tile layers bottom to top; empty for "none".
    attribution : str
        Provider credit shown on the map and in exports (plain text).
    gcj02 : bool
        Tiles are in GCJ-02: overlays must be shifted for display.
    needs_key : bool
        Hidden unless a 天地图 key is configured.
    label_sources_en : tuple of TileSource
        Label layers to use instead of the overlays of ``sources`` when the
        UI is in English (天地图 has English annotation layers).
    review_no : str, optional
        The provider's 审图号 to print with the map. None where it could not
        be confirmed from the provider: the client must confirm it.
    """

    id: str
    title_zh: str
    title_en: str
    sources: tuple[TileSource, ...]
    attribution: str
    gcj02: bool = False
    needs_key: bool = False
    label_sources_en: tuple[TileSource, ...] = ()
    review_no: str | None = None

    def title(self, lang: str = "zh") -> str:
        """Return the name in ``"zh"`` or ``"en"``."""
        return self.title_en if lang == "en" else self.title_zh

    @property
    def max_zoom(self) -> int:
        """Deepest zoom all tile layers serve (18 when there are no tiles)."""
        return min((s.max_zoom for s in self.sources), default=18)

    def tiles(self, key: str | None = None, lang: str = "zh") -> list[TileSource]:
        """Return the tile layers to draw, with the key filled in.

        Parameters
        ----------
        key : str, optional
            天地图 key; required when :attr:`needs_key`.
        lang : str
            ``"en"`` swaps in English label layers where the provider has them.

        Returns
        -------
        list of TileSource
            Bottom to top; empty for the "none" basemap or a missing key.
        """
        if self.needs_key and (key is None or not _KEY_RE.match(key)):
            return []
        sources = list(self.sources)
        if lang == "en" and self.label_sources_en:
            sources = [s for s in sources if not s.overlay] + list(self.label_sources_en)
        if self.needs_key and key is not None:
            sources = [
                TileSource(s.url.replace("{key}", key), s.subdomains, s.max_zoom, s.overlay)
                for s in sources
            ]
        return sources


def _tdt(layer: str, overlay: bool = False) -> TileSource:
    return TileSource(
        _TDT_URL.format(layer=layer, key="{key}"), _TDT_SUBDOMAINS, max_zoom=18, overlay=overlay
    )


BASEMAPS: tuple[Basemap, ...] = (
    Basemap(
        "osm",
        "标准地图 (OpenStreetMap)",
        "Standard map (OpenStreetMap)",
        (TileSource("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "", max_zoom=19),),
        "© OpenStreetMap contributors",
    ),
    Basemap(
        "tianditu_vec",
        "天地图 矢量",
        "Tianditu vector",
        (_tdt("vec"), _tdt("cva", overlay=True)),
        _TDT_ATTRIBUTION,
        needs_key=True,
        label_sources_en=(_tdt("eva", overlay=True),),
    ),
    Basemap(
        "tianditu_img",
        "天地图 影像",
        "Tianditu imagery",
        (_tdt("img"), _tdt("cia", overlay=True)),
        _TDT_ATTRIBUTION,
        needs_key=True,
        label_sources_en=(_tdt("eia", overlay=True),),
    ),
    Basemap(
        "gaode",
        "高德地图 (GCJ-02)",
        "Gaode / AMap (GCJ-02)",
        # HTTPS so the tiles are not blocked as mixed content on an HTTPS deployment.
        (
            TileSource(
                "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                "&style=7&x={x}&y={y}&z={z}",
                "1234",
                max_zoom=18,
            ),
        ),
        "© 高德地图 AutoNavi (gaode.com)",
        gcj02=True,
    ),
    Basemap("none", "无底图（离线）", "No basemap (offline)", (), ""),
)

BASEMAP_IDS: tuple[str, ...] = tuple(b.id for b in BASEMAPS)
# A new session starts on no basemap: it works offline and on an intranet, where a tile basemap
# would go grey. HEBI_DEFAULT_BASEMAP picks another (e.g. "osm" or "tianditu_vec").
DEFAULT_BASEMAP = "none"


def get_basemap(basemap_id: str) -> Basemap:
    """Return the basemap with this id, or the default one for an unknown id."""
    for b in BASEMAPS:
        if b.id == basemap_id:
            return b
    return get_basemap(DEFAULT_BASEMAP)


def tianditu_key(secrets: Mapping[str, Any] | None = None) -> str | None:
    """Return the configured 天地图 key, or None.

    Parameters
    ----------
    secrets : mapping, optional
        Streamlit secrets (or any mapping) the UI passes in; read as
        ``TIANDITU_KEY`` or ``tianditu.key``. The environment variable
        ``TIANDITU_KEY`` wins.

    Returns
    -------
    str or None
        The key when it looks like one (16-64 letters/digits), else None.
    """
    candidates: list[Any] = [os.environ.get("TIANDITU_KEY")]
    if secrets is not None:
        try:
            candidates.append(secrets.get("TIANDITU_KEY"))
            section = secrets.get("tianditu")
            if isinstance(section, Mapping):
                candidates.append(section.get("key"))
        except Exception:  # Streamlit raises when no secrets file exists; that means no key
            pass
    for c in candidates:
        if isinstance(c, str) and _KEY_RE.match(c.strip()):
            return c.strip()
    return None


def available_basemaps(key: str | None) -> list[Basemap]:
    """Return the basemaps that can be shown: 天地图 only when a key is configured."""
    return [b for b in BASEMAPS if not b.needs_key or (key is not None and _KEY_RE.match(key))]


def default_basemap_id() -> str:
    """Return the basemap a new session starts with.

    ``"none"`` (works offline) unless ``HEBI_DEFAULT_BASEMAP`` (environment)
    names another, e.g. ``"osm"`` for a deployment that reaches the internet.
    """
    chosen = os.environ.get("HEBI_DEFAULT_BASEMAP", DEFAULT_BASEMAP)
    return chosen if chosen in BASEMAP_IDS else DEFAULT_BASEMAP
