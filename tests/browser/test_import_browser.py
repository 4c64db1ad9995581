"""Real browser: hostile uploads on the "My layers" page show a message and run no script."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import FilePayload, Page, expect

from tests.browser.conftest import open_page, wait_idle
from tests.hostile import corpus as hc

pytestmark = pytest.mark.browser

# Each payload, if it ever ran, would set a flag on the window it ran in.
IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=2</script>"
TEMPLATE = "${window.__pwned=3}"
LINK = "[click](javascript:window.__pwned=4)"

HOSTILE_CRS = json.dumps(
    hc.fc(
        [hc.feat(hc.point(530000, 3957000), name=SCRIPT)],
        crs={"type": "name", "properties": {"name": IMG}},
    )
).encode()
HOSTILE_VALUES = json.dumps(
    hc.fc([hc.feat(hc.point(hc.HEBI_LON, hc.HEBI_LAT), name=IMG, **{SCRIPT: TEMPLATE, LINK: 1})]),
    ensure_ascii=False,
).encode()

_NO_FLAG = """() => {
  const seen = [];
  const visit = (w) => {
    try { if (w.__pwned !== undefined) seen.push(w.__pwned); } catch (e) {}
    for (let i = 0; i < w.frames.length; i++) visit(w.frames[i]);
  };
  visit(window);
  return seen;
}"""


def _upload(page: Page, name: str, data: bytes) -> None:
    payload: FilePayload = {"name": name, "mimeType": "application/geo+json", "buffer": data}
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files=[payload])
    wait_idle(page)


def _assert_no_script_ran(page: Page) -> None:
    assert page.evaluate(_NO_FLAG) == []
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    body = page.inner_text("body")
    for word in ("Traceback", "pyogrio", "DataSourceError", "/tmp/", "/work/", 'File "'):
        assert word not in body, word


def test_hostile_geojson_is_refused_with_a_message_and_runs_nothing(
    page: Page, app_server: str
) -> None:
    open_page(page, app_server, "import")
    expect(page.get_by_text("上传图层")).to_be_visible(timeout=30_000)

    _upload(page, "地块.geojson", HOSTILE_CRS)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="无法识别")
    expect(alert).to_be_visible(timeout=30_000)
    # The payload is quoted in the message as literal text, not as an element.
    assert "<img src=x onerror=window" in alert.inner_text()
    _assert_no_script_ran(page)

    # The app keeps working: the next (hostile-valued but well-formed) file imports.
    _upload(page, "values.geojson", HOSTILE_VALUES)
    expect(page.get_by_text("读取成功：1 个要素")).to_be_visible(timeout=30_000)
    page.get_by_text("属性预览").click()
    page.locator('[data-testid="stTextInput"] input').fill(IMG + " " + LINK)
    page.get_by_role("button", name="加入我的图层").click()
    wait_idle(page)
    # A retried test finds its layer from the first try and replaces it.
    expect(page.get_by_text(re.compile("已(加入|替换)图层"))).to_be_visible(timeout=30_000)
    _assert_no_script_ran(page)

    # After a reload the layer is still listed, its hostile title shown as text.
    page.reload(wait_until="domcontentloaded")
    wait_idle(page)
    # (The markdown escaper puts an invisible word joiner after "javascript:", so match the image
    # part, which has no colon.)
    expect(page.get_by_text(IMG, exact=False).first).to_be_visible()
    _assert_no_script_ran(page)
