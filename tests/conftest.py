"""Shared fixtures: real Baltimore data from ../shared/data/real and real DuckDB warehouse files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from citystat.ingest import ingest_boundaries
from citystat.profiles import CityProfile, load_profile
from citystat.warehouse import open_warehouse, resolve_profile

# The servers the tests start do not warm the site in the background (it would compete with the
# tests for the two cores); tests/api/test_warmup.py turns it on for itself.
os.environ.setdefault("CITYSTAT_WARM_UP_INTERVAL", "0")

# Debian's Chromium, driven by Playwright by executable path (never a downloaded browser).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session (per xdist worker): Playwright's sync API allows one
    running instance per thread, so every browser test shares this one."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# Engine fixtures (postgres_url, spark_engine, engine, sample_warehouse) live in tests/backends.py.
pytest_plugins = ["tests.backends"]

REPO = Path(__file__).resolve().parents[1]
REAL = Path(os.environ.get("CITYSTAT_REAL_DATA", REPO.parent / "shared" / "data" / "real"))
BOUNDARIES = REAL / "baltimore-boundaries"
SAMPLE_2019 = REAL / "baltimore-311-sample-2019" / "311_Customer_Service_Requests_2019-10_sample.csv"
SAMPLE_2018 = REAL / "baltimore-311-sample-2018" / "311_Customer_Service_Requests_2018_sample500.csv"
OPEN311_TSV = REAL / "open311-georeport-samples" / "open311_requests_6cities_2019-11.tsv"

# The layers Baltimore's 2019 311 export was stamped with (2012 council map, 1959-2022 police map,
# 2010 neighbourhoods and CSAs) plus 2020 tracts.
BALTIMORE_LAYERS = {
    "council_district": "council_districts_2012.geojson",
    "police_district": "police_districts_1959_2022.geojson",
    "neighborhood": "neighborhoods_2010.geojson",
    "csa": "csa_2010.geojson",
    "tract": "census_tracts_2020.geojson",
}

# The 2019 extract's PROVENANCE.md: Agency value counts.
AGENCY_COUNTS_2019 = {
    "Solid Waste": 1336,
    "Transportation": 566,
    "Housing": 310,
    "Call Center": 242,
    "Water Wastewater": 207,
    "Health": 128,
    "BGE": 96,
    "Recreation & Parks": 56,
    "Finance": 27,
    "Fire Department": 20,
    "Liquor Board": 7,
    "Parking Authority": 3,
    "Public Works": 2,
}


def need_real_data() -> None:
    if not REAL.is_dir():
        pytest.skip(f"real Baltimore data not found at {REAL} (../shared is absent)")


@pytest.fixture
def real() -> Path:
    need_real_data()
    return REAL


@pytest.fixture
def baltimore() -> CityProfile:
    return load_profile("baltimore")


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = open_warehouse(tmp_path / "test.duckdb")
    yield con
    con.close()


def load_baltimore_boundaries(con: duckdb.DuckDBPyConnection, profile: CityProfile) -> None:
    for layer, name in BALTIMORE_LAYERS.items():
        ingest_boundaries(con, BOUNDARIES / name, layer=layer, profile=profile)


@pytest.fixture
def baltimore_warehouse(tmp_path: Path) -> Iterator[tuple[duckdb.DuckDBPyConnection, CityProfile]]:
    """A warehouse with Baltimore's real boundary layers loaded."""
    need_real_data()
    con = open_warehouse(tmp_path / "baltimore.duckdb")
    profile = resolve_profile(con, "baltimore")
    load_baltimore_boundaries(con, profile)
    yield con, profile
    con.close()


def table_snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every canonical table, sorted: two equal snapshots mean nothing changed."""
    snapshot = {}
    for table in ("service_requests", "boundaries", "demographics", "quarantine", "load_log", "meta"):
        rows = con.execute(f"SELECT * FROM {table}").fetchall()
        snapshot[table] = sorted(rows, key=repr)
    return snapshot
