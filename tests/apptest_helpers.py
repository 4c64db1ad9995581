"""Helpers shared by the AppTest page tests: find the map a page drew.

AppTest shows ``st_folium`` as an ``UnknownElement`` whose ``proto.json_args``
holds the base map script and the overlays (``feature_group``).
"""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest

__all__ = ["all_map_args", "map_args"]


def all_map_args(at: AppTest) -> list[dict[str, Any]]:
    """The arguments of every ``st_folium`` map on the page, in page order."""
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if type(node).__name__ == "UnknownElement":
            args = getattr(getattr(node, "proto", None), "json_args", None)
            if args:
                found.append(json.loads(args))
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at.main)
    return found


def map_args(at: AppTest) -> dict[str, Any]:
    """The arguments of the page's one ``st_folium`` map (fails unless there is exactly one)."""
    found = all_map_args(at)
    assert len(found) == 1, "exactly one map on the page"
    return found[0]
