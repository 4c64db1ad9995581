"""Classification: every method equals mapclassify run directly; user breaks; missing values."""

from __future__ import annotations

import math
import warnings

import mapclassify
import numpy as np
import pandas as pd
import pytest

from spatial import AnalysisError
from spatial.classify import (
    MISSING_COLOUR,
    NEUTRAL_COLOUR,
    PALETTES,
    Target,
    auto_decimals,
    classify,
    format_number,
    parse_breaks,
    target_status,
)

# Skewed values as indicators usually are, with two missing areas.
VALUES = [3.2, 41.0, 12.5, 8.8, 29.6, 37.0, 55.1, 18.3, np.nan, 22.7, 5.0, None, 64.9, 15.0]
FINITE = np.array([v for v in VALUES if v is not None and not math.isnan(v)], dtype=float)


def direct(cls, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return cls(FINITE, **kw)


def classes_of(c, values):
    return [c.bin_of(v) for v in values if v is not None and not math.isnan(v)]


@pytest.mark.parametrize(
    ("scheme", "mc_cls"),
    [
        ("Quantiles", mapclassify.Quantiles),
        ("EqualInterval", mapclassify.EqualInterval),
        ("FisherJenks", mapclassify.FisherJenks),
    ],
)
@pytest.mark.parametrize("k", [3, 5])
def test_each_method_equals_mapclassify(scheme, mc_cls, k):
    c = classify(VALUES, scheme=scheme, k=k)
    ref = direct(mc_cls, k=k)
    assert c.breaks == pytest.approx(list(ref.bins))
    assert list(c.counts) == list(ref.counts)
    assert classes_of(c, VALUES) == list(ref.yb)
    assert c.n_missing == 2
    assert sum(c.counts) == len(FINITE)


def test_user_defined_breaks_equal_mapclassify_and_add_the_maximum():
    c = classify(VALUES, scheme="UserDefined", breaks=[37.0, 20.0])
    ref = direct(mapclassify.UserDefined, bins=[20.0, 37.0])
    assert c.breaks == pytest.approx(list(ref.bins))
    assert c.breaks == pytest.approx([20.0, 37.0, 64.9])
    assert classes_of(c, VALUES) == list(ref.yb)
    # The upper bound is inclusive: exactly 37 falls in the class "20 – 37".
    assert c.bin_of(37.0) == 1
    assert c.labels == ("3.2 – 20.0", "20.0 – 37.0", "37.0 – 64.9")


def test_user_defined_without_breaks_is_an_error():
    with pytest.raises(AnalysisError):
        classify(VALUES, scheme="UserDefined")


def test_kept_breaks_reproduce_the_same_classes():
    # The view keeps the breaks; classing the same data again with them changes nothing.
    first = classify(VALUES, scheme="FisherJenks", k=4)
    again = classify(VALUES, scheme="FisherJenks", k=4, breaks=first.breaks)
    assert again.breaks == first.breaks
    assert again.counts == first.counts
    assert again.labels == first.labels
    assert again.colours == first.colours
    assert again.scheme == "FisherJenks"


def test_missing_values_get_their_own_legend_entry_never_a_class_colour():
    c = classify(VALUES, scheme="Quantiles", k=4)
    legend = c.legend("zh")
    assert [r.missing for r in legend] == [False] * 4 + [True]
    assert legend[-1].label == "无数据" and legend[-1].count == 2
    assert legend[-1].colour == MISSING_COLOUR
    assert MISSING_COLOUR not in c.colours
    assert c.colour_of(None) == MISSING_COLOUR == c.colour_of(float("nan"))
    assert c.label_of(None, "en") == "No data"
    assert c.legend("en")[-1].label == "No data"


def test_no_missing_values_no_missing_entry():
    c = classify([1.0, 2.0, 3.0], scheme="EqualInterval", k=3)
    assert all(not r.missing for r in c.legend())


def test_k_is_lowered_to_distinct_values_and_constant_data_is_one_class():
    c = classify([1.0, 1.0, 2.0], scheme="FisherJenks", k=5)
    assert c.k == 2 and list(c.counts) == [2, 1]
    one = classify([7.0, 7.0], scheme="Quantiles", k=5)
    assert one.breaks == (7.0,) and one.counts == (2,)
    empty = classify([None, float("nan")], scheme="Quantiles")
    assert empty.k == 0 and empty.n_missing == 2 and [r.missing for r in empty.legend()] == [True]


def test_labels_and_legend_show_the_breaks():
    c = classify([0.0, 10.0, 20.0, 30.0, 40.0], scheme="EqualInterval", k=4, min_decimals=1)
    assert c.breaks == pytest.approx([10.0, 20.0, 30.0, 40.0])
    assert c.labels == ("0.0 – 10.0", "10.0 – 20.0", "20.0 – 30.0", "30.0 – 40.0")
    assert c.describe("zh") == "等间距，4 级"
    assert c.describe("en") == "Equal interval, 4 classes"
    assert [r.count for r in c.legend()] == [2, 1, 1, 1]


def test_decimals_grow_until_breaks_print_distinctly():
    assert auto_decimals([1.0, 2.0, 3.0]) == 0
    assert auto_decimals([1.21, 1.24]) == 2
    assert auto_decimals([0.004, 1.0]) == 3
    assert format_number(12345.678, 1) == "12,345.7"
    assert format_number(-0.01, 0) == "0"


def test_sequential_colours_get_darker_and_are_distinct():
    from matplotlib.colors import to_rgb

    c = classify(VALUES, scheme="Quantiles", k=5, palette="YlGnBu")
    lum = [sum(w * x for w, x in zip((0.2126, 0.7152, 0.0722), to_rgb(h), strict=True))
           for h in c.colours]
    assert lum == sorted(lum, reverse=True)  # light (low) to dark (high): prints in greyscale
    assert len(set(c.colours)) == 5


def test_diverging_palette_centres_on_the_target():
    c = classify(VALUES, scheme="UserDefined", breaks=[20.0, 37.0, 50.0], palette="PuOr",
                 centre=37.0)
    # classes 3.2–20 and 20–37 lie below 37 (one hue), 37–50 and 50–64.9 above (the other).
    below = PALETTES["PuOr"].sample([0.05, 0.40])
    above = PALETTES["PuOr"].sample([0.60, 0.95])
    assert c.colours == below + above
    straddle = classify([10.0, 30.0, 50.0], scheme="UserDefined", breaks=[30.0], palette="PuOr",
                        centre=20.0)
    assert straddle.colours[0] == NEUTRAL_COLOUR


def test_parse_breaks_accepts_chinese_punctuation_and_refuses_words():
    assert parse_breaks("37，20；50 、 20") == (20.0, 37.0, 50.0)
    assert parse_breaks("１５") == (15.0,)
    with pytest.raises(AnalysisError) as err:
        parse_breaks("20, 三十")
    assert "三十" in err.value.zh and "not a number" in err.value.en
    with pytest.raises(AnalysisError):
        parse_breaks("  ")


def test_target_pass_fail():
    values = pd.Series([29.6, 37.0, 40.0, np.nan], index=["a", "b", "c", "d"])
    st = target_status(values, Target(37.0, ">="))
    assert st.tolist() == ["fail", "pass", "pass", "missing"]
    strict = target_status(pd.Series([15.0, 15.1]), Target(15.0, ">"))
    assert strict.tolist() == ["fail", "pass"]
    assert Target(15.0, ">").text(0) == "> 15"
    assert Target(37.0).text(1) == "≥ 37.0"


def test_unknown_scheme_or_palette_is_a_clear_error():
    with pytest.raises(AnalysisError):
        classify(VALUES, scheme="Rainbow")
    with pytest.raises(AnalysisError):
        classify(VALUES, palette="jet")


def test_measurement_noise_does_not_split_classes():
    # 1 km² areas measured after a WGS84 round trip differ in the 10th digit.
    values = [0.9999999998, 1.0000000003, 1.0, 0.06]
    c = classify(values, scheme="FisherJenks", k=5)
    assert c.breaks == (0.06, 1.0)  # two distinct values, two classes
    assert c.bin_of(1.0000000003) == c.bin_of(0.9999999998) == c.bin_of(1.0) == 1
    assert c.counts == (1, 3)
    assert c.labels == ("≤ 0.06", "0.06 – 1.00")


def test_labels_never_show_a_value_equal_to_a_break_it_differs_from():
    # Quantile break 0.75 exactly between 0.7451 and 0.7549: at 2 decimals all three read
    # "0.75", so the labels get enough decimals to tell the classes apart.
    values = [0.28, 0.7451, 0.7549, 1.4, 11.6, 18.02]
    c = classify(values, scheme="UserDefined", breaks=[0.75, 5.0], min_decimals=2)
    assert c.decimals == 3
    assert c.labels[0] == "0.280 – 0.750"
    assert format_number(0.7451, c.decimals) == "0.745"
    assert auto_decimals([0.28, 0.75, 5.0], at_least=2, data=[0.7549]) == 3
    assert auto_decimals([0.28, 0.75, 5.0], at_least=2, data=[0.76]) == 2


@pytest.mark.parametrize(
    ("values", "k"),
    [
        ([1000.002, 1000.008, 1000.003], 3),
        ([100.732, 100.602, 100.288, 100.783], 5),
        ([1000005.71, 1000001.59, 1000009.52, 1000001.54, 1000005.1, 1000001.44], 6),
    ],
)
def test_natural_breaks_with_no_more_areas_than_classes_are_sorted_and_coloured_in_order(
    values, k
):
    # mapclassify's float32 Fisher–Jenks returned e.g. (1000.008, 1000.002, 1000.008) for
    # the first case: unsorted, repeated, one class empty and the largest area's colour
    # given to the smallest. With no more areas than classes each area is its own class.
    c = classify(values, scheme="FisherJenks", k=k)
    assert list(c.breaks) == sorted(set(values))
    assert c.counts == (1,) * len(values)
    order = sorted(values)
    assert [c.bin_of(v) for v in order] == list(range(len(values)))
    assert len(set(c.colours)) == len(values)
    # The colours follow the values: the palette's ramp sampled light to dark, in order.
    seq = classify(order, scheme="UserDefined", breaks=order)
    assert [c.colour_of(v) for v in order] == [seq.colour_of(v) for v in order]


def test_natural_breaks_with_a_large_common_offset_keep_the_classes_of_the_offset_free_data():
    base = np.array([3.2, 41.0, 12.5, 8.8, 29.6, 37.0, 55.1, 18.3, 22.7, 5.0, 64.9, 15.0])
    plain = classify(base, scheme="FisherJenks", k=4)
    shifted = classify(base + 1_000_000.0, scheme="FisherJenks", k=4)
    assert list(shifted.breaks) == sorted(shifted.breaks)
    assert np.allclose(np.array(shifted.breaks) - 1_000_000.0, plain.breaks)
    assert shifted.counts == plain.counts
