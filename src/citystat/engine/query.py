"""Read measure values back: one series per measure, grain and dimension, versions made visible.

For each period the version in force is shown (the newest version whose ``effective_from`` is on
or before the period start). A redefinition is a *series break*: the result lists it so that no
chart joins two definitions without saying so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

from citystat.catalog.model import Grain
from citystat.errors import CitystatError

VALUE_COLUMNS = (
    "measure_id",
    "version",
    "grain",
    "period_label",
    "period_start",
    "dimension",
    "dimension_value",
    "value",
    "numerator",
    "denominator",
    "note",
    "engine",
    "catalog_version",
    "load_ids",
    "computed_at",
)


class QueryError(CitystatError):
    """A query asks for a measure, grain or dimension the warehouse does not hold."""


@dataclass(frozen=True)
class SeriesBreak:
    version: int
    effective_from: dt.date | None
    title: str


@dataclass
class Series:
    measure_id: str
    grain: str
    dimension: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    breaks: list[SeriesBreak] = field(default_factory=list)


def list_breaks(con: duckdb.DuckDBPyConnection, measure_id: str) -> list[SeriesBreak]:
    rows = con.execute(
        "SELECT version, effective_from, title FROM measure_definitions"
        " WHERE measure_id = ? ORDER BY version",
        [measure_id],
    ).fetchall()
    if not rows:
        raise QueryError(f"no measure {measure_id!r} in the warehouse; run 'citystat compute' first")
    return [SeriesBreak(int(v), eff, str(t)) for v, eff, t in rows[1:]]


def query_series(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    grain: Grain = "month",
    dimension: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    all_versions: bool = False,
) -> Series:
    """Values of one measure by period (and dimension value), oldest first.

    ``start``/``end`` bound the period start (inclusive). ``all_versions`` returns every stored
    version instead of the one in force for each period.
    """
    breaks = list_breaks(con, measure_id)
    rows = query_values(
        con,
        measure_id=measure_id,
        grain=grain,
        dimension=dimension,
        start=start,
        end=end,
        all_versions=all_versions,
    )
    return Series(measure_id, grain, dimension, rows, breaks)


def query_values(
    con: duckdb.DuckDBPyConnection,
    *,
    measure_id: str | None,
    grain: Grain | None,
    dimension: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    all_versions: bool = False,
) -> list[dict[str, Any]]:
    """Rows of ``measure_values`` (:data:`VALUE_COLUMNS`) of one dimension, for one measure and
    grain or, when ``measure_id``/``grain`` is None, for every one, ordered by measure, grain,
    period, dimension value and version; the version in force only unless ``all_versions``."""
    cursor = select_values(
        con,
        measure_id=measure_id,
        grain=grain,
        dimension=dimension,
        start=start,
        end=end,
        all_versions=all_versions,
    )
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def select_values(
    con: duckdb.DuckDBPyConnection,
    *,
    measure_id: str | None,
    grain: Grain | None,
    dimension: str,
    start: dt.date | None = None,
    end: dt.date | None = None,
    all_versions: bool = False,
) -> duckdb.DuckDBPyConnection:
    """The query of :func:`query_values`, executed: fetch its rows as tuples or as Arrow."""
    select = ", ".join(f"v.{c}" for c in VALUE_COLUMNS)
    in_force = (
        ""
        if all_versions
        else "QUALIFY v.version = max(v.version)"
        " OVER (PARTITION BY v.measure_id, v.grain, v.period_start, v.dimension_value)"
    )
    return con.execute(
        f"""
        SELECT {select}
        FROM measure_values v
        JOIN measure_definitions d ON d.measure_id = v.measure_id AND d.version = v.version
        WHERE ($measure::VARCHAR IS NULL OR v.measure_id = $measure)
          AND ($grain::VARCHAR IS NULL OR v.grain = $grain) AND v.dimension = $dimension
          AND ($start::DATE IS NULL OR v.period_start >= $start::DATE)
          AND ($end::DATE IS NULL OR v.period_start <= $end::DATE)
          AND ($all OR d.effective_from IS NULL OR v.period_start >= d.effective_from)
        {in_force}
        ORDER BY v.measure_id, v.grain, v.period_start, v.dimension_value, v.version
        """,
        {
            "measure": measure_id,
            "grain": grain,
            "dimension": dimension,
            "start": start,
            "end": end,
            "all": all_versions,
        },
    )
