"""Period grains, including the city's fiscal calendar, as portable Ibis expressions and labels.

Every grain maps a timestamp to the first day of its period. Fiscal quarters and years are
computed with integer month arithmetic so that any fiscal start month works on every engine.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from citystat.catalog.model import Grain

CALENDAR_UNITS = {"week": "W", "month": "M", "quarter": "Q"}
FISCAL_SPANS = {"fiscal_quarter": 3, "fiscal_year": 12}


def period_start(ts: ir.TimestampValue, grain: Grain, fiscal_start_month: int) -> ir.DateValue:
    """The first day of the period that holds ``ts``."""
    if grain == "day":
        return ts.date()
    if grain in CALENDAR_UNITS:
        return ts.truncate(CALENDAR_UNITS[grain]).date()
    span = FISCAL_SPANS[grain]
    months = ts.year() * 12 + ts.month() - 1  # months since year 0
    offset = months - (fiscal_start_month - 1)
    first = offset - offset % span + (fiscal_start_month - 1)
    year = first // 12
    month = first % 12 + 1
    return ibis.date(year.cast("int32"), month.cast("int32"), ibis.literal(1, "int32"))


def fiscal_year_of(day: dt.date, fiscal_start_month: int) -> int:
    """Fiscal years are named by the calendar year they end in (FY2020 = July 2019 - June 2020)."""
    if fiscal_start_month == 1:
        return day.year
    return day.year + 1 if day.month >= fiscal_start_month else day.year


def python_period_start(day: dt.date, grain: Grain, fiscal_start_month: int) -> dt.date:
    """The same mapping as :func:`period_start`, in Python (for labels, tests and ranges)."""
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    span = 3 if grain in ("quarter", "fiscal_quarter") else 12
    start = 1 if grain == "quarter" else fiscal_start_month
    offset = day.year * 12 + day.month - 1 - (start - 1)
    first = offset - offset % span + (start - 1)
    return dt.date(first // 12, first % 12 + 1, 1)


def label_period(start: dt.date, grain: Grain, fiscal_start_month: int) -> str:
    """A plain label: 2019-10-14, 2019-W42, 2019-10, 2019 Q4, FY2020 Q2, FY2020."""
    if grain == "day":
        return start.isoformat()
    if grain == "week":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{start.year}-{start.month:02d}"
    if grain == "quarter":
        return f"{start.year} Q{(start.month - 1) // 3 + 1}"
    fiscal_year = fiscal_year_of(start, fiscal_start_month)
    if grain == "fiscal_year":
        return f"FY{fiscal_year}"
    quarter = ((start.month - fiscal_start_month) % 12) // 3 + 1
    return f"FY{fiscal_year} Q{quarter}"


def as_date(value: Any) -> dt.date:
    """Engines return dates as date, datetime or pandas Timestamp; normalise to date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "date"):
        return value.date()  # type: ignore[no-any-return]
    raise TypeError(f"not a date: {value!r}")


MONTHS_PER_PERIOD: dict[Grain, int] = {"month": 1, "quarter": 3, "fiscal_quarter": 3, "fiscal_year": 12}
DAYS_PER_PERIOD: dict[Grain, int] = {"day": 1, "week": 7}


def next_period_start(start: dt.date, grain: Grain) -> dt.date:
    """The first day of the period after the one starting on ``start``."""
    if grain in DAYS_PER_PERIOD:
        return start + dt.timedelta(days=DAYS_PER_PERIOD[grain])
    months = start.year * 12 + start.month - 1 + MONTHS_PER_PERIOD[grain]
    return dt.date(months // 12, months % 12 + 1, 1)


def list_period_starts(first: dt.date, last: dt.date, grain: Grain) -> list[dt.date]:
    """Every period start from ``first`` to ``last`` (both period starts), in order."""
    starts = []
    start = first
    while start <= last:
        starts.append(start)
        start = next_period_start(start, grain)
    return starts
