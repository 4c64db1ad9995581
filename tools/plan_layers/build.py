"""Assembly of every layer, the consistency checks and the command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from shapely.ops import unary_union

from tools.plan_layers.areas import bonded_features, park_features
from tools.plan_layers.facilities import facility_features
from tools.plan_layers.geometry import DEFAULT_REFERENCE, OUT_DIR, ROOT, Feature, gk
from tools.plan_layers.green import green_belt_features, green_features, water_features
from tools.plan_layers.industry import industry_features, project_features
from tools.plan_layers.reference import Frame, build_frame, load_reference, reference_features
from tools.plan_layers.residential import community_features, life_circle_features
from tools.plan_layers.roads import build_road_pieces, road_features
from tools.plan_layers.structure import structure_features
from tools.plan_layers.transport import transport_features

# --- assembly and output ------------------------------------------------------------------------

def build_layers(ref_dir: Path = DEFAULT_REFERENCE) -> dict[str, list[Feature]]:
    """Build every layer in memory, keyed by file stem."""
    ref = load_reference(ref_dir)
    frame = build_frame(ref)
    green = green_features(ref, frame)
    pieces = build_road_pieces(
        frame, unary_union([gk(f.geometry) for f in green if f.geometry is not None])
    )
    layers: dict[str, list[Feature]] = {}
    layers.update(structure_features(pieces))
    layers.update(bonded_features(pieces, frame))
    zone = layers["bonded_zone"][0].geometry
    assert zone is not None
    layers["parks"] = park_features(frame, zone)
    lake = next(f.geometry for f in layers["parks"] if f.id == "longgang-lake")
    assert lake is not None
    # Belts come after the roads and the bonded zone (they are kept clear of both), so the
    # block streets are generated from the parks alone; the belts avoid the residential faces.
    layers["green"] = green + green_belt_features(frame, pieces, zone, green, lake)
    layers["water"] = water_features(ref, frame)
    layers["industry"] = industry_features(layers["parks"], zone, layers["green"])
    layers["plan_projects"] = project_features(pieces, layers["parks"], layers["industry"])
    layers["transport"] = transport_features(frame)
    layers["life_circles"] = life_circle_features(frame, zone)
    layers["facilities"] = facility_features(pieces, layers["green"], layers["life_circles"])
    layers["roads"] = road_features(pieces, frame)
    layers["communities"] = community_features(pieces, frame, layers["green"], layers["water"])
    layers.update(reference_features(ref))
    _check_places(layers, frame)
    return layers


def _check_places(layers: dict[str, list[Feature]], frame: Frame) -> None:
    """Refuse a build that puts plan features where the evidence says they cannot be."""
    zone = layers["bonded_zone"][0].geometry
    lake = next(f.geometry for f in layers["parks"] if f.id == "longgang-lake")
    assert zone is not None and lake is not None
    for f in layers["facilities"]:
        g = f.geometry
        assert g is not None
        if not frame.qibin.contains(g):
            raise ValueError(f"facility {f.id} outside 淇滨区")
        if zone.buffer(1e-6).contains(g) or lake.contains(g):
            raise ValueError(f"facility {f.id} inside the bonded zone or the lake")
    for f in layers["water"]:  # a fenced bonded zone has no river running through it
        if f.geometry is not None and f.geometry.crosses(zone):
            raise ValueError(f"{f.id} crosses the bonded zone")
    # Green is land use: no green area may share land with the zone or another green area.
    drawn = [(f.id, gk(f.geometry)) for f in layers["green"] if f.geometry is not None]
    for i, (fid, g) in enumerate(drawn):
        if g.intersection(gk(zone)).area > 1.0:
            raise ValueError(f"green {fid} overlaps the bonded zone")
        for other, h in drawn[i + 1:]:
            if g.intersection(h).area > 1.0:
                raise ValueError(f"green {fid} overlaps {other}")


def feature_collection(name: str, features: list[Feature]) -> str:
    """A FeatureCollection as text, one feature per line (readable diffs)."""
    ids = [f.id for f in features]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate ids in {name}")
    head = json.dumps({"type": "FeatureCollection", "name": name}, ensure_ascii=False)[:-1]
    body = ",\n".join(json.dumps(f.to_json(), ensure_ascii=False) for f in features)
    return f'{head}, "features": [\n{body}\n]}}\n'


def write_layers(layers: dict[str, list[Feature]], out_dir: Path = OUT_DIR) -> list[Path]:
    """Write one GeoJSON per layer; return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    # Serialise everything first, so a failing layer never leaves a half-updated directory.
    texts = {name: feature_collection(name, feats) for name, feats in layers.items()}
    written = []
    for name, text in texts.items():
        path = out_dir / f"{name}.geojson"
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry: build (default) or check that data/geo is up to date."""
    parser = argparse.ArgumentParser(description="Build the plan layers in data/geo.")
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE,
                        help="directory of the reference GeoJSON files")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output directory")
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a file differs from a fresh build")
    args = parser.parse_args(argv)
    layers = build_layers(args.reference)
    if args.check:
        stale = [
            name for name, feats in layers.items()
            if not (args.out / f"{name}.geojson").exists()
            or (args.out / f"{name}.geojson").read_text(encoding="utf-8")
            != feature_collection(name, feats)
        ]
        for name in stale:
            print(f"out of date: {name}.geojson")
        return 1 if stale else 0
    for path in write_layers(layers, args.out):
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
