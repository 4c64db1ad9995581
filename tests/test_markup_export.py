"""打印批注: the export prints the project's markups (symbol, number, legend rows) when asked."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import numpy as np
import pyproj
import pytest
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import LineString, Point
from streamlit.testing.v1 import AppTest

from spatial.export import ExportOptions, export_view
from spatial.markups import CATEGORY_COLOURS, MarkupStore, default_markup_store
from spatial.markups_print import MarkupsOverlay
from spatial.view import DEFAULT_VIEW
from spatial.workspace import GeoPackageWorkspace

HOSTILE = "$x^2$ {{7*7}} <b>粗</b>"  # mathtext, a template, a tag: all must print literally
ISSUE_AT = Point(114.33, 35.75)
VIEW = DEFAULT_VIEW.replace(basemap="none")
DAY = date(2026, 1, 1)


def _pdf_text(data: bytes) -> str:
    return "".join("".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def store(tmp_path: Path) -> MarkupStore:
    s = MarkupStore(GeoPackageWorkspace(tmp_path / "markups.gpkg"))
    s.create(ISSUE_AT, "issue", HOSTILE, "甲")
    s.create(LineString([(114.34, 35.76), (114.35, 35.77)]), "suggestion", "道路宜加宽", "乙")
    s.create(Point(115.3, 36.6), "verify", "远在图外", "丙")  # outside the printed extent
    return s


def test_pdf_lists_the_markups_on_the_page_in_the_legend_and_the_comment_box(
    store: MarkupStore,
) -> None:
    overlay = MarkupsOverlay(store.markups())
    result = export_view(VIEW, ExportOptions(fmt="pdf", map_date=DAY), overlays=[overlay])
    legend = result.info.legend_labels
    assert legend[-3:] == ["批注（图中编号）", "问题（1）", "建议（1）"]
    assert not any(label.startswith("核实") for label in legend)  # off the page: not listed
    text = _pdf_text(result.data)
    assert "批注（图中编号）" in text and "问题（1）" in text and "建议（1）" in text
    assert "1·问题·$x^2${{7*7}}<b>粗</b>" in text  # literal: no mathtext, no template
    assert "2·建议·道路宜加宽" in text
    assert "远在图外" not in text
    # Not asked: nothing of the markups is printed.
    plain = _pdf_text(export_view(VIEW, ExportOptions(fmt="pdf", map_date=DAY)).data)
    assert "批注" not in plain and "道路宜加宽" not in plain

    en = export_view(VIEW.replace(lang="en"), ExportOptions(fmt="pdf", map_date=DAY, lang="en"),
                     overlays=[overlay]).info.legend_labels
    assert en[-3:] == ["Markups (numbered)", "Issue (1)", "Suggestion (1)"]


def _pixel_of(lon: float, lat: float, info: object, size: tuple[int, int],
              page_mm: tuple[float, float]) -> tuple[int, int]:
    """Where a WGS84 point lands in the PNG (from the page's frame and extent)."""
    x, y = pyproj.Transformer.from_crs(4326, 4547, always_xy=True).transform(lon, lat)
    fx, fy, fw, fh = info.frame_mm  # type: ignore[attr-defined]
    x0, y0, x1, y1 = info.extent_gk  # type: ignore[attr-defined]
    mm_x = fx + (x - x0) / (x1 - x0) * fw
    mm_y = fy + (y - y0) / (y1 - y0) * fh
    return round(mm_x / page_mm[0] * size[0]), round((1 - mm_y / page_mm[1]) * size[1])


def _near_colour(img: np.ndarray, at: tuple[int, int], colour: str, r: int = 6) -> int:
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    x, y = at
    patch = img[y - r:y + r + 1, x - r:x + r + 1, :3].astype(int)
    return int((np.abs(patch - rgb).sum(axis=2) < 60).sum())


def test_png_draws_the_category_symbol_where_the_markup_is(store: MarkupStore) -> None:
    options = ExportOptions(fmt="png", dpi=100, map_date=DAY)
    result = export_view(VIEW, options, overlays=[MarkupsOverlay(store.markups())])
    img = np.asarray(Image.open(io.BytesIO(result.data)).convert("RGB"))
    page_mm = options.page_mm()
    at = _pixel_of(ISSUE_AT.x, ISSUE_AT.y, result.info, (img.shape[1], img.shape[0]), page_mm)
    assert _near_colour(img, at, CATEGORY_COLOURS["issue"]) > 20  # the red 问题 dot
    plain = np.asarray(Image.open(io.BytesIO(
        export_view(VIEW, options).data)).convert("RGB"))
    assert _near_colour(plain, at, CATEGORY_COLOURS["issue"]) < 5


# --- the export page --------------------------------------------------------------------------


def _export_page() -> None:
    from ui.pages.export_page import render

    render()


def test_export_page_prints_the_markups_when_ticked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("HEBI_DATABASE_URL", raising=False)
    desk = default_markup_store()
    desk.create(ISSUE_AT, "issue", HOSTILE, "甲")
    at = AppTest.from_function(_export_page, default_timeout=120)
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.checkbox(key="exp_markups").label == "打印批注"
    at.button(key="exp_make").click().run()
    plain = _pdf_text(at.session_state["exp_file"][1])
    assert "批注" not in plain

    at.checkbox(key="exp_markups").check().run()
    assert any("本项目共 1 条批注" in c.value for c in at.caption)
    assert any("设置已更改" in c.value for c in at.caption)  # the old file is withdrawn
    at.button(key="exp_make").click().run()
    assert not at.exception, [e.value for e in at.exception]
    text = _pdf_text(at.session_state["exp_file"][1])
    assert "批注（图中编号）" in text and "问题（1）" in text
    assert "1·问题·$x^2${{7*7}}<b>粗</b>" in text
    at.checkbox(key="exp_markup_comments").uncheck().run()
    at.button(key="exp_make").click().run()
    text = _pdf_text(at.session_state["exp_file"][1])
    assert "问题（1）" in text and "{{7*7}}" not in text  # symbols and numbers, no comment list


def test_map_page_export_popover_prints_the_markups_when_ticked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("HEBI_DATABASE_URL", raising=False)
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    default_markup_store().create(ISSUE_AT, "issue", HOSTILE, "甲")
    at = AppTest.from_file(str(Path(__file__).parents[1] / "app.py"), default_timeout=120)
    at.query_params["basemap"] = "none"
    at.run()
    assert not at.exception
    at.checkbox(key="export_markups").check().run()
    at.button(key="export_make").click().run()
    assert not at.exception, [e.value for e in at.exception]
    text = _pdf_text(at.session_state["export_file"][1])
    assert "批注（图中编号）" in text and "1·问题·$x^2${{7*7}}<b>粗</b>" in text


def test_atlas_pages_list_the_markups_each_page_shows(store: MarkupStore) -> None:
    from spatial.export import export_atlas
    from spatial.export.content import _catalogue_source

    _, parks = _catalogue_source("parks")
    first = parks[parks.geometry.notna()].sort_values("id").iloc[0]
    store.create(first.geometry.representative_point(), "verify", "园内核实", "丁")
    result = export_atlas(VIEW, "parks", ExportOptions(map_date=DAY),
                          overlays=[MarkupsOverlay(store.markups())])
    assert len(result.pages) > 1
    # The first page frames the first park: its markup is drawn and listed there.
    assert "核实（1）" in result.pages[0].legend_labels
    text = _pdf_text(result.data)
    assert "园内核实" in text and "远在图外" not in text
    for info in result.pages:  # a page lists markup rows only under their heading
        rows = [r for r in info.legend_labels if r.startswith(("批注", "问题", "建议", "核实"))]
        assert rows == [] or rows[0] == "批注（图中编号）"
