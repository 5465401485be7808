"""A measure over time: summary sentences (English and Spanish), the table beside the chart, the
lines drawn at the right values (read back through the chart's own tick labels) and the chart
input built from a real XmR computation whose limits are worked out here by hand."""

from __future__ import annotations

from typing import get_args

import pytest

from citystat.analysis.xmr import RuleName, build_chart
from citystat.charts import (
    SIGNAL_NAMES,
    ChartPoint,
    ChartSegment,
    MeasureChart,
    build_measure_chart,
    render_measure_chart,
    summarize_change,
)
from citystat.i18n import Lang
from tests.test_charts_svg import SVG, check_accessible, classes, find_by_class, read_axis

QUARTERS = ("FY2024 Q1", "FY2024 Q2", "FY2024 Q3", "FY2024 Q4", "FY2025 Q1", "FY2025 Q2", "FY2025 Q3")


def pothole_chart(target: float | None = None) -> MeasureChart:
    values = (0.80, 0.83, 0.79, 0.81, 0.84, 0.82, 0.64)
    points = tuple(ChartPoint(label, value) for label, value in zip(QUARTERS, values, strict=True))
    points = (*points[:-1], ChartPoint("FY2025 Q3", 0.64, "outside the limits"))
    return MeasureChart("On-time pothole repair", "percent", True, points, 0.815, 0.74, 0.89, target=target)


def series(
    title: str, unit: str, better: bool | None, values: list[float | None], limits: bool = True
) -> MeasureChart:
    points = tuple(ChartPoint(f"2025-{m:02d}", v) for m, v in enumerate(values, start=1))
    known = [v for v in values if v is not None]
    centre = sum(known) / len(known)
    if not limits:
        return MeasureChart(title, unit, better, points)
    return MeasureChart(title, unit, better, points, centre, centre * 0.5, centre * 1.5)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "On-time pothole repair fell from 82% to 64% in FY2025 Q3, which is worse;"
            " this is a signal (outside the limits).",
        ),
        (
            "es",
            "On-time pothole repair bajó de 82% a 64% en FY2025 Q3, lo que es peor;"
            " es una señal (fuera de los límites).",
        ),
    ],
)
def test_a_fall_in_a_higher_is_better_measure_is_worse_and_a_signal(lang: Lang, expected: str) -> None:
    assert summarize_change(pothole_chart(), lang) == expected
    assert render_measure_chart(pothole_chart(), lang).summary == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            "Median days to repair rose from 2.5 days to 3.0 days in March 2025, which is worse;"
            " no signal: the change is within normal variation.",
        ),
        (
            "es",
            "Median days to repair subió de 2,5 días a 3,0 días en marzo de 2025, lo que es peor;"
            " no es una señal: el cambio está dentro de la variación normal.",
        ),
    ],
)
def test_a_rise_in_a_lower_is_better_measure_is_worse(lang: Lang, expected: str) -> None:
    chart = series("Median days to repair", "days", False, [2.0, 2.5, 3.0])
    assert summarize_change(chart, lang) == expected


def test_direction_decides_better_or_worse_and_none_says_neither() -> None:
    hours = series("Median hours to close", "hours", False, [30.0, 24.5])
    assert summarize_change(hours, "en") == (
        "Median hours to close fell from 30.0 hours to 24.5 hours in February 2025, which is better;"
        " no signal: the change is within normal variation."
    )
    up = series("Share online", "percent", True, [0.40, 0.45])
    assert summarize_change(up, "en").startswith(
        "Share online rose from 40% to 45% in February 2025, which is better;"
    )
    requests = series("Requests", "count", None, [120.0, 135.0], limits=False)
    assert summarize_change(requests, "en") == (
        "Requests rose from 120 to 135 in February 2025. Not enough data for process limits."
    )
    assert summarize_change(requests, "es") == (
        "Requests subió de 120 a 135 en febrero de 2025. No hay datos suficientes para calcular los límites del proceso."
    )


def test_unchanged_single_and_missing_values() -> None:
    flat = series("On-time repair", "percent", True, [0.70, 0.80, 0.80])
    assert summarize_change(flat, "en") == "On-time repair stayed at 80% in March 2025; no signal."
    assert (
        summarize_change(flat, "es") == "On-time repair se mantuvo en 80% en marzo de 2025; no es una señal."
    )
    single = series("Requests", "count", None, [12.0], limits=False)
    assert (
        summarize_change(single, "en")
        == "Requests was 12 in January 2025. Not enough data for process limits."
    )
    assert summarize_change(single, "es") == (
        "Requests fue de 12 en enero de 2025. No hay datos suficientes para calcular los límites del proceso."
    )
    # the latest period has no value: the sentence is about the latest that has one
    gap = series("Requests", "count", None, [10.0, 14.0, None])
    assert summarize_change(gap, "en") == (
        "Requests rose from 10 to 14 in February 2025; no signal: the change is within normal variation."
    )
    one_day = series("Median days", "days", False, [1.0, 2.0], limits=False)
    assert summarize_change(one_day, "en").startswith(
        "Median days rose from 1 day to 2 days in February 2025"
    )
    assert summarize_change(one_day, "es").startswith(
        "Median days subió de 1 día a 2 días en febrero de 2025"
    )


def test_close_values_get_enough_decimals_to_differ() -> None:
    chart = series("On-time repair", "percent", True, [0.821, 0.824])
    assert summarize_change(chart, "en").startswith(
        "On-time repair rose from 82.1% to 82.4% in February 2025"
    )
    assert summarize_change(chart, "es").startswith(
        "On-time repair subió de 82,1% a 82,4% en febrero de 2025"
    )


@pytest.mark.parametrize(
    ("target", "en", "es"),
    [
        (0.80, "That is below the target of 80%.", "Está por debajo de la meta de 80%."),
        (0.60, "That is above the target of 60%.", "Está por encima de la meta de 60%."),
        (0.64, "That is at the target of 64%.", "Coincide con la meta de 64%."),
        (0.645, "That is below the target of 64.5%.", "Está por debajo de la meta de 64,5%."),
    ],
)
def test_target_sentence_says_where_the_latest_value_lies(target: float, en: str, es: str) -> None:
    chart = pothole_chart(target)
    assert summarize_change(chart, "en").endswith("(outside the limits). " + en)
    assert summarize_change(chart, "es").endswith("(fuera de los límites). " + es)


def test_table_rows_are_the_hand_formatted_values() -> None:
    table = render_measure_chart(pothole_chart(0.8), "en").table
    assert table.caption == "On-time pothole repair"
    assert table.columns == (
        "Period",
        "Value",
        "Centre line",
        "Lower limit",
        "Upper limit",
        "Target",
        "Signal",
    )
    assert table.rows[0] == ("FY2024 Q1", "80%", "81.5%", "74.0%", "89.0%", "80%", "")
    assert table.rows[-1] == ("FY2025 Q3", "64%", "81.5%", "74.0%", "89.0%", "80%", "outside the limits")
    assert [r[1] for r in table.rows] == ["80%", "83%", "79%", "81%", "84%", "82%", "64%"]
    spanish = render_measure_chart(pothole_chart(0.8), "es").table
    assert spanish.columns == (
        "Periodo",
        "Valor",
        "Línea central",
        "Límite inferior",
        "Límite superior",
        "Meta",
        "Señal",
    )
    assert spanish.rows[-1] == ("FY2025 Q3", "64%", "81,5%", "74,0%", "89,0%", "80%", "fuera de los límites")


def test_days_table_names_the_unit_and_marks_missing_values() -> None:
    chart = series("Median days", "days", False, [2.0, None, 3.5], limits=False)
    table = render_measure_chart(chart, "en").table
    assert table.columns == ("Period", "Value (days)")
    assert table.rows == (("January 2025", "2.0"), ("February 2025", "No data"), ("March 2025", "3.5"))
    assert render_measure_chart(chart, "es").table.rows[1] == ("febrero de 2025", "Sin datos")
    assert render_measure_chart(chart, "es").table.columns == ("Periodo", "Valor (días)")


def test_lines_and_points_are_drawn_at_their_values() -> None:
    rendered = render_measure_chart(pothole_chart(0.8), "en")
    root = check_accessible(rendered)
    value_at = read_axis(root, "y", offset=4)  # tick labels sit 4 px below their line
    tolerance = 0.0005  # coordinates have one decimal: 0.1 px is 0.0001 of a share here

    def level(name: str) -> float:
        (line,) = [n for n in find_by_class(root, name, "line") if "cs-label" not in classes(n)]
        assert line.get("y1") == line.get("y2")
        return value_at(float(line.get("y1", "nan")))

    assert level("cs-upper") == pytest.approx(0.89, abs=tolerance)
    assert level("cs-centre") == pytest.approx(0.815, abs=tolerance)
    assert level("cs-lower") == pytest.approx(0.74, abs=tolerance)
    assert level("cs-target") == pytest.approx(0.80, abs=tolerance)
    assert find_by_class(root, "cs-limit", "line")[0].get("stroke-dasharray") == "6 4"
    target = find_by_class(root, "cs-target", "line")[0]
    assert target.get("stroke-dasharray") == "12 4 2 4"  # its own dash pattern, not the limits'
    circles = find_by_class(root, "cs-point", "circle")
    assert [value_at(float(c.get("cy", "nan"))) for c in circles] == pytest.approx(
        [0.80, 0.83, 0.79, 0.81, 0.84, 0.82], abs=tolerance
    )
    (diamond,) = find_by_class(root, "cs-signal", "path")
    top = diamond.get("d", "").split("l")[0]  # "M x,y": the top corner, 6.5 px above the point
    assert value_at(float(top.split(",")[1]) + 6.5) == pytest.approx(0.64, abs=tolerance)
    assert diamond.find(SVG + "title").text == "FY2025 Q3: 64%; signal: outside the limits"  # type: ignore[union-attr]
    xs = [float(c.get("cx", "nan")) for c in circles]
    assert xs == sorted(xs)
    labels = {t.text: float(t.get("x", "nan")) for t in find_by_class(root, "cs-period", "text")}
    assert labels["FY2025 Q3"] == pytest.approx(float(top[1:].split(",")[0]), abs=0.1)
    direct = [t.text for t in root.iter(SVG + "text") if "cs-label" in classes(t)]
    assert direct == ["Upper limit 89.0%", "Centre 81.5%", "Lower limit 74.0%", "Target 80%"]


def test_value_line_breaks_at_a_missing_period() -> None:
    chart = series("Requests", "count", None, [10.0, 12.0, None, 11.0, 13.0], limits=False)
    root = check_accessible(render_measure_chart(chart, "en"))
    (line,) = find_by_class(root, "cs-values", "path")
    d = line.get("d", "")
    assert d.count("M") == 2 and d.count("L") == 2  # two runs of two points
    assert len(find_by_class(root, "cs-point", "circle")) == 4
    assert not find_by_class(root, "cs-limit") and not find_by_class(root, "cs-label")


# --- from the analysis layer -----------------------------------------------------------------

MONTHS = [f"2025-{m:02d}" for m in range(1, 13)]


def test_chart_input_from_a_real_xmr_chart() -> None:
    # Baseline of six: x̄ = 69/6 = 11.5; moving ranges 2,1,2,1,1 → mR̄ = 1.4; limits 11.5 ± 2.66·1.4
    # = 7.776 and 15.224; upper range limit 3.268·1.4 = 4.5752. The seventh value, 20, is outside the
    # limits and its jump of 9 from 11 is above the range limit.
    values = [10.0, 12.0, 11.0, 13.0, 12.0, 11.0, 20.0]
    xmr = build_chart(
        list(zip(MONTHS, values, strict=False)), baseline_size=6, min_points=6, non_negative=True
    )
    chart = build_measure_chart(
        "Requests", "count", xmr, direction="down", target=12.0, labels=["2024-12", *MONTHS[:7]]
    )
    assert chart.higher_is_better is False
    assert chart.points[0] == ChartPoint("2024-12", None, None)
    assert [p.value for p in chart.points[1:]] == values
    assert chart.points[-2] == ChartPoint("2025-06", 11.0, "an unusually large jump")
    assert chart.points[-1] == ChartPoint("2025-07", 20.0, "outside the limits")  # rule 1 named first
    assert [p.signal for p in chart.points[1:6]] == [None] * 5
    assert chart.centre == pytest.approx(11.5)
    assert chart.lower_limit == pytest.approx(7.776)
    assert chart.upper_limit == pytest.approx(15.224)
    assert chart.segments == ()
    assert summarize_change(chart, "en") == (
        "Requests rose from 11 to 20 in July 2025, which is worse; this is a signal (outside the limits)."
        " That is above the target of 12."
    )
    assert summarize_change(chart, "es") == (
        "Requests subió de 11 a 20 en julio de 2025, lo que es peor; es una señal (fuera de los límites)."
        " Está por encima de la meta de 12."
    )
    table = render_measure_chart(chart, "en").table
    assert table.rows[0] == ("December 2024", "No data", "11.5", "7.8", "15.2", "12", "")
    assert table.rows[-2][-1] == "an unusually large jump"


def test_each_segment_keeps_its_own_limits() -> None:
    # Two segments of six with the same pattern, the second 10 higher: centres 11.5 and 21.5, both
    # with mR̄ 1.4, so limits 7.776–15.224 and 17.776–25.224. The jump between them belongs to neither.
    values = [10.0, 12.0, 11.0, 13.0, 12.0, 11.0, 20.0, 22.0, 21.0, 23.0, 22.0, 21.0]
    xmr = build_chart(
        list(zip(MONTHS, values, strict=True)), baseline_size=6, min_points=6, change_points=["2025-07"]
    )
    chart = build_measure_chart("Requests", "count", xmr, direction="none")
    assert xmr.signals == ()
    assert chart.segments == (
        ChartSegment("2025-01", "2025-06", pytest.approx(11.5), pytest.approx(7.776), pytest.approx(15.224)),  # type: ignore[arg-type]
        ChartSegment("2025-07", "2025-12", pytest.approx(21.5), pytest.approx(17.776), pytest.approx(25.224)),  # type: ignore[arg-type]
    )
    rendered = render_measure_chart(chart, "en")
    assert (
        rendered.summary
        == "Requests fell from 22 to 21 in December 2025; no signal: the change is within normal variation."
    )
    root = check_accessible(rendered)
    value_at = read_axis(root, "y", offset=4)
    uppers = find_by_class(root, "cs-upper", "line")
    assert [value_at(float(u.get("y1", "nan"))) for u in uppers] == pytest.approx([15.224, 25.224], abs=0.01)
    circles = [float(c.get("cx", "nan")) for c in find_by_class(root, "cs-point", "circle")]
    step = circles[1] - circles[0]
    # the first segment's lines span its six periods, the second's the next six
    assert float(uppers[0].get("x1", "nan")) == pytest.approx(circles[0] - step / 2, abs=0.1)
    assert float(uppers[0].get("x2", "nan")) == pytest.approx(circles[5] + step / 2, abs=0.1)
    assert float(uppers[1].get("x1", "nan")) == pytest.approx(circles[6] - step / 2, abs=0.1)
    table = rendered.table
    assert table.rows[5][2:5] == ("11.5", "7.8", "15.2")
    assert table.rows[6][2:5] == ("21.5", "17.8", "25.2")


def test_a_new_segment_too_short_for_limits() -> None:
    values = [10.0, 12.0, 11.0, 13.0, 12.0, 11.0, 20.0]
    xmr = build_chart(
        list(zip(MONTHS, values, strict=False)), baseline_size=6, min_points=6, change_points=["2025-07"]
    )
    chart = build_measure_chart("Requests", "count", xmr, direction="up")
    assert chart.centre is None and chart.upper_limit is None  # the current segment has no limits
    assert summarize_change(chart, "en") == (
        "Requests rose from 11 to 20 in July 2025, which is better. Not enough data for process limits."
    )
    rendered = render_measure_chart(chart, "en")
    assert rendered.table.rows[-1] == (
        "July 2025",
        "20",
        "Not enough data",
        "Not enough data",
        "Not enough data",
    )
    root = check_accessible(rendered)
    # the first segment's lines stop at its end, so they carry no direct label at the right edge
    assert len(find_by_class(root, "cs-upper", "line")) == 1
    assert not find_by_class(root, "cs-label")


def test_every_detection_rule_has_a_plain_name() -> None:
    assert set(SIGNAL_NAMES) == set(get_args(RuleName))


def test_wheeler_rules_name_their_signal() -> None:
    # Same baseline (x̄ 11.5, limits 7.776-15.224): the midpoint to the upper limit is 13.362, and
    # 14, 14, 11, 14 puts three of four beyond it without leaving the limits.
    values = [10.0, 12.0, 11.0, 13.0, 12.0, 11.0, 14.0, 14.0, 11.0, 14.0]
    xmr = build_chart(list(zip(MONTHS, values, strict=False)), baseline_size=6, min_points=6, rules="wheeler")
    chart = build_measure_chart("Requests", "count", xmr, direction="none")
    named = "three of four points closer to a limit than to the centre"
    assert [p.signal for p in chart.points] == [None] * 6 + [named, named, None, named]
    assert (
        summarize_change(chart, "en")
        == f"Requests rose from 11 to 14 in October 2025; this is a signal ({named})."
    )
    assert summarize_change(chart, "es") == (
        "Requests subió de 11 a 14 en octubre de 2025; es una señal (tres de cuatro puntos más cerca de un límite que del centro)."
    )


def test_labels_must_cover_every_period_of_the_chart() -> None:
    xmr = build_chart(list(zip(MONTHS[:6], [1.0, 2.0, 3.0, 2.0, 1.0, 2.0], strict=True)))
    with pytest.raises(ValueError, match="2025-06"):
        build_measure_chart("Requests", "count", xmr, direction="up", labels=MONTHS[:5])


def test_plot_starts_right_of_the_widest_tick_label() -> None:
    """Tick labels end 8 px left of the plot: "2,000,000" (9 characters at about 6.6 px) needs the
    plot to start at 75.4 px, where "80%" leaves it at the usual 64."""
    from citystat.charts.measure import LEFT, build_frame

    millions = MeasureChart(
        "Materials", "count", True, (ChartPoint("Q1", 662_174.0), ChartPoint("Q2", 24.0)), target=2e6
    )
    shares = MeasureChart("On time", "percent", True, (ChartPoint("Q1", 0.8), ChartPoint("Q2", 0.7)))
    frame = build_frame(millions)
    assert frame.y.ticks[-1] == 2_000_000
    assert frame.x0 == pytest.approx(9 * 6.6 + 16)
    assert build_frame(shares).x0 == LEFT
    svg = render_measure_chart(millions, "en").svg
    assert 'x="67.4"' in svg  # the "2,000,000" label's right end, 8 px left of the plot
