"""ui.tables: what a table looks like on screen (no None, no row numbers) and download names."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd

import ui.tables
from ui.tables import display_frame, download_name


def test_missing_values_are_empty_cells_and_the_index_is_dropped() -> None:
    frame = pd.DataFrame({"名称": ["甲", None], "长度（千米）": [4.187, np.nan], "户数": [3, 4]},
                         index=[7, 9])
    shown, config = display_frame(frame, {"长度（千米）": 2, "户数": 0})
    assert list(shown.index) == [0, 1]
    assert list(shown["名称"]) == ["甲", ""]
    assert list(shown["长度（千米）"]) == ["4.19", ""]  # gaps: text with fixed decimals
    assert config["户数"]["type_config"]["format"] == "%.0f"  # complete: numbers, formatted
    assert shown["户数"].tolist() == [3, 4]


def test_download_names_keep_chinese_and_drop_syntax() -> None:
    assert download_name("鹤壁经开区规划图-2026-12-03", "pdf") == "鹤壁经开区规划图-2026-12-03.pdf"
    assert download_name("../<x>", "csv") == "x.csv"
    assert download_name("///", "csv") == "download.csv"
    assert doctest.testmod(ui.tables).failed == 0
