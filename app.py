"""Streamlit entry point of the Hebi ETDZ spatial-layout viewer.

Thin on purpose: page set-up, the language switch and navigation. Every page
lives in ``ui/pages`` and every figure it shows is computed in ``spatial``.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from spatial.db import office_mode
from ui.chrome import localise_chrome
from ui.i18n import LANGS, current_lang, set_lang, t
from ui.pages import (
    admin_page,
    coverage_page,
    export_page,
    import_page,
    indicators_page,
    map_page,
    markup_page,
    monitoring_page,
)
from ui.session import desk_address_allowed, office_gate

st.set_page_config(
    page_title="鹤壁经开区空间布局 · Hebi ETDZ layout",
    page_icon="🗺️",
    layout="wide",
)

# (render, url path, Chinese title, English title, icon)
_PAGES: tuple[tuple[Callable[[], None], str, str, str, str], ...] = (
    (map_page.render, "map", "规划图", "Plan map", ":material/map:"),
    (coverage_page.render, "coverage", "生活圈覆盖", "Living-circle coverage", ":material/radar:"),
    (indicators_page.render, "indicators", "指标", "Indicators", ":material/bar_chart:"),
    (import_page.render, "import", "我的图层", "My layers", ":material/upload_file:"),
    (export_page.render, "export", "出图", "Export", ":material/print:"),
    (monitoring_page.render, "monitoring", "规划实施监测", "Plan monitoring",
     ":material/monitoring:"),
    (markup_page.render, "markups", "批注", "Markups", ":material/rate_review:"),
    (admin_page.render, "admin", "留痕与管理", "Audit & admin", ":material/history:"),
)


lang = current_lang()
with st.sidebar:
    choice = st.radio(
        "语言 / Language",
        list(LANGS),
        index=list(LANGS).index(lang),
        format_func=LANGS.__getitem__,
        horizontal=True,
        key="lang_radio",
    )
    if choice != lang:
        set_lang(choice)
        st.rerun()
localise_chrome(lang)  # Streamlit's own uploader texts in Chinese too

# Desk mode has no sign-in, so it serves this computer only; an office server (database
# configured) signs everyone in and may listen wider (README, "Office mode").
if not office_mode() and not desk_address_allowed(st.get_option("server.address")):
    st.error(
        t(
            "未配置数据库（无登录）时，本应用只在本机地址（127.0.0.1）上提供服务。"
            "单位内多人使用请配置 HEBI_DATABASE_URL。",
            "Without a database (no sign-in) the app serves this computer only (127.0.0.1). "
            "For an office, configure HEBI_DATABASE_URL.",
        )
    )
    st.stop()
user = office_gate()  # office mode: stops the run until signed in
show_admin = user is None or user.is_admin

pages: list[st.Page] = []
for fn, path, zh, en, icon in _PAGES:
    if fn is admin_page.render and not show_admin:
        continue
    if not pages:
        # Streamlit serves its default page at "/" only: /map?… (README, export CLI) would say
        # "Page not found" and drop to the root. So the first page is served at both: a hidden
        # default at the root, and the menu entry at its own path.
        pages.append(st.Page(fn, title=t(zh, en), url_path=f"{path}-home", icon=icon,
                             default=True, visibility="hidden"))
    pages.append(st.Page(fn, title=t(zh, en), url_path=path, icon=icon))
st.navigation(pages).run()
