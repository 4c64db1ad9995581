"""Make attribute text safe to hand to folium and Leaflet.

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

from typing import Any

__all__ = ["escape_text", "escape_value"]

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
