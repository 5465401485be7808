"""The staff queue and changes to a request: status, public and internal notes, all audited.

Admins see and change every request; agency staff only their agency's (``agency_responsible``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citystat.errors import CitystatError
from citystat.store.models import STATUSES, AuditEntry, RequestNote, ServiceRequest, StaffUser

PAGE_SIZE = 50
NOTE_MAX = 4000


class NotAllowedError(CitystatError):
    """A staff user asked for a request outside their agency."""


@dataclass(frozen=True)
class QueuePage:
    rows: list[ServiceRequest]
    total: int
    page: int
    pages: int


def may_see(user: StaffUser, row: ServiceRequest) -> bool:
    return user.role == "admin" or (user.agency is not None and row.agency_responsible == user.agency)


def list_queue(session: Session, user: StaffUser, *, status: str | None = "open", page: int = 1) -> QueuePage:
    """Requests the user works on, oldest first (the longest waiting at the top)."""
    statement = select(ServiceRequest)
    if user.role != "admin":
        statement = statement.where(ServiceRequest.agency_responsible == user.agency)
    if status in STATUSES:
        statement = statement.where(ServiceRequest.status == status)
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    rows = session.scalars(
        statement.order_by(ServiceRequest.requested_at, ServiceRequest.id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return QueuePage(list(rows), total, page, pages)


def open_for(session: Session, user: StaffUser, public_id: str) -> ServiceRequest | None:
    row = session.scalars(select(ServiceRequest).where(ServiceRequest.public_id == public_id)).one_or_none()
    if row is None:
        return None
    if not may_see(user, row):
        raise NotAllowedError(f"{public_id} belongs to {row.agency_responsible}, not {user.agency}")
    return row


def list_notes(session: Session, row: ServiceRequest) -> list[RequestNote]:
    return list(
        session.scalars(
            select(RequestNote)
            .where(RequestNote.request_id == row.id)
            .order_by(RequestNote.created_at, RequestNote.id)
        )
    )


def update_request(
    session: Session,
    user: StaffUser,
    row: ServiceRequest,
    *,
    status: str,
    public_note: str | None,
    internal_note: str | None,
    now: dt.datetime,
) -> list[str]:
    """Change status and add notes; returns problems (plain English) instead of changing when any."""
    problems = []
    if status not in STATUSES:
        problems.append("Choose open or closed")
    for note in (public_note, internal_note):
        if note is not None and len(note) > NOTE_MAX:
            problems.append("Notes must be 4,000 characters or fewer")
    if status == row.status and not public_note and not internal_note:
        problems.append("Change the status or write a note")
    if problems:
        return problems
    before = {"status": row.status, "status_notes": row.status_notes}
    if status != row.status:
        row.status = status
        row.closed_at = now if status == "closed" else None
    if public_note:
        row.status_notes = public_note
    row.updated_at = now
    for text, public in ((public_note, True), (internal_note, False)):
        if text:
            session.add(
                RequestNote(
                    request_id=row.id,
                    author_id=user.id,
                    public=public,
                    status_before=before["status"],
                    status_after=row.status,
                    text=text,
                    created_at=now,
                )
            )
    session.add(
        AuditEntry(
            at=now,
            actor=user.email,
            action="update request",
            entity="service_request",
            entity_id=row.public_id,
            before=before,
            after={
                "status": row.status,
                "status_notes": row.status_notes,
                "public_note": bool(public_note),
                "internal_note": bool(internal_note),
            },
        )
    )
    return []
