"""The front door on a PostgreSQL store (production's choice): the same server, POST and GET in both
formats, a queued request's token, and the sync into the warehouse, against a real PostgreSQL."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx

from citystat.ingest.store_sync import sync_store
from citystat.open311.keys import issue_api_key
from citystat.settings import Settings
from citystat.store import create_session_factory, open_store, upgrade_store
from citystat.warehouse import open_warehouse, resolve_profile
from tests.api.conftest import ServerThread
from tests.store.conftest import create_postgres_database


def test_front_door_on_postgres(postgres_url: str, real_warehouse: Path, tmp_path: Path) -> None:
    store_url = create_postgres_database(postgres_url)
    engine = open_store(store_url)
    assert engine.dialect.name == "postgresql"
    upgrade_store(engine)
    sessions = create_session_factory(engine)
    with sessions.begin() as session:
        key = issue_api_key(session, "postgres")
    warehouse = tmp_path / "pg.duckdb"
    shutil.copy(real_warehouse, warehouse)
    settings = Settings(warehouse=warehouse, store_url=store_url, rate_limit_ip=10_000)
    with ServerThread(warehouse, settings=settings) as server:
        base = f"{server.url}/open311/v2"
        made = httpx.post(
            f"{base}/requests.json",
            data={
                "api_key": key,
                "service_code": "SW-Rat Rubout",
                "attribute[WHERE]": "alley",
                "attribute[BURROWS]": "4",
                "lat": "39.3106",
                "long": "-76.5859",
                "description": "Rats at night",
            },
        )
        assert made.status_code == 201
        request_id = made.json()[0]["service_request_id"]
        queued = httpx.post(
            f"{base}/requests.xml",
            data={
                "api_key": key,
                "service_code": "SW-Bulk Scheduled",
                "attribute[ITEMS][]": "furniture",
                "address_string": "2000 E Monument St",
            },
        )
        assert queued.status_code == 201 and b"<token>" in queued.content
        (shown,) = httpx.get(f"{base}/requests/{request_id}.json?extensions=true").json()
        assert shown["extended_attributes"]["attributes"] == {"WHERE": "alley", "BURROWS": 4.0}
        assert shown["description"] == "Rats at night" and shown["requested_datetime"][-6:] in (
            "-05:00",
            "-04:00",
        )
        deadline = time.monotonic() + 10
        while len(httpx.get(f"{base}/requests.json").json()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        listed = httpx.get(f"{base}/requests.json?service_code=SW-Rat Rubout,SW-Bulk Scheduled").json()
        assert sorted(r["service_code"] for r in listed) == ["SW-Bulk Scheduled", "SW-Rat Rubout"]
    con = open_warehouse(warehouse)
    try:
        result = sync_store(con, sessions, resolve_profile(con, None), tmp_path / "sync", spatial="shapely")
        assert result.requests == 2
        assert con.execute(
            "SELECT service_code, neighborhood FROM service_requests WHERE request_id = ?", [request_id]
        ).fetchone() == ("SW-Rat Rubout", "Broadway East")  # shapely on neighborhoods_2010 agrees
    finally:
        con.close()
    engine.dispose()
