"""Command line: run the 生活圈 coverage analysis on any road / facility / residential layers.

Example::

    python -m spatial.coverage_cli --roads roads.geojson --facilities facilities.gpkg \\
        --residential communities.geojson --units life_circles.geojson --out results/

Layers are read like uploads in the app (GeoJSON, GeoPackage, zipped
Shapefile, KML, CSV with lon/lat; see :mod:`spatial.importer`), and their
columns are found as in the app (:mod:`spatial.coverage_inputs`): facilities
need a category (``category`` / ``类别`` …, as a code or a name such as
``就学便利圈``), optionally a level (``level_min`` / ``层级``, e.g. ``5分钟``)
and a type; residential places need a population (``population`` / ``人口`` /
``pop`` …). Writes to
``--out``: one CSV per table (UTF-8 with BOM, formula-safe; see
:func:`spatial.tables.to_safe_csv`) and ``coverage.gpkg`` with the result
layers in WGS84. A problem with the inputs is reported in Chinese and English
with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np

from spatial._errors import SpatialError
from spatial.coverage import (
    COMBOS,
    CoverageSettings,
    analyse,
    report_tables,
    result_layers,
    summary_table,
)
from spatial.coverage_rules import load_rules
from spatial.importer import read_user_layer
from spatial.network import DEFAULT_MAX_SNAP_M, DEFAULT_SNAP_GAP_M
from spatial.storage import check_layer_name
from spatial.tables import to_gpkg_bytes, to_safe_csv

__all__ = ["main"]

GPKG_NAME = "coverage.gpkg"


def _read(path: Path) -> gpd.GeoDataFrame:
    """Read one layer file (same reader and checks as an upload in the app)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpatialError(
            f"无法读取文件“{path.name}”。", f"Cannot read the file '{path.name}'."
        ) from exc
    return read_user_layer(data, path.name)


def _unit_name(path: Path, taken: set[str]) -> str:
    """A safe, unique layer name for a unit file (its stem, made an identifier)."""
    stem = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in path.stem.lower())
    stem = stem.strip("_") or "units"
    if not stem[0].isalpha():
        stem = f"u_{stem}"
    name, k = stem[:60], 2
    while name in taken:
        name, k = f"{stem[:56]}_{k}", k + 1
    taken.add(name)
    return check_layer_name(name)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m spatial.coverage_cli",
        description="生活圈步行覆盖分析 / Living-circle walking coverage analysis.",
    )
    p.add_argument("--roads", type=Path, required=True, help="road lines (bridge/tunnel optional)")
    p.add_argument("--facilities", type=Path, required=True, help="facility points")
    p.add_argument("--residential", type=Path, required=True, help="residential polygons")
    p.add_argument(
        "--units", type=Path, action="append", default=[], help="planning-unit polygons (repeat)"
    )
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument("--rules", type=Path, default=None, help="rule table CSV (default: shipped)")
    p.add_argument("--max-snap-m", type=float, default=DEFAULT_MAX_SNAP_M)
    p.add_argument("--snap-gap-m", type=float, default=DEFAULT_SNAP_GAP_M)
    p.add_argument(
        "--search-limit-m", type=float, default=None, help="default: 2 × each rule distance"
    )
    p.add_argument(
        "--access-offset", action="store_true", help="add the walk from a point to its road"
    )
    return p


def run(args: argparse.Namespace) -> dict[str, Path]:
    """Run the analysis for parsed arguments; return the written files by table name."""
    rules = load_rules(args.rules)
    settings = CoverageSettings(
        max_snap_m=args.max_snap_m,
        snap_gap_m=args.snap_gap_m,
        search_limit_m=args.search_limit_m,
        add_access_offset=args.access_offset,
    )
    taken: set[str] = set()
    units = {_unit_name(p, taken): _read(p) for p in args.units}
    model, weights = analyse(
        _read(args.roads), _read(args.facilities), _read(args.residential), rules, settings, units
    )
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, table in report_tables(model, weights).items():
        path = out / f"{name}.csv"
        path.write_bytes(to_safe_csv(table))
        written[name] = path
    gpkg = out / GPKG_NAME
    gpkg.write_bytes(to_gpkg_bytes(result_layers(model)))
    written["geopackage"] = gpkg
    summary = summary_table(model)
    shares = summary.pivot(index="category", columns="level_min", values="pop_share")
    print(f"{len(model.places)} residential places, {len(model.facilities)} facilities; "
          f"population share within walking reach (5/10/15 min):")
    for cat in dict.fromkeys(c for c, _ in COMBOS):
        cells = " / ".join(
            "  –  " if np.isnan(v) else f"{v * 100:5.1f}%" for v in shares.loc[cat].to_numpy()
        )
        print(f"  {cat:<15} {cells}")
    print(f"wrote {len(written)} files to {out}")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status (0 ok, 2 bad input)."""
    args = _parser().parse_args(argv)
    try:
        run(args)
    except SpatialError as err:
        print(str(err), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
