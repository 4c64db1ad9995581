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
    """

    text: str
    rule: LabelRule
    spots: tuple[tuple[float, float, float, str, str], ...]
    order: int = 0
    marker: tuple[float, float, float] | None = None
    primary: int = 1


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
                spots = _line_spots(part, size_m * len(text), size_m * 1.5,
                                    (size_m * 2.2, size_m * 3.6))
                out.append(LabelCandidate(text, rule, spots, order, primary=len(spots) // 7))
            elif spec.geometry == "Point":
                pt = shown.representative_point()
                # Beside the marker: the radius plus a gap, in metres at this scale.
                # (clear of the marker's reserved box and both paddings).
                gap_pt = spec.style.radius * PX_TO_PT * k + 2.5 * _PAD_PX + 1.0
                dx = gap_pt / 72.0 * 0.0254 * scale_denominator
                x, y = float(pt.x), float(pt.y)
                # The corners: the name's padded box just clears the marker's (both padded).
                d_pt = spec.style.radius * PX_TO_PT * k + 2.0 * _PAD_PX + 1.0
                d = d_pt / 72.0 * 0.0254 * scale_denominator
                # The corners first (upper right, lower right, upper left, lower left): a
                # node sits where two axes cross, and a name in a corner leaves both lines
                # (and room for their names) clear; then right, left, above and below.
                out.append(LabelCandidate(text, rule, (
                    (x + d, y + d, 0.0, "left", "bottom"), (x + d, y - d, 0.0, "left", "top"),
                    (x - d, y + d, 0.0, "right", "bottom"), (x - d, y - d, 0.0, "right", "top"),
                    (x + dx, y, 0.0, "left", "center"), (x - dx, y, 0.0, "right", "center"),
                    (x, y + dx, 0.0, "center", "bottom"), (x, y - dx, 0.0, "center", "top"),
                ), order, (x, y, spec.style.radius * PX_TO_PT * k), primary=4))
            else:
                part = _longest_part(shown) if shown.geom_type.startswith("Multi") else shown
                out.append(LabelCandidate(text, rule, _area_spots(part), order))
    out.sort(key=lambda c: (-c.rule.priority, c.order))
    return out


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
                 fixed: _Taken) -> None:
        self.ax = ax
        self.cands = candidates
        self.k = k
        self.pad = pad
        self.fixed = fixed
        self.renderer = ax.figure.canvas.get_renderer()
        self.frame = ax.get_window_extent(self.renderer)
        self.sizes: dict[tuple[int, str], tuple[float, float]] = {}
        self.boxes: dict[tuple[int, int, str], _Box | None] = {}
        self.placed: dict[int, _Placed] = {}

    def style(self, cand: LabelCandidate, spot: Spot) -> dict[str, Any]:
        _, _, angle, alignment, valign = spot
        return {"fontsize": cand.rule.size * PX_TO_PT * self.k, "color": cand.rule.colour,
                "rotation": angle, "rotation_mode": "anchor", "ha": alignment, "va": valign,
                "parse_math": False, "clip_on": True}

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
        b = (min(xs) - pad, min(ys) - pad, max(xs) + pad, max(ys) + pad)
        ok = (b[0] >= frame.x0 and b[2] <= frame.x1 and b[1] >= frame.y0
              and b[3] <= frame.y1 and not _overlaps(b, self.fixed, cand.rule.priority))
        self.boxes[key] = b if ok else None
        return self.boxes[key]

    def labels(self, i: int) -> tuple[str, ...]:
        """The name, then its short form without a bracketed note (as a last resort)."""
        text = self.cands[i].text
        short = _short(text)
        return (text,) if short == text else (text, short)

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

    def repair(self, i: int, limit: int | None = None, drop: bool = True) -> bool:
        """Place a missed name by moving the names in its way (or dropping lesser ones).

        A spot is taken when every name it covers ranks no higher and each of the same rank
        finds another free spot: so a second name on a shared line (the 渤海路 axis on the
        corridor's road) pushes a neighbouring axis name along its own line instead of
        being dropped, and a park's name gives way to a structure name. ``limit`` tries only
        the first spots; with ``drop`` False every name moved must find another place.
        """
        cand = self.cands[i]
        tier = _tier(cand)
        for label in self.labels(i):
            for j in range(len(cand.spots) if limit is None else limit):
                b = self.box(i, j, label)
                if b is None:
                    continue
                hit = [n for n, p in self.placed.items() if _hit(b, p.box)]
                if any(_tier(self.cands[n]) > tier for n in hit):
                    continue
                saved = dict(self.placed)
                for n in hit:
                    del self.placed[n]
                self.placed[i] = _Placed(cand.spots[j], label, b, j)
                lost = False
                for n in sorted(hit, key=lambda n: (-self.cands[n].rule.priority, n)):
                    moved = any(self.place_free(n, range(len(self.cands[n].spots)), lab)
                                for lab in self.labels(n))
                    if not moved and (not drop or _tier(self.cands[n]) >= tier):
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
        return [self.placed[i].label for i in sorted(self.placed)]


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
    for cand in candidates:
        if cand.marker is not None:
            mx, my = to_px.transform((cand.marker[0], cand.marker[1]))
            r = cand.marker[2] * fig.dpi / 72.0 + pad
            fixed.append(((mx - r, my - r, mx + r, my + r),
                          float(cand.rule.priority) + _MARKER_RANK))
    placer = _Placer(ax, candidates, k, pad, fixed)
    if candidates:
        top = max(_tier(c) for c in candidates)
        structure = [i for i, c in enumerate(candidates) if _tier(c) >= top - 1]
        placer.search(structure)
        for _ in range(3):  # a repair can free room for another: a few rounds
            missed = [i for i in structure if i not in placer.placed]
            if not missed or not any([placer.repair(i) for i in missed]):
                break
        placer.settle(structure)
        for tier in sorted({_tier(c) for c in candidates}, reverse=True):
            if tier < top - 1:
                placer.greedy([i for i, c in enumerate(candidates) if _tier(c) == tier])
    return placer.draw()


def _short(text: str) -> str:
    """The name without a bracketed note: 衡山路联动轴（第七轴，规划未具名） → 衡山路联动轴."""
    return re.sub(r"\s*[（(][^）)]*[）)]\s*", "", text).strip() or text
