"""The map page's legend and the printed legend list the same rows for the same view.

The screen legend is read from the map page under Streamlit's AppTest; the
printed one is what :func:`spatial.export.export_view` reports it drew for the
view the page left in its session.
"""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from layers.legend import SCHEMATIC_SUFFIX
from spatial.export import ExportOptions, export_view

APP = str(Path(__file__).resolve().parents[1] / "app.py")
_LINE_RE = re.compile(r'<div class="hebi-legend-(?:layer|row)">(.*?)</div>')


@pytest.fixture
def no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty private workspace, so the developer's own uploads do not leak in."""
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    return tmp_path


def _screen_legend(at: AppTest) -> list[str]:
    """Headings and row labels of the screen legend, in order, as plain text."""
    legend = "".join(m.value for m in at.markdown if "hebi-legend" in m.value)
    return [html.unescape(re.sub(r"<[^>]+>", "", line)).strip()
            for line in _LINE_RE.findall(legend)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_screen_and_print_legends_list_the_same_rows(no_workspace: Path, lang: str) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["basemap"] = "none"
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    screen = _screen_legend(at)
    assert len(screen) > 30, "every plan layer is in the legend"
    out = export_view(at.session_state["map_view"],
                      ExportOptions(fmt="png", dpi=72, map_date=date(2026, 1, 1)))
    assert out.info.legend_labels == screen
    # No row carries the schematic suffix twice; every local street is hand-placed or generated
    # (schematic, data/geo/README.md), so local streets have only the dashed row.
    suffix = SCHEMATIC_SUFFIX[lang]
    assert all(label.count(suffix.strip()) <= 1 for label in screen), screen
    local = "支路" if lang == "zh" else "Local street"
    assert local + suffix in screen and local not in screen


def test_a_narrower_view_prints_the_rows_it_shows(no_workspace: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["basemap"] = "none"
    at.query_params["groups"] = "parks,roads"
    at.run()
    assert not at.exception
    screen = _screen_legend(at)
    assert "背景范围：开发区范围（示意）" in screen and "主干路" in screen
    assert "主干路（示意）" not in screen  # no arterial is schematic
    out = export_view(at.session_state["map_view"],
                      ExportOptions(fmt="png", dpi=72, map_date=date(2026, 1, 1)))
    assert out.info.legend_labels == screen
