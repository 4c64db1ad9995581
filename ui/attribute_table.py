"""The attribute table (属性表) under the plan map: one layer, filter, sort, click a row to zoom.

The table is :func:`spatial.attribute_table.attribute_table`; picking a row
(``st.dataframe`` row selection) calls :func:`ui.feature_search.select_feature`,
which moves the map and highlights the feature.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import streamlit as st

from layers.schema import LayerSpec
from spatial.attribute_table import attribute_table
from ui.feature_search import select_feature
from ui.i18n import t
from ui.tables import show_table

__all__ = ["render_attribute_table"]

_LAST = "attr_last_pick"


def table_key(layer_id: str) -> str:
    """Session key of a layer's table (its row selection lives there)."""
    return f"attr_table_{layer_id}"


def render_attribute_table(
    specs: Mapping[str, LayerSpec],
    frames: Mapping[str, gpd.GeoDataFrame],
    order: Sequence[str],
    lang: str,
) -> None:
    """Draw the attribute table of one chosen layer (in the current container).

    Parameters
    ----------
    specs : mapping of str to LayerSpec
        Declarations of the loaded layers.
    frames : mapping of str to GeoDataFrame
        The loaded layers.
    order : sequence of str
        Layer ids as the tree lists them (the choice's order).
    lang : str
        ``"zh"`` or ``"en"``.
    """
    ids = [i for i in order if i in frames and i in specs]
    if not ids:
        return
    with st.expander(t("属性表", "Attribute table"), icon=":material/table:"):
        c1, c2, c3, c4 = st.columns([3, 3, 3, 2], vertical_alignment="bottom")
        layer_id = str(c1.selectbox(t("图层", "Layer"), ids, key="attr_layer",
                                    format_func=lambda i: specs[i].title(lang)))
        spec, gdf = specs[layer_id], frames[layer_id]
        query = c2.text_input(t("筛选", "Filter"), key="attr_query", max_chars=80,
                              placeholder=t("任一列包含的文字", "Text in any column"))
        headers = list(attribute_table(spec, gdf, lang=lang, frames=frames).frame.columns)
        sort_by = c3.selectbox(
            t("排序", "Sort by"), [None, *headers], key=f"attr_sort_{layer_id}",
            format_func=lambda h: t("（图层顺序）", "(layer order)") if h is None else str(h),
        )
        descending = c4.toggle(t("降序", "Descending"), key="attr_desc")
        table = attribute_table(spec, gdf, lang=lang, query=query, sort_by=sort_by,
                                descending=descending, frames=frames)
        st.caption(t(f"{len(table.frame)} / {table.total} 条；点击一行在图上定位并高亮。",
                     f"{len(table.frame)} of {table.total} rows; click a row to zoom to it "
                     "and highlight it."))
        event = show_table(
            table.frame, decimals=table.decimals, key=table_key(layer_id), on_select="rerun",
            selection_mode="single-row", width="stretch",
        )
        rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
        if not rows or not 0 <= rows[0] < len(table.frame):
            st.session_state[_LAST] = None  # picking the same row again zooms again
            return
        pick = (layer_id, table.positions[rows[0]])
        if st.session_state.get(_LAST) != pick:  # a new row: not on every later rerun
            st.session_state[_LAST] = pick
            if not select_feature(layer_id, [pick[1]], gdf):
                st.info(t("该要素在规划中没有确定的位置，图上不绘制。",
                          "The plan gives this feature no position; it is not drawn."))
