"""Real browser: a markup drawn with Leaflet.draw, its hostile comment shown as text, no dialog."""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, Route, expect

from tests.browser.conftest import MAP_IFRAME, is_local_url, map_frame, open_page, wait_idle

pytestmark = pytest.mark.browser

# If any part ran, it would open a dialog or set a flag on the window it ran in.
PAYLOAD = ("<img src=x onerror=alert(1)><script>alert(2)</script>"
           "${alert(3)}`{{ 7*7 }}` ![i](x) 批注")

_NO_FLAG = """() => {
  const seen = [];
  const visit = (w) => {
    try { if (w.__pwned !== undefined) seen.push(w.__pwned); } catch (e) {}
    for (let i = 0; i < w.frames.length; i++) visit(w.frames[i]);
  };
  visit(window);
  return seen;
}"""


def map_centre(page: Page) -> tuple[float, float]:
    """The centre of the page's map, in page pixels."""
    box = page.locator(MAP_IFRAME).first.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def draw_point_markup(page: Page, comment: str) -> None:
    """Draw a point at the map's centre with the drawing tool, write ``comment``, save it."""
    map_frame(page).locator("a.leaflet-draw-draw-circlemarker").click()
    x, y = map_centre(page)
    page.mouse.click(x, y)
    wait_idle(page)
    box = page.locator('[data-testid="stTextArea"] textarea').first
    expect(box).to_be_visible(timeout=30_000)
    box.fill(comment)
    page.get_by_role("button", name="保存批注").click()
    wait_idle(page)


def test_drawn_markup_with_script_payload_is_shown_as_text(page: Page, app_server: str) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    open_page(page, app_server, "markups")
    frame = map_frame(page)
    # The drawing tool is the vendored Leaflet.draw (a CDN request would fail the fixture).
    tool = frame.locator("a.leaflet-draw-draw-circlemarker")
    expect(tool).to_be_visible(timeout=60_000)
    expect(tool).to_have_attribute("title", "画点")  # Leaflet.draw's labels in Chinese
    # The north arrow, built after the map's first paint, still sits right below the zoom
    # buttons, above the drawing tool added before it.
    expect(frame.locator(".leaflet-top.leaflet-left > .hebi-north-arrow")).to_contain_text("北")
    corner = frame.locator(".leaflet-top.leaflet-left > *").evaluate_all(
        "els => els.map(e => e.classList.contains('leaflet-control-zoom') ? 'zoom'"
        " : e.classList.contains('hebi-north-arrow') ? 'north'"
        " : e.querySelector('.leaflet-draw-draw-circlemarker') ? 'draw' : 'other')")
    assert corner[:3] == ["zoom", "north", "draw"], corner
    draw_point_markup(page, PAYLOAD)

    assert "Choose" not in page.inner_text("body")  # no English placeholder in Chinese mode
    # Listed in the panel as plain text.
    item = page.locator('[data-testid="stExpander"]').filter(has_text="#1 问题")
    expect(item).to_be_visible(timeout=30_000)
    item.locator("summary").click()
    expect(item).to_contain_text("<img src=x onerror=alert(1)><script>alert(2)</script>")

    # On the map: the tooltip and the popup show the text literally.
    frame = map_frame(page)
    marker = frame.locator("path.leaflet-interactive").last
    marker.wait_for(timeout=60_000)
    # The markup is drawn above the plan's labels (its own pane), with its number beside it.
    badge = frame.locator(".leaflet-hebiMarkups-pane .hebi-markup-no")
    expect(badge).to_have_text("#1", timeout=30_000)
    stack = frame.locator("body").evaluate("""() => {
      const z = (sel) => { const el = document.querySelector(sel);
                           return el ? Number(getComputedStyle(el).zIndex) : null; };
      const pane = document.querySelector('.leaflet-hebiMarkups-pane');
      return {markups: z('.leaflet-hebiMarkups-pane'), labels: z('.leaflet-hebiLabels-pane'),
              tooltips: z('.leaflet-tooltip-pane'),
              paths: pane ? pane.querySelectorAll('path.leaflet-interactive').length : 0};
    }""")
    assert stack["paths"] == 1, stack
    assert stack["labels"] is not None and stack["labels"] < stack["markups"] < stack["tooltips"]
    x, y = map_centre(page)
    page.mouse.move(x, y)
    tooltip = frame.locator(".leaflet-tooltip")
    expect(tooltip).to_be_visible(timeout=10_000)
    text = tooltip.inner_text()
    assert "问题：<img src=x onerror=alert(1)><script>alert(2)</script>$" in text  # cut at 60
    page.mouse.click(x, y)
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_be_visible(timeout=10_000)
    assert PAYLOAD.replace("`", "") in popup.inner_text().replace("`", "")
    assert "49" not in popup.inner_text()
    assert frame.locator(".leaflet-popup-content img, .leaflet-popup-content script").count() == 0
    assert frame.locator('img[src="x"]').count() == 0
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate(_NO_FLAG) == []
    page.wait_for_timeout(500)
    assert dialogs == []

    # Another planner (a second browser session) sees the same markup, as text.
    browser = page.context.browser
    assert browser is not None
    ctx = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    outside: list[str] = []

    def guard(route: Route) -> None:
        if is_local_url(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", guard)
    other = ctx.new_page()
    other.on("dialog", on_dialog)
    try:
        open_page(other, app_server, "markups")
        item = other.locator('[data-testid="stExpander"]').filter(has_text="问题 · 本机用户").last
        expect(item).to_be_visible(timeout=30_000)
        item.locator("summary").click()
        expect(item).to_contain_text("<img src=x onerror=alert(1)><script>alert(2)</script>")
        assert other.locator('img[src="x"]').count() == 0
        assert other.evaluate(_NO_FLAG) == []
    finally:
        ctx.close()
    assert outside == [] and dialogs == []
