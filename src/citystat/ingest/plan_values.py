"""Reading the numbers people type into a performance plan, and placing them in fiscal periods.

Rules (each one leaves a record when it changes or refuses a value):

- ``330,000``, ``$5,890,000 ``, ``.75``, ``1.15977e+007`` and NBSP-padded numbers are numbers.
- ``75%`` is 0.75 whatever the measure's unit (a percent sign on a count measure is flagged).
- Percent measures are stored as fractions 0-1. A bare number above 1 on a percent measure in the
  export is read as written on a 0-100 scale and divided by 100 (flagged); one above 100 cannot be a
  share and is kept as published (flagged).
- Words (``No Data``, ``N/A (New KPI)``, ``New for Fiscal 25``), ranges (``6500-7000``) and dashes
  are not numbers: the value is cleared and the cell quarantined with its text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from citystat.catalog.text import clean_text

_NUMBER = re.compile(
    r"^(?P<sign>[-+]?)\s*(?P<currency>\$)?\s*(?P<sign2>[-+]?)"
    r"(?P<digits>(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)\s*(?P<percent>%)?$"
)
_SCIENTIFIC = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)[eE][-+]?\d+$")
_EXCEL_CR = "_x000D_"

NOT_A_NUMBER = "not a number"
RESCALED = "percent written on a 0-100 scale without '%': divided by 100"
PERCENT_ABOVE_100 = "percent above 100%: kept as published, not rescaled"
PERCENT_ABOVE_1 = "percent measure value above 1 (100%): kept as published, not rescaled"
PERCENT_SIGN_ON_OTHER = "percent sign on a measure that is not a percent: read as a fraction"


def reason_key(reason: str) -> str:
    """A reason's category, for counts: 'not a number', 'percent measure value above 1' ..."""
    return reason.split(" (")[0].split(": ")[0]


@dataclass(frozen=True)
class ParsedValue:
    """A cell read as a number. ``problem`` is the quarantine reason when there is one."""

    value: float | None
    problem: str | None = None
    rescaled: bool = False


def read_number(raw: str) -> tuple[float, bool] | None:
    """Return (number, had a percent sign) for number-like text, None for anything else.

    >>> read_number(" $5,890,000 ")
    (5890000.0, False)
    >>> read_number("75%")
    (75.0, True)
    """
    text = clean_text(raw)
    match = _NUMBER.match(text)
    if match is not None:
        negative = "-" in (match.group("sign") + match.group("sign2"))
        number = float(match.group("digits").replace(",", ""))
        return (-number if negative else number), match.group("percent") is not None
    if _SCIENTIFIC.match(text):
        return float(text), False
    return None


def parse_export_value(raw: str, unit: str) -> ParsedValue | None:
    """Read one export cell for a measure of ``unit``; None when the cell is blank."""
    if not clean_text(raw):
        return None
    read = read_number(raw)
    if read is None:
        return ParsedValue(None, NOT_A_NUMBER)
    number, percent_sign = read
    if percent_sign:
        problem = None if unit == "percent" else PERCENT_SIGN_ON_OTHER
        return ParsedValue(number / 100, problem)
    if unit != "percent" or abs(number) <= 1:
        return ParsedValue(number)
    if abs(number) <= 100:
        return ParsedValue(number / 100, RESCALED, rescaled=True)
    return ParsedValue(number, PERCENT_ABOVE_100)


def clean_note(raw: str | None) -> str | None:
    """An agency's note without spreadsheet debris: Excel's escaped carriage returns (``_x000D_``)
    removed and outer white space trimmed. Blank notes are None."""
    if raw is None:
        return None
    text = raw.replace(_EXCEL_CR, "").strip()
    return text or None


def fiscal_year_start(fiscal_year: int, start_month: int) -> dt.date:
    """First day of a fiscal year named by the calendar year it ends in (FY2021 -> 2020-07-01)."""
    return dt.date(fiscal_year - 1 if start_month > 1 else fiscal_year, start_month, 1)


def fiscal_quarter_start(fiscal_year: int, quarter: int, start_month: int) -> dt.date:
    """First day of quarter 1-4 of a fiscal year (FY2021 Q3 with a July start -> 2021-01-01)."""
    if quarter not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1-4, not {quarter}")
    first = fiscal_year_start(fiscal_year, start_month)
    months = first.month - 1 + 3 * (quarter - 1)
    return dt.date(first.year + months // 12, months % 12 + 1, 1)


def fiscal_label(fiscal_year: int, quarter: int | None = None) -> str:
    """'FY2021' or 'FY2021 Q1' (the engine's labels for fiscal grains)."""
    return f"FY{fiscal_year}" if quarter is None else f"FY{fiscal_year} Q{quarter}"
