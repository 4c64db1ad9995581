"""Desk workspace (issue 15): the file shrinks after removals, has a quota, keeps removed layers."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from spatial import SpatialError
from spatial.storage import GeoPackageWorkspace


def _big(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    return gpd.GeoDataFrame(
        {"text": [f"要素{i}" * 5 for i in range(n)]},
        geometry=gpd.points_from_xy(114 + rng.random(n), 35 + rng.random(n)), crs=4326,
    )


def test_workspace_file_shrinks_after_a_removal(tmp_path: Path) -> None:
    ws = GeoPackageWorkspace(tmp_path / "w.gpkg")
    ws.write_layer("small", _big(10))
    small = ws.path.stat().st_size
    ws.write_layer("big", _big(20_000))
    big = ws.path.stat().st_size
    ws.delete_layer("big")
    after = ws.path.stat().st_size
    assert big > 4 * small and after < small * 1.5  # the freed pages went back
    assert (ws.archive_dir / ws.audit_entries()[0].archive).is_file()  # kept for a restore


def test_quota_refuses_with_a_bilingual_message_and_keeps_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = GeoPackageWorkspace(tmp_path / "w.gpkg")
    ws.write_layer("a", _big(10))
    before = ws.path.read_bytes()
    monkeypatch.setenv("HEBI_WORKSPACE_QUOTA_MB", "0.3")
    with pytest.raises(SpatialError) as err:
        ws.write_layer("big", _big(20_000))
    assert "工作区已满" in err.value.zh and "workspace is full" in err.value.en
    assert ws.path.read_bytes() == before and ws.list_layers() == ["a"]
    assert not list(tmp_path.glob("*.tmp.gpkg"))
    for bad in ("nan", "-1", "inf", "x"):
        monkeypatch.setenv("HEBI_WORKSPACE_QUOTA_MB", bad)
        ws.write_layer("b", _big(5))  # a nonsense setting falls back to the default


def test_desk_server_refuses_a_wide_address(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit import config

    monkeypatch.delenv("HEBI_DATABASE_URL", raising=False)
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file("../app.py", default_timeout=60).run()
    finally:
        config.set_option("server.address", before)
    assert any("127.0.0.1" in e.value and "HEBI_DATABASE_URL" in e.value for e in at.error)
    assert not at.title  # no page was served
