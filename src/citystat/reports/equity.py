"""How fairly requests reach each area: rates per 1,000 residents, SEDT geographic disparity and
disparity indices, for the requests of one measure or one filter.

The population comes from the ``demographics`` table: both the synthetic demo city's CSA file and
the real NHP 2017 CSA indicators call it ``Population``; the ACS tract files call it
``total_race_pop`` (:data:`POPULATION_VARIABLES`). Indices are computed on

- requests per 1,000 residents, weighted by residents (a low rate may mean under-reporting, so the
  quintile ratio takes the lowest-rate fifth as the worst served);
- median days to close, weighted by closed requests (higher is worse), over areas with at least
  ``MIN_DENOMINATOR`` closed requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from citystat.analysis.equity import (
    Disparity,
    EquityError,
    GeographicDisparity,
    RateTable,
    RequestFilter,
    RequestsByArea,
    compute_geographic_disparity,
    compute_request_rates,
    measure_disparity,
    read_area_requests,
    read_demographic,
)
from citystat.analysis.series import MIN_DENOMINATOR, read_measure
from citystat.catalog.model import Measure

POPULATION_VARIABLES = {"csa": "Population", "tract": "total_race_pop"}


@dataclass(frozen=True)
class EquityReport:
    layer: str
    subject: str  # what was counted, in words
    where: RequestFilter
    requests: RequestsByArea
    population_variable: str
    rates: RateTable
    geographic: GeographicDisparity
    rate_disparity: Disparity
    days_disparity: Disparity | None  # None with fewer than 2 areas with enough closed requests
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        geo = self.geographic.by_area()
        return {
            "layer": self.layer,
            "subject": self.subject,
            "population_variable": self.population_variable,
            "requests": int(sum(r.requests for r in self.requests.areas.values())),
            "unlocated": self.requests.unlocated,
            "city_rate_per_1000": self.rates.city_rate,
            "rate_disparity": describe_disparity(self.rate_disparity),
            "days_disparity": None
            if self.days_disparity is None
            else describe_disparity(self.days_disparity),
            "areas": [
                {
                    "area": r.area,
                    "requests": r.requests,
                    "population": r.population,
                    "per_1000": r.rate,
                    "flags": rate_flags(r.no_requests, r.few_requests, r.low_rate, r.no_population),
                    "median_days_to_close": (
                        self.requests.areas[r.area].median_days_to_close
                        if r.area in self.requests.areas
                        else None
                    ),
                    "geographic_disparity": geo[r.area].disparity if r.area in geo else None,
                }
                for r in self.rates.areas
            ],
            "notes": list(self.notes),
        }


def describe_disparity(d: Disparity) -> dict[str, Any]:
    q = d.quintiles
    return {
        "areas": d.areas,
        "mean": d.mean,
        "gini": d.gini,
        "theil": d.theil,
        "quintile_ratio": None if q is None else q.ratio,
        "worst_quintile_mean": None if q is None else q.worst.mean,
        "best_quintile_mean": None if q is None else q.best.mean,
    }


def rate_flags(no_requests: bool, few: bool, low: bool, no_population: bool) -> list[str]:
    named = {
        "no requests": no_requests,
        "few requests": few and not no_requests,
        "low rate": low,
        "no population": no_population,
    }
    return [name for name, on in named.items() if on]


def filter_for_measure(measure: Measure) -> tuple[RequestFilter, list[str]]:
    """The requests a computed measure counts, as far as the equity readers can select them."""
    if measure.computation is None:
        raise EquityError(f"{measure.id} is reported by an agency, not computed from requests")
    rule = measure.computation.filter
    where = RequestFilter(
        agencies=tuple(rule.agencies),
        service_codes=tuple(rule.service_codes),
        service_code_prefixes=tuple(rule.service_code_prefixes),
        include_duplicates=measure.computation.include_duplicates,
    )
    other = [
        name
        for name in (
            "methods",
            "statuses",
            "closed",
            "closed_within_hours",
            "closed_by_due",
            "has_due",
            "in_city",
        )
        if getattr(rule, name) not in (None, [])
    ]
    notes = [f"the measure's other conditions ({', '.join(other)}) are not applied here"] if other else []
    return where, notes


def build_equity_report(
    con: duckdb.DuckDBPyConnection,
    *,
    layer: str = "csa",
    measure_id: str | None = None,
    where: RequestFilter | None = None,
    population_variable: str | None = None,
    min_closed: int = MIN_DENOMINATOR,
) -> EquityReport:
    """Equity of the requests of ``measure_id`` (its filter) or of ``where`` across ``layer``'s areas."""
    notes: list[str] = []
    if measure_id is not None:
        measure = read_measure(con, measure_id)
        where, notes = filter_for_measure(measure)
        subject = f"requests counted by {measure.id} ({measure.title})"
    else:
        where = where or RequestFilter()
        subject = describe_filter(where)
    variable = population_variable or POPULATION_VARIABLES.get(layer)
    if variable is None:
        raise EquityError(f"no population variable known for layer {layer!r}; pass one")
    requests = read_area_requests(con, layer, where)
    if not any(r.requests for r in requests.areas.values()):
        raise EquityError(f"no {subject} on layer {layer!r}")
    population = read_demographic(con, layer, variable)
    people = {a: e.value for a, e in population.items()}
    rates = compute_request_rates(requests.counts(), people)
    geographic = compute_geographic_disparity(requests.counts(), population)
    rate_values = {r.area: r.rate for r in rates.areas if r.rate is not None}
    rate_disparity = measure_disparity(
        rate_values, {a: people[a] for a in rate_values}, higher_is_better=True
    )
    enough = {
        a: r
        for a, r in requests.areas.items()
        if r.closed >= min_closed and r.median_days_to_close is not None
    }
    days_disparity = None
    if len(enough) >= 2:
        days_disparity = measure_disparity(
            {a: float(r.median_days_to_close or 0.0) for a, r in enough.items()},
            {a: float(r.closed) for a, r in enough.items()},
            higher_is_better=False,
        )
    left_out = len(requests.areas) - len(enough)
    if left_out:
        notes.append(
            f"{left_out} area(s) with fewer than {min_closed} closed requests left out of days to close"
        )
    if requests.unlocated:
        notes.append(f"{requests.unlocated:,} request(s) have no {layer} and are not in any area")
    return EquityReport(
        layer,
        subject,
        where,
        requests,
        variable,
        rates,
        geographic,
        rate_disparity,
        days_disparity,
        tuple(notes),
    )


def describe_filter(where: RequestFilter) -> str:
    parts = []
    if where.agencies:
        parts.append("agency " + " or ".join(where.agencies))
    if where.service_codes:
        parts.append("service " + " or ".join(where.service_codes))
    if where.service_code_prefixes:
        parts.append("service codes starting " + " or ".join(where.service_code_prefixes))
    return "requests" + (f" ({'; '.join(parts)})" if parts else " (all)")
