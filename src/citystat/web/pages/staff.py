"""Staff pages (/staff): sign in, the queue, one request (status, public and internal notes).

Every /staff page except sign-in needs a signed-in session (``current_staff``); every form carries
the session's CSRF token. Staff see the reporter's contact details; no public page ever does.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from citystat.site import NotFoundError
from citystat.staff.accounts import authenticate
from citystat.staff.queue import NotAllowedError, list_notes, list_queue, open_for, update_request
from citystat.staff.sessions import COOKIE, check_csrf, end_session, make_csrf, read_session, start_session
from citystat.store.models import StaffUser
from citystat.web.render import render_page
from citystat.web.state import client_of, sessions_of

router = APIRouter()
LOGIN = "/staff/login"


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def current_staff(request: Request, session: Session) -> StaffUser | None:
    return read_session(session, request.cookies.get(COOKIE), now=now_utc())


def to_login() -> Response:
    return private(RedirectResponse(LOGIN, status_code=303))


def csrf_for(request: Request) -> str:
    return make_csrf(request.app.state.settings.secret_key, request.cookies.get(COOKIE, ""))


def csrf_ok(request: Request, given: object) -> bool:
    token = request.cookies.get(COOKIE, "")
    return check_csrf(request.app.state.settings.secret_key, token, given if isinstance(given, str) else None)


@router.get(LOGIN)
def show_login(request: Request) -> Response:
    return private(render_page(request, "staff_login.html", {"nav": "staff", "errors": [], "email": ""}))


@router.post(LOGIN)
async def sign_in(request: Request) -> Response:
    form = await request.form()
    email = str(form.get("email") or "")
    password = str(form.get("password") or "")
    wait = request.app.state.ip_limiter.allow(f"login:{client_of(request)}")
    user = None
    if wait is None:
        with sessions_of(request).begin() as session:
            user = authenticate(session, email, password)
            if user is not None:
                lifetime = dt.timedelta(minutes=request.app.state.settings.staff_session_minutes)
                token = start_session(session, user, now=now_utc(), lifetime=lifetime)
    if user is None:
        message = (
            "Too many attempts. Try again in a minute"
            if wait is not None
            else "The email or password is wrong"
        )
        context = {"nav": "staff", "errors": [{"field": "email", "message": message}], "email": email}
        return private(render_page(request, "staff_login.html", context, status_code=400))
    response = RedirectResponse("/staff", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=request.app.state.settings.staff_session_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return private(response)


@router.post("/staff/logout")
async def sign_out(request: Request) -> Response:
    form = await request.form()
    if csrf_ok(request, form.get("csrf")):
        with sessions_of(request).begin() as session:
            end_session(session, request.cookies.get(COOKIE))
    response = RedirectResponse(LOGIN, status_code=303)
    response.delete_cookie(COOKIE)
    return private(response)


@router.get("/staff")
def show_queue(request: Request, status: str = "open", page: int = 1) -> Response:
    with sessions_of(request)() as session:
        user = current_staff(request, session)
        if user is None:
            return to_login()
        queue = list_queue(session, user, status=status if status in ("open", "closed") else None, page=page)
        context = {"nav": "staff", "user": user, "queue": queue, "status": status, "csrf": csrf_for(request)}
        return private(render_page(request, "staff_queue.html", context))


@router.get("/staff/requests/{public_id}")
def show_request(request: Request, public_id: str) -> Response:
    with sessions_of(request)() as session:
        user = current_staff(request, session)
        if user is None:
            return to_login()
        try:
            row = open_for(session, user, public_id)
        except NotAllowedError:
            return private(render_page(request, "error.html", forbidden_context(), status_code=403))
        if row is None:
            raise NotFoundError("request", public_id)
        context = {
            "nav": "staff",
            "user": user,
            "item": row,
            "notes": list_notes(session, row),
            "errors": [],
            "csrf": csrf_for(request),
        }
        return private(render_page(request, "staff_request.html", context))


def forbidden_context() -> dict[str, str]:
    return {
        "heading": "You cannot open this request",
        "message": "It belongs to another agency. Ask an administrator if you need access.",
    }


@router.post("/staff/requests/{public_id}")
async def change_request(request: Request, public_id: str) -> Response:
    form = await request.form()
    with sessions_of(request).begin() as session:
        user = current_staff(request, session)
        if user is None:
            return to_login()
        if not csrf_ok(request, form.get("csrf")):
            return private(
                render_page(
                    request,
                    "error.html",
                    {
                        "heading": "The form has expired",
                        "message": "Go back, reload the page and try again.",
                    },
                    status_code=400,
                )
            )
        try:
            row = open_for(session, user, public_id)
        except NotAllowedError:
            return private(render_page(request, "error.html", forbidden_context(), status_code=403))
        if row is None:
            raise NotFoundError("request", public_id)
        public_note = str(form.get("public_note") or "").strip() or None
        internal_note = str(form.get("internal_note") or "").strip() or None
        problems = update_request(
            session,
            user,
            row,
            status=str(form.get("status") or ""),
            public_note=public_note,
            internal_note=internal_note,
            now=now_utc(),
        )
        if problems:  # nothing was changed
            context = {
                "nav": "staff",
                "user": user,
                "item": row,
                "notes": list_notes(session, row),
                "errors": [{"field": "status", "message": p} for p in problems],
                "csrf": csrf_for(request),
            }
            return private(render_page(request, "staff_request.html", context, status_code=400))
    return private(RedirectResponse(f"/staff/requests/{public_id}", status_code=303))
