"""The pages in real Chromium: axe-core finds no WCAG 2.2 AA violation on any crawled page (English
and Spanish, demo city and real data), no page has an inline script, pages render with JavaScript
off, keyboard focus is visible, the skip link shows when focused, the language switch is a plain
link that gives a Spanish page, and the measure search works as a plain form.

One browser for the session (``browser``), one context and page per test reused across addresses.
The crawls are capped per family of addresses (``/measures/*`` ...) to keep the run short: every
page kind is checked, not every measure.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.crawl import crawl_site

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = ["/", "/agencies", "/agencies/transportation", "/measures", "/measures?q=pothole", "/about", "/score"]


@pytest.fixture()
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture()
def page_without_js(browser: Any) -> Iterator[Any]:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def run_axe(page: Any) -> list[tuple[str, list[Any]]]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return [(v["id"], [n["target"] for n in v["nodes"]][:5]) for v in results.response["violations"]]


def check_with_axe(page: Any, base: str, lang: str, per_family: int) -> int:
    crawl = crawl_site(base, lang=lang, per_family=per_family, variants=1)
    page.context.set_extra_http_headers({"Accept-Language": lang})
    found: dict[str, list[tuple[str, list[Any]]]] = {}
    for path in crawl.pages:
        page.goto(base + path)
        assert page.locator("html").get_attribute("lang") == lang
        assert page.locator("script:not([src^='/static/'])").count() == 0, path  # no inline script
        violations = run_axe(page)
        if violations:
            found[path] = violations
    assert found == {}
    return len(crawl.pages)


def test_axe_finds_nothing_on_the_demo_pages(page: Any, demo_api: str) -> None:
    assert check_with_axe(page, demo_api, "en", per_family=6) > 20


def test_axe_finds_nothing_on_the_real_pages(page: Any, real_api: str) -> None:
    assert check_with_axe(page, real_api, "en", per_family=3) > 10


def test_axe_finds_nothing_on_spanish_pages(page: Any, demo_api: str, real_api: str) -> None:
    assert check_with_axe(page, demo_api, "es", per_family=2) > 5
    assert check_with_axe(page, real_api, "es", per_family=1) > 5


def test_pages_render_without_javascript(page_without_js: Any, demo_api: str, real_api: str) -> None:
    for base in (demo_api, real_api):
        for path in PAGES:
            response = page_without_js.goto(base + path)
            assert response is not None and response.status == 200, path
            h1 = page_without_js.locator("h1")
            assert h1.count() == 1 and h1.is_visible(), path
            assert h1.bounding_box()["height"] > 20, path


def read_outline(page: Any) -> tuple[str, float]:
    return page.evaluate(  # type: ignore[no-any-return]
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )


def test_focus_is_visible_and_the_skip_link_shows(page: Any, demo_api: str) -> None:
    page.goto(demo_api + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == "#main"
    style, width = read_outline(page)
    assert style != "none" and width >= 2
    box = page.locator("a.cs-skip").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # moved on screen when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # the next Tab goes into the page's content, and a focused link there shows its ring
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.tagName") == "A"
    style, width = read_outline(page)
    assert style != "none" and width >= 2
    # the search form's field and button show it too
    page.goto(demo_api + "/measures")
    page.focus("#q")
    assert read_outline(page)[0] != "none"
    page.focus("button.cs-button")
    assert read_outline(page)[0] != "none"


def test_the_language_switch_gives_a_spanish_page(page_without_js: Any, demo_api: str) -> None:
    page = page_without_js
    page.goto(demo_api + "/agencies")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("text=Español")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() == "Agencias"
    nav = page.locator("nav.cs-nav").inner_text()
    assert all(word in nav for word in ("Inicio", "Agencias", "Medidas", "Barrios", "Sobre estos datos"))
    assert page.locator("a.cs-skip").inner_text() == "Saltar al contenido principal"
    # the choice is remembered (a cookie): the next page, linked without ?lang=, is in Spanish
    page.click("nav.cs-nav >> text=Inicio")
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text().startswith("Cómo le va a Chesapeake Point")
    page.click("text=English")
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_search_is_a_plain_form(page_without_js: Any, real_api: str) -> None:
    page = page_without_js
    page.goto(real_api + "/measures")
    page.fill("#q", "pothole")
    page.click("button.cs-button")
    assert page.url.endswith("/measures?q=pothole&agency=&pillar=")
    rows = page.locator("table.cs-table tbody tr")
    names = [rows.nth(i).locator("th a").inner_text() for i in range(rows.count())]
    assert "Potholes repaired within 48 hours" in names
    assert len(names) == 5
    page.select_option("#agency", "transportation")
    page.fill("#q", "")
    page.click("button.cs-button")
    assert page.locator("h2#results").inner_text() == "64 of 742 measures"
