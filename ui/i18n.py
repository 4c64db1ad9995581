"""Chinese-first UI text with English available.

Every UI string is written in place as ``t("中文", "English")``; the language
is chosen once per session (sidebar switch, or ``?lang=en`` in the URL).
"""

from __future__ import annotations

import streamlit as st

__all__ = ["LANGS", "current_lang", "set_lang", "t"]

LANGS: dict[str, str] = {"zh": "中文", "en": "English"}
_KEY = "lang"


def current_lang() -> str:
    """Return the session's UI language, ``"zh"`` (default) or ``"en"``."""
    lang = st.session_state.get(_KEY)
    if lang not in LANGS:
        lang = st.query_params.get("lang", "zh")
        lang = lang if lang in LANGS else "zh"
        st.session_state[_KEY] = lang
    return str(lang)


def set_lang(lang: str) -> None:
    """Switch the UI language and keep it in the URL so a shared link keeps it."""
    if lang not in LANGS:
        return
    st.session_state[_KEY] = lang
    if lang == "zh":
        st.query_params.pop("lang", None)
    else:
        st.query_params["lang"] = lang


def t(zh: str, en: str) -> str:
    """Return the text in the session's language."""
    return en if current_lang() == "en" else zh
