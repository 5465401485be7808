"""Process-behaviour charts for individual values and moving ranges (XmR), after Donald Wheeler.

An XmR chart separates routine variation (noise) from signals. From a *baseline* of values:

- the centre line is their average x̄; the moving ranges are |x[i] - x[i-1]|; mR̄ is their average;
- the natural process limits are x̄ ± 2.66·mR̄ (2.66 = 3/d2, d2 = 1.128 for ranges of two);
- the upper range limit is 3.268·mR̄ (D4 for ranges of two); one sigma is taken as (2.66/3)·mR̄.

Choices made here (each documented on the constant or argument that holds it):

- **Baseline**: the first ``baseline_size`` values of a segment (default 12, a year of months), or
  all of them when there are fewer, provided there are at least ``min_points`` (default 6: Wheeler
  notes useful limits can come from as few as five or six values). A shorter segment gets status
  "not enough data" and no limits at all, never a made-up one.
- **Change points**: each declared label starts a new segment with its own baseline, limits and
  moving ranges (the range across the boundary belongs to neither segment); runs never cross one.
- **Lower limit**: clipped at 0 only when the caller says the measure cannot go below 0 (counts,
  percents, durations); the result says so and keeps the computed value.
- **Detection rules**, each signal naming its rule and the points involved; comparisons are
  strict, so a point exactly on a limit or on the centre line is not beyond it:
  rule 1, a point outside the natural process limits;
  rule 2, two of three successive points beyond x̄ ± 2σ on the same side;
  rule 3, four of five successive points beyond x̄ ± 1σ on the same side;
  rule 4, eight successive points on the same side of the centre line (a point on the line ends
  the run); and any moving range above the upper range limit. These are the Western Electric zone
  rules Wheeler gives in *Understanding Statistical Process Control* (``rules="western_electric"``,
  the default). ``rules="wheeler"`` uses instead the three rules of Wheeler's *Understanding
  Variation*: a point outside the limits; three of four successive points closer to the same limit
  than to the centre line (beyond the midpoint between the centre and that limit as drawn, which
  is x̄ ± 1.5σ unless the lower limit was clipped at 0); eight successive points on one side.
  Overlapping windows that fire the same rule on the same side are reported as one signal.
- **Constant data**: mR̄ = 0, the limits equal the centre line and nothing fires.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import groupby, pairwise
from typing import Literal

import duckdb

from citystat.analysis.series import (
    MIN_DENOMINATOR,
    break_labels,
    cannot_go_below_zero,
    read_series,
)
from citystat.catalog.model import Direction, Grain

NPL_FACTOR = 2.66  # natural process limits: x̄ ± 2.66·mR̄
URL_FACTOR = 3.268  # upper range limit: 3.268·mR̄
SIGMA_FACTOR = NPL_FACTOR / 3  # one sigma, for detection rules 2 and 3
DEFAULT_BASELINE = 12  # values the limits come from (per segment)
MIN_POINTS = 6  # fewer values than this: "not enough data"
RUN_LENGTH = 8  # rule 4

ChartStatus = Literal["ok", "not enough data"]
Side = Literal["above", "below"]
RuleName = Literal[
    "outside_limits",
    "two_of_three_beyond_two_sigma",
    "four_of_five_beyond_one_sigma",
    "eight_on_one_side",
    "moving_range_above_limit",
    "three_of_four_near_a_limit",
]
RuleSet = Literal["western_electric", "wheeler"]
Verdict = Literal[
    "consistently meets", "consistently misses", "sometimes meets", "not enough data", "no direction"
]

RULE_TITLES: dict[RuleName, str] = {
    "outside_limits": "rule 1: a point outside the natural process limits",
    "two_of_three_beyond_two_sigma": "rule 2: two of three successive points beyond two sigma",
    "four_of_five_beyond_one_sigma": "rule 3: four of five successive points beyond one sigma",
    "eight_on_one_side": "rule 4: eight successive points on one side of the centre line",
    "moving_range_above_limit": "a moving range above the upper range limit",
    "three_of_four_near_a_limit": "three of four successive points closer to a limit than to the centre line",
}


@dataclass(frozen=True)
class Limits:
    """Centre line and limits of one segment, with the baseline they were computed from."""

    centre: float
    average_moving_range: float
    upper: float
    lower: float
    computed_lower: float  # x̄ − 2.66·mR̄ before clipping at 0
    lower_clipped: bool
    upper_range: float
    sigma: float
    baseline: tuple[str, ...]


@dataclass(frozen=True)
class Signal:
    rule: RuleName
    side: Side
    points: tuple[str, ...]
    segment: int

    @property
    def title(self) -> str:
        return RULE_TITLES[self.rule]

    def describe(self) -> str:
        return f"{self.title} ({self.side}): {', '.join(self.points)}"


@dataclass(frozen=True)
class Segment:
    """Values between two change points. ``moving_ranges[0]`` is None (no previous value here)."""

    index: int
    labels: tuple[str, ...]
    values: tuple[float, ...]
    moving_ranges: tuple[float | None, ...]
    status: ChartStatus
    limits: Limits | None
    reason: str


@dataclass(frozen=True)
class XmRChart:
    """The chart. ``status`` is the current (last) segment's: that is the process as it runs now."""

    status: ChartStatus
    segments: tuple[Segment, ...]
    signals: tuple[Signal, ...]
    non_negative: bool
    baseline_size: int
    min_points: int
    notes: tuple[str, ...]
    rules: RuleSet = "western_electric"

    @property
    def current(self) -> Segment:
        return self.segments[-1]

    @property
    def limits(self) -> Limits | None:
        return self.current.limits

    def signals_by_rule(self, rule: RuleName) -> tuple[Signal, ...]:
        return tuple(s for s in self.signals if s.rule == rule)


@dataclass(frozen=True)
class TargetAssurance:
    """Where a target lies against the current natural process limits."""

    verdict: Verdict
    target: float
    direction: Direction
    lower: float | None
    upper: float | None
    explanation: str


def average(values: Sequence[float]) -> float:
    """Mean anchored on the first value: exact for constant data (so no signal fires on it)."""
    anchor = values[0]
    return anchor + math.fsum(v - anchor for v in values) / len(values)


def list_moving_ranges(values: Sequence[float]) -> list[float]:
    return [abs(b - a) for a, b in pairwise(values)]


def compute_limits(labels: Sequence[str], values: Sequence[float], non_negative: bool = False) -> Limits:
    """Limits from a baseline of at least two values."""
    if len(values) < 2:
        raise ValueError("natural process limits need at least two values (one moving range)")
    centre = average(values)
    mr_bar = math.fsum(list_moving_ranges(values)) / (len(values) - 1)
    spread = NPL_FACTOR * mr_bar
    computed_lower = centre - spread
    clipped = non_negative and computed_lower < 0
    return Limits(
        centre=centre,
        average_moving_range=mr_bar,
        upper=centre + spread,
        lower=0.0 if clipped else computed_lower,
        computed_lower=computed_lower,
        lower_clipped=clipped,
        upper_range=URL_FACTOR * mr_bar,
        sigma=SIGMA_FACTOR * mr_bar,
        baseline=tuple(labels),
    )


def split_segments(labels: Sequence[str], change_points: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) index ranges, one per segment; each change point label starts a new one."""
    position = {label: i for i, label in enumerate(labels)}
    unknown = [c for c in change_points if c not in position]
    if unknown:
        raise ValueError(f"change point(s) not in the series: {', '.join(map(repr, unknown))}")
    starts = sorted({0, *(position[c] for c in change_points)})
    ends = [*starts[1:], len(labels)]
    return list(zip(starts, ends, strict=True))


def find_points_outside(
    segment: int, labels: Sequence[str], values: Sequence[float], limits: Limits
) -> list[Signal]:
    signals = []
    for label, value in zip(labels, values, strict=True):
        if value > limits.upper:
            signals.append(Signal("outside_limits", "above", (label,), segment))
        elif value < limits.lower:
            signals.append(Signal("outside_limits", "below", (label,), segment))
    return signals


def find_window_signals(
    segment: int,
    labels: Sequence[str],
    values: Sequence[float],
    limits: Limits,
    rule: RuleName,
    window: int,
    needed: int,
    sigmas: float,
) -> list[Signal]:
    """``needed`` of ``window`` successive points beyond centre ± sigmas·σ on one side."""
    above = limits.centre + sigmas * limits.sigma
    below = limits.centre - sigmas * limits.sigma
    return find_beyond(segment, labels, values, rule, window, needed, (above, below))


def find_near_limits(
    segment: int, labels: Sequence[str], values: Sequence[float], limits: Limits
) -> list[Signal]:
    """Three of four successive points closer to the same limit (as drawn) than to the centre line."""
    thresholds = ((limits.centre + limits.upper) / 2, (limits.centre + limits.lower) / 2)
    return find_beyond(segment, labels, values, "three_of_four_near_a_limit", 4, 3, thresholds)


def find_beyond(
    segment: int,
    labels: Sequence[str],
    values: Sequence[float],
    rule: RuleName,
    window: int,
    needed: int,
    thresholds: tuple[float, float],
) -> list[Signal]:
    """``needed`` of ``window`` successive points strictly above ``thresholds[0]`` (or below
    ``thresholds[1]``); overlapping windows merge into one signal listing the points beyond."""
    signals = []
    for side in ("above", "below"):
        threshold = thresholds[0] if side == "above" else thresholds[1]
        beyond = [v > threshold if side == "above" else v < threshold for v in values]
        groups: list[tuple[int, set[int]]] = []  # (last window end, points beyond)
        for start in range(len(values) - window + 1):
            hits = {i for i in range(start, start + window) if beyond[i]}
            if len(hits) < needed:
                continue
            if groups and groups[-1][0] >= start:
                groups[-1] = (start + window - 1, groups[-1][1] | hits)
            else:
                groups.append((start + window - 1, hits))
        signals += [Signal(rule, side, tuple(labels[i] for i in sorted(hits)), segment) for _, hits in groups]
    return signals


def side_of(value: float, centre: float) -> Side | None:
    return "above" if value > centre else "below" if value < centre else None


def find_runs(segment: int, labels: Sequence[str], values: Sequence[float], limits: Limits) -> list[Signal]:
    """Maximal runs of at least ``RUN_LENGTH`` points strictly on one side of the centre line."""
    signals = []
    for side, members in groupby(range(len(values)), key=lambda i: side_of(values[i], limits.centre)):
        run = list(members)
        if side is not None and len(run) >= RUN_LENGTH:
            signals.append(Signal("eight_on_one_side", side, tuple(labels[i] for i in run), segment))
    return signals


def find_large_ranges(
    segment: int, labels: Sequence[str], moving_ranges: Sequence[float | None], limits: Limits
) -> list[Signal]:
    return [
        Signal("moving_range_above_limit", "above", (labels[i - 1], labels[i]), segment)
        for i, mr in enumerate(moving_ranges)
        if mr is not None and mr > limits.upper_range
    ]


def detect_signals(
    segment: int,
    labels: Sequence[str],
    values: Sequence[float],
    moving_ranges: Sequence[float | None],
    limits: Limits,
    rules: RuleSet = "western_electric",
) -> list[Signal]:
    """Every detection rule of ``rules`` over one segment's values, against that segment's limits."""
    if rules == "wheeler":
        return [
            *find_points_outside(segment, labels, values, limits),
            *find_near_limits(segment, labels, values, limits),
            *find_runs(segment, labels, values, limits),
        ]
    return [
        *find_points_outside(segment, labels, values, limits),
        *find_window_signals(segment, labels, values, limits, "two_of_three_beyond_two_sigma", 3, 2, 2.0),
        *find_window_signals(segment, labels, values, limits, "four_of_five_beyond_one_sigma", 5, 4, 1.0),
        *find_runs(segment, labels, values, limits),
        *find_large_ranges(segment, labels, moving_ranges, limits),
    ]


def build_segment(
    index: int,
    labels: Sequence[str],
    values: Sequence[float],
    baseline_size: int,
    min_points: int,
    non_negative: bool,
) -> Segment:
    moving_ranges: tuple[float | None, ...] = (None, *list_moving_ranges(values)) if values else ()
    if len(values) < min_points:
        reason = f"{min_points} values are needed for natural process limits; this segment has {len(values)}"
        return Segment(index, tuple(labels), tuple(values), moving_ranges, "not enough data", None, reason)
    size = min(baseline_size, len(values))
    limits = compute_limits(labels[:size], values[:size], non_negative)
    return Segment(index, tuple(labels), tuple(values), moving_ranges, "ok", limits, "")


def describe_segment(segment: Segment) -> str | None:
    limits = segment.limits
    if limits is None:
        first = segment.labels[0] if segment.labels else "no values"
        return f"segment {segment.index + 1} ({first}): {segment.reason}"
    if limits.lower_clipped:
        return (
            f"segment {segment.index + 1}: lower limit {limits.computed_lower:.6g} raised to 0 because the"
            " measure cannot go below 0"
        )
    if limits.average_moving_range == 0:
        return (
            f"segment {segment.index + 1}: the baseline values are all equal, so the limits equal the centre"
        )
    return None


def build_chart(
    points: Sequence[tuple[str, float]],
    *,
    baseline_size: int = DEFAULT_BASELINE,
    min_points: int = MIN_POINTS,
    change_points: Sequence[str] = (),
    non_negative: bool = False,
    rules: RuleSet = "western_electric",
) -> XmRChart:
    """An XmR chart of ``(period_label, value)`` pairs in time order.

    ``change_points`` are labels that each start a new segment with its own baseline.
    ``non_negative``: the measure cannot go below 0, so a negative lower limit is clipped to 0.
    ``rules``: the detection rules (see the module notes).
    """
    if min_points < 2:
        raise ValueError("min_points must be at least 2 (a moving range needs two values)")
    if baseline_size < min_points:
        raise ValueError(f"baseline_size ({baseline_size}) must be at least min_points ({min_points})")
    labels = [label for label, _ in points]
    values = [float(value) for _, value in points]
    if len(set(labels)) != len(labels):
        raise ValueError("period labels must be unique")
    bad = [label for label, value in zip(labels, values, strict=True) if not math.isfinite(value)]
    if bad:
        raise ValueError(f"values must be finite numbers; not at {', '.join(bad)}")
    negative = [label for label, value in zip(labels, values, strict=True) if value < 0]
    if non_negative and negative:
        raise ValueError(f"the measure was declared non-negative but is below 0 at {', '.join(negative)}")
    segments = [
        build_segment(i, labels[start:end], values[start:end], baseline_size, min_points, non_negative)
        for i, (start, end) in enumerate(split_segments(labels, change_points))
    ]
    signals = [
        signal
        for s in segments
        if s.limits is not None
        for signal in detect_signals(s.index, s.labels, s.values, s.moving_ranges, s.limits, rules)
    ]
    notes = [note for s in segments if (note := describe_segment(s)) is not None]
    return XmRChart(
        status=segments[-1].status,
        segments=tuple(segments),
        signals=tuple(signals),
        non_negative=non_negative,
        baseline_size=baseline_size,
        min_points=min_points,
        notes=tuple(notes),
        rules=rules,
    )


def assess_target(
    chart: XmRChart, target: float, direction: Direction, tolerance: float | None = None
) -> TargetAssurance:
    """Will the process, as it runs now, meet ``target``?

    The target is met by values at or above it (``up``), at or below it (``down``) or within
    ``tolerance`` of it (``maintain``). If every value between the current natural process limits
    meets it, the process will consistently meet it; if none does, it will consistently miss it,
    unless the process itself changes; otherwise it will meet it in some periods and miss it in
    others, and those differences are routine variation, not signals.
    """
    limits = chart.limits
    if direction == "none":
        return TargetAssurance(
            "no direction", target, direction, None, None, "the measure has no desired direction"
        )
    if limits is None:
        return TargetAssurance("not enough data", target, direction, None, None, chart.current.reason)
    if direction == "maintain" and tolerance is None:
        raise ValueError("a 'maintain' target needs a tolerance")
    low, high = {
        "up": (target, math.inf),
        "down": (-math.inf, target),
        "maintain": (target - (tolerance or 0.0), target + (tolerance or 0.0)),
    }[direction]
    region = {
        "up": f"at or above the target {target:.6g}",
        "down": f"at or below the target {target:.6g}",
        "maintain": f"within {tolerance or 0.0:.6g} of the target {target:.6g}",
    }[direction]
    where = f"the natural process limits {limits.lower:.6g} to {limits.upper:.6g}"
    if low <= limits.lower and limits.upper <= high:
        verdict: Verdict = "consistently meets"
        text = f"{where} lie wholly {region}: every period will meet it unless the process changes"
    elif limits.upper < low or limits.lower > high:
        verdict = "consistently misses"
        text = f"no value between {where} is {region}: no period will meet it unless the process changes"
    else:
        verdict = "sometimes meets"
        text = (
            f"the target lies inside {where}: some periods will be {region} and some will not;"
            " that difference is routine variation, not a signal"
        )
    return TargetAssurance(verdict, target, direction, limits.lower, limits.upper, text)


def read_chart(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    grain: Grain = "month",
    dimension: str = "",
    dimension_value: str = "",
    *,
    baseline_size: int = DEFAULT_BASELINE,
    min_points: int = MIN_POINTS,
    change_points: Sequence[str] = (),
    min_denominator: int = MIN_DENOMINATOR,
    rules: RuleSet = "western_electric",
) -> XmRChart:
    """The XmR chart of a stored series. A redefinition (new version) starts a new segment;
    periods whose ratio or statistic rests on fewer than ``min_denominator`` rows are left out
    (and named in the notes), as are periods without a value."""
    series = read_series(con, measure_id, grain, dimension, dimension_value)
    kept = [
        o
        for o in series.observations
        if o.value is not None and (o.denominator is None or o.denominator >= min_denominator)
    ]
    left_out = [o.label for o in series.observations if o not in kept]
    chart = build_chart(
        [(o.label, o.value) for o in kept if o.value is not None],
        baseline_size=baseline_size,
        min_points=min_points,
        change_points=[*break_labels(series, kept), *change_points],
        non_negative=cannot_go_below_zero(series.measure),
        rules=rules,
    )
    if not left_out:
        return chart
    note = f"left out (no value, or fewer than {min_denominator} rows): {', '.join(left_out)}"
    return replace(chart, notes=(*chart.notes, note))
