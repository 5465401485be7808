"""Tables of the transactional store: resident requests and their history, staff, API keys, audit.

The store is where requests made through citystat's own front door live (Open311 API, web forms,
staff entry) until an incremental sync copies them into the warehouse. SQLite (WAL) by default,
PostgreSQL in production; Alembic migrations in ``migrations/`` create exactly these tables.

Times are stored as UTC and always come back timezone-aware (:class:`UtcDateTime`), on both
databases. Reporter contact details (``reporter_*``) are private: nothing public reads them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DESCRIPTION_MAX = 4000  # Open311 GeoReport v2: description is at most 4,000 characters
CHANNELS = ("web", "api", "phone", "staff")
STATUSES = ("open", "closed")
ROLES = ("admin", "agency")


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware datetime stored as naive UTC; refuses naive values."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store times with a time zone")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: UtcDateTime(), dict[str, Any]: JSON()}  # noqa: RUF012


class ApiKey(Base):
    """A client allowed to POST requests (Open311 ``api_key``); only a hash of the key is kept."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16), default="api")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class ServiceRequest(Base):
    """One resident request, with the Open311 GeoReport v2 fields and private contact details."""

    __tablename__ = "service_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)  # Open311 service_request_id
    service_code: Mapped[str] = mapped_column(String(64), index=True)
    service_name: Mapped[str] = mapped_column(String(200))
    agency_responsible: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    status_notes: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(index=True)
    expected_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    address: Mapped[str | None] = mapped_column(String(500))
    address_id: Mapped[str | None] = mapped_column(String(100))
    zipcode: Mapped[str | None] = mapped_column(String(20))
    lat: Mapped[float | None] = mapped_column(Float)
    long: Mapped[float | None] = mapped_column(Float)
    media_url: Mapped[str | None] = mapped_column(String(1000))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    channel: Mapped[str] = mapped_column(String(16))  # web | api | phone | staff
    locale: Mapped[str] = mapped_column(String(16), default="en")
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    # private: never in public pages, APIs or exports
    reporter_first_name: Mapped[str | None] = mapped_column(String(200))
    reporter_last_name: Mapped[str | None] = mapped_column(String(200))
    reporter_email: Mapped[str | None] = mapped_column(String(320))
    reporter_phone: Mapped[str | None] = mapped_column(String(50))
    device_id: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[str | None] = mapped_column(String(200))


class RequestToken(Base):
    """A token handed out for a queued POST (a batch service); it resolves to the request once the
    queue is processed. The payload holds the validated request (contact details included) until then."""

    __tablename__ = "request_tokens"
    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("service_requests.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    actor: Mapped[str | None] = mapped_column(String(320))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the request, until it is created


class StaffUser(Base):
    """Agency staff and admins; passwords are kept only as Argon2 hashes."""

    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))  # admin | agency
    agency: Mapped[str | None] = mapped_column(String(200))  # the agency an 'agency' user may act for
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class StaffSession(Base):
    """A signed-in staff session; only a hash of the cookie's token is kept, and it expires."""

    __tablename__ = "staff_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[dt.datetime]


class RequestNote(Base):
    """A status change or note on a request: public notes show on its status page, internal ones don't."""

    __tablename__ = "request_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("service_requests.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    public: Mapped[bool] = mapped_column(Boolean)
    status_before: Mapped[str | None] = mapped_column(String(16))
    status_after: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class AuditEntry(Base):
    """Every change made through the store: who, when, what, before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utc_now, index=True)
    actor: Mapped[str] = mapped_column(String(320))  # staff e-mail, "api:<label>", "resident"
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class SyncMark(Base):
    """How far the warehouse sync has read: the newest ``updated_at`` (and id) already copied."""

    __tablename__ = "sync_marks"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    updated_at: Mapped[dt.datetime]
    request_id: Mapped[int] = mapped_column(Integer)


Index("ix_service_requests_updated_id", ServiceRequest.updated_at, ServiceRequest.id)
