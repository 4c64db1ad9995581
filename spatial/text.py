"""Make attribute text safe to hand to folium and Leaflet.

folium pastes tooltip/popup text into HTML (``innerHTML``) and into JavaScript
template literals, and escapes neither. ``html.escape`` alone leaves the
template-literal metacharacters (backtick and ``${``) live, so they are turned
into HTML entities too: the browser still *shows* them literally.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = ["escape_text", "escape_value"]


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
        ``$`` and backslash are numeric entities, so the text can go into
        ``innerHTML`` or a JS template literal and is shown, never run.

    Examples
    --------
    >>> escape_text("<img src=x onerror=alert(1)>")
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> escape_text("${x}`")
    '&#36;{x}&#96;'
    """
    out = html.escape(str(s), quote=True)
    # Backslash first would be wrong only if entities contained one; they do not.
    return out.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


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
