"""Real browser, office mode: a markup with a script payload, drawn by A, seen by A's project only.

* A (editor, project P1) draws a point with Leaflet.draw and saves a comment that is a script
  payload, through app process 1.
* B (viewer, member of P1), in another browser context on app process 2, sees it — in the list,
  in the map's tooltip and popup — as literal text: no dialog, no injected element, no ``49``;
  and has no drawing tool and no change buttons.
* C (editor of P2) sees nothing of it: not in the list, not on the map, not with P1's id typed
  into the URL — the server sends C's browser not one byte of it (every websocket frame is
  searched, with A's frames as the control that the search would find it).
* The admin sees the change in the shared audit trail, as text.

The office fixtures (database, accounts, two app processes) are those of
``test_office_browser``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Dialog, Page, WebSocket, expect

from tests.browser.conftest import map_frame, open_page, wait_idle
from tests.browser.test_markup_browser import _NO_FLAG, draw_point_markup, map_centre
from tests.browser.test_office_browser import (  # noqa: F401  (fixtures used by name)
    PASSWORD,
    Office,
    new_context,
    office,
)

pytestmark = pytest.mark.browser

PAYLOAD = "<img src=x onerror=alert(1)>${alert(2)}{{7*7}}"
SHOWN = "<img src=x onerror=alert(1)>${alert(2)}"  # what a 40-character cut keeps


def _to_markups(page: Page) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text("批注", exact=True).click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="批注")).to_be_visible(timeout=30_000)


def _map_ready(page: Page) -> None:
    expect(map_frame(page).locator(".leaflet-container")).to_be_visible(timeout=60_000)


def _sign_in(ctx: BrowserContext, base: str, user: str, received: list[bytes],
             path: str = "?basemap=none") -> Page:
    """Open ``path`` signed out, sign in; keep every websocket frame the server sends."""
    page = ctx.new_page()

    def on_ws(ws: WebSocket) -> None:
        ws.on("framereceived", lambda data: received.append(
            data if isinstance(data, bytes) else data.encode("utf-8")))

    page.on("websocket", on_ws)
    open_page(page, base, path)
    page.get_by_label("用户名").fill(user)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    wait_idle(page)
    expect(page.get_by_text(f"已登录：{user}")).to_be_visible(timeout=30_000)
    return page


def _watch(page: Page, dialogs: list[str]) -> None:
    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)


def _no_script_ran(page: Page) -> None:
    assert page.locator('img[src="x"]').count() == 0
    assert map_frame(page).locator('img[src="x"]').count() == 0
    assert page.evaluate(_NO_FLAG) == []


def test_markup_payload_is_text_for_the_project_and_absent_for_another(
    office: Office, new_context: Callable[[], BrowserContext]  # noqa: F811
) -> None:
    server1, server2 = office.urls
    ctx_a, ctx_b, ctx_c, ctx_boss = (new_context() for _ in range(4))
    needle = f"mk{uuid.uuid4().hex[:8]}"  # unique per run: retries add markups, never reuse
    comment = f"{PAYLOAD} 甲批注 {needle}"
    dialogs: list[str] = []
    sent_a: list[bytes] = []
    sent_c: list[bytes] = []

    # A (editor of P1) draws a point on process 1 and saves the payload as its comment.
    a = _sign_in(ctx_a, server1, office.alice, sent_a)
    _watch(a, dialogs)
    _to_markups(a)
    tool = map_frame(a).locator("a.leaflet-draw-draw-circlemarker")
    expect(tool).to_be_visible(timeout=60_000)
    assert a.locator('[data-testid="stTextInput"]').filter(has_text="署名").count() == 0
    draw_point_markup(a, comment)
    mine = a.locator('[data-testid="stExpander"]').filter(has_text=f"问题 · {office.alice}").last
    expect(mine).to_be_visible(timeout=30_000)
    _map_ready(a)
    expect(map_frame(a).locator("path.leaflet-interactive").last).to_be_attached(timeout=60_000)

    # B (viewer of P1), another context on process 2: the payload is text everywhere.
    b = _sign_in(ctx_b, server2, office.victor, [])
    _watch(b, dialogs)
    _to_markups(b)
    expect(b.get_by_text("您只有查看权限")).to_be_visible(timeout=30_000)
    item = b.locator('[data-testid="stExpander"]').filter(has_text=f"问题 · {office.alice}").last
    expect(item).to_be_visible(timeout=30_000)
    item.locator("summary").click()
    # Exactly the typed text: no markup made of it, no template evaluated ({{7*7}} is no 49).
    expect(item.get_by_text(comment, exact=True)).to_be_visible(timeout=30_000)
    for word in ("删除", "发送回复", "保存修改", "保存批注"):
        assert b.get_by_role("button", name=word).count() == 0, word
    _map_ready(b)
    frame = map_frame(b)
    assert frame.locator("a.leaflet-draw-draw-circlemarker").count() == 0  # no drawing tool
    expect(frame.locator("path.leaflet-interactive").last).to_be_attached(timeout=60_000)
    x, y = map_centre(b)
    b.mouse.move(x, y)
    tooltip = frame.locator(".leaflet-tooltip")
    expect(tooltip).to_be_visible(timeout=15_000)
    assert SHOWN in tooltip.inner_text()
    b.mouse.click(x, y)
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_be_visible(timeout=15_000)
    expect(popup.locator(".hebi-markup > div").first).to_have_text(comment)
    assert frame.locator(".leaflet-popup-content img, .leaflet-popup-content script").count() == 0
    _no_script_ran(b)

    # C (editor of P2) sees nothing of it: list, map, map HTML — nor with P1's id in the URL.
    c = _sign_in(ctx_c, server2, office.bob, sent_c)
    _watch(c, dialogs)
    _to_markups(c)
    _map_ready(c)
    expect(c.get_by_text("本项目还没有批注")).to_be_visible(timeout=30_000)
    assert needle not in c.inner_text("body")
    pid = office.project_a_id
    crafted = f"markups?project={pid}&hebi_project_id={pid}"
    typed = ctx_c.new_page()
    typed.on("websocket", lambda ws: ws.on("framereceived", lambda data: sent_c.append(
        data if isinstance(data, bytes) else data.encode("utf-8"))))
    open_page(typed, server2, crafted)  # signed out: only the sign-in form
    expect(typed.get_by_role("button", name="登录")).to_be_visible()
    typed.close()
    again = _sign_in(ctx_c, server2, office.bob, sent_c, path=crafted)
    assert needle not in again.inner_text("body")
    _to_markups(again)  # signed in from the crafted URL: still only C's own project
    _map_ready(again)
    expect(again.get_by_text("本项目还没有批注")).to_be_visible(timeout=30_000)
    body = again.inner_text("body")
    assert needle not in body and office.project_a not in body and "Traceback" not in body

    # The admin sees the change in the shared audit trail, as text.
    boss = _sign_in(ctx_boss, server1, office.boss, [])
    _watch(boss, dialogs)
    boss.locator('[data-testid="stSidebarNav"]').get_by_text("留痕与管理").click()
    wait_idle(boss)
    boss.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    boss.keyboard.type(office.project_a)
    boss.keyboard.press("Enter")
    wait_idle(boss)
    table = boss.locator('[data-testid="stTable"]')
    expect(table).to_contain_text("新建批注", timeout=30_000)
    expect(table).to_contain_text(SHOWN)
    _no_script_ran(boss)

    b.wait_for_timeout(500)  # a dialog fires asynchronously after an image error
    assert dialogs == []
    # Checked last: Playwright hands over websocket frames only while it runs other calls.
    # Control: the same search finds the markup in what A's browser received.
    assert any(needle.encode() in f for f in sent_a)
    assert len(sent_c) > 10  # C's pages did receive their own content
    for sent in sent_c:
        assert needle.encode() not in sent and b"onerror" not in sent
