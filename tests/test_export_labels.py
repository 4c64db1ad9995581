"""Report-grade figures: names (注记) from the catalogue, figure number, inset, notes, sources."""

from __future__ import annotations

import io
import itertools
from typing import Any

import geopandas as gpd
import pytest
from pypdf import PdfReader
from shapely.geometry import LineString

import layers
from layers.schema import LabelRule, LayerSpec, Style
from spatial.export import ExportOptions, export_atlas, export_view, prepare_content, render_page
from spatial.export.labels import _short, equivalent_zoom
from spatial.export.options import Orientation, Paper, _export_style
from spatial.view import DEFAULT_BBOX, DEFAULT_VIEW, View

STRUCTURE = ("corridor", "spines", "axes", "nodes", "bonded_zone")
_DAY = __import__("datetime").date(2026, 11, 24)


def _n(text: str) -> str:
    return "".join(text.split())


def _pdf_text(data: bytes) -> list[str]:
    return [_n(p.extract_text()) for p in PdfReader(io.BytesIO(data)).pages]


def _zone_view(lang: str = "zh", groups: tuple[str, ...] = ("structure", "parks")) -> View:
    """The plan structure framed as a report figure of the zone (the nodes, with a margin)."""
    b = layers.load_layer("nodes").total_bounds
    pad = 0.01
    return DEFAULT_VIEW.replace(groups=groups, basemap="none", lang=lang,
                                bbox=(b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad))


def _names(layer_id: str, lang: str = "zh") -> list[str]:
    """Names of the layer's features its label rule labels (not the schematic ones the plan
    does not name, e.g. the seventh axis)."""
    gdf = layers.load_layer(layer_id)
    rule = layers.get_spec(layer_id).label
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    rows = [dict(zip(cols, r, strict=True)) for r in gdf[cols].itertuples(index=False, name=None)]
    if rule is None:
        return [_short(str(r["name_en" if lang == "en" else "name"])) for r in rows]
    # The label rule's text: in English the short map form ("Bohai Rd innovation corridor").
    return [_short(str(t)) for t in (rule.text(r, lang) for r in rows) if t is not None]


@pytest.fixture(scope="module")
def zone_pdf() -> tuple[str, list[str]]:
    out = export_view(_zone_view(), ExportOptions(map_date=_DAY))
    (text,) = _pdf_text(out.data)
    return text, out.info.labels


def test_the_pdf_text_layer_names_the_plan_structure(zone_pdf: tuple[str, list[str]]) -> None:
    text, labels = zone_pdf
    # The corridor, both spines, the bonded zone and every node are named on the page ...
    for layer_id in ("corridor", "spines", "bonded_zone", "nodes"):
        for name in _names(layer_id):
            assert _n(name) in text, name
    # ... and the six named axes: a name that cannot fit between the nodes on its line is set
    # beside it, the 渤海路 axis beside the corridor that shares its road.
    missing = [name for name in _names("axes") if _n(name) not in text]
    assert not missing, missing
    # What the page reports it printed is what the text layer holds.
    for label in labels:
        assert _n(label) in text
    assert set(_names("corridor") + _names("spines")) <= set(labels)


def _plan_view() -> View:
    """What the export page prints by default: the whole plan, every plan group, no basemap."""
    return DEFAULT_VIEW.replace(basemap="none", bbox=DEFAULT_BBOX)


_STRUCTURE_NAMES = ("corridor", "spines", "axes", "nodes")


@pytest.mark.parametrize(("paper", "orientation"),
                         [("A4", "landscape"), ("A3", "landscape"), ("A4", "portrait")])
def test_the_default_print_names_every_structure_element(
    paper: Paper, orientation: Orientation
) -> None:
    """The page a planner gets without changing anything names 一廊, 两脊, 七轴 and 七大节点."""
    out = export_view(_plan_view(),
                      ExportOptions(paper=paper, orientation=orientation, map_date=_DAY))
    (text,) = _pdf_text(out.data)
    for layer_id in _STRUCTURE_NAMES:
        names = _names(layer_id)
        assert names
        missing = [name for name in names if _n(name) not in text]
        assert not missing, (layer_id, out.info.scale_denominator, missing)
        assert set(names) <= set(out.info.labels)
    # Six axes: the seventh (兴鹤大街) is schematic and not in the plan's list, so unlabelled.
    assert len(_names("axes")) == 6 and len(_names("nodes")) == 7
    assert not any(lab.startswith("兴鹤大街轴线") for lab in out.info.labels)


def test_figure_number_inset_note_and_sources_in_chinese(zone_pdf: tuple[str, list[str]]) -> None:
    text, _ = zone_pdf
    assert _n("图1　鹤壁经济技术开发区空间布局图") in text
    assert _n("区位图（鹤壁市）") in text  # the location inset
    assert _n("示意图") in text and "schematic" not in text.lower()
    # The plan by its chapters/专栏 (the structure is in chapter 15, the bonded zone in box 11).
    assert _n("数据来源：《鹤壁经开区“十四五”规划纲要》第") in text
    assert _n("第十五章") in text and _n("第十六章专栏11") in text
    for raw in (".geojson", "PLACES", "digitised", "hebi_"):
        assert raw not in text


@pytest.mark.parametrize("page", ["zone", "plan"])
def test_labels_never_overlap_and_stay_in_the_frame(page: str) -> None:
    view = _zone_view(groups=("structure", "parks", "green", "reference")) if page == "zone" \
        else _plan_view()
    content = prepare_content(view)
    with _export_style():
        fig, info = render_page(content, ExportOptions(map_date=_DAY))
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        ax = fig.axes[0]
        frame = ax.get_window_extent(renderer)
        names = [t for t in ax.texts if t.get_gid() == "label"]
        halos = [t for t in ax.texts if t.get_gid() == "label-halo"]
        boxes = [t.get_window_extent(renderer) for t in names]
    # A name set on two lines is reported on one.
    assert sorted(_n(t.get_text()) for t in names) == sorted(_n(lab) for lab in info.labels)
    assert len(boxes) >= 20
    for box in boxes:
        assert frame.x0 <= box.x0 <= box.x1 <= frame.x1
        assert frame.y0 <= box.y0 <= box.y1 <= frame.y1
    for (a, ta), (b, tb) in itertools.combinations(zip(boxes, names, strict=True), 2):
        assert not a.overlaps(b), (ta.get_text(), tb.get_text())
    # Along-line names are rotated to their line (a north-south spine reads vertically).
    spine = next(t for t in names if t.get_text() == "华夏路城市主脊")
    assert abs(abs(spine.get_rotation() % 180) - 90) < 20
    # Every name has a halo (drawn under it; the name stays text) and no mathtext.
    assert [t.get_text() for t in halos] == [t.get_text() for t in names]
    assert all(h.get_path_effects() and h.get_zorder() < t.get_zorder()
               for h, t in zip(halos, names, strict=True))
    assert not any(t.get_parse_math() for t in names + halos)


def test_a_label_shows_from_its_rules_zoom() -> None:
    assert round(equivalent_zoom(120_000, 35.77)) == 12  # the whole plan on A4
    assert round(equivalent_zoom(10_000, 35.77)) == 16
    full = export_view(DEFAULT_VIEW.replace(basemap="none", groups=("roads", "structure")),
                       ExportOptions(fmt="png", dpi=72, map_date=_DAY)).info
    roads = set(_names("roads"))
    assert not roads & set(full.labels)  # road names (min zoom 14) wait for a closer page
    assert "渤海路创智服务走廊" in full.labels


def test_a_dollar_in_a_name_prints_as_written() -> None:
    spec = LayerSpec(id="t_line", title_zh="测试线", title_en="Test line", group="user",
                     geometry="LineString", style=Style("#333333"),
                     label=LabelRule("line", priority=99, min_zoom=1, size=14))
    gdf = gpd.GeoDataFrame(
        [{"id": "l1", "name": "$x_1$ 路", "name_en": "$x_1$ Rd", "kind": "road",
          "source": "测试", "confidence": "high",
          "geometry": LineString([(114.25, 35.74), (114.35, 35.76)])}],
        geometry="geometry", crs="EPSG:4326")
    view = View(groups=("user",), layers=("t_line",), basemap="none",
                bbox=(114.24, 35.72, 114.36, 35.78))
    out = export_view(view, ExportOptions(map_date=_DAY, inset=False),
                      extra_layers=[(spec, gdf)])
    assert out.info.labels == ["$x_1$ 路"]
    assert _n("$x_1$ 路") in _pdf_text(out.data)[0]


def test_english_page_is_english_only() -> None:
    out = export_view(_zone_view("en"), ExportOptions(map_date=_DAY))
    (text,) = _pdf_text(out.data)
    assert _n("Figure 1. Hebi ETDZ spatial layout") in text
    assert _n("Schematic map") in text and "示意图" not in text
    assert _n("Location (Hebi") in text
    assert _n("Sources: Hebi ETDZ 14th Five-Year Plan, ch.") in text and _n("ch. 15;") in text
    for name in _names("corridor", "en") + _names("spines", "en"):
        assert _n(name) in text


@pytest.mark.parametrize(("view_lang", "page_lang"), [("zh", "en"), ("en", "zh")])
def test_the_page_language_governs_legend_and_subtitle(view_lang: str, page_lang: str) -> None:
    """A page asked for in one language from a view in the other is wholly in the page's."""
    out = export_view(_zone_view(view_lang), ExportOptions(map_date=_DAY, lang=page_lang))
    (text,) = _pdf_text(out.data)
    english = page_lang == "en"
    assert (_n("Legend") in text) is english and ("图例" in text) is not english
    assert (_n("Plan structure") in text) is english and ("规划结构" in text) is not english
    assert (_n("Figure 1.") in text) is english and ("图1" in text) is not english


def test_atlas_pages_are_numbered_figures() -> None:
    out = export_atlas(DEFAULT_VIEW.replace(basemap="none", groups=("structure",)),
                       "bonded_subzones", ExportOptions(map_date=_DAY, figure_no=3))
    texts = _pdf_text(out.data)
    assert len(texts) == 3
    for i, text in enumerate(texts):
        assert _n(f"图{3 + i}　") in text


def test_two_names_on_one_road_are_both_printed() -> None:
    """A line that shares its road with a higher-ranked one (the 渤海路 axis on the corridor's
    road) is named beside it instead of being dropped, though the nodes on the road leave no
    room on the line itself for either name."""
    road = LineString([(114.26, 35.76), (114.30, 35.761), (114.34, 35.76)])

    def line(layer_id: str, name: str, priority: int, size: int) -> tuple[LayerSpec, Any]:
        spec = LayerSpec(id=layer_id, title_zh=name, title_en=layer_id, group="user",
                         geometry="LineString", style=Style("#cc3300", weight=6),
                         label=LabelRule("line", priority=priority, min_zoom=1, size=size))
        gdf = gpd.GeoDataFrame([{"id": layer_id, "name": name, "name_en": layer_id,
                                 "geometry": road}], geometry="geometry", crs="EPSG:4326")
        return spec, gdf

    node_spec = LayerSpec(id="t_node", title_zh="节点", title_en="Node", group="user",
                          geometry="Point", style=Style("#d62728", radius=8.0),
                          label=LabelRule("point", priority=92, min_zoom=1, size=12))
    nodes = gpd.GeoDataFrame([{"id": f"n{i}", "name": f"测试节点{i}", "name_en": f"n{i}",
                               "geometry": road.interpolate(f, normalized=True)}
                              for i, f in enumerate((0.2, 0.4, 0.6, 0.8))],
                             geometry="geometry", crs="EPSG:4326")
    extra = [line("t_corr", "测试创智服务走廊", 100, 15),
             line("t_axis", "测试创智服务联动轴", 90, 12), (node_spec, nodes)]
    view = View(groups=("user",), layers=("t_corr", "t_axis", "t_node"), basemap="none",
                bbox=(114.255, 35.745, 114.345, 35.775))
    out = export_view(view, ExportOptions(map_date=_DAY, inset=False), extra_layers=extra)
    assert set(out.info.labels) == {"测试创智服务走廊", "测试创智服务联动轴"} | {
        f"测试节点{i}" for i in range(4)}
    text = _pdf_text(out.data)[0]
    for name in out.info.labels:
        assert _n(name) in text
