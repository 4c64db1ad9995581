"""The export page in AppTest: starts from the map view, previews what it prints, counts pages."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

import layers
from spatial.export import ExportOptions, export_view
from spatial.view import DEFAULT_VIEW, View

SMALL_BBOX = (114.33, 35.74, 114.37, 35.78)


def _app() -> None:
    from ui.pages.export_page import render

    render()


@pytest.fixture
def at() -> AppTest:
    return AppTest.from_function(_app, default_timeout=90)


def _preview_caption(at: AppTest) -> str:
    """Click "预览" and return the caption of the preview image."""
    at.button(key="exp_preview_btn").click().run()
    assert not at.exception, [e.value for e in at.exception]
    captions: list[str] = []

    def walk(node: Any) -> None:
        if type(node).__name__ == "Image":
            captions.extend(img.caption for img in node.proto.imgs)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    assert captions, "no preview"
    return captions[0]


def _scale(view: View, **kw: Any) -> str:
    info = export_view(view, ExportOptions(fmt="png", dpi=72), **kw).info
    return f"1:{info.scale_denominator:.0f}"


def _widgets(at: AppTest) -> list[str]:
    out: list[str] = []

    def walk(node: Any) -> None:
        out.append(type(node).__name__)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return out


def test_page_offers_preview_and_download_of_the_whole_plan(at: AppTest) -> None:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "DownloadButton" not in _widgets(at)  # nothing is rendered until asked for
    at.button(key="exp_make").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "DownloadButton" in _widgets(at)
    assert at.radio(key="exp_extent").value == "plan"
    expected = _scale(DEFAULT_VIEW.replace(basemap="none"))
    assert expected in _preview_caption(at)


def test_page_starts_from_the_map_view(at: AppTest) -> None:
    view = DEFAULT_VIEW.replace(groups=("parks",), basemap="none", bbox=SMALL_BBOX)
    at.session_state["map_view"] = view
    at.run()
    assert at.radio(key="exp_extent").value == "view"
    assert at.multiselect(key="exp_groups").value == ["parks"]
    assert _scale(view) in _preview_caption(at)


def test_one_area_frames_that_area(at: AppTest) -> None:
    at.run()
    at.radio(key="exp_extent").set_value("area").run()
    at.selectbox(key="exp_area_layer").set_value("parks").run()
    at.selectbox(key="exp_area").set_value("chengdong-park").run()
    assert not at.exception, [e.value for e in at.exception]
    expected = _scale(DEFAULT_VIEW.replace(basemap="none"), area=("parks", "chengdong-park"))
    assert expected in _preview_caption(at)


def test_atlas_mode_counts_one_page_per_area(at: AppTest) -> None:
    at.run()
    at.radio(key="exp_mode").set_value("atlas").run()
    at.selectbox(key="exp_atlas_layer").set_value("life_circles").run()
    assert not at.exception, [e.value for e in at.exception]
    circles = layers.load_layer("life_circles")
    n = int((circles.geometry.notna() & ~circles.geometry.is_empty).sum())
    assert any(c.value == f"共 {n} 页，PDF 格式。" for c in at.caption)
    at.button(key="exp_atlas_download_make").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "DownloadButton" in _widgets(at)


def _download_labels(at: AppTest) -> list[str]:
    out: list[str] = []

    def walk(node: Any) -> None:
        if type(node).__name__ == "DownloadButton":
            out.append(node.proto.label)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return out


def test_a_settings_change_never_leaves_a_dead_download(at: AppTest) -> None:
    """Issue 12 item 7: every click downloads or says why.

    The file is made on 生成 and offered as plain bytes (which survive a rerun);
    after a settings change the stale file is withdrawn with a message, never a
    button that would fetch nothing.
    """
    at.run()
    at.text_input(key="exp_title").set_value("第一版").run()
    at.button(key="exp_make").click().run()
    (label,) = _download_labels(at)
    # A Chinese file name in Chinese mode; the time it was made in Beijing time.
    assert label.startswith("下载 鹤壁经开区规划图-") and ".pdf" in label
    assert re.search(r"，北京时间 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d 生成）$", label), label
    at.selectbox(key="exp_paper").set_value("A3").run()  # a settings change
    assert _download_labels(at) == []
    assert any("设置已更改，请重新生成文件" in c.value for c in at.caption)
    at.button(key="exp_make").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(_download_labels(at)) == 1
    data = at.session_state["exp_file"][1]

    page = PdfReader(io.BytesIO(data)).pages[0]
    assert round(float(page.mediabox.width) / 72 * 25.4) == 420  # the A3 chosen, not the old A4
    assert "第一版" in page.extract_text()


def test_the_layer_group_chooser_has_a_chinese_placeholder(at: AppTest) -> None:
    # Streamlit's own placeholder is "Choose an option" in every language: ours is Chinese.
    at.run()
    groups = next(m for m in at.multiselect if m.label == "图层组")
    assert groups.proto.placeholder == "选择图层组"
