"""Real browser: 卷帘 (swipe) reveals each view at either end; 分屏 maps stay in step after a pan.

Left view: the plan structure (reds, orange, purple); right view: green space and
water (greens, blues); no basemap (offline). Pixels are read from a screenshot
of the map frame, so the check holds whatever the layers are drawn with.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page

from tests.browser.conftest import MAP_IFRAME, map_frame, open_page, wait_idle

pytestmark = pytest.mark.browser

COMPARE = "?basemap=none&groups=structure&cmp_basemap=none&cmp_groups=green&zoom=13"


def _iframe_eval(page: Page, script: str, arg: Any = None) -> Any:
    handle = page.locator(MAP_IFRAME).first.element_handle()
    frame = handle.content_frame() if handle is not None else None
    assert frame is not None
    return frame.evaluate(script, arg)


def _colours(page: Page, margin: int = 40) -> tuple[int, int]:
    """(reddish, greenish) pixel counts in the map frame, away from its edges and controls."""
    png = page.locator(MAP_IFRAME).first.screenshot()
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    rgb = rgb[margin:-margin, margin:-margin]
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    red = (r > g + 60) & (r > b + 40)
    green = (g > r + 30) & (g > b + 10)
    return int(red.sum()), int(green.sum())


def test_swipe_reveals_each_side(page: Page, app_server: str) -> None:
    open_page(page, app_server, COMPARE + "&cmp=swipe")
    frame = map_frame(page)
    frame.locator(".leaflet-sbs-range").wait_for(state="attached", timeout=60_000)
    page.wait_for_function(
        "(sel) => { const d = document.querySelector(sel).contentDocument;"
        " return d.querySelectorAll('.leaflet-pane.leaflet-hebiRightLayers-pane path').length > 0"
        " && d.querySelectorAll('.leaflet-overlay-pane path').length > 0; }",
        arg=MAP_IFRAME, timeout=60_000)
    wait_idle(page)
    _iframe_eval(page, "() => { window.__alive = 1; }")
    half_red, half_green = _colours(page)
    assert half_red > 200 and half_green > 200, "at the middle both views show"
    thumb = frame.locator(".leaflet-sbs-divider").bounding_box()
    box = page.locator(MAP_IFRAME).first.bounding_box()
    assert thumb is not None and box is not None
    x0, y0 = thumb["x"] + thumb["width"] / 2, box["y"] + box["height"] / 2

    at = [x0]  # where the bar is now

    def drag_to(x: float) -> None:
        page.mouse.move(at[0], y0)
        page.mouse.down()
        page.mouse.move(x, y0, steps=12)
        page.mouse.up()
        at[0] = x
        page.wait_for_timeout(300)

    # Bar at the right end: the left view (structure) fills the map.
    drag_to(box["x"] + box["width"] - 2)
    red, green = _colours(page)
    assert red > 200 and green < 20, (red, green)
    # Bar at the left end: the right view (green space and water) fills the map.
    drag_to(box["x"] + 2)
    red, green = _colours(page)
    assert green > 200 and red < 20, (red, green)
    assert _iframe_eval(page, "() => window.__alive") == 1, "the map was not remounted"


def test_side_by_side_maps_stay_in_step_after_a_pan(page: Page, app_server: str) -> None:
    open_page(page, app_server, COMPARE + "&cmp=split")
    frame = map_frame(page)
    frame.locator(".hebi-split-map.leaflet-container").wait_for(timeout=60_000)
    page.wait_for_function(
        "(sel) => { const d = document.querySelector(sel).contentDocument;"
        " return d.querySelectorAll('.hebi-split-map path.leaflet-interactive').length > 0; }",
        arg=MAP_IFRAME, timeout=60_000)
    wait_idle(page)
    # Each half draws its own view.
    left_paths = frame.locator(".leaflet-container:not(.hebi-split-map) path.leaflet-interactive")
    right_paths = frame.locator(".hebi-split-map path.leaflet-interactive")
    assert left_paths.count() > 0 and right_paths.count() > 0
    box = page.locator(MAP_IFRAME).first.bounding_box()
    assert box is not None
    before = _iframe_eval(page, "() => [window.map.getCenter().lat, window.map.getCenter().lng]")
    # Drag the left map by hand.
    x, y = box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 120, y + 80, steps=10)
    page.mouse.up()
    page.wait_for_timeout(800)
    left, right = _iframe_eval(
        page, "() => [[window.map.getCenter().lat, window.map.getCenter().lng,"
              " window.map.getZoom()], [window.hebiRightMap.getCenter().lat,"
              " window.hebiRightMap.getCenter().lng, window.hebiRightMap.getZoom()]]")
    assert abs(left[0] - before[0]) + abs(left[1] - before[1]) > 1e-3, "the left map moved"
    assert left[0] == pytest.approx(right[0], abs=1e-6)
    assert left[1] == pytest.approx(right[1], abs=1e-6)
    assert left[2] == right[2]
    # And the other way: zoom the right map, the left follows.
    _iframe_eval(page, "() => window.hebiRightMap.setZoom(window.hebiRightMap.getZoom() + 1,"
                       " {animate: false})")
    page.wait_for_timeout(500)
    zl, zr = _iframe_eval(page, "() => [window.map.getZoom(), window.hebiRightMap.getZoom()]")
    assert zl == zr == left[2] + 1
