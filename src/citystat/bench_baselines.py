"""The compute benchmark's baselines: the catalog by week × neighbourhood, written by hand.

Each baseline reads the measure definitions (:class:`~citystat.catalog.model.Computation`) and
computes them its own way, with no code from the engine's compiler: (a) one DuckDB SQL query with
a ``FILTER`` aggregate per measure, (b) pandas over the Parquet export, (c) polars lazy over the
same file. Every baseline returns one row per (week, neighbourhood) group, a ``week`` and a
``neighborhood`` column, and ``m{i}`` holding measure ``i``'s value (NULL/NaN where it has no
rows); :func:`to_long` turns that into the long form the benchmark compares.

Semantics, as the catalog defines them: a row belongs to the week (Monday) of ``created_at`` and
to its neighbourhood ('' when unknown); durations are ``closed_utc - created_utc`` in seconds (real
elapsed time between the stored UTC instants); rows closed as duplicates are left out unless a
measure includes them; counts are kept for every group (zero included), other measures only where
they have rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pyarrow as pa

from citystat.catalog.model import Computation, Filter, Measure

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import polars as pl

SOURCE_COLUMNS = (
    "created_at",
    "created_utc",
    "closed_utc",
    "due_utc",
    "service_code",
    "agency",
    "method_received",
    "status",
    "status_flag",
    "outside_city",
    "neighborhood",
)
TEXT_COLUMNS = ("service_code", "agency", "method_received", "status", "status_flag", "neighborhood")
UNIT_SECONDS = {"hours_to_close": 3600.0, "days_to_close": 86400.0}
LONG_SCHEMA = pa.schema(
    [
        ("measure_id", pa.string()),
        ("week", pa.date32()),
        ("neighborhood", pa.string()),
        ("value", pa.float64()),
    ]
)


def computations(measures: Sequence[Measure]) -> list[Computation]:
    """The measures' computations, refusing what the baselines do not implement."""
    out: list[Computation] = []
    for measure in measures:
        c = measure.computation
        if c is None or c.date_field != "created_at" or c.source != "service_requests":
            raise ValueError(f"the baselines compute service requests by created_at only ({measure.id})")
        if measure.effective_from is not None:
            raise ValueError(f"the baselines do not apply effective_from ({measure.id})")
        out.append(c)
    return out


# (a) DuckDB SQL -----------------------------------------------------------------------------------


def sql_filter(where: Filter, params: list[object]) -> list[str]:
    """SQL conditions for a filter; values are appended to ``params`` in placeholder order."""

    def one_of(column: str, values: Sequence[str]) -> str:
        params.extend(values)
        return f"{column} IN ({', '.join('?' * len(values))})"

    parts: list[str] = []
    if where.service_codes:
        parts.append(one_of("service_code", where.service_codes))
    if where.service_code_prefixes:
        params.extend(where.service_code_prefixes)
        parts.append(
            "(" + " OR ".join(["starts_with(service_code, ?)"] * len(where.service_code_prefixes)) + ")"
        )
    if where.agencies:
        parts.append(one_of("agency", where.agencies))
    if where.methods:
        parts.append(one_of("method_received", where.methods))
    if where.statuses:
        parts.append(one_of("lower(status)", [s.lower() for s in where.statuses]))
    if where.closed is not None:
        parts.append("closed_utc IS NOT NULL" if where.closed else "closed_utc IS NULL")
    if where.closed_within_hours is not None:
        params.append(where.closed_within_hours * 3600.0)
        parts.append("(closed_utc IS NOT NULL AND secs <= ?)")
    if where.has_due is not None:
        parts.append("due_utc IS NOT NULL" if where.has_due else "due_utc IS NULL")
    if where.closed_by_due is not None:
        on_time = "(closed_utc IS NOT NULL AND closed_utc <= due_utc)"
        parts.append(f"(due_utc IS NOT NULL AND {'' if where.closed_by_due else 'NOT '}{on_time})")
    if where.in_city:
        parts.append("NOT coalesce(outside_city, false)")
    return parts


def sql_where(c: Computation, params: list[object], *extra: Filter) -> str:
    parts = sql_filter(c.filter, params)
    for where in extra:
        parts += sql_filter(where, params)
    if not c.include_duplicates:
        parts.append("(status_flag IS NULL OR status_flag <> 'duplicate')")
    return " AND ".join(parts) or "true"


SqlStyle = Literal["filter", "case"]


def sql_aggregate(c: Computation, index: int, params: list[object], style: SqlStyle = "filter") -> str:
    """One measure as one aggregate (a template per aggregate kind).

    ``filter``: ``count(*) FILTER (WHERE ...)``, ``median(x) FILTER (WHERE ...)``, as most people
    write it. ``case``: ``count_if(...)``, ``median(CASE WHEN ... THEN x END)``, the same numbers.
    """
    if c.aggregate in ("count", "ratio"):

        def count(where: str) -> str:
            return f"count(*) FILTER (WHERE {where})" if style == "filter" else f"count_if({where})"

        if c.aggregate == "count":
            return f"{count(sql_where(c, params))} AS m{index}"
        assert c.numerator is not None
        num = count(sql_where(c, params, c.numerator))
        den = count(sql_where(c, params))
        return f"{num}::DOUBLE / nullif({den}, 0) AS m{index}"
    assert c.value is not None
    function = {"mean": "avg", "median": "median"}.get(c.aggregate, "quantile_cont")
    # quantile_cont needs a constant fraction: a float the model validated to lie in (0, 1).
    fraction = f", {float(c.percentile)!r}" if c.percentile is not None else ""
    unit = UNIT_SECONDS[c.value]
    if style == "filter":
        params.append(unit)
        where = sql_where(c, params) + " AND closed_utc IS NOT NULL"
        return f"{function}(secs / ?{fraction}) FILTER (WHERE {where}) AS m{index}"
    where = sql_where(c, params) + " AND closed_utc IS NOT NULL"
    params.append(unit)
    return f"{function}(CASE WHEN {where} THEN secs / ? END{fraction}) AS m{index}"


def build_sql(measures: Sequence[Measure], style: SqlStyle = "filter") -> tuple[str, list[object]]:
    """The whole catalog as one query over ``service_requests``, and its parameters."""
    params: list[object] = []
    aggregates = [sql_aggregate(c, i, params, style) for i, c in enumerate(computations(measures))]
    sql = (
        "SELECT date_trunc('week', created_at)::DATE AS week, coalesce(neighborhood, '') AS neighborhood,\n  "
        + ",\n  ".join(aggregates)
        + "\nFROM (SELECT *, epoch(closed_utc) - epoch(created_utc) AS secs FROM service_requests)"
        "\nGROUP BY 1, 2"
    )
    return sql, params


def compute_sql(
    con: duckdb.DuckDBPyConnection, measures: Sequence[Measure], style: SqlStyle = "filter"
) -> pa.Table:
    sql, params = build_sql(measures, style)
    return con.execute(sql, params).to_arrow_table()


# (b) pandas ---------------------------------------------------------------------------------------


def pandas_filter(df: pd.DataFrame, secs: pd.Series, where: Filter) -> pd.Series:
    import pandas as pd

    mask = pd.Series(True, index=df.index)
    if where.service_codes:
        mask &= df["service_code"].isin(where.service_codes)
    if where.service_code_prefixes:
        mask &= df["service_code"].str.startswith(tuple(where.service_code_prefixes)).fillna(False)
    if where.agencies:
        mask &= df["agency"].isin(where.agencies)
    if where.methods:
        mask &= df["method_received"].isin(where.methods)
    if where.statuses:
        mask &= df["status"].str.lower().isin([s.lower() for s in where.statuses])
    closed, due = df["closed_utc"], df["due_utc"]
    if where.closed is not None:
        mask &= closed.notna() if where.closed else closed.isna()
    if where.closed_within_hours is not None:
        mask &= closed.notna() & (secs <= where.closed_within_hours * 3600.0)
    if where.has_due is not None:
        mask &= due.notna() if where.has_due else due.isna()
    if where.closed_by_due is not None:
        on_time = closed.notna() & (closed <= due)
        mask &= due.notna() & (on_time if where.closed_by_due else ~on_time)
    if where.in_city:
        mask &= ~df["outside_city"].fillna(False).astype(bool)
    return mask


def compute_pandas(path: Path, measures: Sequence[Measure]) -> pd.DataFrame:
    """Group numbers once; per measure, a boolean mask, then counts of the selected group numbers
    (``value_counts``) or a groupby statistic over the selected rows."""
    import pandas as pd
    import pyarrow.parquet as pq

    # Text columns as categoricals: a few distinct values each, so masks work on the categories.
    df = pq.read_table(path, columns=list(SOURCE_COLUMNS), read_dictionary=list(TEXT_COLUMNS)).to_pandas()
    created = df["created_at"]
    week = created.dt.normalize() - pd.to_timedelta(created.dt.weekday, unit="D")
    neighborhood = df["neighborhood"]
    if "" not in neighborhood.cat.categories:
        neighborhood = neighborhood.cat.add_categories([""])
    keys = pd.DataFrame({"week": week, "neighborhood": neighborhood.fillna("")})
    grouped = keys.groupby(["week", "neighborhood"], observed=True, sort=True)
    group = grouped.ngroup()  # numbers follow the sorted keys, as grouped.size().index does
    every = pd.RangeIndex(grouped.ngroups)
    secs = (df["closed_utc"] - df["created_utc"]).dt.total_seconds()
    kept = df["status_flag"].isna() | (df["status_flag"] != "duplicate")

    def count(mask: pd.Series) -> pd.Series:
        return group[mask].value_counts().reindex(every, fill_value=0).astype("float64")

    out: dict[str, pd.Series] = {}
    for i, c in enumerate(computations(measures)):
        base = pandas_filter(df, secs, c.filter)
        if not c.include_duplicates:
            base &= kept
        if c.aggregate == "count":
            out[f"m{i}"] = count(base)
        elif c.aggregate == "ratio":
            assert c.numerator is not None
            den = count(base)
            out[f"m{i}"] = count(base & pandas_filter(df, secs, c.numerator)) / den.where(den > 0)
        else:
            assert c.value is not None
            known = base & df["closed_utc"].notna()
            values = (secs[known] / UNIT_SECONDS[c.value]).groupby(group[known])
            if c.aggregate == "mean":
                statistic = values.mean()
            elif c.aggregate == "median":
                statistic = values.median()
            else:
                statistic = values.quantile(c.percentile)
            out[f"m{i}"] = statistic.reindex(every)
    wide = pd.DataFrame(out)
    wide.index = grouped.size().index
    wide = wide.reset_index()
    wide["week"] = wide["week"].dt.date
    return wide


# (c) polars ---------------------------------------------------------------------------------------


def polars_filter(where: Filter) -> list[pl.Expr]:
    import polars as pl

    code, closed, due = pl.col("service_code"), pl.col("closed_utc"), pl.col("due_utc")
    parts: list[pl.Expr] = []
    if where.service_codes:
        parts.append(code.is_in(where.service_codes))
    if where.service_code_prefixes:
        parts.append(pl.any_horizontal([code.str.starts_with(p) for p in where.service_code_prefixes]))
    if where.agencies:
        parts.append(pl.col("agency").is_in(where.agencies))
    if where.methods:
        parts.append(pl.col("method_received").is_in(where.methods))
    if where.statuses:
        parts.append(pl.col("status").str.to_lowercase().is_in([s.lower() for s in where.statuses]))
    if where.closed is not None:
        parts.append(closed.is_not_null() if where.closed else closed.is_null())
    if where.closed_within_hours is not None:
        parts.append(closed.is_not_null() & (pl.col("secs") <= where.closed_within_hours * 3600.0))
    if where.has_due is not None:
        parts.append(due.is_not_null() if where.has_due else due.is_null())
    if where.closed_by_due is not None:
        on_time = closed.is_not_null() & (closed <= due).fill_null(False)
        parts.append(due.is_not_null() & (on_time if where.closed_by_due else ~on_time))
    if where.in_city:
        parts.append(~pl.col("outside_city").fill_null(False))
    return parts


def polars_where(c: Computation, *extra: Filter) -> pl.Expr:
    import polars as pl

    parts = polars_filter(c.filter)
    for where in extra:
        parts += polars_filter(where)
    if not c.include_duplicates:
        parts.append(pl.col("status_flag").is_null() | (pl.col("status_flag") != "duplicate"))
    return pl.all_horizontal([pl.lit(True), *parts]).fill_null(False)


def compute_polars(path: Path, measures: Sequence[Measure]) -> pl.DataFrame:
    """One lazy query: scan, derive week and seconds, one group_by with a filtered expression each."""
    import polars as pl

    aggregates: list[pl.Expr] = []
    for i, c in enumerate(computations(measures)):
        base = polars_where(c)
        if c.aggregate == "count":
            aggregates.append(base.sum().cast(pl.Float64).alias(f"m{i}"))
        elif c.aggregate == "ratio":
            assert c.numerator is not None
            num = polars_where(c, c.numerator).sum().cast(pl.Float64)
            den = base.sum().cast(pl.Float64)
            aggregates.append(pl.when(den > 0).then(num / den).alias(f"m{i}"))
        else:
            assert c.value is not None
            known = base & pl.col("closed_utc").is_not_null()
            value = (pl.col("secs") / UNIT_SECONDS[c.value]).filter(known)
            if c.aggregate == "mean":
                statistic = value.mean()
            elif c.aggregate == "median":
                statistic = value.median()
            else:
                assert c.percentile is not None
                statistic = value.quantile(c.percentile, interpolation="linear")
            aggregates.append(statistic.alias(f"m{i}"))
    created = pl.col("created_at")
    return (
        pl.scan_parquet(path)
        .select(list(SOURCE_COLUMNS))
        .with_columns(
            week=created.dt.truncate("1w").dt.date(),
            neighborhood=pl.col("neighborhood").fill_null(""),
            secs=(pl.col("closed_utc") - pl.col("created_utc")).dt.total_microseconds() / 1e6,
        )
        .group_by("week", "neighborhood")
        .agg(aggregates)
        .collect()
    )


# the long form ------------------------------------------------------------------------------------


def to_long(wide: pa.Table, measures: Sequence[Measure]) -> pa.Table:
    """(measure_id, week, neighborhood, value) rows, stored the way the engine stores them:
    counts for every group, other measures only where they have a value."""
    import pyarrow.compute as pc

    parts: list[pa.Table] = []
    week = wide.column("week").cast(pa.date32())
    neighborhood = wide.column("neighborhood").cast(pa.string())
    for i, measure in enumerate(measures):
        value = wide.column(f"m{i}").cast(pa.float64())
        part = pa.table(
            [pa.array([measure.id] * len(wide), pa.string()), week, neighborhood, value],
            schema=LONG_SCHEMA,
        )
        if measure.computation is None or measure.computation.aggregate != "count":
            part = part.filter(pc.and_(pc.is_valid(value), pc.invert(pc.is_nan(value))))
        parts.append(part)
    return pa.concat_tables(parts)
