"""批注 · Markups page: draw on the plan, comment, reply, filter, zoom to, export, print.

Wires widgets to :mod:`spatial.markups` (core) and :mod:`spatial.markups_map` (the
map's drawing tool and overlay). Desk mode: the author is a name typed once per
session (default 本机用户); the markups live in ``markups.gpkg`` beside the workspace.
Office mode: the markups of the signed-in user's current project, the author is the
user, a viewer reads only, and every change is in the project's shared audit trail
(:func:`ui.markup_store.current_markup_store`).
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st
from streamlit_folium import st_folium

import layers
from layers.fields import local_time
from spatial._errors import SpatialError
from spatial.audit import DESK_ACTOR, actor_label
from spatial.basemaps import default_basemap_id, get_basemap
from spatial.export import ExportOptions
from spatial.markups import (
    CATEGORIES,
    Markup,
    MarkupStore,
    audit_table,
    category_name,
    filter_markups,
    geometry_from_geojson,
    markups_geojson_bytes,
    markups_gpkg_bytes,
)
from spatial.markups_map import (
    add_draw_control,
    markup_target,
    markups_overlay,
    unshift_gcj02,
)
from spatial.markups_print import export_with_markups
from spatial.text import escape_markdown
from spatial.view import DEFAULT_CENTER, DEFAULT_VIEW, DEFAULT_ZOOM
from spatial.webmap import LayerPayload, catalogue_payload, payload_overlay
from spatial.webmap_base import basemap_overlay, build_base_map
from ui.data import layer_mtime, load_plan_layer, plan_data_dir
from ui.i18n import current_lang, t
from ui.markup_store import current_markup_store

_AUTHOR = "markup_author_name"  # session: the desk-mode author name
_PENDING = "markup_pending"  # session: the drawn GeoJSON feature waiting for a comment
_CONSUMED = "markup_consumed"  # session: the last drawing already turned into a markup
_TARGET = "markup_target"  # session: (centre, zoom) to show
_GEN = "markup_map_generation"  # session: bump to clear the drawing tool's shapes
_SHOWN_GROUPS = ("structure",)


@st.cache_data(show_spinner=False, max_entries=64)
def _payload(layer_id: str, data_dir: str, mtime: float, lang: str, gcj02: bool) -> LayerPayload:
    """One plan structure layer, serialised for the map (cached)."""
    gdf = load_plan_layer(layer_id, data_dir, mtime)
    return catalogue_payload(layers.get_spec(layer_id), gdf, lang=lang, gcj02=gcj02)


def _author() -> str:
    """The session's author name (typed once; default 本机用户, stored as such in any language)."""
    shown_default = actor_label(DESK_ACTOR, current_lang())
    name = st.text_input(
        t("署名（本次会话）", "Your name (this session)"),
        value=actor_label(st.session_state.get(_AUTHOR, DESK_ACTOR), current_lang()),
        max_chars=40, key="markup_author_input",
    )
    typed = name.strip()
    st.session_state[_AUTHOR] = DESK_ACTOR if typed in {"", shown_default} else typed
    return str(st.session_state[_AUTHOR])


def _error(err: SpatialError) -> None:
    st.error(escape_markdown(err.message(current_lang())))


def _map(store_markups: list[Markup], lang: str, can_draw: bool = True) -> None:
    """The map: plan structure layers, markups and the drawing tool; keeps a new drawing."""
    bm = get_basemap(default_basemap_id())
    data_dir = str(plan_data_dir())
    overlays = [basemap_overlay(bm, key=None, lang=lang)]
    for spec in layers.specs_for_groups(_SHOWN_GROUPS):
        try:
            overlays.append(payload_overlay(
                _payload(spec.id, data_dir, layer_mtime(spec.id), lang, bm.gcj02)))
        except SpatialError as err:
            _error(err)
    overlays.append(markups_overlay(store_markups, lang=lang, gcj02=bm.gcj02))
    # folium's popups build their content with jQuery: load folium's full (vendored) set.
    base = build_base_map(lang, icons=True)
    if can_draw:
        add_draw_control(base, lang)
    center, zoom = st.session_state.get(_TARGET, (DEFAULT_CENTER, DEFAULT_ZOOM))
    out = st_folium(
        base,
        key=f"markup_map_{st.session_state.get(_GEN, 0)}",
        center=list(center), zoom=zoom,
        feature_group_to_add=overlays,
        returned_objects=["last_active_drawing"],
        use_container_width=True, height=560,
    )
    drawing = (out or {}).get("last_active_drawing") if can_draw else None
    if drawing:
        sig = json.dumps(drawing, sort_keys=True)
        if sig != st.session_state.get(_CONSUMED):
            st.session_state[_CONSUMED] = sig
            if bm.gcj02:  # drawn on GCJ-02 tiles: store in WGS84
                geom = unshift_gcj02(geometry_from_geojson(drawing))
                drawing = {"type": "Feature", "geometry": geom.__geo_interface__}
            st.session_state[_PENDING] = drawing
    if can_draw:
        st.caption(t("用地图左上角的工具画点、线或面，然后在右侧写批注。",
                     "Draw a point, line or area with the tools at the map's top left, "
                     "then write the comment on the right."))


def _new_markup(store: MarkupStore, author: str) -> None:
    """The form for the drawn shape: category and comment."""
    pending = st.session_state.get(_PENDING)
    lang = current_lang()
    st.markdown(f"**{t('新建批注', 'New markup')}**")
    if not pending:
        st.caption(t("尚未绘制图形。", "Nothing drawn yet."))
        return
    with st.form("markup_new", clear_on_submit=True):
        cat = st.radio(t("类别", "Category"), list(CATEGORIES), horizontal=True,
                       format_func=lambda c: category_name(c, lang), key="markup_cat")
        text = st.text_area(t("批注内容", "Comment"), key="markup_text", max_chars=2000)
        ok = st.form_submit_button(t("保存批注", "Save markup"), type="primary")
    if st.button(t("放弃所绘图形", "Discard the drawing"), key="markup_discard"):
        st.session_state.pop(_PENDING, None)
        st.session_state[_GEN] = st.session_state.get(_GEN, 0) + 1
        st.rerun()
    if ok:
        try:
            store.create(geometry_from_geojson(pending), cat, text, author)
        except SpatialError as err:
            _error(err)
            return
        st.session_state.pop(_PENDING, None)
        st.session_state[_GEN] = st.session_state.get(_GEN, 0) + 1
        st.rerun()


def _one(store: MarkupStore, m: Markup, author: str, lang: str) -> None:
    """One markup in the list: comment, thread, zoom to, reply, edit, delete."""
    who = escape_markdown(actor_label(m.author, lang))
    head = f"#{m.no} {category_name(m.category, lang)} · {who} · {local_time(m.created_utc, lang)}"
    with st.expander(head, expanded=False):
        st.markdown(escape_markdown(m.comment))
        for r in m.replies:
            st.markdown(f"↳ **{escape_markdown(actor_label(r.author, lang))}**"
                        f"（{local_time(r.time_utc, lang, zone=False)}）："
                        f"{escape_markdown(r.text)}")
        c1, c2 = st.columns(2)
        if c1.button(t("定位", "Zoom to"), key=f"mk_zoom_{m.id}"):
            st.session_state[_TARGET] = markup_target(m.geometry)
            st.session_state[_GEN] = st.session_state.get(_GEN, 0) + 1
            st.rerun()
        if not store.can_write:  # a viewer reads the thread; no change controls
            return
        if c2.button(t("删除", "Delete"), key=f"mk_del_{m.id}"):
            _apply(lambda: store.delete(m.id, author))
        with st.form(f"mk_reply_{m.id}", clear_on_submit=True):
            reply = st.text_input(t("回复", "Reply"), key=f"mk_reply_text_{m.id}", max_chars=2000)
            if st.form_submit_button(t("发送回复", "Send reply")):
                _apply(lambda: store.reply(m.id, author, reply))
        with st.form(f"mk_edit_{m.id}"):
            cats = list(CATEGORIES)
            cat = st.selectbox(t("类别", "Category"), cats, index=cats.index(m.category),
                               format_func=lambda c: category_name(c, lang),
                               key=f"mk_edit_cat_{m.id}")
            text = st.text_area(t("批注内容", "Comment"), value=m.comment,
                                key=f"mk_edit_text_{m.id}", max_chars=2000)
            if st.form_submit_button(t("保存修改", "Save changes")):
                _apply(lambda: store.edit(m.id, author, category=cat, comment=text))


def _apply(change: Any) -> None:
    """Run one change; show its error as a message, else rerun to show the result."""
    try:
        change()
    except SpatialError as err:
        _error(err)
        return
    st.rerun()


def _panel(store: MarkupStore, markups: list[Markup], author: str, lang: str) -> None:
    """The list with its filters and downloads."""
    st.markdown(f"**{t('批注列表', 'Markups')}**（{len(markups)}）")
    cats = st.multiselect(t("类别", "Category"), list(CATEGORIES),
                          format_func=lambda c: category_name(c, lang), key="markup_f_cat",
                          placeholder=t("全部类别", "All categories"))
    authors = st.multiselect(t("作者", "Author"), sorted({m.author for m in markups}),
                             key="markup_f_author", placeholder=t("全部作者", "All authors"))
    text = st.text_input(t("搜索批注与回复", "Search comments and replies"), key="markup_f_text")
    shown = filter_markups(markups, categories=cats, authors=authors, text=text)
    if len(shown) != len(markups):
        st.caption(t(f"筛选后 {len(shown)} 条。", f"{len(shown)} after filtering."))
    if not markups:
        st.caption(t("本项目还没有批注。", "This project has no markups yet."))
    for m in shown:
        _one(store, m, author, lang)
    if shown:
        c1, c2 = st.columns(2)
        c1.download_button(t("下载 GeoJSON", "Download GeoJSON"),
                           markups_geojson_bytes(shown, lang),
                           file_name=t("批注.geojson", "markups.geojson"),
                           mime="application/geo+json", key="markup_dl_geojson")
        c2.download_button(t("下载 GeoPackage", "Download GeoPackage"),
                           markups_gpkg_bytes(shown, lang),
                           file_name=t("批注.gpkg", "markups.gpkg"),
                           mime="application/geopackage+sqlite3", key="markup_dl_gpkg")
        st.caption(t("下载的是当前筛选出的批注（WGS84）。",
                     "The downloads hold the markups shown (WGS84)."))


def _print(markups: list[Markup], lang: str) -> None:
    """出图（含批注）: the plan figure (export page layout) with the markups drawn on it."""
    with st.expander(t("出图（含批注）", "Export figure with markups")):
        if not markups:
            st.caption(t("没有可出图的批注。", "There are no markups to print."))
            return
        c1, c2, c3 = st.columns(3)
        paper: Any = c1.selectbox(t("纸张", "Paper"), ("A4", "A3"), key="markup_print_paper")
        fmt: Any = c2.selectbox(t("格式", "Format"), ("pdf", "png"), key="markup_print_fmt",
                                format_func=str.upper)
        comments = c3.checkbox(t("列出批注内容", "List the comments"), value=True,
                               key="markup_print_comments")
        if st.button(t("生成出图", "Make the figure"), key="markup_print_go"):
            options = ExportOptions(paper=paper, fmt=fmt, dpi=150, lang=lang,
                                    title=t("鹤壁经开区空间布局图（含批注）",
                                            "Hebi ETDZ spatial layout with markups"))
            try:
                with st.spinner(t("正在出图…", "Making the figure…")):
                    result = export_with_markups(DEFAULT_VIEW.replace(lang=lang), options,
                                                 markups, comments=comments)
            except SpatialError as err:
                _error(err)
            else:
                st.session_state["markup_print"] = (result.data, result.mime, result.fmt)
        made = st.session_state.get("markup_print")
        if made:
            data, mime, ext = made
            st.download_button(t("下载出图", "Download the figure"), data,
                               file_name=t("批注出图", "markups-figure") + f".{ext}",
                               mime=mime, key="markup_print_dl")


def render() -> None:
    """Draw the page."""
    lang = current_lang()
    st.title(t("批注", "Markups"))
    try:
        store, office_author = current_markup_store()
    except SpatialError as err:  # office mode without a project: nothing to show
        _error(err)
        return
    try:
        markups = store.markups()
    except SpatialError as err:
        _error(err)
        markups = []
    col_map, col_side = st.columns([3, 2], gap="small")
    with col_side:
        if office_author is None:
            author = _author()
        else:
            author = office_author
            st.caption(t("署名：", "Signed as: ") + escape_markdown(author))
        if not store.can_write:
            st.info(t("您只有查看权限：可以查看批注，不能新建、修改、回复或删除。",
                      "You have read-only access: you can read the markups but not add, "
                      "edit, reply to or delete them."))
    with col_map:
        _map(markups, lang, can_draw=store.can_write)
    with col_side:
        if store.can_write:
            _new_markup(store, author)
        _panel(store, markups, author, lang)
    _print(markups, lang)
    with st.expander(t("变更记录（审计）", "Change log (audit trail)")):
        try:
            table = audit_table(store.audit_trail(), lang)
        except SpatialError as err:
            _error(err)
        else:
            st.dataframe(table, hide_index=True, width="stretch")
