"""Reports built from the analysis layer: one measure judged, the composite score, equity, briefings.

- :mod:`~citystat.reports.judge`: one measure series: XmR chart, target status, target assurance.
- :mod:`~citystat.reports.equity`: disparity indices, SEDT geographic disparity and rates per 1,000.
- :mod:`~citystat.reports.agency`: a one-agency CitiStat briefing in Markdown and HTML.
"""
