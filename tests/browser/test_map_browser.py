"""Real browser: the plan map draws, identifies, measures, stays put, is offline and runs no text.

Every test runs with the "none" basemap; the ``page`` fixture fails a test on
any request to a host that is not loopback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Dialog, FrameLocator, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pyproj import Transformer

import layers
from layers.schema import GROUPS
from spatial.plan_statements import confidence_words
from tests.browser.conftest import (
    ARTIFACTS,
    MAP_IFRAME,
    add_my_layer,
    map_frame,
    open_page,
    wait_idle,
)
from tests.browser.test_import_browser import _NO_FLAG  # finds a flag set in any frame

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PLAN_GROUPS = ",".join(g.id for g in GROUPS if g.id != "user")
OFFLINE = f"?basemap=none&groups={PLAN_GROUPS}"
PATHS = "path.leaflet-interactive"

# Hostile text: if any of it ran, it would set a flag on the window it ran in.
IMG = "<img src=x onerror=window.__pwned=1>"
TEMPLATE = "${window.__pwned=2}`"
JINJA = "{{ 7*7 }}"

# Leaflet map of the st_folium iframe: lat/lon -> container pixel.
_TO_PIXEL = "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]);"\
    " return [p.x, p.y]; }"


def _n_drawn(groups: list[str]) -> int:
    """Features with a geometry in the catalogue layers of these groups."""
    total = 0
    for spec in layers.specs_for_groups(groups):
        gdf = layers.load_layer(spec.id)
        total += int((gdf.geometry.notna() & ~gdf.geometry.is_empty).sum())
    return total


# Features drawn in the map iframe: one per SVG path, except that the plan layers draw the
# features of one style as one path and write how many it stands for in data-hebi-n.
_N_FEATURES = (
    "(doc) => Array.from(doc.querySelectorAll('path.leaflet-interactive')).reduce("
    "(n, p) => n + (p.hasAttribute('data-hebi-n') ? Number(p.getAttribute('data-hebi-n')) : 1),"
    " 0)"
)


def _wait_paths(frame: FrameLocator, n: int, page: Page) -> None:
    frame.locator(".leaflet-container").wait_for(timeout=60_000)
    page.wait_for_function(
        "([sel, n]) => { const f = document.querySelector(sel);"
        f" return f && f.contentDocument && ({_N_FEATURES})(f.contentDocument) === n; }}",
        arg=[MAP_IFRAME, n],
        timeout=60_000,
    )


def _open_plan_drawn(page: Page, app_server: str) -> FrameLocator:
    """Open the offline plan map and wait until every catalogue feature is drawn."""
    open_page(page, app_server, OFFLINE)
    frame = map_frame(page)
    _wait_paths(frame, _n_drawn([g.id for g in GROUPS if g.id != "user"]), page)
    return frame


def _iframe_eval(page: Page, script: str, arg: Any = None) -> Any:
    handle = page.locator(MAP_IFRAME).first.element_handle()
    frame = handle.content_frame() if handle is not None else None
    assert frame is not None
    return frame.evaluate(script, arg)


def _page_xy(page: Page, lat: float, lon: float) -> tuple[float, float]:
    box = page.locator(MAP_IFRAME).first.bounding_box()
    assert box is not None
    x, y = _iframe_eval(page, _TO_PIXEL, [lat, lon])
    return box["x"] + x, box["y"] + y


def test_map_draws_every_plan_feature_offline(page: Page, app_server: str) -> None:
    frame = _open_plan_drawn(page, app_server)
    # Planner controls are there: scale bar, north arrow, coordinates, measuring tool.
    expect(frame.locator(".leaflet-control-scale-line")).to_have_text(re.compile(r"\d+ k?m"))
    expect(frame.locator(".hebi-north-arrow")).to_contain_text("北")
    expect(frame.locator(".leaflet-control-measure")).to_have_count(1)
    # Schematic features are dashed on the map.
    dashed = frame.locator(f'{PATHS}[stroke-dasharray="8 6"]')
    assert dashed.count() > 0
    # Legend outside the iframe, schematic entries marked.
    legend = page.locator(".hebi-legend")
    expect(legend).to_contain_text("综合保税区")
    expect(legend).to_contain_text("示意")
    # The coordinate readout follows the mouse, in WGS84.
    x, y = _page_xy(page, 35.76, 114.30)
    page.mouse.move(x, y)
    expect(frame.locator(".leaflet-control-mouseposition")).to_contain_text(re.compile(
        r"经度 114\.(29|30)\d+.*纬度 35\.7(5|6)\d+ \(WGS84\)"))


def test_clicking_the_bonded_zone_shows_its_details(page: Page, app_server: str) -> None:
    zone = layers.load_layer("bonded_zone")
    inner = zone.geometry.iloc[0].representative_point()
    page.set_viewport_size({"width": 1400, "height": 1050})  # room for the details panel
    _open_plan_drawn(page, app_server)
    x, y = _page_xy(page, inner.y, inner.x)
    # Every feature under the click is listed (the zone lies under its sub-zones).
    picker = page.get_by_role("radiogroup", name="该位置的要素")
    for _ in range(3):  # a click that lands while the app reruns is dropped: click again
        page.mouse.click(x, y)
        wait_idle(page)
        try:
            picker.wait_for(timeout=10_000)
            break
        except PlaywrightTimeoutError:
            continue
    expect(picker).to_be_visible(timeout=30_000)
    picker.get_by_text(re.compile(r"^鹤壁综合保税区( · |$)")).click()
    wait_idle(page)
    details = page.locator('[data-testid="stColumn"]').filter(has_text="要素详情").last
    expect(details).to_contain_text("鹤壁综合保税区")
    expect(details).to_contain_text("2.870 km² · 287.0 ha · 4,305 亩")
    subs = layers.load_layer("bonded_subzones")
    for name in subs.loc[subs["parent"] == zone["id"].iloc[0], "name"]:
        expect(details).to_contain_text(str(name))
    expect(details).to_contain_text("可信度")
    expect(details).to_contain_text("来源")
    # The plan's own sentences and the confidence in a planner's words.
    expect(details).to_contain_text(confidence_words("low"))
    expect(details).to_contain_text("规划原文")
    expect(details).to_contain_text("专栏11（第308行）")
    expect(details).to_contain_text("园区规划面积2.87平方公里")
    page.mouse.move(5, 5)  # no tooltip over the screenshot
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "map_page.png"), full_page=True)


# --- the first view: labels, legend and tools in view (issue 12) ---------------------------------

_LABELS = """() => {
  const box = document.querySelector('.leaflet-container').getBoundingClientRect();
  return Array.from(document.querySelectorAll('.hebi-label')).map(el => ({
    layer: el.getAttribute('data-hebi-layer'), text: el.textContent,
    boxes: Array.from(el.children).map(c => { const r = c.getBoundingClientRect();
      return [r.left - box.left, r.top - box.top, r.right - box.left, r.bottom - box.top]; }),
    size: [box.width, box.height]}));
}"""


def _label_texts(layer_id: str, lang: str = "zh", names: tuple[str, ...] = ()) -> list[str]:
    """What the catalogue's label rule says each named feature of a layer is labelled.

    ``names`` (Chinese) keeps only those features; each must exist and be labelled.
    """
    spec = layers.get_spec(layer_id)
    assert spec.label is not None
    gdf = layers.load_layer(layer_id)
    located = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if names:
        located = located[located["name"].isin(names)]
        assert sorted(set(located["name"])) == sorted(names), layer_id
    cols = [c for c in located.columns if c != located.geometry.name]
    texts = [spec.label.text(dict(zip(cols, row, strict=True)), lang)
             for row in located[cols].itertuples(index=False, name=None)]
    if names:
        assert all(texts), layer_id
    return list(dict.fromkeys(t for t in texts if t))


def _wait_labels(page: Page) -> list[dict[str, Any]]:
    frame = map_frame(page)
    frame.locator(".hebi-label").first.wait_for(state="attached", timeout=60_000)
    page.wait_for_timeout(500)  # the placement pass runs once the frame is idle
    labels: list[dict[str, Any]] = _iframe_eval(page, _LABELS)
    return labels


def _overlaps(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5


# The plan's structure a planner reads at the first view: 一廊, 两脊, 七轴 and 七大节点.
_STRUCTURE = ("corridor", "spines", "axes", "nodes")

# True once the label engine has laid out the current view (no layout pending).
_LAID_OUT = """() => { const e = window.map && window.map._hebiLabels;
  return !!(e && e.last && e.raf === null && e.pane.style.display !== 'none'); }"""


def _relaid(page: Page, script: str) -> list[dict[str, Any]]:
    """Change the view (``script`` runs in the map's frame), wait for the labels' new layout."""
    _iframe_eval(page, script)
    handle = page.locator(MAP_IFRAME).first.element_handle()
    frame = handle.content_frame() if handle is not None else None
    assert frame is not None
    frame.wait_for_function(_LAID_OUT, timeout=30_000)
    labels: list[dict[str, Any]] = _iframe_eval(page, _LABELS)
    return labels


def _assert_structure_named(labels: list[dict[str, Any]], where: str, lang: str = "zh") -> None:
    """Every name of the plan's structure is on the map, each once, none overlapping another."""
    # A label broken onto two lines reads as one name (its element's text has the break).
    shown = [" ".join(lab["text"].split()) for lab in labels]
    wanted = {layer_id: _label_texts(layer_id, lang) for layer_id in _STRUCTURE}
    # Six axes: the seventh (兴鹤大街) is schematic and not in the plan's list, so unlabelled.
    assert len(wanted["axes"]) == 6 and len(wanted["nodes"]) == 7 and len(wanted["spines"]) == 2
    for layer_id, texts in wanted.items():
        missing = [t for t in texts if t not in shown]
        assert not missing, f"{layer_id} labels missing at {where}: {missing}"
        assert all(shown.count(t) == 1 for t in texts), layer_id
    # No two labels overlap, and every label lies inside the map.
    for i, a in enumerate(labels):
        for box in a["boxes"]:
            assert box[0] >= 0 and box[1] >= 0 and box[2] <= a["size"][0] + 0.5 \
                and box[3] <= a["size"][1] + 0.5, a["text"]
        for b in labels[i + 1:]:
            assert not any(_overlaps(x, y) for x in a["boxes"] for y in b["boxes"]), \
                f"labels overlap at {where}: {a['text']} / {b['text']}"


def test_the_map_keeps_its_layers_and_basemap_after_another_page(
    page: Page, app_server: str
) -> None:
    # 规划图 → 我的图层 → 规划图 in one session: Streamlit drops the state of the widgets a page
    # does not draw, and the map came back with no layer group and the first basemap (OSM
    # tiles from outside: the page fixture fails the test on any such request).
    open_page(page, app_server)
    frame = map_frame(page)
    expect(frame.locator(PATHS).first).to_be_attached(timeout=60_000)
    def chosen() -> dict[str, list[str]]:  # the view's layers and basemap in the URL
        query = parse_qs(urlparse(page.url).query, keep_blank_values=True)
        return {k: query.get(k, []) for k in ("groups", "basemap", "hide")}

    before = chosen()
    assert before["basemap"] == ["none"] and "structure" in before["groups"][0]
    nav = page.locator('[data-testid="stSidebarNav"]')
    for where in ("我的图层", "规划图"):
        nav.get_by_text(where, exact=True).click()
        wait_idle(page)
    page.wait_for_function("() => location.search.includes('basemap=')")
    assert chosen() == before
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_role("checkbox", name="规划结构")).to_be_checked()
    expect(sidebar.get_by_role("radio", name="无底图（离线）")).to_be_checked()
    expect(map_frame(page).locator(PATHS).first).to_be_attached(timeout=60_000)


def test_first_view_names_the_structure_without_overlaps(page: Page, app_server: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    open_page(page, app_server)  # no query: the curated first view
    _wait_labels(page)
    labels = _relaid(page, "() => { window.map._hebiLabels.schedule(); }")
    # The six named axes, the corridor, both spines and the seven nodes are named at the first
    # view of a laptop's map, the 渤海路 axis too, though it runs on the corridor's own road.
    _assert_structure_named(labels, "the first view at 1366×768")
    shown = {lab["text"] for lab in labels}
    assert not [t for t in _label_texts("bonded_zone") if t not in shown]
    axes = _label_texts("axes")
    at13 = {lab["text"] for lab in _relaid(
        page, "() => { window.map.setView([35.772, 114.30], 13, {animate: false}); }")}
    assert set(axes) <= at13, set(axes) - at13
    labels = _relaid(page, "() => { window.map.setView([35.76, 114.30], 12, {animate: false}); }")
    _assert_structure_named(labels, "zoom 12")
    # Generated names (schematic and not named in the plan) are not drawn.
    roads = layers.load_layer("roads")
    unnamed = roads[(roads["confidence"] == "schematic") & ~roads["named_in_plan"].astype(bool)]
    assert not set(unnamed["name"]) & shown
    # Labels follow the zoom: the axes (from zoom 12) leave at 11, the corridor stays.
    at11 = {lab["text"] for lab in _relaid(
        page, "() => window.map.setZoom(11, {animate: false})")}
    assert not set(_label_texts("axes")) & at11
    assert set(_label_texts("corridor")) <= at11
    # The default view's layers: the structure, parks, green and water; no facilities.
    frame = map_frame(page)
    expect(frame.locator(f"{PATHS}").first).to_be_attached()
    legend = page.locator(".hebi-legend")
    for layer_id in ("corridor", "axes", "nodes", "bonded_zone", "green", "water"):
        title = layers.get_spec(layer_id).title_zh
        entries = [e.label_zh for e in layers.get_spec(layer_id).legend()]
        text = legend.inner_text()
        assert title in text or any(e.split("（")[0] in text for e in entries), layer_id
    assert layers.get_spec("facilities").title_zh not in legend.inner_text()
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_role("checkbox", name="服务设施")).not_to_be_checked()
    expect(sidebar.get_by_role("checkbox", name="规划结构")).to_be_checked()
    expect(sidebar.get_by_role("radio", name="无底图（离线）")).to_be_checked()


# The areas a planner looks for first, besides the structure: the bonded zone, the parks
# (园区 and the 鹤壁东区 around them) and the wetland park.
_FIRST_AREAS = {
    "bonded_zone": ("鹤壁综合保税区",),
    "parks": ("金山园区", "城东园区", "鹤壁东区"),
    "green": ("淇河国家湿地公园",),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_first_view_names_the_structure_and_parks_in_both_languages(
    page: Page, app_server: str, lang: str
) -> None:
    # README: the six named axes are named at the first view of a 1366×768 laptop. English
    # names are longer than Chinese ones; the English first view still names the structure,
    # the bonded zone and the parks, none overlapping another.
    page.set_viewport_size({"width": 1366, "height": 768})
    open_page(page, app_server, "?lang=en" if lang == "en" else "")
    _wait_labels(page)
    labels = _relaid(page, "() => { window.map._hebiLabels.schedule(); }")
    _assert_structure_named(labels, f"the first view at 1366×768 ({lang})", lang)
    shown = {" ".join(lab["text"].split()) for lab in labels}
    for layer_id, names in _FIRST_AREAS.items():
        missing = [t for t in _label_texts(layer_id, lang, names) if t not in shown]
        assert not missing, f"{layer_id} labels missing ({lang}): {missing}"
    if lang == "en":  # the page is in English, and so is every label
        sidebar = page.locator('[data-testid="stSidebar"]')
        expect(sidebar.get_by_role("checkbox", name="Plan structure")).to_be_checked()
        assert not [t for t in shown if re.search(r"[\u4e00-\u9fff]", t)]
    # The controls loaded after the first paint speak the page's language: the measuring
    # tool (its own build per language) and the coordinate readout.
    frame = map_frame(page)
    expect(frame.locator(".leaflet-control-measure-toggle")).to_have_attribute(
        "title", "Measure distances and areas" if lang == "en" else "同时测量距离和面积")
    expect(frame.locator(".leaflet-control-mouseposition")).to_contain_text(
        re.compile(r"Move the mouse|Lon \d") if lang == "en" else re.compile(r"移动鼠标|经度 \d"))
    page.mouse.move(5, 5)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"map_first_view_{lang}.png"))


def test_first_view_names_the_structure_on_a_large_screen(page: Page, app_server: str) -> None:
    page.set_viewport_size({"width": 1600, "height": 1000})
    open_page(page, app_server)
    _wait_labels(page)
    labels = _relaid(page, "() => { window.map._hebiLabels.schedule(); }")
    _assert_structure_named(labels, "the first view at 1600×1000")
    page.mouse.move(5, 5)  # no tooltip over the screenshot the fixture takes


def test_legend_and_export_in_view_on_a_laptop(page: Page, app_server: str) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})
    open_page(page, app_server)
    _wait_labels(page)
    for locator in (page.locator(".hebi-legend"), page.get_by_role("button", name="出图"),
                    page.locator(MAP_IFRAME).first):
        box = locator.bounding_box()
        assert box is not None
        assert box["x"] >= 0 and box["y"] >= 0, box
        assert box["x"] + box["width"] <= 1366 and box["y"] + box["height"] <= 768, box
    small = page.locator(MAP_IFRAME).first.bounding_box()
    # The map follows the window.
    page.set_viewport_size({"width": 1366, "height": 1000})
    page.wait_for_timeout(800)
    tall = page.locator(MAP_IFRAME).first.bounding_box()
    assert small is not None and tall is not None and tall["height"] > small["height"] + 150
    size = _iframe_eval(page, "() => [window.map.getSize().y, window.innerHeight]")
    assert abs(size[0] - size[1]) <= 2, "the Leaflet map does not fill its frame"
    page.mouse.move(5, 5)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "map_first_view.png"
    page.screenshot(path=str(shot))
    if os.environ.get("HEBI_UPDATE_DOCS") == "1":  # refresh the README picture on request only
        shutil.copyfile(shot, ROOT / "docs" / "screenshot-map.png")


def test_map_links_open_the_map(page: Page, app_server: str) -> None:
    # The form used by the README and the export CLI's docstring.
    open_page(page, app_server, "map?groups=structure,parks&basemap=none&zoom=13")
    _wait_paths(map_frame(page), _n_drawn(["structure", "parks"]), page)
    assert "/map" in page.url
    assert page.get_by_text(re.compile("Page not found|找不到页面")).count() == 0
    zoom = _iframe_eval(page, "() => window.map.getZoom()")
    assert zoom == 13


def test_toggling_keeps_the_map_and_the_view(page: Page, app_server: str) -> None:
    open_page(page, app_server, OFFLINE)
    frame = map_frame(page)
    everything = _n_drawn([g.id for g in GROUPS if g.id != "user"])
    _wait_paths(frame, everything, page)
    # Mark the live map, then move it: both must survive a layer toggle.
    _iframe_eval(page, "() => { window.__alive = 1; window.map.setView([35.78, 114.33], 14); }")
    wait_idle(page)
    # The group checkbox (first); the layer tree below also lists the 道路 layer by name.
    page.locator('[data-testid="stSidebar"]').get_by_text("道路", exact=True).first.click()
    wait_idle(page)
    _wait_paths(frame, everything - _n_drawn(["roads"]), page)
    state = _iframe_eval(page, "() => [window.__alive, window.map.getZoom(),"
                               " window.map.getCenter().lat, window.map.getCenter().lng]")
    assert state[0] == 1, "the map iframe was remounted"
    assert state[1] == 14 and abs(state[2] - 35.78) < 1e-4 and abs(state[3] - 114.33) < 1e-4
    # The URL carries the view: a reload reopens it, roads still off.
    page.wait_for_function("() => location.search.includes('zoom=14')")
    assert "roads" not in re.search(r"groups=([^&]*)", page.url).group(1)  # type: ignore[union-attr]
    page.reload(wait_until="domcontentloaded")
    wait_idle(page)
    _wait_paths(frame, everything - _n_drawn(["roads"]), page)
    zoom, lat, lon = _iframe_eval(page, "() => [window.map.getZoom(), window.map.getCenter().lat,"
                                        " window.map.getCenter().lng]")
    assert zoom == 14 and abs(lat - 35.78) < 1e-4 and abs(lon - 114.33) < 1e-4


def test_measuring_distance_and_area(page: Page, app_server: str) -> None:
    open_page(page, app_server, "?basemap=none&groups=&zoom=14")
    frame = map_frame(page)
    frame.locator(".leaflet-control-measure-toggle").wait_for(timeout=60_000)
    toggle = frame.locator(".leaflet-control-measure-toggle").bounding_box()
    assert toggle is not None
    # The tool opens while the mouse is over it: click "start" without leaving it.
    page.mouse.move(toggle["x"] + 5, toggle["y"] + 5)
    start = frame.locator("a.start")
    expect(start).to_be_visible()
    box = start.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2, steps=3)
    page.mouse.click(box["x"] + 5, box["y"] + box["height"] / 2)
    expect(frame.locator("a.finish")).to_be_attached()
    # A 2 km × 2 km square (built in EPSG:4547) is 4 km² = 6,000 亩; it stays left of and
    # below the tool's panel (top right), which takes the clicks it covers.
    to_wgs = Transformer.from_crs(4547, 4326, always_xy=True)
    x0, y0 = Transformer.from_crs(4326, 4547, always_xy=True).transform(114.278, 35.744)
    corners = [to_wgs.transform(x0 + dx, y0 + dy)
               for dx, dy in ((0, 0), (2000, 0), (2000, 2000), (0, 2000))]
    for lon, lat in corners:
        x, y = _page_xy(page, lat, lon)
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        page.wait_for_timeout(300)
    frame.locator("a.finish").click()
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("面积")
    text = popup.inner_text()
    area = float(re.search(r"([\d,]+) 平方米", text).group(1).replace(",", ""))  # type: ignore[union-attr]
    mu = float(re.search(r"\(([\d,.]+) 亩\)", text).group(1).replace(",", ""))  # type: ignore[union-attr]
    # Clicks land on whole pixels (~8 m at zoom 14): allow 2 %.
    assert abs(area - 4.0e6) / 4.0e6 < 0.02
    assert abs(mu - area / (10000 / 15)) < 1.0
    # The map did not jump while measuring (the Leaflet >= 1.8 bug).
    lat, lon = _iframe_eval(page, "() => [window.map.getCenter().lat, window.map.getCenter().lng]")
    assert abs(lat - 35.76) < 0.01 and abs(lon - 114.30) < 0.01


def test_tile_basemaps_are_the_only_outside_requests(
    page: Page, app_server: str, outside_requests: list[str]
) -> None:
    open_page(page, app_server, OFFLINE)
    _wait_paths(map_frame(page), _n_drawn([g.id for g in GROUPS if g.id != "user"]), page)
    assert outside_requests == []
    # Positive control: the guard does see tile requests once a tile basemap is chosen.
    page.locator('[data-testid="stSidebar"]').get_by_text("标准地图 (OpenStreetMap)").click()
    page.wait_for_function("() => location.search.includes('basemap=osm')")
    for _ in range(60):  # the machine may be busy: give the tiles up to 15 s to be asked for
        if outside_requests:
            break
        page.wait_for_timeout(250)
    assert outside_requests and all("tile.openstreetmap.org" in u for u in outside_requests)
    # No network for tiles: the map says so (both languages) instead of silently going grey.
    notice = map_frame(page).locator(".hebi-tile-notice")
    expect(notice).to_contain_text("底图瓦片无法加载", timeout=30_000)
    expect(notice).to_contain_text("Basemap tiles cannot be loaded")
    page.locator('[data-testid="stSidebar"]').get_by_text("无底图（离线）").click()
    page.wait_for_function("() => !location.search.includes('basemap=osm')")
    wait_idle(page)
    # Requests already in flight when the tile layer was removed may still arrive: wait
    # until the layer is gone from the map, then start counting afresh.
    map_frame(page).locator(".leaflet-tile").first.wait_for(state="detached", timeout=30_000)
    expect(map_frame(page).locator(".hebi-tile-notice")).to_have_count(0)
    page.wait_for_timeout(500)
    outside_requests.clear()
    _iframe_eval(page, "() => window.map.setView([35.7, 114.25], 13)")
    page.wait_for_timeout(1000)
    assert outside_requests == []


def _hostile_layer() -> bytes:
    ring = [[114.352, 35.702], [114.368, 35.702], [114.368, 35.712], [114.352, 35.712],
            [114.352, 35.702]]
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
               "properties": {"name": IMG + TEMPLATE + JINJA, TEMPLATE + IMG: IMG + JINJA}}
    return json.dumps({"type": "FeatureCollection", "features": [feature]},
                      ensure_ascii=False).encode()


def test_hostile_uploaded_layer_shows_text_and_runs_nothing(page: Page, app_server: str) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    title = f"层{IMG}{TEMPLATE}{JINJA}"
    add_my_layer(page, app_server, "x.geojson", _hostile_layer(), title, replace_ok=False)

    open_page(page, app_server, "?basemap=none&groups=user&lat=35.707&lon=114.36&zoom=14")
    frame = map_frame(page)
    # The worker's workspace may hold other uploaded layers (other tests) whose paths lie
    # outside this view and stay hidden: wait for a drawn one.
    frame.locator(f"{PATHS}:visible").first.wait_for(timeout=60_000)
    x, y = _page_xy(page, 35.707, 114.36)
    page.mouse.move(x, y)
    tooltip = frame.locator(".leaflet-tooltip")
    expect(tooltip).to_be_visible(timeout=10_000)
    text = tooltip.inner_text()
    assert IMG + TEMPLATE + JINJA in text  # shown literally, not run, not evaluated (49)
    assert IMG + JINJA in text and TEMPLATE + IMG in text
    page.mouse.click(x, y)
    wait_idle(page)
    details = page.locator('[data-testid="stColumn"]').filter(has_text="要素详情").last
    expect(details).to_contain_text("img src=x onerror")
    legend = page.locator(".hebi-legend")
    expect(legend).to_contain_text(title)
    assert page.evaluate(_NO_FLAG) == []
    assert frame.locator('img[src="x"]').count() == 0
    assert page.locator('img[src="x"]').count() == 0
    assert dialogs == []
    assert "49" not in text


def test_merged_layer_tooltip_names_the_feature_under_the_pointer(
    page: Page, app_server: str
) -> None:
    # Communities are drawn as one SVG path per style: the tooltip must still follow the pointer.
    blocks = layers.load_layer("communities")
    blocks = blocks[blocks.geometry.notna() & ~blocks.geometry.is_empty]
    picks = [blocks.iloc[0], blocks.iloc[len(blocks) // 2]]
    assert picks[0]["name"] != picks[1]["name"]
    start = picks[0].geometry.representative_point()
    open_page(page, app_server, f"?basemap=none&groups=life_circles&lat={start.y:.6f}"
                                f"&lon={start.x:.6f}&zoom=16")
    frame = map_frame(page)
    _wait_paths(frame, _n_drawn(["life_circles"]), page)
    # One merged path per style: the illustrative (schematic, dashed) blocks share one path,
    # the blocks of the communities the plan names (low) another.
    schematic = int((blocks["confidence"] == "schematic").sum())
    assert 1 < schematic < len(blocks)
    assert frame.locator(f'{PATHS}[data-hebi-n="{schematic}"]').count() == 1
    for row in picks:
        inner = row.geometry.representative_point()
        _iframe_eval(page, "([lat, lon]) => window.map.setView([lat, lon], 16, {animate: false})",
                     [inner.y, inner.x])
        page.wait_for_timeout(300)
        x, y = _page_xy(page, inner.y, inner.x)
        page.mouse.move(x - 3, y - 3)
        page.mouse.move(x, y, steps=2)
        tooltip = frame.locator(".leaflet-tooltip")
        expect(tooltip).to_contain_text(str(row["name"]), timeout=10_000)


# Seen at [lat, lon, zoom] (set in the same call: a rerun of the app cannot move the map in
# between), the SVG path of a merged points layer (window.HebiDots, told by its first point)
# under each of pts, and how many features it draws there (the layer's own path also counts
# those off the drawn area: data-hebi-off). Other layers' markers may lie over it.
_DOTS_PATHS_AT = """([view, pts, first]) => { const m = window.map;
  m.setView([view[0], view[1]], view[2], {animate: false});
  const layer = Object.values(m._layers).find(l => l._pieces && l._lls[0].equals(first)),
    own = [layer._path].concat(layer._pieces),
    b = document.querySelector('.leaflet-container').getBoundingClientRect();
  return pts.map(([lat, lon]) => { const p = m.latLngToContainerPoint([lat, lon]),
    e = document.elementsFromPoint(b.left + p.x, b.top + p.y).find(x => own.includes(x));
    if (!e) return null;
    if (!e.id) e.id = 'hebi-probe-' + Math.random().toString(36).slice(2);
    return [e.id, String(Number(e.getAttribute('data-hebi-n'))
                        - Number(e.getAttribute('data-hebi-off') || 0))]; }); }"""


def test_plan_points_are_one_path_per_style_and_identify(page: Page, app_server: str) -> None:
    # The plan's small point layers draw the points of one style as ONE Leaflet layer, one SVG
    # path per 256-pixel cell of the current zoom (no element, tooltip and listeners per point):
    # hover and click still name the point under the pointer, st_folium reports it, the details
    # panel shows it and the browser outlines it at once.
    nodes = layers.load_layer("nodes")
    assert nodes.geometry.notna().all() and len(nodes) > 2
    facilities = layers.load_layer("facilities")
    fac = facilities.geometry.iloc[0]
    props = {k: v for k, v in facilities.iloc[0].items() if k != "geometry"}
    assert layers.get_spec("facilities").style_for(props).marker != "circle"
    first = nodes.geometry.iloc[0]
    open_page(page, app_server, f"?basemap=none&groups=structure,facilities&lat={first.y:.6f}"
                                f"&lon={first.x:.6f}&zoom=16")
    frame = map_frame(page)
    _wait_paths(frame, _n_drawn(["structure", "facilities"]), page)
    # Two nodes of one cell (at zoom 14, world pixels as Leaflet rounds them) share a path,
    # which says how many it draws; each hover names its own node.
    cells = _iframe_eval(page, "(pts) => pts.map(([lat, lon]) => {"
                               " const p = window.map.project([lat, lon], 14).round(),"
                               " c = window.HEBI_DOT_PX;"
                               " return Math.floor(p.x / c) + ':' + Math.floor(p.y / c); })",
                         [[p.y, p.x] for p in nodes.geometry])
    by_cell: dict[str, list[int]] = {}
    for pos, key in enumerate(cells):
        by_cell.setdefault(key, []).append(pos)
    pair = max(by_cell.values(), key=len)
    assert len(pair) > 1, "some nodes lie in one cell"
    # Seen from their middle, so that the whole cell lies in the drawn area.
    mid = [sum(nodes.geometry.iloc[i].y for i in pair) / len(pair),
           sum(nodes.geometry.iloc[i].x for i in pair) / len(pair)]
    # The app may still be rerunning from the first view's report and draw its map afresh:
    # asked again until then.
    for _ in range(20):
        under = _iframe_eval(page, _DOTS_PATHS_AT, [
            [*mid, 14], [[nodes.geometry.iloc[i].y, nodes.geometry.iloc[i].x] for i in pair],
            [first.y, first.x]])
        if all(u is not None and u[1] == str(len(pair)) for u in under):
            break
        page.wait_for_timeout(500)
    assert all(u is not None and u[1] == str(len(pair)) for u in under), under
    assert len({u[0] for u in under}) == 1, "the nodes of a cell are one path"
    for pos in pair[:2]:
        p = nodes.geometry.iloc[pos]
        _iframe_eval(page, "([lat, lon]) => window.map.setView([lat, lon], 14, {animate: false})",
                     [p.y, p.x])
        page.wait_for_timeout(300)
        x, y = _page_xy(page, p.y, p.x)
        _hover_until(page, x, y, frame.locator(".leaflet-tooltip",
                                              has_text=str(nodes["name"].iloc[pos])), -3, -3)
    # The paths of the layer together count every node, those off the drawn area too.
    counts = _iframe_eval(page, "(first) => Object.values(window.map._layers)"
                                ".filter(l => l._pieces && l._lls[0].equals(first))"
                                ".map(l => [l._path].concat(l._pieces.filter(e => e.parentNode))"
                                ".reduce((a, e) => a + Number(e.getAttribute('data-hebi-n')), 0))",
                          [first.y, first.x])
    assert counts == [len(nodes)]
    # A facility (a shape marker, not a circle) names itself too.
    _iframe_eval(page, "([lat, lon]) => window.map.setView([lat, lon], 17, {animate: false})",
                 [fac.y, fac.x])
    page.wait_for_timeout(300)
    x, y = _page_xy(page, fac.y, fac.x)
    _hover_until(page, x, y, frame.locator(".leaflet-tooltip",
                                          has_text=str(facilities["name"].iloc[0])), -3, -3)
    # A click on the last node: st_folium is told which node (the hidden reference in the
    # tooltip), the details panel shows it, and it is outlined where it is.
    pos = len(nodes) - 1
    p = nodes.geometry.iloc[pos]
    _iframe_eval(page, "([lat, lon]) => window.map.setView([lat, lon], 16, {animate: false})",
                 [p.y, p.x])
    page.wait_for_timeout(300)
    x, y = _page_xy(page, p.y, p.x)
    details = page.locator('[data-testid="stColumn"]').filter(has_text="要素详情").last
    _click_until(page, x, y, details, str(nodes["name"].iloc[pos]))
    state = _iframe_eval(page, "() => { const h = window.hebiClickHighlight;"
                               " return [window.__GLOBAL_DATA__.last_object_clicked_tooltip,"
                               " h && h.getLatLng()]; }")
    assert f"[[ref:nodes#{pos}]]" in state[0]
    assert state[1] is not None
    assert state[1]["lat"] == pytest.approx(p.y, abs=2e-6)
    assert state[1]["lng"] == pytest.approx(p.x, abs=2e-6)


def test_thousands_of_points_share_one_canvas_and_cluster(page: Page, app_server: str) -> None:
    # Past window.HEBI_MANY_POINTS (2,000) an uploaded point layer is one canvas, no SVG per point.
    n = 2500
    feats = [{"type": "Feature", "properties": {"name": f"调查点{i}"},
              "geometry": {"type": "Point",
                           "coordinates": [114.30 + (i % 50) * 0.0004, 35.75 + (i // 50) * 0.0004]}}
             for i in range(n)]
    body = json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)
    add_my_layer(page, app_server, "pts.geojson", body.encode(), "调查点2500")
    open_page(page, app_server, "?basemap=none&groups=user&lat=35.76&lon=114.31&zoom=14")
    frame = map_frame(page)
    canvas = frame.locator(f'canvas[data-hebi-points="{n}"]')
    canvas.wait_for(state="attached", timeout=60_000)
    assert frame.locator("path.leaflet-interactive").count() < 50  # other layers only
    # At zoom 14 the points overlap: clusters, whose tooltip counts what they hold.
    box = canvas.bounding_box()
    assert box is not None
    x, y = _page_xy(page, 35.75 + 25 * 0.0004, 114.30 + 25 * 0.0004)
    tooltip = frame.locator(".leaflet-tooltip")
    for dx in range(-12, 13, 4):
        page.mouse.move(x + dx, y)
        page.wait_for_timeout(100)
        if tooltip.count():
            break
    expect(tooltip.first).to_contain_text("个要素")
    # Close in, every point is itself again and names itself. A point away from (114.30, 35.75),
    # where other tests on this worker put their own uploads (whose tooltips would win).
    lat, lon = 35.75 + 24 * 0.0004, 114.30 + 49 * 0.0004  # 调查点1249
    _iframe_eval(page, "([lat, lon]) => { window.map.setView([lat, lon], 19, {animate: false}); }",
                 [lat, lon])
    page.wait_for_timeout(500)
    x, y = _page_xy(page, lat, lon)
    page.mouse.move(x - 3, y - 3)
    page.mouse.move(x, y, steps=2)
    expect(frame.locator(".leaflet-tooltip", has_text="调查点1249").first).to_be_visible(
        timeout=10_000)
    # A point drawn after a zoom (its marker made then) is still identified by a click.
    details = page.locator('[data-testid="stColumn"]').filter(has_text="要素详情").last
    _click_until(page, x, y, details, "调查点1249")


def _canvas_shapes_upload() -> tuple[bytes, int]:
    """800 street lines and, above the first 300, a small block each (1,100 features).

    Few vertices (3,100), so the layer stays whole within its share of the map's drawing
    budget however many layers other tests have uploaded on this worker.
    """
    feats: list[dict[str, Any]] = []
    for k in range(800):
        x, y = 114.40 + (k % 35) * 0.001, 35.80 + (k // 35) * 0.001
        ring = [[x, y], [x + 0.0006, y], [x + 0.0006, y + 0.0006], [x, y + 0.0006], [x, y]]
        if k < 300:
            feats.append({"type": "Feature", "properties": {"name": f"地块{k}"},
                          "geometry": {"type": "Polygon", "coordinates": [ring]}})
        feats.append({"type": "Feature", "properties": {"name": f"道路{k}"},
                      "geometry": {"type": "LineString",
                                   "coordinates": [[x, y - 0.0002], [x + 0.0008, y - 0.0002]]}})
    body = json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False)
    return body.encode(), len(feats)


def _hover_until(page: Page, x: float, y: float, tip: Locator, dx: float = -4,
                 dy: float = -4) -> None:
    """Move the pointer onto (x, y) from (x+dx, y+dy) until ``tip`` shows (a canvas reads the
    pointer at most every 32 ms, so a single move may go unseen on a busy machine)."""
    for _ in range(3):
        page.mouse.move(x + dx, y + dy)
        page.mouse.move(x, y, steps=3)
        try:
            tip.first.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeoutError:
            continue
    expect(tip.first).to_be_visible(timeout=10_000)


def _click_until(page: Page, x: float, y: float, details: Locator, text: str) -> None:
    """Click (x, y) until ``details`` names ``text`` (a click during a rerun is dropped)."""
    for _ in range(3):
        page.mouse.click(x, y)
        wait_idle(page)
        try:
            expect(details).to_contain_text(text, timeout=10_000)
            break
        except AssertionError:
            continue
    expect(details).to_contain_text(text)


def test_thousands_of_lines_and_areas_share_one_canvas_and_identify(
    page: Page, app_server: str
) -> None:
    # Past window.HEBI_MANY_SHAPES (1,000) lines and areas are drawn on the map's one canvas,
    # with one pointer handler per merged path: hover, click-identify and highlight still name
    # the feature under the pointer.
    body, n = _canvas_shapes_upload()
    add_my_layer(page, app_server, "blocks.geojson", body, "地块与道路")
    k = 144  # 地块144 / 道路144, well inside the grid of blocks
    x0, y0 = 114.40 + (k % 35) * 0.001, 35.80 + (k // 35) * 0.001
    lat, lon = y0 + 0.0003, x0 + 0.0003  # the block's centre
    page.set_viewport_size({"width": 1400, "height": 1050})  # room for the details panel
    open_page(page, app_server, f"?basemap=none&groups=user&lat={lat:.6f}&lon={lon:.6f}&zoom=17")
    frame = map_frame(page)
    canvas = frame.locator(f'canvas[data-hebi-shapes="{n}"]')
    canvas.wait_for(state="attached", timeout=60_000)
    # No SVG element per feature: other tests' small uploads only.
    assert frame.locator(PATHS).count() < 50
    # Hover names the block under the pointer; a click identifies it and outlines it at once.
    x, y = _page_xy(page, lat, lon)
    _hover_until(page, x, y, frame.locator(".leaflet-tooltip", has_text=f"地块{k}"))
    details = page.locator('[data-testid="stColumn"]').filter(has_text="要素详情").last
    _click_until(page, x, y, details, f"地块{k}")
    expect(details).to_contain_text("面积")
    outline = _iframe_eval(page, "() => window.hebiClickHighlight"
                                 " ? window.hebiClickHighlight.getBounds().toBBoxString() : null")
    assert outline is not None
    west, south, east, north = (float(v) for v in outline.split(","))
    assert abs(west - x0) < 1e-5 and abs(east - (x0 + 0.0006)) < 1e-5
    assert abs(south - y0) < 1e-5 and abs(north - (y0 + 0.0006)) < 1e-5
    # A street (a line on the same canvas) under the pointer names itself and is identified.
    lx, ly = _page_xy(page, y0 - 0.0002, x0 + 0.0004)
    # Along the street: every position the canvas may read on the way is on the street.
    _hover_until(page, lx, ly, frame.locator(".leaflet-tooltip", has_text=f"道路{k}"), -6, 0)
    _click_until(page, lx, ly, details, f"道路{k}")
    expect(details).to_contain_text("长度")
    # With the canvas on the map, the plan's own SVG areas (the bonded zone and its sub-zones)
    # still answer the pointer.
    zone = layers.load_layer("bonded_zone").geometry.iloc[0].representative_point()
    open_page(page, app_server,
              f"?basemap=none&groups=user,parks&lat={zone.y:.6f}&lon={zone.x:.6f}&zoom=15")
    frame = map_frame(page)
    frame.locator(f'canvas[data-hebi-shapes="{n}"]').wait_for(state="attached", timeout=60_000)
    zx, zy = _page_xy(page, zone.y, zone.x)
    plan_tip = frame.locator(".leaflet-tooltip",
                             has_text=re.compile("鹤壁综合保税区|口岸联动区|综合服务区|保税功能区"))
    _hover_until(page, zx, zy, plan_tip)


# Every layer whose long dashed outline is drawn in pieces (spatial.webmap_dash): its own path's
# length, the pieces in the page (length, box, dash, offset, first and last point, subpaths).
_DASH_PIECES = """() => {
  const out = [];
  window.map.eachLayer(l => {
    const path = l._path, pieces = (l._hebiPieces || []).filter(e => e.parentNode);
    if (!path || !pieces.length) return;
    out.push({
      stroke: path.getAttribute("stroke"), fill: path.getAttribute("fill"),
      length: path.getTotalLength(), dash: l.options.dashArray,
      pieces: pieces.map(e => {
        const n = e.getTotalLength(), b = e.getBBox(), a = e.getPointAtLength(0),
          z = e.getPointAtLength(n), m = e.getScreenCTM();
        return {length: n, w: b.width, h: b.height, dash: e.getAttribute("stroke-dasharray"),
                off: Number(e.getAttribute("stroke-dashoffset")), n: e.getAttribute("data-hebi-n"),
                subpaths: (e.getAttribute("d").match(/M/g) || []).length,
                first: [a.x, a.y], last: [z.x, z.y], ctm: [m.a, m.d, m.e, m.f]};
      }),
    });
  });
  return out;
}"""


def test_long_dashed_outlines_are_drawn_in_pieces(page: Page, app_server: str) -> None:
    # A browser dashes a path again for every raster tile its box touches: long dashed outlines
    # (boundaries, railways, schematic features) are stroked as pieces of about 256 px instead.
    frame = _open_plan_drawn(page, app_server)
    for zoom_step in (0, 1):
        if zoom_step:
            _iframe_eval(page, "() => window.map.setZoom(window.map.getZoom() + 1, "
                               "{animate: false})")
            page.wait_for_timeout(500)
        drawn = _iframe_eval(page, _DASH_PIECES)
        assert len(drawn) >= 3, drawn
        for layer in drawn:
            # The layer's own path keeps the fill and the events; the pieces draw the outline,
            # all of it, with the layer's dash, and count as no feature of their own.
            assert layer["stroke"] == "none"
            assert sum(p["length"] for p in layer["pieces"]) == pytest.approx(layer["length"],
                                                                            rel=0.02)
            period = sum(float(v) for v in re.split(r"[ ,]+", layer["dash"]))
            for a, b in zip(layer["pieces"], layer["pieces"][1:], strict=False):
                assert a["dash"] == layer["dash"] and a["n"] == "0"
                assert max(a["w"], a["h"]) <= 256 + 1
                # Where a cut line goes on in the next piece, its dash pattern goes on too.
                if a["subpaths"] == b["subpaths"] == 1 and a["last"] == pytest.approx(b["first"],
                                                                                     abs=0.2):
                    gap = (a["off"] + a["length"] - b["off"]) % period
                    assert min(gap, period - gap) < 0.6
    # The pointer on a dash of an outline drawn in pieces finds the layer's feature.
    box = page.locator(MAP_IFRAME).first.bounding_box()
    assert box is not None
    spots = _iframe_eval(page, _ON_A_DASH)
    assert spots
    tooltip = frame.locator(".leaflet-tooltip")
    shown = ""
    on_piece = "([x, y]) => !!document.elementFromPoint(x, y)?.hasAttribute('stroke-dashoffset')"
    spots = [xy for xy in spots if _iframe_eval(page, on_piece, xy)]
    assert spots  # the pointer there meets a piece, nothing above it
    for x, y in spots[:8]:
        page.mouse.move(box["x"] + x - 4, box["y"] + y - 4)
        page.mouse.move(box["x"] + x, box["y"] + y, steps=3)
        try:
            tooltip.first.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeoutError:
            continue
        shown = tooltip.first.inner_text().strip()
        if shown:
            break
    assert shown


# Points (iframe px) half way along a dash near the middle of each piece of a dashed line (no
# fill) drawn in pieces, the map's middle first.
_ON_A_DASH = """() => {
  const out = [], size = window.map.getSize();
  window.map.eachLayer(l => {
    if (!l._path || l._path.getAttribute("fill") !== "none") return;
    const dash = String(l.options.dashArray).split(/[ ,]+/).map(Number);
    const period = dash.reduce((a, b) => a + b, 0);
    (l._hebiPieces || []).filter(e => e.parentNode).forEach(e => {
      const n = e.getTotalLength(), off = Number(e.getAttribute("stroke-dashoffset"));
      if ((e.getAttribute("d").match(/M/g) || []).length !== 1 || n < 4 * period) return;
      let s = n / 2;
      s += (((dash[0] / 2 - (s + off) % period) % period) + period) % period;
      const p = e.getPointAtLength(s).matrixTransform(e.getScreenCTM());
      if (p.x > 20 && p.y > 20 && p.x < size.x - 20 && p.y < size.y - 20) out.push([p.x, p.y]);
    });
  });
  const cx = size.x / 2, cy = size.y / 2;
  return out.sort((a, b) => Math.hypot(a[0] - cx, a[1] - cy) - Math.hypot(b[0] - cx, b[1] - cy));
}"""


def test_labels_stay_put_across_a_pan_and_are_rebuilt_on_a_zoom(
    page: Page, app_server: str
) -> None:
    # After a pan a label placed where it stood keeps its element (it moves with the map); a
    # zoom places every label again. Either way no two labels overlap.
    open_page(page, app_server, OFFLINE)
    before = {(lab["layer"], lab["text"]): lab["boxes"][0] for lab in _wait_labels(page)}
    mark = "() => document.querySelectorAll('.hebi-label').forEach(e => { e.__hebiKept = 1; })"
    kept = ("() => Array.from(document.querySelectorAll('.hebi-label'))"
            ".filter(e => e.__hebiKept)"
            ".map(e => [e.getAttribute('data-hebi-layer'), e.textContent])")
    _iframe_eval(page, mark)
    after = _relaid(page, "() => { window.map.panBy([60, 40], {animate: false}); }")
    same = {tuple(k) for k in _iframe_eval(page, kept)}
    assert len(same) >= len(before) // 2, (len(same), len(before))
    for lab in after:
        if (lab["layer"], lab["text"]) in same:  # moved with the map, by the pan
            x0, y0, _, _ = before[lab["layer"], lab["text"]]
            assert lab["boxes"][0][0] == pytest.approx(x0 - 60, abs=1)
            assert lab["boxes"][0][1] == pytest.approx(y0 - 40, abs=1)
    for i, a in enumerate(after):  # inside the map, and no two labels overlap
        assert all(x[0] >= 0 and x[1] >= 0 and x[2] <= a["size"][0] + 0.5
                   and x[3] <= a["size"][1] + 0.5 for x in a["boxes"]), a["text"]
        for b in after[i + 1:]:
            assert not any(_overlaps(x, y) for x in a["boxes"] for y in b["boxes"]), \
                (a["text"], b["text"])
    _iframe_eval(page, mark)
    zoomed = _relaid(page, "() => { window.map.setZoom(window.map.getZoom() + 1, "
                           "{animate: false}); }")
    assert zoomed and _iframe_eval(page, kept) == []


# Every plan path kept as numbers (spatial.webmap_rings) against a plain Leaflet polygon or
# polyline of its own coordinates (getLatLngs), projected, clipped and simplified by Leaflet
# alone for the same view: the SVG path drawn, the bounds and the layer points must be the same.
_AS_LEAFLET = """() => {
  const map = window.map, out = {paths: 0, rings: 0, drawn: 0, diff: []};
  map.eachLayer(l => {
    if (!l._hebi || !l._path) return;
    const closed = l instanceof L.Polygon;
    const twin = (closed ? L.polygon : L.polyline)(l.getLatLngs(), L.extend({}, l.options));
    twin._map = map; twin._renderer = l._renderer;
    twin._project(); twin._clipPoints(); twin._simplifyPoints();
    const want = L.SVG.pointsToPath(twin._parts, closed), got = l._path.getAttribute("d");
    out.paths += 1; out.rings += twin._rings.length; out.drawn += twin._parts.length;
    if (got !== want) out.diff.push(["d", got.slice(0, 80), want.slice(0, 80)]);
    if (!l.getBounds().equals(twin.getBounds(), 0)) out.diff.push(["bounds"]);
    if (!l._pxBounds.equals(twin._pxBounds)) out.diff.push(["pixel bounds"]);
    const mine = l._hebiRingsNow();  // the rings near the view, as point objects
    mine.forEach((ring, r) => {
      if (ring.length && ring.some((p, i) => !p.equals(twin._rings[r][i]))) {
        out.diff.push(["ring", r]);
      }
    });
  });
  return out;
}"""


def test_plan_paths_draw_what_leaflet_draws_at_every_zoom(page: Page, app_server: str) -> None:
    # The plan's lines and areas are projected ring by ring, only where seen, clipped and
    # simplified as numbers: what is drawn must stay exactly Leaflet's own drawing.
    _open_plan_drawn(page, app_server)
    # ... by the compiled loops (spatial.webmap_kernel): the browser has WebAssembly.
    assert _iframe_eval(page, "() => !!window.hebiKernel && !!window.hebiKernel.cut")

    def drawn_after(move: str) -> int:
        if move:
            _iframe_eval(page, f"() => {{ {move}; }}")
            page.wait_for_function(
                "(sel) => { const w = document.querySelector(sel).contentWindow;"
                " return !w.map._animatingZoom && !w.map._panAnim?._inProgress; }",
                arg=MAP_IFRAME, timeout=30_000)
            wait_idle(page)
        got = _iframe_eval(page, _AS_LEAFLET)
        assert got["paths"] >= 10 and got["drawn"] > 0, got
        assert got["diff"] == [], (move, got["diff"][:5])
        return int(got["drawn"])

    moves = ["", "window.map.setZoom(window.map.getZoom() + 1, {animate: false})",
             "window.map.panBy([500, 300], {animate: false})",
             "window.map.setZoom(window.map.getZoom() - 3, {animate: false})",
             "window.map.setZoom(window.map.getZoom() + 5, {animate: false})",
             "window.map.panBy([-700, -400], {animate: false})"]
    seen = {drawn_after(move) for move in moves}
    assert len(seen) > 1  # the moves changed what is drawn
    # Without WebAssembly the same loops run as JavaScript: the same drawing.
    drawn_after("window.hebiKernel = null;"
                " window.map.setZoom(window.map.getZoom() - 1, {animate: false})")
    drawn_after("window.map.panBy([300, -200], {animate: false})")
