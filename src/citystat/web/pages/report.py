"""The resident request forms (/report) and the public status page (/status).

Thin: each page reads the draft cookie, asks :mod:`citystat.frontdoor` to check the answers, and
renders or redirects. Answers are checked on the server; nothing needs JavaScript.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from citystat.frontdoor.draft import COOKIE, MAX_AGE_SECONDS, Draft, read_draft, start_draft, write_draft
from citystat.frontdoor.nearby import find_nearby
from citystat.frontdoor.photos import PhotoError, clean_photo, store_photo
from citystat.frontdoor.search import in_group, list_groups, search_services, slug_of
from citystat.frontdoor.steps import (
    FieldError,
    build_submission,
    check_contact,
    check_describe,
    check_question,
    check_where,
    find_attribute,
    first_missing_step,
    list_steps,
    next_step,
    previous_step,
    question_step,
)
from citystat.i18n import format_day, translate
from citystat.open311.errors import Open311Error
from citystat.open311.intake import read_request_input
from citystat.open311.records import create_request, find_request, read_public_notes
from citystat.open311.services import Service
from citystat.site import NotFoundError
from citystat.web.lang import pick_lang
from citystat.web.render import render_page
from citystat.web.state import client_of, open_directory, sessions_of

router = APIRouter()


def secret_of(request: Request) -> str:
    return str(request.app.state.settings.secret_key)


def step_url(step: str) -> str:
    return f"/report/question/{step[2:]}" if step.startswith("q-") else f"/report/{step}"


def keep_draft(response: Response, request: Request, draft: Draft) -> Response:
    response.set_cookie(
        COOKIE,
        write_draft(draft, secret_of(request)),
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def load_draft(request: Request) -> tuple[Draft, Service] | None:
    draft = read_draft(request.cookies.get(COOKIE), secret_of(request))
    if draft is None:
        return None
    service = open_directory(request).by_code.get(draft.service_code)
    return (draft, service) if service is not None else None


class NoDraftError(Exception):
    """A form page opened without a draft (it expired, or the page was opened out of order)."""


def require_draft(request: Request) -> tuple[Draft, Service]:
    """The draft and its service, for every page after the choice of service (see :data:`Loaded`)."""
    loaded = load_draft(request)
    if loaded is None:
        raise NoDraftError
    return loaded


# A form page's draft: without one, the page answers with a redirect to the start (``restart``).
Loaded = Annotated[tuple[Draft, Service], Depends(require_draft)]


def go(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def restart(request: Request, exc: Exception) -> Response:
    """No draft (expired, or opened out of order): start again at the beginning. The app's
    handler of :class:`NoDraftError`."""
    return go("/report")


def after(service: Service, step: str, request: Request) -> str:
    """Where a finished page leads: back to the check page when changing an answer."""
    if request.query_params.get("from") == "check":
        return "/report/check"
    return step_url(next_step(service, step))


def page(
    request: Request,
    template: str,
    draft: Draft,
    service: Service,
    step: str,
    errors: list[FieldError] | None = None,
    **context: Any,
) -> Response:
    back_step = previous_step(service, step)
    from_check = request.query_params.get("from") == "check"
    response = render_page(
        request,
        template,
        {
            "nav": "report",
            "draft": draft,
            "service": service,
            "errors": errors or [],
            "back": "/report/check" if from_check else (step_url(back_step) if back_step else "/report"),
            "suffix": "?from=check" if from_check else "",
            **context,
        },
        status_code=400 if errors else 200,
    )
    return keep_draft(response, request, draft)


async def read_form(request: Request) -> dict[str, Any]:
    form = await request.form()
    values: dict[str, Any] = {}
    for key, value in form.multi_items():
        if key in values:
            values[key] = [*(values[key] if isinstance(values[key], list) else [values[key]]), value]
        else:
            values[key] = value
    return values


@router.get("/report")
def show_start(request: Request) -> Response:
    services = open_directory(request).services
    return render_page(
        request, "report_start.html", {"nav": "report", "groups": list_groups(services, pick_lang(request))}
    )


@router.get("/report/services")
def show_services(request: Request, q: str | None = None, group: str | None = None) -> Response:
    lang = pick_lang(request)
    services = open_directory(request).services
    if group:
        found = in_group(services, group)
        names = {slug_of(s.group["en"]): s.group_name(lang) for s in found}
        heading = names.get(group) or translate(lang, "Choose a service")
    else:
        found = search_services(services, q or "")
        heading = translate(lang, "Results for “{q}”", q=q) if q else translate(lang, "Choose a service")
    return render_page(
        request, "report_services.html", {"nav": "report", "services": found, "q": q, "heading": heading}
    )


@router.get("/report/start")
def start_report(request: Request, service: str) -> Response:
    if service not in open_directory(request).by_code:
        raise NotFoundError("service", service)
    return keep_draft(go("/report/where"), request, start_draft(service))


@router.get("/report/where")
def show_where(request: Request, loaded: Loaded) -> Response:
    return page(request, "report_where.html", *loaded, "where")


@router.post("/report/where")
async def answer_where(request: Request, loaded: Loaded) -> Response:
    draft, service = loaded
    values, errors = check_where(await read_form(request), open_directory(request).profile.region_bbox)
    if errors:
        return page(request, "report_where.html", draft, service, "where", errors)
    return keep_draft(go(after(service, "where", request)), request, draft.with_step("where", **values))


@router.get("/report/nearby")
def show_nearby(request: Request, loaded: Loaded) -> Response:
    draft, service = loaded
    with sessions_of(request)() as session:
        nearby = find_nearby(session, service.code, lat=draft.lat, long=draft.long, address=draft.address)
    return page(request, "report_nearby.html", draft, service, "nearby", nearby=nearby)


@router.post("/report/nearby")
def answer_nearby(request: Request, loaded: Loaded) -> Response:
    draft, service = loaded
    return keep_draft(go(after(service, "nearby", request)), request, draft.with_step("nearby"))


def show_answer_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and "T" in value and value[:4].isdigit():
        return value[:10]  # a date question: the date part
    return str(value)


@router.get("/report/question/{code}")
def show_question(request: Request, code: str, loaded: Loaded) -> Response:
    draft, service = loaded
    attribute = find_attribute(service, question_step(code))
    if attribute is None:
        raise NotFoundError("question", code)
    answer = draft.answers.get(code)
    return page(
        request,
        "report_question.html",
        draft,
        service,
        question_step(code),
        attribute=attribute,
        answer=answer,
        answer_text=show_answer_text(answer),
    )


@router.post("/report/question/{code}")
async def answer_question(request: Request, code: str, loaded: Loaded) -> Response:
    draft, service = loaded
    step = question_step(code)
    attribute = find_attribute(service, step)
    if attribute is None:
        raise NotFoundError("question", code)
    form = await read_form(request)
    values, errors = check_question(attribute, form, open_directory(request).zone)
    if errors:
        return page(
            request,
            "report_question.html",
            draft,
            service,
            step,
            errors,
            attribute=attribute,
            answer=form.get("answer"),
            answer_text=form.get("answer") if isinstance(form.get("answer"), str) else "",
        )
    answers = {**draft.answers, code: values["answer"]}
    return keep_draft(go(after(service, step, request)), request, draft.with_step(step, answers=answers))


@router.get("/report/describe")
def show_describe(request: Request, loaded: Loaded) -> Response:
    return page(request, "report_describe.html", *loaded, "describe")


@router.post("/report/describe")
async def answer_describe(request: Request, loaded: Loaded) -> Response:
    draft, service = loaded
    form = await read_form(request)
    values, errors = check_describe(form)
    if errors:
        shown = Draft(**{**draft.__dict__, "description": form.get("description")})
        return page(request, "report_describe.html", shown, service, "describe", errors)
    return keep_draft(go(after(service, "describe", request)), request, draft.with_step("describe", **values))


def max_photo_mb(request: Request) -> int:
    return int(request.app.state.settings.max_upload_bytes // (1024 * 1024))


@router.get("/report/photo")
def show_photo(request: Request, loaded: Loaded) -> Response:
    return page(request, "report_photo.html", *loaded, "photo", max_mb=max_photo_mb(request))


@router.post("/report/photo")
async def answer_photo(request: Request, loaded: Loaded) -> Response:
    draft, service = loaded
    form = await request.form()
    upload = form.get("photo")
    photo = draft.photo
    if upload is not None and not isinstance(upload, str) and upload.filename:
        data = await upload.read()
        try:
            cleaned = clean_photo(data, max_bytes=request.app.state.settings.max_upload_bytes)
        except PhotoError as exc:
            error = FieldError("photo", exc.message, tuple(exc.values.items()))
            return page(
                request, "report_photo.html", draft, service, "photo", [error], max_mb=max_photo_mb(request)
            )
        photo = store_photo(cleaned, request.app.state.settings.data_dir / "media")
    return keep_draft(go(after(service, "photo", request)), request, draft.with_step("photo", photo=photo))


@router.get("/media/{name}")
def show_media(request: Request, name: str) -> Response:
    folder = (request.app.state.settings.data_dir / "media").resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        raise NotFoundError("photo", name)
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "public, max-age=86400"})


@router.get("/report/contact")
def show_contact(request: Request, loaded: Loaded) -> Response:
    return page(request, "report_contact.html", *loaded, "contact")


@router.post("/report/contact")
async def answer_contact(request: Request, loaded: Loaded) -> Response:
    draft, service = loaded
    form = await read_form(request)
    values, errors = check_contact(form)
    if errors:
        shown = Draft(
            **{**draft.__dict__, **{k: form.get(k) for k in ("first_name", "last_name", "email", "phone")}}
        )
        return page(request, "report_contact.html", shown, service, "contact", errors)
    return keep_draft(go(after(service, "contact", request)), request, draft.with_step("contact", **values))


def list_check_rows(request: Request, draft: Draft, service: Service) -> list[dict[str, str]]:
    lang = pick_lang(request)

    def t(text: str, **values: object) -> str:
        return translate(lang, text, **values)

    where = draft.address or ""
    if draft.lat is not None:
        where = (where + " " if where else "") + t("(with your device's location)")
    rows = [
        {"label": t("Problem"), "value": service.title(lang), "href": "/report"},
        {"label": t("Where"), "value": where, "href": "/report/where?from=check"},
    ]
    for attribute in service.attributes:
        answer = draft.answers.get(attribute.code)
        names = {v.key: v.label(lang) for v in attribute.values}
        if isinstance(answer, list):
            shown = ", ".join(names.get(str(a), str(a)) for a in answer)
        else:
            shown = (
                names.get(answer, show_answer_text(answer))
                if isinstance(answer, str)
                else show_answer_text(answer)
            )
        rows.append(
            {
                "label": attribute.question(lang),
                "value": shown or t("Not answered"),
                "href": f"/report/question/{quote(attribute.code)}?from=check",
            }
        )
    contact = " ".join(x for x in (draft.first_name or "", draft.last_name or "") if x)
    contact_parts = [p for p in (contact, draft.email, draft.phone) if p]
    rows += [
        {
            "label": t("Description"),
            "value": draft.description or t("Not answered"),
            "href": "/report/describe?from=check",
        },
        {
            "label": t("Photo"),
            "value": t("1 photo") if draft.photo else t("No photo"),
            "href": "/report/photo?from=check",
        },
        {
            "label": t("Contact details"),
            "value": ", ".join(contact_parts) or t("Not given"),
            "href": "/report/contact?from=check",
        },
    ]
    return rows


@router.get("/report/check")
def show_check(request: Request, loaded: Loaded) -> Response:
    draft, service = loaded
    missing = first_missing_step(service, draft)
    if missing != "check":
        return go(step_url(missing))
    return page(
        request, "report_check.html", draft, service, "check", rows=list_check_rows(request, draft, service)
    )


@router.post("/report/check")
async def send_report(request: Request, loaded: Loaded) -> Response:
    draft, service = loaded
    form = await read_form(request)
    if form.get("csrf") != draft.csrf:
        error = FieldError("send", "Your session has changed. Check your answers and send the report again")
        rows = list_check_rows(request, draft, service)
        return page(request, "report_check.html", draft, service, "check", [error], rows=rows)
    lang = pick_lang(request)
    directory = open_directory(request)
    params = build_submission(draft, lang)
    if draft.photo:
        params["media_url"] = [str(request.base_url) + f"media/{draft.photo}"]
    wait = request.app.state.ip_limiter.allow(f"ip:{client_of(request)}")
    if wait is not None:
        error = FieldError("send", "Too many reports have been sent from here. Try again in a minute")
        rows = list_check_rows(request, draft, service)
        return page(request, "report_check.html", draft, service, "check", [error], rows=rows)
    try:
        given = read_request_input(
            params, directory.by_code, channel="web", locale=lang, region=directory.profile.region_bbox
        )
        with sessions_of(request).begin() as session:
            row = create_request(
                session, given, now=dt.datetime.now(dt.UTC), api_key_id=None, actor="resident"
            )
            public_id = row.public_id
    except Open311Error as exc:
        error = FieldError("send", "The report could not be sent: {reason}", (("reason", exc.description),))
        rows = list_check_rows(request, draft, service)
        return page(request, "report_check.html", draft, service, "check", [error], rows=rows)
    response = go(f"/report/done/{public_id}")
    response.delete_cookie(COOKIE)
    return response


@router.get("/report/done/{public_id}")
def show_done(request: Request, public_id: str) -> Response:
    lang = pick_lang(request)
    zone = open_directory(request).zone
    with sessions_of(request)() as session:
        try:
            row = find_request(session, public_id)
        except Open311Error as exc:
            raise NotFoundError("request", public_id) from exc
    expected = format_day(lang, row.expected_at.astimezone(zone).date()) if row.expected_at else None
    return render_page(request, "report_done.html", {"nav": "report", "report": row, "expected": expected})


@router.get("/status")
def show_status_lookup(request: Request, number: str | None = None) -> Response:
    if number is None or not number.strip():
        errors = [FieldError("number", "Enter a request number")] if number is not None else []
        return render_page(
            request,
            "status_lookup.html",
            {"nav": "report", "errors": errors, "number": number},
            status_code=400 if errors else 200,
        )
    return go(f"/status/{quote(number.strip().upper())}")


@router.get("/status/{public_id}")
def show_status(request: Request, public_id: str) -> Response:
    lang = pick_lang(request)
    zone = open_directory(request).zone
    with sessions_of(request)() as session:
        try:
            row = find_request(session, public_id)
        except Open311Error:
            errors = [FieldError("number", "No request has the number {number}", (("number", public_id),))]
            return render_page(
                request,
                "status_lookup.html",
                {"nav": "report", "errors": errors, "number": public_id},
                status_code=404,
            )
        notes = read_public_notes(session, [row.id]).get(row.id, [])
    shown_notes = [
        {"day": format_day(lang, n.created_at.astimezone(zone).date()), "text": n.text} for n in notes
    ]
    return render_page(
        request,
        "status.html",
        {
            "nav": "report",
            "report": row,
            "notes": shown_notes,
            "reported": format_day(lang, row.requested_at.astimezone(zone).date()),
            "expected": format_day(lang, row.expected_at.astimezone(zone).date())
            if row.expected_at
            else None,
        },
    )


__all__ = ["list_steps", "router"]
