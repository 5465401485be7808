"""Numbers and period labels as pages and charts write them, in English and Spanish."""

from __future__ import annotations

import pytest
from babel.numbers import format_decimal, format_percent
from hypothesis import given, settings
from hypothesis import strategies as st

from citystat.i18n import Lang, format_number, format_share, name_period


@pytest.mark.parametrize(
    ("lang", "label", "long", "short"),
    [
        ("en", "2026-06", "June 2026", "Jun 2026"),
        ("es", "2026-06", "junio de 2026", "jun 2026"),
        ("en", "2026-W23", "Week of June 1, 2026", "Jun 1, 2026"),  # ISO week 23 of 2026 starts Monday 1 June
        ("es", "2026-W23", "Semana del 1 de junio de 2026", "1 jun 2026"),
        (
            "en",
            "2021-W01",
            "Week of January 4, 2021",
            "Jan 4, 2021",
        ),  # week 1 holds the year's first Thursday
        ("en", "2020-W53", "Week of December 28, 2020", "Dec 28, 2020"),
        ("en", "2019-10-14", "October 14, 2019", "Oct 14, 2019"),
        ("es", "2019-10-14", "14 de octubre de 2019", "14 oct 2019"),
        ("en", "FY2026 Q4", "FY2026 Q4", "FY2026 Q4"),  # quarters and fiscal years stay as stored
        ("es", "FY2026", "FY2026", "FY2026"),
        ("en", "2026 Q2", "2026 Q2", "2026 Q2"),
        ("en", "not a period", "not a period", "not a period"),
    ],
)
def test_name_period(lang: Lang, label: str, long: str, short: str) -> None:
    assert name_period(lang, label) == long
    assert name_period(lang, label, short=True) == short


@pytest.mark.parametrize(
    ("lang", "value", "digits", "number", "share"),
    [
        ("en", 1234.5, 1, "1,234.5", "123,450.0%"),
        ("es", 1234.5, 1, "1.234,5", "123.450,0%"),  # the pattern groups from four digits on
        ("es", 12345.5, 0, "12.346", "1.234.550%"),
        ("en", 0.8235, 0, "1", "82%"),
        ("en", 0.8235, 2, "0.82", "82.35%"),
        ("en", -0.0, 0, "0", "0%"),  # never "-0"
        ("en", 2.675, 2, "2.68", "267.50%"),  # half to even on the decimal text, as babel does
    ],
)
def test_numbers_by_hand(lang: Lang, value: float, digits: int, number: str, share: str) -> None:
    assert format_number(lang, value, digits) == number
    assert format_share(lang, value, digits) == share


@settings(max_examples=300, deadline=None)
@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
    st.integers(0, 3),
    st.sampled_from(["en", "es"]),
)
def test_numbers_are_babels(value: float, digits: int, lang: Lang) -> None:
    """The cached formatting writes what babel's own functions write (for -0.0: what they write for 0)."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    assert format_number(lang, value, digits) == format_decimal(value + 0.0, format=pattern, locale=lang)
    assert format_share(lang, value, digits) == format_percent(value + 0.0, format=pattern + "%", locale=lang)
