"""Statistics sheets uploaded by a planner (CSV or .xlsx), joined to areas by id or name.

A planner's own figures per area (亩均税收, 规上企业数, 产值 …) arrive as a CSV
in UTF-8, UTF-8 with BOM or GBK/GB18030 (what Chinese Excel writes), or as an
.xlsx workbook. :func:`read_sheet` reads one into cell texts, refusing macro
workbooks, other formats and oversize sheets; :func:`join_statistics` matches
the rows to areas by id or by name and parses the numbers. Nothing is dropped
silently: a :class:`JoinReport` lists every row that matches no area, every
area without a row, every key that appears more than once, and every cell of
a numeric column that is not a number.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import math
import re
import unicodedata
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import pandas as pd

from spatial._errors import SpatialError

__all__ = [
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "STATISTICS_KIND",
    "JoinReport",
    "NonNumericCell",
    "RawSheet",
    "SavedSheet",
    "Statistics",
    "StatisticsImportError",
    "UnmatchedRow",
    "decode_csv",
    "first_worksheet",
    "import_statistics",
    "join_statistics",
    "parse_number",
    "read_sheet",
    "saved_sheet",
    "sheet_payload",
    "split_header_unit",
]

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
# An .xlsx is a zip of XML: bound what it may inflate to (a zip bomb is a few kB).
_MAX_XLSX_INFLATED = 50 * 1024 * 1024
_MAX_XLSX_RATIO = 200


class StatisticsImportError(SpatialError):
    """An uploaded statistics sheet cannot be read or joined."""


# --- reading -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawSheet:
    """A sheet as text cells: a header and rows of equal length.

    Attributes
    ----------
    header : tuple of str
        Column names (an empty header cell becomes "列 n").
    rows : tuple of tuple of str
        Cell texts, "" for an empty cell.
    encoding : str
        How the file was read: ``"UTF-8"``, ``"UTF-8 (BOM)"``, ``"UTF-16"``,
        ``"GB18030"`` (GBK is a subset) or ``"xlsx"``.
    row_numbers : tuple of int
        Spreadsheet row number of each row (for messages: "row 5"); blank
        rows are skipped, so the numbers may jump.
    sheet_name : str, optional
        The worksheet read from an .xlsx (the first one).
    """

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    encoding: str
    row_numbers: tuple[int, ...]
    sheet_name: str | None = None


def decode_csv(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes, detecting the encoding.

    Order: a byte-order mark (UTF-8 or UTF-16) wins; else strict UTF-8; else
    strict GB18030 (a superset of GBK and GB2312). Valid Chinese text in GBK is
    practically never valid UTF-8, so the order does not mistake one for the other.

    Returns
    -------
    tuple of str
        The text and the encoding's name.

    Raises
    ------
    StatisticsImportError
        If the bytes are none of these encodings.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8 (BOM)"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            pass
    for codec, name in (("utf-8", "UTF-8"), ("gb18030", "GB18030")):
        try:
            return data.decode(codec, errors="strict"), name
        except UnicodeDecodeError:
            continue
    raise StatisticsImportError(
        "无法识别文件编码：请另存为 UTF-8 或 GBK 编码的 CSV。",
        "The file's text encoding is not recognised: save it as CSV in UTF-8 or GBK.",
    )


def _too_big(what_zh: str, what_en: str) -> StatisticsImportError:
    return StatisticsImportError(
        f"表格过大：{what_zh}。请只上传需要的统计数据。",
        f"The sheet is too large: {what_en}. Upload only the statistics you need.",
    )


def _cell_text(value: Any) -> str:
    """Text of a spreadsheet cell as a planner would read it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _table(cells: Iterable[Sequence[Any]], encoding: str, sheet: str | None) -> RawSheet:
    """Turn raw rows into a RawSheet: skip leading blank rows, bound the size, pad rows."""
    rows: list[list[str]] = []
    numbers: list[int] = []
    header: list[str] | None = None
    for number, raw in enumerate(cells, start=1):
        texts = [_cell_text(v) for v in raw]
        while texts and texts[-1] == "":
            texts.pop()
        if header is None:
            if not texts:
                continue  # blank lines above the header
            header = texts
            continue
        if not texts:
            continue  # a blank row is no data row
        if len(rows) >= MAX_ROWS:
            raise _too_big(f"超过 {MAX_ROWS} 行", f"more than {MAX_ROWS} rows")
        rows.append(texts)
        numbers.append(number)
    if header is None:
        raise StatisticsImportError("表格是空的。", "The sheet is empty.")
    width = max([len(header), *(len(r) for r in rows)])
    if width > MAX_COLUMNS:
        raise _too_big(f"超过 {MAX_COLUMNS} 列", f"more than {MAX_COLUMNS} columns")
    names: list[str] = []
    for i in range(width):
        name = header[i] if i < len(header) and header[i] else f"列 {i + 1}"
        base, n = name, 2
        while name in names:  # repeated headers stay distinct columns
            name, n = f"{base} ({n})", n + 1
        names.append(name)
    padded = tuple(tuple(r + [""] * (width - len(r))) for r in rows)
    return RawSheet(tuple(names), padded, encoding, tuple(numbers), sheet)


def _read_csv(data: bytes) -> RawSheet:
    text, encoding = decode_csv(data)
    sample = text[:20_000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    try:
        return _table(csv.reader(io.StringIO(text), dialect), encoding, None)
    except csv.Error:
        raise StatisticsImportError(
            "CSV 文件格式有误（例如引号不配对），无法读取。",
            "The CSV file is malformed (e.g. unbalanced quotes) and cannot be read.",
        ) from None


def _check_xlsx_container(data: bytes) -> None:
    """Refuse what is not a plain .xlsx: not a zip, macros, or an inflation bomb."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise StatisticsImportError(
            "文件不是有效的 .xlsx 工作簿（旧版 .xls 请另存为 .xlsx 或 CSV）。",
            "The file is not a valid .xlsx workbook (save an old .xls as .xlsx or CSV).",
        ) from None
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if "xl/workbook.xml" not in names:
            raise StatisticsImportError(
                "文件不是 Excel 工作簿（.xlsx）。", "The file is not an Excel workbook (.xlsx)."
            )
        content_types = zf.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
        if any(n.lower().endswith("vbaproject.bin") for n in names) or (
            b"macroEnabled" in content_types
        ):
            raise StatisticsImportError(
                "工作簿含有宏，出于安全不予读取。请另存为不含宏的 .xlsx 或 CSV。",
                "The workbook contains macros and is refused for safety. "
                "Save it as a macro-free .xlsx or as CSV.",
            )
        inflated = sum(i.file_size for i in infos)
        packed = max(sum(i.compress_size for i in infos), 1)
        if inflated > _MAX_XLSX_INFLATED or inflated / packed > _MAX_XLSX_RATIO:
            raise _too_big("解压后体积异常", "it inflates to an implausible size")


@contextmanager
def first_worksheet(data: bytes) -> Iterator[Any]:
    """Open an uploaded .xlsx safely and yield its first worksheet (read-only, cached values).

    The container is checked first (macros, inflation); a damaged workbook or one
    without a worksheet raises :class:`StatisticsImportError`. Shared by every page
    that reads workbooks, so a workbook means the same thing everywhere.
    """
    _check_xlsx_container(data)
    import openpyxl  # imported here: only .xlsx uploads need it

    try:
        # read_only streams rows; data_only gives the cached value of a formula, not its text.
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file; none may reach the user
        raise StatisticsImportError(
            "无法读取该 .xlsx 工作簿（文件可能已损坏）。",
            "The .xlsx workbook cannot be read (the file may be damaged).",
        ) from None
    try:
        if not wb.worksheets:
            raise StatisticsImportError("工作簿中没有工作表。", "The workbook has no worksheet.")
        yield wb.worksheets[0]
    finally:
        wb.close()


def _read_xlsx(data: bytes) -> RawSheet:
    with first_worksheet(data) as ws:
        if (ws.max_row or 0) > MAX_ROWS + 50 or (ws.max_column or 0) > MAX_COLUMNS + 50:
            raise _too_big(f"超过 {MAX_ROWS} 行或 {MAX_COLUMNS} 列",
                           f"more than {MAX_ROWS} rows or {MAX_COLUMNS} columns")
        return _table(ws.iter_rows(values_only=True), "xlsx", str(ws.title))


def read_sheet(data: bytes, filename: str) -> RawSheet:
    """Read an uploaded statistics sheet into text cells.

    Parameters
    ----------
    data : bytes
        The file content.
    filename : str
        The uploaded file's name; its extension (``.csv`` or ``.xlsx``)
        selects the reader.

    Returns
    -------
    RawSheet
        The header and rows (of the first worksheet of a workbook).

    Raises
    ------
    StatisticsImportError
        For another format (.xls, .xlsm, .ods …), a workbook with macros, a file
        over :data:`MAX_BYTES`, more than :data:`MAX_ROWS` rows or
        :data:`MAX_COLUMNS` columns, an unknown text encoding or a damaged file.
    """
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if len(data) > MAX_BYTES:
        raise _too_big(f"文件超过 {MAX_BYTES // (1024 * 1024)} MB",
                       f"the file is over {MAX_BYTES // (1024 * 1024)} MB")
    if ext == "csv":
        return _read_csv(data)
    if ext == "xlsx":
        return _read_xlsx(data)
    if ext in {"xlsm", "xltm", "xlsb"}:
        raise StatisticsImportError(
            "不接受含宏的工作簿（.xlsm/.xlsb）。请另存为 .xlsx 或 CSV。",
            "Macro-enabled workbooks (.xlsm/.xlsb) are not accepted. Save as .xlsx or CSV.",
        )
    raise StatisticsImportError(
        "只接受 CSV（.csv）和 Excel 工作簿（.xlsx）。旧版 .xls 请另存为 .xlsx。",
        "Only CSV (.csv) and Excel workbooks (.xlsx) are accepted. Save an old .xls as .xlsx.",
    )


# --- numbers and headers --------------------------------------------------------------------------

_UNIT_RE = re.compile(r"^(?P<name>.*?)\s*[(（\[【](?P<unit>[^()（）\[\]【】]+)[)）\]】]\s*$")


def split_header_unit(header: str) -> tuple[str, str]:
    """Split "产值（亿元）" into ("产值", "亿元"); a header without a unit gives ("…", "")."""
    text = header.strip()
    m = _UNIT_RE.match(text)
    if m and m.group("name").strip():
        return m.group("name").strip(), m.group("unit").strip()
    return text, ""


def parse_number(text: str) -> float | None:
    """Parse a cell as a number; None if it is empty.

    Accepts full-width digits, thousands separators (``1,234.5``) and a
    trailing ``%`` (the number stays in percent).

    Raises
    ------
    ValueError
        If the cell holds text that is not a number (e.g. "暂无", "n/a").
    """
    norm = unicodedata.normalize("NFKC", text).strip()
    if not norm:
        return None
    norm = norm.replace(",", "").replace(" ", "")
    if norm.endswith("%"):
        norm = norm[:-1]
    value = float(norm)  # raises ValueError on text
    if not math.isfinite(value):
        raise ValueError(text)
    return value


# --- joining --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnmatchedRow:
    """A sheet row whose key matches no area (or more than one)."""

    row: int
    key: str
    ambiguous: bool = False


@dataclass(frozen=True)
class NonNumericCell:
    """A text cell in a numeric column; mapped as no data."""

    row: int
    key: str
    column: str
    value: str


@dataclass(frozen=True)
class JoinReport:
    """What happened to every row and every area when a sheet was joined.

    Attributes
    ----------
    encoding : str
        How the file was read.
    key_column : str
        The sheet column holding the area key.
    matched_by : {"id", "name"}
        Whether keys were area ids or names.
    n_rows : int
        Data rows in the sheet.
    matched : tuple of str
        Ids of the areas that got exactly one row.
    unmatched_rows : tuple of UnmatchedRow
        Rows whose key matches no area (or several areas of the same name).
    areas_without_row : tuple of str
        Names of the areas no row matched.
    duplicate_keys : tuple of (str, tuple of int)
        Area names matched by more than one row, with the rows; their
        values are not used, since which row is right cannot be known.
    non_numeric : tuple of NonNumericCell
        Text cells in numeric columns.
    numeric_columns, text_columns : tuple of str
        Columns read as numbers, and other columns (not offered for mapping).
    """

    encoding: str
    key_column: str
    matched_by: Literal["id", "name"]
    n_rows: int
    matched: tuple[str, ...]
    unmatched_rows: tuple[UnmatchedRow, ...]
    areas_without_row: tuple[str, ...]
    duplicate_keys: tuple[tuple[str, tuple[int, ...]], ...]
    non_numeric: tuple[NonNumericCell, ...]
    numeric_columns: tuple[str, ...]
    text_columns: tuple[str, ...]

    @property
    def clean(self) -> bool:
        """True when every row matched one area, every area got a row and every cell parsed."""
        return not (self.unmatched_rows or self.areas_without_row or self.duplicate_keys
                    or self.non_numeric)

    def summary(self, lang: str = "zh") -> str:
        """Return a one-paragraph summary (numbers only, no user text)."""
        en = lang == "en"
        by = ("id" if self.matched_by == "id" else "name") if en else (
            "编号" if self.matched_by == "id" else "名称")
        if en:
            return (
                f"Read {self.n_rows} rows ({self.encoding}), matched by area {by}: "
                f"{len(self.matched)} areas matched; {len(self.unmatched_rows)} rows match no "
                f"area; {len(self.areas_without_row)} areas have no row; "
                f"{len(self.duplicate_keys)} repeated keys; "
                f"{len(self.non_numeric)} non-numeric cells."
            )
        return (
            f"读取 {self.n_rows} 行（{self.encoding}），按区域{by}匹配："
            f"匹配 {len(self.matched)} 个区域；"
            f"{len(self.unmatched_rows)} 行未匹配到区域；"
            f"{len(self.areas_without_row)} 个区域没有数据；"
            f"{len(self.duplicate_keys)} 个重复键；{len(self.non_numeric)} 个非数字单元格。"
        )

    def problems(self, lang: str = "zh") -> pd.DataFrame:
        """Return every problem as a table: what, sheet row, key or area, column, cell text."""
        en = lang == "en"
        cols = (["Problem", "Row", "Key / area", "Column", "Cell"] if en
                else ["问题", "行号", "键 / 区域", "列", "单元格"])
        out: list[list[Any]] = []
        for u in self.unmatched_rows:
            what = (("Key matches several areas" if en else "键对应多个区域") if u.ambiguous
                    else ("Row matches no area" if en else "行未匹配到区域"))
            out.append([what, u.row, u.key, self.key_column, ""])
        for name in self.areas_without_row:
            out.append(["Area has no row" if en else "区域没有数据", None, name, "", ""])
        for name, rows in self.duplicate_keys:
            out.append([
                "Repeated key (values not used)" if en else "键重复（数值未采用）",
                ", ".join(map(str, rows)), name, self.key_column, "",
            ])
        for c in self.non_numeric:
            out.append(["Not a number" if en else "非数字", c.row, c.key, c.column, c.value])
        return pd.DataFrame(out, columns=cols)


@dataclass(frozen=True)
class Statistics:
    """Joined statistics: numbers per area, the units from the headers, and the report.

    Attributes
    ----------
    values : DataFrame
        One row per area (index: area id, same order as the areas), one float
        column per numeric sheet column; NaN where the area has no usable value.
    units : mapping of str to str
        Unit of each column, from a header like "产值（亿元）" ("" if none).
    names : mapping of str to str
        Column name without its unit ("产值").
    report : JoinReport
    """

    values: pd.DataFrame
    units: Mapping[str, str]
    names: Mapping[str, str]
    report: JoinReport


def _norm_key(text: str) -> str:
    """Key for matching: width-folded (NFKC), spaces removed, case-folded."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split()).casefold()


def _lookup(areas: pd.DataFrame, id_col: str,
            name_cols: Sequence[str]) -> tuple[dict[str, str], dict[str, set[str]]]:
    ids = {_norm_key(i): str(i) for i in areas[id_col].astype(str)}
    names: dict[str, set[str]] = defaultdict(set)
    for _, rec in areas.iterrows():
        for col in name_cols:
            if col in areas.columns and isinstance(rec[col], str) and rec[col].strip():
                names[_norm_key(rec[col])].add(str(rec[id_col]))
    return ids, dict(names)


def _choose_key(sheet: RawSheet, ids: Mapping[str, str], names: Mapping[str, set[str]],
                key_column: str | None) -> tuple[int, Literal["id", "name"]]:
    candidates = range(len(sheet.header))
    if key_column is not None:
        if key_column not in sheet.header:
            raise StatisticsImportError(
                f"表格中没有列“{key_column[:40]}”。",
                f"The sheet has no column '{key_column[:40]}'.",
            )
        candidates = range(sheet.header.index(key_column), sheet.header.index(key_column) + 1)
    # Most matching keys wins; on a tie ids beat names, and the leftmost column wins.
    best: tuple[tuple[int, bool, int], int, Literal["id", "name"]] | None = None
    for c in candidates:
        keys = {_norm_key(r[c]) for r in sheet.rows if r[c].strip()}
        for kind, table in (("id", ids.keys()), ("name", names.keys())):
            hits = len(keys & table)
            score = (hits, kind == "id", -c)
            if hits and (best is None or score > best[0]):
                best = (score, c, "id" if kind == "id" else "name")
    if best is None:
        raise StatisticsImportError(
            "没有一列能对上区域的编号或名称。请确认表中有一列是区域名称（与地图上的名称一致）或编号。",
            "No column matches the areas' ids or names. Make sure one column holds the area "
            "names (as on the map) or ids.",
        )
    return best[1], best[2]


def join_statistics(
    sheet: RawSheet,
    areas: pd.DataFrame,
    key_column: str | None = None,
    id_col: str = "id",
    name_cols: Sequence[str] = ("name", "name_en"),
) -> Statistics:
    """Join a sheet to areas by id or by name and parse its numeric columns.

    The key column is ``key_column``, or else the column whose values match
    the most area ids or names (width, case and spaces ignored). Every other
    column is numeric when at least half of its filled cells are numbers;
    its other filled cells are reported as non-numeric and mapped as no data.

    Parameters
    ----------
    sheet : RawSheet
        From :func:`read_sheet`.
    areas : DataFrame
        The areas (a GeoDataFrame is fine) with ``id_col`` and name columns.
    key_column : str, optional
        Force the key column.
    id_col : str
        Area id column.
    name_cols : sequence of str
        Area name columns to match names against.

    Returns
    -------
    Statistics

    Raises
    ------
    StatisticsImportError
        If no column matches any area, or ``key_column`` is not in the sheet.
    """
    ids, names = _lookup(areas, id_col, name_cols)
    kcol, kind = _choose_key(sheet, ids, names, key_column)
    area_ids = [str(i) for i in areas[id_col]]
    label = {
        str(rec[id_col]): str(rec["name"]) if "name" in areas.columns else str(rec[id_col])
        for _, rec in areas.iterrows()
    }

    rows_of_area: dict[str, list[int]] = defaultdict(list)
    unmatched: list[UnmatchedRow] = []
    for pos, row in enumerate(sheet.rows):
        number = sheet.row_numbers[pos]
        key = row[kcol].strip()
        nk = _norm_key(key)
        hit = ({ids[nk]} if nk in ids else set()) if kind == "id" else names.get(nk, set())
        if len(hit) == 1:
            rows_of_area[next(iter(hit))].append(pos)
        else:
            unmatched.append(UnmatchedRow(number, key, ambiguous=len(hit) > 1))

    duplicates = tuple(
        (label[a], tuple(sheet.row_numbers[p] for p in ps))
        for a, ps in rows_of_area.items() if len(ps) > 1
    )
    single = {a: ps[0] for a, ps in rows_of_area.items() if len(ps) == 1}

    numeric_cols: list[int] = []
    text_cols: list[int] = []
    parsed: dict[int, list[float | None]] = {}
    bad: dict[int, list[int]] = {}
    for c in range(len(sheet.header)):
        if c == kcol:
            continue
        vals: list[float | None] = []
        errors: list[int] = []
        for pos, row in enumerate(sheet.rows):
            try:
                vals.append(parse_number(row[c]))
            except ValueError:
                vals.append(None)
                errors.append(pos)
        n_num = sum(v is not None for v in vals)
        if n_num > 0 and n_num >= len(errors):
            numeric_cols.append(c)
            parsed[c], bad[c] = vals, errors
        elif n_num or errors:
            text_cols.append(c)

    non_numeric = tuple(
        NonNumericCell(sheet.row_numbers[pos], sheet.rows[pos][kcol].strip(), sheet.header[c],
                       sheet.rows[pos][c][:80])
        for c in numeric_cols for pos in bad[c]
    )
    data = {
        sheet.header[c]: [
            (parsed[c][single[a]] if a in single else None) for a in area_ids
        ]
        for c in numeric_cols
    }
    values = pd.DataFrame(data, index=pd.Index(area_ids, name="id"), dtype=float)
    report = JoinReport(
        encoding=sheet.encoding,
        key_column=sheet.header[kcol],
        matched_by=kind,
        n_rows=len(sheet.rows),
        matched=tuple(a for a in area_ids if a in single),
        unmatched_rows=tuple(unmatched),
        areas_without_row=tuple(label[a] for a in area_ids if a not in rows_of_area),
        duplicate_keys=duplicates,
        non_numeric=non_numeric,
        numeric_columns=tuple(sheet.header[c] for c in numeric_cols),
        text_columns=tuple(sheet.header[c] for c in text_cols),
    )
    split = {sheet.header[c]: split_header_unit(sheet.header[c]) for c in numeric_cols}
    return Statistics(
        values=values,
        units={k: v[1] for k, v in split.items()},
        names={k: v[0] for k, v in split.items()},
        report=report,
    )


def import_statistics(
    data: bytes, filename: str, areas: pd.DataFrame, key_column: str | None = None
) -> Statistics:
    """Read an uploaded sheet and join it to the areas.

    Shorthand for :func:`read_sheet` followed by :func:`join_statistics`.
    """
    return join_statistics(read_sheet(data, filename), areas, key_column=key_column)


# --- kept with a project -------------------------------------------------------------------------

# The kind of project document (spatial.storage.ITEM_KINDS) an uploaded sheet is kept as.
STATISTICS_KIND = "statistics"


@dataclass(frozen=True)
class SavedSheet:
    """An uploaded sheet as a project keeps it: the file itself, so it is re-read the same way."""

    data: bytes
    filename: str
    key_column: str | None


def sheet_payload(data: bytes, filename: str, key_column: str | None) -> dict[str, Any]:
    """The JSON document a project's store keeps for an uploaded sheet (the file, base64)."""
    return {
        "filename": str(filename)[:200],
        "data": base64.b64encode(data).decode("ascii"),
        "sha256": hashlib.sha256(data).hexdigest(),
        "key_column": key_column or "",
    }


def saved_sheet(payload: Mapping[str, Any]) -> SavedSheet:
    """Check a stored sheet document and return the file inside it.

    The document is untrusted: the file is re-read by :func:`read_sheet`, with
    every limit of an upload.

    Raises
    ------
    StatisticsImportError
        If the document is damaged or the file inside is over :data:`MAX_BYTES`.
    """
    damaged = StatisticsImportError(
        "保存的统计表已损坏。", "The saved statistics sheet is damaged."
    )
    filename, text, key = payload.get("filename"), payload.get("data"), payload.get("key_column")
    if not isinstance(filename, str) or not isinstance(text, str) or len(text) > MAX_BYTES * 2:
        raise damaged
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise damaged from exc
    if payload.get("sha256") != hashlib.sha256(data).hexdigest():
        raise damaged
    return SavedSheet(data, filename, key if isinstance(key, str) and key else None)
