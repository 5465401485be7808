"""Benchmarks: each reports a ratio against a baseline measured in the same run (never a CI gate)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import duckdb

from citystat.demo.generate import generate_city
from citystat.ingest import ingest_boundaries, ingest_requests
from citystat.ingest.files import ProgressFn
from citystat.warehouse import open_warehouse, resolve_profile


def bench_ingest(
    work_dir: Path, *, rows: int, seed: int, progress: ProgressFn | None = None
) -> dict[str, Any]:
    """Time citystat's request ingest against ``CREATE TABLE AS SELECT * FROM read_csv(file)``."""
    work_dir.mkdir(parents=True, exist_ok=True)
    city = generate_city(work_dir / "city", rows=rows, seed=seed, progress=progress)
    path = city.requests_csv
    baseline_db = work_dir / "baseline.duckdb"
    target_db = work_dir / "citystat.duckdb"
    for db in (baseline_db, target_db):
        db.unlink(missing_ok=True)
        Path(str(db) + ".wal").unlink(missing_ok=True)

    start = time.perf_counter()
    plain = duckdb.connect(str(baseline_db))
    plain.execute("CREATE TABLE raw AS SELECT * FROM read_csv(?)", [str(path)])
    row = plain.execute("SELECT count(*) FROM raw").fetchone()
    plain.close()
    baseline_seconds = time.perf_counter() - start
    baseline_rows = int(row[0]) if row else 0

    con = open_warehouse(target_db)
    profile = resolve_profile(con, "synthetic")
    for layer, geojson in city.boundaries.items():
        ingest_boundaries(con, geojson, layer=layer, profile=profile)
    start = time.perf_counter()
    result = ingest_requests(con, [path], profile=profile, progress=progress)[0]
    citystat_seconds = time.perf_counter() - start
    con.close()

    def step(name: str, seconds: float, n: int) -> dict[str, Any]:
        return {
            "name": name,
            "seconds": seconds,
            "rows": n,
            "rows_per_second": n / seconds if seconds else 0.0,
            "ratio_to_baseline": seconds / baseline_seconds if baseline_seconds else 0.0,
        }

    return {
        "rows": rows,
        "file_mb": path.stat().st_size / 1e6,
        "steps": [
            step("baseline: DuckDB read_csv into a table", baseline_seconds, baseline_rows),
            step(
                "citystat ingest requests (validate, quarantine, locate, merge)",
                citystat_seconds,
                result.rows_read,
            ),
        ],
        "citystat_rows_loaded": result.rows_loaded,
        "citystat_rows_quarantined": result.rows_quarantined,
    }
