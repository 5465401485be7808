"""The measure and area pages in real Chromium: axe-core finds no WCAG 2.2 AA violation (English
and Spanish, demo city and Baltimore), nothing is wider than a 375 px phone screen, and the charts
and tables are there with JavaScript turned off."""

from __future__ import annotations

from typing import Any

import pytest

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
DEMO_PAGES = [
    "/measures/city-on-time",
    "/measures/city-requests?layer=neighborhood",
    "/areas/csa",
    "/areas/neighborhood/N43",
    "/areas",
]
REAL_PAGES = [
    "/measures/sw-municipal-can-p90-days",
    "/measures/plan-226",
    "/measures/city-on-time?layer=csa",
    "/areas/csa/1",
    "/areas/neighborhood",
]


def run_axe(browser: Any, url: str) -> list[tuple[str, list[Any]]]:
    from axe_playwright_python.sync_playwright import Axe

    page = browser.new_page()
    try:
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        return [(v["id"], [n["target"] for n in v["nodes"]]) for v in results.response["violations"]]
    finally:
        page.close()


def measure_width(browser: Any, url: str, width: int = 375) -> int:
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto(url)
        return int(page.evaluate("document.documentElement.scrollWidth"))
    finally:
        context.close()


@pytest.mark.parametrize("path", [*DEMO_PAGES, "/measures/city-on-time?lang=es", "/areas/csa/1?lang=es"])
def test_demo_pages_pass_axe(browser: Any, demo_api: str, path: str) -> None:
    assert run_axe(browser, demo_api + path) == []


@pytest.mark.parametrize("path", REAL_PAGES)
def test_real_pages_pass_axe(browser: Any, real_api: str, path: str) -> None:
    assert run_axe(browser, real_api + path) == []


@pytest.mark.parametrize("path", DEMO_PAGES)
def test_demo_pages_fit_a_phone(browser: Any, demo_api: str, path: str) -> None:
    assert measure_width(browser, demo_api + path) <= 375


@pytest.mark.parametrize("path", REAL_PAGES)
def test_real_pages_fit_a_phone(browser: Any, real_api: str, path: str) -> None:
    assert measure_width(browser, real_api + path) <= 375


def test_measure_page_without_javascript(browser: Any, demo_api: str) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(demo_api + "/measures/city-on-time")
        chart = page.locator("figure.cs-figure--wide svg")
        box = chart.bounding_box()
        assert box is not None and box["width"] > 600 and box["height"] > 250
        assert page.locator("path.cs-area").count() == 12  # the CSA map
        page.locator("details.cs-details summary").first.click()  # the table opens without a script
        assert page.locator("#values-table").is_visible()
        assert page.locator("#values-table tbody tr").count() == 36
    finally:
        context.close()
