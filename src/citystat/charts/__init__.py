"""Accessible charts and maps rendered on the server as inline SVG.

Every chart comes back as a :class:`RenderedChart`: the ``<svg>`` (``role="img"``, named by its
``<title>`` and described by its ``<desc>``, no scripts, no external references), the title, a
plain-language summary and the data table that the page shows beside it. Text is in the page's
language (English or Spanish, through :mod:`citystat.i18n`).

- :func:`render_measure_chart`: a measure over time with XmR centre line, process limits, target
  and signals (:func:`build_measure_chart` makes its input from an XmR chart);
- :func:`render_bars`: a comparison, with an optional reference such as the city average;
- :func:`render_choropleth`: a map of areas shaded by value.

The SVG is written by hand rather than through Vega-Lite: see ``docs`` in the module docstrings
and the project's notes on charts for why.
"""

from citystat.charts.bars import render_bars
from citystat.charts.choropleth import render_choropleth
from citystat.charts.from_xmr import SIGNAL_NAMES, build_measure_chart, prefer_higher
from citystat.charts.measure import render_measure_chart
from citystat.charts.model import (
    AreaShape,
    ChartPoint,
    ChartSegment,
    ChartTable,
    MeasureChart,
    RenderedChart,
)
from citystat.charts.summary import summarize_change, summarize_ranking

__all__ = [
    "SIGNAL_NAMES",
    "AreaShape",
    "ChartPoint",
    "ChartSegment",
    "ChartTable",
    "MeasureChart",
    "RenderedChart",
    "build_measure_chart",
    "prefer_higher",
    "render_bars",
    "render_choropleth",
    "render_measure_chart",
    "summarize_change",
    "summarize_ranking",
]
