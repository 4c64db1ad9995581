"""Build the plan layers in ``data/geo`` from the coordinates written here and the reference files.

Run from the repository root::

    .venv/bin/python -m tools.build_plan_layers            # writes data/geo/*.geojson
    .venv/bin/python -m tools.build_plan_layers --check    # compare a fresh build with data/geo

Every coordinate typed below is WGS84 lon/lat and comes from ``PLACES.md`` (the
place-by-place evidence table in ``shared/reference``) or is derived from it as
the comment beside it says. Reference layers are read from ``--reference``
(default ``../shared/reference`` beside the repository); on a clone without that
directory the copies shipped in ``data/geo/ref_*.geojson`` are read instead, so
the build reproduces itself from the repository alone.

Metric work (buffers, offsets, areas, trimming) runs in EPSG:4547; the output is
EPSG:4326 with coordinates rounded to 6 decimals (≈0.1 m). Shared boundaries
(the bonded sub-zones, road junctions) are built from the same vertices, so the
rounding keeps them exact.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry import (
    LineString,
    MultiLineString,
    MultiPoint,
    MultiPolygon,
    Point,
    Polygon,
    box,
    mapping,
    shape,
)
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge, polygonize, split, substring, unary_union

from spatial.crs import GK_EPSG_HEBI, WGS84

__all__ = ["BONDED_AREA_KM2", "Feature", "build_layers", "main", "write_layers"]

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "data" / "geo"
DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"

BONDED_AREA_KM2 = 2.87  # 鹤壁综合保税区, approved area (plan text)
WETLAND_AREA_HA = 332.5  # 淇河国家湿地公园, published area (PLACES.md §4)
FITNESS_CENTRE_HA = 4.0  # 全民健身中心 "4公顷绿色休闲圈" (plan text)

# GB 50180-2018 walking radii of the life-circle tiers (coverage-methods.md §1.1).
RADIUS_10MIN_M = 500.0
RADIUS_5MIN_M = 300.0

# Residential densities for the population estimates (persons per km² of residential block).
# Hebi's new city had ~30万 residents on 35 km² built-up land (日照日报 2013-10-18 "生态鹤壁");
# with roughly 30 % of it residential that is ≈2.8万/km² - low next to GB 50180-2018, whose
# 10-min circle puts 1.5–2.5万 on 32–50 ha (3–8万/km²), as expected for the province's least
# dense city. Resettled-village communities (multi-storey) are taken at ~60 % of that.
DENSITY_NEW_TOWN = 28_000.0
DENSITY_RESETTLED = 16_000.0

PLAN = "鹤壁经开区“十四五”规划"  # the plan text; chapter numbers are not cited (no copy here)
PLACES = "shared/reference/PLACES.md"

Coords = Sequence[tuple[float, float]]

_TO_GK = Transformer.from_crs(WGS84, f"EPSG:{GK_EPSG_HEBI}", always_xy=True)
_TO_WGS = Transformer.from_crs(f"EPSG:{GK_EPSG_HEBI}", WGS84, always_xy=True)


# --- geometry helpers ---------------------------------------------------------------------------


def _transform(geom: BaseGeometry, tr: Transformer) -> BaseGeometry:
    """Apply a pyproj transformer to every vertex of a geometry."""
    def fn(xy: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def gk(geom: BaseGeometry) -> BaseGeometry:
    """Project a WGS84 geometry to EPSG:4547 (metres)."""
    return _transform(geom, _TO_GK)


def wgs(geom: BaseGeometry) -> BaseGeometry:
    """Unproject an EPSG:4547 geometry to WGS84."""
    return _transform(geom, _TO_WGS)


def line(coords: Coords) -> LineString:
    """A WGS84 LineString from lon/lat pairs."""
    return LineString(coords)


def circle(lon: float, lat: float, radius_m: float) -> Polygon:
    """A WGS84 polygon approximating a circle of ``radius_m`` metres (64 vertices)."""
    poly = wgs(gk(Point(lon, lat)).buffer(radius_m, quad_segs=16))
    assert isinstance(poly, Polygon)
    return poly


def area_km2(geom: BaseGeometry) -> float:
    """Area of a WGS84 geometry in km², measured in EPSG:4547."""
    return float(gk(geom).area) / 1e6


def round_geom(geom: BaseGeometry) -> BaseGeometry:
    """Round coordinates to 6 decimals and drop repeated vertices; refuse invalid results."""
    out = shapely.remove_repeated_points(shapely.transform(geom, lambda xy: np.round(xy, 6)))
    if not out.is_valid and geom.geom_type in ("Polygon", "MultiPolygon"):
        # A sliver pinched by rounding: snap-round instead (GEOS keeps the result valid).
        out = shapely.set_precision(geom, 1e-6)
    if not out.is_valid:
        raise ValueError(f"geometry invalid after rounding: {shapely.is_valid_reason(out)}")
    return out


def bisect(fn: Callable[[float], float], target: float, lo: float, hi: float) -> float:
    """Solve ``fn(x) = target`` for a monotone ``fn`` on ``[lo, hi]`` (60 halvings)."""
    f_lo = fn(lo) - target
    if f_lo * (fn(hi) - target) > 0:
        raise ValueError(f"target {target} not bracketed by [{lo}, {hi}]")
    for _ in range(60):
        mid = (lo + hi) / 2.0
        f_mid = fn(mid) - target
        if f_lo * f_mid <= 0:
            hi = mid
        else:
            lo, f_lo = mid, f_mid
    return (lo + hi) / 2.0


def crossing(a: BaseGeometry, b: BaseGeometry) -> Point:
    """The single crossing point of two lines (raises if they do not cross exactly once)."""
    hit = a.intersection(b)
    if not isinstance(hit, Point):
        raise ValueError(f"expected one crossing, got {hit.geom_type}")
    return hit


def slug(text: str) -> str:
    """An ascii slug: lower case, runs of other characters become '-'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- features -----------------------------------------------------------------------------------


@dataclass
class Feature:
    """One output feature: the common properties, its geometry and layer-specific extras."""

    id: str
    name: str
    name_en: str
    kind: str
    source: str
    confidence: str
    geometry: BaseGeometry | None
    extra: dict[str, Any] = field(default_factory=dict)

    def properties(self) -> dict[str, Any]:
        """Common properties first, then the extras, in a stable order."""
        props: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "name_en": self.name_en,
            "kind": self.kind,
            "source": self.source,
            "confidence": self.confidence,
        }
        props.update(self.extra)
        return props

    def to_json(self) -> dict[str, Any]:
        """The GeoJSON Feature with coordinates rounded to 6 decimals."""
        geom = None if self.geometry is None else mapping(round_geom(self.geometry))
        return {"type": "Feature", "properties": self.properties(), "geometry": geom}


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


# --- roads --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoadDef:
    """A road as digitised: vertices, class and evidence.

    ``trim`` ends that overshoot a crossing road by up to ``TRIM_WINDOW_M`` are
    cut back onto it, so that junctions are exact instead of "nearly touching".
    """

    id: str
    name: str
    name_en: str
    road_class: str
    coords: Coords
    confidence: str
    evidence: str
    named_in_plan: bool = True
    trim: tuple[bool, bool] = (False, False)
    name_east: tuple[str, str] | None = None  # name of the part east of the HSR


TRIM_WINDOW_M = 210.0

_LOCAL = "示意支路（规划未具名）；为步行网络补足街坊内部道路，位置按居住街坊布置"
_LOCAL_EN = "local street"

ROAD_DEFS: tuple[RoadDef, ...] = (
    # --- arterials (E-W) -------------------------------------------------------------------------
    RoadDef(
        "bohai-rd", "渤海路", "Bohai Road", "arterial",
        # West end in 金山 (镁业小镇 "渤海路西段"), east end in 龙岗; lat ≈ 35.773.
        [(114.2250, 35.7760), (114.2385, 35.7755), (114.2600, 35.7745), (114.3050, 35.7728),
         (114.3400, 35.7722), (114.3700, 35.7720)],
        "low", f"{PLACES} §2 渤海路; anchor 渤海路（路上一点）(114.305,35.7728) triangulated",
    ),
    RoadDef(
        "kexue-ave", "科学大道", "Kexue Avenue", "arterial",
        # Starts east of the 汤阴 wedge (its "西段" is still to be built).
        [(114.2800, 35.7812), (114.2957, 35.7806), (114.3400, 35.7803), (114.3750, 35.7800)],
        "low", f"{PLACES} §2 科学大道; anchor 科学大道（路上一点）(114.2957,35.7806)",
    ),
    RoadDef(
        "beihuan-rd", "北环路", "North Ring Road", "arterial",
        # Kept ≥150 m inside the 淇滨/汤阴 border (35.794 at 114.29E, 35.800 at 114.315E).
        [(114.2840, 35.7880), (114.2958, 35.7915), (114.3025, 35.7955), (114.3150, 35.7975),
         (114.3300, 35.7995), (114.3760, 35.7995)],
        "low", f"{PLACES} §2 北环路 (plan text only; placed south of the 汤阴 border)",
    ),
    RoadDef(
        "liyang-rd", "黎阳路", "Liyang Road", "arterial",
        [(114.2695, 35.7568), (114.2815, 35.7563), (114.3355, 35.7545), (114.3700, 35.7540)],
        "medium", f"{PLACES} §2 黎阳路/黎阳东路; anchors 黎阳路312号, 黎阳东路（路上一点）",
        name_east=("黎阳东路", "Liyang East Road"),
    ),
    RoadDef(
        "jiuzhou-rd", "九州路", "Jiuzhou Road", "arterial",
        [(114.2650, 35.7480), (114.2895, 35.7476), (114.3055, 35.7464)],
        "low", f"{PLACES} §2 九州路 (city-government area; crosses 泰山路)",
        trim=(False, True),
    ),
    # --- arterials (N-S) -------------------------------------------------------------------------
    RoadDef(
        "xinghe-st", "兴鹤大街", "Xinghe Street", "arterial",
        [(114.2880, 35.7050), (114.2895, 35.7480), (114.2950, 35.7843), (114.2961, 35.7928)],
        "low", f"{PLACES} §2 兴鹤大街; anchor 兴鹤大街（路上一点，北延段）",
        trim=(False, True),
    ),
    RoadDef(
        "huaxia-rd", "华夏路", "Huaxia Road", "arterial",
        # South end beside 鹤壁东站 (high); north of 35.72 low. Ends at 科学大道 (嵩山路 goes on).
        [(114.2938, 35.7068), (114.2962, 35.7480), (114.2980, 35.7822)],
        "low", f"{PLACES} §2 华夏路 (south end at 鹤壁东站, OSM node; rest suggested)",
        trim=(False, True),
    ),
    RoadDef(
        "taibo-st", "泰伯大街", "Taibo Street", "arterial",
        [(114.3180, 35.7000), (114.3195, 35.7210), (114.3260, 35.7600), (114.3300, 35.8010)],
        "low", f"{PLACES} §2 泰伯大街 (passes ≤50 m from drone point 114.3192,35.7210)",
        trim=(False, True),
    ),
    RoadDef(
        "tianlai-st", "天赉大街", "Tianlai Street", "arterial",
        [(114.3400, 35.7000), (114.3420, 35.7545), (114.3430, 35.8010)],
        "low", f"{PLACES} §2 天赉大街 (plan: ETDZ-东区 link road; lon assumed 114.34)",
        trim=(False, True),
    ),
    RoadDef(
        "dabai-rd", "大白线", "Dabai county road", "arterial",
        # 新大白线北段 through 镁业小镇, then to 大赉店 (鹤壁站) and onto 黎阳路's west end.
        [(114.2310, 35.7960), (114.2385, 35.7755), (114.2520, 35.7660), (114.2580, 35.7595),
         (114.2695, 35.7568)],
        "low", f"{PLACES} §2 大白线 (plan text: 新大白线北段 in 镁业小镇; 大赉店 = 鹤壁站)",
    ),
    # --- secondary -------------------------------------------------------------------------------
    RoadDef(
        "weihe-rd", "卫河路", "Weihe Road", "secondary",
        [(114.2700, 35.7606), (114.3150, 35.7603)],
        "low", f"{PLACES} §2 卫河路 (order of 卫河/海河/延河 assumed)", trim=(False, True),
    ),
    RoadDef(
        "haihe-rd", "海河路", "Haihe Road", "secondary",
        [(114.2730, 35.7660), (114.3150, 35.7657)],
        "low", f"{PLACES} §2 海河路 (order assumed)", trim=(False, True),
    ),
    RoadDef(
        "yanhe-rd", "延河路", "Yanhe Road", "secondary",
        [(114.2750, 35.7695), (114.3150, 35.7692)],
        "low", f"{PLACES} §2 延河路 (仕佳光子 延河路201号; order assumed)", trim=(False, True),
    ),
    RoadDef(
        "songjiang-rd", "松江路", "Songjiang Road", "secondary",
        [(114.2970, 35.7768), (114.3158, 35.7767)],
        "low", f"{PLACES} §5; anchor 松江路（路上一点）(114.307,35.7768); E-W by naming convention",
        trim=(True, True),
    ),
    RoadDef(
        "hengshan-rd", "衡山路", "Hengshan Road", "secondary",
        [(114.2995, 35.7300), (114.3000, 35.7400), (114.3021, 35.7768), (114.3026, 35.7968)],
        "low", f"{PLACES} §2 衡山路; anchor 衡山路（路上一点）(114.3021,35.7768); bonded-zone road",
        trim=(False, True),
    ),
    RoadDef(
        "taishan-rd", "泰山路", "Taishan Road", "secondary",
        # Ends at 科学大道: north of it lies the fenced bonded zone (main gate here).
        [(114.3040, 35.7430), (114.3077, 35.7755), (114.3085, 35.7818)],
        "low", f"{PLACES} §2 泰山路; anchor 泰山路（路上一点）(114.3077,35.7755)",
        trim=(False, True),
    ),
    RoadDef(
        "songshan-rd", "嵩山路", "Songshan Road", "secondary",
        [(114.2980, 35.7795), (114.2988, 35.7950)],
        "low", f"{PLACES} §2 嵩山路; anchor 嵩山路（路上一点）(114.2967,35.7816), 120 m off",
        trim=(True, True),
    ),
    RoadDef(
        "xueer-st", "学而大街", "Xue'er Street", "secondary",
        [(114.3650, 35.7420), (114.3650, 35.8010)],
        "low", f"{PLACES} §2 学而大街 (named in the plan as an axis; position assumed in 龙岗)",
        trim=(False, True),
    ),
    RoadDef(
        "mudanjiang-rd", "牡丹江路", "Mudanjiang Road", "secondary",
        [(114.3245, 35.7630), (114.3700, 35.7625)],
        "low", f"{PLACES} §2 牡丹江路 (plan: sewage pump station 牡丹江路及城东园区)",
        trim=(True, False),
    ),
    # --- local streets (not in the plan) ---------------------------------------------------------
    RoadDef("cb-local-1", "城北片区支路一", _LOCAL_EN, "local",
            [(114.2860, 35.7862), (114.3040, 35.7862)], "low", _LOCAL, False, (True, True)),
    RoadDef("cb-local-2", "城北片区支路二", _LOCAL_EN, "local",
            [(114.2860, 35.7838), (114.2970, 35.7838)], "low", _LOCAL, False, (True, True)),
    RoadDef("cb-local-3", "城北片区支路三", _LOCAL_EN, "local",
            [(114.2915, 35.7795), (114.2915, 35.7914)], "low", _LOCAL, False, (True, True)),
    RoadDef("cb-local-4", "城北片区支路四", _LOCAL_EN, "local",
            [(114.2900, 35.7890), (114.2970, 35.7890)], "low", _LOCAL, False, (True, True)),
    RoadDef("cb-local-5", "城北片区支路五", _LOCAL_EN, "local",
            [(114.2875, 35.7795), (114.2875, 35.7905)], "low", _LOCAL, False, (True, True)),
    RoadDef("cb-local-6", "城北片区支路六", _LOCAL_EN, "local",
            [(114.2975, 35.7905), (114.3035, 35.7905)], "low", _LOCAL, False, (True, True)),
    RoadDef("cz-local-5", "中部片区支路五", _LOCAL_EN, "local",
            [(114.3032, 35.7540), (114.3036, 35.7705)], "low", _LOCAL, False, (True, True)),
    RoadDef("cz-local-1", "中部片区支路一", _LOCAL_EN, "local",
            [(114.3103, 35.7540), (114.3110, 35.7780)], "low", _LOCAL, False, (True, True)),
    RoadDef("cz-local-2", "中部片区支路二", _LOCAL_EN, "local",
            [(114.3138, 35.7540), (114.3144, 35.7780)], "low", _LOCAL, False, (True, True)),
    RoadDef("cz-local-3", "中部片区支路三", _LOCAL_EN, "local",
            [(114.2965, 35.7632), (114.3150, 35.7632)], "low", _LOCAL, False, (True, True)),
    RoadDef("cz-local-4", "中部片区支路四", _LOCAL_EN, "local",
            [(114.2965, 35.7578), (114.3150, 35.7578)], "low", _LOCAL, False, (True, True)),
    RoadDef("cd-local-1", "城东片区支路一", _LOCAL_EN, "local",
            [(114.3480, 35.7455), (114.3480, 35.7735)], "low", _LOCAL, False, (True, True)),
    RoadDef("cd-local-2", "城东片区支路二", _LOCAL_EN, "local",
            [(114.3355, 35.7455), (114.3355, 35.7645)], "low", _LOCAL, False, (True, True)),
    RoadDef("cd-local-3", "城东片区支路三", _LOCAL_EN, "local",
            [(114.3240, 35.7510), (114.3670, 35.7510)], "low", _LOCAL, False, (True, True)),
    RoadDef("cd-local-4", "城东片区支路四", _LOCAL_EN, "local",
            [(114.3232, 35.7470), (114.3670, 35.7470)], "low", _LOCAL, False, (True, True)),
    RoadDef("cd-local-5", "城东片区支路五", _LOCAL_EN, "local",
            [(114.3240, 35.7580), (114.3670, 35.7580)], "low", _LOCAL, False, (True, True)),
    RoadDef("cd-local-6", "城东片区支路六", _LOCAL_EN, "local",
            [(114.3545, 35.7455), (114.3545, 35.7640)], "low", _LOCAL, False, (True, True)),
    RoadDef("lg-local-3", "龙岗片区支路三", _LOCAL_EN, "local",
            [(114.3590, 35.7612), (114.3590, 35.7735)], "low", _LOCAL, False, (True, True)),
    RoadDef("lg-local-1", "龙岗片区支路一", _LOCAL_EN, "local",
            [(114.3400, 35.7675), (114.3670, 35.7675)], "low", _LOCAL, False, (True, True)),
    RoadDef("lg-local-2", "龙岗片区支路二", _LOCAL_EN, "local",
            [(114.3530, 35.7610), (114.3530, 35.7735)], "low", _LOCAL, False, (True, True)),
    RoadDef("js-local-1", "镁业小镇支路一", _LOCAL_EN, "local",
            [(114.2315, 35.7790), (114.2445, 35.7790)], "low", _LOCAL, False, (True, True)),
    RoadDef("js-local-2", "镁业小镇支路二", _LOCAL_EN, "local",
            [(114.2330, 35.7745), (114.2330, 35.7805)], "low", _LOCAL, False, (True, True)),
    RoadDef("js-local-3", "镁业小镇支路三", _LOCAL_EN, "local",
            [(114.2430, 35.7705), (114.2430, 35.7805)], "low", _LOCAL, False, (True, True)),
)


def _trim_end(ln: LineString, others: Iterable[BaseGeometry], at_start: bool) -> LineString:
    """Cut an overshooting end back to the crossing road nearest to it (within the window)."""
    length = ln.length
    best: float | None = None
    for other in others:
        hit = ln.intersection(other)
        for pt in getattr(hit, "geoms", [hit]):
            if not isinstance(pt, Point):
                continue
            d = ln.project(pt)
            if at_start and 1e-6 < d <= TRIM_WINDOW_M:
                best = d if best is None else min(best, d)
            if not at_start and length - TRIM_WINDOW_M <= d < length - 1e-6:
                best = d if best is None else max(best, d)
    if best is None:
        raise ValueError("a trimmed road end crosses no road within the window")
    out = substring(ln, best, length) if at_start else substring(ln, 0.0, best)
    assert isinstance(out, LineString)
    return out


def _insert_vertices(ln: LineString, points: Sequence[Point]) -> LineString:
    """Return ``ln`` with ``points`` (lying on it) inserted as vertices in order."""
    coords = list(ln.coords)
    dist = [ln.project(Point(c)) for c in coords]
    for pt in points:
        d = ln.project(pt)
        if any(abs(d - e) < 1e-6 for e in dist):
            # Replace the nearby vertex by the exact junction so both roads share it.
            k = min(range(len(dist)), key=lambda i: abs(dist[i] - d))
            coords[k] = (pt.x, pt.y)
            continue
        k = next(i for i, e in enumerate(dist) if e > d)
        coords.insert(k, (pt.x, pt.y))
        dist.insert(k, d)
    return LineString(coords)


@dataclass
class RoadPiece:
    """A piece of a road between barrier crossings (GK metres while building)."""

    road: RoadDef
    geom: LineString
    bridge_over: str | None


def build_road_pieces(frame: Frame, avoid_gk: BaseGeometry) -> list[RoadPiece]:
    """Trim, split at barriers (bridges) and node the roads; return pieces in EPSG:4547.

    ``avoid_gk`` (green areas) is kept free of the generated block streets.
    """
    lines = {r.id: gk(line(r.coords)) for r in ROAD_DEFS}
    for r in ROAD_DEFS:  # arterials first in the table, so locals trim against trimmed roads
        ln = lines[r.id]
        assert isinstance(ln, LineString)
        others = [g for k, g in lines.items() if k != r.id]
        try:
            if r.trim[0]:
                ln = _trim_end(ln, others, at_start=True)
            if r.trim[1]:
                ln = _trim_end(ln, others, at_start=False)
        except ValueError as err:
            raise ValueError(f"{r.id}: {err}") from None
        lines[r.id] = ln
    pieces: list[RoadPiece] = []
    for r in ROAD_DEFS:
        ln = lines[r.id]
        assert isinstance(ln, LineString)
        cut: BaseGeometry = ln
        for _, barrier in frame.barriers_gk:
            if cut.intersects(barrier.boundary):
                parts = split(cut, barrier.boundary)
                cut = MultiLineString([g for g in parts.geoms if isinstance(g, LineString)])
        for part in getattr(cut, "geoms", [cut]):
            assert isinstance(part, LineString)
            mid = part.interpolate(0.5, normalized=True)
            over = next((nm for nm, b in frame.barriers_gk if b.contains(mid)), None)
            pieces.append(RoadPiece(r, part, over))
    pieces.extend(_block_streets(pieces, avoid_gk))
    # Node the ground pieces: every crossing becomes a shared vertex of both pieces.
    ground = [p for p in pieces if p.bridge_over is None]
    for p in ground:
        hits: list[Point] = []
        for q in ground:
            if q is p:
                continue
            inter = p.geom.intersection(q.geom)
            hits.extend(g for g in getattr(inter, "geoms", [inter]) if isinstance(g, Point))
            # A trimmed end lies on the other road only up to rounding: take it exactly.
            ends = (Point(q.geom.coords[0]), Point(q.geom.coords[-1]))
            hits.extend(e for e in ends if p.geom.distance(e) < 1e-6)
        p.geom = _insert_vertices(p.geom, hits)
    for b in (p for p in pieces if p.bridge_over is not None):
        for q in ground:
            inter = b.geom.intersection(q.geom)
            b_ends = MultiPoint([b.geom.coords[0], b.geom.coords[-1]])
            for g in getattr(inter, "geoms", [inter]):
                if isinstance(g, Point) and g.distance(b_ends) > 0.01:
                    raise ValueError(f"bridge of {b.road.id} crosses {q.road.id} at grade")
    return pieces


# Street blocks in the residential areas are cut to at most this size by local streets, so
# that walking distances to 5-minute facilities (300 m) are measured along real-sized blocks
# (GB 50180-2018 居住街坊: 2–4 ha).
BLOCK_MAX_M = 220.0
_GRID_EVIDENCE = (
    "示意街坊路（规划未具名）: generated to cut the street blocks of a residential area to "
    f"≤{BLOCK_MAX_M:.0f} m (GB 50180-2018 居住街坊 2–4 ha); positions schematic"
)


def _residential_faces(pieces: list[RoadPiece]) -> list[tuple[str, str, Polygon]]:
    """Faces of the road network lying mostly inside a residential area (EPSG:4547)."""
    faces = list(polygonize(unary_union([p.geom for p in pieces])))
    out = []
    for prefix, zh, _, bounds in RESIDENTIAL_AREAS:
        area = gk(box(*bounds))
        for face in faces:
            if face.intersection(area).area > 0.5 * face.area:
                out.append((prefix, zh, face))
    return out


def _block_streets(pieces: list[RoadPiece], avoid_gk: BaseGeometry) -> list[RoadPiece]:
    """Local streets that subdivide the residential faces of the network into blocks."""
    out: list[RoadPiece] = []
    counters: dict[str, int] = {}
    for prefix, zh, face in _residential_faces(pieces):
        minx, miny, maxx, maxy = face.bounds
        cuts: list[LineString] = []
        nx = math.ceil((maxx - minx) / BLOCK_MAX_M)
        ny = math.ceil((maxy - miny) / BLOCK_MAX_M)
        for x in np.linspace(minx, maxx, nx + 1)[1:-1]:
            cuts.append(LineString([(x, miny - 10.0), (x, maxy + 10.0)]))
        for y in np.linspace(miny, maxy, ny + 1)[1:-1]:
            cuts.append(LineString([(minx - 10.0, y), (maxx + 10.0, y)]))
        for cut in cuts:
            inside = cut.intersection(face).difference(avoid_gk)
            for part in getattr(inside, "geoms", [inside]):
                if not isinstance(part, LineString) or part.length < 60.0:
                    continue
                counters[prefix] = counters.get(prefix, 0) + 1
                n = counters[prefix]
                wgs_part = wgs(part)
                assert isinstance(wgs_part, LineString)
                road = RoadDef(
                    f"{prefix}-street-{n:03d}", f"{zh}街坊路{n}", "local street", "local",
                    [(x, y) for x, y in wgs_part.coords], "schematic", _GRID_EVIDENCE,
                    named_in_plan=False,
                )
                out.append(RoadPiece(road, part, None))
    return out


def road_features(pieces: list[RoadPiece], frame: Frame) -> list[Feature]:
    """Road pieces as features, ids numbered along each road."""
    out: list[Feature] = []
    counters: dict[str, int] = {}
    hsr_gk = gk(frame.hsr)
    for p in pieces:
        r = p.road
        n = counters.get(r.id, 0) + 1
        counters[r.id] = n
        name, name_en = r.name, r.name_en
        if r.name_east is not None:
            start = Point(p.geom.coords[0])
            # East of the HSR (the bridge belongs to the east road: it is what crosses).
            if start.x > hsr_gk.interpolate(hsr_gk.project(start)).x - 100:
                name, name_en = r.name_east
        source = f"{r.evidence}; digitised by tools/build_plan_layers.py"
        extra: dict[str, Any] = {
            "road_class": r.road_class,
            "bridge": p.bridge_over is not None,
            "tunnel": False,
            "named_in_plan": r.named_in_plan,
        }
        if p.bridge_over is not None:
            extra["crosses"] = p.bridge_over
        pid = f"{r.id}-{n}" if len([q for q in pieces if q.road is r]) > 1 else r.id
        out.append(
            Feature(pid, name, name_en, "road", source, r.confidence, wgs(p.geom), extra)
        )
    return out


def road_line(pieces: list[RoadPiece], road_id: str) -> LineString:
    """The whole (trimmed) line of one road in WGS84, pieces joined."""
    parts = [p.geom for p in pieces if p.road.id == road_id]
    merged = linemerge(MultiLineString(parts)) if len(parts) > 1 else parts[0]
    assert isinstance(merged, LineString)
    out = wgs(merged)
    assert isinstance(out, LineString)
    return out


# --- plan structure: corridor, spines, axes, nodes ----------------------------------------------

STRUCTURE_SOURCE = f"{PLAN} 空间布局“一廊两脊七轴七节点”"


def structure_features(pieces: list[RoadPiece]) -> dict[str, list[Feature]]:
    """一廊, 两脊, 七轴 and 七大节点 (schematic lines following the roads they are named after)."""
    bohai = road_line(pieces, "bohai-rd")
    # The corridor reaches on east to the 生态田园板块 at the 浚县 border.
    corridor_geom = LineString([*bohai.coords, (114.3765, 35.7719)])
    corridor = Feature(
        "bohai-corridor", "渤海路创智服务走廊", "Bohai Road innovation service corridor",
        "corridor", f"{STRUCTURE_SOURCE}（一廊）; follows 渤海路 ({PLACES} §6)", "schematic",
        corridor_geom,
        {"links": ["金山研发孵化服务中心", "北部新城孵化节点", "龙岗工业园", "生态田园板块"]},
    )
    huaxia = road_line(pieces, "huaxia-rd")
    songshan = road_line(pieces, "songshan-rd")
    spine1 = LineString([*huaxia.coords, *songshan.coords[1:]])
    tianlai = road_line(pieces, "tianlai-st")
    spines = [
        Feature("huaxia-spine", "华夏路城市脊", "Huaxia Road city spine", "spine",
                f"{STRUCTURE_SOURCE}（两脊）; 华夏路 from 鹤壁东站 north, continued by 嵩山路",
                "schematic", spine1, {"road": "华夏路"}),
        Feature("tianlai-spine", "天赉大街城市脊", "Tianlai Street city spine", "spine",
                f"{STRUCTURE_SOURCE}（两脊）; 天赉大街/天赉北大街 east of the HSR/G4",
                "schematic", tianlai, {"road": "天赉大街"}),
    ]
    hengshan = road_line(pieces, "hengshan-rd")
    axis_geoms: list[tuple[str, str, str, LineString, bool, str, str]] = [
        ("bohai-axis", "渤海路创智服务联动轴", "Bohai Road innovation service axis", bohai,
         True, "schematic", "follows 渤海路"),
        ("beihuan-axis", "北环路区域交通联系轴", "North Ring Road regional transport axis",
         road_line(pieces, "beihuan-rd"), True, "schematic", "follows 北环路"),
        ("xueer-axis", "学而大街区域交通联系轴", "Xue'er Street regional transport axis",
         road_line(pieces, "xueer-st"), True, "schematic",
         "follows 学而大街, whose position is assumed (N-S in 龙岗)"),
        ("dabai-axis", "大白线区域交通联系轴", "Dabai road regional transport axis",
         road_line(pieces, "dabai-rd"), True, "schematic",
         "follows 大白线 (新大白线北段 through 镁业小镇 to 大赉店/鹤壁站)"),
        ("liyang-axis", "黎阳路产城服务联动轴", "Liyang Road industry-city service axis",
         LineString([*road_line(pieces, "liyang-rd").coords]), True, "schematic",
         "follows 黎阳路/黎阳东路"),
        ("kexue-axis", "科学大道综合服务联动轴", "Kexue Avenue comprehensive service axis",
         road_line(pieces, "kexue-ave"), True, "schematic", "follows 科学大道"),
        ("hengshan-axis", "衡山路联动轴（第七轴，规划未具名）",
         "Hengshan Road axis (7th axis, not named in the plan)", hengshan, False, "low",
         "the plan counts seven axes but names six. Best candidate: 衡山路, the only N-S road "
         "that meets 科学大道, 渤海路 and 黎阳路 at the places the plan puts its 外向型经济服务, "
         "孵化园 and 商务及生活综合服务 nodes (bonded-zone road, PLACES.md §3/§6)"),
    ]
    axes = [
        Feature(aid, nm, en, "axis", f"{STRUCTURE_SOURCE}（七轴）; {why}", conf, g,
                {"named_in_plan": named})
        for aid, nm, en, g, named, conf, why in axis_geoms
    ]
    by_id = {a.id: a.geometry for a in axes}
    node_defs = [
        ("waixiang-node", "外向型经济服务节点", "Export-economy service node",
         "kexue-axis", "hengshan-axis", "at the bonded zone (科学大道 × 衡山路)"),
        ("fuhua-node", "孵化园节点", "Incubator park node",
         "bohai-axis", "hengshan-axis", "北部新城孵化节点 on 渤海路"),
        ("shangwu-node", "商务及生活综合服务节点", "Business and living service node",
         "liyang-axis", "hengshan-axis", "黎阳路 near the city centre"),
        ("chuangxin-node", "创新园节点", "Innovation park node",
         "bohai-axis", "xueer-axis", "龙岗创新创业园 on 渤海路"),
        ("zhizao-node", "智能制造产业服务节点", "Smart-manufacturing service node",
         "kexue-axis", "xueer-axis", "龙岗 on 科学大道"),
        ("chanye-node", "产业服务节点", "Industry service node",
         "liyang-axis", "xueer-axis", "城东 industrial area on 黎阳东路"),
        ("dushi-node", "都市型产业服务节点", "Urban-industry service node",
         "bohai-axis", "dabai-axis", "金山/镁业小镇 on 渤海路西段"),
    ]
    nodes = []
    for nid, nm, en, a1, a2, where in node_defs:
        g1, g2 = by_id[a1], by_id[a2]
        assert g1 is not None and g2 is not None
        nodes.append(Feature(
            nid, nm, en, "node",
            f"{STRUCTURE_SOURCE}（七大节点）; crossing of {a1} × {a2}: {where} "
            f"(assignment of names to crossings follows {PLACES} §6)",
            "schematic", crossing(g1, g2), {"axes": [a1, a2]},
        ))
    return {"corridor": [corridor], "spines": spines, "axes": axes, "nodes": nodes}


# --- areas: parks, sub-areas, context -----------------------------------------------------------


def polygonal(geom: BaseGeometry, min_m2: float = 1_000.0) -> Polygon | MultiPolygon:
    """Keep only the polygon parts of an overlay result larger than ``min_m2``."""
    parts = [
        g for g in getattr(geom, "geoms", [geom])
        if isinstance(g, Polygon) and gk(g).area >= min_m2
    ]
    if not parts:
        raise ValueError("overlay left no polygon")
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _sector(lon: float, lat: float, r_in: float, r_out: float, a0: float, a1: float) -> Polygon:
    """An annulus sector around a centre, angles in degrees anticlockwise from east."""
    c = gk(Point(lon, lat))
    assert isinstance(c, Point)
    ts = np.radians(np.linspace(a0, a1, 33))
    wedge = Polygon([(c.x, c.y), *((c.x + 5e3 * math.cos(t), c.y + 5e3 * math.sin(t)) for t in ts)])
    ring = c.buffer(r_out, quad_segs=16).difference(c.buffer(r_in, quad_segs=16))
    out = wgs(ring.intersection(wedge))
    assert isinstance(out, Polygon)
    return out


LAKE = (114.355, 35.7762)  # moved ~420 m south of the PLACES.md guess so 科学大道 clears it
LAKE_R_M = 300.0
LAKE_RING_R_M = 900.0

# The schematic ETDZ extent of PLACES.md §1 (淇滨区 clipped to the park envelopes, ~87 km²).
ETDZ_EXTENT = (
    (114.320, 35.740), (114.320, 35.755), (114.243, 35.755), (114.233, 35.761),
    (114.218, 35.755), (114.215, 35.830), (114.227, 35.830), (114.237, 35.793),
    (114.246, 35.793), (114.257, 35.777), (114.250, 35.775), (114.249, 35.767),
    (114.264, 35.761), (114.289, 35.794), (114.298, 35.793), (114.344, 35.816),
    (114.390, 35.817), (114.390, 35.798), (114.378, 35.768), (114.388, 35.741),
)


def park_features(frame: Frame) -> list[Feature]:
    """Parks, their sub-areas and the context areas, clipped to 淇滨区 (and the HSR side)."""
    qb = frame.qibin
    west = qb.intersection(frame.west_of_hsr)
    east = qb.intersection(frame.east_of_g4)
    src3 = f"{PLAN} 园区布局; envelope from {PLACES} §3, clipped to 淇滨区 (410611)"
    chengbei = polygonal(box(114.262, 35.757, 114.322, 35.798).intersection(west))
    jinshan = polygonal(box(114.215, 35.765, 114.257, 35.800).intersection(qb))
    chengdong = polygonal(box(114.325, 35.742, 114.388, 35.817).intersection(east))
    longgang = polygonal(box(114.330, 35.762, 114.388, 35.817).intersection(chengdong))
    lake = circle(*LAKE, LAKE_R_M)
    feats = [
        Feature("chengbei-park", "城北园区", "North park", "industrial_park",
                f"{src3}; west of the HSR/G4", "medium", chengbei, {"role": "park"}),
        Feature("beibu-xincheng", "北部新城", "North New Town", "new_town",
                f"{src3}; northern part of 城北园区 (split assumed)", "low",
                polygonal(box(114.285, 35.775, 114.322, 35.798).intersection(chengbei)),
                {"role": "sub-area", "parent": "chengbei-park"}),
        Feature("jinshan-park", "金山园区", "Jinshan park", "industrial_park",
                f"{src3}; west of the SNWD canal, north of the 淇河", "medium", jinshan,
                {"role": "park"}),
        Feature("meiye-town", "鹤壁金山镁业小镇", "Jinshan magnesium town", "specialty_town",
                f"{src3}; on 渤海路西段 (spot assumed)", "low",
                polygonal(box(114.229, 35.771, 114.243, 35.781).intersection(jinshan)),
                {"role": "sub-area", "parent": "jinshan-park"}),
        Feature("chengdong-park", "城东园区", "East park", "industrial_park",
                f"{src3}; east of the HSR/G4", "medium", chengdong, {"role": "park"}),
        Feature("longgang-park", "龙岗创新创业园", "Longgang innovation park", "innovation_park",
                f"{src3}; northern part of 城东园区 (龙岗 extent low)", "low", longgang,
                {"role": "sub-area", "parent": "chengdong-park"}),
        Feature("longgang-lake", "景观湖", "Landscape lake", "lake",
                f"{PLAN} 龙岗创新创业园以景观湖为核心; {PLACES} §3 guess (114.355,35.780) r≈300 m, "
                "moved 420 m south so 科学大道 clears it", "low", lake,
                {"role": "sub-area", "parent": "longgang-park"}),
    ]
    ring_src = (f"{PLAN} 景观湖周边布局创智服务区、科技创新区、人才高地; sectors of a 300–900 m "
                "ring around the lake (orientation assumed: service towards 城北, housing south)")
    for fid, nm, en, kind, a0, a1 in (
        ("chuangzhi-area", "创智服务区", "Innovation service area", "service_area", 90, 210),
        ("keji-area", "科技创新区", "Technology innovation area", "innovation_area", -30, 90),
        ("rencai-area", "人才高地", "Talent highland", "talent_housing", 210, 330),
    ):
        geom = polygonal(_sector(*LAKE, LAKE_R_M, LAKE_RING_R_M, a0, a1).intersection(longgang))
        feats.append(Feature(fid, nm, en, kind, ring_src, "low", geom,
                             {"role": "sub-area", "parent": "longgang-park"}))
    feats.append(Feature(
        "hebi-east", "鹤壁东区", "Hebi East District", "district",
        f"{PLACES} §3 (context, not an ETDZ park); east of the HSR/G4, clipped to 淇滨区", "low",
        polygonal(box(114.300, 35.690, 114.385, 35.742).intersection(east)),
        {"role": "context"},
    ))
    feats.append(Feature(
        "etdz-extent", "鹤壁经济技术开发区（示意范围）", "Hebi ETDZ (schematic extent)",
        "etdz_extent",
        f"{PLACES} §1: no published boundary; 淇滨区 clipped to the three park envelopes",
        "schematic", polygonal(Polygon(ETDZ_EXTENT).intersection(qb)), {"role": "context"},
    ))
    return feats


# --- bonded zone --------------------------------------------------------------------------------

BONDED_SPLIT_N_M = 450.0  # 口岸联动区/综合服务区 strip along 科学大道 (depth assumed)
BONDED_SPLIT_LON = 114.3060  # between 综合服务区 (west) and 口岸联动区 (east, at the gate)


def _road_gk(pieces: list[RoadPiece], road_id: str) -> LineString:
    """The whole line of one road in EPSG:4547, its pieces joined."""
    parts = [p.geom for p in pieces if p.road.id == road_id]
    merged = linemerge(MultiLineString(parts)) if len(parts) > 1 else parts[0]
    assert isinstance(merged, LineString)
    return merged


def bonded_features(pieces: list[RoadPiece], frame: Frame) -> dict[str, list[Feature]]:
    """The 2.87 km² bonded zone, its three tiling sub-zones, gate and inspection centre.

    The block is bounded by 衡山路 (W), 科学大道 (S), 北环路 (N) and the HSR on
    the east; the set-back from the HSR is solved so the area is exactly the
    plan's 2.87 km² in EPSG:4547.
    """
    heng = _road_gk(pieces, "hengshan-rd")
    kexue = _road_gk(pieces, "kexue-ave")
    beihuan = _road_gk(pieces, "beihuan-rd")
    hsr = gk(frame.hsr)
    seed = gk(Point(114.311, 35.789))

    def zone(setback_m: float) -> Polygon:
        """The block for a given set-back of its east edge from the HSR."""
        east = shapely.affinity.translate(hsr, xoff=-setback_m)
        for face in polygonize(unary_union([heng, kexue, beihuan, east])):
            if face.contains(seed):
                return face
        raise ValueError("bonded-zone block not closed")

    setback = bisect(lambda s: zone(s).area / 1e6, BONDED_AREA_KM2, 0.0, 600.0)
    block = zone(setback)
    # Split lines: a strip along 科学大道, and a N-S line through the strip.
    # Split lines cross the block boundary and each other, so noding is exact; the short
    # overshoots are dangles that polygonize drops.
    strip_edge = shapely.affinity.translate(kexue, yoff=BONDED_SPLIT_N_M)
    ref_pt = gk(Point(BONDED_SPLIT_LON, 35.781))
    assert isinstance(ref_pt, Point)
    ns_long = LineString([(ref_pt.x, ref_pt.y - 500), (ref_pt.x, ref_pt.y + 2_000)])
    cut_at = crossing(ns_long, strip_edge)
    ns_south = LineString([(ref_pt.x, ref_pt.y - 500), (ref_pt.x, cut_at.y + 0.5)])
    faces = [
        f for f in polygonize(unary_union([block.exterior, strip_edge, ns_south]))
        if block.contains(f.representative_point())
    ]
    if len(faces) != 3:
        raise ValueError(f"bonded zone split into {len(faces)} faces, expected 3")
    zone_gk = unary_union(faces)
    assert isinstance(zone_gk, Polygon)

    def face_at(pred: Callable[[Point], bool]) -> Polygon:
        """The one face whose representative point satisfies ``pred``."""
        hit = [f for f in faces if pred(f.representative_point())]
        assert len(hit) == 1
        return hit[0]

    y_cut = cut_at.y
    north = face_at(lambda p: p.y > y_cut)
    south_west = face_at(lambda p: p.y < y_cut and p.x < cut_at.x)
    south_east = face_at(lambda p: p.y < y_cut and p.x > cut_at.x)
    src = (f"{PLAN} 鹤壁综合保税区 2.87 km²; block from {PLACES} §3 (衡山路/科学大道/北环路/"
           f"HSR), HSR set-back {setback:.0f} m solved for the area in EPSG:4547")
    zone_feat = Feature(
        "bonded-zone", "鹤壁综合保税区", "Hebi Comprehensive Bonded Zone", "bonded_zone", src,
        "low", wgs(zone_gk),
        {"area_km2_plan": BONDED_AREA_KM2, "area_km2": round(zone_gk.area / 1e6, 4),
         "first_roads": ["衡山路", "科学大道"]},
    )
    sub_src = f"{PLAN} 综保区功能分区; split layout assumed (strip along 科学大道 at the gate)"
    subs = [
        Feature(fid, nm, en, "bonded_subzone", sub_src, "low", wgs(g),
                {"parent": "bonded-zone", "area_km2": round(g.area / 1e6, 4)})
        for fid, nm, en, g in (
            ("bonded-port", "口岸联动区", "Port linkage area", south_east),
            ("bonded-service", "综合服务区", "Comprehensive service area", south_west),
            ("bonded-function", "保税功能区", "Bonded function area", north),
        )
    ]
    gate_gk = Point(_road_gk(pieces, "taishan-rd").coords[-1])
    inspect_gk = Point(gate_gk.x + 60.0, gate_gk.y + 150.0)
    if not south_east.contains(inspect_gk) or south_east.distance(gate_gk) > 0.01:
        raise ValueError("gate/inspection centre not on the port linkage area")
    pts_src = f"{PLAN} 综保区建设主卡口、查验中心; position assumed"
    points = [
        Feature("main-gate", "主卡口", "Main gate", "gate",
                f"{pts_src}: where 泰山路 meets 科学大道 on the zone's south edge", "low",
                wgs(gate_gk), {"parent": "bonded-port"}),
        Feature("inspection-centre", "查验中心", "Inspection centre", "inspection_centre",
                f"{pts_src}: inside 口岸联动区 beside the gate", "low", wgs(inspect_gk),
                {"parent": "bonded-port"}),
    ]
    return {"bonded_zone": [zone_feat], "bonded_subzones": subs, "bonded_points": points}


# --- green and water ----------------------------------------------------------------------------

FITNESS_CENTRE = (114.2971, 35.7889)


def _reach(river: LineString, a: Point, b: Point) -> LineString:
    """The part of a river line between the projections of two points."""
    da, db = sorted((river.project(a), river.project(b)))
    out = substring(river, da, db)
    assert isinstance(out, LineString)
    return out


def green_features(ref: Reference, frame: Frame) -> list[Feature]:
    """Green spaces; 浮山森林公园 is recorded with no geometry (location not found)."""
    qihe = shape(ref.qihe[0]["geometry"])
    assert isinstance(qihe, LineString)
    reach = gk(_reach(qihe, Point(114.193, 35.798), ref.anchor("新村水文站（淇河）")))
    width = bisect(lambda w: reach.buffer(w).area / 1e4, WETLAND_AREA_HA, 20.0, 1_500.0)
    wetland = wgs(reach.buffer(width))
    c = gk(Point(*FITNESS_CENTRE))
    assert isinstance(c, Point)
    half = math.sqrt(FITNESS_CENTRE_HA * 1e4) / 2.0
    fitness = wgs(box(c.x - half, c.y - half, c.x + half, c.y + half))
    lg = gk(Point(114.3720, 35.8070)).buffer(1.0, quad_segs=16)
    lg = shapely.affinity.scale(lg, 800.0, 380.0)
    country = polygonal(wgs(lg).intersection(frame.qibin))

    def ha(g: BaseGeometry) -> float:
        """Area in hectares (EPSG:4547), 2 decimals."""
        return round(area_km2(g) * 100.0, 2)

    return [
        Feature("qihe-wetland", "淇河国家湿地公园", "Qi River National Wetland Park",
                "wetland_park",
                f"{PLACES} §4 (332.5 ha, 贺家村→庞村): 淇河 proxy reach buffered {width:.0f} m "
                "to the published area", "low", wetland,
                # Its evidence is PLACES.md (Baike/tourism text), not the plan text, which was
                # not at hand to check: not counted as named in the plan.
                {"area_ha": ha(wetland), "location_known": True, "named_in_plan": False}),
        Feature("longgang-country-park", "龙岗郊野公园", "Longgang Country Park", "country_park",
                f"{PLAN} 上岗守望、田园环抱; {PLACES} §4 ellipse in 龙岗 north of 北环路 (assumed)",
                "low", country,
                {"area_ha": ha(country), "location_known": True, "named_in_plan": True}),
        Feature("songshan-sports-park", "嵩山体育公园", "Songshan Sports Park", "sports_park",
                f"{PLAN}; {PLACES} §4 along 嵩山路 in 城北 (east side assumed)", "low",
                box(114.2990, 35.7822, 114.3017, 35.7856),
                {"area_ha": ha(box(114.2990, 35.7822, 114.3017, 35.7856)),
                 "location_known": True, "named_in_plan": True}),
        Feature("fitness-centre-park", "全民健身中心", "National Fitness Centre", "fitness_centre",
                f"{PLAN} 主城区北部4公顷绿色休闲圈; {PLACES} §5 ≈(114.295,35.790), between "
                "兴鹤大街 and 嵩山路; square of exactly 4 ha", "low", fitness,
                {"area_ha": ha(fitness), "location_known": True, "named_in_plan": True}),
        Feature("auto-theme-park", "汽车主题公园", "Automobile theme park", "theme_park",
                f"{PLAN}; position assumed near the 城北 auto-electronics cluster (天海/航盛)",
                "low", box(114.2860, 35.7700, 114.2925, 35.7727),
                {"area_ha": ha(box(114.2860, 35.7700, 114.2925, 35.7727)),
                 "location_known": True, "named_in_plan": True}),
        Feature("fushan-forest-park", "浮山森林公园", "Fushan Forest Park", "forest_park",
                f"{PLAN}; {PLACES} §4: location not found, not invented", "low", None,
                {"area_ha": None, "location_known": False, "named_in_plan": True}),
    ]


# Green the plan asks for beyond the named parks (added so that per-area green share is not
# measured against five drawn parks only). Widths are assumptions: neither the plan nor PLACES.md
# gives one. The belts are drawn only where no residential street block lies (the faces of the
# road network in RESIDENTIAL_AREAS are cut out), so they change no road or community.
CANAL_BELT_M = 100.0  # each side, beyond the canal's 40 m half-width (assumed)
HSR_BELT_M = 100.0  # west of the HSR/G4 band (assumed, schematic)
HSR_BELT_SOUTH_LAT = 35.7563  # 黎阳路: the belt runs through the north of the city only
HUAXIA_BELT_M = 40.0  # total width of the 华夏南路 central green belt (assumed)
HUAXIA_SOUTH_END_LAT = 35.7476  # 华夏南路 taken as 华夏路 south of 九州路 (assumed)
LAKE_PARK_RING_M = 100.0  # ring of lakeside park around the 景观湖 (assumed)


def green_belt_features(
    frame: Frame,
    pieces: list[RoadPiece],
    zone: BaseGeometry,
    parks: list[Feature],
    lake: BaseGeometry,
) -> list[Feature]:
    """Green belts of the plan (canal, HSR/G4, 华夏南路, lake ring), clear of other land.

    Each belt is clipped to 淇滨区 and leaves out the bonded zone, the residential
    street blocks (faces of the network in the residential areas), the lake, the
    drawn parks and the belts before it, so no land is counted twice.
    """
    taken = unary_union(
        [gk(zone), gk(lake)]
        + [gk(f.geometry) for f in parks if f.geometry is not None]
        + [face for _, _, face in _residential_faces(pieces)]
    )
    qibin = gk(frame.qibin)
    canal = gk(frame.canal)
    siphon_south = gk(box(113.9, 35.7433, 114.8, 36.1))  # from the 淇河倒虹吸 northwards
    canal_belt = (
        canal.buffer(CANAL_HALF_WIDTH_M + CANAL_BELT_M).difference(canal.buffer(CANAL_HALF_WIDTH_M))
        .intersection(siphon_south)
    )
    band = next(b for nm, b in frame.barriers_gk if nm == "京广高铁、京港澳高速")
    west = gk(frame.west_of_hsr)
    hsr_belt = (
        band.buffer(HSR_BELT_M).intersection(west).difference(band)
        .intersection(gk(box(113.9, HSR_BELT_SOUTH_LAT, 114.8, 36.1)))
    )
    huaxia = next(r for r in ROAD_DEFS if r.id == "huaxia-rd")
    huaxia_belt = (
        gk(line(huaxia.coords)).buffer(HUAXIA_BELT_M / 2.0, cap_style="flat")
        .intersection(gk(box(113.9, 35.0, 114.8, HUAXIA_SOUTH_END_LAT)))
    )
    centre = gk(Point(*LAKE))
    lake_ring = centre.buffer(LAKE_R_M + LAKE_PARK_RING_M, quad_segs=16).difference(
        centre.buffer(LAKE_R_M, quad_segs=16)
    )
    specs: tuple[tuple[str, str, str, str, str, str, bool, BaseGeometry, float], ...] = (
        ("snwd-canal-green-belt", "南水北调总干渠两侧绿化带", "SNWD canal green belt",
         "canal_green_belt",
         f"{PLACES} §4 南水北调中线总干渠 “greenbelt both sides”: the canal line (gates joined) "
         f"from the 淇河倒虹吸 north, {CANAL_BELT_M:.0f} m each side beyond its "
         f"{CANAL_HALF_WIDTH_M:.0f} m half-width (width assumed)", "low", False, canal_belt,
         CANAL_BELT_M),
        ("hsr-g4-green-belt", "107国道与高速高铁之间绿化带", "Green belt west of the HSR/G4",
         "corridor_green_belt",
         f"{PLAN} 107国道与高速高铁之间 (green belt); {PLACES} §2 107国道: a "
         f"{HSR_BELT_M:.0f} m strip along the west side of the HSR/G4 band north of 黎阳路, "
         "only where no residential block lies (width and extent assumed)", "schematic", True,
         hsr_belt, HSR_BELT_M),
        ("huaxia-central-green-belt", "华夏南路中央绿化带", "Huaxia South Road central green belt",
         "boulevard_green_belt",
         f"{PLAN}; {PLACES} §2 “central green belt on 华夏南路”: {HUAXIA_BELT_M:.0f} m wide on "
         "the 华夏路 line from 鹤壁东站 to 九州路 (华夏南路 taken as the part south of 九州路; "
         "width assumed)", "low", True, huaxia_belt, HUAXIA_BELT_M),
        ("longgang-lake-park", "景观湖滨湖公园", "Landscape lake park", "lake_park",
         f"{PLAN} 龙岗创新创业园以景观湖为核心; a {LAKE_PARK_RING_M:.0f} m ring of lakeside park "
         f"around the 景观湖 ({PLACES} §3; ring and width assumed)", "schematic", False,
         lake_ring, LAKE_PARK_RING_M),
    )
    out = []
    for fid, nm, en, kind, src, conf, named, geom_gk, width in specs:
        clear = geom_gk.intersection(qibin).difference(taken)
        geom = polygonal(wgs(clear))
        taken = unary_union([taken, gk(geom)])
        out.append(Feature(fid, nm, en, kind, src, conf, geom, {
            "area_ha": round(area_km2(geom) * 100.0, 2), "location_known": True,
            "named_in_plan": named, "width_m": width,
        }))
    return out


GAIZU_DITCH = (
    (114.2860, 35.7905), (114.2960, 35.7930), (114.3030, 35.7968), (114.3150, 35.7990),
    (114.3300, 35.8020), (114.3500, 35.8040), (114.3640, 35.8010), (114.3800, 35.7960),
    (114.3850, 35.7930),
)
LIUWA_RIVER = (
    (114.3700, 35.7960), (114.3680, 35.7840), (114.3630, 35.7760), (114.3600, 35.7640),
    (114.3560, 35.7480), (114.3540, 35.7300), (114.3560, 35.7100), (114.3600, 35.6950),
)


def water_features(ref: Reference, frame: Frame) -> list[Feature]:
    """淇河 (proxy), the SNWD canal, 盖族沟 and 刘洼河 as lines."""
    upper, lower = (shape(f["geometry"]) for f in ref.qihe)
    assert isinstance(upper, LineString) and isinstance(lower, LineString)
    # The two proxy pieces leave a ~150 m gap at the 淇滨/淇县/浚县 tripoint; join them.
    qihe = LineString([*upper.coords, *lower.coords])
    return [
        Feature("qihe", "淇河", "Qi River", "river",
                "hebi_qihe_proxy.geojson: county-border proxy (淇滨/淇县 then 淇县/浚县), "
                "the two pieces joined end to end", "medium", qihe,
                {"method": "county-border proxy"}),
        Feature("snwd-canal", "南水北调中线总干渠", "South-to-North Water Diversion middle route",
                "canal", "hebi_anchor_points.geojson: SNWD gates/offtakes joined in order "
                f"({PLACES} §4)", "medium", frame.canal, {"method": "gates joined"}),
        Feature("gaizu-ditch", "盖族沟", "Gaizu ditch", "drainage_channel",
                f"{PLAN}; water article: 北部盖族沟; {PLACES} §4 drawn W→E just north of 北环路",
                "low", line(GAIZU_DITCH), {"method": "schematic"}),
        Feature("liuwa-river", "刘洼河", "Liuwa River", "river",
                f"{PLAN} 加快刘洼河综合治理; {PLACES} §4 drawn N→S east of the G4 "
                "through 城东/东区",
                "low", line(LIUWA_RIVER), {"method": "schematic"}),
    ]


# --- life circles -------------------------------------------------------------------------------

SCHOOL = (114.3048, 35.7618)  # 鹤壁市外国语中学: 泰山路, between 卫河路 and 海河路 (PLACES.md §5)

# (id, name, name_en, minutes, named_in_plan, centre, parent, basis of the centre)
LIFE_CIRCLES: tuple[tuple[str, str, str, int, bool, tuple[float, float], str | None, str], ...] = (
    ("lc10-chengdong", "城东片区黎阳路东段十分钟生活圈",
     "10-min circle: Chengdong, east section of Liyang Road", 10, True, (114.345, 35.755), None,
     f"{PLACES} §6 ≈(114.345,35.755), 黎阳东路 east of the G4"),
    ("lc10-chengbei", "城北片区全民健身中心周边十分钟生活圈",
     "10-min circle: Chengbei, around the National Fitness Centre", 10, True, FITNESS_CENTRE, None,
     "centred on the 全民健身中心 (green layer)"),
    ("lc10-taishan", "泰山路外国语中学周边十分钟生活圈",
     "10-min circle: around the Foreign Language Middle School, Taishan Road", 10, True, SCHOOL,
     None, "centred on 鹤壁市外国语中学 (facilities layer)"),
    ("lc5-meiye", "镁业小镇五分钟生活圈", "5-min circle: magnesium town", 5, True,
     (114.2365, 35.7770), None, "centre of 镁业小镇 on 渤海路西段"),
    ("lc5-chengbei-west", "城北片区五分钟生活圈（西）", "5-min circle: Chengbei west", 5, False,
     (114.2930, 35.7865), "lc10-chengbei", "兴鹤社区/鹤鸣社区 (assumed)"),
    ("lc5-chengbei-east", "城北片区五分钟生活圈（东）", "5-min circle: Chengbei east", 5, False,
     (114.2995, 35.7900), "lc10-chengbei", "北国之春 (assumed)"),
    ("lc5-taishan-west", "泰山路片区五分钟生活圈（西）", "5-min circle: Taishan Road west", 5,
     False, (114.3015, 35.7625), "lc10-taishan", "香山社区 (assumed)"),
    ("lc5-taishan-east", "泰山路片区五分钟生活圈（东）", "5-min circle: Taishan Road east", 5,
     False, (114.3090, 35.7660), "lc10-taishan", "residential blocks east of 泰山路 (assumed)"),
    ("lc5-chengdong", "城东片区五分钟生活圈", "5-min circle: Chengdong", 5, False,
     (114.3455, 35.7570), "lc10-chengdong", "八角社区 (assumed)"),
    ("lc5-rencai", "人才高地五分钟生活圈", "5-min circle: talent highland", 5, False,
     (114.3555, 35.7690), None, "人才高地 south of the 景观湖 (assumed)"),
)


def life_circle_features(frame: Frame, bonded: BaseGeometry) -> list[Feature]:
    """3 ten-minute and 7 five-minute circles, GB 50180 radii, clipped to 淇滨区 minus the zone."""
    out = []
    for fid, nm, en, minutes, named, (lon, lat), parent, basis in LIFE_CIRCLES:
        radius = RADIUS_10MIN_M if minutes == 10 else RADIUS_5MIN_M
        geom = polygonal(circle(lon, lat, radius).intersection(frame.qibin).difference(bonded))
        src = (f"{PLAN} 一刻钟生活圈: " + ("named in the plan" if named else
               "the plan counts 7 five-minute circles but names only 镁业小镇; placed at a "
               "residential cluster") + f"; centre: {basis}; radius {radius:.0f} m "
               "(GB 50180-2018 walking distance of the tier)")
        extra: dict[str, Any] = {
            "minutes": minutes, "named_in_plan": named, "radius_m": int(radius), "parent": parent,
        }
        out.append(Feature(fid, nm, en, "life_circle", src, "low" if named else "schematic",
                           geom, extra))
    return out


# --- residential communities --------------------------------------------------------------------

# Residential clusters (lon0, lat0, lon1, lat1): the parts of the life circles where people live.
# Blocks are the street blocks inside them (faces of the road network), set back from the
# road centre lines; green areas are taken out.
RESIDENTIAL_AREAS: tuple[tuple[str, str, str, tuple[float, float, float, float]], ...] = (
    ("cb", "城北片区", "Chengbei", (114.2875, 35.7808, 114.3023, 35.7940)),
    ("cz", "泰山路片区", "Taishan Road", (114.2965, 35.7552, 114.3145, 35.7695)),
    ("sj", "松江路片区", "Songjiang Road", (114.3078, 35.7728, 114.3150, 35.7767)),
    ("cd", "城东片区", "Chengdong", (114.3420, 35.7470, 114.3560, 35.7627)),
    ("rc", "人才高地", "Talent highland", (114.3420, 35.7627, 114.3650, 35.7721)),
    ("js", "镁业小镇", "Magnesium town", (114.2300, 35.7740, 114.2450, 35.7810)),
)
BLOCK_SETBACK_M = 10.0  # half a street plus pavement
WATER_SETBACK_M = 15.0  # channel and bank of a river or ditch
MIN_BLOCK_M2 = 5_000.0

# The communities the plan names, each given the street block nearest this point (positions
# assumed; PLACES.md has no evidence for them). Resettled villages get the lower density.
NAMED_COMMUNITIES: tuple[tuple[str, str, str, bool, float, float], ...] = (
    ("xinghe-community", "兴鹤社区", "Xinghe community", False, 114.2935, 35.7850),
    ("heming-community", "鹤鸣社区", "Heming community", False, 114.2935, 35.7876),
    ("beiguo-zhichun", "北国之春", "Beiguo Zhichun", False, 114.3005, 35.7885),
    ("xiangshan-community", "香山社区", "Xiangshan community", False, 114.2990, 35.7620),
    ("songjiang-mingyuan", "松江铭苑", "Songjiang Mingyuan", False, 114.3095, 35.7750),
    ("bajiao-community", "八角社区", "Bajiao community", True, 114.3450, 35.7600),
    ("yangzhuang-community", "杨庄社区", "Yangzhuang community", True, 114.3450, 35.7490),
    ("zhonghe-community", "中鹤社区", "Zhonghe community", True, 114.2380, 35.7775),
)


def _blocks(
    pieces: list[RoadPiece], within_gk: BaseGeometry, exclude_gk: BaseGeometry
) -> list[tuple[str, Polygon]]:
    """Street blocks (EPSG:4547) inside the residential areas, tagged with the area prefix."""
    network = unary_union([p.geom for p in pieces])
    faces = list(polygonize(network))
    # Streets that stop at a park edge are dangles polygonize ignores: cut them out too.
    exclude_gk = unary_union([exclude_gk, network.buffer(BLOCK_SETBACK_M)])
    out: list[tuple[str, Polygon]] = []
    for prefix, _, _, bounds in RESIDENTIAL_AREAS:
        area = gk(box(*bounds)).intersection(within_gk)
        found: list[Polygon] = []
        for face in faces:
            part = face.buffer(-BLOCK_SETBACK_M).intersection(area).difference(exclude_gk)
            found.extend(
                g for g in getattr(part, "geoms", [part])
                if isinstance(g, Polygon) and g.area >= MIN_BLOCK_M2
            )
        # Number blocks north to south, then west to east (stable ids).
        found.sort(key=lambda g: (-round(g.centroid.y, -1), round(g.centroid.x, -1)))
        out.extend((prefix, g) for g in found)
    return out


def community_features(
    pieces: list[RoadPiece], frame: Frame, green: list[Feature], water: list[Feature]
) -> list[Feature]:
    """Residential blocks with a population estimate from area × typical density.

    Blocks leave out green areas and a strip along the water lines.
    """
    exclude = unary_union(
        [gk(f.geometry) for f in green if f.geometry is not None]
        + [gk(f.geometry).buffer(WATER_SETBACK_M) for f in water if f.geometry is not None]
    )
    names = {prefix: (zh, en) for prefix, zh, en, _ in RESIDENTIAL_AREAS}
    counters: dict[str, int] = {}
    claimed: set[str] = set()
    out = []
    blocks = _blocks(pieces, gk(frame.qibin), exclude)
    # Each named community takes the nearest street block not already taken.
    owner: dict[int, tuple[str, str, str, bool, float, float]] = {}
    for community in NAMED_COMMUNITIES:
        at = gk(Point(community[4], community[5]))
        free = [i for i in range(len(blocks)) if i not in owner]
        owner[min(free, key=lambda i: blocks[i][1].distance(at))] = community
    for k, (prefix, block_gk) in enumerate(blocks):
        block = wgs(block_gk)
        named = [owner[k]] if k in owner else []
        if named:
            fid, nm, en, resettled = named[0][:4]
            claimed.add(fid)
        else:
            counters[prefix] = counters.get(prefix, 0) + 1
            n = counters[prefix]
            fid, resettled = f"{prefix}-block-{n:02d}", False
            nm, en = f"{names[prefix][0]}居住街坊{n}", f"{names[prefix][1]} residential block {n}"
        km2 = block_gk.area / 1e6
        density = DENSITY_RESETTLED if resettled else DENSITY_NEW_TOWN
        basis = (
            f"area {km2:.3f} km² (EPSG:4547) × {density / 1e4:.1f}万人/km² "
            + ("(resettled-village community, multi-storey: ~60 % of the new-town density)"
               if resettled else
               "(Hebi new town: ~30万 residents on 35 km² built-up, ~30 % residential)")
            + "; GB 50180-2018 10-min circle: 1.5–2.5万 residents on 32–50 ha"
        )
        src = (f"{PLAN} names the community; its street block is assumed" if named else
               "plausible residential street block in a life circle (not in the plan)")
        out.append(Feature(fid, nm, en, "residential_community", src, "low", block, {
            "population": int(round(km2 * density, -1)), "population_basis": basis,
            "named_in_plan": bool(named), "area_km2": round(km2, 4),
        }))
    missing = {c[0] for c in NAMED_COMMUNITIES} - claimed
    if missing:
        raise ValueError(f"named communities without a block: {sorted(missing)}")
    return out


# --- service facilities -------------------------------------------------------------------------

# facility_type -> (category code, GB 50180 level in minutes, GB 50180 item name, English)
FACILITY_TYPES: dict[str, tuple[str, int, str, str]] = {
    "kindergarten": ("education", 5, "幼儿园", "kindergarten"),
    "primary_school": ("education", 10, "小学", "primary school"),
    "middle_school": ("education", 15, "初中", "middle school"),
    "health_station": ("health", 5, "社区卫生服务站", "community health station"),
    "health_centre": ("health", 15, "社区卫生服务中心", "community health centre"),
    "elderly_day_care": ("elderly", 5, "老年人日间照料中心", "elderly day-care centre"),
    "nursing_home": ("elderly", 15, "养老院", "nursing home"),
    "fitness_site": ("fitness", 5, "室外综合健身场地", "outdoor fitness site"),
    "sports_field": ("fitness", 10, "中型多功能运动场地", "multi-sport ground"),
    "sports_park": ("fitness", 15, "体育公园", "sports park"),
    "fitness_centre": ("fitness", 15, "全民健身中心", "national fitness centre"),
    "culture_station": ("culture", 5, "文化活动站", "culture station"),
    "culture_centre": ("culture", 15, "文化活动中心", "culture centre"),
    "community_service_station": ("comprehensive", 5, "社区服务站", "community service station"),
    "community_service_centre": ("comprehensive", 15, "社区服务中心", "community service centre"),
    "convenience_store": ("commerce", 5, "便利店", "convenience store"),
    "market": ("commerce", 10, "菜市场", "fresh market"),
    "community_shop": ("commerce", 5, "社区商业网点", "community shop (supermarket/pharmacy)"),
    "fresh_supermarket": ("commerce", 10, "生鲜超市", "fresh-food supermarket"),
    "mall": ("commerce", 15, "商场", "shopping centre"),
    "bus_stop": ("green_mobility", 10, "公交车站", "bus stop"),
    # GB 50180-2018 lists 公交车站 at the 5-minute tier too (社区服务设施, ≤300 m service radius:
    # general knowledge, not checked against the published text); a stop inside a 5-minute circle
    # serves that tier. A separate type, so that each type keeps one level.
    "bus_stop_5min": ("green_mobility", 5, "公交车站", "bus stop (5-minute tier)"),
    "bus_terminal": ("green_mobility", 15, "公交首末站", "bus terminus"),
    "waste_collection": ("sanitation", 5, "生活垃圾收集站", "waste collection point"),
    "public_toilet": ("sanitation", 5, "公共厕所", "public toilet"),
    "waste_transfer": ("sanitation", 15, "垃圾转运站", "waste transfer station"),
}

# (id, name, facility_type, lon, lat, named_in_plan). Named ones are the facilities the plan
# lists; the rest are plausible GB 50180 provision for the residential clusters.
FACILITIES: tuple[tuple[str, str, str, float, float, bool], ...] = (
    # 城北片区 (全民健身中心 10-min circle)
    ("cb-kindergarten-1", "城北片区幼儿园", "kindergarten", 114.2930, 35.7850, False),
    ("cb-kindergarten-2", "北国之春幼儿园", "kindergarten", 114.3005, 35.7905, False),
    ("cb-primary", "城北片区小学", "primary_school", 114.2903, 35.7875, False),
    ("cb-health-station", "城北社区卫生服务站", "health_station", 114.2938, 35.7880, False),
    ("cb-day-care", "城北日间照料中心", "elderly_day_care", 114.2925, 35.7898, False),
    ("cb-nursing-home", "城北养老院", "nursing_home", 114.2905, 35.7815, False),
    ("cb-culture-station", "城北文化活动站", "culture_station", 114.2945, 35.7868, False),
    ("cb-culture-centre", "城北文化活动中心", "culture_centre", 114.2965, 35.7830, False),
    ("cb-service-station", "城北党群服务站", "community_service_station", 114.2925, 35.7845,
     False),
    ("cb-service-centre", "城北社区服务中心", "community_service_centre", 114.2943, 35.7822,
     False),
    ("cb-market", "城北菜市场", "market", 114.2905, 35.7828, False),
    ("cb-convenience-1", "北国之春便利店", "convenience_store", 114.3000, 35.7880, False),
    ("cb-convenience-2", "鹤鸣便利店", "convenience_store", 114.2928, 35.7912, False),
    ("cb-fitness-site", "北国之春健身场地", "fitness_site", 114.3008, 35.7925, False),
    ("cb-toilet", "城北公共厕所", "public_toilet", 114.2975, 35.7865, False),
    ("cb-waste-collection", "城北垃圾收集站", "waste_collection", 114.2906, 35.7906, False),
    ("cb-waste-transfer", "垃圾中转站", "waste_transfer", 114.2875, 35.7870, True),
    ("cb-east-health-station", "北国之春卫生服务站", "health_station", 114.3000, 35.7895, False),
    ("cb-east-day-care", "北国之春日间照料中心", "elderly_day_care", 114.3010, 35.7910, False),
    ("cb-east-culture-station", "北国之春文化活动站", "culture_station", 114.2995, 35.7912,
     False),
    ("cb-east-service-station", "北国之春社区服务站", "community_service_station", 114.3010,
     35.7880, False),
    # 泰山路外国语中学片区
    ("tw-foreign-school", "鹤壁市外国语中学", "middle_school", *SCHOOL, True),
    ("tw-kindergarten-1", "香山幼儿园", "kindergarten", 114.2995, 35.7645, False),
    ("tw-kindergarten-2", "泰山路东幼儿园", "kindergarten", 114.3120, 35.7620, False),
    ("tw-primary", "泰山路小学", "primary_school", 114.3090, 35.7645, False),
    ("tw-health-centre", "社区卫生服务中心", "health_centre", 114.3095, 35.7588, True),
    ("tw-health-station", "香山社区卫生服务站", "health_station", 114.3000, 35.7675, False),
    ("tw-day-care", "日间照料中心", "elderly_day_care", 114.3030, 35.7590, True),
    ("tw-nursing-home", "养老院", "nursing_home", 114.3122, 35.7680, True),
    ("tw-culture-centre", "泰山路文化活动中心", "culture_centre", 114.3030, 35.7675, False),
    ("tw-culture-station", "泰山路文化活动站", "culture_station", 114.3122, 35.7595, False),
    ("tw-service-centre", "香山社区服务中心", "community_service_centre", 114.3000, 35.7590,
     False),
    ("tw-service-station", "泰山路社区服务站", "community_service_station", 114.3085, 35.7675,
     False),
    ("tw-market", "泰山路菜市场", "market", 114.3085, 35.7615, False),
    ("tw-mall", "黎阳路商业中心", "mall", 114.2990, 35.7562, False),
    ("tw-convenience", "泰山路便利店", "convenience_store", 114.3125, 35.7650, False),
    ("tw-fitness-site", "泰山路健身场地", "fitness_site", 114.3060, 35.7682, False),
    ("tw-sports-field", "外国语中学运动场", "sports_field", 114.3022, 35.7648, False),
    ("tw-toilet", "泰山路公共厕所", "public_toilet", 114.3040, 35.7668, False),
    ("tw-waste-collection", "泰山路垃圾收集站", "waste_collection", 114.3128, 35.7565, False),
    ("tw-west-health-station", "香山卫生服务站", "health_station", 114.3010, 35.7612, False),
    ("tw-west-culture-station", "香山文化活动站", "culture_station", 114.3000, 35.7630, False),
    ("tw-west-service-station", "香山社区服务站", "community_service_station", 114.3022,
     35.7605, False),
    ("tw-west-convenience", "香山便利店", "convenience_store", 114.3012, 35.7640, False),
    ("tw-west-fitness-site", "香山健身场地", "fitness_site", 114.2995, 35.7615, False),
    ("tw-east-health-station", "泰山路东卫生服务站", "health_station", 114.3095, 35.7655, False),
    ("tw-east-day-care", "泰山路东日间照料中心", "elderly_day_care", 114.3080, 35.7650, False),
    ("tw-east-culture-station", "泰山路东文化活动站", "culture_station", 114.3100, 35.7668,
     False),
    ("tw-east-fitness-site", "泰山路东健身场地", "fitness_site", 114.3075, 35.7640, False),
    # 松江路
    ("sj-primary", "松江小学", "primary_school", 114.3125, 35.7757, True),
    ("sj-middle", "松江初高中", "middle_school", 114.3140, 35.7742, True),
    ("sj-kindergarten", "松江铭苑幼儿园", "kindergarten", 114.3095, 35.7740, False),
    ("sj-convenience", "松江铭苑便利店", "convenience_store", 114.3100, 35.7760, False),
    # 城东片区 (黎阳路东段 10-min circle)
    ("cd-kindergarten", "城东幼儿园", "kindergarten", 114.3450, 35.7590, False),
    ("cd-primary", "城东小学", "primary_school", 114.3505, 35.7540, False),
    ("cd-middle", "城东初中", "middle_school", 114.3510, 35.7600, False),
    ("cd-health-station", "城东社区卫生服务站", "health_station", 114.3440, 35.7528, False),
    ("cd-health-centre", "城东社区卫生服务中心", "health_centre", 114.3460, 35.7495, False),
    ("cd-day-care", "城东日间照料中心", "elderly_day_care", 114.3465, 35.7562, False),
    ("cd-nursing-home", "城东养老院", "nursing_home", 114.3520, 35.7485, False),
    ("cd-culture-station", "城东文化活动站", "culture_station", 114.3435, 35.7605, False),
    ("cd-service-station", "八角社区服务站", "community_service_station", 114.3455, 35.7540,
     False),
    ("cd-service-centre", "城东社区服务中心", "community_service_centre", 114.3465, 35.7617,
     False),
    ("cd-market", "城东菜市场", "market", 114.3495, 35.7568, False),
    ("cd-convenience", "八角便利店", "convenience_store", 114.3440, 35.7562, False),
    ("cd-fitness-site", "城东健身场地", "fitness_site", 114.3500, 35.7612, False),
    ("cd-toilet", "城东公共厕所", "public_toilet", 114.3462, 35.7522, False),
    ("cd-waste-collection", "城东垃圾收集站", "waste_collection", 114.3525, 35.7515, False),
    ("cd-waste-transfer", "城东垃圾转运站", "waste_transfer", 114.3600, 35.7475, False),
    # 镁业小镇
    ("js-kindergarten", "镁业小镇幼儿园", "kindergarten", 114.2355, 35.7782, False),
    ("js-primary", "镁业小镇小学", "primary_school", 114.2400, 35.7792, False),
    ("js-health-station", "镁业小镇卫生服务站", "health_station", 114.2375, 35.7768, False),
    ("js-day-care", "镁业小镇日间照料中心", "elderly_day_care", 114.2345, 35.7765, False),
    ("js-culture-station", "镁业小镇文化活动站", "culture_station", 114.2395, 35.7780, False),
    ("js-service-station", "镁业小镇社区服务站", "community_service_station", 114.2362, 35.7797,
     False),
    ("js-convenience", "镁业小镇便利店", "convenience_store", 114.2370, 35.7762, False),
    ("js-market", "镁业小镇菜市场", "market", 114.2415, 35.7748, False),
    ("js-fitness-site", "镁业小镇健身场地", "fitness_site", 114.2340, 35.7797, False),
    ("js-toilet", "镁业小镇公共厕所", "public_toilet", 114.2405, 35.7765, False),
    ("js-waste-collection", "镁业小镇垃圾收集站", "waste_collection", 114.2335, 35.7762, False),
    # 人才高地
    ("rc-kindergarten", "人才高地幼儿园", "kindergarten", 114.3545, 35.7683, False),
    ("rc-health-station", "人才高地卫生服务站", "health_station", 114.3572, 35.7700, False),
    ("rc-day-care", "人才高地日间照料中心", "elderly_day_care", 114.3592, 35.7706, False),
    ("rc-service-station", "人才高地社区服务站", "community_service_station", 114.3515, 35.7700,
     False),
    ("rc-culture-station", "人才高地文化活动站", "culture_station", 114.3520, 35.7683, False),
    ("rc-convenience", "人才高地便利店", "convenience_store", 114.3585, 35.7686, False),
    ("rc-fitness-site", "人才高地健身场地", "fitness_site", 114.3562, 35.7662, False),
    ("rc-waste-collection", "人才高地垃圾收集站", "waste_collection", 114.3605, 35.7668, False),
    # 绿色出行: the bus terminus by 鹤壁站 (east of the railway)
    ("bus-terminal-hebi-station", "鹤壁站公交首末站", "bus_terminal", 114.2712, 35.7571, False),
)

# Bus stops: (id, road id, lon, lat near the road) - snapped onto the road centreline.
BUS_STOPS: tuple[tuple[str, str, float, float], ...] = (
    ("bus-xinghe-1", "xinghe-st", 114.2950, 35.7850),
    ("bus-kexue-1", "kexue-ave", 114.2925, 35.7808),
    ("bus-beihuan-1", "beihuan-rd", 114.2935, 35.7908),
    ("bus-taishan-1", "taishan-rd", 114.3060, 35.7620),
    ("bus-hengshan-1", "hengshan-rd", 114.3015, 35.7660),
    ("bus-liyang-1", "liyang-rd", 114.3050, 35.7550),
    ("bus-haihe-1", "haihe-rd", 114.3100, 35.7658),
    ("bus-songjiang-1", "songjiang-rd", 114.3100, 35.7767),
    ("bus-liyang-east-1", "liyang-rd", 114.3450, 35.7542),
    ("bus-tianlai-1", "tianlai-st", 114.3423, 35.7580),
    ("bus-xueer-1", "xueer-st", 114.3650, 35.7560),
    ("bus-bohai-jinshan", "bohai-rd", 114.2360, 35.7756),
    ("bus-bohai-longgang", "bohai-rd", 114.3555, 35.7721),
    ("bus-bohai-chengbei", "bohai-rd", 114.2990, 35.7730),
    ("bus-dabai-1", "dabai-rd", 114.2420, 35.7730),
)


# GB 50180-2018 tier items added to SOME living circles only, so that the completeness figures
# have a spread: 城北（西） gets the health station and fresh-food supermarket its southern blocks
# lack, 泰山路（西） a public toilet and 泰山路（东） a waste collection station; the other circles
# keep their health/commerce/sanitation gaps for the planner to see (and test with the what-if
# tool). (id, name, facility_type, circle id, lon, lat, GB 50180-2018 tier of the item)
GB_TIER_SUPPLEMENTS: tuple[tuple[str, str, str, str, float, float, str], ...] = (
    ("cb-west-health-station", "城北（西）社区卫生服务站", "health_station", "lc5-chengbei-west",
     114.2925, 35.7850, "五分钟生活圈 社区卫生服务站"),
    ("cb-west-fresh-supermarket", "城北（西）生鲜超市", "fresh_supermarket", "lc5-chengbei-west",
     114.2940, 35.7862, "十分钟生活圈 菜市场或生鲜超市"),
    ("tw-west-toilet", "香山公共厕所", "public_toilet", "lc5-taishan-west", 114.3032, 35.7612,
     "五分钟生活圈 公共厕所"),
    ("tw-east-waste-collection", "泰山路东生活垃圾收集站", "waste_collection", "lc5-taishan-east",
     114.3070, 35.7660, "五分钟生活圈 生活垃圾收集站"),
)


_BUS_5MIN_SOURCE = (
    "GB 50180-2018 lists 公交车站 among the 5-minute 社区服务设施 (≤300 m service radius: "
    "general knowledge, not checked against the published text)"
)


def facility_features(
    pieces: list[RoadPiece], green: list[Feature], circles: list[Feature]
) -> list[Feature]:
    """Service facilities in the nine categories, with their GB 50180 level.

    The plan's 全民健身中心 and 嵩山体育公园 are both green areas and (at their
    centroids) fitness facilities. A bus stop inside a 5-minute circle serves
    the 5-minute tier; a 5-minute circle with no stop gets one on the main road
    nearest its centre (GB 50180-2018 lists 公交车站 at both tiers).
    """
    out = []

    def make(fid: str, name: str, ftype: str, geom: Point, named: bool, where: str,
             confidence: str = "low", basis: str | None = None) -> Feature:
        """A facility feature with the category and level of its type."""
        cat, level, item, item_en = FACILITY_TYPES[ftype]
        src = (f"{PLAN} 一刻钟生活圈 names it; position assumed ({where})" if named else
               f"plausible GB 50180-2018 provision (not in the plan); position assumed ({where})")
        if basis:
            src += f"; {basis}"
        return Feature(fid, name, item_en, ftype, src, confidence, geom, {
            "category": cat, "level_min": level, "facility_type": ftype,
            "facility_type_zh": item, "named_in_plan": named,
        })

    for fid, name, ftype, lon, lat, named in FACILITIES:
        where = "PLACES.md §5" if fid in {"tw-foreign-school", "sj-primary", "sj-middle"} else (
            "inside its residential cluster")
        out.append(make(fid, name, ftype, Point(lon, lat), named, where))
    areas = {c.id: (c.name, c.geometry) for c in circles}
    for fid, name, ftype, cid, lon, lat, tier in GB_TIER_SUPPLEMENTS:
        cname, disc = areas[cid]
        pt = Point(lon, lat)
        if disc is None or not disc.contains(pt):
            raise ValueError(f"{fid} is not inside its living circle {cid}")
        out.append(make(fid, name, ftype, pt, False, f"inside {cid}", confidence="schematic",
                        basis=(f"GB 50180-2018 {tier}: schematic placement inside {cname} "
                               f"({cid}), not a real facility")))
    parks = {f.id: f.geometry for f in green}
    for fid, name, ftype, park_id in (
        ("cb-fitness-centre", "全民健身中心", "fitness_centre", "fitness-centre-park"),
        ("cb-sports-park", "嵩山体育公园", "sports_park", "songshan-sports-park"),
    ):
        area = parks[park_id]
        assert area is not None
        out.append(make(fid, name, ftype, area.centroid, True, f"centroid of {park_id}"))
    roads = {p.road.id: p.road for p in pieces}
    five = [(c.id, c.name, c.geometry) for c in circles
            if c.extra["minutes"] == 5 and c.geometry is not None]
    for fid, road_id, lon, lat in BUS_STOPS:
        ln = road_line(pieces, road_id)
        pt = ln.interpolate(ln.project(Point(lon, lat)))
        name = f"{roads[road_id].name}公交站"
        if road_id == "liyang-rd" and lon > 114.32:
            name = "黎阳东路公交站"
        out.append(make(fid, name, "bus_stop", pt, False, f"on {roads[road_id].name}"))
    # A 5-minute stop for each 5-minute circle (the 10-minute stops above keep their tier: a
    # facility counts at its own level): on the arterial or secondary road (where buses run)
    # nearest the circle centre, at the point of that road closest to the centre; if no main
    # road enters the circle, on the nearest street (a feeder/community bus stop).
    ground = [p for p in pieces if p.bridge_over is None]
    mains = [p for p in ground if p.road.road_class in ("arterial", "secondary")]
    for cid, cname, geom in five:
        centre = gk(circle_centre(cid))
        assert isinstance(centre, Point)
        for candidates in (mains, ground):
            best = min(candidates, key=lambda p: p.geom.distance(centre))
            stop = wgs(best.geom.interpolate(best.geom.project(centre)))
            assert isinstance(stop, Point)
            if geom.contains(stop):
                break
        else:
            raise ValueError(f"no street inside the 5-minute circle {cid}")
        road = best.road
        place = cname.removesuffix("五分钟生活圈")
        name = f"{road.name}公交站" if best in mains else f"{place}公交站"
        out.append(make(f"bus5-{cid.removeprefix('lc5-')}", name, "bus_stop_5min", stop, False,
                        f"on {road.name}, the point of it nearest {cid}'s centre",
                        confidence="schematic",
                        basis=f"{_BUS_5MIN_SOURCE}; serves the 5-minute tier of {cid}"))
    return out


def circle_centre(circle_id: str) -> Point:
    """The centre of a living circle as declared in :data:`LIFE_CIRCLES`."""
    for cid, *_rest, (lon, lat), _parent, _basis in LIFE_CIRCLES:
        if cid == circle_id:
            return Point(lon, lat)
    raise KeyError(circle_id)


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
            hsr.append(Feature(HSR_SEGMENT_IDS[p["segment"]], p["name_zh"], p["name_en"],
                               "railway_hsr", src, "high", shape(f["geometry"]),
                               _keep_original(p)))
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
    layers["parks"] = park_features(frame)
    layers.update(bonded_features(pieces, frame))
    zone = layers["bonded_zone"][0].geometry
    assert zone is not None
    lake = next(f.geometry for f in layers["parks"] if f.id == "longgang-lake")
    assert lake is not None
    # Belts come after the roads and the bonded zone (they are kept clear of both), so the
    # block streets are generated from the parks alone; the belts avoid the residential faces.
    layers["green"] = green + green_belt_features(frame, pieces, zone, green, lake)
    layers["water"] = water_features(ref, frame)
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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
