"""留痕与管理 · Audit trail and administration.

Everyone who may see this page (the desk user; an office admin) sees the audit
trail of the current workspace or project and can restore a removed or
replaced layer. An office admin also creates accounts and projects and adds
members here.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from layers.fields import local_time, local_time_header
from spatial._errors import SpatialError
from spatial.audit import action_label, actor_label, is_item_entry
from spatial.auth import create_user
from spatial.db import ROLES, engine_from_env, office_mode
from spatial.projects import add_member, create_project
from ui.data import current_store, refresh_tiles
from ui.i18n import current_lang, t
from ui.pages.import_page import md_escape
from ui.session import current_user

_ROLE_LABELS = {"viewer": ("查看者", "Viewer"), "editor": ("编辑者", "Editor"),
                "admin": ("管理员", "Administrator")}


def _audit_section() -> None:
    lang = current_lang()
    st.subheader(t("留痕（操作记录）", "Audit trail"))
    try:
        store = current_store()
        entries = store.audit_entries(limit=200)
    except SpatialError as err:
        st.info(err.message(lang))
        return
    if not entries:
        st.info(t("还没有记录。", "Nothing recorded yet."))
        return
    table = pd.DataFrame(
        {
            local_time_header(lang): [local_time(e.at_utc, lang, seconds=True, zone=False)
                                      for e in entries],
            t("操作人", "By"): [actor_label(e.actor, lang) for e in entries],
            t("操作", "Action"): [action_label(e.action, lang) for e in entries],
            t("图层/方案/表格/批注", "Layer/scenario/table/markup"): [e.title for e in entries],
            t("要素数/行数", "Features/rows"): [e.feature_count for e in entries],
            t("校验码（SHA-256 前 12 位）", "Checksum (SHA-256, first 12)"): [
                e.checksum[:12] for e in entries
            ],
        }
    )
    # A plain HTML table: readable by screen readers and copyable (the newest 200 records).
    st.table(table.set_index(table.columns[0]))
    restorable = [e for e in entries if e.restorable]
    if not restorable:
        return
    st.markdown(t("**可恢复的图层与表格**", "**Layers and tables that can be restored**"))
    for e in restorable:
        cols = st.columns([7, 2])
        item = is_item_entry(e)  # a rule table or statistics sheet: rows, not features
        when_zh = local_time(e.at_utc, "zh", seconds=True)
        when_en = local_time(e.at_utc, "en", seconds=True)
        size_zh = "" if item else f" · {e.feature_count} 个要素"
        size_en = "" if item else f" · {e.feature_count} features"
        cols[0].markdown(
            md_escape(
                t(
                    f"{when_zh} · {action_label(e.action, 'zh')} · “{e.title}”{size_zh}",
                    f"{when_en} · {action_label(e.action, 'en')} · “{e.title}”{size_en}",
                )
            )
        )
        if cols[1].button(t("恢复", "Restore"), key=f"admin_restore_{e.entry_id}"):
            try:
                title = store.restore(e.entry_id)
            except SpatialError as err:
                st.error(md_escape(err.message(lang)))
                return
            if item:
                st.session_state["admin_notice"] = t(
                    f"已恢复“{md_escape(title)}”。", f"Restored “{md_escape(title)}”."
                )
            else:
                refresh_tiles(store)  # the restored version is current: tiles for it
                st.session_state["admin_notice"] = t(
                    f"已恢复图层“{md_escape(title)}”。",
                    f"Restored the layer “{md_escape(title)}”.",
                )
            st.rerun()


def _accounts_section() -> None:
    lang = current_lang()
    engine = engine_from_env()
    st.subheader(t("账户与项目", "Accounts and projects"))
    c1, c2, c3 = st.columns(3)
    with c1.form("admin_new_user", clear_on_submit=True):
        st.markdown(t("**新建账户**", "**New account**"))
        name = st.text_input(t("用户名", "User name"), max_chars=64)
        password = st.text_input(t("初始密码（至少 8 位）", "First password (8+)"), type="password")
        role = st.selectbox(t("角色", "Role"), ROLES,
                            format_func=lambda r: _ROLE_LABELS[r][1 if lang == "en" else 0])
        if st.form_submit_button(t("创建", "Create")):
            try:
                create_user(engine, name, password, role)
                st.success(t("已创建。", "Created."))
            except SpatialError as err:
                st.error(err.message(lang))
    with c2.form("admin_new_project", clear_on_submit=True):
        st.markdown(t("**新建规划项目**", "**New project**"))
        pname = st.text_input(t("项目名称", "Project name"), max_chars=100)
        if st.form_submit_button(t("创建", "Create")):
            try:
                create_project(engine, pname)
                st.success(t("已创建。", "Created."))
            except SpatialError as err:
                st.error(err.message(lang))
    with c3.form("admin_add_member", clear_on_submit=True):
        st.markdown(t("**把账户加入当前项目**", "**Add an account to this project**"))
        member = st.text_input(t("用户名", "User name"), max_chars=64, key="admin_member")
        if st.form_submit_button(t("加入", "Add")):
            project = st.session_state.get("hebi_project_id")
            try:
                if not isinstance(project, int):
                    raise SpatialError("请先选择规划项目。", "Choose a project first.")
                add_member(engine, project, member.strip())
                st.success(t("已加入。", "Added."))
            except SpatialError as err:
                st.error(err.message(lang))


def render() -> None:
    """Draw the audit trail (and, for an office admin, accounts and projects)."""
    st.title(t("留痕与管理", "Audit trail and administration"))
    if office_mode():
        user = current_user()
        if user is None or not user.is_admin:  # the page is not listed for them; refuse anyway
            st.error(t("只有管理员可以查看此页。", "Only an administrator can open this page."))
            return
    notice = st.session_state.pop("admin_notice", None)
    if notice:
        st.success(notice)
    _audit_section()
    if office_mode():
        st.divider()
        _accounts_section()
