"""citystat bench web on the small demo city: a real `citystat serve` process, few requests. The
report's structure and counts are checked, never its timings."""

from __future__ import annotations

import shutil
from pathlib import Path

from citystat.bench_web import bench_web, city_folder, make_fresh, percentile
from tests.api.conftest import DEMO_ROWS, DEMO_SEED
from tests.api.test_api_values import query


def test_bench_web_reports_every_target(demo_warehouse: Path, tmp_path: Path) -> None:
    folder = city_folder(tmp_path, DEMO_ROWS, DEMO_SEED)
    folder.mkdir(parents=True)
    shutil.copy(demo_warehouse, folder / "warehouse.duckdb")  # reused: no build in the test
    stages: list[str] = []
    report = bench_web(
        tmp_path, rows=DEMO_ROWS, seed=DEMO_SEED, clients=4, requests=13, reuse=True, stage=stages.append
    )
    assert report["reused"] is True
    assert report["service_requests"] == query(demo_warehouse, "SELECT count(*) FROM service_requests")[0][0]
    assert (report["clients"], report["requests_per_target"]) == (4, 13)
    steps = {s["name"]: s for s in report["steps"]}
    assert list(steps) == [
        "static",
        "home",
        "measure page",
        "api values",
        "home, rendered",
        "measure page, rendered",
    ]
    for step in steps.values():
        assert step["requests"] == 13
        assert sum(step["statuses"].values()) + step["no_answer"] == 13
        assert step["errors"] == step["no_answer"] == 0
        assert step["p50_ms"] <= step["p95_ms"] <= step["max_ms"]
        assert step["requests_per_second"] > 0 and step["ratio_to_static"] > 0
    assert steps["static"]["statuses"] == {"200": 13} and steps["static"]["ratio_to_static"] == 1.0
    assert steps["home"]["statuses"] == steps["home, rendered"]["statuses"] == {"200": 13}
    assert steps["api values"]["statuses"] == {"200": 13}
    assert steps["api values"]["path"].startswith("/api/v1/measures/city-requests/values?")
    # The measure page is another part of the site: whatever it answers is reported, not hidden.
    assert set(steps["measure page"]["statuses"]) <= {"200", "404"}
    assert report["first_requests"]["api values"]["status"] == 200
    assert all(first["ms"] > 0 for first in report["first_requests"].values())
    assert any(s.startswith("starting citystat serve") for s in stages)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 0.5), percentile(values, 0.95), percentile(values, 1.0)) == (50.0, 95.0, 100.0)
    assert percentile([3.0], 0.95) == 3.0 and percentile([], 0.5) == 0.0


def test_fresh_addresses_are_new_for_every_request() -> None:
    assert make_fresh("/measures/a", "timed7") == "/measures/a?fresh=timed7"
    assert make_fresh("/api/v1/x?page=2", "warm0") == "/api/v1/x?page=2&fresh=warm0"
