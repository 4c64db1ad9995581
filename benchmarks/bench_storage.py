"""Write and read a 1M-feature layer: PostGIS store vs GeoPackage store (time and peak memory).

Run: ``.venv/bin/python -m benchmarks.bench_storage [--n 1000000]``. The database is
``HEBI_TEST_DATABASE_URL`` (or ``HEBI_DATABASE_URL``); without one a throwaway cluster is
started with ``scripts/pg_throwaway.sh`` and removed afterwards. Every operation runs in a
fresh process so that its peak resident memory (``ru_maxrss``, which includes GDAL's and
libpq's C allocations) is its own; the baseline row is a process that only builds the layer.
Prints figures and PostGIS/GeoPackage ratios from this one run; asserts nothing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _layer(n: int) -> Any:
    import geopandas as gpd
    import numpy as np

    rng = np.random.default_rng(0)
    x = 114.1 + rng.random(n) * 0.4
    y = 35.6 + rng.random(n) * 0.3
    return gpd.GeoDataFrame(
        {"name": [f"点{i}" for i in range(n)], "v": np.arange(n), "h": rng.random(n)},
        geometry=gpd.points_from_xy(x, y), crs=4326,
    )


def _store(kind: str, where: str) -> Any:
    if kind == "gpkg":
        from spatial.storage import GeoPackageWorkspace

        return GeoPackageWorkspace(where)
    from spatial.db import engine_for
    from spatial.storage.postgis import PostGISStore

    url, project = where.rsplit("#", 1)
    return PostGISStore(engine_for(url), int(project))


def _run(op: str, kind: str, where: str, n: int, out: Any) -> None:
    gdf = _layer(n) if op in {"build", "write"} else None
    t0 = time.perf_counter()
    if op == "write":
        _store(kind, where).write_layer("百万点", gdf)
    elif op == "read":
        assert len(_store(kind, where).read_layer("百万点")) == n
    seconds = time.perf_counter() - t0
    out.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _measure(op: str, kind: str, where: str, n: int) -> tuple[float, float]:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_run, args=(op, kind, where, n, q))
    p.start()
    result: tuple[float, float] = q.get()
    p.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    n = parser.parse_args().n
    url = os.environ.get("HEBI_TEST_DATABASE_URL") or os.environ.get("HEBI_DATABASE_URL")
    cluster = None
    if not url:
        cluster = Path(tempfile.mkdtemp(prefix="hebi-bench-pg-"))
        cluster.chmod(0o755)
        url = subprocess.run(
            ["bash", str(ROOT / "scripts/pg_throwaway.sh"), "start", str(cluster / "c")],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
    try:
        from spatial.db import engine_for
        from spatial.projects import create_project

        project = create_project(engine_for(url), f"bench {uuid.uuid4().hex[:8]}")
        with tempfile.TemporaryDirectory() as tmp:
            where = {"gpkg": str(Path(tmp) / "bench.gpkg"), "pg": f"{url}#{project}"}
            _, base_mb = _measure("build", "gpkg", where["gpkg"], n)
            print(f"{n:,} points; baseline process (builds the layer): peak {base_mb:,.0f} MB")
            rows: dict[tuple[str, str], tuple[float, float]] = {}
            for op in ("write", "read"):
                for kind in ("gpkg", "pg"):
                    rows[(op, kind)] = _measure(op, kind, where[kind], n)
                    s, mb = rows[(op, kind)]
                    print(f"{op:5} {kind:4}: {s:7.2f} s   peak {mb:,.0f} MB")
            for op in ("write", "read"):
                (gs, gm), (ps, pm) = rows[(op, "gpkg")], rows[(op, "pg")]
                print(f"{op}: PostGIS/GeoPackage time x{ps / gs:.2f}, peak memory x{pm / gm:.2f}")
    finally:
        if cluster is not None:
            subprocess.run(["bash", str(ROOT / "scripts/pg_throwaway.sh"), "stop",
                            str(cluster / "c")], check=False)
            cluster.rmdir()


if __name__ == "__main__":
    main()
