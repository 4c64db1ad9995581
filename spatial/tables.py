"""Downloads: CSV that Excel opens safely and in the right encoding, and GeoPackages.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (CSV/formula injection, OWASP), so attribute text from a layer could
run a formula on the planner's machine. Text cells that start with one of these
(or with a tab / carriage return, which some spreadsheets skip before parsing)
get a leading apostrophe, which spreadsheets show as plain text. Numbers stay
numbers: a negative number is written as a number, not as text.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

__all__ = ["neutralise_cell", "to_gpkg_bytes", "to_safe_csv"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` with a ``'`` prefix if it is text that a spreadsheet would run.

    Examples
    --------
    >>> neutralise_cell("=1+1")
    "'=1+1"
    >>> neutralise_cell(-3.5)
    -3.5
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_safe_csv(df: pd.DataFrame) -> bytes:
    """Serialise a table as formula-injection-safe CSV, UTF-8 with BOM.

    The byte-order mark makes Excel read the file as UTF-8, so Chinese text is
    not garbled. Column names are neutralised like cells.

    Parameters
    ----------
    df : DataFrame
        Any table; the index is not written.

    Returns
    -------
    bytes
        The CSV file content.
    """
    safe = df.copy()
    safe.columns = [neutralise_cell(str(c)) for c in safe.columns]
    for col in safe.columns:
        series = safe[col]
        if series.dtype == object or isinstance(series.dtype, pd.StringDtype):
            safe[col] = series.map(neutralise_cell).astype(object)
    text: str = safe.to_csv(index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


def to_gpkg_bytes(layers: Mapping[str, gpd.GeoDataFrame]) -> bytes:
    """Write layers into one GeoPackage and return the file's bytes.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Layer name → layer (written in its own CRS; pass WGS84 for exchange).

    Returns
    -------
    bytes
        The ``.gpkg`` file content (for a download button or to save).
    """
    with tempfile.TemporaryDirectory(prefix="gpkg-") as tmp:
        path = Path(tmp) / "layers.gpkg"
        for name, gdf in layers.items():
            pyogrio.write_dataframe(
                gdf, path, layer=name, driver="GPKG", append=path.exists(), promote_to_multi=False
            )
        return path.read_bytes()
