"""A CityScore-style composite: how the city, and each agency, is doing against its targets.

Per measure and period the score is value/target when higher is better (``up``), target/value
when lower is better (``down``), and min(value/target, target/value) when the target is to be
kept (``maintain``): 1.0 is exactly on target. Scores are capped to [0, ``SCORE_CAP``] = [0, 2]
so that one measure far ahead of its target cannot hide others behind. The composite of a period
is the plain average of the scored measures; every measure's contribution (or its reason for
being left out) is kept beside it, so nobody has to trust a single number.

Left out, and listed:

- **too few**: a ratio or statistic resting on fewer than ``MIN_DENOMINATOR`` rows;
- **no target**: no target for that fiscal year (and measures with no targets at all);
- **excluded**: no desired direction, no value, a target of 0 (a ratio to zero has no meaning),
  a negative value or target, or an incomplete year-to-date sum for a cumulative measure.

A value of 0 when lower is better scores the cap (the best possible); 0 when higher is better
scores 0. Cumulative measures are scored on their year-to-date sum against the pro-rated target
(see :mod:`citystat.analysis.targets`). The citywide composite averages every scored measure
(agency composites are not averaged again, so an agency with many measures weighs more).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Literal

import duckdb

from citystat.analysis.series import (
    MIN_DENOMINATOR,
    MeasureSeries,
    Observation,
    list_measure_ids,
    read_fiscal_start_month,
    read_measure,
    read_series,
)
from citystat.analysis.targets import Basis, Comparison, TargetRule, compare_series, rule_from_measure
from citystat.catalog.model import Direction, Grain

SCORE_CAP = 2.0
CITYWIDE = "Citywide"  # the agency of measures that name none
ALL_AGENCIES = "citywide (all agencies)"  # the scope of the composite over every measure

ContributionStatus = Literal["scored", "too few", "no target", "excluded"]


@dataclass(frozen=True)
class ScoredMeasure:
    """A measure's series, ready to score."""

    measure_id: str
    title: str
    agency: str
    rule: TargetRule
    observations: tuple[Observation, ...]


@dataclass(frozen=True)
class Ratio:
    score: float | None
    capped: bool
    reason: str


@dataclass(frozen=True)
class Contribution:
    measure_id: str
    agency: str
    label: str
    period_start: dt.date
    status: ContributionStatus
    score: float | None
    capped: bool
    basis: Basis
    value: float | None
    target: float | None
    reason: str


@dataclass(frozen=True)
class PeriodScore:
    label: str
    period_start: dt.date
    score: float | None  # None when no measure could be scored
    scored: int
    contributions: tuple[Contribution, ...]

    def left_out(self, status: ContributionStatus) -> tuple[str, ...]:
        return tuple(c.measure_id for c in self.contributions if c.status == status)


@dataclass(frozen=True)
class CompositeScore:
    scope: str  # an agency, or ALL_AGENCIES
    measure_ids: tuple[str, ...]
    periods: tuple[PeriodScore, ...]


@dataclass(frozen=True)
class CityScore:
    grain: Grain
    cap: float
    citywide: CompositeScore
    agencies: tuple[CompositeScore, ...]
    without_targets: tuple[str, ...]  # measures with no target in any fiscal year

    def agency(self, name: str) -> CompositeScore:
        return next(a for a in self.agencies if a.scope == name)


def score_value(value: float, target: float, direction: Direction, cap: float = SCORE_CAP) -> Ratio:
    """One value against its target (both already known to exist)."""
    if direction == "none":
        return Ratio(None, False, "the measure has no desired direction")
    if target == 0:
        return Ratio(None, False, "the target is 0, and a ratio to zero has no meaning")
    if value < 0 or target < 0:
        return Ratio(None, False, "a negative value or target cannot be scored as a ratio")
    if value == 0 and direction == "down":
        return Ratio(cap, True, "0 where lower is better: the best score, capped")
    if direction == "up":
        raw, how = value / target, "value / target"
    elif direction == "down":
        raw, how = target / value, "target / value (lower is better)"
    else:
        raw, how = (min(value / target, target / value) if value > 0 else 0.0), "closeness to the target"
    if raw > cap:
        return Ratio(cap, True, f"{how} = {raw:.4g}, capped at {cap:g}")
    return Ratio(raw, False, f"{how} = {raw:.4g}")


def score_comparison(measure: ScoredMeasure, comparison: Comparison, cap: float) -> Contribution:
    def build(status: ContributionStatus, ratio: Ratio) -> Contribution:
        return Contribution(
            measure.measure_id,
            measure.agency,
            comparison.label,
            comparison.period_start,
            status,
            ratio.score,
            ratio.capped,
            comparison.basis,
            comparison.value,
            comparison.target,
            ratio.reason,
        )

    if comparison.problem == "too few":
        return build("too few", Ratio(None, False, comparison.detail))
    if comparison.problem == "no target":
        return build("no target", Ratio(None, False, comparison.detail))
    if comparison.problem is not None or comparison.value is None or comparison.target is None:
        return build("excluded", Ratio(None, False, comparison.detail))
    ratio = score_value(comparison.value, comparison.target, measure.rule.direction, cap)
    return build("scored" if ratio.score is not None else "excluded", ratio)


def score_measure(
    measure: ScoredMeasure,
    *,
    grain: Grain,
    fiscal_start_month: int = 7,
    cap: float = SCORE_CAP,
    min_denominator: int = MIN_DENOMINATOR,
) -> tuple[Contribution, ...]:
    """Every period's contribution of one measure."""
    comparisons = compare_series(
        measure.observations,
        measure.rule,
        grain=grain,
        fiscal_start_month=fiscal_start_month,
        min_denominator=min_denominator,
    )
    return tuple(score_comparison(measure, c, cap) for c in comparisons)


def average_by_period(scope: str, contributions: Sequence[Contribution]) -> CompositeScore:
    """The composite of each period: the mean of its scored contributions."""
    ordered = sorted(contributions, key=lambda c: (c.period_start, c.measure_id))
    periods = []
    for (start, label), group in groupby(ordered, key=lambda c: (c.period_start, c.label)):
        members = tuple(group)
        scores = [c.score for c in members if c.status == "scored" and c.score is not None]
        mean = sum(scores) / len(scores) if scores else None
        periods.append(PeriodScore(label, start, mean, len(scores), members))
    ids = tuple(sorted({c.measure_id for c in contributions}))
    return CompositeScore(scope, ids, tuple(periods))


def score_city(
    measures: Sequence[ScoredMeasure],
    *,
    grain: Grain,
    fiscal_start_month: int = 7,
    cap: float = SCORE_CAP,
    min_denominator: int = MIN_DENOMINATOR,
) -> CityScore:
    """Composites per agency and citywide, from series at one grain."""
    by_measure = {
        m.measure_id: score_measure(
            m, grain=grain, fiscal_start_month=fiscal_start_month, cap=cap, min_denominator=min_denominator
        )
        for m in measures
    }
    everything = [c for contributions in by_measure.values() for c in contributions]
    agencies = sorted({m.agency for m in measures})
    return CityScore(
        grain=grain,
        cap=cap,
        citywide=average_by_period(ALL_AGENCIES, everything),
        agencies=tuple(average_by_period(a, [c for c in everything if c.agency == a]) for a in agencies),
        without_targets=tuple(sorted(m.measure_id for m in measures if not m.rule.targets)),
    )


def read_scored_measure(
    con: duckdb.DuckDBPyConnection,
    measure_id: str,
    grain: Grain,
    dimension: str = "",
    dimension_value: str = "",
) -> ScoredMeasure:
    return prepare_scored_measure(read_series(con, measure_id, grain, dimension, dimension_value))


def prepare_scored_measure(series: MeasureSeries) -> ScoredMeasure:
    """A series already read, ready to score (its audited targets as the rule's)."""
    measure = series.measure
    return ScoredMeasure(
        measure_id=measure.id,
        title=measure.title,
        agency=measure.agency or CITYWIDE,
        rule=rule_from_measure(measure, series.targets),
        observations=series.observations,
    )


def read_city_score(
    con: duckdb.DuckDBPyConnection,
    grain: Grain = "month",
    measure_ids: Sequence[str] = (),
    *,
    cap: float = SCORE_CAP,
    min_denominator: int = MIN_DENOMINATOR,
) -> CityScore:
    """The composite from stored citywide values of ``measure_ids`` (default: every measure
    recorded in the warehouse that is not retired), with the audited targets."""
    ids = list(measure_ids) or [i for i in list_measure_ids(con) if not read_measure(con, i).retired]
    measures = [read_scored_measure(con, i, grain) for i in ids]
    return score_city(
        measures,
        grain=grain,
        fiscal_start_month=read_fiscal_start_month(con),
        cap=cap,
        min_denominator=min_denominator,
    )
