"""A comparison as horizontal bars (one per area or measure), with an optional reference line such
as the city average. Each bar carries its value as a direct label; a missing value says "No data"."""

from __future__ import annotations

from collections.abc import Sequence

from citystat.charts import colours
from citystat.charts.model import RenderedChart
from citystat.charts.scale import LinearScale, build_scale
from citystat.charts.summary import summarize_ranking, summarize_reference
from citystat.charts.svg import draw_line, draw_text, element, make_chart_id, tooltip, wrap_svg
from citystat.charts.tables import tabulate_values
from citystat.charts.values import choose_digits, describe_unit, format_plain, keep_finite
from citystat.i18n import Lang, translate

WIDTH = 680
BAR_HEIGHT = 18
ROW_HEIGHT = 24
TOP = 40  # unit and reference label
BOTTOM = 32  # value axis
RIGHT = 72  # room for the value label of the longest bar
CHAR_WIDTH = 6.8  # average character width at 12px
MIN_NAME_WIDTH = 80
MAX_NAME_WIDTH = 240
REFERENCE_DASH = "8 4"


def shorten(name: str, width: float) -> str:
    """``name`` cut to fit ``width`` pixels, with an ellipsis (the full name is in the tooltip)."""
    fits = int(width // CHAR_WIDTH)
    return name if len(name) <= fits else name[: max(fits - 1, 1)].rstrip() + "…"


def anchor_inside(x: float, words: str) -> str:
    """Centre a label on ``x`` unless that would run it off the chart."""
    half = len(words) * CHAR_WIDTH / 2
    if x + half > WIDTH - 4:
        return "end"
    return "start" if x - half < 4 else "middle"


def draw_value_axis(lang: Lang, unit: str, scale: LinearScale, bottom: float) -> list[str]:
    digits = choose_digits(unit, scale.ticks)
    parts = []
    for tick in scale.ticks:
        x = scale.place(tick)
        parts.append(draw_line(x, TOP - 4, x, bottom, stroke=colours.GRID, class_="cs-grid"))
        text = format_plain(lang, tick, unit, digits)
        parts.append(draw_text(x, bottom + 18, text, anchor="middle", class_="cs-tick"))
    return parts


def draw_reference(x: float, bottom: float, words: str) -> list[str]:
    line = draw_line(
        x, TOP - 8, x, bottom, stroke=colours.REFERENCE, width=2, dash=REFERENCE_DASH, class_="cs-reference"
    )
    label = draw_text(
        x,
        TOP - 12,
        words,
        anchor=anchor_inside(x, words),
        fill=colours.REFERENCE,
        class_="cs-reference cs-label",
    )
    return [line, label]


def draw_bar(
    lang: Lang,
    unit: str,
    scale: LinearScale,
    y: float,
    name: str,
    value: float | None,
    digits: int,
    name_width: float,
) -> list[str]:
    """The name, the bar (or "No data") and the value label of one row."""
    middle = y + ROW_HEIGHT / 2 + 4
    zero = scale.place(0.0)
    parts = [draw_text(name_width + 4, middle, shorten(name, name_width), anchor="end", class_="cs-bar-name")]
    if value is None:
        no_data = translate(lang, "No data")
        return [
            *parts,
            draw_text(zero + 4, middle, no_data, fill=colours.MUTED, halo=True, class_="cs-no-data"),
        ]
    end = scale.place(value)
    text = format_plain(lang, value, unit, digits)
    bar = element(
        "rect",
        {
            "class": "cs-bar",
            "x": float(min(zero, end)),
            "y": float(y + (ROW_HEIGHT - BAR_HEIGHT) / 2),
            "width": float(abs(end - zero)),
            "height": float(BAR_HEIGHT),
            "fill": colours.VALUE,
        },
        tooltip(f"{name}: {text}"),
    )
    after, anchor = (end + 4, "start") if value >= 0 else (end - 4, "end")
    return [*parts, bar, draw_text(after, middle, text, anchor=anchor, halo=True, class_="cs-bar-value")]


def render_bars(
    title: str,
    unit: str,
    bars: Sequence[tuple[str, float | None]],
    lang: Lang,
    *,
    reference: float | None = None,
    reference_label: str | None = None,
    higher_is_better: bool | None = None,
    label_heading: str | None = None,
    chart_id: str | None = None,
) -> RenderedChart:
    """Bars in the order given. ``reference`` draws a labelled line (e.g. the city average);
    ``label_heading`` names the table's first column (default "Name")."""
    chart_id = chart_id or make_chart_id("bars", title, unit, tuple(bars), lang, reference, reference_label)
    reference_words = reference_label or translate(lang, "Reference")
    bars = [(name, keep_finite(value)) for name, value in bars]
    summary = summarize_ranking(lang, unit, bars, higher_is_better=higher_is_better)
    if reference is not None:
        summary += " " + summarize_reference(lang, unit, [v for _, v in bars], reference, reference_words)
    name_width = min(
        MAX_NAME_WIDTH, max(MIN_NAME_WIDTH, max((len(n) for n, _ in bars), default=0) * CHAR_WIDTH)
    )
    height = TOP + ROW_HEIGHT * max(len(bars), 1) + BOTTOM
    known = [v for _, v in bars if v is not None]
    scale = build_scale(
        [*known, *([reference] if reference is not None else [])],
        name_width + 12,
        WIDTH - RIGHT,
        include_zero=True,
    )
    digits = choose_digits(unit, [*known, reference], detailed=True)
    bottom = TOP + ROW_HEIGHT * len(bars)
    body = [draw_text(scale.start, 16, describe_unit(lang, unit), class_="cs-axis-title")]
    body += draw_value_axis(lang, unit, scale, bottom)
    if reference is not None:  # under the bars; its label stays above them
        words = f"{reference_words} {format_plain(lang, reference, unit, digits)}"
        body += draw_reference(scale.place(reference), bottom, words)
    for i, (name, value) in enumerate(bars):
        body += draw_bar(lang, unit, scale, TOP + ROW_HEIGHT * i, name, value, digits, name_width)
    zero = scale.place(0.0)
    body.append(draw_line(zero, TOP - 4, zero, bottom, stroke=colours.MUTED, class_="cs-axis"))
    svg = wrap_svg(chart_id, WIDTH, height, title, summary, body)
    table = tabulate_values(lang, title, label_heading or translate(lang, "Name"), unit, bars)
    return RenderedChart(svg, title, summary, table, chart_id)
