"""Real browser: search a feature by name, the map zooms to it and outlines it; the layer tree.

Runs with the "none" basemap; the ``page`` fixture fails a test on any request
to a host that is not loopback.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

import layers
from layers.schema import GROUPS
from spatial.feature_search import feature_target
from tests.browser.conftest import MAP_IFRAME, map_frame, open_page, wait_idle

pytestmark = pytest.mark.browser

PLAN_GROUPS = ",".join(g.id for g in GROUPS if g.id != "user")
OFFLINE = f"?basemap=none&groups={PLAN_GROUPS}"
CYAN = np.array([0, 229, 255])  # spatial.map_overlays.HIGHLIGHT_STYLE colour


def _iframe_eval(page: Page, script: str, arg: Any = None) -> Any:
    handle = page.locator(MAP_IFRAME).first.element_handle()
    frame = handle.content_frame() if handle is not None else None
    assert frame is not None
    return frame.evaluate(script, arg)


def _cyan_pixels(page: Page) -> int:
    """Pixels of the map drawn in the highlight colour (any renderer: SVG or canvas)."""
    png = page.locator(MAP_IFRAME).first.screenshot()
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    return int((np.abs(rgb - CYAN).sum(axis=2) < 60).sum())


def _map_ready(page: Page) -> None:
    map_frame(page).locator(".leaflet-container").wait_for(timeout=60_000)
    page.wait_for_function(
        "(sel) => { const f = document.querySelector(sel); return f && f.contentWindow"
        " && f.contentWindow.map && f.contentDocument.querySelector('.leaflet-interactive'); }",
        arg=MAP_IFRAME, timeout=60_000)


def test_search_zooms_to_and_highlights_a_feature(page: Page, app_server: str) -> None:
    zone = layers.load_layer("bonded_zone")
    minx, miny, maxx, maxy = (float(v) for v in zone.total_bounds)
    target = feature_target(zone, [0], 760, 520)
    assert target is not None
    open_page(page, app_server, OFFLINE)
    _map_ready(page)
    _iframe_eval(page, "() => { window.__alive = 1; }")
    assert _cyan_pixels(page) < 20, "nothing is highlighted before a search"
    sidebar = page.locator('[data-testid="stSidebar"]')
    box = sidebar.get_by_placeholder("输入名称（中文或英文，可部分）")
    box.fill("综合保税")
    box.press("Enter")
    wait_idle(page)
    results = sidebar.get_by_role("radiogroup", name="查找结果")
    result = results.get_by_text("鹤壁综合保税区", exact=True)
    expect(result).to_be_visible(timeout=30_000)
    result.click()
    wait_idle(page)
    # The map moved to the zone (same iframe: not remounted) and outlines it.
    page.wait_for_function(
        "([sel, z]) => { const w = document.querySelector(sel).contentWindow;"
        " return w.hebiHighlight && w.map.getZoom() === z; }",
        arg=[MAP_IFRAME, target[1]], timeout=30_000)
    state = _iframe_eval(page, "() => [window.__alive, window.hebiHighlight.label,"
                               " window.hebiHighlight.bounds,"
                               " window.map.getBounds().toBBoxString()]")
    assert state[0] == 1, "the map iframe was remounted"
    assert state[1] == "鹤壁综合保税区"
    (south, west), (north, east) = state[2]
    assert west == pytest.approx(minx, abs=1e-5) and east == pytest.approx(maxx, abs=1e-5)
    assert south == pytest.approx(miny, abs=1e-5) and north == pytest.approx(maxy, abs=1e-5)
    vw, vs, ve, vn = (float(v) for v in state[3].split(","))
    assert vw <= minx and ve >= maxx and vs <= miny and vn >= maxy, "the whole zone is in view"
    page.mouse.move(5, 5)  # no tooltip over the pixels
    page.wait_for_timeout(500)
    assert _cyan_pixels(page) > 500, "the zone's outline is drawn in the highlight colour"
    # Its details are shown beside the map.
    details = page.locator('[data-testid="stColumn"]').filter(has_text="要素详情").last
    expect(details).to_contain_text("鹤壁综合保税区")
    # A click on the map then replaces the searched feature: outlined at once in the browser,
    # the search highlight withdrawn by the server (same map, not remounted).
    inner = zone.geometry.iloc[0].representative_point()
    x, y = _iframe_eval(
        page, "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]);"
              " return [p.x, p.y]; }", [inner.y, inner.x])
    frame_box = page.locator(MAP_IFRAME).first.bounding_box()
    assert frame_box is not None
    for _ in range(3):  # a click landing while the app reruns is dropped: click again
        page.mouse.click(frame_box["x"] + x, frame_box["y"] + y)
        try:
            page.wait_for_function(
                "(sel) => { const w = document.querySelector(sel).contentWindow;"
                " return !!w.hebiClickHighlight && !w.hebiHighlight; }",
                arg=MAP_IFRAME, timeout=15_000)
            break
        except PlaywrightTimeoutError:
            wait_idle(page)
    assert _iframe_eval(page, "() => [!!window.hebiClickHighlight, !window.hebiHighlight,"
                              " window.__alive]") == [True, True, 1]


def test_a_clicked_feature_is_outlined_at_once(page: Page, app_server: str) -> None:
    zone = layers.load_layer("bonded_zone")
    inner = zone.geometry.iloc[0].representative_point()
    open_page(page, app_server, OFFLINE)
    _map_ready(page)
    box = page.locator(MAP_IFRAME).first.bounding_box()
    assert box is not None
    x, y = _iframe_eval(
        page, "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]);"
              " return [p.x, p.y]; }", [inner.y, inner.x])
    assert _cyan_pixels(page) < 20
    for _ in range(3):  # a click landing while the app reruns is dropped: click again
        page.mouse.click(box["x"] + x, box["y"] + y)
        try:
            page.wait_for_function(
                "(sel) => !!document.querySelector(sel).contentWindow.hebiClickHighlight",
                arg=MAP_IFRAME, timeout=10_000)
            break
        except PlaywrightTimeoutError:
            wait_idle(page)
    bounds = _iframe_eval(page, "() => window.hebiClickHighlight.getBounds().toBBoxString()")
    w, s, e, n = (float(v) for v in bounds.split(","))
    assert w <= inner.x <= e and s <= inner.y <= n, "the outlined feature is under the click"
    page.mouse.move(5, 5)
    page.wait_for_timeout(500)
    assert _cyan_pixels(page) > 200
    # A click on empty map (far outside every feature) clears it.
    wait_idle(page)
    _iframe_eval(page, "() => window.map.setView([36.5, 115.5], 12)")
    page.wait_for_timeout(500)
    page.mouse.click(box["x"] + 300, box["y"] + 300)
    page.wait_for_function(
        "(sel) => !document.querySelector(sel).contentWindow.hebiClickHighlight",
        arg=MAP_IFRAME, timeout=10_000)
