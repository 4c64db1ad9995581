"""生活圈 coverage: walking distance from every residential place to each service category.

For residential place *i* (population Pᵢ, residential area Aᵢ) and category *k*
at life-circle level *L* (5/10/15 min), the place is **covered** when some
facility *f* of category *k* and level *L* lies within its own rule distance
along the road network: ``min_f (d(i, f) − T_f) ≤ 0`` where ``T_f`` comes
from the rule table (:mod:`spatial.coverage_rules`). Tiers do not cover each
other (GB 50180-2018): a 15-minute facility does not count for the 5-minute
level. Then::

    pop_share(k, L)  = Σ Pᵢ·covered(i, k, L) / Σ Pᵢ
    area_share(k, L) = Σ Aᵢ·covered(i, k, L) / Σ Aᵢ

Places and facilities are snapped to the nearest road *segment*; distances come
from one ``scipy.sparse.csgraph.dijkstra`` call with one super-source per
(category, level, distance) group (see :mod:`spatial.network`).

Conventions:

* A residential place is represented by one access point, the representative
  point of its polygon. Its area is the polygon area in the metric CRS.
* A place with no geometry is *unlocated*: listed, and left out of every share
  (its coverage is unknown). A place farther than ``max_snap_m`` from every road
  is *unsnapped*: listed, and counted as not covered (nobody walks there).
* Searches stop at a radius (twice each group's rule distance by default);
  farther distances are ``inf`` and gaps report "beyond the search limit".

Modules (one concern each): :mod:`~spatial.coverage.prepare` (settings, places,
facilities, planning units), :mod:`~spatial.coverage.model` (distances and
what-if edits), :mod:`~spatial.coverage.tables` (shares and lists),
:mod:`~spatial.coverage.sites` (site suggestion), :mod:`~spatial.coverage.run`
(a whole run, its tables and result layers), :mod:`~spatial.coverage.walksheds`
(service-area polygons), :mod:`~spatial.coverage.checkup` (TD/T 1063 体检
indicators), :mod:`~spatial.coverage.compare` (before → after) and
:mod:`~spatial.coverage.scenarios` (named 方案 kept in the workspace).
"""

from spatial.coverage.checkup import (
    CHECKUP_INDICATORS,
    CheckupIndicator,
    checkup_table,
    study_area,
)
from spatial.coverage.compare import compare_figures, figures, reach_changes
from spatial.coverage.model import CoverageModel
from spatial.coverage.prepare import (
    COMBOS,
    CoverageSettings,
    Places,
    UnitWeights,
    combo_index,
    prepare_facilities,
    prepare_places,
    prepare_units,
)
from spatial.coverage.run import (
    analyse,
    lonlat_to_network,
    network_to_lonlat,
    report_tables,
    result_layers,
)
from spatial.coverage.scenarios import (
    PLAN_SOURCE,
    SCENARIO_LAYER,
    SCENARIO_ROLES,
    Scenario,
    compare_scenarios,
    delete_scenario,
    list_scenarios,
    save_scenario,
)
from spatial.coverage.sites import suggest_sites
from spatial.coverage.tables import (
    categories_in_reach,
    completeness_table,
    facility_names,
    facility_ordinals,
    gap_table,
    input_basis,
    n_facilities,
    name_unnamed,
    place_names,
    place_table,
    rests_on_estimates,
    straight_line_distances,
    straight_line_table,
    summary_table,
    unit_table,
    unnamed_label,
    unsnapped_table,
)
from spatial.coverage.walksheds import (
    WALKSHED_BAND_M,
    category_walksheds,
    facility_walksheds,
    walkshed_polygons,
)

__all__ = [
    "CHECKUP_INDICATORS",
    "COMBOS",
    "PLAN_SOURCE",
    "SCENARIO_LAYER",
    "SCENARIO_ROLES",
    "WALKSHED_BAND_M",
    "CheckupIndicator",
    "CoverageModel",
    "CoverageSettings",
    "Places",
    "Scenario",
    "UnitWeights",
    "analyse",
    "categories_in_reach",
    "category_walksheds",
    "checkup_table",
    "combo_index",
    "compare_figures",
    "compare_scenarios",
    "completeness_table",
    "delete_scenario",
    "facility_names",
    "facility_ordinals",
    "facility_walksheds",
    "figures",
    "gap_table",
    "input_basis",
    "list_scenarios",
    "lonlat_to_network",
    "n_facilities",
    "name_unnamed",
    "network_to_lonlat",
    "place_names",
    "place_table",
    "prepare_facilities",
    "prepare_places",
    "prepare_units",
    "reach_changes",
    "report_tables",
    "rests_on_estimates",
    "result_layers",
    "save_scenario",
    "straight_line_distances",
    "straight_line_table",
    "study_area",
    "suggest_sites",
    "summary_table",
    "unit_table",
    "unnamed_label",
    "unsnapped_table",
    "walkshed_polygons",
]
