"""Period labels in words, as pages and charts show them (the API keeps the stored labels)."""

from __future__ import annotations

import pytest

from citystat.i18n import Lang, name_period


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
