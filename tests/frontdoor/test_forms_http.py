"""The request forms over real HTTP with no JavaScript: a resident reports a pothole page by page,
fixing the mistakes the server points out, and the request lands in the store as the API would make
it (channel web, the page's language), with the photo stripped of its GPS metadata and nothing of
the reporter on the public status page."""

from __future__ import annotations

import io
import re

import httpx
from PIL import Image
from sqlalchemy import select

from citystat.store.models import ServiceRequest
from tests.frontdoor.conftest import FormsServer

CITY_HALL = {"lat": "39.2904", "long": "-76.6122"}


def make_jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (39.0, 17.0, 25.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def error_links(html: str) -> list[str]:
    summary = re.search(r'<div class="cs-error-summary".*?</div>', html, re.S)
    assert summary, "no error summary"
    return re.findall(r'<a href="#([^"]+)">', summary.group(0))


def test_a_resident_reports_a_pothole(forms: FormsServer) -> None:
    with httpx.Client(base_url=forms.url, follow_redirects=False, timeout=30) as web:
        found = web.get("/report/services", params={"q": "pothole"})
        assert found.status_code == 200
        assert '/report/start?service=TRM-Pothole%20Repair">Pothole Repair</a>' in found.text
        step = web.get("/report/start", params={"service": "TRM-Pothole Repair"})
        assert (step.status_code, step.headers["location"]) == (303, "/report/where")

        empty = web.post("/report/where", data={"address": "  "})
        assert empty.status_code == 400 and error_links(empty.text) == ["address"]
        assert "Enter the address or describe where the problem is" in empty.text
        assert 'id="address"' in empty.text and 'aria-describedby="address-hint address-error"' in empty.text
        far = web.post("/report/where", data={"address": "x", "lat": "40.7", "long": "-74.0"})
        assert far.status_code == 400 and "outside the city" in far.text
        where = web.post("/report/where", data={"address": "100 Holliday St", **CITY_HALL})
        assert where.headers["location"] == "/report/nearby"
        assert "No one has reported this nearby" in web.get("/report/nearby").text
        assert web.post("/report/nearby").headers["location"] == "/report/question/SIZE"

        question = web.get("/report/question/SIZE")
        assert "<h1>How big is the pothole?</h1>" in question.text
        assert question.text.count('type="radio"') == 3
        unanswered = web.post("/report/question/SIZE", data={})
        assert unanswered.status_code == 400 and error_links(unanswered.text) == ["attr-SIZE"]
        assert "Select an answer" in unanswered.text
        assert web.post("/report/question/SIZE", data={"answer": "huge"}).status_code == 400
        assert web.post("/report/question/SIZE", data={"answer": "large"}).headers["location"] == (
            "/report/question/LANE"
        )
        assert web.post("/report/question/LANE", data={}).headers["location"] == "/report/describe"
        too_long = web.post("/report/describe", data={"description": "x" * 4001})
        assert too_long.status_code == 400 and "4,000 characters or fewer" in too_long.text
        web.post("/report/describe", data={"description": "Deep hole in the bus lane"})

        not_image = web.post("/report/photo", files={"photo": ("x.jpg", b"not an image", "image/jpeg")})
        assert not_image.status_code == 400 and "must be a JPG, PNG or WEBP" in not_image.text
        photo = web.post("/report/photo", files={"photo": ("hole.jpg", make_jpeg_with_gps(), "image/jpeg")})
        assert photo.headers["location"] == "/report/contact"

        bad_contact = web.post("/report/contact", data={"email": "nope", "phone": "12"})
        assert bad_contact.status_code == 400 and error_links(bad_contact.text) == ["email", "phone"]
        web.post(
            "/report/contact", data={"first_name": "Ada", "email": "ada@example.org", "phone": "410 555 0100"}
        )

        check = web.get("/report/check")
        assert check.status_code == 200
        for shown in (
            "Pothole Repair",
            "100 Holliday St",
            "Larger than a car tyre",
            "Deep hole in the bus lane",
            "1 photo",
            "ada@example.org",
        ):
            assert shown in check.text
        assert 'href="/report/question/SIZE?from=check"' in check.text
        changed = web.post("/report/question/SIZE?from=check", data={"answer": "medium"})
        assert changed.headers["location"] == "/report/check"
        assert web.post("/report/check", data={"csrf": "forged"}).status_code == 400
        csrf = re.search(r'name="csrf" value="([^"]+)"', web.get("/report/check").text).group(1)
        sent = web.post("/report/check", data={"csrf": csrf})
        assert sent.status_code == 303
        number = sent.headers["location"].rsplit("/", 1)[1]
        done = web.get(sent.headers["location"])
        assert number.startswith("CS-") and f"<strong>{number}</strong>" in done.text
        # the draft is gone: the check page starts again
        assert web.get("/report/check").headers["location"] == "/report"

        status = web.get(f"/status/{number}")
        assert status.status_code == 200 and "Pothole Repair" in status.text and "Open" in status.text
        for private in ("Ada", "ada@example.org", "410 555 0100"):
            assert private not in status.text
        assert (
            web.get("/status", params={"number": number.lower()}).headers["location"] == f"/status/{number}"
        )
        assert web.get("/status/CS-9999999").status_code == 404

    with forms.sessions()() as session:
        row = session.scalars(select(ServiceRequest).where(ServiceRequest.public_id == number)).one()
    assert (row.channel, row.locale, row.service_code) == ("web", "en", "TRM-Pothole Repair")
    assert row.attributes == {"SIZE": "medium"}
    assert (row.address, row.lat, row.long) == ("100 Holliday St", 39.2904, -76.6122)
    assert (row.reporter_first_name, row.reporter_email) == ("Ada", "ada@example.org")
    assert row.media_url and row.media_url.startswith(forms.url + "/media/")
    stored = httpx.get(row.media_url)
    assert stored.headers["content-type"] == "image/jpeg"
    cleaned = Image.open(io.BytesIO(stored.content))
    assert cleaned.size == (40, 30) and dict(cleaned.getexif()) == {}


def test_nearby_open_requests_are_shown_before_sending(forms: FormsServer) -> None:
    with httpx.Client(base_url=forms.url, timeout=30) as web:
        web.get("/report/start", params={"service": "TRM-Pothole Repair"})
        web.post("/report/where", data={"address": "City Hall", "lat": "39.2906", "long": "-76.6120"})
        nearby = web.get("/report/nearby")
    assert "<h1>Has this already been reported?</h1>" in nearby.text
    assert re.search(r'<a href="/status/CS-\d{7}">Request CS-\d{7}</a>: 100 Holliday St', nearby.text)
    assert "metres away" in nearby.text


def test_spanish_and_a_tampered_draft(forms: FormsServer) -> None:
    with httpx.Client(base_url=forms.url, timeout=30, follow_redirects=False) as web:
        start = web.get("/report", params={"lang": "es"})
        assert '<html lang="es">' in start.text and "<h1>Informar de un problema</h1>" in start.text
        assert "Basura, reciclaje y calles limpias" in start.text
        web.get("/report/start", params={"service": "SW-Dirty Alley"})
        empty = web.post("/report/where", data={})
        assert "Escriba la dirección o describa dónde está el problema" in empty.text
        web.cookies.set("report_draft", web.cookies["report_draft"][:-4] + "AAAA")
        assert web.get("/report/where").headers["location"] == "/report"


def test_every_step_without_a_draft_starts_again(forms: FormsServer) -> None:
    """Opened out of order or after the draft expired, every step (page and answer) leads back to
    the start instead of failing."""
    steps = ["where", "nearby", "question/size", "describe", "photo", "contact", "check"]
    with httpx.Client(base_url=forms.url, timeout=30, follow_redirects=False) as web:
        for step in steps:
            for method in ("GET", "POST"):
                answer = web.request(method, f"/report/{step}", data={} if method == "POST" else None)
                assert (answer.status_code, answer.headers.get("location")) == (303, "/report"), (
                    method,
                    step,
                )
