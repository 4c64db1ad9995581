"""Real browser: hostile uploads on the "My layers" page show a message and run no script."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from spatial.importer import MAX_UPLOAD_BYTES
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


_SHOWN_TEXT = """(sel) => {
  const el = document.querySelector(sel);
  if (!el) return null;
  const own = parseFloat(getComputedStyle(el).fontSize);
  const after = getComputedStyle(el, "::after").content;
  return [own, after];
}"""


def _shown(page: Page, sel: str) -> list[Any] | None:
    """The element's own font size and its ``::after`` text, once the page's style applies.

    The style sheet arrives with the page run (``ui.chrome``), possibly a moment after the
    widget itself: wait up to 15 s for the English words to be hidden.
    """
    got = None
    for _ in range(75):
        got = page.evaluate(_SHOWN_TEXT, sel)
        if got is not None and got[0] == 0.0:
            break
        page.wait_for_timeout(200)
    return got


def test_the_uploader_speaks_chinese_in_chinese_mode(page: Page, app_server: str,
                                                     tmp_path: Path) -> None:
    # Streamlit draws its uploader's button, instructions and refusal in English only;
    # in Chinese mode the English words are not drawn (size 0) and Chinese ones are.
    open_page(page, app_server, "import")
    zone = page.locator('[data-testid="stFileUploaderDropzone"]').first
    expect(zone).to_be_visible(timeout=60_000)
    mb = MAX_UPLOAD_BYTES // 1024**2
    button = ('[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] '
              '[data-testid="stMarkdownContainer"] p')
    hint = '[data-testid="stFileUploaderDropzoneInstructions"] span'
    assert _shown(page, button) == [0.0, '"上传"']
    assert _shown(page, hint) == [0.0, f'"拖放文件到此处，单个文件不超过 {mb} MB"']
    # A file of another type (or over the limit): Streamlit refuses it in the browser, and
    # its message is in Chinese.
    other = tmp_path / "notes.txt"
    other.write_text("not a layer")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(str(other))
    chip = page.locator('[data-testid="stFileChip"][aria-invalid="true"]').first
    expect(chip).to_be_visible(timeout=30_000)
    tip = page.locator('[data-testid="stTooltipErrorContent"]').first
    for _ in range(3):  # a hover during a rerun may not open the tooltip: move off and back
        page.mouse.move(0, 0)
        chip.hover()
        try:
            tip.wait_for(state="visible", timeout=10_000)
            break
        except PlaywrightTimeoutError:
            continue
    expect(tip).to_be_visible(timeout=10_000)
    shown = _shown(page, '[data-testid="stTooltipErrorContent"]')
    assert shown == [0.0, f'"未上传：文件超过 {mb} MB 或不是所列格式。"']
    # The hint under a text field being typed in ("Press Enter to apply") is Chinese too.
    open_page(page, app_server, "map")
    field = page.get_by_placeholder("输入名称（中文或英文，可部分）")
    expect(field).to_be_visible(timeout=60_000)
    enter = '[data-testid="stTextInput"] [data-testid="InputInstructions"] > span:first-child'
    for _ in range(3):  # a map rerun may take the focus away: type again
        field.fill("")
        field.press_sequentially("综合", delay=50)
        try:
            page.locator(enter).first.wait_for(state="attached", timeout=10_000)
            break
        except PlaywrightTimeoutError:
            continue
    assert _shown(page, enter) == [0.0, '"按回车键确认"']
    # English mode keeps Streamlit's own English words.
    open_page(page, app_server, "import?lang=en")
    expect(page.locator(hint).first).to_be_visible(timeout=60_000)
    own, after = page.evaluate(_SHOWN_TEXT, hint)
    assert own > 0 and after in ("none", "normal")
