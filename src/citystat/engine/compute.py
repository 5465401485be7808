"""Compute the catalog's measures into ``measure_values``, incrementally.

Only periods touched by loads the measure has not yet seen are recomputed: rows carry the id of
the load that last wrote them, and ``compute_state`` remembers, per measure version, the newest
load already reflected. Results always land in the DuckDB warehouse, whichever engine computed
them, with their provenance (engine, catalog version, load ids, time).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from citystat.catalog.load import Catalog
from citystat.catalog.model import Dimension, Grain, Measure
from citystat.engine.backends import EngineName, fetch_arrow, open_engine, publish_tables
from citystat.engine.compile import Breakdown, Columns, Scan, compile_scan, plan_scans
from citystat.engine.definitions import record_definition, record_targets
from citystat.engine.periods import as_date, label_period, period_start
from citystat.engine.store import write_scan_values
from citystat.errors import EngineError
from citystat.profiles import CityProfile
from citystat.settings import Settings
from citystat.warehouse.audit import record_audit
from citystat.warehouse.connection import transaction

DEFAULT_GRAINS: tuple[Grain, ...] = ("week", "month", "fiscal_quarter", "fiscal_year")
ACTOR = "citystat compute"


@dataclass
class ComputeResult:
    engine: str
    catalog_version: str
    measures: int = 0
    scans: int = 0
    values_written: int = 0
    up_to_date: int = 0
    definitions: dict[str, str] = field(default_factory=dict)  # measure id -> new|redefined|unchanged

    def summary(self) -> dict[str, object]:
        return {
            "engine": self.engine,
            "catalog_version": self.catalog_version,
            "measures": self.measures,
            "scans": self.scans,
            "values_written": self.values_written,
            "up_to_date": self.up_to_date,
        }


@dataclass(frozen=True)
class MeasureState:
    last_load_id: int
    scope: str


def newest_load(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT coalesce(max(load_id), 0) FROM service_requests").fetchone()
    return int(row[0]) if row else 0


def read_states(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, int], MeasureState]:
    rows = con.execute("SELECT measure_id, version, last_load_id, scope FROM compute_state").fetchall()
    return {(str(m), int(v)): MeasureState(int(last), str(scope)) for m, v, last, scope in rows}


def describe_scope(
    measure: Measure, grains: Sequence[Grain], breakdown: Sequence[Breakdown] | None = None
) -> str:
    if breakdown is not None:
        return json.dumps({"grains": list(grains), "breakdown": list(breakdown)})
    return json.dumps({"grains": list(grains), "dimensions": measure.disaggregations})


def touched_periods(
    warehouse: ibis.BaseBackend,
    scan: Scan,
    after_load: int,
    since: dt.date | None,
    profile: CityProfile,
) -> list[dt.date] | None:
    """Period starts holding rows newer than ``after_load`` (None: every period)."""
    if after_load <= 0 and since is None:
        return None
    table = warehouse.table(scan.source)
    start = period_start(table[scan.date_field], scan.grain, profile.fiscal_year_start_month)
    condition = table.load_id > after_load
    if since is not None:
        condition = condition | (table[scan.date_field] >= ibis.timestamp(since.isoformat()))
    found = table.filter(condition & table[scan.date_field].notnull()).select(period=start).distinct()
    return sorted(as_date(value) for value in found.to_pyarrow().column("period").to_pylist())


def compute_catalog(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    profile: CityProfile,
    *,
    engine: ibis.BaseBackend | None = None,
    engine_name: str = "duckdb",
    measure_ids: Sequence[str] = (),
    since: dt.date | None = None,
    grains: Sequence[Grain] = DEFAULT_GRAINS,
    dimensions: Sequence[Dimension] | None = None,
    breakdown: Sequence[Breakdown] | None = None,
    full: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
    columns: Columns | None = None,
) -> ComputeResult:
    """Record definitions and targets, then compute what new loads touched.

    ``engine`` is an Ibis backend holding the source tables (DuckDB on the warehouse when None;
    PostgreSQL or Spark after :func:`citystat.engine.backends.publish_tables`).
    ``breakdown`` computes every measure by exactly those dimensions ('' for citywide) instead of
    citywide plus its declared disaggregations (see :func:`plan_scans`).
    """
    measures = [catalog.get(i) for i in measure_ids] if measure_ids else catalog.computed()
    measures = [m for m in measures if m.computation is not None and not m.retired]
    result = ComputeResult(engine=engine_name, catalog_version=catalog.version, measures=len(measures))
    with transaction(con):
        for measure in catalog.active():
            origin = catalog.origins.get(measure.id, "catalog")
            result.definitions[measure.id] = record_definition(con, measure, origin, ACTOR)
            record_targets(con, measure, origin, ACTOR)
    newest = newest_load(con)
    states = read_states(con)

    def seen(measure: Measure) -> int:
        state = states.get((measure.id, measure.version))
        if full or state is None or state.scope != describe_scope(measure, grains, breakdown):
            return 0
        return state.last_load_id

    pending = [m for m in measures if seen(m) < newest or since is not None or newest == 0]
    result.up_to_date = len(measures) - len(pending)
    warehouse = ibis.duckdb.from_connection(con)
    source = engine if engine is not None else warehouse
    scans = plan_scans(pending, grains, dimensions, breakdown=breakdown)
    computed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    batches: list[tuple[Scan, list[Measure], list[dt.date] | None, pa.Table]] = []
    for number, (scan, scan_measures) in enumerate(scans.items(), start=1):
        if progress:
            progress(f"{scan.grain} × {scan.dimension or 'city'}", number, len(scans))
        after = min(seen(m) for m in scan_measures)
        periods = touched_periods(warehouse, scan, after, since, profile)
        if periods is not None and not periods:
            continue
        table = read_source(source, scan.source)
        expr = compile_scan(table, scan, scan_measures, profile.fiscal_year_start_month, periods, columns)
        batches.append((scan, scan_measures, periods, fetch_arrow(source, expr)))
    with transaction(con):
        for scan, scan_measures, periods, values in batches:
            result.values_written += write_scan_values(
                con,
                scan,
                scan_measures,
                values,
                periods,
                labels=lambda start, grain: label_period(start, grain, profile.fiscal_year_start_month),
                provenance=(engine_name, catalog.version, computed_at),
            )
            result.scans += 1
        for measure in pending:
            scope = describe_scope(measure, grains, breakdown)
            con.execute(
                "INSERT INTO compute_state (measure_id, version, last_load_id, scope, computed_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (measure_id, version) DO UPDATE SET"
                " last_load_id = excluded.last_load_id, scope = excluded.scope,"
                " computed_at = excluded.computed_at",
                [measure.id, measure.version, newest, scope, computed_at],
            )
        if pending:
            record_audit(
                con,
                actor=ACTOR,
                action="compute",
                entity="value",
                entity_id=",".join(m.id for m in pending)[:2000],
                after=result.summary(),
            )
    return result


def read_source(engine: ibis.BaseBackend, name: str) -> ir.Table:
    try:
        return engine.table(name)
    except Exception as exc:  # each backend raises its own "no such table"
        raise EngineError(f"the engine has no table {name!r}; publish the warehouse tables first") from exc


def compute_on_engine(
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    profile: CityProfile,
    engine_name: EngineName,
    settings: Settings,
    **options: Any,
) -> ComputeResult:
    """Compute on DuckDB (the warehouse itself), or publish the source table to PostgreSQL or Spark
    and compute there; values always land in the warehouse."""
    if engine_name == "duckdb":
        return compute_catalog(con, catalog, profile, engine_name="duckdb", **options)
    engine = open_engine(engine_name, settings)
    try:
        publish_tables(con, engine, ["service_requests"])
        return compute_catalog(con, catalog, profile, engine=engine, engine_name=engine_name, **options)
    finally:
        if engine_name != "spark":  # a Spark session is shared by the process
            engine.disconnect()
