"""The staff side over real HTTP: sign-in with Argon2 hashes, sessions that expire, roles (agency
staff see only their agency's requests), CSRF, and updates whose public note shows to residents
while the internal one never does; every change in the audit log."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select

from citystat.open311.keys import issue_api_key
from citystat.staff.accounts import StaffError, create_staff
from citystat.staff.sessions import COOKIE, start_session
from citystat.store.models import AuditEntry, RequestNote, ServiceRequest, StaffUser
from tests.frontdoor.conftest import FormsServer

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def staff(forms: FormsServer) -> dict[str, str]:
    sessions = forms.sessions()
    with sessions.begin() as session:
        create_staff(
            session,
            email="admin@city.test",
            name="Admin",
            password=PASSWORD,
            role="admin",
            agency=None,
            actor="test",
        )
        create_staff(
            session,
            email="roads@city.test",
            name="Roads",
            password=PASSWORD,
            role="agency",
            agency="Transportation",
            actor="test",
        )
        key = issue_api_key(session, "staff tests")
    ids = {}
    for code, extra in (("TRM-Pothole Repair", {"attribute[SIZE]": "small"}), ("SW-Dirty Street", {})):
        response = httpx.post(
            f"{forms.url}/open311/v2/requests.json",
            data={
                "api_key": key,
                "service_code": code,
                "address_string": "1 Main St",
                "email": "res@example.org",
                **extra,
            },
        )
        ids[code] = response.json()[0]["service_request_id"]
    return ids


@contextmanager
def sign_in(forms: FormsServer, email: str, password: str = PASSWORD) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=forms.url, timeout=30) as web:
        response = web.post("/staff/login", data={"email": email, "password": password})
        assert response.status_code == 303, response.text
        yield web


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_staff_pages_need_a_session(forms: FormsServer, staff: dict[str, str]) -> None:
    pothole = staff["TRM-Pothole Repair"]
    with httpx.Client(base_url=forms.url, timeout=30) as web:
        for method, path in (
            ("GET", "/staff"),
            ("GET", f"/staff/requests/{pothole}"),
            ("POST", f"/staff/requests/{pothole}"),
        ):
            response = web.request(method, path)
            assert (response.status_code, response.headers["location"]) == (303, "/staff/login"), path
        wrong = web.post("/staff/login", data={"email": "roads@city.test", "password": "nope nope nope"})
        assert wrong.status_code == 400 and "The email or password is wrong" in wrong.text
        unknown = web.post("/staff/login", data={"email": "who@city.test", "password": PASSWORD})
        assert unknown.status_code == 400
    with forms.sessions()() as session:
        hashes = [u.password_hash for u in session.scalars(select(StaffUser))]
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    with pytest.raises(StaffError, match="at least 12"), forms.sessions().begin() as session:
        create_staff(
            session, email="x@city.test", name="X", password="short", role="admin", agency=None, actor="t"
        )


def test_agency_staff_work_only_their_agency(forms: FormsServer, staff: dict[str, str]) -> None:
    pothole, street = staff["TRM-Pothole Repair"], staff["SW-Dirty Street"]
    with sign_in(forms, "roads@city.test") as web:
        queue = web.get("/staff")
        assert "<h1>Requests for Transportation</h1>" in queue.text
        assert pothole in queue.text and street not in queue.text
        assert web.get(f"/staff/requests/{street}").status_code == 403
        page = web.get(f"/staff/requests/{pothole}")
        assert page.status_code == 200 and "res@example.org" in page.text  # staff may contact the reporter
        csrf = csrf_of(page.text)
        forged = web.post(f"/staff/requests/{pothole}", data={"status": "closed", "csrf": "forged"})
        assert forged.status_code == 400
        nothing = web.post(f"/staff/requests/{pothole}", data={"status": "open", "csrf": csrf})
        assert nothing.status_code == 400 and "Change the status or write a note" in nothing.text
        done = web.post(
            f"/staff/requests/{pothole}",
            data={
                "status": "closed",
                "public_note": "Filled with hot asphalt",
                "internal_note": "Crew 7, truck 12; resident was rude",
                "csrf": csrf,
            },
        )
        assert done.status_code == 303
        assert (
            web.post(f"/staff/requests/{street}", data={"status": "closed", "csrf": csrf}).status_code == 403
        )
    with forms.sessions()() as session:
        row = session.scalars(select(ServiceRequest).where(ServiceRequest.public_id == pothole)).one()
        notes = [
            (n.public, n.text)
            for n in session.scalars(select(RequestNote).where(RequestNote.request_id == row.id))
        ]
        audit = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == pothole).order_by(AuditEntry.id)
        ).all()
    assert (row.status, row.status_notes) == (
        "closed",
        "Filled with hot asphalt",
    ) and row.closed_at is not None
    assert notes == [(True, "Filled with hot asphalt"), (False, "Crew 7, truck 12; resident was rude")]
    assert [(a.actor, a.action) for a in audit] == [
        ("api:staff tests", "create request"),
        ("roads@city.test", "update request"),
    ]
    assert audit[1].before == {"status": "open", "status_notes": None}
    # residents see the public note, never the internal one
    status_page = httpx.get(f"{forms.url}/status/{pothole}").text
    assert (
        "Filled with hot asphalt" in status_page and "Crew 7" not in status_page and "Closed" in status_page
    )
    (shown,) = httpx.get(f"{forms.url}/open311/v2/requests/{pothole}.json?extensions=true").json()
    assert shown["status"] == "closed" and shown["status_notes"] == "Filled with hot asphalt"
    assert [n["text"] for n in shown["extended_attributes"]["notes"]] == ["Filled with hot asphalt"]
    assert "Crew 7" not in str(shown) and "res@example.org" not in str(shown)


def test_admin_sees_all_and_sessions_end(forms: FormsServer, staff: dict[str, str]) -> None:
    with sign_in(forms, "admin@city.test") as web:
        queue = web.get("/staff?status=all")
        assert "<h1>All requests</h1>" in queue.text
        assert staff["TRM-Pothole Repair"] in queue.text and staff["SW-Dirty Street"] in queue.text
        web.post("/staff/logout", data={"csrf": csrf_of(queue.text)})
        token = web.cookies.get(COOKIE)
        assert token is None
    with sign_in(forms, "admin@city.test") as web:
        token = web.cookies[COOKIE]
        web.post("/staff/logout", data={"csrf": csrf_of(web.get("/staff").text)})
        web.cookies.set(COOKIE, token)  # the old token no longer opens anything
        assert web.get("/staff").status_code == 303
    with forms.sessions().begin() as session:
        admin = session.scalars(select(StaffUser).where(StaffUser.email == "admin@city.test")).one()
        stale = start_session(
            session,
            admin,
            now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=9),
            lifetime=dt.timedelta(hours=8),
        )
    with httpx.Client(base_url=forms.url, timeout=30, cookies={COOKIE: stale}) as web:
        assert web.get("/staff").status_code == 303  # expired an hour ago
