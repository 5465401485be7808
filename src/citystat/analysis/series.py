"""One measure's stored values as plain observations, plus what judging needs to know about it.

The readers here only read: the measure's newest definition (``measure_definitions``), its audited
targets (``measure_targets``), its values in force (:func:`citystat.engine.query.query_series`)
and the warehouse's city profile (for the fiscal calendar).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from citystat.catalog.model import Grain, Measure
from citystat.engine.periods import as_date
from citystat.engine.query import QueryError, SeriesBreak, query_series
from citystat.profiles import load_profile
from citystat.warehouse.city import DEFAULT_CITY
from citystat.warehouse.connection import get_meta

# A ratio, mean, median or percentile resting on fewer rows than this is too noisy to judge
# against a target or to score: it is reported as "not enough data" / "too few", never hidden.
MIN_DENOMINATOR = 10

# Units whose values cannot go below zero: XmR lower limits are clipped at 0 for these.
NON_NEGATIVE_UNITS = frozenset({"count", "percent", "days", "hours"})


@dataclass(frozen=True)
class Observation:
    """One period's value. ``denominator`` is the number of rows a ratio or statistic rests on
    (None for counts and reported values, whose size is not a sample size)."""

    label: str
    period_start: dt.date
    value: float | None
    denominator: float | None = None


@dataclass(frozen=True)
class MeasureSeries:
    """A measure's definition with its stored values for one grain and place, oldest first."""

    measure: Measure
    targets: dict[int, float]
    grain: Grain
    dimension: str
    dimension_value: str
    observations: tuple[Observation, ...]
    breaks: tuple[SeriesBreak, ...]


def rests_on_rows(measure: Measure) -> bool:
    """True when a value is a ratio or statistic over rows (its denominator is a sample size)."""
    return measure.computation is not None and measure.computation.aggregate != "count"


def cannot_go_below_zero(measure: Measure) -> bool:
    return measure.unit in NON_NEGATIVE_UNITS


def read_measure(con: duckdb.DuckDBPyConnection, measure_id: str) -> Measure:
    """The newest recorded definition of ``measure_id``."""
    row = con.execute(
        "SELECT definition FROM measure_definitions WHERE measure_id = ? ORDER BY version DESC LIMIT 1",
        [measure_id],
    ).fetchone()
    if row is None:
        raise QueryError(f"no measure {measure_id!r} in the warehouse; run 'citystat compute' first")
    return Measure.model_validate_json(str(row[0]))


def list_measure_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every measure recorded in the warehouse, by id."""
    rows = con.execute("SELECT DISTINCT measure_id FROM measure_definitions ORDER BY 1").fetchall()
    return [str(r[0]) for r in rows]


def read_targets(con: duckdb.DuckDBPyConnection, measure_id: str) -> dict[int, float]:
    """Fiscal year -> target, from the audited ``measure_targets`` table."""
    rows = con.execute(
        "SELECT fiscal_year, value FROM measure_targets WHERE measure_id = ? ORDER BY fiscal_year",
        [measure_id],
    ).fetchall()
    return {int(year): float(value) for year, value in rows}


def read_fiscal_start_month(con: duckdb.DuckDBPyConnection) -> int:
    """The first month of the fiscal year in the warehouse's city profile (read only)."""
    name = get_meta(con, "city_profile") or DEFAULT_CITY
    return load_profile(name).fiscal_year_start_month


def read_series(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    grain: Grain = "month",
    dimension: str = "",
    dimension_value: str = "",
) -> MeasureSeries:
    """One measure's values in force for one grain and place (``dimension=''``: the whole city).

    A computed count has no stored row for an area in a period when no request at all fell in
    that area then; here such a period reads 0, provided the city as a whole has a value for it
    (a period with no request anywhere is a gap in the data, and stays out).
    """
    measure = read_measure(con, measure_id)
    series = query_series(con, measure_id, grain=grain, dimension=dimension)
    observations = tuple(
        Observation(
            label=str(row["period_label"]),
            period_start=as_date(row["period_start"]),
            value=None if row["value"] is None else float(row["value"]),
            denominator=(
                float(row["denominator"])
                if rests_on_rows(measure) and row["denominator"] is not None
                else None
            ),
        )
        for row in series.rows
        if row["dimension_value"] == dimension_value
    )
    if dimension and measure.computation is not None and measure.computation.aggregate == "count":
        observations = fill_empty_periods(con, measure_id, grain, observations)
    return MeasureSeries(
        measure=measure,
        targets=read_targets(con, measure_id),
        grain=grain,
        dimension=dimension,
        dimension_value=dimension_value,
        observations=observations,
        breaks=tuple(series.breaks),
    )


def fill_empty_periods(
    con: duckdb.DuckDBPyConnection, measure_id: str, grain: Grain, observations: Sequence[Observation]
) -> tuple[Observation, ...]:
    """``observations`` of an area's count, with 0 for each period the citywide series has and
    the area lacks."""
    have = {o.period_start for o in observations}
    citywide = query_series(con, measure_id, grain=grain, dimension="")
    zeros = [
        Observation(str(row["period_label"]), as_date(row["period_start"]), 0.0)
        for row in citywide.rows
        if as_date(row["period_start"]) not in have
    ]
    return tuple(sorted([*observations, *zeros], key=lambda o: o.period_start))


def break_labels(series: MeasureSeries, observations: Sequence[Observation] | None = None) -> list[str]:
    """The first period label (among ``observations``, by default all) of each redefinition: a new
    version starts a new XmR segment."""
    labels = []
    for item in series.breaks:
        if item.effective_from is None:
            continue
        kept = series.observations if observations is None else observations
        later = [o for o in kept if o.period_start >= item.effective_from]
        if later:
            labels.append(later[0].label)
    return labels
