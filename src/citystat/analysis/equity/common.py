"""What the equity modules share: estimates with margins of error, confidence, the named error."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist

from citystat.errors import CitystatError

# ACS margins of error are published at the 90% level: SE = MOE / 1.645 (US Census Bureau,
# "Understanding and Using American Community Survey Data", 2020, ch. 8).
ACS_MOE_Z = 1.645


class EquityError(CitystatError, ValueError):
    """Inputs to an equity calculation cannot give a meaningful answer (empty, negative, mismatched)."""


@dataclass(frozen=True)
class Estimate:
    """A value with its published 90% margin of error (``moe``), or ``None`` when none is published."""

    value: float
    moe: float | None = None

    @property
    def standard_error(self) -> float | None:
        return None if self.moe is None else self.moe / ACS_MOE_Z


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval; ``significant`` when it excludes zero."""

    low: float
    high: float
    confidence: float

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0


def z_for(confidence: float) -> float:
    """The two-sided normal quantile: 0.95 -> 1.959964."""
    if not 0 < confidence < 1:
        raise EquityError(f"confidence must be between 0 and 1, not {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def interval_around(value: float, standard_error: float | None, confidence: float) -> Interval | None:
    if standard_error is None:
        return None
    half = z_for(confidence) * standard_error
    return Interval(value - half, value + half, confidence)


def check_weights(values: Mapping[str, float], weights: Mapping[str, float] | None) -> dict[str, float]:
    """The weight of every area in ``values`` (1 each when ``weights`` is None), all finite and >= 0."""
    if weights is None:
        return dict.fromkeys(values, 1.0)
    missing = sorted(set(values) - set(weights))
    if missing:
        raise EquityError(f"no weight for {len(missing)} area(s): {', '.join(missing[:5])}")
    out = {area: float(weights[area]) for area in values}
    bad = sorted(a for a, w in out.items() if not math.isfinite(w) or w < 0)
    if bad:
        raise EquityError(f"weights must be finite and >= 0; not so for: {', '.join(bad[:5])}")
    if math.fsum(out.values()) <= 0:
        raise EquityError("the weights sum to zero")
    return out


def check_values(values: Mapping[str, float], *, nonnegative: bool) -> dict[str, float]:
    if not values:
        raise EquityError("no areas given")
    out = {area: float(v) for area, v in values.items()}
    bad = sorted(a for a, v in out.items() if not math.isfinite(v) or (nonnegative and v < 0))
    if bad:
        need = "finite and >= 0" if nonnegative else "finite"
        raise EquityError(f"values must be {need}; not so for: {', '.join(bad[:5])}")
    return out
