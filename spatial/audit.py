"""The audit trail (留痕): who changed which layer or scenario, when, and to what.

Every store writes an :class:`AuditEntry` in the *same transaction* as the
change it records (a GeoPackage swap, a PostgreSQL transaction), so a change
without a record, or a record without its change, cannot exist. A deleted or
replaced layer is kept (``archive`` names where) so that an admin can restore it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import shapely

__all__ = [
    "ACTIONS",
    "DESK_ACTOR",
    "ITEM_ARCHIVE",
    "SCENARIO_TITLES",
    "AuditEntry",
    "action_for",
    "action_label",
    "actor_label",
    "is_item_entry",
    "item_action",
    "json_checksum",
    "layer_checksum",
]

# action -> (Chinese, English) as the admin page shows it.
ACTIONS: Final[dict[str, tuple[str, str]]] = {
    "upload": ("上传图层", "Layer uploaded"),
    "replace": ("替换图层", "Layer replaced"),
    "delete": ("删除图层", "Layer deleted"),
    "restore": ("恢复图层", "Layer restored"),
    "scenario": ("方案修改", "Scenario changed"),
    "scenario_delete": ("删除方案", "Scenario deleted"),
    "scenario_restore": ("恢复方案", "Scenario restored"),
    "rules": ("修改规则表", "Rule table changed"),
    "rules_delete": ("恢复默认规则表", "Rule table reset to the default"),
    "rules_restore": ("恢复规则表", "Rule table restored"),
    "statistics": ("保存统计表", "Statistics saved"),
    "statistics_delete": ("删除统计表", "Statistics removed"),
    "statistics_restore": ("恢复统计表", "Statistics restored"),
    # Markups (批注): the title is "#number comment…"; the record names no layer.
    "markup_create": ("新建批注", "Markup created"),
    "markup_edit": ("修改批注", "Markup edited"),
    "markup_reply": ("回复批注", "Markup replied to"),
    "markup_delete": ("删除批注", "Markup deleted"),
}

# An audit record's ``archive`` that names a kept project document (not a layer) starts so.
ITEM_ARCHIVE: Final = "item:"

# Layers that hold scenarios (方案) rather than map data: their changes are "scenario changes".
# The title is spatial.coverage.scenarios.SCENARIO_LAYER (kept here: storage must not import it).
SCENARIO_TITLES: Final = frozenset({"生活圈覆盖方案"})

# Who acts in desk mode (no sign-in): the person at this computer.
DESK_ACTOR: Final = "本机用户"


@dataclass(frozen=True)
class AuditEntry:
    """One recorded change.

    Attributes
    ----------
    entry_id : int
        Increasing number of the record within its store.
    at_utc : str
        ISO 8601 time of the change, UTC.
    actor : str
        The signed-in user name (desk mode: :data:`DESK_ACTOR`).
    action : str
        A key of :data:`ACTIONS`.
    title : str
        The layer's or scenario's title (untrusted text: escape before display).
    feature_count : int
        Features in the layer written or removed (0 for scenarios).
    checksum : str
        SHA-256 of the content written or removed (:func:`layer_checksum`).
    archive : str
        Where the removed or replaced content is kept for a restore ("" if nothing was kept).
    restorable : bool
        Whether an admin can restore ``archive`` now (not yet restored, still kept).
    """

    entry_id: int
    at_utc: str
    actor: str
    action: str
    title: str
    feature_count: int
    checksum: str
    archive: str
    restorable: bool


def action_for(title: str, action: str) -> str:
    """The audited action for a write to ``title``: scenario layers record scenario changes."""
    if title in SCENARIO_TITLES and action in {"upload", "replace", "delete"}:
        return "scenario_delete" if action == "delete" else "scenario"
    return action


def item_action(kind: str, change: str = "save") -> str:
    """The audited action for a ``change`` (save, delete, restore) of a project document."""
    return kind if change == "save" else f"{kind}_{change}"


def is_item_entry(entry: AuditEntry) -> bool:
    """Whether an audit record is about a project document (rule table, statistics) not a layer."""
    return entry.archive.startswith(ITEM_ARCHIVE) or entry.action.split("_")[0] in {
        "rules", "statistics"
    }


def actor_label(actor: str, lang: str) -> str:
    """Who acted, in ``lang``: the desk-mode actor reads 本机用户 / Local user; names as written.

    The desk actor is stored as :data:`DESK_ACTOR` whatever the language (earlier
    English sessions stored "This computer").
    """
    if actor in {DESK_ACTOR, "This computer"}:
        return "Local user" if lang == "en" else DESK_ACTOR
    return actor


def action_label(action: str, lang: str) -> str:
    """The planner's word for an audit action in ``lang`` ("zh" or "en")."""
    zh, en = ACTIONS.get(action, ("其他", "Other"))
    return en if lang == "en" else zh


def layer_checksum(gdf: gpd.GeoDataFrame) -> str:
    """SHA-256 over a layer's geometries (WKB) and attribute values, in row order.

    The same content gives the same checksum in every store, so an auditor can
    match an upload with a later export or a restored copy.
    """
    digest = hashlib.sha256()
    geoms = gdf.geometry.to_numpy()
    wkb = shapely.to_wkb(geoms, hex=False, output_dimension=2)
    for item in wkb:
        digest.update(b"\x00" if item is None else item)
    attrs = gdf.drop(columns=gdf.geometry.name)
    digest.update("\x1f".join(map(str, attrs.columns)).encode("utf-8"))
    for column in attrs.columns:
        values = attrs[column].astype("string").fillna("\x00")
        digest.update("\x1e".join(values.tolist()).encode("utf-8"))
    return digest.hexdigest()


def json_checksum(payload: dict[str, Any]) -> str:
    """SHA-256 of a JSON document in a canonical form (sorted keys), the same in every store."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
