"""Real browser: the coverage page shows its figures and a click on the map adds a facility."""

from __future__ import annotations

import numpy as np
import pytest
from playwright.sync_api import Page, expect

import layers
from spatial.coverage import analyse, gap_table, network_to_lonlat
from spatial.coverage_rules import load_rules
from tests.browser.conftest import map_frame, open_page, wait_idle

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
    assert _share(page) > before
    # The proposed facility is drawn (black outline) without remounting the map.
    expect(map_frame(page).locator('path[stroke="#000000"]')).to_have_count(1, timeout=30_000)
