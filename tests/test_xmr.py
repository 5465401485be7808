"""XmR (process-behaviour) charts: hand-checked examples, Wheeler's published examples, properties.

Published examples come from Donald J. Wheeler, *Making Sense of Data* (SPC Press, 2003). The
book itself was not available to us; the numbers were taken from their transcription in the
test suite of the open-source ``statprocon`` package (github.com/mattmccormick/statprocon,
``tests/test_xmr.py``), which cites the page and table for each, and every limit asserted here
was also recomputed by hand (arithmetic in the comments). Where the book rounds the average and
the average moving range before computing limits, the test says so and allows that rounding.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citystat.analysis.xmr import (
    XmRChart,
    assess_target,
    build_chart,
)


def labelled(values: list[float], prefix: str = "p") -> list[tuple[str, float]]:
    return [(f"{prefix}{i + 1}", v) for i, v in enumerate(values)]


def rules(chart: XmRChart) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(s.rule, s.side, s.points) for s in chart.signals]


# --- hand-checked examples -------------------------------------------------------------------


def test_six_points_hand_computed_limits_and_no_signal() -> None:
    # x̄ = 72/6 = 12; moving ranges 2,1,2,1,2 -> mR̄ = 8/5 = 1.6
    # limits 12 ± 2.66·1.6 = 12 ± 4.256; URL = 3.268·1.6 = 5.2288; σ = 2.66/3·1.6 = 1.418667
    chart = build_chart(labelled([10, 12, 11, 13, 12, 14]))
    limits = chart.limits
    assert chart.status == "ok" and limits is not None
    assert limits.centre == 12
    assert limits.average_moving_range == pytest.approx(1.6)
    assert limits.upper == pytest.approx(16.256)
    assert limits.lower == pytest.approx(7.744)
    assert limits.upper_range == pytest.approx(5.2288)
    assert limits.sigma == pytest.approx(1.4186667, abs=1e-7)
    assert not limits.lower_clipped
    assert chart.current.moving_ranges == (None, 2, 1, 2, 1, 2)
    # the largest value, 14, is 2 above the centre: beyond 1σ (13.42) but alone, so nothing fires
    assert chart.signals == ()


@pytest.mark.parametrize("values", [[], [4.0], [1, 2, 3, 4, 5]])
def test_too_short_series_has_no_limits(values: list[float]) -> None:
    chart = build_chart(labelled(values))
    assert chart.status == "not enough data"
    assert chart.limits is None and chart.signals == ()
    assert (
        f"6 values are needed for natural process limits; this segment has {len(values)}"
        in chart.current.reason
    )


def test_minimum_and_baseline_are_configurable_but_checked() -> None:
    assert build_chart(labelled([1, 2, 3, 4]), min_points=4).status == "ok"
    with pytest.raises(ValueError, match="at least 2"):
        build_chart(labelled([1, 2]), min_points=1)
    with pytest.raises(ValueError, match="baseline_size"):
        build_chart(labelled([1, 2, 3]), baseline_size=4, min_points=6)
    with pytest.raises(ValueError, match="unique"):
        build_chart([("a", 1), ("a", 2)])
    with pytest.raises(ValueError, match="finite"):
        build_chart([("a", 1), ("b", math.nan)])


def test_limits_come_from_the_baseline_only() -> None:
    # baseline: 10,12 alternating ×6 -> x̄ = 11, every moving range 2 -> mR̄ = 2
    # limits 11 ± 5.32 = 5.68 .. 16.32, URL = 6.536. Then 20 (beyond) and 11.
    values = [10, 12] * 6 + [20, 11]
    chart = build_chart(labelled(values), baseline_size=12)
    limits = chart.limits
    assert limits is not None
    assert limits.baseline == tuple(f"p{i}" for i in range(1, 13))
    assert (limits.centre, limits.average_moving_range) == (11, 2)
    assert (limits.upper, limits.lower) == pytest.approx((16.32, 5.68))
    assert rules(chart) == [
        ("outside_limits", "above", ("p13",)),
        ("moving_range_above_limit", "above", ("p12", "p13")),  # |20 - 12| = 8 > 6.536
        ("moving_range_above_limit", "above", ("p13", "p14")),  # |11 - 20| = 9 > 6.536
    ]
    # with every point in the baseline the limits widen: x̄ = 163/14, mR̄ = (22 + 8 + 9)/13 = 3
    everything = build_chart(labelled(values), baseline_size=14)
    assert everything.limits is not None
    assert everything.limits.centre == pytest.approx(163 / 14)
    assert everything.limits.average_moving_range == pytest.approx(3.0)


def test_rule_2_two_of_three_beyond_two_sigma() -> None:
    # baseline 10,12,10,12,10,12: x̄ = 11, mR̄ = 2, σ = 1.773333; 2σ line 14.546667; UNPL 16.32
    chart = build_chart(labelled([10, 12, 10, 12, 10, 12, 15, 11, 15]), baseline_size=6)
    assert rules(chart) == [("two_of_three_beyond_two_sigma", "above", ("p7", "p9"))]


def test_rule_2_below_and_not_for_one_of_three() -> None:
    chart = build_chart(labelled([10, 12, 10, 12, 10, 12, 7, 11, 7]), baseline_size=6)
    assert rules(chart) == [("two_of_three_beyond_two_sigma", "below", ("p7", "p9"))]  # 7 < 7.453333
    lone = build_chart(labelled([10, 12, 10, 12, 10, 12, 7, 11, 11]), baseline_size=6)
    assert lone.signals == ()


def test_rule_3_four_of_five_beyond_one_sigma() -> None:
    # 1σ line 12.773333; 13 is beyond it, 11.5 is not; nothing reaches 2σ (14.546667)
    chart = build_chart(labelled([10, 12, 10, 12, 10, 12, 13, 13, 11.5, 13, 13]), baseline_size=6)
    assert rules(chart) == [("four_of_five_beyond_one_sigma", "above", ("p7", "p8", "p10", "p11"))]
    three = build_chart(labelled([10, 12, 10, 12, 10, 12, 13, 13, 11.5, 13, 11.5]), baseline_size=6)
    assert three.signals == ()


def test_rule_4_eight_successive_points_on_one_side() -> None:
    baseline = [12, 10, 12, 10, 12, 10]  # x̄ = 11, mR̄ = 2; 11.5 is above the centre, inside 1σ
    chart = build_chart(labelled([*baseline, *[11.5] * 8]), baseline_size=6)
    assert rules(chart) == [("eight_on_one_side", "above", tuple(f"p{i}" for i in range(7, 15)))]
    assert build_chart(labelled([*baseline, *[11.5] * 7]), baseline_size=6).signals == ()
    # a point exactly on the centre line ends a run
    split = build_chart(labelled([*baseline, *[11.5] * 4, 11, *[11.5] * 4]), baseline_size=6)
    assert split.signals == ()
    below = build_chart(labelled([*baseline, *[10.5] * 9]), baseline_size=6)
    assert rules(below) == [("eight_on_one_side", "below", tuple(f"p{i}" for i in range(6, 16)))]


def test_wheeler_three_of_four_closer_to_a_limit_than_to_the_centre() -> None:
    # baseline x̄ = 11, mR̄ = 2: limits 5.68 and 16.32, midpoints 8.34 and 13.66 (11 ± 1.5σ)
    values = labelled([10, 12, 10, 12, 10, 12, 14, 13, 14, 14])
    chart = build_chart(values, baseline_size=6, rules="wheeler")
    assert chart.rules == "wheeler"
    assert rules(chart) == [("three_of_four_near_a_limit", "above", ("p7", "p9", "p10"))]
    # the zone rules see the same points differently: four of five beyond 1σ (12.773333)
    zones = build_chart(values, baseline_size=6)
    assert rules(zones) == [("four_of_five_beyond_one_sigma", "above", ("p7", "p8", "p9", "p10"))]
    two = build_chart(labelled([10, 12, 10, 12, 10, 12, 14, 13, 14, 13]), baseline_size=6, rules="wheeler")
    assert two.signals == ()


def test_wheeler_near_a_limit_uses_the_lower_limit_as_drawn() -> None:
    # x̄ = 4, mR̄ = 4: the lower limit 4 − 10.64 is clipped to 0, so "closer to the lower limit"
    # means below 2 (not below 4 − 1.5σ = −1.32); the zone rules' 1σ line is 0.453333
    values = labelled([2, 6, 2, 6, 2, 6, 1, 1, 3, 1])
    chart = build_chart(values, baseline_size=6, non_negative=True, rules="wheeler")
    assert chart.limits is not None and chart.limits.lower == 0
    assert rules(chart) == [("three_of_four_near_a_limit", "below", ("p7", "p8", "p10"))]
    assert build_chart(values, baseline_size=6, non_negative=True).signals == ()


def test_wheeler_rules_keep_points_outside_and_runs_but_not_the_zone_rules() -> None:
    baseline = [12, 10, 12, 10, 12, 10]
    run = build_chart(labelled([*baseline, *[11.5] * 8]), baseline_size=6, rules="wheeler")
    assert rules(run) == [("eight_on_one_side", "above", tuple(f"p{i}" for i in range(7, 15)))]
    outside = build_chart(labelled([*baseline, 17]), baseline_size=6, rules="wheeler")
    assert rules(outside) == [("outside_limits", "above", ("p7",))]
    # two of three beyond 2σ fires a zone rule, but is not three of four near a limit
    pair = build_chart(labelled([10, 12, 10, 12, 10, 12, 15, 11, 15]), baseline_size=6, rules="wheeler")
    assert pair.signals == ()


def test_change_points_start_new_segments_with_their_own_limits() -> None:
    low = [10, 11, 9, 10, 11, 9, 10, 10]  # x̄ = 10, moving ranges 1,2,1,1,2,1,0 -> mR̄ = 8/7
    high = [v + 10 for v in low]
    values = low + high
    one = build_chart(labelled(values), baseline_size=16)
    # as one process: x̄ = 15, mR̄ = (8 + 10 + 8)/15; both halves are runs of eight
    assert one.limits is not None and one.limits.centre == 15
    assert one.limits.average_moving_range == pytest.approx(26 / 15)
    runs = [s.points for s in one.signals_by_rule("eight_on_one_side")]
    assert runs == [tuple(f"p{i}" for i in range(1, 9)), tuple(f"p{i}" for i in range(9, 17))]

    two = build_chart(labelled(values), change_points=["p9"])
    first, second = two.segments
    assert first.limits is not None and second.limits is not None
    assert (first.limits.centre, second.limits.centre) == (10, 20)
    assert first.limits.average_moving_range == pytest.approx(8 / 7)
    assert second.limits.average_moving_range == pytest.approx(8 / 7)
    assert second.limits.upper == pytest.approx(20 + 2.66 * 8 / 7)
    assert second.moving_ranges[0] is None  # the jump across the change point belongs to neither
    assert two.signals == ()
    with pytest.raises(ValueError, match="'p99'"):
        build_chart(labelled(values), change_points=["p99"])


def test_a_short_last_segment_is_not_enough_data() -> None:
    chart = build_chart(labelled([10, 11, 9, 10, 11, 9, 10, 30, 31, 29]), change_points=["p8"])
    assert chart.segments[0].status == "ok"
    assert chart.status == "not enough data" and chart.limits is None
    assert any("segment 2 (p8)" in note for note in chart.notes)


def test_lower_limit_clipped_only_when_asked() -> None:
    # x̄ = 8/6, moving ranges 3,3,4,3,1 -> mR̄ = 2.8; x̄ - 2.66·2.8 = -6.114667
    counts = labelled([0, 3, 0, 4, 1, 0])
    plain = build_chart(counts)
    clipped = build_chart(counts, non_negative=True)
    assert plain.limits is not None and clipped.limits is not None
    assert plain.limits.lower == pytest.approx(8 / 6 - 2.66 * 2.8)
    assert not plain.limits.lower_clipped
    assert clipped.limits.lower == 0 and clipped.limits.lower_clipped
    assert clipped.limits.computed_lower == pytest.approx(-6.1146667, abs=1e-7)
    assert clipped.limits.upper == plain.limits.upper
    assert any("raised to 0" in note for note in clipped.notes)
    with pytest.raises(ValueError, match="below 0 at p2"):
        build_chart(labelled([1, -1, 0, 2, 1, 0]), non_negative=True)


@pytest.mark.parametrize("value", [5.0, 0.1, 0.0, -3.7, 1e9])
def test_constant_series_limits_equal_centre_and_nothing_fires(value: float) -> None:
    chart = build_chart(labelled([value] * 13))
    limits = chart.limits
    assert limits is not None
    assert limits.centre == limits.upper == limits.lower == value
    assert limits.upper_range == 0
    assert chart.signals == ()
    assert any("all equal" in note for note in chart.notes)


# --- target assurance ------------------------------------------------------------------------


def test_target_assurance_against_the_natural_process_limits() -> None:
    chart = build_chart(labelled([10, 12, 11, 13, 12, 14]))  # limits 7.744 .. 16.256
    cases = [
        (7, "up", None, "consistently meets"),
        (17, "up", None, "consistently misses"),
        (12, "up", None, "sometimes meets"),
        (17, "down", None, "consistently meets"),
        (7, "down", None, "consistently misses"),
        (12, "maintain", 5, "consistently meets"),  # band 7..17 holds 7.744..16.256
        (30, "maintain", 1, "consistently misses"),
        (16, "maintain", 1, "sometimes meets"),
        (12, "none", None, "no direction"),
    ]
    for target, direction, tolerance, verdict in cases:
        got = assess_target(chart, target, direction, tolerance)  # type: ignore[arg-type]
        assert got.verdict == verdict, (target, direction)
    missed = assess_target(chart, 17, "up")
    assert (missed.lower, missed.upper) == pytest.approx((7.744, 16.256))
    assert "unless the process changes" in missed.explanation
    assert "routine variation" in assess_target(chart, 12, "up").explanation
    assert assess_target(build_chart(labelled([1, 2])), 5, "up").verdict == "not enough data"
    with pytest.raises(ValueError, match="tolerance"):
        assess_target(chart, 12, "maintain")


# --- Wheeler's published examples ------------------------------------------------------------


def test_wheeler_data_set_for_verifying_software() -> None:
    """*Making Sense of Data*, p. 382, "Data Set to Use When Verifying Software" (also the first
    16 values of *Understanding Statistical Process Control*, 3rd ed., p. 27): published
    x̄ = 4135.50, mR̄ = 355.93, LNPL = 3188.72, UNPL = 5082.28, URL = 1163.19."""
    values = [5045, 4350, 4350, 3975, 4290, 4430, 4485, 4285, 3980, 3925, 3645, 3760, 3300, 3685, 3463, 5200]
    chart = build_chart(labelled(values), baseline_size=16)
    limits = chart.limits
    assert limits is not None
    assert chart.current.moving_ranges == (
        None, 695, 0, 375, 315, 140, 55, 200, 305, 55, 280, 115, 460, 385, 222, 1737,
    )  # fmt: skip
    assert round(limits.centre, 2) == 4135.50
    assert round(limits.average_moving_range, 2) == 355.93
    assert round(limits.lower, 2) == 3188.72
    assert round(limits.upper, 2) == 5082.28
    assert round(limits.upper_range, 2) == 1163.19
    # what those published limits imply: the last value, 5200, is above 5082.28, and its moving
    # range, 1737, is above 1163.19
    assert ("outside_limits", "above", ("p16",)) in rules(chart)
    assert ("moving_range_above_limit", "above", ("p15", "p16")) in rules(chart)


def test_wheeler_peak_flow_rates() -> None:
    """*Making Sense of Data*, Figure 9.9, AM premedication peak flow rates, days 1 to 18:
    published x̄ = 183.1, mR̄ = 52.4, UNPL = 322.5, LNPL = 43.7, URL = 171.3. The book computes
    the limits from the rounded x̄ and mR̄ (and 3.27 for the range limit): 183.1 + 2.66·52.4 =
    322.48; 183.1 - 139.38 = 43.72; 3.27·52.4 = 171.35. Unrounded: 322.31, 43.80, 171.09."""
    values = [120, 140, 100, 150, 260, 150, 100, 120, 300, 300, 275, 300, 140, 170, 150, 150, 190, 180]
    limits = build_chart(labelled(values), baseline_size=18).limits
    assert limits is not None
    assert round(limits.centre, 1) == 183.1  # 3295 / 18
    assert round(limits.average_moving_range, 1) == 52.4  # 890 / 17
    assert limits.upper == pytest.approx(322.5, abs=0.25)
    assert limits.lower == pytest.approx(43.7, abs=0.25)
    assert limits.upper_range == pytest.approx(171.3, abs=0.25)
    assert limits.upper == pytest.approx(3295 / 18 + 2.66 * 890 / 17)


def test_wheeler_accident_rates_two_groups() -> None:
    """*Making Sense of Data*, Table 9.1, accident rates: published limits 25.6 to 43.9 for group
    A and 18.0 to 39.3 for group B. By hand: A x̄ = 417/12 = 34.75, mR̄ = 38/11, 2.66·mR̄ = 9.189;
    B x̄ = 344/12 = 28.667, mR̄ = 44/11 = 4, 2.66·4 = 10.64."""
    group_a = [43, 40, 37, 33, 30, 33, 34, 35, 29, 33, 31, 39]
    group_b = [35, 37, 33, 32, 27, 29, 31, 22, 25, 30, 24, 19]
    a = build_chart(labelled(group_a)).limits
    b = build_chart(labelled(group_b)).limits
    assert a is not None and b is not None
    assert (round(a.lower, 1), round(a.upper, 1)) == (25.6, 43.9)
    assert (round(b.lower, 1), round(b.upper, 1)) == (18.0, 39.3)
    # group B judged against group A's limits: months 8, 9, 11 and 12 are below 25.6
    below_a = [f"p{i + 1}" for i, v in enumerate(group_b) if v < a.lower]
    assert below_a == ["p8", "p9", "p11", "p12"]


def test_wheeler_accounts_receivable_year_two_against_year_one() -> None:
    """*Making Sense of Data*, Table 9.2, accounts receivable as a percentage of sales, years one
    and two, with limits from year one: published upper limit 60.7. By hand: x̄ = 674.2/12 =
    56.183, moving ranges sum 18.6 -> mR̄ = 1.691, limits 51.69 to 60.68, URL 5.53. The book's
    chart marks month 14 (60.7) as beyond the limit: it is, by 0.02, before rounding."""
    values = [
        55.6, 54.7, 54.9, 54.8, 56.9, 55.7, 53.8, 54.8, 53.4, 57.0, 59.4, 63.2,
        60.9, 60.7, 58.6, 57.3, 56.9, 58.1, 58.3, 50.9, 53.3, 52.5, 50.8, 52.9,
    ]  # fmt: skip
    chart = build_chart(labelled(values, "m"), baseline_size=12)
    limits = chart.limits
    assert limits is not None
    assert round(limits.upper, 1) == 60.7
    assert limits.centre == pytest.approx(674.2 / 12)
    assert limits.average_moving_range == pytest.approx(18.6 / 11)
    outside = [(s.side, s.points[0]) for s in chart.signals_by_rule("outside_limits")]
    assert outside == [
        ("above", "m12"),
        ("above", "m13"),
        ("above", "m14"),
        ("below", "m20"),
        ("below", "m23"),
    ]
    ranges = [s.points for s in chart.signals_by_rule("moving_range_above_limit")]
    assert ranges == [("m19", "m20")]  # 58.3 -> 50.9: 7.4 > 5.53


def test_wheeler_high_school_seniors_who_smoke_daily() -> None:
    """*Making Sense of Data*, Table 8.1, percentage of high school seniors who smoke daily
    (14 years): the last eight values all lie below the average of 269.8/14 = 19.27."""
    values = [21.3, 20.2, 20.9, 21.0, 18.8, 19.6, 18.7, 18.6, 18.1, 18.9, 19.2, 18.2, 17.3, 19.0]
    chart = build_chart(labelled(values), baseline_size=14)
    assert chart.limits is not None and chart.limits.centre == pytest.approx(269.8 / 14)
    runs = chart.signals_by_rule("eight_on_one_side")
    assert [(s.side, s.points) for s in runs] == [("below", tuple(f"p{i}" for i in range(7, 15)))]


# --- properties ------------------------------------------------------------------------------

integer_series = st.lists(st.integers(-1_000_000, 1_000_000), min_size=6, max_size=40)


@given(integer_series, st.integers(-1_000_000, 1_000_000))
def test_limits_shift_with_the_series(values: list[int], shift: int) -> None:
    base = build_chart(labelled([float(v) for v in values]), baseline_size=40).limits
    moved = build_chart(labelled([float(v + shift) for v in values]), baseline_size=40).limits
    assert base is not None and moved is not None
    assert moved.average_moving_range == base.average_moving_range  # the ranges are identical
    assert moved.upper_range == base.upper_range
    for got, want in [(moved.centre, base.centre), (moved.upper, base.upper), (moved.lower, base.lower)]:
        assert got == pytest.approx(want + shift, rel=1e-12, abs=1e-6)


@given(integer_series, st.floats(0.001, 1000))
def test_limits_scale_with_a_positive_multiplier(values: list[int], factor: float) -> None:
    base = build_chart(labelled([float(v) for v in values]), baseline_size=40).limits
    scaled = build_chart(labelled([v * factor for v in values]), baseline_size=40).limits
    assert base is not None and scaled is not None
    for got, want in [
        (scaled.centre, base.centre),
        (scaled.upper, base.upper),
        (scaled.lower, base.lower),
        (scaled.average_moving_range, base.average_moving_range),
        (scaled.upper_range, base.upper_range),
    ]:
        assert got == pytest.approx(want * factor, rel=1e-9, abs=1e-6 * factor)


@given(st.lists(st.floats(-1e6, 1e6), min_size=6, max_size=40), st.integers(-8, 8))
def test_scaling_by_a_power_of_two_is_exact_and_keeps_every_signal(values: list[float], power: int) -> None:
    factor = 2.0**power  # exact in binary floating point, so every comparison is preserved
    base = build_chart(labelled(values))
    scaled = build_chart(labelled([v * factor for v in values]))
    assert base.limits is not None and scaled.limits is not None
    assert scaled.limits.upper == base.limits.upper * factor
    assert scaled.limits.lower == base.limits.lower * factor
    assert rules(scaled) == rules(base)


@given(
    st.floats(-1e12, 1e12),
    st.integers(0, 40),
    st.booleans(),
    st.sampled_from(["western_electric", "wheeler"]),
)
def test_no_signal_ever_fires_on_constant_data(
    value: float, length: int, non_negative: bool, rule_set: str
) -> None:
    value = abs(value) if non_negative else value
    chart = build_chart(labelled([value] * length), non_negative=non_negative, rules=rule_set)  # type: ignore[arg-type]
    assert chart.signals == ()
    if length >= 6:
        assert chart.limits is not None
        assert chart.limits.centre == chart.limits.upper == value
