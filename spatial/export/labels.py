"""Names on the printed map (注记), from the same catalogue rule the screen uses.

Each layer's :class:`layers.schema.LabelRule` says how its features are named:
along the line (rotated to it), beside the point, or inside the area; its
priority, smallest zoom, size, colour, halo and weight. The page draws every
candidate as matplotlib text with a halo (``patheffects.withStroke``), measures
it with the renderer and keeps it only if its box is inside the map frame and
overlaps no label of higher priority nor the map furniture (north arrow, scale
bar, inset): the same priority rule as on screen, applied to the real boxes.
A line label tries a few positions along the line before it gives way.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyproj
import shapely
from matplotlib import patheffects
from matplotlib.transforms import Bbox

from layers.schema import LabelRule, LayerSpec
from spatial.crs import WGS84
from spatial.export.content import MapContent
from spatial.export.draw import _visible
from spatial.export.options import PX_TO_PT

__all__ = ["LabelCandidate", "draw_labels", "equivalent_zoom", "label_candidates"]

# Web-Mercator metres per pixel at zoom 0 on the equator (256-pixel tiles).
_M_PER_PX_Z0 = 156543.03392804097
# A CSS pixel is 1/96 inch: the size of a screen pixel the zoom levels are defined for.
_CSS_PX_M = 0.0254 / 96.0
# Positions along a line tried for its label, as fractions of the shown length.
# Every 5 %, nearest the middle first: a name slides along its line until it is clear of
# the crossings (nodes) and of the names placed before it.
_LINE_POSITIONS = tuple(sorted((i / 20 for i in range(2, 19)), key=lambda f: (abs(f - 0.5), f)))
_PAD_PX = 2.0  # clearance between two labels, in output pixels at 72 dpi


def equivalent_zoom(scale_denominator: float, lat: float) -> float:
    """Return the web-map zoom whose detail matches a printed scale 1 : ``scale_denominator``.

    A label rule's ``min_zoom`` is a screen zoom; a printed page shows the
    label when its paper scale is at least as detailed (one CSS pixel on paper
    covers no more ground than one screen pixel at that zoom).
    """
    ground_per_css_px = scale_denominator * _CSS_PX_M
    return math.log2(_M_PER_PX_Z0 * math.cos(math.radians(lat)) / ground_per_css_px)


@dataclass(frozen=True)
class LabelCandidate:
    """One name to place: its text, rule and the positions it may take (GK metres).

    Attributes
    ----------
    text : str
        The label.
    rule : LabelRule
        Size, colour, halo, weight, priority.
    spots : tuple of (x, y, angle, ha, va)
        Anchor positions in map metres, text angle in degrees and the text's
        alignment at the anchor (a point label tries right of its marker, then
        left, above and below), best first.
    order : int
        Drawing order of the layer (ties in priority keep the catalogue order).
    marker : tuple of (x, y, radius in points), optional
        A point label's marker: no other label may cover it, so a line's name
        never hides a node where the lines cross.
    primary : int
        How many of the spots are the usual ones (on the line; right, left,
        above, below a point; the inner point of an area). Every label first
        gets a chance at these, highest priority first; the other spots are
        tried in a second pass.
    """

    text: str
    rule: LabelRule
    spots: tuple[tuple[float, float, float, str, str], ...]
    order: int = 0
    marker: tuple[float, float, float] | None = None
    primary: int = 1


Spot = tuple[float, float, float, str, str]


def _line_spots(geom: Any, text_len_m: float, em_m: float) -> tuple[Spot, ...]:
    """Anchors along a line: on the line at each tried fraction, then beside it.

    The text is rotated to the chord of the line around the anchor (one text
    length long); beside-the-line spots sit ``em_m`` off it, on either side.
    """
    length = float(geom.length)
    if length <= 0:
        return ()
    half = min(max(text_len_m / 2.0, length * 0.02), length / 2.0)
    spots: list[Spot] = []
    beside: list[Spot] = []
    for frac in _LINE_POSITIONS:
        d = length * frac
        a = geom.interpolate(max(d - half, 0.0))
        b = geom.interpolate(min(d + half, length))
        mid = geom.interpolate(d)
        angle = math.degrees(math.atan2(b.y - a.y, b.x - a.x))
        # Keep text upright: read left to right, never upside down.
        if angle > 90:
            angle -= 180
        elif angle <= -90:
            angle += 180
        spots.append((float(mid.x), float(mid.y), angle, "center", "center"))
        nx, ny = -math.sin(math.radians(angle)), math.cos(math.radians(angle))
        for side in (1.0, -1.0):
            beside.append((float(mid.x) + side * nx * em_m, float(mid.y) + side * ny * em_m,
                           angle, "center", "center"))
    return tuple(spots + beside)


def _area_spots(poly: Any) -> tuple[Spot, ...]:
    """Points inside an area: its inner point, then the middles of chords at 30/70/20/80 %
    of its height (a name gives way within its area before it is dropped)."""
    pt = poly.representative_point()
    spots: list[Spot] = [(float(pt.x), float(pt.y), 0.0, "center", "center")]
    x0, y0, x1, y1 = poly.bounds
    for fy in (0.3, 0.7, 0.2, 0.8):
        y = y0 + (y1 - y0) * fy
        chord = poly.intersection(shapely.LineString([(x0 - 1, y), (x1 + 1, y)]))
        if chord.is_empty:
            continue
        part = _longest_part(chord)
        mid = part.interpolate(0.5, normalized=True)
        spots.append((float(mid.x), float(mid.y), 0.0, "center", "center"))
    return tuple(spots)


def _longest_part(geom: Any) -> Any:
    parts = list(getattr(geom, "geoms", [geom]))
    return max(parts, key=lambda g: g.length if g.geom_type.endswith("LineString") else g.area)


def label_candidates(
    content: MapContent,
    extent: tuple[float, float, float, float],
    scale_denominator: float,
    k: float,
    lang: str,
) -> list[LabelCandidate]:
    """Return the labels the page may show, highest priority first.

    A layer is labelled when it has a rule and the page's scale reaches its
    ``min_zoom`` (:func:`equivalent_zoom`). A name shown by several features
    (a road drawn in pieces, a park in two polygons) is placed once, on its
    longest / largest visible part. The choropleth's own layer is left to its
    value labels.
    """
    minx, miny, maxx, maxy = extent
    centre = pyproj.Transformer.from_crs(f"EPSG:{content.epsg}", WGS84, always_xy=True) \
        .transform((minx + maxx) / 2, (miny + maxy) / 2)
    zoom = equivalent_zoom(scale_denominator, centre[1])
    # Labels keep clear of the frame edge (a margin of 3 % of the shorter side).
    margin = 0.03 * min(maxx - minx, maxy - miny)
    inner = shapely.box(minx + margin, miny + margin, maxx - margin, maxy - margin)
    frame_box = shapely.box(minx, miny, maxx, maxy)
    choro = content.choropleth
    out: list[LabelCandidate] = []
    for order, layer in enumerate(content.layers):
        spec: LayerSpec = layer.spec
        rule = spec.label
        # The page's zoom is the nearest whole web zoom (the screen shows only whole levels).
        if rule is None or round(zoom) < rule.min_zoom:
            continue
        if choro is not None and spec.id == choro.area_layer:
            continue
        gdf = _visible(layer.gdf, extent)
        if gdf.empty:
            continue
        records = gdf.drop(columns=gdf.geometry.name).to_dict("records")
        best: dict[str, Any] = {}
        for rec, geom in zip(records, gdf.geometry, strict=True):
            text = rule.text(rec, lang)
            if not text or geom is None or geom.is_empty:
                continue
            if spec.geometry == "Polygon" and geom.intersection(frame_box).area \
                    > 0.5 * frame_box.area:
                continue  # an area filling most of the page (the city): its name says nothing
            shown = geom.intersection(inner)
            if shown.is_empty:
                continue
            size = shown.length if spec.geometry == "LineString" else shown.area
            if text not in best or size > best[text][0]:
                best[text] = (size, shown)
        size_m = rule.size * PX_TO_PT * k / 72.0 * 0.0254 * scale_denominator  # 1 em on the ground
        for text, (_, shown) in best.items():
            if spec.geometry == "LineString":
                part = _longest_part(shown)
                if part.geom_type != "LineString":
                    continue
                # Beside the line far enough to clear a node's marker on it.
                spots = _line_spots(part, size_m * len(text), size_m * 1.5)
                out.append(LabelCandidate(text, rule, spots, order, primary=len(spots) // 3))
            elif spec.geometry == "Point":
                pt = shown.representative_point()
                # Beside the marker: the radius plus a gap, in metres at this scale.
                # (clear of the marker's reserved box and both paddings).
                gap_pt = spec.style.radius * PX_TO_PT * k + 2.5 * _PAD_PX + 1.0
                dx = gap_pt / 72.0 * 0.0254 * scale_denominator
                x, y = float(pt.x), float(pt.y)
                d = dx * 0.75  # the diagonal spots, as far from the marker
                out.append(LabelCandidate(text, rule, (
                    (x + dx, y, 0.0, "left", "center"), (x - dx, y, 0.0, "right", "center"),
                    (x, y + dx, 0.0, "center", "bottom"), (x, y - dx, 0.0, "center", "top"),
                    (x + d, y + d, 0.0, "left", "bottom"), (x + d, y - d, 0.0, "left", "top"),
                    (x - d, y + d, 0.0, "right", "bottom"), (x - d, y - d, 0.0, "right", "top"),
                ), order, (x, y, spec.style.radius * PX_TO_PT * k), primary=4))
            else:
                part = _longest_part(shown) if shown.geom_type.startswith("Multi") else shown
                out.append(LabelCandidate(text, rule, _area_spots(part), order))
    out.sort(key=lambda c: (-c.rule.priority, c.order))
    return out


# A placed label or the furniture blocks every later label; a point's marker blocks the
# labels ranked up to _MARKER_RANK above its own: the axes' names keep clear of the nodes
# at their crossings, only the corridor (the top of the hierarchy) may run over one.
_Taken = list[tuple[Bbox, float]]
_ALWAYS = math.inf
_MARKER_RANK = 10.0


def _overlaps(box: Bbox, taken: _Taken, priority: float) -> bool:
    return any(box.overlaps(t) and p >= priority for t, p in taken)


def draw_labels(
    ax: Any,
    candidates: Sequence[LabelCandidate],
    k: float,
    reserved: Sequence[Bbox] = (),
) -> list[str]:
    """Draw the labels that fit, highest priority first; return the texts printed.

    Parameters
    ----------
    ax : matplotlib Axes
        The map frame (data coordinates in GK metres).
    candidates : sequence of LabelCandidate
        From :func:`label_candidates`, in priority order.
    k : float
        Page size factor (1 on A4).
    reserved : sequence of Bbox
        Display-space boxes no label may cover (north arrow, scale bar, inset).
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    pad = _PAD_PX * fig.dpi / 72.0
    taken: _Taken = [(b, _ALWAYS) for b in reserved]
    to_px = ax.transData
    for cand in candidates:
        if cand.marker is not None:
            mx, my = to_px.transform((cand.marker[0], cand.marker[1]))
            r = cand.marker[2] * fig.dpi / 72.0 + pad
            taken.append((Bbox.from_extents(mx - r, my - r, mx + r, my + r),
                          float(cand.rule.priority) + _MARKER_RANK))
    placed: dict[int, str] = {}
    for first_pass in (True, False):
        for i, cand in enumerate(candidates):
            if i in placed:
                continue
            spots = cand.spots[:cand.primary] if first_pass else cand.spots
            hit = _place(ax, renderer, frame, cand, spots, cand.text, k, pad, taken)
            short = _short(cand.text)
            if hit is None and not first_pass and short != cand.text:
                # A name with a note in brackets gives way to its short form before it is dropped.
                hit = _place(ax, renderer, frame, cand, spots, short, k, pad, taken)
            if hit is not None:
                placed[i] = hit
    return [placed[i] for i in sorted(placed)]


def _short(text: str) -> str:
    """The name without a bracketed note: 衡山路联动轴（第七轴，规划未具名） → 衡山路联动轴."""
    return re.sub(r"\s*[（(][^）)]*[）)]\s*", "", text).strip() or text


def _place(
    ax: Any, renderer: Any, frame: Bbox, cand: LabelCandidate,
    spots: Sequence[Spot], label: str, k: float, pad: float, taken: _Taken,
) -> str | None:
    """Try the candidate's spots in order; draw at the first free one and return the text."""
    rule = cand.rule
    size = rule.size * PX_TO_PT * k
    # The halo is its own artist drawn under the name: a text with path effects is printed as
    # outlines, and the name itself must stay text in the PDF (searchable, selectable).
    effects: list[Any] = [patheffects.Stroke(linewidth=max(size * 0.22, 1.2),
                                             foreground=rule.halo)]
    if rule.bold:
        # The CJK font has no bold face: a thin stroke in the text colour thickens it.
        effects.append(patheffects.Stroke(linewidth=size * 0.05, foreground=rule.colour))
    zorder = 70 + rule.priority / 1000
    for x, y, angle, alignment, valign in spots:
        style = {"fontsize": size, "color": rule.colour, "rotation": angle,
                 "rotation_mode": "anchor", "ha": alignment, "va": valign,
                 "parse_math": False, "clip_on": True}
        text = ax.text(x, y, label, zorder=zorder + 0.0005, gid="label", **style)
        box = text.get_window_extent(renderer)
        box = Bbox.from_extents(box.x0 - pad, box.y0 - pad, box.x1 + pad, box.y1 + pad)
        inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1 and box.y0 >= frame.y0
                  and box.y1 <= frame.y1)
        if inside and not _overlaps(box, taken, rule.priority):
            taken.append((box, _ALWAYS))
            ax.text(x, y, label, zorder=zorder, gid="label-halo", path_effects=effects,
                    **style)
            return label
        text.remove()
    return None
