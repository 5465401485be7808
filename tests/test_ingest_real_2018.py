"""The real 500-row 2018 sample (lower-case ArcGIS-era schema, UTC timestamps with '+00')."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from citystat.ingest import ingest_requests
from tests.conftest import SAMPLE_2018


def read_sample() -> list[dict[str, str]]:
    with SAMPLE_2018.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_lowercase_schema_loads_with_provenance_counts(baltimore_warehouse) -> None:
    con, profile = baltimore_warehouse
    (result,) = ingest_requests(con, [SAMPLE_2018], profile=profile)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (500, 500, 0)
    status = dict(
        con.execute(
            "SELECT status || coalesce(' (' || status_flag || ')', ''), count(*) FROM service_requests GROUP BY 1"
        ).fetchall()
    )
    assert status == {
        "Closed": 482,
        "Closed (duplicate)": 10,
        "Open": 4,
        "Closed (transferred)": 3,
        "Pending": 1,
    }
    method = dict(con.execute("SELECT method_received, count(*) FROM service_requests GROUP BY 1").fetchall())
    assert method == {"Phone": 224, "API": 134, "Internal": 128, "Mail": 5, None: 5, "Email": 2, "System": 2}
    assert con.execute("SELECT count(DISTINCT service_code) FROM service_requests").fetchone() == (102,)


def test_utc_timestamps_become_baltimore_local_time(baltimore_warehouse) -> None:
    con, profile = baltimore_warehouse
    ingest_requests(con, [SAMPLE_2018], profile=profile)
    eastern = ZoneInfo("America/New_York")
    # Independent conversion with zoneinfo for every row's createddate.
    expected = {
        r["servicerequestnum"]: datetime.strptime(r["createddate"], "%Y/%m/%d %H:%M:%S+00")
        .replace(tzinfo=UTC)
        .astimezone(eastern)
        .replace(tzinfo=None)
        for r in read_sample()
    }
    stored = dict(con.execute("SELECT request_id, created_at FROM service_requests").fetchall())
    assert stored == expected
    # First row, by hand: 2018/05/08 07:51:45+00 is 03:51:45 EDT.
    assert stored["18-00332461"] == datetime(2018, 5, 8, 3, 51, 45)


def test_placeholder_coordinates_and_early_due_dates_are_flagged(baltimore_warehouse) -> None:
    con, profile = baltimore_warehouse
    (result,) = ingest_requests(con, [SAMPLE_2018], profile=profile)
    rows = read_sample()
    placeholders = {
        r["servicerequestnum"]
        for r in rows
        if (r["latitude"], r["longitude"]) in {("39.0", "-77.0"), ("39.0", "-76.0")}
    }
    assert len(placeholders) == 4
    flagged = dict(
        con.execute(
            "SELECT request_id, lat FROM service_requests WHERE geo_flag = 'placeholder_coordinates'"
        ).fetchall()
    )
    assert flagged == dict.fromkeys(placeholders)  # kept, with the fake location cleared
    assert result.flagged_by_reason["placeholder coordinates"] == 4
    # duedate earlier than createddate on 18 rows (a UTC/Eastern slip in the source): kept, flagged.
    early = {r["servicerequestnum"] for r in rows if r["duedate"] and r["duedate"] < r["createddate"]}
    assert len(early) == 18
    marked = {
        r[0]
        for r in con.execute("SELECT request_id FROM service_requests WHERE due_before_created").fetchall()
    }
    assert marked == early
    assert (
        Counter(
            q[0] for q in con.execute("SELECT reason FROM quarantine WHERE action = 'flagged'").fetchall()
        )["due before created"]
        == 18
    )
