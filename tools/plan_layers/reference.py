"""The reference layers, the fixed frame (admin areas, HSR/G4, canal, railway), their copies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
import shapely.affinity
from shapely.geometry import (
    LineString,
    MultiLineString,
    Point,
    Polygon,
    box,
    shape,
)
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge

from tools.plan_layers.geometry import OUT_DIR, Feature, gk, line, slug, wgs

# --- reference data -----------------------------------------------------------------------------


@dataclass
class Reference:
    """The four reference layers as raw GeoJSON feature lists."""

    admin: list[dict[str, Any]]
    hsr: list[dict[str, Any]]
    qihe: list[dict[str, Any]]
    anchors: list[dict[str, Any]]

    def admin_geom(self, adcode: str) -> BaseGeometry:
        """Boundary polygon of one administrative unit."""
        for f in self.admin:
            if f["properties"]["adcode"] == adcode:
                return shape(f["geometry"])
        raise KeyError(adcode)

    def anchor(self, name_zh: str) -> Point:
        """An evidence point by its Chinese name."""
        for f in self.anchors:
            if f["properties"]["name_zh"] == name_zh:
                geom = shape(f["geometry"])
                assert isinstance(geom, Point)
                return geom
        raise KeyError(name_zh)


_REF_FILES = {
    "admin": ("hebi_admin_boundaries.geojson", "ref_admin.geojson"),
    "hsr": ("hebi_hsr_jingguang.geojson", "ref_hsr.geojson"),
    "qihe": ("hebi_qihe_proxy.geojson", "ref_qihe.geojson"),
    "anchors": ("hebi_anchor_points.geojson", "ref_anchors.geojson"),
}


# Properties reference_features() adds to the copies; an original value it replaces is kept
# under "<key>_detail" ("kind" is original only where "kind_original" says so).
_ADDED = ("id", "name", "name_en", "kind", "source", "confidence")


def _restore_original(props: dict[str, Any]) -> None:
    """Turn the properties of a shipped reference copy back into the original ones."""
    had_kind = props.pop("kind_original", False)
    for key in _ADDED:
        if key == "name_en" or (key == "kind" and had_kind):
            continue  # the copies use the original value unchanged
        detail = props.pop(f"{key}_detail", None)
        if detail is not None:
            props[key] = detail
        else:
            props.pop(key, None)
    props.pop("copied_from", None)


def _keep_original(props: dict[str, Any]) -> dict[str, Any]:
    """Original properties with the ones the copy replaces saved as "<key>_detail"."""
    out = dict(props)
    for key in ("source", "confidence"):
        if key in props:
            out[f"{key}_detail"] = props[key]
    if "kind" in props:
        out["kind_original"] = True
    for key in _ADDED:  # name_en is carried unchanged by the common property
        out.pop(key, None)
    return out


def load_reference(ref_dir: Path) -> Reference:
    """Read the reference layers from ``ref_dir``, or from the shipped copies in ``data/geo``.

    The copies keep every original property, so either source gives the same build.
    The HSR station points were moved into ``ref_anchors`` in the copies (a layer
    has one geometry family); they are moved back here.
    """
    raw: dict[str, list[dict[str, Any]]] = {}
    from_copies = not all((ref_dir / original).exists() for original, _ in _REF_FILES.values())
    for key, (original, copy) in _REF_FILES.items():
        path = OUT_DIR / copy if from_copies else ref_dir / original
        data = json.loads(path.read_text(encoding="utf-8"))
        raw[key] = data["features"]
    if from_copies:
        stations = [f for f in raw["anchors"] if f["properties"].get("copied_from") == "hsr"]
        raw["anchors"] = [f for f in raw["anchors"] if f not in stations]
        raw["hsr"] = raw["hsr"] + stations
    if from_copies:  # undo what reference_features() added to the copies
        for feats in raw.values():
            for f in feats:
                _restore_original(f["properties"])
    return Reference(raw["admin"], raw["hsr"], raw["qihe"], raw["anchors"])


# --- the frame: admin areas, HSR + G4, canal, railway ------------------------------------------

# G4 (京港澳高速) runs parallel to and east of the HSR, ~200 m east at 鹤壁东站 (PLACES.md §2).
G4_OFFSET_M = 220.0
# Half-widths of the barrier corridors a road must bridge (m): track/carriageway plus margin.
HSR_CORRIDOR_MARGIN_M = 40.0
CANAL_HALF_WIDTH_M = 40.0  # the canal is ~55 m wide
RAILWAY_HALF_WIDTH_M = 25.0

# 南水北调中线总干渠 through its gates/offtakes, SSW -> NNE (anchor file, PLACES.md §4).
CANAL_ANCHORS = (
    "南水北调 香泉河倒虹吸出口节制闸",
    "南水北调 袁庄分水口",
    "南水北调 三里屯分水口",
    "南水北调 淇河倒虹吸出口节制闸",
    "南水北调 刘庄分水口",
    "南水北调 监测点",
    "南水北调 董庄分水口",
    "南水北调 汤河涵洞式渡槽进口节制闸",
    "南水北调 小营分水口",
)
# 京广铁路 (conventional): the suggested vertices of PLACES.md §2 through 鹤壁站.
RAILWAY = ((114.205, 35.600), (114.2673, 35.7601), (114.36, 35.92))


@dataclass
class Frame:
    """The fixed context every layer is drawn against (WGS84 unless named ``*_gk``)."""

    qibin: BaseGeometry
    hsr: LineString
    canal: LineString
    west_of_hsr: Polygon
    east_of_g4: Polygon
    barriers_gk: Sequence[tuple[str, BaseGeometry]]


def build_frame(ref: Reference) -> Frame:
    """Admin areas, the HSR/G4 band, the canal and the railway from the reference data."""
    lines = [g for f in ref.hsr for g in [shape(f["geometry"])] if isinstance(g, LineString)]
    merged = linemerge(MultiLineString(lines))
    hsr = merged.intersection(box(113.9, 35.55, 114.8, 35.95))
    assert isinstance(hsr, LineString)
    hsr_gk = gk(hsr)
    g4_gk = shapely.affinity.translate(hsr_gk, xoff=G4_OFFSET_M)
    # Both band edges ordered south -> north.
    bw = sorted(shapely.affinity.translate(hsr_gk, xoff=-HSR_CORRIDOR_MARGIN_M).coords,
                key=lambda c: c[1])
    be = sorted(shapely.affinity.translate(g4_gk, xoff=HSR_CORRIDOR_MARGIN_M).coords,
                key=lambda c: c[1])
    # The HSR runs roughly N-S here, so shifting it along x gives a band of constant width.
    hsr_band = Polygon([*bw, *reversed(be)])
    far_w = min(c[0] for c in bw) - 50_000.0
    far_e = max(c[0] for c in be) + 50_000.0
    west = Polygon([(far_w, bw[0][1]), *bw, (far_w, bw[-1][1])])
    east = Polygon([(far_e, be[0][1]), *be, (far_e, be[-1][1])])
    canal = line([(p.x, p.y) for p in (ref.anchor(n) for n in CANAL_ANCHORS)])
    railway = line(RAILWAY)
    barriers = [
        ("京广高铁、京港澳高速", hsr_band),
        ("南水北调中线总干渠", gk(canal).buffer(CANAL_HALF_WIDTH_M)),
        ("京广铁路", gk(railway).buffer(RAILWAY_HALF_WIDTH_M)),
    ]
    west_wgs, east_wgs = wgs(west), wgs(east)
    assert isinstance(west_wgs, Polygon) and isinstance(east_wgs, Polygon)
    return Frame(
        qibin=ref.admin_geom("410611"),
        hsr=hsr,
        canal=canal,
        west_of_hsr=west_wgs,
        east_of_g4=east_wgs,
        barriers_gk=barriers,
    )


# --- reference copies ---------------------------------------------------------------------------


def _confidence_level(text: str | None, default: str) -> str:
    """Map a free-text confidence ("low-medium (±200 m)") to the weakest level it names."""
    if not text:
        return default
    first = text.split()[0].lower()
    levels = [lv for lv in ("low", "medium", "high") if lv in first.split("-")]
    return levels[0] if levels else default


HSR_SEGMENT_IDS = {
    "安阳东-鹤壁东": "hsr-anyang-east-hebi-east",
    "鹤壁东-卫辉": "hsr-hebi-east-weihui",
}


def reference_features(ref: Reference) -> dict[str, list[Feature]]:
    """Copies of the reference layers with the common properties added, originals kept."""
    admin = [
        Feature(f"admin-{p['adcode']}", p["name_zh"], p["name_en"], "admin_boundary",
                f"hebi_admin_boundaries.geojson: {p['source']}", "high", shape(f["geometry"]),
                _keep_original(p))
        for f in ref.admin
        for p in [f["properties"]]
    ]
    hsr, moved = [], []
    for f in ref.hsr:
        p = f["properties"]
        src = f"hebi_hsr_jingguang.geojson: {p['attribution']}"
        if f["geometry"]["type"] == "LineString":
            # A simplified centreline (vertices up to ~9 km apart, the track may lie a few
            # hundred metres off between them): not "high", which needs <= 50 m.
            hsr.append(Feature(HSR_SEGMENT_IDS[p["segment"]], p["name_zh"], p["name_en"],
                               "railway_hsr", f"{src}; simplified centreline", "medium",
                               shape(f["geometry"]), _keep_original(p)))
        else:
            # A layer has one geometry family: the two station points join the anchors.
            moved.append(Feature("hsr-station-" + slug(p["name_en"]), p["name_zh"], p["name_en"],
                                 p.get("kind", "station"), src, "high", shape(f["geometry"]),
                                 {**_keep_original(p), "copied_from": "hsr"}))
    qihe = [
        Feature(fid, p["name_zh"], p["name_en"], "river_proxy",
                f"hebi_qihe_proxy.geojson: {p['method']}",
                _confidence_level(p.get("confidence"), "low"), shape(f["geometry"]),
                _keep_original(p))
        for fid, f in zip(("qihe-proxy-qibin-qi", "qihe-proxy-qi-xun"), ref.qihe, strict=True)
        for p in [f["properties"]]
    ]
    anchors: list[Feature] = []
    seen: set[str] = set()
    for f in ref.anchors:
        p = f["properties"]
        base = slug(p["name_en"]) or "anchor"
        fid, k = base, 2
        while fid in seen:
            fid, k = f"{base}-{k}", k + 1
        seen.add(fid)
        anchors.append(Feature(
            fid, p["name_zh"], p["name_en"], p["kind"],
            f"hebi_anchor_points.geojson: {p['source']} ({p['method']})",
            _confidence_level(p.get("confidence"), "low"), shape(f["geometry"]),
            _keep_original(p),
        ))
    return {
        "ref_admin": admin,
        "ref_hsr": hsr,
        "ref_qihe": qihe,
        "ref_anchors": anchors + moved,
    }
