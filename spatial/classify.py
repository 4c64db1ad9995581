"""Classing indicator values for a choropleth, and checking them against a target.

The class breaks come from ``mapclassify`` (quantiles, equal interval,
Fisher–Jenks natural breaks, or breaks typed by hand such as a plan target)
and are frozen in a :class:`Classification`. The page keeps its breaks in the
view state (:class:`spatial.view.IndicatorSelection`), and classing the same
values with those breaks again gives the same classes, so the screen, the
table and an export agree.

Classes include their upper bound (mapclassify's convention): a value equal to
a break belongs to the lower class. Missing values get a legend entry of their
own and a fill that no class uses (white, drawn with a dashed outline).
"""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from spatial._errors import AnalysisError

__all__ = [
    "DEFAULT_PALETTE",
    "DIVERGING_PALETTE",
    "MISSING_COLOUR",
    "NEUTRAL_COLOUR",
    "PALETTES",
    "SCHEMES",
    "Classification",
    "Comparison",
    "LegendRow",
    "Palette",
    "Target",
    "auto_decimals",
    "classify",
    "data_decimals",
    "format_number",
    "missing_label",
    "parse_breaks",
    "scheme_name",
    "target_status",
]

SCHEMES: tuple[str, ...] = ("Quantiles", "EqualInterval", "FisherJenks", "UserDefined")
_SCHEME_NAMES: dict[str, tuple[str, str]] = {
    "Quantiles": ("分位数", "Quantiles"),
    "EqualInterval": ("等间距", "Equal interval"),
    "FisherJenks": ("自然断点（Fisher–Jenks）", "Natural breaks (Fisher–Jenks)"),
    "UserDefined": ("自定义断点", "User-defined breaks"),
}

# A white fill with a dashed outline: no class of any palette is white, and it prints as "empty".
MISSING_COLOUR = "#FFFFFF"

# Fill of a class that straddles the centre of a diverging palette.
NEUTRAL_COLOUR = "#BBBBBB"

Comparison = Literal[">=", ">", "<=", "<"]


def scheme_name(scheme: str, lang: str = "zh") -> str:
    """Return the planner-facing name of a classification scheme."""
    zh, en = _SCHEME_NAMES.get(scheme, (scheme, scheme))
    return en if lang == "en" else zh


@dataclass(frozen=True)
class Palette:
    """A colour scheme for classes.

    Attributes
    ----------
    id : str
        Matplotlib colormap name.
    name_zh, name_en : str
        Name shown to the planner.
    kind : {"sequential", "diverging"}
        Sequential: light (low) to dark (high). Diverging: two hues meeting
        at a centre (a target), light near it and dark far from it.
    """

    id: str
    name_zh: str
    name_en: str
    kind: Literal["sequential", "diverging"]

    def name(self, lang: str = "zh") -> str:
        """Return the name in ``"zh"`` or ``"en"``."""
        return self.name_en if lang == "en" else self.name_zh

    def sample(self, positions: Iterable[float]) -> tuple[str, ...]:
        """Return hex colours of the colormap at positions in [0, 1]."""
        cmap = matplotlib.colormaps[self.id]
        return tuple(mcolors.to_hex(cmap(float(p))) for p in positions)


# Only schemes that ColorBrewer marks colour-blind safe and print friendly (light-to-dark
# in lightness, so they survive greyscale printing), plus cividis, which was designed for
# colour-vision deficiency with monotone lightness. No rainbow, no red–green.
PALETTES: dict[str, Palette] = {
    p.id: p
    for p in (
        Palette("YlGnBu", "黄绿蓝（色盲友好）", "Yellow–green–blue (colour-blind safe)",
                "sequential"),
        Palette("Greens", "绿色（色盲友好）", "Greens (colour-blind safe)", "sequential"),
        Palette("YlOrBr", "黄橙棕（色盲友好）", "Yellow–orange–brown (colour-blind safe)",
                "sequential"),
        Palette("cividis", "Cividis（色觉障碍友好）", "Cividis (colour-vision safe)",
                "sequential"),
        Palette("PuOr", "紫–橙 发散（围绕目标）", "Purple–orange diverging (around target)",
                "diverging"),
        Palette("BrBG", "棕–青 发散（围绕目标）", "Brown–teal diverging (around target)",
                "diverging"),
    )
}
DEFAULT_PALETTE = "YlGnBu"
DIVERGING_PALETTE = "PuOr"


@dataclass(frozen=True)
class Target:
    """A threshold an indicator should meet, e.g. 城市绿地率 ≥ 37 %.

    Attributes
    ----------
    value : float
        The threshold.
    op : {">=", ">", "<=", "<"}
        How a value meets it (the plan's "> 15 万元/亩" is ``">"``).
    """

    value: float
    op: Comparison = ">="

    def meets(self, x: float | None) -> bool | None:
        """Return whether ``x`` meets the target; None when ``x`` is missing."""
        if x is None or not math.isfinite(float(x)):
            return None
        v = float(x)
        return {
            ">=": v >= self.value,
            ">": v > self.value,
            "<=": v <= self.value,
            "<": v < self.value,
        }[self.op]

    def text(self, decimals: int = 1) -> str:
        """Return the target as text, e.g. ``"≥ 37.0"``."""
        sym = {">=": "≥", ">": ">", "<=": "≤", "<": "<"}[self.op]
        return f"{sym} {format_number(self.value, decimals)}"


def target_status(values: pd.Series, target: Target) -> pd.Series:
    """Pass/fail of each value against a target.

    Returns
    -------
    Series of str
        ``"pass"``, ``"fail"`` or ``"missing"`` per value, indexed like ``values``.
    """
    out = [
        {True: "pass", False: "fail", None: "missing"}[target.meets(v)]
        for v in pd.to_numeric(values, errors="coerce").astype(float)
    ]
    return pd.Series(out, index=values.index, dtype=object)


def format_number(x: float, decimals: int) -> str:
    """Format a value for a label: fixed decimals with thousands separators."""
    if not math.isfinite(x):
        return "–"
    text = f"{x:,.{max(decimals, 0)}f}"
    # A small negative value rounds to "-0.0"; print it as zero.
    return text[1:] if text.startswith("-") and text.strip("-0.,") == "" else text


def auto_decimals(
    values: Sequence[float], at_least: int = 0, data: Sequence[float] = ()
) -> int:
    """Return the fewest decimals (``at_least``–4) at which class bounds read unambiguously.

    The bounds (``values``) must print distinctly, a non-zero bound must not
    print as "0" (a break of 0.004 keeps three decimals), and no data value
    (``data``) may print like a bound it differs from, or a reader could not
    tell which class "0.75" is in when the break is 0.7512.
    """
    uniq = sorted({v for v in values if math.isfinite(v)})
    bounds = np.asarray(uniq, dtype=float)
    near = np.asarray([v for v in data if math.isfinite(v)], dtype=float)
    if len(bounds) and len(near):
        # Only data values within one unit of the coarsest format of some bound can collide.
        gap = np.min(np.abs(near[:, None] - bounds[None, :]), axis=1)
        near = near[(gap > 0) & (gap < 10.0 ** -max(at_least, 0))]
    for d in range(max(at_least, 0), 5):
        shown = {format_number(v, d) for v in uniq}
        if len(shown) != len(uniq):
            continue
        if any(v != 0 and format_number(v, d) == format_number(0.0, d) for v in uniq):
            continue
        if any(format_number(float(v), d) in shown for v in near
               if float(v) not in uniq):
            continue
        return d
    return max(at_least, 4)


def data_decimals(values: Iterable[float], cap: int = 2) -> int:
    """Return the decimals the values are given with (e.g. 1 for 29.6), at most ``cap``."""
    finite = [v for v in values if math.isfinite(v)]
    for d in range(cap + 1):
        if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v)) for v in finite):
            return d
    return cap


@dataclass(frozen=True)
class LegendRow:
    """One legend line: a swatch colour, a label and how many areas it holds."""

    colour: str
    label: str
    count: int
    missing: bool = False


@dataclass(frozen=True)
class Classification:
    """Frozen classes of one indicator: what the map, the legend and the table share.

    Attributes
    ----------
    scheme : str
        One of :data:`SCHEMES`.
    breaks : tuple of float
        Upper bound of each class, ascending (mapclassify ``bins``).
    lower : float
        Lower bound of the first class (the smallest value, or the first
        break if that is lower).
    counts : tuple of int
        Number of values in each class.
    colours : tuple of str
        Hex fill of each class.
    labels : tuple of str
        Text of each class, ``"lower – upper"``.
    n_missing : int
        Number of missing values (not in any class).
    palette : str
        Id of the palette in :data:`PALETTES`.
    decimals : int
        Decimals used in the labels.
    centre : float, optional
        Where a diverging palette is centred (the target).
    """

    scheme: str
    breaks: tuple[float, ...]
    lower: float
    counts: tuple[int, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]
    n_missing: int
    palette: str
    decimals: int
    centre: float | None = None

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.breaks)

    def bin_of(self, value: float | None) -> int | None:
        """Return the class index of a value, None if it is missing.

        A value above the last break falls in the last class and one below the
        lower bound in the first: breaks frozen from one data set can be
        applied to a slightly different one.
        """
        if value is None or not self.breaks or not math.isfinite(float(value)):
            return None
        v = float(_tidy(np.asarray([float(value)]))[0])
        i = int(np.searchsorted(np.asarray(self.breaks), v, side="left"))
        return min(i, self.k - 1)

    def colour_of(self, value: float | None) -> str:
        """Return the fill colour of a value (the missing colour if it is missing)."""
        i = self.bin_of(value)
        return MISSING_COLOUR if i is None else self.colours[i]

    def label_of(self, value: float | None, lang: str = "zh") -> str:
        """Return the class label of a value (the missing label if it is missing)."""
        i = self.bin_of(value)
        return missing_label(lang) if i is None else self.labels[i]

    def legend(self, lang: str = "zh") -> list[LegendRow]:
        """Return the legend rows: one per class, then one for missing values if any."""
        rows = [
            LegendRow(c, lab, n) for c, lab, n in zip(
                self.colours, self.labels, self.counts, strict=True
            )
        ]
        if self.n_missing:
            rows.append(LegendRow(MISSING_COLOUR, missing_label(lang), self.n_missing, True))
        return rows

    def describe(self, lang: str = "zh") -> str:
        """Return the method line of the legend, e.g. ``"分位数，5 级"``."""
        name = scheme_name(self.scheme, lang)
        if lang == "en":
            return f"{name}, {self.k} class{'es' if self.k != 1 else ''}"
        return f"{name}，{self.k} 级"


def missing_label(lang: str = "zh") -> str:
    """Return the legend label of missing values."""
    return "No data" if lang == "en" else "无数据"


def parse_breaks(text: str) -> tuple[float, ...]:
    """Parse class breaks typed by a planner, e.g. ``"20, 37；50"``.

    Full-width digits and separators are accepted; the result is sorted and
    without repeats.

    Raises
    ------
    AnalysisError
        If a part is not a number or nothing was typed.
    """
    norm = unicodedata.normalize("NFKC", text)
    parts = [p for p in re.split(r"[,;、\s]+", norm) if p]
    values: list[float] = []
    for p in parts:
        try:
            v = float(p)
        except ValueError:
            raise AnalysisError(
                f"断点“{p[:20]}”不是数字。请用逗号分隔数字，例如 20, 37, 50。",
                f"Break '{p[:20]}' is not a number. Separate numbers by commas, e.g. 20, 37, 50.",
            ) from None
        if not math.isfinite(v):
            raise AnalysisError(f"断点“{p[:20]}”不是有限数字。",
                                f"Break '{p[:20]}' is not a finite number.")
        values.append(v)
    if not values:
        raise AnalysisError("请至少输入一个断点。", "Type at least one break.")
    return tuple(sorted(set(values)))


# Values are compared at 9 significant digits: a 1 km² square measured after a round trip
# through WGS84 is 0.9999999998 or 1.0000000003 km², and such noise must not split classes.
_SIGNIFICANT = 9


def _tidy(arr: NDArray[np.float64]) -> NDArray[np.float64]:
    """Round to :data:`_SIGNIFICANT` significant digits (NaN and inf pass through)."""
    out = arr.astype(float, copy=True)
    ok = np.isfinite(out) & (out != 0)
    mag = np.floor(np.log10(np.abs(out[ok])))
    scale = 10.0 ** (_SIGNIFICANT - 1 - mag)
    out[ok] = np.round(out[ok] * scale) / scale
    return out


def _finite(values: ArrayLike | Sequence[float | None]) -> tuple[NDArray[np.float64], int]:
    arr = pd.to_numeric(pd.Series(np.asarray(values, dtype=object).ravel()),
                        errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(arr)
    return _tidy(arr[ok]), int((~ok).sum())


def _mapclassify(y: NDArray[np.float64], scheme: str, k: int,
                 breaks: Sequence[float]) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Run mapclassify; return its bins and counts."""
    # Imported here: mapclassify pulls in scikit-learn and scipy.stats (seconds), which
    # modules that only need a Classification (export, the URL) should not pay for.
    import mapclassify

    with warnings.catch_warnings():
        # mapclassify warns that numba is absent (pure Python is fast enough here) and
        # when it lowers k for ties; we lower k ourselves beforehand.
        warnings.simplefilter("ignore", UserWarning)
        if breaks:
            c = mapclassify.UserDefined(y, bins=list(breaks))
        elif scheme == "Quantiles":
            c = mapclassify.Quantiles(y, k=k)
        elif scheme == "EqualInterval":
            c = mapclassify.EqualInterval(y, k=k)
        elif scheme == "FisherJenks":
            return _fisher_jenks(y, k)
        else:
            raise AnalysisError(
                f"未知的分级方法“{scheme[:30]}”，或自定义分级缺少断点。",
                f"Unknown classification '{scheme[:30]}', or user-defined breaks are missing.",
            )
    return tuple(float(b) for b in c.bins), tuple(int(n) for n in c.counts)


def _fisher_jenks(y: NDArray[np.float64], k: int) -> tuple[tuple[float, ...], tuple[int, ...]]:
    """Fisher–Jenks natural breaks whose bins are ascending data values, one per class.

    mapclassify computes the class variances in float32, so values that differ only
    after the 7th significant digit (1 000 005.1 and 1 000 005.7, or a few areas with
    a large common offset) come back as unsorted or repeated bins, and classes then take
    another class's colour. With no more distinct values than classes every distinct
    value is its own class (zero variance within each: the natural-breaks optimum). Otherwise
    the breaks are found on the values rescaled to 0–1 (float32 is then precise enough) and
    mapped back to the data values at the same positions.
    """
    import mapclassify

    uniq = np.unique(y)
    if len(uniq) <= k:
        bins = uniq
    else:
        lo, span = float(uniq[0]), float(uniq[-1] - uniq[0])
        scaled = (uniq - lo) / span
        fj = mapclassify.FisherJenks((y - lo) / span, k=k)
        # Each bin is one of the scaled data values: take the original value at that position.
        pos = np.abs(scaled[None, :] - np.asarray(fj.bins, dtype=float)[:, None]).argmin(axis=1)
        bins = np.unique(uniq[pos])
    if bins[-1] < uniq[-1]:
        bins = np.append(bins, uniq[-1])
    # Upper bounds are inclusive (value ≤ break), as in mapclassify.
    idx = np.searchsorted(bins, y, side="left")
    counts = np.bincount(idx, minlength=len(bins))
    return tuple(float(b) for b in bins), tuple(int(n) for n in counts)


def _colours(palette: Palette, breaks: Sequence[float], lower: float,
             centre: float | None) -> tuple[str, ...]:
    k = len(breaks)
    if k == 0:
        return ()
    if palette.kind == "sequential":
        # Skip the palest end so the lowest class never looks like "no data" (white).
        seq = [0.6] if k == 1 else list(np.linspace(0.2, 0.95, k))
        return palette.sample(seq)
    # Diverging: classes wholly at or below the centre take the low hue, darker the further
    # they are; classes wholly above take the high hue; a class straddling it is neutral grey
    # (the palette's own middle is near-white and would look like "no data").
    c = centre if centre is not None else float(np.median([lower, *breaks]))
    lows = (lower, *breaks[:-1])
    side = [
        -1 if hi <= c else (1 if lo >= c else 0)
        for lo, hi in zip(lows, breaks, strict=True)
    ]
    n_below, n_above = side.count(-1), side.count(1)
    out: list[str] = []
    below_seen = above_seen = 0
    for s in side:
        if s < 0:
            # ascending order: the first class below is the farthest (darkest, 0.05)
            pos = 0.05 + 0.35 * below_seen / (n_below - 1) if n_below > 1 else 0.3
            below_seen += 1
            out.extend(palette.sample([pos]))
        elif s > 0:
            pos = 0.60 + 0.35 * above_seen / (n_above - 1) if n_above > 1 else 0.7
            above_seen += 1
            out.extend(palette.sample([pos]))
        else:
            out.append(NEUTRAL_COLOUR)
    return tuple(out)


def classify(
    values: ArrayLike | Sequence[float | None],
    scheme: str = "Quantiles",
    k: int = 5,
    breaks: Sequence[float] = (),
    palette: str = DEFAULT_PALETTE,
    centre: float | None = None,
    min_decimals: int | None = None,
) -> Classification:
    """Class the values of an indicator with mapclassify and freeze the result.

    Parameters
    ----------
    values : array_like
        One value per area; NaN/None/text are missing and get no class.
    scheme : str
        ``"Quantiles"``, ``"EqualInterval"``, ``"FisherJenks"`` or
        ``"UserDefined"`` (the method the legend states).
    k : int
        Number of classes for the computed schemes; lowered to the number of
        distinct values when there are fewer.
    breaks : sequence of float
        Upper class bounds. Required for ``"UserDefined"``; for another scheme,
        breaks kept from an earlier classification (the view state) are reused
        as they are, so the same data get the same classes. mapclassify adds
        the largest value as a last break when it lies above the given ones.
    palette : str
        Id in :data:`PALETTES`.
    centre : float, optional
        Centre of a diverging palette, normally the target (default: the
        median break).
    min_decimals : int, optional
        Fewest decimals in labels: the indicator's own precision, by default
        the precision the values are given with (at most 2). More are used
        when the breaks would otherwise print alike.

    Returns
    -------
    Classification

    Raises
    ------
    AnalysisError
        For an unknown scheme or palette, ``k < 1``, or ``"UserDefined"``
        without breaks.
    """
    if palette not in PALETTES:
        raise AnalysisError(f"未知的配色“{palette[:30]}”。", f"Unknown palette '{palette[:30]}'.")
    if k < 1:
        raise AnalysisError("分级数至少为 1。", "The number of classes must be at least 1.")
    if scheme not in SCHEMES:
        raise AnalysisError(f"未知的分级方法“{scheme[:30]}”。",
                            f"Unknown classification '{scheme[:30]}'.")
    y, n_missing = _finite(values)
    user = tuple(float(b) for b in breaks)
    if any(not math.isfinite(b) for b in user):
        raise AnalysisError("断点必须是有限数字。", "Breaks must be finite numbers.")
    user = tuple(sorted(set(user)))
    if scheme == "UserDefined" and not user:
        raise AnalysisError("自定义分级需要至少一个断点。",
                            "User-defined classes need at least one break.")
    pal = PALETTES[palette]
    if len(y) == 0:
        return Classification(scheme, (), math.nan, (), (), (), n_missing, palette,
                              min_decimals or 0, centre)
    n_unique = len(np.unique(y))
    if user:
        bins, counts = _mapclassify(y, scheme, k, user)
    elif n_unique == 1:
        # One distinct value: one class; mapclassify cannot split nothing.
        bins, counts = (float(y[0]),), (len(y),)
    else:
        bins, counts = _mapclassify(y, scheme, min(k, n_unique), ())
    lower = min(float(y.min()), bins[0])
    at_least = data_decimals(y) if min_decimals is None else min_decimals
    d = auto_decimals([lower, *bins], at_least=at_least, data=list(y))
    lows = (lower, *bins[:-1])
    labels = tuple(
        f"≤ {format_number(hi, d)}" if i == 0 and lo >= hi
        else f"{format_number(lo, d)} – {format_number(hi, d)}"
        for i, (lo, hi) in enumerate(zip(lows, bins, strict=True))
    )
    return Classification(
        scheme=scheme,
        breaks=bins,
        lower=lower,
        counts=counts,
        colours=_colours(pal, bins, lower, centre),
        labels=labels,
        n_missing=n_missing,
        palette=palette,
        decimals=d,
        centre=centre,
    )
