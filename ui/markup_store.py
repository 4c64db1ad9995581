"""The markups of the current desk workspace or office project, for the pages that show them.

Desk mode: ``markups.gpkg`` beside the workspace, project ``default``, the author typed
on the page. Office mode: the signed-in user's current project (membership checked by
:func:`ui.data.current_store`), the author is the user, and a viewer may only read.
"""

from __future__ import annotations

from spatial.markups import MarkupStore, default_markup_store
from spatial.markups_office import OfficeMarkupStore
from spatial.storage.postgis import PostGISStore
from ui.data import current_store

__all__ = ["current_markup_store"]


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
