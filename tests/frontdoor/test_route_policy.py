"""Every route of the app has an access policy (checked across the whole app, as GOV.UK Notify does):
public pages and APIs, or staff-only. A new route fails this test until it is given one; every
staff route, asked without a session, sends the visitor to sign in and shows nothing."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.routing import APIRoute
from starlette.routing import Mount

from tests.frontdoor.conftest import FormsServer

PUBLIC = re.compile(
    r"^(/|/healthz|/api/v1(/.*)?|/open311/v2/.*|/report(/.*)?|/status(/.*)?|/media/.*|/static"
    r"|/agencies(/.*)?|/measures(/.*)?|/areas(/.*)?|/about|/score(/.*)?|/search)$"
)
STAFF_OPEN = {"/staff/login"}  # the sign-in page itself
STAFF = re.compile(r"^/staff(/.*)?$")


def walk_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, set[str]]]:
    """(path, methods) of every route, routers included by FastAPI (lazily, as _IncludedRouter) too."""
    found: list[tuple[str, set[str]]] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append((prefix + route.path, set(route.methods)))
        elif isinstance(route, Mount):
            found.append((prefix + route.path, {"GET"}))
        elif hasattr(route, "original_router"):  # fastapi.routing._IncludedRouter
            found += walk_routes(route.original_router.routes, prefix + route.include_context.prefix)
        else:
            found.append(
                (
                    prefix + getattr(route, "path", repr(route)),
                    set(getattr(route, "methods", None) or {"GET"}),
                )
            )
    return found


def test_every_route_has_a_policy(forms: FormsServer) -> None:
    from citystat.settings import Settings
    from citystat.web import create_app

    app = create_app(Settings(warehouse=forms.media.parent / "none.duckdb", store_url=forms.store_url))
    routes = walk_routes(app.routes)
    unclassified = [path for path, _ in routes if not PUBLIC.match(path) and not STAFF.match(path)]
    assert unclassified == [], "give these routes an access policy in this test"
    staff_routes = [
        (path, methods) for path, methods in routes if STAFF.match(path) and path not in STAFF_OPEN
    ]
    assert staff_routes, "no staff routes found"
    with httpx.Client(base_url=forms.url, timeout=30) as web:
        for path, methods in staff_routes:
            concrete = re.sub(r"\{[^}]+\}", "CS-0000001", path)
            for method in methods - {"HEAD"}:
                response = web.request(method, concrete)
                if path == "/staff/logout":  # signing out without a session just leaves you signed out
                    assert response.status_code == 303 and response.headers["location"] == "/staff/login"
                    continue
                assert (response.status_code, response.headers.get("location")) == (303, "/staff/login"), (
                    method,
                    path,
                )
                assert response.headers["cache-control"] == "no-store"
