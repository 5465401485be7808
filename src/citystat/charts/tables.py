"""The data tables that go beside the charts: the same numbers as the picture, as text."""

from __future__ import annotations

from collections.abc import Sequence

from citystat.charts.model import ChartTable, MeasureChart
from citystat.charts.summary import find_limits
from citystat.charts.values import choose_digits, format_plain, name_value_column
from citystat.i18n import Lang, name_period, translate


def format_cell(lang: Lang, value: float | None, unit: str, digits: int) -> str:
    return translate(lang, "No data") if value is None else format_plain(lang, value, unit, digits)


def choose_line_digits(chart: MeasureChart) -> int:
    """Decimals for the centre lines and limits (computed values: 81.7%, not 82%)."""
    lines = [v for p in chart.points for v in (find_limits(chart, p.label) or ())]
    return choose_digits(chart.unit, lines, detailed=True)


def tabulate_measure(chart: MeasureChart, lang: Lang) -> ChartTable:
    """One row per period: value, the limits that apply to it, the target and any signal."""
    numbers = [p.value for p in chart.points]
    digits = choose_digits(chart.unit, numbers, detailed=True)
    line_digits = choose_line_digits(chart)
    target_digits = choose_digits(chart.unit, [chart.target], detailed=True)
    limits = {p.label: find_limits(chart, p.label) for p in chart.points}
    with_limits = any(v is not None for v in limits.values())
    with_signal = any(p.signal is not None for p in chart.points)
    columns = [translate(lang, "Period"), name_value_column(lang, chart.unit)]
    if with_limits:
        columns += [
            translate(lang, "Centre line"),
            translate(lang, "Lower limit"),
            translate(lang, "Upper limit"),
        ]
    if chart.target is not None:
        columns.append(translate(lang, "Target"))
    if with_signal:
        columns.append(translate(lang, "Signal"))
    rows = []
    for point in chart.points:
        row = [name_period(lang, point.label), format_cell(lang, point.value, chart.unit, digits)]
        found = limits[point.label]
        if with_limits:
            row += (
                [translate(lang, "Not enough data")] * 3
                if found is None
                else [format_plain(lang, v, chart.unit, line_digits) for v in found]
            )
        if chart.target is not None:
            row.append(format_plain(lang, chart.target, chart.unit, target_digits))
        if with_signal:
            row.append("" if point.signal is None else translate(lang, point.signal))
        rows.append(tuple(row))
    return ChartTable(chart.title, tuple(columns), tuple(rows))


def tabulate_values(
    lang: Lang, caption: str, heading: str, unit: str, items: Sequence[tuple[str, float | None]]
) -> ChartTable:
    """Name and value, in the order given (bars) or the caller's order (maps)."""
    digits = choose_digits(unit, [v for _, v in items], detailed=True)
    rows = tuple((name, format_cell(lang, value, unit, digits)) for name, value in items)
    return ChartTable(caption, (heading, name_value_column(lang, unit)), rows)
