"""The 对比 (compare) section of the map page's sidebar: 卷帘 swipe or 分屏 side by side.

The left view is the page's view; the right one has its own basemap and layer
groups. The choice is kept in the :class:`spatial.view.View` (``compare``,
``compare_basemap``, ``compare_groups``) and so in the URL.
"""

from __future__ import annotations

import streamlit as st

from layers.schema import GROUPS
from spatial.basemaps import available_basemaps, get_basemap
from spatial.view import COMPARE_MODES, View
from ui.i18n import t

__all__ = ["compare_view", "render_compare_controls"]

_MODE_KEY, _BASEMAP_KEY, _GROUPS_KEY = "map_cmp_mode", "map_cmp_basemap", "map_cmp_groups"
_OFF = "off"


def render_compare_controls(view: View, lang: str, key: str | None, has_user: bool) -> None:
    """Draw the compare controls (in the current container), first filled from ``view``."""
    if _MODE_KEY not in st.session_state:
        st.session_state[_MODE_KEY] = view.compare or _OFF
        st.session_state[_BASEMAP_KEY] = view.compare_basemap
        st.session_state[_GROUPS_KEY] = list(view.compare_groups)
    st.subheader(t("对比", "Compare"))
    names = {_OFF: t("关闭", "Off"), "swipe": t("卷帘", "Swipe"),
             "split": t("分屏", "Side by side")}
    mode = st.radio(t("对比方式", "Compare mode"), [_OFF, *COMPARE_MODES], key=_MODE_KEY,
                    format_func=lambda m: names[m], horizontal=True,
                    label_visibility="collapsed")
    if mode == _OFF:
        return
    options = [b.id for b in available_basemaps(key)]
    if st.session_state.get(_BASEMAP_KEY) not in options:
        st.session_state[_BASEMAP_KEY] = options[-1]
    st.selectbox(t("右侧底图", "Right-hand basemap"), options, key=_BASEMAP_KEY,
                 format_func=lambda b: get_basemap(b).title(lang))
    titles = {g.id: g.title_en if lang == "en" else g.title_zh for g in GROUPS
              if g.id != "user" or has_user}
    st.multiselect(t("右侧图层组", "Right-hand layer groups"), list(titles), key=_GROUPS_KEY,
                   format_func=lambda g: titles.get(g, g),
                   placeholder=t("选择图层组", "Choose layer groups"))
    st.caption(t("左侧为当前图层与底图；拖动卷帘竖线或平移任一侧地图进行对比。",
                 "Left: the layers and basemap chosen above. Drag the swipe bar, or pan either "
                 "map, to compare."))


def compare_view(view: View) -> View:
    """Return ``view`` with the compare choice of the sidebar."""
    mode = st.session_state.get(_MODE_KEY, view.compare or _OFF)
    if mode not in COMPARE_MODES:
        return view.replace(compare=None)
    basemap = str(st.session_state.get(_BASEMAP_KEY, view.compare_basemap))
    groups = tuple(str(g) for g in st.session_state.get(_GROUPS_KEY, view.compare_groups))
    return view.replace(compare=mode, compare_basemap=basemap, compare_groups=groups)
