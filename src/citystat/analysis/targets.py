"""Target status per measure and period: met, near, missed, no target, not enough data.

Rules (each held by a constant or an argument):

- **Direction**: ``up`` is met when value ≥ target; ``down`` when value ≤ target; ``maintain``
  when the value is within the tolerance of the target (near: within twice the tolerance);
  ``none`` is not judged (status "not judged").
- **Near** means missed by no more than the tolerance: 2 percentage points for percents
  (stored as fractions, so 0.02) and 5% of the target (the pro-rated one, for cumulative
  measures) for every other unit. A caller may pass its own absolute tolerance. Boundaries are
  inclusive; differences below a billionth of the target count as rounding.
- **Fiscal years**: a target belongs to a fiscal year and applies to every period whose first
  day falls in that year (the city profile's ``fiscal_year_start_month``; FY2020 = July 2019 to
  June 2020 in Baltimore).
- **Cumulative measures** (values add up over the year) compare the year-to-date sum with the
  annual target pro-rated by elapsed periods: the k-th of n periods of the fiscal year is judged
  against target·k/n. Every earlier period of that fiscal year must be present, otherwise the
  status is "not enough data" (a partial year-to-date sum would look like a miss).
- **Small samples**: a ratio or statistic that rests on fewer than ``MIN_DENOMINATOR`` rows is
  "not enough data"; counts are their own size and are always judged.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import duckdb

from citystat.analysis.series import (
    MIN_DENOMINATOR,
    Observation,
    read_fiscal_start_month,
    read_series,
    rests_on_rows,
)
from citystat.catalog.model import Direction, Grain, Measure, Unit
from citystat.engine.periods import fiscal_year_of, label_period, next_period_start, python_period_start

PERCENT_TOLERANCE = 0.02  # two percentage points (percents are stored as 0-1 fractions)
RELATIVE_TOLERANCE = 0.05  # 5% of the target for every other unit

StatusName = Literal["met", "near", "missed", "no target", "not enough data", "not judged"]
Basis = Literal["period", "year to date"]
Problem = Literal["no value", "too few", "no target", "incomplete year"]


@dataclass(frozen=True)
class TargetRule:
    """What judging a measure against its targets needs to know."""

    direction: Direction
    unit: Unit
    targets: Mapping[int, float] = field(default_factory=dict)
    cumulative: bool = False
    rests_on_rows: bool = False  # ratio/mean/median/percentile: the denominator is a sample size


@dataclass(frozen=True)
class Comparison:
    """One period's value set against the target that applies to it (or why it cannot be)."""

    label: str
    period_start: dt.date
    fiscal_year: int
    basis: Basis
    value: float | None  # the period's value, or the year-to-date sum
    target: float | None  # the annual target, or its pro-rated share
    annual_target: float | None
    problem: Problem | None
    detail: str


@dataclass(frozen=True)
class TargetStatus:
    label: str
    period_start: dt.date
    fiscal_year: int
    status: StatusName
    basis: Basis
    value: float | None
    target: float | None
    annual_target: float | None
    tolerance: float | None
    reason: str


@dataclass(frozen=True)
class TargetReport:
    measure_id: str
    grain: Grain
    dimension: str
    dimension_value: str
    direction: Direction
    unit: Unit
    cumulative: bool
    statuses: tuple[TargetStatus, ...]


def rule_from_measure(measure: Measure, targets: Mapping[int, float] | None = None) -> TargetRule:
    """The rule for ``measure``; ``targets`` (e.g. the audited warehouse table) replace the catalog's."""
    return TargetRule(
        direction=measure.direction,
        unit=measure.unit,
        targets=dict(measure.targets if targets is None else targets),
        cumulative=measure.cumulative,
        rests_on_rows=rests_on_rows(measure),
    )


def tolerance_for(unit: Unit, target: float) -> float:
    """How far from the target still counts as "near"."""
    return PERCENT_TOLERANCE if unit == "percent" else abs(target) * RELATIVE_TOLERANCE


def format_value(value: float, unit: Unit) -> str:
    return f"{value * 100:.1f}%" if unit == "percent" else f"{value:,.6g}"


def format_gap(gap: float, unit: Unit) -> str:
    return f"{gap * 100:.3g} percentage points" if unit == "percent" else f"{gap:,.6g}"


def measure_shortfall(value: float, target: float, direction: Direction, tolerance: float) -> float:
    """How far ``value`` falls short of meeting the target (0 or less: met)."""
    if direction == "up":
        return target - value
    if direction == "down":
        return value - target
    if direction == "maintain":
        return abs(value - target) - tolerance
    raise ValueError("a measure with direction 'none' has no target status")


def classify(
    value: float, target: float, direction: Direction, tolerance: float
) -> Literal["met", "near", "missed"]:
    """met / near / missed (near: short by no more than ``tolerance``)."""
    shortfall = measure_shortfall(value, target, direction, tolerance)
    if shortfall <= 0 or reaches(shortfall, 0.0, target):
        return "met"
    return "near" if shortfall <= tolerance or reaches(shortfall, tolerance, target) else "missed"


def reaches(shortfall: float, bound: float, target: float) -> bool:
    """Boundaries are inclusive: 0.8 - 0.78 is 0.020000000000000018 in binary, and still "within
    two points". Differences below a billionth of the target are rounding, not performance."""
    return math.isclose(shortfall, bound, rel_tol=0.0, abs_tol=1e-9 * max(abs(target), 1e-9))


def start_of_fiscal_year(fiscal_year: int, fiscal_start_month: int) -> dt.date:
    return dt.date(fiscal_year if fiscal_start_month == 1 else fiscal_year - 1, fiscal_start_month, 1)


def list_periods_of_year(fiscal_year: int, grain: Grain, fiscal_start_month: int) -> list[dt.date]:
    """First days of the periods whose first day falls in ``fiscal_year``."""
    first_day = start_of_fiscal_year(fiscal_year, fiscal_start_month)
    end = start_of_fiscal_year(fiscal_year + 1, fiscal_start_month)
    start = python_period_start(first_day, grain, fiscal_start_month)
    if start < first_day:
        start = next_period_start(start, grain)
    starts = []
    while start < end:
        starts.append(start)
        start = next_period_start(start, grain)
    return starts


def compare_period(
    observation: Observation, rule: TargetRule, fiscal_year: int, min_denominator: int
) -> Comparison:
    annual = rule.targets.get(fiscal_year)
    value = observation.value

    def build(problem: Problem | None, detail: str) -> Comparison:
        return Comparison(
            observation.label,
            observation.period_start,
            fiscal_year,
            "period",
            value,
            annual,
            annual,
            problem,
            detail,
        )

    if annual is None:
        return build("no target", f"no target for FY{fiscal_year}")
    if value is None:
        return build("no value", "no value for this period")
    small = observation.denominator is not None and observation.denominator < min_denominator
    if rule.rests_on_rows and small:
        return build("too few", f"based on {observation.denominator:g} rows, fewer than {min_denominator}")
    return build(None, "")


def compare_year_to_date(
    observation: Observation,
    by_start: Mapping[dt.date, Observation],
    rule: TargetRule,
    fiscal_year: int,
    grain: Grain,
    fiscal_start_month: int,
) -> Comparison:
    periods = list_periods_of_year(fiscal_year, grain, fiscal_start_month)
    elapsed = [p for p in periods if p <= observation.period_start]
    annual = rule.targets.get(fiscal_year)
    missing = [p for p in elapsed if by_start.get(p) is None or by_start[p].value is None]
    share = len(elapsed) / len(periods)
    target = None if annual is None else annual * share
    total = None if missing else sum(by_start[p].value or 0.0 for p in elapsed)

    def build(problem: Problem | None, detail: str) -> Comparison:
        return Comparison(
            observation.label,
            observation.period_start,
            fiscal_year,
            "year to date",
            total,
            target,
            annual,
            problem,
            detail,
        )

    if annual is None:
        return build("no target", f"no target for FY{fiscal_year}")
    if missing:
        first = label_period(missing[0], grain, fiscal_start_month)
        return build(
            "incomplete year",
            f"the FY{fiscal_year} year-to-date sum needs every period since its start; {first} has no value",
        )
    return build(
        None,
        f"year to date ({len(elapsed)} of {len(periods)} periods) against the FY{fiscal_year} target"
        f" pro-rated to {len(elapsed)}/{len(periods)}",
    )


def compare_series(
    observations: Sequence[Observation],
    rule: TargetRule,
    *,
    grain: Grain,
    fiscal_start_month: int = 7,
    min_denominator: int = MIN_DENOMINATOR,
) -> tuple[Comparison, ...]:
    """Each period's value (or year-to-date sum) beside the target that applies to it."""
    by_start = {o.period_start: o for o in observations}
    comparisons = []
    for observation in observations:
        fiscal_year = fiscal_year_of(observation.period_start, fiscal_start_month)
        if rule.cumulative:
            comparisons.append(
                compare_year_to_date(observation, by_start, rule, fiscal_year, grain, fiscal_start_month)
            )
        else:
            comparisons.append(compare_period(observation, rule, fiscal_year, min_denominator))
    return tuple(comparisons)


def explain(comparison: Comparison, status: StatusName, rule: TargetRule, tolerance: float) -> str:
    value = comparison.value if comparison.value is not None else float("nan")
    target = comparison.target if comparison.target is not None else float("nan")
    unit = rule.unit
    met_when = {
        "up": f"at or above the target {format_value(target, unit)}",
        "down": f"at or below the target {format_value(target, unit)}",
        "maintain": f"within {format_gap(tolerance, unit)} of the target {format_value(target, unit)}",
    }[rule.direction]
    prefix = f"{comparison.detail}: " if comparison.detail else ""
    if status == "met":
        return f"{prefix}{format_value(value, unit)} is {met_when}"
    gap = format_gap(measure_shortfall(value, target, rule.direction, tolerance), unit)
    allowed = "within" if status == "near" else "more than"
    return (
        f"{prefix}{format_value(value, unit)} is not {met_when}: short by {gap},"
        f" {allowed} the {format_gap(tolerance, unit)} counted as near"
    )


def judge_comparison(comparison: Comparison, rule: TargetRule, tolerance: float | None) -> TargetStatus:
    def build(status: StatusName, band: float | None, reason: str) -> TargetStatus:
        return TargetStatus(
            comparison.label,
            comparison.period_start,
            comparison.fiscal_year,
            status,
            comparison.basis,
            comparison.value,
            comparison.target,
            comparison.annual_target,
            band,
            reason,
        )

    if rule.direction == "none":
        return build("not judged", None, "the measure has no desired direction")
    if comparison.problem == "no target":
        return build("no target", None, comparison.detail)
    if comparison.problem is not None or comparison.value is None or comparison.target is None:
        return build("not enough data", None, comparison.detail)
    band = tolerance if tolerance is not None else tolerance_for(rule.unit, comparison.target)
    status = classify(comparison.value, comparison.target, rule.direction, band)
    return build(status, band, explain(comparison, status, rule, band))


def judge_series(
    observations: Sequence[Observation],
    rule: TargetRule,
    *,
    grain: Grain,
    fiscal_start_month: int = 7,
    min_denominator: int = MIN_DENOMINATOR,
    tolerance: float | None = None,
) -> tuple[TargetStatus, ...]:
    """Target status of every period in ``observations`` (oldest first).

    ``tolerance`` (absolute, in the measure's unit) replaces the default "near" band.
    """
    comparisons = compare_series(
        observations,
        rule,
        grain=grain,
        fiscal_start_month=fiscal_start_month,
        min_denominator=min_denominator,
    )
    return tuple(judge_comparison(c, rule, tolerance) for c in comparisons)


def read_target_statuses(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    grain: Grain = "month",
    dimension: str = "",
    dimension_value: str = "",
    *,
    min_denominator: int = MIN_DENOMINATOR,
    tolerance: float | None = None,
) -> TargetReport:
    """Target status of a stored series, judged by the measure's newest definition against the
    audited targets in ``measure_targets`` and the warehouse's fiscal calendar."""
    series = read_series(con, measure_id, grain, dimension, dimension_value)
    rule = rule_from_measure(series.measure, series.targets)
    statuses = judge_series(
        series.observations,
        rule,
        grain=grain,
        fiscal_start_month=read_fiscal_start_month(con),
        min_denominator=min_denominator,
        tolerance=tolerance,
    )
    return TargetReport(
        measure_id=measure_id,
        grain=grain,
        dimension=dimension,
        dimension_value=dimension_value,
        direction=rule.direction,
        unit=rule.unit,
        cumulative=rule.cumulative,
        statuses=statuses,
    )
