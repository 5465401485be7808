"""Linear scales with round tick values, and spreading direct labels so they do not overlap."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LinearScale:
    """Maps data values in ``[low, high]`` to pixels in ``[start, end]`` (``end`` may be < ``start``)."""

    low: float
    high: float
    start: float
    end: float
    ticks: tuple[float, ...]
    step: float

    def place(self, value: float) -> float:
        return self.start + (value - self.low) / (self.high - self.low) * (self.end - self.start)


def choose_step(span: float, count: int) -> float:
    """A round step (1, 2 or 5 × 10^k) giving about ``count`` intervals over ``span``."""
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    error = raw / power
    if error >= math.sqrt(50):
        return power * 10
    if error >= math.sqrt(10):
        return power * 5
    if error >= math.sqrt(2):
        return power * 2
    return power


def build_scale(
    values: Sequence[float],
    start: float,
    end: float,
    *,
    count: int = 5,
    floor: float | None = None,
    ceiling: float | None = None,
    include_zero: bool = False,
) -> LinearScale:
    """A scale whose ends are round ticks just outside the values.

    ``floor``/``ceiling`` keep the ends inside what the unit allows (0 for durations, 1 for shares)
    when the values are; ``include_zero`` stretches the scale to 0 (bars start at 0).
    """
    low = min(values, default=0.0)
    high = max(values, default=1.0)
    if include_zero:
        low, high = min(low, 0.0), max(high, 0.0)
    if high == low:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
        if floor is not None and low < floor <= min(values, default=floor):
            low = floor
    step = choose_step(high - low, count)
    nice_low = math.floor(low / step + 1e-9) * step
    nice_high = math.ceil(high / step - 1e-9) * step
    if floor is not None and nice_low < floor <= low:
        nice_low = floor
    if ceiling is not None and nice_high > ceiling >= high:
        nice_high = ceiling
    digits = max(0, -math.floor(math.log10(step))) + 2
    first = math.ceil(nice_low / step - 1e-9)
    last = math.floor(nice_high / step + 1e-9)
    ticks = tuple(round(i * step, digits) for i in range(first, last + 1))
    return LinearScale(nice_low, nice_high, start, end, ticks, step)


def spread_labels(wanted: Sequence[float], gap: float, low: float, high: float) -> list[float]:
    """Move label positions (pixels, any order) as little as possible so that each is at least
    ``gap`` from the next, all within ``[low, high]``. Returns positions in the input order."""
    order = sorted(range(len(wanted)), key=lambda i: wanted[i])
    placed: list[float] = []
    for i in order:
        y = max(wanted[i], low)
        if placed and y < placed[-1] + gap:
            y = placed[-1] + gap
        placed.append(y)
    overflow = placed[-1] - high if placed else 0.0
    if overflow > 0:  # push the stack back up from the bottom edge
        placed[-1] -= overflow
        for k in range(len(placed) - 2, -1, -1):
            placed[k] = min(placed[k], placed[k + 1] - gap)
    result = [0.0] * len(wanted)
    for k, i in enumerate(order):
        result[i] = placed[k]
    return result
