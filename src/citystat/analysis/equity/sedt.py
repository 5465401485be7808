"""Geographic and demographic disparity scores, following the Urban Institute's Spatial Equity Data Tool.

Method: Stern, Narayanan, Morrison, Torres Rodríguez, John and MacDonald, *Spatial Equity Data Tool
Documentation* (Urban Institute, 2025), https://ui-research.github.io/sedt_documentation/ —
chapter "Overview of the Spatial Equity Data Tool" (sedt_overview.html) and chapter 14
"Statistical Significance Calculations" (significance_calculations.html); and Narayanan, Stern and
MacDonald, *Spatial Equity Data Tool Technical Appendix* (Urban Institute, September 2020).

**Geographic disparity** of area i: the share of the resource (here: 311 requests) located in the
area minus the share of the baseline population living there,
``d_i = r_i / R - Y_i / Y``. SEDT reports it in percentage points; here it is a fraction (x100
for points). The resource share is a fixed count; the baseline share is an estimate, so
(SEDT ch. 14, from the Census Bureau's ACS formulas):

- eq. 14.1, the MOE of the total: ``MOE(Y) = sqrt(sum_j MOE(Y_j)^2)``;
- eq. 14.2, the MOE of a proportion: ``MOE(p_i) = sqrt(MOE(Y_i)^2 - p_i^2 MOE(Y)^2) / Y``; when the
  term under the root is negative the Census Bureau's guidance is to use the ratio formula
  ``sqrt(MOE(Y_i)^2 + p_i^2 MOE(Y)^2) / Y`` instead, which is done here;
- ``SE = MOE / 1.645``; ``SE(d_i) = SE(p_i)``; a 95% interval ``d_i +- 1.96 SE``; the disparity is
  *significant* when the interval excludes zero.

When the baseline has no margins of error (e.g. the Health Department's CSA populations) the
interval and the flag are ``None``: the score is shown without a claim of significance.

**Demographic disparity** of an attribute x (e.g. % Black residents, median household income):
SEDT "first estimates the demographic groups your resource data depicts by taking the average
demographics across all the tracts your data come from weighted by the amount of resource data in a
given tract", and compares it with the baseline population's. Here:
``A_r = sum_i a_i x_i`` with ``a_i = r_i / R`` (request-weighted average) and
``A_p = sum_i b_i x_i`` with ``b_i = P_i / P`` (population-weighted city average), over the areas
where x is known; ``D = A_r - A_p = sum_i (a_i - b_i) x_i``.

Its standard error is derived here (the SEDT chapter's demographic formulas could not be read in
full from the stored copy): the weights a_i and b_i are treated as fixed (request counts are
counts; the population has no published MOE in our sources) and the area estimates x_i as
independent, so by eq. 14.1 for a weighted sum ``SE(D) = sqrt(sum_i (a_i - b_i)^2 SE(x_i)^2)``,
``SE(A_r) = sqrt(sum_i a_i^2 SE(x_i)^2)`` and likewise for ``A_p``. Note that ``SE(D)`` is *not*
``sqrt(SE(A_r)^2 + SE(A_p)^2)``: both averages use the same estimates, and the formula above
accounts for that. A population-weighted average of tract *medians* is not the city median; it is
the comparison the method defines.

Intervals cover only the survey error of the baseline and attribute estimates. Request counts are
taken as fixed, as SEDT takes uploaded data; the randomness of a short or sampled extract (e.g. a
500-row random sample of a year) is not in them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from citystat.analysis.equity.common import (
    ACS_MOE_Z,
    EquityError,
    Estimate,
    Interval,
    check_values,
    interval_around,
)

DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class AreaGeographicDisparity:
    area: str
    resources: float
    resource_share: float  # r_i / R
    baseline: float
    baseline_share: float  # Y_i / Y
    disparity: float  # resource_share - baseline_share (a fraction; x100 for percentage points)
    standard_error: float | None  # SE of the baseline share; None without margins of error
    interval: Interval | None

    @property
    def significant(self) -> bool | None:
        return None if self.interval is None else self.interval.significant


@dataclass(frozen=True)
class GeographicDisparity:
    areas: tuple[AreaGeographicDisparity, ...]  # every baseline area, in area order, zero counts included
    total_resources: float  # R: resources in areas that have a baseline
    total_baseline: float  # Y
    unmatched: Mapping[str, float]  # resources in areas with no baseline (left out of R)
    confidence: float

    def by_area(self) -> dict[str, AreaGeographicDisparity]:
        return {a.area: a for a in self.areas}


@dataclass(frozen=True)
class DemographicDisparity:
    resource_average: float  # A_r: request-weighted average of the attribute
    baseline_average: float  # A_p: population-weighted average
    disparity: float  # A_r - A_p
    standard_error: float | None  # SE(D); None unless every area used has a margin of error
    interval: Interval | None
    resource_average_se: float | None
    baseline_average_se: float | None
    areas_used: int
    resources_used: float
    resources_excluded: float  # in areas where the attribute or population is missing
    population_used: float
    population_excluded: float

    @property
    def significant(self) -> bool | None:
        return None if self.interval is None else self.interval.significant


def baseline_share_moe(part: Estimate, share: float, total: float, total_moe: float) -> float:
    """SEDT eq. 14.2 (with the Census ratio-formula fallback when the radicand is negative)."""
    assert part.moe is not None
    radicand = part.moe**2 - share**2 * total_moe**2
    if radicand < 0:
        radicand = part.moe**2 + share**2 * total_moe**2
    return math.sqrt(radicand) / total


def compute_geographic_disparity(
    resources: Mapping[str, float],
    baseline: Mapping[str, Estimate],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
) -> GeographicDisparity:
    """Share of ``resources`` (e.g. requests per area) minus share of ``baseline`` (e.g. population)."""
    counts = check_values(resources, nonnegative=True) if resources else {}
    if not baseline:
        raise EquityError("no baseline areas given")
    base = check_values({a: e.value for a, e in baseline.items()}, nonnegative=True)
    total_baseline = math.fsum(base.values())
    if total_baseline <= 0:
        raise EquityError("the baseline sums to zero")
    unmatched = {a: n for a, n in sorted(counts.items()) if a not in base and n > 0}
    total = math.fsum(counts.get(a, 0.0) for a in base)
    if total <= 0:
        raise EquityError("no resources fall in any baseline area")
    with_moe = all(e.moe is not None for e in baseline.values())
    total_moe = math.sqrt(math.fsum(e.moe**2 for e in baseline.values() if e.moe is not None))
    rows: list[AreaGeographicDisparity] = []
    for area in sorted(base):
        count = counts.get(area, 0.0)
        r_share, b_share = count / total, base[area] / total_baseline
        disparity = r_share - b_share
        se = None
        if with_moe:
            se = baseline_share_moe(baseline[area], b_share, total_baseline, total_moe) / ACS_MOE_Z
        rows.append(
            AreaGeographicDisparity(
                area,
                count,
                r_share,
                base[area],
                b_share,
                disparity,
                se,
                interval_around(disparity, se, confidence),
            )
        )
    return GeographicDisparity(tuple(rows), total, total_baseline, unmatched, confidence)


def compute_demographic_disparity(
    resources: Mapping[str, float],
    population: Mapping[str, float],
    attribute: Mapping[str, Estimate],
    *,
    confidence: float = DEFAULT_CONFIDENCE,
) -> DemographicDisparity:
    """Request-weighted average of ``attribute`` minus its population-weighted city average."""
    counts = check_values(resources, nonnegative=True) if resources else {}
    people = check_values(population, nonnegative=True)
    known = {a: e for a, e in attribute.items() if math.isfinite(e.value)}
    used = sorted(a for a in known if a in people)
    resources_used = math.fsum(counts.get(a, 0.0) for a in used)
    population_used = math.fsum(people[a] for a in used)
    if resources_used <= 0:
        raise EquityError("no resources fall in areas where the attribute and population are known")
    if population_used <= 0:
        raise EquityError("no population in areas where the attribute is known")
    a = {area: counts.get(area, 0.0) / resources_used for area in used}
    b = {area: people[area] / population_used for area in used}
    resource_average = math.fsum(a[area] * known[area].value for area in used)
    baseline_average = math.fsum(b[area] * known[area].value for area in used)
    disparity = resource_average - baseline_average
    ses = {area: known[area].standard_error for area in used}
    se_d = se_r = se_p = None
    if all(s is not None for s in ses.values()):
        sq = {area: float(s) ** 2 for area, s in ses.items() if s is not None}
        se_d = math.sqrt(math.fsum((a[k] - b[k]) ** 2 * sq[k] for k in used))
        se_r = math.sqrt(math.fsum(a[k] ** 2 * sq[k] for k in used))
        se_p = math.sqrt(math.fsum(b[k] ** 2 * sq[k] for k in used))
    return DemographicDisparity(
        resource_average=resource_average,
        baseline_average=baseline_average,
        disparity=disparity,
        standard_error=se_d,
        interval=interval_around(disparity, se_d, confidence),
        resource_average_se=se_r,
        baseline_average_se=se_p,
        areas_used=len(used),
        resources_used=resources_used,
        resources_excluded=math.fsum(counts.values()) - resources_used,
        population_used=population_used,
        population_excluded=math.fsum(people.values()) - population_used,
    )
