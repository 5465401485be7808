"""Open311 GeoReport v2 at ``/open311/v2/``: every endpoint in XML and JSON.

A thin caller of :mod:`citystat.open311` (validation, queries, output) and the store; errors are
the spec's ``{code, description}`` list in the asked format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.background import BackgroundTask

from citystat.open311.errors import Open311Error
from citystat.open311.formats import Format, respond, respond_error
from citystat.open311.intake import read_request_input
from citystat.open311.keys import check_api_key
from citystat.open311.params import Params, read_param
from citystat.open311.records import (
    MAX_PAGE_SIZE,
    create_request,
    find_request,
    process_queue,
    query_requests,
    queue_request,
    read_public_notes,
    read_query,
    show_request,
)
from citystat.store.models import RequestToken, ServiceRequest
from citystat.web.limits import RateLimiter
from citystat.web.state import client_of, open_directory, sessions_of

PREFIX = "/open311/v2"
FORMATS: tuple[Format, ...] = ("xml", "json")
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-12-03T00:00:00Z"

router = APIRouter(prefix=PREFIX, include_in_schema=False)


def check_format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise Open311Error(404, f"unknown format {fmt!r}: use .xml or .json")
    return fmt


def split_format(name: str) -> tuple[str, Format]:
    """``"SW-Dirty Alley.json"`` → (``"SW-Dirty Alley"``, ``"json"``)."""
    stem, dot, fmt = name.rpartition(".")
    if not dot or not stem:
        raise Open311Error(404, "add .xml or .json to the address")
    return stem, check_format(fmt)


def guess_format(name: str) -> Format:
    return "json" if name == "json" or name.endswith(".json") else "xml"


def answer(fmt_source: str, build: Callable[[], Response]) -> Response:
    try:
        return build()
    except Open311Error as exc:
        return respond_error(
            guess_format(fmt_source), exc.status, exc.description, retry_after=exc.retry_after
        )


def read_params(request: Request) -> Params:
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    return params


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def drain_queue(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        process_queue(session)


def check_rate(limiter: RateLimiter, key: str) -> None:
    wait = limiter.allow(key)
    if wait is not None:
        seconds = int(wait) + 1
        raise Open311Error(429, f"too many requests: try again in {seconds} seconds", retry_after=seconds)


OPENAPI = Path(__file__).with_name("open311_openapi.yaml")


@lru_cache(maxsize=1)
def read_openapi() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(OPENAPI.read_text(encoding="utf-8"))
    return document


@router.get("/openapi.json")
def get_openapi() -> JSONResponse:
    """This server's OpenAPI document (the JSON form of every endpoint)."""
    return JSONResponse(read_openapi())


@router.get("/discovery.{fmt}")
def get_discovery(request: Request, fmt: str) -> Response:
    def build() -> Response:
        chosen = check_format(fmt)
        base = str(request.base_url).rstrip("/") + PREFIX
        body: dict[str, Any] = {
            "changeset": CHANGESET,
            "contact": "Use the city's 311 line, or the request forms at " + str(request.base_url) + "report",
            "key_service": "Ask the city's digital service team for an api_key to submit requests.",
            "endpoints": [
                {
                    "specification": SPECIFICATION,
                    "url": base,
                    "changeset": CHANGESET,
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }
            ],
            "max_page_size": MAX_PAGE_SIZE,
            "default_window_days": 90,
        }
        return respond(chosen, body, root_tag="discovery", item_tag=None)

    return answer(fmt, build)


def show_service(service: Any) -> dict[str, Any]:
    return {
        "service_code": service.code,
        "service_name": service.name,
        "description": service.description or None,
        "metadata": service.metadata,
        "type": service.type,
        "keywords": ", ".join(service.keywords) or None,
        "group": service.group["en"],
    }


@router.get("/services.{fmt}")
def list_services(request: Request, fmt: str) -> Response:
    def build() -> Response:
        chosen = check_format(fmt)
        services = [show_service(s) for s in open_directory(request).services]
        return respond(chosen, services, root_tag="services", item_tag="service")

    return answer(fmt, build)


@router.get("/services/{name:path}")
def get_service_definition(request: Request, name: str) -> Response:
    def build() -> Response:
        code, chosen = split_format(name)
        service = open_directory(request).by_code.get(code)
        if service is None:
            raise Open311Error(404, f"no service {code!r}")
        if not service.metadata:
            raise Open311Error(404, f"service {code!r} has no definition (its metadata is false)")
        body = {
            "service_code": service.code,
            "attributes": [
                {
                    "variable": a.variable,
                    "code": a.code,
                    "datatype": a.datatype,
                    "required": a.required,
                    "datatype_description": a.datatype_description,
                    "order": a.order,
                    "description": a.description,
                    **({"values": [{"key": v.key, "name": v.name} for v in a.values]} if a.values else {}),
                }
                for a in service.attributes
            ],
        }
        return respond(chosen, body, root_tag="service_definition", item_tag=None)

    return answer(name, build)


@router.post("/requests.{fmt}")
async def post_request(request: Request, fmt: str) -> Response:
    form = await request.form()
    params: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            params.setdefault(key, []).append(value)

    def build() -> Response:
        chosen = check_format(fmt)
        directory = open_directory(request)
        check_rate(request.app.state.ip_limiter, f"ip:{client_of(request)}")
        with sessions_of(request).begin() as session:
            key = check_api_key(session, read_param(params, "api_key"))
            check_rate(request.app.state.key_limiter, f"key:{key.id}")
            given = read_request_input(
                params,
                directory.by_code,
                channel=key.channel,
                locale=read_param(params, "locale") or "en",
                region=directory.profile.region_bbox,
            )
            actor = f"api:{key.label}"
            if given.service.type == "batch":
                token = queue_request(session, given, now=now_utc(), api_key_id=key.id, actor=actor)
                made: dict[str, Any] = {"token": token}
            else:
                row = create_request(session, given, now=now_utc(), api_key_id=key.id, actor=actor)
                made = {"service_request_id": row.public_id}
        body = [{**made, "service_notice": None, "account_id": given.account_id}]
        response = respond(chosen, body, root_tag="service_requests", item_tag="request", status_code=201)
        if "token" in made:  # create queued requests once this answer is sent
            response.background = BackgroundTask(drain_queue, sessions_of(request))
        return response

    return answer(fmt, build)


@router.get("/requests.{fmt}")
def list_requests(request: Request, fmt: str) -> Response:
    def build() -> Response:
        chosen = check_format(fmt)
        params = read_params(request)
        query = read_query(params, now_utc())
        extensions = read_param(params, "extensions") == "true"
        zone = open_directory(request).zone
        with sessions_of(request)() as session:
            rows = query_requests(session, query)
            notes = read_public_notes(session, [r.id for r in rows]) if extensions else {}
            body = [show_request(r, zone, extensions=extensions, notes=notes.get(r.id)) for r in rows]
        return respond(chosen, body, root_tag="service_requests", item_tag="request")

    return answer(fmt, build)


@router.get("/requests/{name}")
def get_request(request: Request, name: str) -> Response:
    def build() -> Response:
        public_id, chosen = split_format(name)
        extensions = read_param(read_params(request), "extensions") == "true"
        zone = open_directory(request).zone
        with sessions_of(request)() as session:
            row = find_request(session, public_id)
            notes = read_public_notes(session, [row.id]) if extensions else {}
            body = [show_request(row, zone, extensions=extensions, notes=notes.get(row.id))]
        return respond(chosen, body, root_tag="service_requests", item_tag="request")

    return answer(name, build)


@router.get("/tokens/{name}")
def get_token(request: Request, name: str) -> Response:
    def build() -> Response:
        token, chosen = split_format(name)
        with sessions_of(request)() as session:
            row = session.get(RequestToken, token)
            if row is None:
                raise Open311Error(404, f"no token {token!r}")
            public_id = None
            if row.request_id is not None:
                made = session.get(ServiceRequest, row.request_id)
                public_id = made.public_id if made else None
        body = [{"service_request_id": public_id, "token": token}]
        return respond(chosen, body, root_tag="service_requests", item_tag="request")

    return answer(name, build)
