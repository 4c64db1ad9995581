"""`python -m spatial.export_cli` on the shipped plan: files, pages, views, areas, errors."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

import layers
from layers.legend import legend_rows
from spatial.export import ExportOptions, export_view
from spatial.export_cli import main
from spatial.view import DEFAULT_VIEW

ROOT = Path(__file__).resolve().parents[1]
DAY = "2026-11-24"


def _n(text: str) -> str:
    """Text without white space: long legend labels wrap, so compare without breaks."""
    return "".join(text.split())


def _texts(path: Path) -> list[str]:
    """The text layer of each page, without white space."""
    return [_n(p.extract_text()) for p in PdfReader(path).pages]


def test_default_export_is_the_full_plan_view_offline(tmp_path: Path) -> None:
    out = tmp_path / "plan.pdf"
    assert main(["--out", str(out), "--date", DAY]) == 0
    (text,) = _texts(out)
    assert _n("鹤壁经济技术开发区空间布局图") in text
    assert _n("底图：无（离线出图）") in text
    assert _n("比例尺 1:") in text
    # Every legend row of every shown catalogue layer is printed (rows from the shared
    # rule: an entry whose features all lack a location, such as 浮山, has none).
    printed = 0
    for spec in layers.all_specs():
        if spec.id in DEFAULT_VIEW.visible_layer_ids():  # the curated first view
            for row in legend_rows(spec, layers.load_layer(spec.id)):
                assert _n(row.label("zh")) in text, row.label("zh")
                printed += 1
    assert printed > 20
    assert _n("森林公园") not in text
    # The command line prints what the library prints for the same view.
    same = export_view(DEFAULT_VIEW.replace(basemap="none"),
                       ExportOptions(dpi=300, map_date=date(2026, 11, 24)))
    assert out.read_bytes() == same.data


def test_png_size_follows_paper_orientation_and_dpi(tmp_path: Path, capsys) -> None:
    out = tmp_path / "plan.png"
    assert main(["--out", str(out), "--paper", "A3", "--orientation", "portrait",
                 "--dpi", "100", "--groups", "parks", "--date", DAY]) == 0
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (1169, 1654)
    assert "PNG, 1 page(s)" in capsys.readouterr().out


def test_view_link_from_the_app_equals_the_same_options(tmp_path: Path) -> None:
    bbox = "114.28,35.74,114.36,35.80"
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    link = f"http://127.0.0.1:8501/map?groups=parks,green&bbox={bbox}&zoom=13&basemap=none"
    assert main(["--out", str(a), "--view", link, "--date", DAY]) == 0
    assert main(["--out", str(b), "--groups", "parks", "green", "--bbox", bbox,
                 "--date", DAY]) == 0
    assert a.read_bytes() == b.read_bytes()
    (text,) = _texts(a)
    assert _n("园区与保税区 · 绿地水系") in text
    assert _n("十分钟生活圈") not in text  # life circles are not ticked


def test_area_frames_one_feature(tmp_path: Path) -> None:
    out = tmp_path / "bonded.pdf"
    assert main(["--out", str(out), "--area", "bonded_zone:bonded-zone", "--groups", "parks",
                 "--title", "综合保税区", "--review-no", "鹤S(2026)001号", "--date", DAY]) == 0
    (text,) = _texts(out)
    assert _n("综合保税区") in text and _n("本图范围：鹤壁综合保税区") in text
    assert _n("审图号：鹤S(2026)001号") in text
    # A 2.87 km² zone on A4 lands at a large scale, far below the full plan's.
    scale = int(re.match(r"\d+", text.split("比例尺1:")[1]).group(0))  # type: ignore[union-attr]
    assert scale <= 25_000


def test_atlas_has_one_page_per_living_circle(tmp_path: Path) -> None:
    out = tmp_path / "atlas.pdf"
    assert main(["--out", str(out), "--atlas", "life_circles", "--groups", "life_circles",
                 "--title", "生活圈图集", "--date", DAY]) == 0
    circles = layers.load_layer("life_circles")
    located = circles[circles.geometry.notna()]
    texts = _texts(out)
    assert len(texts) == len(located) == 10
    names = [n for _, n in sorted(zip(located["id"], located["name"], strict=True))]
    for text, name in zip(texts, names, strict=True):
        assert _n(f"生活圈图集 — {name}") in text


def test_indicator_choropleth_of_park_areas(tmp_path: Path) -> None:
    out = tmp_path / "area.pdf"
    assert main(["--out", str(out), "--indicator", "parks:area_km2", "--scheme",
                 "EqualInterval", "--classes", "3", "--date", DAY]) == 0
    (text,) = _texts(out)
    assert _n("面积（平方公里）") in text
    assert _n("分级方法：等间距，3 级") in text
    assert _n("园区与片区") not in text  # only the classed areas, as on the indicators page


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--area", "parks:no-such-park"], "no-such-park"),
        (["--area", "parks"], "LAYER:ID"),
        (["--atlas", "parks", "--format", "png"], "PDF"),
        (["--bbox", "114.3,35.7,114.2"], "--bbox"),
        (["--bbox", "a,b,c,d"], "--bbox"),
        (["--dpi", "5000"], "dpi"),
        (["--date", "24/11/2026"], "YYYY-MM-DD"),
        (["--indicator", "parks:upload:产值"], "cannot be computed"),
        (["--layers", "nothing_here", "--area", "nothing_here:x"], "nothing_here"),
    ],
)
def test_refusals_are_bilingual_and_write_nothing(tmp_path: Path, capsys, args, needle) -> None:
    out = tmp_path / "x.pdf"
    assert main(["--out", str(out), "--date", DAY, *args]) == 2
    err = capsys.readouterr().err
    assert "出图失败 / Export failed" in err and needle in err
    assert "Traceback" not in err and str(ROOT) not in err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_runs_as_a_module(tmp_path: Path) -> None:
    out = tmp_path / "m.png"
    proc = subprocess.run(
        [sys.executable, "-m", "spatial.export_cli", "--out", str(out), "--dpi", "72",
         "--groups", "structure", "--date", DAY],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    with Image.open(io.BytesIO(out.read_bytes())) as im:
        assert im.size == (842, 595)  # A4 landscape at 72 dpi = 297 x 210 pt
