"""出图 of the coverage page: the classes, gaps, facilities and suggested sites, with a legend."""

from __future__ import annotations

import io
from datetime import date

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pypdf import PdfReader

from spatial.coverage import analyse, suggest_sites
from spatial.coverage_rules import load_rules
from spatial.export import ExportOptions, export_view
from spatial.export.coverage_layers import (
    CLASS_STYLES,
    coverage_layers,
    coverage_subtitle,
    coverage_title,
    place_classes,
)
from spatial.export.sources import cite_sources
from spatial.view import View
from tests.coverage_synthetic import ORIGIN, random_city, random_facilities, random_places

DAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def model_and_units() -> tuple[object, gpd.GeoDataFrame]:
    roads = random_city(8, n=10, origin=ORIGIN)
    fac = random_facilities(roads, 20, 9)
    res = random_places(roads, 40, 10)
    x0, y0, x1, y1 = roads.total_bounds
    units = gpd.GeoDataFrame(
        {"name": ["西片", "东片"]},
        geometry=[shapely.box(x0, y0, (x0 + x1) / 2, y1), shapely.box((x0 + x1) / 2, y0, x1, y1)],
        crs=roads.crs,
    )
    model, _ = analyse(roads, fac, res, load_rules(), units={"life_circles": units})
    return model, units


def _text(data: bytes) -> str:
    return "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def test_coverage_print_shows_the_classes_gaps_and_sites(
        model_and_units: tuple[object, gpd.GeoDataFrame]) -> None:
    model, units = model_and_units
    # A category and level with facilities on the map and gaps a new site would close.
    counts = model.facilities.groupby(["category", "level_min"]).size()  # type: ignore[attr-defined]
    for (category, lvl), _n in counts.sort_values(ascending=False).items():
        level = int(lvl)
        sites = suggest_sites(model, category, level, 2)  # type: ignore[arg-type]
        if len(sites):
            break
    extra = coverage_layers(model, category, level, sites=sites, units=units)  # type: ignore[arg-type]
    ids = [spec.id for spec, _ in extra]
    assert ids == ["cov_places", "cov_facilities", "cov_sites", "cov_units"]
    classes = place_classes(model, category, level)  # type: ignore[arg-type]
    places = extra[0][1]
    assert sorted(set(places["cls"])) == sorted(set(int(c) for c in classes))
    minx, miny, maxx, maxy = (float(v) for v in places.total_bounds)
    view = View(groups=("user",), layers=tuple(ids), basemap="none", bbox=(minx, miny, maxx, maxy))
    title = coverage_title(category, level, "zh")
    out = export_view(view, ExportOptions(map_date=DAY, title=title,
                                          subtitle=coverage_subtitle(category, level, "zh")),
                      extra_layers=extra)
    text = _text(out.data)
    title_text = "".join(coverage_title(category, level, "zh").split())
    assert "图1" + title_text in text
    assert f"沿路网步行{level}分钟" in text
    assert "第二十章专栏15" in text and "GB50180-2018生活圈步行距离" in text  # sources in words
    # The legend has a row for every class shown on the map, in the page's words.
    for k in sorted(set(int(c) for c in classes)):
        assert "".join(CLASS_STYLES[k][1].split()) in text
    assert "建议选址" in text  # legend row and the sites' own labels
    for rank in sites["rank"]:
        assert f"建议选址 {int(rank)}" in out.info.labels
    assert "西片" in out.info.labels and "东片" in out.info.labels
    assert any(label.startswith("服务设施（") for label in out.info.legend_labels)


def test_all_nine_view_prints_the_count_classes(
        model_and_units: tuple[object, gpd.GeoDataFrame]) -> None:
    model, _ = model_and_units
    extra = coverage_layers(model, "all", 15, lang="en")  # type: ignore[arg-type]
    counts = np.asarray(extra[0][1]["cls"])
    view = View(groups=("user",), layers=tuple(s.id for s, _ in extra), basemap="none",
                bbox=tuple(float(v) for v in extra[0][1].total_bounds), lang="en")  # type: ignore[arg-type]
    out = export_view(view, ExportOptions(map_date=DAY, fmt="png", dpi=72,
                                          title=coverage_title("all", 15, "en")),
                      extra_layers=extra)
    for k in sorted(set(int(c) for c in counts)):
        assert f"{k} in reach" in out.info.legend_labels


def _shipped_model() -> tuple[object, gpd.GeoDataFrame]:
    """The coverage page's default inputs: the shipped roads, facilities, blocks and circles."""
    import layers

    frames = {i: layers.load_layer(i) for i in ("roads", "facilities", "communities",
                                                 "life_circles")}
    model, _ = analyse(frames["roads"], frames["facilities"], frames["communities"], load_rules(),
                       units={"life_circles": frames["life_circles"]}, require_population=False)
    return model, frames["life_circles"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_shipped_coverage_print_says_schematic_and_cites_the_blocks_as_such(lang: str) -> None:
    # Audit 2 U2: the blocks are 示意街坊 and most facilities 示意 GB 50180 provision; the print
    # carried no confidence (no 示意图 note) and cited 第二十章专栏15 for every block.
    model, circles = _shipped_model()
    places = model.places  # type: ignore[attr-defined]
    assert places.confidence is not None and (places.confidence == "schematic").any()
    extra = coverage_layers(model, "education", 10, units=circles, lang=lang)  # type: ignore[arg-type]
    layer = dict((s.id, g) for s, g in extra)
    # Each place and facility keeps its own confidence and source.
    by_id = dict(zip(places.ids, places.confidence, strict=True))
    assert set(layer["cov_places"]["confidence"]) == {by_id[i] for i in places.ids}
    assert "schematic" in set(layer["cov_facilities"]["confidence"])
    # The schematic blocks cite themselves as 示意, never the plan; 专栏15 is the categories' rule.
    schematic = layer["cov_places"][layer["cov_places"]["confidence"] == "schematic"]
    assert cite_sources(schematic["source"]) == ["示意街坊（规划未具名）"]
    assert cite_sources(layer["cov_places"]["method_source"]) == [
        "《鹤壁经开区“十四五”规划纲要》第二十章专栏15"]
    view = View(groups=("user",), layers=tuple(s.id for s, _ in extra), basemap="none",
                bbox=tuple(float(v) for v in layer["cov_places"].total_bounds),  # type: ignore[arg-type]
                lang=lang)
    out = export_view(view, ExportOptions(map_date=DAY, lang=lang,
                                          title=coverage_title("education", 10, lang)),
                      extra_layers=extra)
    assert out.info.schematic
    text = _text(out.data)
    words = {
        "zh": ("示意图", "虚线要素为示意位置", "示意街坊（规划未具名）",
               "GB50180-2018按标准补足（示意，规划未点名）", "GB50180-2018生活圈步行距离",
               "第二十章专栏15", "（示意）"),
        "en": ("Schematicmap", "Dashedfeaturesareschematic",
               "Schematicstreetblocks(notnamedintheplan)",
               "GB50180-2018provision(schematic;notnamedintheplan)", "ch.20,box15",
               "(schematic)"),
    }[lang]
    for word in words:
        assert word in text, word
    # The generated circle names are ours, not the plan's: not printed (as on the plan map).
    assert not any("示意五分钟生活圈" in label for label in out.info.labels)


def test_a_layer_without_confidence_prints_no_schematic_note(
        model_and_units: tuple[object, gpd.GeoDataFrame]) -> None:
    model, units = model_and_units
    extra = coverage_layers(model, "all", 15, units=units)  # type: ignore[arg-type]
    assert set(extra[0][1]["confidence"]) == {""} and set(extra[0][1]["source"]) == {""}
    view = View(groups=("user",), layers=tuple(s.id for s, _ in extra), basemap="none",
                bbox=tuple(float(v) for v in extra[0][1].total_bounds))  # type: ignore[arg-type]
    out = export_view(view, ExportOptions(map_date=DAY, fmt="png", dpi=72), extra_layers=extra)
    assert not out.info.schematic


def test_the_location_inset_takes_the_corner_that_hides_fewest_features() -> None:
    from spatial.export.layout import _Box
    from spatial.export.page import _inset_box

    model, circles = _shipped_model()
    extra = coverage_layers(model, "education", 10, units=circles, lang="zh")  # type: ignore[arg-type]
    places = dict((s.id, g) for s, g in extra)["cov_places"].to_crs(4547)
    x0, y0, _x1, y1 = (float(v) for v in places.total_bounds)
    frame = _Box(10.0, 20.0, 200.0, 150.0)
    extent = (x0, y0, x0 + (y1 - y0) * 200.0 / 150.0, y1)

    class Content:  # what _inset_box reads of a MapContent: the drawn layers
        layers = (type("Layer", (), {"gdf": places})(),)

    box = _inset_box(Content(), frame, extent, 1.0)  # type: ignore[arg-type]
    sx, sy = (extent[2] - extent[0]) / frame.w, (extent[3] - extent[1]) / frame.h

    def hidden(b: _Box) -> int:
        area = shapely.box(extent[0] + (b.x - frame.x) * sx, extent[1] + (b.y - frame.y) * sy,
                           extent[0] + (b.x + b.w - frame.x) * sx,
                           extent[1] + (b.y + b.h - frame.y) * sy)
        return int(shapely.intersects(places.geometry.values, area).sum())

    side = box.w
    bottom_right = _Box(frame.x + frame.w - side - 2.0, frame.y + 2.0, side, side)
    top_left = _Box(frame.x + 2.0, frame.y + frame.h - side - 2.0, side, side)
    assert {(box.x, box.y)} <= {(bottom_right.x, bottom_right.y), (top_left.x, top_left.y)}
    assert hidden(box) == min(hidden(bottom_right), hidden(top_left))
    assert hidden(bottom_right) != hidden(top_left)  # the choice matters on this frame
