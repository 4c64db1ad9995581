"""Find a feature by name (要素查询) in the map page's sidebar, zoom to it and highlight it.

Matching is :func:`spatial.feature_search.search_features` over every loaded
layer, shown or not. Choosing a hit (or a row of the attribute table) calls
:func:`select_feature`: the map moves through ``st_folium(center=, zoom=)``
and the feature is outlined by a highlight overlay, with no remount.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import streamlit as st

from layers.schema import LayerSpec
from spatial.basemaps import get_basemap
from spatial.crs import wgs84_to_gcj02
from spatial.feature_search import SearchHit, feature_target, search_features
from spatial.view import View
from ui.i18n import t
from ui.pages.import_page import md_escape

__all__ = [
    "MAP_PX",
    "SELECTED_KEY",
    "move_map_to",
    "render_feature_search",
    "select_feature",
    "selected_feature",
]

SELECTED_KEY = "map_selected"
TARGET_KEY = "map_target"
# The map's drawing area in CSS pixels, a little under the real one so the feature fits.
MAP_PX = (760, 520)


def select_feature(layer_id: str, positions: Sequence[int], gdf: gpd.GeoDataFrame) -> bool:
    """Highlight features of a layer and move the map to them; False when they have no position."""
    st.session_state[SELECTED_KEY] = (layer_id, tuple(int(p) for p in positions))
    target = feature_target(gdf, positions, *MAP_PX)
    if target is None:
        return False
    view = st.session_state.get("map_view")
    if isinstance(view, View) and get_basemap(view.basemap).gcj02:
        # On Gaode tiles the layers are drawn shifted to GCJ-02: frame the shifted feature.
        (lat, lon), zoom = target
        glon, glat = wgs84_to_gcj02(lon, lat)
        target = ((round(float(glat), 7), round(float(glon), 7)), zoom)
    move_map_to(target)
    return True


def move_map_to(target: tuple[tuple[float, float], int]) -> None:
    """Send the map to ``((lat, lon), zoom)`` through ``st_folium(center=, zoom=)``."""
    old = st.session_state.get(TARGET_KEY)
    if old is not None and tuple(old[0]) == target[0] and old[1] == target[1]:
        # The same target again (after a pan): st_folium moves only when the value changes.
        target = ((target[0][0] + 1e-7, target[0][1]), target[1])
    st.session_state[TARGET_KEY] = target


def selected_feature() -> tuple[str, tuple[int, ...]] | None:
    """The feature chosen by search or in the table, if any: ``(layer id, row positions)``."""
    held = st.session_state.get(SELECTED_KEY)
    if isinstance(held, tuple) and len(held) == 2:
        return str(held[0]), tuple(held[1])
    return None


def _hit_label(hit: SearchHit, spec: LayerSpec | None, lang: str, visible: bool) -> str:
    label = md_escape(hit.label(lang))
    if spec is not None and spec.title(lang) != hit.label(lang):
        label += " · " + md_escape(spec.title(lang))
    if not hit.located:
        label += t("（位置未知）", " (location unknown)")
    elif not visible:
        label += t("（图层未显示）", " (layer hidden)")
    return label


def _on_pick(key: str, hits: list[SearchHit], frames: Mapping[str, gpd.GeoDataFrame]) -> None:
    i = st.session_state.get(key)
    if isinstance(i, int) and 0 <= i < len(hits):
        hit = hits[i]
        select_feature(hit.layer_id, hit.positions, frames[hit.layer_id])


def render_feature_search(
    frames: Mapping[str, gpd.GeoDataFrame],
    specs: Mapping[str, LayerSpec],
    order: Sequence[str],
    visible: Sequence[str],
    lang: str,
) -> None:
    """Draw the search box and its results (in the current container).

    Parameters
    ----------
    frames : mapping of str to GeoDataFrame
        Every loaded layer (search covers hidden layers too).
    specs : mapping of str to LayerSpec
        Their declarations (for the layer names in the results).
    order : sequence of str
        Layer ids in the tree's order, topmost first (order of equal hits).
    visible : sequence of str
        Layers drawn now (a hit elsewhere says its layer is hidden).
    lang : str
        ``"zh"`` or ``"en"``.
    """
    st.subheader(t("查找要素", "Find a feature"))
    query = st.text_input(
        t("名称", "Name"), key="map_search", max_chars=80,
        placeholder=t("输入名称（中文或英文，可部分）", "Type a name (Chinese or English, part)"),
        label_visibility="collapsed",
    )
    if not query.strip():
        return
    hits = search_features(frames, query, order=order, limit=20)
    if not hits:
        st.caption(t("未找到名称含该文字的要素。", "No feature has this in its name."))
        return
    shown = set(visible)
    key = f"map_search_pick_{abs(hash(query.strip()))}"
    st.radio(
        t("查找结果", "Results"), range(len(hits)), index=None, key=key,
        format_func=lambda i: _hit_label(hits[i], specs.get(hits[i].layer_id), lang,
                                         hits[i].layer_id in shown),
        on_change=_on_pick, args=(key, hits, frames),
    )
    picked = st.session_state.get(key)
    if not isinstance(picked, int) or not 0 <= picked < len(hits):
        return
    if not hits[picked].located:
        st.info(t("该要素在规划中没有确定的位置，图上不绘制。",
                  "The plan gives this feature no position; it is not drawn."))
    else:  # after panning away (or a click elsewhere), back to the chosen feature
        st.button(t("再次定位", "Zoom to it again"), key="map_search_zoom",
                  icon=":material/my_location:", on_click=_on_pick, args=(key, hits, frames))
