"""Values in a measure's unit, written for a language: 82% / 82,3%, 3.5 days / 3,5 días, $1,234.

Percents are stored as shares (0.82). How many decimals: the fewest that tell the values of one
chart apart, chosen per chart (:func:`choose_digits`), so a column never mixes 82% and 82.35%.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from babel.numbers import format_currency

from citystat.analysis.series import NON_NEGATIVE_UNITS
from citystat.i18n import Lang, format_number, format_share, translate

CURRENCY = "USD"  # every city profile so far is in the United States
MAX_DIGITS = 3

UNIT_HEADINGS = {
    "percent": "Percent",
    "count": "Count",
    "currency": "Dollars",
    "days": "Days",
    "hours": "Hours",
    "number": "Value",
}
# Durations say their unit in words in sentences and in the table's column heading.
UNIT_WORDS = {"days": ("{value} day", "{value} days"), "hours": ("{value} hour", "{value} hours")}


def keep_finite(value: float | None) -> float | None:
    """A value a chart can draw: NaN and infinities count as no data."""
    return value if value is not None and math.isfinite(value) else None


def is_whole(value: float) -> bool:
    return math.isclose(value, round(value), rel_tol=0.0, abs_tol=1e-9)


def choose_digits(unit: str, values: Iterable[float | None], *, detailed: bool = False) -> int:
    """Decimals for a set of values: none for whole numbers (and whole percents) and for shares in
    sentences, one for other shares in tables (``detailed``) and for fractional values, two for
    values that are all below 1."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    if unit == "percent":
        return 1 if detailed and not all(is_whole(v * 100) for v in known) else 0
    if all(is_whole(v) for v in known):
        return 0
    if unit == "currency":
        return 2
    return 2 if all(abs(v) < 1 for v in known) else 1


def format_plain(lang: Lang, value: float, unit: str, digits: int) -> str:
    """The value with its percent sign or currency symbol, without a unit word (tables, axes)."""
    if unit == "percent":
        return format_share(lang, value, digits)
    if unit == "currency":
        pattern = "¤#,##0" + ("." + "0" * digits if digits else "")
        return str(format_currency(value, CURRENCY, format=pattern, locale=lang, currency_digits=False))
    return format_number(lang, value, digits)


def format_value(lang: Lang, value: float, unit: str, digits: int) -> str:
    """The value as a sentence says it: ``82%``, ``3.5 days``, ``1 hour``, ``$1,234``, ``1,234``."""
    text = format_plain(lang, value, unit, digits)
    words = UNIT_WORDS.get(unit)
    if words is None:
        return text
    one, many = words
    return translate(lang, one if text == "1" else many, value=text)


def format_pair(lang: Lang, first: float, second: float, unit: str, digits: int) -> tuple[str, str]:
    """Two values with enough decimals that different values never read the same."""
    for extra in range(MAX_DIGITS + 1):
        pair = (
            format_value(lang, first, unit, digits + extra),
            format_value(lang, second, unit, digits + extra),
        )
        if first == second or pair[0] != pair[1]:
            return pair
    return pair


def describe_unit(lang: Lang, unit: str) -> str:
    """The axis title or legend heading for a unit: Percent, Days, Count..."""
    return translate(lang, UNIT_HEADINGS.get(unit, "Value"))


def name_value_column(lang: Lang, unit: str) -> str:
    """The table's value column heading: ``Value``, or ``Value (days)`` when cells are bare numbers."""
    if unit in UNIT_WORDS:
        return translate(lang, "Value ({unit})", unit=translate(lang, UNIT_HEADINGS[unit]).lower())
    return translate(lang, "Value")


def cannot_go_below_zero(unit: str) -> bool:
    return unit in NON_NEGATIVE_UNITS
