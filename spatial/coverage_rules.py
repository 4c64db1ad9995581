"""Walking-distance rules per facility type: the editable table behind the coverage analysis.

GB 50180-2018 gives service distances per facility *item*, and tiers do not
cover each other (a 15-minute facility does not satisfy a 5-minute need), so a
rule is keyed by (facility_type, category, level_min). Rows with
``facility_type = "*"`` are the tier defaults of a category and level; one is
required for each of the 9 × 3 combinations so that every facility (and every
hypothetical one added in a what-if) resolves to a distance.

Columns of ``data/tables/coverage_rules.csv``:

``facility_type``
    The facility's type as written in the data (e.g. ``幼儿园``; the data's
    ``facility_type`` or, failing that, its ``facility_type_zh`` is matched),
    or ``*``.
``category``
    A code of :data:`spatial.service_categories.CATEGORY_CODES`.
``level_min``
    5, 10 or 15 (walking minutes of the life-circle tier).
``max_walk_m``
    Walking distance along the network, in metres.
``evidence``
    ``cited`` (checked against a named source), ``secondary`` (a secondary
    summary) or ``GK`` (general knowledge, not verified against the standard
    text) - see ``coverage-methods.md``.
``source``
    The citation, e.g. "GB 50180-2018 附录C 幼儿园 ≤300 m (GK)".
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from spatial._errors import AnalysisError
from spatial.service_categories import CATEGORY_CODES, LEVELS_MIN

__all__ = [
    "ANY_TYPE",
    "DEFAULT_RULES_PATH",
    "EVIDENCE_VALUES",
    "RULES_ITEM",
    "RULE_COLUMNS",
    "CoverageRules",
    "RuleTableError",
    "load_rules",
    "rules_from_frame",
    "rules_from_payload",
    "rules_to_payload",
]

ANY_TYPE = "*"
RULE_COLUMNS: tuple[str, ...] = (
    "facility_type",
    "category",
    "level_min",
    "max_walk_m",
    "evidence",
    "source",
)
EVIDENCE_VALUES: tuple[str, ...] = ("cited", "secondary", "GK")
# The name under which a project keeps its edited rule table (a "rules" document of its store).
RULES_ITEM = "生活圈规则表"
DEFAULT_RULES_PATH = (
    Path(__file__).resolve().parent.parent / "data" / "tables" / "coverage_rules.csv"
)
# A walking rule beyond 5 km is not a life-circle rule; it is almost surely a unit mistake.
_MAX_RULE_M = 5000.0
# Error messages list at most this many offending rows.
_SHOW = 5


class RuleTableError(AnalysisError):
    """The coverage rule table is malformed."""


def _rows(line_numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in line_numbers[:_SHOW])
    return shown + (" …" if len(line_numbers) > _SHOW else "")


@dataclass(frozen=True, eq=False)
class CoverageRules:
    """A validated rule table.

    Attributes
    ----------
    table : DataFrame
        The rows, with columns :data:`RULE_COLUMNS`; ``level_min`` int,
        ``max_walk_m`` float.
    """

    table: pd.DataFrame

    @property
    def max_walk_m(self) -> float:
        """The largest distance of any rule (m)."""
        return float(self.table["max_walk_m"].max())

    @cached_property
    def _by_key(self) -> dict[tuple[str, str, int], tuple[float, str]]:
        """(facility_type, category, level_min) → (max_walk_m, source)."""
        t = self.table
        return {
            (str(ft), str(c), int(lv)): (float(m), str(src))
            for ft, c, lv, m, src in zip(
                t["facility_type"], t["category"], t["level_min"], t["max_walk_m"], t["source"],
                strict=True,
            )
        }

    def default_m(self, category: str, level_min: int) -> float:
        """Return the tier default distance of a category and level (m)."""
        return self.lookup(category, level_min, ANY_TYPE)[0]

    def lookup(self, category: str, level_min: int, facility_type: str | None) -> tuple[float, str]:
        """Return (max_walk_m, source) for one facility; the tier default if the type has no row.

        Raises
        ------
        RuleTableError
            If the category or level is unknown.
        """
        found = self._find(category, level_min, facility_type)
        if found is None:
            raise RuleTableError(
                f"规则表中没有类别“{category}”、{level_min} 分钟级的规则。",
                f"The rule table has no rule for category '{category}' at level {level_min} min.",
            )
        return found

    def _find(
        self, category: str, level_min: object, facility_type: object
    ) -> tuple[float, str] | None:
        try:
            level = int(float(str(level_min)))
        except ValueError:
            return None
        # Missing types arrive as None, NaN or pd.NA; all mean "no specific type".
        ftype = facility_type.strip() if isinstance(facility_type, str) else ""
        hit = self._by_key.get((ftype, str(category), level))
        return hit if hit is not None else self._by_key.get((ANY_TYPE, str(category), level))

    def _find_any(
        self, category: str, level_min: object, types: tuple[object, ...]
    ) -> tuple[float, str] | None:
        """The first type with its own rule, else the tier default."""
        for ftype in types:
            if isinstance(ftype, str) and ftype.strip():
                hit = self._find(category, level_min, ftype)
                if hit is not None and (ftype.strip(), category) in self._typed:
                    return hit
        return self._find(category, level_min, None)

    @cached_property
    def _typed(self) -> set[tuple[str, str]]:
        """(facility_type, category) pairs that have a row of their own."""
        return {(ft, c) for ft, c, _ in self._by_key if ft != ANY_TYPE}

    def resolve(self, facilities: pd.DataFrame) -> tuple[NDArray[np.float64], NDArray[np.object_]]:
        """Distance and citation for each facility row.

        Parameters
        ----------
        facilities : DataFrame
            Columns ``category``, ``level_min`` and optionally ``facility_type``
            and ``facility_type_zh``: a type with its own rule row (tried in
            that order) gives its distance, otherwise the tier default applies.

        Returns
        -------
        tuple of ndarray
            ``max_walk_m`` (NaN where neither the type nor a tier default
            matches) and the ``source`` text of the rule used ("" where none).
        """
        n = len(facilities)
        columns = [
            facilities[c].to_numpy(dtype=object) if c in facilities.columns
            else np.full(n, None, dtype=object)
            for c in ("facility_type", "facility_type_zh")
        ]
        distance = np.full(n, np.nan)
        source = np.full(n, "", dtype=object)
        for i, (cat, lv, ft, ft_zh) in enumerate(
            zip(facilities["category"], facilities["level_min"], *columns, strict=True)
        ):
            hit = self._find_any(str(cat), lv, (ft, ft_zh))
            if hit is not None:
                distance[i], source[i] = hit
        return distance, source


def rules_from_frame(frame: pd.DataFrame) -> CoverageRules:
    """Validate a rule table (e.g. edited in the app) and return it.

    Raises
    ------
    RuleTableError
        Naming the first offending rows (as CSV line numbers, header = line 1)
        and what is wrong, in Chinese and English.
    """
    missing = [c for c in RULE_COLUMNS if c not in frame.columns]
    if missing:
        raise RuleTableError(
            f"规则表缺少列：{', '.join(missing)}。",
            f"The rule table lacks column(s): {', '.join(missing)}.",
        )
    table = frame[list(RULE_COLUMNS)].copy().reset_index(drop=True)
    line_no = np.arange(len(table)) + 2
    for col in ("facility_type", "category", "evidence", "source"):
        table[col] = table[col].astype("string").fillna("").str.strip()
    bad_type = line_no[(table["facility_type"] == "").to_numpy()].tolist()
    if bad_type:
        raise RuleTableError(
            f"规则表第 {_rows(bad_type)} 行：设施类型为空（通用规则请填 *）。",
            f"Rule table line(s) {_rows(bad_type)}: facility_type is empty "
            "(use * for a tier default).",
        )
    bad_cat = line_no[~table["category"].isin(CATEGORY_CODES).to_numpy()].tolist()
    if bad_cat:
        raise RuleTableError(
            f"规则表第 {_rows(bad_cat)} 行：类别不是九类生活圈之一"
            f"（{', '.join(CATEGORY_CODES)}）。",
            f"Rule table line(s) {_rows(bad_cat)}: category must be one of "
            f"{', '.join(CATEGORY_CODES)}.",
        )
    level = pd.to_numeric(table["level_min"], errors="coerce")
    bad_level = line_no[~level.isin(LEVELS_MIN).to_numpy()].tolist()
    if bad_level:
        raise RuleTableError(
            f"规则表第 {_rows(bad_level)} 行：层级必须是 5、10 或 15（分钟）。",
            f"Rule table line(s) {_rows(bad_level)}: level_min must be 5, 10 or 15 (minutes).",
        )
    table["level_min"] = level.astype(int)
    dist = pd.to_numeric(table["max_walk_m"], errors="coerce")
    bad_dist = line_no[~((dist > 0) & (dist <= _MAX_RULE_M)).to_numpy()].tolist()
    if bad_dist:
        raise RuleTableError(
            f"规则表第 {_rows(bad_dist)} 行：步行距离必须是 0 到 {_MAX_RULE_M:.0f} 米之间的数。",
            f"Rule table line(s) {_rows(bad_dist)}: max_walk_m must be a number of metres "
            f"between 0 and {_MAX_RULE_M:.0f}.",
        )
    table["max_walk_m"] = dist.astype(float)
    bad_ev = line_no[~table["evidence"].isin(EVIDENCE_VALUES).to_numpy()].tolist()
    if bad_ev:
        raise RuleTableError(
            f"规则表第 {_rows(bad_ev)} 行：依据类型必须是 {' / '.join(EVIDENCE_VALUES)}。",
            f"Rule table line(s) {_rows(bad_ev)}: evidence must be {' / '.join(EVIDENCE_VALUES)}.",
        )
    bad_src = line_no[(table["source"] == "").to_numpy()].tolist()
    if bad_src:
        raise RuleTableError(
            f"规则表第 {_rows(bad_src)} 行：缺少来源（标准条文或说明）。",
            f"Rule table line(s) {_rows(bad_src)}: source (the standard clause or note) is empty.",
        )
    dup = table.duplicated(["facility_type", "category", "level_min"], keep="first").to_numpy()
    if dup.any():
        rows = line_no[dup].tolist()
        raise RuleTableError(
            f"规则表第 {_rows(rows)} 行：同一设施类型、类别和层级重复出现。",
            f"Rule table line(s) {_rows(rows)}: the same facility_type, category and level "
            "appear twice.",
        )
    defaults = set(
        zip(
            table.loc[table["facility_type"] == ANY_TYPE, "category"],
            table.loc[table["facility_type"] == ANY_TYPE, "level_min"],
            strict=True,
        )
    )
    absent = [f"{c}/{lv}" for c in CATEGORY_CODES for lv in LEVELS_MIN if (c, lv) not in defaults]
    if absent:
        shown = ", ".join(absent[:_SHOW]) + (" …" if len(absent) > _SHOW else "")
        raise RuleTableError(
            f"规则表缺少通用规则（设施类型 *）：{shown}。每个类别和层级都需要一行。",
            f"The rule table lacks tier defaults (facility_type *) for: {shown}. "
            "Each category and level needs one.",
        )
    table["facility_type"] = table["facility_type"].astype(object)
    table["category"] = table["category"].astype(object)
    table["evidence"] = table["evidence"].astype(object)
    table["source"] = table["source"].astype(object)
    return CoverageRules(table=table)


def load_rules(source: Path | str | bytes | None = None) -> CoverageRules:
    """Read and validate a rule table CSV (UTF-8, a BOM is fine).

    Parameters
    ----------
    source : Path, str or bytes, optional
        A file path, or the CSV content as bytes (an upload). Default: the
        shipped ``data/tables/coverage_rules.csv``.

    Raises
    ------
    RuleTableError
        If the file cannot be read as UTF-8 CSV or fails validation.
    """
    if source is None:
        source = DEFAULT_RULES_PATH
    try:
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        raise RuleTableError("无法读取规则表文件。", "The rule table file cannot be read.") from exc
    try:
        text = raw.decode("utf-8-sig")
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RuleTableError(
            "规则表不是有效的 UTF-8 CSV 文件。", "The rule table is not a valid UTF-8 CSV file."
        ) from exc
    return rules_from_frame(frame)


def rules_to_payload(rules: CoverageRules) -> dict[str, Any]:
    """The rule table as a JSON document (kept by a project's store, see :data:`RULES_ITEM`)."""
    table = rules.table[list(RULE_COLUMNS)]
    rows = [
        [str(ft), str(c), int(lv), float(m), str(ev), str(src)]
        for ft, c, lv, m, ev, src in table.itertuples(index=False, name=None)
    ]
    return {"columns": list(RULE_COLUMNS), "rows": rows}


def rules_from_payload(payload: Mapping[str, Any]) -> CoverageRules:
    """Validate a stored rule-table document (untrusted: the store's file may be anyone's).

    Raises
    ------
    RuleTableError
        If the document is not a rule table, or the table fails validation.
    """
    columns = payload.get("columns")
    rows = payload.get("rows")
    if (
        not isinstance(columns, list) or not isinstance(rows, list)
        or not all(isinstance(r, list) and len(r) == len(columns) for r in rows)
    ):
        raise RuleTableError("保存的规则表无法读取。", "The saved rule table cannot be read.")
    frame = pd.DataFrame(rows, columns=[str(c) for c in columns], dtype=object)
    return rules_from_frame(frame)
