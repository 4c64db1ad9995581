"""Time print exports of the full plan: A4 at 300 dpi as PNG and as vector PDF (target < 5 s).

Run from the repository root::

    .venv/bin/python -m benchmarks.bench_export [--repeat 3]

Prints, for each format, the time of a whole export (load and validate the
layers, project to EPSG:4547, lay out, draw, encode) and its parts, the best
of ``--repeat`` runs after one warm-up (the warm-up pays for importing
matplotlib's font cache and reading the CJK font once per process, which a
running app pays once). Also the file size and the ratio to the 5 s target,
and the time of an atlas of the living circles. No basemap: nothing is
fetched.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from datetime import date
from functools import partial

from spatial.export import (
    ExportOptions,
    ExportResult,
    MapContent,
    _export_style,
    _save,
    export_atlas,
    export_view,
    prepare_content,
    render_page,
)
from spatial.view import DEFAULT_VIEW

TARGET_S = 5.0
DAY = date(2026, 11, 24)


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    fn()  # warm-up
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _layout_only(content: MapContent, options: ExportOptions) -> object:
    with _export_style():
        return render_page(content, options)


def _layout_and_encode(content: MapContent, options: ExportOptions) -> bytes:
    with _export_style():
        fig, _ = render_page(content, options)
        return _save(fig, options, "bench")


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print a small table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)

    view = DEFAULT_VIEW.replace(basemap="none")
    t0 = time.perf_counter()
    export_view(view, ExportOptions(fmt="pdf", dpi=300, map_date=DAY))
    print(f"first export in this process (reads the CJK font, builds caches): "
          f"{time.perf_counter() - t0:.2f} s")
    print("Full plan view, every plan group, no basemap; best of", args.repeat, "runs")
    print(f"{'export':<22}{'total s':>9}{'prepare':>9}{'layout':>9}{'encode':>9}"
          f"{'bytes':>12}{'vs 5 s':>8}")
    content = prepare_content(view)
    for fmt in ("png", "pdf"):
        options = ExportOptions(paper="A4", orientation="landscape", fmt=fmt, dpi=300,
                                map_date=DAY)
        total, result = _best(partial(export_view, view, options), args.repeat)
        prep, _ = _best(partial(prepare_content, view), args.repeat)
        lay, _ = _best(partial(_layout_only, content, options), args.repeat)
        lay_enc, _ = _best(partial(_layout_and_encode, content, options), args.repeat)
        assert isinstance(result, ExportResult)
        print(f"{'A4 300 dpi ' + fmt.upper():<22}{total:>9.2f}{prep:>9.2f}{lay:>9.2f}"
              f"{lay_enc - lay:>9.2f}{len(result.data):>12,}{total / TARGET_S:>8.2f}")
    options = ExportOptions(paper="A4", orientation="landscape", fmt="pdf", map_date=DAY)
    t0 = time.perf_counter()
    atlas = export_atlas(view.replace(groups=("life_circles", "facilities", "roads")),
                         "life_circles", options)
    dt = time.perf_counter() - t0
    print(f"{'atlas life_circles':<22}{dt:>9.2f}{'':>27}{len(atlas.data):>12,}"
          f"   ({len(atlas.pages)} pages, {dt / len(atlas.pages):.2f} s/page)")


if __name__ == "__main__":
    main()
