"""Print-ready map snapshots of a :class:`spatial.view.View`: PNG, vector PDF and PDF atlases.

An export is drawn with matplotlib in Gauss–Krüger metres (EPSG:4547), so
the scale bar and the printed ratio scale are true on paper. The page is laid
out like a planning map: map frame, title and subtitle, a legend built from
the same catalogue declarations (and indicator classification) the screen
uses, a scale bar in round metres, a north arrow (grid north of the GK zone),
the date, data sources, basemap attribution, a "示意图" note whenever a
schematic feature is on the page, and an optional 审图号 line.

Design choices, and why:

* **Same content as the screen.** Layers come from ``View.visible_layer_ids``;
  each feature is styled with ``LayerSpec.style_for``; the legend rows come
  from :func:`layers.legend.legend_sections`, the rule the map page's legend
  uses too (a solid row, and a dashed row marked 示意 where the features of an
  entry are schematic); an indicator is drawn from the screen's own
  :class:`spatial.classify.Classification`, with the indicators page's fills,
  value labels, counts, breaks and target line.
* **Vector PDF.** Text stays text: fonts are embedded as TrueType
  (``pdf.fonttype`` 42). The CJK font is a real TrueType one
  (WenQuanYi Micro Hei, else Droid Sans Fallback behind DejaVu Sans for Latin);
  Noto CJK ships CFF outlines that matplotlib embeds as a mislabelled
  TrueType font, so it is not used.
* **Deterministic.** The same view, options and date give byte-identical
  files: the PDF creation date is the map date, the producer string is fixed
  and nothing random enters the page.
* **Offline first.** With the "none" basemap nothing is requested. With a
  tile basemap the tiles are fetched with a short timeout; if they cannot be
  fetched the map is drawn without them and the attribution line says so.
  Gaode tiles are GCJ-02: the tile image is resampled so that it lines up
  with the WGS84 data (the data themselves are never shifted in an export).
"""

from __future__ import annotations

from spatial.export.basemap import (
    fetch_basemap,
)
from spatial.export.content import (
    INDICATOR_SOURCE_LAYERS,
    MAX_EXTENT_M,
    MIN_EXTENT_M,
    BasemapImage,
    ChoroplethLayer,
    MapContent,
    MapOverlay,
    check_export_extent,
    choropleth_for_view,
    focus_on_area,
    prepare_content,
)
from spatial.export.options import (
    FORMATS,
    ORIENTATIONS,
    PAPERS,
    ExportOptions,
    cjk_font_files,
)
from spatial.export.options import (
    _export_style as _export_style,  # for tests and benchmarks
)
from spatial.export.page import (
    PageInfo,
    render_page,
)
from spatial.export.save import (
    ExportResult,
    export_atlas,
    export_view,
)
from spatial.export.save import (
    _save as _save,  # for the benchmark
)
from spatial.export.scale import (
    nice_scale_denominator,
    scale_bar_length_m,
)
from spatial.export.sources import (
    cite_sources,
)
from spatial.export.text import (
    default_title,
)

__all__ = [
    "FORMATS",
    "INDICATOR_SOURCE_LAYERS",
    "MAX_EXTENT_M",
    "MIN_EXTENT_M",
    "ORIENTATIONS",
    "PAPERS",
    "BasemapImage",
    "ChoroplethLayer",
    "ExportOptions",
    "ExportResult",
    "MapContent",
    "MapOverlay",
    "PageInfo",
    "check_export_extent",
    "choropleth_for_view",
    "cite_sources",
    "cjk_font_files",
    "default_title",
    "export_atlas",
    "export_view",
    "fetch_basemap",
    "focus_on_area",
    "nice_scale_denominator",
    "prepare_content",
    "render_page",
    "scale_bar_length_m",
]
