"""The measure page over real HTTP, on the synthetic demo city and on Baltimore's real data: its
table holds exactly the periods and values the warehouse stores (checked with DuckDB), the targets
come from ``measure_targets``, the status words agree with value and target, the equity table's
values and the headline are the warehouse's; unknown measures are 404s; Spanish is Spanish."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from tests.web.html import Page, count_decimals, fetch_page, read_figure, say_period

DEMO_MEASURE = "city-on-time"  # percent, higher is better, 80% target, by neighbourhood/CSA/district
REAL_REPORTED = "plan-226"  # "# of materials circulated", reported quarterly in the performance plan
REAL_COMPUTED = "city-requests"  # all 311 requests of the October 2019 extract

IN_FORCE = """
    SELECT period_label, period_start, value, denominator FROM measure_values
    WHERE measure_id = ? AND grain = ? AND dimension = ?
    QUALIFY version = max(version) OVER (PARTITION BY period_start, dimension_value)
    ORDER BY period_start
"""


def read_stored(warehouse: Path, measure_id: str, grain: str) -> list[tuple[str, dt.date, float | None]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(IN_FORCE, [measure_id, grain, ""]).fetchall()
    finally:
        con.close()
    return [(str(label), start, None if value is None else float(value)) for label, start, value, _ in rows]


def read_targets(warehouse: Path, measure_id: str) -> dict[int, float]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT fiscal_year, value FROM measure_targets WHERE measure_id = ?", [measure_id]
        ).fetchall()
    finally:
        con.close()
    return {int(year): float(value) for year, value in rows}


def assert_shown(text: str, value: float, percent: bool) -> None:
    """``text`` is ``value`` rounded to the decimals it shows."""
    scale = 100 if percent else 1
    tolerance = 0.5 * 10 ** -count_decimals(text) + 1e-9
    assert abs(read_figure(text) * scale - value * scale) <= tolerance, (text, value)


def fiscal_year(start: dt.date, first_month: int = 7) -> int:
    return start.year + 1 if start.month >= first_month else start.year


def check_values_table(page: Page, stored: list[tuple[str, dt.date, float | None]], percent: bool) -> None:
    table = page.tables["values-table"]
    assert table.columns == ["Period", "Value", "Target", "Status", "Data quality grade", "Signal"]
    assert table.row_headers == len(table.rows)
    assert table.column("Period") == [say_period(label) for label, _, _ in stored]
    for shown, (_, _, value) in zip(table.column("Value"), stored, strict=True):
        if value is None:
            assert shown == "No data"
        else:
            assert_shown(shown, value, percent)


# --- demo city ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_page(demo_api: str) -> Page:
    return fetch_page(demo_api, f"/measures/{DEMO_MEASURE}")


def test_demo_table_holds_the_stored_monthly_values(demo_page: Page, demo_warehouse: Path) -> None:
    stored = read_stored(demo_warehouse, DEMO_MEASURE, "month")
    assert len(stored) == 36 and stored[0][0] == "2023-07" and stored[-1][0] == "2026-06"
    assert demo_page.status == 200
    check_values_table(demo_page, stored, percent=True)


def test_demo_targets_and_status_words_agree(demo_page: Page, demo_warehouse: Path) -> None:
    stored = read_stored(demo_warehouse, DEMO_MEASURE, "month")
    targets = read_targets(demo_warehouse, DEMO_MEASURE)
    table = demo_page.tables["values-table"]
    statuses = table.column("Status")
    grades = table.column("Data quality grade")
    for row, (_, start, value), status, grade in zip(table.rows, stored, statuses, grades, strict=True):
        target = targets[fiscal_year(start)]
        assert target == 0.8
        assert row[2] == "80%"
        assert grade in ("A", "B", "C")
        if grade == "C":
            assert status == "Data issue"
        elif value is not None and value >= target:
            assert status == "Met target"
        else:
            assert status in ("Near target", "Missed target")
    # the demo city's on-time share hovers around 75%: never at the 80% target
    assert max(v for _, _, v in stored if v is not None) < 0.8
    assert set(statuses) == {"Near target", "Missed target", "Data issue"}
    # the newest month is 62% against 80%: graded C (the month is still being closed), a data issue
    assert table.rows[-1][:5] == ["June 2026", "62.2%", "80%", "Data issue", "C"]


def test_demo_headline_is_the_latest_period(demo_page: Page, demo_warehouse: Path) -> None:
    label, _, value = read_stored(demo_warehouse, DEMO_MEASURE, "month")[-1]
    assert value is not None and label == "2026-06"
    text = demo_page.text
    assert f"Value in {say_period(label)}" in text and "Value in June 2026" in text
    assert f"{value:.0%}" in text  # 62%
    assert "Grade C" in text and "Data issue" in text
    assert "Requests closed by their due date fell from 79% to 62% in June 2026" in text


def test_demo_page_names_owner_processes_and_downloads(demo_page: Page) -> None:
    assert demo_page.heading("h1") == ["Requests closed by their due date"]
    assert ("/agencies/citywide", "Citywide") in demo_page.links  # breadcrumbs and owner
    crumbs = demo_page.links.index(("/agencies/citywide", "Citywide")) - 1
    assert demo_page.links[crumbs : crumbs + 3] == [
        ("/", "Home"),
        ("/agencies/citywide", "Citywide"),
        (f"/measures/{DEMO_MEASURE}", "Requests closed by their due date"),
    ]
    text = demo_page.text
    for words in ("Budget book", "CitiStat performance reviews", "Mayor's Action Plan, pillar 5, goal 5.3"):
        assert words in text
    assert (f"/api/v1/measures/{DEMO_MEASURE}/values.csv", "All values as CSV") in demo_page.links
    assert (f"/api/v1/measures/{DEMO_MEASURE}/values.parquet", "All values as Parquet") in demo_page.links
    assert demo_page.heading("h2") == [
        "Latest result",
        "About this measure",
        "Over time",
        "How reliable the data are",
        "Targets",
        "By area",
        "Versions of the definition",
        "Download the data",
    ]
    assert demo_page.tables["targets-table"].rows == [[f"FY{y}", "80%"] for y in range(2019, 2028)]
    assert demo_page.tables["versions-table"].rows == [
        ["Version 1", "Requests closed by their due date", "From the start", "First version"]
    ]


def test_demo_chart_sits_in_a_figure_with_its_summary(demo_page: Page) -> None:
    html = demo_page.html
    figure = html[html.index('<figure class="cs-figure cs-figure--wide">') :]
    figure = figure[: figure.index("</figure>")]
    assert "<svg" in figure and 'role="img"' in figure and "<figcaption>" in figure
    assert "this is a signal (outside the limits)" in figure
    assert "Target 80%" in figure  # the target line's label
    assert "Upper limit" in figure and "Lower limit" in figure


def test_demo_equity_table_matches_the_warehouse(demo_api: str, demo_warehouse: Path) -> None:
    page = fetch_page(demo_api, f"/measures/{DEMO_MEASURE}?layer=csa")
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        rows = con.execute(
            """
            SELECT b.name, v.value, v.denominator, v.period_label FROM measure_values v
            JOIN boundaries b ON b.layer = 'csa' AND b.label = v.dimension_value
            WHERE v.measure_id = ? AND v.grain = 'fiscal_year' AND v.dimension = 'csa'
              AND v.period_start = (SELECT max(period_start) FROM measure_values
                                    WHERE measure_id = ? AND grain = 'fiscal_year' AND dimension = 'csa')
            ORDER BY lower(b.name)
            """,
            [DEMO_MEASURE, DEMO_MEASURE],
        ).fetchall()
        city = con.execute(
            "SELECT value FROM measure_values WHERE measure_id = ? AND grain = 'fiscal_year'"
            " AND dimension = '' AND period_label = 'FY2026'",
            [DEMO_MEASURE],
        ).fetchone()
    finally:
        con.close()
    assert len(rows) == 12 and {r[3] for r in rows} == {"FY2026"}
    table = page.tables["areas-table"]
    assert table.caption == "Requests closed by their due date by community statistical area, FY2026"
    assert table.column("Area") == [r[0] for r in rows]
    for shown, (_, value, _, _) in zip(table.column("Value"), rows, strict=True):
        assert_shown(shown, value, percent=True)
    assert city is not None
    assert f"The city as a whole: {city[0]:.0%} in FY2026." in page.text
    # disparity in words, with the two worst-served CSAs of the table
    worst = sorted(rows, key=lambda r: r[1])[:2]
    assert f"Served worst: {worst[0][0]}, {worst[1][0]}." in page.text or (
        f"Served worst: {worst[1][0]}, {worst[0][0]}." in page.text
    )
    assert "the Gini index is" in page.text
    assert "/areas/csa/" in str(table.links)


def test_demo_grain_choice_shows_fiscal_years(demo_api: str, demo_warehouse: Path) -> None:
    page = fetch_page(demo_api, f"/measures/{DEMO_MEASURE}?grain=fiscal_year")
    stored = read_stored(demo_warehouse, DEMO_MEASURE, "fiscal_year")
    assert [label for label, _, _ in stored] == ["FY2024", "FY2025", "FY2026"]
    check_values_table(page, stored, percent=True)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/measures/no-such-measure", 404),
        (f"/measures/{DEMO_MEASURE}?grain=fortnight", 400),
        (f"/measures/{DEMO_MEASURE}?layer=tract", 400),
    ],
)
def test_unknown_measure_grain_or_layer(demo_api: str, path: str, status: int) -> None:
    page = fetch_page(demo_api, path)
    assert page.status == status
    assert page.heading("h1") == [
        "Page not found" if status == 404 else "There is a problem with the address"
    ]


def test_demo_page_in_spanish(demo_api: str) -> None:
    page = fetch_page(demo_api, f"/measures/{DEMO_MEASURE}?lang=es")
    assert page.status == 200 and page.lang == "es"
    assert page.heading("h2") == [
        "Último resultado",
        "Sobre esta medida",
        "A lo largo del tiempo",
        "Qué tan fiables son los datos",
        "Metas",
        "Por área",
        "Versiones de la definición",
        "Descargar los datos",
    ]
    table = page.tables["values-table"]
    assert table.columns == [
        "Periodo",
        "Valor",
        "Meta",
        "Estado",
        "Calificación de calidad de los datos",
        "Señal",
    ]
    assert table.rows[-1][:4] == ["junio de 2026", "62,2%", "80%", "Problema de datos"]
    assert 'lang="en"' in page.html  # the catalogue's English text is marked as English


# --- Baltimore's real data --------------------------------------------------------------------


def test_real_reported_measure_table(real_api: str, real_warehouse: Path) -> None:
    page = fetch_page(real_api, f"/measures/{REAL_REPORTED}")
    stored = read_stored(real_warehouse, REAL_REPORTED, "fiscal_quarter")
    assert page.status == 200
    assert page.heading("h1") == ["# of materials circulated"]
    check_values_table(page, stored, percent=False)
    targets = read_targets(real_warehouse, REAL_REPORTED)
    assert targets[2026] == 2_000_000
    table = page.tables["values-table"]
    for row, (_, start, _) in zip(table.rows, stored, strict=True):
        target = targets.get(fiscal_year(start))
        assert row[2] == ("–" if target is None else f"{target:,.0f}")
    assert "Information Services (SRV0788)" in page.text  # the budget book service


def test_real_computed_measure_by_csa_with_rates(real_api: str, real_warehouse: Path) -> None:
    page = fetch_page(real_api, f"/measures/{REAL_COMPUTED}?layer=csa")
    con = duckdb.connect(str(real_warehouse), read_only=True)
    try:
        rows = con.execute(
            """
            SELECT b.name, v.value, d.value FROM measure_values v
            JOIN boundaries b ON b.layer = 'csa' AND b.label = v.dimension_value
            LEFT JOIN demographics d ON d.layer = 'csa' AND d.area_key = v.dimension_value
                 AND d.variable = 'Population' AND NOT d.is_citywide
            WHERE v.measure_id = ? AND v.grain = 'fiscal_year' AND v.dimension = 'csa'
            ORDER BY lower(b.name)
            """,
            [REAL_COMPUTED],
        ).fetchall()
    finally:
        con.close()
    assert len(rows) > 40
    table = page.tables["areas-table"]
    shown = dict(
        zip(
            table.column("Area"),
            zip(table.column("Value"), table.column("Per 1,000 residents"), strict=True),
            strict=True,
        )
    )
    for name, value, people in rows:
        count, rate = shown[name]
        assert read_figure(count) == value
        assert rate == ("–" if people is None else f"{value / people * 1000:.1f}")
    stored = read_stored(real_warehouse, REAL_COMPUTED, "week")
    check_values_table(page, stored, percent=False)


def test_real_measure_without_values_still_has_a_page(real_api: str, real_warehouse: Path) -> None:
    """A catalogued measure the October 2019 extract has no requests for: what it is, no numbers."""
    measure_id = "sw-municipal-can-p90-days"
    for grain in ("week", "month", "fiscal_year"):
        assert read_stored(real_warehouse, measure_id, grain) == []
    page = fetch_page(real_api, f"/measures/{measure_id}")
    assert page.status == 200
    assert page.heading("h2") == ["Latest result", "About this measure", "Versions of the definition"]
    assert "No values yet" in page.text
    assert "values-table" not in page.tables
    assert fetch_page(real_api, f"/measures/{measure_id}?grain=month").status == 400  # asked for values


def test_demo_download_links_serve_the_values(demo_page: Page, demo_api: str, demo_warehouse: Path) -> None:
    """The page's CSV and Parquet links answer with the measure's values (the API's downloads)."""
    import csv
    import io

    import httpx

    links = dict((text, href) for href, text in demo_page.links)
    response = httpx.get(demo_api + links["All values as CSV"], timeout=120)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    stored = read_stored(demo_warehouse, DEMO_MEASURE, "month")
    # the measure's citywide monthly values: the same periods and values as the page's table
    assert [(r["grain"], r["dimension"]) for r in rows] == [("month", "")] * len(stored)
    assert [(r["period_label"], float(r["value"])) for r in rows] == [(label, v) for label, _, v in stored]
    assert {r["measure_id"] for r in rows} == {DEMO_MEASURE}
    parquet = httpx.get(demo_api + links["All values as Parquet"], timeout=120)
    assert parquet.status_code == 200 and parquet.content[:4] == b"PAR1"
