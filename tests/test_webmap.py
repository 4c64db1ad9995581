"""The folium map builder: escaping, local assets, GCJ-02 only on Gaode, stable base, payloads."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import LineString, Point, Polygon

import layers
from layers.schema import LayerSpec, Style
from spatial.basemaps import (
    BASEMAPS,
    available_basemaps,
    get_basemap,
    tianditu_key,
)
from spatial.crs import area_m2, wgs84_to_gcj02
from spatial.text import escape_text
from spatial.view import DEFAULT_VIEW, View
from spatial.webmap import _MAP_JS as MAP_JS
from spatial.webmap import (
    VENDOR_URL,
    TooltipText,
    _measure_control,
    after_paint_assets,
    basemap_overlay,
    build_base_map,
    build_map,
    catalogue_payload,
    decode_geometry,
    decode_tooltips,
    external_asset_urls,
    feature_ref,
    layer_payload,
    parse_feature_ref,
    render_html,
)

ROOT = Path(__file__).resolve().parents[1]
XSS = "<img src=x onerror=alert(1)>"
TEMPLATE = "${alert(document.domain)}`"
CDN_HOSTS = ("jsdelivr", "cdnjs", "code.jquery.com", "bootstrapcdn", "unpkg", "googleapis",
             "cloudflare", "d3js.org")


def _spec(**kw: Any) -> LayerSpec:
    base: dict[str, Any] = dict(
        id="test_parks", title_zh="园区", title_en="Parks", group="parks", geometry="Polygon",
        style=Style("#c0392b"),
    )
    base.update(kw)
    return LayerSpec(**base)


def _poly(x: float, y: float, d: float = 0.01) -> Polygon:
    return Polygon([(x, y), (x + d, y), (x + d, y + d), (x, y + d)])


def _frame(**columns: Any) -> gpd.GeoDataFrame:
    geoms = columns.pop("geometry")
    n = len(geoms)
    data = {"id": [f"f{i}" for i in range(n)], "name": [f"区{i}" for i in range(n)],
            "name_en": [f"Area {i}" for i in range(n)], "kind": ["park"] * n,
            "source": ["test"] * n, "confidence": ["low"] * n}
    data.update(columns)
    return gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")


def _layers_in(html: str) -> list[dict[str, Any]]:
    """The layer payloads embedded in a rendered page, JSON-decoded as the browser reads them."""
    found = re.findall(r"window\.hebiLayer\((\{.*\}), (\[\{.*\}\]),\n", html)
    return [json.loads(data) for data, _styles in found]


def _browser_view(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the map's own JavaScript (node) on a layer: the geometry and tooltip HTML it draws."""
    if shutil.which("node") is None:
        pytest.fail("node is missing: run `bash scripts/setup.sh` (npm installs the map assets)")
    script = (
        "var window = {};\n" + MAP_JS + "\n"
        "var data = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "console.log(JSON.stringify(data.f.map(function (f, i) { return {"
        " geometry: window.hebiGeometry(f[0]),"
        " tooltip: window.hebiTooltip(data, i)}; })));"
    )
    out = subprocess.run(["node", "-e", script], input=json.dumps(data), capture_output=True,
                         text=True, check=True)
    result: list[dict[str, Any]] = json.loads(out.stdout)
    return result


def _normalise(html: str) -> str:
    return re.sub(r"_[0-9a-f]{32}", "_ID", html)


# --- escaping ------------------------------------------------------------------------------------


def test_hostile_value_key_and_layer_name_are_shown_not_run() -> None:
    key = f"k{XSS}{TEMPLATE}"
    spec = _spec(title_zh=f"层{XSS}{TEMPLATE}", tooltip=("name", key))
    gdf = _frame(
        geometry=[_poly(114.30, 35.78)], name=[f"{XSS}{TEMPLATE}"], **{key: [TEMPLATE + XSS]}
    )
    html = render_html(build_map(View(groups=("parks",), basemap="none"), {spec.id: gdf},
                                 {spec.id: spec}, standalone=True))
    # Nothing of the text reaches the page raw: not as a tag, not as template-literal syntax.
    assert XSS not in html
    assert "onerror=alert(1)>" not in html
    assert "${alert" not in html
    assert "alert(document.domain)}`" not in html
    (data,) = _layers_in(html)
    (drawn,) = _browser_view(data)
    tooltip = drawn["tooltip"]
    # What the browser's innerHTML receives: only our own tags, the text as entities.
    assert set(re.findall(r"<(/?\w+)", tooltip)) == {"b", "/b", "br", "span", "/span"}
    assert "&lt;img src=x onerror=alert(1)&gt;" in tooltip
    assert "&#36;&#123;alert(document.domain)&#125;&#96;" in tooltip
    assert "`" not in tooltip and "${" not in tooltip
    key_html = "k&lt;img src=x onerror=alert(1)&gt;&#36;&#123;alert(document.domain)&#125;&#96;"
    assert key_html in tooltip
    assert "层&lt;img" in tooltip


def test_template_syntax_in_text_is_not_evaluated_on_the_server() -> None:
    # folium/branca render element output once more as Jinja: "{{ 7*7 }}" would become 49,
    # and "{{ lipsum.__globals__... }}" would run code on the server.
    spec = _spec(title_zh="{{ 6*7 }}", tooltip=("name", "{% if 1 %}k{% endif %}"))
    gdf = _frame(geometry=[_poly(114.30, 35.78)], name=["{{ 7*7 }}"],
                 **{"{% if 1 %}k{% endif %}": ["{# c #}"]})
    html = render_html(build_map(View(groups=("parks",), basemap="none"), {spec.id: gdf},
                                 {spec.id: spec}, standalone=True))
    (data,) = _layers_in(html)
    (drawn,) = _browser_view(data)
    assert "&#123;&#123; 7*7 &#125;&#125;" in drawn["tooltip"]
    assert "&#123;&#123; 6*7 &#125;&#125;" in drawn["tooltip"]
    assert "&#123;% if 1 %&#125;k&#123;% endif %&#125;" in drawn["tooltip"]
    assert "&#123;# c #&#125;" in drawn["tooltip"]
    assert "49" not in drawn["tooltip"] and "42" not in drawn["tooltip"]


def test_encoded_coordinates_hold_no_template_or_quote_characters() -> None:
    rng = np.random.default_rng(1)
    pts = rng.uniform([113.9, 35.4], [114.8, 36.1], size=(1500, 2))
    gdf = _frame(geometry=[LineString(pts)])
    data = json.loads(layer_payload(gdf, styles=[{"color": "#000"}]).data_json)
    (geometry, _s, _t) = data["f"][0]
    assert re.fullmatch(r"[A-Za-z0-9_-]+", geometry[1])
    assert decode_geometry(geometry)["coordinates"] == np.round(pts, 6).tolist()


def test_embedded_json_cannot_close_the_script() -> None:
    spec = _spec(tooltip=("name",))
    gdf = _frame(geometry=[_poly(114.30, 35.78)], name=["</script><script>alert(1)</script>"])
    payload = catalogue_payload(spec, gdf)
    assert "</script" not in payload.data_json
    assert "<" not in payload.data_json and ">" not in payload.data_json
    decoded = json.loads(payload.data_json)
    (row,) = decode_tooltips(decoded)
    assert row is not None and row[0] == "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"


def test_every_text_piece_of_the_payload_is_escaped() -> None:
    hostile = XSS + TEMPLATE + "'\"&\\"
    spec = _spec(title_zh=hostile, tooltip=("name", hostile, "kind"))
    gdf = _frame(geometry=[_poly(114.30, 35.78), _poly(114.32, 35.78)], name=[hostile, "x"],
                 kind=[hostile, hostile], **{hostile: [hostile, None]})
    data = json.loads(catalogue_payload(spec, gdf).data_json)
    texts = [*data["k"], *data["c"]] + [v for row in decode_tooltips(data) for v in row or ()]
    texts = [t for t in texts if t is not None]
    assert len(texts) > 8
    for text in texts:
        assert not set(text) & set("<>`\"'\\"), text
        assert "${" not in text


# --- assets --------------------------------------------------------------------------------------


def _asset_links(html: str) -> list[str]:
    return re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)


def test_rendered_page_uses_only_local_assets() -> None:
    html = render_html(build_map(DEFAULT_VIEW.replace(basemap="none"), {}, {}, standalone=True))
    links = _asset_links(html)
    assert links, "the page loads no asset at all?"
    assert all(link.startswith(VENDOR_URL) for link in links), links
    lowered = html.lower()
    for host in CDN_HOSTS:
        assert host not in lowered, host
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_every_asset_the_map_loads_is_vendored() -> None:
    vendor = ROOT / "static" / "vendor"
    if not (vendor / ".stamp").exists():
        pytest.fail("static/vendor is missing: run `bash scripts/vendor_assets.sh`")
    parts = build_map(DEFAULT_VIEW.replace(basemap="none"), {}, {}, standalone=True)
    html = render_html(parts)
    # Leaflet loads with the page; the measuring tool and the coordinate readout only after
    # the first paint, from the page's script.
    assert {link.removeprefix(VENDOR_URL) for link in _asset_links(html)} == {
        "leaflet/leaflet.js", "leaflet/leaflet.css"}
    late = after_paint_assets(parts.base)
    assert {link.removeprefix(VENDOR_URL) for link in late} == {
        "leaflet-measure/leaflet-measure.cn.js", "leaflet-measure/leaflet-measure.css",
        "mouse-position/L.Control.MousePosition.js", "mouse-position/L.Control.MousePosition.css",
    }
    for link in [*_asset_links(html), *late]:
        assert link.startswith(VENDOR_URL), link
        assert (vendor / link.removeprefix(VENDOR_URL)).is_file(), link
        assert json.dumps(link) in html, link  # the page's script loads it
    # The English UI loads the English build of the measuring tool.
    parts_en = build_map(DEFAULT_VIEW.replace(basemap="none", lang="en"), {}, {},
                         standalone=True)
    html_en = render_html(parts_en)
    late_en = after_paint_assets(parts_en.base)
    assert f"{VENDOR_URL}leaflet-measure/leaflet-measure.en.js" in late_en
    for link in late_en:
        assert (vendor / link.removeprefix(VENDOR_URL)).is_file(), link
    assert json.dumps(f"{VENDOR_URL}leaflet-measure/leaflet-measure.en.js") in html_en
    assert "leaflet-measure.cn.js" not in html_en


def test_external_asset_urls_catches_a_cdn_plugin() -> None:
    import folium.plugins

    m = build_base_map()
    assert external_asset_urls(m) == []
    folium.plugins.Fullscreen().add_to(m)  # not vendored: must be reported
    assert any("jsdelivr" in u for u in external_asset_urls(m))
    # So is a file loaded only after the first paint.
    _measure_control("zh", "https://cdn.example.org/").add_to(m)
    assert "https://cdn.example.org/leaflet-measure/leaflet-measure.cn.js" in external_asset_urls(m)


# --- GCJ-02 --------------------------------------------------------------------------------------


def _first_coords(html: str, layer_index: int = 0) -> list[float]:
    data = _layers_in(html)[layer_index]
    coords: list[float] = decode_geometry(data["f"][0][0])["coordinates"]
    return coords


@pytest.mark.parametrize("basemap", [b.id for b in BASEMAPS])
def test_gcj_shift_only_on_gaode(basemap: str) -> None:
    spec = _spec(id="pts", geometry="Point")
    gdf = _frame(geometry=[Point(114.3, 35.76)])
    html = render_html(build_map(View(groups=("parks",), basemap=basemap), {"pts": gdf},
                                 {"pts": spec}, standalone=True, key="0123456789abcdef0123"))
    lon, lat = _first_coords(html)
    glon, glat = wgs84_to_gcj02(114.3, 35.76)
    if basemap == "gaode":
        assert (lon, lat) == (round(float(glon), 6), round(float(glat), 6))
        # A few hundred metres (mostly east at Hebi): a visible, real shift.
        assert 300 < abs(lon - 114.3) * 111_320 * np.cos(np.radians(35.76)) < 800
        assert "window.hebiGcj02 = true" in html
    else:
        assert (lon, lat) == (114.3, 35.76)
        assert "window.hebiGcj02 = true" not in html


# --- stable base map -----------------------------------------------------------------------------


def test_base_map_js_is_the_same_whatever_is_shown() -> None:
    spec = _spec()
    frames = {spec.id: _frame(geometry=[_poly(114.30, 35.78)])}
    specs = {spec.id: spec}
    variants = [
        View(groups=(), basemap="none"),
        View(groups=("parks",), basemap="osm", center=(35.7, 114.2), zoom=15),
        View(groups=("parks", "roads"), basemap="gaode"),
    ]
    pages = {_normalise(build_map(v, frames, specs).base.get_root().render()) for v in variants}
    assert len(pages) == 1
    (page,) = pages
    assert "tileLayer" not in page and "window.hebiLayer(" not in page
    # The overlays do differ.
    overlays = [build_map(v, frames, specs).overlays for v in variants]
    assert [len(o) for o in overlays] == [1, 2, 2]


def test_base_map_has_the_planner_controls() -> None:
    page = build_base_map("zh").get_root().render()
    assert "L.control.scale" in page and "imperial: false" in page
    assert "hebi-north-arrow" in page and ('"北"' in page or '"\\u5317"' in page)
    assert "L.Control.MousePosition" in page and "WGS84" in page
    assert "L.Control.Measure" in page and '"secondaryAreaUnit": "mu"' in page
    # folium's workaround for leaflet-measure with Leaflet >= 1.8 (map jumping on click).
    assert "autoPanOnFocus = false" in page


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_map_code_carries_no_inline_event_handler(lang: str) -> None:
    """Tests look for ``<img``, ``onerror`` and ``onload`` in everything a browser receives (what
    hostile user text would carry): the map's own code must contain none of them."""
    page = render_html(build_map(DEFAULT_VIEW.replace(basemap="none", lang=lang), {}, {},
                                 standalone=True)).lower()
    assert "onerror" not in page and "onload" not in page and "<img" not in page


# --- light payloads ------------------------------------------------------------------------------


def test_payload_keeps_only_style_and_tooltip_and_rounds_coordinates() -> None:
    gdf = _frame(geometry=[Point(114.123456789, 35.987654321)], secret=["do not send"])
    payload = layer_payload(gdf, styles=[{"color": "#123456"}])
    data = json.loads(payload.data_json)
    geometry, style, has_tooltip = data["f"][0]
    assert (style, has_tooltip, decode_tooltips(data)) == (0, 0, [None])
    assert decode_geometry(geometry) == {"type": "Point", "coordinates": [114.123457, 35.987654]}
    assert "do not send" not in payload.data_json and "secret" not in payload.data_json


def test_dense_geometry_is_simplified_but_keeps_its_shape() -> None:
    circle = gpd.GeoSeries([Point(114.3, 35.76)], crs="EPSG:4326").to_crs(4547).buffer(
        1000, quad_segs=2000).to_crs(4326)
    gdf = _frame(geometry=list(circle))
    n_in = shapely.get_num_coordinates(circle.iloc[0])
    payload = layer_payload(gdf, styles=[{"color": "#000"}])
    geom = shapely.geometry.shape(decode_geometry(json.loads(payload.data_json)["f"][0][0]))
    n_out = shapely.get_num_coordinates(geom)
    assert n_in > 8000 and n_out < n_in / 4
    out_area = area_m2(gpd.GeoSeries([geom], crs="EPSG:4326"))[0]
    assert abs(out_area - area_m2(circle)[0]) / area_m2(circle)[0] < 1e-3


def test_null_and_empty_geometries_are_skipped() -> None:
    gdf = _frame(geometry=[None, Polygon(), _poly(114.3, 35.78)])
    payload = layer_payload(gdf, styles=[{"color": "#000"}])
    assert payload.n_features == 1


def test_bad_style_index_is_a_programming_error() -> None:
    gdf = _frame(geometry=[_poly(114.3, 35.78)])
    with pytest.raises(ValueError):
        layer_payload(gdf, styles=[{"color": "#000"}], style_index=[1])
    with pytest.raises(ValueError):
        layer_payload(gdf, styles=[{"color": "#000"}], tooltips=[None, None])


# --- catalogue styling and click references -----------------------------------------------------


def test_schematic_features_are_dashed_and_styles_shared() -> None:
    spec = _spec(style_by="kind", style_map={
        "park": (Style("#2e86c1"), "园区", "Park"),
        "zone": (Style("#8e44ad"), "保税区", "Zone"),
    })
    gdf = _frame(geometry=[_poly(114.30, 35.78), _poly(114.32, 35.78), _poly(114.34, 35.78)],
                 kind=["park", "park", "zone"], confidence=["low", "schematic", "low"])
    payload = catalogue_payload(spec, gdf)
    styles = json.loads(payload.styles_json)
    index = [f[1] for f in json.loads(payload.data_json)["f"]]
    assert len(styles) == 3 and index == [0, 1, 2]
    assert styles[0]["color"] == "#2e86c1" and "dashArray" not in styles[0]
    assert styles[1]["color"] == "#2e86c1" and styles[1]["dashArray"] == Style.SCHEMATIC_DASH
    assert styles[2]["color"] == "#8e44ad"


def test_click_reference_round_trip() -> None:
    spec = _spec()
    gdf = _frame(geometry=[_poly(114.30, 35.78), _poly(114.32, 35.78)])
    tips = [d["tooltip"] for d in _browser_view(json.loads(catalogue_payload(spec, gdf).data_json))]
    # st_folium hands back the tooltip's textContent: tags gone, entities decoded.
    text = re.sub(r"<[^>]+>", " ", tips[1])
    assert parse_feature_ref(text) == ("test_parks", 1)
    assert parse_feature_ref(f"{feature_ref('a', 3)} name {feature_ref('b_c', 7)}") == ("b_c", 7)
    assert parse_feature_ref(None) is None
    assert parse_feature_ref("[[ref:../x#1]]") is None



def _tooltip_html(tip: TooltipText) -> str:
    """What a feature's tooltip shows, built from its plain text (the browser's hebiTooltip)."""
    out = f"<b>{escape_text(tip.title)}</b>"
    for label, value in tip.rows:
        out += (f'<br><span style="color:#666">{escape_text(label)}</span> {escape_text(value)}'
                if label else f"<br>{escape_text(value)}")
    if tip.ref is not None:
        out += f'<span style="display:none">{escape_text(tip.ref)}</span>'
    return out


@pytest.mark.parametrize("refs", ["one layer", "mixed"])
def test_tooltips_travel_packed_and_read_back_exactly(refs: str) -> None:
    # One string per layer, repeated pieces sent once, references as row numbers: the browser
    # (node, the map's own JavaScript) and decode_tooltips read back exactly what was given,
    # and hostile text (the packing's own markers included) stays escaped text.
    hostile = XSS + TEMPLATE + "'\"`${0}&\\" + "\u001e\u001f"
    source = "《鹤壁经开区“十四五”规划纲要》第十六章专栏11"
    tips: list[TooltipText | None] = []
    for i in range(6):
        ref = feature_ref("test_parks", i * 7) if refs == "one layer" or i % 2 else (
            feature_ref("other", i) if i else "ref" + hostile)
        rows = [("", "产业板块"), ("来源", source), ("名称", hostile if i % 2 else f"值{i}")]
        if i != 3:
            rows.append(("类型" + hostile, "{0}" if i % 3 else hostile))
        tips.append(TooltipText(title=hostile if i == 4 else "同名", rows=tuple(rows), ref=ref))
    tips[2] = None
    gdf = _frame(geometry=[_poly(114.30 + i / 50, 35.78) for i in range(6)])
    payload = layer_payload(gdf, styles=[{"color": "#000"}], tooltips=tips, merge=True)
    assert "<" not in payload.data_json and ">" not in payload.data_json
    data = json.loads(payload.data_json)
    assert source not in data["t"] and data["s"]  # sent once, in the shared pieces
    assert ("r" in data) == (refs == "one layer")
    if refs == "one layer":
        assert "[[ref:" not in data["t"]
    shown = [d["tooltip"] for d in _browser_view(data)]
    assert shown == [None if t is None else _tooltip_html(t) for t in tips]
    pieces = decode_tooltips(data)
    assert pieces[2] is None
    assert [p[1] if p else None for p in pieces] == [
        None if t is None or t.ref is None else escape_text(t.ref) for t in tips]
    for tip, html_text in zip(tips, shown, strict=True):
        if tip is not None:
            assert parse_feature_ref(re.sub(r"<[^>]+>", " ", html_text or "")) == (
                parse_feature_ref(tip.ref))


# --- basemaps ------------------------------------------------------------------------------------


def test_tianditu_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    assert tianditu_key() is None
    ids = [b.id for b in available_basemaps(None)]
    assert "tianditu_vec" not in ids and "tianditu_img" not in ids
    assert {"osm", "gaode", "none"} <= set(ids)
    monkeypatch.setenv("TIANDITU_KEY", "0123456789abcdef0123456789abcdef")
    assert tianditu_key() == "0123456789abcdef0123456789abcdef"
    assert tianditu_key({"tianditu": {"key": "x"}}) == "0123456789abcdef0123456789abcdef"
    monkeypatch.delenv("TIANDITU_KEY")
    assert tianditu_key({"tianditu": {"key": "fedcba9876543210fedcba9876543210"}}) == (
        "fedcba9876543210fedcba9876543210")
    # A "key" that would inject into the tile URL or the page is refused.
    assert tianditu_key({"TIANDITU_KEY": '"+alert(1)+"'}) is None


def test_tianditu_tiles_have_labels_and_the_key() -> None:
    key = "0123456789abcdef0123456789abcdef"
    vec = get_basemap("tianditu_vec").tiles(key)
    assert [("vec_w" in t.url, "cva_w" in t.url, t.overlay) for t in vec] == [
        (True, False, False), (False, True, True)]
    assert all(f"tk={key}" in t.url and "TILEMATRIXSET=w" in t.url for t in vec)
    img_en = get_basemap("tianditu_img").tiles(key, lang="en")
    assert "img_w" in img_en[0].url and "eia_w" in img_en[1].url
    assert get_basemap("tianditu_vec").tiles(None) == []
    assert get_basemap("tianditu_vec").tiles("bad key!") == []


def test_basemap_overlay_tiles_and_attribution() -> None:
    none = basemap_overlay("none")
    assert not [c for c in none._children.values() if type(c).__name__ == "TileLayer"]
    gaode = basemap_overlay("gaode")
    tiles: list[Any] = [c for c in gaode._children.values() if type(c).__name__ == "TileLayer"]
    (tile,) = tiles
    assert tile.tiles.startswith("https://webrd0{s}.is.autonavi.com/")
    assert "高德" in tile.options["attribution"]
    assert get_basemap("gaode").gcj02 and not get_basemap("osm").gcj02
    assert get_basemap("nope").id == "none"  # unknown ids fall back to the offline default


def test_numpy_values_in_tooltips_are_plain_text() -> None:
    spec = _spec(tooltip=("name", "area_ha"))
    gdf = _frame(geometry=[_poly(114.3, 35.78)], area_ha=[np.float64(12.5)])
    row = decode_tooltips(json.loads(catalogue_payload(spec, gdf).data_json))[0]
    assert row is not None and "12.5 ha" in row  # the value with its unit, a plain string


def test_line_layers_render() -> None:
    spec = _spec(id="roads_t", group="roads", geometry="LineString")
    gdf = _frame(geometry=[LineString([(114.2, 35.77), (114.4, 35.77)])])
    html = render_html(build_map(View(groups=("roads",), basemap="none"), {"roads_t": gdf},
                                 {"roads_t": spec}, standalone=True))
    assert _first_coords(html) == [[114.2, 35.77], [114.4, 35.77]]


def test_browser_decoding_matches_the_data() -> None:
    ring = [(114.3, 35.78), (114.31, 35.78), (114.31, 35.79), (114.3, 35.79), (114.3, 35.78)]
    hole = [(114.302, 35.782), (114.304, 35.782), (114.304, 35.784), (114.302, 35.782)]
    geoms = [
        Point(114.123456, 35.654321),
        LineString([(114.2, 35.7), (114.25, 35.75), (114.0000011, 35.9999999)]),
        Polygon(ring, [hole]),
        shapely.MultiPolygon([Polygon(ring), _poly(114.4, 35.6)]),
        shapely.MultiLineString([[(114.2, 35.7), (114.3, 35.8)], [(114.1, 35.6), (114.0, 35.5)]]),
        shapely.MultiPoint([(114.2, 35.7), (113.9, 36.1)]),
    ]
    gdf = _frame(geometry=geoms)
    data = json.loads(layer_payload(gdf, styles=[{"color": "#000"}]).data_json)
    drawn = [d["geometry"] for d in _browser_view(data)]
    for geom, shown in zip(geoms, drawn, strict=True):
        expected = shapely.transform(geom, lambda c: np.round(c, 6))
        assert shapely.geometry.shape(shown).equals_exact(expected, 1e-9)
        assert shown == decode_geometry(data["f"][geoms.index(geom)][0])
    # The encoding is much smaller than GeoJSON text.
    assert len(json.dumps(data["f"][2][0])) < len(shapely.to_geojson(geoms[2])) / 2


def test_tooltip_names_the_layer_only_when_it_differs_from_the_feature() -> None:
    from spatial.webmap import catalogue_tooltip

    bonded = layers.get_spec("bonded_zone")
    props = layers.load_layer("bonded_zone").iloc[0].to_dict()
    tip = catalogue_tooltip(bonded, props, "zh", None)
    assert tip.title == bonded.title_zh == "鹤壁综合保税区"
    assert bonded.title_zh not in [value for _, value in tip.rows]
    road = layers.load_layer("roads").iloc[0].to_dict()
    tip = catalogue_tooltip(layers.get_spec("roads"), road, "zh", None)
    assert tip.rows[0] == ("", "道路")  # a road is named; its layer is said once
