"""The compute benchmark's contenders do the same work: same values for every measure, week and
neighbourhood. Timings are never asserted (the benchmark never gates CI)."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest

from citystat.bench_baselines import build_sql
from citystat.bench_compute import CONTENDERS, bench_compute, starter_measures
from citystat.catalog.load import builtin_catalog_dir, load_catalog
from citystat.engine.compile import plan_scans
from citystat.engine.compute import compute_catalog
from citystat.warehouse import open_warehouse, resolve_profile
from tests.conftest import REPO

pytestmark = pytest.mark.slow
ROWS = 20_000
SEED = 11
Key = tuple[str, dt.date, str]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
def report(data_dir: Path) -> dict[str, Any]:
    return bench_compute(data_dir / "bench", rows=ROWS, seed=SEED)


def city_warehouse(report: dict[str, Any]) -> Path:
    return Path(report["steps"][0]["values_file"]).parents[1] / "warehouse.duckdb"


def read_values(path: str) -> dict[Key, float]:
    rows = pq.read_table(path).to_pylist()
    values = {(r["measure_id"], r["week"], r["neighborhood"]): r["value"] for r in rows}
    assert len(values) == len(rows), "one value per measure, week and neighbourhood"
    return values


def test_every_contender_computes_the_same_values(report: dict[str, Any]) -> None:
    steps = {step["name"]: step for step in report["steps"]}
    assert list(steps) == list(CONTENDERS)
    ours = read_values(steps["citystat"]["values_file"])
    measures = starter_measures()
    assert {key[0] for key in ours} == {m.id for m in measures}  # all 41, none dropped
    assert len({key[2] for key in ours}) > 50 and len({key[1] for key in ours}) > 100
    for name in ("duckdb-sql", "duckdb-sql-case", "pandas", "polars"):
        theirs = read_values(steps[name]["values_file"])
        assert theirs.keys() == ours.keys(), name
        for key, value in ours.items():
            assert math.isclose(theirs[key], value, rel_tol=1e-9, abs_tol=1e-9), (
                name,
                key,
                theirs[key],
                value,
            )
        assert steps[name]["agrees"] and steps[name]["differ"] == 0
    for step in steps.values():
        assert step["seconds"] > 0 and step["peak_mib"] > 0 and step["values"] == len(ours)
    assert report["requests"] > 0.9 * ROWS and report["measures"] == len(measures)


def test_values_are_what_independent_sql_on_the_warehouse_says(report: dict[str, Any]) -> None:
    """Spot checks from the warehouse itself: a count, a ratio and a median in one week."""
    ours = read_values(next(s for s in report["steps"] if s["name"] == "citystat")["values_file"])
    con = duckdb.connect(str(city_warehouse(report)), read_only=True)
    week, place, count = con.execute(
        "SELECT date_trunc('week', created_at)::DATE, neighborhood, count(*) FROM service_requests"
        " WHERE status_flag IS DISTINCT FROM 'duplicate' AND neighborhood IS NOT NULL"
        " GROUP BY ALL ORDER BY 3 DESC, 1, 2 LIMIT 1"
    ).fetchone()
    assert ours[("city-requests", week, place)] == count
    share, median = con.execute(
        """
        SELECT count(*) FILTER (WHERE due_utc IS NOT NULL AND closed_utc <= due_utc)
                 / count(*) FILTER (WHERE due_utc IS NOT NULL),
               median(epoch(closed_utc - created_utc) / 86400) FILTER (WHERE closed_utc IS NOT NULL)
        FROM service_requests
        WHERE date_trunc('week', created_at)::DATE = ? AND neighborhood = ?
          AND status_flag IS DISTINCT FROM 'duplicate'
        """,
        [week, place],
    ).fetchone()
    con.close()
    assert math.isclose(ours[("city-on-time", week, place)], share, rel_tol=1e-12)
    assert math.isclose(ours[("city-median-days", week, place)], median, rel_tol=1e-12)


@pytest.mark.parametrize("style", ["filter", "case"])
def test_the_hand_written_query_binds_every_value(style: str) -> None:
    sql, params = build_sql(starter_measures(), style)  # type: ignore[arg-type]
    assert "TRM-Pothole Repair" in params and "TRM-Pothole Repair" not in sql
    assert sql.count("?") == len(params)
    assert ("FILTER" in sql) == (style == "filter")


def test_breakdown_computes_every_measure_by_the_given_dimensions_only(
    report: dict[str, Any], tmp_path: Path
) -> None:
    measures = starter_measures()
    default = plan_scans(measures, ["week"])
    assert {s.dimension for s in default} >= {"", "neighborhood", "agency"}
    ecc = next(m for m in measures if m.id == "ecc-information-requests")  # declares no disaggregation
    assert all(ecc not in ms for s, ms in default.items() if s.dimension)
    forced = plan_scans(measures, ["week", "month"], breakdown=["neighborhood"])
    assert [(s.grain, s.dimension) for s in forced] == [("month", "neighborhood"), ("week", "neighborhood")]
    assert all(ms == measures for ms in forced.values())
    with pytest.raises(ValueError, match="either"):
        plan_scans(measures, ["week"], ["csa"], breakdown=["neighborhood"])

    # The breakdown is part of each measure's scope: the same one is up to date, another recomputes.
    path = tmp_path / "copy.duckdb"
    shutil.copyfile(city_warehouse(report), path)
    con = open_warehouse(path)
    profile = resolve_profile(con, None)
    catalog = load_catalog(builtin_catalog_dir("baltimore"))
    first = compute_catalog(con, catalog, profile, grains=["week"], breakdown=["neighborhood"])
    again = compute_catalog(con, catalog, profile, grains=["week"], breakdown=["neighborhood"])
    usual = compute_catalog(con, catalog, profile, grains=["week"])
    dimensions = con.execute("SELECT DISTINCT dimension FROM measure_values ORDER BY 1").fetchall()
    ecc_dimensions = con.execute(
        "SELECT DISTINCT dimension FROM measure_values WHERE measure_id = 'ecc-information-requests'"
        " ORDER BY 1"
    ).fetchall()
    con.close()
    assert (first.scans, again.scans, again.up_to_date) == (1, 0, len(measures))
    assert usual.up_to_date == 0 and usual.scans == len(default)
    assert ("",) in dimensions and ("agency",) in dimensions
    assert ecc_dimensions == [("",), ("neighborhood",)]  # the breakdown's values are kept beside


def test_cli_reuses_the_cached_city_and_writes_json(
    report: dict[str, Any], data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    args = ["bench", "compute", "--rows", str(ROWS), "--seed", str(SEED), "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "citystat.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, "CITYSTAT_DATA_DIR": str(data_dir), "COLUMNS": "200", "NO_COLOR": "1"},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "(a) DuckDB" in done.stdout and "same values as (a)" in done.stdout
    saved = json.loads(out.read_text())
    assert saved["city_reused"] is True and all(step["agrees"] for step in saved["steps"])
