"""Compile computed measures to Ibis expressions: one scan per (source, date field, grain, dimension).

All measures that share a scan become columns of one aggregate query, each with its own ``where``
filter, so the table is read once however many measures there are. Nothing here builds SQL text;
each engine's Ibis compiler does, and features an engine cannot compute exactly raise
:class:`UnsupportedMeasureError` instead of being swapped for an approximation.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Literal, TypeAlias

import ibis
import ibis.common.exceptions as ibis_errors
import ibis.expr.types as ir

from citystat.catalog.model import Computation, DateField, Dimension, Filter, Grain, Measure
from citystat.engine.periods import period_start
from citystat.errors import UnsupportedMeasureError

SECONDS_PER_UNIT = {"hours_to_close": 3600.0, "days_to_close": 86400.0}
CITYWIDE = ""
Breakdown: TypeAlias = Dimension | Literal[""]  # a dimension, or '' for the whole city


@dataclass(frozen=True, order=True)
class Scan:
    """One pass over a source: every measure sharing it is computed in the same query."""

    source: str
    date_field: DateField
    grain: Grain
    dimension: str  # '' for the whole city


@dataclass(frozen=True)
class Columns:
    """Which warehouse columns hold the instants used for durations and order checks.

    Durations and "closed by due" use the UTC instants, so a request open across a daylight-saving
    change is measured in real elapsed time; periods are placed by the local ``date_field``.
    """

    created: str = "created_utc"
    closed: str = "closed_utc"
    due: str = "due_utc"


def plan_scans(
    measures: Iterable[Measure],
    grains: Sequence[Grain],
    dimensions: Sequence[Dimension] | None = None,
    *,
    breakdown: Sequence[Breakdown] | None = None,
) -> dict[Scan, list[Measure]]:
    """Group measures into scans: each measure at every grain, citywide and by each of its
    allowed disaggregations (limited to ``dimensions`` when given).

    ``breakdown`` replaces that choice for every measure: each is computed by exactly these
    dimensions ('' for citywide), whatever disaggregations it declares (benchmarks, ad hoc
    analysis). It cannot be combined with ``dimensions``.
    """
    if breakdown is not None and dimensions is not None:
        raise ValueError("give either 'dimensions' or 'breakdown', not both")
    scans: dict[Scan, list[Measure]] = {}
    for measure in measures:
        computation = require_computation(measure)
        wanted: list[str]
        if breakdown is not None:
            wanted = list(dict.fromkeys(breakdown))
        else:
            wanted = [CITYWIDE]
            wanted += [d for d in measure.disaggregations if dimensions is None or d in dimensions]
        for grain in grains:
            for dimension in wanted:
                scan = Scan(computation.source, computation.date_field, grain, dimension)
                scans.setdefault(scan, []).append(measure)
    return dict(sorted(scans.items()))


def require_computation(measure: Measure) -> Computation:
    if measure.computation is None:
        raise UnsupportedMeasureError(f"measure {measure.id!r} is reported, not computed")
    return measure.computation


def duration_seconds(table: ir.Table, columns: Columns) -> ir.NumericValue:
    closed = table[columns.closed].epoch_seconds()
    created = table[columns.created].epoch_seconds()
    return (closed - created).cast("float64")


def build_filter(table: ir.Table, where: Filter, columns: Columns) -> list[ir.BooleanValue]:
    """The row conditions a filter stands for (ANDed by the caller)."""
    t = table
    conditions: list[ir.BooleanValue] = []
    if where.service_codes:
        conditions.append(t.service_code.isin(where.service_codes))
    if where.service_code_prefixes:
        starts = [t.service_code.startswith(prefix) for prefix in where.service_code_prefixes]
        conditions.append(reduce(lambda a, b: a | b, starts))
    if where.agencies:
        conditions.append(t.agency.isin(where.agencies))
    if where.methods:
        conditions.append(t.method_received.isin(where.methods))
    if where.statuses:
        conditions.append(t.status.lower().isin([s.lower() for s in where.statuses]))
    if where.closed is not None:
        closed = t[columns.closed]
        conditions.append(closed.notnull() if where.closed else closed.isnull())
    if where.closed_within_hours is not None:
        limit = where.closed_within_hours * 3600.0
        conditions.append(t[columns.closed].notnull() & (duration_seconds(t, columns) <= limit))
    if where.has_due is not None:
        due = t[columns.due]
        conditions.append(due.notnull() if where.has_due else due.isnull())
    if where.closed_by_due is not None:
        closed, due = t[columns.closed], t[columns.due]
        on_time = closed.notnull() & (closed <= due)
        conditions.append(due.notnull() & (on_time if where.closed_by_due else ~on_time))
    if where.in_city:
        conditions.append(~t.outside_city.fill_null(False))
    return conditions


def base_condition(table: ir.Table, computation: Computation, columns: Columns) -> ir.BooleanValue:
    conditions = build_filter(table, computation.filter, columns)
    if not computation.include_duplicates:
        conditions.append(not_duplicate(table))
    return reduce(lambda a, b: a & b, conditions, ibis.literal(True))


def not_duplicate(table: ir.Table) -> ir.BooleanValue:
    return table.status_flag.isnull() | (table.status_flag != "duplicate")


# The filter fields that say which requests a measure is about (rather than which outcome it counts).
SCOPE_FIELDS = ("service_codes", "service_code_prefixes", "agencies", "methods", "statuses")
SCOPE_SCHEMA = {
    "service_code": "string",
    "agency": "string",
    "method_received": "string",
    "status": "string",
    "status_flag": "string",
}


def compile_scope_sql(where: Filter, *, include_duplicates: bool, table: str = "service_requests") -> str:
    """DuckDB SQL, ``SELECT * FROM service_requests WHERE ...``, for the requests a measure is
    about: the conditions :func:`build_filter` makes of the filter's service codes, agencies,
    methods and statuses (and of duplicates, unless included), without those on close, due and
    area fields, which the data-quality checks examine row by row instead of leaving rows out."""
    scope = Filter(**{name: getattr(where, name) for name in SCOPE_FIELDS})
    return compile_scope_json(scope.model_dump_json(), include_duplicates, table)


@functools.lru_cache(maxsize=1024)
def compile_scope_json(scope_json: str, include_duplicates: bool, table: str) -> str:
    """:func:`compile_scope_sql` of a filter given as JSON (compiling through Ibis takes about
    10 ms; the quality checks ask for the same few scopes again and again)."""
    scope = Filter.model_validate_json(scope_json)
    source = ibis.table(SCOPE_SCHEMA, name=table)
    conditions = build_filter(source, scope, Columns())
    if not include_duplicates:
        conditions.append(not_duplicate(source))
    expr = source.filter(*conditions) if conditions else source
    return compile_sql(expr, "duckdb")


def count_where(condition: ir.BooleanValue) -> ir.IntegerScalar:
    """Rows where ``condition`` holds.

    Written ``SUM(CASE WHEN condition THEN 1 ELSE 0 END)`` rather than ``COUNT(*) FILTER (WHERE
    condition)``: the same number on every engine (a NULL condition counts as false), and DuckDB
    evaluates many such columns in one pass about a third faster than as many filtered aggregates.
    """
    return condition.ifelse(1, 0).sum()


def only_where(value: ir.NumericValue, condition: ir.BooleanValue) -> ir.NumericValue:
    """``value`` where ``condition`` holds, NULL elsewhere: aggregates skip NULLs, so a statistic
    of this is the statistic over the rows matching ``condition`` (see :func:`count_where`)."""
    return ibis.ifelse(condition, value, ibis.null(value.type()))


def measure_columns(table: ir.Table, index: int, measure: Measure, columns: Columns) -> dict[str, ir.Scalar]:
    """``m{i}_value``, ``m{i}_num`` and ``m{i}_den`` for one measure of a scan."""
    computation = require_computation(measure)
    base = base_condition(table, computation, columns)
    out: dict[str, ir.Scalar] = {}
    if computation.aggregate == "count":
        n = count_where(base).cast("float64")
        out[f"m{index}_value"] = n
        out[f"m{index}_num"] = ibis.null("float64")
        out[f"m{index}_den"] = n
        return out
    if computation.aggregate == "ratio":
        assert computation.numerator is not None
        extra = build_filter(table, computation.numerator, columns)
        numerator = reduce(lambda a, b: a & b, extra, base)
        num = count_where(numerator).cast("float64")
        den = count_where(base).cast("float64")
        out[f"m{index}_value"] = ibis.ifelse(den > 0, num / den, ibis.null("float64"))
        out[f"m{index}_num"] = num
        out[f"m{index}_den"] = den
        return out
    assert computation.value is not None
    known = base & table[columns.closed].notnull() & table[columns.created].notnull()
    value = only_where(duration_seconds(table, columns) / SECONDS_PER_UNIT[computation.value], known)
    if computation.aggregate == "mean":
        statistic = value.mean()
    elif computation.aggregate == "median":
        statistic = value.median() if computation.exact else value.approx_median()
    else:
        assert computation.percentile is not None
        p = computation.percentile
        statistic = value.quantile(p) if computation.exact else value.approx_quantile(p)
    out[f"m{index}_value"] = statistic.cast("float64")
    out[f"m{index}_num"] = ibis.null("float64")
    out[f"m{index}_den"] = count_where(known).cast("float64")
    return out


def compile_scan(
    table: ir.Table,
    scan: Scan,
    measures: Sequence[Measure],
    fiscal_start_month: int,
    periods: Sequence[dt.date] | None = None,
    columns: Columns | None = None,
) -> ir.Table:
    """One aggregate over ``table`` computing every measure of the scan.

    Output columns: ``period_start``, ``dimension_value``, ``load_min``, ``load_max`` and three per
    measure (see :func:`measure_columns`). ``periods`` limits the query to those period starts
    (incremental recompute).
    """
    columns = columns or Columns()
    start = period_start(table[scan.date_field], scan.grain, fiscal_start_month)
    dimension = table[scan.dimension] if scan.dimension else ibis.literal(CITYWIDE)
    shaped = table.mutate(period_start=start, dimension_value=dimension.cast("string").fill_null(""))
    shaped = shaped.filter(shaped[scan.date_field].notnull())
    if periods is not None:
        shaped = shaped.filter(shaped.period_start.isin(list(periods)))
    aggregates: dict[str, ir.Scalar] = {
        "load_min": shaped.load_id.min(),
        "load_max": shaped.load_id.max(),
    }
    for index, measure in enumerate(measures):
        aggregates.update(measure_columns(shaped, index, measure, columns))
    return shaped.group_by(["period_start", "dimension_value"]).aggregate(**aggregates)


def compile_sql(expr: ir.Expr, dialect: str, measure_ids: Sequence[str] = ()) -> str:
    """SQL text for ``dialect``; a feature the dialect cannot compute exactly is a named error."""
    try:
        return str(ibis.to_sql(expr, dialect=dialect))
    except (ibis_errors.OperationNotDefinedError, ibis_errors.UnsupportedOperationError) as exc:
        which = ", ".join(measure_ids) or "this measure"
        raise UnsupportedMeasureError(
            f"{dialect} cannot compute {which} exactly ({exc}); set 'exact: false' in the measure "
            "to allow the engine's approximate median/percentile"
        ) from None
