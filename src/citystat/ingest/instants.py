"""UTC instants for the local wall-clock timestamps of ``_typed``, correct across daylight-saving changes.

A time that carried its own UTC offset (``2018/11/04 06:10:00+00``, ISO 8601 with an offset) has one
instant. A local time without an offset has one reading on most days, but two around a change: the
hour repeated when clocks go back (01:30 EDT, then 01:30 EST), and the hour skipped when they go
forward (02:30 read with the offset before or after the change; such times are also flagged as
nonexistent). The rule, also used by migration 0002 for rows stored before it:

* ``created_utc`` is the created time's earlier reading;
* a status, due or close time takes its earlier reading, unless that falls before ``created_utc`` and
  its later reading does not (created 01:50 EDT, closed 01:10 EST: 20 minutes, not -40);
* a row is "closed before created" only when its latest close reading is before the earliest created
  reading, i.e. under every reading.

Offsets come from a small table of the zone's offset the day before and two days after each date in
the file, so the time-zone library is called per date, not per row, except on change days.
"""

from __future__ import annotations

import duckdb

from citystat.profiles import TIMESTAMP_FIELDS

TOLERANCE = "INTERVAL 1 SECOND"


def instant_name(field: str) -> str:
    """'closed_at' -> 'closed_utc'."""
    return f"{field.removesuffix('_at')}_utc"


INSTANT_FIELDS = tuple(instant_name(field) for field in TIMESTAMP_FIELDS)


def build_zone_days(con: duckdb.DuckDBPyConnection, zone: str) -> None:
    """Create ``_zone_days(day, off_before, off_after)`` for every date of a local time in ``_typed``."""
    days = " UNION ".join(
        f"SELECT {field}::DATE FROM _typed WHERE {field}_exact IS NULL AND {field} IS NOT NULL"
        for field in TIMESTAMP_FIELDS
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _zone_days AS SELECT day::DATE AS day,"
        " timezone($1, timezone('UTC', day - INTERVAL 1 DAY)) - (day - INTERVAL 1 DAY) AS off_before,"
        " timezone($1, timezone('UTC', day + INTERVAL 2 DAY)) - (day + INTERVAL 2 DAY) AS off_after"
        f" FROM (SELECT d::TIMESTAMP AS day FROM ({days}) AS u(d)) AS d",
        [zone],
    )


def reading_columns(field: str) -> list[str]:
    """SQL select items giving ``field``'s candidate readings: ``<field>_a``/``_b`` and whether valid.

    Reads the join alias ``z_<field>`` (its ``_zone_days`` row) and the zone as parameter $1.
    """
    zone_day = f"z_{field}"
    shifted = f"{zone_day}.off_before <> {zone_day}.off_after"
    checks = []
    for name, offset in (("a", "off_before"), ("b", "off_after")):
        reading = f"(t.{field} - {zone_day}.{offset})"
        checks.append(f"{reading} AS {field}_{name}")
        checks.append(
            f"CASE WHEN {shifted} AND timezone($1, timezone('UTC', {reading})) = t.{field}"
            f" THEN {reading} END AS {field}_valid_{name}"
        )
    checks.append(f"coalesce({shifted}, false) AS {field}_shifted")
    return checks


def span_expr(field: str, pick: str) -> str:
    """SQL for ``field``'s earliest (pick='least') or latest (pick='greatest') reading."""
    return (
        f"CASE WHEN {field}_exact IS NOT NULL THEN {field}_exact"
        f" WHEN NOT {field}_shifted THEN {field}_a"
        f" WHEN {field}_valid_a IS NULL AND {field}_valid_b IS NULL THEN {pick}({field}_a, {field}_b)"
        f" ELSE {pick}({field}_valid_a, {field}_valid_b) END"
    )


def add_instants(con: duckdb.DuckDBPyConnection, zone: str) -> None:
    """Add ``<x>_utc``, ``<x>_latest`` (latest reading) and ``<x>_nonexistent`` to ``_typed``."""
    build_zone_days(con, zone)
    joins = " ".join(
        f"LEFT JOIN _zone_days z_{field} ON z_{field}.day = t.{field}::DATE" for field in TIMESTAMP_FIELDS
    )
    readings = ", ".join(item for field in TIMESTAMP_FIELDS for item in reading_columns(field))
    spans = []
    for field in TIMESTAMP_FIELDS:
        spans.append(f"{span_expr(field, 'least')} AS {field}_earliest")
        spans.append(f"{span_expr(field, 'greatest')} AS {field}_latest")
        spans.append(
            f"({field}_exact IS NULL AND {field}_shifted AND {field}_valid_a IS NULL"
            f" AND {field}_valid_b IS NULL) AS {field}_nonexistent"
        )
    start = "created_at_earliest"
    chosen = [f"{start} AS created_utc"]
    for field in TIMESTAMP_FIELDS[1:]:
        chosen.append(
            f"CASE WHEN {field}_earliest < {start} - {TOLERANCE} AND {field}_latest >= {start} - {TOLERANCE}"
            f" THEN {field}_latest ELSE {field}_earliest END AS {instant_name(field)}"
        )
    helpers = [
        f"{field}_{suffix}"
        for field in TIMESTAMP_FIELDS
        for suffix in ("a", "b", "valid_a", "valid_b", "shifted", "earliest", "exact")
    ]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT * EXCLUDE ({', '.join(helpers)}), {', '.join(chosen)}"
        f" FROM (SELECT *, {', '.join(spans)}"
        f" FROM (SELECT t.*, {readings} FROM _typed t {joins}) AS r) AS s",
        [zone],
    )
    con.execute("DROP TABLE _zone_days")
