"""Accessible charts and maps rendered on the server as inline SVG.

Every chart comes back as a :class:`RenderedChart`: the ``<svg>`` (``role="img"``, named by its
``<title>`` and described by its ``<desc>``, no scripts, no external references), the title, a
plain-language summary and the data table that the page shows beside it. Text is in the page's
language (English or Spanish, through :mod:`citystat.i18n`).

- :func:`render_measure_chart`: a measure over time with XmR centre line, process limits, target
  and signals (:func:`build_measure_chart` makes its input from an XmR chart);
- :func:`render_bars`: a comparison, with an optional reference such as the city average;
- :func:`render_choropleth`: a map of areas shaded by value;
- :func:`render_locator`: a small map picking out one area among its layer's.

Why hand-written SVG rather than Altair/vl-convert (measured on the same 2-core machine): a
Vega-Lite layered line chart took 28-52 ms per render once warm and 360 ms on the first call in a
process, a 278-area geoshape map 45-57 ms (185 KB); Vega's SVG carries its own ARIA roles and
``aria-label`` on every mark, which would have to be stripped; its maps need every ring re-wound
for d3's spherical winding; its renderer writes no ``<title>`` tooltips (checked) and Vega-Lite has
no pattern fill to hatch "no data".
Written here, a chart takes 3 ms and the neighbourhood map 11 ms (100 ms on the first call, which
simplifies the boundaries and caches them), and every element is under test.
"""

from citystat.charts.bars import render_bars
from citystat.charts.choropleth import render_choropleth
from citystat.charts.from_xmr import SIGNAL_NAMES, build_measure_chart, prefer_higher
from citystat.charts.locator import render_locator
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
    "render_locator",
    "render_measure_chart",
    "summarize_change",
    "summarize_ranking",
]
