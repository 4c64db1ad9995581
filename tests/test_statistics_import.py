"""Uploaded statistics sheets: encodings, xlsx, joins by id or name, and a report of the rest."""

from __future__ import annotations

import io
import math
import zipfile

import openpyxl
import pandas as pd
import pytest

from spatial.statistics_import import (
    MAX_ROWS,
    StatisticsImportError,
    decode_csv,
    import_statistics,
    join_statistics,
    parse_number,
    read_sheet,
    split_header_unit,
)

AREAS = pd.DataFrame(
    {
        "id": ["hsp", "jzp", "bz1", "bz2"],
        "name": ["化工产业园", "金山产业园", "综保区一区", "综保区二区"],
        "name_en": ["Chemical park", "Jinshan park", "Bonded zone 1", "Bonded zone 2"],
    }
)

# The sheet of the issue: Chinese header, one area name that is not on the map ("新区"),
# and "暂无" in the numeric column 亩均税收.
SHEET = (
    "区域名称,亩均税收（万元/亩）,规上企业数,备注\n"
    "化工产业园,18.5,12,重点\n"
    "金山产业园,暂无,7,\n"
    "新区,9.1,3,规划中\n"
    "综保区一区,\"1,234.5\",0,\n"
)


def test_gbk_sheet_gives_matched_values_and_a_report_of_the_rest():
    data = SHEET.encode("gbk")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # it really is GBK, not UTF-8
    stats = import_statistics(data, "统计.csv", AREAS)
    rep = stats.report
    assert rep.encoding == "GB18030"
    assert rep.key_column == "区域名称" and rep.matched_by == "name"
    v = stats.values
    assert list(v.index) == ["hsp", "jzp", "bz1", "bz2"]
    assert list(v.columns) == ["亩均税收（万元/亩）", "规上企业数"]
    tax = v["亩均税收（万元/亩）"]
    assert tax["hsp"] == 18.5 and tax["bz1"] == 1234.5
    assert math.isnan(tax["jzp"])  # 暂无 → no data
    assert math.isnan(tax["bz2"])  # no row
    assert v["规上企业数"].tolist()[:3] == [12.0, 7.0, 0.0]
    # The report names everything that did not make it onto the map.
    assert [(u.row, u.key) for u in rep.unmatched_rows] == [(4, "新区")]
    assert rep.areas_without_row == ("综保区二区",)
    assert [(c.row, c.key, c.column, c.value) for c in rep.non_numeric] == [
        (3, "金山产业园", "亩均税收（万元/亩）", "暂无")
    ]
    assert rep.text_columns == ("备注",)
    assert rep.matched == ("hsp", "jzp", "bz1")
    assert not rep.clean
    assert stats.units["亩均税收（万元/亩）"] == "万元/亩"
    assert stats.names["亩均税收（万元/亩）"] == "亩均税收"
    problems = rep.problems("zh")
    assert problems["问题"].tolist() == ["行未匹配到区域", "区域没有数据", "非数字"]
    assert problems["键 / 区域"].tolist() == ["新区", "综保区二区", "金山产业园"]
    assert "1 行未匹配到区域" in rep.summary("zh")
    assert "1 non-numeric cells" in rep.summary("en")


def test_utf8_with_bom_and_plain_utf8_give_the_same_values():
    with_bom = import_statistics(SHEET.encode("utf-8-sig"), "s.csv", AREAS)
    plain = import_statistics(SHEET.encode("utf-8"), "s.csv", AREAS)
    gbk = import_statistics(SHEET.encode("gbk"), "s.csv", AREAS)
    assert with_bom.report.encoding == "UTF-8 (BOM)"
    assert plain.report.encoding == "UTF-8"
    # The BOM does not end up in the first header.
    assert with_bom.report.key_column == "区域名称"
    pd.testing.assert_frame_equal(with_bom.values, plain.values)
    pd.testing.assert_frame_equal(gbk.values, plain.values)


def test_utf16_excel_unicode_text_is_read():
    text, enc = decode_csv("区域名称\t产值\n化工产业园\t5\n".encode("utf-16"))
    assert enc == "UTF-16" and text.startswith("区域名称")


def test_undecodable_bytes_are_a_clear_error():
    with pytest.raises(StatisticsImportError) as err:
        decode_csv(b"\x81\x30\xff\xff\x00\x81")
    assert "UTF-8" in err.value.zh and "GBK" in err.value.en


def xlsx_bytes(rows, title="统计") -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_joined_by_id_with_numbers_as_numbers():
    data = xlsx_bytes(
        [
            ["编号", "产值（亿元）", "规上企业数"],
            ["hsp", 12.75, 30],
            [None, None, None],  # a blank row: skipped, row numbers keep counting
            ["bz1", "n/a", 4],
            ["BZ2", 3, 1],  # ids match case-insensitively
            ["xyz", 1, 1],
        ]
    )
    stats = import_statistics(data, "stats.XLSX", AREAS)
    rep = stats.report
    assert rep.encoding == "xlsx" and rep.matched_by == "id" and rep.key_column == "编号"
    assert stats.values.loc["hsp", "产值（亿元）"] == 12.75
    assert stats.values["产值（亿元）"].isna()["bz1"]
    assert stats.values.loc["bz2", "规上企业数"] == 1
    assert [(u.row, u.key) for u in rep.unmatched_rows] == [(6, "xyz")]
    assert [(c.row, c.value) for c in rep.non_numeric] == [(4, "n/a")]
    assert rep.areas_without_row == ("金山产业园",)
    assert stats.units["产值（亿元）"] == "亿元"


def test_duplicate_keys_are_reported_and_not_guessed():
    sheet = "name,value\n化工产业园,1\n金山产业园,2\n化工产业园,3\nChemical park,4\n"
    stats = import_statistics(sheet.encode(), "d.csv", AREAS)
    rep = stats.report
    # Three rows name the same area (twice in Chinese, once in English): which is right is unknown.
    assert rep.duplicate_keys == (("化工产业园", (2, 4, 5)),)
    assert stats.values["value"].isna()["hsp"]
    assert stats.values.loc["jzp", "value"] == 2.0
    assert "化工产业园" not in rep.areas_without_row
    assert "键重复（数值未采用）" in rep.problems("zh")["问题"].tolist()


def test_key_column_is_chosen_by_matches_or_forced():
    sheet = "序号,区域,值\n1,化工产业园,5\n2,金山产业园,6\n"
    auto = import_statistics(sheet.encode(), "k.csv", AREAS)
    assert auto.report.key_column == "区域"
    assert list(auto.values.columns) == ["序号", "值"]
    with pytest.raises(StatisticsImportError):
        import_statistics(sheet.encode(), "k.csv", AREAS, key_column="没有这列")
    with pytest.raises(StatisticsImportError) as err:
        import_statistics(b"a,b\nx,1\n", "k.csv", AREAS)
    assert "名称" in err.value.zh and "names" in err.value.en


def test_macro_workbooks_other_formats_and_oversize_sheets_are_refused():
    good = xlsx_bytes([["编号", "值"], ["hsp", 1]])
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 64)
    with pytest.raises(StatisticsImportError) as err:
        read_sheet(buf.getvalue(), "macro.xlsx")
    assert "宏" in err.value.zh and "macros" in err.value.en
    with pytest.raises(StatisticsImportError) as err:
        read_sheet(good, "book.xlsm")
    assert ".xlsm" in err.value.en
    for name in ("old.xls", "sheet.ods", "noext"):
        with pytest.raises(StatisticsImportError) as err:
            read_sheet(good, name)
        assert "CSV" in err.value.en
    with pytest.raises(StatisticsImportError) as err:
        read_sheet(b"PK not really a zip", "fake.xlsx")
    assert ".xlsx" in err.value.en
    big = "id,v\n" + "hsp,1\n" * (MAX_ROWS + 1)
    with pytest.raises(StatisticsImportError) as err:
        read_sheet(big.encode(), "big.csv")
    assert str(MAX_ROWS) in err.value.en
    wide = ",".join(f"c{i}" for i in range(150)) + "\n"
    with pytest.raises(StatisticsImportError):
        read_sheet(wide.encode(), "wide.csv")
    with pytest.raises(StatisticsImportError):
        read_sheet(b"", "empty.csv")


def test_zip_bomb_xlsx_is_refused_before_parsing():
    good = xlsx_bytes([["编号", "值"], ["hsp", 1]])
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(
        buf, "w", compression=zipfile.ZIP_DEFLATED
    ) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item))
        dst.writestr("xl/padding.xml", b" " * (60 * 1024 * 1024))
    assert len(buf.getvalue()) < 1024 * 1024  # small on the wire
    with pytest.raises(StatisticsImportError) as err:
        read_sheet(buf.getvalue(), "bomb.xlsx")
    assert "too large" in err.value.en


def test_numbers_and_headers():
    assert parse_number(" １２.５ ") == 12.5
    assert parse_number("1,234") == 1234.0
    assert parse_number("37%") == 37.0
    assert parse_number("") is None
    assert parse_number("-3") == -3.0
    for text in ("暂无", "n/a", "inf", "12元"):
        with pytest.raises(ValueError):
            parse_number(text)
    assert split_header_unit("产值（亿元）") == ("产值", "亿元")
    assert split_header_unit("Output (bn yuan)") == ("Output", "bn yuan")
    assert split_header_unit("规上企业数") == ("规上企业数", "")


def test_repeated_and_empty_headers_stay_distinct_columns():
    sheet = read_sheet("区域,值,值,\n化工产业园,1,2,3\n".encode(), "h.csv")
    assert sheet.header == ("区域", "值", "值 (2)", "列 4")
    stats = join_statistics(sheet, AREAS)
    assert stats.values.loc["hsp"].to_numpy().tolist() == [1.0, 2.0, 3.0]
