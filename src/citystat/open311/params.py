"""Reading Open311 parameters: an empty parameter behaves exactly like an absent one.

Dates are W3C date-times and must carry a zone (``Z`` or ``±hh:mm``); a date without one is refused
rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

from citystat.open311.errors import fail_input

Params = Mapping[str, Sequence[str]]


def read_param(params: Params, name: str) -> str | None:
    """The parameter's last non-empty value, or None (absent and empty are the same)."""
    values = [v for v in params.get(name, ()) if v.strip() != ""]
    return values[-1].strip() if values else None


def read_list(params: Params, name: str) -> list[str] | None:
    """A comma-separated parameter as a list (None when absent or empty)."""
    text = read_param(params, name)
    if text is None:
        return None
    items = [item.strip() for item in text.split(",") if item.strip()]
    return items or None


def parse_datetime(text: str, name: str) -> dt.datetime:
    """A W3C date-time with its zone; raises a 400 naming the parameter otherwise."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise fail_input(
            f"{name} is not a W3C date-time (e.g. 2026-11-25T09:30:00-05:00): {text!r}"
        ) from None
    if "T" not in value or parsed.tzinfo is None:
        raise fail_input(
            f"{name} must be a date-time with a time zone (e.g. 2026-11-25T09:30:00-05:00): {text!r}"
        )
    return parsed


def read_datetime(params: Params, name: str) -> dt.datetime | None:
    text = read_param(params, name)
    return None if text is None else parse_datetime(text, name)


def parse_float(text: str, name: str, low: float, high: float) -> float:
    try:
        value = float(text)
    except ValueError:
        raise fail_input(f"{name} must be a number: {text!r}") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise fail_input(f"{name} must be between {low:g} and {high:g}: {text!r}")
    return value


def read_int(params: Params, name: str, default: int, low: int, high: int) -> int:
    text = read_param(params, name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise fail_input(f"{name} must be a whole number from {low} to {high}: {text!r}")
    return int(text)


def format_datetime(value: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """W3C date-time in the city's zone, with its offset: 2026-11-25T09:30:00-05:00."""
    return None if value is None else value.astimezone(zone).isoformat(timespec="seconds")
