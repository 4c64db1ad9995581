"""Time the sandboxed import against a plain ``geopandas.read_file`` in the same run.

Run: ``.venv/bin/python -m benchmarks.bench_import``. Prints, per generated
upload, the seconds of ``read_user_layer`` (isolated child process, limits,
checks, binary transport) and of a plain ``read_file`` of the same file, their
ratio (issue 17's target: at most 1.5x), and the peak memory of each (the
child's peak RSS against the growth of this process's peak RSS). Each timing
is the best of ``REPEAT`` runs, so a busy machine shows less noise. Asserts
nothing.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import geopandas as gpd
import shapely

from spatial import read_user_layer

REPEAT = 2


def points_geojson(n: int, folder: Path) -> Path:
    """``n`` point features with a text and an integer property."""
    feats = [
        {
            "type": "Feature",
            "properties": {"name": f"点{i}", "v": i},
            "geometry": {"type": "Point", "coordinates": [114.0 + i * 1e-6, 35.7]},
        }
        for i in range(n)
    ]
    path = folder / f"points_{n}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    return path


def polygons_gpkg(n: int, folder: Path) -> Path:
    """``n`` small square polygons in a GeoPackage."""
    geoms = [shapely.box(114 + (i % 500) * 1e-3, 35 + (i // 500) * 1e-3,
                         114 + (i % 500) * 1e-3 + 5e-4, 35 + (i // 500) * 1e-3 + 5e-4)
             for i in range(n)]
    path = folder / f"polygons_{n}.gpkg"
    gpd.GeoDataFrame({"name": [f"地块{i}" for i in range(n)], "v": range(n)},
                     geometry=geoms, crs=4326).to_file(path)
    return path


def _best(run: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - t0)
    return best


def _peak_kib(who: int) -> int:
    return int(resource.getrusage(who).ru_maxrss)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = [
            ("points GeoJSON", points_geojson(10_000, folder)),
            ("points GeoJSON", points_geojson(250_000, folder)),
            ("polygons GPKG", polygons_gpkg(100_000, folder)),
        ]
        print(f"{'upload':16s} {'n':>8s} {'MB':>6s} {'sandboxed':>10s} {'read_file':>10s} "
              f"{'ratio':>6s} {'child MB':>9s} {'plain +MB':>9s}")
        for label, path in cases:
            data = path.read_bytes()
            before = _peak_kib(resource.RUSAGE_SELF)
            plain = _best(partial(gpd.read_file, path))
            plain_mb = (_peak_kib(resource.RUSAGE_SELF) - before) / 1024
            gdf = read_user_layer(data, path.name)
            sandboxed = _best(partial(read_user_layer, data, path.name))
            child_mb = _peak_kib(resource.RUSAGE_CHILDREN) / 1024
            print(f"{label:16s} {len(gdf):>8d} {len(data) / 1e6:6.1f} {sandboxed:9.2f}s "
                  f"{plain:9.2f}s {sandboxed / plain:5.2f}x {child_mb:9.0f} {plain_mb:9.0f}")


if __name__ == "__main__":
    main()
