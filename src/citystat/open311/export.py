"""The warehouse's requests as an Open311 GeoReport v2 ``requests.json`` (public: no personal data).

Times come from the warehouse's UTC instants, shown in each request's own time zone with its offset,
so a file read with ``citystat ingest requests --format open311-json`` comes back out with the same
instants, ids (strings) and codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from citystat.open311.params import format_datetime

COLUMNS = (
    "request_id",
    "open311_status",
    "service_name",
    "service_code",
    "description",
    "agency",
    "created_utc",
    "status_utc",
    "due_utc",
    "address",
    "zip",
    "lat",
    "lon",
    "media_url",
    "time_zone",
)

QUERY = (
    "SELECT request_id, open311_status, service_name, service_code, description, agency, created_utc,"
    " status_utc, due_utc, address, zip, lat, lon, media_url, time_zone"
    " FROM service_requests ORDER BY request_id"
)


def as_zoned(value: dt.datetime | None, zone: ZoneInfo) -> str | None:
    return format_datetime(None if value is None else value.replace(tzinfo=dt.UTC), zone)


def read_open311_requests(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every stored request in GeoReport v2 form, by request id."""
    rows = con.execute(QUERY).fetchall()
    zones: dict[str, ZoneInfo] = {}
    records = []
    for row in rows:
        raw = dict(zip(COLUMNS, row, strict=True))
        zone = zones.setdefault(raw["time_zone"], ZoneInfo(raw["time_zone"]))
        records.append(
            {
                "service_request_id": raw["request_id"],
                "status": raw["open311_status"],
                "status_notes": None,
                "service_name": raw["service_name"],
                "service_code": raw["service_code"],
                "description": raw["description"],
                "agency_responsible": raw["agency"],
                "service_notice": None,
                "requested_datetime": as_zoned(raw["created_utc"], zone),
                "updated_datetime": as_zoned(raw["status_utc"], zone),
                "expected_datetime": as_zoned(raw["due_utc"], zone),
                "address": raw["address"],
                "address_id": None,
                "zipcode": raw["zip"],
                "lat": raw["lat"],
                "long": raw["lon"],
                "media_url": raw["media_url"],
            }
        )
    return records
