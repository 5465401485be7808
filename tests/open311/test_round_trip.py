"""Real records from six cities' Open311 servers round-trip through the CLI: ingest as
``open311-json``, export as GeoReport v2 JSON, and every field the servers gave comes back the same
(ids and codes as strings, the same instants, coordinates and addresses), valid against the
community JSON Schema."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema_rs

from tests.open311.conftest import SCHEMAS
from tests.test_cli_and_server import run
from tests.test_open311_and_mapped_csv import read_tsv, write_requests_json


def instant(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text).astimezone(dt.UTC)


def test_six_cities_round_trip_through_the_cli(real, tmp_path: Path) -> None:
    source = tmp_path / "requests.json"
    write_requests_json(source)
    warehouse = tmp_path / "open311.duckdb"
    run(["--city", "open311", "ingest", "requests", "--format", "open311-json", str(source)], warehouse)
    out = tmp_path / "out.json"
    done = run(["export-requests", str(out)], warehouse)
    assert "701 requests written" in done.stdout

    given = {r["service_request_id"]: r for r in json.loads(source.read_text())}
    back = {r["service_request_id"]: r for r in json.loads(out.read_text())}
    assert back.keys() == given.keys() and len(back) == 701
    check = jsonschema_rs.validator_for(json.loads((SCHEMAS / "request.json").read_text()))
    for request_id, original in given.items():
        exported = back[request_id]
        check.validate(exported)
        for field in ("status", "service_name", "service_code", "lat", "long"):
            assert exported[field] == original[field], (request_id, field)
        assert exported["address"] == (original["address"] or None), request_id
        for field in ("requested_datetime", "updated_datetime"):
            assert instant(exported[field]) == instant(original[field]), (request_id, field)
    assert {r["city"] for r in read_tsv()} == {
        "Boston_MA",
        "Chicago, IL",
        "San Francisco_CA",
        "Brookline, MA",
        "Bloomington_IN",
        "Peoria_IL",
    }
