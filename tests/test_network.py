"""Walking network: noding, bridges, gap snapping, segment snapping, and distances vs networkx."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point

from spatial._errors import AnalysisError
from spatial.coverage_cli import _parser
from spatial.metric_crs import local_metric_crs, parse_metric_crs
from spatial.network import (
    NETWORK_RULES,
    OSM_LEVEL_VALUES,
    PointSources,
    build_network,
    distances_from_point_sources,
    point_distances,
    reach_within,
    snap_points,
)
from spatial.noding import node_lines
from tests.coverage_synthetic import GK, ORIGIN, random_city


def roads(lines: list[LineString], **cols: list[object]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(cols, geometry=lines, crs=GK)


def node_at(net, x: float, y: float) -> int:
    d = np.hypot(net.node_xy[:, 0] - x, net.node_xy[:, 1] - y)
    i = int(np.argmin(d))
    assert d[i] < 1e-6, f"no node at ({x}, {y})"
    return i


def graph_distance(net, a: tuple[float, float], b: tuple[float, float]) -> float:
    """Shortest path between two node positions, via networkx on the network's segments."""
    g = nx.Graph()
    for u, v, w in zip(net.seg_u, net.seg_v, net.seg_len, strict=True):
        if u != v and (not g.has_edge(u, v) or g[u][v]["weight"] > w):
            g.add_edge(int(u), int(v), weight=float(w))
    try:
        return float(nx.dijkstra_path_length(g, node_at(net, *a), node_at(net, *b)))
    except nx.NetworkXNoPath:
        return float("inf")


def test_crossing_roads_are_noded() -> None:
    net = build_network(roads([LineString([(0, 0), (100, 0)]), LineString([(50, -50), (50, 50)])]))
    assert net.n_nodes == 5
    assert net.n_segments == 4
    assert sorted(net.seg_len.tolist()) == [50.0, 50.0, 50.0, 50.0]
    assert graph_distance(net, (0, 0), (50, 50)) == pytest.approx(100.0)
    assert len(set(net.component.tolist())) == 1


def test_bridge_crossing_is_not_a_junction_but_its_ends_join() -> None:
    # Road along y=0; a bridge from (50,-50) to (50,50) passes over it. Side roads at
    # x=0 and x=100 run from y=0 up to y=50 and are joined by a road along y=50, on whose
    # middle the bridge lands (a T at (50, 50)).
    layer = roads(
        [
            LineString([(0, 0), (100, 0)]),
            LineString([(50, -50), (50, 50)]),
            LineString([(0, 0), (0, 50)]),
            LineString([(100, 0), (100, 50)]),
            LineString([(0, 50), (100, 50)]),
        ],
        bridge=[False, True, False, False, False],
    )
    net = build_network(layer)
    # No node where the bridge crosses the y=0 road ...
    assert np.min(np.hypot(net.node_xy[:, 0] - 50, net.node_xy[:, 1])) > 1
    # ... but the bridge end splits the y=50 road into two 50 m halves.
    top = node_at(net, 50, 50)
    assert graph_distance(net, (0, 50), (50, 50)) == pytest.approx(50.0)
    # From the bridge's far end to the road below: over the bridge, then round by a side.
    assert graph_distance(net, (50, -50), (0, 0)) == pytest.approx(100 + 50 + 50)
    assert top in set(net.seg_u.tolist()) | set(net.seg_v.tolist())


def test_tunnel_flag_accepts_text_values_and_unflagged_roads_join() -> None:
    lines = [LineString([(0, 0), (100, 0)]), LineString([(50, -50), (50, 50)])]
    joined = build_network(roads(lines, tunnel=["否", "否"]))
    separate = build_network(roads(lines, tunnel=["false", "true"]))
    assert joined.n_nodes == 5
    assert separate.n_nodes == 4
    assert len(set(separate.component.tolist())) == 2


def test_small_gap_is_closed_and_a_large_one_is_not() -> None:
    # A side road stops 1.5 m short of the main road (an undershoot).
    lines = [LineString([(0, 0), (100, 0)]), LineString([(40, 1.5), (40, 60)])]
    closed = build_network(roads(lines), snap_gap_m=2.0)
    open_ = build_network(roads(lines), snap_gap_m=1.0)
    assert len(set(closed.component.tolist())) == 1
    assert graph_distance(closed, (0, 0), (40, 60)) == pytest.approx(40 + 60, abs=1e-6)
    assert len(set(open_.component.tolist())) == 2


def test_facing_loose_ends_are_joined_once() -> None:
    # Two roads end 1 m apart, facing each other: the gap closes without a kink or a
    # leftover stub (total length = 200 m, one through path).
    lines = [LineString([(0, 0), (100, 0)]), LineString([(101, 0), (201, 0)])]
    net = build_network(roads(lines), snap_gap_m=2.0)
    assert len(set(net.component.tolist())) == 1
    assert net.seg_len.sum() == pytest.approx(200.0 + 0.0, abs=1.01)
    assert graph_distance(net, (0, 0), (201, 0)) == pytest.approx(201.0, abs=1e-6)


def test_road_ending_under_a_bridge_is_not_snapped_onto_it() -> None:
    lines = [LineString([(0, 0), (100, 0)]), LineString([(50, 1), (50, 80)])]
    net = build_network(roads(lines, bridge=[True, False]), snap_gap_m=2.0)
    assert len(set(net.component.tolist())) == 2


def test_parallel_roads_keep_the_shorter_edge() -> None:
    lines = [LineString([(0, 0), (100, 0)]), LineString([(0, 0), (50, 40), (100, 0)])]
    net = build_network(roads(lines))
    assert net.n_segments == 2
    assert net.adjacency.nnz == 2
    assert net.adjacency.data.min() == pytest.approx(100.0)


def test_multilines_and_missing_geometries() -> None:
    layer = gpd.GeoDataFrame(
        geometry=[
            shapely.MultiLineString([[(0, 0), (10, 0)], [(10, 0), (10, 10)]]),
            None,
            shapely.LineString(),
        ],
        crs=GK,
    )
    net = build_network(layer)
    assert net.n_segments == 2
    assert net.seg_len.sum() == pytest.approx(20.0)


def test_bad_inputs_raise_bilingual_errors() -> None:
    with pytest.raises(AnalysisError, match="坐标参考系"):
        build_network(gpd.GeoDataFrame(geometry=[LineString([(0, 0), (1, 1)])]))
    with pytest.raises(AnalysisError, match="Web Mercator"):
        build_network(roads([LineString([(0, 0), (1, 1)])]), crs="EPSG:3857")
    with pytest.raises(AnalysisError, match="线要素"):
        build_network(gpd.GeoDataFrame(geometry=[Point(0, 0)], crs=GK))


def test_points_snap_to_segments_and_far_points_are_reported() -> None:
    net = build_network(roads([LineString([(0, 0), (100, 0)]), LineString([(0, 0), (0, 100)])]))
    pts = np.asarray([Point(30, 5), Point(-3, 70), Point(500, 500), None], dtype=object)
    snapped = snap_points(net, pts, max_snap_m=50)
    assert snapped.ok.tolist() == [True, True, False, False]
    assert snapped.offset[0] == pytest.approx(5.0)
    assert snapped.offset[1] == pytest.approx(3.0)
    assert snapped.offset[2] == pytest.approx(np.hypot(400, 500))  # real distance, reported
    assert np.isnan(snapped.offset[3])
    seg0 = net.segments[snapped.segment[0]]
    assert shapely.distance(seg0.interpolate(snapped.along[0]), Point(30, 0)) < 1e-9


def test_facility_mid_block_is_reached_from_both_sides() -> None:
    # A-----B-----C along y=0 (A=0, B=100, C=200) plus a spur at B. A facility at x=130
    # sits between junctions B and C; places at x=20 (left) and x=190 (right of it).
    net = build_network(
        roads([LineString([(0, 0), (200, 0)]), LineString([(100, 0), (100, 100)])])
    )
    fac = snap_points(net, np.asarray([Point(130, 2)], dtype=object))
    src = PointSources.of(fac.segment, fac.along, [0])
    node = distances_from_point_sources(net, src, n_groups=1, limit_m=1e9)
    assert node[0, node_at(net, 100, 0)] == pytest.approx(30.0)
    assert node[0, node_at(net, 200, 0)] == pytest.approx(70.0)
    assert node[0, node_at(net, 100, 100)] == pytest.approx(130.0)
    place_pts = np.asarray([Point(20, -4), Point(190, 4), Point(150, 1)], dtype=object)
    places = snap_points(net, place_pts)
    d = point_distances(net, node, places.segment, places.along, src)
    assert d[:, 0] == pytest.approx([110.0, 60.0, 20.0])
    # Without the same-segment term the place at x=150 would be routed via a junction.
    d_no_same = point_distances(net, node, places.segment, places.along)
    assert d_no_same[2, 0] == pytest.approx(min(30 + 50, 70 + 50))


def test_limit_turns_far_distances_into_inf() -> None:
    net = build_network(roads([LineString([(0, 0), (1000, 0)]), LineString([(500, 0), (500, 9)])]))
    fac = snap_points(net, np.asarray([Point(0, 0)], dtype=object))
    node = distances_from_point_sources(net, PointSources.of(fac.segment, fac.along, [0]), 1, 600.0)
    assert node[0, node_at(net, 500, 0)] == pytest.approx(500.0)
    assert np.isinf(node[0, node_at(net, 1000, 0)])


def _random_points(net, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points uniformly over the network's bounding box."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(net.segments)
    return np.asarray(
        shapely.points(rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)), dtype=object
    )


def test_distances_equal_networkx_on_split_graph() -> None:
    """Edge-snapped multi-source distances equal networkx on the physically split graph."""
    rng = np.random.default_rng(7)
    net = build_network(random_city(3))
    n_fac, n_place, n_groups = 60, 400, 9
    fac = snap_points(net, _random_points(net, n_fac, rng), max_snap_m=1e9)
    places = snap_points(net, _random_points(net, n_place, rng), max_snap_m=1e9)
    group = rng.integers(0, n_groups, n_fac)
    src = PointSources.of(fac.segment, fac.along, group)
    node = distances_from_point_sources(net, src, n_groups, 1e12)
    ours = point_distances(net, node, places.segment, places.along, src)

    # Reference: split every segment at every snapped point and run networkx.
    g = nx.Graph()
    on_seg: dict[int, list[tuple[float, object]]] = {}
    for k in range(n_fac):
        on_seg.setdefault(int(fac.segment[k]), []).append((float(fac.along[k]), f"f{k}"))
    for k in range(n_place):
        on_seg.setdefault(int(places.segment[k]), []).append((float(places.along[k]), f"p{k}"))

    def add(a: object, b: object, w: float) -> None:
        if a == b:
            return
        if not g.has_edge(a, b) or g[a][b]["weight"] > w:
            g.add_edge(a, b, weight=w)

    for s in range(net.n_segments):
        chain: list[tuple[float, object]] = [(0.0, int(net.seg_u[s]))]
        chain += sorted(on_seg.get(s, []))
        chain += [(float(net.seg_len[s]), int(net.seg_v[s]))]
        for (a0, n0), (a1, n1) in itertools.pairwise(chain):
            add(n0, n1, a1 - a0)
        g.add_nodes_from(n for _, n in chain)
    ref = np.full((n_place, n_groups), np.inf)
    for gi in range(n_groups):
        sources = {f"f{k}" for k in np.flatnonzero(group == gi)}
        if not sources:
            continue
        lengths = nx.multi_source_dijkstra_path_length(g, sources, weight="weight")
        for k in range(n_place):
            ref[k, gi] = lengths.get(f"p{k}", np.inf)
    assert ours.shape == (400, 9)  # 3,600 origin/category pairs
    finite = np.isfinite(ref)
    assert finite.sum() > 2000  # the bridge and loop must not leave most pairs unreachable
    assert np.array_equal(finite, np.isfinite(ours))
    assert np.max(np.abs(ours[finite] - ref[finite])) < 1e-6


def test_per_group_search_radius_equals_clipped_unlimited_search() -> None:
    rng = np.random.default_rng(3)
    net = build_network(random_city(5))
    fac = snap_points(net, _random_points(net, 30, rng), max_snap_m=1e9)
    src = PointSources.of(fac.segment, fac.along, rng.integers(0, 4, 30))
    limits = np.asarray([150.0, 300.0, 150.0, 600.0])
    split = distances_from_point_sources(net, src, 4, limits)
    full = distances_from_point_sources(net, src, 4, 1e12)
    clipped = np.where(full <= limits[:, None], full, np.inf)
    assert np.array_equal(np.isinf(split), np.isinf(clipped))
    fin = np.isfinite(clipped)
    assert fin.sum() > 100
    assert np.max(np.abs(split[fin] - clipped[fin])) < 1e-9


def test_reach_within_equals_a_full_search_per_point() -> None:
    rng = np.random.default_rng(9)
    net = build_network(random_city(6))
    snapped = snap_points(net, _random_points(net, 80, rng), max_snap_m=1e9)
    src = PointSources.of(snapped.segment, snapped.along, np.arange(80), rng.uniform(0, 20, 80))
    for limit in (90.0, 250.0):
        reach = reach_within(net, src, 80, limit).toarray() > 0
        dense = distances_from_point_sources(net, src, 80, limit) <= limit
        assert reach.sum() > 80
        assert np.array_equal(reach, dense)


# --- OSM layer and bridge/tunnel values (the README's rules) --------------------------------------
def test_tunnel_ending_on_a_road_at_another_layer_is_not_joined() -> None:
    # A street (layer 0) along y=0; a tunnel (layer -1) from (50, -200) ends at (50, 0), right
    # under the street, in the middle of a segment. It must not join the street.
    street = LineString([(0, 0), (100, 0)])
    tunnel = LineString([(50, -200), (50, 0)])
    apart = build_network(roads([street, tunnel], tunnel=["no", "yes"], layer=[0, -1]))
    assert apart.n_nodes == 4
    assert len(set(apart.component.tolist())) == 2
    # Even a 1.5 m gap (within the 2 m tolerance) is not closed across layers ...
    short = LineString([(50, -200), (50, -1.5)])
    assert build_network(roads([street, short], layer=[0, -4])).n_nodes == 4
    # ... but is closed at the same layer, and an end on a same-layer road joins it.
    same = build_network(roads([street, short], layer=[0, 0]))
    assert len(set(same.component.tolist())) == 1
    joined = build_network(roads([street, tunnel], tunnel=["no", "yes"], layer=[0, 0]))
    assert len(set(joined.component.tolist())) == 1
    assert graph_distance(joined, (0, 0), (50, -200)) == pytest.approx(250.0)
    # Ground ways of different layers cross without a junction too.
    cross = build_network(
        roads([street, LineString([(50, -50), (50, 50)])], layer=["0", "1"])
    )
    assert cross.n_nodes == 4
    # A shared vertex (OSM's shared node) joins whatever the layers; so do coinciding ends.
    with_vertex = LineString([(0, 0), (50, 0), (100, 0)])
    vertex = build_network(roads([with_vertex, tunnel], tunnel=["no", "yes"], layer=[0, -1]))
    assert len(set(vertex.component.tolist())) == 1
    portal = build_network(
        roads([LineString([(50, 0), (50, -100)]), LineString([(50, -100), (50, -300)])],
              tunnel=["no", "yes"], layer=[0, -1])
    )
    assert len(set(portal.component.tolist())) == 1


def _readme_level_rules() -> dict[tuple[str, str], bool]:
    """The README's table: OSM key, value → level-separated (yes) or ground (no)."""
    text = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(bridge|tunnel)=([a-z_]+)` \| (separated|ground) \|", text, re.M)
    return {(k, v): kind == "separated" for k, v, kind in rows}


def test_every_osm_bridge_tunnel_value_follows_the_readme() -> None:
    rules = _readme_level_rules()
    assert rules == {k: sep for k, (sep, _) in OSM_LEVEL_VALUES.items()}
    for wanted in ("viaduct", "culvert", "building_passage", "avalanche_protector", "cantilever",
                   "covered", "movable", "boardwalk", "aqueduct", "trestle"):
        assert any(v == wanted for _, v in rules), wanted
    street = LineString([(0, 0), (100, 0)])
    over = LineString([(50, -50), (50, 50)])
    for (key, value), separated in rules.items():
        values: list[object] = [None, value]
        net = build_network(roads([street, over], **{key: values}))
        # Separated: crosses without a junction (4 nodes); ground: noded (5 nodes).
        assert net.n_nodes == (4 if separated else 5), (key, value)
    # An unknown value is read as separated (no invented junction); "否"/False as ground.
    assert build_network(roads([street, over], bridge=[None, "foo"])).n_nodes == 4
    assert build_network(roads([street, over], tunnel=[None, "否"])).n_nodes == 5
    assert build_network(roads([street, over], bridge=[False, False])).n_nodes == 5


def test_network_rules_are_in_the_readme_and_help() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert NETWORK_RULES in readme.replace("\n", " ")
    helptext = _parser().format_help()
    assert "layer" in helptext and "building_passage" in " ".join(helptext.split())


# --- measuring CRS ---------------------------------------------------------------------------
def test_projected_input_is_measured_in_the_local_crs_whatever_its_crs() -> None:
    city = random_city(3, n=8, origin=ORIGIN)
    gk = build_network(city)
    assert gk.crs.to_epsg() == 4547
    for other in ("EPSG:32650", "EPSG:3857", "EPSG:4326"):
        net = build_network(city.to_crs(other))
        assert net.crs.to_epsg() == 4547, other
        assert net.n_nodes == gk.n_nodes
        assert np.abs(np.sort(net.seg_len) - np.sort(gk.seg_len)).max() < 0.01, other
    # Outside China: the UTM zone of the place; a --crs of the user's is honoured.
    assert local_metric_crs(2.35, 48.85).to_epsg() == 32631
    assert local_metric_crs(-70.6, -33.4).to_epsg() == 32719
    assert local_metric_crs(114.3, 35.75).to_epsg() == 4547
    assert build_network(city.to_crs(4326), crs="EPSG:32650").crs.to_epsg() == 32650
    with pytest.raises(AnalysisError, match="不能用于量算"):
        parse_metric_crs("EPSG:4326")
    with pytest.raises(AnalysisError, match="无法识别"):
        parse_metric_crs("EPSG:99999999")


# --- vectorised noding ---------------------------------------------------------------------------
def _ends(pieces: np.ndarray) -> set[tuple[float, float]]:
    xy = np.concatenate([shapely.get_coordinates(shapely.get_point(pieces, k)) for k in (0, -1)])
    return set(map(tuple, np.round(xy, 2).tolist()))


@pytest.mark.parametrize("case", ["city", "figure8", "star", "ring", "t_on_vertex", "overlap"])
def test_vectorised_noding_matches_union_all(case: str) -> None:
    lines = {
        "city": list(random_city(4, n=12).geometry),
        "figure8": [LineString([(0, 0), (10, 10), (10, 0), (0, 10)])],
        "star": [LineString([(-10, 0), (10, 0)]), LineString([(0, -10), (0, 10)]),
                 LineString([(-10, -10), (10, 10)])],
        "ring": [LineString([(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]),
                 LineString([(5, -5), (5, 5)])],
        "t_on_vertex": [LineString([(0, 0), (50, 0), (100, 0)]), LineString([(50, 0), (50, 50)])],
        "overlap": [LineString([(0, 0), (100, 0)]), LineString([(50, 0), (150, 0)])],
    }[case]
    arr = shapely.set_precision(np.asarray(lines, dtype=object), 0.01)
    mine = node_lines(arr, 0.01)
    ref = shapely.get_parts(shapely.union_all(arr, grid_size=0.01))
    # Same junctions (piece ends) everywhere.
    assert _ends(mine) == _ends(ref)
    if case == "overlap":
        # Collinear overlaps are split at their ends but not merged (documented).
        assert len(mine) == 4 and len(ref) == 3
    else:
        assert len(mine) == len(ref)
        assert shapely.length(mine).sum() == pytest.approx(shapely.length(ref).sum())
