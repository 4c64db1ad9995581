"""Benchmark the 生活圈 coverage engine on a generated city-sized network.

Run: ``.venv/bin/python -m benchmarks.bench_coverage [--side 320] [--places 20000]``

Builds a jittered street grid of side × side junctions (320² = 102,400 nodes by
default) with 10 % of links missing and bent streets, 9 categories × 200
facilities at random levels and 20,000 residential blocks; then prints:

* network build and snapping times (done once per data set, cached in the app);
* **all categories in one pass** (one csgraph Dijkstra with super-sources, plus
  block distances and shares) - target < 0.5 s;
* **what-if add** (snap, bounded Dijkstra, update block distances and shares) -
  target < 50 ms;
* the same all-category query with networkx (super-source per group,
  ``single_source_dijkstra_path_length`` with the same cutoff) measured in the
  same run, its ratio to scipy, and the largest difference between the two;
* greedy best-5 sites, and the straight-line over-claim;
* walksheds (service-area polygons) for 100 facilities, and per category and
  level - target < 2 s for 100 facilities on 100k nodes;
* with ``--million``: the same data on a 1000 × 1000 grid (1M nodes), in a child
  process so that its peak memory is its own: build, snap and one full pass,
  with the time of each and the peak resident memory.

Prints figures only; it never asserts on time.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from spatial.coverage import (
    COMBOS,
    CoverageModel,
    CoverageSettings,
    category_walksheds,
    facility_walksheds,
    prepare_facilities,
    prepare_places,
    straight_line_table,
    suggest_sites,
    summary_table,
)
from spatial.coverage_rules import load_rules
from spatial.network import PointSources, build_network, point_distances
from spatial.service_categories import CATEGORY_CODES, LEVELS_MIN

T = TypeVar("T")
GK = "EPSG:4547"


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    """Run ``fn`` once; return its result and the wall time in seconds."""
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def city(side: int, step: float, seed: int) -> gpd.GeoDataFrame:
    """A jittered side × side street grid; 10 % of links missing; every link bent."""
    rng = np.random.default_rng(seed)
    ij = np.stack(np.meshgrid(np.arange(side), np.arange(side), indexing="ij"), -1)
    pts = ij * step + rng.uniform(-step * 0.15, step * 0.15, (side, side, 2))
    a_list, b_list = [], []
    for di, dj in ((1, 0), (0, 1)):
        a = pts[: side - di, : side - dj].reshape(-1, 2)
        b = pts[di:, dj:].reshape(-1, 2)
        a_list.append(a)
        b_list.append(b)
    a = np.concatenate(a_list)
    b = np.concatenate(b_list)
    keep = rng.random(len(a)) > 0.10
    a, b = a[keep], b[keep]
    mid = (a + b) / 2 + rng.uniform(-step * 0.08, step * 0.08, a.shape)
    coords = np.stack([a, mid, b], axis=1)
    lines = shapely.linestrings(coords)
    return gpd.GeoDataFrame({"bridge": np.zeros(len(a), dtype=bool)}, geometry=lines, crs=GK)


def main() -> None:
    """Generate the data, run every measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=320, help="junctions per side (320 → 102,400)")
    parser.add_argument("--places", type=int, default=20_000)
    parser.add_argument("--per-category", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--skip-networkx", action="store_true")
    parser.add_argument(
        "--million", action="store_true",
        help="also run one full pass on a 1M-node network (child process; time and peak memory)",
    )
    parser.add_argument("--pass-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pass_only:
        _pass_only(args)
        return
    rng = np.random.default_rng(1)
    step = 80.0
    rules = load_rules()
    settings = CoverageSettings()

    roads, t_gen = timed(lambda: city(args.side, step, 2))
    net, t_build = timed(lambda: build_network(roads))
    print(f"roads: {len(roads):,} lines generated in {t_gen:.2f} s")
    print(
        f"network: {net.n_nodes:,} nodes, {net.n_segments:,} segments; "
        f"build (noding + CSR) {t_build:.2f} s  [once per data set, cached]"
    )

    xmax = ymax = (args.side - 1) * step
    n_fac = args.per_category * len(CATEGORY_CODES)
    fac = gpd.GeoDataFrame(
        {
            "category": np.repeat(CATEGORY_CODES, args.per_category),
            "level_min": rng.choice(LEVELS_MIN, n_fac),
            "facility_type": "",
        },
        geometry=shapely.points(rng.uniform(0, xmax, n_fac), rng.uniform(0, ymax, n_fac)),
        crs=GK,
    )
    cx, cy = rng.uniform(0, xmax, args.places), rng.uniform(0, ymax, args.places)
    half = rng.uniform(8, 25, args.places)
    res = gpd.GeoDataFrame(
        {"population": rng.integers(50, 3000, args.places).astype(float)},
        geometry=shapely.box(cx - half, cy - half, cx + half, cy + half),
        crs=GK,
    )
    places, t_places = timed(lambda: prepare_places(res, net, settings.max_snap_m))
    facilities, t_fac = timed(lambda: prepare_facilities(fac, net, rules, settings.max_snap_m))
    print(
        f"snap {args.places:,} residential access points: {t_places:.2f} s; "
        f"{n_fac:,} facilities: {t_fac:.3f} s  [once per data set]"
    )

    model = CoverageModel(net, places, facilities, rules, settings)
    n_groups = len(model.groups)
    def all_categories() -> None:
        model.recompute()
        summary_table(model)

    one_pass = [timed(all_categories)[1] for _ in range(args.repeats)]
    t_all = statistics.median(one_pass)
    print(
        f"ALL CATEGORIES, ONE PASS ({len(CATEGORY_CODES)} categories, {n_groups} groups, "
        f"search radius 2 × rule distance, {args.places:,} places, shares): "
        f"median {t_all * 1000:.0f} ms of {args.repeats}  (target < 500 ms)"
    )

    def what_if_add(category: str, x: float, y: float) -> None:
        model.add_facility(category, 10, x, y)
        summary_table(model)

    adds = []
    for k in range(max(args.repeats, 20)):
        x, y = rng.uniform(0, xmax), rng.uniform(0, ymax)
        cat = CATEGORY_CODES[k % len(CATEGORY_CODES)]
        start = time.perf_counter()
        what_if_add(cat, x, y)
        adds.append(time.perf_counter() - start)
    t_add = statistics.median(adds)
    print(
        f"WHAT-IF ADD (snap + bounded Dijkstra + block distances + shares): "
        f"median {t_add * 1000:.1f} ms, max {max(adds) * 1000:.1f} ms of {len(adds)}  "
        "(target < 50 ms)"
    )
    fid = str(model.facilities["facility_id"].iloc[-1])
    _, t_move = timed(lambda: model.move_facility(fid, xmax / 2, ymax / 2))
    _, t_remove = timed(lambda: model.remove_facility(fid))
    print(
        f"what-if move: {t_move * 1000:.1f} ms; remove: {t_remove * 1000:.1f} ms "
        "(each recomputes one group)"
    )

    sites, t_sites = timed(lambda: suggest_sites(model, "health", 5, k=5))
    print(
        f"greedy best 5 sites for health/5 min: {t_sites:.2f} s; "
        f"gains {', '.join(f'{g:,.0f}' for g in sites['gain_population'])}"
    )
    (straight, _), t_straight = timed(lambda: straight_line_table(model))
    over = straight["overclaim_population"].sum() / (model.places.pop_weight.sum() * len(COMBOS))
    print(
        f"straight-line comparison: {t_straight:.2f} s; a radius over-claims "
        f"{over * 100:.1f} % of resident × category-level pairs"
    )

    fids = list(dict.fromkeys(model.facilities.loc[model.facilities["group"] >= 0, "facility_id"]))
    sheds, t_sheds = timed(lambda: facility_walksheds(model, fids[:100]))
    cats, t_cats = timed(lambda: category_walksheds(model))
    print(
        f"WALKSHEDS for {len(sheds)} facilities: {t_sheds:.2f} s (target < 2 s); "
        f"per category and level ({len(cats)} polygons): {t_cats:.2f} s; "
        f"ratio to one pass: {t_sheds / t_all:.1f}×"
    )

    if not args.skip_networkx:
        _versus_networkx(model, t_all)
    if args.million:
        cmd = [sys.executable, "-m", "benchmarks.bench_coverage", "--pass-only", "--side", "1000",
               "--places", str(args.places), "--per-category", str(args.per_category)]
        print("1M-node network (child process):", flush=True)
        subprocess.run(cmd, check=False)


def _peak_mb() -> float:
    """Peak resident memory of this process so far (MB).

    ``VmHWM``, not ``ru_maxrss``: across ``exec`` the latter keeps the peak of
    the forking parent's memory (the benchmark that started this child).
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pass_only(args: argparse.Namespace) -> None:
    """Build, snap and run one full pass; print each time and the peak memory."""
    rng = np.random.default_rng(1)
    step = 80.0
    rules = load_rules()
    settings = CoverageSettings()
    roads, t_gen = timed(lambda: city(args.side, step, 2))
    net, t_build = timed(lambda: build_network(roads))
    print(f"  network: {net.n_nodes:,} nodes, {net.n_segments:,} segments; generate {t_gen:.1f} s, "
          f"build {t_build:.1f} s; peak {_peak_mb():,.0f} MB", flush=True)
    xmax = ymax = (args.side - 1) * step
    n_fac = args.per_category * len(CATEGORY_CODES)
    fac = gpd.GeoDataFrame(
        {"category": np.repeat(CATEGORY_CODES, args.per_category),
         "level_min": rng.choice(LEVELS_MIN, n_fac), "facility_type": ""},
        geometry=shapely.points(rng.uniform(0, xmax, n_fac), rng.uniform(0, ymax, n_fac)), crs=GK,
    )
    cx, cy = rng.uniform(0, xmax, args.places), rng.uniform(0, ymax, args.places)
    half = rng.uniform(8, 25, args.places)
    res = gpd.GeoDataFrame(
        {"population": rng.integers(50, 3000, args.places).astype(float)},
        geometry=shapely.box(cx - half, cy - half, cx + half, cy + half), crs=GK,
    )
    places, t_places = timed(lambda: prepare_places(res, net, settings.max_snap_m))
    facilities, t_fac = timed(lambda: prepare_facilities(fac, net, rules, settings.max_snap_m))
    model, t_model = timed(lambda: CoverageModel(net, places, facilities, rules, settings))
    def full_pass() -> None:
        model.recompute()
        summary_table(model)

    _, t_pass = timed(full_pass)
    print(f"  snap places {t_places:.1f} s, facilities {t_fac:.2f} s; first pass {t_model:.2f} s; "
          f"FULL PASS {t_pass:.2f} s; PEAK MEMORY {_peak_mb():,.0f} MB", flush=True)


def _versus_networkx(model: CoverageModel, t_all: float) -> None:
    """The same all-category query in networkx, its ratio to scipy, and the largest difference."""
    net = model.network
    n_groups = len(model.groups)
    # The same all-category query in networkx: one super-source per group, same cutoff.
    model.recompute()
    g = nx.Graph()
    coo = net.adjacency.tocoo()
    g.add_weighted_edges_from(
        (int(u), int(v), float(w)) for u, v, w in zip(coo.row, coo.col, coo.data, strict=True)
        if u < v
    )
    f = model.facilities[model.facilities["group"] >= 0]

    def networkx_all() -> np.ndarray:
        node = np.full((n_groups, net.n_nodes), np.inf)
        for gi in range(n_groups):
            rows = f[f["group"] == gi]
            seg = rows["segment"].to_numpy(dtype=np.int64)
            a = rows["along"].to_numpy(dtype=float)
            src = ("source", gi)
            for s, al in zip(seg, a, strict=True):
                for nd, w in ((net.seg_u[s], al), (net.seg_v[s], net.seg_len[s] - al)):
                    nd = int(nd)
                    if not g.has_edge(src, nd) or g[src][nd]["weight"] > w:
                        g.add_edge(src, nd, weight=float(w))
            cutoff = float(model.group_limits[gi])
            lengths = nx.single_source_dijkstra_path_length(g, src, cutoff=cutoff)
            g.remove_node(src)
            for nd, d in lengths.items():
                if not isinstance(nd, tuple):
                    node[gi, nd] = d
        return node

    node_nx, t_nx = timed(networkx_all)
    same = PointSources.of(f["segment"], f["along"], f["group"])
    snapped = model.places.snapped
    place_nx = point_distances(
        net, node_nx, snapped.segment, snapped.along, same, model.group_limits
    )
    fin = np.isfinite(model.place_dist)
    same_reach = np.array_equal(fin, np.isfinite(place_nx))
    diff = float(np.max(np.abs(model.place_dist[fin] - place_nx[fin]), initial=0.0))
    _, t_scipy_query = timed(model.recompute)
    print(
        f"networkx, same all-category query: {t_nx:.2f} s; scipy {t_scipy_query * 1000:.0f} ms "
        f"in the same run → networkx/scipy = {t_nx / t_scipy_query:.0f}× (target ≥ 20×); "
        f"max |Δ| = {diff:.2e} m, same reach: {same_reach}; full pass with shares "
        f"{t_all * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
