"""citystat bench open311 on the small demo city: real server processes, few requests. The report's
structure and counts are checked (every POST made a request the GETs then read), never its timings."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import func, select

from citystat.bench_open311 import bench_open311
from citystat.bench_web import city_folder
from citystat.store import create_session_factory, open_store
from citystat.store.models import AuditEntry, ServiceRequest
from tests.api.conftest import DEMO_ROWS, DEMO_SEED, demo_root, demo_warehouse  # noqa: F401  (fixtures)


def test_bench_open311_reports_both_sides(demo_warehouse: Path, tmp_path: Path) -> None:  # noqa: F811
    folder = city_folder(tmp_path, DEMO_ROWS, DEMO_SEED)
    folder.mkdir(parents=True)
    shutil.copy(demo_warehouse, folder / "warehouse.duckdb")  # reused: no build in the test
    report = bench_open311(tmp_path, rows=DEMO_ROWS, seed=DEMO_SEED, clients=4, requests=15)
    steps = {s["name"]: s for s in report["steps"]}
    assert list(steps) == [
        "baseline: POST",
        "baseline: GET one",
        "citystat: POST",
        "citystat: GET one",
        "citystat: GET list",
    ]
    assert steps["baseline: POST"]["statuses"] == {"201": 15} and steps["citystat: POST"]["statuses"] == {
        "201": 15
    }
    for name in ("baseline: GET one", "citystat: GET one", "citystat: GET list"):
        assert steps[name]["statuses"] == {"200": 15}, name
    for step in steps.values():
        assert step["requests"] == 15 and step["errors"] == 0
        assert step["p50_ms"] <= step["p95_ms"] <= step["max_ms"]
        assert step["ratio_to_baseline"] > 0
    assert steps["baseline: POST"]["ratio_to_baseline"] == 1.0
    # 4 warm-up POSTs and 15 timed ones, each with its audit entry, are in the store
    sessions = create_session_factory(open_store(f"sqlite:///{tmp_path / 'open311-run' / 'store.db'}"))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ServiceRequest)) == 19
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "create request")
            )
            == 19
        )
