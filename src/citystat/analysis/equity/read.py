"""Read what the equity calculations need from the warehouse: requests and demographics per area.

Every value is a bound parameter; the only identifier put into SQL text is the area column, taken
from :data:`AREA_LAYERS` (a fixed list in this module).

Days to close are real elapsed time: ``closed_at`` and ``created_at`` are local wall-clock times in
the request's ``time_zone``, so both become instants in that zone before they are subtracted (a
request open across the autumn clock change took an hour longer than its wall clocks say).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb

from citystat.analysis.equity.common import EquityError, Estimate

AREA_LAYERS = ("neighborhood", "csa", "council_district", "police_district", "tract")

DAYS_TO_CLOSE = "(epoch(timezone(time_zone, closed_at)) - epoch(timezone(time_zone, created_at))) / 86400.0"

_REQUEST_FILTER = """
    (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], agency))
    AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], service_code))
    AND NOT list_contains(?::VARCHAR[], service_code)
    AND (len(?::VARCHAR[]) = 0
         OR len(list_filter(?::VARCHAR[], lambda p: starts_with(service_code, p))) > 0)
    AND (?::TIMESTAMP IS NULL OR created_at >= ?::TIMESTAMP)
    AND (?::TIMESTAMP IS NULL OR created_at < ?::TIMESTAMP)
    AND (? OR status_flag IS NULL OR status_flag <> 'duplicate')
"""


@dataclass(frozen=True)
class RequestFilter:
    """Which requests count. Empty tuples mean "any"; duplicates are left out unless asked for."""

    agencies: tuple[str, ...] = ()
    service_codes: tuple[str, ...] = ()
    service_code_prefixes: tuple[str, ...] = ()
    exclude_service_codes: tuple[str, ...] = ()  # e.g. crew-initiated 'SW-Rat Rubout Proactive'
    created_from: dt.datetime | None = None  # local time, inclusive
    created_before: dt.datetime | None = None  # local time, exclusive
    include_duplicates: bool = False

    def parameters(self) -> list[object]:
        return [
            list(self.agencies),
            list(self.agencies),
            list(self.service_codes),
            list(self.service_codes),
            list(self.exclude_service_codes),
            list(self.service_code_prefixes),
            list(self.service_code_prefixes),
            self.created_from,
            self.created_from,
            self.created_before,
            self.created_before,
            self.include_duplicates,
        ]


@dataclass(frozen=True)
class AreaRequests:
    area: str
    requests: int
    closed: int
    median_days_to_close: float | None  # None when no request in the area is closed


@dataclass(frozen=True)
class RequestsByArea:
    layer: str
    areas: dict[str, AreaRequests] = field(default_factory=dict)
    unlocated: int = 0  # matching requests with no area on this layer

    def counts(self) -> dict[str, float]:
        return {a: float(r.requests) for a, r in self.areas.items()}

    def closed_counts(self) -> dict[str, float]:
        return {a: float(r.closed) for a, r in self.areas.items()}

    def median_days(self) -> dict[str, float]:
        """Median days to close in the areas that have a closed request."""
        return {
            a: r.median_days_to_close for a, r in self.areas.items() if r.median_days_to_close is not None
        }


def check_layer(layer: str) -> str:
    if layer not in AREA_LAYERS:
        raise EquityError(f"unknown area layer {layer!r}; choose one of {', '.join(AREA_LAYERS)}")
    return layer


def read_area_requests(
    con: duckdb.DuckDBPyConnection, layer: str, where: RequestFilter | None = None
) -> RequestsByArea:
    """Requests, closed requests and median days to close per area of ``layer``.

    Every area of the layer's loaded boundaries is listed, with 0 requests if it has none; areas
    that requests name but the boundaries do not are listed too.
    """
    column = check_layer(layer)
    where = where or RequestFilter()
    rows = con.execute(
        f"""
        WITH picked AS (
            SELECT {column} AS area, closed_at IS NOT NULL AS is_closed,
                   CASE WHEN closed_at IS NOT NULL THEN {DAYS_TO_CLOSE} END AS days
            FROM service_requests WHERE {_REQUEST_FILTER}
        ),
        counted AS (
            SELECT area, count(*) AS requests, count(*) FILTER (WHERE is_closed) AS closed,
                   median(days) AS median_days
            FROM picked GROUP BY area
        ),
        known AS (SELECT DISTINCT label AS area FROM boundaries WHERE layer = ?)
        SELECT coalesce(k.area, c.area) AS area, coalesce(c.requests, 0), coalesce(c.closed, 0),
               c.median_days
        FROM known k FULL OUTER JOIN counted c ON k.area = c.area
        ORDER BY area NULLS FIRST
        """,  # noqa: S608 -- the column comes from AREA_LAYERS; every value is bound
        [*where.parameters(), layer],
    ).fetchall()
    areas: dict[str, AreaRequests] = {}
    unlocated = 0
    for area, requests, closed, median_days in rows:
        if area is None:
            unlocated = int(requests)
            continue
        median = None if median_days is None else float(median_days)
        areas[str(area)] = AreaRequests(str(area), int(requests), int(closed), median)
    return RequestsByArea(layer, areas, unlocated)


def read_demographic(
    con: duckdb.DuckDBPyConnection, layer: str, variable: str, *, source: str | None = None
) -> dict[str, Estimate]:
    """``variable`` for every area of ``layer`` with a numeric value (city-total rows left out).

    ``source`` (a file name) picks one loaded file when several provide the same variable; without
    it, a variable that two files provide for the same area is an error rather than a guess.
    """
    rows = con.execute(
        """
        SELECT area_key, value, moe, regexp_replace(source_file, '^.*/', '') AS file
        FROM demographics
        WHERE layer = ? AND variable = ? AND NOT is_citywide AND value IS NOT NULL
          AND (?::VARCHAR IS NULL OR regexp_replace(source_file, '^.*/', '') = ?)
        ORDER BY area_key, file
        """,
        [layer, variable, source, source],
    ).fetchall()
    if not rows:
        raise EquityError(
            f"no numeric values of {variable!r} for layer {layer!r}"
            + (f" from {source}" if source else "")
            + "; load them with 'citystat ingest demographics'"
        )
    out: dict[str, Estimate] = {}
    files: dict[str, str] = {}
    for area, value, moe, file in rows:
        if area in out:
            raise EquityError(
                f"{variable!r} for {area!r} comes from both {files[area]} and {file}; pass source="
            )
        out[area] = Estimate(float(value), None if moe is None else float(moe))
        files[area] = file
    return out


def read_citywide_value(
    con: duckdb.DuckDBPyConnection, layer: str, variable: str, *, source: str | None = None
) -> Estimate | None:
    """The city-total row's value of ``variable`` (e.g. the 'Baltimore City' row), if one was loaded."""
    row = con.execute(
        """
        SELECT value, moe FROM demographics
        WHERE layer = ? AND variable = ? AND is_citywide AND value IS NOT NULL
          AND (?::VARCHAR IS NULL OR regexp_replace(source_file, '^.*/', '') = ?)
        ORDER BY source_file LIMIT 1
        """,
        [layer, variable, source, source],
    ).fetchone()
    if row is None:
        return None
    return Estimate(float(row[0]), None if row[1] is None else float(row[1]))
