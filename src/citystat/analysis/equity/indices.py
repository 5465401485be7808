"""How unequal a measure is across areas: Gini, Theil T (with a between/within split), quintile ratio.

Every function takes the measure per area (``values``) and, optionally, a weight per area
(``weights``: residents, households or requests). A weight says how many units each area's value
stands for, so a weighted index equals the unweighted index of the list in which each area is
repeated ``weight`` times (tested). Without weights each area counts once.

Formulas (``W`` = total weight, ``mu`` = weighted mean ``sum(w x) / W``):

- Gini: ``G = sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mu)``, computed in O(n log n) from the
  Lorenz curve of the areas sorted by value. It is the "population" Gini (no n/(n-1) correction):
  0 when all areas are equal, (n-1)/n when one of n equally weighted areas holds everything.
- Theil T: ``T = (1/W) sum_i w_i (x_i/mu) ln(x_i/mu)``, with ``0 ln 0 = 0``. 0 when all are equal,
  ln(n) when one of n equally weighted areas holds everything. For groups g (e.g. CSAs grouped
  into council districts) with weight ``W_g``, mean ``mu_g`` and share of the total
  ``s_g = W_g mu_g / (W mu)``: ``T = sum_g s_g T_g + sum_g s_g ln(mu_g / mu)`` exactly, the first
  sum being inequality *within* groups and the second *between* them (Theil 1967; Conceição &
  Ferreira, "The Young Person's Guide to the Theil Index", UTIP working paper 14, 2000).
- Quintile ratio: see :func:`compute_quintile_ratio`.

Gini and Theil need values >= 0 with a positive mean (counts, rates, days); they are
scale-free, so days or hours give the same index.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from citystat.analysis.equity.common import EquityError, check_values, check_weights

QUINTILES = 5


@dataclass(frozen=True)
class GroupTheil:
    """One group's part in a Theil decomposition."""

    group: str
    areas: int
    weight: float
    mean: float
    share: float  # s_g: the group's share of the weighted total of the measure
    theil: float  # T_g: inequality among the group's own areas
    within: float  # s_g * T_g
    between: float  # s_g * ln(mu_g / mu)


@dataclass(frozen=True)
class TheilDecomposition:
    total: float
    between: float
    within: float
    groups: tuple[GroupTheil, ...]

    @property
    def between_share(self) -> float | None:
        """The part of the total that lies between groups (None when the total is 0)."""
        return self.between / self.total if self.total > 0 else None


@dataclass(frozen=True)
class Quintile:
    """Quintile ``number`` 1 holds the areas with the lowest values, 5 the highest."""

    number: int
    areas: tuple[str, ...]
    weight: float
    mean: float | None  # weighted mean of the areas' values; None for an empty quintile


@dataclass(frozen=True)
class QuintileRatio:
    quintiles: tuple[Quintile, ...]
    best: Quintile
    worst: Quintile
    ratio: float | None  # worst.mean / best.mean; None when the best quintile's mean is 0


@dataclass(frozen=True)
class Disparity:
    """All three indices of one measure across areas."""

    areas: int
    mean: float
    gini: float
    theil: float
    quintiles: QuintileRatio | None  # None with fewer than 5 areas
    decomposition: TheilDecomposition | None  # None when no grouping was given


def weighted_mean(values: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    xs = check_values(values, nonnegative=False)
    ws = check_weights(xs, weights)
    return math.fsum(ws[a] * xs[a] for a in xs) / math.fsum(ws.values())


def _positive_mean(xs: dict[str, float], ws: dict[str, float]) -> tuple[float, float]:
    total_weight = math.fsum(ws.values())
    mean = math.fsum(ws[a] * xs[a] for a in xs) / total_weight
    if mean <= 0:
        raise EquityError("the weighted mean is zero: inequality is not defined")
    return total_weight, mean


def compute_gini(values: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """The weighted Gini coefficient of ``values`` (0 = equal, towards 1 = concentrated)."""
    xs = check_values(values, nonnegative=True)
    ws = check_weights(xs, weights)
    total_weight, mean = _positive_mean(xs, ws)
    total = total_weight * mean
    lorenz_area = 0.0  # sum_i w_i (S_{i-1} + S_i), S = running total of w x in value order
    running = 0.0
    for area in sorted(xs, key=lambda a: (xs[a], a)):
        before = running
        running += ws[area] * xs[area]
        lorenz_area += ws[area] * (before + running)
    return max(0.0, 1.0 - lorenz_area / (total_weight * total))


def compute_theil(values: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """The weighted Theil T index of ``values`` (0 = equal, ln(n) = one area holds everything)."""
    xs = check_values(values, nonnegative=True)
    ws = check_weights(xs, weights)
    return _theil(xs, ws)


def _theil(xs: dict[str, float], ws: dict[str, float]) -> float:
    total_weight, mean = _positive_mean(xs, ws)
    log_mean = math.log(mean)
    terms = [ws[a] * (xs[a] / mean) * (math.log(xs[a]) - log_mean) for a in xs if xs[a] > 0]
    return max(0.0, math.fsum(terms) / total_weight)


def decompose_theil(
    values: Mapping[str, float],
    groups: Mapping[str, str],
    weights: Mapping[str, float] | None = None,
) -> TheilDecomposition:
    """Split the Theil T of ``values`` into inequality between and within ``groups`` (area -> group)."""
    xs = check_values(values, nonnegative=True)
    ws = check_weights(xs, weights)
    missing = sorted(set(xs) - set(groups))
    if missing:
        raise EquityError(f"no group for {len(missing)} area(s): {', '.join(missing[:5])}")
    total_weight, mean = _positive_mean(xs, ws)
    members: dict[str, list[str]] = {}
    for area in sorted(xs):
        members.setdefault(groups[area], []).append(area)
    parts: list[GroupTheil] = []
    for group, areas in sorted(members.items()):
        g_weight = math.fsum(ws[a] for a in areas)
        g_sum = math.fsum(ws[a] * xs[a] for a in areas)
        if g_weight == 0 or g_sum == 0:
            # Contributes nothing: no weight, or every value 0 (s_g = 0 and 0 ln 0 = 0).
            parts.append(GroupTheil(group, len(areas), g_weight, 0.0, 0.0, 0.0, 0.0, 0.0))
            continue
        g_mean = g_sum / g_weight
        share = g_sum / (total_weight * mean)
        theil = _theil({a: xs[a] for a in areas}, {a: ws[a] for a in areas})
        between = share * (math.log(g_mean) - math.log(mean))
        parts.append(GroupTheil(group, len(areas), g_weight, g_mean, share, theil, share * theil, between))
    within = math.fsum(p.within for p in parts)
    between = math.fsum(p.between for p in parts)
    return TheilDecomposition(_theil(xs, ws), between, within, tuple(parts))


def assign_quintiles(
    values: Mapping[str, float], weights: Mapping[str, float] | None = None
) -> dict[str, int]:
    """Quintile 1..5 of each area: areas sorted by value (ties by name), and an area belongs to the
    quintile in which the midpoint of its cumulative weight falls: ``q = floor(5 (C - w/2) / W) + 1``
    with ``C`` the cumulative weight up to and including the area. Unweighted, 55 areas give five
    quintiles of 11; weighted by population, each quintile holds about a fifth of the residents."""
    xs = check_values(values, nonnegative=False)
    ws = check_weights(xs, weights)
    total_weight = math.fsum(ws.values())
    out: dict[str, int] = {}
    cumulative = 0.0
    for area in sorted(xs, key=lambda a: (xs[a], a)):
        cumulative += ws[area]
        midpoint = (cumulative - ws[area] / 2) / total_weight
        out[area] = min(QUINTILES, math.floor(QUINTILES * midpoint) + 1)
    return out


def compute_quintile_ratio(
    values: Mapping[str, float],
    weights: Mapping[str, float] | None = None,
    *,
    higher_is_better: bool,
) -> QuintileRatio:
    """Worst-served quintile of areas against the best-served: ``ratio = worst.mean / best.mean``.

    Quintiles are formed by :func:`assign_quintiles` (by weight when ``weights`` are given, else by
    count of areas); each quintile's value is the weighted mean of its areas. For a measure where
    higher is worse (days to close) the ratio is >= 1: "the slowest fifth waits 3.2 times as long
    as the fastest fifth"; where higher is better (share closed on time) it is <= 1.
    """
    xs = check_values(values, nonnegative=False)
    if len(xs) < QUINTILES:
        raise EquityError(f"quintiles need at least {QUINTILES} areas, got {len(xs)}")
    ws = check_weights(xs, weights)
    number = assign_quintiles(xs, ws)
    quintiles: list[Quintile] = []
    for q in range(1, QUINTILES + 1):
        areas = tuple(a for a in sorted(xs, key=lambda a: (xs[a], a)) if number[a] == q)
        weight = math.fsum(ws[a] for a in areas)
        mean = math.fsum(ws[a] * xs[a] for a in areas) / weight if weight > 0 else None
        quintiles.append(Quintile(q, areas, weight, mean))
    lowest, highest = quintiles[0], quintiles[-1]
    if lowest.mean is None or highest.mean is None:
        raise EquityError("an area holds over 40% of the weight, so the bottom or top quintile is empty")
    best, worst = (highest, lowest) if higher_is_better else (lowest, highest)
    assert best.mean is not None and worst.mean is not None
    ratio = worst.mean / best.mean if best.mean != 0 else None
    return QuintileRatio(tuple(quintiles), best, worst, ratio)


def measure_disparity(
    values: Mapping[str, float],
    weights: Mapping[str, float] | None = None,
    *,
    higher_is_better: bool,
    groups: Mapping[str, str] | None = None,
) -> Disparity:
    """Gini, Theil T (split by ``groups`` when given) and the quintile ratio of one measure."""
    xs = check_values(values, nonnegative=True)
    ws = check_weights(xs, weights)
    quintiles = compute_quintile_ratio(xs, ws, higher_is_better=higher_is_better) if len(xs) >= 5 else None
    return Disparity(
        areas=len(xs),
        mean=weighted_mean(xs, ws),
        gini=compute_gini(xs, ws),
        theil=_theil(xs, ws),
        quintiles=quintiles,
        decomposition=decompose_theil(xs, groups, ws) if groups is not None else None,
    )
