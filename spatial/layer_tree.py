"""The layer tree (图层树) of the plan map: groups holding layers, each toggled, faded and ordered.

The state lives in a :class:`spatial.view.View` (``hidden``, ``opacity``,
``order``), so the screen map, the shared link and the export read the same
tree. These functions only compute new views; the widgets are in
:mod:`ui.layer_tree`.
"""

from __future__ import annotations

from collections.abc import Sequence

from layers.schema import LayerSpec
from spatial.view import View, ordered_ids

__all__ = ["group_layers", "move_layer", "set_layer_visible", "tree_order"]


def tree_order(view: View, specs: Sequence[LayerSpec]) -> list[str]:
    """Return every layer id of ``specs`` in the view's drawing order (bottom first).

    Unlike :meth:`View.visible_layer_ids` this keeps hidden layers and layers
    of unticked groups: the tree lists them all.
    """
    ids = list(dict.fromkeys(s.id for s in sorted(specs, key=lambda s: s.z_order)))
    return ordered_ids(ids, view.order)


def group_layers(view: View, specs: Sequence[LayerSpec], group: str) -> list[str]:
    """Return the ids of a group's layers as the tree lists them: topmost (drawn last) first."""
    by_id = {s.id: s for s in specs}
    return [i for i in reversed(tree_order(view, specs)) if by_id[i].group == group]


def move_layer(view: View, specs: Sequence[LayerSpec], layer_id: str, up: bool) -> View:
    """Return the view with one layer moved one place up (drawn later) or down in its group.

    The layer swaps places with the next layer of the same group in the
    drawing order; at the top or bottom of its group nothing changes. The
    whole order is then kept in :attr:`View.order`, so the link reproduces it.
    """
    by_id = {s.id: s for s in specs}
    if layer_id not in by_id:
        return view
    order = tree_order(view, specs)
    group = by_id[layer_id].group
    same = [i for i, lid in enumerate(order) if by_id[lid].group == group]
    k = same.index(order.index(layer_id))
    j = k + 1 if up else k - 1
    if not 0 <= j < len(same):
        return view
    a, b = same[k], same[j]
    order[a], order[b] = order[b], order[a]
    default = list(dict.fromkeys(s.id for s in sorted(specs, key=lambda s: s.z_order)))
    return view.replace(order=() if order == default else tuple(order))


def set_layer_visible(view: View, layer_id: str, visible: bool) -> View:
    """Return the view with one layer ticked or unticked in the tree (its group unchanged)."""
    hidden = tuple(i for i in view.hidden if i != layer_id)
    layers = view.layers
    if visible and layers is not None and layer_id not in layers:
        layers = (*layers, layer_id)
    return view.replace(hidden=hidden if visible else (*hidden, layer_id), layers=layers)
