"""Build the plan layers in ``data/geo`` from the coordinates in ``tools/plan_layers``.

Run from the repository root::

    .venv/bin/python -m tools.build_plan_layers            # writes data/geo/*.geojson
    .venv/bin/python -m tools.build_plan_layers --check    # compare a fresh build with data/geo

The builder is the package :mod:`tools.plan_layers`, one module per concern
(geometry helpers, reference frame, roads, plan structure, areas, green and
water, living circles and communities, facilities, industry, transport,
assembly). Every coordinate typed there is WGS84 lon/lat and comes from
``PLACES.md`` (the place-by-place evidence table in ``shared/reference``) or the
plan text, as the comment beside it says. Reference layers are read from
``--reference`` (default ``../shared/reference`` beside the repository); on a
clone without that directory the copies shipped in ``data/geo/ref_*.geojson``
are read instead, so the build reproduces itself from the repository alone.

Metric work (buffers, offsets, areas, trimming) runs in EPSG:4547; the output is
EPSG:4326 with coordinates rounded to 6 decimals (≈0.1 m).
"""

from __future__ import annotations

import sys

from tools.plan_layers.build import build_layers, feature_collection, main, write_layers
from tools.plan_layers.geometry import BONDED_AREA_KM2, Feature

__all__ = [
    "BONDED_AREA_KM2", "Feature", "build_layers", "feature_collection", "main", "write_layers",
]

if __name__ == "__main__":
    sys.exit(main())
