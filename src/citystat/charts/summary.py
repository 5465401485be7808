"""The plain-language sentences that go with every chart, in English or Spanish.

A measure over time: "On-time repair fell from 82% to 64% in FY2025 Q3, which is worse; this is a
signal (outside the limits)." Rising or falling is the direction of the number; "better" or
"worse" comes only from the measure's desired direction (none for ``higher_is_better=None``);
"signal" only from the XmR rules, so a fall can be worse and still be routine variation.

A comparison (bars, maps): the highest and lowest (or best and worst), how many have no data,
and how many are above the reference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from babel.lists import format_list

from citystat.charts.model import ChartPoint, MeasureChart
from citystat.charts.values import choose_digits, format_pair, format_value
from citystat.i18n import Lang, name_period, translate

MAX_NAMES = 3  # tied names listed before "and N more"


def find_limits(chart: MeasureChart, label: str) -> tuple[float, float, float] | None:
    """(centre, lower, upper) that apply to the point ``label``, or None when it has none."""
    if chart.segments:
        labels = [p.label for p in chart.points]
        at = labels.index(label)
        for segment in chart.segments:
            if labels.index(segment.first) <= at <= labels.index(segment.last):
                c, lo, hi = segment.centre, segment.lower_limit, segment.upper_limit
                return None if c is None or lo is None or hi is None else (c, lo, hi)
        return None
    c, lo, hi = chart.centre, chart.lower_limit, chart.upper_limit
    return None if c is None or lo is None or hi is None else (c, lo, hi)


def describe_move(chart: MeasureChart, lang: Lang, previous: ChartPoint | None, latest: ChartPoint) -> str:
    """ "… fell from 82% to 64% in FY2025 Q3, which is worse" (no full stop)."""
    assert latest.value is not None
    digits = choose_digits(chart.unit, [p.value for p in chart.points])
    if previous is None or previous.value is None:
        value = format_value(lang, latest.value, chart.unit, digits)
        return translate(
            lang,
            "{title} was {new} in {period}",
            title=chart.title,
            new=value,
            period=name_period(lang, latest.label),
        )
    old, new = format_pair(lang, previous.value, latest.value, chart.unit, digits)
    values = {"title": chart.title, "old": old, "new": new, "period": name_period(lang, latest.label)}
    if latest.value == previous.value:
        return translate(lang, "{title} stayed at {new} in {period}", **values)
    rose = latest.value > previous.value
    text = translate(
        lang,
        "{title} rose from {old} to {new} in {period}"
        if rose
        else "{title} fell from {old} to {new} in {period}",
        **values,
    )
    if chart.higher_is_better is None:
        return text
    better = rose == chart.higher_is_better
    return text + translate(lang, ", which is better" if better else ", which is worse")


def describe_verdict(chart: MeasureChart, lang: Lang, latest: ChartPoint, changed: bool) -> str:
    """ "; this is a signal (…)." / "; no signal: …." / ". Not enough data for process limits."."""
    if latest.signal is not None:
        return translate(lang, "; this is a signal ({rule}).", rule=translate(lang, latest.signal))
    if find_limits(chart, latest.label) is None:
        return ". " + translate(lang, "Not enough data for process limits.")
    if changed:
        return translate(lang, "; no signal: the change is within normal variation.")
    return translate(lang, "; no signal.")


def describe_target(chart: MeasureChart, lang: Lang, latest: ChartPoint) -> str:
    """ "That is below the target of 80%." (where the value lies, not whether that is good)."""
    if chart.target is None or latest.value is None:
        return ""
    digits = choose_digits(chart.unit, [p.value for p in chart.points])
    _, target = format_pair(lang, latest.value, chart.target, chart.unit, digits)
    if math.isclose(latest.value, chart.target, rel_tol=1e-9, abs_tol=1e-12):
        message = "That is at the target of {target}."
    elif latest.value < chart.target:
        message = "That is below the target of {target}."
    else:
        message = "That is above the target of {target}."
    return " " + translate(lang, message, target=target)


def summarize_change(chart: MeasureChart, lang: Lang) -> str:
    """The latest change, whether it is a signal, and where it lies against the target."""
    known = [p for p in chart.points if p.value is not None]
    if not known:
        return translate(lang, "{title}: no values yet.", title=chart.title)
    latest = known[-1]
    previous = known[-2] if len(known) > 1 else None
    changed = previous is not None and previous.value != latest.value
    return (
        describe_move(chart, lang, previous, latest)
        + describe_verdict(chart, lang, latest, changed)
        + describe_target(chart, lang, latest)
    )


def list_names(lang: Lang, names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B, C and 4 more" (the list style of the language)."""
    if len(names) > MAX_NAMES:
        rest = translate(lang, "{count} more", count=len(names) - MAX_NAMES)
        return str(format_list([*names[:MAX_NAMES], rest], locale=lang))
    return str(format_list(list(names), locale=lang))


def summarize_ranking(
    lang: Lang,
    unit: str,
    items: Sequence[tuple[str, float | None]],
    *,
    higher_is_better: bool | None = None,
) -> str:
    """Highest and lowest (best and worst, given a direction) and how many have no data."""
    known = [(name, value) for name, value in items if value is not None]
    missing = len(items) - len(known)
    if not known:
        return translate(lang, "No values to compare.")
    digits = choose_digits(unit, [v for _, v in known])
    top = max(v for _, v in known)
    bottom = min(v for _, v in known)
    high_text, low_text = format_pair(lang, top, bottom, unit, digits)
    if len(known) == 1:
        sentence = translate(lang, "Only {name} has a value: {value}.", name=known[0][0], value=high_text)
    elif top == bottom:
        sentence = translate(
            lang, "All {count} have the same value, {value}.", count=len(known), value=high_text
        )
    else:
        high = list_names(lang, [n for n, v in known if v == top])
        low = list_names(lang, [n for n, v in known if v == bottom])
        if higher_is_better is None:
            message = "Highest: {high} ({high_value}); lowest: {low} ({low_value})."
        elif higher_is_better:
            message = "Best: {high} ({high_value}); worst: {low} ({low_value})."
        else:
            message = "Best: {low} ({low_value}); worst: {high} ({high_value})."
        sentence = translate(lang, message, high=high, high_value=high_text, low=low, low_value=low_text)
    if missing:
        message = (
            "{missing} of {count} has no data." if missing == 1 else "{missing} of {count} have no data."
        )
        sentence += " " + translate(lang, message, missing=missing, count=len(items))
    return sentence


def summarize_reference(
    lang: Lang, unit: str, values: Sequence[float | None], reference: float, label: str
) -> str:
    """ "City average: 72%; 12 of 56 are above it."."""
    known = [v for v in values if v is not None]
    digits = choose_digits(unit, [reference], detailed=True)  # a computed value: 74.5%, not 74%
    above = sum(1 for v in known if v > reference)
    message = (
        "{label}: {value}; {above} of {count} is above it."
        if above == 1
        else "{label}: {value}; {above} of {count} are above it."
    )
    return translate(
        lang,
        message,
        label=label,
        value=format_value(lang, reference, unit, digits),
        above=above,
        count=len(known),
    )
