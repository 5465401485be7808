"""API values and downloads over real HTTP, checked against DuckDB queries of the warehouse file:
every page walked by its ``next`` link holds every stored value exactly once; CSV and Parquet
downloads hold the same rows as the JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from citystat.site.values import VALUE_FIELDS
from citystat.warehouse import connect

PREFIX = "/api/v1"


def query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = connect(warehouse, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def walk_pages(client: httpx.Client, url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every item of every page (following ``next``), and the page envelopes."""
    items: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        items += body["items"]
        next_url = body["next"]
    return items, pages


def test_pages_walk_every_stored_value_once(demo_api: str, demo_warehouse: Path) -> None:
    expected = query(
        demo_warehouse,
        "SELECT period_label, period_start, dimension_value, value FROM measure_values"
        " WHERE measure_id = 'city-requests' AND grain = 'month' AND dimension = 'csa'"
        " ORDER BY period_start, dimension_value",
    )
    assert len(expected) == 36 * 13  # 36 months × 12 CSAs and the requests in none
    with httpx.Client(base_url=demo_api) as client:
        items, pages = walk_pages(
            client, f"{PREFIX}/measures/city-requests/values?grain=month&dimension=csa&limit=97"
        )
    assert [
        (i["period_label"], dt.date.fromisoformat(i["period_start"]), i["dimension_value"], i["value"])
        for i in items
    ] == expected
    assert len(pages) == -(-len(expected) // 97) == pages[0]["pages"]
    assert all(p["total"] == len(expected) and p["limit"] == 97 for p in pages)
    assert [p["page"] for p in pages] == list(range(1, len(pages) + 1))
    assert pages[0]["grain"] == "month" and pages[0]["dimension"] == "csa"
    assert all(i["measure_id"] == "city-requests" and i["dimension"] == "csa" for i in items)
    # Page numbers give the same rows as the cursor.
    with httpx.Client(base_url=demo_api) as client:
        third = client.get(
            f"{PREFIX}/measures/city-requests/values?grain=month&dimension=csa&limit=97&page=3"
        )
    assert third.json()["items"] == items[2 * 97 : 3 * 97]


def test_default_grain_and_filters(demo_api: str, demo_warehouse: Path) -> None:
    with httpx.Client(base_url=demo_api) as client:
        # The pothole median is monthly: its default series is the citywide months.
        body = client.get(f"{PREFIX}/measures/trm-pothole-median-hours/values", params={"limit": 1000}).json()
        ranged = client.get(
            f"{PREFIX}/measures/city-requests/values",
            params={
                "grain": "week",
                "dimension": "neighborhood",
                "dimension_value": "Terrapin Flats",
                "from": "2025-01-01",
                "to": "2025-06-30",
            },
        ).json()
        june = client.get(
            f"{PREFIX}/measures/city-requests/values",
            params={"grain": "month", "dimension": "council_district", "period": "2026-06"},
        ).json()
    months = query(
        demo_warehouse,
        "SELECT period_label, value, denominator FROM measure_values WHERE measure_id = ?"
        " AND grain = 'month' AND dimension = '' ORDER BY period_start",
        ["trm-pothole-median-hours"],
    )
    assert (body["grain"], body["dimension"], body["total"]) == ("month", None, 36)
    assert [(i["period_label"], i["value"], i["denominator"]) for i in body["items"]] == months
    canton = query(
        demo_warehouse,
        "SELECT period_label, value FROM measure_values WHERE measure_id = 'city-requests'"
        " AND grain = 'week' AND dimension = 'neighborhood' AND dimension_value = 'Terrapin Flats'"
        " AND period_start BETWEEN DATE '2025-01-01' AND DATE '2025-06-30' ORDER BY period_start",
    )
    assert len(canton) > 20
    assert [(i["period_label"], i["value"]) for i in ranged["items"]] == canton
    # The June 2026 requests by council district, counted from the request rows themselves.
    counted = dict(
        query(
            demo_warehouse,
            "SELECT coalesce(council_district, ''), count(*) FROM service_requests"
            " WHERE created_at >= DATE '2026-06-01' AND created_at < DATE '2026-07-01'"
            " AND status_flag IS DISTINCT FROM 'duplicate' GROUP BY 1",
        )
    )
    assert {i["dimension_value"]: i["value"] for i in june["items"]} == {
        k: float(n) for k, n in counted.items()
    }


def test_csv_and_parquet_downloads_hold_the_json_rows(demo_api: str, demo_warehouse: Path) -> None:
    params = {"grain": "month", "dimension": "csa", "from": "2025-07-01"}
    url = f"{PREFIX}/measures/trm-pothole-median-hours/values"
    with httpx.Client(base_url=demo_api) as client:
        items, _ = walk_pages(client, str(httpx.URL(url, params={**params, "limit": 1000})))
        as_csv = client.get(f"{url}.csv", params=params)
        as_parquet = client.get(f"{url}.parquet", params=params)
    stored = query(
        demo_warehouse,
        "SELECT count(*) FROM measure_values WHERE measure_id = 'trm-pothole-median-hours'"
        " AND grain = 'month' AND dimension = 'csa' AND period_start >= DATE '2025-07-01'",
    )[0][0]
    assert len(items) == stored == 108  # months × CSAs with a closed pothole request
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == (
        'attachment; filename="trm-pothole-median-hours-month-csa.csv"'
    )
    lines = as_csv.text.splitlines()
    assert lines[0] == ",".join(VALUE_FIELDS)
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == len(items)
    for row, item in zip(rows, items, strict=True):
        assert row["period_label"] == item["period_label"]
        assert row["dimension_value"] == item["dimension_value"]
        assert (float(row["value"]) if row["value"] else None) == item["value"]  # exact: repr floats
        assert (float(row["denominator"]) if row["denominator"] else None) == item["denominator"]
    assert as_parquet.headers["content-disposition"] == (
        'attachment; filename="trm-pothole-median-hours-month-csa.parquet"'
    )
    table = pq.read_table(io.BytesIO(as_parquet.content))
    assert table.column_names == list(VALUE_FIELDS)
    assert table.num_rows == len(items)
    assert table.column("value").to_pylist() == [i["value"] for i in items]
    assert table.column("period_start").to_pylist() == [
        dt.date.fromisoformat(i["period_start"]) for i in items
    ]
    assert table.column("dimension_value").to_pylist() == [i["dimension_value"] for i in items]


@pytest.mark.parametrize(
    ("url", "status", "words"),
    [
        ("/measures/no-such-measure/values", 404, "no measure 'no-such-measure'"),
        ("/measures/no-such-measure/values.csv", 404, "no measure"),
        ("/measures/city-requests/values?grain=fortnight", 400, "grain"),
        ("/measures/city-requests/values?from=2025-02-01&to=2025-01-01", 400, "before it starts"),
        ("/measures/city-requests/values?cursor=not-a-cursor", 400, "not a cursor"),
        ("/measures/city-requests/values?limit=0", 400, "limit"),
        ("/measures/city-requests/values?dimension_value=Terrapin Flats", 400, "needs a dimension"),
    ],
)
def test_value_errors(demo_api: str, url: str, status: int, words: str) -> None:
    response = httpx.get(f"{demo_api}{PREFIX}{url}")
    assert response.status_code == status
    error = response.json()["error"]
    assert error["status"] == status
    assert error["code"] == {400: "bad_request", 404: "not_found"}[status]
    assert words in error["message"]
    assert "etag" not in response.headers


def test_every_measure_downloads(demo_api: str, demo_warehouse: Path) -> None:
    with httpx.Client(base_url=demo_api, timeout=120) as client:
        monthly = client.get(f"{PREFIX}/values.csv", params={"grain": "month", "from": "2026-01-01"})
        by_csa = client.get(f"{PREFIX}/values.parquet", params={"grain": "fiscal_year", "dimension": "csa"})
        no_grain = client.get(f"{PREFIX}/values.csv")
    expected = query(
        demo_warehouse,
        "SELECT measure_id, period_label, value FROM measure_values WHERE grain = 'month' AND dimension = ''"
        " AND period_start >= DATE '2026-01-01' ORDER BY measure_id, period_start",
    )
    # Every measure, six months (a median with no closed request in a month has no row).
    assert 41 * 5 < len(expected) <= 41 * 6 and len({m for m, _, _ in expected}) == 41
    assert monthly.headers["content-disposition"] == 'attachment; filename="values-month.csv"'
    rows = list(csv.DictReader(io.StringIO(monthly.text)))
    assert tuple(monthly.text.splitlines()[0].split(",")) == VALUE_FIELDS
    assert [
        (r["measure_id"], r["period_label"], float(r["value"]) if r["value"] else None) for r in rows
    ] == [(m, p, v) for m, p, v in expected]
    table = pq.read_table(io.BytesIO(by_csa.content))
    stored = query(
        demo_warehouse,
        "SELECT count(*), sum(value), count(DISTINCT measure_id) FROM measure_values"
        " WHERE grain = 'fiscal_year' AND dimension = 'csa'",
    )[0]
    assert by_csa.headers["content-disposition"] == 'attachment; filename="values-fiscal_year-csa.parquet"'
    assert table.num_rows == stored[0] and len(set(table.column("measure_id").to_pylist())) == stored[2]
    assert sum(v for v in table.column("value").to_pylist() if v is not None) == pytest.approx(stored[1])
    assert no_grain.status_code == 400 and no_grain.json()["error"]["code"] == "bad_request"
