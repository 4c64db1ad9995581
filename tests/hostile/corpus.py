"""Malformed and hostile uploads, built at test time, each with its expected outcome.

Every case is a small file (the zip bomb is small too: it *claims* and really
holds half a gigabyte of inflated data, but is ~0.5 MB compressed). A case
either expects the import to succeed (and then states what must come out) or
to be refused with a message containing a given Chinese and English phrase.

Files are built with the same tools planners' software uses (pyogrio/GDAL for
GeoPackage and Shapefile, zipfile, plain text) and then damaged on purpose.
"""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from pyproj import Transformer
from shapely.geometry import Point

# A known place in Hebi (淇滨区, near the ETDZ) and known projected coordinates of it.
HEBI_LON, HEBI_LAT = 114.30, 35.75
PASSWD_MARKER = "root:x:0:0"
_probe = {"url": "http://127.0.0.1:9"}


def set_probe_url(url: str) -> None:
    """Point the network cases at the test's loopback HTTP probe."""
    _probe["url"] = url


def probe_url() -> str:
    """The loopback URL the network cases refer to."""
    return _probe["url"]


def gk(epsg: int, lon: float = HEBI_LON, lat: float = HEBI_LAT) -> tuple[float, float]:
    """Project a lon/lat to a CGCS2000 Gauss-Kruger EPSG code (reference values for cases)."""
    x, y = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    return float(x), float(y)


# A check raises AssertionError when the imported frame is wrong; its return value is ignored.
Check = Callable[[gpd.GeoDataFrame], object]


@dataclass
class Case:
    """One corpus file and what the importer must do with it."""

    id: str
    filename: str
    build: Callable[[], bytes]
    expect: str  # "ok" or "refused"
    zh: str = ""  # phrase the refusal message must contain (Chinese)
    en: str = ""  # ... and its English counterpart
    check: Check | None = None
    network: bool = False  # the file points at the loopback probe (PORT is substituted)
    tags: list[str] = field(default_factory=list)


# --- builders ----------------------------------------------------------------------------------


def fc(features: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", **extra, "features": features}


def feat(geometry: dict[str, Any] | None, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def point(x: float, y: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [x, y]}


def square(x: float, y: float, d: float = 0.01) -> dict[str, Any]:
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def jbytes(obj: Any, encoding: str = "utf-8") -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode(encoding)


def zip_bytes(entries: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # unix: the mode bits below are honoured by unzip tools
            info.external_attr = 0o120777 << 16
            zf.writestr(info, target)
    return buf.getvalue()


def legacy_name_zip(entries: dict[str, bytes], encoding: str = "gbk") -> bytes:
    """A zip whose names are raw ``encoding`` bytes without the UTF-8 flag (old Windows tools)."""
    placeholders: dict[bytes, bytes] = {}
    plain: dict[str, bytes] = {}
    for i, (name, data) in enumerate(entries.items()):
        raw = name.encode(encoding)
        stand_in = f"{i:0{len(raw)}d}"  # ASCII name of the same byte length, patched below
        placeholders[stand_in.encode()] = raw
        plain[stand_in] = data
    out = zip_bytes(plain)
    for ascii_name, raw_name in placeholders.items():
        out = out.replace(ascii_name, raw_name)
    return out


def shapefile_parts(
    gdf: gpd.GeoDataFrame, stem: str = "layer", encoding: str | None = None
) -> dict[str, bytes]:
    """Write a Shapefile with GDAL and return its parts by extension."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"{stem}.shp"
        pyogrio.write_dataframe(gdf, path, encoding=encoding)
        return {p.suffix.lower(): p.read_bytes() for p in Path(d).iterdir()}


def gpkg_bytes(layers: dict[str, gpd.GeoDataFrame], sql: list[str] | None = None) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "data.gpkg"
        for name, gdf in layers.items():
            pyogrio.write_dataframe(gdf, path, layer=name, driver="GPKG")
        if sql:
            con = sqlite3.connect(path)
            with con:
                for stmt in sql:
                    con.execute(stmt)
            con.close()
        return path.read_bytes()


def parks_gdf(crs: int = 4326) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(
        {"name": ["人民公园", "淇河湿地"], "area_ha": [12.5, 30.0]},
        geometry=[Point(HEBI_LON, HEBI_LAT), Point(HEBI_LON + 0.05, HEBI_LAT + 0.02)],
        crs=4326,
    )
    return gdf.to_crs(crs)


def zip_bomb(inflated_bytes: int = 512 * 1024**2) -> bytes:
    """A real zip bomb: a valid FeatureCollection padded with ``inflated_bytes`` of spaces.

    The deflate stream is built from one compressed block of 1 MiB of spaces
    repeated (after a full flush each block is independent and identical), so
    building it does not take seconds of compression; the CRC is computed
    honestly over the inflated content.
    """
    head = b'{"type":"FeatureCollection","features":['
    tail = (
        b'{"type":"Feature","properties":{},'
        b'"geometry":{"type":"Point","coordinates":[114.3,35.7]}}]}'
    )
    chunk = b" " * (1024**2)
    n = inflated_bytes // len(chunk)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = comp.compress(head) + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    again = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    assert block == again, "full-flush blocks must be identical"
    last = comp.compress(tail) + comp.flush(zlib.Z_FINISH)
    stream = first + block * n + last
    crc = zlib.crc32(head)
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + n * len(chunk) + len(tail)
    name = b"parcels.geojson"
    # Hand-written local header + central directory (zipfile cannot take a raw deflate stream).
    import struct

    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(stream), size, len(name), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(stream),
        size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    cd_offset = len(local) + len(name) + len(stream)
    cd = central + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(cd), cd_offset, 0)
    return local + name + stream + cd + end


def vrt(src: str) -> bytes:
    """An OGR VRT that makes GDAL open ``src`` (a server file or URL) as its layer."""
    layer = src.rsplit("/", 1)[-1].split(".")[0]
    return (
        f'<OGRVRTDataSource><OGRVRTLayer name="leak"><SrcDataSource>{src}</SrcDataSource>'
        f"<SrcLayer>{layer}</SrcLayer></OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def rename_gpkg_layer(data: bytes, old: str, new: str) -> bytes:
    """Give a GeoPackage layer a name GDAL itself refuses to create (as other tools may)."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "data.gpkg"
        path.write_bytes(data)
        con = sqlite3.connect(path)
        with con:
            con.execute(f'ALTER TABLE "{old}" RENAME TO "{new}"')
            for table in (
                "gpkg_contents",
                "gpkg_geometry_columns",
                "gpkg_ogr_contents",
                "gpkg_extensions",
            ):
                con.execute(f"UPDATE {table} SET table_name = ? WHERE table_name = ?", (new, old))
            con.execute("UPDATE gpkg_contents SET identifier = ? WHERE table_name = ?", (new, new))
        con.close()
        return path.read_bytes()


def kml(body: str, prolog: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        + prolog
        + '<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        + body
        + "</Document></kml>"
    ).encode()


def placemark(name: str, lon: float, lat: float) -> str:
    return (
        f"<Placemark><name>{name}</name><Point><coordinates>{lon},{lat}</coordinates>"
        "</Point></Placemark>"
    )


# --- checks ------------------------------------------------------------------------------------


def near(gdf: gpd.GeoDataFrame, lon: float, lat: float, i: int = 0, tol: float = 1e-6) -> None:
    p = gdf.geometry.iloc[i]
    c = p if p.geom_type == "Point" else p.centroid
    assert abs(c.x - lon) < tol and abs(c.y - lat) < tol, (c.x, c.y, lon, lat)


def has_names(*names: str) -> Check:
    def check(gdf: gpd.GeoDataFrame) -> None:
        assert list(gdf["name"]) == list(names), list(gdf["name"])

    return check


def all_of(*checks: Check) -> Check:
    def check(gdf: gpd.GeoDataFrame) -> None:
        for c in checks:
            c(gdf)

    return check


def report_is(**expected: Any) -> Check:
    def check(gdf: gpd.GeoDataFrame) -> None:
        rep = gdf.attrs["import_report"]
        for k, v in expected.items():
            assert rep[k] == v, (k, rep[k], v)

    return check


def warns(phrase: str) -> Check:
    def check(gdf: gpd.GeoDataFrame) -> None:
        assert any(phrase in w for w in gdf.attrs["warnings"]), gdf.attrs["warnings"]

    return check


def _bowtie_check(gdf: gpd.GeoDataFrame) -> None:
    g = gdf.geometry.iloc[0]
    assert g.is_valid and g.geom_type == "MultiPolygon"
    # Two triangles meeting at the centre, each a quarter of the 0.01° square.
    assert abs(g.area - 0.5 * 0.01**2) < 1e-12, g.area


# --- the corpus --------------------------------------------------------------------------------

XSS = '<img src=x onerror="window.__pwned=1">'
TEMPLATE = "${window.__pwned=2}`</script><script>window.__pwned=3</script>"


def corpus() -> list[Case]:
    """All cases; builders run lazily, when a test asks for the bytes."""
    x47, y47 = gk(4547)
    x26, y26 = gk(4526)
    x27, y27 = gk(4527)
    ok_fc = fc([feat(point(HEBI_LON, HEBI_LAT), name="人民公园")])
    parks = parks_gdf()
    parts = shapefile_parts(parks, "parks")
    gbk_parts = shapefile_parts(parks, "parks", encoding="GBK")
    gbk_parts.pop(".cpg", None)
    gk26_parts = shapefile_parts(parks_gdf(4526), "gk38")
    noprj_parts = {k: v for k, v in gk26_parts.items() if k != ".prj"}

    def shp_zip(p: dict[str, bytes], stem: str = "parks", drop: tuple[str, ...] = ()) -> bytes:
        return zip_bytes({f"{stem}{ext}": b for ext, b in p.items() if ext not in drop})

    cases = [
        # ---- accepted: the baseline and the encodings ----
        Case(
            "geojson_ok",
            "parks.geojson",
            lambda: jbytes(ok_fc),
            "ok",
            check=all_of(
                has_names("人民公园"),
                lambda g: near(g, HEBI_LON, HEBI_LAT),
                report_is(crs_source="RFC 7946 default", features=1, skipped=0),
            ),
        ),
        Case(
            "geojson_utf8_bom",
            "parks.geojson",
            lambda: b"\xef\xbb\xbf" + jbytes(ok_fc),
            "ok",
            check=has_names("人民公园"),
        ),
        Case(
            "geojson_gbk",
            "parks.geojson",
            lambda: jbytes(ok_fc, "gbk"),
            "ok",
            check=all_of(has_names("人民公园"), warns("GBK")),
        ),
        Case(
            "shapefile_zip_ok",
            "parks.zip",
            lambda: shp_zip(parts),
            "ok",
            check=all_of(has_names("人民公园", "淇河湿地"), report_is(format="Shapefile")),
        ),
        Case(
            "shapefile_gbk_no_cpg",
            "parks.zip",
            lambda: shp_zip(gbk_parts),
            "ok",
            check=all_of(has_names("人民公园", "淇河湿地"), warns("GBK")),
        ),
        Case(
            "shapefile_gbk_entry_names",
            "upload.zip",
            lambda: legacy_name_zip({f"道路图层{ext}": b for ext, b in parts.items()}),
            "ok",
            check=all_of(
                has_names("人民公园", "淇河湿地"),
                report_is(dataset_name="道路图层"),
                lambda g: g.attrs["title"] == "道路图层" or _fail(g),
            ),
        ),
        Case(
            "gpkg_ok",
            "parks.gpkg",
            lambda: gpkg_bytes({"parks": parks}),
            "ok",
            check=has_names("人民公园", "淇河湿地"),
        ),
        Case(
            "csv_chinese_headers_gbk",
            "sites.csv",
            lambda: f"名称,经度,纬度\n人民公园,{HEBI_LON},{HEBI_LAT}\n".encode("gbk"),
            "ok",
            check=all_of(
                lambda g: near(g, HEBI_LON, HEBI_LAT),
                warns("WGS84"),
                lambda g: g["名称"].tolist() == ["人民公园"] or _fail(g),
            ),
        ),
        Case(
            "csv_xy_utf8_bom",
            "sites.csv",
            lambda: f"\ufeffname,X,Y\n人民公园,{HEBI_LON},{HEBI_LAT}\n".encode(),
            "ok",
            check=all_of(has_names("人民公园"), lambda g: near(g, HEBI_LON, HEBI_LAT)),
        ),
        Case(
            "kml_ok",
            "sites.kml",
            lambda: kml(placemark("人民公园", HEBI_LON, HEBI_LAT)),
            "ok",
            check=all_of(
                lambda g: g["Name"].tolist() == ["人民公园"] or _fail(g),
                lambda g: near(g, HEBI_LON, HEBI_LAT),
            ),
        ),
        Case(
            "kmz_ok",
            "sites.kmz",
            lambda: zip_bytes({"doc.kml": kml(placemark("人民公园", HEBI_LON, HEBI_LAT))}),
            "ok",
            check=lambda g: near(g, HEBI_LON, HEBI_LAT),
        ),
        # ---- CRS ----
        Case(
            "legacy_crs_4547",
            "gk.geojson",
            lambda: jbytes(
                fc(
                    [feat(point(x47, y47))],
                    crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}},
                )
            ),
            "ok",
            check=all_of(
                lambda g: near(g, HEBI_LON, HEBI_LAT),
                report_is(crs_source="legacy GeoJSON crs member"),
                lambda g: "EPSG:4547" in g.attrs["import_report"]["crs_found"] or _fail(g),
            ),
        ),
        Case(
            "legacy_crs_4527_zone_prefix",
            "gk39.geojson",
            lambda: jbytes(
                fc([feat(point(x27, y27))], crs={"type": "EPSG", "properties": {"code": 4527}})
            ),
            "ok",
            check=lambda g: near(g, HEBI_LON, HEBI_LAT),
        ),
        Case(
            "shapefile_cgcs2000_gk_zone38_prefix",
            "gk38.zip",
            lambda: shp_zip(gk26_parts, "gk38"),
            "ok",
            check=all_of(
                lambda g: near(g, HEBI_LON, HEBI_LAT),
                lambda g: "4526" in g.attrs["import_report"]["crs_found"] or _fail(g),
            ),
        ),
        Case(
            "unknown_epsg_999999",
            "x.geojson",
            lambda: jbytes(
                fc(
                    [feat(point(x47, y47))],
                    crs={"type": "name", "properties": {"name": "EPSG:999999"}},
                )
            ),
            "refused",
            "无法识别",
            "not recognised",
        ),
        Case(
            "metres_without_crs",
            "m.geojson",
            lambda: jbytes(fc([feat(point(x47, y47))])),
            "refused",
            "EPSG:4547",
            "metres",
        ),
        Case(
            "shapefile_zone_prefix_without_prj",
            "noprj.zip",
            lambda: shp_zip(noprj_parts, "gk38"),
            "refused",
            "第 38 带，EPSG:4526",
            "zone 38",
        ),
        Case(
            "metres_declared_as_degrees",
            "m.geojson",
            lambda: jbytes(
                fc(
                    [feat(point(x26, y26))],
                    crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
                )
            ),
            "refused",
            "超出经纬度范围",
            "outside the degree range",
        ),
        Case(
            "swapped_lat_lon_csv",
            "s.csv",
            lambda: f"name,lon,lat\na,{HEBI_LAT},{HEBI_LON}\n".encode(),
            "refused",
            "颠倒",
            "swapped",
        ),
        Case(
            "swapped_lat_gt_90",
            "s.geojson",
            lambda: jbytes(fc([feat(point(35.75, 114.3))])),
            "refused",
            "颠倒",
            "swapped",
        ),
        # ---- wrong format behind the extension ----
        Case(
            "png_as_geojson",
            "a.geojson",
            lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            "refused",
            "PNG",
            "PNG",
        ),
        Case("zip_as_gpkg", "a.gpkg", lambda: shp_zip(parts), "refused", "ZIP", "ZIP"),
        Case("geojson_as_kml", "a.kml", lambda: jbytes(ok_fc), "refused", "JSON", "JSON"),
        Case(
            "html_as_csv",
            "a.csv",
            lambda: b"<html><body>hi</body></html>",
            "refused",
            "HTML",
            "HTML",
        ),
        Case("sqlite_not_gpkg", "a.gpkg", lambda: _plain_sqlite(), "refused", "SQLite", "SQLite"),
        Case("bare_shp", "parks.shp", lambda: parts[".shp"], "refused", "zip", "zip"),
        Case(
            "unsupported_dxf",
            "a.dxf",
            lambda: b"0\nSECTION\n",
            "refused",
            "不支持",
            "not supported",
        ),
        Case("empty_file", "a.geojson", lambda: b"", "refused", "空", "empty"),
        # ---- broken JSON ----
        Case(
            "truncated_json",
            "a.geojson",
            lambda: jbytes(ok_fc)[:-7],
            "refused",
            "语法错误",
            "syntax error",
        ),
        Case(
            "json_not_geojson",
            "a.geojson",
            lambda: b'{"hello": [1, 2, 3]}',
            "refused",
            "不是 GeoJSON",
            "not GeoJSON",
        ),
        Case(
            "deeply_nested",
            "a.geojson",
            lambda: (
                b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                b'{"a":' + b"[" * 200_000 + b"]" * 200_000 + b'},"geometry":null}]}'
            ),
            "refused",
            "嵌套过深",
            "nested too deeply",
        ),
        # ---- broken geometry ----
        Case(
            "bowtie",
            "b.geojson",
            lambda: jbytes(
                fc(
                    [
                        feat(
                            {
                                "type": "Polygon",
                                "coordinates": [
                                    [
                                        [HEBI_LON, HEBI_LAT],
                                        [HEBI_LON + 0.01, HEBI_LAT + 0.01],
                                        [HEBI_LON + 0.01, HEBI_LAT],
                                        [HEBI_LON, HEBI_LAT + 0.01],
                                        [HEBI_LON, HEBI_LAT],
                                    ]
                                ],
                            },
                            name="蝴蝶地块",
                        )
                    ]
                )
            ),
            "ok",
            check=all_of(
                _bowtie_check, report_is(repaired=1, repaired_features=[1]), warns("蝴蝶地块")
            ),
        ),
        Case(
            "unclosed_ring",
            "u.geojson",
            lambda: jbytes(
                fc(
                    [
                        feat(
                            {
                                "type": "Polygon",
                                "coordinates": [
                                    [
                                        [HEBI_LON, HEBI_LAT],
                                        [HEBI_LON + 0.01, HEBI_LAT],
                                        [HEBI_LON + 0.01, HEBI_LAT + 0.01],
                                        [HEBI_LON, HEBI_LAT + 0.01],
                                    ]
                                ],
                            }
                        )
                    ]
                )
            ),
            "ok",
            check=all_of(
                report_is(repaired=1),
                lambda g: abs(g.geometry.iloc[0].area - 1e-4) < 1e-12 or _fail(g),
            ),
        ),
        Case(
            "nan_infinity_coords",
            "n.geojson",
            lambda: (
                b'{"type":"FeatureCollection","features":['
                b'{"type":"Feature","properties":{"name":"bad"},"geometry":{"type":"Point",'
                b'"coordinates":[NaN, Infinity]}},'
                b'{"type":"Feature","properties":{"name":"good"},"geometry":{"type":"Point",'
                b'"coordinates":[114.3, 35.75]}}]}'
            ),
            "ok",
            check=all_of(
                has_names("good"),
                report_is(skipped=1, skipped_features=[1], features_in_file=2),
                warns("bad"),
            ),
        ),
        Case(
            "only_nan_coords",
            "n.geojson",
            lambda: (
                b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                b'"geometry":{"type":"Point","coordinates":[NaN, NaN]}}]}'
            ),
            "refused",
            "没有可用的几何",
            "no usable geometry",
        ),
        Case(
            "null_and_empty_geometry",
            "e.geojson",
            lambda: jbytes(
                fc(
                    [
                        feat(None, name="无位置"),
                        feat({"type": "Polygon", "coordinates": []}, name="空"),
                        feat(square(HEBI_LON, HEBI_LAT), name="有效"),
                    ]
                )
            ),
            "ok",
            check=all_of(
                has_names("有效"),
                report_is(skipped=2, features=1),
                lambda g: g.attrs["import_report"]["skipped_by_reason"]["null"] == 1 or _fail(g),
            ),
        ),
        Case(
            "hole_outside_shell",
            "h.geojson",
            lambda: jbytes(
                fc(
                    [
                        feat(
                            {
                                "type": "Polygon",
                                "coordinates": [
                                    square(HEBI_LON, HEBI_LAT)["coordinates"][0],
                                    square(HEBI_LON + 0.05, HEBI_LAT)["coordinates"][0],
                                ],
                            },
                            name="坏洞",
                        ),
                        feat(square(HEBI_LON, HEBI_LAT), name="好"),
                    ]
                )
            ),
            "ok",
            check=all_of(
                has_names("好"),
                lambda g: g.attrs["import_report"]["skipped_by_reason"]["invalid"] == 1 or _fail(g),
                warns("坏洞"),
            ),
        ),
        # ---- huge data ----
        Case("zip_bomb", "bomb.zip", zip_bomb, "refused", "压缩炸弹", "zip bomb"),
        # ---- zip tricks ----
        Case(
            "zip_dotdot",
            "z.zip",
            lambda: zip_bytes({"../../evil.geojson": jbytes(ok_fc)}),
            "refused",
            "不安全的路径",
            "unsafe paths",
        ),
        Case(
            "zip_absolute",
            "z.zip",
            lambda: zip_bytes({"/tmp/evil.geojson": jbytes(ok_fc)}),
            "refused",
            "不安全的路径",
            "unsafe paths",
        ),
        Case(
            "zip_symlink",
            "z.zip",
            lambda: zip_bytes({"a.geojson": jbytes(ok_fc)}, symlinks={"b.csv": "/etc/passwd"}),
            "refused",
            "符号链接",
            "symbolic links",
        ),
        Case(
            "zip_nested",
            "z.zip",
            lambda: zip_bytes({"inner.zip": shp_zip(parts)}),
            "refused",
            "套有压缩包",
            "another archive",
        ),
        Case(
            "zip_missing_shx",
            "z.zip",
            lambda: shp_zip(parts, drop=(".shx",)),
            "refused",
            "缺少 .shx",
            "lacks the .shx",
        ),
        Case(
            "zip_missing_dbf",
            "z.zip",
            lambda: shp_zip(parts, drop=(".dbf",)),
            "refused",
            ".dbf",
            ".dbf",
        ),
        Case(
            "zip_two_layers",
            "z.zip",
            lambda: zip_bytes(
                {**{f"a{k}": v for k, v in parts.items()}, **{f"b{k}": v for k, v in parts.items()}}
            ),
            "refused",
            "2 个图层",
            "2 layers",
        ),
        Case(
            "zip_nothing_readable",
            "z.zip",
            lambda: zip_bytes({"readme.txt": b"hello"}),
            "refused",
            "没有可读取的图层",
            "no readable layer",
        ),
        Case(
            "gpkg_two_layers",
            "two.gpkg",
            lambda: gpkg_bytes({"parks": parks, "more": parks}),
            "refused",
            "2 个图层",
            "2 layers",
        ),
        # ---- XML entities ----
        Case(
            "kml_xxe",
            "x.kml",
            lambda: kml(
                placemark("&xxe;", HEBI_LON, HEBI_LAT),
                '<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
            ),
            "refused",
            "DOCTYPE",
            "DOCTYPE",
        ),
        Case(
            "kml_billion_laughs",
            "x.kml",
            lambda: kml(
                placemark("&l9;", HEBI_LON, HEBI_LAT),
                "<!DOCTYPE kml ["
                + "".join(
                    f'<!ENTITY l{i} "' + (f"&l{i - 1};" * 10 if i else "lol") + '">'
                    for i in range(10)
                )
                + "]>",
            ),
            "refused",
            "DOCTYPE",
            "DOCTYPE",
        ),
        Case(
            "kmz_xxe",
            "x.kmz",
            lambda: zip_bytes(
                {
                    "doc.kml": kml(
                        placemark("&xxe;", HEBI_LON, HEBI_LAT),
                        '<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                    )
                }
            ),
            "refused",
            "DOCTYPE",
            "DOCTYPE",
        ),
        # ---- VRT/GDALG disguised: must not read a server file ----
        Case(
            "vrt_as_geojson_file",
            "v.geojson",
            lambda: vrt("CSV:/etc/passwd"),
            "refused",
            "VRT",
            "VRT",
        ),
        Case("vrt_as_gpkg_file", "v.gpkg", lambda: vrt("CSV:/etc/passwd"), "refused", "VRT", "VRT"),
        Case("vrt_as_kml_file", "v.kml", lambda: vrt("CSV:/etc/passwd"), "refused", "VRT", "VRT"),
        Case(
            "vrt_as_csv_environ",
            "v.csv",
            lambda: vrt("CSV:/proc/self/environ"),
            "refused",
            "VRT",
            "VRT",
        ),
        Case(
            "vrt_as_shp_in_zip",
            "v.zip",
            lambda: zip_bytes(
                {"leak.shp": vrt("CSV:/etc/passwd"), "leak.shx": b"x", "leak.dbf": b"x"}
            ),
            "refused",
            "无法读取",
            "could not be read",
        ),
        Case(
            "gdalg_as_geojson",
            "g.geojson",
            lambda: jbytes(
                {
                    "type": "gdal_streamed_alg",
                    "command_line": "gdal vector pipeline ! read --input-format CSV /etc/passwd",
                }
            ),
            "refused",
            "不是 GeoJSON",
            "not GeoJSON",
        ),
        Case(
            "geojson_in_zip_is_vrt",
            "v.zip",
            lambda: zip_bytes({"a.geojson": vrt("CSV:/etc/passwd")}),
            "refused",
            "VRT",
            "VRT",
        ),
        # ---- VRT pointing at the loopback probe: must make no request ----
        Case(
            "vrt_url_as_geojson",
            "n.geojson",
            lambda: vrt(f"/vsicurl/{probe_url()}/a.csv"),
            "refused",
            "VRT",
            "VRT",
            network=True,
        ),
        Case(
            "vrt_url_as_kml",
            "n.kml",
            lambda: vrt(f"/vsicurl/{probe_url()}/a.csv"),
            "refused",
            "VRT",
            "VRT",
            network=True,
        ),
        Case(
            "vrt_url_as_csv",
            "n.csv",
            lambda: vrt(f"CSV:/vsicurl/{probe_url()}/a.csv"),
            "refused",
            "VRT",
            "VRT",
            network=True,
        ),
        Case(
            "vrt_url_as_gpkg",
            "n.gpkg",
            lambda: vrt(f"/vsicurl/{probe_url()}/a.gpkg"),
            "refused",
            "VRT",
            "VRT",
            network=True,
        ),
        Case(
            "vrt_url_as_shp_in_zip",
            "n.zip",
            lambda: zip_bytes(
                {"n.shp": vrt(f"/vsicurl/{probe_url()}/a.csv"), "n.shx": b"x", "n.dbf": b"x"}
            ),
            "refused",
            "无法读取",
            "could not be read",
            network=True,
        ),
        Case(
            "kml_networklink",
            "n.kml",
            lambda: kml(
                placemark("人民公园", HEBI_LON, HEBI_LAT)
                + f"<NetworkLink><Link><href>{probe_url()}/x.kml</href>"
                "</Link></NetworkLink>"
            ),
            "ok",
            check=lambda g: near(g, HEBI_LON, HEBI_LAT),
            network=True,
        ),
        Case(
            "geojson_url_in_values",
            "n.geojson",
            lambda: jbytes(
                fc([feat(point(HEBI_LON, HEBI_LAT), href=f"/vsicurl/{probe_url()}/a.csv")])
            ),
            "ok",
            check=lambda g: g["href"].iloc[0].startswith("/vsicurl/") or _fail(g),
            network=True,
        ),
        # ---- GeoPackage with a trigger and VRT-ish content ----
        Case(
            "gpkg_trigger_and_vrt_text",
            "t.gpkg",
            lambda: gpkg_bytes(
                {"parks": parks.assign(note=vrt("CSV:/etc/passwd").decode())},
                sql=[
                    "CREATE TABLE log (x TEXT)",
                    "CREATE TRIGGER t_upd AFTER UPDATE ON parks BEGIN "
                    "INSERT INTO log VALUES ('fired'); END",
                    "CREATE TRIGGER t_ins AFTER INSERT ON parks BEGIN "
                    "INSERT INTO log VALUES ('fired'); END",
                ],
            ),
            "ok",
            check=all_of(
                has_names("人民公园", "淇河湿地"),
                lambda g: g["note"].iloc[0].startswith("<OGRVRTDataSource") or _fail(g),
            ),
        ),
        # ---- HTML/JS in values, keys and layer names: kept as text ----
        Case(
            "html_js_in_values_and_keys",
            "x.geojson",
            lambda: jbytes(fc([feat(point(HEBI_LON, HEBI_LAT), name=XSS, **{XSS: TEMPLATE})])),
            "ok",
            check=lambda g: (g["name"].iloc[0] == XSS and g[XSS].iloc[0] == TEMPLATE) or _fail(g),
        ),
        Case(
            "html_js_in_gpkg_layer_name",
            "x.gpkg",
            lambda: rename_gpkg_layer(
                gpkg_bytes({"parks": parks}), "parks", "<script>window.__pwned=4</script>"
            ),
            "ok",
            check=lambda g: (
                g.attrs["import_report"]["dataset_name"] == "<script>window.__pwned=4</script>"
                or _fail(g)
            ),
        ),
        Case(
            "html_js_in_kml_folder_names",
            "x.kml",
            lambda: kml(
                "<Folder><name>&lt;img src=x onerror=window.__pwned=5&gt;</name>"
                + placemark("a", HEBI_LON, HEBI_LAT)
                + "</Folder><Folder><name>B</name>"
                + placemark("b", HEBI_LON, HEBI_LAT)
                + "</Folder>"
            ),
            "ok",
            check=lambda g: (
                g["kml_folder"].tolist() == ["<img src=x onerror=window.__pwned=5>", "B"]
                or _fail(g)
            ),
        ),
        Case(
            "csv_formula_cells",
            "f.csv",
            lambda: (
                f'name,lon,lat\n"=HYPERLINK(""http://x"",""y"")",{HEBI_LON},{HEBI_LAT}\n'
                f"@SUM(1),{HEBI_LON},{HEBI_LAT}\n"
            ).encode(),
            "ok",
            check=lambda g: (
                g["name"].tolist() == ['=HYPERLINK("http://x","y")', "@SUM(1)"] or _fail(g)
            ),
        ),
    ]
    return cases


def _plain_sqlite() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "x.db"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE t (a TEXT)")
        con.commit()
        con.close()
        return path.read_bytes()


def _fail(gdf: gpd.GeoDataFrame) -> bool:
    """Fail a check with the frame in the message (used as ``cond or _fail(g)``)."""
    raise AssertionError(gdf.to_dict())
