"""Issue 15: the export refuses unbounded work from a link and writes only regular files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from spatial import ExportError
from spatial.export import prepare_content
from spatial.export_cli import build_parser, main, view_from_args

DAY = "2026-11-24"
# A 1e-7° extent (about 1 cm): exported naively it ran for ~9 minutes.
TINY = "114.3,35.7,114.3000001,35.7000001"


@pytest.mark.parametrize(
    "args",
    [["--bbox", TINY], ["--view", f"http://localhost:8501/map?bbox={TINY}&basemap=none"]],
    ids=["bbox", "view-link"],
)
def test_tiny_extent_is_refused_before_drawing(args: list[str]) -> None:
    view = view_from_args(build_parser().parse_args(["--out", "x.png", *args]))
    with pytest.raises(ExportError) as info:
        prepare_content(view)
    assert "太小" in info.value.zh and "too small" in info.value.en


def test_tiny_extent_cli_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path / "x.png"), "--date", DAY, "--bbox", TINY]) == 2
    assert "too small" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_out_refuses_a_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "map.png"
    link.symlink_to(victim)
    assert (
        main(["--out", str(link), "--date", DAY, "--bbox", "114.2,35.6,114.4,35.8", "--dpi", "72"])
        == 2
    )
    assert "not a regular file" in capsys.readouterr().err
    assert link.is_symlink() and victim.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.png", "victim.txt"]


def test_out_refuses_a_fifo_and_a_directory(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    folder = tmp_path / "folder.png"
    folder.mkdir()
    for out in (fifo, folder):
        assert main(["--out", str(out), "--date", DAY]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.png", "pipe.png"]
    assert not list(folder.iterdir())


def test_regular_file_is_replaced_and_no_part_file_remains(tmp_path: Path) -> None:
    out = tmp_path / "map.png"
    out.write_bytes(b"old")
    assert main(["--out", str(out), "--date", DAY, "--dpi", "72"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]
