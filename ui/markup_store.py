"""The markups of the current desk workspace or office project, for the pages that show them.

Also the 打印批注 choice of the export forms (the export page, the map's 出图 popover).

Desk mode: ``markups.gpkg`` beside the workspace, project ``default``, the author typed
on the page. Office mode: the signed-in user's current project (membership checked by
:func:`ui.data.current_store`), the author is the user, and a viewer may only read.
"""

from __future__ import annotations

import streamlit as st

from spatial._errors import SpatialError
from spatial.markups import MarkupStore, default_markup_store
from spatial.markups_office import OfficeMarkupStore
from spatial.markups_print import MarkupsOverlay
from spatial.storage.postgis import PostGISStore
from spatial.text import escape_markdown
from ui.data import current_store
from ui.i18n import t

__all__ = ["current_markup_store", "markup_print_choice"]


def current_markup_store() -> tuple[MarkupStore, str | None]:
    """The markup store of this run and, in office mode, the signed-in author (desk: None).

    Raises
    ------
    SpatialError
        In office mode, when no one is signed in or no project is chosen.
    """
    store = current_store()
    if isinstance(store, PostGISStore):
        return OfficeMarkupStore(store), store.actor
    return default_markup_store(), None


def markup_print_choice(key: str, lang: str) -> tuple[MarkupsOverlay | None, object]:
    """The 打印批注 checkbox of an export form; the overlay to print and what it is made of.

    Returns
    -------
    MarkupsOverlay or None, object
        The current project's markups to print (None when not ticked or there are none),
        and a value for the file signature (changes when a markup or the choice changes).
    """
    if not st.checkbox(t("打印批注", "Print the markups"), key=f"{key}_markups",
                       help=t("在图上按类别着色绘出本项目的批注及其编号，并列入图例。",
                              "Draw this project's markups, coloured by category and "
                              "numbered, and list them in the legend.")):
        return None, None
    try:
        store, _ = current_markup_store()
        markups = store.markups()
    except SpatialError as err:
        st.error(escape_markdown(err.message(lang)))
        return None, None
    if not markups:
        st.caption(t("本项目还没有批注。", "This project has no markups yet."))
        return None, None
    comments = st.checkbox(t("列出批注内容", "List the comments"), value=True,
                           key=f"{key}_markup_comments")
    st.caption(t(f"本项目共 {len(markups)} 条批注；出图范围内的批注会印在图上。",
                 f"This project has {len(markups)} markups; those within the printed "
                 "extent are drawn."))
    made_of = (comments, tuple((m.id, m.updated_utc) for m in markups))
    return MarkupsOverlay(markups, comments=comments), made_of
