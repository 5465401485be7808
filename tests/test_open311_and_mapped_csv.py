"""Open311 GeoReport v2 JSON and 'any CSV with a mapping', on real records from six cities' servers."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from citystat.errors import ConfigError, IngestError
from citystat.ingest import ingest_requests
from citystat.warehouse import resolve_profile
from tests.conftest import OPEN311_TSV

COMPARED = (
    "request_id",
    "service_code",
    "service_name",
    "status",
    "open311_status",
    "created_at",
    "status_at",
    "address",
    "lat",
    "lon",
    "time_zone",
)


def read_tsv() -> list[dict[str, str]]:
    with OPEN311_TSV.open(newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def write_requests_json(path: Path) -> None:
    """The TSV's rows as a GeoReport v2 requests.json: a bare array, ids and codes as strings."""
    records = []
    for row in read_tsv():
        record: dict[str, object] = {
            k: row[k]
            for k in (
                "service_request_id",
                "status",
                "service_name",
                "service_code",
                "requested_datetime",
                "updated_datetime",
                "address",
            )
        }
        record["lat"] = float(row["lat"]) if row["lat"] else None
        record["long"] = float(row["long"]) if row["long"] else None
        records.append(record)
    path.write_text(json.dumps(records), encoding="utf-8")


def utc_naive(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


def stored(con) -> list[tuple[object, ...]]:
    return con.execute(f"SELECT {', '.join(COMPARED)} FROM service_requests ORDER BY request_id").fetchall()


def test_open311_json_from_six_cities(real, warehouse, tmp_path) -> None:
    profile = resolve_profile(warehouse, "open311")
    path = tmp_path / "requests.json"
    write_requests_json(path)
    (result,) = ingest_requests(warehouse, [path], profile=profile)
    assert (result.format, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "open311-json",
        701,
        701,
        0,
    )
    rows = read_tsv()
    assert warehouse.execute(
        "SELECT open311_status, count(*) FROM service_requests GROUP BY 1 ORDER BY 1"
    ).fetchall() == [("closed", 396), ("open", 305)]
    # Five UTC offsets, DST changes included: every instant is kept (stored as UTC wall time).
    created = dict(warehouse.execute("SELECT request_id, created_at FROM service_requests").fetchall())
    assert created == {r["service_request_id"]: utc_naive(r["requested_datetime"]) for r in rows}
    assert created["SR19-02535603"] == datetime(2019, 9, 20, 18, 36, 39)  # 13:36:39-05:00 by hand
    # Ids stay strings of their own length (Boston 12/20, Chicago 13, SF 8, Brookline/Peoria 5).
    lengths = {
        n for (n,) in warehouse.execute("SELECT DISTINCT length(request_id) FROM service_requests").fetchall()
    }
    assert lengths == {len(r["service_request_id"]) for r in rows}
    # The one Peoria row without a location loads without one.
    assert warehouse.execute("SELECT request_id FROM service_requests WHERE lat IS NULL").fetchall() == [
        ("27365",)
    ]


def test_mapped_tsv_gives_the_same_rows_as_json(real, tmp_path) -> None:
    from citystat.warehouse import open_warehouse

    mapping = tmp_path / "six-cities.yaml"
    mapping.write_text(
        "name: six-cities\n"
        "description: MS&E 231 six-city Open311 pull (tab-separated)\n"
        'delimiter: "\\t"\n'
        "columns:\n"
        "  request_id: service_request_id\n  service_code: service_code\n  service_name: service_name\n"
        "  status: status\n  created_at: requested_datetime\n  status_at: updated_datetime\n"
        "  address: address\n  lat: lat\n  lon: long\n"
        "required: [request_id, service_code, created_at]\n"
        "timestamps:\n  - {format: iso8601, zone: iso8601}\n"
    )
    via_json = open_warehouse(tmp_path / "json.duckdb")
    json_path = tmp_path / "requests.json"
    write_requests_json(json_path)
    ingest_requests(via_json, [json_path], profile=resolve_profile(via_json, "open311"))
    via_csv = open_warehouse(tmp_path / "csv.duckdb")
    (result,) = ingest_requests(
        via_csv, [OPEN311_TSV], profile=resolve_profile(via_csv, "open311"), fmt="csv", mapping_file=mapping
    )
    assert (result.format, result.detail, result.rows_loaded) == ("csv", "six-cities", 701)
    assert stored(via_csv) == stored(via_json)


def test_bad_mapping_files_are_explained(warehouse, baltimore, tmp_path) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text("columns:\n  ticket: id\n")
    with pytest.raises(ConfigError, match="unknown canonical field\\(s\\) ticket"):
        ingest_requests(warehouse, [OPEN311_TSV], profile=baltimore, fmt="csv", mapping_file=mapping)
    with pytest.raises(IngestError, match="--format csv needs --mapping"):
        ingest_requests(warehouse, [OPEN311_TSV], profile=baltimore, fmt="csv")


def test_json_that_is_not_a_request_list(warehouse, tmp_path) -> None:
    profile = resolve_profile(warehouse, "open311")
    path = tmp_path / "services.json"
    path.write_text('{"services": []}')
    with pytest.raises(IngestError, match="must be a JSON array of requests"):
        ingest_requests(warehouse, [path], profile=profile)
    broken = tmp_path / "broken.json"
    broken.write_text('[{"service_request_id": "1",')
    with pytest.raises(IngestError, match="not valid JSON: line 1"):
        ingest_requests(warehouse, [broken], profile=profile)
    mixed = tmp_path / "mixed.json"
    mixed.write_text(
        json.dumps(
            [
                {
                    "service_request_id": "1",
                    "service_code": "A",
                    "status": "open",
                    "requested_datetime": "2024-03-10T01:30:00-05:00",
                },
                "not an object",
                {
                    "service_request_id": "2",
                    "service_code": "A",
                    "status": "open",
                    "requested_datetime": "yesterday",
                },
            ]
        )
    )
    (result,) = ingest_requests(warehouse, [mixed], profile=profile)
    assert (result.rows_loaded, result.rows_quarantined) == (1, 2)
    assert dict(result.rejected_by_reason) == {"array element is not a JSON object": 1, "unparseable date": 1}


def test_a_key_first_seen_late_in_the_file_is_kept(real, warehouse, tmp_path) -> None:
    """Columns come from every record, not the first 1,000: agency_responsible only in record 1,500."""
    profile = resolve_profile(warehouse, "open311")
    path = tmp_path / "requests.json"
    write_requests_json(path)
    real_records = json.loads(path.read_text())
    records = [
        {**record, "service_request_id": f"{record['service_request_id']}-{copy}"}
        for copy in range(3)
        for record in real_records
    ]
    assert len(records) == 2103
    records[1499]["agency_responsible"] = "Department of Public Works"
    path.write_text(json.dumps(records), encoding="utf-8")
    (result,) = ingest_requests(warehouse, [path], profile=profile)
    assert (result.rows_read, result.rows_loaded) == (2103, 2103)
    assert warehouse.execute(
        "SELECT request_id, agency, source_row FROM service_requests WHERE agency IS NOT NULL"
    ).fetchall() == [(records[1499]["service_request_id"], "Department of Public Works", 1500)]


def test_mapping_with_a_built_in_format_is_refused(warehouse, baltimore, tmp_path) -> None:
    """--mapping used to be ignored silently with --format baltimore-csv; now it is an error."""
    from tests.test_malformed import SIX_CITY_MAPPING

    mapping = tmp_path / "six-cities.yaml"
    mapping.write_text(SIX_CITY_MAPPING)
    for fmt in ("baltimore-csv", "open311-json"):
        with pytest.raises(IngestError) as error:
            ingest_requests(warehouse, [OPEN311_TSV], profile=baltimore, fmt=fmt, mapping_file=mapping)
        assert str(error.value) == (
            f"--mapping {mapping} applies to --format csv only; --format {fmt} uses its built-in layout"
        )
    assert warehouse.execute("SELECT count(*) FROM load_log").fetchone() == (0,)
