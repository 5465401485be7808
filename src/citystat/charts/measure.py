"""A measure over time as SVG: values joined by a line, XmR centre line and process limits, the
target, signal points marked by shape and colour, axes, a legend and direct labels on the lines."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from citystat.charts import colours
from citystat.charts.model import MeasureChart, RenderedChart
from citystat.charts.scale import LinearScale, build_scale, spread_labels
from citystat.charts.summary import summarize_change
from citystat.charts.svg import (
    draw_line,
    draw_text,
    element,
    format_coordinate,
    make_chart_id,
    tooltip,
    wrap_svg,
)
from citystat.charts.tables import choose_line_digits, tabulate_measure
from citystat.charts.values import (
    cannot_go_below_zero,
    choose_digits,
    describe_unit,
    format_plain,
    keep_finite,
)
from citystat.i18n import Lang, name_period, translate

WIDTH = 680
HEIGHT = 320
LEFT = 64  # y tick labels
RIGHT = 156  # direct labels of the lines
TOP = 48  # legend and y axis title
BOTTOM = 40  # x labels
POINT_RADIUS = 3.5
SIGNAL_SIZE = 6.5  # half the diamond's diagonal
LIMIT_DASH = "6 4"
TARGET_DASH = "12 4 2 4"
CHAR_WIDTH = 6.6  # average width of a character at 11px, to space the x labels
LABEL_GAP = 14  # between direct labels


@dataclass(frozen=True)
class Frame:
    """Where the plot sits and how values and periods map to it."""

    x0: float
    x1: float
    y: LinearScale
    step: float  # pixels per period

    def place_x(self, index: int) -> float:
        return self.x0 + self.step * (index + 0.5)


def list_segments(chart: MeasureChart) -> list[tuple[int, int, float | None, float | None, float | None]]:
    """(first index, last index, centre, lower, upper) of each stretch with its own limits."""
    labels = [p.label for p in chart.points]
    if not chart.segments:
        if not labels:
            return []
        return [(0, len(labels) - 1, chart.centre, chart.lower_limit, chart.upper_limit)]
    spans = []
    for s in chart.segments:
        if s.first not in labels or s.last not in labels:
            raise ValueError(f"segment {s.first}..{s.last} names a period that is not among the points")
        spans.append((labels.index(s.first), labels.index(s.last), s.centre, s.lower_limit, s.upper_limit))
    return spans


def build_frame(chart: MeasureChart) -> Frame:
    drawn = [p.value for p in chart.points if p.value is not None]
    for _, _, *lines in list_segments(chart):
        drawn += [v for v in lines if v is not None]
    if chart.target is not None:
        drawn.append(chart.target)
    drawn = [v for v in drawn if math.isfinite(v)]
    scale = build_scale(
        drawn,
        HEIGHT - BOTTOM,
        TOP,
        floor=0.0 if cannot_go_below_zero(chart.unit) else None,
        ceiling=1.0 if chart.unit == "percent" else None,
    )
    x0 = place_plot_left(scale, chart.unit)
    x1 = WIDTH - RIGHT
    return Frame(x0, x1, scale, (x1 - x0) / max(len(chart.points), 1))


def choose_tick_digits(step: float, unit: str) -> int:
    return max(0, -math.floor(math.log10(step)) - (2 if unit == "percent" else 0))


def place_plot_left(scale: LinearScale, unit: str) -> float:
    """Where the plot starts: far enough right for the widest y tick label (2,000,000 needs more
    room than 80%), never less than ``LEFT``."""
    digits = choose_tick_digits(scale.step, unit)
    widest = max((len(format_plain("en", t, unit, digits)) for t in scale.ticks), default=0)
    return max(LEFT, widest * CHAR_WIDTH + 16)


def draw_y_axis(frame: Frame, chart: MeasureChart, lang: Lang) -> list[str]:
    digits = choose_tick_digits(frame.y.step, chart.unit)
    parts = [
        draw_text(8, TOP - 12, describe_unit(lang, chart.unit), fill=colours.TEXT, class_="cs-axis-title")
    ]
    for tick in frame.y.ticks:
        y = frame.y.place(tick)
        parts.append(draw_line(frame.x0, y, frame.x1, y, stroke=colours.GRID, class_="cs-grid"))
        parts.append(
            draw_text(
                frame.x0 - 8,
                y + 4,
                format_plain(lang, tick, chart.unit, digits),
                anchor="end",
                class_="cs-tick",
            )
        )
    return parts


def draw_x_axis(frame: Frame, chart: MeasureChart, lang: Lang) -> list[str]:
    bottom = frame.y.start
    parts = [draw_line(frame.x0, bottom, frame.x1, bottom, stroke=colours.MUTED, class_="cs-axis")]
    count = len(chart.points)
    names = [name_period(lang, p.label, short=True) for p in chart.points]
    widest = max((len(name) for name in names), default=0) * CHAR_WIDTH + 10
    every = max(1, math.ceil(widest / frame.step)) if count else 1
    for i, name in enumerate(names):
        x = frame.place_x(i)
        parts.append(draw_line(x, bottom, x, bottom + 4, stroke=colours.MUTED))
        if (count - 1 - i) % every == 0:  # always label the latest period
            parts.append(draw_text(x, bottom + 18, name, anchor="middle", size=11, class_="cs-period"))
    return parts


def draw_value_line(frame: Frame, chart: MeasureChart) -> str:
    """One path through the values; a period without a value breaks the line."""
    commands = []
    pen_down = False
    for i, point in enumerate(chart.points):
        if point.value is None:
            pen_down = False
            continue
        x, y = format_coordinate(frame.place_x(i)), format_coordinate(frame.y.place(point.value))
        commands.append(f"{'L' if pen_down else 'M'}{x},{y}")
        pen_down = True
    if not commands:
        return ""
    return element(
        "path",
        {
            "class": "cs-values",
            "d": "".join(commands),
            "fill": "none",
            "stroke": colours.VALUE,
            "stroke-width": 2,
            "stroke-linejoin": "round",
        },
    )


def draw_diamond(x: float, y: float, size: float, *children: str, class_: str = "cs-point cs-signal") -> str:
    s = f"{size:g}"
    d = f"M{format_coordinate(x)},{format_coordinate(y - size)}l{s},{s}l-{s},{s}l-{s},-{s}z"
    return element(
        "path",
        {
            "class": class_,
            "d": d,
            "fill": colours.SIGNAL,
            "stroke": colours.SIGNAL_OUTLINE,
            "stroke-width": 1,
        },
        *children,
    )


def draw_points(frame: Frame, chart: MeasureChart, lang: Lang) -> list[str]:
    digits = choose_digits(chart.unit, [p.value for p in chart.points], detailed=True)
    parts = []
    for i, point in enumerate(chart.points):
        if point.value is None:
            continue
        x, y = frame.place_x(i), frame.y.place(point.value)
        words = f"{name_period(lang, point.label)}: {format_plain(lang, point.value, chart.unit, digits)}"
        if point.signal is None:
            parts.append(
                element(
                    "circle",
                    {
                        "class": "cs-point",
                        "cx": float(x),
                        "cy": float(y),
                        "r": POINT_RADIUS,
                        "fill": colours.VALUE,
                    },
                    tooltip(words),
                )
            )
        else:
            label = translate(lang, "signal: {rule}", rule=translate(lang, point.signal))
            parts.append(draw_diamond(x, y, SIGNAL_SIZE, tooltip(f"{words}; {label}")))
    return parts


def draw_limits(
    frame: Frame, chart: MeasureChart, lang: Lang
) -> tuple[list[str], list[tuple[float, str, str, str]]]:
    """Centre lines and limits per segment, the target; and the direct labels for lines that reach
    the right edge: (y, text, colour, class)."""
    digits = choose_line_digits(chart)
    target_digits = choose_digits(chart.unit, [chart.target], detailed=True)
    parts: list[str] = []
    labels: list[tuple[float, str, str, str]] = []
    segments = list_segments(chart)
    for first, last, centre, lower, upper in segments:
        if centre is None or lower is None or upper is None:
            continue
        left = frame.place_x(first) - frame.step / 2
        right = frame.place_x(last) + frame.step / 2
        reaches_end = last == len(chart.points) - 1

        def show(value: float) -> str:
            return format_plain(lang, value, chart.unit, digits)

        lines = (
            (
                upper,
                "cs-limit cs-upper",
                LIMIT_DASH,
                translate(lang, "Upper limit {value}", value=show(upper)),
            ),
            (centre, "cs-centre", None, translate(lang, "Centre {value}", value=show(centre))),
            (
                lower,
                "cs-limit cs-lower",
                LIMIT_DASH,
                translate(lang, "Lower limit {value}", value=show(lower)),
            ),
        )
        for value, class_, dash, text in lines:
            y = frame.y.place(value)
            parts.append(
                draw_line(left, y, right, y, stroke=colours.LIMIT, width=1.5, dash=dash, class_=class_)
            )
            if reaches_end:
                labels.append((y, text, colours.MUTED, class_))
    if chart.target is not None:
        y = frame.y.place(chart.target)
        parts.append(
            draw_line(
                frame.x0, y, frame.x1, y, stroke=colours.TARGET, width=2, dash=TARGET_DASH, class_="cs-target"
            )
        )
        text = translate(
            lang, "Target {value}", value=format_plain(lang, chart.target, chart.unit, target_digits)
        )
        labels.append((y, text, colours.TARGET, "cs-target"))
    return parts, labels


def draw_direct_labels(frame: Frame, labels: list[tuple[float, str, str, str]]) -> list[str]:
    spread = spread_labels([y for y, *_ in labels], LABEL_GAP, TOP, HEIGHT - BOTTOM)
    return [
        draw_text(frame.x1 + 8, y + 4, text, size=11, fill=colour, class_=f"{class_} cs-label")
        for y, (_, text, colour, class_) in zip(spread, labels, strict=True)
    ]


def draw_legend(chart: MeasureChart, lang: Lang) -> list[str]:
    x: float = LEFT
    parts = [
        element("circle", {"cx": float(x + 4), "cy": 12.0, "r": POINT_RADIUS, "fill": colours.VALUE}),
        draw_text(x + 14, 16, translate(lang, "Value")),
    ]
    if any(p.signal is not None for p in chart.points):
        x += 28 + CHAR_WIDTH * len(translate(lang, "Value"))
        parts += [
            draw_diamond(x + 4, 12, SIGNAL_SIZE, class_="cs-legend-signal"),
            draw_text(x + 16, 16, translate(lang, "Signal (not routine variation)")),
        ]
    return [element("g", {"class": "cs-legend"}, *parts)]


def draw_empty(lang: Lang) -> list[str]:
    return [
        draw_text(
            WIDTH / 2, HEIGHT / 2, translate(lang, "No values yet"), anchor="middle", fill=colours.MUTED
        )
    ]


def render_measure_chart(chart: MeasureChart, lang: Lang, *, chart_id: str | None = None) -> RenderedChart:
    """The chart as inline SVG, with its summary sentence and its data table."""
    chart_id = chart_id or make_chart_id("measure", chart, lang)
    chart = replace(chart, points=tuple(replace(p, value=keep_finite(p.value)) for p in chart.points))
    summary = summarize_change(chart, lang)
    if not any(p.value is not None for p in chart.points):
        body = draw_empty(lang)
    else:
        frame = build_frame(chart)
        limit_lines, labels = draw_limits(frame, chart, lang)
        body = [
            *draw_legend(chart, lang),
            *draw_y_axis(frame, chart, lang),
            *draw_x_axis(frame, chart, lang),
            *limit_lines,
            draw_value_line(frame, chart),
            *draw_points(frame, chart, lang),
            *draw_direct_labels(frame, labels),
        ]
    svg = wrap_svg(chart_id, WIDTH, HEIGHT, chart.title, summary, body)
    return RenderedChart(svg, chart.title, summary, tabulate_measure(chart, lang), chart_id)
