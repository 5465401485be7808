"""A measure's stored values, filtered and paged, for the API and downloads.

The rows are exactly what ``citystat query`` prints (:func:`citystat.engine.query.query_series`:
the version in force for each period), in its order: by period start, then dimension value. That
order is stable and (period start, dimension value) is unique in it, so a page or a cursor always
picks up where the previous one ended. One series (measure, grain, dimension) is read once per
warehouse revision; filters and pages are slices of it.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from citystat.catalog.model import Grain
from citystat.engine.periods import as_date
from citystat.engine.query import VALUE_COLUMNS, query_series
from citystat.site.catalog import CADENCE_GRAINS, get_catalog
from citystat.site.errors import InvalidRequestError
from citystat.site.reader import WarehouseReader

# What a value row shows, in order: every stored column (the values are aggregates; no request
# or resident field is among them).
VALUE_FIELDS: tuple[str, ...] = VALUE_COLUMNS


@dataclass(frozen=True)
class ValueRow:
    measure_id: str
    version: int
    grain: str
    period_label: str
    period_start: dt.date
    dimension: str
    dimension_value: str
    value: float | None
    numerator: float | None
    denominator: float | None
    note: str | None
    engine: str
    catalog_version: str
    load_ids: str
    computed_at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in VALUE_FIELDS}

    @property
    def key(self) -> tuple[dt.date, str]:
        """Where the row sits in the order (unique within a series)."""
        return (self.period_start, self.dimension_value)


@dataclass(frozen=True)
class ValuePage:
    rows: tuple[ValueRow, ...]
    total: int  # rows matching the filters, over every page
    page: int  # 1-based
    page_size: int
    pages: int  # at least 1
    next_cursor: str | None  # where the next rows start (None on the last page)


def to_row(raw: dict[str, Any]) -> ValueRow:
    return ValueRow(
        measure_id=str(raw["measure_id"]),
        version=int(raw["version"]),
        grain=str(raw["grain"]),
        period_label=str(raw["period_label"]),
        period_start=as_date(raw["period_start"]),
        dimension=str(raw["dimension"]),
        dimension_value=str(raw["dimension_value"]),
        value=None if raw["value"] is None else float(raw["value"]),
        numerator=None if raw["numerator"] is None else float(raw["numerator"]),
        denominator=None if raw["denominator"] is None else float(raw["denominator"]),
        note=raw["note"],
        engine=str(raw["engine"]),
        catalog_version=str(raw["catalog_version"]),
        load_ids=str(raw["load_ids"]),
        computed_at=raw["computed_at"],
    )


def read_value_rows(
    reader: WarehouseReader, measure_id: str, grain: Grain, dimension: str = ""
) -> tuple[ValueRow, ...]:
    """Every value of one series (``dimension=''``: citywide), oldest first; raises
    :class:`~citystat.site.errors.NotFoundError` for an unknown measure. A grain or dimension
    the measure has no values for gives no rows."""
    get_catalog(reader).find_measure(measure_id)

    def build(con: Any) -> tuple[ValueRow, ...]:
        series = query_series(con, measure_id, grain=grain, dimension=dimension)
        return tuple(to_row(r) for r in series.rows)

    return reader.cached(("site", "values", measure_id, grain, dimension), build)


def select_value_rows(
    rows: Sequence[ValueRow],
    *,
    dimension_value: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> tuple[ValueRow, ...]:
    """Rows whose period starts within [start, end] (inclusive) and, when given, of one place."""
    if start is not None and end is not None and end < start:
        raise InvalidRequestError(f"the range ends ({end}) before it starts ({start})")
    starts = [r.period_start for r in rows]
    lo = 0 if start is None else bisect.bisect_left(starts, start)
    hi = len(rows) if end is None else bisect.bisect_right(starts, end)
    picked = rows[lo:hi]
    if dimension_value is not None:
        picked = [r for r in picked if r.dimension_value == dimension_value]
    return tuple(picked)


def encode_cursor(row: ValueRow) -> str:
    """An opaque token for "the rows after this one"."""
    text = json.dumps([row.period_start.isoformat(), row.dimension_value], ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[dt.date, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        start, place = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        return dt.date.fromisoformat(start), str(place)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequestError(f"not a cursor this API gave out: {token!r}") from None


def page_value_rows(
    rows: Sequence[ValueRow], *, page: int = 1, page_size: int = 100, cursor: str | None = None
) -> ValuePage:
    """One page of ``rows``: by number, or (``cursor``) the ``page_size`` rows after the cursor's."""
    if page < 1 or page_size < 1:
        raise InvalidRequestError("page and page_size start at 1")
    total = len(rows)
    pages = max(1, -(-total // page_size))
    if cursor is not None:
        after = decode_cursor(cursor)
        first = bisect.bisect_right([r.key for r in rows], after)
        page = first // page_size + 1
    else:
        first = (page - 1) * page_size
    chosen = tuple(rows[first : first + page_size])
    more = first + page_size < total
    return ValuePage(chosen, total, page, page_size, pages, encode_cursor(chosen[-1]) if more else None)


@dataclass(frozen=True)
class ValueSelection:
    """The values of one series that match a request's filters (the API's values and downloads)."""

    measure_id: str
    grain: Grain
    dimension: str  # '' for citywide values
    rows: tuple[ValueRow, ...]

    @property
    def file_stem(self) -> str:
        """A download's file name without its suffix: ``measure-grain[-dimension]``."""
        return "-".join(p for p in (self.measure_id, self.grain, self.dimension) if p)


def find_values(
    reader: WarehouseReader,
    measure_id: str,
    *,
    grain: Grain | None = None,
    dimension: str = "",
    dimension_value: str | None = None,
    period: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ValueSelection:
    """One series' stored values filtered: ``grain`` defaults to the measure's default grain (see
    :mod:`citystat.site.catalog`; its cadence's when nothing is stored yet: no rows);
    ``dimension`` '' is the citywide series; ``period`` is a period label (``2026-06``,
    ``FY2026 Q1``); ``start``/``end`` bound the period start, inclusive. Raises NotFoundError for
    an unknown measure and InvalidRequestError for a range that ends before it starts."""
    info = get_catalog(reader).find_measure(measure_id)
    chosen = grain or info.default_grain or CADENCE_GRAINS[info.measure.cadence]
    if dimension_value is not None and not dimension:
        raise InvalidRequestError("dimension_value needs a dimension (e.g. dimension=neighborhood)")
    rows = select_value_rows(
        read_value_rows(reader, measure_id, chosen, dimension),
        dimension_value=dimension_value,
        start=start,
        end=end,
    )
    if period is not None:
        rows = tuple(r for r in rows if r.period_label == period)
    return ValueSelection(measure_id, chosen, dimension, rows)
