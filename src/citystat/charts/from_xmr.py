"""Chart input from the analysis layer: an :class:`~citystat.analysis.xmr.XmRChart` and a target."""

from __future__ import annotations

from collections.abc import Sequence

from citystat.analysis.xmr import RuleName, XmRChart
from citystat.catalog.model import Direction
from citystat.charts.model import ChartPoint, ChartSegment, MeasureChart

# Plain names of the detection rules, in the order a point's signal is named when several fire.
SIGNAL_NAMES: dict[RuleName, str] = {
    "outside_limits": "outside the limits",
    "two_of_three_beyond_two_sigma": "two of three points near a limit",
    "three_of_four_near_a_limit": "three of four points closer to a limit than to the centre",
    "four_of_five_beyond_one_sigma": "four of five points far from the centre",
    "eight_on_one_side": "eight points in a row on one side",
    "moving_range_above_limit": "an unusually large jump",
}


def prefer_higher(direction: Direction) -> bool | None:
    """``up`` → higher is better, ``down`` → lower is better; ``maintain``/``none`` → neither."""
    return {"up": True, "down": False}.get(direction)


def name_signals(xmr: XmRChart) -> dict[str, str]:
    """Period label → plain name of the first rule (in ``SIGNAL_NAMES`` order) that involves it."""
    names: dict[str, str] = {}
    for rule, name in SIGNAL_NAMES.items():
        for signal in xmr.signals_by_rule(rule):
            for label in signal.points:
                names.setdefault(label, name)
    return names


def build_measure_chart(
    title: str,
    unit: str,
    xmr: XmRChart,
    *,
    direction: Direction,
    target: float | None = None,
    labels: Sequence[str] = (),
) -> MeasureChart:
    """The chart input for an XmR chart of a measure.

    ``labels``: every period of the series in order, when some have no value (the XmR chart holds
    only periods with one); those periods become gaps. Each XmR segment keeps its own limits.
    """
    values = {
        label: value
        for segment in xmr.segments
        for label, value in zip(segment.labels, segment.values, strict=True)
    }
    order = list(labels) if labels else list(values)
    missing = [label for label in values if label not in order]
    if missing:
        raise ValueError(f"labels leave out periods of the chart: {', '.join(missing)}")
    signals = name_signals(xmr)
    points = tuple(ChartPoint(label, values.get(label), signals.get(label)) for label in order)
    segments = tuple(
        ChartSegment(
            first=s.labels[0],
            last=s.labels[-1],
            centre=None if s.limits is None else s.limits.centre,
            lower_limit=None if s.limits is None else s.limits.lower,
            upper_limit=None if s.limits is None else s.limits.upper,
        )
        for s in xmr.segments
        if s.labels
    )
    limits = xmr.limits
    return MeasureChart(
        title=title,
        unit=unit,
        higher_is_better=prefer_higher(direction),
        points=points,
        centre=None if limits is None else limits.centre,
        lower_limit=None if limits is None else limits.lower,
        upper_limit=None if limits is None else limits.upper,
        target=target,
        segments=segments if len(segments) > 1 else (),
    )
