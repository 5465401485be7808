"""End to end: a request POSTed to the front door reaches the warehouse and changes a measure.

POST (live server) → ``sync_store`` → ``compute_catalog`` → the weekly pothole count gains the
request, placed in its real neighbourhood by the ordinary ingest path. A second sync sends nothing;
a status change in the store reaches the warehouse on the next one.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from citystat.catalog.load import builtin_catalog_dir, load_catalog
from citystat.engine.compute import compute_catalog
from citystat.ingest.store_sync import sync_store
from citystat.open311.keys import issue_api_key
from citystat.settings import Settings
from citystat.store import create_session_factory, open_store, upgrade_store
from citystat.store.models import ServiceRequest
from citystat.warehouse import open_warehouse, resolve_profile
from tests.api.conftest import ServerThread

POTHOLE_MEASURE = "trm-pothole-requests"


def read_weekly(con, measure: str) -> dict[dt.date, float]:
    rows = con.execute(
        "SELECT period_start, value FROM measure_values WHERE measure_id = ? AND grain = 'week' AND dimension = ''",
        [measure],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def test_a_posted_request_changes_the_measure(real_warehouse: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "e2e.duckdb"
    shutil.copy(real_warehouse, warehouse)
    store_url = f"sqlite:///{tmp_path / 'e2e-store.db'}"
    engine = open_store(store_url)
    upgrade_store(engine)
    sessions = create_session_factory(engine)
    with sessions.begin() as session:
        key = issue_api_key(session, "e2e")

    con = open_warehouse(warehouse)
    try:
        profile = resolve_profile(con, None)
        catalog = load_catalog(builtin_catalog_dir("baltimore"))
        before = read_weekly(con, POTHOLE_MEASURE)
    finally:
        con.close()

    with ServerThread(warehouse, settings=Settings(warehouse=warehouse, store_url=store_url)) as server:
        response = httpx.post(
            f"{server.url}/open311/v2/requests.json",
            data={
                "api_key": key,
                "service_code": "TRM-Pothole Repair",
                "lat": "39.2904",
                "long": "-76.6122",
                "attribute[SIZE]": "large",
                "email": "someone@example.org",
            },
        )
    assert response.status_code == 201
    request_id = response.json()[0]["service_request_id"]

    con = open_warehouse(warehouse)
    try:
        result = sync_store(con, sessions, profile, tmp_path / "sync", spatial="shapely")
        assert result.requests == 1 and result.load is not None and result.load.rows_loaded == 1
        row = con.execute(
            "SELECT service_code, method_received, status, open311_status, neighborhood, agency,"
            " created_at, description FROM service_requests WHERE request_id = ?",
            [request_id],
        ).fetchone()
        with sessions() as session:
            made = session.scalars(select(ServiceRequest)).one()
        local = made.requested_at.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
        assert row[:6] == ("TRM-Pothole Repair", "API", "open", "open", "Downtown", "Transportation")
        assert row[6] == local.replace(microsecond=0)  # local wall-clock time, as W3C gave it
        # nothing of the reporter reached the warehouse
        assert "someone@example.org" not in str(con.execute("SELECT * FROM service_requests").fetchall())

        compute_catalog(con, catalog, profile)
        after = read_weekly(con, POTHOLE_MEASURE)
        new_weeks = {week: value for week, value in after.items() if week not in before}
        monday = local.date() - dt.timedelta(days=local.weekday())
        assert new_weeks == {monday: 1.0}

        assert sync_store(con, sessions, profile, tmp_path / "sync").requests == 0
        with sessions.begin() as session:
            made = session.scalars(select(ServiceRequest)).one()
            made.status = "closed"
            made.status_notes = "Filled the same day"
            made.updated_at = made.closed_at = made.requested_at + dt.timedelta(hours=5)
        again = sync_store(con, sessions, profile, tmp_path / "sync", spatial="shapely")
        assert again.requests == 1 and again.load is not None and again.load.rows_updated == 1
        status, closed = con.execute(
            "SELECT open311_status, closed_at IS NOT NULL FROM service_requests WHERE request_id = ?",
            [request_id],
        ).fetchone()
        assert (status, closed) == ("closed", True)
    finally:
        con.close()
