"""Real browser: the indicators page draws the choropleth, and its legend states the classes."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import FilePayload, Page, expect

import layers
from spatial.classify import classify
from spatial.indicators import area_units
from tests.browser.conftest import map_frame, open_page, wait_idle

pytestmark = pytest.mark.browser


def _select(page: Page, label: str, option: str) -> None:
    """Pick an option of the Streamlit selectbox with this label."""
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def _legend_labels(page: Page) -> list[str]:
    legend = page.locator(".hebi-ind-legend").first
    expect(legend).to_be_visible(timeout=30_000)
    return [s.strip() for s in legend.locator(".hebi-ind-label").all_inner_texts()]


def test_indicator_map_renders_and_legend_matches_the_breaks(page: Page, app_server: str) -> None:
    open_page(page, app_server, "indicators")
    parks = layers.load_layer("parks")
    parks = parks[parks["role"] == "park"]  # the page starts with the parks themselves
    km2 = area_units(parks)["area_km2"].to_numpy()
    expected = classify(km2, scheme="Quantiles", k=5, min_decimals=2)

    assert _legend_labels(page) == list(expected.labels)
    legend_text = page.locator(".hebi-ind-legend").first.inner_text()
    assert "面积（平方公里）" in legend_text and expected.describe("zh") in legend_text
    breaks = " | ".join(f"{b:,.{expected.decimals}f}" for b in expected.breaks)
    assert breaks in legend_text

    # The map itself: one filled path per park, each with its value written on it.
    frame = map_frame(page)
    expect(frame.locator(".leaflet-container")).to_be_visible(timeout=30_000)
    drawn = parks.geometry.notna() & ~parks.geometry.is_empty
    expect(frame.locator("path.leaflet-interactive")).to_have_count(int(drawn.sum()),
                                                                    timeout=30_000)
    values = sorted(frame.locator(".hebi-ind-value").all_inner_texts())
    # Each value with its unit (a bare 11.60 on a map says nothing).
    assert values == sorted(f"{v:,.2f} 平方公里" for v in km2[drawn.to_numpy()])
    fills = {frame.locator("path.leaflet-interactive").nth(i).get_attribute("fill")
             for i in range(int(drawn.sum()))}
    assert fills <= {c.lower() for c in expected.colours}

    # Switching to equal intervals redraws the legend with the new breaks.
    _select(page, "分级方法", "等间距")
    equal = classify(km2, scheme="EqualInterval", k=5, min_decimals=2)
    expect(page.locator(".hebi-ind-method").first).to_contain_text(equal.describe("zh"))
    assert _legend_labels(page) == list(equal.labels)


def test_uploaded_gbk_sheet_is_mapped_with_a_report(page: Page, app_server: str) -> None:
    sheet = (
        "区域名称,亩均税收（万元/亩）\n城北园区,18.5\n金山园区,暂无\n新区,9.1\n城东园区,12\n"
    ).encode("gbk")
    open_page(page, app_server, "indicators")
    page.get_by_text("上传统计表").first.click()
    payload: FilePayload = {"name": "统计.csv", "mimeType": "text/csv", "buffer": sheet}
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files=[payload])
    wait_idle(page)
    report = page.locator('[data-testid="stAlert"]').filter(has_text="未匹配到区域")
    expect(report).to_be_visible(timeout=30_000)
    assert "1 行未匹配到区域" in report.inner_text()
    assert "1 个非数字单元格" in report.inner_text()

    page.get_by_text("上传的统计", exact=True).click()
    wait_idle(page)
    legend = page.locator(".hebi-ind-legend").first
    expect(legend).to_contain_text("亩均税收（万元/亩）", timeout=30_000)
    labels = _legend_labels(page)
    assert labels[-1] == "无数据"
    expect(legend).to_contain_text("达标 1 · 未达标 1 · 无数据 1")
    frame = map_frame(page)
    expect(frame.locator(".hebi-ind-value").filter(has_text=re.compile(r"^18\.5\b.*✓$"))).to_have_count(1)
    expect(frame.locator(".hebi-ind-value").filter(has_text=re.compile(r"^12\.0\b.*✗$"))).to_have_count(1)
