"""Issue 15: user text reaches markdown and matplotlib only through their own escaping."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from spatial.export import _export_style
from spatial.text import escape_markdown, escape_mathtext

PAYLOADS = [
    "![x](http://127.0.0.1:9/x.png)",
    "[click](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "**bold** _em_ `code` ~~s~~",
    "# heading\n- item\n> quote",
    ":material/home: :smile: 🙂",
    "see http://evil.example/a and www.evil.example and a@b.example",
    "$x^2$ and $$\\frac{1}{2}$$",
    "| a | b |\n|---|---|",
    "&lt;b&gt; &#60;",
]


@pytest.mark.parametrize("text", PAYLOADS)
def test_markdown_shows_text_literally(text: str) -> None:
    out = escape_markdown(text)
    # CommonMark: a backslash before any ASCII punctuation makes it a literal character, so no
    # link, image, emphasis, code, heading, list, quote, table, HTML or entity can start.
    unescaped = re.sub(r"\\[!-/:-@\[-`{-~]", "", out)
    assert not re.search(r"[!-/:-@\[-`{-~]", unescaped), (text, out)
    assert "\n" not in out
    visible = out.replace("\u2060", "")
    # What Streamlit matches after escapes are resolved: icons, shortcodes, URLs, maths.
    plain = re.sub(r"\\(.)", r"\1", out)
    assert ":material/" not in plain and ":smile:" not in plain
    assert "http://" not in plain and "www." not in plain and "a@b" not in plain
    assert "$" not in re.sub(r"\\\$", "", out)
    # Nothing was lost: removing the escapes and joiners gives the text back (one line).
    assert re.sub(r"\\(.)", r"\1", visible) == " ".join(text.splitlines())


def test_mathtext_escape_and_export_style_print_dollars() -> None:
    assert escape_mathtext("$5 and $6") == "\\$5 and \\$6"
    with _export_style():
        fig = plt.figure()
        # "$\frac$" is invalid mathtext: with mathtext on, drawing the page raises.
        fig.text(0.1, 0.5, "$\\frac$ costs $5 and $6")
        fig.canvas.draw()
        fig.text(0.1, 0.2, escape_mathtext("$5"), parse_math=True)
        fig.canvas.draw()
        plt.close(fig)
