"""The area pages over real HTTP: the layers and their area counts, a layer's areas with residents
and requests, and one area against the city (values, per-1,000 rates, better/worse, rank), each
checked against DuckDB queries of the warehouse; unknown layers and areas are 404s; Spanish."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.web.html import Page, fetch_page, read_figure

REAL_CSA = "1"  # Allendale/Irvington/S. Hilton
REAL_CSA_NAME = "Allendale/Irvington/S. Hilton"
MIN_ROWS = 10  # a ratio resting on fewer closed requests is shown, not ranked


def query(
    warehouse: Path, sql: str, params: list[Any] | dict[str, Any] | None = None
) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def read_fy_values(warehouse: Path, measure_id: str, dimension: str) -> dict[str, tuple[float, float | None]]:
    """Area label (or '' for the city) -> (value, denominator) of the measure's latest fiscal year."""
    rows = query(
        warehouse,
        """
        SELECT dimension_value, value, denominator FROM measure_values
        WHERE measure_id = $m AND grain = 'fiscal_year' AND dimension = $d
          AND period_start = (SELECT max(period_start) FROM measure_values
                              WHERE measure_id = $m AND grain = 'fiscal_year' AND dimension = $d)
        """,
        {"m": measure_id, "d": dimension},
    )
    # requests with no area on the layer are stored under '' (they are in no area, not ranked)
    return {
        str(label): (float(value), denominator)
        for label, value, denominator in rows
        if value is not None and (label != "" or dimension == "")
    }


def test_layers_page_counts_the_boundaries(demo_api: str, demo_warehouse: Path) -> None:
    page = fetch_page(demo_api, "/areas")
    counts = dict(query(demo_warehouse, "SELECT layer, count(*) FROM boundaries GROUP BY 1"))
    assert counts == {"neighborhood": 60, "csa": 12, "council_district": 8, "police_district": 5}
    assert page.heading("h2") == [
        "Neighbourhoods",
        "Community statistical areas",
        "Council districts",
        "Police districts",
    ]
    text = page.text
    for layer, count in counts.items():
        assert (
            f"/areas/{layer}",
            page.links[[h for h, _ in page.links].index(f"/areas/{layer}")][1],
        ) in page.links
        assert f"{count} areas" in text


def test_real_layer_page_lists_residents_and_requests(real_api: str, real_warehouse: Path) -> None:
    page = fetch_page(real_api, "/areas/csa")
    assert page.status == 200 and page.heading("h1") == ["Community statistical areas"]
    table = page.tables["areas-table"]
    assert table.caption == "Community statistical areas and their requests, FY2020"
    assert table.columns == ["Area", "Residents", "Requests", "Per 1,000 residents"]
    boundaries = query(real_warehouse, "SELECT area_id, name, label FROM boundaries WHERE layer = 'csa'")
    assert len(table.rows) == len(boundaries) == 56
    people = dict(
        query(
            real_warehouse,
            "SELECT area_key, value FROM demographics WHERE layer = 'csa' AND variable = 'Population'"
            " AND NOT is_citywide",
        )
    )
    requests = read_fy_values(real_warehouse, "city-requests", "csa")
    by_name = {row[0]: row for row in table.rows}
    for area_id, name, label in boundaries:
        _, residents, count, rate = by_name[name]
        population = people.get(label)  # 'Unassigned -- Jail' has no NHP figures
        assert residents == ("–" if population is None else f"{population:,.0f}")
        value = requests.get(label, (0.0, None))[0]  # no stored count: no requests that year
        assert read_figure(count) == value
        assert rate == ("–" if population is None else f"{value / population * 1000:.1f}")
        assert [link for link in table.links if link[0] == f"/areas/csa/{area_id}"]
    assert by_name[REAL_CSA_NAME][1:] == ["16,080", "64", "4.0"]
    assert "<svg" in page.html and "Requests per 1,000 residents, FY2020" in page.html


@pytest.fixture(scope="module")
def real_area(real_api: str) -> Page:
    return fetch_page(real_api, f"/areas/csa/{REAL_CSA}")


def test_real_area_page_sets_the_area_beside_the_city(real_area: Page, real_warehouse: Path) -> None:
    assert real_area.status == 200 and real_area.heading("h1") == [REAL_CSA_NAME]
    table = real_area.tables["services-table"]
    assert table.caption == f"How services reach {REAL_CSA_NAME}, FY2020"  # every measure's latest year
    assert table.columns == [
        "Measure",
        "This area",
        "Whole city",
        "Compared with the city",
        "Rank (1 = best)",
    ]
    rows = {row[0]: row for row in table.rows}

    # a share, higher is better: 19.7% here against 43.2% for the city, 31st of the CSAs with enough rows
    on_time = read_fy_values(real_warehouse, "city-on-time", "csa")
    city = read_fy_values(real_warehouse, "city-on-time", "")[""][0]
    here, rows_here = on_time[REAL_CSA_NAME]
    enough = [v for v, d in on_time.values() if (d or 0) >= MIN_ROWS]
    rank = 1 + sum(1 for v in enough if v > here)
    assert (rows_here or 0) >= MIN_ROWS and here < city
    row = rows["Requests closed by their due date"]
    assert abs(read_figure(row[1]) - here) <= 0.0005 and abs(read_figure(row[2]) - city) <= 0.0005
    assert row[3] == "Worse than the city"
    assert row[4] == f"{rank} of {len(enough)}"
    assert row[1:] == ["19.7%", "43.2%", "Worse than the city", "31 of 54"]

    # a count: compared per 1,000 residents (64 requests, 16,080 residents)
    requests = read_fy_values(real_warehouse, "city-requests", "csa")[REAL_CSA_NAME][0]
    city_requests = read_fy_values(real_warehouse, "city-requests", "")[""][0]
    population = query(
        real_warehouse,
        "SELECT sum(value) FROM demographics WHERE layer = 'csa' AND variable = 'Population' AND NOT is_citywide",
    )[0][0]
    row = rows["All 311 service requests"]
    assert requests == 64
    assert row[1] == f"{requests / 16080 * 1000:.1f} per 1,000" == "4.0 per 1,000"
    assert row[2] == f"{city_requests / population * 1000:.1f} per 1,000"


def test_real_area_page_shows_who_lives_there(real_area: Page) -> None:
    text = real_area.text
    assert "Residents 16,080" in text
    assert "Median household income $35,958" in text
    assert "Living below the poverty line 35.1%" in text


def test_real_area_page_counts_better_and_worse(real_area: Page) -> None:
    words = real_area.tables["services-table"].column("Compared with the city")
    better, worse = words.count("Better than the city"), words.count("Worse than the city")
    assert (
        f"Of {better + worse} services compared, {REAL_CSA_NAME} does better than the city on {better} and worse on {worse}."
        in real_area.text
    )


def test_demo_area_page_shows_the_area_value(demo_api: str, demo_warehouse: Path) -> None:
    (area_id, name, label), *_ = query(
        demo_warehouse,
        "SELECT area_id, name, label FROM boundaries WHERE layer = 'neighborhood' ORDER BY name",
    )
    page = fetch_page(demo_api, f"/areas/neighborhood/{area_id}")
    rows = {row[0]: row for row in page.tables["services-table"].rows}
    median = read_fy_values(demo_warehouse, "city-median-days", "neighborhood")[label][0]
    city = read_fy_values(demo_warehouse, "city-median-days", "")[""][0]
    row = rows["Median days to close a request"]
    assert page.tables["services-table"].caption.endswith(", FY2026")
    assert abs(float(row[1].split()[0]) - median) <= 0.05 and abs(float(row[2].split()[0]) - city) <= 0.05
    assert row[3] == ("Worse than the city" if median > city else "Better than the city")
    assert page.heading("h1") == [name]


@pytest.mark.parametrize("path", ["/areas/nowhere", "/areas/csa/999", "/areas/neighborhood/N999"])
def test_unknown_layer_or_area_is_404(demo_api: str, path: str) -> None:
    page = fetch_page(demo_api, path)
    assert page.status == 404 and page.heading("h1") == ["Page not found"]


def test_area_page_in_spanish(real_api: str) -> None:
    page = fetch_page(real_api, f"/areas/csa/{REAL_CSA}?lang=es")
    assert page.status == 200 and page.lang == "es"
    assert page.heading("h2") == ["Quién vive aquí", "Servicios en esta área"]
    table = page.tables["services-table"]
    assert table.columns == [
        "Medida",
        "Esta área",
        "Toda la ciudad",
        "Comparado con la ciudad",
        "Puesto (1 = mejor)",
    ]
    assert ["19,7%", "43,2%", "Peor que la ciudad", "31 de 54"] in [row[1:] for row in table.rows]
    layers = fetch_page(real_api, "/areas?lang=es")
    assert layers.heading("h1") == ["Barrios y distritos"]


def test_real_neighbourhoods_without_requests_count_zero(real_api: str, real_warehouse: Path) -> None:
    page = fetch_page(real_api, "/areas/neighborhood")
    table = page.tables["areas-table"]
    assert table.columns == ["Area", "Requests"]  # no population by neighbourhood: no rate
    stored = read_fy_values(real_warehouse, "city-requests", "neighborhood")
    names = dict(query(real_warehouse, "SELECT name, label FROM boundaries WHERE layer = 'neighborhood'"))
    assert len(table.rows) == len(names) == 278
    shown = dict(table.rows)  # type: ignore[arg-type]
    assert "Belair-Parkside" not in stored and shown["Belair-Parkside"] == "0"
    assert all(read_figure(shown[name]) == stored.get(label, (0.0, None))[0] for name, label in names.items())
    assert sum(read_figure(v) for v in shown.values()) == sum(v for v, _ in stored.values())


def test_every_area_link_of_a_layer_page_opens_the_area(real_api: str) -> None:
    """Baltimore's neighbourhood ids hold slashes and spaces ("Bridgeview/Greenlawn"): the links are
    percent-encoded and every one of the 278 opens its area's page."""
    import httpx

    page = fetch_page(real_api, "/areas/neighborhood")
    table = page.tables["areas-table"]
    links = {row[0]: links[0] for row, links in zip(table.rows, table.links, strict=True)}
    assert links["Bridgeview/Greenlawn"] == "/areas/neighborhood/Bridgeview%2FGreenlawn"
    assert links["Washington Village/Pigtown"] == "/areas/neighborhood/Washington%20Village%2FPigtown"
    with httpx.Client(base_url=real_api, timeout=120) as client:
        for name, href in links.items():
            assert href is not None
            response = client.get(href)
            assert response.status_code == 200, href
            assert f"<h1>{name}</h1>" in response.text.replace("&#39;", "'").replace("&amp;", "&"), href
