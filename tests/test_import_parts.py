"""Early parts (issue 17): the parser hands a layer's WKB to the app while it checks the layer.

The layer that comes out is the one the parser's checked answer describes, part
or no part: repairs, skipped features, reprojection and reports are exactly as
without parts. A part is used only where the answer says so, and a part or a
reference to one that does not add up is refused as a damaged file, never read
out of bounds. The sandbox reads parts only when asked, within its caps.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pytest
import shapely

from spatial import LayerImportError
from spatial._sandbox import MAX_PARTS, SandboxError, SandboxLimits, run_sandboxed
from spatial.importer import _gdal_child_env, read_user_layers
from spatial.importer._child import _sandbox_entry
from spatial.importer._transport import (
    MAGIC,
    PART_MAGIC,
    _Body,
    _decode_layers,
    _framed,
    _Parts,
    _split,
)

_ENTRIES = "tests.hostile.sandbox_entries"
_PARSER = "spatial.importer._child:_sandbox_entry"
_X, _Y = 114.2, 35.7


def _square(i: int) -> shapely.Polygon:
    x, y = _X + (i % 20) * 1e-3, _Y + (i // 20) * 1e-3
    return shapely.box(x, y, x + 5e-4, y + 5e-4)


def _bowtie(i: int) -> shapely.Polygon:
    x, y = _X + (i % 20) * 1e-3, _Y + (i // 20) * 1e-3
    d = 5e-4
    return shapely.Polygon([(x, y), (x + d, y + d), (x + d, y), (x, y + d), (x, y)])


def _hole_outside(i: int) -> shapely.Polygon:
    # A hole drawn outside its shell: no repair keeps the area as drawn, so it is skipped.
    x, y = _X + (i % 20) * 1e-3, _Y + (i // 20) * 1e-3
    d = 2e-4
    hole = [(x + 3 * d, y), (x + 4 * d, y), (x + 4 * d, y + d), (x + 3 * d, y + d)]
    return shapely.Polygon([(x, y), (x + d, y), (x + d, y + d), (x, y + d)], [hole])


def _gpkg(path: Path, geoms: list[Any], crs: int = 4326, layer: str | None = None) -> None:
    gdf = gpd.GeoDataFrame(
        {"name": [f"地块{i}" for i in range(len(geoms))], "v": list(range(len(geoms)))},
        geometry=gpd.GeoSeries(geoms, crs=4326),
    )
    gdf.to_crs(crs).to_file(path, layer=layer, driver="GPKG")


def _files(folder: Path) -> dict[str, tuple[bytes, str]]:
    """Uploads that take each way through the checks (name: (bytes, file name))."""
    made: dict[str, Path] = {}
    n = 60

    def gpkg(name: str, geoms: list[Any], crs: int = 4326) -> None:
        made[name] = folder / f"{name}.gpkg"
        _gpkg(made[name], geoms, crs)

    squares = [_square(i) for i in range(n)]
    gpkg("valid", squares)
    gpkg("null_and_empty", [None, *squares[1:10], shapely.Polygon(), *squares[11:]])
    gpkg("repaired", [*squares[:5], _bowtie(5), None, *squares[7:]])
    gpkg("unrepairable", [*squares[:5], _hole_outside(5), *squares[6:]])
    gpkg("projected", squares, crs=4547)
    gpkg("points_with_null", [shapely.points(_X + i * 1e-4, _Y) for i in range(n - 1)] + [None])
    made["two_layers"] = folder / "two_layers.gpkg"
    _gpkg(made["two_layers"], squares[:20], layer="a")
    _gpkg(made["two_layers"], [_bowtie(i) for i in range(3)] + squares[3:10], layer="b")
    gj = gpd.GeoDataFrame({"name": ["一", "二", "三"]}, geometry=squares[:3], crs=4326)
    made["geojson"] = folder / "layer.geojson"
    made["geojson"].write_text(gj.to_json())
    return {name: (path.read_bytes(), path.name) for name, path in made.items()}


@pytest.fixture(scope="module")
def uploads(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[bytes, str]]:
    return _files(tmp_path_factory.mktemp("parts"))


def _args(filename: str) -> list[str]:
    kind = "geojson" if filename.endswith(".geojson") else "gpkg"
    opts = {"mode": "read", "layers": None, "coordinates": "wgs84", "single": False}
    return [kind, json.dumps(opts)]


def _without_parts(data: bytes, filename: str, workdir: Path) -> list[gpd.GeoDataFrame]:
    """The same parse in this process, where ``send_part`` declines: every answer is complete."""
    return _decode_layers(b"".join(_sandbox_entry(data, workdir, _args(filename))))


def _same(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    assert a.geometry.to_wkb().tolist() == b.geometry.to_wkb().tolist()
    assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
    assert a.attrs["import_report"] == b.attrs["import_report"]
    assert a.attrs["warnings"] == b.attrs["warnings"]


# Which layers the checked answer takes from a part ("all", "rows": some rows, "no": its own).
_EXPECTED_USE = {
    "valid": ["all"],
    "null_and_empty": ["rows"],
    "repaired": ["no"],
    "unrepairable": ["rows"],
    "projected": ["no"],
    "points_with_null": ["rows"],
    "two_layers": ["all", "no"],
    "geojson": ["all"],
}


@pytest.mark.parametrize("name", sorted(_EXPECTED_USE))
def test_parts_change_no_result(
    name: str, uploads: dict[str, tuple[bytes, str]], tmp_path: Path
) -> None:
    data, filename = uploads[name]
    with_parts = read_user_layers(data, filename)
    without = _without_parts(data, filename, tmp_path)
    assert len(with_parts) == len(without) == len(_EXPECTED_USE[name])
    for a, b in zip(with_parts, without, strict=True):
        _same(a, b)
    # And the answer did lean on the parts where nothing was changed.
    parts = _Parts()
    raw = run_sandboxed(_PARSER, data, _args(filename), env=_gdal_child_env(), on_part=parts.take)
    header, _body = _split(raw, MAGIC)
    used = []
    for layer in header["layers"]:
        ref = layer["geometry"]
        used.append("no" if "part" not in ref else "all" if ref["take"] is None else "rows")
    assert used == _EXPECTED_USE[name]


def test_repairs_and_skips_are_reported_as_before(uploads: dict[str, tuple[bytes, str]]) -> None:
    (repaired,) = read_user_layers(*uploads["repaired"])
    report = repaired.attrs["import_report"]
    assert report["repaired_features"] == [6] and report["skipped_features"] == [7]
    assert repaired.geometry.is_valid.all()
    assert repaired.geometry.iloc[5].geom_type == "MultiPolygon"  # the bow-tie's two triangles
    (skipped,) = read_user_layers(*uploads["unrepairable"])
    report = skipped.attrs["import_report"]
    assert report["skipped_by_reason"]["invalid"] == 1 and report["skipped_features"] == [6]
    assert report["repaired"] == 0 and len(skipped) == 59
    # The kept features are the file's own, in order, from the part.
    assert skipped["v"].tolist() == [v for v in range(60) if v != 5]
    assert skipped.geometry.iloc[5].equals(_square(6))


# --- lying parts and references -----------------------------------------------------------------


def _part(
    wkb: Sequence[bytes | None], offsets: np.ndarray | None = None, n: int | None = None
) -> bytes:
    arr = pa.array(wkb, type=pa.large_binary())
    validity, real_offsets, data = arr.buffers()
    body = _Body()
    geometry = {
        "validity": None if validity is None else body.add(validity),
        "offsets": body.add(real_offsets if offsets is None else offsets.astype("<i8").tobytes()),
        "data": body.add(data),
    }
    doc = {"n": len(wkb) if n is None else n, "geometry": geometry}
    return b"".join(_framed(PART_MAGIC, doc, body))


def _answer(n: int, geometry: dict[str, Any], body: _Body | None = None) -> bytes:
    body = body or _Body()
    layer = {"n": n, "columns": [], "geometry": geometry, "report": {}, "warnings": []}
    return b"".join(_framed(MAGIC, {"ok": True, "layers": [layer]}, body))


_SQUARES = [shapely.to_wkb(_square(i)) for i in range(3)]


def test_an_honest_part_and_reference_are_read() -> None:
    parts = _Parts()
    parts.take(_part(_SQUARES))
    (whole,) = _decode_layers(_answer(3, {"part": 0, "take": None}), parts.geoms)
    assert [g.equals(_square(i)) for i, g in enumerate(whole.geometry)] == [True] * 3
    body = _Body()
    rows = body.add(np.array([2, 0], dtype="<i8").tobytes())
    (some,) = _decode_layers(_answer(2, {"part": 0, "take": rows}, body), parts.geoms)
    assert some.geometry.iloc[0].equals(_square(2)) and some.geometry.iloc[1].equals(_square(0))


@pytest.mark.parametrize(
    "part",
    [
        _part(_SQUARES, offsets=np.array([0, 10, 5, 20])),  # offsets going backwards
        _part(_SQUARES, offsets=np.array([0, 93, 186, 10**6])),  # past the end of the data
        _part(_SQUARES, n=4),  # one value short
        _part([b"\x01\x03\x00\x00\x00\xff\xff\xff\x7f"]),  # a polygon of 2**31 rings: not WKB
        _part(_SQUARES, n=-1),
        b"HEBI-LAYERS-2\n" + _part(_SQUARES)[len(PART_MAGIC) :],  # not a part
    ],
    ids=["backwards", "past-end", "short", "not-wkb", "negative", "magic"],
)
def test_a_part_that_lies_stops_the_run(part: bytes) -> None:
    with pytest.raises(SandboxError) as info:
        _Parts().take(part)
    assert info.value.kind == "crashed"


def _rows(values: list[int]) -> tuple[dict[str, Any], _Body]:
    body = _Body()
    return {"part": 0, "take": body.add(np.array(values, dtype="<i8").tobytes())}, body


@pytest.mark.parametrize(
    ("n", "geometry"),
    [
        (3, {"part": 1, "take": None}),  # no such part
        (3, {"part": True, "take": None}),  # not a number
        (2, {"part": 0, "take": None}),  # all of a part of another length
        (2, _rows([0, 3])),  # a row outside the part
        (2, _rows([-1, 0])),
        (3, _rows([0, 1])),  # fewer rows than features
    ],
    ids=["no-part", "bool", "length", "row-past", "row-negative", "rows-short"],
)
def test_a_reference_that_lies_is_refused(n: int, geometry: Any) -> None:
    if isinstance(geometry, tuple):
        geometry, body = geometry
    else:
        body = None
    parts = _Parts()
    parts.take(_part(_SQUARES))
    with pytest.raises(LayerImportError) as info:
        _decode_layers(_answer(n, geometry, body), parts.geoms)
    assert "损坏" in info.value.zh and "damaged" in info.value.en


# --- the sandbox's side -------------------------------------------------------------------------


def test_parts_reach_the_caller_in_order_before_the_answer() -> None:
    got: list[bytes] = []
    out = run_sandboxed(f"{_ENTRIES}:parts", b"one,two,three", on_part=got.append)
    assert got == [b"one", b"two", b"three"]
    assert json.loads(out) == [0, 1, 2]


def test_without_a_listener_the_child_sends_no_part() -> None:
    assert json.loads(run_sandboxed(f"{_ENTRIES}:parts", b"one,two")) == [None, None]


def test_no_more_parts_than_the_limit() -> None:
    got: list[bytes] = []
    pieces = b",".join(b"%d" % i for i in range(MAX_PARTS + 2))
    numbers = json.loads(run_sandboxed(f"{_ENTRIES}:parts", pieces, on_part=got.append))
    assert numbers == [*range(MAX_PARTS), None, None]
    assert len(got) == MAX_PARTS


@pytest.mark.parametrize(
    ("args", "listening"),
    [
        (["1", "write"], False),  # a part nobody asked for
        (["1", "none"], True),  # announced, never written
        ([str(MAX_PARTS + 1), "write"], True),  # beyond the limit
    ],
    ids=["unasked", "missing", "too-many"],
)
def test_a_child_that_lies_about_parts_is_a_crash(args: list[str], listening: bool) -> None:
    got: list[bytes] = []
    with pytest.raises(SandboxError) as info:
        run_sandboxed(f"{_ENTRIES}:announce", b"", args, on_part=got.append if listening else None)
    assert info.value.kind == "crashed"
    assert len(got) <= MAX_PARTS


def test_parts_count_against_the_output_cap() -> None:
    got: list[bytes] = []
    limits = SandboxLimits(file_bytes=1024**2)
    with pytest.raises(SandboxError) as info:
        run_sandboxed(
            f"{_ENTRIES}:parts",
            b"x" * 700_000 + b"," + b"y" * 700_000,
            limits=limits,
            on_part=got.append,
        )
    assert info.value.kind == "output_too_large"
    assert len(got) == 1  # the first fitted; the second would have passed the cap


def test_a_failure_after_a_part_is_still_a_failure() -> None:
    got: list[bytes] = []
    with pytest.raises(SandboxError) as info:
        run_sandboxed(f"{_ENTRIES}:part_then_crash", b"", on_part=got.append)
    assert info.value.kind == "crashed"
    assert got == [b"early"]


def test_a_listener_that_refuses_a_part_stops_the_child() -> None:
    def refuse(part: bytes) -> None:
        raise SandboxError("crashed", "bad part")

    with pytest.raises(SandboxError) as info:
        run_sandboxed(f"{_ENTRIES}:parts", b"one,two", on_part=refuse)
    assert str(info.value) == "crashed: bad part"
