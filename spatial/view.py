"""A view of the plan as one value: layers, basemap, extent, indicator, language.

The map on screen, the shareable link (URL query parameters) and the printed
snapshot are all built from a :class:`View`, so they cannot drift apart.
:meth:`View.to_query_params` / :meth:`View.from_query_params` round-trip it
through a URL; parsing never raises: a bad or hostile value falls back to the
default.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from layers.schema import GROUPS
from spatial.basemaps import BASEMAP_IDS, DEFAULT_BASEMAP, default_basemap_id

__all__ = [
    "DEFAULT_BBOX",
    "DEFAULT_CENTER",
    "DEFAULT_GROUPS",
    "DEFAULT_VIEW",
    "DEFAULT_ZOOM",
    "LANGS",
    "MAX_ZOOM",
    "MIN_ZOOM",
    "IndicatorSelection",
    "View",
    "bbox_from_view",
    "default_layer_ids",
]

LANGS: tuple[str, ...] = ("zh", "en")
GROUP_IDS: tuple[str, ...] = tuple(g.id for g in GROUPS)
# The curated first view, as a planning drawing opens: the structure, parks and bonded zone,
# green and water, roads and the reference backdrop. Living circles and facilities wait until
# asked for (117 facility dots would bury the structure); "user" (my layers) is ticked by the
# page when the workspace holds layers.
DEFAULT_GROUPS: tuple[str, ...] = ("structure", "parks", "green", "roads", "reference")
# The recommended view of /shared/reference/PLACES.md: lon 114.20-114.40, lat 35.69-35.83.
DEFAULT_BBOX: tuple[float, float, float, float] = (114.20, 35.69, 114.40, 35.83)
DEFAULT_CENTER: tuple[float, float] = (35.76, 114.30)
DEFAULT_ZOOM = 12
MIN_ZOOM, MAX_ZOOM = 3, 19

# URL values end up in HTML and file names downstream; keep identifiers to a safe alphabet.
_ID_RE = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_MAX_TEXT = 80  # column names may be Chinese; bound their length only


@dataclass(frozen=True)
class IndicatorSelection:
    """Which indicator is mapped as a choropleth, and how it is classified.

    Attributes
    ----------
    area_layer : str
        Id of the polygon layer the indicator is computed per (e.g. parks).
    column : str
        Indicator column name.
    scheme : str
        Classification scheme name (mapclassify style, e.g. ``"Quantiles"``).
    k : int
        Number of classes.
    breaks : tuple of float
        Upper class bounds, ascending; fixed so screen and print match.
        Empty means "not yet computed".
    target : float, optional
        Planning threshold to check against.
    """

    area_layer: str
    column: str
    scheme: str = "Quantiles"
    k: int = 5
    breaks: tuple[float, ...] = ()
    target: float | None = None


@dataclass(frozen=True)
class View:
    """What is shown: a value the screen map, the URL and the export all read.

    Attributes
    ----------
    groups : tuple of str
        Ticked layer-group ids (see :data:`layers.GROUPS`).
    layers : tuple of str, optional
        Explicit layer ids; when set, only these layers are shown (still
        limited to the ticked groups' layers if they belong to a group).
    basemap : str
        Basemap id (see :mod:`spatial.basemaps`).
    center : tuple of float
        Map centre as ``(lat, lon)`` in WGS84 degrees.
    zoom : int
        Web-map zoom level.
    bbox : tuple of float, optional
        Extent ``(minx, miny, maxx, maxy)`` in WGS84 lon/lat: the area of
        interest (what the screen showed, what a snapshot prints).
    indicator : IndicatorSelection, optional
        The choropleth shown, if any.
    lang : str
        ``"zh"`` or ``"en"``.
    """

    groups: tuple[str, ...] = DEFAULT_GROUPS
    layers: tuple[str, ...] | None = None
    basemap: str = DEFAULT_BASEMAP
    center: tuple[float, float] = DEFAULT_CENTER
    zoom: int = DEFAULT_ZOOM
    bbox: tuple[float, float, float, float] | None = DEFAULT_BBOX
    indicator: IndicatorSelection | None = None
    lang: str = "zh"

    def replace(self, **changes: Any) -> View:
        """Return a copy with some fields changed (``dataclasses.replace``)."""
        return replace(self, **changes)

    def visible_layer_ids(self, extra_specs: Sequence[Any] = ()) -> list[str]:
        """Return the ids of the layers to draw, in drawing order.

        Parameters
        ----------
        extra_specs : sequence of LayerSpec
            Layer declarations not in the catalogue (e.g. the user's uploaded
            layers, group ``"user"``) to consider as well.

        Returns
        -------
        list of str
            Catalogue (and extra) layers whose group is ticked, restricted to
            :attr:`layers` when that is set.
        """
        from layers import specs_for_groups  # lazy: the catalogue registers on import
        from layers.schema import specs_in_groups

        specs = specs_for_groups(self.groups) + specs_in_groups(extra_specs, self.groups)
        specs.sort(key=lambda s: s.z_order)
        ids = list(dict.fromkeys(s.id for s in specs))  # a spec given twice is drawn once
        if self.layers is not None:
            wanted = set(self.layers)
            ids = [i for i in ids if i in wanted]
        return ids

    def extent(self, width_px: int = 1000, height_px: int = 700) -> tuple[
        float, float, float, float
    ]:
        """Return :attr:`bbox`, or the extent a map of this pixel size shows at centre/zoom."""
        if self.bbox is not None:
            return self.bbox
        return bbox_from_view(self.center, self.zoom, width_px, height_px)

    def to_query_params(self) -> dict[str, str]:
        """Serialise to URL query parameters (strings only).

        Keys: ``groups``, ``layers``, ``basemap``, ``lat``, ``lon``, ``zoom``,
        ``bbox``, ``ind_layer``, ``ind_col``, ``ind_scheme``, ``ind_k``,
        ``ind_breaks``, ``ind_target`` and ``lang`` (only when not Chinese,
        as :mod:`ui.i18n` does). Optional parts are omitted when unset.
        """
        params: dict[str, str] = {
            "groups": ",".join(self.groups),
            "basemap": self.basemap,
            "lat": _fmt(self.center[0], 6),
            "lon": _fmt(self.center[1], 6),
            "zoom": str(self.zoom),
        }
        if self.layers is not None:
            params["layers"] = ",".join(self.layers)
        if self.bbox is not None:
            params["bbox"] = ",".join(_fmt(v, 6) for v in self.bbox)
        ind = self.indicator
        if ind is not None:
            params["ind_layer"] = ind.area_layer
            params["ind_col"] = ind.column
            params["ind_scheme"] = ind.scheme
            params["ind_k"] = str(ind.k)
            if ind.breaks:
                params["ind_breaks"] = ",".join(_fmt(b, 10) for b in ind.breaks)
            if ind.target is not None:
                params["ind_target"] = _fmt(ind.target, 10)
        if self.lang != "zh":
            params["lang"] = self.lang
        return params

    @classmethod
    def from_query_params(
        cls, params: Mapping[str, Any], default: View | None = None
    ) -> View:
        """Parse URL query parameters; any missing or bad value falls back to ``default``.

        Parameters
        ----------
        params : mapping
            ``st.query_params`` or any ``{key: str | list[str]}``; for a list
            the last value counts.
        default : View, optional
            Where missing or invalid parts come from (:data:`DEFAULT_VIEW`).

        Returns
        -------
        View
            Never raises, whatever the input.
        """
        base = default or DEFAULT_VIEW
        get = _getter(params)

        groups = base.groups
        raw = get("groups")
        if raw is not None:
            # An empty string is a valid choice: every group unticked.
            groups = tuple(dict.fromkeys(g for g in _split(raw) if g in GROUP_IDS))

        layers = base.layers
        raw = get("layers")
        if raw is not None:
            layers = tuple(dict.fromkeys(x for x in _split(raw) if _ID_RE.match(x)))
        elif get("groups") is not None:
            # A link that names groups but no layers (README, export CLI) shows those groups
            # whole, not the default view's choice of layers within other groups.
            layers = None

        basemap = get("basemap")
        if basemap not in BASEMAP_IDS:
            basemap = base.basemap

        lat, lon = _float(get("lat")), _float(get("lon"))
        center = base.center
        if lat is not None and lon is not None and abs(lat) <= 85.0 and abs(lon) <= 180.0:
            center = (lat, lon)

        zoom = base.zoom
        z = _float(get("zoom"))
        if z is not None and MIN_ZOOM <= z <= MAX_ZOOM:
            zoom = round(z)

        bbox = base.bbox
        raw = get("bbox")
        if raw is not None:
            bbox = _bbox(raw) or base.bbox

        lang = get("lang")
        if lang not in LANGS:
            lang = base.lang

        indicator = _indicator(get) if get("ind_layer") is not None else base.indicator
        return cls(
            groups=groups,
            layers=layers,
            basemap=str(basemap),
            center=center,
            zoom=zoom,
            bbox=bbox,
            indicator=indicator,
            lang=str(lang),
        )


def default_layer_ids(groups: Sequence[str] = DEFAULT_GROUPS) -> tuple[str, ...]:
    """Return the layers shown first: those of ``groups`` declared ``visible``.

    Layers declared hidden (the bonded zone's sub-zones, the evidence points,
    the Qi River proxy) wait until asked for, like the hidden groups.
    """
    from layers import all_specs  # lazy: the catalogue registers on import

    wanted = set(groups)
    return tuple(s.id for s in all_specs() if s.group in wanted and s.visible)


# The basemap comes from HEBI_DEFAULT_BASEMAP, else "none" (works offline).
DEFAULT_VIEW = View(basemap=default_basemap_id(), layers=default_layer_ids())


def bbox_from_view(
    center: tuple[float, float], zoom: float, width_px: int, height_px: int
) -> tuple[float, float, float, float]:
    """Return the WGS84 extent a web-mercator map of this size shows.

    Parameters
    ----------
    center : tuple of float
        ``(lat, lon)`` in degrees.
    zoom : float
        Web-map zoom (256-pixel tiles).
    width_px, height_px : int
        Map size in CSS pixels.

    Returns
    -------
    tuple of float
        ``(minx, miny, maxx, maxy)`` in degrees.
    """
    lat, lon = center
    scale = 256.0 * 2.0**zoom  # world size in pixels
    x = (lon + 180.0) / 360.0 * scale
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * scale

    def unproject(px: float, py: float) -> tuple[float, float]:
        lo = px / scale * 360.0 - 180.0
        n = math.pi - 2.0 * math.pi * py / scale
        la = math.degrees(math.atan(math.sinh(n)))
        return lo, la

    minx, miny = unproject(x - width_px / 2.0, y + height_px / 2.0)
    maxx, maxy = unproject(x + width_px / 2.0, y - height_px / 2.0)
    return (minx, miny, maxx, maxy)


# --- parsing helpers (all total: they return None instead of raising) ----------------------------


def _getter(params: Mapping[str, Any]) -> Callable[[str], str | None]:
    def get(key: str) -> str | None:
        try:
            value = params.get(key)
        except Exception:  # a hostile mapping must not break the page
            return None
        if isinstance(value, list | tuple):
            value = value[-1] if value else None
        if value is None:
            return None
        return str(value)[:2000]

    return get


def _split(raw: str) -> list[str]:
    return [p.strip() for p in raw.split(",") if p.strip()]


def _float(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _fmt(value: float, digits: int) -> str:
    # Fixed decimals keep URLs short and stable; strip trailing zeros for readability.
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text if text not in {"", "-0"} else "0"


def _bbox(raw: str) -> tuple[float, float, float, float] | None:
    parts = [_float(p) for p in raw.split(",")]
    if len(parts) != 4 or any(p is None for p in parts):
        return None
    minx, miny, maxx, maxy = (float(p) for p in parts if p is not None)
    if not (-180.0 <= minx < maxx <= 180.0 and -90.0 <= miny < maxy <= 90.0):
        return None
    return (minx, miny, maxx, maxy)


def _text(raw: str | None) -> str | None:
    if raw is None:
        return None
    text = "".join(ch for ch in raw if ch.isprintable()).strip()
    return text[:_MAX_TEXT] or None


def _indicator(get: Callable[[str], str | None]) -> IndicatorSelection | None:
    area_layer = get("ind_layer")
    column = _text(get("ind_col"))
    if area_layer is None or not _ID_RE.match(area_layer) or column is None:
        return None
    scheme = get("ind_scheme")
    if scheme is None or not _ID_RE.match(scheme):
        scheme = "Quantiles"
    k_raw = _float(get("ind_k"))
    k = round(k_raw) if k_raw is not None and 1 <= k_raw <= 20 else 5
    breaks: tuple[float, ...] = ()
    raw = get("ind_breaks")
    if raw:
        values = [_float(p) for p in raw.split(",")]
        floats = [v for v in values if v is not None]
        # Breaks must be a strictly ascending list; anything else is recomputed by the page.
        if len(floats) == len(values) and all(a < b for a, b in itertools.pairwise(floats)):
            breaks = tuple(floats)
    return IndicatorSelection(
        area_layer=area_layer,
        column=column,
        scheme=scheme,
        k=k,
        breaks=breaks,
        target=_float(get("ind_target")),
    )
