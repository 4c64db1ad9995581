"""Command line: export a view of the plan to a print-ready PNG or PDF (or a PDF atlas).

Examples (from the repository root)::

    python -m spatial.export_cli --out plan.pdf
    python -m spatial.export_cli --out plan.png --dpi 300 --paper A3 --orientation portrait
    python -m spatial.export_cli --out parks.pdf --groups parks green --title "园区与绿地"
    python -m spatial.export_cli --out bonded.pdf --area bonded_zone:bonded_zone
    python -m spatial.export_cli --out atlas.pdf --atlas life_circles
    python -m spatial.export_cli --out shared.pdf --view "http://host/map?groups=parks&bbox=..."
    python -m spatial.export_cli --out green.pdf --indicator parks:green_share_pct --target 37

``--view`` takes a link copied from the app (or just its query string), so an
analyst prints exactly what a planner shared; the other options override it.
Errors are printed in Chinese and English and the exit status is 2; nothing
is written then.
"""

from __future__ import annotations

import argparse
import os
import stat
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlsplit

from spatial._errors import ExportError
from spatial.basemaps import BASEMAP_IDS
from spatial.classify import DEFAULT_PALETTE, PALETTES
from spatial.cli_common import run_command
from spatial.export import (
    FORMATS,
    ORIENTATIONS,
    PAPERS,
    ExportOptions,
    ExportResult,
    choropleth_for_view,
    export_atlas,
    export_view,
)
from spatial.view import DEFAULT_VIEW, IndicatorSelection, View

__all__ = ["build_parser", "check_out_path", "main", "view_from_args"]


def _split(values: Sequence[str] | None) -> tuple[str, ...] | None:
    """Accept ``a b``, ``a,b`` or a mix; None when the option was not given."""
    if values is None:
        return None
    return tuple(dict.fromkeys(p.strip() for v in values for p in v.split(",") if p.strip()))


def _floats(text: str, n: int | None, what_zh: str, what_en: str) -> tuple[float, ...]:
    try:
        values = tuple(float(p) for p in text.replace("，", ",").split(",") if p.strip())
    except ValueError:
        raise ExportError(f"{what_zh}应为逗号分隔的数字。",
                          f"{what_en} must be numbers separated by commas.") from None
    if n is not None and len(values) != n:
        raise ExportError(f"{what_zh}应为 {n} 个数字。", f"{what_en} must be {n} numbers.")
    return values


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``python -m spatial.export_cli``."""
    p = argparse.ArgumentParser(
        prog="python -m spatial.export_cli",
        description="导出规划图（PNG/PDF/图集） / Export a print-ready map of the plan.",
    )
    p.add_argument("--out", required=True, type=Path, help="output file (.pdf or .png)")
    p.add_argument("--format", choices=FORMATS, help="default: from the --out suffix, else pdf")
    p.add_argument("--paper", choices=tuple(PAPERS), default="A4")
    p.add_argument("--orientation", choices=ORIENTATIONS, default="landscape")
    p.add_argument("--dpi", type=int, default=300, help="PNG resolution (default 300)")
    p.add_argument("--view", help="a link copied from the app, or its query string")
    p.add_argument("--groups", nargs="+", help="layer groups to show (default: all plan groups)")
    p.add_argument("--layers", nargs="+", help="only these layer ids")
    p.add_argument("--bbox", help="extent minlon,minlat,maxlon,maxlat (WGS84)")
    p.add_argument("--area", help="print one feature's extent, as LAYER:ID")
    p.add_argument("--atlas", metavar="LAYER", help="one PDF page per area of this layer")
    p.add_argument("--basemap", choices=BASEMAP_IDS, help="default none (offline)")
    p.add_argument("--indicator", metavar="LAYER:COLUMN",
                   help="choropleth of a computed indicator per area, e.g. parks:area_km2")
    p.add_argument("--scheme", default=None,
                   help="Quantiles | EqualInterval | FisherJenks | UserDefined")
    p.add_argument("--classes", type=int, default=None, help="number of classes")
    p.add_argument("--breaks", help="class upper bounds, comma-separated")
    p.add_argument("--target", type=float, help="planning target of the indicator")
    p.add_argument("--palette", default=DEFAULT_PALETTE, choices=tuple(PALETTES),
                   help="colour scheme of the classes")
    p.add_argument("--title")
    p.add_argument("--subtitle")
    p.add_argument("--review-no", help="审图号 printed on the map")
    p.add_argument("--date", help="map date YYYY-MM-DD (default today); fixes the file content")
    p.add_argument("--lang", choices=("zh", "en"))
    return p


def view_from_args(args: argparse.Namespace) -> View:
    """Build the view to print: ``--view`` first, then the explicit options over it.

    Raises
    ------
    ExportError
        For a malformed bbox, indicator or breaks.
    """
    # An export defaults to no basemap: it must work offline and is deterministic.
    view = DEFAULT_VIEW.replace(basemap="none")
    if args.view:
        query = urlsplit(args.view).query if "?" in args.view else args.view
        view = View.from_query_params(parse_qs(query), default=view)
    changes: dict[str, object] = {}
    groups = _split(args.groups)
    if groups is not None:
        changes["groups"] = groups
        changes["layers"] = None  # named groups are shown whole, as a /map?groups=… link does
    layers = _split(args.layers)
    if layers is not None:
        changes["layers"] = layers
    if args.bbox:
        minx, miny, maxx, maxy = _floats(args.bbox, 4, "范围（--bbox）", "--bbox")
        if not (minx < maxx and miny < maxy):
            raise ExportError("范围（--bbox）应为 最小经度,最小纬度,最大经度,最大纬度。",
                              "--bbox must be minlon,minlat,maxlon,maxlat.")
        changes["bbox"] = (minx, miny, maxx, maxy)
    if args.basemap:
        changes["basemap"] = args.basemap
    if args.lang:
        changes["lang"] = args.lang
    if args.indicator:
        layer, _, column = args.indicator.partition(":")
        if not layer or not column:
            raise ExportError("指标应写作 图层:列名，例如 parks:area_km2。",
                              "--indicator must be LAYER:COLUMN, e.g. parks:area_km2.")
        changes["indicator"] = IndicatorSelection(layer, column)
        if not (args.view or args.groups or args.layers):
            # Like the indicators page: the classed areas alone, framed to them.
            changes["groups"] = ()
            if not args.bbox:
                changes["bbox"] = _layer_bbox(layer)
    view = view.replace(**changes)
    ind = view.indicator
    if ind is not None and (args.scheme or args.classes or args.breaks or args.target is not None):
        breaks = _floats(args.breaks, None, "断点（--breaks）", "--breaks") if args.breaks else ()
        scheme = args.scheme or ("UserDefined" if breaks else ind.scheme)
        view = view.replace(indicator=IndicatorSelection(
            ind.area_layer, ind.column, scheme, args.classes or ind.k, breaks or ind.breaks,
            args.target if args.target is not None else ind.target))
    return view


def _layer_bbox(layer_id: str) -> tuple[float, float, float, float]:
    """WGS84 bounds of a catalogue layer's located features."""
    from layers import load_layer

    gdf = load_layer(layer_id)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if gdf.empty:
        raise ExportError("该图层没有可出图的要素。", "The layer has no located features.")
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    return (minx, miny, maxx, maxy)


def _options(args: argparse.Namespace) -> ExportOptions:
    fmt: Literal["png", "pdf"] = args.format or (
        "png" if args.out.suffix.lower() == ".png" else "pdf")
    map_date = None
    if args.date:
        try:
            map_date = date.fromisoformat(args.date)
        except ValueError:
            raise ExportError("日期应写作 YYYY-MM-DD。", "--date must be YYYY-MM-DD.") from None
    return ExportOptions(
        paper=args.paper, orientation=args.orientation, fmt=fmt, dpi=args.dpi,
        title=args.title, subtitle=args.subtitle, review_no=args.review_no, map_date=map_date,
        lang=args.lang,
    )


def run(args: argparse.Namespace) -> ExportResult:
    """Produce the export the arguments describe (nothing is written here)."""
    view = view_from_args(args)
    options = _options(args)
    choropleth = (choropleth_for_view(view, palette=args.palette)
                  if view.indicator is not None else None)
    if args.atlas:
        if options.fmt != "pdf":
            raise ExportError("图集只能导出为 PDF。", "An atlas can only be exported as PDF.")
        return export_atlas(view, args.atlas, options, choropleth=choropleth)
    area = None
    if args.area:
        layer, _, fid = args.area.partition(":")
        if not layer or not fid:
            raise ExportError("区域应写作 图层:编号，例如 parks:chengdong。",
                              "--area must be LAYER:ID, e.g. parks:chengdong.")
        area = (layer, fid)
    return export_view(view, options, choropleth=choropleth, area=area)


def check_out_path(out: Path) -> None:
    """Refuse an output path that exists and is not a regular file.

    A symlink would be replaced (or, by a naive writer, followed to another
    file), a device written into, a directory left with a ``.part`` beside it.

    Raises
    ------
    ExportError
        If ``out`` is a symlink, directory, device, pipe or socket.
    """
    try:
        st = out.lstat()
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise ExportError(
            "输出路径已存在且不是普通文件（如目录、符号链接或设备），不予覆盖。请换一个文件名。",
            "The output path exists and is not a regular file (e.g. a directory, symbolic link "
            "or device); it is not overwritten. Choose another file name.",
        )


def _write(out: Path, data: bytes) -> None:
    """Write ``data`` to ``out`` atomically; no temporary file survives a failure."""
    check_out_path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        check_out_path(out)  # again: the path may have changed while the map was drawn
        tmp.replace(out)  # never leave half a file under the requested name
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 written, 2 refused)."""
    args = build_parser().parse_args(argv)
    return run_command(lambda: _export(args), failure="出图失败 / Export failed: ")


def _export(args: argparse.Namespace) -> None:
    """Draw the figure, write it atomically and say what was written."""
    check_out_path(args.out)
    result = run(args)
    out: Path = args.out
    _write(out, result.data)
    info = result.info
    print(f"{out}: {result.fmt.upper()}, {len(result.pages)} page(s), "
          f"1:{info.scale_denominator:.0f}, {len(result.data):,} bytes")

if __name__ == "__main__":
    raise SystemExit(main())
