"""The request forms in real Chromium.

- A resident files a request end to end with JavaScript turned off, in English and in Spanish,
  clicking and typing as a person would; the confirmation shows a number the status page knows.
- axe-core (WCAG 2.2 AA) finds nothing on any form page, including the error states. axe needs
  JavaScript, so it runs with JavaScript on and the app's own scripts blocked: it scans the markup a
  resident without JavaScript gets.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.frontdoor.conftest import FormsServer

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WORDS = {
    "en": {
        "search": "pothole",
        "find": "Search",
        "go": "Continue",
        "address": "Address or place",
        "service": "Pothole Repair",
        "size": "Larger than a car tyre",
        "send": "Send report",
        "done": "Report sent",
    },
    "es": {
        "search": "bache",
        "find": "Buscar",
        "go": "Continuar",
        "address": "Dirección o lugar",
        "service": "Reparación de baches",
        "size": "Más grande que una llanta",
        "send": "Enviar informe",
        "done": "Informe enviado",
    },
}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_resident_files_a_request_without_javascript(browser: Any, forms: FormsServer, lang: str) -> None:
    words = WORDS[lang]
    context = browser.new_context(java_script_enabled=False, locale="es-US" if lang == "es" else "en-US")
    try:
        page = context.new_page()
        page.goto(f"{forms.url}/report?lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        page.get_by_role("searchbox").fill(words["search"])
        page.get_by_role("button", name=words["find"]).click()
        page.get_by_role("link", name=words["service"]).click()
        page.get_by_label(words["address"]).fill("200 N Holliday St")
        page.get_by_role("button", name=words["go"]).click()
        page.get_by_role(
            "button", name=re.compile(words["go"], re.IGNORECASE)
        ).click()  # nearby: may list the other run's
        page.get_by_label(words["size"]).check()
        page.get_by_role("button", name=words["go"]).click()
        for _ in range(4):  # LANE, description, photo, contact: all optional
            page.get_by_role("button", name=words["go"]).click()
        page.get_by_role("button", name=words["send"]).click()
        assert page.get_by_role("heading", level=1).inner_text() == words["done"]
        number = page.locator(".cs-panel__number").inner_text().strip()
        assert re.fullmatch(r"CS-\d{7}", number)
        page.goto(f"{forms.url}/status/{number}")
        assert number in page.get_by_role("heading", level=1).inner_text()
    finally:
        context.close()


def check_axe(page: Any, where: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = results.response["violations"]
    assert violations == [], (where, [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations])
    assert page.locator("h1").count() == 1, where
    assert page.title().startswith(page.locator("h1").inner_text()) or page.title().startswith("Error"), where


def follow(page: Any, target: Any) -> None:
    """Click a button or link and wait until the page it leads to has loaded, styles included
    (axe judges the laid-out page: target sizes, contrast)."""
    with page.expect_navigation(wait_until="load"):
        target.click()


def test_every_form_page_passes_axe(browser: Any, forms: FormsServer) -> None:
    context = browser.new_context()
    context.route(re.compile(r".*/static/.*\.js$"), lambda route: route.abort())  # the app's own scripts
    try:
        page = context.new_page()
        for path in (
            "/report",
            "/report/services?q=rats",
            "/report/services?group=trees-and-parks",
            "/status",
        ):
            page.goto(forms.url + path)
            check_axe(page, path)
        page.goto(f"{forms.url}/report/start?service=SW-Rat%20Rubout")
        check_axe(page, "where")
        follow(page, page.get_by_role("button", name="Continue"))  # no address: the error state
        check_axe(page, "where, with an error")
        page.get_by_label("Address or place").fill("1500 E North Ave")
        follow(page, page.get_by_role("button", name="Continue"))
        check_axe(page, "nearby")
        follow(page, page.get_by_role("button", name="Continue"))
        check_axe(page, "question WHERE (radios)")
        follow(page, page.get_by_role("button", name="Continue"))
        check_axe(page, "question WHERE, with an error")
        page.get_by_label("Alley").check()
        follow(page, page.get_by_role("button", name="Continue"))
        page.get_by_label("How many burrows can you see? (a number)").fill("lots")
        follow(page, page.get_by_role("button", name="Continue"))
        check_axe(page, "question BURROWS (number), with an error")
        page.get_by_label("How many burrows can you see? (a number)").fill("3")
        follow(page, page.get_by_role("button", name="Continue"))
        check_axe(page, "describe")
        follow(page, page.get_by_role("button", name="Continue"))
        check_axe(page, "photo")
        follow(page, page.get_by_role("button", name="Continue"))
        check_axe(page, "contact")
        page.get_by_label("Email address").fill("not an address")
        follow(page, page.get_by_role("button", name="Continue"))
        check_axe(page, "contact, with an error")
        page.get_by_label("Email address").fill("")
        follow(page, page.get_by_role("button", name="Continue"))
        check_axe(page, "check your answers")
        follow(page, page.get_by_role("button", name="Send report"))
        check_axe(page, "confirmation")
        follow(page, page.get_by_role("link", name="See the status of your request"))
        check_axe(page, "status")
        page.goto(f"{forms.url}/report/start?service=SW-Bulk%20Scheduled")
        page.get_by_label("Address or place").fill("1500 E North Ave")
        follow(page, page.get_by_role("button", name="Continue"))
        follow(page, page.get_by_role("button", name="Continue"))
        check_axe(page, "question ITEMS (checkboxes)")
    finally:
        context.close()
