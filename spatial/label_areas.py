"""Where an area's name may stand: clear of the smaller named areas it holds or touches.

Screen (:mod:`spatial.webmap_labels`) and print (:mod:`spatial.export.labels`) both keep a
large area's name (the zone's extent, a park) out of the smaller areas inside it, so the
zone's name never reads as a park's and a park's never as the bonded zone's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import shapely

if TYPE_CHECKING:
    from layers.schema import LayerSpec


def class_rank(spec: LayerSpec, rec: dict[str, Any]) -> int:
    """A feature's place among its layer's styled classes (the legend order): within one
    layer 园区 are named before 片区, and the background extents last."""
    if spec.style_by is None or not spec.style_map:
        return 0
    keys = list(spec.style_map)
    value = rec.get(spec.style_by)
    return keys.index(value) if value in keys else len(keys)


def smaller_areas(area: Any, others: Iterable[Any]) -> Any | None:
    """Return the union of the areas smaller than ``area`` that meet it (None when none).

    Parameters
    ----------
    area : shapely Polygon
        The area to be named.
    others : iterable of shapely geometries
        The other named areas (``area`` itself, if among them, is skipped).

    Returns
    -------
    shapely geometry or None
    """
    smaller = [o for o in others
               if o is not area and o.area < area.area and o.intersects(area)]
    return shapely.union_all(smaller) if smaller else None


def free_parts(area: Any, avoid: Any | None, min_area: float) -> list[Any]:
    """Return the parts of ``area`` outside ``avoid`` larger than ``min_area``, largest first.

    A sliver left between two smaller areas is no place for a name.
    """
    free = area.difference(avoid) if avoid is not None else area
    parts = [g for g in getattr(free, "geoms", [free])
             if g.geom_type == "Polygon" and g.area > min_area]
    return sorted(parts, key=lambda g: -g.area)
