"""Streamlit's own widget texts in the page's language (its uploader and input hints are English).

Streamlit 1.67 draws the file uploader's button ("Upload"), its instructions
("50MB per file • CSV, XLSX"), its refusal of a file ("File must be 50.0MB
or smaller.", "… files are not allowed.") and the hint under a text field
being edited ("Press Enter to apply") in English whatever the app's language,
and offers no setting for them. In Chinese mode a style sheet sets
those texts to nothing and shows the Chinese words in their place (CSS
``::after``), so a planner never meets the English ones. The selectors are
Streamlit's ``data-testid`` attributes; ``tests/browser`` checks that the
Chinese words show and the English ones do not.
"""

from __future__ import annotations

import streamlit as st

from spatial.importer import MAX_UPLOAD_BYTES

__all__ = ["chrome_css", "localise_chrome"]

_UPLOADER = '[data-testid="stFileUploaderDropzone"]'


def chrome_css(lang: str) -> str:
    """Return the ``<style>`` that puts Streamlit's uploader texts in ``lang`` ("" for English)."""
    if lang != "zh":
        return ""
    mb = MAX_UPLOAD_BYTES // 1024**2
    rules = {
        # The button: its label paragraph is emptied, the Chinese word drawn after it.
        f'{_UPLOADER} [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p':
            "上传",
        # The instructions (limit and types): the types are in each uploader's own label.
        '[data-testid="stFileUploaderDropzoneInstructions"] span':
            f"拖放文件到此处，单个文件不超过 {mb} MB",
        # The hint under a text field being edited ("Press Enter to apply").
        '[data-testid="stTextInput"] [data-testid="InputInstructions"] > span:first-child':
            "按回车键确认",
        '[data-testid="stTextArea"] [data-testid="InputInstructions"] > span:first-child':
            "按 Ctrl+回车 确认",
        # A refused file (too large or of another type): the chip's tooltip.
        '[data-testid="stTooltipErrorContent"]':
            f"未上传：文件超过 {mb} MB 或不是所列格式。",
    }
    css = "".join(
        f"{sel}{{font-size:0 !important;}}"
        f'{sel}::after{{content:"{text}";font-size:0.875rem;}}'
        for sel, text in rules.items()
    )
    return f"<style>{css}</style>"


def localise_chrome(lang: str) -> None:
    """Add the style sheet of :func:`chrome_css` to the page (nothing in English mode)."""
    css = chrome_css(lang)
    if css:
        st.html(css)
