"""Names on the printed map (注记), from the same catalogue rule the screen uses.

Each layer's :class:`layers.schema.LabelRule` says how its features are named:
along the line (rotated to it), beside the point, or inside the area; its
priority, smallest zoom, size, colour, halo and weight. Each name is measured
once with the renderer; its box at every position it may take (along the line
every 2.5 %, on it and beside it at three distances; the corners beside a
point, then right, left, above, below; inside an area) follows from that, so
many arrangements are tried before anything is drawn. A name is kept only if
its box is inside the map frame and overlaps no other name nor the map
furniture (north arrow, scale bar, inset) — the same rule as on screen:

* the plan's structure (一廊; 两脊, 七大节点, 七轴) is placed first and alone,
  trying a few orders; a structure name still left out moves names of its rank
  out of its way (a second name on a shared road, the 渤海路 axis on the
  corridor's, is set beside the line or stacked on the corridor's name); then
  each takes the nearest place it can get back;
* the lesser names (parks, water, roads …) take the room left, tier by tier.

Every name is drawn as text with a halo (``patheffects.Stroke``) under it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pyproj
import shapely
from matplotlib import patheffects
from matplotlib.transforms import Bbox
from shapely.ops import polylabel

from layers.schema import LabelRule, LayerSpec
from spatial.crs import WGS84
from spatial.export.content import MapContent
from spatial.export.draw import _visible
from spatial.export.options import PX_TO_PT
from spatial.label_areas import class_rank, free_parts, smaller_areas

__all__ = ["LabelCandidate", "draw_labels", "equivalent_zoom", "label_candidates"]

# Web-Mercator metres per pixel at zoom 0 on the equator (256-pixel tiles).
_M_PER_PX_Z0 = 156543.03392804097
# A CSS pixel is 1/96 inch: the size of a screen pixel the zoom levels are defined for.
_CSS_PX_M = 0.0254 / 96.0
# Positions along a line tried for its label, as fractions of the shown length.
# Every 2.5 %, nearest the middle first: a name slides along its line until it is clear of
# the crossings (nodes) and of the names placed before it (a name may just fit between two
# nodes: the steps are fine enough to find the gap).
_LINE_POSITIONS = tuple(sorted((i / 40 for i in range(4, 37)), key=lambda f: (abs(f - 0.5), f)))
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
        alignment at the anchor (a point label tries the corners beside its marker,
        then right, left, above and below), best first.
    order : int
        Drawing order of the layer (ties in priority keep the catalogue order).
    marker : tuple of (x, y, radius in points), optional
        A point label's marker: no other label may cover it, so a line's name
        never hides a node where the lines cross.
    primary : int
        How many of the spots are the usual ones (on the line; the corners beside
        a point; the inner point of an area). Every label first
        gets a chance at these, highest priority first; the other spots are
        tried in a second pass.
    others : tuple of (x, y, radius in points)
        A point label's neighbouring named point symbols (of the layers labelled on
        this page): a spot is taken only when the name is clearly nearer (by half a
        line) its own marker than any of these: it must never read as the name of the
        node next to it.
    area : shapely geometry, optional
        An area label's shown part (map metres): most of its name lies inside it.
    avoid : shapely geometry, optional
        The smaller named areas inside or across it (a park in the zone, the bonded
        zone beside a park): its name never stands in them, where it would read as
        theirs.
    rank : int
        The feature's place among its layer's styled classes
        (:func:`spatial.label_areas.class_rank`): 0 for the main class (园区, not 片区 or
        the background extents).
    """

    text: str
    rule: LabelRule
    spots: tuple[tuple[float, float, float, str, str], ...]
    order: int = 0
    marker: tuple[float, float, float] | None = None
    primary: int = 1
    others: tuple[tuple[float, float, float], ...] = ()
    area: Any = None
    avoid: Any = None
    rank: int = 0


Spot = tuple[float, float, float, str, str]


def _line_spots(
    geom: Any, text_len_m: float, em_m: float, far_m: Sequence[float] = ()
) -> tuple[Spot, ...]:
    """Anchors along a line: on the line at each tried fraction, then beside it.

    The text is rotated to the chord of the line around the anchor (one text
    length long); beside-the-line spots sit ``em_m`` off it, on either side, then at
    each distance of ``far_m``: far enough to clear a node's marker on the line (a name
    set on an axis runs past the nodes at its crossings), then to stack under or over
    the name of a line that shares the path (the 渤海路 axis on the corridor's road).
    """
    length = float(geom.length)
    if length <= 0:
        return ()
    half = min(max(text_len_m / 2.0, length * 0.02), length / 2.0)
    spots: list[Spot] = []
    beside: list[Spot] = []
    far: list[list[Spot]] = [[] for _ in far_m]
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
            for n, off in enumerate(far_m):
                far[n].append((float(mid.x) + side * nx * off, float(mid.y) + side * ny * off,
                               angle, "center", "center"))
    return tuple(spots + beside + [s for ring in far for s in ring])


def _area_spots(poly: Any, avoid: Any, em_m: float) -> tuple[Spot, ...]:
    """Points inside an area, clear of the smaller named areas in it, best first.

    First the pole of inaccessibility of that free part (the point farthest from its edges,
    where the screen sets the name too), then a grid of points over it, nearest that pole
    first: a name gives way within its own area before it is dropped, and never moves out.
    """
    free = poly.difference(avoid) if avoid is not None else poly
    parts = free_parts(free, None, (2.0 * em_m) ** 2)
    if not parts:
        return ()
    part = parts[0]
    x0, y0, x1, y1 = part.bounds
    pole = polylabel(part, tolerance=max(x1 - x0, y1 - y0) / 200.0 or 1.0)
    spots: list[Spot] = [(float(pole.x), float(pole.y), 0.0, "center", "center")]
    # A grid of about 80 points over the free part, at least an em apart.
    step = max(em_m, math.sqrt(sum(g.area for g in parts) / 80.0))
    xs = np.arange(x0 + step / 2, x1, step)
    mx, my = np.meshgrid(xs, np.arange(y0 + step / 2, y1, step))
    inside = shapely.contains_xy(free, mx.ravel(), my.ravel())
    gx, gy = mx.ravel()[inside], my.ravel()[inside]
    near = np.argsort(np.hypot(gx - pole.x, gy - pole.y), kind="stable")
    spots += [(float(gx[n]), float(gy[n]), 0.0, "center", "center") for n in near[:80]]
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
    value labels. Within one priority, a layer's features keep their class order
    (园区 before 片区 before the background extents), then the larger first.
    """
    minx, miny, maxx, maxy = extent
    centre = pyproj.Transformer.from_crs(f"EPSG:{content.epsg}", WGS84, always_xy=True) \
        .transform((minx + maxx) / 2, (miny + maxy) / 2)
    zoom = equivalent_zoom(scale_denominator, centre[1])
    # Labels keep clear of the frame edge (a margin of 3 % of the shorter side).
    margin = 0.03 * min(maxx - minx, maxy - miny)
    inner = shapely.box(minx + margin, miny + margin, maxx - margin, maxy - margin)
    frame_box = shapely.box(minx, miny, maxx, maxy)
    m_per_pt = 0.0254 / 72.0 * scale_denominator  # ground metres per printed point
    choro = content.choropleth
    # Every named point symbol in the frame: a point's name must be clearly nearer its own
    # symbol than any other. (An unnamed dot, a plan project's at this scale, may lie under
    # a name: no name can be taken for its.)
    symbols: list[tuple[float, float, float]] = []
    for layer in content.layers:
        rule = layer.spec.label
        if layer.spec.geometry != "Point" or rule is None or round(zoom) < rule.min_zoom:
            continue
        pts = _visible(layer.gdf, extent).geometry
        pts = pts[pts.notna() & ~pts.is_empty]
        r_pt = layer.spec.style.radius * PX_TO_PT * k
        symbols += [(float(g.x), float(g.y), r_pt) for g in pts.representative_point()]
    sym_xy = np.array([(s[0], s[1]) for s in symbols]).reshape(-1, 2)
    found: list[tuple[tuple[int, int, int, float], LabelCandidate]] = []
    areas: list[tuple[Any, int, str]] = []  # (shown area, candidate index, text)
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
                best[text] = (size, shown, class_rank(spec, rec))
        size_m = rule.size * PX_TO_PT * k * m_per_pt  # 1 em on the ground
        for text, (size, shown, rank) in best.items():
            key = (-rule.priority, order, rank, -size)
            if spec.geometry == "LineString":
                part = _longest_part(shown)
                if part.geom_type != "LineString":
                    continue
                # Beside the line far enough to clear a node's marker on it.
                spots = _line_spots(part, size_m * len(text), size_m * 1.5,
                                    (size_m * 2.2, size_m * 3.6))
                found.append((key, LabelCandidate(text, rule, spots, order,
                                                  primary=len(spots) // 7)))
            elif spec.geometry == "Point":
                pt = shown.representative_point()
                x, y = float(pt.x), float(pt.y)
                r_pt = spec.style.radius * PX_TO_PT * k
                # Beside the marker, just clear of it: the name's padded box touches the
                # marker's padded circle. In a corner the box's corner is nearest the circle,
                # at 45°, so the corner offset is the circle's radius over √2 (a name in a
                # corner of its node, as on screen; a square reserve would set it half a
                # marker further off, next to the node above or below).
                d = ((r_pt + _PAD_PX) / math.sqrt(2.0) + _PAD_PX + 1.0) * m_per_pt
                dx = (r_pt + 2.0 * _PAD_PX + 1.0) * m_per_pt
                # The corners first (upper right, lower right, upper left, lower left): a
                # node sits where two axes cross, and a name in a corner leaves both lines
                # (and room for their names) clear; then right, left, above and below.
                near = np.hypot(sym_xy[:, 0] - x, sym_xy[:, 1] - y)
                # Neighbours within reach of the name (its length and a margin), not itself.
                reach = size_m * (len(text) + 6)
                others = tuple(symbols[n] for n in np.flatnonzero((near < reach) & (near > 1e-6)))
                found.append((key, LabelCandidate(text, rule, (
                    (x + d, y + d, 0.0, "left", "bottom"), (x + d, y - d, 0.0, "left", "top"),
                    (x - d, y + d, 0.0, "right", "bottom"), (x - d, y - d, 0.0, "right", "top"),
                    (x + dx, y, 0.0, "left", "center"), (x - dx, y, 0.0, "right", "center"),
                    (x, y + dx, 0.0, "center", "bottom"), (x, y - dx, 0.0, "center", "top"),
                ), order, (x, y, r_pt), primary=4, others=others)))
            else:
                part = _longest_part(shown) if shown.geom_type.startswith("Multi") else shown
                areas.append((part, len(found), text))
                found.append((key, LabelCandidate(text, rule, (), order, area=part,
                                                  rank=rank)))
    # An area's name keeps out of the smaller named areas it holds or touches that are named
    # before it (the zone's name never stands in a park, a park's never in the bonded zone),
    # and sits inside the rest of its own area. It is sought first clear of every smaller
    # named area (a park's name beside its industry boards, not over one), then, where those
    # fill it, over the ones named after it (its boards and sub-areas are parts of it).
    for part, n, text in areas:
        key, cand = found[n]
        rivals = [(other, m) for other, m, t in areas if m != n and t != text]
        mine = (cand.rule.priority, -cand.rank)
        first = [o for o, m in rivals if (found[m][1].rule.priority, -found[m][1].rank) > mine]
        before = smaller_areas(part, first)
        em_m = cand.rule.size * PX_TO_PT * k * m_per_pt
        spots = _area_spots(part, smaller_areas(part, [o for o, _ in rivals]), em_m)
        if len(first) < len(rivals):  # some are named after it: it may stand over those too
            spots += tuple(s for s in _area_spots(part, before, em_m) if s not in spots)
        found[n] = (key, replace(cand, spots=spots, avoid=before, primary=1))
    found.sort(key=lambda kc: kc[0])
    return [c for _, c in found if c.spots]


# A placed label or the furniture blocks every later label; a point's marker blocks the
# labels ranked up to _MARKER_RANK above its own: the axes' names keep clear of the nodes
# at their crossings, only the corridor (the top of the hierarchy) may run over one.
# Boxes are plain (x0, y0, x1, y1) tuples in display pixels: thousands of arrangements are
# tried, and a tuple test is many times faster than Bbox.overlaps.
_Box = tuple[float, float, float, float]
_Taken = list[tuple[_Box, float]]
_ALWAYS = math.inf
_MARKER_RANK = 10.0


def _hit(a: _Box, b: _Box) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _overlaps(box: _Box, taken: _Taken, priority: float) -> bool:
    return any(p >= priority and _hit(box, t) for t, p in taken)


def _gap(box: _Box, x: float, y: float) -> float:
    """Distance from a point to a box (0 inside it)."""
    return math.hypot(max(box[0] - x, 0.0, x - box[2]), max(box[1] - y, 0.0, y - box[3]))


# A marker: centre, radius (display pixels, padded) and the rank up to which it blocks names.
_Circle = tuple[float, float, float, float]


def _covers(box: _Box, circles: Sequence[_Circle], priority: float) -> bool:
    return any(p >= priority and _gap(box, x, y) < r for x, y, r, p in circles)


# A point's name must be nearer its own marker than any other point symbol by at least this
# share of its text height (else it reads as the neighbour's name).
_CLEAR_SHARE = 0.5


def _tier(cand: LabelCandidate) -> int:
    """The rank of a label in the plan's hierarchy, by tens of priority, as on screen.

    一廊 (100) is the top tier; 两脊 (95), 七大节点 (92) and 七轴 (90) share the next;
    parks, water, roads and facilities come below.
    """
    return int(cand.rule.priority // 10)


@dataclass
class _Placed:
    spot: Spot
    label: str
    box: _Box
    j: int  # the spot's rank among the candidate's (0 is its best place)


_Score = tuple[int, ...]


class _Placer:
    """Places the candidates' names on the page without overlaps.

    Each name is measured once (unrotated); its box at a spot is that rectangle aligned
    and rotated about the anchor, as matplotlib draws it, so many arrangements can be
    tried cheaply before anything is drawn.
    """

    def __init__(self, ax: Any, candidates: Sequence[LabelCandidate], k: float, pad: float,
                 fixed: _Taken, circles: Sequence[_Circle] = ()) -> None:
        self.ax = ax
        self.cands = candidates
        self.k = k
        self.pad = pad
        self.fixed = fixed
        self.circles = circles
        self.to_data = ax.transData.inverted()
        self.renderer = ax.figure.canvas.get_renderer()
        self.frame = ax.get_window_extent(self.renderer)
        self.sizes: dict[tuple[int, str], tuple[float, float]] = {}
        self.boxes: dict[tuple[int, int, str], _Box | None] = {}
        self.placed: dict[int, _Placed] = {}

    def style(self, cand: LabelCandidate, spot: Spot) -> dict[str, Any]:
        _, _, angle, alignment, valign = spot
        return {"fontsize": cand.rule.size * PX_TO_PT * self.k, "color": cand.rule.colour,
                "rotation": angle, "rotation_mode": "anchor", "ha": alignment, "va": valign,
                "multialignment": alignment, "linespacing": 1.1, "parse_math": False,
                "clip_on": True}

    def box(self, i: int, j: int, label: str) -> _Box | None:
        """The padded box of candidate ``i`` at spot ``j``; None when it is not allowed there
        (outside the frame, or over the furniture or a marker that outranks it)."""
        key = (i, j, label)
        if key in self.boxes:
            return self.boxes[key]
        cand = self.cands[i]
        spot = cand.spots[j]
        if (i, label) not in self.sizes:
            text = self.ax.text(spot[0], spot[1], label,
                                **self.style(cand, (0.0, 0.0, 0.0, "center", "center")))
            ext = text.get_window_extent(self.renderer)
            text.remove()
            self.sizes[(i, label)] = (float(ext.width), float(ext.height))
        w, h = self.sizes[(i, label)]
        x0 = {"left": 0.0, "right": -w}.get(spot[3], -w / 2.0)
        y0 = {"bottom": 0.0, "top": -h}.get(spot[4], -h / 2.0)
        ax_, ay = self.ax.transData.transform((spot[0], spot[1]))
        rad = math.radians(spot[2])
        cos, sin = math.cos(rad), math.sin(rad)
        xs, ys = [], []
        for cx, cy in ((x0, y0), (x0 + w, y0), (x0, y0 + h), (x0 + w, y0 + h)):
            xs.append(ax_ + cx * cos - cy * sin)
            ys.append(ay + cx * sin + cy * cos)
        pad, frame = self.pad, self.frame
        tight = (min(xs), min(ys), max(xs), max(ys))
        b = (tight[0] - pad, tight[1] - pad, tight[2] + pad, tight[3] + pad)
        ok = (b[0] >= frame.x0 and b[2] <= frame.x1 and b[1] >= frame.y0
              and b[3] <= frame.y1 and not _overlaps(b, self.fixed, cand.rule.priority)
              and not _covers(b, self.circles, cand.rule.priority)
              and self.belongs(cand, tight))
        self.boxes[key] = b if ok else None
        return self.boxes[key]

    def belongs(self, cand: LabelCandidate, box: _Box) -> bool:
        """Whether a name in this box reads as its own feature's and no other's.

        A point's name is nearer its own marker than any other named point symbol, by
        half a line at least (it never stands nearer the next node); an area's name lies
        mostly inside its area and mostly outside the smaller named areas in it.
        """
        if cand.marker is not None:
            if not cand.others:
                return True
            dpi = self.ax.figure.dpi
            mx, my = self.ax.transData.transform((cand.marker[0], cand.marker[1]))
            own = _gap(box, mx, my) - cand.marker[2] * dpi / 72.0
            clear = _CLEAR_SHARE * cand.rule.size * PX_TO_PT * self.k * dpi / 72.0
            pts = self.ax.transData.transform([(o[0], o[1]) for o in cand.others])
            return all(_gap(box, px, py) - r * dpi / 72.0 >= own + clear
                       for (px, py), (_, _, r) in zip(pts, cand.others, strict=True))
        if cand.area is None:
            return True
        # Nine points along the middle of the name, in map metres.
        ym = (box[1] + box[3]) / 2.0
        xs = np.linspace(box[0], box[2], 9)
        pts = self.to_data.transform(np.column_stack([xs, np.full(9, ym)]))
        share = float(np.mean(shapely.contains_xy(cand.area, pts[:, 0], pts[:, 1])))
        if share < 0.4:
            return False
        if cand.avoid is None:
            return True
        return float(np.mean(shapely.contains_xy(cand.avoid, pts[:, 0], pts[:, 1]))) <= 0.4

    def labels(self, i: int) -> tuple[str, ...]:
        """The name, on two lines, then its short form without a bracketed note (as a last
        resort), on one line and on two; an area's name in Latin letters on three lines too.

        A point's or an area's name may break; a line's only in Latin letters (as on
        screen: Chinese along a line stays one run of characters).
        """
        cand = self.cands[i]
        latin = " " in cand.text
        forms = [cand.text, _short(cand.text)]
        if cand.marker is not None or cand.area is not None or latin:
            forms = [cand.text, _wrap(cand.text), forms[1], _wrap(forms[1])]
        if cand.area is not None and latin:
            forms.append(_wrap(forms[1], 3))
        return tuple(dict.fromkeys(forms))

    def place_free(self, i: int, spots: range, label: str) -> bool:
        """Put candidate ``i`` at the first of these spots clear of every placed name."""
        for j in spots:
            b = self.box(i, j, label)
            if b is None:
                continue
            if any(_hit(b, p.box) for p in self.placed.values()):
                continue
            self.placed[i] = _Placed(self.cands[i].spots[j], label, b, j)
            return True
        return False

    def greedy(self, order: Sequence[int]) -> None:
        """In this order: every name tries its usual spots, then all of them."""
        for first in (True, False):
            for i in order:
                if i in self.placed:
                    continue
                cand = self.cands[i]
                spots = range(cand.primary if first else len(cand.spots))
                for label in self.labels(i)[:1] if first else self.labels(i):
                    if self.place_free(i, spots, label):
                        break

    def score(self, ids: Sequence[int]) -> _Score:
        """Names left out per tier, highest tier first (smaller is better)."""
        tiers = sorted({_tier(self.cands[i]) for i in ids}, reverse=True)
        return tuple(sum(1 for i in ids if _tier(self.cands[i]) == t and i not in self.placed)
                     for t in tiers)

    def search(self, ids: list[int], rounds: int = 12) -> None:
        """Place the top names, trying a few orders; keep the arrangement that leaves out
        fewest of the highest tier (then of the next).

        After a greedy pass in priority order, the names left out go first in the next
        pass (even before a higher tier, which then finds another place) — the order the
        screen tries too. A pass no worse than the last is followed, so another crowded
        name gets its turn.
        """
        order = list(ids)
        self.greedy(order)
        best, best_score = dict(self.placed), self.score(ids)
        cur_score = best_score
        for _ in range(rounds):
            missed = [i for i in order if i not in self.placed]
            if not missed:
                break
            order = missed + [i for i in order if i not in missed]
            kept = dict(self.placed)
            self.placed = {}
            self.greedy(order)
            score = self.score(ids)
            if score > cur_score:
                self.placed = kept  # worse: go on from the previous pass
            else:
                cur_score = score
            if score < best_score:
                best, best_score = dict(self.placed), score
        self.placed = best

    def repair(self, i: int, limit: int | None = None, drop: bool = True,
               lift: bool = False, depth: int = 1) -> bool:
        """Place a missed name by moving the names in its way (or dropping lesser ones).

        A spot is taken when every name it covers ranks no higher and each of the same rank
        finds another free spot: so a second name on a shared line (the 渤海路 axis on the
        corridor's road) pushes a neighbouring axis name along its own line instead of
        being dropped, and a park's name gives way to a structure name. ``limit`` tries only
        the first spots; with ``drop`` False every name moved must find another place.
        With ``lift`` a name may move names of any rank (a park's name moves an axis's along
        its line), each of which must find another place of its own.
        """
        cand = self.cands[i]
        tier = _tier(cand)
        for label in self.labels(i):
            for j in range(len(cand.spots) if limit is None else limit):
                b = self.box(i, j, label)
                if b is None:
                    continue
                hit = [n for n, p in self.placed.items() if _hit(b, p.box)]
                if not lift and any(_tier(self.cands[n]) > tier for n in hit):
                    continue
                saved = dict(self.placed)
                for n in hit:
                    del self.placed[n]
                self.placed[i] = _Placed(cand.spots[j], label, b, j)
                lost = False
                for n in sorted(hit, key=lambda n: (-self.cands[n].rule.priority, n)):
                    moved = any(self.place_free(n, range(len(self.cands[n].spots)), lab)
                                for lab in self.labels(n))
                    if not moved and depth > 0:
                        # No free place: it may in turn push a name of its rank along (one
                        # step only), as long as nothing is dropped.
                        moved = self.repair(n, drop=False, depth=depth - 1)
                    if not moved and (lift or not drop or _tier(self.cands[n]) >= tier):
                        lost = True
                        break
                if not lost:
                    return True
                self.placed = saved
        return False

    def settle(self, ids: Sequence[int]) -> None:
        """Move each placed name, highest priority first, to a better place of its own.

        The order search finds room for every name but may leave one far from its line
        (its near places were taken when it came last); once all are placed, each takes a
        nearer place back, moving names of no higher rank out of the way when every one of
        them finds another place (none is dropped).
        """
        for i in sorted(ids, key=lambda n: (-self.cands[n].rule.priority, n)):
            p = self.placed.get(i)
            if p is None or p.j == 0:
                continue
            del self.placed[i]
            if not self.repair(i, limit=p.j, drop=False):
                self.placed[i] = p

    def draw(self) -> list[str]:
        """Draw the placed names (each with its halo); return their texts in priority order."""
        for i in sorted(self.placed):
            cand, p = self.cands[i], self.placed[i]
            rule = cand.rule
            size = rule.size * PX_TO_PT * self.k
            # The halo is its own artist drawn under the name: a text with path effects is
            # printed as outlines, and the name itself must stay text in the PDF (searchable,
            # selectable).
            effects: list[Any] = [patheffects.Stroke(linewidth=max(size * 0.22, 1.2),
                                                     foreground=rule.halo)]
            if rule.bold:
                # The CJK font has no bold face: a thin stroke in the text colour thickens it.
                effects.append(patheffects.Stroke(linewidth=size * 0.05, foreground=rule.colour))
            zorder = 70 + rule.priority / 1000
            style = self.style(cand, p.spot)
            x, y = p.spot[0], p.spot[1]
            self.ax.text(x, y, p.label, zorder=zorder + 0.0005, gid="label", **style)
            self.ax.text(x, y, p.label, zorder=zorder, gid="label-halo", path_effects=effects,
                         **style)
        # A name set on two lines is reported on one (as the text layer reads it).
        return [self.placed[i].label.replace("\n", " " if " " in self.cands[i].text else "")
                for i in sorted(self.placed)]


def draw_labels(
    ax: Any,
    candidates: Sequence[LabelCandidate],
    k: float,
    reserved: Sequence[Bbox] = (),
) -> list[str]:
    """Draw the labels that fit, highest priority first; return the texts printed.

    The plan's structure (the top two tiers, :func:`_tier`: 一廊; 两脊, 七大节点, 七轴) is
    placed first and alone, trying a few orders (:meth:`_Placer.search`); a structure name
    still left out then moves names of its rank out of its way (:meth:`_Placer.repair`).
    The lesser names (parks, water, roads …) take the room that is left, tier by tier.
    No two names ever overlap.

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
    pad = _PAD_PX * fig.dpi / 72.0
    fixed: _Taken = [((b.x0, b.y0, b.x1, b.y1), _ALWAYS) for b in reserved]
    to_px = ax.transData
    circles: list[_Circle] = []
    for cand in candidates:
        if cand.marker is not None:
            mx, my = to_px.transform((cand.marker[0], cand.marker[1]))
            r = cand.marker[2] * fig.dpi / 72.0 + pad
            circles.append((float(mx), float(my), r, float(cand.rule.priority) + _MARKER_RANK))
    placer = _Placer(ax, candidates, k, pad, fixed, circles)
    if candidates:
        top = max(_tier(c) for c in candidates)
        structure = [i for i, c in enumerate(candidates) if _tier(c) >= top - 1]
        # The parks and the bonded zone (the main class of the next tier) are sought with the
        # structure, ranked below it: of the arrangements naming the whole structure, the one
        # naming most of them is kept.
        must = [i for i, c in enumerate(candidates)
                if _tier(c) == top - 2 and c.area is not None and c.rank == 0]
        placer.search(structure + must)
        for _ in range(3):  # a repair can free room for another: a few rounds
            missed = [i for i in structure if i not in placer.placed]
            if not missed or not any([placer.repair(i) for i in missed]):
                break
        placer.settle(structure)
        for i in must:
            # Still left out: it moves structure names along their lines / round their
            # nodes, none of them dropped.
            if i not in placer.placed:
                placer.repair(i, lift=True)
        for tier in sorted({_tier(c) for c in candidates}, reverse=True):
            if tier < top - 1:
                placer.greedy([i for i, c in enumerate(candidates) if _tier(c) == tier])
    return placer.draw()


# Words a two-line name breaks before (the generic part of a Chinese place name).
_CJK_BREAKS = ("综合保税区", "保税区", "开发区", "园区", "公园", "湿地", "节点", "服务", "产业",
               "板块", "新城", "小镇", "社区", "区域", "主脊", "走廊", "联动轴", "创新", "综合")


def _wrap(text: str, lines: int = 2) -> str:
    """The name on two lines, broken near its middle: at a space in Latin text, before a
    generic word (园区, 保税区, 节点 …) in Chinese. Short names stay on one line. Latin
    text may be set on three lines (at the spaces nearest its thirds)."""
    if " " in text:
        if len(text) < 14:
            return text
        spaces = [n for n, ch in enumerate(text) if ch == " "]
        cuts = sorted({min(spaces, key=lambda n: abs(lines * n - part * len(text)))
                       for part in range(1, lines)})
        out = list(text)
        for n in cuts:
            out[n] = "\n"
        return "".join(out)
    if len(text) < 6:
        return text
    mid = len(text) / 2.0
    cuts = [n for n in range(2, len(text) - 1) if abs(n - mid) <= 2.0]
    generic = [n for n in cuts if text.startswith(_CJK_BREAKS, n)]
    n = min(generic or cuts, key=lambda n: (abs(n - mid), -n))
    return text[:n] + "\n" + text[n:]


def _short(text: str) -> str:
    """The name without a bracketed note: 衡山路联动轴（第七轴，规划未具名） → 衡山路联动轴."""
    return re.sub(r"\s*[（(][^）)]*[）)]\s*", "", text).strip() or text
