"""Tables on screen (one way to hand a DataFrame to ``st.dataframe``) and download names.

Streamlit prints a missing value as the word ``None`` and shows pandas' row
index (0, 1, …) as an unlabelled first column; neither means anything to a
planner. :func:`display_frame` prepares a table (missing values as empty cells,
fixed decimals where asked) and :func:`show_table` draws it without the index.
:func:`download_name` names a downloaded file in the user's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st
from pandas.api.types import is_bool_dtype, is_numeric_dtype

__all__ = ["display_frame", "download_name", "show_table"]

# Letters (Chinese too), digits, "_" and "-": nothing a browser or a file system reads as syntax.
_UNSAFE = re.compile(r"[^\w\-]+")


def download_name(stem: str, ext: str) -> str:
    """Return a download's file name, e.g. ``规划指标表.csv`` (the stem in the user's language).

    Only letters (Chinese included), digits, ``_`` and ``-`` are kept from ``stem``
    (a layer title typed by a user may hold anything).

    Examples
    --------
    >>> download_name("公园 / <b>甲</b>", "csv")
    '公园-b-甲-b.csv'
    """
    return f"{_UNSAFE.sub('-', stem).strip('-') or 'download'}.{ext}"


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list or an array in a cell
        return False


def display_frame(
    frame: pd.DataFrame, decimals: Mapping[str, int] | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Return a table ready for the screen and the column settings it needs.

    Missing values become empty cells. A numeric column named in ``decimals``
    shows that many decimals: through a number format (it still sorts as
    numbers) when it is complete, as text when it has gaps (Streamlit would
    print ``None`` in a number column). The index is dropped.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as computed (headers already in the user's language).
    decimals : mapping of str to int, optional
        Header → decimals to show.

    Returns
    -------
    tuple of (pandas.DataFrame, dict)
        The table, and ``column_config`` for ``st.dataframe``.
    """
    out = frame.reset_index(drop=True)
    config: dict[str, Any] = {}
    for col in out.columns:
        series = out[col]
        places = (decimals or {}).get(str(col))
        gaps = series.map(_missing)
        numeric = is_numeric_dtype(series) and not is_bool_dtype(series)
        if places is not None and numeric and not gaps.any():
            config[str(col)] = st.column_config.NumberColumn(format=f"%.{places}f")
        elif places is not None and numeric:
            out[col] = [("" if gap else f"{float(v):.{places}f}")
                        for v, gap in zip(series, gaps, strict=True)]
        elif gaps.any():
            out[col] = series.astype(object).where(~gaps, "")
    return out, config


def show_table(
    frame: pd.DataFrame,
    *,
    decimals: Mapping[str, int] | None = None,
    column_config: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Draw a table with :func:`display_frame`, no index column; returns the widget's value.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    decimals : mapping of str to int, optional
        Header → decimals to show.
    column_config : mapping, optional
        Further column settings (they win over the decimals' formats).
    **kwargs
        Passed on to ``st.dataframe`` (``key``, ``width``, ``on_select``, …).
    """
    shown, config = display_frame(frame, decimals)
    return st.dataframe(shown, hide_index=True, column_config={**config, **(column_config or {})},
                        **kwargs)
