"""Site suggestion: greedy best new facility sites for one category and level."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from spatial.coverage.model import CoverageModel
from spatial.coverage.prepare import combo_index
from spatial.network import (
    PointSources,
    reach_within,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
GeomArray = NDArray[np.object_]


def suggest_sites(
    model: CoverageModel,
    category: str,
    level_min: int,
    k: int,
    facility_type: str | None = None,
    candidates: IntArray | None = None,
) -> pd.DataFrame:
    """Greedy k best new sites (road nodes) for one category and level.

    The gain of a candidate node is the population of currently uncovered
    places within the rule distance of a facility placed there; the greedy loop
    takes the best, marks those places covered and repeats (the classic
    max-coverage heuristic, within 1 − 1/e of the optimum). It stops early when
    no candidate adds anyone.

    Parameters
    ----------
    model : CoverageModel
    category, level_min : str, int
    k : int
        Number of sites wanted.
    facility_type : str, optional
        Type whose rule distance applies (the tier default otherwise).
    candidates : ndarray of int, optional
        Node indices to choose from; all nodes by default.

    Returns
    -------
    DataFrame
        rank, node, x, y (network CRS), gain_population, population_covered
        and pop_share after adding sites 1 … rank.
    """
    j = combo_index(category, level_min)
    threshold, _ = model.rules.lookup(category, int(level_min), facility_type)
    p = model.places
    pop = p.pop_weight
    total = pop.sum()
    covered_pop = float(pop @ model.covered[:, j])
    open_rows = np.flatnonzero(~model.covered[:, j] & p.snapped.ok & (pop > 0))
    extra = (
        np.nan_to_num(p.snapped.offset) if model.settings.add_access_offset else np.zeros(len(p))
    )
    src = PointSources.of(
        p.snapped.segment[open_rows], p.snapped.along[open_rows], np.arange(open_rows.size),
        extra[open_rows],
    )
    reach = reach_within(model.network, src, open_rows.size, threshold)
    cand = np.arange(model.network.n_nodes) if candidates is None else np.asarray(candidates)
    reach = reach[:, cand].tocsc()
    weights = pop[open_rows].copy()
    rows = []
    for rank in range(1, int(k) + 1):
        gains = np.asarray(reach.T @ weights).ravel()
        if gains.size == 0 or gains.max() <= 0:
            break
        best = int(np.argmax(gains))
        newly = reach[:, best].nonzero()[0]
        weights[newly] = 0.0
        covered_pop += float(gains[best])
        node = int(cand[best])
        rows.append(
            {
                "rank": rank,
                "node": node,
                "x": float(model.network.node_xy[node, 0]),
                "y": float(model.network.node_xy[node, 1]),
                "gain_population": float(gains[best]),
                "population_covered": covered_pop,
                "pop_share": covered_pop / total if total > 0 else math.nan,
            }
        )
    return pd.DataFrame(
        rows,
        columns=["rank", "node", "x", "y", "gain_population", "population_covered", "pop_share"],
    )

