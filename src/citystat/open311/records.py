"""Requests in the store: create, find, query (with the GeoReport v2 rules) and show.

Query rules (GeoReport v2): ``service_request_id`` (comma-separated) overrides every other filter;
without dates the window is the last 90 days; ``start_date``/``end_date`` span at most 90 days; at
most 1,000 requests a page (``page``/``page_size`` as Chicago and Boston do). ``updated_after`` and
``updated_before`` are the common extensions.

Shown requests never carry the reporter's name, e-mail or phone, with or without extensions.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from citystat.open311.errors import Open311Error, fail_input
from citystat.open311.intake import RequestInput
from citystat.open311.params import Params, format_datetime, read_datetime, read_int, read_list
from citystat.store.models import STATUSES, AuditEntry, RequestNote, RequestToken, ServiceRequest

WINDOW = dt.timedelta(days=90)
MAX_PAGE_SIZE = 1000
PUBLIC_ID_PREFIX = "CS-"


def make_public_id(row_id: int) -> str:
    return f"{PUBLIC_ID_PREFIX}{row_id:07d}"


def describe_new_request(given: RequestInput, now: dt.datetime, api_key_id: int | None) -> dict[str, Any]:
    """The stored fields of a validated request, as JSON-ready values (times as ISO text)."""
    expected = None
    if given.service.expected_days is not None:
        expected = now + dt.timedelta(days=given.service.expected_days)
    return {
        "service_code": given.service.code,
        "service_name": given.service.name,
        "agency_responsible": given.service.agency,
        "description": given.description,
        "requested_at": now.isoformat(),
        "expected_at": expected.isoformat() if expected else None,
        "address": given.address,
        "address_id": given.address_id,
        "lat": given.lat,
        "long": given.long,
        "media_url": given.media_url,
        "attributes": given.attributes,
        "channel": given.channel,
        "locale": given.locale,
        "api_key_id": api_key_id,
        "reporter_first_name": given.contact.get("first_name"),
        "reporter_last_name": given.contact.get("last_name"),
        "reporter_email": given.contact.get("email"),
        "reporter_phone": given.contact.get("phone"),
        "device_id": given.device_id,
        "account_id": given.account_id,
    }


def insert_request(session: Session, fields: dict[str, Any], *, actor: str) -> ServiceRequest:
    """Store a described request (see :func:`describe_new_request`) and its audit entry."""
    requested = dt.datetime.fromisoformat(fields["requested_at"])
    expected = fields.get("expected_at")
    row = ServiceRequest(
        **{k: v for k, v in fields.items() if k not in ("requested_at", "expected_at")},
        public_id=f"pending-{secrets.token_hex(8)}",
        status="open",
        requested_at=requested,
        updated_at=requested,
        expected_at=dt.datetime.fromisoformat(expected) if expected else None,
    )
    session.add(row)
    session.flush()
    row.public_id = make_public_id(row.id)
    session.add(
        AuditEntry(
            at=requested,
            actor=actor,
            action="create request",
            entity="service_request",
            entity_id=row.public_id,
            after={"service_code": row.service_code, "channel": row.channel, "status": row.status},
        )
    )
    return row


def create_request(
    session: Session, given: RequestInput, *, now: dt.datetime, api_key_id: int | None, actor: str
) -> ServiceRequest:
    """Store a validated request and its audit entry (the caller commits)."""
    return insert_request(session, describe_new_request(given, now, api_key_id), actor=actor)


def queue_request(
    session: Session, given: RequestInput, *, now: dt.datetime, api_key_id: int | None, actor: str
) -> str:
    """Keep a validated request for later (a batch service): its token, committed with the caller."""
    token = secrets.token_urlsafe(12)
    session.add(
        RequestToken(
            token=token, created_at=now, actor=actor, payload=describe_new_request(given, now, api_key_id)
        )
    )
    return token


def process_queue(session: Session, *, limit: int = 1000) -> int:
    """Create the requests of waiting tokens (oldest first); returns how many were created."""
    waiting = session.scalars(
        select(RequestToken)
        .where(RequestToken.request_id.is_(None), RequestToken.payload.is_not(None))
        .order_by(RequestToken.created_at)
        .limit(limit)
    ).all()
    for token in waiting:
        row = insert_request(session, dict(token.payload or {}), actor=token.actor or "queue")
        token.request_id = row.id
    return len(waiting)


def find_request(session: Session, public_id: str) -> ServiceRequest:
    row = session.scalars(select(ServiceRequest).where(ServiceRequest.public_id == public_id)).one_or_none()
    if row is None:
        raise Open311Error(404, f"no service request {public_id!r}")
    return row


@dataclass(frozen=True)
class RequestQuery:
    ids: list[str] | None
    service_codes: list[str] | None
    statuses: list[str] | None
    start: dt.datetime | None
    end: dt.datetime | None
    updated_after: dt.datetime | None
    updated_before: dt.datetime | None
    page: int
    page_size: int


def read_query(params: Params, now: dt.datetime) -> RequestQuery:
    """The filters of ``GET requests``, with the default window applied; 400 on a bad one."""
    page = read_int(params, "page", 1, 1, 1_000_000)
    page_size = read_int(params, "page_size", MAX_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    ids = read_list(params, "service_request_id")
    if ids is not None:  # overrides every other filter
        return RequestQuery(ids, None, None, None, None, None, None, page, page_size)
    statuses = read_list(params, "status")
    if statuses is not None:
        bad = [s for s in statuses if s not in STATUSES]
        if bad:
            raise fail_input(f"status must be open, closed or both (comma-separated): {', '.join(bad)}")
    start, end = read_datetime(params, "start_date"), read_datetime(params, "end_date")
    if start is not None and end is not None:
        if end < start:
            raise fail_input("end_date is before start_date")
        if end - start > WINDOW:
            raise fail_input("start_date and end_date may span at most 90 days")
    elif start is not None:
        end = start + WINDOW
    elif end is not None:
        start = end - WINDOW
    else:
        start, end = now - WINDOW, None
    return RequestQuery(
        None,
        read_list(params, "service_code"),
        statuses,
        start,
        end,
        read_datetime(params, "updated_after"),
        read_datetime(params, "updated_before"),
        page,
        page_size,
    )


def build_select(query: RequestQuery) -> Select[ServiceRequest]:
    statement = select(ServiceRequest)
    if query.ids is not None:
        return statement.where(ServiceRequest.public_id.in_(query.ids)).order_by(ServiceRequest.id)
    if query.service_codes:
        statement = statement.where(ServiceRequest.service_code.in_(query.service_codes))
    if query.statuses:
        statement = statement.where(ServiceRequest.status.in_(query.statuses))
    if query.start is not None:
        statement = statement.where(ServiceRequest.requested_at >= query.start)
    if query.end is not None:
        statement = statement.where(ServiceRequest.requested_at <= query.end)
    if query.updated_after is not None:
        statement = statement.where(ServiceRequest.updated_at >= query.updated_after)
    if query.updated_before is not None:
        statement = statement.where(ServiceRequest.updated_at <= query.updated_before)
    statement = statement.order_by(ServiceRequest.requested_at.desc(), ServiceRequest.id.desc())
    return statement.offset((query.page - 1) * query.page_size).limit(query.page_size)


def query_requests(session: Session, query: RequestQuery) -> list[ServiceRequest]:
    return list(session.scalars(build_select(query)))


def read_public_notes(session: Session, request_ids: list[int]) -> dict[int, list[RequestNote]]:
    notes: dict[int, list[RequestNote]] = {}
    if not request_ids:
        return notes
    rows = session.scalars(
        select(RequestNote)
        .where(RequestNote.request_id.in_(request_ids), RequestNote.public.is_(True))
        .order_by(RequestNote.created_at, RequestNote.id)
    )
    for note in rows:
        notes.setdefault(note.request_id, []).append(note)
    return notes


def show_request(
    row: ServiceRequest, zone: dt.tzinfo, *, extensions: bool, notes: list[RequestNote] | None = None
) -> dict[str, Any]:
    """The GeoReport v2 fields of a request (ids as strings; never the reporter's details)."""
    shown: dict[str, Any] = {
        "service_request_id": row.public_id,
        "status": row.status,
        "status_notes": row.status_notes,
        "service_name": row.service_name,
        "service_code": row.service_code,
        "description": row.description,
        "agency_responsible": row.agency_responsible,
        "service_notice": None,
        "requested_datetime": format_datetime(row.requested_at, zone),
        "updated_datetime": format_datetime(row.updated_at, zone),
        "expected_datetime": format_datetime(row.expected_at, zone),
        "address": row.address,
        "address_id": row.address_id,
        "zipcode": row.zipcode,
        "lat": row.lat,
        "long": row.long,
        "media_url": row.media_url,
    }
    if extensions:
        shown["extended_attributes"] = {
            "channel": row.channel,
            "locale": row.locale,
            "attributes": dict(row.attributes or {}),
            "closed_datetime": format_datetime(row.closed_at, zone),
            "notes": [
                {
                    "datetime": format_datetime(n.created_at, zone),
                    "status": n.status_after,
                    "text": n.text,
                }
                for n in notes or []
            ],
        }
    return shown
