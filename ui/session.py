"""Sign-in, the project chooser and the current project's store (office mode only).

Desk mode (no ``HEBI_DATABASE_URL``): no sign-in, the local GeoPackage. Office
mode: the signed-in state is a random session token kept in this tab's
server-side Streamlit session (never in a cookie or the page); on every run the
user, role and project membership are read afresh from the database
(:func:`spatial.auth.session_user`, :func:`spatial.projects.open_project_store`).
A reload or a new tab therefore asks to sign in again: by design, the browser
holds no credential that a page script could read.
"""

from __future__ import annotations

import ipaddress

import streamlit as st

from spatial._errors import SpatialError
from spatial.auth import User, authenticate, end_session, session_user, start_session
from spatial.db import engine_from_env, office_mode
from spatial.projects import Project, open_project_store, projects_for
from spatial.storage import ProjectStore
from spatial.workspace import default_workspace
from ui.i18n import t

__all__ = [
    "current_project_store",
    "current_user",
    "desk_address_allowed",
    "office_gate",
]

_K_TOKEN = "hebi_session_token"
_K_PROJECT = "hebi_project_id"
_ROLE_NAMES = {"viewer": ("查看者", "viewer"), "editor": ("编辑者", "editor"),
               "admin": ("管理员", "administrator")}


def desk_address_allowed(address: str | None) -> bool:
    """Whether a server without sign-in may listen on ``address`` (loopback only)."""
    if not address:
        return False  # Streamlit's default is every interface
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def current_user() -> User | None:
    """The signed-in user of this tab, re-read from the database (None in desk mode)."""
    if not office_mode():
        return None
    return session_user(engine_from_env(), st.session_state.get(_K_TOKEN))


def _sign_in_form() -> None:
    st.title(t("登录", "Sign in"))
    st.caption(t("鹤壁经开区 空间布局查看器（单位版）", "Hebi ETDZ spatial-layout viewer (office)"))
    with st.form("hebi_sign_in"):
        name = st.text_input(t("用户名", "User name"), max_chars=64)
        password = st.text_input(t("密码", "Password"), type="password", max_chars=256)
        submitted = st.form_submit_button(t("登录", "Sign in"), type="primary")
    if submitted:
        try:
            user = authenticate(engine_from_env(), name, password)
        except SpatialError as err:
            st.error(t(err.zh, err.en))
            return
        st.session_state[_K_TOKEN] = start_session(engine_from_env(), user)
        st.session_state.pop(_K_PROJECT, None)
        st.rerun()


def _sidebar(user: User, choices: list[Project]) -> None:
    zh, en = _ROLE_NAMES.get(user.role, (user.role, user.role))
    with st.sidebar:
        st.caption(t(f"已登录：{user.username}（{zh}）", f"Signed in: {user.username} ({en})"))
        ids = [p.project_id for p in choices]
        names = {p.project_id: p.name for p in choices}
        current = st.session_state.get(_K_PROJECT)
        index = ids.index(current) if current in ids else 0
        chosen = st.selectbox(
            t("规划项目", "Project"), ids, index=index, format_func=names.__getitem__,
            key="hebi_project_choice",
        )
        st.session_state[_K_PROJECT] = chosen
        if st.button(t("退出登录", "Sign out"), key="hebi_sign_out"):
            end_session(engine_from_env(), st.session_state.pop(_K_TOKEN, None))
            st.session_state.pop(_K_PROJECT, None)
            st.rerun()


def office_gate() -> User | None:
    """In office mode: sign in and choose a project, else stop the run. Desk mode: None."""
    if not office_mode():
        return None
    try:
        user = current_user()
    except SpatialError as err:
        st.error(t(err.zh, err.en))
        st.stop()
    if user is None:
        st.session_state.pop(_K_TOKEN, None)
        _sign_in_form()
        st.stop()
    assert user is not None
    choices = projects_for(engine_from_env(), user)
    if not choices:
        _sidebar_without_project(user)
        st.info(t("您还不是任何规划项目的成员，请联系管理员。",
                  "You are not a member of any project yet; ask the administrator."))
        if not user.is_admin:
            st.stop()
        return user
    _sidebar(user, choices)
    return user


def _sidebar_without_project(user: User) -> None:
    with st.sidebar:
        st.caption(t(f"已登录：{user.username}", f"Signed in: {user.username}"))
        if st.button(t("退出登录", "Sign out"), key="hebi_sign_out"):
            end_session(engine_from_env(), st.session_state.pop(_K_TOKEN, None))
            st.rerun()


def current_project_store() -> ProjectStore:
    """The desk workspace, or the current project's store for the signed-in user."""
    if not office_mode():
        return default_workspace()
    user = current_user()
    if user is None:
        raise SpatialError("请先登录。", "Please sign in first.")
    project = st.session_state.get(_K_PROJECT)
    if not isinstance(project, int):
        raise SpatialError("请先选择规划项目。", "Choose a project first.")
    # Membership is checked here, on every run: a crafted project id opens nothing.
    return open_project_store(engine_from_env(), user, project)
