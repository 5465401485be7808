"""Loading 311 service requests: Baltimore's exports, Open311 JSON, or any CSV with a mapping.

One file is one load and one transaction: the file is staged, typed and validated, bad rows go
to ``quarantine`` with a reason, good rows are merged into ``service_requests`` (new rows added,
newer versions of stored requests replace them, identical rows left alone) and the load is
logged. An error or a crash before COMMIT leaves the warehouse exactly as it was.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb

from citystat.errors import IngestError
from citystat.ingest.files import ProgressFn, describe_file
from citystat.ingest.geo import SpatialEngine, locate_stage
from citystat.ingest.loadlog import (
    LoadResult,
    QuarantineRow,
    find_previous_load,
    next_load_id,
    record_load,
    record_quarantine,
)
from citystat.ingest.sources import StagedSource, stage_csv, stage_json
from citystat.ingest.validate import (
    HASHED_FIELDS,
    build_issues,
    build_stage,
    build_typed,
    resolve_duplicates,
)
from citystat.profiles import CityProfile, SourceMapping, read_mapping_file
from citystat.warehouse.connection import transaction

FORMATS = ("baltimore-csv", "open311-json", "csv")
# Every stored column but first_load_id, in the order the staging table builds them.
REQUEST_COLUMNS = (
    *HASHED_FIELDS,
    *("time_zone", "outside_city", "geo_flag", "geo_assigned", "due_before_created", "content_hash"),
    *("source_file", "source_row", "load_id"),
)


def choose_mapping(
    path: Path, profile: CityProfile, fmt: str | None, mapping_file: Path | None
) -> tuple[str, SourceMapping]:
    """Pick the source layout: explicit --format, else .json -> open311-json, else the city's default.

    A mapping file means --format csv; with another --format it is refused, not silently ignored.
    """
    if mapping_file is not None and fmt not in (None, "csv"):
        raise IngestError(
            f"--mapping {mapping_file} applies to --format csv only; --format {fmt} uses its built-in layout"
        )
    if mapping_file is not None:
        return "csv", read_mapping_file(mapping_file)
    if fmt == "csv":
        raise IngestError("--format csv needs --mapping MAP.yaml naming which column holds which field")
    if fmt is None:
        fmt = "open311-json" if path.suffix.lower() == ".json" else profile.default_format
    if fmt not in FORMATS:
        raise IngestError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt, profile.mapping(fmt)


def ingest_request_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    profile: CityProfile,
    fmt: str | None = None,
    mapping_file: Path | None = None,
    force: bool = False,
    max_field_chars: int = 65_536,
    value_chars: int = 500,
    spatial: SpatialEngine = "auto",
    progress: ProgressFn | None = None,
) -> LoadResult:
    """Load one file of service requests atomically. See the module docstring."""
    fmt_name, mapping = choose_mapping(path, profile, fmt, mapping_file)
    info = describe_file(path)
    detail = mapping.name
    result = LoadResult(kind="requests", source=str(path), format=fmt_name, detail=detail)
    previous = find_previous_load(con, "requests", info.sha256, detail)
    if previous is not None and not force:
        result.skipped_as_load = previous
        result.notes.append(f"same file already loaded as load {previous}; nothing changed")
        return result
    started = datetime.now()
    try:
        with transaction(con):
            result.load_id = next_load_id(con)
            staged = _stage(con, path, fmt_name, mapping, max_field_chars, value_chars, progress)
            _validate_and_merge(con, result, staged, profile, mapping, value_chars, spatial)
            record_load(con, result, info, started)
    finally:
        for table in ("_raw", "_typed", "_issues", "_stage_rows", "_stage", "_merge", "_stored"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
    return result


def _stage(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt_name: str,
    mapping: SourceMapping,
    max_field_chars: int,
    value_chars: int,
    progress: ProgressFn | None,
) -> StagedSource:
    if fmt_name == "open311-json":
        return stage_json(con, path, mapping, value_chars=value_chars, progress=progress)
    return stage_csv(
        con, path, mapping, max_field_chars=max_field_chars, value_chars=value_chars, progress=progress
    )


def _validate_and_merge(
    con: duckdb.DuckDBPyConnection,
    result: LoadResult,
    staged: StagedSource,
    profile: CityProfile,
    mapping: SourceMapping,
    value_chars: int,
    spatial: SpatialEngine,
) -> None:
    assert result.load_id is not None
    result.rows_read = staged.rows_read
    present = set(staged.source_columns)
    build_typed(con, profile, mapping, present)
    build_issues(con, profile, staged.source_columns, value_chars)
    con.execute("DROP TABLE _raw")
    issues = _fetch_issues(con) + staged.problems
    build_stage(con, profile, result.load_id, result.source)
    con.execute("DROP TABLE _typed")
    duplicates, repeats = resolve_duplicates(con, staged.source_columns)
    if repeats:
        result.notes.append(f"{repeats} exact repeat row(s) of a request already in the file were skipped")
    issues += duplicates
    locate_stage(con, profile, engine=spatial)
    issues += _fetch_outside_city(con, staged.source_columns)
    counts = _merge(con, result.load_id)
    stored_rows = _mark_stored_rows(con, result.source)
    issues = [q for q in issues if q.action == "rejected" or q.row_number in stored_rows]
    _replace_quarantine(con, result.load_id, result.source, issues)
    result.rows_quarantined = len({q.row_number for q in issues if q.action == "rejected"})
    result.rows_flagged = len({q.row_number for q in issues if q.action == "flagged"})
    result.rejected_by_reason = _count_rows_by_reason(issues, "rejected")
    result.flagged_by_reason = _count_rows_by_reason(issues, "flagged")
    result.rows_loaded = counts.get("new", 0)
    result.rows_updated = counts.get("updated", 0)
    result.rows_unchanged = counts.get("unchanged", 0)
    result.rows_stale = counts.get("stale", 0)


def _mark_stored_rows(con: duckdb.DuckDBPyConnection, source: str) -> set[int]:
    """Create ``_stored(row_number, request_id)``: this file's rows whose version is the stored one.

    That is rows just added or updated, and unchanged rows first stored from this same file (a
    ``--force`` reload). Flags are listed for these rows only: an unchanged row of a re-export was
    flagged when its stored version was loaded, and a stale row was not loaded at all.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _stored AS SELECT s.row_number, s.request_id"
        " FROM _stage s JOIN _merge m ON m.request_id = s.request_id"
        " JOIN service_requests e ON e.request_id = s.request_id"
        " WHERE m.action IN ('new', 'updated') OR (m.action = 'unchanged' AND e.source_file = ?)",
        [source],
    )
    return {int(r[0]) for r in con.execute("SELECT row_number FROM _stored").fetchall()}


def _replace_quarantine(
    con: duckdb.DuckDBPyConnection, load_id: int, source: str, issues: list[QuarantineRow]
) -> None:
    """Replace what earlier loads of this file listed (so --force does not repeat rows), then record.

    An earlier load's rejected rows go; its flags go for the requests this load lists again.
    """
    con.execute(
        "DELETE FROM quarantine WHERE source = ?"
        " AND (action = 'rejected' OR request_id IN (SELECT request_id FROM _stored))",
        [source],
    )
    record_quarantine(con, load_id, source, issues)


def _count_rows_by_reason(issues: list[QuarantineRow], action: str) -> Counter[str]:
    seen: dict[str, set[int | None]] = {}
    for issue in issues:
        if issue.action == action:
            seen.setdefault(issue.reason, set()).add(issue.row_number)
    return Counter({reason: len(rows) for reason, rows in seen.items()})


def _fetch_issues(con: duckdb.DuckDBPyConnection) -> list[QuarantineRow]:
    rows = con.execute(
        "SELECT i.row_number, t.line_number, t.request_id, i.column_name, i.raw_value, i.reason, i.action"
        " FROM _issues i JOIN _typed t USING (row_number) ORDER BY i.row_number, i.reason"
    ).fetchall()
    return [QuarantineRow(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6]) for r in rows]


def _fetch_outside_city(con: duckdb.DuckDBPyConnection, columns: dict[str, str]) -> list[QuarantineRow]:
    """Points outside the city are real (e.g. county water customers): kept, and listed as flagged."""
    rows = con.execute(
        "SELECT source_row, line_number, request_id, lat::VARCHAR || ', ' || lon::VARCHAR FROM _stage"
        " WHERE outside_city ORDER BY source_row"
    ).fetchall()
    column = columns.get("lat", "lat")
    return [
        QuarantineRow(int(r[0]), r[1], r[2], column, r[3], "outside the city boundary", "flagged")
        for r in rows
    ]


def _merge(con: duckdb.DuckDBPyConnection, load_id: int) -> Counter[str]:
    """Merge ``_stage`` into ``service_requests``; return counts per action.

    A row replaces the stored version when its status date is as new or newer. A missing status date
    counts as older than any date: it replaces only a stored row that has none either.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _merge AS"
        " SELECT s.request_id, e.first_load_id,"
        "  CASE WHEN e.request_id IS NULL THEN 'new'"
        "       WHEN e.content_hash = s.content_hash THEN 'unchanged'"
        "       WHEN e.status_utc IS NULL THEN 'updated'"
        "       WHEN s.status_utc >= e.status_utc THEN 'updated'"
        "       ELSE 'stale' END AS action"
        " FROM _stage s LEFT JOIN service_requests e ON e.request_id = s.request_id"
    )
    counts = Counter(
        {
            str(action): int(n)
            for action, n in con.execute("SELECT action, count(*) FROM _merge GROUP BY action").fetchall()
        }
    )
    if counts.get("updated"):
        con.execute(
            "DELETE FROM service_requests WHERE request_id IN"
            " (SELECT request_id FROM _merge WHERE action = 'updated')"
        )
    columns = ", ".join(REQUEST_COLUMNS)
    selected = ", ".join(f"s.{c}" for c in REQUEST_COLUMNS)
    con.execute(
        f"INSERT INTO service_requests ({columns}, first_load_id)"
        f" SELECT {selected}, coalesce(m.first_load_id, ?) FROM _stage s"
        " JOIN _merge m ON m.request_id = s.request_id WHERE m.action IN ('new', 'updated')",
        [load_id],
    )
    return counts


def ingest_requests(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    *,
    profile: CityProfile,
    fmt: str | None = None,
    mapping_file: Path | None = None,
    force: bool = False,
    max_field_chars: int = 65_536,
    value_chars: int = 500,
    spatial: SpatialEngine = "auto",
    progress: ProgressFn | None = None,
) -> list[LoadResult]:
    """Load several files, each in its own transaction, in the order given."""
    return [
        ingest_request_file(
            con,
            path,
            profile=profile,
            fmt=fmt,
            mapping_file=mapping_file,
            force=force,
            max_field_chars=max_field_chars,
            value_chars=value_chars,
            spatial=spatial,
            progress=progress,
        )
        for path in paths
    ]
