"""Export options (paper, format, dpi, texts), shared constants and the embedded CJK fonts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.textpath import TextToPath

from layers.schema import LayerSpec, Style
from spatial._errors import ExportError
from spatial.classify import (
    MISSING_COLOUR,
)

if TYPE_CHECKING:
    pass


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
    figure_no : int, optional
        Figure number printed before the title (图1 / Figure 1.); None prints none.
        An atlas numbers its pages from it.
    inset : bool
        Draw the location inset (the page's extent within 鹤壁市).
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
    figure_no: int | None = 1
    inset: bool = True

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


def _t(lang: str, zh: str, en: str) -> str:
    return en if lang == "en" else zh
