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
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from spatial._errors import SpatialError
from spatial.cli_common import run_command
from spatial.coverage import (
    COMBOS,
    CoverageSettings,
    analyse,
    n_facilities,
    report_tables,
    result_layers,
    study_area,
    summary_table,
)
from spatial.coverage_rules import load_rules
from spatial.crs import WGS84
from spatial.importer import read_user_layer
from spatial.metric_crs import parse_metric_crs
from spatial.network import DEFAULT_MAX_SNAP_M, DEFAULT_SNAP_GAP_M, NETWORK_RULES
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


def _number(low: float, high: float, low_open: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] (or (low, high]), else a bilingual error."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        inside = (value > low if low_open else value >= low) and value <= high
        if not (math.isfinite(value) and inside):
            bracket = "(" if low_open else "["
            raise argparse.ArgumentTypeError(
                f"“{text}”不是 {bracket}{low:g}, {high:g}] 范围内的有限数值 / "
                f"'{text}' is not a finite number in {bracket}{low:g}, {high:g}]"
            )
        return value

    return parse


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m spatial.coverage_cli",
        description="生活圈步行覆盖分析 / Living-circle walking coverage analysis.",
        epilog=NETWORK_RULES,
    )
    p.add_argument("--roads", type=Path, required=True, help="road lines (bridge/tunnel optional)")
    p.add_argument("--facilities", type=Path, required=True, help="facility points")
    p.add_argument("--residential", type=Path, required=True, help="residential polygons")
    p.add_argument(
        "--units", type=Path, action="append", default=[], help="planning-unit polygons (repeat)"
    )
    p.add_argument(
        "--out", type=Path, required=True,
        help="output directory (new, or empty; --overwrite replaces earlier result files)",
    )
    p.add_argument(
        "--overwrite", action="store_true",
        help="replace the result files of an earlier run in --out (regular files only)",
    )
    p.add_argument(
        "--crs", default=None,
        help="measure in this projected CRS in metres (default: the place's GK zone in China, "
        "its UTM zone elsewhere; EPSG:3857 is refused)",
    )
    p.add_argument("--rules", type=Path, default=None, help="rule table CSV (default: shipped)")
    p.add_argument(
        "--max-snap-m", type=_number(0, 5000, low_open=True), default=DEFAULT_MAX_SNAP_M,
        help="farthest a place or facility may be from a road (m, 0 < x ≤ 5000)",
    )
    p.add_argument(
        "--snap-gap-m", type=_number(0, 50), default=DEFAULT_SNAP_GAP_M,
        help="close road gaps up to this length, same layer only (m, 0 ≤ x ≤ 50)",
    )
    p.add_argument(
        "--search-limit-m", type=_number(0, 50000, low_open=True), default=None,
        help="search radius (m); default: 2 × each rule distance",
    )
    p.add_argument(
        "--access-offset", action="store_true", help="add the walk from a point to its road"
    )
    return p


def _check_out(out: Path, names: list[str], overwrite: bool) -> None:
    """Refuse an --out that is not a directory, holds earlier results, or is not writable."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise SpatialError(
            f"输出位置“{out.name}”已存在且不是文件夹。",
            f"The output '{out.name}' exists and is not a directory.",
        )
    for name in names:
        target = out / name
        if not (target.exists() or target.is_symlink()):
            continue
        if target.is_symlink() or not target.is_file():
            raise SpatialError(
                f"“{name}”已存在且不是普通文件，拒绝覆盖。",
                f"'{name}' exists and is not a regular file; it will not be overwritten.",
            )
        if not overwrite:
            raise SpatialError(
                f"输出文件夹“{out.name}”已有结果文件“{name}”；换一个文件夹或加 --overwrite。",
                f"The output directory '{out.name}' already holds '{name}'; choose another "
                "directory or add --overwrite.",
            )


def _write_all(out: Path, files: dict[str, bytes], overwrite: bool) -> dict[str, Path]:
    """Write the result files into ``out`` after checking it (bilingual errors, no traceback)."""
    _check_out(out, list(files), overwrite)
    written: dict[str, Path] = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            path = out / name
            path.write_bytes(data)
            written["geopackage" if name == GPKG_NAME else name.removesuffix(".csv")] = path
    except OSError as exc:
        raise SpatialError(
            f"无法写入输出文件夹“{out.name}”（权限或磁盘空间）。",
            f"Cannot write to the output directory '{out.name}' (permissions or disk space).",
        ) from exc
    return written


def run(args: argparse.Namespace) -> dict[str, Path]:
    """Run the analysis for parsed arguments; return the written files by table name."""
    rules = load_rules(args.rules)
    settings = CoverageSettings(
        max_snap_m=args.max_snap_m,
        snap_gap_m=args.snap_gap_m,
        search_limit_m=args.search_limit_m,
        add_access_offset=args.access_offset,
        crs=None if args.crs is None else str(args.crs),
    )
    if settings.crs is not None:
        parse_metric_crs(settings.crs)  # refuse a bad --crs before reading any layer
    taken: set[str] = set()
    units = {_unit_name(p, taken): _read(p) for p in args.units}
    model, weights = analyse(
        _read(args.roads), _read(args.facilities), _read(args.residential), rules, settings, units
    )
    out: Path = args.out
    area = (
        study_area(model, gpd.GeoDataFrame(pd.concat([u.to_crs(WGS84) for u in units.values()])))
        if units else None
    )
    files = {f"{name}.csv": to_safe_csv(table) for name, table in
             report_tables(model, weights, area=area).items()}
    files[GPKG_NAME] = to_gpkg_bytes(result_layers(model))
    written = _write_all(out, files, args.overwrite)
    summary = summary_table(model)
    shares = summary.pivot(index="category", columns="level_min", values="pop_share")
    print(f"{len(model.places)} residential places, {n_facilities(model)} facilities; "
          f"population share within walking reach (5/10/15 min):")
    for cat in dict.fromkeys(c for c, _ in COMBOS):
        cells = " / ".join(
            "  n/a " if np.isnan(v) else f"{v * 100:5.1f}%" for v in shares.loc[cat].to_numpy()
        )
        print(f"  {cat:<15} {cells}")
    print(f"wrote {len(written)} files to {out}")
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status (0 ok, 2 bad input)."""
    args = _parser().parse_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
