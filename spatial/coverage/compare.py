"""Before → after: every coverage figure as one long table, and what changed between two runs.

A what-if edit and a second scenario (方案) are both compared the same way: each
run is reduced to :func:`figures` (one row per figure, with a stable key and a
bilingual label), and :func:`compare_figures` lines two of them up. The
residential blocks that gained or lost reach come from :func:`reach_changes`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from spatial.coverage.model import CoverageModel
from spatial.coverage.tables import completeness_table, summary_table

__all__ = ["FIGURE_COLUMNS", "compare_figures", "figures", "reach_changes"]

FIGURE_COLUMNS: tuple[str, ...] = ("key", "figure_zh", "figure_en", "value")
_KINDS = (
    ("pop_share", "人口覆盖率", "residents covered"),
    ("area_share", "居住用地覆盖率", "residential area covered"),
)


def figures(model: CoverageModel) -> pd.DataFrame:
    """Return every share the page shows: key, figure_zh, figure_en, value (0–1; NaN = n/a)."""
    rows: list[tuple[str, str, str, float]] = []
    s = summary_table(model)
    for r in s.itertuples(index=False):
        for col, zh, en in _KINDS:
            rows.append((
                f"{r.category}/{r.level_min}/{col}",
                f"{r.category_name} {r.level_min}分钟 {zh}",
                f"{r.category_name_en} {r.level_min} min {en}",
                float(getattr(r, col)),
            ))
    comp = completeness_table(model)
    for level, value in zip(
        comp["level"].astype(str), comp["share_all_nine"].to_numpy(dtype=float), strict=True
    ):
        zh = "任一层级" if level == "any" else f"{level}分钟"
        en = "any level" if level == "any" else f"{level} min"
        rows.append((f"all_nine/{level}", f"九类齐全的居民比例（{zh}）",
                     f"residents with all nine ({en})", float(value)))
    return pd.DataFrame(rows, columns=list(FIGURE_COLUMNS))


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= 1e-12


def compare_figures(
    before: pd.DataFrame, after: pd.DataFrame, changed_only: bool = True
) -> pd.DataFrame:
    """Line two :func:`figures` tables up: key, figure_zh, figure_en, before, after, change.

    With ``changed_only`` only the figures that differ are kept (a figure that
    becomes or stops being applicable counts as changed); ``change`` is NaN
    where either side is not applicable.
    """
    merged = before.merge(after[["key", "value"]], on="key", how="outer", suffixes=("_b", "_a"))
    merged = merged.rename(columns={"value_b": "before", "value_a": "after"})
    b = merged["before"].to_numpy(dtype=float)
    a = merged["after"].to_numpy(dtype=float)
    merged["change"] = a - b
    if changed_only:
        keep = np.asarray([not _same(x, y) for x, y in zip(b, a, strict=True)], dtype=bool)
        merged = merged[keep]
    return merged[["key", "figure_zh", "figure_en", "before", "after", "change"]].reset_index(
        drop=True
    )


def reach_changes(
    covered_before: NDArray[np.bool_], covered_after: NDArray[np.bool_], column: int | None = None
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Blocks that gained and that lost reach (in one combo column, or in any).

    Both arrays are (n_places, n_combos) from :attr:`CoverageModel.covered` of
    the same places. Returns (gained, lost), one flag per place.
    """
    if covered_before.shape != covered_after.shape:
        raise ValueError("both runs must cover the same places")
    before = covered_before if column is None else covered_before[:, [column]]
    after = covered_after if column is None else covered_after[:, [column]]
    gained = (after & ~before).any(axis=1)
    lost = (before & ~after).any(axis=1)
    return np.asarray(gained, dtype=bool), np.asarray(lost, dtype=bool)
