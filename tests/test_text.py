"""escape_text: attribute text becomes inert in HTML, JS template literals and Jinja."""

from __future__ import annotations

import doctest
import html

import folium
import pytest

import spatial.text
from spatial import escape_text, escape_value

PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "</script><script>alert(1)</script>",
    "${document.title='x'}",
    "`;alert(1);`",
    "{{ 7*7 }}",
    "{% for x in range(3) %}x{% endfor %}",
    "\\`${1}",
    "\"'><svg onload=alert(1)>",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_active_character_survives(payload: str) -> None:
    out = escape_text(payload)
    for ch in "<>\"'`${}\\":
        assert ch not in out
    # The browser decodes the entities back to exactly what the user wrote.
    assert html.unescape(out) == payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_folium_renders_the_text_literally(payload: str) -> None:
    m = folium.Map(tiles=None)
    folium.Marker([35.76, 114.3], tooltip=escape_text(payload)).add_to(m)
    rendered = m.get_root().render()
    assert "49" not in rendered.split("tooltip", 1)[-1][:400] or "7*7" not in payload
    assert escape_text(payload) in rendered


def test_plain_chinese_text_is_unchanged() -> None:
    assert escape_text("鹤壁综合保税区 2.87 km²") == "鹤壁综合保税区 2.87 km²"


def test_escape_value_keeps_numbers_and_escapes_text() -> None:
    assert escape_value(2.87) == 2.87
    assert escape_value(None) is None
    assert escape_value(True) is True
    assert escape_value("<b>") == "&lt;b&gt;"
    assert escape_value(["<x>"]) == "[&#x27;&lt;x&gt;&#x27;]"


def test_docstring_examples() -> None:
    assert doctest.testmod(spatial.text).failed == 0


def test_quote_zh_nests_single_quotes_and_keeps_the_words() -> None:
    assert spatial.text.quote_zh("高标准打造“一城一镇一园一区”") == "“高标准打造‘一城一镇一园一区’”"
    assert spatial.text.quote_zh("形成科技创新区") == "“形成科技创新区”"
