"""Daylight-saving changes: request order and durations are judged on UTC instants, not local wall time.

Expected instants are computed here with Python's zoneinfo (fold=0 and fold=1 are the two readings
of a repeated or skipped local time), independently of the SQL that computes them in the warehouse.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb

from citystat.ingest import ingest_requests
from citystat.warehouse import migrate
from tests.conftest import SAMPLE_2018, SAMPLE_2019

NEW_YORK = ZoneInfo("America/New_York")
CLASSIC = "%m/%d/%Y %I:%M:%S %p"


def readings(local: str) -> list[datetime]:
    """Every UTC instant a New York wall-clock time can mean (two in the repeated or skipped hour)."""
    wall = datetime.strptime(local, CLASSIC)
    found = {wall.replace(tzinfo=NEW_YORK, fold=fold).astimezone(UTC) for fold in (0, 1)}
    return sorted(t.replace(tzinfo=None) for t in found)


def resolve(created: str, other: str) -> tuple[datetime, datetime]:
    """The documented rule: created takes its first reading; a later time its first reading not before it."""
    start = readings(created)[0]
    later = [t for t in readings(other) if t >= start]
    return start, later[0] if later else readings(other)[0]


def rewrite(source: Path, out: Path, changes: dict[int, dict[str, str]]) -> list[dict[str, str]]:
    """Copy a real extract, changing some fields of the given (1-based) data rows."""
    with source.open(newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    for number, change in changes.items():
        rows[number - 1].update(change)
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        writer.writerows(rows)
    return rows


def classic(created: str, closed: str) -> dict[str, str]:
    due = (datetime.strptime(created, CLASSIC) + timedelta(days=3)).strftime(CLASSIC)
    return {
        "SRStatus": "Closed",
        "CreatedDate": created,
        "StatusDate": closed,
        "CloseDate": closed,
        "DueDate": due,
    }


# Local times around Baltimore's 2019 changes: clocks went back 2:00 -> 1:00 on 3 November and jumped
# 2:00 -> 3:00 on 10 March.
LOCAL_CASES = {
    1: ("11/03/2019 01:50:00 AM", "11/03/2019 01:10:00 AM"),  # 01:50 EDT -> 01:10 EST: 20 minutes
    2: ("11/03/2019 01:20:00 AM", "11/03/2019 01:40:00 AM"),  # both in the repeated hour, 20 minutes
    3: ("11/03/2019 01:50:00 AM", "11/03/2019 12:40:00 AM"),  # 00:40 EDT is before any reading of 01:50
    4: ("03/10/2019 02:30:00 AM", "03/10/2019 03:10:00 AM"),  # 02:30 does not exist that day
    5: ("11/02/2019 11:00:00 PM", "11/03/2019 01:30:00 AM"),  # an ordinary time, then a repeated one
}


def test_local_times_across_daylight_saving_changes(baltimore_warehouse, tmp_path) -> None:
    con, profile = baltimore_warehouse
    path = tmp_path / "dst-2019.csv"
    rows = rewrite(SAMPLE_2019, path, {n: classic(*times) for n, times in LOCAL_CASES.items()})
    (result,) = ingest_requests(con, [path], profile=profile)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (3000, 2999, 1)
    assert con.execute(
        "SELECT row_number, column_name, raw_value, reason FROM quarantine WHERE action = 'rejected'"
    ).fetchall() == [(3, "CloseDate", "11/03/2019 12:40:00 AM", "closed before created")]
    assert con.execute(
        "SELECT row_number, column_name, raw_value, reason FROM quarantine"
        " WHERE reason LIKE 'nonexistent%' ORDER BY row_number"
    ).fetchall() == [
        (4, "CreatedDate", "03/10/2019 02:30:00 AM", "nonexistent local time (clocks sprang forward)")
    ]
    for number in (1, 2, 4, 5):
        created, closed = LOCAL_CASES[number]
        stored = con.execute(
            "SELECT created_at, closed_at, created_utc, closed_utc, status_utc FROM service_requests"
            " WHERE source_row = ?",
            [number],
        ).fetchone()
        start, end = resolve(created, closed)
        assert stored == (
            datetime.strptime(created, CLASSIC),
            datetime.strptime(closed, CLASSIC),
            start,
            end,
            end,
        ), number
    durations = dict(
        con.execute(
            "SELECT source_row, closed_utc - created_utc FROM service_requests WHERE source_row IN (1, 2, 4, 5)"
        ).fetchall()
    )
    # By hand: 05:50Z -> 06:10Z; 05:20Z -> 05:40Z; 02:30 read as EDT = 06:30Z -> 03:10 EDT = 07:10Z;
    # 23:00 EDT = 03:00Z -> 01:30 EDT = 05:30Z.
    assert durations == {
        1: timedelta(minutes=20),
        2: timedelta(minutes=20),
        4: timedelta(minutes=40),
        5: timedelta(hours=2, minutes=30),
    }
    # An ordinary October row: EDT, four hours behind UTC.
    assert con.execute(
        "SELECT created_utc FROM service_requests WHERE request_id = ?", [rows[5]["ServiceRequestNum"]]
    ).fetchone() == (datetime.strptime(rows[5]["CreatedDate"], CLASSIC) + timedelta(hours=4),)


def test_utc_offsets_across_the_autumn_change(baltimore_warehouse, tmp_path) -> None:
    """The 2018 layout carries '+00': 05:50Z is 01:50 EDT and 06:10Z is 01:10 EST, 20 minutes later."""
    con, profile = baltimore_warehouse
    path = tmp_path / "dst-2018.csv"
    rewrite(
        SAMPLE_2018,
        path,
        {
            1: {
                "createddate": "2018/11/04 05:50:00+00",
                "statusdate": "2018/11/04 06:10:00+00",
                "closedate": "2018/11/04 06:10:00+00",
                "duedate": "2018/11/05 06:50:00+00",
            }
        },
    )
    (result,) = ingest_requests(con, [path], profile=profile)
    assert (result.rows_loaded, result.rows_quarantined) == (500, 0)
    assert con.execute(
        "SELECT created_at::VARCHAR, closed_at::VARCHAR, created_utc::VARCHAR, closed_utc::VARCHAR,"
        " due_utc::VARCHAR, due_before_created FROM service_requests WHERE source_row = 1"
    ).fetchone() == (
        "2018-11-04 01:50:00",
        "2018-11-04 01:10:00",
        "2018-11-04 05:50:00",
        "2018-11-04 06:10:00",
        "2018-11-05 06:50:00",
        False,
    )


def test_migration_fills_instants_of_rows_stored_before_it(baltimore_warehouse, tmp_path) -> None:
    """A warehouse at schema 1 gets the same instants from the 0002 migration as a fresh load gives."""
    con, profile = baltimore_warehouse
    path = tmp_path / "dst-2019.csv"
    rewrite(SAMPLE_2019, path, {n: classic(*times) for n, times in LOCAL_CASES.items()})
    ingest_requests(con, [path], profile=profile)
    instants = "request_id, created_utc, status_utc, due_utc, closed_utc"
    loaded = con.execute(f"SELECT {instants} FROM service_requests ORDER BY request_id").fetchall()
    assert len(loaded) == 2999
    downgrade_to_schema_1(con)
    assert migrate(con) == [2]
    assert con.execute(f"SELECT {instants} FROM service_requests ORDER BY request_id").fetchall() == loaded


def downgrade_to_schema_1(con: duckdb.DuckDBPyConnection) -> None:
    for column in ("created_utc", "status_utc", "due_utc", "closed_utc"):
        con.execute(f"ALTER TABLE service_requests DROP COLUMN {column}")
    con.execute("DELETE FROM schema_migrations WHERE version = 2")


def test_a_date_without_a_time_is_local_midnight_not_an_offset(warehouse, real, tmp_path) -> None:
    """'2019-11-01' ends in '-01' but carries no offset: it is midnight in Baltimore (04:00 UTC, EDT)."""
    from citystat.ingest.validate import ISO_OFFSET
    from citystat.warehouse import resolve_profile
    from tests.conftest import OPEN311_TSV
    from tests.test_malformed import SIX_CITY_MAPPING

    matches = {
        value: warehouse.execute("SELECT regexp_matches(?, ?)", [value, ISO_OFFSET]).fetchone()[0]
        for value in (
            "2019-11-01",
            "2019-11-01T10:00",
            "2019-11-01T10:00:00Z",
            "2019-11-01 10:00:00+0530",
            "2019-11-01T10:00:00.123-04:00",
            "2019-11-14T18:29:17-05",
        )
    }
    assert matches == {
        "2019-11-01": False,
        "2019-11-01T10:00": False,
        "2019-11-01T10:00:00Z": True,
        "2019-11-01 10:00:00+0530": True,
        "2019-11-01T10:00:00.123-04:00": True,
        "2019-11-14T18:29:17-05": True,
    }
    lines = OPEN311_TSV.read_text(encoding="utf-8").splitlines(keepends=True)[:4]
    header = lines[0].rstrip("\n").split("\t")
    created = header.index("requested_datetime")
    rows = [line.rstrip("\n").split("\t") for line in lines[1:]]
    rows[0][created] = "2019-11-01"
    rows[2][created] = rows[1][created].removesuffix(":00")  # an hour-only offset, '-05'
    path = tmp_path / "dates.tsv"
    path.write_text("\n".join("\t".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    mapping = tmp_path / "six-cities.yaml"
    mapping.write_text(SIX_CITY_MAPPING)
    profile = resolve_profile(warehouse, "baltimore")
    (result,) = ingest_requests(warehouse, [path], profile=profile, fmt="csv", mapping_file=mapping)
    assert result.rows_quarantined == 0
    stored = warehouse.execute(
        "SELECT source_row, created_at::VARCHAR, created_utc::VARCHAR FROM service_requests ORDER BY 1"
    ).fetchall()
    # Rows 2 and 3: 2019-11-13T15:39:57-05:00 is 20:39:57 UTC and 15:39:57 in Baltimore (EST).
    assert rows[1][created] == "2019-11-13T15:39:57-05:00"
    assert stored == [
        (1, "2019-11-01 00:00:00", "2019-11-01 04:00:00"),
        (2, "2019-11-13 15:39:57", "2019-11-13 20:39:57"),
        (3, "2019-11-13 15:39:57", "2019-11-13 20:39:57"),
    ]
