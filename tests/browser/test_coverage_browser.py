"""Real browser: the coverage page shows its figures and a click on the map adds a facility."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

import layers
from spatial.coverage import analyse, gap_table, network_to_lonlat
from spatial.coverage_rules import load_rules
from tests.browser.conftest import ARTIFACTS, map_frame, open_page, wait_idle

pytestmark = pytest.mark.browser

METRIC = '[data-testid="stMetric"]'
# Finds the page's Leaflet map inside the st_folium iframe and converts lat/lon to pixels.
_TO_PIXELS = """(points) => {
  const map = window.map || Object.values(window).find((v) => v instanceof L.Map);
  const size = map.getSize();
  const box = map.getContainer().getBoundingClientRect();
  for (const [lat, lon] of points) {
    const p = map.latLngToContainerPoint([lat, lon]);
    if (p.x > 60 && p.y > 60 && p.x < size.x - 60 && p.y < size.y - 60) {
      return [box.left + p.x, box.top + p.y];
    }
  }
  return null;
}"""


def _candidate_clicks() -> list[tuple[float, float]]:
    """Road points next to health/5-min gaps in the shipped data, largest gap first."""
    frames = {i: layers.load_layer(i) for i in ("roads", "facilities", "communities")}
    model, _ = analyse(frames["roads"], frames["facilities"], frames["communities"], load_rules())
    gaps = gap_table(model)
    gaps = gaps[(gaps["category"] == "health") & (gaps["level_min"] == 5)]
    out = []
    for place in gaps["place_id"]:
        i = int(np.flatnonzero(model.places.ids == place)[0])
        seg, along = model.places.snapped.segment[i], model.places.snapped.along[i]
        if seg < 0:
            continue
        pt = model.network.segments[seg].interpolate(along)
        lon, lat = network_to_lonlat(model.network, [pt.x], [pt.y])
        out.append((float(lat[0]), float(lon[0])))
    return out


def _share(page: Page) -> float:
    metric = page.locator(METRIC).filter(has_text="覆盖人口比例")
    value = metric.locator('[data-testid="stMetricValue"]').inner_text()
    return float(value.strip().rstrip("%"))


def _click_a_gap(page: Page, points: list[tuple[float, float]]) -> None:
    """Click the map on the first gap in view: the what-if adds a facility there."""
    iframe = page.locator('iframe[title="streamlit_folium.st_folium"]').first
    iframe.scroll_into_view_if_needed()
    body = iframe.content_frame.locator("body")
    # st_folium moves the map to the page's centre and zoom after it loads: wait for that.
    for _ in range(100):
        if body.evaluate("() => !!window.map && window.map.getZoom() === 13"):
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(500)
    pixel = body.evaluate(f"(_, pts) => ({_TO_PIXELS})(pts)", points)
    assert pixel is not None, "no gap on the visible map"
    box = iframe.bounding_box()
    assert box is not None
    # A real mouse click at that spot; a drawn area may lie on top, and Leaflet passes
    # the click on to the map as it does for a planner.
    page.mouse.click(box["x"] + pixel[0], box["y"] + pixel[1])
    wait_idle(page)
    expect(page.get_by_text("已做 1 项推演修改。")).to_be_visible(timeout=30_000)


def test_coverage_page_table_and_what_if_click(page: Page, app_server: str) -> None:
    points = _candidate_clicks()
    assert points, "the shipped data should have a health gap at 5 min"
    open_page(page, app_server, "coverage?basemap=none&category=health&level=5")
    expect(page.get_by_text("生活圈步行覆盖分析")).to_be_visible(timeout=60_000)
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=30_000)
    before = _share(page)

    frame = map_frame(page)
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=30_000)
    expect(frame.locator("path.leaflet-interactive").first).to_be_attached(timeout=30_000)
    _click_a_gap(page, points)
    assert _share(page) > before
    # The proposed facility is drawn (black outline) without remounting the map.
    expect(map_frame(page).locator('path[stroke="#000000"]')).to_have_count(1, timeout=30_000)


def test_a_saved_scenario_swipes_against_the_current_run(page: Page, app_server: str) -> None:
    """方案对比 on the map: the saved 方案 right of the 卷帘 bar, the current run (with its
    what-if facility) left of it."""
    points = _candidate_clicks()
    page.set_viewport_size({"width": 1600, "height": 1000})
    open_page(page, app_server, "coverage?basemap=none&category=health&level=5")
    expect(page.get_by_text("生活圈步行覆盖分析")).to_be_visible(timeout=60_000)
    page.get_by_text("方案（保存、载入、对比）").click()
    page.get_by_label("方案名称").fill("卷帘测试方案")
    page.keyboard.press("Tab")
    wait_idle(page)
    page.get_by_role("button", name="保存当前方案").click()
    wait_idle(page)
    expect(page.get_by_text("已保存方案“卷帘测试方案”。")).to_be_visible(timeout=30_000)
    # A what-if facility makes the current run differ from the saved one.
    _click_a_gap(page, points)
    # Compare with the saved scenario, by 卷帘.
    compare = page.get_by_role("combobox", name="与当前方案并排对比")
    if not compare.is_visible():
        page.get_by_text("方案（保存、载入、对比）").click()
    option = page.get_by_role("option", name="卷帘测试方案", exact=True)
    for _ in range(3):  # a rerun under way (the map's click reply) may close the list again
        wait_idle(page)
        compare.click()
        try:
            option.wait_for(state="visible", timeout=10_000)
            option.click()
            break
        except PlaywrightTimeoutError:
            continue
    wait_idle(page)
    modes = page.get_by_role("radiogroup").filter(has_text="卷帘")
    expect(modes).to_be_visible(timeout=30_000)
    swipe = modes.get_by_role("radio", name="卷帘")
    for _ in range(3):  # a click landing while the page reruns (the map's reply) is dropped
        wait_idle(page)
        modes.get_by_text("卷帘").click()
        wait_idle(page)
        try:
            expect(swipe).to_be_checked(timeout=10_000)
            break
        except AssertionError:
            continue
    expect(swipe).to_be_checked()
    frame = map_frame(page)
    expect(frame.locator(".leaflet-sbs-divider")).to_be_visible(timeout=30_000)
    right = frame.locator(".leaflet-hebiRightLayers-pane path.leaflet-interactive")
    expect(right.first).to_be_attached(timeout=30_000)
    # The what-if facility (black outline) is the current run's: left of the bar only.
    left_pane = frame.locator(".leaflet-overlay-pane")
    expect(left_pane.locator('path[stroke="#000000"]')).to_have_count(1, timeout=30_000)
    expect(frame.locator('.leaflet-hebiRightLayers-pane path[stroke="#000000"]')).to_have_count(0)
    # The saved scenario's places on the right carry the same classes as the left ones.
    assert right.count() > 10
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator('iframe[title="streamlit_folium.st_folium"]').first.screenshot(
        path=str(ARTIFACTS / "coverage_scenario_swipe.png"))


def test_suggested_sites_are_numbered_on_the_map_and_in_the_legend(
    page: Page, app_server: str
) -> None:
    """计算建议选址: each site a numbered square on the map (1, 2, 3 as in the table), a legend
    row for them, the table under the map; at 1366×768 the GeoPackage button is not cut off."""
    page.set_viewport_size({"width": 1366, "height": 768})
    open_page(page, app_server, "coverage?basemap=none&category=elderly&level=5")
    expect(page.get_by_text("生活圈步行覆盖分析")).to_be_visible(timeout=60_000)
    frame = map_frame(page)
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=30_000)
    wait_idle(page)
    page.get_by_role("button", name="计算建议选址").click()
    wait_idle(page)
    expect(page.get_by_text("处建议选址：地图上以紫色编号方块标出")).to_be_visible(timeout=60_000)
    sites = map_frame(page).locator(".hebi-cov-site")
    expect(sites).to_have_count(3, timeout=30_000)
    assert sorted(s.strip() for s in sites.all_inner_texts()) == ["1", "2", "3"]
    expect(page.get_by_text("建议选址（编号同选址表）")).to_be_visible(timeout=30_000)
    table = page.locator('[data-testid="stDataFrame"]').filter(has_text="累计覆盖率")
    expect(table).to_be_visible(timeout=30_000)
    page.locator('iframe[title="streamlit_folium.st_folium"]').first.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "coverage_suggested_sites.png"))
    # The downloads tab: the GeoPackage button's whole label fits.
    page.get_by_role("tab", name="下载").click()
    button = page.get_by_role("button", name="下载结果图层（GeoPackage，含步行服务范围）")
    expect(button).to_be_visible(timeout=30_000)
    fits = button.evaluate(
        "(b) => [...b.querySelectorAll('*')].concat([b])"
        ".every((e) => e.scrollWidth <= e.clientWidth + 1)")
    assert fits, "the GeoPackage button's label is cut off"
