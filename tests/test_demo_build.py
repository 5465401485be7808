"""The synthetic demo city goes through the real ingest path, and every planted fault is caught."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from citystat.bench import bench_ingest
from citystat.demo.load import build_demo
from citystat.errors import ConfigError
from citystat.ingest import ingest_requests
from citystat.warehouse import connect, open_warehouse, resolve_profile
from tests.conftest import SAMPLE_2018, table_snapshot

END = date(2026, 7, 1)
# Which quarantine reason catches each planted fault (rows rejected or kept with a flag).
REJECTED = {
    "duplicate_id_conflict": "duplicate request id with different content",
    "closed_before_created": "closed before created",
    "unparseable_date": "unparseable date",
    "unknown_agency": "unknown agency",
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    root = tmp_path_factory.mktemp("demo")
    build = build_demo(root / "demo.duckdb", root / "data", rows=4000, seed=11, end=END)
    manifest = json.loads(build.city.manifest_json.read_text())
    return build.warehouse, manifest


def faults(manifest: dict[str, object]) -> dict[str, dict[str, object]]:
    entries = manifest["faults"]
    assert isinstance(entries, list)
    return {f["kind"]: f for f in entries}


def ids(con: duckdb.DuckDBPyConnection, sql: str, *params: object) -> set[str]:
    return {r[0] for r in con.execute(sql, list(params)).fetchall()}


def test_planted_faults_are_all_caught(demo) -> None:
    path, manifest = demo
    planted = faults(manifest)
    assert set(planted) == {*REJECTED, "placeholder_coordinates", "due_before_created", "missing_week"}
    con = connect(path, read_only=True)
    for kind, reason in REJECTED.items():
        caught = ids(
            con, "SELECT request_id FROM quarantine WHERE reason = ? AND action = 'rejected'", reason
        )
        assert caught == set(planted[kind]["request_ids"]), kind
    placeholder = ids(
        con, "SELECT request_id FROM service_requests WHERE geo_flag = 'placeholder_coordinates'"
    )
    assert placeholder == set(planted["placeholder_coordinates"]["request_ids"])
    early_due = ids(con, "SELECT request_id FROM service_requests WHERE due_before_created")
    assert early_due == set(planted["due_before_created"]["request_ids"])
    week = planted["missing_week"]
    gap = con.execute(
        "SELECT count(*) FROM service_requests WHERE agency = ? AND created_at::DATE BETWEEN ? AND ?",
        [week["agency"], week["week_start"], week["week_end"]],
    ).fetchone()
    assert gap == (0,)
    con.close()


def test_rows_add_up_and_every_point_is_placed(demo) -> None:
    path, manifest = demo
    planted = faults(manifest)
    con = connect(path, read_only=True)
    rejected_rows = sum(int(planted[k]["count"]) for k in REJECTED) - len(
        planted["duplicate_id_conflict"]["request_ids"]
    )
    stored = con.execute("SELECT count(*) FROM service_requests").fetchone()
    assert stored == (4000 - rejected_rows,)
    log = con.execute(
        "SELECT rows_read, rows_loaded, rows_quarantined FROM load_log WHERE kind = 'requests'"
    ).fetchone()
    assert log == (4000, 4000 - rejected_rows, rejected_rows)
    # A synthetic city has no county customers: every real point is in a neighbourhood, CSA and
    # districts, by the export's own fields or by point-in-polygon.
    unplaced = con.execute(
        "SELECT count(*) FROM service_requests WHERE lat IS NOT NULL AND (neighborhood IS NULL OR csa IS NULL"
        " OR council_district IS NULL OR police_district IS NULL OR outside_city)"
    ).fetchone()
    assert unplaced == (0,)
    filled = con.execute(
        "SELECT count(*) FROM service_requests WHERE contains(geo_assigned, ',neighborhood,')"
    ).fetchone()
    assert filled is not None and filled[0] > 0
    window = manifest["window"]
    span = con.execute("SELECT min(created_at)::DATE, max(created_at)::DATE FROM service_requests").fetchone()
    assert span is not None and str(span[0]) >= window["start"] and str(span[1]) < window["end"]
    assert resolve_profile(con, None).synthetic
    con.close()


def test_demo_never_overwrites_a_real_city(tmp_path) -> None:
    path = tmp_path / "baltimore.duckdb"
    con = open_warehouse(path)
    ingest_requests(con, [SAMPLE_2018], profile=resolve_profile(con, "baltimore"))
    before = table_snapshot(con)
    con.close()
    with pytest.raises(ConfigError, match="holds the real city 'baltimore'"):
        build_demo(path, tmp_path / "data", rows=1000, seed=1, end=END)
    con = open_warehouse(path)
    assert table_snapshot(con) == before
    con.close()


def test_bench_ingest_reports_both_steps_on_the_same_rows(tmp_path) -> None:
    report = bench_ingest(tmp_path, rows=2000, seed=3)
    baseline, citystat = report["steps"]
    assert baseline["rows"] == citystat["rows"] == 2000
    assert baseline["ratio_to_baseline"] == 1.0
    assert citystat["ratio_to_baseline"] == pytest.approx(citystat["seconds"] / baseline["seconds"])
    assert report["citystat_rows_loaded"] + report["citystat_rows_quarantined"] <= 2000


def test_the_demo_computes_its_catalog(demo) -> None:
    path, _ = demo
    con = connect(path, read_only=True)
    by_month = con.execute(
        "SELECT period_start, value FROM measure_values WHERE measure_id = 'city-requests'"
        " AND grain = 'month' AND dimension = '' ORDER BY 1"
    ).fetchall()
    direct = con.execute(
        "SELECT date_trunc('month', created_at)::DATE, count(*)::DOUBLE FROM service_requests"
        " WHERE status_flag IS DISTINCT FROM 'duplicate' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert by_month == direct and len(direct) >= 36
    measures = con.execute("SELECT count(DISTINCT measure_id) FROM measure_values").fetchone()
    assert measures is not None and measures[0] >= 30
