"""Typing and validating staged rows in SQL.

``_raw`` (strings) -> ``_typed`` (timestamps in local time and as UTC instants, numbers, parsed status) ->
``_issues`` (one row per problem: rejected or flagged) -> ``_stage`` (the rows to merge).
All SQL here is built from canonical field names (a fixed list); every value that comes from a
file, a profile or a mapping is passed as a bound parameter.
"""

from __future__ import annotations

from typing import Any

import duckdb

from citystat.ingest.instants import INSTANT_FIELDS, add_instants
from citystat.ingest.loadlog import QuarantineRow
from citystat.profiles import CANONICAL_FIELDS, TIMESTAMP_FIELDS, CityProfile, SourceMapping

TEXT_FIELDS = tuple(f for f in CANONICAL_FIELDS if f not in (*TIMESTAMP_FIELDS, "status", "lat", "lon"))
# The fields that make up a request's content: two rows with equal hashes say the same thing.
HASHED_FIELDS = (*CANONICAL_FIELDS, *INSTANT_FIELDS, "status_flag", "open311_status")
# An ISO 8601 UTC offset, recognised only after a time of day ('2019-11-01' ends in '-01', not an offset).
ISO_OFFSET = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
STATUS_SUFFIX = r"^(.*?)\s*\(([^()]*)\)\s*$"


class SqlBuilder:
    """Collects a statement's bound parameters; placeholders are numbered so they can be reused."""

    def __init__(self) -> None:
        self.params: list[Any] = []

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"


def timestamp_options(field: str, mapping: SourceMapping, sql: SqlBuilder) -> list[tuple[str, str]]:
    """Per accepted layout, SQL for (local TIMESTAMP, TIMESTAMPTZ): the first for times without an
    offset, the second for times that carry one; the other is NULL."""
    options = []
    for layout in mapping.timestamps:
        if layout.zone == "iso8601":
            has_offset = f"regexp_matches({field}, {sql.bind(ISO_OFFSET)})"
            options.append(
                (
                    f"CASE WHEN NOT {has_offset} THEN try_cast({field} AS TIMESTAMP) END",
                    f"CASE WHEN {has_offset} THEN try_cast({field} AS TIMESTAMPTZ) END",
                )
            )
        elif layout.zone == "offset":
            options.append(
                ("NULL::TIMESTAMP", f"try_strptime({field}, {sql.bind(layout.format)})::TIMESTAMPTZ")
            )
        else:
            options.append(
                (f"try_strptime({field}, {sql.bind(layout.format)})::TIMESTAMP", "NULL::TIMESTAMPTZ")
            )
    return options


def timestamp_columns(field: str, count: int, zone: str, sql: SqlBuilder) -> list[str]:
    """Select items ``<field>`` (local wall-clock time) and ``<field>_exact`` (UTC, when the text had an
    offset), from the first layout that parses; reads the option columns ``_<field>_w<i>``/``_x<i>``."""
    local = [(f"_{field}_w{i}", f"_{field}_x{i}") for i in range(count)]
    wall = ", ".join(f"{w}, timezone({sql.bind(zone)}, {x})" for w, x in local)
    exact = " ".join(f"WHEN {w} IS NOT NULL THEN NULL WHEN {x} IS NOT NULL THEN {x}" for w, x in local)
    return [f"coalesce({wall}) AS {field}", f"timezone('UTC', CASE {exact} END) AS {field}_exact"]


def title_case_expr(field: str) -> str:
    return (
        f"array_to_string(list_transform(string_split(lower({field}), ' '), w -> upper(w[1]) || w[2:]), ' ')"
    )


def build_typed(
    con: duckdb.DuckDBPyConnection, profile: CityProfile, mapping: SourceMapping, present: set[str]
) -> None:
    """Create ``_typed`` from ``_raw``."""
    sql = SqlBuilder()
    parts = ["row_number", "line_number"]
    for name in TEXT_FIELDS:
        expr = name
        if name == "service_name" and "service_name" in present and mapping.strip_service_prefix:
            expr = f"regexp_replace(service_name, {sql.bind('^[A-Za-z]+-')}, '')"
        if name in profile.title_case_fields:
            expr = title_case_expr(name)
        parts.append(f"{expr} AS {name}")
    # Status: 'Closed (Duplicate)' -> status 'Closed', flag 'duplicate'.
    suffix = f"lower(trim(regexp_extract(status, {sql.bind(STATUS_SUFFIX)}, 2)))"
    flag_cases = " ".join(f"WHEN {sql.bind(k)} THEN {sql.bind(v)}" for k, v in profile.status_flags.items())
    parts.append(
        f"CASE WHEN regexp_matches(status, {sql.bind(STATUS_SUFFIX)})"
        f" THEN trim(regexp_extract(status, {sql.bind(STATUS_SUFFIX)}, 1)) ELSE status END AS status_label"
    )
    parts.append(
        f"nullif(CASE {suffix} {flag_cases} ELSE {suffix} END, '') AS status_flag"
        if flag_cases
        else f"nullif({suffix}, '') AS status_flag"
    )
    parts.append("status AS status_raw")
    options = []
    for name in TIMESTAMP_FIELDS:
        layouts = timestamp_options(name, mapping, sql)
        for i, (wall, exact) in enumerate(layouts):
            options.append(f"{wall} AS _{name}_w{i}, {exact} AS _{name}_x{i}")
        parts.append(f"{name} AS {name}_raw")
        parts.extend(timestamp_columns(name, len(layouts), profile.time_zone, sql))
    for name in ("lat", "lon"):
        parts.append(f"{name} AS {name}_raw, try_cast({name} AS DOUBLE) AS {name}")
    nulls = sql.bind(sorted(set(mapping.null_values) | {""}))
    cleaned = ", ".join(
        f"CASE WHEN list_contains({nulls}, trim({name})) THEN NULL ELSE trim({name}) END AS {name}"
        for name in CANONICAL_FIELDS
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT {', '.join(parts)}"
        f" FROM (SELECT *, {', '.join(options)}"
        f" FROM (SELECT row_number, line_number, {cleaned} FROM _raw) AS c) AS _raw",
        sql.params,
    )
    add_instants(con, profile.time_zone)
    # A source without a status column: a request is closed when it has a close date.
    if "status" not in present:
        con.execute(
            "UPDATE _typed SET status_label = CASE WHEN closed_at IS NULL THEN 'Open' ELSE 'Closed' END"
        )


def build_issues(
    con: duckdb.DuckDBPyConnection,
    profile: CityProfile,
    columns: dict[str, str],
    value_chars: int,
) -> None:
    """Create ``_issues(row_number, column_name, raw_value, reason, action)`` from ``_typed``."""
    sql = SqlBuilder()

    def col(canonical: str) -> str:
        return sql.bind(columns.get(canonical, canonical))

    checks = [
        f"SELECT row_number, {col('request_id')}, NULL, 'missing request id', 'rejected'"
        " FROM _typed WHERE request_id IS NULL",
        f"SELECT row_number, {col('service_code')}, NULL, 'missing service type', 'rejected'"
        " FROM _typed WHERE service_code IS NULL",
        f"SELECT row_number, {col('created_at')}, NULL, 'missing created date', 'rejected'"
        " FROM _typed WHERE created_at_raw IS NULL",
        f"SELECT row_number, {col('status')}, NULL, 'missing status', 'rejected'"
        " FROM _typed WHERE status_label IS NULL",
    ]
    for name in TIMESTAMP_FIELDS:
        checks.append(
            f"SELECT row_number, {col(name)}, {name}_raw, 'unparseable date', 'rejected'"
            f" FROM _typed WHERE {name}_raw IS NOT NULL AND {name} IS NULL"
        )
    checks.append(
        f"SELECT row_number, {col('closed_at')}, closed_at_raw, 'closed before created', 'rejected'"
        " FROM _typed WHERE closed_at_latest < created_utc - INTERVAL 1 SECOND"
    )
    if profile.agencies:
        checks.append(
            f"SELECT row_number, {col('agency')}, agency, 'unknown agency', 'rejected'"
            " FROM _typed WHERE agency IS NOT NULL"
            f" AND agency NOT IN (SELECT unnest({sql.bind(profile.agencies)}))"
        )
    checks.append(
        f"SELECT row_number, {col('due_at')}, due_at_raw, 'due before created', 'flagged'"
        " FROM _typed WHERE due_utc < created_utc"
    )
    for name in TIMESTAMP_FIELDS:
        checks.append(
            f"SELECT row_number, {col(name)}, {name}_raw, 'nonexistent local time (clocks sprang forward)',"
            f" 'flagged' FROM _typed WHERE {name}_nonexistent"
        )
    for name in ("lat", "lon"):
        checks.append(
            f"SELECT row_number, {col(name)}, {name}_raw, 'coordinate is not a number', 'flagged'"
            f" FROM _typed WHERE {name}_raw IS NOT NULL AND {name} IS NULL"
        )
    min_lon, min_lat, max_lon, max_lat = profile.region_bbox
    placeholders = [[lat, lon] for lat, lon in profile.placeholder_coordinates]
    checks.append(
        f"SELECT row_number, {col('lat')}, lat_raw || ', ' || lon_raw, 'placeholder coordinates', 'flagged'"
        f" FROM _typed WHERE list_contains({sql.bind(placeholders)}::DOUBLE[][], [lat, lon])"
    )
    checks.append(
        f"SELECT row_number, {col('lat')}, lat_raw || ', ' || lon_raw,"
        " 'coordinates outside the region', 'flagged' FROM _typed"
        f" WHERE NOT list_contains({sql.bind(placeholders)}::DOUBLE[][], [lat, lon])"
        f" AND (lon NOT BETWEEN {sql.bind(min_lon)} AND {sql.bind(max_lon)}"
        f" OR lat NOT BETWEEN {sql.bind(min_lat)} AND {sql.bind(max_lat)})"
    )
    checks.append(
        f"SELECT row_number, {col('lat')}, coalesce(lat_raw, lon_raw), 'only one of latitude and longitude',"
        " 'flagged' FROM _typed WHERE (lat IS NULL) <> (lon IS NULL)"
    )
    union = " UNION ALL ".join(f"({c})" for c in checks)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _issues AS SELECT row_number, column_name,"
        f" CASE WHEN length(raw_value) > {int(value_chars)} THEN left(raw_value, {int(value_chars)}) || '…'"
        " ELSE raw_value END AS raw_value, reason, action"
        f" FROM ({union}) AS i(row_number, column_name, raw_value, reason, action)",
        sql.params,
    )


def build_stage(con: duckdb.DuckDBPyConnection, profile: CityProfile, load_id: int, source: str) -> None:
    """Create ``_stage_rows``: typed rows that were not rejected, flags applied, with a content hash."""
    sql = SqlBuilder()
    closed = [s.lower() for s in profile.closed_statuses]
    coordinate_flags = [
        "placeholder coordinates",
        "coordinates outside the region",
        "coordinate is not a number",
        "only one of latitude and longitude",
    ]
    lat = "CASE WHEN f.geo_flag IS NOT NULL THEN NULL ELSE t.lat END"
    lon = "CASE WHEN f.geo_flag IS NOT NULL THEN NULL ELSE t.lon END"
    is_closed = f"lower(t.status_label) IN (SELECT unnest({sql.bind(closed)}))"
    open311 = f"CASE WHEN {is_closed} THEN 'closed' ELSE 'open' END"
    values = {name: f"t.{name}" for name in HASHED_FIELDS}
    values |= {
        "service_name": "coalesce(t.service_name, t.service_code)",
        "status": "t.status_label",
        "open311_status": open311,
        "lat": lat,
        "lon": lon,
    }
    hashed = ", ".join(f"coalesce(({values[f]})::VARCHAR, chr(0))" for f in HASHED_FIELDS)
    select = ", ".join(f"{expr} AS {name}" for name, expr in values.items())
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _stage_rows AS SELECT t.row_number, t.line_number,"
        f" {select}, {sql.bind(profile.time_zone)} AS time_zone,"
        " CAST(NULL AS BOOLEAN) AS outside_city, f.geo_flag, ',' AS geo_assigned,"
        " coalesce(t.due_utc < t.created_utc, false) AS due_before_created,"
        f" md5(concat_ws(chr(31), {hashed})) AS content_hash,"
        f" {sql.bind(source)} AS source_file, t.row_number AS source_row,"
        f" {sql.bind(load_id)}::BIGINT AS load_id"
        " FROM _typed t"
        " LEFT JOIN (SELECT row_number, min(CASE reason"
        "   WHEN 'placeholder coordinates' THEN 'placeholder_coordinates'"
        "   WHEN 'coordinates outside the region' THEN 'outside_region'"
        "   ELSE 'invalid_coordinates' END) AS geo_flag"
        f"   FROM _issues WHERE reason IN (SELECT unnest({sql.bind(coordinate_flags)}))"
        "   GROUP BY row_number) f ON f.row_number = t.row_number"
        " ANTI JOIN (SELECT DISTINCT row_number FROM _issues WHERE action = 'rejected') r"
        "   ON r.row_number = t.row_number",
        sql.params,
    )


def resolve_duplicates(
    con: duckdb.DuckDBPyConnection, columns: dict[str, str]
) -> tuple[list[QuarantineRow], int]:
    """Keep one row per request id (as ``_stage``): the newest status date, the first in the file on a tie.

    Other rows of the same id with other content are rejected (a missing status date counts as the
    oldest). Returns the rejected rows and the number of exact repeats dropped.
    """
    column = columns.get("request_id", "request_id")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _repeats AS SELECT row_number, line_number, request_id,"
        " row_number() OVER newest_first AS occurrence,"
        " content_hash = first_value(content_hash) OVER newest_first AS same,"
        " first_value(row_number) OVER newest_first AS kept_row,"
        " coalesce(first_value(status_utc) OVER newest_first > status_utc"
        "  OR (status_utc IS NULL AND first_value(status_utc) OVER newest_first IS NOT NULL), false) AS older"
        " FROM _stage_rows WHERE request_id IN"
        " (SELECT request_id FROM _stage_rows GROUP BY request_id HAVING count(*) > 1)"
        " WINDOW newest_first AS (PARTITION BY request_id ORDER BY status_utc DESC NULLS LAST, row_number)"
    )
    conflicts = con.execute(
        "SELECT row_number, line_number, request_id, kept_row, older FROM _repeats"
        " WHERE occurrence > 1 AND NOT same ORDER BY row_number"
    ).fetchall()
    repeats_row = con.execute("SELECT count(*) FROM _repeats WHERE occurrence > 1 AND same").fetchone()
    con.execute(
        "DELETE FROM _stage_rows WHERE row_number IN (SELECT row_number FROM _repeats WHERE occurrence > 1)"
    )
    con.execute("DROP TABLE _repeats")
    con.execute("ALTER TABLE _stage_rows RENAME TO _stage")
    rejected = [
        QuarantineRow(
            row_number=int(r[0]),
            line_number=r[1],
            request_id=r[2],
            column=column,
            raw_value=f"{r[2]} (row {r[3]} kept: {'a newer status date' if r[4] else 'first in the file'})",
            reason="duplicate request id with different content",
        )
        for r in conflicts
    ]
    return rejected, int(repeats_row[0]) if repeats_row else 0
