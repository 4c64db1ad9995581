"""方案 (scenarios): a named choice of coverage inputs and what-if edits, kept in the workspace.

A scenario records *which* layers a run uses (each input is the shipped plan
layer or one of the planner's workspace layers, by title), the analysis
settings and the what-if edits, not the results: reopening it re-runs the
analysis on the layers as they are now. Records are JSON, one row each in a
single non-spatial layer (:data:`SCENARIO_LAYER`) written through
:class:`spatial.storage.LayerStore`, so they move with the workspace to any back
end that implements that interface (GeoPackage today, PostGIS later). All
persistence is in :func:`save_scenario`, :func:`list_scenarios` and
:func:`delete_scenario`.

A record read back is untrusted (the workspace file is the user's): a row that
does not parse is skipped, never shown raw.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd

from spatial._errors import AnalysisError, SpatialError
from spatial.coverage.compare import compare_figures, figures
from spatial.coverage.model import CoverageModel
from spatial.crs import WGS84
from spatial.storage import LayerStore

__all__ = [
    "PLAN_SOURCE",
    "SCENARIO_LAYER",
    "SCENARIO_ROLES",
    "Scenario",
    "compare_scenarios",
    "delete_scenario",
    "list_scenarios",
    "save_scenario",
]

SCENARIO_LAYER = "生活圈覆盖方案"
PLAN_SOURCE = "plan"
SCENARIO_ROLES: tuple[str, ...] = ("roads", "facilities", "residential", "units")
_NAME_MAX = 60
_EDIT_KINDS = ("add", "move", "remove")


@dataclass(frozen=True)
class Scenario:
    """One named scenario.

    Attributes
    ----------
    name : str
        What the planner called it (untrusted text: escape before HTML).
    inputs : dict
        Role (:data:`SCENARIO_ROLES`) → :data:`PLAN_SOURCE` or a workspace layer title.
    settings : dict
        ``max_snap_m``, ``snap_gap_m``, ``add_access_offset``.
    edits : list of dict
        What-if edits in order: ``kind`` (add/move/remove), ``category``,
        ``level``, ``facility_type``, ``x``, ``y`` (network CRS), ``fid``.
    saved_utc : str
    """

    name: str
    inputs: dict[str, str]
    settings: dict[str, Any] = field(default_factory=dict)
    edits: list[dict[str, Any]] = field(default_factory=list)
    saved_utc: str = ""

    def to_json(self) -> str:
        """The record as JSON."""
        return json.dumps(
            {"name": self.name, "inputs": self.inputs, "settings": self.settings,
             "edits": self.edits, "saved_utc": self.saved_utc},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> Scenario:
        """Parse and check a record.

        Raises
        ------
        AnalysisError
            If the record is not a valid scenario.
        """
        try:
            raw = json.loads(text)
            name = _clean_name(raw["name"])
            inputs = {str(k): str(v) for k, v in dict(raw["inputs"]).items()}
            settings = dict(raw.get("settings") or {})
            edits = [dict(e) for e in raw.get("edits") or []]
        except (ValueError, KeyError, TypeError) as exc:
            raise AnalysisError("方案记录无法读取。", "A scenario record cannot be read.") from exc
        if set(inputs) != set(SCENARIO_ROLES) or any(
            e.get("kind") not in _EDIT_KINDS for e in edits
        ):
            raise AnalysisError("方案记录无法读取。", "A scenario record cannot be read.")
        for key in ("max_snap_m", "snap_gap_m"):
            value = settings.get(key)
            if value is not None and not (isinstance(value, int | float) and math.isfinite(value)):
                raise AnalysisError("方案记录无法读取。", "A scenario record cannot be read.")
        return cls(name, inputs, settings, edits, str(raw.get("saved_utc", "")))


def _clean_name(name: object) -> str:
    text = " ".join(str(name).split())
    if not text or len(text) > _NAME_MAX:
        raise AnalysisError(
            f"方案名称须为 1–{_NAME_MAX} 个字符。",
            f"A scenario name must be 1–{_NAME_MAX} characters.",
        )
    return text


def _read(store: LayerStore) -> pd.DataFrame:
    if SCENARIO_LAYER not in store.list_layers():
        return pd.DataFrame({"name": [], "record": []})
    frame = store.read_layer(SCENARIO_LAYER)
    if not {"name", "record"} <= set(frame.columns):
        return pd.DataFrame({"name": [], "record": []})
    return pd.DataFrame(frame[["name", "record"]])


def _write(store: LayerStore, frame: pd.DataFrame) -> None:
    if frame.empty:
        store.delete_layer(SCENARIO_LAYER)
        return
    layer = gpd.GeoDataFrame(
        frame[["name", "record"]].reset_index(drop=True), geometry=[None] * len(frame), crs=WGS84
    )
    store.write_layer(SCENARIO_LAYER, layer)


def list_scenarios(store: LayerStore) -> list[Scenario]:
    """The saved scenarios, by name (records that do not parse are skipped)."""
    out = []
    for text in _read(store)["record"].astype(str):
        try:
            out.append(Scenario.from_json(text))
        except SpatialError:
            continue
    return sorted(out, key=lambda s: s.name)


def save_scenario(store: LayerStore, scenario: Scenario) -> Scenario:
    """Save (or replace, by name) a scenario; returns it with its name cleaned and time stamped."""
    saved = Scenario(
        _clean_name(scenario.name), dict(scenario.inputs), dict(scenario.settings),
        list(scenario.edits), datetime.now(UTC).isoformat(timespec="seconds"),
    )
    Scenario.from_json(saved.to_json())  # the same checks as on reading
    frame = _read(store)
    frame = frame[frame["name"].astype(str) != saved.name]
    frame = pd.concat(
        [frame, pd.DataFrame({"name": [saved.name], "record": [saved.to_json()]})],
        ignore_index=True,
    )
    _write(store, frame)
    return saved


def delete_scenario(store: LayerStore, name: str) -> None:
    """Remove a scenario; a missing one is not an error."""
    frame = _read(store)
    _write(store, frame[frame["name"].astype(str) != " ".join(str(name).split())])


def compare_scenarios(a: CoverageModel, b: CoverageModel) -> pd.DataFrame:
    """Return every figure of two runs side by side (before = a, after = b, change = b − a)."""
    return compare_figures(figures(a), figures(b), changed_only=False)
