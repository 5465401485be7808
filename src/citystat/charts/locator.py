"""A small map that shows where one area lies: every area of its layer in pale grey, the area
itself in dark blue with a thick outline (told apart by outline as well as colour)."""

from __future__ import annotations

from collections.abc import Sequence

from citystat.charts import colours
from citystat.charts.geometry import project_layer
from citystat.charts.model import AreaShape, ChartTable, RenderedChart
from citystat.charts.svg import element, make_chart_id, tooltip, wrap_svg
from citystat.i18n import Lang, translate

BOX = 280  # the map fits in a square of this many pixels
PAD = 8
OTHER_FILL = "#f0f0f0"
CHOSEN_FILL = "#08519c"  # the darkest "Blues" class: 7.9:1 against white, 6.9:1 against OTHER_FILL


def render_locator(shapes: Sequence[AreaShape], area_id: str, lang: Lang) -> RenderedChart:
    """The map of ``shapes`` with ``area_id`` picked out (drawn last, so its outline is whole)."""
    chosen = next((s for s in shapes if s.area_id == area_id), None)
    if chosen is None:
        raise ValueError(f"area {area_id!r} is not among the shapes")
    title = translate(lang, "Where {area} is", area=chosen.name)
    summary = translate(
        lang, "{area} is shaded dark blue on a map of all {count} areas.", area=chosen.name, count=len(shapes)
    )
    layer = project_layer(tuple(s.geometry for s in shapes), BOX, BOX)
    others = []
    mine = []
    for shape, path in zip(shapes, layer.paths, strict=True):
        if not path:
            continue
        if shape.area_id == area_id:
            style = {"fill": CHOSEN_FILL, "stroke": colours.TEXT, "stroke-width": 2}
            attributes = {"class": "cs-area cs-chosen", "d": path, **style}
            mine.append(element("path", attributes, tooltip(shape.name)))
        else:
            style = {"fill": OTHER_FILL}
            others.append(element("path", {"class": "cs-area", "d": path, **style}, tooltip(shape.name)))
    body = element(
        "g",
        {
            "transform": f"translate({PAD},{PAD})",
            "stroke": colours.AREA_OUTLINE,
            "stroke-width": 0.5,
            "stroke-linejoin": "round",
            "fill-rule": "evenodd",
        },
        *others,
        *mine,
    )
    chart_id = make_chart_id("locator", area_id, [s.area_id for s in shapes], lang)
    svg = wrap_svg(chart_id, layer.width + 2 * PAD, layer.height + 2 * PAD, title, summary, [body])
    table = ChartTable(title, (translate(lang, "Area"),), ((chosen.name,),))
    return RenderedChart(svg, title, summary, table, chart_id)
