"""The sources line of a page: the works the shown features cite, once each, in words.

The plan by chapter/专栏, standards, reference data by what they are (never a
file path or a reference-file name); the same rule as the details panel
(:func:`layers.fields.cite_source`).
"""

from __future__ import annotations

from collections.abc import Iterable

from layers.fields import cite_sources as _cite_sources
from spatial.export.content import MapContent
from spatial.export.draw import _visible


def cite_sources(sources: Iterable[str], lang: str = "zh") -> list[str]:
    """Reduce feature ``source`` texts to the distinct works they cite, the plan first.

    Examples
    --------
    >>> cite_sources(["鹤壁经开区“十四五”规划 园区布局; x", "x.geojson: OSM node"])
    ['《鹤壁经开区“十四五”规划纲要》第十六章', '© OpenStreetMap 贡献者（ODbL）']
    """
    return _cite_sources(sources, lang)


def _sources(
    content: MapContent, extent: tuple[float, float, float, float], lang: str = "zh"
) -> list[str]:
    """Works cited by the features on the page.

    A feature's ``source``, and for a computed layer (the coverage classes) its
    ``method_source``: what its figures rest on besides the feature itself.
    """
    texts: list[str] = []
    for layer in content.layers:
        gdf = _visible(layer.gdf, extent)
        for column in ("source", "method_source"):
            if column in gdf.columns:
                texts.extend(str(s) for s in gdf[column].dropna())
    return cite_sources(texts, lang)
