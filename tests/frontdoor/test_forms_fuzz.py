"""hypothesis on the form handlers over real HTTP: whatever a browser (or a bot) posts, every page
answers 200, 303 or 400 with a page (never 5xx), and a 400 always carries an error summary."""

from __future__ import annotations

from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.frontdoor.conftest import FormsServer

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
FIELDS = (
    "address",
    "lat",
    "long",
    "answer",
    "description",
    "first_name",
    "last_name",
    "email",
    "phone",
    "csrf",
)
FORMS = st.dictionaries(st.sampled_from(FIELDS), st.one_of(TEXT, st.lists(TEXT, max_size=3)), max_size=6)
PAGES = st.sampled_from(
    [
        ("SW-Rat Rubout", "/report/where"),
        ("SW-Rat Rubout", "/report/question/WHERE"),
        ("SW-Rat Rubout", "/report/question/BURROWS"),
        ("SW-Missed Trash", "/report/question/DAY"),
        ("SW-Bulk Scheduled", "/report/question/ITEMS"),
        ("TRM-Pothole Repair", "/report/describe"),
        ("TRM-Pothole Repair", "/report/contact"),
        ("TRM-Pothole Repair", "/report/check"),
        ("TRM-Pothole Repair", "/report/nearby"),
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)
@given(page=PAGES, form=FORMS, lang=st.sampled_from(["en", "es"]))
def check_form(forms: FormsServer, page: tuple[str, str], form: dict[str, Any], lang: str) -> None:
    service, path = page
    with httpx.Client(base_url=forms.url, timeout=30) as web:
        web.get("/report/start", params={"service": service, "lang": lang})
        response = web.post(path, data=form)
    assert response.status_code in (200, 303, 400), (path, form, response.status_code)
    if response.status_code == 400:
        assert 'class="cs-error-summary"' in response.text


def test_form_handlers_never_fail(forms: FormsServer) -> None:
    check_form(forms)


@settings(
    max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
)
@given(q=TEXT, number=TEXT)
def check_lookups(forms: FormsServer, q: str, number: str) -> None:
    with httpx.Client(base_url=forms.url, timeout=30) as web:
        assert web.get("/report/services", params={"q": q}).status_code == 200
        assert web.get("/status", params={"number": number}, follow_redirects=True).status_code in (
            200,
            400,
            404,
        )


def test_search_and_status_lookup_never_fail(forms: FormsServer) -> None:
    check_lookups(forms)
