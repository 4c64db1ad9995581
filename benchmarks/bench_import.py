"""Time ``read_user_layer`` on generated uploads of growing size (prints figures, asserts nothing).

Run: ``.venv/bin/python benchmarks/bench_import.py``. The sandbox's fixed cost
(a fresh interpreter loading pandas/GDAL) is the 1-feature row; the ratios show
how the rest scales with the feature count.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spatial import read_user_layer


def points_geojson(n: int) -> bytes:
    feats = [
        {
            "type": "Feature",
            "properties": {"name": f"点{i}", "v": i},
            "geometry": {"type": "Point", "coordinates": [114.0 + i * 1e-6, 35.7]},
        }
        for i in range(n)
    ]
    return json.dumps({"type": "FeatureCollection", "features": feats}).encode()


def points_csv(n: int) -> bytes:
    rows = "".join(f"点{i},{114.0 + i * 1e-6},35.7\n" for i in range(n))
    return ("名称,经度,纬度\n" + rows).encode()


def main() -> None:
    base: dict[str, float] = {}
    for label, make, ext in (("geojson", points_geojson, "geojson"), ("csv", points_csv, "csv")):
        for n in (1, 10_000, 100_000, 250_000):
            data = make(n)
            t0 = time.perf_counter()
            gdf = read_user_layer(data, f"bench.{ext}")
            dt = time.perf_counter() - t0
            base.setdefault(label, dt)
            print(
                f"{label:8s} n={n:>7d} size={len(data) / 1e6:7.1f} MB  {dt:6.2f} s  "
                f"x{dt / base[label]:5.1f} of 1-feature  ({len(gdf)} read)"
            )


if __name__ == "__main__":
    main()
