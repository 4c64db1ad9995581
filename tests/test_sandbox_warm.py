"""Warm parser processes (issue 17): started ahead, one run each, limits and privacy as a cold one.

And the columnar transport from the parser: an answer whose buffers lie is
refused as a damaged file, never read out of bounds.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from spatial import LayerImportError, read_user_layer
from spatial._sandbox import _POOL, SandboxError, SandboxLimits, _pool_key, prewarm, run_sandboxed
from spatial.importer._transport import MAGIC, _Body, _decode_layers

_ENTRIES = "tests.hostile.sandbox_entries"


def _workdirs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob(f"hebi-sandbox-{os.getpid()}-*")}


def _parked_pid(entry: str) -> int:
    prewarm(entry)
    assert _POOL.wait_ready(_pool_key(entry, None), timeout=120)
    worker = _POOL._parked[_pool_key(entry, None)]
    return worker.proc.pid


def test_warm_runs_use_the_child_started_ahead_once_each() -> None:
    entry = f"{_ENTRIES}:whoami"
    before = _workdirs()
    ahead = _parked_pid(entry)
    # The parked child has no private directory yet (so it holds no upload).
    assert _workdirs() == before
    first = json.loads(run_sandboxed(entry, b"upload one", warm=True))
    # The next child is started after the run, ahead of the next upload.
    assert _POOL.wait_ready(_pool_key(entry, None), timeout=60)
    next_ahead = _POOL._parked[_pool_key(entry, None)].proc.pid
    second = json.loads(run_sandboxed(entry, b"upload two", warm=True))
    assert first["pid"] == ahead and second["pid"] == next_ahead
    # A new process for the next upload: nothing of the first run is there.
    assert second["pid"] != first["pid"]
    assert first["calls"] == 1 and second["calls"] == 1
    # It works in its own private directory, like a cold child, and that directory is gone.
    for out in (first, second):
        assert out["cwd"] == out["workdir"] == out["home"]
        assert Path(out["workdir"]).name.startswith(f"hebi-sandbox-{os.getpid()}-")
        assert not Path(out["workdir"]).exists()
    assert _workdirs() == before


def test_warm_child_is_limited_like_a_cold_one() -> None:
    entry = f"{_ENTRIES}:spin"
    _parked_pid(entry)
    with pytest.raises(SandboxError) as info:
        run_sandboxed(entry, b"", limits=SandboxLimits(cpu_seconds=1), warm=True)
    assert info.value.kind == "timeout"
    hog = f"{_ENTRIES}:hog"
    _parked_pid(hog)
    with pytest.raises(SandboxError) as info2:
        run_sandboxed(
            hog, b"", limits=SandboxLimits(address_space_bytes=1536 * 1024**2), warm=True
        )
    assert info2.value.kind == "memory"


def test_warm_child_cpu_allowance_starts_at_the_run() -> None:
    # Its imports used CPU time already; the run still gets its whole allowance on top.
    entry = f"{_ENTRIES}:whoami"
    _parked_pid(entry)
    out = json.loads(run_sandboxed(entry, b"x", limits=SandboxLimits(cpu_seconds=7), warm=True))
    assert out["cpu_limit"] >= 7


def test_imported_layer_is_the_same_warm_or_cold(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"name": f"点{i}", "v": i, "f": i / 2},
             "geometry": {"type": "Point", "coordinates": [114.3 + i * 1e-4, 35.7]}}
            for i in range(50)
        ],
    }
    data = json.dumps(doc).encode()
    warm = read_user_layer(data, "a.geojson")
    monkeypatch.setenv("HEBI_WARM_PARSER", "0")
    cold = read_user_layer(data, "a.geojson")
    assert warm.to_json() == cold.to_json()
    assert warm["name"].tolist() == [f"点{i}" for i in range(50)]
    assert warm["v"].tolist() == list(range(50))


def _answer(n: int, offsets: np.ndarray, data: bytes) -> bytes:
    """A parser answer with one text column whose buffers are given (maybe lying)."""
    body = _Body()
    text = {"kind": "str", "validity": None, "offsets": body.add(offsets.astype("<i8").tobytes()),
            "data": body.add(data)}
    wkb = pa.array([bytes.fromhex("0101000000000000000000f03f000000000000f03f")] * n,
                   type=pa.large_binary())
    _validity, g_off, g_data = wkb.buffers()
    geometry = {"validity": None, "offsets": body.add(g_off), "data": body.add(g_data)}
    layer = {"n": n, "columns": [{"name": "name", **text}], "geometry": geometry,
             "report": {}, "warnings": []}
    header = json.dumps({"ok": True, "layers": [layer]}).encode()
    header += b" " * (-(len(MAGIC) + 8 + len(header)) % 8)
    return b"".join([MAGIC, len(header).to_bytes(8, "little"), header, *body.parts])


def test_transport_reads_an_honest_answer() -> None:
    raw = _answer(2, np.array([0, 2, 5]), "ab人".encode())
    (gdf,) = _decode_layers(raw)
    assert gdf["name"].tolist() == ["ab", "人"]
    assert gdf.geometry.x.tolist() == [1.0, 1.0]


@pytest.mark.parametrize(
    ("offsets", "data"),
    [
        (np.array([0, 2, 500]), b"abcde"),  # past the end of the text
        (np.array([0, 4, 2]), b"abcde"),  # going backwards
        (np.array([0, 1, 2]), b"\xff\xfe"),  # not UTF-8
        (np.array([0, 2]), b"ab"),  # one value short
    ],
)
def test_transport_refuses_an_answer_whose_buffers_lie(offsets: np.ndarray, data: bytes) -> None:
    with pytest.raises(LayerImportError) as info:
        _decode_layers(_answer(2, offsets, data))
    assert "损坏" in info.value.zh and "damaged" in info.value.en
