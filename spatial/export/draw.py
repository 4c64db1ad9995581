"""Drawing the layers in their catalogue styles (and an indicator's classes) onto the map axes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.path import Path as MplPath
from numpy.typing import NDArray

from layers.legend import LegendSection, legend_sections
from layers.schema import Style
from spatial.export.content import BasemapImage, ChoroplethLayer, MapContent
from spatial.export.options import _CLASS_STYLE, _MISSING_STYLE, PX_TO_PT

if TYPE_CHECKING:
    pass


def _dashes(dash: str | None, k: float) -> Any:
    """Leaflet ``dashArray`` (CSS px) → matplotlib dash tuple in points."""
    if not dash:
        return "solid"
    parts = [float(p) * PX_TO_PT * k for p in re.split(r"[ ,]+", dash.strip()) if p]
    if len(parts) % 2:
        parts *= 2
    return (0.0, tuple(parts)) if parts and all(p > 0 for p in parts) else "solid"


def _polygon_path(geom: Any) -> MplPath:
    """One shapely (Multi)Polygon → one compound path (holes wound the other way)."""
    verts: list[NDArray[np.float64]] = []
    codes: list[NDArray[np.uint8]] = []
    for poly in getattr(geom, "geoms", (geom,)):
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords, dtype=float)[:, :2]
            if len(xy) < 3:
                continue
            c = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
            c[0] = MplPath.MOVETO
            c[-1] = MplPath.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    if not verts:
        return MplPath(np.zeros((0, 2)))
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _line_parts(geoms: Iterable[Any]) -> list[NDArray[np.float64]]:
    parts: list[NDArray[np.float64]] = []
    for geom in geoms:
        for part in getattr(geom, "geoms", (geom,)):
            xy = np.asarray(part.coords, dtype=float)[:, :2]
            if len(xy) >= 2:
                parts.append(xy)
    return parts


def _draw_features(
    ax: Any, geometry: str, geoms: Sequence[Any], style: Style, k: float, zorder: float,
    fade: float = 1.0,
) -> None:
    """Draw features of one geometry family in one style with one collection.

    ``fade`` multiplies stroke and fill opacity (a layer faded in the layer tree).
    """
    edge = to_rgba(style.colour, style.opacity * fade)
    lw = style.weight * PX_TO_PT * k
    face_colour = style.fill_colour or style.colour
    face_alpha = style.fill_opacity * fade
    if geometry == "Polygon":
        polys = shapely.orient_polygons(np.asarray(geoms, dtype=object))
        paths = [_polygon_path(g) for g in polys]
        coll: Any = PathCollection(
            paths, facecolors=[to_rgba(face_colour, face_alpha)], edgecolors=[edge],
            linewidths=lw, linestyles=[_dashes(style.dash, k)], zorder=zorder,
        )
        ax.add_collection(coll, autolim=False)
    elif geometry == "LineString":
        coll = LineCollection(
            _line_parts(geoms), colors=[edge], linewidths=lw,
            linestyles=[_dashes(style.dash, k)], zorder=zorder,
            # As on screen (layers.schema.Style.leaflet): square dash ends, round solid lines.
            capstyle="butt" if style.dash else "round",
            joinstyle="miter" if style.dash else "round",
        )
        ax.add_collection(coll, autolim=False)
    else:
        xy = shapely.get_coordinates(np.asarray(geoms, dtype=object))
        diameter = 2 * style.radius * PX_TO_PT * k
        ax.scatter(
            xy[:, 0], xy[:, 1], s=diameter**2, marker="o",
            c=[to_rgba(face_colour, max(style.fill_opacity, 0.6) * fade)],
            edgecolors=[edge], linewidths=lw * 0.6, zorder=zorder,
            linestyles=_dashes(style.dash, k) if style.dash else "solid",
        )


def _visible(gdf: gpd.GeoDataFrame, extent: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    minx, miny, maxx, maxy = extent
    if gdf.empty:
        return gdf
    return gdf.cx[minx:maxx, miny:maxy]


def _layer_legend(content: MapContent) -> list[LegendSection]:
    """Legend sections of every shown layer (the choropleth's layer is in the class legend)."""
    choro = content.choropleth
    return legend_sections(
        (layer.spec, layer.gdf if layer.declared is None else layer.declared)
        for layer in content.layers
        if choro is None or layer.spec.id != choro.area_layer
    )


def _draw_layers(
    ax: Any, content: MapContent, extent: tuple[float, float, float, float], k: float
) -> bool:
    """Draw every layer in its catalogue style; return whether a schematic feature is shown."""
    schematic = False
    choro = content.choropleth
    for order, layer in enumerate(content.layers):
        spec = layer.spec
        gdf = _visible(layer.gdf, extent)
        if gdf.empty:
            continue
        records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
        if any(r.get("confidence") == "schematic" for r in records):
            schematic = True
        zorder = 10 + order
        is_choro = choro is not None and spec.id == choro.area_layer
        if choro is not None and is_choro:
            # Largest first, as on screen, so nested sub-areas are drawn on top of their park;
            # consecutive areas of one class share a collection, so the order is kept.
            by_size = np.argsort(-gdf.geometry.area.to_numpy(), kind="stable")
            gdf = gdf.iloc[by_size]
            runs: list[tuple[Style, list[Any]]] = []
            for i, geom in zip(by_size, gdf.geometry, strict=True):
                style = _choropleth_style(choro, records[i].get("id"))
                if runs and runs[-1][0] == style:
                    runs[-1][1].append(geom)
                else:
                    runs.append((style, [geom]))
            for style, geoms in runs:
                _draw_features(ax, spec.geometry, geoms, style, k, zorder)
            _draw_value_labels(ax, gdf, choro, k)
            continue
        fade = dict(content.opacity).get(spec.id, 1.0)  # the layer tree's opacity, as on screen
        groups: dict[Style, list[Any]] = {}
        for rec, geom in zip(records, gdf.geometry, strict=True):
            groups.setdefault(spec.style_for(rec), []).append(geom)
        for style, geoms in groups.items():
            _draw_features(ax, spec.geometry, geoms, style, k, zorder, fade)
    return schematic


def _choropleth_style(choro: ChoroplethLayer, feature_id: Any) -> Style:
    """Class fill of one area, as the indicators page draws it (no data: white, dashed)."""
    value = choro.value_of(feature_id)
    if choro.classification.bin_of(value) is None:
        return _MISSING_STYLE
    return replace(_CLASS_STYLE, fill_colour=choro.classification.colour_of(value))


def _draw_value_labels(ax: Any, gdf: gpd.GeoDataFrame, choro: ChoroplethLayer, k: float) -> None:
    """Print each area's value at a point inside it (text stays text in the PDF)."""
    points = gdf.geometry.representative_point()
    for fid, pt in zip(gdf["id"] if "id" in gdf.columns else [None] * len(gdf), points,
                       strict=True):
        label = choro.label_of(fid)
        ax.text(pt.x, pt.y, label, fontsize=7.0 * k, ha="center", va="center", color="#111111",
                zorder=45, clip_on=True, parse_math=False,
                bbox={"boxstyle": "round,pad=0.15", "fc": (1, 1, 1, 0.7), "ec": "none"})


def _draw_basemap(ax: Any, image: BasemapImage) -> None:
    minx, miny, maxx, maxy = image.extent_gk
    ax.imshow(image.pixels, extent=(minx, maxx, miny, maxy), origin="upper", zorder=1,
              interpolation="bilinear", resample=False)
