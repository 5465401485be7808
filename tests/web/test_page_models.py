"""The page models behind the measure and area pages (citystat.site.measure_page, area_page):
the chart input from a judged measure, the disparity and demographics in words, the comparison
words and the measure a layer's map shows, with hand-computed expectations."""

from __future__ import annotations

import dataclasses

from citystat.site import WarehouseReader
from citystat.site.area_page import describe_comparison, describe_demographics, pick_requests_measure
from citystat.site.areas import Demographic, get_layer_comparison
from citystat.site.catalog import get_catalog
from citystat.site.equity import DisparityView
from citystat.site.measure import read_measure_view
from citystat.site.measure_page import build_chart_input, describe_disparity, pick_layer, tabulate_points


def test_chart_input_carries_values_limits_target_and_signals(demo_reader: WarehouseReader) -> None:
    view = read_measure_view(demo_reader, "city-on-time")
    chart = build_chart_input(view)
    assert [p.label for p in chart.points] == [p.label for p in view.points]
    assert [p.value for p in chart.points] == [p.value for p in view.points]
    assert chart.target == 0.8 and chart.unit == "percent" and chart.higher_is_better is True
    segment = view.segments[-1]
    assert (chart.centre, chart.lower_limit, chart.upper_limit) == (
        segment.centre,
        segment.lower,
        segment.upper,
    )
    assert chart.points[-1].signal == "outside the limits"  # 62% under a lower limit of 69.3%
    assert segment.lower is not None and chart.points[-1].value is not None
    assert chart.points[-1].value < segment.lower


def test_year_to_date_targets_draw_no_target_line(demo_reader: WarehouseReader) -> None:
    view = read_measure_view(demo_reader, "city-on-time")
    ytd = dataclasses.replace(
        view, points=tuple(dataclasses.replace(p, basis="year to date") for p in view.points)
    )
    assert build_chart_input(ytd).target is None


def test_points_table_in_spanish(demo_reader: WarehouseReader) -> None:
    table = tabulate_points(read_measure_view(demo_reader, "city-on-time"), "es")
    assert table.caption == "Requests closed by their due date: todos los periodos"
    assert [c.text for c in table.rows[-1][:4]] == ["junio de 2026", "62,2%", "80%", "Problema de datos"]
    assert table.rows[-1][3].tag == "issue"


def test_disparity_in_words() -> None:
    disparity = DisparityView(
        basis="value",
        higher_is_better=True,
        areas=12,
        mean=0.74,
        gini=0.0412,
        theil=0.003,
        quintile_ratio=0.81,
        worst_quintile=("Oarlock", "Marsh Elder"),
        best_quintile=("Egret Hill", "Lantern"),
        worst_mean=0.6372,
        best_mean=0.7941,
    )
    names = {"Oarlock": "Oarlock Terrace", "Marsh Elder": "Marsh Elder Reach"}
    assert describe_disparity(disparity, "percent", "csa", names, "en") == (
        "The fifth of community statistical areas served worst averaged 64%; the fifth served best averaged 79%.",
        "Served worst: Oarlock Terrace, Marsh Elder Reach.",
        "Across 12 community statistical areas the Gini index is 0.04 (0 would mean every area gets the same;"
        " the closer to 1, the more unequal).",
    )
    rates = dataclasses.replace(disparity, basis="per 1,000 residents", worst_mean=3.24, best_mean=12.5)
    sentences = describe_disparity(rates, "count", "neighborhood", {}, "es")
    assert sentences[0] == (
        "Solicitudes por cada 1.000 residentes: la quinta parte de barrios con la tasa más baja promedió 3,2,"
        " la quinta parte con la más alta 12,5."
    )
    assert sentences[1] == "Tasas más bajas: Oarlock, Marsh Elder."
    assert sentences[-1] == "Una tasa baja puede significar que los residentes no están llegando al servicio."


def test_layer_shown_first(demo_reader: WarehouseReader) -> None:
    catalog = get_catalog(demo_reader)
    assert pick_layer(catalog.find_measure("city-on-time"), None) == "csa"
    assert pick_layer(catalog.find_measure("city-on-time"), "neighborhood") == "neighborhood"
    assert pick_layer(catalog.find_measure("ecc-information-requests"), None) is None  # no values by area


def test_layer_map_shows_all_requests(demo_reader: WarehouseReader) -> None:
    comparison = get_layer_comparison(demo_reader, "csa")
    assert pick_requests_measure(comparison) == "city-requests"
    assert pick_requests_measure({}) is None


def test_comparison_words(demo_reader: WarehouseReader) -> None:
    items = {m.measure.id: m for m in next(iter(get_layer_comparison(demo_reader, "csa").values()))}
    median = items["city-median-days"]
    worse = dataclasses.replace(median, value=9.0, city_value=5.0, difference=4.0, better=False, enough=True)
    better = dataclasses.replace(worse, value=2.0, difference=-3.0, better=True)
    few = dataclasses.replace(worse, enough=False, better=None)
    same = dataclasses.replace(worse, value=5.0, difference=0.0, better=None)
    assert describe_comparison("en", worse).text == "Worse than the city"
    assert describe_comparison("en", worse).tag == "missed"
    assert describe_comparison("es", better).text == "Mejor que la ciudad"
    assert describe_comparison("en", few).text == "Too few requests to compare"
    assert describe_comparison("en", same).text == "Same as the city"


def test_demographics_in_words() -> None:
    rows = (
        Demographic("Population", 16080.0, "16080"),
        Demographic("NHPLink", None, "https://example.org"),
        Demographic("MedianHHIncome", 35958.3, "35958.3"),
        Demographic("PercentBelowPovertyLine", 35.0990099009901, "35.0990099009901"),
        Demographic("HomicideRate", 5.3, "5.3"),  # not shown
    )
    assert [(f.term, f.text) for f in describe_demographics(rows, "en")] == [
        ("Residents", "16,080"),
        ("Median household income", "$35,958"),
        ("Living below the poverty line", "35.1%"),
    ]
    assert [(f.term, f.text) for f in describe_demographics(rows, "es")] == [
        ("Residentes", "16.080"),
        ("Ingreso mediano del hogar", "$35.958"),
        ("Por debajo de la línea de pobreza", "35,1%"),
    ]


def test_count_without_direction_is_higher_or_lower(demo_reader: WarehouseReader) -> None:
    items = {m.measure.id: m for m in next(iter(get_layer_comparison(demo_reader, "csa").values()))}
    requests = items["city-requests"]  # a count with no better direction
    assert requests.measure.direction == "none" and requests.better is None
    lower = dataclasses.replace(requests, per_1000=4.0, city_per_1000=4.8, difference=-0.8)
    assert describe_comparison("en", lower).text == "Lower than the city"
    assert (
        describe_comparison("es", dataclasses.replace(lower, difference=0.8)).text
        == "Más alto que en la ciudad"
    )
    assert describe_comparison("en", dataclasses.replace(lower, difference=None)).text == "Not compared"


def test_locator_picks_out_the_area(real_reader: WarehouseReader) -> None:
    from citystat.site.area_page import locate_area
    from citystat.site.areas import find_area

    chart = locate_area(real_reader, find_area(real_reader, "csa", "1"), "en")
    assert chart is not None
    assert chart.title == "Where Allendale/Irvington/S. Hilton is"
    assert chart.summary == "Allendale/Irvington/S. Hilton is shaded dark blue on a map of all 56 areas."
    assert chart.svg.count('class="cs-area cs-chosen"') == 1
    assert chart.svg.count('class="cs-area"') == 55
    # the chosen area is drawn last, so its thick outline is not covered by a neighbour's
    assert chart.svg.rindex("cs-chosen") > chart.svg.rindex('class="cs-area"')


def test_equity_notes_in_words(demo_reader: WarehouseReader) -> None:
    from citystat.site.equity import read_measure_equity
    from citystat.site.measure_page import explain_equity

    catalog = get_catalog(demo_reader)
    (csa,) = read_measure_equity(demo_reader, "city-on-time", "csa")
    assert csa.unplaced_value is not None and csa.disparity is not None
    assert explain_equity(csa, catalog.find_measure("city-on-time"), "en") == (
        "Requests with no community statistical area recorded are in no area.",
    )
    (hoods,) = read_measure_equity(demo_reader, "city-requests", "neighborhood")
    assert hoods.disparity is None  # a count with no direction, and no population by neighbourhood
    assert explain_equity(hoods, catalog.find_measure("city-requests"), "es")[-1] == (
        "Esta medida no tiene una dirección mejor, así que las áreas no se clasifican."
    )


def test_period_links_keep_the_chosen_layer(demo_reader: WarehouseReader) -> None:
    from citystat.site.measure_page import build_measure_page

    page = build_measure_page(demo_reader, "city-on-time", "en", layer="neighborhood")
    assert [(link.text, link.href, link.current) for link in page.grain_links] == [
        ("Weekly", "/measures/city-on-time?grain=week&layer=neighborhood", False),
        ("Monthly", "/measures/city-on-time?grain=month&layer=neighborhood", True),
        ("Quarterly (fiscal year)", "/measures/city-on-time?grain=fiscal_quarter&layer=neighborhood", False),
        ("Yearly (fiscal year)", "/measures/city-on-time?grain=fiscal_year&layer=neighborhood", False),
    ]
    assert page.equity is not None and page.equity.layer == "neighborhood"
    assert [link.href for link in page.equity.layer_links][
        1
    ] == "/measures/city-on-time?grain=month&layer=csa#by-area"
    plain = build_measure_page(demo_reader, "city-on-time", "en")
    assert plain.grain_links[0].href == "/measures/city-on-time?grain=week"
