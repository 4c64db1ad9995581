"""The layer tree (图层树) in the map page's sidebar: groups, their layers, opacity, order.

Each group keeps its checkbox (``map_group_<id>``); inside it every layer has
its own (``map_layer_<id>``), drawn topmost first as in QGIS. Below, the
settings of one chosen layer: opacity and moving it up or down in its group.
Everything is read back into the page's :class:`spatial.view.View`
(:func:`tree_view`), so the map, the link and the export agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import streamlit as st

from layers.schema import GROUPS, LayerSpec
from spatial.feature_search import feature_target
from spatial.layer_tree import group_layers, move_layer, tree_order
from spatial.view import View
from ui.feature_search import MAP_PX, move_map_to
from ui.i18n import t
from ui.pages.import_page import md_escape

__all__ = ["render_layer_tree", "tree_view"]

VIEW_KEY = "map_view"


def _layer_key(layer_id: str) -> str:
    return f"map_layer_{layer_id}"


def _held_view() -> View:
    view = st.session_state[VIEW_KEY]
    assert isinstance(view, View)
    return view


def _set_opacity(layer_id: str) -> None:
    value = st.session_state.get(f"map_opacity_{layer_id}", 100)
    st.session_state[VIEW_KEY] = _held_view().with_opacity(layer_id, float(value) / 100.0)


def _move(layer_id: str, up: bool, specs: Sequence[LayerSpec]) -> None:
    st.session_state[VIEW_KEY] = move_layer(_held_view(), specs, layer_id, up)


def _zoom_to_layer(gdf: gpd.GeoDataFrame) -> None:
    target = feature_target(gdf, range(len(gdf)), *MAP_PX)  # None: nothing located
    if target is not None:
        move_map_to(target)


def render_layer_tree(
    specs: Sequence[LayerSpec], lang: str, has_user: bool,
    frames: Mapping[str, gpd.GeoDataFrame] | None = None,
) -> None:
    """Draw the tree (in the current container, e.g. the sidebar).

    Parameters
    ----------
    specs : sequence of LayerSpec
        Every layer the page can show (catalogue and the planner's own).
    lang : str
        ``"zh"`` or ``"en"``.
    has_user : bool
        The workspace holds layers: show the "我的图层" group.
    frames : mapping of str to GeoDataFrame, optional
        The loaded layers, for 缩放至图层 (zoom to the chosen layer).
    """
    view = _held_view()
    by_id = {s.id: s for s in specs}
    st.subheader(t("图层", "Layers"))
    listed: list[str] = []
    for g in GROUPS:
        if g.id == "user" and not has_user:
            continue
        st.checkbox(g.title_en if lang == "en" else g.title_zh, key=f"map_group_{g.id}")
        members = group_layers(view, specs, g.id)
        listed += members
        if len(members) < 2:
            continue  # a group of one layer: its own checkbox is the layer's
        on = bool(st.session_state.get(f"map_group_{g.id}"))
        with st.expander(t(f"{len(members)} 个图层", f"{len(members)} layers")):
            for lid in members:
                key = _layer_key(lid)
                if key not in st.session_state:
                    st.session_state[key] = (lid not in view.hidden
                                             and not _held_back(view, by_id[lid]))
                label = md_escape(by_id[lid].title(lang))
                if view.opacity_of(lid) < 1.0:
                    label += f" · {round(view.opacity_of(lid) * 100)}%"
                st.checkbox(label, key=key, disabled=not on)
    if not listed:
        return
    st.markdown(f"**{t('图层设置', 'Layer settings')}**")
    if st.session_state.get("map_tree_current") not in listed:
        st.session_state["map_tree_current"] = listed[0]
    current = str(st.selectbox(
        t("图层", "Layer"), listed, key="map_tree_current",
        format_func=lambda i: by_id[i].title(lang),
    ))
    st.slider(
        t("不透明度（%）", "Opacity (%)"), min_value=5, max_value=100, step=5,
        value=round(view.opacity_of(current) * 100), key=f"map_opacity_{current}",
        on_change=_set_opacity, args=(current,),
    )
    siblings = group_layers(view, specs, by_id[current].group)
    k = siblings.index(current)
    c1, c2 = st.columns(2)
    c1.button(t("上移", "Move up"), key="map_layer_up", icon=":material/arrow_upward:",
              on_click=_move, args=(current, True, list(specs)), disabled=k == 0,
              width="stretch")
    c2.button(t("下移", "Move down"), key="map_layer_down", icon=":material/arrow_downward:",
              on_click=_move, args=(current, False, list(specs)),
              disabled=k == len(siblings) - 1, width="stretch")
    if frames is not None and current in frames:
        st.button(t("缩放至图层", "Zoom to layer"), key="map_layer_zoom",
                  icon=":material/zoom_out_map:", on_click=_zoom_to_layer,
                  args=(frames[current],), width="stretch")
    st.caption(t("组内靠上的图层压盖靠下的图层。",
                 "Within a group, upper layers draw over lower ones."))


def tree_view(view: View, specs: Sequence[LayerSpec], has_user: bool) -> View:
    """Return ``view`` with the groups and layers ticked in the tree (opacity and order kept)."""
    groups = tuple(g.id for g in GROUPS if st.session_state.get(f"map_group_{g.id}"))
    if not has_user:
        groups = tuple(g for g in groups if g != "user")
    by_id = {s.id: s for s in specs}
    ids = tree_order(view, specs)
    hidden = tuple(i for i in ids if st.session_state.get(_layer_key(i)) is False)
    # A link's explicit layer list becomes the tree's ticks (layers without a checkbox too).
    hidden += tuple(i for i in ids if i not in hidden and _layer_key(i) not in st.session_state
                    and _held_back(view, by_id[i]))
    return view.replace(groups=groups, hidden=hidden, layers=None)


def _held_back(view: View, spec: LayerSpec) -> bool:
    """A layer of a ticked group left out of the view's explicit layer list.

    The list says nothing about the layers of unticked groups: ticking such a
    group later shows all its layers.
    """
    return view.layers is not None and spec.group in view.groups and spec.id not in view.layers
