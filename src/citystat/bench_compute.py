"""Compute benchmark: the whole starter catalog by week × neighbourhood, citystat against baselines.

The contenders, each timed in its own process on the same synthetic city in the same run:

* ``citystat``: :func:`~citystat.engine.compute.compute_catalog` (compile through Ibis, run on
  DuckDB, write ``measure_values``) into a copy of the warehouse, a full recompute;
* ``duckdb-sql`` (the baseline): one hand-written DuckDB query over the same warehouse table, a
  ``FILTER`` aggregate per measure; ``duckdb-sql-case``: the same query written with ``count_if``
  and aggregates of ``CASE`` (close to what citystat's compiler emits: ``SUM(CASE ...)``), to show
  what that choice of form alone is worth;
* ``pandas`` and ``polars``: over a Parquet export of the columns the measures need.

Each process reports the seconds of its work (after imports, before writing its answer) and its
peak resident set size at the end of that work (``getrusage``; interpreter and imports included);
every contender's answer is compared with the baseline's, so a ratio never hides different work.
Never a CI gate: only a small run checks that the answers agree.

Run one contender by hand with ``python -m citystat.bench_compute NAME WAREHOUSE PARQUET OUT``.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from citystat.bench_baselines import LONG_SCHEMA, SOURCE_COLUMNS, to_long
from citystat.catalog.load import builtin_catalog_dir, load_catalog
from citystat.catalog.model import Dimension, Grain, Measure
from citystat.errors import CitystatError

ProgressFn = Callable[[int, int], None]
StageFn = Callable[[str], None]

BASELINE = "duckdb-sql"
CONTENDERS: dict[str, str] = {
    "duckdb-sql": "(a) DuckDB: one hand-written SQL query",
    "duckdb-sql-case": "(a') the same query with count_if/CASE",
    "citystat": "(0) citystat compute_catalog",
    "pandas": "(b) pandas over Parquet",
    "polars": "(c) polars lazy over Parquet",
}
CATALOG = "baltimore"
GRAIN: Grain = "week"
DIMENSION: Dimension = "neighborhood"
TOLERANCE = 1e-9
READ_CHUNK = 1 << 24
GOAL_RATIO = 1.3
GOAL_PEAK_MIB = 2048.0


@dataclass(frozen=True)
class Timed:
    seconds: float
    peak_mib: float
    values: pa.Table  # long form: measure_id, week, neighborhood, value


class BenchError(CitystatError):
    """A benchmark contender failed or gave an answer that cannot be compared."""


@dataclass(frozen=True)
class BenchCity:
    """A cached synthetic city: its warehouse and the Parquet export of ``service_requests``."""

    folder: Path
    warehouse: Path
    parquet: Path
    requests: int
    reused: bool


def starter_measures() -> list[Measure]:
    """The built-in starter catalog's computed measures, in catalog order."""
    return load_catalog(builtin_catalog_dir(CATALOG)).computed()


def city_folder(work_dir: Path, rows: int, seed: int) -> Path:
    return work_dir / f"compute-r{rows}-s{seed}"


def prepare_city(
    work_dir: Path,
    *,
    rows: int,
    seed: int,
    progress: ProgressFn | None = None,
    stage: StageFn | None = None,
) -> BenchCity:
    """Build the synthetic city's warehouse (or reuse the cached one) and its Parquet export."""
    from citystat.demo.load import build_demo
    from citystat.warehouse import connect

    say = stage or (lambda _message: None)
    folder = city_folder(work_dir, rows, seed)
    warehouse = folder / "warehouse.duckdb"
    parquet = folder / "service_requests.parquet"
    reused = warehouse.exists()
    if not reused:
        say(f"building a synthetic city of {rows:,} requests (generate, then ingest)")
        build_demo(warehouse, folder / "city", rows=rows, seed=seed, replace=True, progress=progress)
        shutil.rmtree(folder / "city", ignore_errors=True)  # the warehouse is the cache
        parquet.unlink(missing_ok=True)
    con = connect(warehouse, read_only=True)
    try:
        row = con.execute("SELECT count(*) FROM service_requests").fetchone()
        if not parquet.exists():
            say("exporting service_requests to Parquet")
            partial = parquet.with_name(parquet.name + ".part")
            con.sql("SELECT " + ", ".join(SOURCE_COLUMNS) + " FROM service_requests").write_parquet(
                str(partial)
            )
            os.replace(partial, parquet)
    finally:
        con.close()
    return BenchCity(folder, warehouse, parquet, int(row[0]) if row else 0, reused)


def warm_cache(*paths: Path) -> None:
    """Read files once so no contender pays for the first read from disk."""
    for path in paths:
        with path.open("rb") as handle:
            while handle.read(READ_CHUNK):
                pass


def run_contender(name: str, warehouse: Path, parquet: Path, out: Path) -> dict[str, Any]:
    """Run one contender in a fresh Python process; return what it reported."""
    command = [sys.executable, "-m", "citystat.bench_compute", name, str(warehouse), str(parquet), str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise BenchError(f"contender {name!r} failed (exit {done.returncode}):\n{tail}")
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def compare_values(baseline: Path, other: Path, tolerance: float = TOLERANCE) -> dict[str, Any]:
    """Rows missing from or extra to ``other``, and values differing by more than ``tolerance``
    (relative to the value, absolute below 1)."""
    import duckdb

    con = duckdb.connect()
    try:
        row = con.execute(
            """
            SELECT count(*) FILTER (WHERE b.value IS NULL),
                   count(*) FILTER (WHERE a.value IS NULL),
                   count(*) FILTER (WHERE abs(a.value - b.value) > ? * greatest(1, abs(a.value))),
                   coalesce(max(abs(a.value - b.value)), 0)
            FROM read_parquet(?) a FULL JOIN read_parquet(?) b USING (measure_id, week, neighborhood)
            """,
            [tolerance, str(baseline), str(other)],
        ).fetchone()
    finally:
        con.close()
    assert row is not None
    missing, extra, differ, max_diff = int(row[0]), int(row[1]), int(row[2]), float(row[3])
    return {
        "missing": missing,
        "extra": extra,
        "differ": differ,
        "max_abs_diff": max_diff,
        "agrees": missing == extra == differ == 0,
    }


def bench_compute(
    work_dir: Path,
    *,
    rows: int,
    seed: int,
    contenders: Sequence[str] = tuple(CONTENDERS),
    progress: ProgressFn | None = None,
    stage: StageFn | None = None,
) -> dict[str, Any]:
    """Time the catalog by week × neighbourhood for each contender on the same city, in one run."""
    unknown = [c for c in contenders if c not in CONTENDERS]
    if unknown or BASELINE not in contenders:
        raise BenchError(f"contenders are {', '.join(CONTENDERS)} (the baseline {BASELINE!r} always runs)")
    say = stage or (lambda _message: None)
    city = prepare_city(work_dir, rows=rows, seed=seed, progress=progress, stage=stage)
    run_dir = city.folder / "run"
    run_dir.mkdir(exist_ok=True)
    say("warming the page cache")
    warm_cache(city.warehouse, city.parquet)
    results: dict[str, dict[str, Any]] = {}
    load_before = os.getloadavg()[0]
    for number, name in enumerate(contenders, start=1):
        warehouse = city.warehouse
        if name == "citystat":  # it writes measure_values: give it a copy, keep the cache clean
            warehouse = run_dir / "citystat.duckdb"
            shutil.copyfile(city.warehouse, warehouse)
            warm_cache(warehouse)
        say(f"{number}/{len(contenders)} {CONTENDERS[name]}")
        if progress:
            progress(number - 1, len(contenders))
        try:
            results[name] = run_contender(name, warehouse, city.parquet, run_dir / f"{name}.parquet")
        finally:
            if name == "citystat":
                warehouse.unlink(missing_ok=True)
                Path(str(warehouse) + ".wal").unlink(missing_ok=True)
    if progress:
        progress(len(contenders), len(contenders))
    base = results[BASELINE]
    steps = []
    for name, result in results.items():
        agreement = compare_values(Path(base["values_file"]), Path(result["values_file"]))
        steps.append(
            {
                "name": name,
                "label": CONTENDERS[name],
                **result,
                "ratio_to_baseline": result["seconds"] / base["seconds"] if base["seconds"] else 0.0,
                **agreement,
            }
        )
    report: dict[str, Any] = {
        "rows": rows,
        "seed": seed,
        "requests": city.requests,
        "measures": len(starter_measures()),
        "grain": GRAIN,
        "dimension": DIMENSION,
        "city_reused": city.reused,
        "warehouse_mb": city.warehouse.stat().st_size / 1e6,
        "parquet_mb": city.parquet.stat().st_size / 1e6,
        "cpus": os.cpu_count(),
        "load_average": {"before": load_before, "after": os.getloadavg()[0]},  # other work on the machine
        "versions": library_versions(),
        "baseline": BASELINE,
        "steps": steps,
    }
    if "citystat" in results:
        report["goals"] = judge_goals(results)
    return report


def judge_goals(results: dict[str, dict[str, Any]]) -> dict[str, bool]:
    """The goals set for the record (never a gate)."""
    ours = results["citystat"]
    goals = {
        f"citystat within {GOAL_RATIO}x of the hand-written SQL": ours["seconds"]
        <= GOAL_RATIO * results[BASELINE]["seconds"],
        f"citystat peak memory under {GOAL_PEAK_MIB / 1024:.0f} GiB": ours["peak_mib"] < GOAL_PEAK_MIB,
    }
    for other in ("pandas", "polars"):
        if other in results:
            goals[f"citystat faster than {other}"] = ours["seconds"] < results[other]["seconds"]
    return goals


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for package in ("duckdb", "ibis-framework", "pandas", "polars", "pyarrow"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "not installed"
    return found


# one contender, in its own process ----------------------------------------------------------------


def compute_with_citystat(warehouse: Path) -> None:
    """citystat's real path: full recompute of every measure by week × neighbourhood."""
    from citystat.engine.compute import compute_catalog
    from citystat.warehouse import open_warehouse, resolve_profile

    con = open_warehouse(warehouse)
    try:
        catalog = load_catalog(builtin_catalog_dir(CATALOG))
        compute_catalog(
            con, catalog, resolve_profile(con, None), grains=[GRAIN], breakdown=[DIMENSION], full=True
        )
    finally:
        con.close()


def read_citystat_values(warehouse: Path, measures: Sequence[Measure]) -> pa.Table:
    from citystat.warehouse import connect

    con = connect(warehouse, read_only=True)
    try:
        return (
            con.execute(
                "SELECT measure_id, period_start, dimension_value, value FROM measure_values"
                " WHERE grain = ? AND dimension = ? AND list_contains(?, measure_id)",
                [GRAIN, DIMENSION, [m.id for m in measures]],
            )
            .to_arrow_table()
            .rename_columns(LONG_SCHEMA.names)
            .cast(LONG_SCHEMA)
        )
    finally:
        con.close()


def run_timed(name: str, warehouse: Path, parquet: Path, measures: Sequence[Measure]) -> Timed:
    """Compute with one contender; only the computation is timed, not writing the answer out."""
    from citystat import bench_baselines as baselines

    start = time.perf_counter()
    if name == "citystat":
        compute_with_citystat(warehouse)
        seconds, peak = time.perf_counter() - start, peak_rss_mib()
        return Timed(seconds, peak, read_citystat_values(warehouse, measures))
    if name in ("duckdb-sql", "duckdb-sql-case"):
        from citystat.warehouse import connect

        con = connect(warehouse, read_only=True)
        try:
            wide = baselines.compute_sql(con, measures, "filter" if name == "duckdb-sql" else "case")
        finally:
            con.close()
    elif name == "pandas":
        wide = pa.Table.from_pandas(baselines.compute_pandas(parquet, measures), preserve_index=False)
    elif name == "polars":
        wide = baselines.compute_polars(parquet, measures).to_arrow()
    else:
        raise BenchError(f"no contender {name!r}")
    seconds, peak = time.perf_counter() - start, peak_rss_mib()
    return Timed(seconds, peak, to_long(wide, measures))


def peak_rss_mib() -> float:
    """This process's peak resident set size so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main(argv: Sequence[str]) -> None:
    name, warehouse, parquet, out = argv
    measures = starter_measures()
    if name == "citystat":  # import the engine (and Ibis) before the clock starts, as the others do
        import citystat.engine.compute  # noqa: F401
    elif name == "pandas":
        import pandas  # noqa: F401
    elif name == "polars":
        import polars  # noqa: F401
    timed = run_timed(name, Path(warehouse), Path(parquet), measures)
    pq.write_table(timed.values, out)
    report = {
        "seconds": timed.seconds,
        "peak_mib": timed.peak_mib,
        "values": timed.values.num_rows,
        "values_file": out,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
