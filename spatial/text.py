"""Make user text safe for each place it is shown: HTML/JS/Jinja, markdown, matplotlib.

One function per target, because each has its own special syntax:

* :func:`escape_text` for folium and Leaflet (HTML, JS template literals, Jinja);
* :func:`escape_markdown` for Streamlit markdown (``st.markdown``, captions,
  alerts, widget labels): links, images, emphasis, ``$`` maths,
  ``:material/…:`` icons and emoji shortcodes, and bare URLs that GitHub-flavoured
  markdown turns into links;
* :func:`escape_mathtext` for matplotlib text, where a pair of ``$`` starts
  mathtext (``$\\frac$`` even makes the whole figure fail to draw).

For folium and Leaflet:

folium pastes tooltip/popup text into HTML (``innerHTML``) and into JavaScript
template literals, and escapes neither. ``html.escape`` alone leaves the
template-literal metacharacters (backtick and ``${``) live, so they are turned
into HTML entities too: the browser still *shows* them literally.

Braces are encoded as well: folium/branca render each element's output once
more as a Jinja template (``get_root().render()``, which ``st_folium`` calls
too), so a text such as ``{{ 7*7 }}`` would otherwise be evaluated on the
server.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["escape_markdown", "escape_mathtext", "escape_text", "escape_value", "quote_zh"]

# One pass over the text: HTML metacharacters plus what JS template literals
# (backtick, $, backslash) and Jinja ({ }) treat specially.
_ENTITIES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "'": "&#x27;",
        "`": "&#96;",
        "$": "&#36;",
        "\\": "&#92;",
        "{": "&#123;",
        "}": "&#125;",
    }
)


def escape_text(s: str) -> str:
    """Escape a string for HTML and for a JavaScript template literal.

    Parameters
    ----------
    s : str
        Any text: a property value, a property name or a layer name.

    Returns
    -------
    str
        Text in which ``< > & " '`` are HTML entities, and the backtick,
        ``$``, backslash and braces are numeric entities, so the text can go
        into ``innerHTML``, a JS template literal or a folium (Jinja) template
        and is shown, never run.

    Examples
    --------
    >>> escape_text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> escape_text("${x}`")
    '&#36;&#123;x&#125;&#96;'
    """
    return str(s).translate(_ENTITIES)


def escape_value(value: Any) -> Any:
    """Escape a property value if it is text; numbers, booleans and None pass.

    Parameters
    ----------
    value : Any
        A property value as read from GeoJSON or a GeoDataFrame.

    Returns
    -------
    Any
        ``escape_text(value)`` for strings (and for any other non-scalar,
        converted with ``str``), the value itself for int/float/bool/None.
    """
    if value is None or isinstance(value, bool | int | float):
        return value
    return escape_text(str(value))


# Every ASCII punctuation character may be backslash-escaped in CommonMark; escaping them all
# leaves no emphasis, link, image, heading, list, table, HTML or maths syntax live.
_MD_PUNCT = re.compile(r"([!-/:-@\[-`{-~])")
# Word joiner (U+2060): invisible, but it splits what Streamlit and GFM match *after* escapes are
# resolved: ":material/x:" icons, ":smile:" shortcodes, "http://", "www." and "a@b.c" autolinks.
_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(www|https?|ftp|mailto)(?=\\[.:])")


def escape_markdown(s: str) -> str:
    """Escape a string so that Streamlit markdown shows it literally.

    Parameters
    ----------
    s : str
        Any untrusted text: a layer title, a column header, a value.

    Returns
    -------
    str
        One line of text in which every ASCII punctuation character is
        backslash-escaped, and a word joiner (invisible) follows every colon,
        ``@`` and ``www``/``http``-like scheme, so no link, image, icon,
        shortcode, maths or HTML results.

    Examples
    --------
    >>> print(escape_markdown("**b** [x](y)"))
    \\*\\*b\\*\\* \\[x\\]\\(y\\)
    """
    text = " ".join(str(s).splitlines())
    text = _MD_PUNCT.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: m.group(1) + _JOINER, text)
    return text.replace("\\:", "\\:" + _JOINER).replace("\\@", "\\@" + _JOINER)


def escape_mathtext(s: str) -> str:
    """Escape a string for a matplotlib text call (no mathtext is started).

    Parameters
    ----------
    s : str
        Any untrusted text (a title, a legend label, a feature name).

    Returns
    -------
    str
        The text with every ``$`` escaped as ``\\$``, which matplotlib
        draws as a plain dollar sign. (Alternatively pass ``parse_math=False``
        to the text call and the text unchanged.)

    Examples
    --------
    >>> print(escape_mathtext("$5 and $6"))
    \\$5 and \\$6
    """
    return str(s).replace("$", "\\$")


def quote_zh(text: str) -> str:
    """Return a quotation in Chinese double quotes, its own “…” shown as ‘…’.

    Chinese typography nests single quotes inside double ones. Only the display
    changes: the stored quotation stays verbatim (it is checked against the plan).

    Examples
    --------
    >>> quote_zh("高标准打造“一城一镇一园一区”")
    '“高标准打造‘一城一镇一园一区’”'
    """
    inner = str(text).replace("“", "‘").replace("”", "’")
    return f"“{inner}”"
