"""A map of areas shaded by value: five quantile classes of ColorBrewer Blues, "no data" hatched,
a legend with each class's range, and each area's name and value as its tooltip.

Classes (nearest rank): with n known values sorted, class k of K (k = 1..K) ends at the value of
rank ceil(k·n/K); a value belongs to the first class whose end is at least the value. Equal ends
merge, so a map never has an empty class, and fewer distinct values give fewer classes. Each
class's legend range is the lowest and highest value actually in it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from citystat.charts import colours
from citystat.charts.geometry import project_layer
from citystat.charts.model import AreaShape, RenderedChart
from citystat.charts.summary import summarize_ranking
from citystat.charts.svg import draw_text, element, make_chart_id, tooltip, wrap_svg
from citystat.charts.tables import tabulate_values
from citystat.charts.values import choose_digits, describe_unit, format_plain, keep_finite
from citystat.i18n import Lang, translate

CLASSES = 5
MAP_BOX = 460  # the map fits in a square of this many pixels
PAD = 8
LEGEND_GAP = 24  # between the map and the legend
CHAR_WIDTH = 7.0  # average character width at 12px, to size the legend
SWATCH_W, SWATCH_H, LEGEND_ROW = 22, 14, 22
HATCH = 6  # pixels between hatch lines


def find_class_ends(values: Sequence[float], classes: int = CLASSES) -> tuple[float, ...]:
    """The upper end of each class (nearest-rank quantiles, duplicates merged), lowest first."""
    ordered = sorted(values)
    if not ordered:
        return ()
    ends = [ordered[math.ceil(k * len(ordered) / classes) - 1] for k in range(1, classes + 1)]
    return tuple(sorted(set(ends)))


def classify_value(value: float, ends: Sequence[float]) -> int:
    """The 0-based class of ``value``: the first class whose end is at least the value."""
    for index, end in enumerate(ends):
        if value <= end:
            return index
    return len(ends) - 1


def pick_palette(count: int) -> tuple[str, ...]:
    """``count`` colours of Blues-5, spread from light to dark (one class: the middle blue)."""
    if count == 1:
        return (colours.BLUES_5[2],)
    last = len(colours.BLUES_5) - 1
    return tuple(colours.BLUES_5[round(i * last / (count - 1))] for i in range(count))


def draw_hatch(pattern_id: str) -> str:
    return element(
        "pattern",
        {
            "id": pattern_id,
            "width": HATCH,
            "height": HATCH,
            "patternUnits": "userSpaceOnUse",
            "patternTransform": "rotate(45)",
        },
        element("rect", {"width": HATCH, "height": HATCH, "fill": colours.NO_DATA_FILL}),
        element(
            "line",
            {"x1": 0, "y1": 0, "x2": 0, "y2": HATCH, "stroke": colours.NO_DATA_HATCH, "stroke-width": 1.5},
        ),
    )


def draw_legend(
    x: float,
    lang: Lang,
    unit: str,
    ranges: Sequence[tuple[float, float]],
    palette: Sequence[str],
    digits: int,
    no_data_fill: str | None,
) -> tuple[str, float]:
    """The legend at ``x`` and its width."""
    parts = [
        draw_text(x, PAD + 12, describe_unit(lang, unit), weight="bold", class_="cs-axis-title"),
        draw_text(x, PAD + 28, translate(lang, "Darker: higher"), fill=colours.MUTED),
    ]
    texts = [describe_unit(lang, unit), translate(lang, "Darker: higher")]
    y = PAD + 40
    for (low, high), fill in zip(reversed(ranges), reversed(palette), strict=True):
        low_text, high_text = format_plain(lang, low, unit, digits), format_plain(lang, high, unit, digits)
        words = (
            low_text
            if low_text == high_text
            else translate(lang, "{low} to {high}", low=low_text, high=high_text)
        )
        texts.append(words)
        parts.append(swatch(x, y, fill, "cs-legend-class"))
        parts.append(draw_text(x + SWATCH_W + 8, y + 11, words))
        y += LEGEND_ROW
    if no_data_fill is not None:
        parts.append(swatch(x, y, no_data_fill, "cs-legend-no-data"))
        parts.append(draw_text(x + SWATCH_W + 8, y + 11, translate(lang, "No data")))
    width = max(len(t) for t in texts) * CHAR_WIDTH + SWATCH_W + 8
    return element("g", {"class": "cs-legend"}, *parts), width


def swatch(x: float, y: float, fill: str, class_: str) -> str:
    return element(
        "rect",
        {
            "class": class_,
            "x": float(x),
            "y": float(y),
            "width": SWATCH_W,
            "height": SWATCH_H,
            "fill": fill,
            "stroke": colours.AREA_OUTLINE,
            "stroke-width": 1,
        },
    )


def draw_areas(
    lang: Lang,
    unit: str,
    shapes: Sequence[AreaShape],
    paths: Sequence[str],
    known: Mapping[str, float],
    ends: Sequence[float],
    digits: int,
    hatch_id: str,
) -> str:
    """One path per area (areas without geometry are left out), class and colour by value."""
    palette = pick_palette(len(ends)) if ends else ()
    areas = []
    for shape, path in zip(shapes, paths, strict=True):
        if not path:
            continue
        value = known.get(shape.area_id)
        if value is None:
            class_, fill = "cs-area cs-no-data", f"url(#{hatch_id})"
            words = f"{shape.name}: {translate(lang, 'No data')}"
        else:
            index = classify_value(value, ends)
            class_, fill = f"cs-area cs-class-{index + 1}", palette[index]
            words = f"{shape.name}: {format_plain(lang, value, unit, digits)}"
        areas.append(element("path", {"class": class_, "d": path, "fill": fill}, tooltip(words)))
    return element(
        "g",
        {
            "class": "cs-areas",
            "transform": f"translate({PAD},{PAD})",
            "stroke": colours.AREA_OUTLINE,
            "stroke-width": 0.5,
            "stroke-linejoin": "round",
            "fill-rule": "evenodd",
        },
        *areas,
    )


def summarize_map(
    lang: Lang,
    unit: str,
    items: Sequence[tuple[str, float | None]],
    off_map: int,
    higher_is_better: bool | None,
) -> str:
    summary = summarize_ranking(lang, unit, items, higher_is_better=higher_is_better)
    if off_map:
        message = (
            "{count} value is for an area not on the map."
            if off_map == 1
            else "{count} values are for areas not on the map."
        )
        summary += " " + translate(lang, message, count=off_map)
    return summary


def render_choropleth(
    title: str,
    unit: str,
    shapes: Sequence[AreaShape],
    values: Mapping[str, float | None],
    lang: Lang,
    *,
    higher_is_better: bool | None = None,
    chart_id: str | None = None,
) -> RenderedChart:
    """The map of ``shapes`` shaded by ``values`` (keyed by ``area_id``; a missing, None or NaN
    value is "no data"). The table lists the areas in the order given, then any value whose area is
    not on the map (the summary counts those)."""
    chart_id = chart_id or make_chart_id(
        "map", title, unit, [(s.area_id, s.name) for s in shapes], sorted(values.items()), lang
    )
    hatch_id = f"{chart_id}-no-data"
    known = {s.area_id: v for s in shapes if (v := keep_finite(values.get(s.area_id))) is not None}
    numbers = list(known.values())
    ends = find_class_ends(numbers)
    members: list[list[float]] = [[] for _ in ends]
    for number in numbers:
        members[classify_value(number, ends)].append(number)
    digits = choose_digits(unit, numbers, detailed=True)
    layer = project_layer(tuple(s.geometry for s in shapes), MAP_BOX, MAP_BOX)
    areas = draw_areas(lang, unit, shapes, layer.paths, known, ends, digits, hatch_id)
    has_no_data = len(known) < len(shapes)
    legend_x = PAD + layer.width + LEGEND_GAP
    legend, legend_width = draw_legend(
        legend_x,
        lang,
        unit,
        [(min(m), max(m)) for m in members],
        pick_palette(len(ends)) if ends else (),
        digits,
        f"url(#{hatch_id})" if has_no_data else None,
    )
    legend_rows = len(ends) + (1 if has_no_data else 0)
    height = max(layer.height + 2 * PAD, PAD + 40 + LEGEND_ROW * legend_rows + PAD)
    on_map = {s.area_id for s in shapes}
    off_map = [(area_id, keep_finite(v)) for area_id, v in values.items() if area_id not in on_map]
    items = [(s.name, known.get(s.area_id)) for s in shapes]
    summary = summarize_map(lang, unit, items, len(off_map), higher_is_better)
    defs = [draw_hatch(hatch_id)] if has_no_data else []
    svg = wrap_svg(
        chart_id, legend_x + legend_width + PAD, height, title, summary, [areas, legend], defs=defs
    )
    table = tabulate_values(lang, title, translate(lang, "Area"), unit, [*items, *off_map])
    return RenderedChart(svg, title, summary, table, chart_id)
