"""The layer tree's state in the View: per-layer visibility, opacity and order; URL; export."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

import layers
from spatial.export import ExportOptions, export_view, prepare_content
from spatial.layer_tree import group_layers, move_layer, set_layer_visible, tree_order
from spatial.view import DEFAULT_VIEW, View, ordered_ids, zoom_for_bbox
from tests.test_export import DAY, _blend, _layers, _pixel, _view

SPECS = layers.all_specs()


def test_ordered_ids_moves_only_the_named_layers() -> None:
    ids = ["a", "b", "c", "d"]
    assert ordered_ids(ids, ()) == ids
    assert ordered_ids(ids, ("c", "a")) == ["c", "b", "a", "d"]
    assert ordered_ids(ids, ("d", "x", "b", "d")) == ["a", "d", "c", "b"]  # unknown ignored
    assert sorted(ordered_ids(ids, ("b", "a", "d", "c"))) == sorted(ids)


def test_hidden_layer_is_not_drawn_but_its_group_is() -> None:
    view = DEFAULT_VIEW.replace(hidden=("roads", "axes"))
    ids = view.visible_layer_ids()
    assert "roads" not in ids and "axes" not in ids
    assert {"corridor", "spines", "nodes"} <= set(ids)
    again = set_layer_visible(view, "axes", True)
    assert "axes" in again.visible_layer_ids() and again.hidden == ("roads",)


def test_moving_a_layer_stays_in_its_group_and_changes_the_drawing_order() -> None:
    before = DEFAULT_VIEW.visible_layer_ids()
    assert before.index("spines") < before.index("axes")
    view = move_layer(DEFAULT_VIEW, SPECS, "spines", up=True)
    after = view.visible_layer_ids()
    assert after.index("axes") < after.index("spines")
    assert group_layers(view, SPECS, "structure") == ["nodes", "spines", "axes", "corridor"]
    # The top of a group cannot go higher (not into another group).
    top = group_layers(view, SPECS, "structure")[0]
    assert move_layer(view, SPECS, top, up=True) == view
    # Moving back restores the catalogue order, which the URL then leaves out.
    back = move_layer(view, SPECS, "spines", up=False)
    assert back.order == () and back.visible_layer_ids() == before
    assert tree_order(back, SPECS) == [s.id for s in SPECS]


def test_tree_state_round_trips_through_the_url() -> None:
    view = move_layer(DEFAULT_VIEW, SPECS, "parks", up=True)
    view = view.replace(hidden=("roads",)).with_opacity("green", 0.4).with_opacity("axes", 0.75)
    params = view.to_query_params()
    assert params["hide"] == "roads"
    assert params["opacity"] == "green:0.4,axes:0.75"
    again = View.from_query_params(params)
    assert again.hidden == view.hidden and again.order == view.order
    assert again.opacity_of("green") == 0.4 and again.opacity_of("corridor") == 1.0
    assert again.visible_layer_ids() == view.visible_layer_ids()


@pytest.mark.parametrize("bad", ["x:2", "<b>:0.5", "green:nan", "green", ":0.3", "green:-1"])
def test_bad_opacity_values_are_dropped(bad: str) -> None:
    view = View.from_query_params({"opacity": bad, "hide": "<script>,roads",
                                   "order": "a b,roads"})
    assert view.opacity == ()
    assert view.hidden == ("roads",) and view.order == ("roads",)


def test_with_opacity_clamps_and_full_opacity_drops_the_entry() -> None:
    view = DEFAULT_VIEW.with_opacity("green", 0.0)
    assert view.opacity_of("green") == 0.05
    assert view.with_opacity("green", 1.0).opacity == ()


def test_zoom_for_bbox_fits_the_box() -> None:
    center, zoom = zoom_for_bbox((114.30, 35.75, 114.32, 35.76), 800, 600)
    assert center == pytest.approx((35.755, 114.31))
    assert zoom == 15  # 0.02° of longitude is ~460 px at 15, ~920 px at 16
    assert zoom_for_bbox((114.3, 35.7, 114.3, 35.7), max_zoom=17)[1] == 17


# --- the export reads the same tree --------------------------------------------------------------


def test_export_draws_layers_in_the_view_order() -> None:
    view = _view(order=("t_schools", "t_parks"))  # schools below the parks
    content = prepare_content(view, extra_layers=_layers())
    assert [d.spec.id for d in content.layers] == ["t_schools", "t_axes", "t_parks"]
    hidden = prepare_content(_view(hidden=("t_axes",)), extra_layers=_layers())
    assert [d.spec.id for d in hidden.layers] == ["t_parks", "t_schools"]


def _png(view: View) -> tuple[Image.Image, Any]:
    out = export_view(view, ExportOptions(map_date=DAY, dpi=150, fmt="png"),
                      extra_layers=_layers())
    return Image.open(io.BytesIO(out.data)).convert("RGB"), out.info


def test_export_fades_a_layer_as_the_tree_says() -> None:
    im, info = _png(_view())
    assert np.allclose(_pixel(im, info, 150, 114.29, 35.765), _blend("#336699", 0.25), atol=3)
    im, info = _png(_view(opacity=(("t_parks", 0.4),)))
    # Fill opacity 0.25 x 0.4 = 0.1 over white.
    assert np.allclose(_pixel(im, info, 150, 114.29, 35.765), _blend("#336699", 0.1), atol=3)
