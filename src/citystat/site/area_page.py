"""The area pages as data: the boundary layers, one layer's areas (with a map of requests), and one
area against the city (:func:`citystat.site.areas.read_area_view`), in the page's language.

A layer's map shows the measure that counts the most requests on that layer (all 311 requests,
in the built-in catalogues), per 1,000 residents where the layer has a population.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from citystat.charts import AreaShape, RenderedChart, render_choropleth, render_locator
from citystat.charts.values import choose_digits, format_pair
from citystat.i18n import Lang, format_number, format_share, translate
from citystat.site.areas import (
    AreaInfo,
    AreaMeasure,
    Demographic,
    LayerInfo,
    get_layer_comparison,
    list_areas,
    list_layers,
    read_area_shapes,
    read_area_view,
)
from citystat.site.equity import PER
from citystat.site.page_parts import Cell, Table, format_figure, link_area, mark_source, name_layer
from citystat.site.reader import WarehouseReader

LAYER_ABOUT = {
    "neighborhood": "The city's statistical neighbourhoods.",
    "csa": "Groups of neighbourhoods that census figures are published for.",
    "council_district": "The districts that elect the City Council.",
    "police_district": "The police department's districts.",
    "tract": "Census tracts.",
}
# Demographics worth showing, in order: variable -> (label, how to write it).
DEMOGRAPHICS = {
    "Population": ("Residents", "count"),
    "MedianHHIncome": ("Median household income", "currency"),
    "PercentBelowPovertyLine": ("Living below the poverty line", "percent"),
    "Unemployment": ("Unemployment", "percent"),
    "PercentBlackAA": ("Black or African American", "percent"),
    "PercentWhite": ("White", "percent"),
    "PercentHispanic": ("Hispanic or Latino", "percent"),
    "PercentAsian": ("Asian", "percent"),
    "PercentUnder18": ("Under 18", "percent"),
    "Percent65Over": ("65 and over", "percent"),
    "PercentLimitedEnglishProficiency": ("Limited English", "percent"),
    "LifeExpectancy": ("Life expectancy (years)", "number"),
}

AREA_COLUMNS = ("Measure", "Year", "This area", "Whole city", "Compared with the city", "Rank (1 = best)")


@dataclass(frozen=True)
class LayerSummary:
    layer: str
    name: str
    about: str
    areas: int
    href: str


@dataclass(frozen=True)
class LayerPage:
    layer: str
    name: str
    about: str
    measure_name: str | None  # the requests measure the map shows
    measure_id: str | None
    period: str | None
    map: RenderedChart | None
    table: Table


@dataclass(frozen=True)
class Figure:
    term: str
    text: str


@dataclass(frozen=True)
class AreaPage:
    area: AreaInfo
    href: str  # this page's address
    layer_name: str
    layer_plural: str
    source_lang: Lang | None
    demographics: tuple[Figure, ...]
    table: Table | None
    better: int  # measures on which the area does better than the city
    worse: int
    compared: int
    locator: RenderedChart | None  # a small map picking out the area


# --- layers ------------------------------------------------------------------------------------


def summarize_layers(reader: WarehouseReader, lang: Lang) -> tuple[LayerSummary, ...]:
    return tuple(summarize_layer(info, lang) for info in list_layers(reader))


def summarize_layer(info: LayerInfo, lang: Lang) -> LayerSummary:
    return LayerSummary(
        layer=info.layer,
        name=name_layer(lang, info.layer, plural=True),
        about=translate(lang, LAYER_ABOUT.get(info.layer, "")),
        areas=info.areas,
        href=f"/areas/{info.layer}",
    )


def pick_requests_measure(comparison: Mapping[str, tuple[AreaMeasure, ...]]) -> str | None:
    """The count measure with the largest citywide value on the layer (all requests)."""
    counts = {
        m.measure.id: m.city_value or 0.0
        for items in comparison.values()
        for m in items
        if m.measure.unit == "count" and m.measure.computed and m.measure.direction == "none"
    }
    return max(sorted(counts), key=lambda k: counts[k], default=None)


def build_layer_page(reader: WarehouseReader, layer: str, lang: Lang) -> LayerPage:
    """One layer's areas, with the requests measure by area (raises NotFoundError)."""
    areas = list_areas(reader, layer)
    comparison = get_layer_comparison(reader, layer)
    measure_id = pick_requests_measure(comparison)
    found = {
        label: next((m for m in items if m.measure.id == measure_id), None)
        for label, items in comparison.items()
    }
    counts = count_requests(areas, found)
    with_population = any(a.population is not None for a in areas)
    columns = [translate(lang, "Area")]
    if with_population:
        columns.append(translate(lang, "Residents"))
    columns += [translate(lang, "Requests"), translate(lang, "Per 1,000 residents")] if measure_id else []
    rows = []
    for area in areas:
        row = [Cell(area.name, href=link_area(layer, area.area_id))]
        if with_population:
            row.append(Cell("–" if area.population is None else format_number(lang, area.population)))
        if measure_id:
            value, rate = counts[area.label]
            row.append(Cell(format_number(lang, value)))
            row.append(Cell("–" if rate is None else format_number(lang, rate, 1)))
        rows.append(tuple(row))
    if measure_id and not any(r[-1].text != "–" for r in rows):  # no rates: drop the column
        columns.pop()
        rows = [r[:-1] for r in rows]
    period = next((m.period_label for m in found.values() if m is not None), None)
    measure_name = next((m.measure.name for m in found.values() if m is not None), None)
    layer_name = name_layer(lang, layer, plural=True)
    table = Table(
        translate(lang, "{layers} and their requests, {period}", layers=layer_name, period=period or "–")
        if measure_id
        else layer_name,
        tuple(columns),
        tuple(rows),
        tuple(i > 0 for i in range(len(columns))),
    )
    chart = None
    if measure_id is not None and period is not None:
        chart = map_requests(reader, layer, areas, counts, lang, period)
    return LayerPage(
        layer=layer,
        name=layer_name,
        about=translate(lang, LAYER_ABOUT.get(layer, "")),
        measure_name=measure_name,
        measure_id=measure_id,
        period=period,
        map=chart,
        table=table,
    )


def count_requests(
    areas: tuple[AreaInfo, ...], found: Mapping[str, AreaMeasure | None]
) -> dict[str, tuple[float, float | None]]:
    """Area label -> (requests, requests per 1,000 residents where the population is known). An
    area with no stored count in a year the city had requests had none: 0, not "no data"."""
    out = {}
    for area in areas:
        item = found.get(area.label)
        value = 0.0 if item is None or item.value is None else item.value
        people = area.population
        out[area.label] = (value, value / people * PER if people else None)
    return out


def map_requests(
    reader: WarehouseReader,
    layer: str,
    areas: tuple[AreaInfo, ...],
    counts: Mapping[str, tuple[float, float | None]],
    lang: Lang,
    period: str,
) -> RenderedChart:
    per_person = any(rate is not None for _, rate in counts.values())
    values = {a.area_id: counts[a.label][1 if per_person else 0] for a in areas}
    words = "Requests per 1,000 residents, {period}" if per_person else "Requests, {period}"
    shapes = [AreaShape(s.area_id, s.name, s.geometry) for s in read_area_shapes(reader, layer)]
    return render_choropleth(translate(lang, words, period=period), "number", shapes, values, lang)


# --- one area ----------------------------------------------------------------------------------


def describe_comparison(lang: Lang, item: AreaMeasure) -> Cell:
    if item.value is not None and not item.enough:
        return Cell(translate(lang, "Too few requests to compare"), tag="none")
    if item.better is None:
        if item.difference is None:
            return Cell(translate(lang, "Not compared"), tag="none")
        if item.difference == 0:
            return Cell(translate(lang, "Same as the city"), tag="none")
        # a measure with no better direction (how many requests): higher or lower, no verdict
        words = "Higher than the city" if item.difference > 0 else "Lower than the city"
        return Cell(translate(lang, words), tag="none")
    if item.better:
        return Cell(translate(lang, "Better than the city"), tag="met")
    return Cell(translate(lang, "Worse than the city"), tag="missed")


def tabulate_area(area: AreaInfo, items: tuple[AreaMeasure, ...], lang: Lang) -> Table:
    rows = []
    for item in items:
        unit = item.measure.unit
        rate = item.per_1000 is not None and item.city_per_1000 is not None
        if rate:
            assert item.per_1000 is not None and item.city_per_1000 is not None
            here = translate(lang, "{value} per 1,000", value=format_number(lang, item.per_1000, 1))
            city = translate(lang, "{value} per 1,000", value=format_number(lang, item.city_per_1000, 1))
        elif item.value is not None and item.city_value is not None:
            # enough decimals that two different values never read the same
            digits = choose_digits(unit, [item.value, item.city_value], detailed=True)
            here, city = format_pair(lang, item.value, item.city_value, unit, digits)
        else:
            digits = choose_digits(unit, [item.value, item.city_value], detailed=True)
            here = format_figure(lang, item.value, unit, digits)
            city = format_figure(lang, item.city_value, unit, digits)
        rank = "–"
        if item.rank is not None:
            rank = translate(lang, "{rank} of {count}", rank=item.rank, count=item.ranked)
        rows.append(
            (
                Cell(item.measure.name, href=f"/measures/{item.measure.id}", lang=mark_source(lang)),
                Cell(item.period_label),
                Cell(here),
                Cell(city),
                describe_comparison(lang, item),
                Cell(rank),
            )
        )
    years = {item.period_label for item in items}
    if len(years) == 1:  # one year for every row: said once, in the caption
        (year,) = years
        caption = translate(lang, "How services reach {area}, {period}", area=area.name, period=year)
        columns = tuple(translate(lang, c) for c in AREA_COLUMNS if c != "Year")
        shorter = tuple((row[0], *row[2:]) for row in rows)
        return Table(caption, columns, shorter, (False, True, True, False, True))
    return Table(
        translate(lang, "How services reach {area}", area=area.name),
        tuple(translate(lang, c) for c in AREA_COLUMNS),
        tuple(rows),
        (False, False, True, True, False, True),
    )


def describe_demographics(demographics: tuple[Demographic, ...], lang: Lang) -> tuple[Figure, ...]:
    values = {d.variable: d.value for d in demographics if d.value is not None}
    out = []
    for variable, (label, kind) in DEMOGRAPHICS.items():
        value = values.get(variable)
        if value is None:
            continue
        if kind == "percent":  # published as 0-100
            text = format_share(lang, value / 100, 1)
        elif kind == "currency":
            text = "$" + format_number(lang, value)
        elif kind == "number":
            text = format_number(lang, value, 1)
        else:
            text = format_number(lang, value)
        out.append(Figure(translate(lang, label), text))
    return tuple(out)


def locate_area(reader: WarehouseReader, area: AreaInfo, lang: Lang) -> RenderedChart | None:
    shapes = [AreaShape(s.area_id, s.name, s.geometry) for s in read_area_shapes(reader, area.layer)]
    if not any(s.area_id == area.area_id for s in shapes):
        return None
    return render_locator(shapes, area.area_id, lang)


def build_area_page(reader: WarehouseReader, layer: str, area_id: str, lang: Lang) -> AreaPage:
    """One area against the city (raises NotFoundError for an unknown layer or area)."""
    view = read_area_view(reader, layer, area_id)
    compared = [m for m in view.measures if m.better is not None]
    return AreaPage(
        area=view.area,
        href=link_area(layer, area_id),
        layer_name=name_layer(lang, layer),
        layer_plural=name_layer(lang, layer, plural=True),
        source_lang=mark_source(lang),
        demographics=describe_demographics(view.demographics, lang),
        table=tabulate_area(view.area, view.measures, lang) if view.measures else None,
        better=sum(1 for m in compared if m.better),
        worse=sum(1 for m in compared if not m.better),
        compared=len(compared),
        locator=locate_area(reader, view.area, lang),
    )
