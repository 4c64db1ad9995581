"""The one ending every command line shares: exit status and a message without path or traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from spatial._errors import SpatialError
from spatial.cli_common import run_command


def test_work_done_is_status_0(capsys: pytest.CaptureFixture[str]) -> None:
    done: list[int] = []
    assert run_command(lambda: done.append(1)) == 0
    assert done == [1] and capsys.readouterr().err == ""


def test_a_refusal_is_status_2_in_both_languages(capsys: pytest.CaptureFixture[str]) -> None:
    def refuse() -> None:
        raise SpatialError("不行。", "No.")

    assert run_command(refuse, failure="出图失败 / Export failed: ") == 2
    assert capsys.readouterr().err.strip() == "出图失败 / Export failed: 不行。 / No."


def test_a_file_error_names_no_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    secret = tmp_path / "服务器目录" / "x.pdf"
    assert run_command(lambda: secret.read_bytes()) == 2
    err = capsys.readouterr().err
    assert "Cannot read or write a file" in err and "No such file" in err
    assert str(tmp_path) not in err and "Traceback" not in err
