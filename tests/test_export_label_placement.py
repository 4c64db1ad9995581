"""The default print names each node beside its own symbol, and names the bonded zone and the parks.

The page a planner gets from 出图 without changing anything (the whole plan, no basemap, A4 or
A3 landscape) is rendered in each language and its names are read back from the figure.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
import shapely

import layers
from spatial.export import ExportOptions, prepare_content, render_page
from spatial.export.options import PX_TO_PT, Orientation, Paper, _export_style
from spatial.view import DEFAULT_BBOX, DEFAULT_VIEW

_DAY = __import__("datetime").date(2026, 11, 24)


def _one_line(text: str) -> str:
    """A name broken over lines, as one line: Latin words keep a space between them."""
    latin = any("a" <= c.lower() <= "z" for c in text)
    return text.replace("\n", " " if latin else "")


def _render(
    lang: str, paper: Paper = "A4", orientation: Orientation = "landscape"
) -> dict[str, Any]:
    """Render the default plan page; return its names (text, anchor, box) and the nodes, in
    display pixels, with the page's symbol radius and label height for the nodes."""
    content = prepare_content(DEFAULT_VIEW.replace(basemap="none", bbox=DEFAULT_BBOX, lang=lang))
    options = ExportOptions(paper=paper, orientation=orientation, map_date=_DAY)
    with _export_style():
        fig, info = render_page(content, options)
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        ax = fig.axes[0]
        names = [t for t in ax.texts if t.get_gid() == "label"]
        labels = [(_one_line(t.get_text()), ax.transData.transform(t.get_position()),
                   t.get_window_extent(renderer)) for t in names]
        at = {_one_line(t.get_text()): t.get_position() for t in names}
        nodes = next(layer for layer in content.layers if layer.spec.id == "nodes")
        spec = nodes.spec
        assert spec.label is not None
        # Each node by the name its label rule prints (short English forms on the map).
        node_px = {str(spec.label.text(row, lang)): ax.transData.transform((g.x, g.y))
                   for row, g in zip(nodes.gdf.drop(columns="geometry").to_dict("records"),
                                     nodes.gdf.geometry, strict=True)}
        k = 1.0 if paper == "A4" else math.sqrt(2.0)
        dpi = fig.dpi
        radius = spec.style.radius * PX_TO_PT * k * dpi / 72.0
        line_h = spec.label.size * PX_TO_PT * k * dpi / 72.0 * 1.2
    return {"labels": labels, "nodes": node_px, "radius": radius, "line_h": line_h,
            "info": info, "content": content, "at": at}


@pytest.fixture(scope="module", params=["zh", "en"])
def page(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _render(request.param) | {"lang": request.param}


def _gap(box: Any, x: float, y: float) -> float:
    return math.hypot(max(box.x0 - x, 0.0, x - box.x1), max(box.y0 - y, 0.0, y - box.y1))


def test_each_node_is_named_beside_its_own_symbol(page: dict[str, Any]) -> None:
    nodes, radius, line_h = page["nodes"], page["radius"], page["line_h"]
    named = {text: (anchor, box) for text, anchor, box in page["labels"] if text in nodes}
    assert set(named) == set(nodes), set(nodes) - set(named)  # all seven are named
    for text, (anchor, box) in named.items():
        own = nodes[text]
        d_own = math.dist(anchor, own)
        # The anchor is beside the symbol: within 1.5 symbol sizes and a line of it ...
        assert d_own <= 1.5 * 2 * radius + line_h, (text, d_own)
        gap_own = _gap(box, *own)
        for other, xy in nodes.items():
            if other == text:
                continue
            # ... nearer its own node than any other, anchor and text alike.
            assert math.dist(anchor, xy) > d_own, (text, other)
            assert _gap(box, *xy) > gap_own + 0.25 * line_h, (text, other)


def test_no_two_names_overlap(page: dict[str, Any]) -> None:
    boxes = [(text, box) for text, _, box in page["labels"]]
    assert len(boxes) >= 20
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        assert not a.overlaps(b), (ta, tb)


def _must_names(lang: str) -> list[str]:
    """The bonded zone and the 园区 (the parks, not their sub-areas or the background), as
    their label rules print them."""
    out: list[str] = []
    for layer_id, rows in (("parks", lambda g: g[g["role"] == "park"]),
                           ("bonded_zone", lambda g: g)):
        rule = layers.get_spec(layer_id).label
        assert rule is not None
        frame = rows(layers.load_layer(layer_id)).drop(columns="geometry")
        out += [str(rule.text(row, lang)) for row in frame.to_dict("records")]
    return out


@pytest.mark.parametrize(("lang", "paper"), [("zh", "A4"), ("zh", "A3"), ("en", "A4"),
                                              ("en", "A3")])
def test_the_default_print_names_the_bonded_zone_and_every_park(lang: str, paper: Paper) -> None:
    out = _render(lang, paper) if (lang, paper) != ("zh", "A4") else _render(lang)
    printed = {text for text, _, _ in out["labels"]}
    missing = [name for name in _must_names(lang) if name not in printed]
    assert not missing, missing
    assert len(_must_names(lang)) == 4
    # The zone's extent is never named inside a park (where it would read as the park's
    # name); it is dropped when it finds no other place.
    parks = next(layer for layer in out["content"].layers if layer.spec.id == "parks").gdf
    extent = next(n for n, role in zip(parks["name_en" if lang == "en" else "name"],
                                       parks["role"], strict=True) if role == "context"
                  and ("ETDZ" in n or "开发区" in n))
    rule = layers.get_spec("parks").label
    assert rule is not None
    shown = rule.text({"name": extent, "name_en": extent}, lang)
    if shown in out["at"]:
        x, y = out["at"][shown]
        inside = [n for n, g, role in zip(parks["name"], parks.geometry, parks["role"],
                                          strict=True)
                  if role != "context" and g.contains(shapely.Point(x, y))]
        assert not inside, inside


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_park_is_named_over_its_own_industry_boards(lang: str) -> None:
    # The README's example figure: the zone framed at 1:80,000 with the industry boards, which
    # nearly fill 城北园区 and 城东园区. A park's name may stand over its own boards (parts of
    # it); only areas named before it (the bonded zone) keep it out.
    view = DEFAULT_VIEW.replace(basemap="none", bbox=(114.228, 35.744, 114.375, 35.791),
                                groups=("structure", "parks", "green", "reference"), layers=None,
                                lang=lang)
    content = prepare_content(view)
    with _export_style():
        fig, _ = render_page(content, ExportOptions(map_date=_DAY))
        printed = {_one_line(t.get_text()) for t in fig.axes[0].texts if t.get_gid() == "label"}
    missing = [name for name in _must_names(lang) if name not in printed]
    assert not missing, missing
