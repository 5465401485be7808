"""What the chart functions take and give back.

Inputs hold raw numbers in the measure's unit (percents as 0-1 shares, as stored); outputs hold
ready-to-insert SVG markup and text already formatted for the page's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChartTable:
    """The accessible table that goes beside every chart (the page renders it)."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]  # already formatted text for the language


@dataclass(frozen=True)
class RenderedChart:
    svg: str  # inline-able <svg>: accessible name and description set, no scripts, no external references
    title: str
    summary: str  # one or two plain-language sentences in the page's language
    table: ChartTable
    chart_id: str = ""  # the id of the <svg> element; its <title> and <desc> ids start with it


@dataclass(frozen=True)
class ChartPoint:
    label: str  # period label, e.g. "FY2025 Q3" or "2025-03"
    value: float | None
    signal: str | None = None  # plain rule name if this point is part of a signal, e.g. "outside the limits"


@dataclass(frozen=True)
class ChartSegment:
    """Centre line and limits over the points ``first`` to ``last`` (between two change points).

    ``centre`` is None when the segment has too few values for limits; nothing is drawn for it.
    """

    first: str
    last: str
    centre: float | None
    lower_limit: float | None
    upper_limit: float | None


@dataclass(frozen=True)
class MeasureChart:
    """One measure over time, with its XmR centre line and limits and its target.

    When ``segments`` is empty, ``centre``/``lower_limit``/``upper_limit`` span the whole chart;
    otherwise each segment's own limits are drawn over its points (``centre`` and the limits are
    then the current, last segment's, as in :class:`citystat.analysis.xmr.XmRChart`).
    """

    title: str  # measure name
    unit: str  # a citystat Unit: count, percent (0..1 shares), currency, days, hours, number
    higher_is_better: bool | None
    points: tuple[ChartPoint, ...]
    centre: float | None = None  # XmR centre line (None: not enough data)
    lower_limit: float | None = None
    upper_limit: float | None = None
    target: float | None = None
    segments: tuple[ChartSegment, ...] = ()


@dataclass(frozen=True)
class AreaShape:
    area_id: str
    name: str
    geometry: Any  # shapely Polygon or MultiPolygon in longitude/latitude
