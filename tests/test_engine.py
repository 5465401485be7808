"""Computed measures on the real 311 extracts against independent hand-written DuckDB SQL.

The expected values are computed straight from the raw CSV export with DuckDB's own date parsing
and time-zone handling, not from the warehouse, so a bug in ingest or in the compiler shows up.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import duckdb
import pytest

from citystat.catalog.load import builtin_catalog_dir, load_catalog
from citystat.engine.compute import compute_catalog
from citystat.engine.query import query_series
from citystat.ingest import ingest_requests
from citystat.warehouse import open_warehouse, resolve_profile
from tests.conftest import SAMPLE_2019, load_baltimore_boundaries, need_real_data

ZONE = "America/New_York"
CLASSIC = "%m/%d/%Y %I:%M:%S %p"


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The 2019 extract loaded with Baltimore's boundaries and the built-in catalog computed."""
    need_real_data()
    path = tmp_path_factory.mktemp("engine") / "engine.duckdb"
    con = open_warehouse(path)
    profile = resolve_profile(con, "baltimore")
    load_baltimore_boundaries(con, profile)
    ingest_requests(con, [SAMPLE_2019], profile=profile)
    compute_catalog(con, load_catalog(builtin_catalog_dir("baltimore")), profile)
    yield con
    con.close()


@pytest.fixture(scope="module")
def raw() -> Iterator[duckdb.DuckDBPyConnection]:
    """The raw 2019 export, parsed independently of citystat's ingest."""
    need_real_data()
    con = duckdb.connect()
    con.execute(
        f"""
        CREATE TABLE raw AS
        SELECT SRType AS code, Agency AS agency, MethodReceived AS method, SRStatus AS status,
               strptime(CreatedDate, '{CLASSIC}') AS created,
               strptime(CloseDate, '{CLASSIC}') AS closed,
               strptime(DueDate, '{CLASSIC}') AS due,
               CouncilDistrict AS district,
               SRStatus ILIKE '%(duplicate)%' AS duplicate
        FROM read_csv(?, all_varchar = true, nullstr = ['NA', ''])
        """,
        [str(SAMPLE_2019)],
    )
    # Real elapsed time: local wall-clock times become instants in the city's zone.
    con.execute(
        f"""
        CREATE VIEW timed AS
        SELECT *, (epoch(timezone('{ZONE}', closed)) - epoch(timezone('{ZONE}', created))) / 3600.0 AS hours,
               timezone('{ZONE}', closed) <= timezone('{ZONE}', due) AS on_time
        FROM raw WHERE NOT duplicate
        """
    )
    yield con
    con.close()


def stored(
    con: duckdb.DuckDBPyConnection, measure: str, grain: str, dimension: str = ""
) -> dict[tuple[dt.date, str], float]:
    series = query_series(con, measure, grain=grain, dimension=dimension)  # type: ignore[arg-type]
    return {(r["period_start"], r["dimension_value"]): r["value"] for r in series.rows}


def expected(raw: duckdb.DuckDBPyConnection, sql: str) -> dict[tuple[dt.date, str], float]:
    return {(p, d or ""): v for p, d, v in raw.execute(sql).fetchall()}


def assert_same(got: dict[tuple[dt.date, str], float], want: dict[tuple[dt.date, str], float]) -> None:
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert math.isclose(got[key], value, rel_tol=1e-12, abs_tol=1e-12), (key, got[key], value)


def test_request_counts_by_agency_and_district_per_fiscal_year(computed, raw) -> None:
    want = expected(
        raw,
        "SELECT make_date(year(created) + (month(created) >= 7)::INT - 1, 7, 1), agency, count(*)"
        " FROM timed GROUP BY ALL",
    )
    assert_same(stored(computed, "city-requests", "fiscal_year", "agency"), want)
    assert sum(want.values()) == 3000 - (24 + 18 + 15)  # PROVENANCE: Open/New/Closed (Duplicate)
    by_district = expected(raw, "SELECT DATE '2019-07-01', district, count(*) FROM timed GROUP BY ALL")
    assert_same(stored(computed, "city-requests", "fiscal_year", "council_district"), by_district)


def test_pothole_repairs_within_48_hours_by_week(computed, raw) -> None:
    want = expected(
        raw,
        """
        SELECT date_trunc('week', created)::DATE, '',
               count(*) FILTER (WHERE closed IS NOT NULL AND hours <= 48) / count(*)
        FROM timed WHERE code IN ('TRM-Pothole Repair', 'TRM-Potholes', 'TRM-Pickup Pothole')
        GROUP BY ALL
        """,
    )
    assert_same(stored(computed, "trm-pothole-within-48h", "week"), want)


def test_median_hours_to_repair_a_pothole_by_week(computed, raw) -> None:
    want = expected(
        raw,
        """
        SELECT date_trunc('week', created)::DATE, '', median(hours)
        FROM timed WHERE code IN ('TRM-Pothole Repair', 'TRM-Potholes', 'TRM-Pickup Pothole')
          AND closed IS NOT NULL
        GROUP BY ALL
        """,
    )
    assert_same(stored(computed, "trm-pothole-median-hours", "week"), want)


def test_p90_days_to_close_by_agency(computed, raw) -> None:
    want = expected(
        raw,
        """
        SELECT DATE '2019-07-01', agency, quantile_cont(hours / 24, 0.9)
        FROM timed WHERE closed IS NOT NULL GROUP BY ALL
        """,
    )
    assert_same(stored(computed, "city-p90-days", "fiscal_year", "agency"), want)


def test_share_closed_by_due_date_by_agency_and_month(computed, raw) -> None:
    want = expected(
        raw,
        """
        SELECT date_trunc('month', created)::DATE, agency,
               count(*) FILTER (WHERE closed IS NOT NULL AND on_time) / count(*)
        FROM timed WHERE due IS NOT NULL GROUP BY ALL
        """,
    )
    assert_same(stored(computed, "city-on-time", "month", "agency"), want)


def test_mean_hours_and_bulk_trash_on_time_by_fiscal_quarter(computed, raw) -> None:
    mean = expected(
        raw, "SELECT DATE '2019-10-01', agency, avg(hours) FROM timed WHERE closed IS NOT NULL GROUP BY ALL"
    )
    assert_same(stored(computed, "city-mean-hours", "fiscal_quarter", "agency"), mean)
    bulk = expected(
        raw,
        """
        SELECT DATE '2019-10-01', '', count(*) FILTER (WHERE closed IS NOT NULL AND on_time) / count(*)
        FROM timed WHERE code = 'SW-Bulk Scheduled' AND due IS NOT NULL
        """,
    )
    assert_same(stored(computed, "sw-bulk-on-time", "fiscal_quarter"), bulk)


def test_fiscal_labels(computed) -> None:
    series = query_series(computed, "city-requests", grain="fiscal_quarter")
    assert [(r["period_label"], r["value"]) for r in series.rows] == [("FY2020 Q2", 2943.0)]
    assert series.rows[0]["period_start"] == dt.date(2019, 10, 1)
    assert series.rows[0]["engine"] == "duckdb" and series.rows[0]["load_ids"]


def test_catalog_ships_at_least_30_measures_across_agencies() -> None:
    catalog = load_catalog(builtin_catalog_dir("baltimore"))
    assert len(catalog.computed()) >= 30
    agencies = {m.agency for m in catalog.computed()}
    assert {
        "Public Works - Solid Waste",
        "Transportation",
        "Housing and Community Development",
        "Public Works - Water and Wastewater",
        "Recreation and Parks",
        "311 Call Center",
    } <= agencies
