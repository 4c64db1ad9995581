"""Import of user layers: the hostile corpus, the sandbox, and controls proving the corpus bites.

Each corpus case is run through the public ``read_user_layer`` (so through the
sandboxed child process), and must either come out right or be refused with a
message that a planner can act on, in Chinese and English, without paths,
tracebacks or library names.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest

from spatial import LayerImportError, escape_text, read_user_layer
from spatial._sandbox import SandboxError, SandboxLimits, run_sandboxed
from spatial.importer import MAX_INFLATED_BYTES, MAX_UPLOAD_BYTES
from spatial.importer._archives import _inspect_zip
from spatial.tables import to_safe_csv
from tests.hostile import corpus as hc

CASES = hc.corpus()
_JARGON = (
    "Traceback",
    "pyogrio",
    "DataSourceError",
    "GEOS",
    "OGR",
    "GDAL",
    "Exception",
    "/tmp",
    "/work",
    "/etc",
    "/proc",
    "vsizip",
    "sandbox",
)


def _assert_plain_message(err: LayerImportError) -> None:
    text = str(err)
    assert " / " in text and err.zh and err.en
    for word in _JARGON:
        assert word not in text, (word, text)


# --- loopback probe: counts any request the importer would make ---------------------------------


class _Probe(http.server.ThreadingHTTPServer):
    hits: list[str]


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        body = b"a,b\n1,2\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def probe() -> Iterator[_Probe]:
    server = _Probe(("127.0.0.1", 0), _Handler)
    server.hits = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hc.set_probe_url(f"http://127.0.0.1:{server.server_address[1]}")
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# --- the corpus ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_corpus_case(case: hc.Case, probe: _Probe) -> None:
    data = case.build()
    before = len(probe.hits)
    if case.expect == "refused":
        with pytest.raises(LayerImportError) as info:
            read_user_layer(data, case.filename)
        err = info.value
        assert case.zh in err.zh, err.zh
        assert case.en in err.en, err.en
        _assert_plain_message(err)
        assert hc.PASSWD_MARKER not in str(err)
    else:
        gdf = read_user_layer(data, case.filename)
        assert isinstance(gdf, gpd.GeoDataFrame)
        assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
        assert all(isinstance(w, str) and " / " in w for w in gdf.attrs["warnings"])
        report = gdf.attrs["import_report"]
        assert report["features"] == len(gdf)
        assert sum(report["geometry_types"].values()) == len(gdf)
        assert report["skipped"] + report["features"] == report["features_in_file"]
        assert hc.PASSWD_MARKER not in gdf.to_json()
        assert gdf.geometry.is_valid.all()
        assert case.check is not None
        case.check(gdf)
    # Nothing in the corpus may make a network request, whatever the outcome.
    assert probe.hits[before:] == []


def test_corpus_covers_every_attack_class() -> None:
    ids = {c.id for c in CASES}
    for needle in (
        "vrt_",
        "zip_bomb",
        "zip_dotdot",
        "zip_symlink",
        "kml_xxe",
        "billion",
        "gbk",
        "bowtie",
        "nan",
        "999999",
        "4547",
        "swapped",
        "nested",
        "html_js",
        "formula",
        "trigger",
        "gdalg",
        "zone",
    ):
        assert any(needle in i for i in ids), needle


# --- controls: the hostile files really are hostile to a naive loader --------------------------


def test_control_naive_gdal_reads_passwd_and_contacts_probe(tmp_path: Path, probe: _Probe) -> None:
    """Without the defences, the same files leak /etc/passwd and make HTTP requests."""
    leak = tmp_path / "leak.geojson"
    leak.write_bytes(hc.vrt("CSV:/etc/passwd"))
    naive = gpd.read_file(leak)
    assert hc.PASSWD_MARKER in naive.to_csv()

    url = tmp_path / "url.kml"
    url.write_bytes(hc.vrt(f"/vsicurl/{hc.probe_url()}/a.csv"))
    before = len(probe.hits)
    with contextlib.suppress(Exception):  # the CSV it fetches is not a layer; the request counts
        pyogrio.read_dataframe(url)
    assert len(probe.hits) > before


def test_control_bowtie_area_is_zero_unrepaired() -> None:
    case = next(c for c in CASES if c.id == "bowtie")
    raw = gpd.read_file(case.build().decode())
    assert raw.geometry.iloc[0].area == 0 and not raw.geometry.iloc[0].is_valid


def test_control_gbk_shapefile_is_mojibake_when_read_naively(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "shapefile_gbk_no_cpg")
    path = tmp_path / "parks.zip"
    path.write_bytes(case.build())
    naive = gpd.read_file(f"/vsizip/{path}/parks.shp")
    assert naive["name"].iloc[0] != "人民公园"


# --- zip bomb: refused from the central directory, without inflating ---------------------------


def test_zip_bomb_refused_without_inflating(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = hc.zip_bomb()
    infos = zipfile.ZipFile(__import__("io").BytesIO(bomb)).infolist()
    assert len(bomb) < 1024**2 < MAX_INFLATED_BYTES < infos[0].file_size

    def no_inflate(*args: object, **kwargs: object) -> bytes:
        raise AssertionError("the zip was inflated")

    monkeypatch.setattr(zipfile.ZipExtFile, "read", no_inflate)
    monkeypatch.setattr(zipfile.ZipFile, "read", no_inflate)
    with pytest.raises(LayerImportError, match="压缩炸弹"):
        _inspect_zip(bomb, "ZIP")


def test_zip_bomb_is_a_real_one() -> None:
    """The test bomb is honest: its stream inflates to what the directory claims (CRC-checked)."""
    bomb = hc.zip_bomb(8 * 1024**2)  # same construction, small enough to inflate here
    with zipfile.ZipFile(__import__("io").BytesIO(bomb)) as zf:
        assert zf.testzip() is None
        data = zf.read("parcels.geojson")
    assert len(data) > 8 * 1024**2
    assert json.loads(data)["features"][0]["geometry"]["coordinates"] == [114.3, 35.7]


def test_upload_over_the_size_cap_is_refused_before_parsing() -> None:
    with pytest.raises(LayerImportError, match="太大") as info:
        read_user_layer(b" " * (MAX_UPLOAD_BYTES + 1), "big.geojson")
    _assert_plain_message(info.value)


# --- text stays text ----------------------------------------------------------------------------


def test_html_in_values_is_inert_after_escape_text() -> None:
    case = next(c for c in CASES if c.id == "html_js_in_values_and_keys")
    gdf = read_user_layer(case.build(), case.filename)
    for text in [*map(str, gdf.columns), *gdf["name"], *gdf[hc.XSS]]:
        escaped = escape_text(text)
        assert "<" not in escaped and "`" not in escaped and "${" not in escaped


def test_formula_cells_neutralised_on_csv_export() -> None:
    case = next(c for c in CASES if c.id == "csv_formula_cells")
    gdf = read_user_layer(case.build(), case.filename)
    out = to_safe_csv(gdf.drop(columns="geometry")).decode("utf-8-sig")
    assert "'=HYPERLINK" in out and "'@SUM(1)" in out


def test_report_fields_and_title() -> None:
    case = next(c for c in CASES if c.id == "shapefile_cgcs2000_gk_zone38_prefix")
    gdf = read_user_layer(case.build(), "规划/地块 2024.zip")
    rep = gdf.attrs["import_report"]
    assert rep["format"] == "Shapefile" and rep["features"] == 2
    assert rep["geometry_types"] == {"Point": 2}
    assert rep["crs_found"].startswith("EPSG:4526")
    assert rep["crs_source"] == "file" and rep["repaired"] == 0 and rep["skipped"] == 0
    assert gdf.attrs["title"] == "gk38"  # the Shapefile's own name, not the zip's


# --- the sandbox itself -------------------------------------------------------------------------

_ENTRIES = "tests.hostile.sandbox_entries"


def test_sandbox_passes_only_bytes_and_a_minimal_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEBI_TEST_SECRET", "s3cr3t")
    out = json.loads(run_sandboxed(f"{_ENTRIES}:echo", "人民公园".encode(), ["geojson"]))
    assert out["data"] == "人民公园" and out["args"] == ["geojson"]
    assert "HEBI_TEST_SECRET" not in out["env"]
    given = {
        "PATH",
        "LANG",
        "LC_ALL",
        "HOME",
        "TMPDIR",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "MALLOC_ARENA_MAX",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONIOENCODING",
    }
    # Besides what the parent passed, only what GDAL/PROJ set for themselves when loaded.
    extra = {k for k in out["env"] if k not in given}
    assert all(k.startswith(("GDAL_", "PROJ_", "CURL_", "LC_")) for k in extra), extra
    assert not Path(out["workdir"]).exists()  # the private directory is removed


def test_sandbox_cpu_limit() -> None:
    with pytest.raises(SandboxError) as info:
        run_sandboxed(f"{_ENTRIES}:spin", b"", limits=SandboxLimits(cpu_seconds=1))
    assert info.value.kind == "timeout"


def test_sandbox_wall_clock_limit() -> None:
    with pytest.raises(SandboxError) as info:
        run_sandboxed(f"{_ENTRIES}:sleep", b"", limits=SandboxLimits(wall_seconds=2))
    assert info.value.kind == "timeout"


def test_sandbox_memory_limit() -> None:
    with pytest.raises(SandboxError) as info:
        run_sandboxed(
            f"{_ENTRIES}:hog", b"", limits=SandboxLimits(address_space_bytes=1536 * 1024**2)
        )
    assert info.value.kind == "memory"


def test_sandbox_output_limit() -> None:
    with pytest.raises(SandboxError) as info:
        run_sandboxed(f"{_ENTRIES}:flood", b"", limits=SandboxLimits(file_bytes=1024**2))
    assert info.value.kind == "output_too_large"


def test_sandbox_crash_becomes_plain_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SandboxError) as info:
        run_sandboxed(f"{_ENTRIES}:crash", b"")
    assert info.value.kind == "crashed"
    from spatial.importer._common import _sandbox_error

    err = _sandbox_error(info.value)
    _assert_plain_message(err)
    assert "secret" not in str(err)


def test_child_gdal_offers_only_the_allowed_drivers() -> None:
    from spatial.importer import _gdal_child_env

    names = json.loads(run_sandboxed(f"{_ENTRIES}:drivers", b"", env=_gdal_child_env()))
    assert set(names) <= {"GeoJSON", "GPKG", "ESRI Shapefile", "KML", "LIBKML"}
    assert {"GeoJSON", "GPKG", "ESRI Shapefile"} <= set(names)
