"""Requests per 1,000 residents by area, with every area shown: none is dropped for having no requests.

``rate = requests / population * per``. The city rate counts only requests in areas with a known
population, over the population of those areas. Each area carries flags rather than being hidden:

- ``no_requests``: no request at all (rate 0);
- ``few_requests``: fewer than ``few`` requests, so the rate moves a lot with one request;
- ``low_rate``: below ``low_share`` times the city rate (possible under-reporting, or less need);
- ``no_population``: requests in an area with no known population (rate ``None``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from citystat.analysis.equity.common import EquityError, check_values

PER_THOUSAND = 1000.0


@dataclass(frozen=True)
class AreaRate:
    area: str
    requests: float
    population: float | None
    rate: float | None
    no_requests: bool
    few_requests: bool
    low_rate: bool
    no_population: bool


@dataclass(frozen=True)
class RateTable:
    areas: tuple[AreaRate, ...]  # population areas in area order, then areas without population
    city_rate: float
    requests: float  # in areas with population
    population: float
    per: float

    def by_area(self) -> dict[str, AreaRate]:
        return {a.area: a for a in self.areas}


def compute_request_rates(
    requests: Mapping[str, float],
    population: Mapping[str, float],
    *,
    per: float = PER_THOUSAND,
    few: int = 5,
    low_share: float = 0.5,
) -> RateTable:
    """Requests per ``per`` residents in every area of ``population`` (and of ``requests``)."""
    counts = check_values(requests, nonnegative=True) if requests else {}
    people = check_values(population, nonnegative=True)
    known = {a: p for a, p in people.items() if p > 0}
    total_people = math.fsum(known.values())
    total_requests = math.fsum(counts.get(a, 0.0) for a in known)
    if total_people <= 0:
        raise EquityError("the population sums to zero")
    city_rate = total_requests / total_people * per
    rows: list[AreaRate] = []
    for area in sorted(set(people) | set(counts), key=lambda a: (a not in known, a)):
        n = counts.get(area, 0.0)
        pop = people.get(area)
        rate = n / pop * per if pop else None
        rows.append(
            AreaRate(
                area=area,
                requests=n,
                population=pop,
                rate=rate,
                no_requests=n == 0,
                few_requests=n < few,
                low_rate=rate is not None and rate < low_share * city_rate,
                no_population=not pop,
            )
        )
    return RateTable(tuple(rows), city_rate, total_requests, total_people, per)
