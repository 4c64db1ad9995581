"""What a page shows: the view's layers, loaded and projected; an indicator's classes; an area."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

import geopandas as gpd
import numpy as np
import pyproj
from numpy.typing import NDArray

from layers.schema import LayerSpec, LegendEntry
from spatial._errors import ExportError, SpatialError
from spatial.basemaps import Basemap, get_basemap
from spatial.classify import (
    DEFAULT_PALETTE,
    Classification,
    Target,
    data_decimals,
    format_number,
)
from spatial.crs import GK_EPSG_HEBI, WGS84
from spatial.export.options import LayerSource, _t

if TYPE_CHECKING:
    from spatial.view import View


@dataclass(frozen=True)
class ChoroplethLayer:
    """An indicator map of one area layer, classed exactly as on screen.

    Attributes
    ----------
    area_layer : str
        Id of the area layer (drawn in place of its plain style).
    classification : Classification
        The frozen classes the screen uses (:func:`spatial.classify.classify`).
    values : mapping
        Feature id → value; a missing id or NaN is "no data".
    name : str
        Indicator name with its unit, e.g. "绿地占比（%）".
    target : str, optional
        The target as printed, e.g. "≥ 37.0".
    value_decimals : int, optional
        Decimals of the value printed on each area (the indicator's own
        precision); by default the precision the values are given with.
    """

    area_layer: str
    classification: Classification
    values: Mapping[str, float | None]
    name: str
    target: str | None = None
    value_decimals: int | None = None

    def value_of(self, feature_id: Any) -> float | None:
        """Return the value of one area, None when it has none."""
        raw = self.values.get(str(feature_id))
        if raw is None:
            return None
        value = float(raw)
        return value if math.isfinite(value) else None

    def target_rule(self) -> Target | None:
        """The target as a :class:`spatial.classify.Target`, read back from its text."""
        if not self.target:
            return None
        m = re.fullmatch(r"\s*(≥|>|≤|<)\s*(-?[\d,]*\.?\d+)\s*", self.target)
        if m is None:
            return None
        op = {"≥": ">=", ">": ">", "≤": "<=", "<": "<"}[m.group(1)]
        return Target(float(m.group(2).replace(",", "")), op)  # type: ignore[arg-type]

    def label_of(self, feature_id: Any) -> str:
        """The value printed on an area, as on screen: the number and ✓/✗, or "–" if none."""
        value = self.value_of(feature_id)
        if value is None or self.classification.bin_of(value) is None:
            return "–"
        decimals = self.value_decimals
        if decimals is None:
            decimals = data_decimals(v for v in self.values.values() if v is not None)
        text = format_number(value, decimals)
        rule = self.target_rule()
        if rule is not None:
            text += " ✓" if rule.meets(value) else " ✗"
        return text

    def describe(self, lang: str) -> str:
        """Name, method and classes in one line (the default subtitle)."""
        text = f"{self.name} · {self.classification.describe(lang)}"
        if self.target:
            text += " · " + _t(lang, f"目标 {self.target}", f"target {self.target}")
        return text


class MapOverlay(Protocol):
    """Extra content drawn on top of the map frame (e.g. the project's markups), with its legend.

    Both methods get the page's area of interest (:attr:`MapContent.extent_gk`) so that
    what is drawn and what the legend lists are the same things.
    """

    def legend_rows(
        self, extent_gk: tuple[float, float, float, float], epsg: int, lang: str
    ) -> list[tuple[str, LegendEntry | None]]:
        """Legend rows (label, symbol; None for a heading) for what is drawn."""
        ...

    def draw(
        self, ax: Any, extent_gk: tuple[float, float, float, float], epsg: int, lang: str
    ) -> None:
        """Draw on the map axes (in the page's metric CRS ``epsg``)."""
        ...


@dataclass(frozen=True)
class DrawLayer:
    """One layer ready to draw: its declaration and its features in GK metres.

    ``declared`` is the layer as loaded, unlocated features included, for the
    legend rule (an entry whose features all lack a location gets no row);
    None means ``gdf`` serves for the legend too.
    """

    spec: LayerSpec
    gdf: gpd.GeoDataFrame
    declared: gpd.GeoDataFrame | None = None


@dataclass(frozen=True)
class MapContent:
    """Everything a page shows, resolved from a view (layers loaded and projected).

    Attributes
    ----------
    layers : tuple of DrawLayer
        Layers in drawing order, features in EPSG:4547 (null geometries dropped).
    extent_gk : tuple of float
        Area of interest ``(minx, miny, maxx, maxy)`` in metres; the page shows
        at least this.
    basemap : Basemap
        The view's basemap.
    lang : str
        ``"zh"`` or ``"en"``.
    groups : tuple of str
        Ticked group ids (for the default subtitle).
    choropleth : ChoroplethLayer, optional
        The indicator map shown, if any.
    highlight : GeoSeries, optional
        An area outlined on top (the page's area in an atlas or ``--area``).
    highlight_label : str, optional
        Its legend label / name.
    epsg : int
        Metric CRS of the page.
    opacity : tuple of (str, float)
        Per-layer opacity factors of the layer tree (:attr:`View.opacity`).
    overlays : tuple of MapOverlay
        Drawn on top of everything else, each with its legend rows (e.g. markups).
    """

    layers: tuple[DrawLayer, ...]
    extent_gk: tuple[float, float, float, float]
    basemap: Basemap
    lang: str = "zh"
    groups: tuple[str, ...] = ()
    choropleth: ChoroplethLayer | None = None
    highlight: gpd.GeoSeries | None = None
    highlight_label: str | None = None
    epsg: int = GK_EPSG_HEBI
    opacity: tuple[tuple[str, float], ...] = ()
    overlays: tuple[MapOverlay, ...] = ()

    def with_extent(self, extent_gk: tuple[float, float, float, float]) -> MapContent:
        """Return a copy showing another extent."""
        return replace(self, extent_gk=extent_gk)


@dataclass(frozen=True)
class BasemapImage:
    """A basemap resampled to the map frame: RGB(A) pixels over a GK extent."""

    pixels: NDArray[np.uint8]
    extent_gk: tuple[float, float, float, float]


def _catalogue_source(layer_id: str) -> tuple[LayerSpec, gpd.GeoDataFrame]:
    from layers import get_spec, load_layer  # lazy: importing layers registers the catalogue

    return get_spec(layer_id), load_layer(layer_id)


def _to_gk(gdf: gpd.GeoDataFrame, epsg: int) -> gpd.GeoDataFrame:
    """Project to GK, dropping features without a position (they cannot be drawn)."""
    if gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    has_geom = gdf.geometry.notna() & ~gdf.geometry.is_empty
    return gdf.loc[has_geom].to_crs(epsg=epsg)


def _bounds_gk(
    bbox_wgs84: tuple[float, float, float, float], epsg: int
) -> tuple[float, float, float, float]:
    tr = pyproj.Transformer.from_crs(WGS84, f"EPSG:{epsg}", always_xy=True)
    minx, miny, maxx, maxy = tr.transform_bounds(*bbox_wgs84, densify_pts=21)
    return (float(minx), float(miny), float(maxx), float(maxy))


def prepare_content(
    view: View,
    *,
    layer_source: LayerSource | None = None,
    extra_layers: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]] = (),
    choropleth: ChoroplethLayer | None = None,
    area: tuple[str, str] | None = None,
    epsg: int = GK_EPSG_HEBI,
) -> MapContent:
    """Resolve a view into drawable content: load, validate and project its layers.

    Parameters
    ----------
    view : View
        What the screen shows (groups/layers, basemap, extent, language).
    layer_source : callable, optional
        ``layer_id → (LayerSpec, GeoDataFrame)``; the shipped catalogue by default.
    extra_layers : sequence of (LayerSpec, GeoDataFrame)
        Layers outside the catalogue (the planner's uploaded layers), drawn when
        their group is ticked, exactly as :meth:`View.visible_layer_ids` decides.
    choropleth : ChoroplethLayer, optional
        The indicator classes shown on screen; replaces the plain style of
        its area layer.
    area : tuple of (layer id, feature id), optional
        Print the extent of this one feature and outline it.
    epsg : int
        Metric CRS of the page (EPSG:4547 for Hebi).

    Returns
    -------
    MapContent
        Ready for :func:`render_page`.

    Raises
    ------
    ExportError
        If the area does not exist or nothing can be located.
    """
    source = layer_source or _catalogue_source
    extra = {spec.id: (spec, gdf) for spec, gdf in extra_layers}
    ids = view.visible_layer_ids(extra_specs=[spec for spec, _ in extra_layers])

    def load(layer_id: str) -> tuple[LayerSpec, gpd.GeoDataFrame]:
        return extra[layer_id] if layer_id in extra else source(layer_id)

    # The view's order (the layer tree's); the choropleth's area layer, if not shown, by z-order.
    drawn: list[DrawLayer] = []
    for layer_id in ids:
        spec, gdf = load(layer_id)
        drawn.append(DrawLayer(spec, _to_gk(gdf, epsg), declared=gdf))
    if choropleth is not None and choropleth.area_layer not in ids:
        spec, gdf = load(choropleth.area_layer)
        at = next((k for k, d in enumerate(drawn) if d.spec.z_order > spec.z_order), len(drawn))
        drawn.insert(at, DrawLayer(spec, _to_gk(gdf, epsg), declared=gdf))

    lang = view.lang if view.lang in ("zh", "en") else "zh"
    content = MapContent(
        layers=tuple(drawn),
        extent_gk=_as_extent(_bounds_gk(view.extent(), epsg)),
        basemap=get_basemap(view.basemap),
        lang=lang,
        groups=tuple(view.groups),
        choropleth=choropleth,
        epsg=epsg,
        opacity=tuple(view.opacity),
    )
    if area is None:
        return content
    layer_id, feature_id = area
    spec, gdf = load(layer_id)
    return focus_on_area(content, spec, _to_gk(gdf, epsg), feature_id)


def focus_on_area(
    content: MapContent, spec: LayerSpec, areas_gk: gpd.GeoDataFrame, feature_id: str
) -> MapContent:
    """Return the content framed on one feature of an area layer, outlined on top.

    Parameters
    ----------
    content : MapContent
        The page's layers.
    spec : LayerSpec
        Declaration of the area layer (for messages).
    areas_gk : GeoDataFrame
        The area layer in the page's CRS.
    feature_id : str
        ``id`` of the feature.

    Raises
    ------
    ExportError
        If the layer has no located feature with this id.
    """
    hit = areas_gk[areas_gk["id"].astype(str) == feature_id] if "id" in areas_gk.columns \
        else areas_gk.iloc[0:0]
    if hit.empty:
        raise ExportError(
            f"图层“{spec.title_zh}”中没有编号为“{feature_id[:40]}”且有位置的要素。",
            f"Layer '{spec.title_en}' has no located feature with id '{feature_id[:40]}'.",
        )
    return replace(
        content,
        extent_gk=_as_extent(_padded(tuple(float(v) for v in hit.total_bounds), 0.08)),
        highlight=hit.geometry,
        highlight_label=_feature_name(hit.iloc[0], content.lang),
    )


# Layers the computed indicators are measured against (as on the indicators page).
INDICATOR_SOURCE_LAYERS: tuple[str, ...] = ("green", "roads", "facilities", "communities")


def choropleth_for_view(
    view: View, *, layer_source: LayerSource | None = None, palette: str = DEFAULT_PALETTE
) -> ChoroplethLayer:
    """Compute and class the view's indicator the way the indicators page does.

    For the command line and for views that arrive without the page's own
    classes: the values come from :func:`spatial.indicators.compute_area_indicators`
    on the area layer (measured against green, roads, facilities and
    communities), and the classes from :func:`spatial.classify.classify` with
    the view's scheme, number of classes and kept breaks, so the same view
    gives the same classes as on screen.

    Parameters
    ----------
    view : View
        A view whose ``indicator`` is set.
    layer_source : callable, optional
        ``layer_id → (LayerSpec, GeoDataFrame)``; the shipped catalogue by default.
    palette : str
        Colour scheme id (:data:`spatial.classify.PALETTES`); a diverging one is
        centred on the target.

    Raises
    ------
    ExportError
        When the view has no indicator, or its column cannot be computed here
        (uploaded statistics and coverage shares are exported from the app).
    """
    from spatial.classify import PALETTES, classify
    from spatial.indicators import compute_area_indicators, indicator_def

    ind = view.indicator
    if ind is None:
        raise ExportError("视图中没有指标。", "The view has no indicator.")
    source = layer_source or _catalogue_source
    lang = view.lang if view.lang in ("zh", "en") else "zh"
    _, areas = source(ind.area_layer)
    found: dict[str, gpd.GeoDataFrame] = {}
    for layer_id in INDICATOR_SOURCE_LAYERS:
        try:
            found[layer_id] = source(layer_id)[1]
        except SpatialError:
            continue  # not published: its indicators are simply not offered
    areas = areas[areas.geometry.notna()].copy()
    areas["id"] = areas["id"].astype(str)
    table = compute_area_indicators(areas, green=found.get("green"), roads=found.get("roads"),
                                    facilities=found.get("facilities"),
                                    communities=found.get("communities"))
    if ind.column not in table.columns:
        raise ExportError(
            f"指标“{ind.column[:40]}”不能在此计算（上传的统计和覆盖率请在应用中导出）。",
            f"Indicator '{ind.column[:40]}' cannot be computed here (export uploaded "
            "statistics and coverage shares from the app).",
        )
    d = indicator_def(ind.column)
    values = table[ind.column]
    pal = PALETTES.get(palette)
    if pal is None:
        raise ExportError(f"未知的配色“{palette[:30]}”。", f"Unknown palette '{palette[:30]}'.")
    centre = ind.target if pal.kind == "diverging" else None
    classes = classify(values.to_numpy(dtype=float), scheme=ind.scheme, k=ind.k,
                       breaks=ind.breaks, palette=palette, centre=centre,
                       min_decimals=d.decimals)
    unit = d.unit(lang)
    name = f"{d.name(lang)}（{unit}）" if unit else d.name(lang)
    # The target at the indicator's precision, or as typed if finer ("≥ 37.0", as on screen).
    target = None
    if ind.target is not None:
        target = Target(ind.target).text(max(d.decimals, data_decimals([ind.target], cap=4)))
    return ChoroplethLayer(
        area_layer=ind.area_layer, classification=classes,
        values={str(i): (None if not math.isfinite(v) else float(v))
                for i, v in values.items()},
        name=name, target=target, value_decimals=d.decimals,
    )


def _as_extent(values: Iterable[float]) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = (float(v) for v in values)
    if not all(map(math.isfinite, (minx, miny, maxx, maxy))) or maxx <= minx or maxy <= miny:
        raise ExportError("地图范围为空，无法出图。", "The map extent is empty; nothing to print.")
    check_export_extent((minx, miny, maxx, maxy))
    return (minx, miny, maxx, maxy)


# Work of an export grows as the extent shrinks (scale 1:0.01 at 1e-7°: minutes of drawing) or
# explodes (every layer at once); a link or --bbox may carry anything, so bound both ends.
MIN_EXTENT_M = 10.0
MAX_EXTENT_M = 5_000_000.0


def check_export_extent(extent_m: Sequence[float]) -> None:
    """Refuse an export extent (metres, page CRS) too small or too large to print sensibly.

    Parameters
    ----------
    extent_m : sequence of float
        ``minx, miny, maxx, maxy`` in the page's metric CRS.

    Raises
    ------
    ExportError
        If the longer side is under :data:`MIN_EXTENT_M` or over :data:`MAX_EXTENT_M`.
    """
    minx, miny, maxx, maxy = (float(v) for v in extent_m)
    side = max(maxx - minx, maxy - miny)
    if not math.isfinite(side) or side < MIN_EXTENT_M:
        raise ExportError(
            f"地图范围太小（不足 {MIN_EXTENT_M:.0f} 米），无法出图。请放大范围后重试。",
            f"The map extent is too small (under {MIN_EXTENT_M:.0f} m) to print. Choose a "
            "larger extent.",
        )
    if side > MAX_EXTENT_M:
        raise ExportError(
            f"地图范围太大（超过 {MAX_EXTENT_M / 1000:.0f} 千米），无法出图。请缩小范围后重试。",
            f"The map extent is too large (over {MAX_EXTENT_M / 1000:.0f} km) to print. Choose "
            "a smaller extent.",
        )


def _padded(bounds: Sequence[float], frac: float) -> tuple[float, float, float, float]:
    """Grow bounds by ``frac`` of their size on every side (at least 50 m, so points get room)."""
    minx, miny, maxx, maxy = bounds
    pad = max(maxx - minx, maxy - miny) * frac
    pad = max(pad, 50.0)
    return (minx - pad, miny - pad, maxx + pad, maxy + pad)


def _feature_name(row: Any, lang: str) -> str:
    key = "name_en" if lang == "en" else "name"
    for k in (key, "name", "id"):
        value = row.get(k) if hasattr(row, "get") else None
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
